import type { Ctx } from '../../platform/context.ts';
import { actorId } from '../../platform/context.ts';
import { pipelined } from '../../platform/db.ts';
import { conflict, notFound, preconditionFailed } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import { appendEvent } from '../events/index.ts';
import { recordAudit } from '../identity/index.ts';
import type { RoutingInstaller } from '../installers/index.ts';
import { decide, type EngineCandidate, type RoutingMode, type RoutingStrategy } from './engine.ts';
import * as repo from './repository.ts';
import type { AssignmentStatus, CandidateRecord } from './schema.ts';

export const ACTIVE_STATUSES: AssignmentStatus[] = [
  'offered',
  'accepted',
  'contacted',
  'quoted',
  'won',
  'install_scheduled',
  'installed',
];
const WON_STATUSES: AssignmentStatus[] = ['won', 'install_scheduled', 'installed'];

export interface RouteInput {
  leadId: string;
  mode: RoutingMode;
  strategy: RoutingStrategy;
  slots: number;
  service: string | null;
  regionId: string | null;
  /** Installers covering the lead's region, plus any manual picks. */
  installers: RoutingInstaller[];
  coveringIds: Set<string>;
  /** When the lead's consent names installers, only those may receive it. */
  consentInstallerIds: string[] | null;
  satisfaction: Map<string, number>;
  trigger: 'staff' | 'intake' | 'reroute';
  offerSlaMinutes: number;
  now?: Date;
}

export interface AssignmentView {
  id: string;
  leadId: string;
  installerId: string;
  decisionId: string;
  status: AssignmentStatus;
  offeredAt: string;
  expiresAt: string;
  respondedAt: string | null;
  quote: { amount: number; currency: string } | null;
  installScheduledFor: string | null;
  installedAt: string | null;
  version: number;
  updatedAt: string;
}

export const assignmentView = (a: repo.AssignmentRow): AssignmentView => ({
  id: a.id,
  leadId: a.leadId,
  installerId: a.installerId,
  decisionId: a.decisionId,
  status: a.status,
  offeredAt: a.offeredAt.toISOString(),
  expiresAt: a.expiresAt.toISOString(),
  respondedAt: a.respondedAt?.toISOString() ?? null,
  quote: a.quoteAmount != null && a.quoteCurrency ? { amount: a.quoteAmount, currency: a.quoteCurrency } : null,
  installScheduledFor: a.installScheduledFor?.toISOString() ?? null,
  installedAt: a.installedAt?.toISOString() ?? null,
  version: a.version,
  updatedAt: a.updatedAt.toISOString(),
});

export const decisionView = (d: repo.DecisionRow) => ({
  id: d.id,
  leadId: d.leadId,
  mode: d.mode,
  strategy: d.strategy,
  trigger: d.trigger,
  regionId: d.regionId,
  outcome: d.outcome,
  candidates: d.candidates,
  decidedBy: d.decidedByUserId,
  createdAt: d.createdAt.toISOString(),
});

/**
 * The decision itself: lock the lead and the candidates, count their usage against caps under the
 * lock, rank. Nothing is written; decideAndAssign records and applies it. A preview (`lock: false`)
 * runs the very same computation as a plain read: caps are counted, not reserved.
 */
export async function rankCandidates(
  ctx: Ctx,
  input: RouteInput,
  { lock = true }: { lock?: boolean } = {},
): Promise<CandidateRecord[]> {
  const now = input.now ?? new Date();
  const ids = input.installers.map((i) => i.id).sort();
  if (lock) await repo.lockForRouting(ctx, input.leadId, ids);
  const [stats, assigned] = await pipelined([
    repo.installerStats(ctx, ids, now),
    repo.installerIdsAssignedToLead(ctx, input.leadId),
  ]);
  const consent = input.consentInstallerIds ? new Set(input.consentInstallerIds) : null;
  const candidates: EngineCandidate[] = input.installers.map((installer) => {
    const s = stats.get(installer.id);
    const decided = (s?.won ?? 0) + (s?.lost ?? 0);
    return {
      installer,
      covers: input.coveringIds.has(installer.id),
      alreadyAssigned: assigned.has(installer.id),
      consented: consent ? consent.has(installer.id) : true,
      usage: { day: s?.day ?? 0, week: s?.week ?? 0, month: s?.month ?? 0 },
      lastAssignedAt: s?.last_at ? s.last_at.getTime() : null,
      satisfaction: input.satisfaction.get(installer.id) ?? null,
      winRate: decided ? (s?.won ?? 0) / decided : null,
    };
  });
  return decide({ mode: input.mode, strategy: input.strategy, slots: input.slots, service: input.service, candidates });
}

