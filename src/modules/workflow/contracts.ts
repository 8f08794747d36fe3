import { z } from 'zod';
import { isoDateTime, text } from '../../platform/http-schemas.ts';
import { listQuery } from '../../platform/pagination.ts';
import { AGENT_RUN_STATUSES, PROPOSAL_SOURCES, PROPOSAL_STATUSES, RISK_LEVELS } from './schema.ts';

export const TARGET_DOMAINS = ['crm'] as const;
export const TARGET_ENTITY_TYPES = ['person'] as const;
export const OPERATIONS = ['update', 'merge'] as const;

const branchName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/, 'letters, digits and . _ : - (≤ 100)');

export const proposalCreateBody = z.strictObject({
  // `import` is the imports module's own source, never claimable over HTTP: it is a trusted source by default.
  source: z.enum(['user', 'agent']),
  sourceRef: text(500).optional().describe('e.g. an import batch id or an external reference'),
  agentRunId: z.uuid().optional().describe('the agent run that produced this proposal (source agent)'),
  targetDomain: z.enum(TARGET_DOMAINS),
  targetEntityType: z.enum(TARGET_ENTITY_TYPES).default('person'),
  targetEntityRef: z.uuid(),
  operation: z.enum(OPERATIONS),
  patch: z
    .record(z.string(), z.unknown())
    .describe(
      'update: the field patch (the contact PATCH body); merge: { intoPersonId, intoBaseVersion, fields: { <field>: "source" | "target" } }',
    ),
  baseVersion: z.number().int().min(1).describe("the target's version the patch was written against"),
  recordCount: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .optional()
    .describe('how many records the change set this proposal belongs to spans (bulk updates)'),
  branch: z
    .strictObject({ group: branchName, key: branchName })
    .optional()
    .describe('alternatives for the same target share a group; at most one of a group is executed'),
  reason: text(2000).optional(),
  draft: z.boolean().optional().describe('true: stays a draft until submitted'),
});
export type ProposalCreateInput = z.infer<typeof proposalCreateBody>;

export const decisionBody = z.strictObject({ reason: text(2000).optional() }).nullish();
export const emptyBody = z.strictObject({}).nullish();

export const proposalListQuery = z.strictObject({
  ...listQuery.shape,
  status: z.enum(PROPOSAL_STATUSES).optional(),
  targetEntityRef: z.uuid().optional(),
  agentRunId: z.uuid().optional(),
  branchGroup: branchName.optional(),
});
export type ProposalListQuery = z.infer<typeof proposalListQuery>;

const approval = z.object({
  id: z.uuid(),
  decision: z.enum(['approved', 'rejected']),
  actorKind: z.string(),
  actorId: z.uuid().nullable(),
  userId: z.uuid().nullable(),
  reason: z.string().nullable(),
  decidedAt: isoDateTime,
});

const policyDecision = z.object({
  id: z.uuid(),
  decision: z.enum(['auto_approved', 'review_required', 'draft']),
  rule: z.string(),
  riskLevel: z.enum(RISK_LEVELS),
  policyVersion: z.number().int(),
  inputs: z.record(z.string(), z.unknown()),
  decidedAt: isoDateTime,
});

