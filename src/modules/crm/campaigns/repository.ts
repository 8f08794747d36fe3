import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../../platform/context.ts';
import { rows } from '../../../platform/db.ts';
import { campaignAssignments, campaignMembers, campaigns } from '../schema.ts';

export type CampaignRow = typeof campaigns.$inferSelect;
export type MemberRow = typeof campaignMembers.$inferSelect;
export type AssignmentInsert = Omit<typeof campaignAssignments.$inferInsert, 'tenantId'>;

/**
 * Serializes lead assignment per campaign across processes: a transaction-scoped advisory lock, so
 * counts are read and the choice is written by one transaction at a time.
 */
export async function lockCampaign(ctx: Ctx, campaignId: string) {
  const tenantId = requireTenant(ctx);
  await ctx.tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`${tenantId}:campaign:${campaignId}`}, 727))`,
  );
}

export async function insertCampaign(ctx: Ctx, row: Omit<typeof campaigns.$inferInsert, 'tenantId'>) {
  await ctx.tx.insert(campaigns).values({ ...row, tenantId: requireTenant(ctx) });
}

export async function findCampaignById(ctx: Ctx, id: string, forUpdate = false): Promise<CampaignRow | undefined> {
  const tenantId = requireTenant(ctx);
  const q = ctx.tx
    .select()
    .from(campaigns)
    .where(and(eq(campaigns.tenantId, tenantId), eq(campaigns.id, id)))
    .limit(1);
  return (forUpdate ? await q.for('update') : await q)[0];
}

export async function listCampaigns(ctx: Ctx, f: { active?: boolean }, limit: number, beforeId?: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(campaigns)
    .where(
      and(
        eq(campaigns.tenantId, tenantId),
        f.active === undefined ? undefined : eq(campaigns.active, f.active),
        beforeId ? lt(campaigns.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(campaigns.id))
    .limit(limit);
}

export async function updateCampaign(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<Pick<CampaignRow, 'name' | 'strategy' | 'active'>>,
): Promise<CampaignRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(campaigns)
      .set({ ...patch, version: sql`${campaigns.version} + 1`, updatedAt: new Date() })
      .where(and(eq(campaigns.tenantId, tenantId), eq(campaigns.id, id), eq(campaigns.version, expectedVersion)))
      .returning()
  )[0];
}

export async function insertMembers(
  ctx: Ctx,
  campaignId: string,
  members: { userId: string; weight: number; active?: boolean }[],
) {
  if (!members.length) return;
  const tenantId = requireTenant(ctx);
  await ctx.tx.insert(campaignMembers).values(members.map((m) => ({ ...m, tenantId, campaignId })));
}

export async function updateMember(
  ctx: Ctx,
  campaignId: string,
  userId: string,
  patch: Partial<Pick<MemberRow, 'weight' | 'active'>>,
) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .update(campaignMembers)
    .set(patch)
    .where(
      and(
        eq(campaignMembers.tenantId, tenantId),
        eq(campaignMembers.campaignId, campaignId),
        eq(campaignMembers.userId, userId),
      ),
    );
}

export async function listMembers(ctx: Ctx, campaignIds: string[]): Promise<MemberRow[]> {
  const tenantId = requireTenant(ctx);
  if (!campaignIds.length) return [];
  return ctx.tx
    .select()
    .from(campaignMembers)
    .where(and(eq(campaignMembers.tenantId, tenantId), inArray(campaignMembers.campaignId, campaignIds)))
    .orderBy(campaignMembers.campaignId, campaignMembers.createdAt, campaignMembers.userId);
}

/** Assignments per campaign and member: all of them and those since the given time. */
export async function assignmentCounts(ctx: Ctx, campaignIds: string[], since: Date) {
  const tenantId = requireTenant(ctx);
  if (!campaignIds.length) return [];
  const found = await rows<{ campaign_id: string; user_id: string; total: number; recent: number }>(
    ctx.tx,
    sql`select campaign_id, user_id, count(*)::int as total,
               count(*) filter (where created_at >= ${since.toISOString()}::timestamptz)::int as recent
        from ${campaignAssignments}
        where tenant_id = ${tenantId} and campaign_id = any(${`{${campaignIds.join(',')}}`}::uuid[])
        group by campaign_id, user_id`,
  );
  return found.map((r) => ({ ...r, total: Number(r.total), recent: Number(r.recent) }));
}

export async function findAssignedLeadIds(ctx: Ctx, campaignId: string, leadIds: string[]) {
  const tenantId = requireTenant(ctx);
  if (!leadIds.length) return [];
  return (
    await ctx.tx
      .select({ leadId: campaignAssignments.leadId })
      .from(campaignAssignments)
      .where(
        and(
          eq(campaignAssignments.tenantId, tenantId),
          eq(campaignAssignments.campaignId, campaignId),
          inArray(campaignAssignments.leadId, leadIds),
        ),
      )
  ).map((r) => r.leadId);
}

export async function insertAssignments(ctx: Ctx, rowsIn: AssignmentInsert[]) {
  if (!rowsIn.length) return;
  const tenantId = requireTenant(ctx);
  await ctx.tx.insert(campaignAssignments).values(rowsIn.map((r) => ({ ...r, tenantId })));
}
