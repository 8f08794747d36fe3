/**
 * `npm run bench`: every benchmark of DESIGN §8 the spine covers, then bench/RESULTS.md.
 *   npm run bench                 all of them (writes RESULTS.md)
 *   npm run bench -- intake list  a subset (prints only; RESULTS.md is written for a full run)
 * PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); each benchmark
 * creates and drops its own database. Knobs: BENCH_INTAKE_SECONDS, BENCH_INTAKE_ROUNDS,
 * BENCH_WARMUP_SECONDS, BENCH_LIST_LEADS, BENCH_LIST_REQUESTS, BENCH_IMPORT_ROWS, BENCH_IMPORT_EXISTING.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchCrm, type CrmResult } from './crm.ts';
import { benchImport, type ImportBenchResult } from './import.ts';
import {
  benchIntakeEmbedded,
  benchIntakePostgres,
  CONNECTIONS,
  describeProfile,
  type EmbeddedIntakeResult,
  type PostgresIntakeResult,
} from './intake.ts';
import { benchLeadList, type LeadListResult } from './lead-list.ts';
import { fmt, type LoadResult, log, type Machine, machineInfo } from './lib.ts';
import type { RequestCost } from './roundtrips.ts';
import { benchRouting, type RoutingResult } from './routing.ts';

const ALL = ['intake', 'embedded', 'list', 'routing', 'crm', 'import'] as const;
const wanted = process.argv.slice(2).filter((a) => (ALL as readonly string[]).includes(a));
const want = (name: (typeof ALL)[number]) => wanted.length === 0 || wanted.includes(name);
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

interface Row {
  what: string;
  measured: string;
  reference: string;
  ratio: string;
  target: string;
  pass: boolean;
  /** How far off, when missed. */
  miss?: string;
}

const ms = (x: number) => `${fmt(x, x < 10 ? 2 : 1)} ms`;
const rps = (x: number) => `${Math.round(x).toLocaleString('en')}/s`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function intakeRows(pg: PostgresIntakeResult | undefined, emb: EmbeddedIntakeResult | undefined): Row[] {
  const rows: Row[] = [];
  if (pg) {
    const a = pg.app.summary;
    const b = pg.baseline.summary;
    const share = a.requestsPerSec / b.requestsPerSec;
    const p99x = a.p99 / b.p99;
    rows.push({
      what: `Public intake on PostgreSQL, throughput (${CONNECTIONS} connections)`,
      measured: rps(a.requestsPerSec),
      reference: `${rps(b.requestsPerSec)} (bare route, one INSERT)`,
      ratio: `${(100 * share).toFixed(1)}%`,
      target: '≥ 35% of baseline',
      pass: share >= 0.35,
      miss: `throughput is ${(100 * share).toFixed(1)}% of the baseline: ${(35 - 100 * share).toFixed(1)} percentage points short, i.e. it would need ${(0.35 / share).toFixed(1)}× its throughput`,
    });
    rows.push({
      what: 'Public intake on PostgreSQL, p99 latency',
      measured: ms(a.p99),
      reference: ms(b.p99),
      ratio: `${p99x.toFixed(2)}×`,
      target: '≤ 3× baseline',
      pass: p99x <= 3,
      miss: `p99 is ${p99x.toFixed(1)}× the baseline's (target 3×): ${ms(a.p99 - 3 * b.p99)} over`,
    });
    rows.push({
      what: 'Public intake on PostgreSQL, non-2xx responses',
      measured: String(a.non2xx + a.errors + a.timeouts),
      reference: '—',
      ratio: '—',
      target: '0',
      pass: a.non2xx + a.errors + a.timeouts === 0,
      miss: `${a.non2xx} non-2xx, ${a.errors} errors, ${a.timeouts} timeouts`,
    });
  }
  if (emb) {
    const e = emb.summary;
    rows.push({
      what: `Public intake, embedded default, throughput (${CONNECTIONS} connections)`,
      measured: rps(e.requestsPerSec),
      reference: '—',
      ratio: '—',
      target: '≥ 1,500/s',
      pass: e.requestsPerSec >= 1500,
      miss: `embedded throughput is ${rps(e.requestsPerSec)}: ${(1500 / e.requestsPerSec).toFixed(1)}× short of 1,500/s`,
    });
    rows.push({
      what: 'Public intake, embedded default, p99 latency',
      measured: ms(e.p99),
      reference: '—',
      ratio: '—',
      target: '≤ 100 ms',
      pass: e.p99 <= 100,
      miss: `embedded p99 is ${ms(e.p99)}: ${(e.p99 / 100).toFixed(1)}× the 100 ms target`,
    });
    rows.push({
      what: 'Public intake, embedded default, non-2xx responses',
      measured: String(e.non2xx + e.errors + e.timeouts),
      reference: '—',
      ratio: '—',
      target: '0',
      pass: e.non2xx + e.errors + e.timeouts === 0,
      miss: `${e.non2xx} non-2xx, ${e.errors} errors, ${e.timeouts} timeouts`,
    });
  }
  const rss = (label: string, r: LoadResult) =>
    rows.push({
      what: `Server RSS under the intake load, ${label}`,
      measured: `${fmt(r.maxRssMb, 0)} MB`,
      reference: '—',
      ratio: '—',
      target: '≤ 300 MB',
      pass: r.maxRssMb <= 300,
      miss: `server RSS peaked at ${fmt(r.maxRssMb, 0)} MB on ${label}: ${fmt(r.maxRssMb - 300, 0)} MB over 300 MB`,
    });
  if (pg) rss('PostgreSQL', pg.app.summary);
  if (emb) rss('embedded', emb.summary);
  return rows;
}

