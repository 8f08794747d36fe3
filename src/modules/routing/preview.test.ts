import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, intakeBody, type TestApp, type TestTenant } from '../../../test/helpers.ts';
import { rows } from '../../platform/db.ts';

/** POST /api/leads/{id}/route/preview: the routing engine's real decision, as a dry run that writes nothing. */
let t: TestApp;
let a: TestTenant;
let other: TestTenant;
const inst: Record<string, any> = {};

async function installer(
  tenant: TestTenant,
  name: string,
  regionId: string | null,
  body: Record<string, unknown> = {},
) {
  const res = await call(t.app, 'POST', '/api/installers', {
    token: tenant.apiKey,
    body: { name, services: ['solar_pv'], status: 'active', ...body },
  });
  expect(res.status).toBe(201);
  if (regionId) {
    const cov = await call(t.app, 'PUT', `/api/installers/${res.body.id}/regions`, {
      token: tenant.apiKey,
      body: { regionIds: [regionId] },
    });
    expect(cov.status).toBe(200);
  }
  return res.body;
}

async function region(tenant: TestTenant) {
  const r = await call(t.app, 'POST', '/api/regions', {
    token: tenant.apiKey,
    body: { code: 'dublin-south', name: 'Dublin South', country: 'IE' },
  });
  await call(t.app, 'PUT', `/api/regions/${r.body.id}/postcodes`, {
    token: tenant.apiKey,
    body: { country: 'IE', patterns: ['D02'] },
  });
  return r.body.id as string;
}

async function newLead(tenant: TestTenant, over: Record<string, any> = {}) {
  const res = await call(t.app, 'POST', '/api/leads', { token: tenant.apiKey, body: intakeBody(over) });
  expect(res.status).toBe(201);
  return res.body;
}

const preview = (tenant: TestTenant, leadId: string, body: unknown = {}, token = tenant.apiKey) =>
  call(t.app, 'POST', `/api/leads/${leadId}/route/preview`, { token, body });
const route = (tenant: TestTenant, leadId: string, body: unknown = {}) =>
  call(t.app, 'POST', `/api/leads/${leadId}/route`, { token: tenant.apiKey, body });

/** The rows a route writes, counted for the tenant. */
async function written(tenant: TestTenant) {
  return t.db.tenantTx(tenant.tenantId, async (tx) => {
    const [counts] = await rows<Record<string, number>>(
      tx,
      sql`select
        (select count(*)::int from routing_decisions where tenant_id = ${tenant.tenantId}) as decisions,
        (select count(*)::int from lead_assignments where tenant_id = ${tenant.tenantId}) as assignments,
        (select count(*)::int from assignment_events where tenant_id = ${tenant.tenantId}) as assignment_events,
        (select count(*)::int from audit_events where tenant_id = ${tenant.tenantId}) as audit,
        (select count(*)::int from outbox_events where tenant_id = ${tenant.tenantId}) as events`,
    );
    return counts;
  });
}

/** What a decision's candidates look like, without the preview's display names. */
const asDecided = (candidates: any[]) => candidates.map(({ installerName: _name, ...c }) => c);

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t, undefined, { rerouteOnDecline: false });
  other = await createTenant(t);
  const regionId = await region(a);
  inst.capped = await installer(a, 'Capped Solar', regionId, { qualityScore: 100, capacity: { daily: 1 } });
  inst.good = await installer(a, 'Good Solar', regionId, { qualityScore: 80 });
  inst.ok = await installer(a, 'OK Solar', regionId, { qualityScore: 60 });
  inst.heat = await installer(a, 'Heat Only', regionId, { services: ['heat_pump'], qualityScore: 99 });
  inst.far = await installer(a, 'Far Away Solar', null, { qualityScore: 99 });
});
afterAll(async () => t?.close());

