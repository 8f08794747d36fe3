import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, intakeBody, type TestApp, type TestTenant } from '../../../test/helpers.ts';

let t: TestApp;
let a: TestTenant;

interface Staff {
  id: string;
  token: string;
}
let agent1: Staff;
let agent2: Staff;
let analystKey: string;
let partner: Staff;
let partnerReader: Staff;

/** Leads: assigned to agent1 by the owner; unassigned; created by agent1; created by agent2; public, assigned to agent2. */
const L: Record<'assigned1' | 'unassigned' | 'created1' | 'created2' | 'public2', string> = {} as any;
const refs: Record<string, string> = {};

const PASSWORD = 'a long enough password';

async function staffUser(roles: string[], installerId?: string): Promise<Staff> {
  const email = `${roles[0]}.${Math.random().toString(36).slice(2, 8)}@${a.slug}.example`;
  const created = await call(t.app, 'POST', '/api/admin/users', {
    token: a.apiKey,
    body: {
      email,
      name: `User ${roles.join('+')}`,
      password: PASSWORD,
      roles,
      ...(installerId ? { installerId } : {}),
    },
  });
  expect(created.status).toBe(201);
  const login = await call(t.app, 'POST', '/api/auth/login', {
    body: { tenant: a.slug, email, password: PASSWORD },
  });
  expect(login.status).toBe(200);
  return { id: created.body.id, token: login.body.token };
}

async function createLead(token: string, body: Record<string, unknown> = intakeBody()) {
  const res = await call(t.app, 'POST', '/api/leads', { token, body });
  expect(res.status).toBe(201);
  refs[res.body.id] = res.body.reference;
  return res.body.id as string;
}

async function assign(id: string, userId: string) {
  const res = await call(t.app, 'POST', `/api/leads/${id}/assign`, { token: a.apiKey, body: { userId } });
  expect(res.status).toBe(200);
}

const listIds = async (token: string, query = '') => {
  const res = await call(t.app, 'GET', `/api/leads?limit=200${query}`, { token });
  expect(res.status).toBe(200);
  return (res.body.data as { id: string }[]).map((l) => l.id).sort();
};

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
  const reader = await call(t.app, 'PUT', '/api/admin/roles/partner-reader', {
    token: a.apiKey,
    body: { name: 'Partner with lead read', scope: 'installer', capabilities: ['leads:read', 'assignments:read'] },
  });
  expect(reader.status).toBe(200);
  // Partner users belong to an installer.
  const installer = await call(t.app, 'POST', '/api/installers', {
    token: a.apiKey,
    body: { name: 'Sunny Roofs Ltd', services: ['solar_pv'] },
  });
  expect(installer.status).toBe(201);
  [agent1, agent2, partner, partnerReader] = await Promise.all([
    staffUser(['agent']),
    staffUser(['agent']),
    staffUser(['installer-partner'], installer.body.id),
    staffUser(['partner-reader'], installer.body.id),
  ]);
  const key = await call(t.app, 'POST', '/api/admin/api-keys', {
    token: a.apiKey,
    body: { name: 'analyst key', roles: ['analyst'] },
  });
  expect(key.status).toBe(201);
  analystKey = key.body.secret;

  L.assigned1 = await createLead(a.apiKey);
  await assign(L.assigned1, agent1.id);
  L.unassigned = await createLead(a.apiKey);
  L.created1 = await createLead(agent1.token);
  L.created2 = await createLead(agent2.token);
  const pub = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body: intakeBody() });
  expect(pub.status).toBe(201);
  const found = await call(t.app, 'GET', `/api/leads?q=${pub.body.reference}`, { token: a.apiKey });
  L.public2 = found.body.data[0].id;
  refs[L.public2] = pub.body.reference;
  await assign(L.public2, agent2.id);
});
afterAll(async () => t?.close());

