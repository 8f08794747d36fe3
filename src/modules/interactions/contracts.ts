import { z } from 'zod';
import { code, isoDateTime, text } from '../../platform/http-schemas.ts';
import { INTERACTION_CHANNELS } from './schema.ts';

export const interactionChannel = z.enum(INTERACTION_CHANNELS);
export const interactionDirection = z.enum(['inbound', 'outbound', 'internal']);

export const createInteractionBody = z.strictObject({
  personId: z.uuid(),
  channel: interactionChannel,
  type: code.describe('what happened, e.g. call, email_sent, site_visit'),
  direction: interactionDirection.default('outbound'),
  happenedAt: isoDateTime.describe('at most a day ahead of now (clock skew); stored to the millisecond'),
  summary: text(10_000).optional().describe('staff-written summary; readable with crm:read (not a sensitive artifact)'),
  sourceRef: text(500).optional().describe('reference into the source system (message id, call id …)'),
  accountId: z.uuid().optional(),
  opportunityId: z.uuid().optional(),
  projectId: z.uuid().optional(),
  leadId: z.uuid().optional(),
});
export type CreateInteractionInput = z.infer<typeof createInteractionBody>;

export const interaction = z.object({
  id: z.uuid(),
  personId: z.uuid(),
  channel: interactionChannel,
  type: z.string(),
  direction: interactionDirection,
  happenedAt: isoDateTime,
  summary: z.string().nullable(),
  sourceRef: z.string().nullable(),
  accountId: z.uuid().nullable(),
  opportunityId: z.uuid().nullable(),
  projectId: z.uuid().nullable(),
  leadId: z.uuid().nullable(),
  createdByUserId: z.uuid().nullable(),
  createdAt: isoDateTime,
});
export type InteractionView = z.infer<typeof interaction>;

export const interactionListQuery = z.strictObject({
  personId: z.uuid().describe('the timeline is per person'),
  channel: interactionChannel.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});
export type InteractionListQuery = z.infer<typeof interactionListQuery>;

export const personIdParam = z.object({ personId: z.uuid() });

export const scoreObservationBody = z.strictObject({
  scoreType: code,
  value: z.number().finite().min(-1e9).max(1e9),
  signalSource: text(100).optional(),
  evidenceRef: text(500).optional(),
  observedAt: isoDateTime.optional().describe('defaults to now; an older observation does not replace a newer score'),
});
export type ScoreObservationInput = z.infer<typeof scoreObservationBody>;

export const score = z.object({
  scoreType: z.string(),
  value: z.number(),
  computedAt: isoDateTime,
  evidenceRefs: z.array(z.string()),
});

export const scorePoint = z.object({
  at: isoDateTime,
  value: z.number(),
  signalSource: z.string().nullable(),
  evidenceRef: z.string().nullable(),
});

export const scoreObservation = scorePoint.extend({
  personId: z.uuid(),
  scoreType: z.string(),
  current: score,
});

export const qdQuery = z.strictObject({
  scoreType: code.optional(),
  since: isoDateTime.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('latest points per score type'),
});
export type QdQuery = z.infer<typeof qdQuery>;

export const qd = z.object({
  personId: z.uuid(),
  scores: z.array(score),
  series: z.array(z.object({ scoreType: z.string(), points: z.array(scorePoint).describe('oldest first') })),
});