export const proposal = z.object({
  id: z.uuid(),
  source: z.enum(PROPOSAL_SOURCES),
  sourceRef: z.string().nullable(),
  agentRunId: z.uuid().nullable(),
  targetDomain: z.string(),
  targetEntityType: z.string(),
  targetEntityRef: z.uuid(),
  operation: z.string(),
  patch: z.record(z.string(), z.unknown()),
  baseVersion: z.number().int(),
  recordCount: z.number().int(),
  riskLevel: z.enum(RISK_LEVELS),
  status: z.enum(PROPOSAL_STATUSES),
  reason: z.string().nullable(),
  branchGroup: z.string().nullable(),
  branchKey: z.string().nullable(),
  supersededById: z.uuid().nullable().describe('set when another alternative of the branch group was executed'),
  proposedBy: z.uuid().nullable(),
  decidedBy: z.uuid().nullable(),
  decidedAt: isoDateTime.nullable(),
  executedBy: z.uuid().nullable(),
  executedAt: isoDateTime.nullable(),
  executionResult: z.record(z.string(), z.unknown()).nullable(),
  undoneBy: z.uuid().nullable(),
  undoneAt: isoDateTime.nullable(),
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type ProposalView = z.infer<typeof proposal>;

export const proposalDetail = proposal.extend({
  approvals: z.array(approval),
  policyDecisions: z.array(policyDecision),
});
export type ProposalDetail = z.infer<typeof proposalDetail>;

export const policySettings = z.object({
  fourEyes: z.boolean().describe('an approver may not approve their own proposal'),
  mergeRequiresApproval: z.boolean(),
  bulkUpdateThreshold: z.number().int().min(1).max(10_000_000).describe('updates spanning more records need approval'),
  contactDetailsRequireApproval: z.boolean(),
  consentRequiresApproval: z.boolean(),
  agentRequiresApproval: z.boolean(),
  autoApproveMaxRisk: z
    .enum(['none', 'low', 'medium'])
    .describe('proposals up to this risk from a trusted source are approved by the policy; none: never'),
  trustedSources: z.array(z.enum(PROPOSAL_SOURCES)).max(3),
});
export const policyBody = z.strictObject(policySettings.shape).partial().describe('absent settings take the defaults');
export type PolicyInput = z.infer<typeof policyBody>;
export const policy = policySettings.extend({
  version: z.number().int().describe('0 while the tenant uses the defaults'),
  updatedAt: isoDateTime.nullable(),
});
export type PolicyView = z.infer<typeof policy>;

export const agentRunCreateBody = z
  .strictObject({
    agentName: text(100),
    model: text(100),
    inputRef: text(500).optional(),
    output: z.record(z.string(), z.unknown()).optional(),
    status: z.enum(AGENT_RUN_STATUSES),
    startedAt: isoDateTime,
    finishedAt: isoDateTime.optional(),
  })
  .refine((b) => !b.finishedAt || new Date(b.finishedAt) >= new Date(b.startedAt), {
    message: 'finishedAt must not be before startedAt',
    path: ['finishedAt'],
  })
  .refine((b) => b.status === 'running' || b.finishedAt !== undefined, {
    message: 'a finished run needs finishedAt',
    path: ['finishedAt'],
  });
export type AgentRunCreateInput = z.infer<typeof agentRunCreateBody>;

export const agentRun = z.object({
  id: z.uuid(),
  agentName: z.string(),
  model: z.string(),
  inputRef: z.string().nullable(),
  output: z.record(z.string(), z.unknown()).nullable(),
  status: z.enum(AGENT_RUN_STATUSES),
  startedAt: isoDateTime,
  finishedAt: isoDateTime.nullable(),
  durationMs: z.number().int().nullable(),
  recordedBy: z.uuid().nullable(),
  createdAt: isoDateTime,
});
export type AgentRunView = z.infer<typeof agentRun>;
export const agentRunDetail = agentRun.extend({
  proposalIds: z.array(z.uuid()).describe('the proposals this run produced (first 200)'),
});
export const agentRunListQuery = z.strictObject({ ...listQuery.shape, agentName: text(100).optional() });

export const mergeBody = z.strictObject({
  intoPersonId: z.uuid().describe('the survivor'),
  fields: z
    .record(z.string(), z.enum(['source', 'target']))
    .optional()
    .describe('per field, whose value survives: source (the merged person) or target (the survivor, the default)'),
});
export const mergeAccepted = z.object({ proposalId: z.uuid() });

export const inboxQuery = listQuery.strict();
export const inboxItem = z.object({
  kind: z.enum(['proposal', 'high_risk_merge', 'reminder']),
  id: z.uuid(),
  at: isoDateTime.describe('proposals: when proposed; reminders: when due'),
  title: z.string(),
  proposal: proposal.optional(),
  task: z
    .object({
      id: z.uuid(),
      type: z.string(),
      title: z.string(),
      status: z.string(),
      dueAt: isoDateTime,
      overdue: z.boolean(),
      personId: z.uuid().nullable(),
      leadId: z.uuid().nullable(),
    })
    .optional(),
});
export type InboxItem = z.infer<typeof inboxItem>;
