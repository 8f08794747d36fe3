import { rmSync } from 'node:fs';
import type { Ctx } from '../../platform/context.ts';
import { issue } from '../../platform/db.ts';
import { badRequest, conflict, notFound, validationFailed } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import * as crm from '../crm/index.ts';
import { appendEvent } from '../events/index.ts';
import { getTenantSettings, recordAudit } from '../identity/index.ts';
import {
  columnIndexOf,
  normalizePeopleRow,
  PEOPLE_FIELDS,
  type PeopleField,
  type PeopleValues,
  suggestMapping,
} from './fields.ts';
import { SUPPORTED_KINDS } from './kinds/fields.ts';
import * as kinds from './kinds/index.ts';
import { openTable, UnparseableFile } from './parse.ts';
import * as repo from './repository.ts';
import type { ImportKind, ImportStatus, RowAction } from './schema.ts';

/** Rows per statement when staging, normalizing and classifying. */
export const CHUNK_ROWS = 5000;

export type Progress = (phase: 'parse' | 'propose' | 'commit', done: number, total: number | null) => void;

const batchNotFound = () => notFound('import.not_found', 'The import batch does not exist.');

/** The lifecycle (DESIGN §2): uploaded → parsed → mapped → proposed → approved → committed, `failed` from any step. */
const NEXT: Record<ImportStatus, ImportStatus[]> = {
  uploaded: ['parsed', 'failed'],
  parsed: ['mapped', 'failed'],
  mapped: ['mapped', 'proposed', 'failed'],
  proposed: ['mapped', 'proposed', 'approved', 'failed'],
  approved: ['committed', 'failed'],
  committed: ['reverted'],
  failed: [],
  reverted: [],
};

// ---------- views ----------

export function toBatchView(b: repo.BatchRow, history: repo.EventRow[]) {
  return {
    id: b.id,
    kind: b.kind,
    status: b.status,
    fileName: b.fileName,
    format: b.format,
    encoding: b.encoding,
    delimiter: b.delimiter,
    columns: b.columns,
    suggestedMapping: b.suggestedMapping,
    mapping: b.mapping ?? null,
    mappingTemplate: b.mappingTemplate,
    rowCount: b.rowCount,
    report: b.report ?? null,
    commitResult: b.commitResult ?? null,
    committedThrough: b.committedThrough,
    failureReason: b.failureReason,
    createdByUserId: b.createdByUserId,
    version: b.version,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
    history: history.map((e) => ({
      fromStatus: e.fromStatus,
      toStatus: e.toStatus,
      reason: e.reason,
      actorKind: e.actorKind,
      changedBy: e.actorId,
      changedAt: e.at.toISOString(),
    })),
  };
}

export type BatchView = ReturnType<typeof toBatchView>;

async function viewOf(ctx: Ctx, b: repo.BatchRow) {
  return toBatchView(b, await repo.listEvents(ctx, b.id));
}

async function loadBatch(ctx: Ctx, id: string, forUpdate = false) {
  const b = await repo.findBatch(ctx, id, { forUpdate });
  if (!b) throw batchNotFound();
  return b;
}

/** Moves the batch to `to` (checked against the lifecycle), records who and when, audits it. */
export async function transition(
  ctx: Ctx,
  b: repo.BatchRow,
  to: ImportStatus,
  patch: Partial<repo.BatchInsert> = {},
  reason: string | null = null,
) {
  if (!NEXT[b.status].includes(to)) {
    throw conflict('import.invalid_transition', `An import batch cannot go from ${b.status} to ${to}.`, {
      status: b.status,
    });
  }
  const updated = await repo.updateBatch(ctx, b.id, b.version, { ...patch, status: to });
  if (!updated) throw conflict('concurrency.retry', 'The import batch changed meanwhile; retry.');
  await Promise.all([
    repo.insertEvent(ctx, { batchId: b.id, fromStatus: b.status, toStatus: to, reason }),
    recordAudit(ctx, {
      action: `import.${to}`,
      entityType: 'import_batch',
      entityId: b.id,
      changedFields: ['status', ...Object.keys(patch)],
    }),
  ]);
  return updated;
}

export const importKinds = kinds.importKinds;

