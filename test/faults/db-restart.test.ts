import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, rows } from '../../src/platform/db.ts';
import { randomToken } from '../../src/platform/ids.ts';
import { provisionTenant } from '../../src/workflows/tenant-provisioning.ts';
import { intakeBody, usingPostgres } from '../helpers.ts';
import { type ServerProcess, startServer } from '../server-process.ts';
import { startThrowawayPostgres, type ThrowawayPostgres, throwawayPostgresUnavailable } from './throwaway-postgres.ts';

/**
 * The API process outlives its database. PostgreSQL (a throwaway server of this test's own: the shared
 * one must not be restarted) is restarted under a steady stream of intakes, staff writes and reads:
 * meanwhile every request is answered fast, with a 2xx or a 503 system.unavailable problem, never a
 * 500 or a hang; once the database is back the same process serves again, and every acknowledged
 * write is in the database.
 */

const skipReason = !usingPostgres()
  ? 'PostgreSQL pass only (TEST_DATABASE_URL is unset)'
  : throwawayPostgresUnavailable();

/** No request may take longer than this, outage or not (the client gives up at twice this). */
const LATENCY_BOUND_MS = 5_000;
/** After the database is back, requests started later than this must all succeed. */
const RECOVERY_GRACE_MS = 2_000;
const INTAKE_CLIENTS = 3;
const READ_CLIENTS = 2;

type Kind = 'intake' | 'staff' | 'list' | 'detail' | 'health';

interface Sample {
  kind: Kind;
  start: number;
  end: number;
  status: number;
  code?: string;
  contentType?: string;
  error?: string;
  /** The start of an unexpected body, for failure messages. */
  text?: string;
}

interface Ack {
  reference: string;
  email: string;
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uniqueEmail = (tag: string) =>
  `${tag}.${randomToken(8)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')}@example.com`;

/** A steady mix of traffic against one server, recording every response until stopped. */
class Load {
  readonly samples: Sample[] = [];
  readonly acks: Ack[] = [];
  /** Staff writes acknowledged with 201: lead id and email. */
  readonly staffAcks: { id: string; email: string; key: string }[] = [];
  /** Staff writes answered 503: retried with the same Idempotency-Key after the outage. */
  readonly staffUnanswered: { key: string; body: unknown; email: string }[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly server: ServerProcess,
    private readonly slug: string,
    private readonly apiKey: string,
  ) {
    for (let c = 0; c < INTAKE_CLIENTS; c++) this.loops.push(this.loop(() => this.intake(c)));
    this.loops.push(this.loop(() => this.staffWrite()));
    for (let c = 0; c < READ_CLIENTS; c++) this.loops.push(this.loop(() => (c % 2 ? this.detail() : this.list())));
    this.loops.push(this.loop(() => this.health(), 100));
  }

  /** Runs step (which answers with the status it got) until stopped. */
  private async loop(step: () => Promise<number>, pauseMs = 0) {
    while (this.running) {
      const status = await step();
      // A failed request comes back at once; a short pause keeps a refused database from becoming a busy loop.
      await sleep(pauseMs || (status >= 300 || status === 0 ? 20 : 0));
    }
  }

  async stop() {
    this.running = false;
    await Promise.all(this.loops);
  }

  async request(kind: Kind, path: string, init: RequestInit = {}): Promise<{ sample: Sample; body: any }> {
    const start = now();
    try {
      const res = await fetch(`${this.server.url}${path}`, {
        ...init,
        signal: AbortSignal.timeout(LATENCY_BOUND_MS * 2),
      });
      const text = await res.text();
      let body: any = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {}
      const sample: Sample = {
        kind,
        start,
        end: now(),
        status: res.status,
        code: body?.code,
        contentType: res.headers.get('content-type') ?? undefined,
        text: res.status >= 300 && body?.code === undefined ? text.slice(0, 200) : undefined,
      };
      this.samples.push(sample);
      return { sample, body };
    } catch (err) {
      const sample: Sample = { kind, start, end: now(), status: 0, error: String(err) };
      this.samples.push(sample);
      return { sample, body: null };
    }
  }

