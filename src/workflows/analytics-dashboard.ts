import { type Dashboard, MAX_REGIONS } from '../modules/analytics/index.ts';
import * as identity from '../modules/identity/index.ts';
import * as leads from '../modules/leads/index.ts';
import * as regions from '../modules/regions/index.ts';
import * as routing from '../modules/routing/index.ts';
import type { Ctx } from '../platform/context.ts';

const DAY_MS = 86_400_000;
const ymd = (d: Date) => d.toISOString().slice(0, 10);

/** Every period start in the range, so empty days or weeks show as zero (weeks start on Monday, UTC). */
function periods(r: leads.AggregateRange): string[] {
  const start = new Date(r.from);
  if (r.interval === 'week') start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() + 6) % 7));
  const step = r.interval === 'week' ? 7 * DAY_MS : DAY_MS;
  const out: string[] = [];
  for (let t = start.getTime(); t < r.to.getTime(); t += step) out.push(ymd(new Date(t)));
  return out;
}

/** Leads by region: the leads module counts per postcode, the regions module resolves them in bulk. */
async function leadsByRegion(ctx: Ctx, r: leads.AggregateRange): Promise<Dashboard['byRegion']> {
  const perPostcode = await leads.leadsByPostcode(ctx, r);
  const defaultCountry = (await identity.getTenantSettings(ctx)).defaultCountry;
  const resolved = await regions.resolveRegions(
    ctx,
    perPostcode.map((p) => ({ postcode: p.postcode, country: p.country ?? defaultCountry })),
  );
  const byRegion = new Map<string, Dashboard['byRegion'][number]>();
  let unmatched = 0;
  perPostcode.forEach((p, i) => {
    const region = resolved[i];
    if (!region) {
      unmatched += p.count;
      return;
    }
    const row = byRegion.get(region.id) ?? { regionId: region.id, code: region.code, name: region.name, count: 0 };
    row.count += p.count;
    byRegion.set(region.id, row);
  });
  const sorted = [...byRegion.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  const rest = sorted.slice(MAX_REGIONS).reduce((sum, row) => sum + row.count, 0);
  return [
    ...sorted.slice(0, MAX_REGIONS),
    ...(rest ? [{ regionId: null, code: null, name: 'Other regions', count: rest }] : []),
    ...(unmatched ? [{ regionId: null, code: null, name: 'No region', count: unmatched }] : []),
  ];
}

/** The dashboard's panels, each an aggregate of the module that owns the data, within the actor's record scope. */
export async function analyticsDashboard(ctx: Ctx, r: leads.AggregateRange): Promise<Omit<Dashboard, 'range'>> {
  const funnel = await leads.leadFunnel(ctx, r);
  const bySource = (await leads.leadsBySource(ctx, r)) as Dashboard['bySource'];
  const byRegion = await leadsByRegion(ctx, r);
  const ttfc = await leads.timeToFirstContact(ctx, r);
  const leadIds = await leads.visibleLeadIdsIfScoped(ctx);
  const outcomes = await routing.routingOutcomes(ctx, { from: r.from, to: r.to, leadIds });

  const created = new Map(funnel.created.map((c) => [c.period, c.count]));
  const reached = new Map<string, Map<string, number>>();
  for (const row of funnel.reached) {
    const m = reached.get(row.period) ?? new Map<string, number>();
    m.set(row.status, row.count);
    reached.set(row.period, m);
  }
  const ttfcBy = new Map(ttfc.filter((t) => t.period).map((t) => [t.period!, t]));
  const overall = ttfc.find((t) => t.period === null);
  const all = periods(r);
  return {
    funnel: all.map((period) => ({
      period,
      created: created.get(period) ?? 0,
      reached: leads.LEAD_STATUSES.map((status) => ({ status, count: reached.get(period)?.get(status) ?? 0 })),
    })),
    bySource,
    byRegion,
    routing: outcomes as Dashboard['routing'],
    timeToFirstContact: {
      overall: { count: overall?.count ?? 0, medianSeconds: overall?.median ?? null, p90Seconds: overall?.p90 ?? null },
      series: all.map((period) => {
        const t = ttfcBy.get(period);
        return { period, count: t?.count ?? 0, medianSeconds: t?.median ?? null, p90Seconds: t?.p90 ?? null };
      }),
    },
  };
}
