import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db.ts';
import { type AssignmentStatus, assignmentEvents, leadAssignments, routingDecisions } from './schema.ts';

export type DecisionRow = typeof routingDecisions.$inferSelect;
export type AssignmentRow = typeof leadAssignments.$inferSelect;
export type AssignmentEventRow = typeof assignmentEvents.$inferSelect;

const uuidArray = (ids: string[]) => `{${ids.join(',')}}`;

/**
 * Serializes routing per lead and per installer across processes: transaction-scoped advisory
 * locks taken in one sorted order (no deadlocks). Caps are then counted and applied under the lock.
 */
export async function lockForRouting(ctx: Ctx, leadId: string, installerIds: string[]) {
  const tenantId = requireTenant(ctx);
  const keys = [`lead:${leadId}`, ...installerIds.map((id) => `installer:${id}`)].map((k) => `${tenantId}:${k}`);
  await ctx.tx.execute(
    sql`select pg_advisory_xact_lock(k) from (select hashtextextended(x, 727) as k from unnest(${`{${keys.map((k) => `"${k}"`).join(',')}}`}::text[]) as x order by 1) s`,
  );
}

export interface InstallerStats {
  installer_id: string;
  day: number;
  week: number;
  month: number;
  last_at: Date | null;
  won: number;
  lost: number;
}

/** Offers counted against caps (declined and expired offers give capacity back), recency, win rate. */
export async function installerStats(ctx: Ctx, installerIds: string[], at: Date): Promise<Map<string, InstallerStats>> {
  const tenantId = requireTenant(ctx);
  const now = at.toISOString();
  const out = new Map<string, InstallerStats>();
  if (!installerIds.length) return out;
  const found = await rows<InstallerStats>(
    ctx.tx,
    sql`select c.id as installer_id, coalesce(u.day, 0)::int as day, coalesce(u.week, 0)::int as week,
          coalesce(u.month, 0)::int as month, l.last_at, coalesce(w.won, 0)::int as won, coalesce(w.lost, 0)::int as lost
        from unnest(${uuidArray(installerIds)}::uuid[]) as c(id)
        left join lateral (
          select count(*) filter (where a.offered_at >= date_trunc('day', ${now}::timestamptz at time zone 'UTC') at time zone 'UTC') as day,
                 count(*) filter (where a.offered_at >= date_trunc('week', ${now}::timestamptz at time zone 'UTC') at time zone 'UTC') as week,
                 count(*) filter (where a.offered_at >= date_trunc('month', ${now}::timestamptz at time zone 'UTC') at time zone 'UTC') as month
          from lead_assignments a
          where a.tenant_id = ${tenantId} and a.installer_id = c.id
            and a.offered_at >= least(date_trunc('week', ${now}::timestamptz at time zone 'UTC'), date_trunc('month', ${now}::timestamptz at time zone 'UTC')) at time zone 'UTC'
            and a.status not in ('declined', 'expired')
        ) u on true
        left join lateral (
          select max(a.offered_at) as last_at from lead_assignments a where a.tenant_id = ${tenantId} and a.installer_id = c.id
        ) l on true
        left join lateral (
          select count(*) filter (where a.status in ('won', 'install_scheduled', 'installed')) as won,
                 count(*) filter (where a.status = 'lost') as lost
          from lead_assignments a where a.tenant_id = ${tenantId} and a.installer_id = c.id
        ) w on true`,
  );
  for (const r of found) out.set(r.installer_id, { ...r, last_at: r.last_at ? new Date(r.last_at) : null });
  return out;
}

export async function installerIdsAssignedToLead(ctx: Ctx, leadId: string): Promise<Set<string>> {
  const tenantId = requireTenant(ctx);
  const found = await ctx.tx
    .select({ installerId: leadAssignments.installerId })
    .from(leadAssignments)
    .where(and(eq(leadAssignments.tenantId, tenantId), eq(leadAssignments.leadId, leadId)));
  return new Set(found.map((r) => r.installerId));
}

export async function insertDecision(ctx: Ctx, row: Omit<typeof routingDecisions.$inferInsert, 'tenantId'>) {
  return (
    await ctx.tx
      .insert(routingDecisions)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function insertAssignments(ctx: Ctx, rowsIn: Omit<typeof leadAssignments.$inferInsert, 'tenantId'>[]) {
  if (!rowsIn.length) return [];
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .insert(leadAssignments)
    .values(rowsIn.map((r) => ({ ...r, tenantId })))
    .returning();
}

export async function insertEvents(ctx: Ctx, rowsIn: Omit<typeof assignmentEvents.$inferInsert, 'tenantId'>[]) {
  if (!rowsIn.length) return;
  const tenantId = requireTenant(ctx);
  await ctx.tx.insert(assignmentEvents).values(rowsIn.map((r) => ({ ...r, tenantId })));
}

export async function listDecisions(ctx: Ctx, leadId: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(routingDecisions)
    .where(and(eq(routingDecisions.tenantId, tenantId), eq(routingDecisions.leadId, leadId)))
    .orderBy(asc(routingDecisions.id));
}

export async function findAssignment(ctx: Ctx, id: string, installerId?: string | null, forUpdate = false) {
  const tenantId = requireTenant(ctx);
  const q = ctx.tx
    .select()
    .from(leadAssignments)
    .where(
      and(
        eq(leadAssignments.tenantId, tenantId),
        eq(leadAssignments.id, id),
        installerId ? eq(leadAssignments.installerId, installerId) : undefined,
      ),
    )
    .limit(1);
  return (forUpdate ? await q.for('update') : await q)[0];
}

export async function listAssignments(
  ctx: Ctx,
  f: { installerId?: string; status?: string; leadId?: string },
  limit: number,
  beforeId?: string,
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(leadAssignments)
    .where(
      and(
        eq(leadAssignments.tenantId, tenantId),
        f.installerId ? eq(leadAssignments.installerId, f.installerId) : undefined,
        f.status ? eq(leadAssignments.status, f.status as AssignmentStatus) : undefined,
        f.leadId ? eq(leadAssignments.leadId, f.leadId) : undefined,
        beforeId ? lt(leadAssignments.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(leadAssignments.id))
    .limit(limit);
}

export async function assignmentsOfLead(ctx: Ctx, leadId: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(leadAssignments)
    .where(and(eq(leadAssignments.tenantId, tenantId), eq(leadAssignments.leadId, leadId)))
    .orderBy(asc(leadAssignments.id));
}

export async function updateAssignment(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<typeof leadAssignments.$inferInsert>,
) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(leadAssignments)
      .set({ ...patch, version: sql`${leadAssignments.version} + 1`, updatedAt: new Date() })
      .where(
        and(
          eq(leadAssignments.tenantId, tenantId),
          eq(leadAssignments.id, id),
          eq(leadAssignments.version, expectedVersion),
        ),
      )
      .returning()
  )[0];
}

export async function listEvents(ctx: Ctx, assignmentIds: string[]) {
  const tenantId = requireTenant(ctx);
  if (!assignmentIds.length) return [];
  return ctx.tx
    .select()
    .from(assignmentEvents)
    .where(and(eq(assignmentEvents.tenantId, tenantId), inArray(assignmentEvents.assignmentId, assignmentIds)))
    .orderBy(asc(assignmentEvents.id));
}
