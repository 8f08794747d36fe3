import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, intakeBody, type TestApp, type TestTenant } from '../../../test/helpers.ts';
import { rows } from '../../platform/db.ts';
import { expireOffer } from '../../workflows/assignment-lifecycle.ts';

let t: TestApp;
let a: TestTenant;
let regionId: string;
const inst: Record<string, any> = {};

async function installer(name: string, body: Record<string, unknown> = {}) {
  const res = await call(t.app, 'POST', '/api/installers', {
    token: a.apiKey,
    body: { name, services: ['solar_pv', 'battery_storage'], status: 'active', ...body },
  });
  expect(res.status).toBe(201);
  return res.body;
}

async function newLead(over: Record<string, any> = {}) {
  const res = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body: intakeBody(over) });
  expect(res.status).toBe(201);
  return res.body;
}

const route = (leadId: string, body?: unknown) =>
  call(t.app, 'POST', `/api/leads/${leadId}/route`, { token: a.apiKey, body: body ?? {} });
const act = (id: string, action: string, token: string, body?: unknown) =>
  call(t.app, 'POST', `/api/assignments/${id}/${action}`, { token, body: body ?? {} });

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t, undefined, { rerouteOnDecline: false });
  const r = await call(t.app, 'POST', '/api/regions', {
    token: a.apiKey,
    body: { code: 'dublin-south', name: 'Dublin South', country: 'IE' },
  });
  regionId = r.body.id;
  const pc = await call(t.app, 'PUT', `/api/regions/${regionId}/postcodes`, {
    token: a.apiKey,
    body: { country: 'IE', patterns: ['d02', 'D04', 'D6W'] },
  });
  expect(pc.body).toEqual({ country: 'IE', patterns: ['D02', 'D04', 'D6W'] });
  inst.best = await installer('Best Solar', { qualityScore: 95 });
  inst.good = await installer('Good Solar', { qualityScore: 80 });
  inst.ok = await installer('OK Solar', { qualityScore: 60 });
  inst.meh = await installer('Meh Solar', { qualityScore: 40 });
  inst.paused = await installer('Paused Solar', { status: 'active', qualityScore: 99 });
  inst.heat = await installer('Heat Only', { services: ['heat_pump'], qualityScore: 99 });
  await call(t.app, 'PATCH', `/api/installers/${inst.paused.id}`, { token: a.apiKey, body: { status: 'paused' } });
  for (const i of Object.values(inst)) {
    const cov = await call(t.app, 'PUT', `/api/installers/${i.id}/regions`, {
      token: a.apiKey,
      body: { regionIds: [regionId] },
    });
    expect(cov.status).toBe(200);
  }
});
afterAll(async () => t?.close());

describe('regions and serviceability', () => {
  it('a pattern owned by another region is a 409 naming the owner', async () => {
    const other = await call(t.app, 'POST', '/api/regions', {
      token: a.apiKey,
      body: { code: 'dublin-north', name: 'Dublin North', country: 'IE' },
    });
    const clash = await call(t.app, 'PUT', `/api/regions/${other.body.id}/postcodes`, {
      token: a.apiKey,
      body: { country: 'IE', patterns: ['D01', 'D02'] },
    });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({
      code: 'region.postcode_owned',
      pattern: 'D02',
      owner: { id: regionId, code: 'dublin-south' },
    });
  });

  it('answers serviceability publicly (region only) and for staff (with candidates)', async () => {
    const pub = await call(t.app, 'GET', `/api/public/${a.slug}/serviceability?postcode=D02%20X285&service=solar_pv`);
    expect(pub.body).toEqual({ serviceable: true, region: { code: 'dublin-south', name: 'Dublin South' } });
    const nope = await call(t.app, 'GET', `/api/public/${a.slug}/serviceability?postcode=T12%20R2FX`);
    expect(nope.body).toEqual({ serviceable: false, region: null });
    const staff = await call(t.app, 'GET', '/api/serviceability?postcode=D02X285&service=heat_pump', {
      token: a.apiKey,
    });
    expect(staff.body.installers.map((i: any) => i.id)).toEqual([inst.heat.id]);
  });

  it('an inactive region serves nothing', async () => {
    const r = await call(t.app, 'POST', '/api/regions', {
      token: a.apiKey,
      body: { code: 'cork', name: 'Cork', country: 'IE', active: false },
    });
    await call(t.app, 'PUT', `/api/regions/${r.body.id}/postcodes`, {
      token: a.apiKey,
      body: { country: 'IE', patterns: ['T12'] },
    });
    const res = await call(t.app, 'GET', '/api/serviceability?postcode=T12R2FX', { token: a.apiKey });
    expect(res.body).toMatchObject({ serviceable: false, region: null });
  });
});

