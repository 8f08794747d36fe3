/** follow-ups: post-install satisfaction and issues. Created only by install confirmation. */
export type { FollowUpView } from './contracts.ts';
export { followUpsForLead, satisfactionByInstaller, scheduleAfterInstall } from './service.ts';
