import { type FormEvent, useState } from 'react';
import { api, type Body, type RequestBody, unwrap } from '../api/client';
import { ActionOutcome } from '../components/ActionOutcome';
import { HumanOptions } from '../components/HumanOptions';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { ScrollRegion } from '../components/ScrollRegion';
import { StatusBadge } from '../components/StatusBadge';
import { humanize } from '../lib/format';
import { nameOf, type StaffUser, useStaff } from '../lib/staff';
import { useAction } from '../lib/useAction';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session/session';

type Campaign = Body<'/api/crm/campaigns/{id}', 'get'>;
type Strategy = Campaign['strategy'];

const STRATEGIES: Strategy[] = ['round_robin', 'effort_based', 'manual'];
const EXPLAINED: Record<Strategy, string> = {
  round_robin: 'in turn, each member as often as their weight says',
  effort_based: 'to the member with the fewest open leads for their weight',
  manual: 'to the member a person picks',
};

/**
 * Campaigns hand leads to a team fairly: round robin by weight, by effort (open leads per weight), or by
 * hand. Leads are assigned through a campaign from the lead inbox; here the team and its weights are set.
 */
export function Campaigns() {
  const { can } = useSession();
  const staff = useStaff();
  const campaigns = useLoad(() => unwrap(api.GET('/api/crm/campaigns', { params: { query: { limit: 100 } } })), []);
  const writable = can('campaigns:write');
  return (
    <Page title="Campaigns">
      <ProblemMessage error={campaigns.error} />
      {campaigns.loading && !campaigns.data ? <Loading what="campaigns" /> : null}
      {campaigns.data && campaigns.data.data.length === 0 ? <p className="empty">No campaign yet.</p> : null}
      {campaigns.data?.data.map((c) => (
        <CampaignCard
          key={`${c.id}:${c.version}`}
          campaign={c}
          staff={staff}
          writable={writable}
          onChanged={campaigns.reload}
        />
      ))}
      {writable ? <NewCampaign staff={staff} onCreated={campaigns.reload} /> : null}
    </Page>
  );
}

function CampaignCard({
  campaign: c,
  staff,
  writable,
  onChanged,
}: {
  campaign: Campaign;
  staff: StaffUser[];
  writable: boolean;
  onChanged: () => void;
}) {
  const action = useAction();
  const titleId = `campaign-${c.id}`;
  const patch = async (body: RequestBody<'/api/crm/campaigns/{id}', 'patch'>, success: string) => {
    const done = await action.run(
      () => unwrap(api.PATCH('/api/crm/campaigns/{id}', { params: { path: { id: c.id } }, body })),
      () => success,
    );
    if (done) onChanged();
  };

  async function saveMembers(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    await patch(
      {
        members: c.members.map((m) => ({
          userId: m.userId,
          weight: Number(form.get(`weight-${m.userId}`)),
          active: form.get(`active-${m.userId}`) === 'on',
        })),
      },
      `${c.name}: members saved.`,
    );
  }

  return (
    <section className="card campaign" aria-labelledby={titleId}>
      <h2 id={titleId}>
        {c.name} <StatusBadge status={c.active ? 'active' : 'paused'} />
      </h2>
      <p className="muted">
        {humanize(c.strategy)}: new leads go {EXPLAINED[c.strategy]}.
      </p>
      <form onSubmit={saveMembers} aria-label={`Members of ${c.name}`}>
        <ScrollRegion label={`Members of ${c.name}`}>
          <table className="members">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Weight</th>
                <th scope="col">Takes new leads</th>
                <th scope="col">Leads assigned</th>
              </tr>
            </thead>
            <tbody>
              {c.members.map((m) => {
                const name = nameOf(staff, m.userId);
                return (
                  <tr key={m.userId}>
                    <th scope="row">{name}</th>
                    <td>
                      {writable ? (
                        <input
                          name={`weight-${m.userId}`}
                          type="number"
                          min={0}
                          max={1000}
                          defaultValue={m.weight}
                          aria-label={`Weight of ${name}`}
                        />
                      ) : (
                        m.weight
                      )}
                    </td>
                    <td>
                      {writable ? (
                        <input
                          name={`active-${m.userId}`}
                          type="checkbox"
                          defaultChecked={m.active}
                          aria-label={`${name} takes new leads`}
                        />
                      ) : m.active ? (
                        'yes'
                      ) : (
                        'no'
                      )}
                    </td>
                    <td>{m.assignedCount}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </ScrollRegion>
        {writable ? (
          <div className="button-row">
            <button type="submit" disabled={action.busy || c.members.length === 0}>
              Save members
            </button>
            <button
              type="button"
              className="secondary"
              disabled={action.busy}
              onClick={() => patch({ active: !c.active }, `${c.name} is now ${c.active ? 'paused' : 'active'}.`)}
            >
              {c.active ? `Pause ${c.name}` : `Resume ${c.name}`}
            </button>
          </div>
        ) : null}
      </form>
      <ActionOutcome action={action} />
    </section>
  );
}

function NewCampaign({ staff, onCreated }: { staff: StaffUser[]; onCreated: () => void }) {
  const action = useAction();
  const [members, setMembers] = useState<string[]>([]);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const body: RequestBody<'/api/crm/campaigns', 'post'> = {
      name: String(form.get('name') ?? '').trim(),
      strategy: String(form.get('strategy')) as Strategy,
      active: true,
      members: members.map((userId) => ({ userId, weight: Number(form.get(`weight-${userId}`) || 1) })),
    };
    const done = await action.run(
      () => unwrap(api.POST('/api/crm/campaigns', { body })),
      (c) => `Campaign ${c.name} created.`,
    );
    if (done) {
      formElement.reset();
      setMembers([]);
      onCreated();
    }
  }

  return (
    <section className="card" aria-labelledby="new-campaign-title">
      <h2 id="new-campaign-title">New campaign</h2>
      <form className="stack" onSubmit={create}>
        <div className="inline">
          <label>
            Campaign name
            <input name="name" required maxLength={200} />
          </label>
          <label>
            Strategy
            <select name="strategy" defaultValue="round_robin">
              <HumanOptions values={STRATEGIES} />
            </select>
          </label>
        </div>
        <fieldset>
          <legend>Members and their weights</legend>
          {staff.map((u) => (
            <span key={u.id} className="member-choice">
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={members.includes(u.id)}
                  onChange={(e) => setMembers((m) => (e.target.checked ? [...m, u.id] : m.filter((id) => id !== u.id)))}
                />{' '}
                {u.name}
              </label>
              {members.includes(u.id) ? (
                <input
                  name={`weight-${u.id}`}
                  type="number"
                  min={0}
                  max={1000}
                  defaultValue={1}
                  aria-label={`Weight of ${u.name}`}
                />
              ) : null}
            </span>
          ))}
        </fieldset>
        <div>
          <button type="submit" disabled={action.busy}>
            Create campaign
          </button>
        </div>
      </form>
      <ActionOutcome action={action} />
    </section>
  );
}
