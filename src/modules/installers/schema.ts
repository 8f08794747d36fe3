import { sql } from 'drizzle-orm';
import {
  boolean,
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

export const INSTALLER_STATUSES = ['onboarding', 'active', 'paused', 'suspended', 'offboarded'] as const;
export type InstallerStatus = (typeof INSTALLER_STATUSES)[number];

export const installers = pgTable(
  'installers',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    legalName: text('legal_name'),
    companyNumber: text('company_number'),
    vatNumber: text('vat_number'),
    website: text('website'),
    email: text('email'),
    phone: text('phone'),
    address: jsonb('address').$type<Record<string, string>>(),
    status: text('status', { enum: INSTALLER_STATUSES }).notNull().default('onboarding'),
    services: text('services').array().notNull().default(sql`'{}'::text[]`),
    capacityDaily: integer('capacity_daily'),
    capacityWeekly: integer('capacity_weekly'),
    capacityMonthly: integer('capacity_monthly'),
    /** Priority-order strategy: lower first. */
    priority: integer('priority').notNull().default(100),
    /** 0–100, maintained by staff (quality reviews). */
    qualityScore: numeric('quality_score', { mode: 'number' }).notNull().default(50),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('installers_tenant_status_idx').on(t.tenantId, t.status, t.id),
  ],
);

export const installerContacts = pgTable(
  'installer_contacts',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    installerId: uuid('installer_id').notNull(),
    name: text('name').notNull(),
    email: text('email'),
    phone: text('phone'),
    role: text('role'),
    isPrimary: boolean('is_primary').notNull().default(false),
    receivesLeadNotifications: boolean('receives_lead_notifications').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex('installer_contacts_one_primary_key').on(t.tenantId, t.installerId).where(sql`is_primary`),
    foreignKey({ columns: [t.tenantId, t.installerId], foreignColumns: [installers.tenantId, installers.id] }),
  ],
);

export const installerNotes = pgTable(
  'installer_notes',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    installerId: uuid('installer_id').notNull(),
    kind: text('kind', { enum: ['quality', 'internal'] }).notNull(),
    body: text('body').notNull(),
    authorUserId: uuid('author_user_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('installer_notes_installer_idx').on(t.tenantId, t.installerId, t.id),
    foreignKey({ columns: [t.tenantId, t.installerId], foreignColumns: [installers.tenantId, installers.id] }),
  ],
);

/** Coverage: which regions an installer serves (join table; region ids belong to the regions module). */
export const installerRegions = pgTable(
  'installer_regions',
  {
    tenantId: uuid('tenant_id').notNull(),
    installerId: uuid('installer_id').notNull(),
    regionId: uuid('region_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.installerId, t.regionId] }),
    index('installer_regions_region_idx').on(t.tenantId, t.regionId, t.installerId),
    foreignKey({ columns: [t.tenantId, t.installerId], foreignColumns: [installers.tenantId, installers.id] }),
  ],
);
