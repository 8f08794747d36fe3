import { z } from 'zod';
import { isoDateTime, text } from '../../platform/http-schemas.ts';
import { ALL_IMPORT_FIELDS, KIND_FIELDS, SUPPORTED_KINDS } from './kinds/fields.ts';
import { IMPORT_KINDS, IMPORT_STATUSES, ROW_ACTIONS } from './schema.ts';

export const importKind = z.enum(IMPORT_KINDS);
export const importStatus = z.enum(IMPORT_STATUSES);
export const rowAction = z.enum(ROW_ACTIONS);

export const uploadQuery = z.strictObject({
  kind: importKind.describe(
    `what the rows are; available: ${SUPPORTED_KINDS.join(', ')} (others answer 400 import.kind_unsupported)`,
  ),
  fileName: text(255).optional().describe('the original file name, kept with the batch'),
});

const report = z.object({
  create: z.number().int(),
  update: z.number().int(),
  merge: z.number().int(),
  skip: z.number().int(),
  invalid: z.number().int(),
});

export const batchView = z.object({
  id: z.uuid(),
  kind: importKind,
  status: importStatus,
  fileName: z.string(),
  format: z.enum(['csv', 'xlsx']),
  encoding: z.string().nullable().describe('the character encoding read (CSV)'),
  delimiter: z.string().nullable().describe('the delimiter detected (CSV)'),
  columns: z.array(z.string()).describe('header names, made unique ("Email", "Email (2)")'),
  suggestedMapping: z.record(z.string(), z.string()).describe('column → field, suggested from the header names'),
  mapping: z.record(z.string(), z.string()).nullable(),
  mappingTemplate: z.string().nullable(),
  rowCount: z.number().int(),
  report: report.nullable().describe('the dry run of propose: rows per proposed action'),
  commitResult: z.record(z.string(), z.unknown()).nullable(),
  committedThrough: z
    .number()
    .int()
    .describe("commit checkpoint: every row up to this row number is written (people: the lowest lane's)"),
  failureReason: z.string().nullable(),
  createdByUserId: z.uuid().nullable(),
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  history: z
    .array(
      z.object({
        fromStatus: importStatus.nullable(),
        toStatus: importStatus,
        reason: z.string().nullable(),
        actorKind: z.string(),
        changedBy: z.uuid().nullable(),
        changedAt: isoDateTime,
      }),
    )
    .describe('every transition, oldest first (empty in lists)'),
});

export const batchListQuery = z.strictObject({
  status: importStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});

export const mappingBody = z
  .strictObject({
    mapping: z
      .record(z.string().min(1).max(300), z.enum(ALL_IMPORT_FIELDS))
      .optional()
      .describe(
        "column name (as in `columns`) → field of the batch's kind; unmapped columns are ignored. Fields per kind: " +
          Object.entries(KIND_FIELDS)
            .map(([kind, fields]) => `${kind}: ${fields.join(', ')}`)
            .join('; '),
      ),
    templateName: text(100).optional().describe('use a saved mapping template of this tenant instead of `mapping`'),
    saveAs: text(100).optional().describe('save the mapping as a named template (replacing one of the same name)'),
  })
  .refine((b) => b.mapping !== undefined || b.templateName !== undefined, {
    message: 'give a mapping or a templateName',
    path: ['mapping'],
  });

export const failBody = z.strictObject({ reason: text(500) });

export const rowsQuery = z.strictObject({
  outcome: rowAction.optional().describe('only rows with this proposed action'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});

export const rowView = z.object({
  rowNumber: z.number().int().describe('as the spreadsheet shows it: the header is row 1'),
  action: rowAction.nullable(),
  targetId: z
    .uuid()
    .nullable()
    .describe(
      "the record of the batch's kind created (pre-assigned id), updated or merged into: person, lead, " +
        'account, installer; for region_postcodes the region the pattern is added to',
    ),
  values: z.record(z.string(), z.unknown()).nullable().describe('the mapped, normalized values'),
  errors: z.array(z.object({ column: z.string().nullable(), field: z.string().nullable(), message: z.string() })),
  evidence: z
    .array(z.record(z.string(), z.unknown()))
    .describe(
      'the matches behind the action: signal, strength, the record matched (personId, leadId, accountId, installerId, regionId) or duplicateOfRow',
    ),
  diff: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })).nullable(),
  applied: z.boolean(),
  commitNote: z.string().nullable(),
});

/** GET /api/crm/imports/kinds: what can be imported, so a client builds its mapping form from the server. */
export const kindCatalog = z.object({
  data: z
    .array(
      z.object({
        kind: importKind,
        fields: z.array(z.enum(ALL_IMPORT_FIELDS)).max(50).describe('the fields a column may be mapped to'),
        required: z
          .array(z.string().max(200))
          .max(10)
          .describe('what a mapping of this kind must include, in words (e.g. "map a column to email or phone")'),
      }),
    )
    .max(20),
});

export const templatesQuery = z.strictObject({ kind: importKind.default('people') });

/** GET /api/crm/imports/templates: the saved mappings of a kind (use one by name: PUT …/mapping { templateName }). */
export const templateList = z.object({
  data: z
    .array(
      z.object({
        name: z.string().max(100),
        kind: importKind,
        mapping: z.record(z.string().max(500), z.enum(ALL_IMPORT_FIELDS)).describe('column header → field'),
        updatedAt: isoDateTime,
      }),
    )
    .max(200),
});
