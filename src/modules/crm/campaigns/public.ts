/** What the campaign-assignment workflow uses. */
export {
  type CampaignDecision,
  type CampaignForAssignment,
  decideCampaignAssignments,
  type LeadToAssign,
  lockCampaignForAssignment,
} from './service.ts';
