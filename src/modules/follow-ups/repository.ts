import { and, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import { followUps } from './schema.ts';

export type FollowUpRow = typeof followUps.$inferSelect;

export async function insertFollowUp(ctx: Ctx, row: Omit<typeof followUps.$inferInsert, 'tenantId'>) {
  return (
    await ctx.tx
      .insert(followUps)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .onConflictDoNothing()
      .returning()
  )[0];
}

export async function findFollowUp(ctx: Ctx, id: string, installerId?: string | null) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(followUps)
      .where(
        and(
          eq(followUps.tenantId, tenantId),
          eq(followUps.id, id),
          installerId ? eq(followUps.installerId, installerId) : undefined,
        ),
      )
      .limit(1)
  )[0];
}

export async function listFollowUps(
  ctx: Ctx,
  f: { leadId?: string; status?: string; installerId?: string },
  limit: number,
  beforeId?: string,
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(followUps)
    .where(
      and(
        eq(followUps.tenantId, tenantId),
        f.leadId ? eq(followUps.leadId, f.leadId) : undefined,
        f.status ? eq(followUps.status, f.status as FollowUpRow['status']) : undefined,
        f.installerId ? eq(followUps.installerId, f.installerId) : undefined,
        beforeId ? lt(followUps.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(followUps.id))
    .limit(limit);
}

export async function listForLead(ctx: Ctx, leadId: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(followUps)
    .where(and(eq(followUps.tenantId, tenantId), eq(followUps.leadId, leadId)))
    .orderBy(asc(followUps.id));
}

export async function updateFollowUp(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<typeof followUps.$inferInsert>,
) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(followUps)
      .set({ ...patch, version: sql`${followUps.version} + 1`, updatedAt: new Date() })
      .where(and(eq(followUps.tenantId, tenantId), eq(followUps.id, id), eq(followUps.version, expectedVersion)))
      .returning()
  )[0];
}

export async function averageSatisfaction(ctx: Ctx, installerIds: string[]) {
  const tenantId = requireTenant(ctx);
  if (!installerIds.length) return [];
  return ctx.tx
    .select({ installerId: followUps.installerId, avg: sql<number>`avg(${followUps.satisfactionScore})::float8` })
    .from(followUps)
    .where(
      and(
        eq(followUps.tenantId, tenantId),
        inArray(followUps.installerId, installerIds),
        sql`${followUps.satisfactionScore} is not null`,
      ),
    )
    .groupBy(followUps.installerId);
}
