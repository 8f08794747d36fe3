import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertOpportunity, insertTask, type Staff, staffUser } from '../../../../test/crm-helpers.ts';
import {
  call,
  createTenant,
  createTestApp,
  intakeBody,
  type TestApp,
  type TestTenant,
} from '../../../../test/helpers.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent: Staff;
let crmReader: Staff;

/** A converted, routed client with a spouse, interactions, scores, an opportunity and tasks. */
const c: Record<string, any> = {};

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = [await createTenant(t), await createTenant(t)];
  const role = await call(t.app, 'PUT', '/api/admin/roles/crm-reader', {
    token: a.apiKey,
    body: { name: 'CRM reader', scope: 'all', capabilities: ['crm:read'] },
  });
  expect(role.status).toBe(200);
  [agent, crmReader] = await Promise.all([staffUser(t, a, ['agent']), staffUser(t, a, ['crm-reader'])]);

  const region = await call(t.app, 'POST', '/api/regions', {
    token: a.apiKey,
    body: { code: 'dublin', name: 'Dublin', country: 'IE' },
  });
  await call(t.app, 'PUT', `/api/regions/${region.body.id}/postcodes`, {
    token: a.apiKey,
    body: { country: 'IE', patterns: ['D02'] },
  });
  const installer = await call(t.app, 'POST', '/api/installers', {
    token: a.apiKey,
    body: { name: 'Sunny Roofs', services: ['solar_pv'], status: 'active' },
  });
  await call(t.app, 'PUT', `/api/installers/${installer.body.id}/regions`, {
    token: a.apiKey,
    body: { regionIds: [region.body.id] },
  });
  c.installerId = installer.body.id;

  const lead = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body: intakeBody() });
  expect(lead.status).toBe(201);
  c.lead = lead.body;
  c.personId = lead.body.personId;
  const routed = await call(t.app, 'POST', `/api/leads/${c.lead.id}/route`, { token: a.apiKey, body: {} });
  expect(routed.status).toBe(201);
  const converted = await call(t.app, 'POST', `/api/leads/${c.lead.id}/convert`, { token: a.apiKey });
  expect(converted.status).toBe(201);
  c.conversion = converted.body;

  const spouse = await call(t.app, 'POST', '/api/crm/contacts', {
    token: a.apiKey,
    body: { fullName: 'Bob Byrne', email: 'bob.byrne@example.com' },
  });
  c.spouseId = spouse.body.id;
  expect(
    (
      await call(t.app, 'POST', `/api/crm/accounts/${c.conversion.accountId}/members`, {
        token: a.apiKey,
        body: { personId: c.spouseId, role: 'owner' },
      })
    ).status,
  ).toBe(201);
  const rel = await call(t.app, 'POST', '/api/crm/relationships', {
    token: a.apiKey,
    body: { fromPersonId: c.personId, toPersonId: c.spouseId, kind: 'spouse' },
  });
  expect(rel.status).toBe(201);
  c.relationshipId = rel.body.id;

  for (let i = 0; i < 23; i++) {
    const res = await call(t.app, 'POST', '/api/crm/interactions', {
      token: a.apiKey,
      body: {
        personId: c.personId,
        channel: i % 2 ? 'email' : 'phone',
        type: 'follow_up',
        happenedAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
        leadId: c.lead.id,
      },
    });
    expect(res.status).toBe(201);
  }
  await call(t.app, 'POST', `/api/crm/qd/${c.personId}`, {
    token: a.apiKey,
    body: { scoreType: 'intent', value: 0.6 },
  });
  c.opportunityId = await insertOpportunity(t, a.tenantId, c.personId, { accountId: c.conversion.accountId });
  c.taskId = await insertTask(t, a.tenantId, c.personId, { assigneeUserId: agent.id });
  c.doneTaskId = await insertTask(t, a.tenantId, c.personId, { status: 'done' });
});
afterAll(async () => t?.close());