/** The tenant's saved mapping templates of a kind, by name. */
export async function listTemplates(ctx: Ctx, kind: ImportKind) {
  return (await repo.listTemplates(ctx, kind)).map((t) => ({
    name: t.name,
    kind: t.kind,
    mapping: t.mapping,
    updatedAt: t.updatedAt.toISOString(),
  }));
}

export async function getBatch(ctx: Ctx, id: string) {
  return viewOf(ctx, await loadBatch(ctx, id));
}

export async function listBatches(ctx: Ctx, q: { limit: number; cursor?: string; status?: ImportStatus }) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'imports', q.cursor)[0] as string) : undefined;
  const found = await repo.listBatches(ctx, q.limit + 1, before, q.status);
  const page = toPage(ctx.tenantId, 'imports', found, q.limit, (b) => [b.id]);
  return { data: page.data.map((b) => toBatchView(b, [])), nextCursor: page.nextCursor };
}

// ---------- upload + parse ----------

export interface UploadedFile {
  path: string;
  bytes: number;
  sha256: string;
}

export function assertSupportedKind(kind: ImportKind) {
  if (!SUPPORTED_KINDS.includes(kind)) {
    throw badRequest(
      'import.kind_unsupported',
      `Imports of kind '${kind}' are not available yet; only ${SUPPORTED_KINDS.join(', ')} can be imported.`,
    );
  }
}

/**
 * Creates the batch and stages every row of the file (streamed, chunk by chunk) in the caller's
 * transaction: the batch ends `parsed`, or the caller records it `failed` (see recordUnparseable).
 */
export async function uploadAndParse(
  ctx: Ctx,
  input: { kind: ImportKind; fileName: string; format: 'csv' | 'xlsx'; file: UploadedFile; id?: string },
  progress?: Progress,
) {
  assertSupportedKind(input.kind);
  const id = input.id ?? newId();
  const created = await repo.insertBatch(ctx, {
    id,
    kind: input.kind,
    status: 'uploaded',
    fileName: input.fileName,
    format: input.format,
    fileSha256: input.file.sha256,
    fileBytes: input.file.bytes,
    createdByUserId: ctx.actor.userId,
  });
  await repo.insertEvent(ctx, { batchId: id, fromStatus: null, toStatus: 'uploaded' });
  const table = await openTable(input.file.path, input.format);
  let staged: { n: number; raw: string[] }[] = [];
  let count = 0;
  // Each chunk is inserted while the next one is parsed (see issue()).
  let inserting: Promise<unknown> = Promise.resolve();
  try {
    for await (const row of table.rows) {
      // Trailing empty cells are not kept (a 1,000-column export is mostly empty).
      let end = row.cells.length;
      while (end > 0 && row.cells[end - 1] === '') end--;
      staged.push({ n: row.rowNumber, raw: end === row.cells.length ? row.cells : row.cells.slice(0, end) });
      if (staged.length >= CHUNK_ROWS) {
        await inserting;
        inserting = issue(repo.insertRows(ctx, id, staged));
        count += staged.length;
        staged = [];
        progress?.('parse', count, null);
      }
    }
  } finally {
    await inserting;
  }
  await repo.insertRows(ctx, id, staged);
  count += staged.length;
  progress?.('parse', count, count);
  const parsed = await transition(ctx, created, 'parsed', {
    columns: table.columns,
    suggestedMapping:
      input.kind === 'people' ? suggestMapping(table.columns) : kinds.suggestMappingOf(input.kind, table.columns),
    encoding: table.encoding,
    delimiter: table.delimiter,
    rowCount: count,
  });
  return viewOf(ctx, parsed);
}

/** A file that cannot be read: the batch is kept as `failed` with the reason (a fresh transaction). */
export async function recordUnparseable(
  ctx: Ctx,
  input: { id: string; kind: ImportKind; fileName: string; format: 'csv' | 'xlsx'; file: UploadedFile },
  reason: string,
) {
  const created = await repo.insertBatch(ctx, {
    id: input.id,
    kind: input.kind,
    status: 'uploaded',
    fileName: input.fileName,
    format: input.format,
    fileSha256: input.file.sha256,
    fileBytes: input.file.bytes,
    createdByUserId: ctx.actor.userId,
  });
  await repo.insertEvent(ctx, { batchId: input.id, fromStatus: null, toStatus: 'uploaded' });
  await transition(ctx, created, 'failed', { failureReason: reason }, reason);
}

