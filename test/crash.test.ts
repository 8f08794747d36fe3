import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, rows } from '../src/platform/db.ts';
import { randomToken } from '../src/platform/ids.ts';
import { provisionTenant } from '../src/workflows/tenant-provisioning.ts';
import { createTestDb, intakeBody, usingPostgres } from './helpers.ts';
import { runHelio, type ServerProcess, startServer } from './server-process.ts';

/**
 * Crash safety: the server is SIGKILLed at a random moment while intakes stream in, again and again.
 * Every intake that was acknowledged with a 201 must survive, no intake may be half-written, and
 * every restart must come up (the embedded database recovers from its WAL; the stale lock is ignored).
 */

const CLIENTS = 4;
const EMBEDDED_ROUNDS = Number(process.env.HELIO_CRASH_ROUNDS ?? 20);
const POSTGRES_ROUNDS = 5;

interface Ack {
  reference: string;
  email: string;
}

interface RoundStats {
  round: number;
  startMs: number;
  killAfterMs: number;
  acks: number;
}

const running = new Set<ServerProcess>();
const tempDirs: string[] = [];

afterAll(async () => {
  await Promise.all([...running].map((s) => s.stop('SIGKILL')));
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

async function start(args: string[], env: Record<string, string>) {
  const t0 = performance.now();
  const server = await startServer({ args, env: { PUBLIC_RATE_LIMIT: '0', LOG_LEVEL: 'warn', ...env } });
  running.add(server);
  void server.exited.then(() => running.delete(server));
  await server.ready(60_000);
  return { server, startMs: Math.round(performance.now() - t0) };
}

/**
 * A few clients post intakes with unique emails in a loop; the server is SIGKILLed after killAfterMs.
 * Returns what was acknowledged, and anything unexpected seen before the kill.
 */
async function streamUntilKilled(server: ServerProcess, slug: string, killAfterMs: number) {
  const acks: Ack[] = [];
  const unexpected: string[] = [];
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    server.proc.kill('SIGKILL');
  }, killAfterMs);
  const client = async (c: number) => {
    while (!killed) {
      const email = `crash.${c}.${randomToken(8)
        .toLowerCase()
        .replace(/[^a-z0-9]/g, 'x')}@example.com`;
      try {
        const res = await fetch(`${server.url}/api/public/${slug}/leads`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(intakeBody({ contact: { email } })),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await res.text();
        if (res.status === 201) acks.push({ reference: JSON.parse(text).reference, email });
        else unexpected.push(`${res.status} ${text.slice(0, 300)}`);
      } catch (err) {
        // A request cut off by the kill was never acknowledged; before the kill it is a failure.
        if (!killed) unexpected.push(`request failed before the kill: ${String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  clearTimeout(timer);
  const exit = await server.exited;
  return { acks, unexpected, exit };
}

async function crashRounds(
  rounds: number,
  slug: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ acks: Ack[]; stats: RoundStats[] }> {
  const acks: Ack[] = [];
  const stats: RoundStats[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Every restart must succeed, right after an unclean death.
    const { server, startMs } = await start(args, env);
    const killAfterMs = Math.round(300 + Math.random() * 1200);
    const result = await streamUntilKilled(server, slug, killAfterMs);
    expect(result.unexpected, `round ${round}:\n${server.output()}`).toEqual([]);
    expect(result.exit.signal, `round ${round}: the server died on its own:\n${server.output()}`).toBe('SIGKILL');
    acks.push(...result.acks);
    stats.push({ round, startMs, killAfterMs, acks: result.acks.length });
  }
  return { acks, stats };
}

/** After the crashes: every acknowledged intake is there, and no intake is partly written. */
async function verify(db: Database, tenantId: string, acks: Ack[]) {
  const report = await db.tenantTx(tenantId, async (tx) => {
    const stored = await rows<{ reference: string; email: string }>(tx, sql`select reference, email from leads`);
    const [health] = await rows<Record<string, number>>(
      tx,
      sql`select
        (select count(*)::int from leads) as leads,
        (select count(*)::int from leads l where not exists (select 1 from lead_status_events e
           where e.lead_id = l.id and e.from_status is null and e.to_status = 'new')) as "withoutStatusEvent",
        (select count(*)::int from leads l where not exists (select 1 from lead_submissions s
           where s.lead_id = l.id)) as "withoutSubmission",
        (select count(*)::int from leads l where not exists (select 1 from tasks t
           where t.lead_id = l.id and t.type = 'contact_lead')) as "withoutTask",
        (select count(*)::int from leads l where not exists (select 1 from people p
           where p.id = l.person_id)) as "withoutPerson",
        (select count(*)::int from leads l where not exists (select 1 from outbox_events o
           where o.entity_id = l.id and o.type = 'lead.created')) as "withoutOutboxEvent",
        (select count(*)::int from leads l where l.submission_count <>
           (select count(*) from lead_submissions s where s.lead_id = l.id)) as "miscountedSubmissions",
        (select count(*)::int from lead_submissions) as submissions,
        (select count(*)::int from tasks where type = 'contact_lead') as tasks`,
    );
    return { stored, health };
  });
  const byReference = new Map(report.stored.map((r) => [r.reference, r.email]));
  const missing = acks.filter((a) => byReference.get(a.reference) !== a.email);
  expect(missing, `${missing.length} acknowledged intakes lost`).toEqual([]);
  expect(report.health).toMatchObject({
    withoutStatusEvent: 0,
    withoutSubmission: 0,
    withoutTask: 0,
    withoutPerson: 0,
    withoutOutboxEvent: 0,
    miscountedSubmissions: 0,
  });
  // Unique emails: one lead, one submission and one task per intake that committed.
  expect(report.health.leads).toBeGreaterThanOrEqual(acks.length);
  expect(report.health.submissions).toBe(report.health.leads);
  expect(report.health.tasks).toBe(report.health.leads);
  return report.health;
}

/** The API of the restarted server finds a sample of the acknowledged references. */
async function spotCheck(server: ServerProcess, apiKey: string, slug: string, acks: Ack[]) {
  const sample = [...acks].sort(() => Math.random() - 0.5).slice(0, 40);
  for (const a of sample) {
    const res = await fetch(`${server.url}/api/leads?q=${a.reference}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.data.map((l: any) => [l.reference, l.contact.email])).toContainEqual([a.reference, a.email]);
  }
  const fresh = await fetch(`${server.url}/api/public/${slug}/leads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(intakeBody()),
  });
  expect(fresh.status).toBe(201);
}

function summary(label: string, stats: RoundStats[], acks: Ack[], health: Record<string, number>, ms: number) {
  const starts = stats.map((s) => s.startMs).sort((x, y) => x - y);
  return (
    `${label}: ${stats.length} rounds, ${acks.length} acknowledged intakes ` +
    `(per round ${stats.map((s) => s.acks).join(' ')}), ${health.leads} leads stored, ` +
    `restart ${starts[0]}–${starts[starts.length - 1]} ms, total ${(ms / 1000).toFixed(1)} s`
  );
}

describe('crash safety', () => {
  // The embedded run belongs to the embedded pass; the PostgreSQL pass runs its own variant below.
  it.skipIf(usingPostgres())(
    `embedded database: ${EMBEDDED_ROUNDS} SIGKILLs mid-intake lose nothing acknowledged`,
    async () => {
      const t0 = performance.now();
      const dataDir = mkdtempSync(join(tmpdir(), 'helio-crash-'));
      tempDirs.push(dataDir);
      const slug = 'crash-test';
      // The data directory is single-process: the tenant is created before any server runs.
      const created = JSON.parse(
        await runHelio([
          'tenant',
          'create',
          '--slug',
          slug,
          '--name',
          'Crash test',
          '--admin-email',
          'owner@crash.example',
          '--admin-password',
          'correct horse battery staple',
          '--json',
          '--data-dir',
          dataDir,
        ]),
      ) as { tenantId: string; apiKey: string };
      const args = ['--data-dir', dataDir];

      const { acks, stats } = await crashRounds(EMBEDDED_ROUNDS, slug, args, {});
      expect(acks.length).toBeGreaterThan(0);

      // Once more, then a clean stop: the lock file is released on a graceful exit.
      const { server } = await start(args, {});
      await spotCheck(server, created.apiKey, slug, acks);
      const exit = await server.stop('SIGTERM');
      expect(exit, server.output()).toEqual({ code: 0, signal: null });
      expect(existsSync(join(dataDir, 'helio.lock'))).toBe(false);

      const db = await openDatabase({ dataDir });
      try {
        const health = await verify(db, created.tenantId, acks);
        console.info(summary('embedded', stats, acks, health, performance.now() - t0));
      } finally {
        await db.close();
      }
    },
    420_000,
  );

  it.skipIf(!usingPostgres())(
    `PostgreSQL: ${POSTGRES_ROUNDS} SIGKILLs mid-intake lose nothing acknowledged`,
    async () => {
      const t0 = performance.now();
      const db = await createTestDb();
      try {
        const slug = 'crash-pg';
        const created = await provisionTenant(db, {
          slug,
          name: 'Crash test',
          adminEmail: 'owner@crash.example',
          adminPassword: 'correct horse battery staple',
        });
        const env = { DATABASE_URL: db.url! };
        const { acks, stats } = await crashRounds(POSTGRES_ROUNDS, slug, [], env);
        expect(acks.length).toBeGreaterThan(0);
        const { server } = await start([], env);
        await spotCheck(server, created.apiKey, slug, acks);
        expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
        const health = await verify(db, created.tenantId, acks);
        console.info(summary('postgres', stats, acks, health, performance.now() - t0));
      } finally {
        await Promise.all([...running].map((s) => s.stop('SIGKILL')));
        await db.drop();
      }
    },
    240_000,
  );
});
