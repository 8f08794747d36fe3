import { type SQL, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db.ts';
import { leadAssignments, routingDecisions } from './schema.ts';

/**
 * Routing outcomes of decisions made in [from, to): decisions by mode and outcome, the assignments
 * those decisions made by current status, and why candidates were dropped. `leadIds` (when given)
 * limits everything to those leads: the caller's record scope.
 */
export async function routingOutcomes(ctx: Ctx, r: { from: Date; to: Date; leadIds: string[] | null }) {
  const tenantId = requireTenant(ctx);
  // One text parameter however many ids a scoped actor sees.
  const onlyLeads = (column: SQL) =>
    r.leadIds
      ? sql` and ${column} in (select jsonb_array_elements_text(${JSON.stringify(r.leadIds)}::jsonb)::uuid)`
      : sql``;
  const decided = sql`${routingDecisions.tenantId} = ${tenantId}
    and ${routingDecisions.createdAt} >= ${r.from.toISOString()}::timestamptz
    and ${routingDecisions.createdAt} < ${r.to.toISOString()}::timestamptz${onlyLeads(sql`${routingDecisions.leadId}`)}`;

  const decisions = await rows<{ mode: string; outcome: string; count: number }>(
    ctx.tx,
    sql`select ${routingDecisions.mode} as mode, ${routingDecisions.outcome} as outcome, count(*)::int as count
      from ${routingDecisions} where ${decided} group by 1, 2 order by 1, 2`,
  );
  const assignments = await rows<{ status: string; count: number }>(
    ctx.tx,
    sql`select a.status as status, count(*)::int as count
      from ${routingDecisions} join ${leadAssignments} a
        on a.tenant_id = ${routingDecisions.tenantId} and a.decision_id = ${routingDecisions.id}
      where ${decided} group by 1 order by 1`,
  );
  const dropReasons = await rows<{ reason: string; count: number }>(
    ctx.tx,
    sql`select c->>'reason' as reason, count(*)::int as count
      from ${routingDecisions} cross join lateral jsonb_array_elements(${routingDecisions.candidates}) c
      where ${decided} and c->>'reason' is not null group by 1 order by 2 desc, 1`,
  );
  return { decisions, assignments, dropReasons };
}
