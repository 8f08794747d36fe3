import { z } from 'zod';
import { isoDateTime, text } from '../../../platform/http-schemas.ts';
import { listQuery } from '../../../platform/pagination.ts';
import { CAMPAIGN_STRATEGIES } from '../schema.ts';

export const strategy = z.enum(CAMPAIGN_STRATEGIES);
const weight = z
  .number()
  .int()
  .min(0)
  .max(1000)
  .describe('share of the rotation (round_robin) or of the load (effort_based); 0 takes no new leads');

export const campaignBody = z.strictObject({
  name: text(200),
  strategy,
  active: z.boolean().default(true),
  members: z
    .array(z.strictObject({ userId: z.uuid(), weight: weight.default(1) }))
    .max(200)
    .default([]),
});
export type CampaignInput = z.infer<typeof campaignBody>;

export const campaignPatchBody = z
  .strictObject({
    name: text(200),
    strategy,
    active: z.boolean(),
    members: z
      .array(z.strictObject({ userId: z.uuid(), weight: weight.optional(), active: z.boolean().optional() }))
      .min(1)
      .max(200)
      .describe('members to add or change (weight, active); members not listed stay as they are'),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one field to change' });
export type CampaignPatch = z.infer<typeof campaignPatchBody>;

export const campaignMember = z.object({
  userId: z.uuid(),
  weight: z.number().int(),
  active: z.boolean(),
  assignedCount: z.number().int().describe('leads this campaign has assigned to the member'),
});

export const campaign = z.object({
  id: z.uuid(),
  name: z.string(),
  strategy,
  active: z.boolean(),
  members: z.array(campaignMember),
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type CampaignView = z.infer<typeof campaign>;

export const campaignListQuery = z.strictObject({ ...listQuery.shape, active: z.enum(['true', 'false']).optional() });
export type CampaignListQuery = z.infer<typeof campaignListQuery>;

export const assignLeadsBody = z.strictObject({
  leadIds: z.array(z.uuid()).min(1).max(100),
  userId: z.uuid().optional().describe('manual campaigns only: the active member who gets the leads'),
});
export type AssignLeadsInput = z.infer<typeof assignLeadsBody>;

export const campaignAssignment = z.object({
  leadId: z.uuid(),
  userId: z.uuid(),
  strategy,
  reason: z.string(),
});
export const assignLeadsResult = z.object({ assignments: z.array(campaignAssignment) });
