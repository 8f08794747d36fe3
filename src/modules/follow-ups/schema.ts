import { boolean, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const FOLLOW_UP_STATUSES = ['scheduled', 'sent', 'responded', 'escalated', 'closed'] as const;
export type FollowUpStatus = (typeof FOLLOW_UP_STATUSES)[number];
export const FOLLOW_UP_KINDS = ['satisfaction_survey', 'issue_check'] as const;
export const ISSUE_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** Post-install trust and quality: created only by install confirmation, never blocks routing. */
export const followUps = pgTable(
  'follow_ups',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    leadId: uuid('lead_id').notNull(),
    assignmentId: uuid('assignment_id').notNull(),
    installerId: uuid('installer_id').notNull(),
    kind: text('kind', { enum: FOLLOW_UP_KINDS }).notNull(),
    status: text('status', { enum: FOLLOW_UP_STATUSES }).notNull().default('scheduled'),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    satisfactionScore: integer('satisfaction_score'),
    nps: integer('nps'),
    hasIssue: boolean('has_issue').notNull().default(false),
    issueCategory: text('issue_category'),
    issueSeverity: text('issue_severity', { enum: ISSUE_SEVERITIES }),
    issueResolution: text('issue_resolution'),
    notes: text('notes'),
    respondedAt: timestamp('responded_at', { withTimezone: true }),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex('follow_ups_assignment_kind_key').on(t.tenantId, t.assignmentId, t.kind),
    index('follow_ups_lead_idx').on(t.tenantId, t.leadId),
    index('follow_ups_installer_idx').on(t.tenantId, t.installerId, t.status, t.id),
    index('follow_ups_status_idx').on(t.tenantId, t.status, t.id),
  ],
);
