import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, rows } from '../src/platform/db.ts';
import { provisionTenant } from '../src/workflows/tenant-provisioning.ts';
import { createTestDb, usingPostgres } from './helpers.ts';
import { runHelio, type ServerProcess, startServer } from './server-process.ts';

/**
 * Crash safety of an import commit: a 100k-row people file is uploaded, proposed and approved, then the
 * server is SIGKILLed at random moments while the commit runs, 20 times, and restarted to resume it.
 * No person may be written twice, no chunk half-applied, and the final count must be exact.
 */

const ROWS = Number(process.env.HELIO_IMPORT_CRASH_ROWS ?? 100_000);
const KILLS = Number(process.env.HELIO_IMPORT_CRASH_KILLS ?? 20);
/** Small chunks so that every kill lands inside a commit (the server's default is 5,000 rows). */
const CHUNK = '1000';

const running = new Set<ServerProcess>();
const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all([...running].map((s) => s.stop('SIGKILL')));
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function peopleCsv(n: number) {
  const lines = ['Full name,Email,Mobile,Post Code,City'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `Crash Person ${i},crash.${i}@example.com,+3538${String(50_000_000 + i)},D0${(i % 9) + 1} X${i % 997},Dublin`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function start(env: Record<string, string>, args: string[]) {
  const server = await startServer({ args, env: { LOG_LEVEL: 'warn', HELIO_IMPORT_COMMIT_CHUNK: CHUNK, ...env } });
  running.add(server);
  void server.exited.then(() => running.delete(server));
  await server.ready(60_000);
  return server;
}

async function api(server: ServerProcess, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(600_000),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** Upload → mapping → propose → approve over HTTP; returns the batch id. */
async function prepare(server: ServerProcess, token: string, csv: string) {
  const up = await fetch(`${server.url}/api/crm/imports?kind=people&fileName=crash.csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: csv,
    signal: AbortSignal.timeout(600_000),
  });
  const batch = (await up.json()) as any;
  expect(up.status, JSON.stringify(batch)).toBe(201);
  expect(batch.rowCount).toBe(ROWS);
  expect(
    (await api(server, token, 'PUT', `/api/crm/imports/${batch.id}/mapping`, { mapping: batch.suggestedMapping }))
      .status,
  ).toBe(200);
  const proposed = await api(server, token, 'POST', `/api/crm/imports/${batch.id}/propose`);
  expect(proposed.body.report).toEqual({ create: ROWS, update: 0, merge: 0, skip: 0, invalid: 0 });
  expect((await api(server, token, 'POST', `/api/crm/imports/${batch.id}/approve`)).status).toBe(200);
  return batch.id as string;
}

/**
 * Each round: (re)start, ask for the commit, SIGKILL after a random delay. A round whose commit
 * answered before the kill means the commit finished; the test wants every kill inside the commit.
 */
async function killDuringCommit(
  first: ServerProcess,
  restart: () => Promise<ServerProcess>,
  token: string,
  batchId: string,
  delay: () => number,
  checkAfterKill: () => Promise<void>,
) {
  const delays: number[] = [];
  let server = first;
  for (let round = 1; round <= KILLS; round++) {
    if (round > 1) server = await restart();
    let answered = false;
    const request = fetch(`${server.url}/api/crm/imports/${batchId}/commit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    })
      .then(async (r) => {
        answered = true;
        return `${r.status} ${(await r.text()).slice(0, 300)}`;
      })
      .catch(() => 'cut off');
    const ms = delay();
    delays.push(ms);
    await new Promise((r) => setTimeout(r, ms));
    server.proc.kill('SIGKILL');
    const exit = await server.exited;
    const outcome = await request;
    expect(answered, `round ${round}: the commit finished before the kill (${outcome})`).toBe(false);
    expect(exit.signal).toBe('SIGKILL');
    await checkAfterKill();
  }
  return delays;
}

/** After a kill: exactly the rows within their lane's checkpoint are written — never a part of a chunk. */
async function checkpointMatches(db: Database, tenantId: string, batchId: string) {
  const [r] = await db.tenantTx(tenantId, (tx) =>
    rows<{ people: number; within: number; emails: number }>(
      tx,
      sql`select (select count(*)::int from people) as people,
        (select count(*)::int from person_emails) as emails,
        (select count(*)::int from import_rows i
          join import_commit_lanes l on l.batch_id = i.batch_id and l.lane = get_byte(uuid_send(i.target_id), 15) % l.lanes
          where i.batch_id = ${batchId} and i.action = 'create' and i.row_number <= l.committed_through) as within`,
    ),
  );
  expect(r.people).toBe(r.within);
  expect(r.emails).toBe(r.within);
  return r.within;
}

/** No duplicates, no half chunk, exact count: every applied row has its person, and only those. */
async function verify(db: Database, tenantId: string, batchId: string) {
  const [r] = await db.tenantTx(tenantId, (tx) =>
    rows<Record<string, number>>(
      tx,
      sql`select
        (select count(*)::int from people) as people,
        (select count(*)::int from (select email from people group by email having count(*) > 1) d) as "duplicateEmails",
        (select count(*)::int from person_emails) as "emailRows",
        (select count(*)::int from person_phones) as "phoneRows",
        (select committed_through from import_batches where id = ${batchId}) as checkpoint,
        (select max(row_number) from import_rows where batch_id = ${batchId}) as "lastRow",
        (select count(*)::int from import_rows where batch_id = ${batchId} and commit_note is not null) as "rowsWithNote",
        (select count(*)::int from import_rows i where i.batch_id = ${batchId}
           and not exists (select 1 from people p where p.id = i.target_id)) as "rowsWithoutPerson",
        (select count(*)::int from people p where not exists (select 1 from import_rows i
           where i.batch_id = ${batchId} and i.target_id = p.id)) as "peopleWithoutRow",
        (select count(*)::int from outbox_events where type = 'import.committed' and entity_id = ${batchId}) as "committedEvents"`,
    ),
  );
  expect(r).toEqual({
    people: ROWS,
    duplicateEmails: 0,
    emailRows: ROWS,
    phoneRows: ROWS,
    checkpoint: ROWS + 1,
    lastRow: ROWS + 1,
    rowsWithNote: 0,
    rowsWithoutPerson: 0,
    peopleWithoutRow: 0,
    committedEvents: 1,
  });
}

async function finish(server: ServerProcess, token: string, batchId: string) {
  const done = await api(server, token, 'POST', `/api/crm/imports/${batchId}/commit`);
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  expect(done.body.status).toBe('committed');
  expect(done.body.commitResult).toMatchObject({ created: ROWS, notApplied: 0 });
  const again = await api(server, token, 'POST', `/api/crm/imports/${batchId}/commit`);
  expect(again.body).toEqual(done.body);
  return done.body;
}

describe('import commit crash safety', () => {
  const csv = peopleCsv(ROWS);

  it.skipIf(usingPostgres())(
    `embedded database: ${KILLS} SIGKILLs mid-commit of ${ROWS} rows`,
    async () => {
      const t0 = performance.now();
      const dataDir = mkdtempSync(join(tmpdir(), 'helio-import-crash-'));
      tempDirs.push(dataDir);
      const created = JSON.parse(
        await runHelio([
          'tenant',
          'create',
          '--slug',
          'import-crash',
          '--name',
          'Import crash',
          '--admin-email',
          'owner@import-crash.example',
          '--admin-password',
          'correct horse battery staple',
          '--json',
          '--data-dir',
          dataDir,
        ]),
      ) as { tenantId: string; apiKey: string };
      const args = ['--data-dir', dataDir];
      const first = await start({}, args);
      const batchId = await prepare(first, created.apiKey, csv);
      const tPrepared = performance.now();
      const progress: number[] = [];
      const delays = await killDuringCommit(
        first,
        () => start({}, args),
        created.apiKey,
        batchId,
        () => Math.round(300 + Math.random() * 1200),
        async () => {
          // The embedded database is single-process: look while the server is down.
          const db = await openDatabase({ dataDir });
          try {
            progress.push(await checkpointMatches(db, created.tenantId, batchId));
          } finally {
            await db.close();
          }
        },
      );
      const last = await start({}, args);
      const result = await finish(last, created.apiKey, batchId);
      expect(await last.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      const db = await openDatabase({ dataDir });
      try {
        await verify(db, created.tenantId, batchId);
      } finally {
        await db.close();
      }
      console.info(
        `embedded: ${ROWS} rows, ${KILLS} kills (after ${delays.join(' ')} ms; rows written after each: ${progress.join(' ')}), prepared in ${((tPrepared - t0) / 1000).toFixed(1)} s, ` +
          `total ${((performance.now() - t0) / 1000).toFixed(1)} s, result ${JSON.stringify(result.commitResult)}`,
      );
    },
    600_000,
  );

  it.skipIf(!usingPostgres())(
    `PostgreSQL: ${KILLS} SIGKILLs mid-commit of ${ROWS} rows`,
    async () => {
      const t0 = performance.now();
      const db = await createTestDb();
      try {
        const created = await provisionTenant(db, {
          slug: 'import-crash-pg',
          name: 'Import crash',
          adminEmail: 'owner@import-crash.example',
          adminPassword: 'correct horse battery staple',
        });
        const env = { DATABASE_URL: db.url! };
        const first = await start(env, []);
        const batchId = await prepare(first, created.apiKey, csv);
        const tPrepared = performance.now();
        const progress: number[] = [];
        const delays = await killDuringCommit(
          first,
          () => start(env, []),
          created.apiKey,
          batchId,
          () => Math.round(100 + Math.random() * 400),
          async () => {
            progress.push(await checkpointMatches(db, created.tenantId, batchId));
          },
        );
        const last = await start(env, []);
        const result = await finish(last, created.apiKey, batchId);
        expect(await last.stop('SIGTERM')).toEqual({ code: 0, signal: null });
        await verify(db, created.tenantId, batchId);
        console.info(
          `postgres: ${ROWS} rows, ${KILLS} kills (after ${delays.join(' ')} ms; rows written after each: ${progress.join(' ')}), prepared in ${((tPrepared - t0) / 1000).toFixed(1)} s, ` +
            `total ${((performance.now() - t0) / 1000).toFixed(1)} s, result ${JSON.stringify(result.commitResult)}`,
        );
      } finally {
        await Promise.all([...running].map((s) => s.stop('SIGKILL')));
        await db.drop();
      }
    },
    600_000,
  );
});
