import { index, jsonb, numeric, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const INTERACTION_CHANNELS = ['email', 'phone', 'sms', 'whatsapp', 'meeting', 'visit', 'web', 'other'] as const;

/** The timeline: one row per interaction with a person (details of calls, messages … come later). */
export const interactions = pgTable(
  'interactions',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    personId: uuid('person_id').notNull(),
    channel: text('channel', { enum: INTERACTION_CHANNELS }).notNull(),
    type: text('type').notNull(),
    direction: text('direction', { enum: ['inbound', 'outbound', 'internal'] })
      .notNull()
      .default('outbound'),
    happenedAt: timestamp('happened_at', { withTimezone: true }).notNull(),
    summary: text('summary'),
    sourceRef: text('source_ref'),
    accountId: uuid('account_id'),
    opportunityId: uuid('opportunity_id'),
    projectId: uuid('project_id'),
    leadId: uuid('lead_id'),
    createdByUserId: uuid('created_by_user_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('interactions_person_time_idx').on(
      t.tenantId,
      t.personId,
      t.happenedAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
  ],
);

/** Latest value per person and score type (the "QD" summary of seed 003). */
export const scores = pgTable(
  'scores',
  {
    tenantId: uuid('tenant_id').notNull(),
    personId: uuid('person_id').notNull(),
    scoreType: text('score_type').notNull(),
    currentValue: numeric('current_value', { mode: 'number' }).notNull(),
    computedAt: timestamp('computed_at', { withTimezone: true }).notNull(),
    evidenceRefs: jsonb('evidence_refs').$type<string[]>(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.personId, t.scoreType] })],
);

/** Every observation of a score over time (append-only). */
export const scoreTimeseries = pgTable(
  'score_timeseries',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    personId: uuid('person_id').notNull(),
    scoreType: text('score_type').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    value: numeric('value', { mode: 'number' }).notNull(),
    signalSource: text('signal_source'),
    evidenceRef: text('evidence_ref'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('score_timeseries_person_idx').on(t.tenantId, t.personId, t.scoreType, t.at),
  ],
);