/**
 * One routing decision in the caller's transaction: rank under the locks, record the decision with
 * every candidate, create the offers.
 */
export async function decideAndAssign(ctx: Ctx, input: RouteInput) {
  const now = input.now ?? new Date();
  const records = await rankCandidates(ctx, { ...input, now });
  const selected = records.filter((r) => r.selected);
  const decision = await repo.insertDecision(ctx, {
    id: newId(),
    leadId: input.leadId,
    mode: input.mode,
    strategy: input.strategy,
    trigger: input.trigger,
    regionId: input.regionId,
    outcome: selected.length
      ? 'assigned'
      : input.regionId || input.mode === 'manual'
        ? 'no_candidates'
        : 'not_serviceable',
    candidates: records,
    decidedByUserId: ctx.actor.userId,
    createdAt: now,
  });
  const expiresAt = new Date(now.getTime() + input.offerSlaMinutes * 60_000);
  const assignments = await repo.insertAssignments(
    ctx,
    selected.map((r) => ({
      id: newId(),
      leadId: input.leadId,
      installerId: r.installerId,
      decisionId: decision.id,
      status: 'offered' as const,
      offeredAt: now,
      expiresAt,
    })),
  );
  await repo.insertEvents(
    ctx,
    assignments.map((a) => ({
      id: newId(),
      assignmentId: a.id,
      fromStatus: null,
      toStatus: 'offered' as const,
      actorKind: ctx.actor.kind,
      actorId: actorId(ctx.actor),
      at: now,
    })),
  );
  await recordAudit(ctx, {
    action: 'routing.decided',
    entityType: 'lead',
    entityId: input.leadId,
    changedFields: ['assignments'],
  });
  await appendEvent(ctx, {
    type: 'routing.decided',
    entityType: 'lead',
    entityId: input.leadId,
    data: {
      decisionId: decision.id,
      mode: input.mode,
      strategy: input.strategy,
      selected: selected.map((s) => s.installerId),
    },
  });
  for (const a of assignments) {
    await appendEvent(ctx, {
      type: 'assignment.offered',
      entityType: 'assignment',
      entityId: a.id,
      data: { leadId: a.leadId, installerId: a.installerId, expiresAt: a.expiresAt.toISOString() },
    });
  }
  return { decision: decisionView(decision), assignments: assignments.map(assignmentView) };
}

// ---------- assignment lifecycle ----------

export const ASSIGNMENT_ACTIONS = [
  'accept',
  'decline',
  'contact',
  'quote',
  'win',
  'lose',
  'schedule-install',
  'confirm-install',
] as const;
export type AssignmentAction = (typeof ASSIGNMENT_ACTIONS)[number] | 'expire';

const ACTIONS: Record<AssignmentAction, { from: AssignmentStatus[]; to: AssignmentStatus }> = {
  accept: { from: ['offered'], to: 'accepted' },
  decline: { from: ['offered'], to: 'declined' },
  expire: { from: ['offered'], to: 'expired' },
  contact: { from: ['accepted'], to: 'contacted' },
  quote: { from: ['contacted'], to: 'quoted' },
  win: { from: ['quoted'], to: 'won' },
  lose: { from: ['accepted', 'contacted', 'quoted'], to: 'lost' },
  'schedule-install': { from: ['won'], to: 'install_scheduled' },
  'confirm-install': { from: ['install_scheduled'], to: 'installed' },
};

export interface ActionInput {
  note?: string;
  quote?: { amount: number; currency: string };
  scheduledFor?: string;
  installedAt?: string;
}

/** Installer-partner users reach only their installer's assignments; others in scope see all. */
const installerScope = (ctx: Ctx) =>
  ctx.actor.scope === 'installer' ? (ctx.actor.installerId ?? '00000000-0000-0000-0000-000000000000') : null;

