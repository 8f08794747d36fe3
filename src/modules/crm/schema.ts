import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export interface PostalAddress {
  line1?: string;
  line2?: string;
  city?: string;
  region?: string;
  postcode?: string;
  country?: string;
}

export const people = pgTable(
  'people',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    fullName: text('full_name'),
    firstName: text('first_name'),
    lastName: text('last_name'),
    email: text('email'),
    phone: text('phone'),
    postcode: text('postcode'),
    locale: text('locale'),
    address: jsonb('address').$type<PostalAddress>(),
    consent: jsonb('consent').$type<Record<string, unknown>>(),
    personaLabels: text('persona_labels').array().notNull().default(sql`'{}'::text[]`),
    linkedinUrl: text('linkedin_url'),
    /** 0–1: how sure we are this record is one real person (imports and agents set it). */
    sourceConfidence: numeric('source_confidence', { mode: 'number' }),
    createdByUserId: uuid('created_by_user_id'),
    erasedAt: timestamp('erased_at', { withTimezone: true }),
    /** Set when this person was merged into another: the row stays as a tombstone pointing at the survivor. */
    mergedIntoId: uuid('merged_into_id'),
    mergedAt: timestamp('merged_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.mergedIntoId], foreignColumns: [t.tenantId, t.id] }),
    index('people_merged_into_idx').on(t.tenantId, t.mergedIntoId).where(sql`merged_into_id is not null`),
    index('people_tenant_email_idx').on(t.tenantId, t.email),
    index('people_tenant_phone_idx').on(t.tenantId, t.phone),
    // The weak duplicate signal of imports, name + postcode, as one probe (a postcode alone holds hundreds).
    index('people_tenant_postcode_name_idx')
      .on(t.tenantId, t.postcode, sql`lower(${t.fullName})`)
      .where(sql`postcode is not null`),
    index('people_tenant_id_desc_idx').on(t.tenantId, t.id.desc().nullsFirst()),
    index('people_search_trgm_idx').using(
      'gin',
      sql`(coalesce(full_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')) gin_trgm_ops`,
    ),
  ],
);

/** Every email of a person (the primary one is mirrored on people.email for matching). */
export const personEmails = pgTable(
  'person_emails',
  {
    tenantId: uuid('tenant_id').notNull(),
    personId: uuid('person_id').notNull(),
    email: text('email').notNull(),
    label: text('label'),
    isPrimary: boolean('is_primary').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.personId, t.email] }),
    uniqueIndex('person_emails_one_primary_key').on(t.tenantId, t.personId).where(sql`is_primary`),
    index('person_emails_email_idx').on(t.tenantId, t.email),
    foreignKey({ columns: [t.tenantId, t.personId], foreignColumns: [people.tenantId, people.id] }),
  ],
);

/** Every phone of a person, E.164 (the primary one is mirrored on people.phone). */
export const personPhones = pgTable(
  'person_phones',
  {
    tenantId: uuid('tenant_id').notNull(),
    personId: uuid('person_id').notNull(),
    phone: text('phone').notNull(),
    label: text('label'),
    isPrimary: boolean('is_primary').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.personId, t.phone] }),
    uniqueIndex('person_phones_one_primary_key').on(t.tenantId, t.personId).where(sql`is_primary`),
    index('person_phones_phone_idx').on(t.tenantId, t.phone),
    foreignKey({ columns: [t.tenantId, t.personId], foreignColumns: [people.tenantId, people.id] }),
  ],
);

/** Person ↔ person (spouse, colleague, referred-by …). */
export const relationships = pgTable(
  'relationships',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    fromPersonId: uuid('from_person_id').notNull(),
    toPersonId: uuid('to_person_id').notNull(),
    kind: text('kind').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex('relationships_pair_kind_key').on(t.tenantId, t.fromPersonId, t.toPersonId, t.kind),
    index('relationships_to_idx').on(t.tenantId, t.toPersonId),
    foreignKey({ columns: [t.tenantId, t.fromPersonId], foreignColumns: [people.tenantId, people.id] }),
    foreignKey({ columns: [t.tenantId, t.toPersonId], foreignColumns: [people.tenantId, people.id] }),
  ],
);

export const ACCOUNT_TYPES = [
  'household',
  'company',
  'nonprofit',
  'government',
  'educational',
  'developer',
  'brokerage',
] as const;

export const accounts = pgTable(
  'accounts',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    type: text('type', { enum: ACCOUNT_TYPES }).notNull(),
    parentAccountId: uuid('parent_account_id'),
    primaryContactId: uuid('primary_contact_id'),
    billingAddress: jsonb('billing_address').$type<PostalAddress>(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    sourceLeadId: uuid('source_lead_id'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('accounts_tenant_id_desc_idx').on(t.tenantId, t.id.desc().nullsFirst()),
    foreignKey({ columns: [t.tenantId, t.parentAccountId], foreignColumns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.primaryContactId], foreignColumns: [people.tenantId, people.id] }),
  ],
);

