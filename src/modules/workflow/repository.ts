import { and, asc, desc, eq, inArray, lt, ne, type SQL, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import {
  workflowAgentRuns,
  workflowApprovals,
  workflowPolicies,
  workflowPolicyDecisions,
  workflowProposals,
} from './schema.ts';

export type ProposalRow = typeof workflowProposals.$inferSelect;
export type ProposalInsert = Omit<typeof workflowProposals.$inferInsert, 'tenantId'>;
export type AgentRunRow = typeof workflowAgentRuns.$inferSelect;
export type ApprovalRow = typeof workflowApprovals.$inferSelect;
export type DecisionRow = typeof workflowPolicyDecisions.$inferSelect;
export type PolicyRow = typeof workflowPolicies.$inferSelect;

// ---------- policy ----------

export async function findPolicy(ctx: Ctx): Promise<PolicyRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (await ctx.tx.select().from(workflowPolicies).where(eq(workflowPolicies.tenantId, tenantId)).limit(1))[0];
}

export async function upsertPolicy(ctx: Ctx, settings: PolicyRow['settings'], actorId: string | null) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .insert(workflowPolicies)
      .values({ tenantId, settings, updatedByActorId: actorId })
      .onConflictDoUpdate({
        target: workflowPolicies.tenantId,
        set: {
          settings,
          updatedByActorId: actorId,
          updatedAt: new Date(),
          version: sql`${workflowPolicies.version} + 1`,
        },
      })
      .returning()
  )[0];
}

// ---------- proposals ----------

export async function insertProposal(ctx: Ctx, row: ProposalInsert): Promise<ProposalRow> {
  return (
    await ctx.tx
      .insert(workflowProposals)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

/** Record scope `own`: the proposals the user made (patches may carry personal data of people out of their scope). */
export const ownProposals = (userId: string | null) =>
  userId ? eq(workflowProposals.proposedByUserId, userId) : sql`false`;
export const noProposals = () => sql`false`;

export async function findProposal(
  ctx: Ctx,
  id: string,
  scope: SQL | undefined,
  forUpdate = false,
): Promise<ProposalRow | undefined> {
  const tenantId = requireTenant(ctx);
  const q = ctx.tx
    .select()
    .from(workflowProposals)
    .where(and(eq(workflowProposals.tenantId, tenantId), eq(workflowProposals.id, id), scope))
    .limit(1);
  return (forUpdate ? await q.for('update') : await q)[0];
}

/** Locks every proposal of a branch group, in id order: executions within one group run one at a time. */
export async function lockBranchGroup(ctx: Ctx, group: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select({ id: workflowProposals.id })
    .from(workflowProposals)
    .where(and(eq(workflowProposals.tenantId, tenantId), eq(workflowProposals.branchGroup, group)))
    .orderBy(asc(workflowProposals.id))
    .for('update');
}

/** The first proposal of a branch group (its target is the group's target). */
export async function firstOfBranchGroup(ctx: Ctx, group: string): Promise<ProposalRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(workflowProposals)
      .where(and(eq(workflowProposals.tenantId, tenantId), eq(workflowProposals.branchGroup, group)))
      .orderBy(asc(workflowProposals.id))
      .limit(1)
  )[0];
}

export async function updateProposal(
  ctx: Ctx,
  id: string,
  patch: Partial<ProposalInsert>,
  expectStatus?: ProposalRow['status'],
): Promise<ProposalRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(workflowProposals)
      .set({ ...patch, version: sql`${workflowProposals.version} + 1`, updatedAt: new Date() })
      .where(
        and(
          eq(workflowProposals.tenantId, tenantId),
          eq(workflowProposals.id, id),
          expectStatus ? eq(workflowProposals.status, expectStatus) : undefined,
        ),
      )
      .returning()
  )[0];
}

/** The not yet decided alternatives of an executed proposal become rejected, pointing at the winner. */
export async function supersedeSiblings(ctx: Ctx, group: string, winnerId: string) {
  const tenantId = requireTenant(ctx);
  const done = await ctx.tx
    .update(workflowProposals)
    .set({
      status: 'rejected',
      supersededById: winnerId,
      version: sql`${workflowProposals.version} + 1`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(workflowProposals.tenantId, tenantId),
        eq(workflowProposals.branchGroup, group),
        ne(workflowProposals.id, winnerId),
        inArray(workflowProposals.status, ['draft', 'review_required', 'approved']),
      ),
    )
    .returning({ id: workflowProposals.id });
  return done.map((r) => r.id);
}

export interface ProposalFilter {
  status?: ProposalRow['status'];
  targetEntityRef?: string;
  agentRunId?: string;
  branchGroup?: string;
}