export const isUnparseable = (err: unknown): err is UnparseableFile => err instanceof UnparseableFile;

export function removeUpload(file: UploadedFile) {
  rmSync(file.path, { force: true });
}

// ---------- mapping ----------

export async function setMapping(
  ctx: Ctx,
  id: string,
  input: { mapping?: Record<string, string>; templateName?: string; saveAs?: string },
) {
  const b = await loadBatch(ctx, id, true);
  let mapping = input.mapping;
  if (!mapping && input.templateName) {
    const t = await repo.findTemplate(ctx, b.kind, input.templateName);
    if (!t) throw notFound('import.template_not_found', `No mapping template named '${input.templateName}'.`);
    // A template may name columns this file lacks; those are left out.
    mapping = Object.fromEntries(Object.entries(t.mapping).filter(([column]) => b.columns.includes(column)));
  }
  if (!mapping) throw validationFailed([{ path: 'mapping', message: 'give a mapping or a templateName' }]);
  const errors = kinds.mappingErrors(b.kind, b.columns, mapping);
  if (errors.length) throw validationFailed(errors);
  if (input.saveAs) await repo.upsertTemplate(ctx, b.kind, input.saveAs, mapping);
  const updated = await transition(
    ctx,
    b,
    'mapped',
    { mapping, mappingTemplate: input.templateName ?? input.saveAs ?? null, report: null },
    input.templateName ? `template ${input.templateName}` : null,
  );
  return viewOf(ctx, updated);
}

// ---------- propose (the dry run) ----------

const ADDRESS_FIELDS: Record<string, string> = { addressLine1: 'line1', city: 'city', country: 'country' };

function personValue(p: crm.MatchedPerson['person'], field: PeopleField): unknown {
  if (field in ADDRESS_FIELDS) return (p.address as Record<string, unknown> | null)?.[ADDRESS_FIELDS[field]] ?? null;
  if (field === 'externalId') return null;
  return (p as unknown as Record<string, unknown>)[field] ?? null;
}

/**
 * Field-level differences the row would write onto the person: values the file has and the person lacks
 * or holds differently; labels are added, never removed; email and phone only fill an empty one.
 */
function diffAgainst(v: PeopleValues, current: (f: PeopleField) => unknown) {
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  for (const f of PEOPLE_FIELDS) {
    if (f === 'externalId') continue;
    const to = v[f];
    const from = current(f);
    if (f === 'personaLabels') {
      const have = (from as string[] | null) ?? [];
      const added = (to as string[]).filter((l) => !have.includes(l));
      if (added.length) diff[f] = { from: have, to: [...have, ...added] };
      continue;
    }
    if (to == null) continue;
    if ((f === 'email' || f === 'phone') && from != null) continue;
    if (from !== to) diff[f] = { from, to };
  }
  return diff;
}

/** Only what the duplicate row adds to the earlier row it repeats (fill-only). */
function fillDiff(v: PeopleValues, first: PeopleValues) {
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  for (const f of PEOPLE_FIELDS) {
    if (f === 'externalId') continue;
    if (f === 'personaLabels') {
      const added = v.personaLabels.filter((l) => !first.personaLabels.includes(l));
      if (added.length) diff[f] = { from: first.personaLabels, to: [...first.personaLabels, ...added] };
      continue;
    }
    if (v[f] != null && first[f] == null) diff[f] = { from: null, to: v[f] };
  }
  return diff;
}

const strongSignals = new Set(['email', 'phone']);

/** 52 bits of FNV-1a: in-file duplicate keys kept as numbers, so a million-row file's index stays small. */
function keyHash(kind: string, value: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x050c5d1f;
  const s = `${kind}:${value}`;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x01000193) ^ (h1 >>> 7);
  }
  return (h1 >>> 0) * 0x100000 + ((h2 >>> 0) & 0xfffff);
}

