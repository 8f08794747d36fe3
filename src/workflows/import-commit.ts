import * as crm from '../modules/crm/index.ts';
import * as imports from '../modules/imports/index.ts';
import type { Actor, Ctx } from '../platform/context.ts';
import { commitWithoutFlush, type Database } from '../platform/db.ts';
import { conflict, dbErrorCode, isUniqueViolation } from '../platform/errors.ts';
import { commitKindChunk, revertKind } from './import-commit-kinds.ts';

/**
 * Commit and revert of an import batch: the imports module owns the batch and its rows, crm owns the
 * people. The commit runs in chunks, each one transaction that writes the people and moves a checkpoint
 * together: a crash or a retry resumes after the last whole chunk, never applying a row twice. People
 * commit in lanes (all rows of one person in one lane, in file order), each with its own checkpoint.
 */

export const COMMIT_CHUNK_ROWS = Number(process.env.HELIO_IMPORT_COMMIT_CHUNK ?? 5000);
/** Lanes of a people commit: two keep both cores of a small server busy (one writes while the other's data travels). */
export const COMMIT_LANES = Math.max(1, Number(process.env.HELIO_IMPORT_COMMIT_LANES ?? 2));

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

/** People created and patched through crm for one chunk; returns what each row did (for its bookkeeping). */
async function writePeople(ctx: Ctx, batchId: string, chunk: imports.CommitChunk) {
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

  const applied: imports.AppliedRow[] = [];
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
  return applied;
}

/** One chunk of one lane of a people batch: its people written, then the rows' outcome and the lane's checkpoint. */
async function commitLaneChunk(ctx: Ctx, batchId: string, lane: number, chunkRows: number) {
  const { batch, lane: l } = await imports.lockCommitLane(ctx, batchId, lane);
  if (batch.status === 'committed') return null;
  const chunk = await imports.nextLaneChunk(ctx, batch, l, chunkRows);
  if (!chunk) return null;
  // Should the database crash, the chunk and its checkpoint are lost together and the resumed commit redoes
  // them; the last transaction (finishLanes) waits for its flush as usual.
  await commitWithoutFlush(ctx.tx);
  await imports.recordLaneChunk(ctx, l, chunk.lastRow, await writePeople(ctx, batchId, chunk));
  return chunk.lastRow;
}

/** One chunk of a batch of another kind (a single series of chunks with the batch's checkpoint). */
async function commitChunk(ctx: Ctx, batchId: string, chunkRows: number) {
  const batch = await imports.lockForCommit(ctx, batchId);
  if (batch.status === 'committed') return { done: true as const, view: await imports.committedView(ctx, batch) };
  return commitKindChunk(ctx, batch, chunkRows);
}

/** Runs fn again when a unique index refused a row that another commit of the same chunk wrote first. */
async function retryingRace<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      // The loser's transaction rolled back whole; it retries after the winner.
      if (!isUniqueViolation(err)) throw err;
    }
  }
}

/**
 * Commits an approved batch chunk by chunk (resuming after the checkpoints); a committed batch returns
 * its result unchanged. A people batch commits in lanes side by side (COMMIT_LANES, each on its own
 * connection on PostgreSQL), then completes in one last transaction.
 */
export async function commitImport(
  db: Database,
  principal: Principal,
  batchId: string,
  opts: { chunkRows?: number; lanes?: number; progress?: imports.Progress; total?: number } = {},
) {
  const chunkRows = opts.chunkRows ?? COMMIT_CHUNK_ROWS;
  const inTx = <T>(fn: (ctx: Ctx) => Promise<T>) => db.tenantTx(principal.tenantId, (tx) => fn(ctxOf(principal, tx)));
  opts.progress?.('commit', 0, opts.total ?? null);
  const start = await inTx((ctx) => imports.startCommit(ctx, batchId, opts.lanes ?? COMMIT_LANES));
  if (start.batch.status === 'committed') return inTx((ctx) => imports.getBatch(ctx, batchId));
  if (start.batch.kind !== 'people') {
    for (;;) {
      const step = await retryingRace(() => inTx((ctx) => commitChunk(ctx, batchId, chunkRows)));
      if (step.done) return step.view;
      opts.progress?.('commit', step.lastRow, opts.total ?? null);
    }
  }
  // The lanes run until each is through; the first failure stops the others after their current chunk.
  // Progress is the lowest checkpoint of the lanes still running.
  const through = start.lanes.map((l) => l.committedThrough);
  let failed = false;
  const settled = await Promise.allSettled(
    start.lanes.map(async ({ lane }, i) => {
      try {
        while (!failed) {
          const lastRow = await retryingRace(() => inTx((ctx) => commitLaneChunk(ctx, batchId, lane, chunkRows)));
          through[i] = lastRow ?? Number.POSITIVE_INFINITY;
          if (lastRow === null) return;
          opts.progress?.('commit', Math.min(...through), opts.total ?? null);
        }
      } catch (err) {
        failed = true;
        throw err;
      }
    }),
  );
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  return inTx((ctx) => imports.finishLanes(ctx, batchId));
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
