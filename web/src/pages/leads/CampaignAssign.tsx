import type { FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { ProblemMessage } from '../../components/ProblemMessage';
import { humanize } from '../../lib/format';
import { nameOf, type StaffUser } from '../../lib/staff';
import { useAction } from '../../lib/useAction';
import { useLoad } from '../../lib/useLoad';

/**
 * Hands the selected leads to an active campaign, which picks the member for each (round robin by weight,
 * or by effort); manual campaigns are left to the plain assignment beside this.
 */
export function CampaignAssign({
  selected,
  staff,
  onDone,
}: {
  selected: string[];
  staff: StaffUser[];
  onDone: (message: string) => void;
}) {
  const action = useAction();
  const campaigns = useLoad(
    () => unwrap(api.GET('/api/crm/campaigns', { params: { query: { active: 'true', limit: 100 } } })),
    [],
  );
  const usable = (campaigns.data?.data ?? []).filter((c) => c.strategy !== 'manual');
  if (!usable.length) return null;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const id = String(new FormData(event.currentTarget).get('campaignId'));
    const campaign = usable.find((c) => c.id === id);
    const describe = (r: { assignments: { userId: string }[] }) => {
      const per = new Map<string, number>();
      for (const a of r.assignments) per.set(a.userId, (per.get(a.userId) ?? 0) + 1);
      const split = [...per].map(([userId, n]) => `${n} to ${nameOf(staff, userId)}`).join(', ');
      return `${campaign?.name ?? 'The campaign'} assigned ${r.assignments.length} leads: ${split}.`;
    };
    const done = await action.run(
      () =>
        unwrap(api.POST('/api/crm/campaigns/{id}/leads', { params: { path: { id } }, body: { leadIds: selected } })),
      describe,
    );
    if (done) onDone(describe(done));
  }

  return (
    <form className="inline bulk" onSubmit={submit} aria-label="Assign through a campaign">
      <label>
        Or through a campaign
        <select name="campaignId" required defaultValue="">
          <option value="" disabled>
            Choose a campaign
          </option>
          {usable.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({humanize(c.strategy)})
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={action.busy || selected.length === 0 || selected.length > 100}>
        {`Hand ${selected.length} selected to the campaign`}
      </button>
      <ProblemMessage error={action.error} />
    </form>
  );
}
