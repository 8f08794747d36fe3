import {
  bigint,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const ROUTING_MODES = ['recommended', 'compare_quotes', 'manual'] as const;
export const ROUTING_STRATEGIES = ['round_robin', 'weighted', 'priority'] as const;
export const DROP_REASONS = [
  'inactive',
  'no_coverage',
  'service_not_offered',
  'cap_reached',
  'already_assigned',
  'no_consent',
  'not_selected',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface CandidateRecord {
  installerId: string;
  selected: boolean;
  score?: number;
  reason?: DropReason;
  rank?: number;
  /** Weighted strategy: the factors behind the score (0–1 each). */
  factors?: Record<string, number>;
}

/** Every decision with every candidate and why it was kept or dropped (explainable routing). */
export const routingDecisions = pgTable(
  'routing_decisions',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    leadId: uuid('lead_id').notNull(),
    mode: text('mode', { enum: ROUTING_MODES }).notNull(),
    strategy: text('strategy', { enum: ROUTING_STRATEGIES }).notNull(),
    trigger: text('trigger', { enum: ['staff', 'intake', 'reroute'] }).notNull(),
    regionId: uuid('region_id'),
    outcome: text('outcome', { enum: ['assigned', 'no_candidates', 'not_serviceable'] }).notNull(),
    candidates: jsonb('candidates').$type<CandidateRecord[]>().notNull(),
    decidedByUserId: uuid('decided_by_user_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('routing_decisions_lead_idx').on(t.tenantId, t.leadId, t.id),
  ],
);

export const ASSIGNMENT_STATUSES = [
  'offered',
  'accepted',
  'declined',
  'expired',
  'contacted',
  'quoted',
  'won',
  'lost',
  'install_scheduled',
  'installed',
] as const;
export type AssignmentStatus = (typeof ASSIGNMENT_STATUSES)[number];

export const leadAssignments = pgTable(
  'lead_assignments',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    leadId: uuid('lead_id').notNull(),
    installerId: uuid('installer_id').notNull(),
    decisionId: uuid('decision_id').notNull(),
    status: text('status', { enum: ASSIGNMENT_STATUSES }).notNull().default('offered'),
    offeredAt: timestamp('offered_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    respondedAt: timestamp('responded_at', { withTimezone: true }),
    quoteAmount: bigint('quote_amount', { mode: 'number' }),
    quoteCurrency: text('quote_currency'),
    installScheduledFor: timestamp('install_scheduled_for', { withTimezone: true }),
    installedAt: timestamp('installed_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    // A lead is never assigned twice to one installer.
    uniqueIndex('lead_assignments_lead_installer_key').on(t.tenantId, t.leadId, t.installerId),
    index('lead_assignments_installer_offered_idx').on(t.tenantId, t.installerId, t.offeredAt),
    index('lead_assignments_installer_status_idx').on(t.tenantId, t.installerId, t.status, t.id),
    index('lead_assignments_status_expiry_idx').on(t.status, t.expiresAt),
    foreignKey({
      columns: [t.tenantId, t.decisionId],
      foreignColumns: [routingDecisions.tenantId, routingDecisions.id],
    }),
  ],
);

/** Append-only (trigger): every step of an assignment with actor, time and note. */
export const assignmentEvents = pgTable(
  'assignment_events',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    assignmentId: uuid('assignment_id').notNull(),
    fromStatus: text('from_status', { enum: ASSIGNMENT_STATUSES }),
    toStatus: text('to_status', { enum: ASSIGNMENT_STATUSES }).notNull(),
    actorKind: text('actor_kind').notNull(),
    actorId: uuid('actor_id'),
    note: text('note'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('assignment_events_assignment_idx').on(t.tenantId, t.assignmentId, t.id),
    foreignKey({
      columns: [t.tenantId, t.assignmentId],
      foreignColumns: [leadAssignments.tenantId, leadAssignments.id],
    }),
  ],
);
