import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, intakeBody, type TestApp, type TestTenant } from '../../../test/helpers.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent: { id: string; token: string };
let partnerToken: string;
let dublinId: string;

const DAY_MS = 86_400_000;
const ymd = (d: Date) => d.toISOString().slice(0, 10);
const now = new Date();
const today = ymd(now);
const daysAgo = (n: number) => ymd(new Date(now.getTime() - n * DAY_MS));
const PASSWORD = 'a long enough password';
/** Every request asks for the last six days, so the expectations below do not depend on the default range. */
const RANGE = `from=${daysAgo(5)}&to=${today}`;

async function staffUser(roles: string[], installerId?: string) {
  const email = `${roles[0]}.${Math.random().toString(36).slice(2, 8)}@${a.slug}.example`;
  const created = await call(t.app, 'POST', '/api/admin/users', {
    token: a.apiKey,
    body: { email, name: 'Staff', password: PASSWORD, roles, ...(installerId ? { installerId } : {}) },
  });
  expect(created.status).toBe(201);
  const login = await call(t.app, 'POST', '/api/auth/login', { body: { tenant: a.slug, email, password: PASSWORD } });
  expect(login.status).toBe(200);
  return { id: created.body.id as string, token: login.body.token as string };
}

async function lead(token: string, body: Record<string, any>) {
  const res = await call(t.app, 'POST', '/api/leads', { token, body: intakeBody(body) });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function transition(id: string, to: string) {
  const res = await call(t.app, 'POST', `/api/leads/${id}/transitions`, { token: a.apiKey, body: { to } });
  expect(res.status).toBe(200);
}

/** Test setup only: backdates a lead's creation (its status events keep their real time). */
async function createdDaysAgo(tenant: TestTenant, id: string, days: number) {
  await t.db.tenantTx(tenant.tenantId, (tx) =>
    tx.execute(sql`update leads set created_at = now() - make_interval(days => ${days}) where id = ${id}`),
  );
}

const dashboard = (token: string, query = RANGE) => call(t.app, 'GET', `/api/analytics/dashboard?${query}`, { token });
const dublin = (postcode = 'D02 X285') => ({ contact: { postcode } });

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = await Promise.all([createTenant(t), createTenant(t)]);
  const region = await call(t.app, 'POST', '/api/regions', {
    token: a.apiKey,
    body: { code: 'dublin', name: 'Dublin', country: 'IE' },
  });
  expect(region.status).toBe(201);
  dublinId = region.body.id;
  const patterns = await call(t.app, 'PUT', `/api/regions/${dublinId}/postcodes`, {
    token: a.apiKey,
    body: { country: 'IE', patterns: ['D02'] },
  });
  expect(patterns.status).toBe(200);
  const installer = await call(t.app, 'POST', '/api/installers', {
    token: a.apiKey,
    body: { name: 'Sunny Roofs Ltd', services: ['solar_pv'] },
  });
  expect(installer.status).toBe(201);
  agent = await staffUser(['agent']);
  partnerToken = (await staffUser(['installer-partner'], installer.body.id)).token;

  // Tenant A: contacted two days after creation; contacted then qualified four days after; new (no region, routed);
  // the agent's own lead; and one created 40 days ago, outside the range.
  const twoDays = await lead(a.apiKey, { source: 'website', ...dublin() });
  await transition(twoDays, 'contacted');
  await createdDaysAgo(a, twoDays, 2);
  const fourDays = await lead(a.apiKey, { source: 'referral', ...dublin('D02 AF30') });
  await transition(fourDays, 'contacted');
  await transition(fourDays, 'qualified');
  await createdDaysAgo(a, fourDays, 4);
  const unrouted = await lead(a.apiKey, { source: 'website', contact: { postcode: 'A65 F4E2' } });
  const routed = await call(t.app, 'POST', `/api/leads/${unrouted}/route`, { token: a.apiKey, body: {} });
  expect(routed.status, JSON.stringify(routed.body)).toBe(409);
  await lead(agent.token, { source: 'phone', ...dublin('D02 Y006') });
  const old = await lead(a.apiKey, { source: 'partner', ...dublin() });
  await createdDaysAgo(a, old, 40);

  // Tenant B: leads that must never show up in A's numbers.
  for (let i = 0; i < 3; i++) await lead(b.apiKey, { source: 'campaign', ...dublin() });
});
afterAll(async () => t?.close());

const reachedOf = (row: { reached: { status: string; count: number }[] }) =>
  Object.fromEntries(row.reached.filter((r) => r.count > 0).map((r) => [r.status, r.count]));

