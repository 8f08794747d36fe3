import { rmSync } from 'node:fs';
import type { Ctx } from '../../platform/context.ts';
import { issue, type SideReads } from '../../platform/db.ts';
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

export function toBatchView(b: repo.BatchRow, history: repo.EventRow[], committedThrough = b.committedThrough) {
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
    committedThrough,
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

/** While a people batch commits in lanes, its checkpoint is the lowest lane's: every row up to it is written. */
async function viewOf(ctx: Ctx, b: repo.BatchRow) {
  const lanes = b.status === 'approved' && b.kind === 'people' ? await repo.listLanes(ctx, b.id) : [];
  const through = lanes.length ? Math.min(...lanes.map((l) => l.committedThrough)) : b.committedThrough;
  return toBatchView(b, await repo.listEvents(ctx, b.id), through);
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

/**
 * The dry run: every row validated, deduplicated inside the file and matched against people, its action
 * saved. `side`: reads of people on other connections (PostgreSQL), so that matching the next chunks runs
 * beside this chunk's classification and save instead of after them.
 */
export async function propose(ctx: Ctx, id: string, progress?: Progress, side?: SideReads) {
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
  const match = (keys: crm.ImportMatchKey[]) =>
    issue(side ? side((tx) => crm.matchPeopleForImport({ ...ctx, tx }, keys)) : crm.matchPeopleForImport(ctx, keys));
  progress?.('propose', 0, b.rowCount);
  // The first row of the file with each email / phone (hashed keys; a hash hit is confirmed on the values).
  const firstByKey = new Map<number, number>();

  /** Normalizes a chunk in file order and sends its rows that repeat nothing earlier to be matched. */
  const prepare = (chunk: { rowNumber: number; raw: string[] }[]) => {
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
    const matches = match(
      normalized
        .filter((r) => !r.errors.length && r.first === undefined)
        .map((r) => ({
          ref: r.n,
          email: r.values.email,
          phone: r.values.phone,
          name: r.values.fullName && r.values.postcode ? r.values.fullName.toLowerCase() : null,
          postcode: r.values.postcode,
        })),
    );
    return { normalized, matches, lastRow: chunk[chunk.length - 1].rowNumber };
  };

  type Decided = { values: PeopleValues; target: string | null };
  // The decisions of the last two chunks, kept in memory: most repeats are near the row they repeat, and
  // reading those back would wait for the chunk's save.
  const recent: Map<number, Decided>[] = [];
  const recentOf = (n: number) => recent.find((m) => m.has(n))?.get(n);

  /** Classifies a prepared chunk; rows before `after` come from the recent chunks or are read back. */
  const classify = async (p: ReturnType<typeof prepare>, after: number) => {
    const { normalized } = p;
    const far = normalized
      .filter((r) => r.first !== undefined && r.first <= after && !recentOf(r.first))
      .map((r) => r.first!);
    const earlier = new Map<number, Decided>(
      (await repo.findRowsByNumber(ctx, id, far)).map((r) => [
        Number(r.row_number),
        { values: r.data as unknown as PeopleValues, target: r.target_id },
      ]),
    );
    const isDuplicateOf = (v: PeopleValues, f: PeopleValues) =>
      (v.email != null && v.email === f.email) || (v.phone != null && v.phone === f.phone);
    const decided = new Map<number, Decided>();
    const byRow = new Map<number, crm.MatchedPerson[]>();
    for (const m of await p.matches) byRow.set(m.ref, [...(byRow.get(m.ref) ?? []), m]);
    const out = normalized.map((r): repo.ClassifiedRow => {
      const data = r.values as unknown as Record<string, unknown>;
      let c: Omit<repo.ClassifiedRow, 'data' | 'errors'>;
      const first =
        r.first !== undefined ? (decided.get(r.first) ?? recentOf(r.first) ?? earlier.get(r.first)) : undefined;
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
    recent.unshift(decided);
    recent.length = Math.min(recent.length, 2);
    // A hash collision that the values did not confirm: the row stands on its own (matched against people).
    const unconfirmed = out.filter(
      (c, i) => normalized[i].first !== undefined && !c.evidence.length && c.action !== 'invalid',
    );
    if (unconfirmed.length) {
      const again = await match(
        unconfirmed.map((c) => {
          const v = c.data as unknown as PeopleValues;
          return { ref: c.n, email: v.email, phone: v.phone, name: null, postcode: null };
        }),
      );
      for (const c of unconfirmed) {
        Object.assign(
          c,
          classifyAgainstPeople(
            c.n,
            c.data as unknown as PeopleValues,
            again.filter((m) => m.ref === c.n),
          ),
        );
        decided.set(c.n, { values: c.data as unknown as PeopleValues, target: c.target });
      }
    }
    return out;
  };

  // Three streams side by side: this transaction's connection saves a chunk and reads ahead (in the order
  // issued), other connections match the two chunks ahead, and JavaScript classifies this chunk and then
  // normalizes the one after next while the save runs.
  const read = (after: number) => issue(repo.readRawRows(ctx, id, after, CHUNK_ROWS));
  let saving: Promise<unknown> = Promise.resolve();
  let done = 0;
  try {
    const ahead: ReturnType<typeof prepare>[] = [];
    let reading: Promise<{ rowNumber: number; raw: string[] }[]> | null = read(0);
    const readAhead = async () => {
      const chunk = reading ? await reading : [];
      reading = chunk.length ? read(chunk[chunk.length - 1].rowNumber) : null;
      if (chunk.length) ahead.push(prepare(chunk));
    };
    await readAhead();
    await readAhead();
    for (let after = 0; ahead.length; ) {
      const current = ahead.shift()!;
      const out = await classify(current, after);
      await saving;
      saving = issue(repo.saveClassified(ctx, id, out));
      after = current.lastRow;
      done += out.length;
      progress?.('propose', done, b.rowCount);
      await readAhead();
    }
  } finally {
    // Statements still in flight settle before the transaction goes on (or rolls back).
    await saving.catch(() => {});
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
  return committable(await loadBatch(ctx, id, true));
}

function committable(b: repo.BatchRow) {
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

/** Commit input rows as people to create and patches to apply. */
function toCommitChunk(lastRow: number, found: repo.CommitInputRow[]): CommitChunk {
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

/**
 * Starts (or resumes) the commit of a people batch: its lanes, `lanes` of them unless an earlier attempt
 * fixed their number. The batch is locked for the moment, so two commits starting together agree.
 */
export async function startCommit(ctx: Ctx, id: string, lanes: number) {
  const b = await lockForCommit(ctx, id);
  if (b.status === 'committed' || b.kind !== 'people') return { batch: b, lanes: [] as repo.LaneRow[] };
  return { batch: b, lanes: await repo.ensureLanes(ctx, id, lanes) };
}

/**
 * Locks one lane for its next chunk. The batch is share-locked: the lanes run side by side, and nothing
 * else (a revert, a failure) moves the batch meanwhile.
 */
export async function lockCommitLane(ctx: Ctx, id: string, lane: number) {
  const found = await repo.findBatch(ctx, id, { forShare: true });
  if (!found) throw batchNotFound();
  const b = committable(found);
  const l = await repo.lockLane(ctx, id, lane);
  if (!l) throw conflict('concurrency.retry', 'The import commit has not started; retry.');
  return { batch: b, lane: l };
}

/** The lane's next window after its checkpoint (`limit` rows per lane on average); null when it is through. */
export async function nextLaneChunk(
  ctx: Ctx,
  b: repo.BatchRow,
  l: repo.LaneRow,
  limit: number,
): Promise<CommitChunk | null> {
  const last = await repo.lastRowNumber(ctx, b.id);
  if (l.committedThrough >= last) return null;
  const lastRow = Math.min(l.committedThrough + limit * l.lanes, last);
  return toCommitChunk(lastRow, await repo.readLaneRange(ctx, l, l.committedThrough, lastRow));
}

/** Records what a lane's chunk wrote and moves the lane's checkpoint, in the chunk's transaction. */
export async function recordLaneChunk(ctx: Ctx, l: repo.LaneRow, lastRow: number, applied: repo.AppliedRow[]) {
  await repo.saveApplied(ctx, l.batchId, applied);
  await repo.setLaneCheckpoint(ctx, l, lastRow);
}

/** Completes a people batch once every lane is through (the batch's checkpoint becomes its last row). */
export async function finishLanes(ctx: Ctx, id: string) {
  const b = await lockForCommit(ctx, id);
  if (b.status === 'committed') return viewOf(ctx, b);
  const last = await repo.lastRowNumber(ctx, id);
  const lanes = await repo.listLanes(ctx, id);
  if (!lanes.length || lanes.some((l) => l.committedThrough < last)) {
    throw conflict('concurrency.retry', 'The import commit is still running; retry.');
  }
  return finishCommit(ctx, b, last);
}

/** Records what a chunk wrote and moves the checkpoint, in the chunk's transaction (kinds besides people). */
export async function recordCommitChunk(ctx: Ctx, b: repo.BatchRow, lastRow: number, applied: repo.AppliedRow[]) {
  await repo.saveApplied(ctx, b.id, applied);
  const updated = await repo.updateBatch(ctx, b.id, b.version, { committedThrough: lastRow });
  if (!updated) throw conflict('concurrency.retry', 'The import batch changed meanwhile; retry.');
  return updated;
}

export async function finishCommit(ctx: Ctx, b: repo.BatchRow, checkpoint = b.committedThrough) {
  const counts = await repo.commitCounts(ctx, b.id, checkpoint);
  const commitResult = {
    created: counts.created,
    updated: counts.updated,
    merged: counts.merged,
    skipped: b.report?.skip ?? 0,
    invalid: b.report?.invalid ?? 0,
    notApplied: counts.not_applied,
  };
  const updated = await transition(ctx, b, 'committed', { commitResult, committedThrough: checkpoint });
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
