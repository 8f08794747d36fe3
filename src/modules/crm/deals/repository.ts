import { and, asc, desc, eq, gt, inArray, lt, type SQL, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../../platform/context.ts';
import { rows } from '../../../platform/db.ts';
import { opportunities, pipelineEvents, pipelineStages, pipelines, projectContacts, projects } from '../schema.ts';

export type PipelineRow = typeof pipelines.$inferSelect;
export type StageRow = typeof pipelineStages.$inferSelect;
export type OpportunityRow = typeof opportunities.$inferSelect;
export type OpportunityInsert = Omit<typeof opportunities.$inferInsert, 'tenantId'>;
export type ProjectRow = typeof projects.$inferSelect;
export type ProjectInsert = Omit<typeof projects.$inferInsert, 'tenantId'>;
export type PipelineEventRow = typeof pipelineEvents.$inferSelect;
export type ProjectContactRow = typeof projectContacts.$inferSelect;
export type DealKind = 'opportunity' | 'project';

const none = sql`false`;

/** Record scope `own`: opportunities the user owns. */
export const ownOpportunities = (userId: string | null) => (userId ? eq(opportunities.ownerUserId, userId) : none);
/** Record scope `own`: projects the user is the consultant of. */
export const ownProjects = (userId: string | null) => (userId ? eq(projects.consultantUserId, userId) : none);
export const noRecords = () => none;

// ---------- pipelines ----------

export async function insertPipeline(ctx: Ctx, row: Omit<typeof pipelines.$inferInsert, 'tenantId'>) {
  await ctx.tx.insert(pipelines).values({ ...row, tenantId: requireTenant(ctx) });
}

export async function insertStages(ctx: Ctx, rowsIn: Omit<typeof pipelineStages.$inferInsert, 'tenantId'>[]) {
  if (!rowsIn.length) return;
  const tenantId = requireTenant(ctx);
  await ctx.tx.insert(pipelineStages).values(rowsIn.map((r) => ({ ...r, tenantId })));
}

export async function findPipelineById(ctx: Ctx, id: string, forUpdate = false): Promise<PipelineRow | undefined> {
  const tenantId = requireTenant(ctx);
  const q = ctx.tx
    .select()
    .from(pipelines)
    .where(and(eq(pipelines.tenantId, tenantId), eq(pipelines.id, id)))
    .limit(1);
  return (forUpdate ? await q.for('update') : await q)[0];
}

export async function findDefaultPipeline(ctx: Ctx, kind: 'sales' | 'delivery'): Promise<PipelineRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(pipelines)
      .where(and(eq(pipelines.tenantId, tenantId), eq(pipelines.kind, kind), eq(pipelines.isDefault, true)))
      .limit(1)
  )[0];
}

export async function listPipelines(ctx: Ctx, f: { kind?: 'sales' | 'delivery' }, limit: number, afterId?: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(pipelines)
    .where(
      and(
        eq(pipelines.tenantId, tenantId),
        f.kind ? eq(pipelines.kind, f.kind) : undefined,
        afterId ? gt(pipelines.id, afterId) : undefined,
      ),
    )
    .orderBy(asc(pipelines.id))
    .limit(limit);
}

/** Stages of the given pipelines, in order. */
export async function listStages(ctx: Ctx, pipelineIds: string[]): Promise<StageRow[]> {
  const tenantId = requireTenant(ctx);
  if (!pipelineIds.length) return [];
  return ctx.tx
    .select()
    .from(pipelineStages)
    .where(and(eq(pipelineStages.tenantId, tenantId), inArray(pipelineStages.pipelineId, pipelineIds)))
    .orderBy(asc(pipelineStages.pipelineId), asc(pipelineStages.position));
}

