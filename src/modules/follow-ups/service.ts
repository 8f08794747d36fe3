import type { Ctx } from '../../platform/context.ts';
import { conflict, notFound, preconditionFailed } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import { appendEvent } from '../events/index.ts';
import { recordAudit } from '../identity/index.ts';
import type { FollowUpView, PatchFollowUpInput } from './contracts.ts';
import * as repo from './repository.ts';
import type { FollowUpStatus } from './schema.ts';

const FLOW: Record<FollowUpStatus, FollowUpStatus[]> = {
  scheduled: ['sent', 'responded', 'escalated', 'closed'],
  sent: ['responded', 'escalated', 'closed'],
  responded: ['escalated', 'closed'],
  escalated: ['closed'],
  closed: [],
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const toView = (f: repo.FollowUpRow): FollowUpView => ({
  id: f.id,
  leadId: f.leadId,
  assignmentId: f.assignmentId,
  installerId: f.installerId,
  kind: f.kind,
  status: f.status,
  dueAt: f.dueAt.toISOString(),
  satisfactionScore: f.satisfactionScore,
  nps: f.nps,
  hasIssue: f.hasIssue,
  issue: f.hasIssue ? { category: f.issueCategory, severity: f.issueSeverity, resolution: f.issueResolution } : null,
  notes: f.notes,
  respondedAt: iso(f.respondedAt),
  closedAt: iso(f.closedAt),
  version: f.version,
  createdAt: f.createdAt.toISOString(),
  updatedAt: f.updatedAt.toISOString(),
});

const installerScope = (ctx: Ctx) =>
  ctx.actor.scope === 'installer' ? (ctx.actor.installerId ?? '00000000-0000-0000-0000-000000000000') : null;

/** Called only when an install is confirmed: a satisfaction survey, due after the tenant's delay. */
export async function scheduleAfterInstall(
  ctx: Ctx,
  input: { leadId: string; assignmentId: string; installerId: string; installedAt: Date; delayDays: number },
) {
  const f = await repo.insertFollowUp(ctx, {
    id: newId(),
    leadId: input.leadId,
    assignmentId: input.assignmentId,
    installerId: input.installerId,
    kind: 'satisfaction_survey',
    dueAt: new Date(input.installedAt.getTime() + input.delayDays * 86_400_000),
  });
  if (!f) return undefined;
  await recordAudit(ctx, {
    action: 'followup.created',
    entityType: 'follow_up',
    entityId: f.id,
    changedFields: ['kind', 'dueAt'],
  });
  await appendEvent(ctx, {
    type: 'followup.created',
    entityType: 'follow_up',
    entityId: f.id,
    data: { leadId: f.leadId, assignmentId: f.assignmentId, installerId: f.installerId, kind: f.kind },
  });
  return toView(f);
}

export async function getFollowUp(ctx: Ctx, id: string) {
  const f = await repo.findFollowUp(ctx, id, installerScope(ctx));
  if (!f) throw notFound('follow_up.not_found', 'The follow-up does not exist.');
  return f;
}

export async function listFollowUps(
  ctx: Ctx,
  q: { leadId?: string; status?: string; installerId?: string; limit: number; cursor?: string },
) {
  const scope = installerScope(ctx);
  if (scope && q.installerId && q.installerId !== scope) return { data: [], nextCursor: null };
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'follow-ups', q.cursor)[0] as string) : undefined;
  const found = await repo.listFollowUps(ctx, { ...q, installerId: scope ?? q.installerId }, q.limit + 1, before);
  const page = toPage(ctx.tenantId, 'follow-ups', found, q.limit, (r) => [r.id]);
  return { data: page.data.map(toView), nextCursor: page.nextCursor };
}

/**
 * Records the outcome. A score implies a response; a high or critical issue escalates. Status moves
 * only forward through scheduled → sent → responded → escalated → closed.
 */
export async function recordOutcome(
  ctx: Ctx,
  id: string,
  ifMatch: number | undefined,
  input: PatchFollowUpInput,
  now = new Date(),
) {
  const current = await getFollowUp(ctx, id);
  if (ifMatch !== undefined && ifMatch !== current.version) throw preconditionFailed();
  if (current.status === 'closed') throw conflict('follow_up.closed', 'A closed follow-up cannot change.');
  let status = input.status ?? current.status;
  if (
    !input.status &&
    (input.satisfactionScore !== undefined || input.nps !== undefined) &&
    (status === 'scheduled' || status === 'sent')
  ) {
    status = 'responded';
  }
  const hasIssue = input.hasIssue ?? current.hasIssue;
  const severity = input.issueSeverity !== undefined ? input.issueSeverity : current.issueSeverity;
  if (!input.status && hasIssue && (severity === 'high' || severity === 'critical') && status !== 'closed')
    status = 'escalated';
  if (status !== current.status && !FLOW[current.status].includes(status)) {
    throw conflict('follow_up.invalid_transition', `A follow-up cannot go from '${current.status}' to '${status}'.`, {
      from: current.status,
      to: status,
    });
  }
  const patch: Partial<repo.FollowUpRow> = { ...input, status };
  if (status === 'responded' && !current.respondedAt) patch.respondedAt = now;
  if (status === 'closed') patch.closedAt = now;
  const updated = await repo.updateFollowUp(ctx, id, current.version, patch);
  if (!updated) throw preconditionFailed();
  await recordAudit(ctx, {
    action: 'followup.updated',
    entityType: 'follow_up',
    entityId: id,
    changedFields: Object.keys(patch),
  });
  await appendEvent(ctx, {
    type: status !== current.status ? `followup.${status}` : 'followup.updated',
    entityType: 'follow_up',
    entityId: id,
    data: {
      leadId: updated.leadId,
      installerId: updated.installerId,
      status,
      satisfactionScore: updated.satisfactionScore,
      hasIssue: updated.hasIssue,
    },
  });
  return toView(updated);
}

export async function followUpsForLead(ctx: Ctx, leadId: string) {
  return (await repo.listForLead(ctx, leadId)).map(toView);
}

/** Average satisfaction (1–5) per installer: feeds the weighted routing strategy. */
export async function satisfactionByInstaller(ctx: Ctx, installerIds: string[]) {
  return new Map((await repo.averageSatisfaction(ctx, installerIds)).map((r) => [r.installerId, Number(r.avg)]));
}
