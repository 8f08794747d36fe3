/** interactions: the timeline of a person (calls, messages, visits …) and their scores with time series. */
export { type InteractionView, interaction } from './contracts.ts';
export { INTERACTION_CHANNELS } from './schema.ts';
export {
  currentScores,
  eraseInteractionsOfPerson,
  getInteraction,
  type PersonSummary,
  reassignPersonReferences,
  recentTimeline,
  recordInteraction,
  recordScore,
  restorePersonReferences,
  summaryForPeople,
} from './service.ts';
