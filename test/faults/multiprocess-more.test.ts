import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/platform/db.ts';
import { randomToken } from '../../src/platform/ids.ts';
import { provisionTenant } from '../../src/workflows/tenant-provisioning.ts';
import { createTestDb, intakeBody, usingPostgres } from '../helpers.ts';
import { type ServerProcess, startServer } from '../server-process.ts';

/**
 * Idempotency keys across API processes (test/multiprocess.test.ts covers intake dedup and reads,
 * test/routing-concurrency.test.ts routing caps): the stored response lives in PostgreSQL, so a retry
 * that lands on another process must be replayed from there, byte for byte, even when the first
 * response was sealed (a new API key secret).
 */

interface Answer {
  status: number;
  text: string;
  body: any;
  replayed: string | null;
}

async function post(server: ServerProcess, path: string, token: string, key: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text), replayed: res.headers.get('idempotent-replayed') };
}

describe.skipIf(!usingPostgres())('idempotency keys across three helio processes on one PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDb>>;
  const servers: ServerProcess[] = [];
  let tenant: { tenantId: string; slug: string; apiKey: string };

  beforeAll(async () => {
    db = await createTestDb();
    const slug = `mpi-${randomToken(4)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x')}`;
    tenant = await provisionTenant(db, {
      slug,
      name: 'Multi-process idempotency',
      adminEmail: `owner@${slug}.example`,
      adminPassword: 'correct horse battery staple',
    });
    const env = { DATABASE_URL: db.url!, PUBLIC_RATE_LIMIT: '0', LOG_LEVEL: 'warn' };
    for (let i = 0; i < 3; i++) servers.push(await startServer({ env }));
    await Promise.all(servers.map((s) => s.ready(60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await db?.drop();
  });

  it('a retry on another process replays the first answer; another body is refused there too', async () => {
    for (let i = 0; i < 10; i++) {
      const key = `mp-replay-${i}-${randomToken(8)}`;
      const body = intakeBody({ source: 'phone' });
      const [first, second, third] = [servers[i % 3], servers[(i + 1) % 3], servers[(i + 2) % 3]];
      const original = await post(first, '/api/leads', tenant.apiKey, key, body);
      expect(original.status, original.text).toBe(201);
      expect(original.replayed).toBeNull();
      for (const other of [second, third]) {
        const replay = await post(other, '/api/leads', tenant.apiKey, key, body);
        expect(replay).toMatchObject({ status: 201, text: original.text, replayed: 'true' });
      }
      const reused = await post(third, '/api/leads', tenant.apiKey, key, intakeBody({ source: 'phone' }));
      expect(reused.status).toBe(422);
      expect(reused.body.code).toBe('idempotency.key_reused');
      // The lead is readable through every process.
      for (const s of servers) {
        const res = await fetch(`${s.url}/api/leads/${original.body.id}`, {
          headers: { authorization: `Bearer ${tenant.apiKey}` },
        });
        expect(res.status).toBe(200);
        expect(((await res.json()) as any).reference).toBe(original.body.reference);
      }
    }
  });

  it('one key sent to three processes at once: one lead; the others replay it or are told it is in progress', async () => {
    const keys = Array.from({ length: 15 }, (_, i) => `mp-race-${i}-${randomToken(8)}`);
    const answers = await Promise.all(
      keys.map(async (key) => {
        const body = intakeBody({ source: 'phone' });
        const results = await Promise.all(servers.map((s) => post(s, '/api/leads', tenant.apiKey, key, body)));
        return { key, body, results };
      }),
    );
    for (const { results } of answers) {
      const created = results.filter((r) => r.status === 201);
      expect(created.length, JSON.stringify(results.map((r) => [r.status, r.body.code]))).toBeGreaterThanOrEqual(1);
      // Every 201 is the same lead: exactly one fresh answer, the rest replays of it.
      expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
      expect(created.filter((r) => r.replayed === null)).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 201)) {
        expect([r.status, r.body.code]).toEqual([409, 'idempotency.in_progress']);
      }
    }
    // Afterwards every key replays on every process, and each made exactly one lead.
    for (const { key, body, results } of answers) {
      const id = results.find((r) => r.status === 201)!.body.id;
      for (const s of servers) {
        const replay = await post(s, '/api/leads', tenant.apiKey, key, body);
        expect([replay.status, replay.replayed, replay.body.id]).toEqual([201, 'true', id]);
      }
    }
    const [counted] = await db.tenantTx(tenant.tenantId, (tx) =>
      rows<{ n: number }>(tx, sql`select count(*)::int as n from leads where source = 'phone'`),
    );
    // 10 from the first test, 15 here.
    expect(counted.n).toBe(25);
  });

  it('a sealed answer (a new API key secret) created on one process is replayed on another, and the key works', async () => {
    const key = `mp-seal-${randomToken(8)}`;
    const body = { name: 'integration', roles: ['analyst'] };
    const original = await post(servers[0], '/api/admin/api-keys', tenant.apiKey, key, body);
    expect(original.status, original.text).toBe(201);
    const replay = await post(servers[1], '/api/admin/api-keys', tenant.apiKey, key, body);
    expect(replay).toMatchObject({ status: 201, text: original.text, replayed: 'true' });
    // Stored encrypted: the secret is not in the table in plain text.
    const stored = await db.platformTx((tx) =>
      rows<{ body: string }>(tx, sql`select response_body as body from idempotency_keys where key = ${key}`),
    );
    expect(stored).toHaveLength(1);
    const secret = original.body.secret as string;
    expect(secret).toMatch(/^hk_/);
    expect(stored[0].body).not.toContain(secret);
    const me = await fetch(`${servers[2].url}/api/leads?limit=1`, { headers: { authorization: `Bearer ${secret}` } });
    expect(me.status).toBe(200);
  });
});
