import { actorId, type Ctx } from '../../platform/context.ts';
import { conflict, dbConstraint, isUniqueViolation, notFound, validationFailed } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import { appendEvent } from '../events/index.ts';
import { recordAudit } from '../identity/index.ts';
import type {
  AgentRunCreateInput,
  AgentRunView,
  PolicyInput,
  PolicyView,
  ProposalDetail,
  ProposalListQuery,
  ProposalView,
} from './contracts.ts';
import * as repo from './repository.ts';
import type { ProposalSource, ProposalStatus, RiskLevel, WorkflowPolicy } from './schema.ts';

// ---------- policy ----------

export const DEFAULT_POLICY: WorkflowPolicy = {
  fourEyes: true,
  mergeRequiresApproval: true,
  bulkUpdateThreshold: 25,
  contactDetailsRequireApproval: true,
  consentRequiresApproval: true,
  agentRequiresApproval: true,
  autoApproveMaxRisk: 'low',
  trustedSources: ['user', 'import'],
};

/** Patch fields that are contact details or consent (each may need approval by policy). */
const CONTACT_DETAIL_FIELDS = new Set(['email', 'phone', 'emails', 'phones', 'address', 'postcode']);
const CONSENT_FIELDS = new Set(['consent']);
const RISK_RANK: Record<RiskLevel | 'none', number> = { none: -1, low: 0, medium: 1, high: 2 };

async function effectivePolicy(ctx: Ctx): Promise<{ policy: WorkflowPolicy; version: number; updatedAt: Date | null }> {
  const row = await repo.findPolicy(ctx);
  return {
    policy: { ...DEFAULT_POLICY, ...(row?.settings ?? {}) },
    version: row?.version ?? 0,
    updatedAt: row?.updatedAt ?? null,
  };
}

export async function getPolicy(ctx: Ctx): Promise<PolicyView> {
  const p = await effectivePolicy(ctx);
  return { ...p.policy, version: p.version, updatedAt: p.updatedAt?.toISOString() ?? null };
}

/** Replaces the tenant's policy; settings left out take the defaults. */
export async function updatePolicy(ctx: Ctx, input: PolicyInput): Promise<PolicyView> {
  const settings = {
    ...DEFAULT_POLICY,
    ...input,
    trustedSources: [...new Set(input.trustedSources ?? DEFAULT_POLICY.trustedSources)],
  };
  const row = await repo.upsertPolicy(ctx, settings, actorId(ctx.actor));
  await recordAudit(ctx, {
    action: 'workflow.policy_updated',
    entityType: 'workflow_policy',
    entityId: ctx.tenantId,
    changedFields: Object.keys(input),
  });
  await appendEvent(ctx, {
    type: 'workflow.policy_updated',
    entityType: 'workflow_policy',
    entityId: ctx.tenantId,
    data: { version: row.version },
  });
  return { ...settings, version: row.version, updatedAt: row.updatedAt.toISOString() };
}

export interface PolicyInputs {
  source: ProposalSource;
  operation: string;
  fields: string[];
  recordCount: number;
}

/** Risk of a change: merges and bulk changes are high; consent, contact details and agent output medium. */
export function riskOf(policy: WorkflowPolicy, i: PolicyInputs): RiskLevel {
  if (i.operation === 'merge' || i.recordCount > policy.bulkUpdateThreshold) return 'high';
  if (i.fields.some((f) => CONSENT_FIELDS.has(f) || CONTACT_DETAIL_FIELDS.has(f))) return 'medium';
  if (i.source === 'agent') return 'medium';
  return 'low';
}

/** The first rule that matches decides; the decision names it. */
export function decide(policy: WorkflowPolicy, i: PolicyInputs) {
  const riskLevel = riskOf(policy, i);
  const review = (rule: string) => ({
    status: 'review_required' as const,
    decision: 'review_required' as const,
    rule,
    riskLevel,
  });
  if (i.operation === 'merge' && policy.mergeRequiresApproval) return review('merge_requires_approval');
  if (i.source === 'agent' && policy.agentRequiresApproval) return review('agent_requires_approval');
  if (i.recordCount > policy.bulkUpdateThreshold) return review('bulk_update_over_threshold');
  if (policy.consentRequiresApproval && i.fields.some((f) => CONSENT_FIELDS.has(f))) {
    return review('consent_change_requires_approval');
  }
  if (policy.contactDetailsRequireApproval && i.fields.some((f) => CONTACT_DETAIL_FIELDS.has(f))) {
    return review('contact_details_change_requires_approval');
  }
  // Merges are high risk, above any auto-approval ceiling: they always wait for a person.
  if (policy.trustedSources.includes(i.source) && RISK_RANK[riskLevel] <= RISK_RANK[policy.autoApproveMaxRisk]) {
    return {
      status: 'approved' as const,
      decision: 'auto_approved' as const,
      rule: 'auto_approve_trusted_source',
      riskLevel,
    };
  }
  return review('default_review');
}