export async function listProposals(
  ctx: Ctx,
  f: ProposalFilter,
  scope: SQL | undefined,
  limit: number,
  beforeId?: string,
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(workflowProposals)
    .where(
      and(
        eq(workflowProposals.tenantId, tenantId),
        f.status ? eq(workflowProposals.status, f.status) : undefined,
        f.targetEntityRef ? eq(workflowProposals.targetEntityRef, f.targetEntityRef) : undefined,
        f.agentRunId ? eq(workflowProposals.agentRunId, f.agentRunId) : undefined,
        f.branchGroup ? eq(workflowProposals.branchGroup, f.branchGroup) : undefined,
        scope,
        beforeId ? lt(workflowProposals.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(workflowProposals.id))
    .limit(limit);
}

const createdMs = sql`date_trunc('milliseconds', ${workflowProposals.createdAt})`;

/** Unresolved proposals (draft, review required, approved but not executed), newest first; keyset on (created, id). */
export async function listUnresolved(
  ctx: Ctx,
  scope: SQL | undefined,
  limit: number,
  before?: { at: string; id: string },
) {
  const tenantId = requireTenant(ctx);
  const keyset: SQL | undefined = before
    ? sql`(${createdMs}, ${workflowProposals.id}) < (${before.at}::timestamptz, ${before.id}::uuid)`
    : undefined;
  return ctx.tx
    .select()
    .from(workflowProposals)
    .where(
      and(
        eq(workflowProposals.tenantId, tenantId),
        sql`${workflowProposals.status} in ('draft', 'review_required', 'approved')`,
        scope,
        keyset,
      ),
    )
    .orderBy(sql`${createdMs} desc`, desc(workflowProposals.id))
    .limit(limit);
}

// ---------- approvals and policy decisions (append-only) ----------

export async function insertApproval(ctx: Ctx, row: Omit<typeof workflowApprovals.$inferInsert, 'tenantId'>) {
  await ctx.tx.insert(workflowApprovals).values({ ...row, tenantId: requireTenant(ctx) });
}

export async function listApprovals(ctx: Ctx, proposalId: string): Promise<ApprovalRow[]> {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(workflowApprovals)
    .where(and(eq(workflowApprovals.tenantId, tenantId), eq(workflowApprovals.proposalId, proposalId)))
    .orderBy(asc(workflowApprovals.id));
}

export async function insertDecision(ctx: Ctx, row: Omit<typeof workflowPolicyDecisions.$inferInsert, 'tenantId'>) {
  await ctx.tx.insert(workflowPolicyDecisions).values({ ...row, tenantId: requireTenant(ctx) });
}

export async function listDecisions(ctx: Ctx, proposalId: string): Promise<DecisionRow[]> {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(workflowPolicyDecisions)
    .where(and(eq(workflowPolicyDecisions.tenantId, tenantId), eq(workflowPolicyDecisions.proposalId, proposalId)))
    .orderBy(asc(workflowPolicyDecisions.id));
}

// ---------- agent runs ----------

export async function insertAgentRun(
  ctx: Ctx,
  row: Omit<typeof workflowAgentRuns.$inferInsert, 'tenantId'>,
): Promise<AgentRunRow> {
  return (
    await ctx.tx
      .insert(workflowAgentRuns)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function findAgentRun(ctx: Ctx, id: string): Promise<AgentRunRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(workflowAgentRuns)
      .where(and(eq(workflowAgentRuns.tenantId, tenantId), eq(workflowAgentRuns.id, id)))
      .limit(1)
  )[0];
}

export async function listAgentRuns(ctx: Ctx, limit: number, beforeId?: string, agentName?: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(workflowAgentRuns)
    .where(
      and(
        eq(workflowAgentRuns.tenantId, tenantId),
        agentName ? eq(workflowAgentRuns.agentName, agentName) : undefined,
        beforeId ? lt(workflowAgentRuns.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(workflowAgentRuns.id))
    .limit(limit);
}

export async function proposalIdsOfRun(ctx: Ctx, runId: string, limit: number) {
  const tenantId = requireTenant(ctx);
  const found = await ctx.tx
    .select({ id: workflowProposals.id })
    .from(workflowProposals)
    .where(and(eq(workflowProposals.tenantId, tenantId), eq(workflowProposals.agentRunId, runId)))
    .orderBy(asc(workflowProposals.id))
    .limit(limit);
  return found.map((r) => r.id);
}

/**
 * Erase of a person: proposals about them keep their field names but lose the proposed values, and
 * execution results that hold contact data (merges) keep only the ids.
 */
export async function scrubProposalsOfPerson(ctx: Ctx, personId: string) {
  const tenantId = requireTenant(ctx);
  await ctx.tx.execute(
    sql`update ${workflowProposals} set
          patch = case when operation = 'update'
            then (select coalesce(jsonb_object_agg(k, null), '{}'::jsonb) from jsonb_object_keys(patch) k)
            else patch end,
          execution_result = case
            when execution_result is null or operation = 'update' then execution_result
            else jsonb_build_object('erased', true, 'mergedPersonId', execution_result->'mergedPersonId',
                                    'survivorId', execution_result->'survivorId') end,
          version = version + 1, updated_at = now()
        where tenant_id = ${tenantId} and (target_entity_ref = ${personId} or patch->>'intoPersonId' = ${personId})`,
  );
}
