/**
 * Diagnostics: how many statements and how many network round trips to PostgreSQL one public intake (and
 * one lead-list request) costs, counted in-process through the real app (buildApp + inject):
 *   - statements: every query the app hands to postgres-js (BEGIN and COMMIT included),
 *   - round trips: writes to a PostgreSQL socket that follow data from the server (a write after a read
 *     starts a new round trip; writes issued back to back are one), counted over the whole request.
 * Variants: the app's own database (src/platform/db.ts), and the same app over a client that forces
 * prepared statements (bench/variant-db.ts).
 */
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.ts';
import { type Database, openDatabase } from '../src/platform/db.ts';
import { intakeBody, log, percentile } from './lib.ts';
import { openVariantPostgres, type VariantStats } from './variant-db.ts';

export interface RequestCost {
  statements: number | null;
  /** What the statements are, e.g. "BEGIN, SET_CONFIG, 4× SELECT, 9× INSERT (people, leads, …), COMMIT". */
  breakdown: string | null;
  roundTrips: number;
  /** Median latency of one request in-process (app.inject, one at a time), ms. */
  medianMs: number;
}

export interface RoundTripReport {
  app: { intake: RequestCost; list: RequestCost };
  prepared: { intake: RequestCost; list: RequestCost };
}

let pgPort = 5432;
/** Client→server transitions on PostgreSQL sockets: a write after the server last sent something. */
let roundTrips = 0;
const sawRead = new WeakMap<net.Socket, boolean>();
let installed = false;
function installCounter(port: number) {
  pgPort = port;
  if (installed) return;
  installed = true;
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: net.Socket, ...args: any[]) {
    if (this.remotePort === pgPort) {
      if (sawRead.get(this) !== false) roundTrips++;
      sawRead.set(this, false);
    }
    return (write as any).apply(this, args);
  } as typeof write;
  const emit = net.Socket.prototype.emit;
  net.Socket.prototype.emit = function (this: net.Socket, event: string | symbol, ...args: any[]) {
    if (event === 'data' && this.remotePort === pgPort) sawRead.set(this, true);
    return (emit as any).call(this, event, ...args);
  } as typeof emit;
}

function describeStatements(log: string[]): string {
  const kinds = new Map<string, { n: number; tables: string[] }>();
  for (const q of log) {
    const text = q.trim().toLowerCase();
    const kind = text.includes('set_config(') ? 'set_config' : text.split(/\s+/)[0];
    const entry = kinds.get(kind) ?? { n: 0, tables: [] };
    entry.n++;
    for (const m of text.matchAll(/insert into "?([a-z_]+)"?/g)) entry.tables.push(m[1]);
    kinds.set(kind, entry);
  }
  return [...kinds]
    .map(([k, { n, tables }]) => {
      const count = n > 1 ? `${n}× ` : '';
      const into = tables.length ? ` (${k === 'insert' ? '' : 'inserting into '}${tables.join(', ')})` : '';
      return `${count}${k.toUpperCase()}${into}`;
    })
    .join(', ');
}

async function measure(
  app: FastifyInstance,
  db: Database & { stats?: VariantStats },
  send: (i: number) => Promise<number>,
): Promise<RequestCost> {
  for (let i = 0; i < 20; i++) await send(i); // warm: caches, prepared statements, JIT
  // Counted over several requests (the median): a statement's first use on a pool connection costs one
  // more round trip for its description, and sequential requests rotate over the pool's connections.
  const counts: number[] = [];
  const statements: number[] = [];
  let breakdown: string | null = null;
  for (let i = 0; i < 11; i++) {
    const r0 = roundTrips;
    const s0 = db.stats?.statements ?? 0;
    if (db.stats) db.stats.log = [];
    await send(1000 + i);
    counts.push(roundTrips - r0);
    if (db.stats) statements.push(db.stats.statements - s0);
    if (db.stats?.log) breakdown = describeStatements(db.stats.log);
    if (db.stats) db.stats.log = undefined;
  }
  const cost = {
    roundTrips: percentile(counts, 50),
    statements: statements.length ? percentile(statements, 50) : null,
    breakdown,
  };
  const times: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    await send(2000 + i);
    times.push(performance.now() - t);
  }
  void app;
  return { ...cost, medianMs: percentile(times, 50) };
}