// ---------- views ----------

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const toView = (p: repo.ProposalRow): ProposalView => ({
  id: p.id,
  source: p.source,
  sourceRef: p.sourceRef,
  agentRunId: p.agentRunId,
  targetDomain: p.targetDomain,
  targetEntityType: p.targetEntityType,
  targetEntityRef: p.targetEntityRef,
  operation: p.operation,
  patch: p.patch,
  baseVersion: p.baseVersion,
  recordCount: p.recordCount,
  riskLevel: p.riskLevel,
  status: p.status,
  reason: p.reason,
  branchGroup: p.branchGroup,
  branchKey: p.branchKey,
  supersededById: p.supersededById,
  proposedBy: p.proposedByActorId,
  decidedBy: p.decidedByActorId,
  decidedAt: iso(p.decidedAt),
  executedBy: p.executedByActorId,
  executedAt: iso(p.executedAt),
  executionResult: p.executionResult,
  undoneBy: p.undoneByActorId,
  undoneAt: iso(p.undoneAt),
  version: p.version,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

/** The actor's record scope over proposals (DESIGN §6); undefined means every proposal of the tenant. */
function proposalScope(ctx: Ctx) {
  switch (ctx.actor.scope) {
    case 'all':
    case 'team':
      return undefined;
    case 'own':
      return repo.ownProposals(ctx.actor.userId);
    case 'installer':
      return repo.noProposals();
  }
}

const proposalNotFound = () => notFound('workflow.proposal_not_found', 'The proposal does not exist.');

async function getRow(ctx: Ctx, id: string, forUpdate = false) {
  const row = await repo.findProposal(ctx, id, proposalScope(ctx), forUpdate);
  if (!row) throw proposalNotFound();
  return row;
}

export async function getProposal(ctx: Ctx, id: string): Promise<ProposalDetail> {
  const row = await getRow(ctx, id);
  const [approvals, decisions] = await Promise.all([repo.listApprovals(ctx, id), repo.listDecisions(ctx, id)]);
  return {
    ...toView(row),
    approvals: approvals.map((a) => ({
      id: a.id,
      decision: a.decision,
      actorKind: a.actorKind,
      actorId: a.actorId,
      userId: a.userId,
      reason: a.reason,
      decidedAt: a.decidedAt.toISOString(),
    })),
    policyDecisions: decisions.map((d) => ({
      id: d.id,
      decision: d.decision,
      rule: d.rule,
      riskLevel: d.riskLevel,
      policyVersion: d.policyVersion,
      inputs: d.inputs,
      decidedAt: d.decidedAt.toISOString(),
    })),
  };
}

/** For cross-module execution: the proposal row as stored (404 when not in this tenant). */
export async function getProposalRecord(ctx: Ctx, id: string) {
  return getRow(ctx, id);
}

export async function listProposals(ctx: Ctx, q: ProposalListQuery) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'proposals', q.cursor)[0] as string) : undefined;
  const found = await repo.listProposals(
    ctx,
    { status: q.status, targetEntityRef: q.targetEntityRef, agentRunId: q.agentRunId, branchGroup: q.branchGroup },
    proposalScope(ctx),
    q.limit + 1,
    before,
  );
  const page = toPage(ctx.tenantId, 'proposals', found, q.limit, (r) => [r.id]);
  return { data: page.data.map(toView), nextCursor: page.nextCursor };
}

/** Unresolved proposals for the operator inbox, newest first. */
export async function listUnresolvedProposals(ctx: Ctx, limit: number, before?: { at: string; id: string }) {
  return (await repo.listUnresolved(ctx, proposalScope(ctx), limit, before)).map(toView);
}

// ---------- lifecycle ----------

export interface NewProposal {
  source: ProposalSource;
  sourceRef?: string;
  agentRunId?: string;
  targetDomain: string;
  targetEntityType: string;
  targetEntityRef: string;
  operation: string;
  patch: Record<string, unknown>;
  baseVersion: number;
  recordCount?: number;
  branch?: { group: string; key: string };
  reason?: string;
  draft?: boolean;
  /** The fields the change touches (what the policy looks at). */
  fields: string[];
}

