import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import postgres from 'postgres';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const HELIO_BIN = fileURLToPath(new URL('../bin/helio.js', import.meta.url));
export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const run = promisify(execFile);

export const log = (msg: string) => process.stdout.write(`${msg}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

const randomSuffix = () => Math.random().toString(36).slice(2, 10);

/**
 * A fresh database on the benchmark server (or the server at `serverUrl`); drop() removes it (also when
 * processes still hold connections).
 */
export async function createBenchDatabase(prefix = 'helio_bench', serverUrl = BENCH_DATABASE_URL) {
  const name = `${prefix}_${randomSuffix()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  return {
    name,
    url: withDatabase(serverUrl, name),
    async drop() {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Runs the helio CLI to completion and returns its stdout. */
export async function helioCli(args: string[], env: Record<string, string | undefined> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, [HELIO_BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

export interface ServerProcess {
  pid: number;
  port: number;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Spawns a server process and waits until `readyPath` answers 2xx. */
export async function startServer(opts: {
  name: string;
  args: string[];
  env: Record<string, string | undefined>;
  port: number;
  readyPath: string;
}): Promise<ServerProcess> {
  const child = spawn(process.execPath, opts.args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...opts.env, PORT: String(opts.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`${opts.name} exited with ${exited} before it was ready:\n${output}`);
    try {
      const res = await fetch(url + opts.readyPath);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${opts.name} did not become ready within 120 s:\n${output}`);
    }
    await sleep(200);
  }
  return {
    pid: child.pid!,
    port: opts.port,
    url,
    child,
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(timer);
      if (output.includes('"level":50') || output.includes('"level":60')) {
        log(`  [${opts.name} logged errors]\n${output.slice(-3000)}`);
      }
    },
  };
}

/** Resident set size of a process in MB (VmRSS), or NaN once it is gone. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the maximum in MB. */
export function sampleRss(pid: number, everyMs = 100) {
  let max = 0;
  const tick = () => {
    const v = rssMb(pid);
    if (v > max) max = v;
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return max;
    },
  };
}

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system) a process has used so far, ms. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return 0;
  }
}

/** CPU time used so far by every PostgreSQL server process on this machine (backends, WAL writer, …), ms. */
export function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name.startsWith('postgres')) total += cpuMs(Number(entry));
    } catch {}
  }
  return total;
}

/** Busy CPU time of the whole machine so far (all cores, every process), ms. */
export function machineBusyMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
  return (user + nice + system + irq + softirq + steal) * CLOCK_TICK_MS;
}

/** CPU used during a stretch of time by the server process, PostgreSQL and this process (the load generator). */
export function cpuMeter(serverPid: number) {
  const t0 = performance.now();
  const m0 = machineBusyMs();
  const s0 = cpuMs(serverPid);
  const p0 = postgresCpuMs();
  const l0 = process.cpuUsage();
  return {
    stop(requests: number): CpuShare {
      const wallMs = performance.now() - t0;
      const l = process.cpuUsage(l0);
      const server = cpuMs(serverPid) - s0;
      const pg = postgresCpuMs() - p0;
      const loadgen = (l.user + l.system) / 1000;
      const machine = machineBusyMs() - m0;
      const per = (x: number) => (requests > 0 ? x / requests : Number.NaN);
      return {
        serverMsPerRequest: per(server),
        postgresMsPerRequest: per(pg),
        loadgenMsPerRequest: per(loadgen),
        coresBusy: (server + pg + loadgen) / wallMs,
        otherCoresBusy: Math.max(0, machine - server - pg - loadgen) / wallMs,
      };
    },
  };
}

const QUIET_WAIT_SEC = Number(process.env.BENCH_QUIET_WAIT_SECONDS ?? 60);
/** Over the whole run, at most this long is spent waiting for quiet (keeps `npm run bench` within ~15 min). */
let quietBudgetMs = Number(process.env.BENCH_QUIET_BUDGET_SECONDS ?? 240) * 1000;

/**
 * The machine may be shared: before a measurement, wait (up to BENCH_QUIET_WAIT_SECONDS, and a budget for the
 * run) until other processes keep less than a quarter of a core busy for 3 s in a row. Returns the cores they
 * kept busy in the last second.
 */
export async function waitForQuiet(label: string): Promise<number> {
  const started = Date.now();
  const deadline = started + Math.min(QUIET_WAIT_SEC * 1000, Math.max(0, quietBudgetMs));
  let calm = 0;
  let told = false;
  for (;;) {
    const m0 = machineBusyMs();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(1000);
    const own = process.cpuUsage(c0);
    const others = Math.max(0, machineBusyMs() - m0 - (own.user + own.system) / 1000) / (performance.now() - t0);
    calm = others < 0.25 ? calm + 1 : 0;
    const done = calm >= 3 || Date.now() > deadline;
    if (done) quietBudgetMs -= Math.max(0, Date.now() - started - 3000);
    if (calm >= 3) return others;
    if (Date.now() > deadline) {
      log(`  [${label}: other processes still keep ${others.toFixed(2)} cores busy; measuring anyway]`);
      return others;
    }
    if (!told) {
      log(`  [${label}: waiting for other processes to calm down (${others.toFixed(2)} cores busy)]`);
      told = true;
    }
  }
}

export interface CpuShare {
  serverMsPerRequest: number;
  postgresMsPerRequest: number;
  loadgenMsPerRequest: number;
  /** Average number of cores busy (server + PostgreSQL + load generator) during the measurement. */
  coresBusy: number;
  /** Average number of cores other processes on the machine kept busy meanwhile (noise). */
  otherCoresBusy: number;
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  postgres: string;
}

export async function machineInfo(): Promise<Machine> {
  const admin = postgres(BENCH_DATABASE_URL, { max: 1, onnotice: () => {} });
  try {
    const [{ version }] = await admin<{ version: string }[]>`select version()`;
    return {
      date: new Date().toISOString(),
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: totalmem() / 1024 ** 3,
      node: process.version,
      postgres: version.replace(/ on .*$/, '').trim(),
    };
  } finally {
    await admin.end({ timeout: 5 });
  }
}

let phoneSeq = 0;

/**
 * A realistic public intake body (the shape of test/helpers.ts intakeBody(), plus a phone number): the
 * email is unique per (run, n) and the phone per call, so every request creates a new person and lead.
 */
export function intakeBody(n: number, run: string) {
  const p = ++phoneSeq;
  return {
    contact: {
      name: `Ada Byrne ${n}`,
      email: `ada.${run}.${n}@example.com`,
      phone: `+353 8${[3, 5, 6, 7, 9][Math.floor(p / 10_000_000) % 5]} ${String(p % 10_000_000).padStart(7, '0')}`,
      postcode: 'D02 X285',
      locale: 'en-IE',
      address: { line1: `${n} Main St`, city: 'Dublin', country: 'IE' },
    },
    source: 'website',
    service: 'solar_pv',
    selectedPath: 'compare_quotes',
    contactPreferences: { channels: ['email', 'phone'], bestTime: 'evening' },
    consent: { terms: true, marketing: false },
    assessment: { questionSetVersion: '2026-10', answers: { roofType: 'pitched', monthlyBill: 180 } },
    recommendation: {
      engineVersion: '1.4.0',
      products: [{ kind: 'solar_pv', sizeKw: 4.2 }],
      estimatedAnnualSavings: { amount: 95000, currency: 'EUR' },
    },
  };
}

export interface LoadResult {
  requestsPerSec: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
  maxRssMb: number;
  /** RSS of the server before the warm-up, MB (started, migrated, idle). */
  idleRssMb: number;
  cpu: CpuShare;
}

/** autocannon against a POST route, every request with a fresh body; samples the server's RSS meanwhile. */
export async function loadTest(opts: {
  url: string;
  path: string;
  pid: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
  body: (n: number) => unknown;
  /** Told the warm-up's counts (its requests also hit the server). */
  onWarmup?: (warmup: { ok: number; non2xx: number }) => void;
}): Promise<LoadResult> {
  let n = 0;
  const requests = [
    {
      method: 'POST',
      path: opts.path,
      headers: { 'content-type': 'application/json' },
      setupRequest: (req: object) => ({ ...req, body: JSON.stringify(opts.body(++n)) }),
    },
  ];
  await waitForQuiet(`load test ${opts.path}`);
  const idleRssMb = rssMb(opts.pid);
  if (opts.warmupSec > 0) {
    const w = await autocannon({ url: opts.url, connections: opts.connections, duration: opts.warmupSec, requests });
    opts.onWarmup?.({ ok: w['2xx'], non2xx: w.non2xx });
  }
  const rss = sampleRss(opts.pid);
  const cpu = cpuMeter(opts.pid);
  const r = await autocannon({ url: opts.url, connections: opts.connections, duration: opts.durationSec, requests });
  const cpuShare = cpu.stop(r['2xx'] + r.non2xx);
  const maxRssMb = rss.stop();
  return {
    requestsPerSec: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationSec: r.duration,
    maxRssMb,
    idleRssMb,
    cpu: cpuShare,
  };
}

export const describeLoad = (r: LoadResult) =>
  `${fmt(r.requestsPerSec, 0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.ok} ok, ${r.non2xx} non-2xx, ` +
  `${r.errors} errors, ${r.timeouts} timeouts, max RSS ${fmt(r.maxRssMb, 0)} MB (idle ${fmt(r.idleRssMb, 0)} MB); CPU ms per request: server ` +
  `${fmt(r.cpu.serverMsPerRequest, 2)}, PostgreSQL ${fmt(r.cpu.postgresMsPerRequest, 2)}, load generator ` +
  `${fmt(r.cpu.loadgenMsPerRequest, 2)} (${fmt(r.cpu.coresBusy, 2)} cores busy; other processes ${fmt(r.cpu.otherCoresBusy, 2)})`;
