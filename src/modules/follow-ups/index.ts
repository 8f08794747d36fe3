/** follow-ups: post-install satisfaction and issues. Created only by install confirmation. */
export { type FollowUpView, followUp } from './contracts.ts';
export { followUpsForLead, recordOutcome, satisfactionByInstaller, scheduleAfterInstall } from './service.ts';