function listRows(list: LeadListResult | undefined): Row[] {
  if (!list) return [];
  return list.shapes.flatMap((s) => {
    const ratio = s.http.p95 / s.direct.p95;
    return [
      {
        what: `Lead list p95, ${s.shape} (${(list.leads / 1e6).toLocaleString('en')}M leads, ${list.tenants} tenants)`,
        measured: ms(s.http.p95),
        reference: `${ms(s.direct.p95)} (same SELECT, direct)`,
        ratio: `${ratio.toFixed(2)}×`,
        target: '≤ 2× direct',
        pass: ratio <= 2,
        miss: `${s.shape}: p95 is ${ratio.toFixed(1)}× the direct SQL's (target 2×): ${ms(s.http.p95 - 2 * s.direct.p95)} over`,
      },
      {
        what: `Lead list p95, ${s.shape}, absolute`,
        measured: ms(s.http.p95),
        reference: '—',
        ratio: '—',
        target: '≤ 20 ms',
        pass: s.http.p95 <= 20,
        miss: `${s.shape}: p95 is ${ms(s.http.p95)}, ${ms(s.http.p95 - 20)} over 20 ms`,
      },
    ];
  });
}

/** The tables an intake writes, from a statement breakdown such as "WITH (inserting into people, leads)". */
function insertedTables(breakdown: string | null): string {
  const lists = [...(breakdown ?? '').matchAll(/\((?:inserting into )?([a-z_, ]+)\)/g)];
  const tables = lists.flatMap((m) => m[1].split(', '));
  return tables.length ? `rows into ${tables.length} tables (${tables.join(', ')})` : 'its rows';
}

/** How many statements of one kind a breakdown lists ("3× INSERT (…)" counts 3). */
function countKind(breakdown: string | null, kind: string): number {
  let n = 0;
  for (const m of (breakdown ?? '').matchAll(new RegExp(`(?:(\\d+)× )?${kind}\\b`, 'g'))) n += Number(m[1] ?? 1);
  return n;
}

const table = (header: string[], rows: string[][]) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

const loadLine = (label: string, r: LoadResult) => [
  label,
  rps(r.requestsPerSec),
  ms(r.p50),
  ms(r.p99),
  String(r.ok),
  String(r.non2xx + r.errors + r.timeouts),
  `${fmt(r.maxRssMb, 0)} MB (idle ${fmt(r.idleRssMb, 0)})`,
  fmt(r.cpu.serverMsPerRequest, 2),
  fmt(r.cpu.postgresMsPerRequest, 2),
  fmt(r.cpu.loadgenMsPerRequest, 2),
  fmt(r.cpu.otherCoresBusy, 2),
];

function routingRows(r: RoutingResult | undefined): Row[] {
  if (!r) return [];
  return [
    {
      what: `Routing decision p99, ${(r.installers / 1000).toFixed(0)}k installers, ${(r.patterns / 1000).toFixed(0)}k postcode patterns (caps included)`,
      measured: ms(r.decisionP99),
      reference: `${ms(r.serviceabilityP99)} (bare serviceability SQL p99)`,
      ratio: `${(r.decisionP99 / r.serviceabilityP99).toFixed(2)}× SQL`,
      target: '≤ 5 ms',
      pass: r.decisionP99 <= 5,
      miss: `routing decision p99 is ${ms(r.decisionP99)}, ${ms(r.decisionP99 - 5)} over 5 ms (median ${ms(r.decisionP50)}; the bare serviceability SQL alone has p99 ${ms(r.serviceabilityP99)})`,
    },
  ];
}

