import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../src/platform/db.ts';
import { randomToken } from '../src/platform/ids.ts';
import { provisionTenant } from '../src/workflows/tenant-provisioning.ts';
import { createTestDb, intakeBody, usingPostgres } from './helpers.ts';
import { type ServerProcess, startServer } from './server-process.ts';

const PROCESSES = 4;
const ROUTINGS_PER_PROCESS = 200;
const INSTALLERS = 20;
const DAILY_CAP = 10;

async function json(url: string, method: string, token: string, body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/**
 * Caps hold and no lead is offered twice to one installer when several API processes route at
 * once against one PostgreSQL: the per-lead and per-installer advisory locks serialize across processes.
 */
describe.skipIf(!usingPostgres())(
  `${PROCESSES} processes × ${ROUTINGS_PER_PROCESS} routings against small caps`,
  () => {
    let db: Awaited<ReturnType<typeof createTestDb>>;
    const servers: ServerProcess[] = [];
    let token: string;
    const leadIds: string[] = [];

    beforeAll(async () => {
      db = await createTestDb();
      const slug = `rc-${randomToken(4)
        .toLowerCase()
        .replace(/[^a-z0-9]/g, 'x')}`;
      token = (
        await provisionTenant(db, {
          slug,
          name: 'Routing race',
          adminEmail: `o@${slug}.example`,
          adminPassword: 'correct horse battery staple',
        })
      ).apiKey;
      const env = { DATABASE_URL: db.url!, PUBLIC_RATE_LIMIT: '0', LOG_LEVEL: 'warn' };
      for (let i = 0; i < PROCESSES; i++) servers.push(await startServer({ env }));
      await Promise.all(servers.map((s) => s.ready(90_000)));
      const api = servers[0].url;
      const region = await json(`${api}/api/regions`, 'POST', token, { code: 'race', name: 'Race', country: 'IE' });
      await json(`${api}/api/regions/${region.body.id}/postcodes`, 'PUT', token, { country: 'IE', patterns: ['D02'] });
      for (let i = 0; i < INSTALLERS; i++) {
        const inst = await json(`${api}/api/installers`, 'POST', token, {
          name: `Installer ${i}`,
          services: ['solar_pv'],
          status: 'active',
          qualityScore: 40 + i,
          capacity: { daily: DAILY_CAP },
        });
        await json(`${api}/api/installers/${inst.body.id}/regions`, 'PUT', token, { regionIds: [region.body.id] });
      }
      const bodies = Array.from({ length: PROCESSES * ROUTINGS_PER_PROCESS }, () =>
        intakeBody({ selectedPath: 'compare_quotes' }),
      );
      await pool(bodies, 16, async (b) => {
        const r = await json(`${servers[leadIds.length % PROCESSES].url}/api/leads`, 'POST', token, b);
        expect(r.status).toBe(201);
        leadIds.push(r.body.id);
      });
    }, 300_000);

    afterAll(async () => {
      await Promise.all(servers.map((s) => s.stop('SIGKILL')));
      await db?.drop();
    });

    it('fills every cap exactly and never assigns a lead twice to one installer', async () => {
      const statuses: Record<number, number> = {};
      const work = leadIds.map((id, i) => ({ id, server: servers[i % PROCESSES] }));
      // Every lead is also routed a second time from another process at the same moment.
      const doubled = work.slice(0, 100).map((w, i) => ({ id: w.id, server: servers[(i + 1) % PROCESSES] }));
      await pool(
        [...work, ...doubled].sort(() => Math.random() - 0.5),
        8 * PROCESSES,
        async ({ id, server }) => {
          const r = await json(`${server.url}/api/leads/${id}/route`, 'POST', token, {});
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status !== 201) expect(r.body.code).toBe('routing.no_candidates');
        },
      );
      expect(Object.keys(statuses).sort()).toEqual(['201', '409']);

      const perInstaller = await rows<{ installer_id: string; n: number }>(
        db.db,
        sql`select installer_id, count(*)::int as n from lead_assignments group by installer_id`,
      );
      expect(perInstaller).toHaveLength(INSTALLERS);
      expect(perInstaller.every((r) => r.n === DAILY_CAP)).toBe(true);
      const dup = await rows<{ n: number }>(
        db.db,
        sql`select count(*)::int as n from (select lead_id, installer_id from lead_assignments group by 1, 2 having count(*) > 1) d`,
      );
      expect(dup[0].n).toBe(0);
      const perLead = await rows<{ max: number }>(
        db.db,
        sql`select max(c)::int as max from (select count(*) as c from lead_assignments group by lead_id) x`,
      );
      expect(perLead[0].max).toBeLessThanOrEqual(6);
      // Every refused routing recorded why: all candidates at their cap or already holding the lead.
      const refused = await rows<{ reasons: string[] }>(
        db.db,
        sql`select array_agg(distinct c->>'reason') as reasons from routing_decisions d, jsonb_array_elements(d.candidates) c where d.outcome = 'no_candidates'`,
      );
      expect(refused[0].reasons.filter(Boolean).every((r) => r === 'cap_reached' || r === 'already_assigned')).toBe(
        true,
      );
    }, 300_000);
  },
);
