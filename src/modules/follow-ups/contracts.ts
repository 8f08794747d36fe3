import { z } from 'zod';
import { isoDateTime, text } from '../../platform/http-schemas.ts';
import { FOLLOW_UP_KINDS, FOLLOW_UP_STATUSES, ISSUE_SEVERITIES } from './schema.ts';

export const followUpStatus = z.enum(FOLLOW_UP_STATUSES);

export const followUp = z.object({
  id: z.uuid(),
  leadId: z.uuid(),
  assignmentId: z.uuid(),
  installerId: z.uuid(),
  kind: z.enum(FOLLOW_UP_KINDS),
  status: followUpStatus,
  dueAt: isoDateTime,
  satisfactionScore: z.number().int().nullable(),
  nps: z.number().int().nullable(),
  hasIssue: z.boolean(),
  issue: z
    .object({
      category: z.string().nullable(),
      severity: z.enum(ISSUE_SEVERITIES).nullable(),
      resolution: z.string().nullable(),
    })
    .nullable(),
  notes: z.string().nullable(),
  respondedAt: isoDateTime.nullable(),
  closedAt: isoDateTime.nullable(),
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type FollowUpView = z.infer<typeof followUp>;

export const followUpListQuery = z.strictObject({
  leadId: z.uuid().optional(),
  status: followUpStatus.optional(),
  installerId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});

export const patchFollowUpBody = z
  .strictObject({
    status: followUpStatus,
    satisfactionScore: z.number().int().min(1).max(5),
    nps: z.number().int().min(0).max(10),
    hasIssue: z.boolean(),
    issueCategory: text(100).nullable(),
    issueSeverity: z.enum(ISSUE_SEVERITIES).nullable(),
    issueResolution: text(5000).nullable(),
    notes: text(5000).nullable(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one field to change' });
export type PatchFollowUpInput = z.infer<typeof patchFollowUpBody>;
