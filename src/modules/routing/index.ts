/** routing: decisions with every candidate and why, lead assignments and their lifecycle. */

export { routingOutcomes } from './analytics.ts';
export { assignmentWithEvents } from './contracts.ts';
export { decide, type EngineCandidate, type RoutingMode, type RoutingStrategy, WEIGHTS } from './engine.ts';
export { ASSIGNMENT_STATUSES, type AssignmentStatus, DROP_REASONS } from './schema.ts';
export {
  ACTIVE_STATUSES,
  type ActionInput,
  ASSIGNMENT_ACTIONS,
  type AssignmentAction,
  type AssignmentView,
  allEndedWithoutWin,
  applyAction,
  assignmentsForLead,
  decideAndAssign,
  getAssignment,
  listAssignments,
  listDecisions,
  type RouteInput,
  rankCandidates,
} from './service.ts';
