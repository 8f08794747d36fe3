import {
  boolean,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const regions = pgTable(
  'regions',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    country: text('country').notNull(),
    active: boolean('active').notNull().default(true),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), uniqueIndex('regions_tenant_code_key').on(t.tenantId, t.code)],
);

/** One owning region per (country, pattern); a pattern is a prefix of the normalized postcode. */
export const regionPostcodes = pgTable(
  'region_postcodes',
  {
    tenantId: uuid('tenant_id').notNull(),
    country: text('country').notNull(),
    pattern: text('pattern').notNull(),
    regionId: uuid('region_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.country, t.pattern] }),
    index('region_postcodes_region_idx').on(t.tenantId, t.regionId),
    foreignKey({ columns: [t.tenantId, t.regionId], foreignColumns: [regions.tenantId, regions.id] }),
  ],
);
