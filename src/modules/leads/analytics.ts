import { type SQL, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db.ts';
import { noneScope, ownScope } from './repository.ts';
import { type LeadStatus, leadStatusEvents, leads } from './schema.ts';

/** A half-open UTC range [from, to) and the period the series are bucketed by. */
export interface AggregateRange {
  from: Date;
  to: Date;
  interval: 'day' | 'week';
}

/** Statuses that mean someone reached the homeowner: time to first contact ends at the first of them. */
export const CONTACTED_STATUSES = ['contacted', 'nurturing', 'qualified', 'matched', 'converted'] as const;

/** The same record scope as the lead list (service.scopeOf): an aggregate counts only leads the actor may see. */
function scopeOf(ctx: Ctx): SQL | undefined {
  switch (ctx.actor.scope) {
    case 'all':
    case 'team':
      return undefined;
    case 'own':
      return ownScope(ctx.actor.userId);
    case 'installer':
      return noneScope();
  }
}

/** The tenant's leads created in the range and visible to the actor, as a SQL condition on `leads`. */
function visible(ctx: Ctx, r: AggregateRange): SQL {
  const tenantId = requireTenant(ctx);
  const scope = scopeOf(ctx);
  return sql`${leads.tenantId} = ${tenantId} and ${leads.createdAt} >= ${r.from.toISOString()}::timestamptz
    and ${leads.createdAt} < ${r.to.toISOString()}::timestamptz${scope ? sql` and (${scope})` : sql``}`;
}

const period = (r: AggregateRange) =>
  sql`to_char(date_trunc(${r.interval}, ${leads.createdAt} at time zone 'UTC'), 'YYYY-MM-DD')`;

/** Funnel over time: leads created per period, and how many of them ever reached each status. */
export async function leadFunnel(ctx: Ctx, r: AggregateRange) {
  const created = await rows<{ period: string; count: number }>(
    ctx.tx,
    sql`select ${period(r)} as period, count(*)::int as count from ${leads} where ${visible(ctx, r)} group by 1 order by 1`,
  );
  const reached = await rows<{ period: string; status: LeadStatus; count: number }>(
    ctx.tx,
    sql`select ${period(r)} as period, e.to_status as status, count(distinct e.lead_id)::int as count
      from ${leads} join ${leadStatusEvents} e on e.tenant_id = ${leads.tenantId} and e.lead_id = ${leads.id}
      where ${visible(ctx, r)} group by 1, 2 order by 1, 2`,
  );
  return { created, reached };
}

/** Leads created in the range per source. */
export async function leadsBySource(ctx: Ctx, r: AggregateRange) {
  return rows<{ source: string; count: number }>(
    ctx.tx,
    sql`select ${leads.source} as source, count(*)::int as count from ${leads} where ${visible(ctx, r)}
      group by 1 order by 2 desc, 1`,
  );
}

/** Leads created in the range per postcode (as entered) and address country; null postcode counted once. */
export async function leadsByPostcode(ctx: Ctx, r: AggregateRange) {
  return rows<{ postcode: string | null; country: string | null; count: number }>(
    ctx.tx,
    sql`select ${leads.postcode} as postcode, upper(${leads.address}->>'country') as country, count(*)::int as count
      from ${leads} where ${visible(ctx, r)} group by 1, 2 order by 3 desc`,
  );
}

/**
 * Time from creation to the first transition to contacted or beyond, in seconds: median, p90 and count
 * per creation period, plus the whole range (period null, via rollup).
 */
export async function timeToFirstContact(ctx: Ctx, r: AggregateRange) {
  const statuses = sql.join(
    CONTACTED_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  );
  return rows<{ period: string | null; count: number; median: number | null; p90: number | null }>(
    ctx.tx,
    sql`select period, count(*)::int as count,
        percentile_cont(0.5) within group (order by seconds)::float8 as median,
        percentile_cont(0.9) within group (order by seconds)::float8 as p90
      from (
        select ${period(r)} as period,
          greatest(0, extract(epoch from min(e.changed_at) - ${leads.createdAt}))::float8 as seconds
        from ${leads} join ${leadStatusEvents} e on e.tenant_id = ${leads.tenantId} and e.lead_id = ${leads.id}
        where ${visible(ctx, r)} and e.to_status in (${statuses})
        group by ${leads.id}, ${leads.createdAt}
      ) firsts
      group by rollup(period) order by period nulls first`,
  );
}

/** Ids of the tenant's leads the actor may see, or null when the actor sees them all (no filter needed). */
export async function visibleLeadIdsIfScoped(ctx: Ctx): Promise<string[] | null> {
  const scope = scopeOf(ctx);
  if (!scope) return null;
  const tenantId = requireTenant(ctx);
  const found = await rows<{ id: string }>(
    ctx.tx,
    sql`select ${leads.id} as id from ${leads} where ${leads.tenantId} = ${tenantId} and (${scope})`,
  );
  return found.map((f) => f.id);
}
