import type { SQL } from 'drizzle-orm';
import type { Ctx } from '../../../platform/context.ts';
import {
  AppError,
  conflict,
  dbConstraint,
  dbErrorCode,
  type FieldError,
  isUniqueViolation,
  notFound,
  preconditionFailed,
  validationFailed,
} from '../../../platform/errors.ts';
import { newId } from '../../../platform/ids.ts';
import { decodeCursor, toPage } from '../../../platform/pagination.ts';
import { appendEvent } from '../../events/index.ts';
import { recordAudit, userExists } from '../../identity/index.ts';
import type { PostalAddress } from '../schema.ts';
import type {
  OpportunityInput,
  OpportunityListQuery,
  OpportunityPatch,
  OpportunityView,
  PipelineInput,
  PipelineListQuery,
  PipelinePatch,
  PipelineView,
  ProjectContactInput,
  ProjectInput,
  ProjectListQuery,
  ProjectPatch,
  ProjectView,
  StageChange,
  StageInput,
} from './contracts.ts';
import { checkingReferences, type ReferencePaths } from './references.ts';
import * as repo from './repository.ts';

type Kind = 'sales' | 'delivery';
type Status = 'open' | 'won' | 'lost';
type Page = { limit: number; cursor?: string };

const OPPORTUNITY_REFS: ReferencePaths = [
  [/^opportunities_tenant_id_person_id/, 'personId'],
  [/^opportunities_tenant_id_account_id/, 'accountId'],
  [/^opportunities_lead_fk/, 'leadId'],
  [/^opportunities_owner_fk/, 'ownerUserId'],
  [/^opportunities_tenant_id_pipeline_id/, 'stage'],
];
const PROJECT_REFS: ReferencePaths = [
  [/^projects_tenant_id_account_id/, 'accountId'],
  [/^projects_tenant_id_primary_contact_id/, 'primaryContactId'],
  [/^project_contacts_tenant_id_person_id/, 'primaryContactId'],
  [/^projects_source_lead_fk/, 'sourceLeadId'],
  [/^projects_consultant_fk/, 'consultantUserId'],
  [/^projects_tenant_id_pipeline_id/, 'stage'],
];
const PROJECT_CONTACT_REFS: ReferencePaths = [[/^project_contacts_tenant_id_person_id/, 'personId']];
/** The role a person gets when they become a project's primary contact without being on it yet. */
const PRIMARY_CONTACT_ROLE = 'primary_contact';

// ---------- record scope and views ----------

function scopeOf(ctx: Ctx, own: (userId: string | null) => SQL): SQL | undefined {
  switch (ctx.actor.scope) {
    case 'all':
    case 'team':
      return undefined;
    case 'own':
      return own(ctx.actor.userId);
    case 'installer':
      return repo.noRecords();
  }
}
const opportunityScope = (ctx: Ctx) => scopeOf(ctx, repo.ownOpportunities);
const projectScope = (ctx: Ctx) => scopeOf(ctx, repo.ownProjects);

const moneyOf = (amount: number | null, currency: string | null) =>
  amount != null && currency ? { amount, currency } : null;

const stageView = (s: repo.StageRow) => ({
  key: s.key,
  name: s.name,
  order: s.position,
  probability: s.probability,
  isWon: s.isWon,
  isLost: s.isLost,
});

const pipelineView = (p: repo.PipelineRow, stages: repo.StageRow[]): PipelineView => ({
  id: p.id,
  kind: p.kind,
  name: p.name,
  isDefault: p.isDefault,
  stages: stages.map(stageView),
  version: p.version,
  createdAt: p.createdAt.toISOString(),
});

export const opportunityView = (o: repo.OpportunityRow): OpportunityView => ({
  id: o.id,
  name: o.name,
  personId: o.personId,
  accountId: o.accountId,
  leadId: o.leadId,
  pipelineId: o.pipelineId,
  stage: o.stage,
  status: o.status,
  value: moneyOf(o.valueAmount, o.valueCurrency),
  probability: o.probability,
  expectedCloseDate: o.expectedCloseDate,
  nextAction: o.nextAction,
  ownerUserId: o.ownerUserId,
  version: o.version,
  createdAt: o.createdAt.toISOString(),
  updatedAt: o.updatedAt.toISOString(),
});

