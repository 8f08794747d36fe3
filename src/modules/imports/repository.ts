import { and, asc, desc, eq, lt, sql } from 'drizzle-orm';
import { actorId, type Ctx, requireTenant } from '../../platform/context.ts';
import { one, rows } from '../../platform/db.ts';
import { newId } from '../../platform/ids.ts';
import {
  type ImportReport,
  type ImportStatus,
  importBatchEvents,
  importBatches,
  importCommitLanes,
  importMappingTemplates,
  importRows,
  type RowAction,
} from './schema.ts';

export type BatchRow = typeof importBatches.$inferSelect;
export type BatchInsert = Omit<typeof importBatches.$inferInsert, 'tenantId'>;
export type EventRow = typeof importBatchEvents.$inferSelect;

// ---------- batches and their history ----------

export async function insertBatch(ctx: Ctx, row: BatchInsert): Promise<BatchRow> {
  return (
    await ctx.tx
      .insert(importBatches)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function findBatch(ctx: Ctx, id: string, opts: { forUpdate?: boolean; forShare?: boolean } = {}) {
  const tenantId = requireTenant(ctx);
  const q = ctx.tx
    .select()
    .from(importBatches)
    .where(and(eq(importBatches.tenantId, tenantId), eq(importBatches.id, id)))
    .limit(1);
  return (opts.forUpdate ? await q.for('update') : opts.forShare ? await q.for('share') : await q)[0];
}

export async function listBatches(ctx: Ctx, limit: number, beforeId?: string, status?: ImportStatus) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(importBatches)
    .where(
      and(
        eq(importBatches.tenantId, tenantId),
        status ? eq(importBatches.status, status) : undefined,
        beforeId ? lt(importBatches.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(importBatches.id))
    .limit(limit);
}

/** Optimistic: applies only at the expected version; undefined means another change came first. */
export async function updateBatch(ctx: Ctx, id: string, expectedVersion: number, patch: Partial<BatchInsert>) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(importBatches)
      .set({ ...patch, version: sql`${importBatches.version} + 1`, updatedAt: new Date() })
      .where(
        and(eq(importBatches.tenantId, tenantId), eq(importBatches.id, id), eq(importBatches.version, expectedVersion)),
      )
      .returning()
  )[0];
}

export async function insertEvent(
  ctx: Ctx,
  e: { batchId: string; fromStatus: ImportStatus | null; toStatus: ImportStatus; reason?: string | null },
) {
  await ctx.tx.insert(importBatchEvents).values({
    tenantId: requireTenant(ctx),
    id: newId(),
    batchId: e.batchId,
    fromStatus: e.fromStatus,
    toStatus: e.toStatus,
    reason: e.reason ?? null,
    actorKind: ctx.actor.kind,
    actorId: actorId(ctx.actor),
  });
}

export async function listEvents(ctx: Ctx, batchId: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(importBatchEvents)
    .where(and(eq(importBatchEvents.tenantId, tenantId), eq(importBatchEvents.batchId, batchId)))
    .orderBy(asc(importBatchEvents.id));
}

// ---------- staged rows ----------

/** One multi-row insert per chunk: the whole chunk travels as a single jsonb parameter. */
export async function insertRows(ctx: Ctx, batchId: string, staged: { n: number; raw: string[] }[]) {
  const tenantId = requireTenant(ctx);
  if (!staged.length) return;
  await ctx.tx.execute(
    sql`insert into import_rows (tenant_id, batch_id, row_number, raw)
        select ${tenantId}, ${batchId}, r.n, r.raw
        from jsonb_to_recordset(${JSON.stringify(staged)}::jsonb) as r(n int, raw jsonb)`,
  );
}

export async function deleteRows(ctx: Ctx, batchId: string) {
  const tenantId = requireTenant(ctx);
  await ctx.tx.delete(importRows).where(and(eq(importRows.tenantId, tenantId), eq(importRows.batchId, batchId)));
}

/**
 * Erasure (DESIGN §3): the staged values of every row that matched or wrote the person are blanked, and of
 * every row of any batch and kind that holds one of the person's emails or phones in a cell — rows that
 * never matched the person (invalid, unproposed, another kind's). A phone cell matches on its digits: the
 * E.164 number's, or its national part after a trunk 0 (`086 123 4567` for +353861234567). Erring towards
 * blanking is the safe side. Scans the tenant's staged rows: erasure is rare and must be complete.
 */
export async function scrubRowsOfPerson(
  ctx: Ctx,
  personId: string,
  held: { emails: string[]; phones: string[] } = { emails: [], phones: [] },
) {
  const tenantId = requireTenant(ctx);
  const emails = `{${held.emails.map((e) => JSON.stringify(e.toLowerCase())).join(',')}}`;
  const phones = `{${held.phones.map((p) => p.replace(/\D/g, '')).join(',')}}`;
  await ctx.tx.execute(
    sql`update import_rows r set raw = '[]'::jsonb, data = null, diff = null, prior = null, evidence = null, errors = null
        where r.tenant_id = ${tenantId} and r.raw <> '[]'::jsonb and (
          r.target_id = ${personId}
          or exists (
            select 1 from jsonb_array_elements_text(r.raw) c(v)
            cross join lateral (select regexp_replace(c.v, '[^0-9]', '', 'g') as d) x
            where lower(btrim(c.v)) = any(${emails}::text[])
              or (length(ltrim(x.d, '0')) >= 7 and (x.d = any(${phones}::text[])
                  or exists (select 1 from unnest(${phones}::text[]) p(n) where p.n like '%' || ltrim(x.d, '0')))))
        )`,
  );
}

export async function readRawRows(ctx: Ctx, batchId: string, afterRow: number, limit: number) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select({ rowNumber: importRows.rowNumber, raw: importRows.raw })
    .from(importRows)
    .where(
      and(
        eq(importRows.tenantId, tenantId),
        eq(importRows.batchId, batchId),
        sql`${importRows.rowNumber} > ${afterRow}`,
      ),
    )
    .orderBy(asc(importRows.rowNumber))
    .limit(limit);
}

