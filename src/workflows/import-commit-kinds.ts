import * as imports from '../modules/imports/index.ts';
import type { Ctx } from '../platform/context.ts';
import { conflict, dbErrorCode } from '../platform/errors.ts';
import { accountsImport } from './import-commit-accounts.ts';
import { installersImport } from './import-commit-installers.ts';
import { leadsImport } from './import-commit-leads.ts';
import { regionPostcodesImport } from './import-commit-region-postcodes.ts';
import type { KindWriter, RevertCounts } from './import-kind-writer.ts';

/**
 * Commit and revert of the import kinds besides people (import-commit.ts dispatches here on batch.kind):
 * the imports module owns the batch and its rows, each kind's owning module its records.
 */

const WRITERS: Partial<Record<imports.ImportKind, KindWriter>> = {
  leads: leadsImport,
  accounts: accountsImport,
  installers: installersImport,
  region_postcodes: regionPostcodesImport,
};

const writerOf = (kind: imports.ImportKind) => {
  const w = WRITERS[kind];
  if (!w) throw new Error(`no import writer for kind ${kind}`);
  return w;
};

/** One chunk of a locked, approved batch: records written, then the rows' outcome and the checkpoint. */
export async function commitKindChunk(
  ctx: Ctx,
  batch: Awaited<ReturnType<typeof imports.lockForCommit>>,
  chunkRows: number,
) {
  const chunk = await imports.nextKindCommitRows(ctx, batch, chunkRows);
  if (!chunk) return { done: true as const, view: await imports.finishCommit(ctx, batch) };
  const applied = await writerOf(batch.kind).commit(ctx, chunk.rows, { batchId: batch.id });
  await imports.recordCommitChunk(ctx, batch, chunk.lastRow, applied);
  return { done: false as const, lastRow: chunk.lastRow };
}

/**
 * Undoes a committed batch (locked by the caller) in the caller's transaction. A created record that
 * other records point at now cannot be removed: the delete runs in a savepoint so that its foreign-key
 * refusal becomes 409 import.revert_conflict (and the caller's transaction rolls back whole).
 */
export async function revertKind(ctx: Ctx, batch: Awaited<ReturnType<typeof imports.lockForCommit>>) {
  const written = await imports.kindRevertRows(ctx, batch);
  const w = writerOf(batch.kind);
  let counts: RevertCounts;
  try {
    counts = await ctx.tx.transaction((sp) => w.revert({ ...ctx, tx: sp }, written, { batchId: batch.id }));
  } catch (err) {
    if (dbErrorCode(err) === '23503') {
      throw conflict(
        'import.revert_conflict',
        `Some ${w.noun} this batch created are referenced by other records now.`,
      );
    }
    throw err;
  }
  return imports.finishRevert(ctx, batch, counts);
}
