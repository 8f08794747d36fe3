import type { FormEvent } from 'react';
import { api, type Body, type RequestBody, unwrap } from '../../api/client';
import { ActionOutcome } from '../../components/ActionOutcome';
import { HumanOptions } from '../../components/HumanOptions';
import { Section } from '../../components/Section';
import { formatDateTime } from '../../lib/format';
import { useAction } from '../../lib/useAction';
import { useLoad } from '../../lib/useLoad';

type Policy = Body<'/api/admin/workflow-policy', 'get'>;
type PolicyBody = RequestBody<'/api/admin/workflow-policy', 'put'>;

const RISKS = ['none', 'low', 'medium'] as const;
const SOURCES = ['import', 'agent', 'user'] as const;
const SWITCHES: { name: keyof Policy & keyof PolicyBody; label: string }[] = [
  { name: 'fourEyes', label: 'Four eyes: nobody approves their own proposal' },
  { name: 'mergeRequiresApproval', label: 'Merges of people need approval' },
  { name: 'contactDetailsRequireApproval', label: 'Changes to contact details need approval' },
  { name: 'consentRequiresApproval', label: 'Changes to consent need approval' },
  { name: 'agentRequiresApproval', label: 'Everything an agent proposes needs approval' },
];

/**
 * Which automated and bulk changes wait for a person (DESIGN §9): the tenant's approval policy. Every
 * proposal stores the decision and the rule that made it; a change here applies to proposals made after it.
 */
export function ApprovalPolicy() {
  const policy = useLoad(() => unwrap(api.GET('/api/admin/workflow-policy')), []);
  const action = useAction();

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body: PolicyBody = {
      bulkUpdateThreshold: Number(form.get('bulkUpdateThreshold')),
      autoApproveMaxRisk: String(form.get('autoApproveMaxRisk')) as PolicyBody['autoApproveMaxRisk'],
      trustedSources: form.getAll('trustedSources').map(String) as PolicyBody['trustedSources'],
    };
    for (const s of SWITCHES) (body as Record<string, unknown>)[s.name] = form.get(s.name) === 'on';
    const done = await action.run(
      () => unwrap(api.PUT('/api/admin/workflow-policy', { body })),
      (p) => `Policy saved (version ${p.version}).`,
    );
    if (done) policy.reload();
  }

  return (
    <Section id="policy" title="Approval policy" loaded={policy}>
      {(p) => (
        <>
          <p className="muted">
            {p.version === 0
              ? 'This workspace uses the default policy.'
              : `Version ${p.version}${p.updatedAt ? `, changed ${formatDateTime(p.updatedAt)}` : ''}.`}
          </p>
          <form key={p.version} className="stack" onSubmit={save}>
            <fieldset>
              <legend>Needs approval</legend>
              {SWITCHES.map((s) => (
                <label key={s.name} className="checkbox">
                  <input type="checkbox" name={s.name} defaultChecked={Boolean(p[s.name])} /> {s.label}
                </label>
              ))}
            </fieldset>
            <div className="inline">
              <label>
                Bulk updates over this many records need approval
                <input
                  name="bulkUpdateThreshold"
                  type="number"
                  min={1}
                  max={10_000_000}
                  required
                  defaultValue={p.bulkUpdateThreshold}
                />
              </label>
              <label>
                Approve automatically up to this risk
                <select name="autoApproveMaxRisk" defaultValue={p.autoApproveMaxRisk}>
                  <HumanOptions values={RISKS} />
                </select>
              </label>
            </div>
            <fieldset>
              <legend>Trusted sources (their low-risk proposals may be approved automatically)</legend>
              {SOURCES.map((s) => (
                <label key={s} className="checkbox">
                  <input
                    type="checkbox"
                    name="trustedSources"
                    value={s}
                    defaultChecked={p.trustedSources.includes(s)}
                  />{' '}
                  {s}
                </label>
              ))}
            </fieldset>
            <div>
              <button type="submit" disabled={action.busy}>
                Save policy
              </button>
            </div>
          </form>
          <ActionOutcome action={action} />
        </>
      )}
    </Section>
  );
}
