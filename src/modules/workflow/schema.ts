import { sql } from 'drizzle-orm';
import {
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const PROPOSAL_SOURCES = ['import', 'agent', 'user'] as const;
export type ProposalSource = (typeof PROPOSAL_SOURCES)[number];
/** `undone`: an executed proposal whose effect was reverted (merges). */
export const PROPOSAL_STATUSES = ['draft', 'review_required', 'approved', 'executed', 'rejected', 'undone'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];
export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export const AGENT_RUN_STATUSES = ['running', 'succeeded', 'failed'] as const;

/** What a tenant's approval policy says; absent keys take the defaults in service.ts. */
export interface WorkflowPolicy {
  /** An approver may not approve a proposal they made. */
  fourEyes: boolean;
  /** Merges always need a person's approval. */
  mergeRequiresApproval: boolean;
  /** Updates spanning more records than this need approval. */
  bulkUpdateThreshold: number;
  contactDetailsRequireApproval: boolean;
  consentRequiresApproval: boolean;
  agentRequiresApproval: boolean;
  /** Proposals at or below this risk from a trusted source are approved by the policy itself. */
  autoApproveMaxRisk: 'none' | 'low' | 'medium';
  trustedSources: ProposalSource[];
}

/** One row per tenant: the approval policy (absent means the defaults). */
export const workflowPolicies = pgTable(
  'workflow_policies',
  {
    tenantId: uuid('tenant_id').notNull(),
    settings: jsonb('settings').$type<Partial<WorkflowPolicy>>().notNull(),
    version: integer('version').notNull().default(1),
    updatedByActorId: uuid('updated_by_actor_id'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId] })],
);

/** Every automated run (agent, model, what it read, what it produced). */
export const workflowAgentRuns = pgTable(
  'workflow_agent_runs',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    agentName: text('agent_name').notNull(),
    model: text('model').notNull(),
    inputRef: text('input_ref'),
    output: jsonb('output').$type<Record<string, unknown>>(),
    status: text('status', { enum: AGENT_RUN_STATUSES }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    recordedByActorId: uuid('recorded_by_actor_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('workflow_agent_runs_recent_idx').on(t.tenantId, t.id.desc().nullsFirst()),
  ],
);

/** Writeback proposals: a field-level change to one record of another module, against a base version. */
export const workflowProposals = pgTable(
  'workflow_proposals',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    source: text('source', { enum: PROPOSAL_SOURCES }).notNull(),
    sourceRef: text('source_ref'),
    agentRunId: uuid('agent_run_id'),
    targetDomain: text('target_domain').notNull(),
    targetEntityType: text('target_entity_type').notNull(),
    targetEntityRef: uuid('target_entity_ref').notNull(),
    operation: text('operation').notNull(),
    patch: jsonb('patch').$type<Record<string, unknown>>().notNull(),
    baseVersion: integer('base_version').notNull(),
    recordCount: integer('record_count').notNull().default(1),
    riskLevel: text('risk_level', { enum: RISK_LEVELS }).notNull(),
    status: text('status', { enum: PROPOSAL_STATUSES }).notNull(),
    reason: text('reason'),
    /** Alternatives for the same target share a group; at most one of a group is ever executed. */
    branchGroup: text('branch_group'),
    branchKey: text('branch_key'),
    supersededById: uuid('superseded_by_id'),
    proposedByActorId: uuid('proposed_by_actor_id'),
    proposedByUserId: uuid('proposed_by_user_id'),
    decidedByActorId: uuid('decided_by_actor_id'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    executedByActorId: uuid('executed_by_actor_id'),
    executedAt: timestamp('executed_at', { withTimezone: true }),
    /** What execution did (and what undo needs): replayed by a repeated execute. */
    executionResult: jsonb('execution_result').$type<Record<string, unknown>>(),
    undoneByActorId: uuid('undone_by_actor_id'),
    undoneAt: timestamp('undone_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('workflow_proposals_recent_idx').on(t.tenantId, t.id.desc().nullsFirst()),
    index('workflow_proposals_status_idx').on(t.tenantId, t.status, t.id.desc().nullsFirst()),
    index('workflow_proposals_target_idx').on(t.tenantId, t.targetDomain, t.targetEntityRef),
    index('workflow_proposals_open_idx')
      .on(t.tenantId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`status in ('draft', 'review_required', 'approved')`),
    index('workflow_proposals_agent_run_idx').on(t.tenantId, t.agentRunId),
    // The database, not the code path, guarantees one executed alternative per branch group.
    uniqueIndex('workflow_proposals_branch_executed_key')
      .on(t.tenantId, t.branchGroup)
      .where(sql`status = 'executed' and branch_group is not null`),
    index('workflow_proposals_branch_idx').on(t.tenantId, t.branchGroup),
    foreignKey({
      columns: [t.tenantId, t.agentRunId],
      foreignColumns: [workflowAgentRuns.tenantId, workflowAgentRuns.id],
    }),
  ],
);

/** Human decisions on proposals: who, when, approve or reject, why (append-only). */
export const workflowApprovals = pgTable(
  'workflow_approvals',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    proposalId: uuid('proposal_id').notNull(),
    decision: text('decision', { enum: ['approved', 'rejected'] }).notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: uuid('actor_id'),
    userId: uuid('user_id'),
    reason: text('reason'),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('workflow_approvals_proposal_idx').on(t.tenantId, t.proposalId, t.id),
    foreignKey({
      columns: [t.tenantId, t.proposalId],
      foreignColumns: [workflowProposals.tenantId, workflowProposals.id],
    }),
  ],
);

/** What the policy decided for each proposal and the rule that decided it (append-only). */
export const workflowPolicyDecisions = pgTable(
  'workflow_policy_decisions',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    proposalId: uuid('proposal_id').notNull(),
    decision: text('decision', { enum: ['auto_approved', 'review_required', 'draft'] }).notNull(),
    rule: text('rule').notNull(),
    riskLevel: text('risk_level', { enum: RISK_LEVELS }).notNull(),
    policyVersion: integer('policy_version').notNull(),
    inputs: jsonb('inputs').$type<Record<string, unknown>>().notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('workflow_policy_decisions_proposal_idx').on(t.tenantId, t.proposalId, t.id),
    foreignKey({
      columns: [t.tenantId, t.proposalId],
      foreignColumns: [workflowProposals.tenantId, workflowProposals.id],
    }),
  ],
);