export const projectView = (p: repo.ProjectRow): ProjectView => ({
  id: p.id,
  name: p.name,
  type: p.type,
  accountId: p.accountId,
  primaryContactId: p.primaryContactId,
  siteAddress: (p.siteAddress as Record<string, unknown> | null) ?? null,
  pipelineId: p.pipelineId,
  stage: p.stage,
  status: p.status,
  consultantUserId: p.consultantUserId,
  systemSizeKw: p.systemSizeKw == null ? null : Number(p.systemSizeKw),
  contractValue: moneyOf(p.contractValueAmount, p.contractValueCurrency),
  sourceLeadId: p.sourceLeadId,
  version: p.version,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

const contactView = (c: repo.ProjectContactRow) => ({
  projectId: c.projectId,
  personId: c.personId,
  role: c.role,
  isPrimary: c.isPrimary,
  createdAt: c.createdAt.toISOString(),
});

/** A record in a won stage is won, in a lost stage lost, anywhere else open. */
const statusAt = (s: Pick<repo.StageRow, 'isWon' | 'isLost'>): Status => (s.isWon ? 'won' : s.isLost ? 'lost' : 'open');

function checkVersion(row: { version: number }, ifMatch: number | undefined) {
  if (ifMatch !== undefined && ifMatch !== row.version) throw preconditionFailed();
}

async function requireActiveUser(ctx: Ctx, userId: string, path: string) {
  if (!(await userExists(ctx, userId))) throw validationFailed([{ path, message: 'no active user with this id' }]);
}

// ---------- pipelines ----------

interface StageDef {
  key: string;
  name: string;
  probability: number;
  isWon?: boolean;
  isLost?: boolean;
}

/** Defaults for a solar installer (issue 4): every new tenant starts with one pipeline of each kind. */
export const DEFAULT_PIPELINES: { kind: Kind; name: string; stages: StageDef[] }[] = [
  {
    kind: 'sales',
    name: 'Sales',
    stages: [
      { key: 'new', name: 'New', probability: 10 },
      { key: 'site_survey', name: 'Site survey', probability: 30 },
      { key: 'proposal', name: 'Proposal', probability: 60 },
      { key: 'contract_signed', name: 'Contract signed', probability: 100, isWon: true },
      { key: 'lost', name: 'Lost', probability: 0, isLost: true },
    ],
  },
  {
    kind: 'delivery',
    name: 'Delivery',
    stages: [
      { key: 'design', name: 'Design', probability: 0 },
      { key: 'permitting', name: 'Permitting', probability: 0 },
      { key: 'installation', name: 'Installation', probability: 0 },
      { key: 'inspection', name: 'Inspection', probability: 0 },
      { key: 'grid_connection', name: 'Grid connection', probability: 0 },
      { key: 'complete', name: 'Complete', probability: 100, isWon: true },
    ],
  },
];

/** Stage rows in list order, or at the positions they carry (stages added by an edit). */
const stageRows = (pipelineId: string, stages: (StageDef & { position?: number })[]) =>
  stages.map((s, i) => ({
    pipelineId,
    key: s.key,
    name: s.name,
    position: s.position ?? i + 1,
    probability: s.probability,
    isWon: s.isWon ?? false,
    isLost: s.isLost ?? false,
  }));

export async function seedDefaultPipelines(ctx: Ctx) {
  for (const def of DEFAULT_PIPELINES) {
    const id = newId();
    await repo.insertPipeline(ctx, { id, kind: def.kind, name: def.name, isDefault: true });
    await repo.insertStages(ctx, stageRows(id, def.stages));
  }
}

function checkStageKeys(stages: StageInput[]) {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  stages.forEach((s, i) => {
    if (seen.has(s.key)) errors.push({ path: `stages.${i}.key`, message: `duplicate stage key '${s.key}'` });
    seen.add(s.key);
  });
  if (errors.length) throw validationFailed(errors);
}

/** Two requests making a pipeline the default at once: the partial unique index lets one win. */
async function guardDefault<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err) && dbConstraint(err) === 'pipelines_one_default_per_kind_key') {
      throw conflict('concurrency.retry', 'The default pipeline changed concurrently; retry.');
    }
    throw err;
  }
}