  private async intake(c: number) {
    const email = uniqueEmail(`restart.${c}`);
    const { sample, body } = await this.request('intake', `/api/public/${this.slug}/leads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(intakeBody({ contact: { email } })),
    });
    if (sample.status === 201) this.acks.push({ reference: body.reference, email });
    return sample.status;
  }

  /** A staff write with an Idempotency-Key: the path where the key is reserved, then answered. */
  private async staffWrite() {
    const email = uniqueEmail('staff');
    const key = `restart-${randomToken(12)}`;
    const body = intakeBody({ contact: { email }, source: 'phone' });
    const { sample, body: res } = await this.post(key, body);
    if (sample.status === 201) this.staffAcks.push({ id: res.id, email, key });
    else if (sample.status === 503) this.staffUnanswered.push({ key, body, email });
    return sample.status;
  }

  post(key: string, body: unknown) {
    return this.request('staff', '/api/leads', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify(body),
    });
  }

  private async list() {
    const { sample } = await this.request('list', '/api/leads?limit=10', {
      headers: { authorization: `Bearer ${this.apiKey}` },
    });
    return sample.status;
  }

  private async detail() {
    const known = this.staffAcks[Math.floor(Math.random() * this.staffAcks.length)];
    if (!known) return this.list();
    const { sample } = await this.request('detail', `/api/leads/${known.id}`, {
      headers: { authorization: `Bearer ${this.apiKey}` },
    });
    return sample.status;
  }

  private async health() {
    return (await this.request('health', '/api/system/health')).sample.status;
  }
}

interface OutageReport {
  variant: string;
  outageMs: number;
  recoveredAfterMs: Record<string, number>;
  byStatus: Record<string, number>;
  maxLatencyMs: number;
  /** The slowest answer: what it was and when it started, relative to the fault. */
  slowest: string;
  healthDuring: Record<string, number>;
}

interface Window {
  variant: string;
  /** Samples started in [from, until) belong to this window. */
  from: number;
  faultAt: number;
  /** When the database accepted connections again (pg_ctl returned). */
  backAt: number;
  until: number;
}

/** Traffic runs on; the fault is applied, the database comes back, and the traffic runs on for a while. */
async function applyFault(variant: string, fault: () => Promise<{ faultAt: number; backAt: number }>) {
  const from = now();
  await sleep(1_000);
  const { faultAt, backAt } = await fault();
  // Long enough past the grace to see steady success from every kind of request.
  await sleep(RECOVERY_GRACE_MS + 1_500);
  return { variant, from, faultAt, backAt, until: now() } satisfies Window;
}

const countByAnswer = (list: Sample[]) =>
  list.reduce<Record<string, number>>((acc, s) => {
    const k = s.status === 0 ? 'no response' : `${s.status}${s.code && s.status >= 400 ? ` ${s.code}` : ''}`;
    acc[k] = (acc[k] ?? 0) + 1;
    return acc;
  }, {});

/** Checks the answers of one window (once every request of it has ended) and measures the recovery. */
function checkWindow(w: Window, load: Load, serverOutput: string): OutageReport {
  const samples = load.samples.filter((s) => s.start >= w.from && s.start < w.until);
  const during = samples.filter((s) => s.end >= w.faultAt && s.start < w.backAt + RECOVERY_GRACE_MS);
  const after = samples.filter((s) => s.start >= w.backAt + RECOVERY_GRACE_MS);
  const describeSample = (s: Sample) =>
    `${s.kind} ${s.status} ${s.code ?? ''}${s.error ?? ''}${s.text ?? ''} started ${Math.round(s.start - w.faultAt)} ms ` +
    `after the fault, took ${Math.round(s.end - s.start)} ms`;
  const context = `${w.variant}: ${JSON.stringify(countByAnswer(samples))}\n${serverOutput}`;

  // Every answer is a success or the documented 503 problem; never a 500, a dropped connection or a hang.
  const wrong = samples.filter(
    (s) =>
      !(s.status >= 200 && s.status < 300) &&
      !(s.status === 503 && s.code === 'system.unavailable' && s.contentType?.startsWith('application/problem+json')),
  );
  expect(wrong.map(describeSample), context).toEqual([]);
  const slow = samples.filter((s) => s.end - s.start > LATENCY_BOUND_MS);
  expect(slow.map(describeSample), context).toEqual([]);
  // The outage was seen (the health check fails while the database is away) …
  expect(
    during.filter((s) => s.kind === 'health' && s.status === 503).length,
    `${w.variant}: health never answered 503`,
  ).toBeGreaterThan(0);
  // … and is over: everything started after the grace succeeds, every kind of request included.
  expect(after.filter((s) => s.status !== 200 && s.status !== 201).map(describeSample), context).toEqual([]);
  for (const kind of ['intake', 'staff', 'list', 'detail', 'health'] as const) {
    expect(after.filter((s) => s.kind === kind).length, `${w.variant}: no ${kind} after recovery`).toBeGreaterThan(0);
  }

  const recoveredAfterMs: Record<string, number> = {};
  for (const kind of ['intake', 'staff', 'list', 'detail', 'health'] as const) {
    const first = samples.find((s) => s.kind === kind && s.start >= w.backAt && s.status < 300);
    recoveredAfterMs[kind] = first ? Math.round(first.end - w.backAt) : -1;
  }
  return {
    variant: w.variant,
    outageMs: Math.round(w.backAt - w.faultAt),
    recoveredAfterMs,
    byStatus: countByAnswer(during),
    maxLatencyMs: Math.round(Math.max(...samples.map((s) => s.end - s.start))),
    slowest: describeSample([...samples].sort((x, y) => y.end - y.start - (x.end - x.start))[0]),
    healthDuring: countByAnswer(during.filter((s) => s.kind === 'health')),
  };
}

describe.skipIf(Boolean(skipReason))(
  `database restart under load${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let pg: ThrowawayPostgres;
    let server: ServerProcess | undefined;
    let tenant: { tenantId: string; slug: string; apiKey: string };
    let setupMs = 0;

    beforeAll(async () => {
      const t0 = now();
      pg = await startThrowawayPostgres();
      // Migrations and the tenant in this process (quicker than another CLI process); closed before any fault.
      const setup = await openDatabase({ url: pg.url, poolSize: 2 });
      try {
        await setup.migrate();
        tenant = await provisionTenant(setup, {
          slug: 'restart',
          name: 'Restart test',
          adminEmail: 'owner@restart.example',
          adminPassword: 'correct horse battery staple',
        });
      } finally {
        await setup.close();
      }
      server = await startServer({ env: { DATABASE_URL: pg.url, PUBLIC_RATE_LIMIT: '0', LOG_LEVEL: 'warn' } });
      await server.ready(60_000);
      setupMs = Math.round(now() - t0);
    }, 120_000);

    afterAll(async () => {
      await server?.stop('SIGKILL');
      await pg?.destroy();
    });

    it('answers 503 while PostgreSQL restarts (fast, then immediate), recovers in place, loses nothing acknowledged', async () => {
      const s = server!;
      const pid = s.proc.pid;
      const load = new Load(s, tenant.slug, tenant.apiKey);
      const windows: Window[] = [];
      try {
        windows.push(
          await applyFault('restart -m fast', async () => {
            const faultAt = now();
            await pg.restartFast();
            return { faultAt, backAt: now() };
          }),
        );
        windows.push(
          await applyFault('stop -m immediate, 2 s down, start', async () => {
            const faultAt = now();
            await pg.stopImmediate();
            await sleep(2_000);
            await pg.start();
            return { faultAt, backAt: now() };
          }),
        );
      } finally {
        await load.stop();
      }
      // The process lived through both, and answered every request of each as it should.
      expect(s.proc.exitCode, s.output()).toBeNull();
      expect(s.proc.signalCode, s.output()).toBeNull();
      const reports = windows.map((w) => checkWindow(w, load, s.output()));
      expect(s.proc.pid).toBe(pid);
      expect(load.acks.length).toBeGreaterThan(0);
      expect(load.staffAcks.length).toBeGreaterThan(0);

      // A staff write that got a 503 is retried with its key: it must not stay stuck behind the key.
      const retried: Record<string, number> = {};
      for (const u of load.staffUnanswered) {
        const { sample, body } = await load.post(u.key, u.body);
        const k = `${sample.status} ${sample.code ?? ''}`.trim();
        retried[k] = (retried[k] ?? 0) + 1;
        // 201: done now (or replayed); 409 lead.duplicate: the first attempt committed but its answer was lost.
        expect([201, 409], `retry of ${u.key}: ${sample.status} ${sample.code}`).toContain(sample.status);
        if (sample.status === 409) expect(sample.code).toBe('lead.duplicate');
        if (sample.status === 201) load.staffAcks.push({ id: body.id, email: u.email, key: u.key });
      }

      // The same process stops cleanly afterwards.
      expect(await s.stop('SIGTERM'), s.output()).toEqual({ code: 0, signal: null });
      server = undefined;

      const db: Database = await openDatabase({ url: pg.url, poolSize: 2 });
      try {
        const stored = await db.tenantTx(tenant.tenantId, async (tx) => ({
          leads: await rows<{ id: string; reference: string; email: string }>(
            tx,
            sql`select id, reference, email from leads`,
          ),
          health: (
            await rows<Record<string, number>>(
              tx,
              sql`select
                (select count(*)::int from leads l where not exists (select 1 from lead_status_events e
                   where e.lead_id = l.id and e.from_status is null)) as "withoutStatusEvent",
                (select count(*)::int from leads l where l.source = 'website' and not exists
                   (select 1 from lead_submissions s where s.lead_id = l.id)) as "intakeWithoutSubmission",
                (select count(*)::int from leads l where not exists (select 1 from people p
                   where p.id = l.person_id)) as "withoutPerson",
                (select count(*)::int from leads l where not exists (select 1 from outbox_events o
                   where o.entity_id = l.id and o.type = 'lead.created')) as "withoutOutboxEvent",
                (select count(*)::int from idempotency_keys where state = 'in_progress') as "keysInProgress"`,
            )
          )[0],
        }));
        const byReference = new Map(stored.leads.map((l) => [l.reference, l.email]));
        const byId = new Map(stored.leads.map((l) => [l.id, l.email]));
        const lostIntakes = load.acks.filter((a) => byReference.get(a.reference) !== a.email);
        const lostStaff = load.staffAcks.filter((a) => byId.get(a.id) !== a.email);
        expect(lostIntakes, 'acknowledged intakes lost').toEqual([]);
        expect(lostStaff, 'acknowledged staff writes lost').toEqual([]);
        // Not asserted: a key whose request committed just as the database went away stays in progress (and a
        // retry is told 409) until the in-progress record counts as abandoned; reported below.
        const { keysInProgress, ...health } = stored.health;
        expect(health).toEqual({
          withoutStatusEvent: 0,
          intakeWithoutSubmission: 0,
          withoutPerson: 0,
          withoutOutboxEvent: 0,
        });
        const byStatus: Record<string, number> = {};
        for (const smp of load.samples) {
          const k = `${smp.status}`;
          byStatus[k] = (byStatus[k] ?? 0) + 1;
        }
        console.info(
          `db restart (own PostgreSQL + server up in ${setupMs} ms): ${load.samples.length} requests (${JSON.stringify(byStatus)}), ` +
            `${load.acks.length} intakes + ${load.staffAcks.length} staff writes acknowledged, 0 lost; ` +
            `503'd staff writes retried with their key: ${JSON.stringify(retried)}; keys left in progress: ${keysInProgress}\n` +
            reports
              .map(
                (r) =>
                  `  ${r.variant}: database away ${r.outageMs} ms; answers meanwhile ${JSON.stringify(r.byStatus)}; ` +
                  `health ${JSON.stringify(r.healthDuring)}; max latency ${r.maxLatencyMs} ms (${r.slowest}); ` +
                  `first success after the database was back (ms) ${JSON.stringify(r.recoveredAfterMs)}`,
              )
              .join('\n'),
        );
      } finally {
        await db.close();
      }
    }, 90_000);
  },
);
