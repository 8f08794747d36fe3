import { z } from 'zod';
import { isoDateTime, money, text } from '../../platform/http-schemas.ts';
import { ASSIGNMENT_STATUSES, DROP_REASONS, ROUTING_MODES, ROUTING_STRATEGIES } from './schema.ts';

export const routeBody = z.strictObject({
  mode: z.enum(ROUTING_MODES).optional(),
  installerIds: z.array(z.uuid()).min(1).max(7).optional(),
});

export const candidate = z.object({
  installerId: z.uuid(),
  selected: z.boolean(),
  score: z.number().optional(),
  reason: z.enum(DROP_REASONS).optional(),
  rank: z.number().int().optional(),
  factors: z.record(z.string(), z.number()).optional(),
});

export const decision = z.object({
  id: z.uuid(),
  leadId: z.uuid(),
  mode: z.enum(ROUTING_MODES),
  strategy: z.enum(ROUTING_STRATEGIES),
  trigger: z.enum(['staff', 'intake', 'reroute']),
  regionId: z.uuid().nullable(),
  outcome: z.enum(['assigned', 'no_candidates', 'not_serviceable']),
  candidates: z.array(candidate),
  decidedBy: z.uuid().nullable(),
  createdAt: isoDateTime,
});

export const assignmentStatus = z.enum(ASSIGNMENT_STATUSES);

export const assignment = z.object({
  id: z.uuid(),
  leadId: z.uuid(),
  installerId: z.uuid(),
  decisionId: z.uuid(),
  status: assignmentStatus,
  offeredAt: isoDateTime,
  expiresAt: isoDateTime,
  respondedAt: isoDateTime.nullable(),
  quote: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
  installScheduledFor: isoDateTime.nullable(),
  installedAt: isoDateTime.nullable(),
  version: z.number().int(),
  updatedAt: isoDateTime,
});

export const assignmentEvent = z.object({
  fromStatus: assignmentStatus.nullable(),
  toStatus: assignmentStatus,
  actorKind: z.string(),
  actorId: z.uuid().nullable(),
  note: z.string().nullable(),
  at: isoDateTime,
});

export const assignmentWithEvents = assignment.extend({ events: z.array(assignmentEvent) });

export const assignmentDetail = assignmentWithEvents.extend({
  lead: z.object({
    reference: z.string(),
    service: z.string().nullable(),
    postcode: z.string().nullable(),
    selectedPath: z.string(),
    recommendation: z.record(z.string(), z.unknown()).nullable(),
    contact: z
      .object({
        name: z.string().nullable(),
        email: z.string().nullable(),
        phone: z.string().nullable(),
        address: z.record(z.string(), z.unknown()).nullable(),
      })
      .nullable(),
  }),
});

export const routeResponse = z.object({ decision, assignments: z.array(assignment) });

export const routePreviewResponse = z.object({
  preview: z.object({
    mode: z.enum(ROUTING_MODES),
    strategy: z.enum(ROUTING_STRATEGIES),
    regionId: z.uuid().nullable(),
    /** How many installers the real route would offer the lead to. */
    slots: z.number().int(),
    candidates: z.array(candidate.extend({ installerName: z.string().optional() })),
  }),
});

export const assignmentListQuery = z.strictObject({
  installerId: z.uuid().optional(),
  status: assignmentStatus.optional(),
  leadId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});

export const actionParams = z.object({
  id: z.uuid(),
  action: z.enum(['accept', 'decline', 'contact', 'quote', 'win', 'lose', 'schedule-install', 'confirm-install']),
});

export const actionBody = z
  .strictObject({
    note: text(2000).optional(),
    quote: money.optional(),
    scheduledFor: isoDateTime.optional(),
    installedAt: isoDateTime.optional(),
  })
  .optional();