const invalidTransition = (p: repo.ProposalRow, action: string) =>
  conflict('workflow.invalid_transition', `A ${p.status.replace('_', ' ')} proposal cannot be ${action}.`, {
    status: p.status,
  });

function decideFor(policy: WorkflowPolicy, inputs: PolicyInputs, draft: boolean) {
  return draft
    ? {
        status: 'draft' as const,
        decision: 'draft' as const,
        rule: 'requested_draft',
        riskLevel: riskOf(policy, inputs),
      }
    : decide(policy, inputs);
}

async function storeDecision(
  ctx: Ctx,
  proposalId: string,
  inputs: PolicyInputs,
  d: ReturnType<typeof decideFor>,
  policyVersion: number,
) {
  await repo.insertDecision(ctx, {
    id: newId(),
    proposalId,
    decision: d.decision,
    rule: d.rule,
    riskLevel: d.riskLevel,
    policyVersion,
    inputs: { ...inputs },
  });
}

/** Stores a proposal (the caller validated its target and patch) and the policy's decision on it. */
export async function createProposal(ctx: Ctx, input: NewProposal): Promise<ProposalView> {
  if (input.source === 'agent' && !input.agentRunId) {
    throw validationFailed([{ path: 'agentRunId', message: 'a proposal from an agent names its agent run' }]);
  }
  if (input.agentRunId && !(await repo.findAgentRun(ctx, input.agentRunId))) {
    throw validationFailed([{ path: 'agentRunId', message: 'no such agent run' }]);
  }
  if (input.branch) {
    const first = await repo.firstOfBranchGroup(ctx, input.branch.group);
    if (first && (first.targetDomain !== input.targetDomain || first.targetEntityRef !== input.targetEntityRef)) {
      throw validationFailed([{ path: 'branch.group', message: 'this branch group belongs to another target' }]);
    }
  }
  const id = newId();
  const inputs: PolicyInputs = {
    source: input.source,
    operation: input.operation,
    fields: input.fields,
    recordCount: input.recordCount ?? 1,
  };
  const { policy, version } = await effectivePolicy(ctx);
  const d = decideFor(policy, inputs, input.draft === true);
  const now = new Date();
  const saved = await repo.insertProposal(ctx, {
    id,
    source: input.source,
    sourceRef: input.sourceRef ?? null,
    agentRunId: input.agentRunId ?? null,
    targetDomain: input.targetDomain,
    targetEntityType: input.targetEntityType,
    targetEntityRef: input.targetEntityRef,
    operation: input.operation,
    patch: input.patch,
    baseVersion: input.baseVersion,
    recordCount: inputs.recordCount,
    riskLevel: d.riskLevel,
    status: d.status,
    decidedAt: d.status === 'approved' ? now : null,
    reason: input.reason ?? null,
    branchGroup: input.branch?.group ?? null,
    branchKey: input.branch?.key ?? null,
    proposedByActorId: actorId(ctx.actor),
    proposedByUserId: ctx.actor.userId,
    createdAt: now,
  });
  await storeDecision(ctx, id, inputs, d, version);
  await recordAudit(ctx, {
    action: 'proposal.created',
    entityType: 'proposal',
    entityId: id,
    changedFields: ['status', 'patch'],
  });
  await appendEvent(ctx, {
    type: 'proposal.created',
    entityType: 'proposal',
    entityId: id,
    data: { status: d.status, rule: d.rule, riskLevel: d.riskLevel, operation: input.operation },
  });
  if (d.status === 'approved') {
    await appendEvent(ctx, { type: 'proposal.approved', entityType: 'proposal', entityId: id, data: { rule: d.rule } });
  }
  return toView(saved);
}

const fieldsOf = (p: repo.ProposalRow): string[] => {
  const stored = (p.patch as { fields?: unknown }).fields;
  if (p.operation === 'merge') return stored && typeof stored === 'object' ? Object.keys(stored) : [];
  return Object.keys(p.patch);
};

