import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, intakeBody, type TestApp, type TestTenant } from '../../../test/helpers.ts';

let t: TestApp;
let a: TestTenant;

beforeAll(async () => {
  // This app runs the job worker, polling every half second.
  t = await createTestApp({ jobs: { pollingIntervalSeconds: 0.5 } });
  a = await createTenant(t, undefined, { routeAtIntake: true, rerouteOnDecline: true });
  const region = await call(t.app, 'POST', '/api/regions', {
    token: a.apiKey,
    body: { code: 'd', name: 'Dublin', country: 'IE' },
  });
  await call(t.app, 'PUT', `/api/regions/${region.body.id}/postcodes`, {
    token: a.apiKey,
    body: { country: 'IE', patterns: ['D02'] },
  });
  for (const [name, q] of [
    ['First', 90],
    ['Second', 70],
  ] as const) {
    const i = await call(t.app, 'POST', '/api/installers', {
      token: a.apiKey,
      body: { name, services: ['solar_pv'], status: 'active', qualityScore: q },
    });
    await call(t.app, 'PUT', `/api/installers/${i.body.id}/regions`, {
      token: a.apiKey,
      body: { regionIds: [region.body.id] },
    });
  }
});
afterAll(async () => t?.close());

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('routing at intake and the offer-expiry job', () => {
  it('routes a recommended lead right after intake; the worker expires the unanswered offer and re-routes', async () => {
    const res = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, {
      body: intakeBody({ selectedPath: 'recommended' }),
    });
    expect(res.status).toBe(201);
    const list = await call(t.app, 'GET', `/api/leads?q=${res.body.reference}`, { token: a.apiKey });
    const leadId = list.body.data[0].id;
    const detail = await call(t.app, 'GET', `/api/leads/${leadId}`, { token: a.apiKey });
    expect(detail.body.status).toBe('matched');
    expect(detail.body.assignments).toHaveLength(1);
    const first = detail.body.assignments[0];

    // Bring the deadline (and its queued job) forward to now: the running worker must pick it up.
    await t.db.db.execute(
      sql`update lead_assignments set expires_at = now() - interval '1 second' where id = ${first.id}`,
    );
    await t.db.db.execute(
      sql`update pgboss.job set start_after = now() where name = 'assignment-expiry' and data->>'assignmentId' = ${first.id}`,
    );
    const after = await waitFor(
      () => call(t.app, 'GET', `/api/leads/${leadId}`, { token: a.apiKey }),
      (r) => r.body.assignments.length === 2,
    );
    const states = Object.fromEntries(after.body.assignments.map((x: any) => [x.installerId, x.status]));
    expect(states[first.installerId]).toBe('expired');
    expect(Object.values(states).sort()).toEqual(['expired', 'offered']);
    expect(after.body.status).toBe('matched');
    const routing = await call(t.app, 'GET', `/api/leads/${leadId}/routing`, { token: a.apiKey });
    expect(routing.body.data.map((d: any) => d.trigger)).toEqual(['intake', 'reroute']);
  });
});