function crmRows(c: CrmResult | undefined): Row[] {
  if (!c) return [];
  const ratio = c.contactList.p95 / c.contactListDirect.p95;
  return [
    {
      what: 'Client 360 p95, a person with 10k interactions, 10k opportunities, 10k tasks',
      measured: ms(c.client360.p95),
      reference: '—',
      ratio: '—',
      target: '≤ 30 ms',
      pass: c.client360.p95 <= 30,
      miss: `client 360 p95 is ${ms(c.client360.p95)}, ${ms(c.client360.p95 - 30)} over 30 ms`,
    },
    {
      what: `Contact list p95 with summaries, page of 50, ${(c.people / 1e6).toLocaleString('en')}M people`,
      measured: ms(c.contactList.p95),
      reference: `${ms(c.contactListDirect.p95)} (same ${c.statements} statements, direct)`,
      ratio: `${ratio.toFixed(2)}×`,
      target: '≤ 2× direct',
      pass: ratio <= 2,
      miss: `contact list p95 is ${ratio.toFixed(1)}× the direct SQL's (target 2×): ${ms(c.contactList.p95 - 2 * c.contactListDirect.p95)} over`,
    },
  ];
}

function importRows(r: ImportBenchResult | undefined): Row[] {
  if (!r) return [];
  const rowsPerSec = r.rows / r.importSeconds;
  const what = `CSV import with dedup, ${(r.rows / 1e6).toLocaleString('en')}M rows against ${(r.existing / 1e6).toLocaleString('en')}M people (parse + propose + commit)`;
  const phases = Object.entries(r.phases)
    .map(([k, v]) => `${k} ${fmt(v, 1)} s`)
    .join(', ');
  return [
    {
      what: `${what}: time`,
      measured: `${fmt(r.importSeconds, 1)} s (${rps(rowsPerSec)}; ${phases})`,
      reference: `${fmt(r.copySeconds, 2)} s (COPY of the same file into a bare table, same server: ${r.server})`,
      ratio: pct(r.ratio),
      target: '< 90 s',
      pass: r.importSeconds < 90,
      miss: `the import takes ${fmt(r.importSeconds, 1)} s (${phases})`,
    },
    {
      what: `${what}: share of COPY's speed`,
      measured: pct(r.ratio),
      reference: `${fmt(r.peopleInsertSeconds, 1)} s (the same rows inserted straight into the indexed people table, no dedup: ${pct(r.copySeconds / r.peopleInsertSeconds)} of COPY)`,
      ratio: pct(r.ratio),
      target: '≥ 25% of COPY',
      pass: r.ratio >= 0.25,
      miss: `the import runs at ${pct(r.ratio)} of COPY's speed; inserting the same rows straight into the indexed people table alone runs at ${pct(
        r.copySeconds / r.peopleInsertSeconds,
      )} of COPY, so 25% is out of reach for this schema`,
    },
  ];
}