/** A draft goes to the policy: review required, or approved by it. */
export async function submitProposal(ctx: Ctx, id: string): Promise<ProposalView> {
  const p = await getRow(ctx, id, true);
  if (p.status !== 'draft') throw invalidTransition(p, 'submitted');
  const inputs: PolicyInputs = {
    source: p.source,
    operation: p.operation,
    fields: fieldsOf(p),
    recordCount: p.recordCount,
  };
  const { policy, version } = await effectivePolicy(ctx);
  const d = decideFor(policy, inputs, false);
  await storeDecision(ctx, id, inputs, d, version);
  const saved = await repo.updateProposal(ctx, id, {
    status: d.status,
    riskLevel: d.riskLevel,
    ...(d.status === 'approved' ? { decidedAt: new Date() } : {}),
  });
  await recordAudit(ctx, {
    action: 'proposal.submitted',
    entityType: 'proposal',
    entityId: id,
    changedFields: ['status'],
  });
  await appendEvent(ctx, {
    type: 'proposal.submitted',
    entityType: 'proposal',
    entityId: id,
    data: { status: d.status, rule: d.rule },
  });
  return toView(saved!);
}

function isOwnProposal(ctx: Ctx, p: repo.ProposalRow) {
  const me = actorId(ctx.actor);
  return (
    (me !== null && me === p.proposedByActorId) ||
    (ctx.actor.userId !== null && ctx.actor.userId === p.proposedByUserId)
  );
}

async function decideByPerson(ctx: Ctx, p: repo.ProposalRow, decision: 'approved' | 'rejected', reason?: string) {
  const now = new Date();
  const saved = await repo.updateProposal(
    ctx,
    p.id,
    { status: decision, decidedByActorId: actorId(ctx.actor), decidedAt: now },
    p.status,
  );
  await repo.insertApproval(ctx, {
    id: newId(),
    proposalId: p.id,
    decision,
    actorKind: ctx.actor.kind,
    actorId: actorId(ctx.actor),
    userId: ctx.actor.userId,
    reason: reason ?? null,
    decidedAt: now,
  });
  const action = decision === 'approved' ? 'proposal.approved' : 'proposal.rejected';
  await recordAudit(ctx, { action, entityType: 'proposal', entityId: p.id, changedFields: ['status'] });
  await appendEvent(ctx, { type: action, entityType: 'proposal', entityId: p.id, data: { by: 'person' } });
  return toView(saved!);
}

export async function approveProposal(ctx: Ctx, id: string, reason?: string): Promise<ProposalView> {
  const p = await getRow(ctx, id, true);
  if (p.status !== 'review_required') throw invalidTransition(p, 'approved');
  if ((await effectivePolicy(ctx)).policy.fourEyes && isOwnProposal(ctx, p)) {
    throw conflict('workflow.four_eyes', 'This tenant requires a second person to approve a proposal.', {
      proposedBy: p.proposedByActorId,
    });
  }
  return decideByPerson(ctx, p, 'approved', reason);
}

export async function rejectProposal(ctx: Ctx, id: string, reason?: string): Promise<ProposalView> {
  const p = await getRow(ctx, id, true);
  if (!['draft', 'review_required', 'approved'].includes(p.status)) throw invalidTransition(p, 'rejected');
  return decideByPerson(ctx, p, 'rejected', reason);
}

/**
 * Locks the proposal (and its branch group) for execution. Returns the executed proposal as it is when
 * it was executed already (a repeated execute replays the first result), else the approved row.
 */
export async function beginExecution(ctx: Ctx, id: string) {
  const first = await getRow(ctx, id);
  if (first.branchGroup) await repo.lockBranchGroup(ctx, first.branchGroup);
  const p = await getRow(ctx, id, true);
  if (p.status === 'executed') return { proposal: p, alreadyExecuted: true as const };
  if (p.status === 'rejected' && p.supersededById) {
    throw conflict('workflow.branch_superseded', 'Another alternative of this branch group was executed.', {
      supersededById: p.supersededById,
    });
  }
  if (p.status !== 'approved') throw invalidTransition(p, 'executed');
  return { proposal: p, alreadyExecuted: false as const };
}