describe('routing preview', () => {
  it('is the decision a real route then makes, and writes nothing', async () => {
    const lead = await newLead(a, { selectedPath: 'recommended' });
    const before = await written(a);
    const res = await preview(a, lead.id);
    expect(res.status).toBe(200);
    expect(await written(a)).toEqual(before);
    expect(res.body.preview).toMatchObject({ mode: 'recommended', strategy: 'weighted', slots: 1 });
    const byId = Object.fromEntries(res.body.preview.candidates.map((c: any) => [c.installerId, c]));
    expect(byId[inst.capped.id]).toMatchObject({ selected: true, installerName: 'Capped Solar' });
    expect(byId[inst.heat.id]).toMatchObject({ selected: false, reason: 'service_not_offered' });
    expect(byId[inst.good.id]).toMatchObject({ selected: false, reason: 'not_selected' });
    // Previewing again changes nothing either: no state moved.
    expect((await preview(a, lead.id)).body).toEqual(res.body);

    const routed = await route(a, lead.id);
    expect(routed.status).toBe(201);
    expect(routed.body.decision.candidates).toEqual(asDecided(res.body.preview.candidates));
    expect(routed.body.assignments.map((x: any) => x.installerId)).toEqual([inst.capped.id]);
  });

  it('counts caps without reserving them: cap_reached appears, and the route agrees', async () => {
    const lead = await newLead(a, { selectedPath: 'compare_quotes' });
    const before = await written(a);
    const res = await preview(a, lead.id);
    expect(await written(a)).toEqual(before);
    expect(res.body.preview).toMatchObject({ mode: 'compare_quotes' });
    const byId = Object.fromEntries(res.body.preview.candidates.map((c: any) => [c.installerId, c]));
    expect(byId[inst.capped.id]).toMatchObject({ selected: false, reason: 'cap_reached' });
    expect(byId[inst.good.id]).toMatchObject({ selected: true });
    const routed = await route(a, lead.id);
    expect(routed.body.decision.candidates).toEqual(asDecided(res.body.preview.candidates));
    // The lead's own offers now show up as already_assigned in the next preview.
    const again = await preview(a, lead.id, { mode: 'compare_quotes' });
    const reasons = Object.fromEntries(again.body.preview.candidates.map((c: any) => [c.installerId, c.reason]));
    expect(reasons[inst.good.id]).toBe('already_assigned');
  });

  it('follows the mode asked for: manual picks, with no_coverage for an installer outside the region', async () => {
    const lead = await newLead(a);
    const body = { mode: 'manual', installerIds: [inst.far.id, inst.ok.id] };
    const res = await preview(a, lead.id, body);
    expect(res.status).toBe(200);
    const reasons = Object.fromEntries(
      res.body.preview.candidates.map((c: any) => [c.installerName, c.reason ?? 'selected']),
    );
    expect(reasons).toEqual({ 'Far Away Solar': 'no_coverage', 'OK Solar': 'selected' });
    const routed = await route(a, lead.id, body);
    expect(routed.body.decision.candidates).toEqual(asDecided(res.body.preview.candidates));
    // The same validation as the route.
    const bad = { mode: 'manual' };
    expect((await preview(a, lead.id, bad)).status).toBe(400);
    expect((await route(a, lead.id, bad)).status).toBe(400);
  });

  it('round robin: names who WOULD be picked given the current counters', async () => {
    const rr = await createTenant(t, undefined, { routingStrategy: 'round_robin' });
    const regionId = await region(rr);
    const one = await installer(rr, 'One', regionId);
    const two = await installer(rr, 'Two', regionId);
    for (let i = 0; i < 3; i++) {
      const lead = await newLead(rr, { selectedPath: 'recommended' });
      const p = await preview(rr, lead.id);
      expect(p.body.preview.strategy).toBe('round_robin');
      const picked = p.body.preview.candidates.filter((c: any) => c.selected).map((c: any) => c.installerId);
      const routed = await route(rr, lead.id);
      expect(routed.body.assignments.map((x: any) => x.installerId)).toEqual(picked);
      expect(routed.body.decision.candidates).toEqual(asDecided(p.body.preview.candidates));
    }
    void one;
    void two;
  });

  it('needs routing:decide (403), and another tenant’s or an unknown lead is a 404', async () => {
    const lead = await newLead(a);
    const key = await call(t.app, 'POST', '/api/admin/api-keys', {
      token: a.apiKey,
      body: { name: 'Analyst key', roles: ['analyst'] },
    });
    expect(key.status).toBe(201);
    expect((await preview(a, lead.id, {}, key.body.secret)).status).toBe(403);
    const cross = await preview(other, lead.id);
    expect(cross.status).toBe(404);
    expect(cross.body.code).toBe('lead.not_found');
    expect((await preview(a, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
