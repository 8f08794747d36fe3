import type { Body } from '../../api/client';
import { humanize } from '../../lib/format';
import { Bars } from './Bars';
import { barWidth } from './format';

type Funnel = Body<'/api/analytics/dashboard', 'get'>['funnel'];
/** The stages shown, in funnel order; lost and disqualified stay in the table. */
const STAGES = ['new', 'contacted', 'qualified', 'matched', 'converted'] as const;

const reachedOf = (p: Funnel[number], status: string) => p.reached.find((r) => r.status === status)?.count ?? 0;

/** Leads created per period (columns, contacted shaded), the stages reached over the range, and a data table. */
export function FunnelPanel({ funnel, interval }: { funnel: Funnel; interval: 'day' | 'week' }) {
  const created = funnel.reduce((s, p) => s + p.created, 0);
  const max = Math.max(0, ...funnel.map((p) => p.created));
  const statuses = funnel[0]?.reached.map((r) => r.status) ?? [];
  return (
    <>
      <p className="big-number">
        {created} <span className="unit">leads created</span>
      </p>
      <Bars
        caption="Leads created in the range that reached each stage"
        label="Stage"
        rows={STAGES.map((s) => ({
          key: s,
          label: humanize(s),
          count: funnel.reduce((n, p) => n + reachedOf(p, s), 0),
        }))}
      />
      <div className="columns" aria-hidden="true">
        {funnel.map((p) => (
          <div key={p.period} className="column-bar" title={`${p.period}: ${p.created} created`}>
            <span className="created" style={{ height: barWidth(p.created, max) }}>
              <span
                className="contacted"
                style={{ height: barWidth(reachedOf(p, 'contacted'), Math.max(1, p.created)) }}
              />
            </span>
          </div>
        ))}
      </div>
      <p className="legend" aria-hidden="true">
        <span className="swatch created" /> created per {interval} <span className="swatch contacted" /> of them
        contacted
      </p>
      <details>
        <summary>Funnel by {interval} as a table</summary>
        <div className="table-scroll">
          <table className="grid">
            <caption className="visually-hidden">Leads created per {interval} and the statuses they reached</caption>
            <thead>
              <tr>
                <th scope="col">{interval === 'week' ? 'Week of' : 'Day'}</th>
                <th scope="col">Created</th>
                {statuses.map((s) => (
                  <th key={s} scope="col">
                    {humanize(s)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {funnel.map((p) => (
                <tr key={p.period}>
                  <th scope="row">{p.period}</th>
                  <td>{p.created}</td>
                  {p.reached.map((r) => (
                    <td key={r.status}>{r.count}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}
