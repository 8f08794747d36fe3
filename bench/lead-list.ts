/**
 * Lead list at 1M leads (DESIGN §8): 10 tenants × 100k leads in a database migrated by the app, bulk-loaded
 * with SQL; then GET /api/leads over HTTP (filters + keyset page of 50) against the same SELECT, with the
 * same parameters, run directly through postgres-js. Requests go one at a time, the variants interleaved
 * request by request so that noise hits them alike.
 */
import { Agent, request as httpRequest } from 'node:http';
import { availableParallelism } from 'node:os';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as identity from '../src/modules/identity/index.ts';
import * as leadsRepo from '../src/modules/leads/repository.ts';
import { systemActor } from '../src/platform/context.ts';
import { type Database, openDatabase, type Tx } from '../src/platform/db.ts';
import { provisionTenant } from '../src/workflows/tenant-provisioning.ts';
import {
  createBenchDatabase,
  fmt,
  freePort,
  HELIO_BIN,
  helioCli,
  log,
  percentile,
  startServer,
  waitForQuiet,
} from './lib.ts';
import { openVariantPostgres } from './variant-db.ts';

const TOTAL_LEADS = Number(process.env.BENCH_LIST_LEADS ?? 1_000_000);
const TENANTS = 10;
const ITERATIONS = Number(process.env.BENCH_LIST_REQUESTS ?? 500);
const WARMUP = 50;
const CHUNK = 100_000;
const LOAD_WORKERS = Math.max(1, Math.min(4, availableParallelism()));

interface BenchTenant {
  tenantId: string;
  slug: string;
  apiKey: string;
  adminUserId: string;
}

export interface Timing {
  p50: number;
  p95: number;
  p99: number;
}

export interface ListShapeResult {
  shape: string;
  path: string;
  http: Timing;
  /** The captured SELECT with its parameters through postgres-js with the driver's default (prepared). */
  direct: Timing;
  /** The same, sent the way drizzle sends it (prepare: false: Parse/Describe, then Bind/Execute). */
  directUnprepared: Timing;
  /** The app's database work in-process: authenticate the API key + tenantTx(listLeads), as src builds it. */
  appDb: Timing;
  /** The same over a client that forces prepared statements (bench/variant-db.ts). */
  appDbPrepared: Timing;
  rows: number;
}

export interface LeadListResult {
  leads: number;
  tenants: number;
  loadSeconds: number;
  indexSeconds: number;
  tableMb: number;
  shapes: ListShapeResult[];
  plan: string;
}

const timing = (xs: number[]): Timing => ({
  p50: percentile(xs, 50),
  p95: percentile(xs, 95),
  p99: percentile(xs, 99),
});

/** UUIDv7 text from a millisecond timestamp expression and a 32-hex-digit hash expression (SQL). */
const uuidv7Sql = (ms: string, h: string) =>
  `(lpad(to_hex(${ms}), 12, '0') || '7' || substr(${h}, 1, 3) || substr('89ab', (get_byte(decode(substr(${h}, 4, 2), 'hex'), 0) % 4) + 1, 1) || substr(${h}, 6, 15))::uuid`;

/**
 * People first (leads.person_id references them), then leads; ids are UUIDv7 from the creation time, so
 * id order is creation order, interleaved over the tenants like real traffic. 85% of leads are closed, the
 * open ones keep unique emails and phones, so the partial unique indexes hold.
 */
