import * as crm from '../modules/crm/index.ts';
import * as imports from '../modules/imports/index.ts';
import type { Actor, Ctx } from '../platform/context.ts';
import { commitWithoutFlush, type Database } from '../platform/db.ts';
import { conflict, dbErrorCode, isUniqueViolation } from '../platform/errors.ts';
import { commitKindChunk, revertKind } from './import-commit-kinds.ts';

/**
 * Commit and revert of an import batch: the imports module owns the batch and its rows, crm owns the
 * people. The commit runs in chunks, each one transaction that writes the people and moves the batch's
 * checkpoint together: a crash or a retry resumes after the last whole chunk, never applying a row twice.
 */

export const COMMIT_CHUNK_ROWS = Number(process.env.HELIO_IMPORT_COMMIT_CHUNK ?? 5000);

export interface Principal {
  tenantId: string;
  actor: Actor;
  requestId: string;
}

const ctxOf = (p: Principal, tx: Ctx['tx']): Ctx => ({
  tenantId: p.tenantId,
  actor: p.actor,
  requestId: p.requestId,
  tx,
});

/** One chunk: people created and patched through crm, then the rows' outcome and the checkpoint. */
async function commitChunk(ctx: Ctx, batchId: string, chunkRows: number) {
  const batch = await imports.lockForCommit(ctx, batchId);
  if (batch.status === 'committed') return { done: true as const, view: await imports.committedView(ctx, batch) };
  if (batch.kind !== 'people') return commitKindChunk(ctx, batch, chunkRows);
  const chunk = await imports.nextCommitChunk(ctx, batch, chunkRows);
  if (!chunk) return { done: true as const, view: await imports.finishCommit(ctx, batch) };
  // Should the database crash, the chunk and its checkpoint are lost together and the resumed commit redoes
  // them; the last transaction (finishCommit) waits for its flush as usual.
  await commitWithoutFlush(ctx.tx);

  const source = { batchId };
  const inserted = await crm.importPeople(
    ctx,
    chunk.creates.map((c) => c.person),
    source,
  );
  const createdVersion = new Map(inserted.map((r) => [r.id, r.version]));

  // One patch per person per chunk (an update and a later duplicate of it may share a target).
  const merged = new Map<string, { patch: Record<string, unknown>; rows: number[] }>();
  for (const p of chunk.patches) {
    const m = merged.get(p.personId) ?? { patch: {}, rows: [] };
    for (const [k, v] of Object.entries(p.patch)) {
      if (k === 'address') m.patch.address = { ...((m.patch.address as object) ?? {}), ...(v as object) };
      else if (k === 'personaLabels') {
        m.patch.personaLabels = [...new Set([...((m.patch.personaLabels as string[]) ?? []), ...(v as string[])])];
      } else if (!(k in m.patch)) m.patch[k] = v;
    }
    m.rows.push(p.rowNumber);
    merged.set(p.personId, m);
  }
  const patched = await crm.patchPeopleFromImport(
    ctx,
    [...merged.entries()].map(([id, m]) => ({ id, patch: m.patch })),
    source,
  );
  const patchedById = new Map(patched.map((r) => [r.id, r]));

  const applied: {
    n: number;
    applied_version: number | null;
    prior: Record<string, unknown> | null;
    note: string | null;
  }[] = [];
  // A created row needs no bookkeeping (within the checkpoint means written); only a refused one is noted.
  for (const c of chunk.creates) {
    if (!createdVersion.has(c.person.id)) {
      applied.push({
        n: c.rowNumber,
        applied_version: null,
        prior: null,
        note: 'not created: the email belongs to another person now',
      });
    }
  }
  for (const [id, m] of merged) {
    const r = patchedById.get(id);
    m.rows.forEach((n, i) => {
      applied.push({
        n,
        applied_version: r ? r.version : null,
        // The values before the batch sit on the first row that changed the person in this chunk.
        prior: r && i === 0 ? r.prior : null,
        note: r ? null : 'not applied: the person no longer exists',
      });
    });
  }
  await imports.recordCommitChunk(ctx, batch, chunk.lastRow, applied);
  return { done: false as const, lastRow: chunk.lastRow };
}

/**
 * Commits an approved batch chunk by chunk (resuming after the checkpoint); a committed batch returns
 * its result unchanged.
 */
export async function commitImport(
  db: Database,
  principal: Principal,
  batchId: string,
  opts: { chunkRows?: number; progress?: imports.Progress; total?: number } = {},
) {
  opts.progress?.('commit', 0, opts.total ?? null);
  for (;;) {
    let step: Awaited<ReturnType<typeof commitChunk>>;
    try {
      step = await db.tenantTx(principal.tenantId, (tx) =>
        commitChunk(ctxOf(principal, tx), batchId, opts.chunkRows ?? COMMIT_CHUNK_ROWS),
      );
    } catch (err) {
      // Two commits racing on one chunk: the loser's transaction rolled back whole; it retries after the winner.
      if (isUniqueViolation(err)) continue;
      throw err;
    }
    if (step.done) return step.view;
    opts.progress?.('commit', step.lastRow, opts.total ?? null);
  }
}

/**
 * Undoes a committed batch in one transaction: people it created are removed, people it updated get
 * their prior values back — only while none of them changed since (their version is still the batch's).
 */
export async function revertImport(db: Database, principal: Principal, batchId: string) {
  try {
    return await revertInTransaction(db, principal, batchId);
  } catch (err) {
    // A created person that other records point at now (a lead, an opportunity …) cannot be removed;
    // the foreign keys are deferred, so this surfaces at COMMIT and everything rolled back.
    if (dbErrorCode(err) === '23503') {
      throw conflict('import.revert_conflict', 'People this batch created are referenced by other records now.');
    }
    throw err;
  }
}

function revertInTransaction(db: Database, principal: Principal, batchId: string) {
  return db.tenantTx(principal.tenantId, async (tx) => {
    const ctx = ctxOf(principal, tx);
    const { batch, targets } = await imports.lockForRevert(ctx, batchId);
    if (batch.kind !== 'people') return revertKind(ctx, batch);
    const changed = await crm.lockPeopleAtVersions(
      ctx,
      targets.map((t) => ({ id: t.id, version: t.version })),
    );
    if (changed.length) {
      throw conflict(
        'import.revert_conflict',
        `${changed.length} of the people this batch wrote changed since; the batch cannot be reverted.`,
        { changedPeople: changed.length, personIds: changed.slice(0, 20).map((c) => c.id) },
      );
    }
    const deleteIds = targets.filter((t) => t.created).map((t) => t.id);
    const restores = targets.filter((t) => !t.created && t.prior).map((t) => ({ id: t.id, prior: t.prior! }));
    await crm.revertImportedPeople(ctx, { deleteIds, restores, batchId });
    return imports.finishRevert(ctx, batch, { removed: deleteIds.length, restored: restores.length });
  });
}
