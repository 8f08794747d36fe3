/** workflow: governed changes — writeback proposals, approvals, policy decisions, agent runs, branches. */
export type {
  InboxItem,
  PolicyView,
  ProposalCreateInput,
  ProposalDetail,
  ProposalView,
} from './contracts.ts';
export type { ProposalRow } from './repository.ts';
export type { ProposalSource, ProposalStatus, RiskLevel, WorkflowPolicy } from './schema.ts';
export {
  approveProposal,
  beginExecution,
  beginUndo,
  completeExecution,
  completeUndo,
  createProposal,
  DEFAULT_POLICY,
  decide,
  eraseFromProposals,
  getAgentRun,
  getPolicy,
  getProposal,
  getProposalRecord,
  listAgentRuns,
  listProposals,
  listUnresolvedProposals,
  type NewProposal,
  recordAgentRun,
  rejectProposal,
  submitProposal,
  updatePolicy,
} from './service.ts';
