import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTask, type Staff, staffUser } from '../../../../test/crm-helpers.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../../test/helpers.ts';
import { rows } from '../../../platform/db.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent: Staff;

let seq = 0;
async function person(token: string, fullName = `Person ${++seq}`) {
  const res = await call(t.app, 'POST', '/api/crm/contacts', { token, body: { fullName } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}
async function account(token: string, body: Record<string, unknown> = {}) {
  const res = await call(t.app, 'POST', '/api/crm/accounts', {
    token,
    body: { name: `Account ${++seq}`, type: 'company', ...body },
  });
  expect(res.status).toBe(201);
  return res.body;
}
const patch = (token: string, id: string, body: unknown, headers?: Record<string, string>) =>
  call(t.app, 'PATCH', `/api/crm/accounts/${id}`, { token, body, headers });

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = [await createTenant(t), await createTenant(t)];
  agent = await staffUser(t, a, ['agent']);
});
afterAll(async () => t?.close());

describe('accounts and households', () => {
  it('creates every account type; the primary contact becomes a member', async () => {
    const ada = await person(a.apiKey, 'Ada Byrne');
    const res = await call(t.app, 'POST', '/api/crm/accounts', {
      token: a.apiKey,
      body: {
        name: 'Byrne household',
        type: 'household',
        billingAddress: { line1: '1 Main St', city: 'Dublin', country: 'IE' },
        primaryContactId: ada,
        metadata: { source: 'referral', tags: ['vip'] },
      },
    });
    expect(res.status).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    expect(res.headers.location).toBe(`/api/crm/accounts/${res.body.id}`);
    expect(res.body).toMatchObject({
      name: 'Byrne household',
      type: 'household',
      primaryContactId: ada,
      parentAccountId: null,
      billingAddress: { line1: '1 Main St', city: 'Dublin', country: 'IE' },
      metadata: { source: 'referral', tags: ['vip'] },
      version: 1,
    });
    const members = await call(t.app, 'GET', `/api/crm/accounts/${res.body.id}/members`, { token: a.apiKey });
    expect(members.body.data).toEqual([
      expect.objectContaining({ personId: ada, fullName: 'Ada Byrne', role: 'primary contact' }),
    ]);
    for (const type of ['company', 'nonprofit', 'government', 'educational', 'developer', 'brokerage']) {
      expect((await account(a.apiKey, { type })).type).toBe(type);
    }
    const bad = await call(t.app, 'POST', '/api/crm/accounts', { token: a.apiKey, body: { name: 'X', type: 'club' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('type');
  });

  it('references of another tenant (or none) are a 400 naming the path', async () => {
    const foreignPerson = await person(b.apiKey);
    const foreignAccount = (await account(b.apiKey)).id;
    for (const [field, id] of [
      ['parentAccountId', foreignAccount],
      ['primaryContactId', foreignPerson],
      ['parentAccountId', randomUUID()],
    ] as const) {
      const res = await call(t.app, 'POST', '/api/crm/accounts', {
        token: a.apiKey,
        body: { name: 'X', type: 'company', [field]: id },
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation.failed', errors: [{ path: field }] });
    }
  });

  it('PATCH honours If-Match, and a parent cycle is a 400', async () => {
    const top = await account(a.apiKey, { name: 'Group' });
    const mid = await account(a.apiKey, { name: 'Site A', parentAccountId: top.id });
    const leaf = await account(a.apiKey, { name: 'Site A annex', parentAccountId: mid.id });
    expect(leaf.parentAccountId).toBe(mid.id);
    const stale = await patch(a.apiKey, top.id, { name: 'Group plc' }, { 'if-match': '"5"' });
    expect(stale.status).toBe(412);
    const ok = await patch(a.apiKey, top.id, { name: 'Group plc', metadata: null }, { 'if-match': '"1"' });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    expect(ok.body).toMatchObject({ name: 'Group plc', version: 2 });
    for (const parent of [leaf.id, top.id]) {
      const cycle = await patch(a.apiKey, top.id, { parentAccountId: parent });
      expect(cycle.status).toBe(400);
      expect(cycle.body).toMatchObject({ code: 'account.parent_cycle', errors: [{ path: 'parentAccountId' }] });
    }
    const moved = await patch(a.apiKey, leaf.id, { parentAccountId: top.id });
    expect(moved.body.parentAccountId).toBe(top.id);
    const children = await call(t.app, 'GET', `/api/crm/accounts?parentAccountId=${top.id}`, { token: a.apiKey });
    expect(children.body.data.map((x: any) => x.id).sort()).toEqual([mid.id, leaf.id].sort());
  });

  it('lists with filters and a keyset cursor', async () => {
    await account(a.apiKey, { name: 'Findable Brokerage Ltd', type: 'brokerage' });
    const q = await call(t.app, 'GET', '/api/crm/accounts?q=findable&type=brokerage', { token: a.apiKey });
    expect(q.body.data.map((x: any) => x.name)).toEqual(['Findable Brokerage Ltd']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await call(t.app, 'GET', `/api/crm/accounts?limit=3${cursor ? `&cursor=${cursor}` : ''}`, {
        token: a.apiKey,
      });
      seen.push(...page.body.data.map((x: any) => x.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThan(6);
  });
});

describe('members', () => {
  it('adds (201), refuses a second membership (409), lists and removes (204)', async () => {
    const acc = await account(a.apiKey, { name: 'Solar Co', type: 'company' });
    const [p1, p2] = [await person(a.apiKey, 'Facilities Fran'), await person(a.apiKey, 'Employee Ed')];
    const url = `/api/crm/accounts/${acc.id}/members`;
    const added = await call(t.app, 'POST', url, {
      token: a.apiKey,
      body: { personId: p1, role: 'facilities manager', isBillingContact: true },
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      accountId: acc.id,
      personId: p1,
      role: 'facilities manager',
      isBillingContact: true,
    });
    await call(t.app, 'POST', url, { token: a.apiKey, body: { personId: p2, role: 'employee' } });
    const again = await call(t.app, 'POST', url, { token: a.apiKey, body: { personId: p1, role: 'employee' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('account.member_exists');
    const foreign = await call(t.app, 'POST', url, {
      token: a.apiKey,
      body: { personId: await person(b.apiKey), role: 'x' },
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors).toEqual([{ path: 'personId', message: 'no such person' }]);
    const page1 = await call(t.app, 'GET', `${url}?limit=1`, { token: a.apiKey });
    const page2 = await call(t.app, 'GET', `${url}?limit=1&cursor=${page1.body.nextCursor}`, { token: a.apiKey });
    expect([...page1.body.data, ...page2.body.data].map((m: any) => m.personId).sort()).toEqual([p1, p2].sort());
    expect(page2.body.nextCursor).toBeNull();
    const removed = await call(t.app, 'DELETE', `${url}/${p1}`, { token: a.apiKey });
    expect(removed.status).toBe(204);
    expect((await call(t.app, 'DELETE', `${url}/${p1}`, { token: a.apiKey })).body.code).toBe(
      'account.member_not_found',
    );
    const left = await call(t.app, 'GET', url, { token: a.apiKey });
    expect(left.body.data.map((m: any) => m.personId)).toEqual([p2]);
  });

  it('removing the primary contact ends that role too', async () => {
    const p = await person(a.apiKey);
    const acc = await account(a.apiKey, { type: 'household', primaryContactId: p });
    expect((await call(t.app, 'DELETE', `/api/crm/accounts/${acc.id}/members/${p}`, { token: a.apiKey })).status).toBe(
      204,
    );
    const after = await call(t.app, 'GET', `/api/crm/accounts/${acc.id}`, { token: a.apiKey });
    expect(after.body).toMatchObject({ primaryContactId: null, version: 2 });
  });
});

describe('relationships', () => {
  it('creates (201) a directed relationship, seen from both sides; self 400, duplicate 409', async () => {
    const [ada, bob] = [await person(a.apiKey, 'Ada'), await person(a.apiKey, 'Bob')];
    const rel = await call(t.app, 'POST', '/api/crm/relationships', {
      token: a.apiKey,
      body: { fromPersonId: ada, toPersonId: bob, kind: 'spouse' },
    });
    expect(rel.status).toBe(201);
    expect(rel.body).toMatchObject({ fromPersonId: ada, toPersonId: bob, kind: 'spouse' });
    const self = await call(t.app, 'POST', '/api/crm/relationships', {
      token: a.apiKey,
      body: { fromPersonId: ada, toPersonId: ada, kind: 'spouse' },
    });
    expect(self.status).toBe(400);
    expect(self.body).toMatchObject({ code: 'relationship.self', errors: [{ path: 'toPersonId' }] });
    const dup = await call(t.app, 'POST', '/api/crm/relationships', {
      token: a.apiKey,
      body: { fromPersonId: ada, toPersonId: bob, kind: 'spouse' },
    });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'relationship.exists', existingRelationshipId: rel.body.id });
    const foreign = await call(t.app, 'POST', '/api/crm/relationships', {
      token: a.apiKey,
      body: { fromPersonId: ada, toPersonId: await person(b.apiKey), kind: 'colleague' },
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors).toEqual([{ path: 'toPersonId', message: 'no such person' }]);

    const fromBob = await call(t.app, 'GET', `/api/crm/contacts/${bob}/relationships`, { token: a.apiKey });
    expect(fromBob.body.data).toEqual([
      expect.objectContaining({ id: rel.body.id, direction: 'incoming', otherPerson: { id: ada, fullName: 'Ada' } }),
    ]);
    expect((await call(t.app, 'DELETE', `/api/crm/relationships/${rel.body.id}`, { token: a.apiKey })).status).toBe(
      204,
    );
    const none = await call(t.app, 'GET', `/api/crm/contacts/${ada}/relationships`, { token: a.apiKey });
    expect(none.body.data).toEqual([]);
  });
});

describe('property interests', () => {
  it('records interests with at least one reference, lists and removes them', async () => {
    const p = await person(a.apiKey);
    const url = `/api/crm/contacts/${p}/property-interests`;
    const res = await call(t.app, 'POST', url, {
      token: a.apiKey,
      body: { inventoryProjectRef: 'INV-PRJ-7', inventoryUnitRef: 'U-12', level: 'high', notes: 'south-facing' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ personId: p, inventoryUnitRef: 'U-12', level: 'high', productCode: null });
    await call(t.app, 'POST', url, { token: a.apiKey, body: { productCode: 'battery_storage', level: 'low' } });
    const none = await call(t.app, 'POST', url, { token: a.apiKey, body: { level: 'medium', notes: 'x' } });
    expect(none.status).toBe(400);
    expect(none.body.errors[0].path).toBe('inventoryProjectRef');
    expect((await call(t.app, 'POST', url, { token: a.apiKey, body: { productCode: 'x' } })).status).toBe(400);
    const list = await call(t.app, 'GET', url, { token: a.apiKey });
    expect(list.body.data.map((x: any) => x.productCode)).toEqual(['battery_storage', null]);
    expect((await call(t.app, 'DELETE', `${url}/${res.body.id}`, { token: a.apiKey })).status).toBe(204);
    expect((await call(t.app, 'DELETE', `${url}/${res.body.id}`, { token: a.apiKey })).status).toBe(404);
  });
});

describe('tenancy and record scope', () => {
  it('another tenant: 404 on every id route, nothing in its lists', async () => {
    const p = await person(a.apiKey);
    const acc = await account(a.apiKey, { primaryContactId: p });
    const rel = await call(t.app, 'POST', '/api/crm/relationships', {
      token: a.apiKey,
      body: { fromPersonId: p, toPersonId: await person(a.apiKey), kind: 'colleague' },
    });
    const pi = await call(t.app, 'POST', `/api/crm/contacts/${p}/property-interests`, {
      token: a.apiKey,
      body: { productCode: 'solar_pv', level: 'medium' },
    });
    const theirs = await person(b.apiKey);
    const tk = b.apiKey;
    const attempts = [
      call(t.app, 'GET', `/api/crm/accounts/${acc.id}`, { token: tk }),
      call(t.app, 'PATCH', `/api/crm/accounts/${acc.id}`, { token: tk, body: { name: 'x' } }),
      call(t.app, 'GET', `/api/crm/accounts/${acc.id}/members`, { token: tk }),
      call(t.app, 'POST', `/api/crm/accounts/${acc.id}/members`, { token: tk, body: { personId: theirs, role: 'x' } }),
      call(t.app, 'DELETE', `/api/crm/accounts/${acc.id}/members/${p}`, { token: tk }),
      call(t.app, 'DELETE', `/api/crm/relationships/${rel.body.id}`, { token: tk }),
      call(t.app, 'GET', `/api/crm/contacts/${p}/relationships`, { token: tk }),
      call(t.app, 'GET', `/api/crm/contacts/${p}/property-interests`, { token: tk }),
      call(t.app, 'POST', `/api/crm/contacts/${p}/property-interests`, {
        token: tk,
        body: { productCode: 'x', level: 'low' },
      }),
      call(t.app, 'DELETE', `/api/crm/contacts/${p}/property-interests/${pi.body.id}`, { token: tk }),
    ];
    for (const res of await Promise.all(attempts)) expect(res.status).toBe(404);
    const list = await call(t.app, 'GET', '/api/crm/accounts?limit=200', { token: tk });
    expect(list.body.data.some((x: any) => x.id === acc.id)).toBe(false);
    const members = await rows<{ n: number }>(
      t.db.db,
      sql`select count(*)::int as n from account_members where account_id = ${acc.id}`,
    );
    expect(members[0].n).toBe(1);
  });

  it('an agent sees accounts through the people in their scope (and new, empty ones)', async () => {
    const mine = await person(agent.token, 'Agent Client');
    const other = await person(a.apiKey, 'Not Theirs');
    const tasked = await person(a.apiKey, 'Tasked Client');
    await insertTask(t, a.tenantId, tasked, { assigneeUserId: agent.id });
    const shared = await account(a.apiKey, { name: 'Shared household', type: 'household', primaryContactId: mine });
    await call(t.app, 'POST', `/api/crm/accounts/${shared.id}/members`, {
      token: a.apiKey,
      body: { personId: other, role: 'owner' },
    });
    const hidden = await account(a.apiKey, { name: 'Hidden household', type: 'household', primaryContactId: other });
    const viaTask = await account(a.apiKey, { name: 'Via task', primaryContactId: tasked });
    const fresh = await account(agent.token, { name: 'Agent new company' });

    const ids = (await call(t.app, 'GET', '/api/crm/accounts?limit=200', { token: agent.token })).body.data.map(
      (x: any) => x.id,
    );
    expect(ids).toEqual(expect.arrayContaining([shared.id, viaTask.id, fresh.id]));
    expect(ids).not.toContain(hidden.id);
    expect((await call(t.app, 'GET', `/api/crm/accounts/${hidden.id}`, { token: agent.token })).status).toBe(404);
    // Members out of the agent's scope are left out of the list; a member can't be added if not theirs.
    const members = await call(t.app, 'GET', `/api/crm/accounts/${shared.id}/members`, { token: agent.token });
    expect(members.body.data.map((m: any) => m.personId)).toEqual([mine]);
    const add = await call(t.app, 'POST', `/api/crm/accounts/${fresh.id}/members`, {
      token: agent.token,
      body: { personId: other, role: 'employee' },
    });
    expect(add.status).toBe(400);
    const rel = await call(t.app, 'POST', '/api/crm/relationships', {
      token: agent.token,
      body: { fromPersonId: mine, toPersonId: other, kind: 'spouse' },
    });
    expect(rel.status).toBe(400);
    expect(rel.body.errors).toEqual([{ path: 'toPersonId', message: 'no such person' }]);
    expect(
      (await call(t.app, 'GET', `/api/crm/contacts/${other}/property-interests`, { token: agent.token })).status,
    ).toBe(404);
  });
});