describe('routing', () => {
  it('compare-quotes offers the top 3 and explains every candidate', async () => {
    const lead = await newLead({ selectedPath: 'compare_quotes' });
    const res = await route(lead.id);
    expect(res.status).toBe(201);
    expect(res.body.decision).toMatchObject({ mode: 'compare_quotes', strategy: 'weighted' });
    expect(res.body.decision.candidates).toHaveLength(6);
    const byId = Object.fromEntries(res.body.decision.candidates.map((c: any) => [c.installerId, c]));
    expect(byId[inst.paused.id]).toMatchObject({ selected: false, reason: 'inactive' });
    expect(byId[inst.heat.id]).toMatchObject({ selected: false, reason: 'service_not_offered' });
    expect(byId[inst.meh.id]).toMatchObject({ selected: false, reason: 'not_selected' });
    expect(res.body.assignments.map((x: any) => x.installerId).sort()).toEqual(
      [inst.best.id, inst.good.id, inst.ok.id].sort(),
    );
    expect(res.body.assignments.every((x: any) => x.status === 'offered')).toBe(true);
    const detail = await call(t.app, 'GET', `/api/leads/${lead.id}`, { token: a.apiKey });
    expect(detail.body.status).toBe('matched');
    expect(detail.body.assignments).toHaveLength(3);
    expect(detail.body.followUps).toEqual([]);
    const again = await route(lead.id, { mode: 'compare_quotes' });
    const reasons = Object.fromEntries(again.body.decision.candidates.map((c: any) => [c.installerId, c.reason]));
    expect(reasons[inst.best.id]).toBe('already_assigned');
  });

  it('recommended mode offers one installer; the decision is deterministic', async () => {
    const l1 = await newLead({ selectedPath: 'recommended' });
    const l2 = await newLead({ selectedPath: 'recommended' });
    const r1 = await route(l1.id);
    expect(r1.body.assignments).toHaveLength(1);
    const history = await call(t.app, 'GET', `/api/leads/${l1.id}/routing`, { token: a.apiKey });
    expect(history.body.data).toHaveLength(1);
    expect(history.body.data[0].candidates).toEqual(r1.body.decision.candidates);
    void l2;
  });

  it('no serviceable installer: 409 routing.no_candidates and the decision is kept', async () => {
    const lead = await newLead({ contact: { postcode: 'H91 E2K3' } });
    const res = await route(lead.id);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('routing.no_candidates');
    const history = await call(t.app, 'GET', `/api/leads/${lead.id}/routing`, { token: a.apiKey });
    expect(history.body.data[0]).toMatchObject({ outcome: 'not_serviceable', candidates: [] });
    const detail = await call(t.app, 'GET', `/api/leads/${lead.id}`, { token: a.apiKey });
    expect(detail.body.status).toBe('new');
  });

  it('manual picks are still checked against the rules; consent can name installers', async () => {
    const lead = await newLead({ consent: { terms: true, installerIds: [inst.good.id] } });
    const res = await route(lead.id, { mode: 'manual', installerIds: [inst.good.id, inst.best.id, inst.paused.id] });
    expect(res.status).toBe(201);
    const reasons = Object.fromEntries(
      res.body.decision.candidates.map((c: any) => [c.installerId, c.reason ?? 'selected']),
    );
    expect(reasons).toEqual({ [inst.good.id]: 'selected', [inst.best.id]: 'no_consent', [inst.paused.id]: 'inactive' });
  });

  it('daily caps are never exceeded', async () => {
    const capped = await installer('Capped Solar', { qualityScore: 100, capacity: { daily: 1 } });
    await call(t.app, 'PUT', `/api/installers/${capped.id}/regions`, {
      token: a.apiKey,
      body: { regionIds: [regionId] },
    });
    const first = await route((await newLead({ selectedPath: 'recommended' })).id);
    expect(first.body.assignments[0].installerId).toBe(capped.id);
    const second = await route((await newLead({ selectedPath: 'recommended' })).id);
    const c = second.body.decision.candidates.find((x: any) => x.installerId === capped.id);
    expect(c).toMatchObject({ selected: false, reason: 'cap_reached' });
    await call(t.app, 'PATCH', `/api/installers/${capped.id}`, { token: a.apiKey, body: { status: 'paused' } });
  });
});

