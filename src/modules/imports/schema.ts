import {
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

export const IMPORT_KINDS = ['people', 'leads', 'accounts', 'installers', 'region_postcodes'] as const;
export const IMPORT_STATUSES = [
  'uploaded',
  'parsed',
  'mapped',
  'proposed',
  'approved',
  'committed',
  'failed',
  'reverted',
] as const;
export const ROW_ACTIONS = ['create', 'update', 'merge', 'skip', 'invalid'] as const;

export type ImportKind = (typeof IMPORT_KINDS)[number];
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
export type RowAction = (typeof ROW_ACTIONS)[number];

export interface ImportReport {
  create: number;
  update: number;
  merge: number;
  skip: number;
  invalid: number;
}

/** One uploaded file and its lifecycle; `committed_through` is the commit checkpoint (last applied row number). */
export const importBatches = pgTable(
  'import_batches',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    kind: text('kind', { enum: IMPORT_KINDS }).notNull(),
    status: text('status', { enum: IMPORT_STATUSES }).notNull(),
    fileName: text('file_name').notNull(),
    format: text('format', { enum: ['csv', 'xlsx'] }).notNull(),
    fileSha256: text('file_sha256'),
    fileBytes: integer('file_bytes'),
    encoding: text('encoding'),
    delimiter: text('delimiter'),
    columns: jsonb('columns').$type<string[]>().notNull().default([]),
    suggestedMapping: jsonb('suggested_mapping').$type<Record<string, string>>().notNull().default({}),
    mapping: jsonb('mapping').$type<Record<string, string>>(),
    mappingTemplate: text('mapping_template'),
    rowCount: integer('row_count').notNull().default(0),
    report: jsonb('report').$type<ImportReport>(),
    commitResult: jsonb('commit_result').$type<Record<string, unknown>>(),
    committedThrough: integer('committed_through').notNull().default(0),
    failureReason: text('failure_reason'),
    createdByUserId: uuid('created_by_user_id'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index('import_batches_tenant_id_desc_idx').on(t.tenantId, t.id.desc().nullsFirst()),
  ],
);

/**
 * One staged row: the raw cells, then (after propose) the mapped values, the proposed action with its
 * evidence and diff, and (after commit) what was applied and the prior values a revert restores.
 */
export const importRows = pgTable(
  'import_rows',
  {
    tenantId: uuid('tenant_id').notNull(),
    batchId: uuid('batch_id').notNull(),
    rowNumber: integer('row_number').notNull(),
    raw: jsonb('raw').$type<string[]>().notNull(),
    data: jsonb('data').$type<Record<string, unknown>>(),
    action: text('action', { enum: ROW_ACTIONS }),
    targetId: uuid('target_id'),
    errors: jsonb('errors').$type<{ column: string | null; field: string | null; message: string }[]>(),
    evidence: jsonb('evidence').$type<Record<string, unknown>[]>(),
    diff: jsonb('diff').$type<Record<string, { from: unknown; to: unknown }>>(),
    /**
     * After commit, for updates and merges: the person's version after the row and the values before
     * it. A created row is written when its row number is within the checkpoint and it has no note.
     */
    appliedVersion: integer('applied_version'),
    prior: jsonb('prior').$type<Record<string, unknown>>(),
    commitNote: text('commit_note'),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.batchId, t.rowNumber] }),
    foreignKey({ columns: [t.tenantId, t.batchId], foreignColumns: [importBatches.tenantId, importBatches.id] }),
    index('import_rows_action_idx').on(t.tenantId, t.batchId, t.action, t.rowNumber),
  ],
);

/**
 * The commit of a people batch runs in lanes, each its own series of chunk transactions on its own
 * connection: a row belongs to the lane of its target (every row of one person in one lane, in file order),
 * and each lane keeps its own checkpoint — the last row number of the windows it has written.
 */
export const importCommitLanes = pgTable(
  'import_commit_lanes',
  {
    tenantId: uuid('tenant_id').notNull(),
    batchId: uuid('batch_id').notNull(),
    lane: integer('lane').notNull(),
    /** How many lanes the batch's commit has: fixed when the commit starts, kept when it resumes. */
    lanes: integer('lanes').notNull(),
    committedThrough: integer('committed_through').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.batchId, t.lane] }),
    foreignKey({ columns: [t.tenantId, t.batchId], foreignColumns: [importBatches.tenantId, importBatches.id] }),
  ],
);

/** Every lifecycle transition of a batch (append-only): who moved it, when, and why. */
export const importBatchEvents = pgTable(
  'import_batch_events',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    batchId: uuid('batch_id').notNull(),
    fromStatus: text('from_status', { enum: IMPORT_STATUSES }),
    toStatus: text('to_status', { enum: IMPORT_STATUSES }).notNull(),
    reason: text('reason'),
    actorKind: text('actor_kind').notNull(),
    actorId: uuid('actor_id'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.batchId], foreignColumns: [importBatches.tenantId, importBatches.id] }),
    index('import_batch_events_batch_idx').on(t.tenantId, t.batchId, t.id),
  ],
);

/** Named, reusable column → field mappings per tenant and kind. */
export const importMappingTemplates = pgTable(
  'import_mapping_templates',
  {
    tenantId: uuid('tenant_id').notNull(),
    id: uuid('id').notNull(),
    kind: text('kind', { enum: IMPORT_KINDS }).notNull(),
    name: text('name').notNull(),
    mapping: jsonb('mapping').$type<Record<string, string>>().notNull(),
    createdByUserId: uuid('created_by_user_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex('import_mapping_templates_name_key').on(t.tenantId, t.kind, t.name),
  ],
);