export async function getPipeline(ctx: Ctx, id: string): Promise<PipelineView> {
  const p = await repo.findPipelineById(ctx, id);
  if (!p) throw notFound('pipeline.not_found', 'The pipeline does not exist.');
  return pipelineView(p, await repo.listStages(ctx, [id]));
}

export async function listPipelines(ctx: Ctx, q: PipelineListQuery) {
  const after = q.cursor ? (decodeCursor(ctx.tenantId, 'pipelines', q.cursor)[0] as string) : undefined;
  const found = await repo.listPipelines(ctx, q, q.limit + 1, after);
  const page = toPage(ctx.tenantId, 'pipelines', found, q.limit, (r) => [r.id]);
  const stages = await repo.listStages(
    ctx,
    page.data.map((p) => p.id),
  );
  return {
    data: page.data.map((p) =>
      pipelineView(
        p,
        stages.filter((s) => s.pipelineId === p.id),
      ),
    ),
    nextCursor: page.nextCursor,
  };
}

export async function createPipeline(ctx: Ctx, input: PipelineInput): Promise<PipelineView> {
  checkStageKeys(input.stages);
  const id = newId();
  await guardDefault(async () => {
    if (input.isDefault) await repo.clearDefaultPipeline(ctx, input.kind);
    await repo.insertPipeline(ctx, { id, kind: input.kind, name: input.name, isDefault: input.isDefault });
  });
  await repo.insertStages(ctx, stageRows(id, input.stages));
  await recordAudit(ctx, {
    action: 'pipeline.created',
    entityType: 'pipeline',
    entityId: id,
    changedFields: ['kind', 'name', 'isDefault', 'stages'],
  });
  await appendEvent(ctx, {
    type: 'pipeline.created',
    entityType: 'pipeline',
    entityId: id,
    data: { kind: input.kind, isDefault: input.isDefault, stages: input.stages.map((s) => s.key) },
  });
  return getPipeline(ctx, id);
}

/**
 * Rename, make default, or replace the stage list (add, reorder, rename, probability, won/lost).
 * A removed stage that records use needs `targetStage`: they move there first, each move recorded like
 * any stage change, so no record is ever orphaned (the composite foreign key guarantees it as well).
 */
export async function updatePipeline(
  ctx: Ctx,
  id: string,
  ifMatch: number | undefined,
  body: PipelinePatch,
): Promise<PipelineView> {
  // The row lock serializes stage edits of one pipeline.
  const p = await repo.findPipelineById(ctx, id, true);
  if (!p) throw notFound('pipeline.not_found', 'The pipeline does not exist.');
  checkVersion(p, ifMatch);
  if (body.targetStage !== undefined && !body.stages) {
    throw validationFailed([{ path: 'targetStage', message: 'only meaningful together with stages' }]);
  }
  const changed: string[] = [];
  const patch: { name?: string; isDefault?: boolean } = {};
  let removed: string[] = [];
  let moved = 0;
  if (body.stages) {
    ({ removed, moved } = await replaceStages(ctx, p, body.stages, body.targetStage));
    changed.push('stages');
  }
  if (body.name !== undefined && body.name !== p.name) {
    patch.name = body.name;
    changed.push('name');
  }
  const updated = await guardDefault(async () => {
    if (body.isDefault && !p.isDefault) {
      await repo.clearDefaultPipeline(ctx, p.kind);
      patch.isDefault = true;
      changed.push('isDefault');
    }
    return repo.updatePipeline(ctx, id, p.version, patch);
  });
  if (!updated) throw preconditionFailed();
  await recordAudit(ctx, { action: 'pipeline.updated', entityType: 'pipeline', entityId: id, changedFields: changed });
  await appendEvent(ctx, {
    type: 'pipeline.updated',
    entityType: 'pipeline',
    entityId: id,
    data: { changedFields: changed, removedStages: removed, targetStage: body.targetStage ?? null, moved },
  });
  return pipelineView(updated, await repo.listStages(ctx, [id]));
}