describe('assignments, installer partners and follow-ups', () => {
  it('an installer partner sees only its own assignments and works one to an installed system', async () => {
    const user = await call(t.app, 'POST', '/api/admin/users', {
      token: a.apiKey,
      body: {
        email: 'crew@best.example',
        name: 'Best crew',
        password: 'long enough password',
        roles: ['installer-partner'],
        installerId: inst.best.id,
      },
    });
    expect(user.status).toBe(201);
    const login = await call(t.app, 'POST', '/api/auth/login', {
      body: { tenant: a.slug, email: 'crew@best.example', password: 'long enough password' },
    });
    const partner = login.body.token;
    const lead = await newLead({ selectedPath: 'compare_quotes' });
    const routed = await route(lead.id);
    const mine = routed.body.assignments.find((x: any) => x.installerId === inst.best.id);
    const theirs = routed.body.assignments.find((x: any) => x.installerId !== inst.best.id);

    const list = await call(t.app, 'GET', '/api/assignments', { token: partner });
    expect(list.status).toBe(200);
    expect(list.body.data.every((x: any) => x.installerId === inst.best.id)).toBe(true);
    expect((await call(t.app, 'GET', `/api/assignments/${theirs.id}`, { token: partner })).status).toBe(404);
    expect((await act(theirs.id, 'accept', partner)).status).toBe(404);
    expect((await call(t.app, 'GET', `/api/leads/${lead.id}`, { token: partner })).status).toBe(403);
    expect((await call(t.app, 'GET', '/api/installers', { token: partner })).status).toBe(403);

    const offer = await call(t.app, 'GET', `/api/assignments/${mine.id}`, { token: partner });
    expect(offer.body.lead.contact).toBeNull();
    expect((await act(mine.id, 'quote', partner)).body.code).toBe('assignment.invalid_transition');
    expect((await act(mine.id, 'accept', partner)).body.status).toBe('accepted');
    const accepted = await call(t.app, 'GET', `/api/assignments/${mine.id}`, { token: partner });
    expect(accepted.body.lead.contact.email).toBe(lead.contact.email);
    expect((await act(mine.id, 'contact', partner)).status).toBe(200);
    expect((await act(mine.id, 'quote', partner, { quote: { amount: 780000, currency: 'EUR' } })).body.quote).toEqual({
      amount: 780000,
      currency: 'EUR',
    });
    expect((await act(mine.id, 'win', partner)).status).toBe(200);
    expect((await call(t.app, 'GET', `/api/follow-ups?leadId=${lead.id}`, { token: a.apiKey })).body.data).toEqual([]);
    expect((await act(mine.id, 'schedule-install', partner, { scheduledFor: '2026-12-01T09:00:00Z' })).status).toBe(
      200,
    );
    expect((await call(t.app, 'GET', `/api/follow-ups?leadId=${lead.id}`, { token: a.apiKey })).body.data).toEqual([]);
    expect((await act(mine.id, 'confirm-install', partner)).body.status).toBe('installed');
    const fu = await call(t.app, 'GET', `/api/follow-ups?leadId=${lead.id}`, { token: a.apiKey });
    expect(fu.body.data).toEqual([
      expect.objectContaining({
        leadId: lead.id,
        assignmentId: mine.id,
        installerId: inst.best.id,
        status: 'scheduled',
      }),
    ]);
    const done = await call(t.app, 'PATCH', `/api/follow-ups/${fu.body.data[0].id}`, {
      token: a.apiKey,
      body: { satisfactionScore: 5, nps: 9 },
    });
    expect(done.body).toMatchObject({ status: 'responded', satisfactionScore: 5 });
    const mineFu = await call(t.app, 'GET', '/api/follow-ups', { token: partner });
    expect(mineFu.body.data.every((f: any) => f.installerId === inst.best.id)).toBe(true);
    const detail = await call(t.app, 'GET', `/api/leads/${lead.id}`, { token: a.apiKey });
    const events = detail.body.assignments.find((x: any) => x.id === mine.id).events.map((e: any) => e.toStatus);
    expect(events).toEqual(['offered', 'accepted', 'contacted', 'quoted', 'won', 'install_scheduled', 'installed']);
    expect(detail.body.followUps).toHaveLength(1);
  });

  it('when every assignment ends without a win the lead returns to qualified', async () => {
    const lead = await newLead({ selectedPath: 'compare_quotes' });
    const routed = await route(lead.id);
    for (const x of routed.body.assignments)
      expect((await act(x.id, 'decline', a.apiKey, { note: 'too far' })).status).toBe(200);
    const detail = await call(t.app, 'GET', `/api/leads/${lead.id}`, { token: a.apiKey });
    expect(detail.body.status).toBe('qualified');
  });

  it('an offer expires through the job queue deadline (expiry job enqueued with the offer)', async () => {
    const lead = await newLead({ selectedPath: 'recommended' });
    const routed = await route(lead.id);
    const id = routed.body.assignments[0].id;
    const jobs = await rows<{ n: number }>(
      t.db.db,
      sql`select count(*)::int as n from pgboss.job where name = 'assignment-expiry' and data->>'assignmentId' = ${id}`,
    );
    expect(jobs[0].n).toBe(1);
    await t.db.db.execute(sql`update lead_assignments set expires_at = now() - interval '1 second' where id = ${id}`);
    await expireOffer(t.db, a.tenantId, id);
    const after = await call(t.app, 'GET', `/api/assignments/${id}`, { token: a.apiKey });
    expect(after.body.status).toBe('expired');
    expect((await call(t.app, 'GET', `/api/leads/${lead.id}`, { token: a.apiKey })).body.status).toBe('qualified');
  });
});