describe('GET /api/analytics/dashboard', () => {
  it('aggregates the funnel over time, sources, regions, routing and time to first contact', async () => {
    const res = await dashboard(a.apiKey);
    expect(res.status).toBe(200);
    const d = res.body;
    expect(d.range).toEqual({ from: daysAgo(5), to: today, interval: 'day' });

    expect(d.funnel.map((p: any) => p.period)).toEqual([5, 4, 3, 2, 1, 0].map(daysAgo));
    const byDay = Object.fromEntries(d.funnel.map((p: any) => [p.period, p]));
    expect(byDay[daysAgo(4)].created).toBe(1);
    expect(reachedOf(byDay[daysAgo(4)])).toEqual({ new: 1, contacted: 1, qualified: 1 });
    expect(byDay[daysAgo(2)].created).toBe(1);
    expect(reachedOf(byDay[daysAgo(2)])).toEqual({ new: 1, contacted: 1 });
    expect(byDay[today].created).toBe(2);
    expect(reachedOf(byDay[today])).toEqual({ new: 2 });
    expect(byDay[daysAgo(5)].created + byDay[daysAgo(3)].created + byDay[daysAgo(1)].created).toBe(0);

    expect(d.bySource).toEqual([
      { source: 'website', count: 2 },
      { source: 'phone', count: 1 },
      { source: 'referral', count: 1 },
    ]);
    expect(d.byRegion).toEqual([
      { regionId: dublinId, code: 'dublin', name: 'Dublin', count: 3 },
      { regionId: null, code: null, name: 'No region', count: 1 },
    ]);

    expect(d.routing.decisions).toEqual([expect.objectContaining({ outcome: 'not_serviceable', count: 1 })]);
    expect(d.routing.assignments).toEqual([]);

    // Two leads contacted, 2 and 4 days after creation: median 3 days, p90 (interpolated) 3.8 days.
    const ttfc = d.timeToFirstContact;
    expect(ttfc.overall.count).toBe(2);
    expect(ttfc.overall.medianSeconds / 3600).toBeCloseTo(72, 1);
    expect(ttfc.overall.p90Seconds / 3600).toBeCloseTo(91.2, 1);
    const series = Object.fromEntries(ttfc.series.map((p: any) => [p.period, p]));
    expect(series[daysAgo(2)].count).toBe(1);
    expect(series[daysAgo(2)].medianSeconds / 3600).toBeCloseTo(48, 1);
    expect(series[today]).toEqual({ period: today, count: 0, medianSeconds: null, p90Seconds: null });
  });

  it('buckets by week (Monday) and defaults to the last 30 days', async () => {
    const weekly = await dashboard(a.apiKey, `${RANGE}&interval=week`);
    expect(weekly.status).toBe(200);
    const weeks = weekly.body.funnel as { period: string; created: number }[];
    for (const w of weeks) expect(new Date(`${w.period}T00:00:00Z`).getUTCDay()).toBe(1);
    expect(weeks.reduce((s, w) => s + w.created, 0)).toBe(4);

    const dflt = await dashboard(a.apiKey, '');
    expect(dflt.status).toBe(200);
    expect(dflt.body.range).toEqual({ from: daysAgo(29), to: today, interval: 'day' });
    expect(dflt.body.funnel).toHaveLength(30);
  });

  it('counts only the leads an agent may see (own scope), like the lead list', async () => {
    const res = await dashboard(agent.token);
    expect(res.status).toBe(200);
    expect(res.body.bySource).toEqual([{ source: 'phone', count: 1 }]);
    expect(res.body.byRegion).toEqual([{ regionId: dublinId, code: 'dublin', name: 'Dublin', count: 1 }]);
    expect(res.body.funnel.reduce((s: number, p: any) => s + p.created, 0)).toBe(1);
    expect(res.body.routing.decisions).toEqual([]);
    expect(res.body.timeToFirstContact.overall).toEqual({ count: 0, medianSeconds: null, p90Seconds: null });
  });

  it('refuses installer partners (no leads:read)', async () => {
    const res = await dashboard(partnerToken);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('rejects a bad range with a 400 problem', async () => {
    for (const query of [
      `from=${today}&to=${daysAgo(1)}`,
      `from=${daysAgo(400)}&to=${today}`,
      'from=yesterday',
      'interval=month',
    ]) {
      const res = await dashboard(a.apiKey, query);
      expect(res.status, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect((await dashboard(a.apiKey, `from=${daysAgo(365)}&to=${today}`)).status).toBe(200);
  });

  it("never counts another tenant's leads", async () => {
    const other = await dashboard(b.apiKey);
    expect(other.status).toBe(200);
    expect(other.body.bySource).toEqual([{ source: 'campaign', count: 3 }]);
    // B has no regions: its Dublin postcodes resolve to none of A's.
    expect(other.body.byRegion).toEqual([{ regionId: null, code: null, name: 'No region', count: 3 }]);
    expect(other.body.routing.decisions).toEqual([]);
    const mine = await dashboard(a.apiKey);
    expect(mine.body.bySource.some((s: any) => s.source === 'campaign')).toBe(false);
  });
});
