import type { Body } from '../../api/client';
import { formatDuration } from './format';

type Ttfc = Body<'/api/analytics/dashboard', 'get'>['timeToFirstContact'];

/** Median and p90 from creation to first contact, over the range and per period that had contacts. */
export function TimeToContact({ ttfc, interval }: { ttfc: Ttfc; interval: 'day' | 'week' }) {
  if (ttfc.overall.count === 0) return <p className="empty">No lead created in this range has been contacted yet.</p>;
  const periods = ttfc.series.filter((p) => p.count > 0);
  return (
    <>
      <dl className="figures">
        <div>
          <dt>Median</dt>
          <dd>{formatDuration(ttfc.overall.medianSeconds)}</dd>
        </div>
        <div>
          <dt>90th percentile</dt>
          <dd>{formatDuration(ttfc.overall.p90Seconds)}</dd>
        </div>
        <div>
          <dt>Leads contacted</dt>
          <dd>{ttfc.overall.count}</dd>
        </div>
      </dl>
      <details>
        <summary>By {interval}</summary>
        <div className="table-scroll">
          <table className="grid">
            <caption className="visually-hidden">Time to first contact per {interval} of creation</caption>
            <thead>
              <tr>
                <th scope="col">{interval === 'week' ? 'Week of' : 'Day'}</th>
                <th scope="col">Contacted</th>
                <th scope="col">Median</th>
                <th scope="col">P90</th>
              </tr>
            </thead>
            <tbody>
              {periods.map((p) => (
                <tr key={p.period}>
                  <th scope="row">{p.period}</th>
                  <td>{p.count}</td>
                  <td>{formatDuration(p.medianSeconds)}</td>
                  <td>{formatDuration(p.p90Seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}
