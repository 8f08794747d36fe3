/**
 * Intake throughput over HTTP (DESIGN §8): the public intake route at 50 connections on real PostgreSQL,
 * next to the baseline (bench/baseline-server.ts) measured in the same run against the same server, and
 * on the embedded default. Every request carries a fresh email and phone, so each one creates a person
 * and a lead through the full transaction.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import {
  createBenchDatabase,
  describeLoad,
  freePort,
  HELIO_BIN,
  helioCli,
  intakeBody,
  type LoadResult,
  loadTest,
  log,
  ROOT,
  startServer,
} from './lib.ts';
import { type ProfileSummary, summarizeProfileDir } from './profile.ts';
import { countRoundTrips, type EmbeddedCost, embeddedIntakeCost, type RoundTripReport } from './roundtrips.ts';

export const CONNECTIONS = 50;
const DURATION = Number(process.env.BENCH_INTAKE_SECONDS ?? 15);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
/** Baseline and app are measured alternately this many times; the figures are the medians. */
const ROUNDS = Number(process.env.BENCH_INTAKE_ROUNDS ?? 2);
/** Length of the separate, profiled diagnostic runs (node --cpu-prof), s. */
const PROFILE_SECONDS = 8;
/** Unmeasured intake load on the fresh database before the rounds, s. */
const PRIME_SECONDS = 8;

export const describeProfile = (p: ProfileSummary, top = 8) =>
  p.categories
    .slice(0, top)
    .map((c) => `${c.name} ${(100 * c.share).toFixed(0)}%`)
    .join(', ');

const TENANT = {
  slug: 'bench',
  name: 'Bench Solar',
  adminEmail: 'owner@bench.example',
  adminPassword: 'bench pass 1234',
};
const tenantArgs = [
  'tenant',
  'create',
  '--slug',
  TENANT.slug,
  '--name',
  TENANT.name,
  '--admin-email',
  TENANT.adminEmail,
  '--admin-password',
  TENANT.adminPassword,
  '--json',
];
const appEnv = { PUBLIC_RATE_LIMIT: '0', LOG_LEVEL: 'warn' };
const INTAKE_PATH = `/api/public/${TENANT.slug}/leads`;

