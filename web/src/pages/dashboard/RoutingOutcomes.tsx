import type { Body } from '../../api/client';
import { humanize } from '../../lib/format';
import { Bars } from './Bars';

type Routing = Body<'/api/analytics/dashboard', 'get'>['routing'];

/** Routing decisions by outcome and mode, the assignments they made by status, and why candidates dropped out. */
export function RoutingOutcomes({ routing }: { routing: Routing }) {
  const total = routing.decisions.reduce((s, d) => s + d.count, 0);
  const assigned = routing.decisions.filter((d) => d.outcome === 'assigned').reduce((s, d) => s + d.count, 0);
  if (total === 0) return <p className="empty">No routing decisions in this range.</p>;
  return (
    <>
      <p className="big-number">
        {assigned} / {total} <span className="unit">decisions assigned</span>
      </p>
      <h3>Decisions</h3>
      <Bars
        caption="Routing decisions by mode and outcome"
        label="Mode and outcome"
        rows={routing.decisions.map((d) => ({
          key: `${d.mode}:${d.outcome}`,
          label: `${humanize(d.mode)} · ${humanize(d.outcome)}`,
          count: d.count,
        }))}
      />
      {routing.assignments.length ? (
        <>
          <h3>Assignments by status</h3>
          <Bars
            caption="Assignments by status"
            label="Status"
            rows={routing.assignments.map((a) => ({ key: a.status, label: humanize(a.status), count: a.count }))}
          />
        </>
      ) : null}
      {routing.dropReasons.length ? (
        <>
          <h3>Why candidates were dropped</h3>
          <Bars
            caption="Candidates dropped, by reason"
            label="Reason"
            rows={routing.dropReasons.map((r) => ({ key: r.reason, label: humanize(r.reason), count: r.count }))}
          />
        </>
      ) : null}
    </>
  );
}