describe('client 360', () => {
  it('returns every part, each from its owner, bounded, with counts', async () => {
    const res = await call(t.app, 'GET', `/api/crm/client-360/${c.personId}`, { token: a.apiKey });
    expect(res.status).toBe(200);
    const d = res.body;
    expect(d.person).toMatchObject({ id: c.personId, email: c.lead.contact.email });
    expect(d.accounts).toEqual([
      expect.objectContaining({ id: c.conversion.accountId, type: 'household', role: 'owner', isBillingContact: true }),
    ]);
    expect(d.relationships).toEqual([
      expect.objectContaining({
        id: c.relationshipId,
        kind: 'spouse',
        direction: 'outgoing',
        otherPerson: { id: c.spouseId, fullName: 'Bob Byrne' },
      }),
    ]);
    expect(d.leads).toHaveLength(1);
    expect(d.leads[0]).toMatchObject({ id: c.lead.id, reference: c.lead.reference, status: 'converted' });
    expect(d.leads[0].routing.state).toBe('active');
    expect(d.leads[0].routing.assignments).toEqual([
      expect.objectContaining({ installerId: c.installerId, status: 'offered' }),
    ]);
    expect(d.opportunities).toEqual([
      expect.objectContaining({
        id: c.opportunityId,
        stage: 'new',
        stageName: 'New',
        status: 'open',
        value: { amount: 950000, currency: 'EUR' },
      }),
    ]);
    expect(d.projects).toEqual([
      expect.objectContaining({ id: c.conversion.projectId, stage: 'design', stageName: 'Design', status: 'open' }),
    ]);
    const taskIds = d.tasks.map((x: any) => x.id);
    expect(taskIds).toContain(c.taskId);
    expect(taskIds).not.toContain(c.doneTaskId);
    expect(d.tasks.every((x: any) => x.status === 'open')).toBe(true);
    expect(d.interactions).toHaveLength(20);
    expect(d.interactions[0].happenedAt).toBe('2026-01-23T00:00:00.000Z');
    expect(d.scores).toEqual([expect.objectContaining({ scoreType: 'intent', value: 0.6 })]);
    expect(d.counts).toMatchObject({ interactions: 23, opportunities: 1, openOpportunities: 1 });
    expect(d.counts.openTasks).toBe(d.tasks.length);
  });

  it('the spouse finds the household and the relationship from the other side', async () => {
    const res = await call(t.app, 'GET', `/api/crm/client-360/${c.spouseId}`, { token: a.apiKey });
    expect(res.body.accounts.map((x: any) => [x.id, x.role])).toEqual([[c.conversion.accountId, 'owner']]);
    expect(res.body.relationships[0]).toMatchObject({ direction: 'incoming', otherPerson: { id: c.personId } });
    expect(res.body.projects.map((p: any) => p.id)).toEqual([c.conversion.projectId]);
    expect(res.body).toMatchObject({ leads: [], opportunities: [], interactions: [], scores: [] });
  });

  it('leaves leads out for a caller without leads:read', async () => {
    const res = await call(t.app, 'GET', `/api/crm/client-360/${c.personId}`, { token: crmReader.token });
    expect(res.status).toBe(200);
    expect(res.body.leads).toEqual([]);
    expect(res.body.interactions).toHaveLength(20);
  });

  it('for an agent: only people in scope, and only the parts of them in scope', async () => {
    const res = await call(t.app, 'GET', `/api/crm/client-360/${c.personId}`, { token: agent.token });
    expect(res.status).toBe(200);
    // The spouse is not the agent's: the relationship is left out; the lead is not assigned to them.
    expect(res.body.relationships).toEqual([]);
    expect(res.body.leads).toEqual([]);
    expect((await call(t.app, 'GET', `/api/crm/client-360/${c.spouseId}`, { token: agent.token })).status).toBe(404);
  });

  it('is a 404 for another tenant and for an unknown person; needs crm:read', async () => {
    const other = await call(t.app, 'GET', `/api/crm/client-360/${c.personId}`, { token: b.apiKey });
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('person.not_found');
    expect((await call(t.app, 'GET', `/api/crm/client-360/${c.installerId}`, { token: a.apiKey })).status).toBe(404);
    expect((await call(t.app, 'GET', `/api/crm/client-360/not-a-uuid`, { token: a.apiKey })).status).toBe(400);
    expect((await call(t.app, 'GET', `/api/crm/client-360/${c.personId}`)).status).toBe(401);
  });
});