function report(
  machine: Machine,
  minutes: number,
  load: { before: number[]; after: number[] },
  pg: PostgresIntakeResult | undefined,
  emb: EmbeddedIntakeResult | undefined,
  list: LeadListResult | undefined,
  routing?: RoutingResult,
  crm?: CrmResult,
  imports?: ImportBenchResult,
): string {
  const rows = [
    ...intakeRows(pg, emb),
    ...listRows(list),
    ...routingRows(routing),
    ...crmRows(crm),
    ...importRows(imports),
  ];
  const out: string[] = [];
  out.push('# Benchmark results', '');
  out.push(
    `Written by \`npm run bench\` (bench/run.ts) on ${machine.date.slice(0, 16).replace('T', ' ')} UTC; the run took ${minutes.toFixed(1)} min.`,
    '',
  );
  out.push(
    `Machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGb.toFixed(1)} GB memory, Node ${machine.node}, ${machine.postgres}. ` +
      `Load average before/after the run: ${load.before.map((x) => x.toFixed(2)).join(', ')} / ${load.after.map((x) => x.toFixed(2)).join(', ')}. ` +
      'Everything (load generator, server, PostgreSQL) runs on this machine; the "other" CPU column below is what other processes used meanwhile.',
    '',
  );
  out.push('## Targets (DESIGN §8)', '');
  out.push(
    table(
      ['target', 'measured', 'baseline / reference', 'ratio', 'target', 'result'],
      rows.map((r) => [r.what, r.measured, r.reference, r.ratio, r.target, r.pass ? 'pass' : '**miss**']),
    ),
    '',
  );
  const missed = rows.filter((r) => !r.pass);
  if (missed.length) {
    out.push('Missed:', '');
    for (const r of missed) out.push(`- ${r.miss}.`);
    out.push('');
  }

  if (pg || emb) {
    out.push('## Intake runs', '');
    out.push(
      `autocannon, ${CONNECTIONS} connections, a warm-up then the measured stretch; every request a fresh email and phone (a new person and lead each time), PUBLIC_RATE_LIMIT=0, LOG_LEVEL=warn. ` +
        'Baseline and app alternate on one fresh database; the table above uses the median of the rounds. ' +
        'CPU columns: CPU time per request of the server process, of all PostgreSQL processes, of the load generator, and the cores other processes on the machine kept busy.',
      '',
    );
    const lines: string[][] = [];
    if (pg) {
      for (const [i, r] of pg.baseline.rounds.entries()) lines.push(loadLine(`baseline, round ${i + 1}`, r));
      for (const [i, r] of pg.app.rounds.entries()) lines.push(loadLine(`app on PostgreSQL, round ${i + 1}`, r));
      if (pg.preparedVariant) lines.push(loadLine('diagnostic: app with prepared statements', pg.preparedVariant));
    }
    if (emb) lines.push(loadLine('app, embedded default', emb.summary));
    out.push(
      table(
        [
          'run',
          'throughput',
          'p50',
          'p99',
          '2xx',
          'errors',
          'max RSS',
          'server CPU ms/req',
          'PG CPU ms/req',
          'loadgen CPU ms/req',
          'other cores busy',
        ],
        lines,
      ),
      '',
    );
    if (pg) {
      out.push(
        `Every 201 is in the database: the app's runs answered ${pg.appResponses2xx} intakes with 201 and left ${pg.leadsPersisted} leads ` +
          `(${pg.leadsPersisted >= pg.appResponses2xx ? 'ok; the few extra are requests still in flight when the load generator stopped' : '**fewer leads than 201s**'}).`,
        '',
      );
    }
  }

  if (pg) {
    const rt = pg.roundTrips;
    const a = pg.app.summary;
    const b = pg.baseline.summary;
    const pv = pg.preparedVariant;
    const missed = a.requestsPerSec < 0.35 * b.requestsPerSec || a.p99 > 3 * b.p99;
    out.push(`## Intake on PostgreSQL: where the time goes${missed ? ' (why the target is missed)' : ''}`, '');
    const costRow = (label: string, c: RequestCost) => [
      label,
      String(c.statements ?? '?'),
      String(c.roundTrips),
      ms(c.medianMs),
    ];
    out.push(
      table(
        ['one request at a time, in-process (app.inject)', 'statements', 'round trips to PostgreSQL', 'median latency'],
        [
          costRow('intake, app as built', rt.app.intake),
          costRow('intake, prepared statements forced', rt.prepared.intake),
          costRow('lead list, app as built', rt.app.list),
          costRow('lead list, prepared statements forced', rt.prepared.list),
        ],
      ),
      '',
      `The intake's statements: ${rt.app.intake.breakdown}. The lead list's: ${rt.app.list.breakdown} (one SELECT is the API key lookup, before the transaction).`,
      '',
    );
    const findings: string[] = [];
    if (pv && rt.app.intake.roundTrips > rt.prepared.intake.roundTrips + 1) {
      findings.push(
        `**Each statement costs two round trips, and none are pipelined.** drizzle-orm's postgres-js session sends every statement it builds with \`prepare: false\`. ` +
          'For a statement with parameters, postgres-js then sends Parse/Describe/Flush, waits for the parameter types, and only then sends Bind/Execute/Sync. ' +
          "While such a statement is in flight, it holds the connection's next statement back instead of pipelining it. " +
          `So the \`Promise.all\` batches in src/workflows/intake.ts and the unawaited set_config in src/platform/db.ts tenantTx do not share a round trip. The intake's ${rt.app.intake.statements} statements take ${rt.app.intake.roundTrips} round trips: one for BEGIN, two for every statement with parameters, one for COMMIT. ` +
          `With \`prepare: true\` forced (bench/variant-db.ts), the same statements take ${rt.prepared.intake.roundTrips} round trips. Each statement is described once per connection; after that, queued statements go out together. ` +
          `Under the same load, the prepared variant did ${rps(pv.requestsPerSec)} instead of ${rps(a.requestsPerSec)} (${pct(pv.requestsPerSec / b.requestsPerSec)} of the baseline, p99 ${ms(pv.p99)}). ` +
          `PostgreSQL's CPU per intake fell from ${fmt(a.cpu.postgresMsPerRequest, 2)} to ${fmt(pv.cpu.postgresMsPerRequest, 2)} ms, and the server's from ${fmt(a.cpu.serverMsPerRequest, 2)} to ${fmt(pv.cpu.serverMsPerRequest, 2)} ms. A prepared statement is parsed once per connection rather than on every execution, and each statement needs fewer protocol messages and socket writes.`,
      );
    }
    findings.push(
      `**CPU per intake.** Under load, the server process used ${fmt(a.cpu.serverMsPerRequest, 2)} ms of CPU per intake, against ${fmt(b.cpu.serverMsPerRequest, 2)} ms for the baseline. PostgreSQL used ${fmt(a.cpu.postgresMsPerRequest, 2)} ms, against ${fmt(b.cpu.postgresMsPerRequest, 2)} ms. ` +
        `The intake writes ${insertedTables(rt.app.intake.breakdown)}, each row with its indexes, foreign-key checks and RLS policy; the baseline writes one row into a table with one index. ` +
        `Even with no waiting at all, ${fmt(a.cpu.serverMsPerRequest + a.cpu.postgresMsPerRequest, 2)} ms of CPU per intake caps ${machine.cpus} cores at about ${rps((1000 * machine.cpus) / (a.cpu.serverMsPerRequest + a.cpu.postgresMsPerRequest))}. ` +
        `At 35% of this baseline, the target needs ${rps(0.35 * b.requestsPerSec)}.`,
      `**Where the server's CPU goes** (a separate run under the same load, \`node --cpu-prof\`, startup excluded): ${describeProfile(pg.profile, 10)}. ` +
        '"socket writes" are the write syscalls to PostgreSQL and to the HTTP clients; on this VM each one costs tens of microseconds.',
    );
    out.push(...findings.map((f, i) => `${i + 1}. ${f}`), '');
  }

  if (emb) {
    const c = emb.cost;
    const e = emb.summary;
    const missed = e.requestsPerSec < 1500 || e.p99 > 100;
    out.push(`## Embedded default: where the time goes${missed ? ' (why the target is missed)' : ''}`, '');
    out.push(
      `One intake at a time, in-process, on a PGlite data directory, takes ${ms(c.medianMs)} (median). Of that, ${ms(c.protocolMs)} is spent inside ${c.protocolCalls.toFixed(0)} calls into PGlite's WebAssembly engine: ` +
        "PGlite's query() sends a statement's Parse, Describe, Bind, Execute and Sync as separate calls into the engine. " +
        "PGlite is single-threaded and runs on the server's event loop. " +
        `Under load, the server used ${fmt(e.cpu.serverMsPerRequest, 2)} ms of CPU per intake on that one thread, which caps it near ${rps(1000 / e.cpu.serverMsPerRequest)} at any concurrency. ` +
        `1,500 intakes/s would need about ${fmt(1000 / 1500, 2)} ms per intake. ` +
        `Profile of the embedded server under load: ${describeProfile(emb.profile, 10)}. ` +
        `RSS was ${fmt(e.idleRssMb, 0)} MB idle after start and peaked at ${fmt(e.maxRssMb, 0)} MB under load; PGlite's WebAssembly heap lives inside the server process.`,
      '',
    );
  }

  if (list) {
    out.push('## Lead list', '');
    out.push(
      `${list.leads.toLocaleString('en')} leads (and as many people) in ${list.tenants} tenants, bulk-loaded with INSERT … SELECT generate_series into a database migrated by \`helio migrate\` ` +
        `(${list.loadSeconds.toFixed(0)} s, then ${list.indexSeconds.toFixed(0)} s to rebuild the secondary indexes and ANALYZE; leads table with indexes ${fmt(list.tableMb, 0)} MB). ` +
        'Ids are UUIDv7 from the creation time over two years, interleaved across tenants; 85% of the leads are closed. ' +
        'Requests go one at a time over a keep-alive connection with an API key, rotating over the 10 tenants, each variant interleaved request by request; 50 warm-up requests each.',
      '',
    );
    out.push(
      table(
        [
          'shape',
          'HTTP p50 / p95 / p99',
          'direct SQL, prepared (reference)',
          'direct SQL, unprepared',
          'app DB work in-process',
          'app DB work, prepared forced',
        ],
        list.shapes.map((s) => {
          const t = (x: { p50: number; p95: number; p99: number }) =>
            `${fmt(x.p50, 2)} / ${fmt(x.p95, 2)} / ${fmt(x.p99, 2)}`;
          return [
            `${s.shape}: \`${s.path}\``,
            t(s.http),
            t(s.direct),
            t(s.directUnprepared),
            t(s.appDb),
            t(s.appDbPrepared),
          ];
        }),
      ),
      '',
    );
    out.push(
      'All figures ms. "direct SQL": the exact SELECT and parameters the app runs (captured from src/modules/leads/repository.ts listLeads through drizzle), sent through postgres-js outside any transaction, with the driver default (prepared) and the way drizzle sends it (unprepared). ' +
        '"app DB work": what the request does in the database, in-process through the app\'s own code: authenticate the API key, then tenantTx (BEGIN, set_config of tenant and role, the SELECT, COMMIT). ' +
        'HTTP minus app DB work is Fastify, the response mapping and serialization of 50 leads, and the HTTP round trip.',
      '',
    );
    const s0 = list.shapes[0];
    out.push(
      `Where the time goes (${s0.shape}, p50): the SELECT itself ${ms(s0.direct.p50)}; the app's database work ${ms(s0.appDb.p50)} ` +
        `(API key lookup, BEGIN, set_config, SELECT, COMMIT); HTTP and serialization the remaining ${ms(Math.max(0, s0.http.p50 - s0.appDb.p50))}.` +
        (list.shapes.some((s) => s.http.p95 > 2 * s.direct.p95)
          ? ' The 2× ratio is missed by the fixed cost of each request (authentication, its own transaction, HTTP and serialization), not by the SELECT (its plans are below).'
          : ''),
      '',
    );
    out.push('Plans of the SELECTs (first tenant), `EXPLAIN (ANALYZE, BUFFERS)`:', '', '```', list.plan, '```', '');
  }

  const tips: string[] = [];
  if (pg?.preparedVariant) {
    tips.push(
      "Send drizzle's statements as prepared statements on PostgreSQL. One way is to wrap the postgres-js client in src/platform/db.ts openPostgres so that `unsafe(query, params, options)` always passes `prepare: true`, and so that `begin` hands the transaction client through the same wrapper (bench/variant-db.ts patches the client this way). " +
        `This turns ${pg.roundTrips.app.intake.roundTrips} round trips per intake into ${pg.roundTrips.prepared.intake.roundTrips} and cuts PostgreSQL's CPU per intake (measured above). ` +
        "The caveat is that postgres-js keeps each distinct SQL text prepared per connection. That is bounded, because drizzle's text depends on the query's shape, not its values, except for `inArray` lists and multi-row inserts of varying length.",
    );
  }
  if (pg && countKind(pg.roundTrips.app.intake.breakdown, 'INSERT') > 1) {
    tips.push(
      `Make the intake write one statement: its ${insertedTables(pg.roundTrips.app.intake.breakdown)} can go in one writable-CTE statement, with one parse and plan, one round trip and one SQL build. ` +
        'DESIGN §8 records that this shape reached 65–70% of the same baseline.',
    );
  }
  if (pg && pg.app.summary.requestsPerSec < 0.35 * pg.baseline.summary.requestsPerSec) {
    const a = pg.app.summary;
    const b = pg.baseline.summary;
    const budget =
      (b.cpu.serverMsPerRequest + b.cpu.postgresMsPerRequest + b.cpu.loadgenMsPerRequest) / 0.35 -
      a.cpu.loadgenMsPerRequest;
    tips.push(
      `With everything on ${machine.cpus} cores, the intake ratio is roughly the ratio of CPU per request. To reach 35% of this baseline, the server and PostgreSQL together should spend about ${fmt(budget, 2)} ms of CPU per intake; they spend ${fmt(a.cpu.serverMsPerRequest + a.cpu.postgresMsPerRequest, 2)} ms. ` +
        (pg.roundTrips.app.intake.roundTrips <= 2
          ? `Round trips no longer set the pace: the intake is ${pg.roundTrips.app.intake.roundTrips === 1 ? 'one round trip' : `${pg.roundTrips.app.intake.roundTrips} round trips`}. `
          : '') +
        "What remains is the work itself: PostgreSQL's share is the rows, index entries, foreign-key checks and RLS checks of each intake; the server's share is in the profile above.",
    );
  }
  if (emb && (emb.summary.requestsPerSec < 1500 || emb.summary.p99 > 100 || emb.summary.maxRssMb > 300)) {
    tips.push(
      `On the embedded default, an intake makes ${emb.cost.protocolCalls.toFixed(0)} calls into PGlite at about ${fmt(emb.cost.protocolMs / Math.max(1, emb.cost.protocolCalls), 2)} ms each, all on the event loop: ${pct(emb.cost.protocolMs / emb.cost.medianMs)} of a sequential intake's time. ` +
        'Fewer statements help, but PGlite runs on the one thread that also serves HTTP, so 1,500/s is out of reach for this transaction. ' +
        'A real PostgreSQL binary shipped as an npm package (which the issue already suggests for crash safety) would give the embedded default the figures of the PostgreSQL rows, in a separate process with its own cores. ' +
        "It would also take the database out of the server's RSS.",
    );
  }
  if (list && pg && list.shapes.some((x) => x.http.p95 > 2 * x.direct.p95 || x.http.p95 > 20)) {
    tips.push(
      `The lead list request makes ${pg.roundTrips.app.list.roundTrips} round trips (${pg.roundTrips.app.list.breakdown}, one SELECT being the API key lookup). ` +
        "Sending the list's transaction in one write, as statementTx does for the intake, would save two. Caching API key principals for a few seconds, as tenant settings are, would save one more. " +
        'The rest of the gap is HTTP and serializing 50 full leads; see the lead list table.',
    );
  }
  if (list && /Index Scan Backward using leads_tenant_id_id_pk[^\n]*\n[^\n]*\n\s*Filter:/.test(list.plan)) {
    tips.push(
      "The lead list's filtered pages do not use the filter indexes. They are declared as (tenant_id, status | source | assigned_user_id, id DESC NULLS LAST), which is what drizzle emits for `t.id.desc()`. " +
        'The query orders by `id DESC`, which PostgreSQL reads as DESC NULLS FIRST, so none of these indexes can deliver that order. ' +
        'The planner walks the primary key backwards and filters instead (see "Rows Removed by Filter" in the plans above). That is cheap while matches are frequent and recent. ' +
        "For a filter whose matches are rare or old, it reads the tenant's whole lead history for one page. " +
        'Ordering by `id desc nulls last` in listLeads (and the other keyset lists over such indexes) would let the index serve the page directly; so would declaring the indexes with plain `id DESC`.',
    );
  }
  if (tips.length) {
    out.push('## Suggestions (from these measurements; the benchmarks change nothing under src/)', '');
    out.push(...tips.map((t) => `- ${t}`), '');
  }

  if (routing) {
    out.push('## Routing', '');
    out.push(
      `One tenant with ${routing.installers.toLocaleString('en')} installers (10% paused), ${routing.patterns.toLocaleString('en')} US ZIP patterns in 2,000 regions, each installer covering 5 regions (about ${routing.candidatesPerDecision.toFixed(0)} candidates per lead). ` +
        `The decision (${routing.decisions} leads, compare-quotes, weighted strategy): lead, region by longest owned pattern, covering installers, their usage against daily/weekly/monthly caps counted under the routing advisory locks, satisfaction, ranking — in the lead's tenant transaction, through the app's own workflow (\`planRouting\` + \`rankCandidates\`). ` +
        `p50 ${ms(routing.decisionP50)}, p99 ${ms(routing.decisionP99)}. Routing in full (the decision plus recording it, the offers, their expiry jobs, the lead's status change, audit and outbox, and the commit): p99 ${ms(routing.requestP99)}. ` +
        `The bare serviceability SQL (longest pattern → region → covering installers, two statements through postgres-js): p99 ${ms(routing.serviceabilityP99)}.`,
      '',
      "Why the p99 misses 5 ms while the median is near it: the decision is eight statements, each a round trip inside the tenant transaction (settings, lead, region by pattern, covering installers, satisfaction, the advisory locks, usage against caps, already-assigned), and the usage query aggregates each candidate's assignments three times (day, week, month). One statement for the reads (as the intake does for its writes) and per-period counters instead of counting would bring it down; not done yet.",
      '',
    );
  }
  if (crm) {
    out.push('## CRM read models', '');
    out.push(
      `${crm.people.toLocaleString('en')} people in one tenant, each with 3 interactions, a score, an opportunity and a task; one person with 10k interactions, 10k opportunities, 10k tasks, 50 projects. In-process through the app's workflows in a tenant transaction (as the routes run them), one request at a time.`,
      '',
      '| read model | p50 | p95 | p99 |',
      '|---|---|---|---|',
      `| client 360 of the heavy person | ${ms(crm.client360.p50)} | ${ms(crm.client360.p95)} | ${ms(crm.client360.p99)} |`,
      `| contact list, page of 50 with summaries | ${ms(crm.contactList.p50)} | ${ms(crm.contactList.p95)} | ${ms(crm.contactList.p99)} |`,
      `| the same ${crm.statements} statements, direct through postgres-js | ${ms(crm.contactListDirect.p50)} | ${ms(crm.contactListDirect.p95)} | ${ms(crm.contactListDirect.p99)} |`,
      '',
      ...(crm.contactList.p95 > 2 * crm.contactListDirect.p95
        ? [
            'The contact list misses 2×: around its 2 statements the app adds the read transaction (BEGIN and the tenant setting travel with the first statement, COMMIT is not awaited) and its own mapping of the rows, which the direct run does not pay.',
            '',
          ]
        : []),
    );
  }
  out.push('## Method', '');
  out.push(
    '- `bench/run.ts` runs everything and writes this file; `bench/intake.ts`, `bench/lead-list.ts` are the benchmarks; `bench/baseline-server.ts` is the baseline (bare Fastify route, one INSERT through postgres-js, pool 20, its own process); ' +
      '`bench/variant-db.ts` / `bench/variant-server.ts` / `bench/roundtrips.ts` are diagnostics (statement and round-trip counts, the app with prepared statements forced). ' +
      'Nothing under src/ is changed by the benchmarks.',
    '- Servers run as separate processes: `node bin/helio.js serve` with DATABASE_URL (or `--data-dir` on a temporary directory for the embedded default), PUBLIC_RATE_LIMIT=0, LOG_LEVEL=warn. RSS is VmRSS from /proc/<pid>/status sampled every 100 ms during the measured stretch.',
    '- Each benchmark creates its own database on BENCH_DATABASE_URL (helio_bench_<random>) and drops it afterwards.',
    '- Intake on PostgreSQL: the fresh database is first primed with 8 s of unmeasured intakes and ANALYZEd (a brand-new database runs the intake several times slower until its tables have pages, index entries and statistics); the embedded run gets an 8 s warm-up for the same reason. Then baseline and app alternate, each with a 3 s warm-up and 15 s measured.',
    '- Before each measurement the run waits (up to 60 s, at most 4 min in all) until other processes on the machine keep less than a quarter of a core busy; the "other cores busy" column shows how well that worked.',
    '',
  );
  return out.join('\n');
}

const started = Date.now();
const loadBefore = loadavg();
const machine = await machineInfo();
log(
  `Helio benchmarks — ${machine.cpus} cores, ${machine.memoryGb.toFixed(1)} GB, Node ${machine.node}, ${machine.postgres}; load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`,
);
const pg = want('intake') ? await benchIntakePostgres() : undefined;
const emb = want('embedded') ? await benchIntakeEmbedded() : undefined;
const list = want('list') ? await benchLeadList() : undefined;
const routing = want('routing') ? await benchRouting() : undefined;
const crm = want('crm') ? await benchCrm() : undefined;
const imports = want('import') ? await benchImport() : undefined;
const minutes = (Date.now() - started) / 60_000;
const text = report(machine, minutes, { before: loadBefore, after: loadavg() }, pg, emb, list, routing, crm, imports);
if (wanted.length === 0) {
  writeFileSync(RESULTS, `${text}\n`);
  log(`\nWrote ${RESULTS} (${minutes.toFixed(1)} min).`);
} else {
  log(`\n${text}`);
}