/** Earlier rows (the first occurrences duplicates point at): their values, target and action. */
export async function findRowsByNumber(ctx: Ctx, batchId: string, numbers: number[]) {
  const tenantId = requireTenant(ctx);
  if (!numbers.length) return [];
  return rows<{
    row_number: number;
    data: Record<string, unknown>;
    target_id: string | null;
    action: RowAction;
  }>(
    ctx.tx,
    // = any(array): primary-key lookups whatever the statistics say (a join may be planned as a scan).
    sql`select r.row_number, r.data, r.target_id, r.action from import_rows r
        where r.tenant_id = ${tenantId} and r.batch_id = ${batchId}
          and r.row_number = any(${`{${[...new Set(numbers)].map((n) => Math.trunc(n)).join(',')}}`}::int[])`,
  );
}

export interface ClassifiedRow {
  n: number;
  data: Record<string, unknown>;
  errors: unknown[] | null;
  action: RowAction;
  target: string | null;
  evidence: unknown[];
  diff: Record<string, unknown> | null;
}

/** The chunk's row-number range: a bounded primary-key range keeps chunk updates off a full scan. */
const rangeOf = (chunk: { n: number }[]) => {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const r of chunk) {
    if (r.n < lo) lo = r.n;
    if (r.n > hi) hi = r.n;
  }
  return { lo, hi };
};

export async function saveClassified(ctx: Ctx, batchId: string, chunk: ClassifiedRow[]) {
  const tenantId = requireTenant(ctx);
  if (!chunk.length) return;
  const { lo, hi } = rangeOf(chunk);
  await ctx.tx.execute(
    sql`update import_rows t set data = r.data, errors = r.errors, action = r.action, target_id = r.target,
          evidence = r.evidence, diff = r.diff
        from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb)
          as r(n int, data jsonb, errors jsonb, action text, target uuid, evidence jsonb, diff jsonb)
        where t.tenant_id = ${tenantId} and t.batch_id = ${batchId} and t.row_number = r.n
          and t.row_number between ${lo} and ${hi}`,
  );
}

export async function countByAction(ctx: Ctx, batchId: string): Promise<ImportReport> {
  const tenantId = requireTenant(ctx);
  const found = await rows<{ action: RowAction; n: number }>(
    ctx.tx,
    sql`select action, count(*)::int as n from import_rows
        where tenant_id = ${tenantId} and batch_id = ${batchId} group by action`,
  );
  const report: ImportReport = { create: 0, update: 0, merge: 0, skip: 0, invalid: 0 };
  for (const r of found) if (r.action) report[r.action] = Number(r.n);
  return report;
}