/** The new stage list: added, updated in place, and removed (their records moved to the target first). */
async function replaceStages(ctx: Ctx, p: repo.PipelineRow, stages: StageInput[], targetStage: string | undefined) {
  checkStageKeys(stages);
  const current = await repo.listStages(ctx, [p.id]);
  const currentByKey = new Map(current.map((s) => [s.key, s]));
  const next = stages.map((s, i) => ({ ...s, position: i + 1 }));
  const target = targetStage === undefined ? undefined : next.find((s) => s.key === targetStage);
  if (targetStage !== undefined && !target) {
    throw validationFailed([{ path: 'targetStage', message: 'must be one of the stages the pipeline keeps' }]);
  }
  const removed = current.filter((s) => !next.some((n) => n.key === s.key)).map((s) => s.key);
  const usage = await repo.countStageUsage(ctx, p.id, removed);
  if (usage.size && !target) {
    throw conflict(
      'pipeline.stage_in_use',
      `Stage(s) ${[...usage.keys()].join(', ')} still hold records; give a targetStage to move them to.`,
      { stages: Object.fromEntries(usage) },
    );
  }
  await repo.insertStages(
    ctx,
    stageRows(
      p.id,
      next.filter((s) => !currentByKey.has(s.key)),
    ),
  );
  for (const s of next) {
    const before = currentByKey.get(s.key);
    const after = { name: s.name, position: s.position, probability: s.probability, isWon: s.isWon, isLost: s.isLost };
    if (before && Object.entries(after).some(([k, v]) => before[k as keyof typeof after] !== v)) {
      await repo.updateStage(ctx, p.id, s.key, after);
    }
  }
  const moved = usage.size && target ? await moveOutOfStages(ctx, p, [...usage.keys()], target) : 0;
  try {
    await repo.deleteStages(ctx, p.id, removed);
  } catch (err) {
    // A record entered a removed stage after the move (a concurrent stage change): nothing is orphaned.
    if (dbErrorCode(err) === '23503') {
      throw conflict('pipeline.stage_in_use', 'A record entered a removed stage meanwhile; retry the edit.');
    }
    throw err;
  }
  return { removed, moved };
}

/** Moves every opportunity and project out of the removed stages; each move is a recorded stage change. */
async function moveOutOfStages(
  ctx: Ctx,
  p: repo.PipelineRow,
  fromKeys: string[],
  target: StageInput & { position: number },
) {
  const status = statusAt(target);
  const note = `stage removed from pipeline '${p.name}'`;
  let count = 0;
  for (const kind of ['opportunity', 'project'] as const) {
    const moved = await repo.moveRecordsToStage(ctx, kind, p.id, fromKeys, {
      key: target.key,
      status,
      probability: target.probability,
    });
    count += moved.length;
    await repo.insertPipelineEvents(
      ctx,
      moved.map((m) => ({
        id: newId(),
        entityType: kind,
        entityId: m.id,
        pipelineId: p.id,
        fromStage: m.from_stage,
        toStage: target.key,
        note,
        changedByUserId: ctx.actor.userId,
      })),
    );
    for (const m of moved) {
      await stageChangedEvents(ctx, kind, m.id, { pipelineId: p.id, from: m.from_stage, to: target.key, status });
    }
  }
  return count;
}

/** The outbox event and audit entry of a stage change (the history row is written by the caller). */
async function stageChangedEvents(
  ctx: Ctx,
  kind: repo.DealKind,
  id: string,
  data: { pipelineId: string; from: string; to: string; status: Status },
) {
  await Promise.all([
    appendEvent(ctx, { type: `${kind}.stage_changed`, entityType: kind, entityId: id, data }),
    recordAudit(ctx, {
      action: `${kind}.stage_changed`,
      entityType: kind,
      entityId: id,
      changedFields: ['stage', 'status'],
    }),
  ]);
}

/** The pipeline (of the given kind) and stage a new record starts in: given ones are checked, else the defaults. */
async function startingStage(ctx: Ctx, kind: Kind, pipelineId: string | undefined, stageKey: string | undefined) {
  const p = pipelineId ? await repo.findPipelineById(ctx, pipelineId) : await repo.findDefaultPipeline(ctx, kind);
  if (!p) {
    if (pipelineId) throw validationFailed([{ path: 'pipelineId', message: 'no such pipeline in this tenant' }]);
    throw conflict('pipeline.missing_default', `The tenant has no default ${kind} pipeline.`);
  }
  if (p.kind !== kind) throw validationFailed([{ path: 'pipelineId', message: `must be a ${kind} pipeline` }]);
  const stages = await repo.listStages(ctx, [p.id]);
  const stage = stageKey === undefined ? stages[0] : stages.find((s) => s.key === stageKey);
  if (!stage) throw unknownStage(stages);
  return { pipeline: p, stage };
}