export interface IntakeRounds {
  rounds: LoadResult[];
  /** Median of the rounds (throughput and p99 separately), max RSS over all rounds, sums of the counts. */
  summary: LoadResult;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function summarize(rounds: LoadResult[]): LoadResult {
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  return {
    requestsPerSec: median(rounds.map((r) => r.requestsPerSec)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    ok: rounds.reduce((a, r) => a + r.ok, 0),
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    timeouts: rounds.reduce((a, r) => a + r.timeouts, 0),
    durationSec: rounds.reduce((a, r) => a + r.durationSec, 0),
    maxRssMb: Math.max(...rounds.map((r) => r.maxRssMb)),
    idleRssMb: Math.max(...rounds.map((r) => r.idleRssMb)),
    cpu: {
      serverMsPerRequest: mean(rounds.map((r) => r.cpu.serverMsPerRequest)),
      postgresMsPerRequest: mean(rounds.map((r) => r.cpu.postgresMsPerRequest)),
      loadgenMsPerRequest: mean(rounds.map((r) => r.cpu.loadgenMsPerRequest)),
      coresBusy: mean(rounds.map((r) => r.cpu.coresBusy)),
      otherCoresBusy: mean(rounds.map((r) => r.cpu.otherCoresBusy)),
    },
  };
}

export interface PostgresIntakeResult {
  app: IntakeRounds;
  baseline: IntakeRounds;
  /** Diagnostics: the same app over a client forcing prepared statements (bench/variant-server.ts), one round. */
  preparedVariant?: LoadResult;
  roundTrips: RoundTripReport;
  /** Where the app server's CPU went under the load (a separate, profiled run). */
  profile: ProfileSummary;
  /** Leads in the database after the app's rounds; must equal the app's 2xx responses (warm-ups included). */
  leadsPersisted: number;
  appResponses2xx: number;
}

/** App and baseline against one fresh database, alternating (baseline, app) ROUNDS times. */
export async function benchIntakePostgres(): Promise<PostgresIntakeResult> {
  log(
    `\n== intake on PostgreSQL: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s × ${ROUNDS} rounds ==`,
  );
  const database = await createBenchDatabase();
  const runId = Math.random().toString(36).slice(2, 8);
  const app: LoadResult[] = [];
  const baseline: LoadResult[] = [];
  let appResponses2xx = 0;
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  const countLeads = async () => (await sql<{ n: number }[]>`select count(*)::int as n from leads`)[0].n;
  try {
    const tenant = JSON.parse(await helioCli(tenantArgs, { DATABASE_URL: database.url })) as { apiKey: string };
    const roundTrips = await countRoundTrips(database.url, TENANT.slug, tenant.apiKey);
    const run = async (
      which: 'baseline' | 'app' | 'prepared',
      tag: string,
      profileDir?: string,
      primeSeconds?: number,
    ) => {
      const port = await freePort();
      const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
      const server = await startServer(
        which === 'app'
          ? {
              name: 'helio (PostgreSQL)',
              args: [...profile, HELIO_BIN, 'serve'],
              env: { ...appEnv, DATABASE_URL: database.url },
              port,
              readyPath: '/api/system/health',
            }
          : {
              name: which,
              args: ['--import', 'tsx', join(ROOT, `bench/${which === 'baseline' ? 'baseline' : 'variant'}-server.ts`)],
              env: { ...appEnv, DATABASE_URL: database.url, BENCH_FORCE_PREPARE: '1' },
              port,
              readyPath: which === 'baseline' ? '/health' : '/api/system/health',
            },
      );
      let answered = 0;
      try {
        const r = await loadTest({
          url: server.url,
          path: which === 'baseline' ? '/intake' : INTAKE_PATH,
          pid: server.pid,
          connections: CONNECTIONS,
          durationSec: primeSeconds ?? (profileDir ? PROFILE_SECONDS : DURATION),
          warmupSec: primeSeconds === undefined ? WARMUP : 0,
          body: (n) => intakeBody(n, `${runId}${tag}`),
          onWarmup: (w) => {
            answered += w.ok;
          },
        });
        answered += r.ok;
        log(`  ${tag.padEnd(10)} ${describeLoad(r)}`);
        return r;
      } finally {
        await server.stop();
        if (which === 'app' && !profileDir && primeSeconds === undefined) appResponses2xx += answered;
      }
    };
    // Prime: a fresh database runs the intake several times slower (new pages and index entries everywhere,
    // no statistics) than one that has taken a few thousand intakes. Measure the steady state instead.
    await run('app', 'prime', undefined, PRIME_SECONDS);
    await sql`analyze`;
    const leadsBefore = await countLeads();
    log(`  primed the database with ${leadsBefore} intakes, then ANALYZE`);
    for (let round = 1; round <= ROUNDS; round++) {
      baseline.push(await run('baseline', `baseline${round}`));
      app.push(await run('app', `app${round}`));
    }
    const leadsPersisted = (await countLeads()) - leadsBefore;
    // Only worth a load run when forcing prepared statements changes the round trips in-process.
    const preparedVariant =
      roundTrips.app.intake.roundTrips > roundTrips.prepared.intake.roundTrips + 1
        ? await run('prepared', 'prepared')
        : undefined;
    const profileDir = mkdtempSync(join(tmpdir(), 'helio-prof-'));
    let profile: ProfileSummary;
    try {
      await run('app', 'profiled', profileDir);
      profile = summarizeProfileDir(profileDir);
    } finally {
      rmSync(profileDir, { recursive: true, force: true });
    }
    log(`  server CPU profile under load: ${describeProfile(profile)}`);
    const result = {
      app: { rounds: app, summary: summarize(app) },
      baseline: { rounds: baseline, summary: summarize(baseline) },
      preparedVariant,
      roundTrips,
      profile,
      leadsPersisted,
      appResponses2xx,
    };
    const a = result.app.summary;
    const b = result.baseline.summary;
    log(`  baseline (median): ${describeLoad(b)}`);
    log(`  app      (median): ${describeLoad(a)}`);
    log(
      `  ratio: throughput ${((100 * a.requestsPerSec) / b.requestsPerSec).toFixed(1)}% of baseline (target ≥ 35%), ` +
        `p99 ${(a.p99 / b.p99).toFixed(2)}× baseline (target ≤ 3×)`,
    );
    log(`  leads created by the app's rounds: ${leadsPersisted}, 201 responses: ${appResponses2xx}`);
    const pv = preparedVariant;
    if (pv) {
      log(
        `  diagnostics, prepared statements: ${((100 * pv.requestsPerSec) / b.requestsPerSec).toFixed(1)}% of baseline, ` +
          `p99 ${(pv.p99 / b.p99).toFixed(2)}× baseline`,
      );
    }
    return result;
  } finally {
    await sql.end({ timeout: 5 });
    await database.drop();
  }
}

export interface EmbeddedIntakeResult extends IntakeRounds {
  cost: EmbeddedCost;
  /** Where the embedded server's CPU went under the load (a separate, profiled run). */
  profile: ProfileSummary;
}

/** The app on the embedded database (its own temporary data directory). */
export async function benchIntakeEmbedded(): Promise<EmbeddedIntakeResult> {
  log(
    `\n== intake on the embedded database: ${CONNECTIONS} connections, ${PRIME_SECONDS} s warm-up + ${DURATION} s ==`,
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'helio-bench-'));
  const runId = Math.random().toString(36).slice(2, 8);
  try {
    await helioCli([...tenantArgs, '--data-dir', dataDir]);
    const run = async (tag: string, profileDir?: string) => {
      const port = await freePort();
      const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
      const server = await startServer({
        name: 'helio (embedded)',
        args: [...profile, HELIO_BIN, 'serve', '--data-dir', dataDir],
        env: { ...appEnv, DATABASE_URL: '' },
        port,
        readyPath: '/api/system/health',
      });
      try {
        return await loadTest({
          url: server.url,
          path: INTAKE_PATH,
          pid: server.pid,
          connections: CONNECTIONS,
          durationSec: profileDir ? PROFILE_SECONDS : DURATION,
          // The first run on the fresh data directory also primes it (see benchIntakePostgres).
          warmupSec: profileDir ? WARMUP : PRIME_SECONDS,
          body: (n) => intakeBody(n, `${runId}${tag}`),
        });
      } finally {
        await server.stop();
      }
    };
    const r = await run('e');
    log(`  embedded: ${describeLoad(r)}`);
    log('  targets: ≥ 1,500 intakes/s, p99 ≤ 100 ms, RSS ≤ 300 MB');
    const profileDir = mkdtempSync(join(tmpdir(), 'helio-prof-'));
    let profile: ProfileSummary;
    try {
      await run('ep', profileDir);
      profile = summarizeProfileDir(profileDir);
    } finally {
      rmSync(profileDir, { recursive: true, force: true });
    }
    log(`  embedded server CPU profile under load: ${describeProfile(profile)}`);
    const cost = await embeddedIntakeCost(join(dataDir, 'cost'));
    return { rounds: [r], summary: r, cost, profile };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