async function costs(
  db: Database & { stats?: { statements: number } },
  tenantSlug: string,
  apiKey: string,
  tag: string,
) {
  const app = await buildApp({ db, logger: false, publicRateLimit: 0, loginRateLimit: 0 });
  await app.ready();
  try {
    const intake = await measure(app, db, async (i) => {
      const res = await app.inject({
        method: 'POST',
        url: `/api/public/${tenantSlug}/leads`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(intakeBody(i, `rt${tag}`)),
      });
      if (res.statusCode !== 201) throw new Error(`intake answered ${res.statusCode}: ${res.body}`);
      return res.statusCode;
    });
    const list = await measure(app, db, async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/api/leads?status=new&limit=50',
        headers: { authorization: `Bearer ${apiKey}` },
      });
      if (res.statusCode !== 200) throw new Error(`list answered ${res.statusCode}: ${res.body}`);
      return res.statusCode;
    });
    return { intake, list };
  } finally {
    await app.close();
    await db.close();
  }
}

/** `url`: a migrated database with a tenant `tenantSlug` whose API key is `apiKey`. */
export async function countRoundTrips(url: string, tenantSlug: string, apiKey: string): Promise<RoundTripReport> {
  installCounter(Number(new URL(url).port || 5432));
  const plain = await costs(await openDatabase({ url }), tenantSlug, apiKey, 'a');
  const counted = await costs(await openVariantPostgres(url, { forcePrepare: false }), tenantSlug, apiKey, 'c');
  const prepared = await costs(await openVariantPostgres(url, { forcePrepare: true }), tenantSlug, apiKey, 'p');
  const report: RoundTripReport = {
    app: {
      intake: { ...plain.intake, statements: counted.intake.statements, breakdown: counted.intake.breakdown },
      list: { ...plain.list, statements: counted.list.statements, breakdown: counted.list.breakdown },
    },
    prepared,
  };
  const line = (c: RequestCost) =>
    `${c.statements ?? '?'} statements, ${c.roundTrips} round trips, median ${c.medianMs.toFixed(2)} ms in-process`;
  log('  round trips per request, one request at a time:');
  log(`    intake, app as built:          ${line(report.app.intake)}`);
  log(`    intake, prepared statements:   ${line(report.prepared.intake)}`);
  log(`    lead list, app as built:       ${line(report.app.list)}`);
  log(`    lead list, prepared statements: ${line(report.prepared.list)}`);
  log(`    intake statements: ${report.app.intake.breakdown}`);
  log(`    lead list statements: ${report.app.list.breakdown}`);
  return report;
}

export interface EmbeddedCost {
  /** Wall time of one intake, in-process, one at a time (median), ms. */
  medianMs: number;
  /** Calls into PGlite's wasm protocol engine (execProtocolRaw) per intake: one per protocol message batch. */
  protocolCalls: number;
  /** Time spent inside those calls per intake (mean), ms. */
  protocolMs: number;
}

/**
 * The embedded database: where one intake's time goes. PGlite runs PostgreSQL as WebAssembly on the
 * server's own thread; each protocol message batch drizzle sends is one synchronous call into it.
 */
export async function embeddedIntakeCost(dataDir: string): Promise<EmbeddedCost> {
  const { ensurePlatformTenant, provisionTenant } = await import('../src/workflows/tenant-provisioning.ts');
  const db = await openDatabase({ dataDir });
  await db.migrate();
  await ensurePlatformTenant(db);
  await provisionTenant(db, {
    slug: 'cost',
    name: 'Cost',
    adminEmail: 'owner@cost.example',
    adminPassword: 'bench pass 1234',
  });
  const app = await buildApp({ db, logger: false, publicRateLimit: 0, loginRateLimit: 0 });
  await app.ready();
  const pg = db.pglite as any;
  let calls = 0;
  let inside = 0;
  const raw = pg.execProtocolRaw.bind(pg);
  pg.execProtocolRaw = async (...args: unknown[]) => {
    const t = performance.now();
    calls++;
    try {
      return await raw(...args);
    } finally {
      inside += performance.now() - t;
    }
  };
  try {
    const send = async (i: number) => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/public/cost/leads',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(intakeBody(i, 'emb')),
      });
      if (res.statusCode !== 201) throw new Error(`intake answered ${res.statusCode}: ${res.body}`);
    };
    for (let i = 0; i < 20; i++) await send(i);
    calls = 0;
    inside = 0;
    const n = 100;
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await send(100 + i);
      times.push(performance.now() - t);
    }
    const cost = { medianMs: percentile(times, 50), protocolCalls: calls / n, protocolMs: inside / n };
    log(
      `  embedded, one intake at a time in-process: median ${cost.medianMs.toFixed(2)} ms, ` +
        `${cost.protocolCalls.toFixed(0)} calls into PGlite taking ${cost.protocolMs.toFixed(2)} ms`,
    );
    return cost;
  } finally {
    await app.close();
    await db.close();
  }
}