const unknownStage = (stages: repo.StageRow[]) =>
  validationFailed([
    { path: 'stage', message: `not a stage of this pipeline (one of: ${stages.map((s) => s.key).join(', ')})` },
  ]);

// ---------- opportunities ----------

async function getOpportunityRow(ctx: Ctx, id: string, forUpdate = false) {
  const o = await repo.findOpportunityById(ctx, id, opportunityScope(ctx), forUpdate);
  if (!o) throw notFound('opportunity.not_found', 'The opportunity does not exist.');
  return o;
}

export async function getOpportunity(ctx: Ctx, id: string) {
  return opportunityView(await getOpportunityRow(ctx, id));
}

export async function listOpportunities(ctx: Ctx, q: OpportunityListQuery) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'opportunities', q.cursor)[0] as string) : undefined;
  const found = await repo.listOpportunities(ctx, q, opportunityScope(ctx), q.limit + 1, before);
  const page = toPage(ctx.tenantId, 'opportunities', found, q.limit, (r) => [r.id]);
  return { data: page.data.map(opportunityView), nextCursor: page.nextCursor };
}

async function insertOpportunity(ctx: Ctx, row: repo.OpportunityInsert, note: string | null) {
  const created = await checkingReferences(OPPORTUNITY_REFS, () => repo.insertOpportunity(ctx, row));
  await Promise.all([
    repo.insertPipelineEvents(ctx, [
      {
        id: newId(),
        entityType: 'opportunity',
        entityId: created.id,
        pipelineId: created.pipelineId,
        fromStage: null,
        toStage: created.stage,
        changedByUserId: ctx.actor.userId,
        note,
      },
    ]),
    recordAudit(ctx, {
      action: 'opportunity.created',
      entityType: 'opportunity',
      entityId: created.id,
      changedFields: Object.keys(row).filter((k) => k !== 'id' && row[k as keyof typeof row] != null),
    }),
    appendEvent(ctx, {
      type: 'opportunity.created',
      entityType: 'opportunity',
      entityId: created.id,
      data: { pipelineId: created.pipelineId, stage: created.stage, leadId: created.leadId },
    }),
  ]);
  return created;
}

export async function createOpportunity(ctx: Ctx, input: OpportunityInput): Promise<OpportunityView> {
  const { pipeline, stage } = await startingStage(ctx, 'sales', input.pipelineId, input.stage);
  if (input.ownerUserId) await requireActiveUser(ctx, input.ownerUserId, 'ownerUserId');
  const created = await insertOpportunity(
    ctx,
    {
      id: newId(),
      name: input.name ?? null,
      personId: input.personId,
      accountId: input.accountId ?? null,
      leadId: input.leadId ?? null,
      pipelineId: pipeline.id,
      stage: stage.key,
      status: statusAt(stage),
      valueAmount: input.value?.amount ?? null,
      valueCurrency: input.value?.currency ?? null,
      probability: input.probability ?? stage.probability,
      expectedCloseDate: input.expectedCloseDate ?? null,
      nextAction: input.nextAction ?? null,
      ownerUserId: input.ownerUserId ?? ctx.actor.userId,
    },
    null,
  );
  return opportunityView(created);
}

export async function updateOpportunity(
  ctx: Ctx,
  id: string,
  ifMatch: number | undefined,
  body: OpportunityPatch,
): Promise<OpportunityView> {
  const o = await getOpportunityRow(ctx, id);
  checkVersion(o, ifMatch);
  if (body.ownerUserId) await requireActiveUser(ctx, body.ownerUserId, 'ownerUserId');
  const { value, ...rest } = body;
  const patch: Partial<repo.OpportunityInsert> = { ...rest };
  if (value !== undefined) {
    patch.valueAmount = value?.amount ?? null;
    patch.valueCurrency = value?.currency ?? null;
  }
  const updated = await checkingReferences(OPPORTUNITY_REFS, () => repo.updateOpportunity(ctx, id, o.version, patch));
  if (!updated) throw preconditionFailed();
  const changed = Object.keys(body);
  await recordAudit(ctx, {
    action: 'opportunity.updated',
    entityType: 'opportunity',
    entityId: id,
    changedFields: changed,
  });
  await appendEvent(ctx, {
    type: 'opportunity.updated',
    entityType: 'opportunity',
    entityId: id,
    data: { changedFields: changed, status: updated.status },
  });
  return opportunityView(updated);
}