export const accountMembers = pgTable(
  'account_members',
  {
    tenantId: uuid('tenant_id').notNull(),
    accountId: uuid('account_id').notNull(),
    personId: uuid('person_id').notNull(),
    role: text('role').notNull(),
    isBillingContact: boolean('is_billing_contact').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.accountId, t.personId] }),
    index('account_members_person_idx').on(t.tenantId, t.personId),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id] }),
    foreignKey({ columns: [t.tenantId, t.personId], foreignColumns: [people.tenantId, people.id] }),
  ],
);

export const pipelines = pgTable(
  'pipelines',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    kind: text('kind', { enum: ['sales', 'delivery'] }).notNull(),
    name: text('name').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex('pipelines_one_default_per_kind_key').on(t.tenantId, t.kind).where(sql`is_default`),
  ],
);

export const pipelineStages = pgTable(
  'pipeline_stages',
  {
    tenantId: uuid('tenant_id').notNull(),
    pipelineId: uuid('pipeline_id').notNull(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    position: integer('position').notNull(),
    probability: integer('probability').notNull().default(0),
    isWon: boolean('is_won').notNull().default(false),
    isLost: boolean('is_lost').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.pipelineId, t.key] }),
    foreignKey({ columns: [t.tenantId, t.pipelineId], foreignColumns: [pipelines.tenantId, pipelines.id] }),
  ],
);

export const opportunities = pgTable(
  'opportunities',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name'),
    personId: uuid('person_id').notNull(),
    accountId: uuid('account_id'),
    leadId: uuid('lead_id'),
    pipelineId: uuid('pipeline_id').notNull(),
    stage: text('stage').notNull(),
    valueAmount: bigint('value_amount', { mode: 'number' }),
    valueCurrency: text('value_currency'),
    probability: integer('probability'),
    expectedCloseDate: date('expected_close_date'),
    nextAction: text('next_action'),
    ownerUserId: uuid('owner_user_id'),
    status: text('status', { enum: ['open', 'won', 'lost'] })
      .notNull()
      .default('open'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('opportunities_person_idx').on(t.tenantId, t.personId, t.status),
    index('opportunities_person_recent_idx').on(t.tenantId, t.personId, t.id.desc().nullsFirst()),
    index('opportunities_tenant_id_desc_idx').on(t.tenantId, t.id.desc().nullsFirst()),
    index('opportunities_pipeline_stage_idx').on(t.tenantId, t.pipelineId, t.stage),
    foreignKey({ columns: [t.tenantId, t.personId], foreignColumns: [people.tenantId, people.id] }),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id] }),
    foreignKey({
      columns: [t.tenantId, t.pipelineId, t.stage],
      foreignColumns: [pipelineStages.tenantId, pipelineStages.pipelineId, pipelineStages.key],
    }),
  ],
);

export const projects = pgTable(
  'projects',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    type: text('type').notNull(),
    accountId: uuid('account_id').notNull(),
    primaryContactId: uuid('primary_contact_id'),
    siteAddress: jsonb('site_address').$type<PostalAddress>(),
    pipelineId: uuid('pipeline_id').notNull(),
    stage: text('stage').notNull(),
    consultantUserId: uuid('consultant_user_id'),
    systemSizeKw: numeric('system_size_kw'),
    contractValueAmount: bigint('contract_value_amount', { mode: 'number' }),
    contractValueCurrency: text('contract_value_currency'),
    sourceLeadId: uuid('source_lead_id'),
    status: text('status', { enum: ['open', 'won', 'lost'] })
      .notNull()
      .default('open'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('projects_account_idx').on(t.tenantId, t.accountId),
    index('projects_tenant_id_desc_idx').on(t.tenantId, t.id.desc().nullsFirst()),
    index('projects_primary_contact_idx').on(t.tenantId, t.primaryContactId),
    index('projects_pipeline_stage_idx').on(t.tenantId, t.pipelineId, t.stage),
    foreignKey({ columns: [t.tenantId, t.accountId], foreignColumns: [accounts.tenantId, accounts.id] }),
    foreignKey({ columns: [t.tenantId, t.primaryContactId], foreignColumns: [people.tenantId, people.id] }),
    foreignKey({
      columns: [t.tenantId, t.pipelineId, t.stage],
      foreignColumns: [pipelineStages.tenantId, pipelineStages.pipelineId, pipelineStages.key],
    }),
  ],
);