export async function getAssignment(ctx: Ctx, id: string) {
  const a = await repo.findAssignment(ctx, id, installerScope(ctx));
  if (!a) throw notFound('assignment.not_found', 'The assignment does not exist.');
  return a;
}

export async function applyAction(
  ctx: Ctx,
  id: string,
  action: AssignmentAction,
  input: ActionInput = {},
  now = new Date(),
) {
  const current = await repo.findAssignment(ctx, id, installerScope(ctx), true);
  if (!current) throw notFound('assignment.not_found', 'The assignment does not exist.');
  const rule = ACTIONS[action];
  const invalid = (detail?: string) =>
    conflict(
      'assignment.invalid_transition',
      detail ?? `'${action}' is not possible for an assignment that is ${current.status}.`,
      {
        assignmentStatus: current.status,
        action,
      },
    );
  if (!rule.from.includes(current.status)) throw invalid();
  if (action === 'accept' && current.expiresAt <= now) throw invalid('The offer has expired.');
  if (action === 'expire' && current.expiresAt > now) throw invalid('The offer has not expired yet.');
  const patch: Partial<repo.AssignmentRow> = { status: rule.to };
  if (action === 'accept' || action === 'decline') patch.respondedAt = now;
  if (action === 'quote' && input.quote) {
    patch.quoteAmount = input.quote.amount;
    patch.quoteCurrency = input.quote.currency;
  }
  if (action === 'schedule-install')
    patch.installScheduledFor = input.scheduledFor ? new Date(input.scheduledFor) : null;
  if (action === 'confirm-install') patch.installedAt = input.installedAt ? new Date(input.installedAt) : now;
  const updated = await repo.updateAssignment(ctx, id, current.version, patch);
  if (!updated) throw preconditionFailed();
  await repo.insertEvents(ctx, [
    {
      id: newId(),
      assignmentId: id,
      fromStatus: current.status,
      toStatus: rule.to,
      actorKind: ctx.actor.kind,
      actorId: actorId(ctx.actor),
      note: input.note ?? null,
      at: now,
    },
  ]);
  await recordAudit(ctx, {
    action: `assignment.${rule.to}`,
    entityType: 'assignment',
    entityId: id,
    changedFields: Object.keys(patch),
  });
  await appendEvent(ctx, {
    type: `assignment.${rule.to}`,
    entityType: 'assignment',
    entityId: id,
    data: { leadId: updated.leadId, installerId: updated.installerId, from: current.status },
  });
  return assignmentView(updated);
}

/** True when the lead has assignments and every one of them ended without a win. */
export async function allEndedWithoutWin(ctx: Ctx, leadId: string) {
  const all = await repo.assignmentsOfLead(ctx, leadId);
  return all.length > 0 && all.every((a) => !ACTIVE_STATUSES.includes(a.status) && !WON_STATUSES.includes(a.status));
}

export async function assignmentsForLead(ctx: Ctx, leadId: string) {
  const all = await repo.assignmentsOfLead(ctx, leadId);
  const events = await repo.listEvents(
    ctx,
    all.map((a) => a.id),
  );
  return all.map((a) => ({
    ...assignmentView(a),
    events: events
      .filter((e) => e.assignmentId === a.id)
      .map((e) => ({
        fromStatus: e.fromStatus,
        toStatus: e.toStatus,
        actorKind: e.actorKind,
        actorId: e.actorId,
        note: e.note,
        at: e.at.toISOString(),
      })),
  }));
}

export async function listAssignments(
  ctx: Ctx,
  q: { installerId?: string; status?: string; leadId?: string; limit: number; cursor?: string },
) {
  const scope = installerScope(ctx);
  if (scope && q.installerId && q.installerId !== scope) return { data: [], nextCursor: null };
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'assignments', q.cursor)[0] as string) : undefined;
  const found = await repo.listAssignments(ctx, { ...q, installerId: scope ?? q.installerId }, q.limit + 1, before);
  const page = toPage(ctx.tenantId, 'assignments', found, q.limit, (r) => [r.id]);
  return { data: page.data.map(assignmentView), nextCursor: page.nextCursor };
}

export async function listDecisions(ctx: Ctx, leadId: string) {
  return (await repo.listDecisions(ctx, leadId)).map(decisionView);
}

export { installerScope };