describe('cross-tenant', () => {
  it('another tenant sees none of this tenant’s regions, installers, assignments or follow-ups', async () => {
    const b = await createTenant(t);
    const lead = await newLead({ selectedPath: 'recommended' });
    const routed = await route(lead.id);
    const asn = routed.body.assignments[0].id;
    const urls = [
      ['GET', `/api/regions/${regionId}`],
      ['PATCH', `/api/regions/${regionId}`, { name: 'x' }],
      ['PUT', `/api/regions/${regionId}/postcodes`, { country: 'IE', patterns: ['D08'] }],
      ['GET', `/api/installers/${inst.best.id}`],
      ['PATCH', `/api/installers/${inst.best.id}`, { name: 'x' }],
      ['GET', `/api/installers/${inst.best.id}/contacts`],
      ['POST', `/api/installers/${inst.best.id}/notes`, { kind: 'quality', body: 'x' }],
      ['PUT', `/api/installers/${inst.best.id}/regions`, { regionIds: [] }],
      ['POST', `/api/leads/${lead.id}/route`, {}],
      ['GET', `/api/leads/${lead.id}/routing`],
      ['GET', `/api/assignments/${asn}`],
      ['POST', `/api/assignments/${asn}/accept`, {}],
    ] as const;
    for (const [method, url, body] of urls) {
      const res = await call(t.app, method, url, { token: b.apiKey, body });
      expect(res.status, `${method} ${url}`).toBe(404);
    }
    for (const url of ['/api/regions', '/api/installers', '/api/assignments', '/api/follow-ups']) {
      const res = await call(t.app, 'GET', url, { token: b.apiKey });
      expect(res.body.data, url).toEqual([]);
    }
  });
});