export async function propose(ctx: Ctx, id: string, progress?: Progress) {
  const b = await loadBatch(ctx, id, true);
  if (b.status !== 'mapped' && b.status !== 'proposed') {
    throw conflict('import.invalid_transition', `An import batch cannot be proposed while ${b.status}.`, {
      status: b.status,
    });
  }
  if (b.kind !== 'people') {
    return viewOf(ctx, await transition(ctx, b, 'proposed', { report: await kinds.proposeKind(ctx, b, progress) }));
  }
  const { defaultCountry } = await getTenantSettings(ctx);
  const index = columnIndexOf(b.columns, b.mapping ?? {});
  progress?.('propose', 0, b.rowCount);
  // The first row of the file with each email / phone (hashed keys; a hash hit is confirmed on the values).
  const firstByKey = new Map<number, number>();
  let done = 0;
  // Pipelined on the transaction's one connection (statements run in the order issued): the next chunk is
  // read and this chunk's classification saved while JavaScript normalizes, so neither side waits idle.
  const read = (after: number) => issue(repo.readRawRows(ctx, id, after, CHUNK_ROWS));
  let nextChunk = read(0);
  let saving: Promise<unknown> = Promise.resolve();
  try {
    for (let after = 0; ; ) {
      const chunk = await nextChunk;
      if (!chunk.length) break;
      nextChunk = read(chunk[chunk.length - 1].rowNumber);
      const normalized = chunk.map((r) => {
        const n = normalizePeopleRow(r.raw, index, defaultCountry);
        const valid = n.errors.length === 0;
        const keys = valid
          ? [n.keys.email && keyHash('e', n.keys.email), n.keys.phone && keyHash('p', n.keys.phone)].filter(
              (k): k is number => typeof k === 'number',
            )
          : [];
        const first = keys.map((k) => firstByKey.get(k)).find((f) => f !== undefined);
        if (valid) for (const k of keys) if (!firstByKey.has(k)) firstByKey.set(k, r.rowNumber);
        return { n: r.rowNumber, values: n.values, errors: n.errors, first };
      });
      const earlier = new Map(
        (
          await repo.findRowsByNumber(
            ctx,
            id,
            normalized.filter((r) => r.first !== undefined && r.first <= after).map((r) => r.first!),
          )
        ).map((r) => [Number(r.row_number), { values: r.data as unknown as PeopleValues, target: r.target_id }]),
      );
      const isDuplicateOf = (v: PeopleValues, f: PeopleValues) =>
        (v.email != null && v.email === f.email) || (v.phone != null && v.phone === f.phone);
      const decided = new Map<number, { values: PeopleValues; target: string | null }>();
      const firsts = normalized.filter((r) => !r.errors.length && r.first === undefined);
      const matches = await crm.matchPeopleForImport(
        ctx,
        firsts.map((r) => ({
          ref: r.n,
          email: r.values.email,
          phone: r.values.phone,
          name: r.values.fullName && r.values.postcode ? r.values.fullName.toLowerCase() : null,
          postcode: r.values.postcode,
        })),
      );
      const byRow = new Map<number, crm.MatchedPerson[]>();
      for (const m of matches) byRow.set(m.ref, [...(byRow.get(m.ref) ?? []), m]);
      const out = normalized.map((r): repo.ClassifiedRow => {
        const data = r.values as unknown as Record<string, unknown>;
        let c: Omit<repo.ClassifiedRow, 'data' | 'errors'>;
        const first = r.first !== undefined ? (decided.get(r.first) ?? earlier.get(r.first)) : undefined;
        if (r.errors.length) {
          c = { n: r.n, action: 'invalid', target: null, evidence: [], diff: null };
        } else if (first && isDuplicateOf(r.values, first.values)) {
          const diff = fillDiff(r.values, first.values);
          const key = r.values.email != null && r.values.email === first.values.email ? 'email' : 'phone';
          const evidence = [{ signal: 'in_file_duplicate', key, duplicateOfRow: r.first, strength: 'strong' }];
          c = Object.keys(diff).length
            ? { n: r.n, action: 'merge', target: first.target, evidence, diff }
            : { n: r.n, action: 'skip', target: first.target, evidence, diff: null };
        } else {
          c = classifyAgainstPeople(r.n, r.values, byRow.get(r.n) ?? []);
        }
        if (!r.errors.length) decided.set(r.n, { values: r.values, target: c.target });
        return { ...c, data, errors: r.errors.length ? r.errors : null };
      });
      // A hash collision that the values did not confirm: the row stands on its own (matched against people).
      const unconfirmed = out.filter(
        (c, i) => normalized[i].first !== undefined && !c.evidence.length && c.action !== 'invalid',
      );
      if (unconfirmed.length) {
        const again = await crm.matchPeopleForImport(
          ctx,
          unconfirmed.map((c) => {
            const v = c.data as unknown as PeopleValues;
            return { ref: c.n, email: v.email, phone: v.phone, name: null, postcode: null };
          }),
        );
        for (const c of unconfirmed) {
          const fresh = classifyAgainstPeople(
            c.n,
            c.data as unknown as PeopleValues,
            again.filter((m) => m.ref === c.n),
          );
          Object.assign(c, fresh);
        }
      }
      await saving;
      saving = issue(repo.saveClassified(ctx, id, out));
      after = chunk[chunk.length - 1].rowNumber;
      done += chunk.length;
      progress?.('propose', done, b.rowCount);
    }
  } catch (err) {
    await saving;
    throw err;
  }
  await saving;
  const report = await repo.countByAction(ctx, id);
  const updated = await transition(ctx, b, 'proposed', { report });
  return viewOf(ctx, updated);
}

