import type { SQL } from 'drizzle-orm';
import type { Ctx } from '../../../platform/context.ts';
import { conflict, notFound, preconditionFailed, validationFailed } from '../../../platform/errors.ts';
import { newId } from '../../../platform/ids.ts';
import { decodeCursor, toPage } from '../../../platform/pagination.ts';
import { appendEvent } from '../../events/index.ts';
import { recordAudit, userExists } from '../../identity/index.ts';
import { checkingReferences, type ReferencePaths } from '../deals/references.ts';
import type { TaskInput, TaskListQuery, TaskPatch, TaskView } from './contracts.ts';
import * as repo from './repository.ts';

const TASK_REFS: ReferencePaths = [
  [/^tasks_lead_fk/, 'leadId'],
  [/^tasks_tenant_id_person_id/, 'personId'],
  [/^tasks_opportunity_fk/, 'opportunityId'],
  [/^tasks_project_fk/, 'projectId'],
  [/^tasks_assignee_fk/, 'assigneeUserId'],
];

function scopeOf(ctx: Ctx): SQL | undefined {
  switch (ctx.actor.scope) {
    case 'all':
    case 'team':
      return undefined;
    case 'own':
      return repo.ownTasks(ctx.actor.userId);
    case 'installer':
      return repo.noTasks();
  }
}

export const taskView = (t: repo.TaskRow, now = new Date()): TaskView => ({
  id: t.id,
  type: t.type,
  title: t.title,
  status: t.status,
  dueAt: t.dueAt.toISOString(),
  overdue: t.status === 'open' && t.dueAt < now,
  assigneeUserId: t.assigneeUserId,
  leadId: t.leadId,
  personId: t.personId,
  opportunityId: t.opportunityId,
  projectId: t.projectId,
  notes: t.notes,
  createdByUserId: t.createdByUserId,
  completedAt: t.completedAt?.toISOString() ?? null,
  version: t.version,
  createdAt: t.createdAt.toISOString(),
});

async function getTaskRow(ctx: Ctx, id: string, forUpdate = false) {
  const t = await repo.findTaskById(ctx, id, scopeOf(ctx), forUpdate);
  if (!t) throw notFound('task.not_found', 'The task does not exist.');
  return t;
}

export async function getTask(ctx: Ctx, id: string) {
  return taskView(await getTaskRow(ctx, id));
}

/** Lists; `mine` is the caller's open tasks (another status when asked), `overdue` open and past due. */
export async function listTasks(ctx: Ctx, q: TaskListQuery) {
  const filter = { ...q };
  if (q.mine) {
    const me = ctx.actor.userId;
    if (!me) throw validationFailed([{ path: 'query.mine', message: 'the credential has no user' }]);
    if (q.assigneeUserId && q.assigneeUserId !== me) {
      throw validationFailed([{ path: 'query.assigneeUserId', message: 'conflicts with mine=true' }]);
    }
    filter.assigneeUserId = me;
    filter.status = q.status ?? 'open';
  }
  const after = q.cursor ? (decodeCursor(ctx.tenantId, 'tasks', q.cursor) as [string, string]) : undefined;
  const now = new Date();
  const found = await repo.listTasks(
    ctx,
    filter,
    scopeOf(ctx),
    now,
    q.limit + 1,
    after ? { dueAt: after[0], id: after[1] } : undefined,
  );
  const page = toPage(ctx.tenantId, 'tasks', found, q.limit, (r) => [r.dueAt.toISOString(), r.id]);
  return { data: page.data.map((t) => taskView(t, now)), nextCursor: page.nextCursor };
}

async function requireAssignee(ctx: Ctx, userId: string) {
  if (!(await userExists(ctx, userId))) {
    throw validationFailed([{ path: 'assigneeUserId', message: 'no active user with this id' }]);
  }
}

export async function createTask(ctx: Ctx, input: TaskInput): Promise<TaskView> {
  if (input.assigneeUserId) await requireAssignee(ctx, input.assigneeUserId);
  const created = await checkingReferences(TASK_REFS, async () => {
    const t = await repo.insertTask(ctx, {
      id: newId(),
      type: input.type,
      title: input.title,
      dueAt: new Date(input.dueAt),
      assigneeUserId: input.assigneeUserId ?? ctx.actor.userId,
      leadId: input.leadId ?? null,
      personId: input.personId ?? null,
      opportunityId: input.opportunityId ?? null,
      projectId: input.projectId ?? null,
      notes: input.notes ?? null,
      createdByUserId: ctx.actor.userId,
    });
    await repo.checkDeferredReferencesNow(ctx);
    return t;
  });
  await recordAudit(ctx, {
    action: 'task.created',
    entityType: 'task',
    entityId: created.id,
    changedFields: Object.keys(input),
  });
  await appendEvent(ctx, {
    type: 'task.created',
    entityType: 'task',
    entityId: created.id,
    data: { type: created.type, assigneeUserId: created.assigneeUserId, dueAt: created.dueAt.toISOString() },
  });
  return taskView(created);
}

export async function updateTask(
  ctx: Ctx,
  id: string,
  ifMatch: number | undefined,
  body: TaskPatch,
): Promise<TaskView> {
  const t = await getTaskRow(ctx, id);
  if (ifMatch !== undefined && ifMatch !== t.version) throw preconditionFailed();
  if (body.assigneeUserId) await requireAssignee(ctx, body.assigneeUserId);
  const { dueAt, ...rest } = body;
  const updated = await checkingReferences(TASK_REFS, async () => {
    const u = await repo.updateTask(ctx, id, t.version, {
      ...rest,
      ...(dueAt !== undefined ? { dueAt: new Date(dueAt) } : {}),
    });
    await repo.checkDeferredReferencesNow(ctx);
    return u;
  });
  if (!updated) throw preconditionFailed();
  const changed = Object.keys(body);
  await recordAudit(ctx, { action: 'task.updated', entityType: 'task', entityId: id, changedFields: changed });
  await appendEvent(ctx, { type: 'task.updated', entityType: 'task', entityId: id, data: { changedFields: changed } });
  return taskView(updated);
}

/** Only an open task can be completed; a done or cancelled one is a 409. */
export async function completeTask(ctx: Ctx, id: string, input: { notes?: string } = {}, ifMatch?: number) {
  const t = await getTaskRow(ctx, id, true);
  if (ifMatch !== undefined && ifMatch !== t.version) throw preconditionFailed();
  if (t.status !== 'open') throw conflict('task.not_open', `The task is ${t.status}.`, { taskStatus: t.status });
  const updated = await repo.updateTask(ctx, id, t.version, {
    status: 'done',
    completedAt: new Date(),
    ...(input.notes !== undefined ? { notes: input.notes } : {}),
  });
  if (!updated) throw preconditionFailed();
  await recordAudit(ctx, {
    action: 'task.completed',
    entityType: 'task',
    entityId: id,
    changedFields: ['status', 'completedAt', ...(input.notes !== undefined ? ['notes'] : [])],
  });
  await appendEvent(ctx, {
    type: 'task.completed',
    entityType: 'task',
    entityId: id,
    data: { type: updated.type, leadId: updated.leadId },
  });
  return taskView(updated);
}

/** Reminders for the operator inbox: the user's open tasks due before `dueBefore` (overdue included), latest due first. */
export async function dueRemindersOf(
  ctx: Ctx,
  userId: string,
  dueBefore: Date,
  limit: number,
  before?: { dueAt: string; id: string },
): Promise<TaskView[]> {
  const now = new Date();
  return (await repo.listDueOfAssignee(ctx, userId, dueBefore, limit, before)).map((t) => taskView(t, now));
}