describe('record scope own (agent)', () => {
  it('lists only the leads assigned to or created by the agent', async () => {
    expect(await listIds(agent1.token)).toEqual([L.assigned1, L.created1].sort());
    expect(await listIds(agent2.token)).toEqual([L.created2, L.public2].sort());
    expect(await listIds(a.apiKey)).toEqual(Object.values(L).sort());
    // Filters and search never widen the scope.
    expect(await listIds(agent1.token, `&assignedUserId=${agent2.id}`)).toEqual([]);
    expect(await listIds(agent1.token, `&q=${refs[L.unassigned]}`)).toEqual([]);
    expect(await listIds(agent1.token, `&q=${refs[L.created2]}`)).toEqual([]);
    expect(await listIds(agent1.token, '&status=new')).toEqual([L.assigned1, L.created1].sort());
  });

  it('answers 404 for every read and write of another’s lead', async () => {
    for (const id of [L.unassigned, L.created2, L.public2]) {
      const requests: [string, string, unknown?][] = [
        ['GET', `/api/leads/${id}`],
        ['PATCH', `/api/leads/${id}`, { note: 'mine now' }],
        ['POST', `/api/leads/${id}/transitions`, { to: 'contacted' }],
        ['GET', `/api/leads/${id}/events`],
        ['GET', `/api/leads/${id}/submissions`],
        ['DELETE', `/api/leads/${id}`],
      ];
      for (const [method, url, body] of requests) {
        const res = await call(t.app, method as any, url, { token: agent1.token, body });
        expect(res.status, `${method} ${url}`).toBe(404);
        expect(res.body.code).toBe('lead.not_found');
      }
    }
    const untouched = await call(t.app, 'GET', `/api/leads/${L.created2}`, { token: a.apiKey });
    expect(untouched.body).toMatchObject({ status: 'new', note: null, version: 1 });
  });

  it('reads and works its own leads', async () => {
    for (const id of [L.assigned1, L.created1]) {
      expect((await call(t.app, 'GET', `/api/leads/${id}`, { token: agent1.token })).status).toBe(200);
      expect((await call(t.app, 'GET', `/api/leads/${id}/events`, { token: agent1.token })).status).toBe(200);
    }
    const patched = await call(t.app, 'PATCH', `/api/leads/${L.created1}`, {
      token: agent1.token,
      body: { note: 'called, call back Friday' },
    });
    expect(patched.status).toBe(200);
    const moved = await call(t.app, 'POST', `/api/leads/${L.assigned1}/transitions`, {
      token: agent1.token,
      body: { to: 'contacted' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.status).toBe('contacted');
  });

  it('cannot assign, convert or erase (capabilities it lacks are 403)', async () => {
    const viaPatch = await call(t.app, 'PATCH', `/api/leads/${L.created1}`, {
      token: agent1.token,
      body: { assignedUserId: agent2.id },
    });
    expect(viaPatch.status).toBe(403);
    const viaCreate = await call(t.app, 'POST', '/api/leads', {
      token: agent1.token,
      body: { ...intakeBody(), assignedUserId: agent2.id },
    });
    expect(viaCreate.status).toBe(403);
    for (const action of ['assign', 'convert', 'erase']) {
      const res = await call(t.app, 'POST', `/api/leads/${L.created1}/${action}`, {
        token: agent1.token,
        body: action === 'assign' ? { userId: agent1.id } : undefined,
      });
      expect(res.status, action).toBe(403);
    }
  });

  it('loses sight of a lead reassigned away (when it did not create it)', async () => {
    const id = await createLead(a.apiKey);
    await assign(id, agent1.id);
    expect((await call(t.app, 'GET', `/api/leads/${id}`, { token: agent1.token })).status).toBe(200);
    await assign(id, agent2.id);
    expect((await call(t.app, 'GET', `/api/leads/${id}`, { token: agent1.token })).status).toBe(404);
    expect((await call(t.app, 'GET', `/api/leads/${id}`, { token: agent2.token })).status).toBe(200);
    expect(await listIds(agent1.token)).not.toContain(id);
    // The creator keeps seeing its lead after it is assigned to someone else.
    await assign(L.created1, agent2.id);
    expect((await call(t.app, 'GET', `/api/leads/${L.created1}`, { token: agent1.token })).status).toBe(200);
    expect((await call(t.app, 'GET', `/api/leads/${L.created1}`, { token: agent2.token })).status).toBe(200);
  });
});

describe('analyst', () => {
  it('reads every lead but every write is 403', async () => {
    expect((await listIds(analystKey)).length).toBeGreaterThanOrEqual(5);
    expect((await call(t.app, 'GET', `/api/leads/${L.unassigned}`, { token: analystKey })).status).toBe(200);
    expect((await call(t.app, 'GET', `/api/leads/${L.unassigned}/submissions`, { token: analystKey })).status).toBe(
      200,
    );
    const writes: [string, string, unknown?][] = [
      ['POST', '/api/leads', intakeBody()],
      ['PATCH', `/api/leads/${L.unassigned}`, { note: 'x' }],
      ['POST', `/api/leads/${L.unassigned}/transitions`, { to: 'contacted' }],
      ['POST', `/api/leads/${L.unassigned}/assign`, { userId: agent1.id }],
      ['POST', `/api/leads/${L.unassigned}/convert`],
      ['POST', `/api/leads/${L.unassigned}/erase`],
    ];
    for (const [method, url, body] of writes) {
      const res = await call(t.app, method as any, url, { token: analystKey, body });
      expect(res.status, `${method} ${url}`).toBe(403);
      expect(res.body.code).toMatch(/forbidden/);
    }
    const lead = await call(t.app, 'GET', `/api/leads/${L.unassigned}`, { token: a.apiKey });
    expect(lead.body).toMatchObject({ status: 'new', version: 1, assignedUserId: null });
  });
});

describe('installer partner', () => {
  it('the default role sees no leads', async () => {
    expect((await call(t.app, 'GET', '/api/leads', { token: partner.token })).status).toBe(403);
    expect((await call(t.app, 'GET', `/api/leads/${L.unassigned}`, { token: partner.token })).status).toBe(403);
  });

  it('an installer-scoped role with leads:read still sees none', async () => {
    expect(await listIds(partnerReader.token)).toEqual([]);
    for (const id of Object.values(L)) {
      const res = await call(t.app, 'GET', `/api/leads/${id}`, { token: partnerReader.token });
      expect(res.status).toBe(404);
    }
  });
});
