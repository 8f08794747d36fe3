/**
 * Routing decision at scale (DESIGN §8: p99 ≤ 5 ms per decision including caps), with 10k installers
 * and 100k postcode patterns in one tenant, next to the bare serviceability SQL in the same run.
 * Run alone: `npx tsx bench/routing.ts`; `bench/run.ts` includes it.
 */

import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import * as routing from '../src/modules/routing/index.ts';
import { systemActor } from '../src/platform/context.ts';
import { openDatabase, rows, type Tx } from '../src/platform/db.ts';
import { planRouting, routeLead } from '../src/workflows/lead-routing.ts';
import { provisionTenant } from '../src/workflows/tenant-provisioning.ts';
import { createBenchDatabase, fmt, log, percentile } from './lib.ts';

const INSTALLERS = 10_000;
const PATTERNS = 100_000;
const REGIONS = 2_000;
const REGIONS_PER_INSTALLER = 5;
const DECISIONS = Number(process.env.ROUTING_DECISIONS ?? 1500);

export interface RoutingResult {
  installers: number;
  patterns: number;
  decisions: number;
  decisionP50: number;
  decisionP99: number;
  requestP99: number;
  serviceabilityP99: number;
  candidatesPerDecision: number;
}

export async function benchRouting(): Promise<RoutingResult> {
  const bench = await createBenchDatabase('helio_bench_routing');
  const db = await openDatabase({ url: bench.url, poolSize: 4 });
  try {
    await db.migrate();
    const t = await provisionTenant(db, {
      slug: 'routing',
      name: 'Routing bench',
      adminEmail: 'o@routing.example',
      adminPassword: 'correct horse battery staple',
    });
    const tenant = t.tenantId;
    log(`routing: loading ${REGIONS} regions, ${PATTERNS} ZIP patterns, ${INSTALLERS} installers …`);
    const x = db.db;
    await x.execute(sql`insert into regions (tenant_id, id, code, name, country)
      select ${tenant}, gen_random_uuid(), 'r' || g, 'Region ' || g, 'US' from generate_series(1, ${REGIONS}) g`);
    await x.execute(sql`insert into region_postcodes (tenant_id, country, pattern, region_id)
      select ${tenant}, 'US', lpad(g::text, 5, '0'), r.id
      from generate_series(0, ${PATTERNS - 1}) g join regions r on r.tenant_id = ${tenant} and r.code = 'r' || (g % ${REGIONS} + 1)`);
    await x.execute(sql`insert into installers (tenant_id, id, name, status, services, capacity_daily, capacity_weekly, capacity_monthly, priority, quality_score)
      select ${tenant}, gen_random_uuid(), 'Installer ' || g,
        (case when g % 10 = 0 then 'paused' else 'active' end), array['solar_pv', 'battery_storage'],
        50, 200, 600, g % 100, 30 + (g * 37) % 70
      from generate_series(1, ${INSTALLERS}) g`);
    await x.execute(sql`insert into installer_regions (tenant_id, installer_id, region_id)
      select distinct ${tenant}::uuid, i.id, r.id
      from (select id, row_number() over (order by id) as n from installers where tenant_id = ${tenant}) i
      cross join generate_series(0, ${REGIONS_PER_INSTALLER - 1}) k
      join regions r on r.tenant_id = ${tenant} and r.code = 'r' || ((i.n * 7 + k * 401) % ${REGIONS} + 1)`);
    await x.execute(sql`insert into people (tenant_id, id, full_name, email)
      select ${tenant}, gen_random_uuid(), 'Bench ' || g, 'bench' || g || '@example.com' from generate_series(1, ${DECISIONS}) g`);
    await x.execute(sql`insert into leads (tenant_id, id, reference, person_id, status, source, service, selected_path, email, postcode, address, consent)
      select ${tenant}, gen_random_uuid(), 'B' || lpad(g::text, 7, '0'), p.id, 'qualified', 'website', 'solar_pv', 'compare_quotes',
        p.email, lpad(((g * 7919) % ${PATTERNS})::text, 5, '0'), '{"country":"US"}'::jsonb, '{"terms":true}'::jsonb
      from (select id, email, row_number() over (order by id) as g from people where tenant_id = ${tenant}) p`);
    await x.execute(sql`analyze`);
    const leadRows = await rows<{ id: string; postcode: string }>(
      x,
      sql`select id, postcode from leads where tenant_id = ${tenant} order by id`,
    );

    // Baseline: the bare serviceability SQL (longest pattern → region → covering installers), direct.
    const direct = postgres(bench.url, { max: 1, onnotice: () => {} });
    const svc: number[] = [];
    for (const l of leadRows.slice(0, 500)) {
      const keys = [
        l.postcode,
        l.postcode.slice(0, 4),
        l.postcode.slice(0, 3),
        l.postcode.slice(0, 2),
        l.postcode.slice(0, 1),
      ];
      const t0 = performance.now();
      const [m] =
        await direct`select rp.region_id from region_postcodes rp join regions r on r.tenant_id = rp.tenant_id and r.id = rp.region_id
        where rp.tenant_id = ${tenant} and rp.country = 'US' and rp.pattern = any(${keys}) and r.active order by length(rp.pattern) desc limit 1`;
      await direct`select i.id, i.status, i.services from installer_regions ir join installers i on i.tenant_id = ir.tenant_id and i.id = ir.installer_id
        where ir.tenant_id = ${tenant} and ir.region_id = ${m.region_id}`;
      svc.push(performance.now() - t0);
    }
    await direct.end();

    // The decision: lead, region by longest postcode pattern, covering installers, their usage against
    // caps under the routing locks, satisfaction, ranking — the half of the leads used for it are
    // decided but not written. The other half is routed in full (decision + offers + jobs + status).
    const decision: number[] = [];
    const request: number[] = [];
    let candidates = 0;
    const ctxOf = (tx: Tx) => ({ tenantId: tenant, tx, actor: { ...systemActor(), userId: null }, requestId: 'bench' });
    const half = Math.floor(leadRows.length / 2);
    for (const l of leadRows.slice(0, half)) {
      await db.tenantTx(tenant, async (tx) => {
        const t0 = performance.now();
        const ranked = await routing.rankCandidates(
          ctxOf(tx),
          await planRouting(ctxOf(tx), l.id, { mode: 'compare_quotes' }),
        );
        decision.push(performance.now() - t0);
        candidates += ranked.length;
      });
    }
    for (const l of leadRows.slice(half)) {
      const t0 = performance.now();
      await db.tenantTx(tenant, (tx) => routeLead(ctxOf(tx), l.id, { mode: 'compare_quotes' }));
      request.push(performance.now() - t0);
    }
    const warm = (a: number[]) => a.slice(Math.min(100, Math.floor(a.length / 10)));
    const result: RoutingResult = {
      installers: INSTALLERS,
      patterns: PATTERNS,
      decisions: half,
      decisionP50: percentile(warm(decision), 50),
      decisionP99: percentile(warm(decision), 99),
      requestP99: percentile(warm(request), 99),
      serviceabilityP99: percentile(warm(svc), 99),
      candidatesPerDecision: candidates / half,
    };
    log(
      `routing: ${result.decisions} decisions, ${fmt(result.candidatesPerDecision)} candidates each; decision p50 ${fmt(result.decisionP50, 2)} ms, p99 ${fmt(result.decisionP99, 2)} ms ; full routing with offers and commit p99 ${fmt(result.requestP99, 2)} ms; bare serviceability SQL p99 ${fmt(result.serviceabilityP99, 2)} ms`,
    );
    return result;
  } finally {
    await db.close();
    await bench.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchRouting();
}
