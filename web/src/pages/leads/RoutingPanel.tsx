import { type FormEvent, useState } from 'react';
import { api, type Body, unwrap } from '../../api/client';
import { ActionOutcome } from '../../components/ActionOutcome';
import { ProblemMessage } from '../../components/ProblemMessage';
import { ScrollRegion } from '../../components/ScrollRegion';
import { formatDateTime, humanize } from '../../lib/format';
import type { Lead } from '../../lib/leads';
import { useAction } from '../../lib/useAction';
import { useLoad } from '../../lib/useLoad';
import { useSession } from '../../session/session';

type Decision = Body<'/api/leads/{id}/routing', 'get'>['data'][number];
type Candidate = Decision['candidates'][number];
type Mode = 'recommended' | 'compare_quotes' | 'manual';
/** At most this many installers are offered one lead (the API's limit). */
const MAX_PICKS = 7;

const REASONS: Record<string, string> = {
  inactive: 'not active',
  no_coverage: 'does not cover the postcode',
  service_not_offered: 'does not offer the service',
  cap_reached: 'capacity cap reached',
  already_assigned: 'already assigned to this lead',
  no_consent: 'homeowner did not consent to this installer',
  not_selected: 'eligible, ranked lower',
};

/** Every candidate with whether it is (or would be) picked, its score and why: a decision or its preview. */
function CandidateTable({
  label,
  candidates,
  names,
  className,
}: {
  label: string;
  candidates: (Candidate & { installerName?: string })[];
  names: Map<string, string>;
  className?: string;
}) {
  return (
    <ScrollRegion label={label}>
      <table className={className}>
        <thead>
          <tr>
            <th scope="col">Installer</th>
            <th scope="col">Picked</th>
            <th scope="col">Score</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {candidates.map((c) => (
            <tr key={c.installerId}>
              <td>{c.installerName ?? names.get(c.installerId) ?? c.installerId}</td>
              <td>{c.selected ? 'yes' : 'no'}</td>
              <td>{c.score === undefined ? '—' : c.score.toFixed(3)}</td>
              <td>{c.selected ? `selected${c.rank ? ` (rank ${c.rank})` : ''}` : (REASONS[c.reason ?? ''] ?? '—')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

/**
 * Routing: a dry run of the engine (who would be picked in the chosen mode, and why every other candidate
 * would not), the route action, and every decision taken.
 */
export function RoutingPanel({
  lead,
  decisions,
  names,
  onRouted,
}: {
  lead: Lead;
  decisions: Decision[];
  names: Map<string, string>;
  onRouted: () => void;
}) {
  const { can } = useSession();
  const action = useAction();
  const [mode, setMode] = useState<Mode>(lead.selectedPath === 'compare_quotes' ? 'compare_quotes' : 'recommended');
  const routable =
    can('routing:decide') && !lead.erasedAt && !['converted', 'lost', 'disqualified'].includes(lead.status);
  // The engine's real decision for this lead right now, as a read: again after every change and every route.
  // Manual mode: the installers staff pick (each still checked by the engine: active, capacity …).
  const [picks, setPicks] = useState<string[]>([]);
  const body = mode === 'manual' ? { mode, installerIds: picks } : { mode };
  const ready = mode !== 'manual' || picks.length > 0;
  const preview = useLoad(async () => {
    if (!routable || !ready) return null;
    const answer = await unwrap(api.POST('/api/leads/{id}/route/preview', { params: { path: { id: lead.id } }, body }));
    return answer.preview;
  }, [lead.id, lead.status, lead.version, mode, picks.join(','), decisions.length, routable]);

  async function route(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await action.run(
      () => unwrap(api.POST('/api/leads/{id}/route', { params: { path: { id: lead.id } }, body })),
      (r) => `Routed: ${r.assignments.length} installer${r.assignments.length === 1 ? '' : 's'} offered the lead.`,
    );
    // Without candidates the answer is a 409, but the decision (with every reason) is recorded: show it.
    onRouted();
  }

  const p = preview.data;
  const picked = p?.candidates.filter((c) => c.selected) ?? [];

  return (
    <>
      {routable ? (
        <>
          <h3>Preview</h3>
          <ProblemMessage error={preview.error} />
          <div className="routing-preview" aria-live="polite" aria-busy={preview.loading}>
            {!ready ? <p>Choose the installers to offer the lead to, below the route button.</p> : null}
            {p && ready ? (
              <>
                <p>
                  In {humanize(p.mode)} mode, under the {humanize(p.strategy)} strategy, routing would offer the lead to{' '}
                  {picked.length ? (
                    <strong>{picked.map((c) => c.installerName ?? names.get(c.installerId)).join(', ')}</strong>
                  ) : (
                    <strong>nobody</strong>
                  )}
                  {p.regionId ? '.' : ': no active region covers the postcode.'}
                  {picked.length > 0 && (p.strategy === 'round_robin' || p.strategy === 'weighted')
                    ? ' Based on the current counters; another route may change them first.'
                    : ''}
                </p>
                {p.candidates.length ? (
                  <CandidateTable
                    label="Candidates of the routing preview"
                    className="preview"
                    candidates={p.candidates}
                    names={names}
                  />
                ) : null}
              </>
            ) : null}
          </div>
          <form className="inline" onSubmit={route} aria-label="Route lead">
            <label>
              Mode
              <select name="mode" value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
                <option value="recommended">Recommended installer</option>
                <option value="compare_quotes">Compare quotes</option>
                <option value="manual">Installers I choose</option>
              </select>
            </label>
            <button type="submit" disabled={action.busy || !ready}>
              Route lead
            </button>
          </form>
          {mode === 'manual' ? (
            <fieldset className="manual-picks">
              <legend>Offer the lead to (up to {MAX_PICKS})</legend>
              {[...names.entries()]
                .sort((a, b) => a[1].localeCompare(b[1]))
                .map(([id, name]) => (
                  <label key={id} className="checkbox">
                    <input
                      type="checkbox"
                      checked={picks.includes(id)}
                      disabled={!picks.includes(id) && picks.length >= MAX_PICKS}
                      onChange={(e) => setPicks((p) => (e.target.checked ? [...p, id] : p.filter((x) => x !== id)))}
                    />{' '}
                    {name}
                  </label>
                ))}
            </fieldset>
          ) : null}
          <ActionOutcome action={action} />
        </>
      ) : null}
      <h3>Decisions</h3>
      {decisions.length === 0 ? <p className="empty">This lead has not been routed.</p> : null}
      {decisions.map((d) => (
        <div key={d.id} className="decision">
          <p>
            {formatDateTime(d.createdAt)} · {humanize(d.mode)} · {humanize(d.strategy)} · trigger {d.trigger} ·{' '}
            <strong>{humanize(d.outcome)}</strong>
          </p>
          <CandidateTable
            label={`Candidates of the decision of ${formatDateTime(d.createdAt)}`}
            candidates={d.candidates}
            names={names}
          />
        </div>
      ))}
    </>
  );
}