function classifyAgainstPeople(
  n: number,
  v: PeopleValues,
  found: crm.MatchedPerson[],
): Omit<repo.ClassifiedRow, 'data' | 'errors'> {
  const evidence = found.map((m) => ({
    signal: m.signal,
    strength: strongSignals.has(m.signal) ? 'strong' : 'weak',
    personId: m.person.id,
  }));
  // Email first (one person per primary email), then phone; the weak signal only when nothing contradicts it.
  const strong = found.find((m) => m.signal === 'email') ?? found.find((m) => m.signal === 'phone');
  const weak = found.find(
    (m) =>
      m.signal === 'name_postcode' &&
      (v.email == null || m.person.email == null) &&
      (v.phone == null || m.person.phone == null || m.person.phone === v.phone),
  );
  const match = strong ?? weak;
  if (!match) return { n, action: 'create', target: newId(), evidence, diff: null };
  const diff = diffAgainst(v, (f) => personValue(match.person, f));
  if (!Object.keys(diff).length) return { n, action: 'skip', target: match.person.id, evidence, diff: null };
  return { n, action: 'update', target: match.person.id, evidence, diff };
}

// ---------- approval, failure ----------

export async function approve(ctx: Ctx, id: string) {
  const b = await loadBatch(ctx, id, true);
  return viewOf(ctx, await transition(ctx, b, 'approved'));
}

export async function markFailed(ctx: Ctx, id: string, reason: string) {
  const b = await loadBatch(ctx, id, true);
  if (b.committedThrough > 0) {
    throw conflict('import.commit_in_progress', 'A batch whose commit has started can only be committed.');
  }
  return viewOf(ctx, await transition(ctx, b, 'failed', { failureReason: reason }, reason));
}

// ---------- rows ----------

export async function listRows(ctx: Ctx, id: string, q: { limit: number; cursor?: string; outcome?: RowAction }) {
  const b = await loadBatch(ctx, id);
  const after = q.cursor ? Number(decodeCursor(ctx.tenantId, `import-rows:${id}`, q.cursor)[0]) : 0;
  const found = await repo.listRows(ctx, id, q.limit + 1, after, q.outcome);
  const page = toPage(ctx.tenantId, `import-rows:${id}`, found, q.limit, (r) => [r.rowNumber]);
  return {
    data: page.data.map((r) => ({
      rowNumber: r.rowNumber,
      action: r.action,
      targetId: r.targetId,
      values: r.data ?? null,
      errors: r.errors ?? [],
      evidence: r.evidence ?? [],
      diff: r.diff ?? null,
      applied:
        r.appliedVersion != null ||
        (r.action === 'create' && r.commitNote == null && r.rowNumber <= b.committedThrough),
      commitNote: r.commitNote,
    })),
    nextCursor: page.nextCursor,
  };
}

// ---------- commit and revert steps (the workflow drives them through crm) ----------

/** Locks the batch for one commit chunk; a committed batch is returned as is. */
export async function lockForCommit(ctx: Ctx, id: string) {
  const b = await loadBatch(ctx, id, true);
  if (b.status !== 'approved' && b.status !== 'committed') {
    throw conflict('import.invalid_transition', `An import batch cannot be committed while ${b.status}.`, {
      status: b.status,
    });
  }
  return b;
}

export interface CommitChunk {
  lastRow: number;
  creates: { rowNumber: number; person: crm.ImportedPerson }[];
  patches: { rowNumber: number; personId: string; patch: Record<string, unknown> }[];
}

