import type { Ctx } from '../../../platform/context.ts';
import { conflict } from '../../../platform/errors.ts';
import { peopleRequiredMapping } from '../fields.ts';
import * as repo from '../repository.ts';
import type { ImportKind } from '../schema.ts';
import { accountsKind } from './accounts.ts';
import { type KindHandler, proposeRows, suggestKindMapping } from './common.ts';
import { KIND_FIELDS, SUPPORTED_KINDS } from './fields.ts';
import { installersKind } from './installers.ts';
import { leadsKind } from './leads.ts';
import { regionPostcodesKind } from './region-postcodes.ts';
import { writtenRows } from './repository.ts';

/** The kinds besides people: each in its own file; service.ts dispatches here on batch.kind. */
const HANDLERS: Partial<Record<ImportKind, KindHandler<any, any>>> = {
  leads: leadsKind,
  accounts: accountsKind,
  installers: installersKind,
  region_postcodes: regionPostcodesKind,
};

export const kindHandler = (kind: ImportKind) => {
  const h = HANDLERS[kind];
  if (!h) throw new Error(`no import handler for kind ${kind}`);
  return h;
};

export const suggestMappingOf = suggestKindMapping;

const requiredMappingOf = (kind: ImportKind) =>
  kind === 'people' ? peopleRequiredMapping : kindHandler(kind).requiredMapping;

/** Unknown fields, fields mapped twice and the kind's required fields (every kind, people included). */
export function mappingErrors(kind: ImportKind, columns: string[], mapping: Record<string, string>) {
  const fields = KIND_FIELDS[kind] ?? [];
  const errors: { path: string; message: string }[] = [];
  const used = new Map<string, string>();
  for (const [column, field] of Object.entries(mapping)) {
    if (!columns.includes(column)) errors.push({ path: `mapping.${column}`, message: 'no such column in the file' });
    if (!fields.includes(field)) {
      errors.push({ path: `mapping.${column}`, message: `unknown field; one of ${fields.join(', ')}` });
    } else if (used.has(field)) {
      errors.push({ path: `mapping.${column}`, message: `field ${field} is already mapped from '${used.get(field)}'` });
    }
    used.set(field, column);
  }
  return [...errors, ...requiredMappingOf(kind)(new Set(used.keys()))];
}

/** What can be imported: each kind with its fields and what a mapping of it must include (in words). */
export function importKinds() {
  return SUPPORTED_KINDS.map((kind) => ({
    kind,
    fields: [...(KIND_FIELDS[kind] ?? [])],
    required: requiredMappingOf(kind)(new Set()).map((e) => e.message),
  }));
}

/** The dry run of a kind other than people; returns the report. */
export async function proposeKind(
  ctx: Ctx,
  b: repo.BatchRow,
  progress?: (phase: 'propose', done: number, total: number | null) => void,
) {
  progress?.('propose', 0, b.rowCount);
  await proposeRows(ctx, b, kindHandler(b.kind), (done) => progress?.('propose', done, b.rowCount));
  return repo.countByAction(ctx, b.id);
}

/** The next chunk of rows to write after the checkpoint, for a kind other than people; null when done. */
export async function nextKindCommitRows(ctx: Ctx, b: repo.BatchRow, limit: number) {
  const last = await repo.lastRowNumber(ctx, b.id);
  if (b.committedThrough >= last) return null;
  const lastRow = Math.min(b.committedThrough + limit, last);
  return { lastRow, rows: await repo.readCommitRange(ctx, b.id, b.committedThrough, lastRow) };
}

/** The batch (locked, committed) and the rows it wrote, for a revert of a kind other than people. */
export async function kindRevertRows(ctx: Ctx, b: repo.BatchRow) {
  if (b.status !== 'committed') {
    throw conflict('import.invalid_transition', `Only a committed batch can be reverted (this one is ${b.status}).`, {
      status: b.status,
    });
  }
  return writtenRows(ctx, b.id, b.committedThrough);
}

export type { WrittenRow } from './repository.ts';