export async function listRows(ctx: Ctx, batchId: string, limit: number, afterRow: number, outcome?: RowAction) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(importRows)
    .where(
      and(
        eq(importRows.tenantId, tenantId),
        eq(importRows.batchId, batchId),
        outcome ? eq(importRows.action, outcome) : undefined,
        sql`${importRows.rowNumber} > ${afterRow}`,
      ),
    )
    .orderBy(asc(importRows.rowNumber))
    .limit(limit);
}

// ---------- commit and revert ----------

export interface CommitInputRow {
  row_number: number;
  action: 'create' | 'update' | 'merge';
  target_id: string;
  data: Record<string, unknown>;
  diff: Record<string, { from: unknown; to: unknown }> | null;
}

/**
 * The rows to write in (afterRow, toRow], in file order. A bounded row-number range keeps this an index
 * range scan whatever the statistics say (an open-ended one let the planner sort every remaining row).
 */
export async function readCommitRange(ctx: Ctx, batchId: string, afterRow: number, toRow: number) {
  const tenantId = requireTenant(ctx);
  return rows<CommitInputRow>(
    ctx.tx,
    sql`select row_number, action, target_id, data, diff from import_rows
        where tenant_id = ${tenantId} and batch_id = ${batchId} and row_number > ${afterRow} and row_number <= ${toRow}
          and action in ('create', 'update', 'merge')
        order by row_number`,
  );
}

// ---------- commit lanes (people) ----------

export type LaneRow = typeof importCommitLanes.$inferSelect;

/** The lane of a row: from its target's id, so that all the rows of one person fall into one lane. */
const laneOf = (lanes: number) => sql`(get_byte(uuid_send(target_id), 15) % ${Math.trunc(lanes)}::int)`;

/**
 * The batch's lanes, created with `lanes` lanes unless an earlier (resumed) commit created them already.
 * They start at the batch's own checkpoint: a commit begun before lanes existed wrote every row up to it.
 */
export async function ensureLanes(ctx: Ctx, batchId: string, lanes: number): Promise<LaneRow[]> {
  const tenantId = requireTenant(ctx);
  await ctx.tx.execute(
    sql`insert into import_commit_lanes (tenant_id, batch_id, lane, lanes, committed_through)
        select b.tenant_id, b.id, l, ${lanes}::int, b.committed_through
        from import_batches b cross join generate_series(0, ${lanes}::int - 1) l
        where b.tenant_id = ${tenantId} and b.id = ${batchId}
          and not exists (select 1 from import_commit_lanes x where x.tenant_id = ${tenantId} and x.batch_id = ${batchId})
        on conflict do nothing`,
  );
  return listLanes(ctx, batchId);
}

export async function listLanes(ctx: Ctx, batchId: string): Promise<LaneRow[]> {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(importCommitLanes)
    .where(and(eq(importCommitLanes.tenantId, tenantId), eq(importCommitLanes.batchId, batchId)))
    .orderBy(asc(importCommitLanes.lane));
}

export async function lockLane(ctx: Ctx, batchId: string, lane: number): Promise<LaneRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(importCommitLanes)
      .where(
        and(
          eq(importCommitLanes.tenantId, tenantId),
          eq(importCommitLanes.batchId, batchId),
          eq(importCommitLanes.lane, lane),
        ),
      )
      .for('update')
  )[0];
}

export async function setLaneCheckpoint(ctx: Ctx, l: LaneRow, committedThrough: number) {
  await ctx.tx
    .update(importCommitLanes)
    .set({ committedThrough })
    .where(
      and(
        eq(importCommitLanes.tenantId, l.tenantId),
        eq(importCommitLanes.batchId, l.batchId),
        eq(importCommitLanes.lane, l.lane),
      ),
    );
}

/** The lane's rows to write in (afterRow, toRow], in file order (a bounded primary-key range, as below). */
export async function readLaneRange(ctx: Ctx, l: LaneRow, afterRow: number, toRow: number) {
  const tenantId = requireTenant(ctx);
  return rows<CommitInputRow>(
    ctx.tx,
    sql`select row_number, action, target_id, data, diff from import_rows
        where tenant_id = ${tenantId} and batch_id = ${l.batchId} and row_number > ${afterRow} and row_number <= ${toRow}
          and action in ('create', 'update', 'merge') and ${laneOf(l.lanes)} = ${l.lane}::int
        order by row_number`,
  );
}

