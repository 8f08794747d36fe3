import { barWidth } from './format';

/** Horizontal bars with their numbers: a real table, the bars are decoration beside the figures. */
export function Bars({
  caption,
  label,
  rows,
}: {
  caption: string;
  label: string;
  rows: { key: string; label: string; count: number }[];
}) {
  const max = Math.max(0, ...rows.map((r) => r.count));
  return (
    <table className="bars">
      <caption className="visually-hidden">{caption}</caption>
      <thead className="visually-hidden">
        <tr>
          <th scope="col">{label}</th>
          <th scope="col">Leads</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{r.label}</th>
            <td>
              <span className="bar" style={{ width: barWidth(r.count, max) }} aria-hidden="true" />
              <span className="bar-value">{r.count}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
