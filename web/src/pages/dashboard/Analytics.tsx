import { type FormEvent, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { Section } from '../../components/Section';
import { humanize } from '../../lib/format';
import { useLoad } from '../../lib/useLoad';
import { Bars } from './Bars';
import { FunnelPanel } from './FunnelPanel';
import { defaultRange } from './format';
import { RoutingOutcomes } from './RoutingOutcomes';
import { TimeToContact } from './TimeToContact';
import './dashboard.css';

type Interval = 'day' | 'week';

/** The analytics panels (GET /api/analytics/dashboard) for a date range; numbers cover the leads the user may see. */
export function Analytics() {
  const [range, setRange] = useState<{ from: string; to: string; interval: Interval }>(() => ({
    ...defaultRange(),
    interval: 'day',
  }));
  const [draft, setDraft] = useState(range);
  const loaded = useLoad(
    () => unwrap(api.GET('/api/analytics/dashboard', { params: { query: range } })),
    [range.from, range.to, range.interval],
  );
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setRange(draft);
  };
  const empty = (d: { funnel: { created: number }[] }) => d.funnel.every((p) => p.created === 0);

  return (
    <>
      <form className="inline analytics-range" aria-label="Analytics date range" onSubmit={apply}>
        <label>
          From
          <input
            type="date"
            value={draft.from}
            max={draft.to}
            required
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          />
        </label>
        <label>
          To
          <input
            type="date"
            value={draft.to}
            min={draft.from}
            required
            onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          />
        </label>
        <label>
          By
          <select value={draft.interval} onChange={(e) => setDraft({ ...draft, interval: e.target.value as Interval })}>
            <option value="day">day</option>
            <option value="week">week</option>
          </select>
        </label>
        <button type="submit">Show</button>
      </form>
      <div className="dashboard analytics">
        <Section id="funnel" title="Lead funnel" loaded={loaded} isEmpty={empty} empty="No leads in this range.">
          {(d) => <FunnelPanel funnel={d.funnel} interval={d.range.interval} />}
        </Section>
        <Section
          id="by-source"
          title="Leads by source"
          loaded={loaded}
          isEmpty={(d) => d.bySource.length === 0}
          empty="No leads in this range."
        >
          {(d) => (
            <Bars
              caption="Leads created in the range, by source"
              label="Source"
              rows={d.bySource.map((s) => ({ key: s.source, label: humanize(s.source), count: s.count }))}
            />
          )}
        </Section>
        <Section
          id="by-region"
          title="Leads by region"
          loaded={loaded}
          isEmpty={(d) => d.byRegion.length === 0}
          empty="No leads in this range."
        >
          {(d) => (
            <Bars
              caption="Leads created in the range, by region of their postcode"
              label="Region"
              rows={d.byRegion.map((r) => ({ key: r.regionId ?? r.name, label: r.name, count: r.count }))}
            />
          )}
        </Section>
        <Section id="routing-outcomes" title="Routing outcomes" loaded={loaded}>
          {(d) => <RoutingOutcomes routing={d.routing} />}
        </Section>
        <Section id="time-to-contact" title="Time to first contact" loaded={loaded}>
          {(d) => <TimeToContact ttfc={d.timeToFirstContact} interval={d.range.interval} />}
        </Section>
      </div>
    </>
  );
}