export async function lastRowNumber(ctx: Ctx, batchId: string) {
  const tenantId = requireTenant(ctx);
  const r = await one<{ n: number | null }>(
    ctx.tx,
    sql`select max(row_number) as n from import_rows where tenant_id = ${tenantId} and batch_id = ${batchId}`,
  );
  return Number(r?.n ?? 0);
}

/** What the commit did with a row: the person's version after it, the values before it, or why it did nothing. */
export interface AppliedRow {
  n: number;
  applied_version: number | null;
  prior: Record<string, unknown> | null;
  note: string | null;
}

export async function saveApplied(ctx: Ctx, batchId: string, chunk: AppliedRow[]) {
  const tenantId = requireTenant(ctx);
  if (!chunk.length) return;
  const { lo, hi } = rangeOf(chunk);
  await ctx.tx.execute(
    sql`update import_rows t set applied_version = r.applied_version, prior = r.prior, commit_note = r.note
        from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb)
          as r(n int, applied_version int, prior jsonb, note text)
        where t.tenant_id = ${tenantId} and t.batch_id = ${batchId} and t.row_number = r.n
          and t.row_number between ${lo} and ${hi}`,
  );
}

/** A created row is written when it lies within the checkpoint without a note (it carries no applied version). */
const written = (checkpoint: number) =>
  sql`(applied_version is not null or (action = 'create' and commit_note is null and row_number <= ${checkpoint}))`;

export async function commitCounts(ctx: Ctx, batchId: string, checkpoint: number) {
  const tenantId = requireTenant(ctx);
  return (await one<{ created: number; updated: number; merged: number; not_applied: number }>(
    ctx.tx,
    sql`select
          count(*) filter (where action = 'create' and ${written(checkpoint)})::int as created,
          count(*) filter (where action = 'update' and ${written(checkpoint)})::int as updated,
          count(*) filter (where action = 'merge' and ${written(checkpoint)})::int as merged,
          count(*) filter (where action in ('create', 'update', 'merge') and not ${written(checkpoint)})::int as not_applied
        from import_rows where tenant_id = ${tenantId} and batch_id = ${batchId}`,
  ))!;
}

export interface RevertTarget {
  id: string;
  version: number;
  created: boolean;
  prior: Record<string, unknown> | null;
}

/** Per person the batch touched: its version after the batch, whether the batch created it, the values before. */
export async function revertTargets(ctx: Ctx, batchId: string, checkpoint: number) {
  const tenantId = requireTenant(ctx);
  return rows<RevertTarget>(
    ctx.tx,
    sql`select target_id as id, max(coalesce(applied_version, 1))::int as version,
          bool_or(action = 'create') as created,
          (array_agg(prior order by row_number) filter (where prior is not null))[1] as prior
        from import_rows
        where tenant_id = ${tenantId} and batch_id = ${batchId} and ${written(checkpoint)}
        group by target_id`,
  );
}

// ---------- mapping templates ----------

export async function upsertTemplate(ctx: Ctx, kind: string, name: string, mapping: Record<string, string>) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .insert(importMappingTemplates)
    .values({ tenantId, id: newId(), kind: kind as any, name, mapping, createdByUserId: ctx.actor.userId })
    .onConflictDoUpdate({
      target: [importMappingTemplates.tenantId, importMappingTemplates.kind, importMappingTemplates.name],
      set: { mapping, updatedAt: new Date() },
    });
}

export async function findTemplate(ctx: Ctx, kind: string, name: string) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(importMappingTemplates)
      .where(
        and(
          eq(importMappingTemplates.tenantId, tenantId),
          eq(importMappingTemplates.kind, kind as any),
          eq(importMappingTemplates.name, name),
        ),
      )
      .limit(1)
  )[0];
}

export async function listTemplates(ctx: Ctx, kind: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(importMappingTemplates)
    .where(and(eq(importMappingTemplates.tenantId, tenantId), eq(importMappingTemplates.kind, kind as any)))
    .orderBy(asc(importMappingTemplates.name))
    .limit(200);
}