/**
 * Moves the opportunity or project to another stage of its pipeline: the row (locked), the
 * append-only history row and the outbox event in the caller's transaction. The status follows the
 * stage (won, lost, else open) and an opportunity takes the stage's probability. Same stage: no change.
 */
export async function changeStage(
  ctx: Ctx,
  kind: repo.DealKind,
  id: string,
  input: StageChange,
  ifMatch?: number,
): Promise<OpportunityView | ProjectView> {
  const row = kind === 'opportunity' ? await getOpportunityRow(ctx, id, true) : await getProjectRow(ctx, id, true);
  checkVersion(row, ifMatch);
  const stages = await repo.listStages(ctx, [row.pipelineId]);
  const to = stages.find((s) => s.key === input.stage);
  if (!to) throw unknownStage(stages);
  const view = (r: repo.OpportunityRow | repo.ProjectRow) =>
    kind === 'opportunity' ? opportunityView(r as repo.OpportunityRow) : projectView(r as repo.ProjectRow);
  if (to.key === row.stage) return view(row);
  const status = statusAt(to);
  const refs: ReferencePaths = [[/pipeline_id_stage/, 'stage']];
  const updated = await checkingReferences<repo.OpportunityRow | repo.ProjectRow | undefined>(refs, () =>
    kind === 'opportunity'
      ? repo.updateOpportunity(ctx, id, row.version, { stage: to.key, status, probability: to.probability })
      : repo.updateProject(ctx, id, row.version, { stage: to.key, status }),
  );
  if (!updated) throw preconditionFailed();
  await Promise.all([
    repo.insertPipelineEvents(ctx, [
      {
        id: newId(),
        entityType: kind,
        entityId: id,
        pipelineId: row.pipelineId,
        fromStage: row.stage,
        toStage: to.key,
        note: input.note ?? null,
        changedByUserId: ctx.actor.userId,
      },
    ]),
    stageChangedEvents(ctx, kind, id, { pipelineId: row.pipelineId, from: row.stage, to: to.key, status }),
  ]);
  return view(updated);
}

export async function listStageHistory(ctx: Ctx, kind: repo.DealKind, id: string, q: Page) {
  if (kind === 'opportunity') await getOpportunityRow(ctx, id);
  else await getProjectRow(ctx, id);
  const list = `${kind}-stages:${id}`;
  const after = q.cursor ? (decodeCursor(ctx.tenantId, list, q.cursor)[0] as string) : undefined;
  const found = await repo.listPipelineEvents(ctx, kind, id, q.limit + 1, after);
  const page = toPage(ctx.tenantId, list, found, q.limit, (r) => [r.id]);
  return {
    data: page.data.map((e) => ({
      pipelineId: e.pipelineId,
      fromStage: e.fromStage,
      toStage: e.toStage,
      changedBy: e.changedByUserId,
      changedAt: e.changedAt.toISOString(),
      note: e.note,
    })),
    nextCursor: page.nextCursor,
  };
}

// ---------- projects ----------

async function getProjectRow(ctx: Ctx, id: string, forUpdate = false) {
  const p = await repo.findProjectById(ctx, id, projectScope(ctx), forUpdate);
  if (!p) throw notFound('project.not_found', 'The project does not exist.');
  return p;
}

export async function getProject(ctx: Ctx, id: string) {
  return projectView(await getProjectRow(ctx, id));
}

export async function listProjects(ctx: Ctx, q: ProjectListQuery) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'projects', q.cursor)[0] as string) : undefined;
  const found = await repo.listProjects(ctx, q, projectScope(ctx), q.limit + 1, before);
  const page = toPage(ctx.tenantId, 'projects', found, q.limit, (r) => [r.id]);
  return { data: page.data.map(projectView), nextCursor: page.nextCursor };
}

