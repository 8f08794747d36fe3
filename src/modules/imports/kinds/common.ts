import type { Ctx } from '../../../platform/context.ts';
import { newId } from '../../../platform/ids.ts';
import { type RowError, suggestMappingFrom } from '../fields.ts';
import type { BatchRow } from '../repository.ts';
import * as repo from '../repository.ts';
import type { ImportKind, RowAction } from '../schema.ts';
import { KIND_SYNONYMS } from './fields.ts';

/** Rows per chunk read, normalized and classified. */
const CHUNK_ROWS = 2000;
const MAX_TEXT = 500;

export type Diff = Record<string, { from: unknown; to: unknown }>;

/** What one row becomes: its action, the record it creates (pre-assigned id) or targets, why, what changes. */
export interface Decision {
  action: RowAction;
  target: string | null;
  evidence: Record<string, unknown>[];
  diff: Diff | null;
  errors?: RowError[];
}

/** Reads a mapped cell: trimmed, null when empty, an error (and null) when too long. */
export interface Cells {
  cell(field: string): string | null;
  column(field: string): string | null;
  errors: RowError[];
}

/**
 * One import kind besides people: how its rows are normalized, which keys make two rows of a file the
 * same record, and how a row is classified against the existing records (through the owning module).
 */
export interface KindHandler<V, Env> {
  kind: ImportKind;
  /** Mapping-level rules: which fields must be mapped. */
  requiredMapping(mapped: Set<string>): { path: string; message: string }[];
  prepare(ctx: Ctx): Promise<Env>;
  normalize(c: Cells, env: Env): V;
  /** In-file identity keys (prefixed by signal); a later row sharing one is a duplicate of the earlier row. */
  fileKeys(v: V): string[];
  /** The chunk's valid first occurrences against the tenant's records. */
  classify(ctx: Ctx, rows: { n: number; values: V }[], env: Env): Promise<Map<number, Decision>>;
  /** A later row of the file repeating an earlier one (default: skipped, pointing at the earlier row's record). */
  duplicate?(v: V, first: { n: number; values: V; decision: Decision }, c: Cells): Decision | null;
}

/** The mapping suggested from header names by the kind's field synonyms. */
export function suggestKindMapping(kind: ImportKind, columns: string[]): Record<string, string> {
  return suggestMappingFrom(KIND_SYNONYMS[kind] ?? {}, columns);
}

function cellsOf(raw: string[], index: Map<string, { index: number; column: string }>): Cells {
  const errors: RowError[] = [];
  return {
    errors,
    column: (f) => index.get(f)?.column ?? null,
    cell(f) {
      const c = index.get(f);
      if (!c) return null;
      const v = (raw[c.index] ?? '').trim();
      if (v.length > MAX_TEXT) {
        errors.push({ column: c.column, field: f, message: `longer than ${MAX_TEXT} characters` });
        return null;
      }
      return v.length ? v : null;
    },
  };
}

/** A row error for a field, naming the column it came from. */
export const fieldError = (c: Cells, field: string, message: string): RowError => ({
  column: c.column(field),
  field,
  message,
});

/** A list cell ("solar_pv; heat_pump", "D02|D04"): split on ; , | and deduplicated. */
export const listOf = (s: string | null) =>
  s
    ? [
        ...new Set(
          s
            .split(/[;,|]/)
            .map((x) => x.trim())
            .filter(Boolean),
        ),
      ]
    : [];

/** Field-level differences: what the file has that the record lacks or holds differently. */
export function scalarDiff(v: Record<string, unknown>, current: Record<string, unknown>, fields: readonly string[]) {
  const diff: Diff = {};
  for (const f of fields) {
    const to = v[f];
    if (to == null) continue;
    const from = current[f] ?? null;
    if (from !== to) diff[f] = { from, to };
  }
  return diff;
}

/** Additions to a set-valued field (services, coverage): values are added, never removed. */
export function addedDiff(diff: Diff, field: string, have: string[], file: string[]) {
  const added = file.filter((x) => !have.includes(x));
  if (added.length) diff[field] = { from: have, to: [...have, ...added].sort() };
}