export async function updatePipeline(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<typeof pipelines.$inferInsert>,
): Promise<PipelineRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(pipelines)
      .set({ ...patch, version: sql`${pipelines.version} + 1` })
      .where(and(eq(pipelines.tenantId, tenantId), eq(pipelines.id, id), eq(pipelines.version, expectedVersion)))
      .returning()
  )[0];
}

/** The kind's current default stops being it (the partial unique index allows one per kind). */
export async function clearDefaultPipeline(ctx: Ctx, kind: 'sales' | 'delivery') {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .update(pipelines)
    .set({ isDefault: false, version: sql`${pipelines.version} + 1` })
    .where(and(eq(pipelines.tenantId, tenantId), eq(pipelines.kind, kind), eq(pipelines.isDefault, true)));
}

export async function updateStage(
  ctx: Ctx,
  pipelineId: string,
  key: string,
  patch: Partial<Pick<StageRow, 'name' | 'position' | 'probability' | 'isWon' | 'isLost'>>,
) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .update(pipelineStages)
    .set(patch)
    .where(
      and(
        eq(pipelineStages.tenantId, tenantId),
        eq(pipelineStages.pipelineId, pipelineId),
        eq(pipelineStages.key, key),
      ),
    );
}

export async function deleteStages(ctx: Ctx, pipelineId: string, keys: string[]) {
  const tenantId = requireTenant(ctx);
  if (!keys.length) return;
  await ctx.tx
    .delete(pipelineStages)
    .where(
      and(
        eq(pipelineStages.tenantId, tenantId),
        eq(pipelineStages.pipelineId, pipelineId),
        inArray(pipelineStages.key, keys),
      ),
    );
}

/** How many opportunities and projects sit in each of the given stages. */
export async function countStageUsage(ctx: Ctx, pipelineId: string, keys: string[]) {
  const tenantId = requireTenant(ctx);
  const usage = new Map<string, { opportunities: number; projects: number }>();
  if (!keys.length) return usage;
  const [opps, projs] = await Promise.all([
    ctx.tx
      .select({ stage: opportunities.stage, n: sql<number>`count(*)::int` })
      .from(opportunities)
      .where(
        and(
          eq(opportunities.tenantId, tenantId),
          eq(opportunities.pipelineId, pipelineId),
          inArray(opportunities.stage, keys),
        ),
      )
      .groupBy(opportunities.stage),
    ctx.tx
      .select({ stage: projects.stage, n: sql<number>`count(*)::int` })
      .from(projects)
      .where(and(eq(projects.tenantId, tenantId), eq(projects.pipelineId, pipelineId), inArray(projects.stage, keys)))
      .groupBy(projects.stage),
  ]);
  for (const r of opps) usage.set(r.stage, { opportunities: Number(r.n), projects: 0 });
  for (const r of projs) {
    const u = usage.get(r.stage) ?? { opportunities: 0, projects: 0 };
    usage.set(r.stage, { ...u, projects: Number(r.n) });
  }
  return usage;
}

/**
 * Moves every record of a kind from the given stages to another stage of the same pipeline (locking
 * them first); returns each moved record with the stage it left.
 */
export async function moveRecordsToStage(
  ctx: Ctx,
  kind: DealKind,
  pipelineId: string,
  fromKeys: string[],
  to: { key: string; status: 'open' | 'won' | 'lost'; probability: number },
): Promise<{ id: string; from_stage: string }[]> {
  const tenantId = requireTenant(ctx);
  const keys = `{${fromKeys.join(',')}}`;
  if (kind === 'opportunity') {
    return rows(
      ctx.tx,
      sql`with moved as (
            select id, stage from opportunities
            where tenant_id = ${tenantId} and pipeline_id = ${pipelineId} and stage = any(${keys}::text[])
            for update
          )
          update opportunities o
          set stage = ${to.key}, status = ${to.status}, probability = ${to.probability},
              version = o.version + 1, updated_at = now()
          from moved where o.tenant_id = ${tenantId} and o.id = moved.id
          returning o.id, moved.stage as from_stage`,
    );
  }
  return rows(
    ctx.tx,
    sql`with moved as (
          select id, stage from projects
          where tenant_id = ${tenantId} and pipeline_id = ${pipelineId} and stage = any(${keys}::text[])
          for update
        )
        update projects p
        set stage = ${to.key}, status = ${to.status}, version = p.version + 1, updated_at = now()
        from moved where p.tenant_id = ${tenantId} and p.id = moved.id
        returning p.id, moved.stage as from_stage`,
  );
}