async function insertProject(ctx: Ctx, row: repo.ProjectInsert, note: string | null) {
  const created = await checkingReferences(PROJECT_REFS, async () => {
    const p = await repo.insertProject(ctx, row);
    if (row.primaryContactId) await repo.setPrimaryContact(ctx, p.id, row.primaryContactId, PRIMARY_CONTACT_ROLE);
    return p;
  });
  await Promise.all([
    repo.insertPipelineEvents(ctx, [
      {
        id: newId(),
        entityType: 'project',
        entityId: created.id,
        pipelineId: created.pipelineId,
        fromStage: null,
        toStage: created.stage,
        changedByUserId: ctx.actor.userId,
        note,
      },
    ]),
    recordAudit(ctx, {
      action: 'project.created',
      entityType: 'project',
      entityId: created.id,
      changedFields: Object.keys(row).filter((k) => k !== 'id' && row[k as keyof typeof row] != null),
    }),
    appendEvent(ctx, {
      type: 'project.created',
      entityType: 'project',
      entityId: created.id,
      data: { pipelineId: created.pipelineId, stage: created.stage, leadId: created.sourceLeadId },
    }),
  ]);
  return created;
}

export async function createProject(ctx: Ctx, input: ProjectInput): Promise<ProjectView> {
  const { pipeline, stage } = await startingStage(ctx, 'delivery', input.pipelineId, input.stage);
  if (input.consultantUserId) await requireActiveUser(ctx, input.consultantUserId, 'consultantUserId');
  const created = await insertProject(
    ctx,
    {
      id: newId(),
      name: input.name,
      type: input.type,
      accountId: input.accountId,
      primaryContactId: input.primaryContactId ?? null,
      siteAddress: input.siteAddress ?? null,
      pipelineId: pipeline.id,
      stage: stage.key,
      status: statusAt(stage),
      consultantUserId: input.consultantUserId ?? ctx.actor.userId,
      systemSizeKw: input.systemSizeKw == null ? null : String(input.systemSizeKw),
      contractValueAmount: input.contractValue?.amount ?? null,
      contractValueCurrency: input.contractValue?.currency ?? null,
      sourceLeadId: input.sourceLeadId ?? null,
    },
    null,
  );
  return projectView(created);
}

export async function updateProject(
  ctx: Ctx,
  id: string,
  ifMatch: number | undefined,
  body: ProjectPatch,
): Promise<ProjectView> {
  const p = await getProjectRow(ctx, id, body.primaryContactId !== undefined);
  checkVersion(p, ifMatch);
  if (body.consultantUserId) await requireActiveUser(ctx, body.consultantUserId, 'consultantUserId');
  const { contractValue, systemSizeKw, ...rest } = body;
  const patch: Partial<repo.ProjectInsert> = { ...rest };
  if (contractValue !== undefined) {
    patch.contractValueAmount = contractValue?.amount ?? null;
    patch.contractValueCurrency = contractValue?.currency ?? null;
  }
  if (systemSizeKw !== undefined) patch.systemSizeKw = systemSizeKw == null ? null : String(systemSizeKw);
  const updated = await checkingReferences(PROJECT_REFS, async () => {
    const u = await repo.updateProject(ctx, id, p.version, patch);
    // Setting the primary contact here is a deliberate replacement, not a second primary.
    if (u && body.primaryContactId !== undefined && body.primaryContactId !== p.primaryContactId) {
      await repo.setPrimaryContact(ctx, id, body.primaryContactId, PRIMARY_CONTACT_ROLE);
    }
    return u;
  });
  if (!updated) throw preconditionFailed();
  const changed = Object.keys(body);
  await recordAudit(ctx, { action: 'project.updated', entityType: 'project', entityId: id, changedFields: changed });
  await appendEvent(ctx, {
    type: 'project.updated',
    entityType: 'project',
    entityId: id,
    data: { changedFields: changed, status: updated.status },
  });
  return projectView(updated);
}

// ---------- project contacts ----------

const primaryExists = (primaryContactId: string | null) =>
  conflict('project.primary_contact_exists', 'The project already has a primary contact.', { primaryContactId });