/** Append-only stage history of opportunities and projects (trigger). */
export const pipelineEvents = pgTable(
  'pipeline_events',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    entityType: text('entity_type', { enum: ['opportunity', 'project'] }).notNull(),
    entityId: uuid('entity_id').notNull(),
    pipelineId: uuid('pipeline_id').notNull(),
    fromStage: text('from_stage'),
    toStage: text('to_stage').notNull(),
    note: text('note'),
    changedByUserId: uuid('changed_by_user_id'),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('pipeline_events_entity_idx').on(t.tenantId, t.entityType, t.entityId, t.id),
  ],
);

export const TASK_TYPES = ['contact_lead', 'follow_up', 'reminder', 'custom'] as const;

export const tasks = pgTable(
  'tasks',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    type: text('type', { enum: TASK_TYPES }).notNull(),
    title: text('title').notNull(),
    status: text('status', { enum: ['open', 'done', 'cancelled'] })
      .notNull()
      .default('open'),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    assigneeUserId: uuid('assignee_user_id'),
    leadId: uuid('lead_id'),
    personId: uuid('person_id'),
    opportunityId: uuid('opportunity_id'),
    projectId: uuid('project_id'),
    notes: text('notes'),
    createdByUserId: uuid('created_by_user_id'),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('tasks_open_due_idx').on(t.tenantId, t.dueAt).where(sql`status = 'open'`),
    index('tasks_assignee_idx').on(t.tenantId, t.assigneeUserId, t.status, t.dueAt),
    index('tasks_lead_idx').on(t.tenantId, t.leadId),
    index('tasks_person_idx').on(t.tenantId, t.personId, t.status),
    index('tasks_person_open_due_idx').on(t.tenantId, t.personId, t.dueAt).where(sql`status = 'open'`),
    index('tasks_opportunity_idx').on(t.tenantId, t.opportunityId),
    index('tasks_project_idx').on(t.tenantId, t.projectId),
    foreignKey({ columns: [t.tenantId, t.personId], foreignColumns: [people.tenantId, people.id] }),
  ],
);

/** Person ↔ project with a role; exactly one primary contact per project (partial unique index). */
export const projectContacts = pgTable(
  'project_contacts',
  {
    tenantId: uuid('tenant_id').notNull(),
    projectId: uuid('project_id').notNull(),
    personId: uuid('person_id').notNull(),
    role: text('role').notNull(),
    isPrimary: boolean('is_primary').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.projectId, t.personId] }),
    uniqueIndex('project_contacts_one_primary_key').on(t.tenantId, t.projectId).where(sql`is_primary`),
    index('project_contacts_person_idx').on(t.tenantId, t.personId),
    foreignKey({ columns: [t.tenantId, t.projectId], foreignColumns: [projects.tenantId, projects.id] }),
    foreignKey({ columns: [t.tenantId, t.personId], foreignColumns: [people.tenantId, people.id] }),
  ],
);

/** Interest of a person in an inventory project/unit or a product (inventory comes later: references). */
export const propertyInterests = pgTable(
  'property_interests',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    personId: uuid('person_id').notNull(),
    inventoryProjectRef: text('inventory_project_ref'),
    inventoryUnitRef: text('inventory_unit_ref'),
    productCode: text('product_code'),
    level: text('level', { enum: ['low', 'medium', 'high'] })
      .notNull()
      .default('medium'),
    notes: text('notes'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('property_interests_person_idx').on(t.tenantId, t.personId),
    foreignKey({ columns: [t.tenantId, t.personId], foreignColumns: [people.tenantId, people.id] }),
  ],
);

export const CAMPAIGN_STRATEGIES = ['manual', 'round_robin', 'effort_based'] as const;

export const campaigns = pgTable(
  'campaigns',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    strategy: text('strategy', { enum: CAMPAIGN_STRATEGIES }).notNull(),
    active: boolean('active').notNull().default(true),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

export const campaignMembers = pgTable(
  'campaign_members',
  {
    tenantId: uuid('tenant_id').notNull(),
    campaignId: uuid('campaign_id').notNull(),
    userId: uuid('user_id').notNull(),
    weight: integer('weight').notNull().default(1),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.campaignId, t.userId] }),
    foreignKey({ columns: [t.tenantId, t.campaignId], foreignColumns: [campaigns.tenantId, campaigns.id] }),
  ],
);

/** Every lead a campaign assigned, to whom and why; a lead enters a campaign once. */
export const campaignAssignments = pgTable(
  'campaign_assignments',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    campaignId: uuid('campaign_id').notNull(),
    leadId: uuid('lead_id').notNull(),
    userId: uuid('user_id').notNull(),
    strategy: text('strategy', { enum: CAMPAIGN_STRATEGIES }).notNull(),
    reason: text('reason').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex('campaign_assignments_lead_key').on(t.tenantId, t.campaignId, t.leadId),
    index('campaign_assignments_user_idx').on(t.tenantId, t.campaignId, t.userId, t.createdAt),
    foreignKey({ columns: [t.tenantId, t.campaignId], foreignColumns: [campaigns.tenantId, campaigns.id] }),
  ],
);