// ---------- stage history ----------

export async function insertPipelineEvents(ctx: Ctx, rowsIn: Omit<typeof pipelineEvents.$inferInsert, 'tenantId'>[]) {
  if (!rowsIn.length) return;
  const tenantId = requireTenant(ctx);
  for (let i = 0; i < rowsIn.length; i += 1000) {
    await ctx.tx.insert(pipelineEvents).values(rowsIn.slice(i, i + 1000).map((r) => ({ ...r, tenantId })));
  }
}

export async function listPipelineEvents(ctx: Ctx, kind: DealKind, entityId: string, limit: number, afterId?: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(pipelineEvents)
    .where(
      and(
        eq(pipelineEvents.tenantId, tenantId),
        eq(pipelineEvents.entityType, kind),
        eq(pipelineEvents.entityId, entityId),
        afterId ? gt(pipelineEvents.id, afterId) : undefined,
      ),
    )
    .orderBy(asc(pipelineEvents.id))
    .limit(limit);
}

// ---------- opportunities ----------

export async function insertOpportunity(ctx: Ctx, row: OpportunityInsert): Promise<OpportunityRow> {
  return (
    await ctx.tx
      .insert(opportunities)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function findOpportunityById(
  ctx: Ctx,
  id: string,
  scope?: SQL,
  forUpdate = false,
): Promise<OpportunityRow | undefined> {
  const tenantId = requireTenant(ctx);
  const q = ctx.tx
    .select()
    .from(opportunities)
    .where(and(eq(opportunities.tenantId, tenantId), eq(opportunities.id, id), scope))
    .limit(1);
  return (forUpdate ? await q.for('update') : await q)[0];
}

export interface OpportunityFilter {
  status?: OpportunityRow['status'];
  pipelineId?: string;
  stage?: string;
  ownerUserId?: string;
  personId?: string;
  accountId?: string;
  leadId?: string;
}

export async function listOpportunities(
  ctx: Ctx,
  f: OpportunityFilter,
  scope: SQL | undefined,
  limit: number,
  beforeId?: string,
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(opportunities)
    .where(
      and(
        eq(opportunities.tenantId, tenantId),
        f.status ? eq(opportunities.status, f.status) : undefined,
        f.pipelineId ? eq(opportunities.pipelineId, f.pipelineId) : undefined,
        f.stage ? eq(opportunities.stage, f.stage) : undefined,
        f.ownerUserId ? eq(opportunities.ownerUserId, f.ownerUserId) : undefined,
        f.personId ? eq(opportunities.personId, f.personId) : undefined,
        f.accountId ? eq(opportunities.accountId, f.accountId) : undefined,
        f.leadId ? eq(opportunities.leadId, f.leadId) : undefined,
        scope,
        beforeId ? lt(opportunities.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(opportunities.id))
    .limit(limit);
}

/** Optimistic update: applies only at the expected version; undefined means the version moved. */
export async function updateOpportunity(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<OpportunityInsert>,
): Promise<OpportunityRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(opportunities)
      .set({ ...patch, version: sql`${opportunities.version} + 1`, updatedAt: new Date() })
      .where(
        and(eq(opportunities.tenantId, tenantId), eq(opportunities.id, id), eq(opportunities.version, expectedVersion)),
      )
      .returning()
  )[0];
}

// ---------- projects ----------

export async function insertProject(ctx: Ctx, row: ProjectInsert): Promise<ProjectRow> {
  return (
    await ctx.tx
      .insert(projects)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function findProjectById(
  ctx: Ctx,
  id: string,
  scope?: SQL,
  forUpdate = false,
): Promise<ProjectRow | undefined> {
  const tenantId = requireTenant(ctx);
  const q = ctx.tx
    .select()
    .from(projects)
    .where(and(eq(projects.tenantId, tenantId), eq(projects.id, id), scope))
    .limit(1);
  return (forUpdate ? await q.for('update') : await q)[0];
}

export interface ProjectFilter {
  status?: ProjectRow['status'];
  pipelineId?: string;
  stage?: string;
  consultantUserId?: string;
  accountId?: string;
  primaryContactId?: string;
  type?: string;
}

export async function listProjects(
  ctx: Ctx,
  f: ProjectFilter,
  scope: SQL | undefined,
  limit: number,
  beforeId?: string,
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(projects)
    .where(
      and(
        eq(projects.tenantId, tenantId),
        f.status ? eq(projects.status, f.status) : undefined,
        f.pipelineId ? eq(projects.pipelineId, f.pipelineId) : undefined,
        f.stage ? eq(projects.stage, f.stage) : undefined,
        f.consultantUserId ? eq(projects.consultantUserId, f.consultantUserId) : undefined,
        f.accountId ? eq(projects.accountId, f.accountId) : undefined,
        f.primaryContactId ? eq(projects.primaryContactId, f.primaryContactId) : undefined,
        f.type ? eq(projects.type, f.type) : undefined,
        scope,
        beforeId ? lt(projects.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(projects.id))
    .limit(limit);
}

export async function updateProject(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<ProjectInsert>,
): Promise<ProjectRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(projects)
      .set({ ...patch, version: sql`${projects.version} + 1`, updatedAt: new Date() })
      .where(and(eq(projects.tenantId, tenantId), eq(projects.id, id), eq(projects.version, expectedVersion)))
      .returning()
  )[0];
}

// ---------- project contacts ----------

export async function insertProjectContact(
  ctx: Ctx,
  row: Omit<typeof projectContacts.$inferInsert, 'tenantId'>,
): Promise<ProjectContactRow> {
  return (
    await ctx.tx
      .insert(projectContacts)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function findPrimaryContact(ctx: Ctx, projectId: string): Promise<ProjectContactRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(projectContacts)
      .where(
        and(
          eq(projectContacts.tenantId, tenantId),
          eq(projectContacts.projectId, projectId),
          eq(projectContacts.isPrimary, true),
        ),
      )
      .limit(1)
  )[0];
}

/** Makes the person the primary contact (adding them with the role when not on the project yet), or clears it. */
export async function setPrimaryContact(ctx: Ctx, projectId: string, personId: string | null, role: string) {
  const tenantId = requireTenant(ctx);
  const ofProject = and(eq(projectContacts.tenantId, tenantId), eq(projectContacts.projectId, projectId));
  await ctx.tx
    .update(projectContacts)
    .set({ isPrimary: false })
    .where(and(ofProject, eq(projectContacts.isPrimary, true)));
  if (!personId) return;
  await ctx.tx
    .insert(projectContacts)
    .values({ tenantId, projectId, personId, role, isPrimary: true })
    .onConflictDoUpdate({
      target: [projectContacts.tenantId, projectContacts.projectId, projectContacts.personId],
      set: { isPrimary: true },
    });
}

export async function listProjectContacts(ctx: Ctx, projectId: string, limit: number, afterPersonId?: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(projectContacts)
    .where(
      and(
        eq(projectContacts.tenantId, tenantId),
        eq(projectContacts.projectId, projectId),
        afterPersonId ? gt(projectContacts.personId, afterPersonId) : undefined,
      ),
    )
    .orderBy(asc(projectContacts.personId))
    .limit(limit);
}