async function bulkLoad(connections: postgres.Sql[], tenants: BenchTenant[]) {
  const tenantIds = tenants.map((t) => t.tenantId);
  const adminIds = tenants.map((t) => t.adminUserId);
  const spanMs = 2 * 365 * 24 * 3600 * 1000; // two years of history
  const stepMs = Math.floor(spanMs / TOTAL_LEADS);
  const startMs = Date.now() - spanMs - 60_000;
  // Derived per row: i, tenant, created ms, hashes hp (person) / hl (lead) and a few random bytes.
  const rowsFrom = (from: number, to: number) => `
    select i,
      ($1::uuid[])[1 + (i % ${TENANTS})] as tenant_id,
      ($2::uuid[])[1 + (i % ${TENANTS})] as admin_id,
      (${startMs}::bigint + i::bigint * ${stepMs}) as ms,
      md5('p' || i) as hp, md5('l' || i) as hl, decode(md5('r' || i), 'hex') as b
    from generate_series(${from}, ${to}) as i`;
  const first = `(array['Aoife','Seán','Ciara','Conor','Niamh','Darragh','Saoirse','Cian','Róisín','Oisín','Emma','Jack','Sophie','James','Grace','Liam'])[1 + get_byte(b, 0) % 16]`;
  const last = `(array['Byrne','Murphy','Kelly','Walsh','O''Brien','Ryan','O''Sullivan','Doyle','McCarthy','Lynch','Murray','Quinn','Moore','Daly','Brennan','Power'])[1 + get_byte(b, 1) % 16]`;
  const city = `(array['Dublin','Cork','Galway','Limerick','Waterford','Kilkenny','Sligo','Athlone'])[1 + get_byte(b, 2) % 8]`;
  const hasPhone = `get_byte(b, 3) < 180`;
  const statusR = `((get_byte(b, 4) * 256 + get_byte(b, 5)) % 1000)`;
  const sourceR = `((get_byte(b, 6) * 256 + get_byte(b, 7)) % 1000)`;
  const status = `case when ${statusR} < 20 then 'new' when ${statusR} < 45 then 'contacted'
      when ${statusR} < 75 then 'nurturing' when ${statusR} < 125 then 'qualified' when ${statusR} < 150 then 'matched'
      when ${statusR} < 350 then 'converted' when ${statusR} < 850 then 'lost' else 'disqualified' end`;
  const source = `case when ${sourceR} < 450 then 'website' when ${sourceR} < 550 then 'minisite'
      when ${sourceR} < 650 then 'referral' when ${sourceR} < 770 then 'partner' when ${sourceR} < 850 then 'import'
      when ${sourceR} < 900 then 'api' when ${sourceR} < 950 then 'phone' when ${sourceR} < 970 then 'walk_in' else 'campaign' end`;
  const service = `(array['solar_pv','heat_pump','battery','ev_charger','insulation'])[1 + get_byte(b, 8) % 5]`;
  const createdAt = `to_timestamp(ms / 1000.0)`;

  const chunks: [number, number][] = [];
  for (let from = 1; from <= TOTAL_LEADS; from += CHUNK) chunks.push([from, Math.min(TOTAL_LEADS, from + CHUNK - 1)]);
  const loadChunk = async (sql: postgres.Sql, from: number, to: number) => {
    const t0 = performance.now();
    await sql.unsafe(
      `insert into people (tenant_id, id, full_name, first_name, last_name, email, phone, postcode, locale, address,
         consent, created_at, updated_at)
       select tenant_id, ${uuidv7Sql('ms', 'hp')}, fn || ' ' || ln, fn, ln,
         lower(translate(fn || '.' || ln, 'áéíóú''', 'aeiou')) || '.' || i || '@example.com',
         case when ${hasPhone} then '+35387' || lpad(i::text, 7, '0') end,
         'D0' || (1 + get_byte(b, 9) % 9) || ' X' || lpad((get_byte(b, 10) * 4)::text, 3, '0'), 'en-IE',
         jsonb_build_object('line1', i || ' Main St', 'city', ${city}, 'country', 'IE'),
         '{"terms": true, "marketing": false}'::jsonb, ${createdAt}, ${createdAt}
       from (select *, ${first} as fn, ${last} as ln from (${rowsFrom(from, to)}) r0) r`,
      [tenantIds, adminIds],
    );
    await sql.unsafe(
      `insert into leads (tenant_id, id, reference, person_id, status, source, service, selected_path, name, email,
         phone, postcode, locale, address, contact_preferences, consent, assessment, recommendation, assigned_user_id,
         status_changed_at, converted_at, submission_count, version, created_at, updated_at)
       select tenant_id, ${uuidv7Sql('ms', 'hl')}, 'R' || upper(lpad(to_hex(i), 7, '0')), ${uuidv7Sql('ms', 'hp')},
         st, ${source}, svc,
         (array['recommended','compare_quotes','undecided'])[1 + get_byte(b, 11) % 3],
         fn || ' ' || ln, lower(translate(fn || '.' || ln, 'áéíóú''', 'aeiou')) || '.' || i || '@example.com',
         case when ${hasPhone} then '+35387' || lpad(i::text, 7, '0') end,
         'D0' || (1 + get_byte(b, 9) % 9) || ' X' || lpad((get_byte(b, 10) * 4)::text, 3, '0'), 'en-IE',
         jsonb_build_object('line1', i || ' Main St', 'city', ${city}, 'country', 'IE'),
         '{"channels": ["email", "phone"], "bestTime": "evening"}'::jsonb,
         '{"terms": true, "marketing": false}'::jsonb,
         jsonb_build_object('questionSetVersion', '2026-10', 'answers',
           jsonb_build_object('roofType', (array['pitched','flat','mixed'])[1 + get_byte(b, 12) % 3],
                              'monthlyBill', 60 + get_byte(b, 13))),
         jsonb_build_object('engineVersion', '1.4.0',
           'products', jsonb_build_array(jsonb_build_object('kind', svc, 'sizeKw', round((2 + get_byte(b, 14) / 32.0)::numeric, 1))),
           'estimatedAnnualSavings', jsonb_build_object('amount', 40000 + get_byte(b, 15) * 400, 'currency', 'EUR')),
         case when st <> 'new' and get_byte(b, 3) % 5 < 2 then admin_id end,
         ${createdAt} + case when st = 'new' then interval '0' else (get_byte(b, 5) || ' hours')::interval end,
         case when st = 'converted' then ${createdAt} + interval '30 days' end,
         1 + (get_byte(b, 3) % 10 = 0)::int,
         case when st = 'new' then 1 else 2 + get_byte(b, 4) % 3 end,
         ${createdAt}, ${createdAt} + case when st = 'new' then interval '0' else (get_byte(b, 5) || ' hours')::interval end
       from (select *, ${first} as fn, ${last} as ln, ${status} as st, ${service} as svc
             from (${rowsFrom(from, to)}) r0) r`,
      [tenantIds, adminIds],
    );
    log(`  loaded leads ${from}–${to} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  };
  // One worker per connection, taking chunks in turn (the machine's cores share the work).
  await Promise.all(
    connections.map(async (sql) => {
      for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) await loadChunk(sql, ...chunk);
    }),
  );
}

/** Runs the load with the secondary indexes dropped (FK triggers off), then rebuilds them exactly as migrated. */
async function loadLeads(url: string, tenants: BenchTenant[]) {
  const workers = Array.from({ length: LOAD_WORKERS }, () => postgres(url, { max: 1, onnotice: () => {} }));
  const sql = workers[0];
  try {
    for (const w of workers) {
      await w`set session_replication_role = replica`;
      await w`set maintenance_work_mem = '512MB'`;
    }
    const indexes = await sql<{ indexname: string; indexdef: string }[]>`
      select indexname, indexdef from pg_indexes
      where schemaname = 'public' and tablename in ('people', 'leads')
        and indexname not in (select conname from pg_constraint)`;
    for (const ix of indexes) await sql.unsafe(`drop index "${ix.indexname}"`);
    const t0 = performance.now();
    await bulkLoad(workers, tenants);
    const loadSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const pending = [...indexes];
    await Promise.all(
      workers.map(async (w) => {
        for (let ix = pending.shift(); ix; ix = pending.shift()) await w.unsafe(ix.indexdef);
      }),
    );
    await sql`analyze people`;
    await sql`analyze leads`;
    await sql`checkpoint`;
    const indexSeconds = (performance.now() - t1) / 1000;
    log(`  ${indexes.length} secondary indexes rebuilt and ANALYZEd in ${indexSeconds.toFixed(1)} s`);
    const [{ mb }] = await sql<{ mb: number }[]>`select pg_total_relation_size('leads') / 1048576.0 as mb`;
    return { loadSeconds, indexSeconds, tableMb: Number(mb) };
  } finally {
    for (const w of workers) await w.end({ timeout: 5 });
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function httpGet(base: string, path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface Captured {
  sql: string;
  params: unknown[];
}

/** The SELECT the app runs for a filter: built by the app's own repository function, captured from drizzle. */
async function captureListSql(
  client: postgres.Sql,
  tenantId: string,
  filter: leadsRepo.LeadFilter,
  beforeId?: string,
): Promise<Captured & { rows: { id: string }[] }> {
  let captured: Captured | undefined;
  const db = drizzle(client, {
    logger: {
      logQuery(query, params) {
        captured = { sql: query, params };
      },
    },
  }) as unknown as Tx;
  const ctx = { tenantId, actor: systemActor(), requestId: 'bench', tx: db };
  const rows = await leadsRepo.listLeads(ctx, filter, undefined, 51, beforeId);
  if (!captured) throw new Error('no SQL captured');
  return { ...captured, rows };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function benchLeadList(): Promise<LeadListResult> {
  log(
    `\n== lead list: ${TOTAL_LEADS.toLocaleString('en')} leads in ${TENANTS} tenants, ${ITERATIONS} requests per shape ==`,
  );
  const database = await createBenchDatabase('helio_bench_list');
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    await helioCli(['migrate'], { DATABASE_URL: database.url });
    const tenants: BenchTenant[] = [];
    const setup = await openDatabase({ url: database.url, poolSize: 2 });
    try {
      for (let k = 0; k < TENANTS; k++) {
        const created = await provisionTenant(setup, {
          slug: `list-${k}`,
          name: `List tenant ${k}`,
          adminEmail: `owner@list-${k}.example`,
          adminPassword: 'bench pass 1234',
        });
        tenants.push({
          tenantId: created.tenantId,
          slug: created.slug,
          apiKey: created.apiKey,
          adminUserId: created.adminUserId,
        });
      }
    } finally {
      await setup.close();
    }
    const loaded = await loadLeads(database.url, tenants);

    const port = await freePort();
    const server = await startServer({
      name: 'helio (lead list)',
      args: [HELIO_BIN, 'serve'],
      env: { DATABASE_URL: database.url, PUBLIC_RATE_LIMIT: '0', LOG_LEVEL: 'warn' },
      port,
      readyPath: '/api/system/health',
    });
    cleanups.push(() => server.stop());
    const direct = postgres(database.url, { max: 1, onnotice: () => {} });
    cleanups.push(() => direct.end({ timeout: 5 }));
    const appDb: Database = await openDatabase({ url: database.url });
    cleanups.push(() => appDb.close());
    const appDbPrepared: Database = await openVariantPostgres(database.url, { forcePrepare: true });
    cleanups.push(() => appDbPrepared.close());

    // Shapes: a status filter; a source filter (first page, then the page its cursor points to).
    const shapes: {
      shape: string;
      filter: leadsRepo.LeadFilter;
      query: string;
      cursorPage: boolean;
    }[] = [
      {
        shape: 'status=qualified, page 1',
        filter: { status: 'qualified' },
        query: 'status=qualified&limit=50',
        cursorPage: false,
      },
      {
        shape: 'source=website, page 1',
        filter: { source: 'website' },
        query: 'source=website&limit=50',
        cursorPage: false,
      },
      {
        shape: 'source=website, page 2 (cursor)',
        filter: { source: 'website' },
        query: 'source=website&limit=50',
        cursorPage: true,
      },
    ];
    // Per tenant and shape: the HTTP path (with the cursor the API handed out) and the captured SQL.
    const prepared = [];
    for (const s of shapes) {
      const perTenant = [];
      for (const t of tenants) {
        let path = `/api/leads?${s.query}`;
        let beforeId: string | undefined;
        if (s.cursorPage) {
          const first = await httpGet(server.url, path, t.apiKey);
          const cursor = JSON.parse(first.body).nextCursor as string;
          path = `${path}&cursor=${encodeURIComponent(cursor)}`;
          const page1 = await captureListSql(direct, t.tenantId, s.filter);
          beforeId = page1.rows[49].id;
        }
        const captured = await captureListSql(direct, t.tenantId, s.filter, beforeId);
        perTenant.push({ tenant: t, path, captured, beforeId });
      }
      prepared.push({ ...s, perTenant });
    }
    const principals = new Map<string, identity.Principal>();
    for (const t of tenants) principals.set(t.tenantId, (await identity.authenticate(appDb, t.apiKey))!);

    // EXPLAIN of each shape's SELECT for the first tenant (as the superuser: no RLS filter).
    const plans: string[] = [];
    for (const s of prepared) {
      const c = s.perTenant[0].captured;
      const rows = await direct.unsafe(`explain (analyze, buffers) ${c.sql}`, c.params as any[]);
      plans.push(`-- ${s.shape}\n${rows.map((row: any) => row['QUERY PLAN']).join('\n')}`);
    }

    const results: ListShapeResult[] = [];
    for (const s of prepared) {
      await waitForQuiet(`lead list ${s.shape}`);
      const series = {
        http: [] as number[],
        direct: [] as number[],
        unprepared: [] as number[],
        app: [] as number[],
        appPrep: [] as number[],
      };
      let rows = 0;
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        const { tenant, path, captured, beforeId } = s.perTenant[i % TENANTS];
        const viaApp = (db: Database) => async () => {
          const principal = await identity.authenticate(db, tenant.apiKey);
          if (!principal) throw new Error('API key not accepted');
          await db.tenantTx(tenant.tenantId, (tx) =>
            leadsRepo.listLeads(
              { tenantId: tenant.tenantId, actor: principal.actor, requestId: 'bench', tx },
              s.filter,
              undefined,
              51,
              beforeId,
            ),
          );
        };
        let body = '';
        const h = await time(async () => {
          const res = await httpGet(server.url, path, tenant.apiKey);
          if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${res.body.slice(0, 300)}`);
          body = res.body;
        });
        const d = await time(() => direct.unsafe(captured.sql, captured.params as any[]));
        const u = await time(() => direct.unsafe(captured.sql, captured.params as any[], { prepare: false }));
        const a = await time(viaApp(appDb));
        const p = await time(viaApp(appDbPrepared));
        if (i >= WARMUP) {
          series.http.push(h);
          series.direct.push(d);
          series.unprepared.push(u);
          series.app.push(a);
          series.appPrep.push(p);
          rows = JSON.parse(body).data.length;
        }
      }
      const r: ListShapeResult = {
        shape: s.shape,
        path: s.perTenant[0].path.replace(/cursor=[^&]+/, 'cursor=…'),
        http: timing(series.http),
        direct: timing(series.direct),
        directUnprepared: timing(series.unprepared),
        appDb: timing(series.app),
        appDbPrepared: timing(series.appPrep),
        rows,
      };
      results.push(r);
      const t = (x: Timing) => `p50 ${fmt(x.p50, 2)} / p95 ${fmt(x.p95, 2)} / p99 ${fmt(x.p99, 2)} ms`;
      log(`  ${r.shape} (${r.rows} rows)`);
      log(`    HTTP GET ${r.path.padEnd(0)}: ${t(r.http)}`);
      log(`    direct SQL (postgres-js, prepared):     ${t(r.direct)}`);
      log(`    direct SQL (unprepared, as drizzle):     ${t(r.directUnprepared)}`);
      log(`    app DB work in-process (auth + tenantTx): ${t(r.appDb)}`);
      log(`    same, prepared statements:               ${t(r.appDbPrepared)}`);
      log(
        `    ratio p95 HTTP / direct: ${(r.http.p95 / r.direct.p95).toFixed(2)}× (target ≤ 2×), ` +
          `absolute ${fmt(r.http.p95, 2)} ms (target ≤ 20 ms)`,
      );
    }
    return {
      leads: TOTAL_LEADS,
      tenants: TENANTS,
      ...loaded,
      shapes: results,
      plan: plans.join('\n\n'),
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    agent.destroy();
    await database.drop();
  }
}