function addressOf(v: PeopleValues) {
  const a: Record<string, string> = {};
  if (v.addressLine1) a.line1 = v.addressLine1;
  if (v.city) a.city = v.city;
  if (v.postcode) a.postcode = v.postcode;
  if (v.country) a.country = v.country;
  return Object.keys(a).length ? a : null;
}

function patchOf(diff: Record<string, { from: unknown; to: unknown }>) {
  const patch: Record<string, unknown> = {};
  const address: Record<string, unknown> = {};
  for (const [f, d] of Object.entries(diff)) {
    if (f in ADDRESS_FIELDS) address[ADDRESS_FIELDS[f]] = d.to;
    else patch[f] = d.to;
    if (f === 'postcode') address.postcode = d.to;
  }
  if (Object.keys(address).length) patch.address = address;
  return patch;
}

/**
 * The next chunk after the checkpoint (the next `limit` row numbers), as people to create and patches
 * to apply; null when every row is past the checkpoint.
 */
export async function nextCommitChunk(ctx: Ctx, b: repo.BatchRow, limit: number): Promise<CommitChunk | null> {
  const last = await repo.lastRowNumber(ctx, b.id);
  if (b.committedThrough >= last) return null;
  const lastRow = Math.min(b.committedThrough + limit, last);
  const found = await repo.readCommitRange(ctx, b.id, b.committedThrough, lastRow);
  const chunk: CommitChunk = { lastRow, creates: [], patches: [] };
  for (const r of found) {
    const v = r.data as unknown as PeopleValues;
    if (r.action === 'create') {
      chunk.creates.push({
        rowNumber: r.row_number,
        person: {
          id: r.target_id,
          fullName: v.fullName,
          firstName: v.firstName,
          lastName: v.lastName,
          email: v.email,
          phone: v.phone,
          postcode: v.postcode,
          address: addressOf(v),
          personaLabels: v.personaLabels,
        },
      });
    } else if (r.diff) {
      chunk.patches.push({ rowNumber: r.row_number, personId: r.target_id, patch: patchOf(r.diff) });
    }
  }
  return chunk;
}

/** Records what a chunk wrote and moves the checkpoint, in the chunk's transaction. */
export async function recordCommitChunk(
  ctx: Ctx,
  b: repo.BatchRow,
  lastRow: number,
  applied: { n: number; applied_version: number | null; prior: Record<string, unknown> | null; note: string | null }[],
) {
  await repo.saveApplied(ctx, b.id, applied);
  const updated = await repo.updateBatch(ctx, b.id, b.version, { committedThrough: lastRow });
  if (!updated) throw conflict('concurrency.retry', 'The import batch changed meanwhile; retry.');
  return updated;
}

export async function finishCommit(ctx: Ctx, b: repo.BatchRow) {
  const counts = await repo.commitCounts(ctx, b.id, b.committedThrough);
  const commitResult = {
    created: counts.created,
    updated: counts.updated,
    merged: counts.merged,
    skipped: b.report?.skip ?? 0,
    invalid: b.report?.invalid ?? 0,
    notApplied: counts.not_applied,
  };
  const updated = await transition(ctx, b, 'committed', { commitResult });
  await appendEvent(ctx, {
    type: 'import.committed',
    entityType: 'import_batch',
    entityId: b.id,
    data: { kind: b.kind, ...commitResult },
  });
  return viewOf(ctx, updated);
}

export async function committedView(ctx: Ctx, b: repo.BatchRow) {
  return viewOf(ctx, b);
}

export async function lockForRevert(ctx: Ctx, id: string) {
  const b = await loadBatch(ctx, id, true);
  if (b.status !== 'committed') {
    throw conflict('import.invalid_transition', `Only a committed batch can be reverted (this one is ${b.status}).`, {
      status: b.status,
    });
  }
  return repo.revertTargets(ctx, id, b.committedThrough).then((targets) => ({ batch: b, targets }));
}

export async function finishRevert(ctx: Ctx, b: repo.BatchRow, counts: { removed: number; restored: number }) {
  const updated = await transition(ctx, b, 'reverted', {
    commitResult: { ...(b.commitResult ?? {}), reverted: counts },
  });
  await appendEvent(ctx, { type: 'import.reverted', entityType: 'import_batch', entityId: b.id, data: counts });
  return viewOf(ctx, updated);
}