/** Records the execution and its result; the other alternatives of the branch group are superseded. */
export async function completeExecution(ctx: Ctx, p: repo.ProposalRow, result: Record<string, unknown>) {
  let saved: repo.ProposalRow | undefined;
  try {
    saved = await repo.updateProposal(
      ctx,
      p.id,
      { status: 'executed', executedByActorId: actorId(ctx.actor), executedAt: new Date(), executionResult: result },
      'approved',
    );
  } catch (err) {
    if (isUniqueViolation(err) && dbConstraint(err) === 'workflow_proposals_branch_executed_key') {
      throw conflict('workflow.branch_superseded', 'Another alternative of this branch group was executed.');
    }
    throw err;
  }
  if (!saved) throw conflict('workflow.invalid_transition', 'The proposal changed while it was executed.');
  const superseded = p.branchGroup ? await repo.supersedeSiblings(ctx, p.branchGroup, p.id) : [];
  await recordAudit(ctx, {
    action: 'proposal.executed',
    entityType: 'proposal',
    entityId: p.id,
    changedFields: ['status', 'executionResult'],
  });
  await appendEvent(ctx, {
    type: 'proposal.executed',
    entityType: 'proposal',
    entityId: p.id,
    data: { targetDomain: p.targetDomain, targetEntityRef: p.targetEntityRef, operation: p.operation },
  });
  for (const sibling of superseded) {
    await recordAudit(ctx, {
      action: 'proposal.superseded',
      entityType: 'proposal',
      entityId: sibling,
      changedFields: ['status'],
    });
    await appendEvent(ctx, {
      type: 'proposal.rejected',
      entityType: 'proposal',
      entityId: sibling,
      data: { supersededBy: p.id },
    });
  }
  return toView(saved);
}

/** Locks an executed proposal for undo. */
export async function beginUndo(ctx: Ctx, id: string) {
  const p = await getRow(ctx, id, true);
  if (p.status !== 'executed') throw invalidTransition(p, 'undone');
  return p;
}

export async function completeUndo(ctx: Ctx, p: repo.ProposalRow, undoResult: Record<string, unknown>) {
  const saved = await repo.updateProposal(
    ctx,
    p.id,
    {
      status: 'undone',
      undoneByActorId: actorId(ctx.actor),
      undoneAt: new Date(),
      executionResult: { ...(p.executionResult ?? {}), undo: undoResult },
    },
    'executed',
  );
  await recordAudit(ctx, {
    action: 'proposal.undone',
    entityType: 'proposal',
    entityId: p.id,
    changedFields: ['status'],
  });
  await appendEvent(ctx, { type: 'proposal.undone', entityType: 'proposal', entityId: p.id, data: {} });
  return toView(saved!);
}

// ---------- agent runs ----------

const runView = (r: repo.AgentRunRow): AgentRunView => ({
  id: r.id,
  agentName: r.agentName,
  model: r.model,
  inputRef: r.inputRef,
  output: r.output,
  status: r.status,
  startedAt: r.startedAt.toISOString(),
  finishedAt: iso(r.finishedAt),
  durationMs: r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null,
  recordedBy: r.recordedByActorId,
  createdAt: r.createdAt.toISOString(),
});

export async function recordAgentRun(ctx: Ctx, input: AgentRunCreateInput): Promise<AgentRunView> {
  const row = await repo.insertAgentRun(ctx, {
    id: newId(),
    agentName: input.agentName,
    model: input.model,
    inputRef: input.inputRef ?? null,
    output: input.output ?? null,
    status: input.status,
    startedAt: new Date(input.startedAt),
    finishedAt: input.finishedAt ? new Date(input.finishedAt) : null,
    recordedByActorId: actorId(ctx.actor),
  });
  await recordAudit(ctx, {
    action: 'agent_run.recorded',
    entityType: 'agent_run',
    entityId: row.id,
    changedFields: Object.keys(input),
  });
  await appendEvent(ctx, {
    type: 'agent_run.recorded',
    entityType: 'agent_run',
    entityId: row.id,
    data: { agentName: row.agentName, status: row.status },
  });
  return runView(row);
}

export async function getAgentRun(ctx: Ctx, id: string) {
  const row = await repo.findAgentRun(ctx, id);
  if (!row) throw notFound('workflow.agent_run_not_found', 'The agent run does not exist.');
  return { ...runView(row), proposalIds: await repo.proposalIdsOfRun(ctx, id, 200) };
}

export async function listAgentRuns(ctx: Ctx, q: { limit: number; cursor?: string; agentName?: string }) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'agent-runs', q.cursor)[0] as string) : undefined;
  const found = await repo.listAgentRuns(ctx, q.limit + 1, before, q.agentName);
  const page = toPage(ctx.tenantId, 'agent-runs', found, q.limit, (r) => [r.id]);
  return { data: page.data.map(runView), nextCursor: page.nextCursor };
}

export type { ProposalStatus };

/** Erase of a person (DESIGN §3): no copy of their values stays in proposals; audited. */
export async function eraseFromProposals(ctx: Ctx, personId: string) {
  await repo.scrubProposalsOfPerson(ctx, personId);
  await recordAudit(ctx, {
    action: 'proposals.person_erased',
    entityType: 'person',
    entityId: personId,
    changedFields: ['patch', 'executionResult'],
  });
}
