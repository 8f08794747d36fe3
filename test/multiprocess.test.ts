import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../src/platform/db.ts';
import { randomToken } from '../src/platform/ids.ts';
import { provisionTenant } from '../src/workflows/tenant-provisioning.ts';
import { createTestDb, intakeBody, usingPostgres } from './helpers.ts';
import { type ServerProcess, startServer } from './server-process.ts';

/**
 * Several API processes on one PostgreSQL database (the deployment DATABASE_URL is for): intake
 * dedup must hold across processes, where no in-process lock could help.
 */
describe.skipIf(!usingPostgres())('three helio processes on one PostgreSQL database', () => {
  let db: Awaited<ReturnType<typeof createTestDb>>;
  const servers: ServerProcess[] = [];
  let tenant: { tenantId: string; slug: string; apiKey: string };

  beforeAll(async () => {
    db = await createTestDb();
    const slug = `mp-${randomToken(4)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x')}`;
    tenant = await provisionTenant(db, {
      slug,
      name: 'Multi-process',
      adminEmail: `owner@${slug}.example`,
      adminPassword: 'correct horse battery staple',
    });
    // Started together: migrations and the platform tenant are raced for too.
    const env = { DATABASE_URL: db.url!, PUBLIC_RATE_LIMIT: '0', LOG_LEVEL: 'warn' };
    await Promise.all(
      [0, 1, 2].map(async () => {
        const s = await startServer({ env });
        servers.push(s);
        await s.ready(60_000);
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await db?.drop();
  });

  it('20 emails × 6 submissions spread over 3 processes: 20 leads, 120 submissions', async () => {
    expect(servers).toHaveLength(3);
    const emails = Array.from({ length: 20 }, (_, i) => `mp.${i}.${randomToken(4).toLowerCase()}@example.com`);
    const jobs = emails.flatMap((email, e) => Array.from({ length: 6 }, (_, k) => ({ email, server: (e + k) % 3 })));
    // Interleave the order so that the copies of one email are in flight on different processes at once.
    jobs.sort(() => Math.random() - 0.5);
    const results = await Promise.all(
      jobs.map(async ({ email, server }) => {
        const res = await fetch(`${servers[server].url}/api/public/${tenant.slug}/leads`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(intakeBody({ contact: { email } })),
        });
        const body = (await res.json()) as any;
        return { email, server, status: res.status, body };
      }),
    );
    const failures = results.filter((r) => r.status !== 201);
    expect(failures).toEqual([]);
    // Every copy of an email got the same reference, from whichever process answered.
    const refByEmail = new Map<string, Set<string>>();
    for (const r of results) {
      refByEmail.set(r.email, (refByEmail.get(r.email) ?? new Set()).add(r.body.reference));
    }
    for (const refs of refByEmail.values()) expect(refs.size).toBe(1);
    expect(new Set(results.map((r) => r.body.reference)).size).toBe(20);
    expect(new Set(results.map((r) => r.server))).toEqual(new Set([0, 1, 2]));

    const counts = await db.tenantTx(tenant.tenantId, (tx) =>
      rows<{ leads: number; submissions: number; people: number; tasks: number; miscounted: number }>(
        tx,
        sql`select
          (select count(*)::int from leads) as leads,
          (select count(*)::int from lead_submissions) as submissions,
          (select count(*)::int from people) as people,
          (select count(*)::int from tasks where type = 'contact_lead') as tasks,
          (select count(*)::int from leads l
             where l.submission_count <> (select count(*) from lead_submissions s where s.lead_id = l.id)) as miscounted`,
      ),
    );
    expect(counts[0]).toEqual({ leads: 20, submissions: 120, people: 20, tasks: 20, miscounted: 0 });

    // Any process answers for the lead any other process created.
    const get = async (s: ServerProcess, path: string) => {
      const res = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
      return { status: res.status, body: (await res.json()) as any };
    };
    const sample = results[0].body.reference;
    for (const s of servers) {
      const list = await get(s, `/api/leads?q=${sample}`);
      expect(list.status).toBe(200);
      expect(list.body.data).toHaveLength(1);
      const detail = await get(s, `/api/leads/${list.body.data[0].id}`);
      expect(detail.body).toMatchObject({ reference: sample, submissionCount: 6 });
    }
  });
});