/** create / update / skip from a matched record and the diff against it. */
export function decide(match: { id: string } | undefined, evidence: Record<string, unknown>[], diff: Diff): Decision {
  if (!match) return { action: 'create', target: newId(), evidence, diff: null };
  if (!Object.keys(diff).length) return { action: 'skip', target: match.id, evidence, diff: null };
  return { action: 'update', target: match.id, evidence, diff };
}

/**
 * The dry run of a kind other than people: every row normalized, deduplicated within the file (the first
 * row wins) and against the tenant's records, its action stored with evidence and diff. One updating row
 * per record: a later row that would update a record an earlier row already updates is skipped, naming it.
 */
export async function proposeRows<V, Env>(
  ctx: Ctx,
  b: BatchRow,
  h: KindHandler<V, Env>,
  progress?: (done: number) => void,
) {
  const env = await h.prepare(ctx);
  const index = new Map<string, { index: number; column: string }>();
  for (const [column, field] of Object.entries(b.mapping ?? {})) {
    const i = b.columns.indexOf(column);
    if (i >= 0) index.set(field, { index: i, column });
  }
  const firstByKey = new Map<string, number>();
  const firsts = new Map<number, { n: number; values: V; decision: Decision }>();
  const writerOf = new Map<string, number>();
  let done = 0;
  for (let after = 0; ; ) {
    const chunk = await repo.readRawRows(ctx, b.id, after, CHUNK_ROWS);
    if (!chunk.length) break;
    const normalized = chunk.map((r) => {
      const c = cellsOf(r.raw, index);
      const values = h.normalize(c, env);
      if (c.errors.length) return { n: r.rowNumber, c, values, dupOf: undefined as number | undefined };
      const keys = h.fileKeys(values);
      const dupOf = keys.map((k) => firstByKey.get(k)).find((f) => f !== undefined);
      if (dupOf === undefined) for (const k of keys) firstByKey.set(k, r.rowNumber);
      return { n: r.rowNumber, c, values, dupOf };
    });
    const toClassify = normalized.filter((r) => !r.c.errors.length && r.dupOf === undefined);
    const decided = await h.classify(ctx, toClassify, env);
    const out: repo.ClassifiedRow[] = [];
    for (const r of normalized) {
      let d: Decision;
      if (r.c.errors.length) {
        d = { action: 'invalid', target: null, evidence: [], diff: null };
      } else if (r.dupOf !== undefined) {
        const first = firsts.get(r.dupOf)!;
        const dup = h.duplicate?.(r.values, first, r.c) ?? null;
        d = dup ?? {
          action: first.decision.action === 'invalid' ? 'invalid' : 'skip',
          target: first.decision.target,
          evidence: [{ signal: 'in_file_duplicate', strength: 'strong', duplicateOfRow: r.dupOf }],
          diff: null,
          errors:
            first.decision.action === 'invalid'
              ? [{ column: null, field: null, message: `repeats row ${r.dupOf}, which is invalid` }]
              : undefined,
        };
      } else {
        d = decided.get(r.n)!;
        // One updating row per record: its prior values and version stay unambiguous for the revert.
        if (d.target && d.action === 'update') {
          const earlier = writerOf.get(d.target);
          if (earlier !== undefined) {
            d = {
              action: 'skip',
              target: d.target,
              evidence: [...d.evidence, { signal: 'same_record_as_row', strength: 'strong', duplicateOfRow: earlier }],
              diff: null,
            };
          } else writerOf.set(d.target, r.n);
        }
        firsts.set(r.n, { n: r.n, values: r.values, decision: d });
      }
      // A classification error names the column its field came from.
      const errors = [...r.c.errors, ...(d.errors ?? [])].map((e) =>
        e.column == null && e.field ? { ...e, column: index.get(e.field)?.column ?? null } : e,
      );
      out.push({
        n: r.n,
        data: r.values as unknown as Record<string, unknown>,
        errors: errors.length ? errors : null,
        action: errors.length ? 'invalid' : d.action,
        target: errors.length ? null : d.target,
        evidence: d.evidence,
        diff: errors.length ? null : d.diff,
      });
    }
    await repo.saveClassified(ctx, b.id, out);
    after = chunk[chunk.length - 1].rowNumber;
    done += chunk.length;
    progress?.(done);
  }
}