/** A person on a project with a role; at most one primary (partial unique index, checked under the project lock). */
export async function addProjectContact(ctx: Ctx, projectId: string, input: ProjectContactInput) {
  const p = await getProjectRow(ctx, projectId, input.isPrimary);
  if (input.isPrimary) {
    const current = (await repo.findPrimaryContact(ctx, projectId))?.personId ?? p.primaryContactId;
    if (current && current !== input.personId) throw primaryExists(current);
  }
  let contact: repo.ProjectContactRow;
  try {
    contact = await checkingReferences(PROJECT_CONTACT_REFS, () =>
      repo.insertProjectContact(ctx, {
        projectId,
        personId: input.personId,
        role: input.role,
        isPrimary: input.isPrimary,
      }),
    );
  } catch (err) {
    if (!(err instanceof AppError) && isUniqueViolation(err)) {
      if (dbConstraint(err) === 'project_contacts_one_primary_key') throw primaryExists(null);
      throw conflict('project.contact_exists', 'The person is already a contact of this project.', {
        personId: input.personId,
      });
    }
    throw err;
  }
  if (input.isPrimary && p.primaryContactId !== input.personId) {
    const updated = await repo.updateProject(ctx, projectId, p.version, { primaryContactId: input.personId });
    if (!updated) throw preconditionFailed();
  }
  await recordAudit(ctx, {
    action: 'project.contact_added',
    entityType: 'project',
    entityId: projectId,
    changedFields: ['contacts', ...(input.isPrimary ? ['primaryContactId'] : [])],
  });
  await appendEvent(ctx, {
    type: 'project.contact_added',
    entityType: 'project',
    entityId: projectId,
    data: { personId: input.personId, role: input.role, isPrimary: input.isPrimary },
  });
  return contactView(contact);
}

export async function listProjectContacts(ctx: Ctx, projectId: string, q: Page) {
  await getProjectRow(ctx, projectId);
  const list = `project-contacts:${projectId}`;
  const after = q.cursor ? (decodeCursor(ctx.tenantId, list, q.cursor)[0] as string) : undefined;
  const found = await repo.listProjectContacts(ctx, projectId, q.limit + 1, after);
  const page = toPage(ctx.tenantId, list, found, q.limit, (r) => [r.personId]);
  return { data: page.data.map(contactView), nextCursor: page.nextCursor };
}

// ---------- conversion (the lead-conversion workflow) ----------

/** Conversion: a project in the tenant's default delivery pipeline, at its first stage; the person is its primary contact. */
export async function createProjectFromLead(
  ctx: Ctx,
  input: {
    accountId: string;
    personId: string;
    leadId: string;
    reference: string;
    service: string | null;
    siteAddress: PostalAddress | null;
    systemSizeKw: number | null;
  },
) {
  const { pipeline, stage } = await startingStage(ctx, 'delivery', undefined, undefined);
  const type = input.service ?? 'solar_pv';
  const created = await insertProject(
    ctx,
    {
      id: newId(),
      name: `${type.replace(/_/g, ' ')} ${input.reference}`,
      type,
      accountId: input.accountId,
      primaryContactId: input.personId,
      siteAddress: input.siteAddress,
      pipelineId: pipeline.id,
      stage: stage.key,
      status: statusAt(stage),
      consultantUserId: ctx.actor.userId,
      systemSizeKw: input.systemSizeKw == null ? null : String(input.systemSizeKw),
      sourceLeadId: input.leadId,
    },
    `created from lead ${input.reference}`,
  );
  return { id: created.id };
}

/** Conversion (tenant setting `opportunity`): an open opportunity in the default sales pipeline. */
export async function createOpportunityFromLead(
  ctx: Ctx,
  input: {
    accountId: string;
    personId: string;
    leadId: string;
    reference: string;
    value: { amount: number; currency: string } | null;
  },
) {
  const { pipeline, stage } = await startingStage(ctx, 'sales', undefined, undefined);
  const created = await insertOpportunity(
    ctx,
    {
      id: newId(),
      name: `Opportunity ${input.reference}`,
      personId: input.personId,
      accountId: input.accountId,
      leadId: input.leadId,
      pipelineId: pipeline.id,
      stage: stage.key,
      status: statusAt(stage),
      probability: stage.probability,
      valueAmount: input.value?.amount ?? null,
      valueCurrency: input.value?.currency ?? null,
      ownerUserId: ctx.actor.userId,
    },
    `created from lead ${input.reference}`,
  );
  return { id: created.id };
}
