import { sql } from 'drizzle-orm';
import {
  boolean,
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
import {
  type Address,
  type Assessment,
  type Consent,
  type ContactPreferences,
  LEAD_SOURCES,
  LEAD_STATUSES,
  type Recommendation,
  SELECTED_PATHS,
} from './contracts.ts';

export type { LeadStatus } from './contracts.ts';
export { LEAD_SOURCES, LEAD_STATUSES, OPEN_STATUSES, SELECTED_PATHS } from './contracts.ts';

const openPredicate = sql`status in ('new', 'contacted', 'nurturing', 'qualified', 'matched')`;

export const leads = pgTable(
  'leads',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    reference: text('reference').notNull(),
    personId: uuid('person_id').notNull(),
    status: text('status', { enum: LEAD_STATUSES }).notNull().default('new'),
    source: text('source', { enum: LEAD_SOURCES }).notNull(),
    sourceDetail: text('source_detail'),
    service: text('service'),
    selectedPath: text('selected_path', { enum: SELECTED_PATHS }).notNull().default('undecided'),
    // Contact snapshot as the homeowner gave it (normalized); the person record is the CRM's.
    name: text('name'),
    email: text('email'),
    phone: text('phone'),
    postcode: text('postcode'),
    locale: text('locale'),
    address: jsonb('address').$type<Address>(),
    organizationName: text('organization_name'),
    contactPreferences: jsonb('contact_preferences').$type<ContactPreferences>(),
    consent: jsonb('consent').$type<Consent>().notNull(),
    assessment: jsonb('assessment').$type<Assessment>(),
    recommendation: jsonb('recommendation').$type<Recommendation>(),
    note: text('note'),
    assignedUserId: uuid('assigned_user_id'),
    createdByUserId: uuid('created_by_user_id'),
    statusChangedAt: timestamp('status_changed_at', { withTimezone: true }).notNull().defaultNow(),
    convertedAccountId: uuid('converted_account_id'),
    convertedProjectId: uuid('converted_project_id'),
    convertedOpportunityId: uuid('converted_opportunity_id'),
    convertedAt: timestamp('converted_at', { withTimezone: true }),
    erasedAt: timestamp('erased_at', { withTimezone: true }),
    submissionCount: integer('submission_count').notNull().default(1),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex('leads_tenant_reference_key').on(t.tenantId, t.reference),
    // At most one open lead per (tenant, email) and per (tenant, phone), also under concurrent intake.
    uniqueIndex('leads_open_email_key').on(t.tenantId, t.email).where(sql`${openPredicate} and email is not null`),
    uniqueIndex('leads_open_phone_key').on(t.tenantId, t.phone).where(sql`${openPredicate} and phone is not null`),
    // Keyset list, newest first (ids are UUIDv7, so id order is creation order).
    index('leads_tenant_id_desc_idx').on(t.tenantId, t.id.desc().nullsFirst()),
    index('leads_tenant_status_idx').on(t.tenantId, t.status, t.id.desc().nullsFirst()),
    index('leads_tenant_assigned_idx').on(t.tenantId, t.assignedUserId, t.id.desc().nullsFirst()),
    index('leads_tenant_source_idx').on(t.tenantId, t.source, t.id.desc().nullsFirst()),
    index('leads_tenant_person_idx').on(t.tenantId, t.personId),
    index('leads_search_trgm_idx').using(
      'gin',
      sql`(coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '') || ' ' || reference) gin_trgm_ops`,
    ),
  ],
);

/** Raw intake evidence: every submission exactly as received (anonymized by erase). */
export const leadSubmissions = pgTable(
  'lead_submissions',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    leadId: uuid('lead_id').notNull(),
    channel: text('channel', { enum: ['public', 'staff', 'import'] }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    clientIp: text('client_ip'),
    userAgent: text('user_agent'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('lead_submissions_lead_idx').on(t.tenantId, t.leadId, t.id),
    foreignKey({ columns: [t.tenantId, t.leadId], foreignColumns: [leads.tenantId, leads.id] }),
  ],
);

/** Append-only status history (trigger); creation writes (null → new). */
export const leadStatusEvents = pgTable(
  'lead_status_events',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    leadId: uuid('lead_id').notNull(),
    fromStatus: text('from_status', { enum: LEAD_STATUSES }),
    toStatus: text('to_status', { enum: LEAD_STATUSES }).notNull(),
    reason: text('reason'),
    changedByUserId: uuid('changed_by_user_id'),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('lead_status_events_lead_idx').on(t.tenantId, t.leadId, t.id),
    foreignKey({ columns: [t.tenantId, t.leadId], foreignColumns: [leads.tenantId, leads.id] }),
  ],
);

export interface Question {
  key: string;
  type: 'string' | 'number' | 'integer' | 'boolean' | 'choice' | 'multi_choice';
  required?: boolean;
  options?: string[];
  label?: string;
}

/** Versioned assessment question sets; at most one active per tenant. */
export const questionSets = pgTable(
  'question_sets',
  {
    tenantId: uuid('tenant_id').notNull(),
    version: text('version').notNull(),
    questions: jsonb('questions').$type<Question[]>().notNull(),
    active: boolean('active').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.version] }),
    uniqueIndex('question_sets_one_active_key').on(t.tenantId).where(sql`active`),
  ],
);
