import type * as imports from '../modules/imports/index.ts';
import type { Ctx } from '../platform/context.ts';
import { conflict } from '../platform/errors.ts';

/** What each import kind besides people provides to the commit and revert (import-commit-kinds.ts). */

export type Applied = imports.AppliedRow;

export type RevertCounts = { removed: number; restored: number } & Record<string, number>;

export interface KindWriter {
  /** Writes one chunk through the owning module; returns what to record per row (creates only when refused). */
  commit(ctx: Ctx, rows: imports.CommitInputRow[], source: { batchId: string }): Promise<Applied[]>;
  /**
   * Undoes what the batch wrote, or throws 409 import.revert_conflict when any of it changed since; the
   * counts (removed, restored and any of the kind's own) become commitResult.reverted.
   */
  revert(ctx: Ctx, rows: imports.WrittenRow[], source: { batchId: string }): Promise<RevertCounts>;
  /** What the batch created, in words: "accounts", "installers" … (for the conflict message). */
  noun: string;
}

/** 409 when records the batch wrote changed since (shared by the kinds). */
export function revertConflict(noun: string, changed: { id: string }[]) {
  return conflict(
    'import.revert_conflict',
    `${changed.length} of the ${noun} this batch wrote changed since; the batch cannot be reverted.`,
    { changedRecords: changed.length, recordIds: changed.slice(0, 20).map((c) => c.id) },
  );
}

/** A created row the owning module refused (its id exists, its key is taken …): noted, nothing written. */
export const notCreated = (n: number, note: string): Applied => ({ n, applied_version: null, prior: null, note });

/** The outcome of each update row: the record's new version and prior values, or why nothing was written. */
export function updateOutcomes(
  updates: imports.CommitInputRow[],
  patched: Map<string, { version: number; prior: Record<string, unknown> }>,
  whyNot: string,
): Applied[] {
  return updates.map((r) => {
    const p = patched.get(r.target_id);
    return { n: r.row_number, applied_version: p?.version ?? null, prior: p?.prior ?? null, note: p ? null : whyNot };
  });
}
