import { and, asc, eq, gte, lt, ne, or, type SQL, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../../platform/context.ts';
import { tasks } from '../schema.ts';

export type TaskRow = typeof tasks.$inferSelect;
export type TaskInsert = Omit<typeof tasks.$inferInsert, 'tenantId'>;

/** Record scope `own`: tasks assigned to or created by the user. */
export const ownTasks = (userId: string | null) =>
  userId ? or(eq(tasks.assigneeUserId, userId), eq(tasks.createdByUserId, userId)) : sql`false`;
export const noTasks = () => sql`false`;

export async function insertTask(ctx: Ctx, row: TaskInsert): Promise<TaskRow> {
  return (
    await ctx.tx
      .insert(tasks)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

/**
 * The task's lead and person references are deferred to commit (intake pipelines its inserts); a
 * staff write checks them now, so that a bad reference is a 400 and not a failed commit.
 */
export async function checkDeferredReferencesNow(ctx: Ctx) {
  requireTenant(ctx);
  await ctx.tx.execute(sql`set constraints tasks_lead_fk, tasks_tenant_id_person_id_people_tenant_id_id_fk immediate`);
}

export async function findTaskById(ctx: Ctx, id: string, scope?: SQL, forUpdate = false) {
  const tenantId = requireTenant(ctx);
  const q = ctx.tx
    .select()
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenantId), eq(tasks.id, id), scope))
    .limit(1);
  return (forUpdate ? await q.for('update') : await q)[0];
}

export interface TaskFilter {
  assigneeUserId?: string;
  status?: TaskRow['status'];
  type?: TaskRow['type'];
  overdue?: boolean;
  leadId?: string;
  personId?: string;
  opportunityId?: string;
  projectId?: string;
}

/** Soonest due first; keyset on (due_at, id). */
export async function listTasks(
  ctx: Ctx,
  f: TaskFilter,
  scope: SQL | undefined,
  now: Date,
  limit: number,
  after?: { dueAt: string; id: string },
) {
  const tenantId = requireTenant(ctx);
  const overdue =
    f.overdue === undefined
      ? undefined
      : f.overdue
        ? and(eq(tasks.status, 'open'), lt(tasks.dueAt, now))
        : or(ne(tasks.status, 'open'), gte(tasks.dueAt, now));
  return ctx.tx
    .select()
    .from(tasks)
    .where(
      and(
        eq(tasks.tenantId, tenantId),
        f.assigneeUserId ? eq(tasks.assigneeUserId, f.assigneeUserId) : undefined,
        f.status ? eq(tasks.status, f.status) : undefined,
        f.type ? eq(tasks.type, f.type) : undefined,
        f.leadId ? eq(tasks.leadId, f.leadId) : undefined,
        f.personId ? eq(tasks.personId, f.personId) : undefined,
        f.opportunityId ? eq(tasks.opportunityId, f.opportunityId) : undefined,
        f.projectId ? eq(tasks.projectId, f.projectId) : undefined,
        overdue,
        scope,
        after ? sql`(${tasks.dueAt}, ${tasks.id}) > (${after.dueAt}::timestamptz, ${after.id}::uuid)` : undefined,
      ),
    )
    .orderBy(asc(tasks.dueAt), asc(tasks.id))
    .limit(limit);
}

/** Optimistic update: applies only at the expected version; undefined means the version moved. */
export async function updateTask(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<TaskInsert>,
): Promise<TaskRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(tasks)
      .set({ ...patch, version: sql`${tasks.version} + 1` })
      .where(and(eq(tasks.tenantId, tenantId), eq(tasks.id, id), eq(tasks.version, expectedVersion)))
      .returning()
  )[0];
}

/** Open tasks of one assignee due before a moment, latest due first; keyset on (due_at, id) descending. */
export async function listDueOfAssignee(
  ctx: Ctx,
  userId: string,
  dueBefore: Date,
  limit: number,
  before?: { dueAt: string; id: string },
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(tasks)
    .where(
      and(
        eq(tasks.tenantId, tenantId),
        eq(tasks.assigneeUserId, userId),
        eq(tasks.status, 'open'),
        lt(tasks.dueAt, dueBefore),
        before ? sql`(${tasks.dueAt}, ${tasks.id}) < (${before.dueAt}::timestamptz, ${before.id}::uuid)` : undefined,
      ),
    )
    .orderBy(sql`${tasks.dueAt} desc`, sql`${tasks.id} desc`)
    .limit(limit);
}
