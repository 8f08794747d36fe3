import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingTx, insertOpportunity, insertTask, type Staff, staffUser } from '../../../../test/crm-helpers.ts';
import {
  call,
  createTenant,
  createTestApp,
  intakeBody,
  type TestApp,
  type TestTenant,
} from '../../../../test/helpers.ts';
import { systemActor } from '../../../platform/context.ts';
import { rows } from '../../../platform/db.ts';
import { listContactsWithSummaries } from '../../../workflows/contact-list.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent: Staff;
let analyst: Staff;

const post = (token: string, body: unknown) => call(t.app, 'POST', '/api/crm/contacts', { token, body });
const get = (token: string, url: string) => call(t.app, 'GET', url, { token });

let seq = 0;
async function person(token: string, body: Record<string, unknown> = {}) {
  const n = ++seq;
  const res = await post(token, {
    fullName: `Ada Byrne ${n}`,
    email: `ada.${n}.${randomUUID().slice(0, 6)}@example.com`,
    ...body,
  });
  expect(res.status).toBe(201);
  return res.body;
}

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = [await createTenant(t), await createTenant(t)];
  [agent, analyst] = await Promise.all([staffUser(t, a, ['agent']), staffUser(t, a, ['analyst'])]);
});
afterAll(async () => t?.close());

describe('creating a contact', () => {
  it('normalizes email and phone (tenant default country), keeps every contact point and derives the name parts', async () => {
    const res = await post(a.apiKey, {
      fullName: '  Ada   Byrne ',
      email: ' Ada.Byrne@Example.COM ',
      phone: '087 123 4567',
      emails: [
        { email: 'ada@work.example', label: 'work' },
        { email: 'ADA.BYRNE@example.com', label: 'home' },
      ],
      phones: [{ phone: '+44 20 7946 0958', label: 'london' }],
      linkedinUrl: 'https://www.linkedin.com/in/ada-byrne',
      address: { line1: '1 Main St', city: 'Dublin', postcode: 'd02 x285', country: 'IE' },
      personaLabels: ['homeowner', 'homeowner', 'early_adopter'],
      sourceConfidence: 0.9,
      consent: { marketing: true },
    });
    expect(res.status).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    expect(res.headers.location).toBe(`/api/crm/contacts/${res.body.id}`);
    expect(res.body).toMatchObject({
      fullName: 'Ada Byrne',
      firstName: 'Ada',
      lastName: 'Byrne',
      email: 'ada.byrne@example.com',
      phone: '+353871234567',
      postcode: 'D02 X285',
      personaLabels: ['homeowner', 'early_adopter'],
      sourceConfidence: 0.9,
      consent: { marketing: true },
      version: 1,
    });
    expect(res.body.emails).toEqual([
      { email: 'ada.byrne@example.com', label: 'home', isPrimary: true },
      { email: 'ada@work.example', label: 'work', isPrimary: false },
    ]);
    expect(res.body.phones).toEqual([
      { phone: '+353871234567', label: null, isPrimary: true },
      { phone: '+442079460958', label: 'london', isPrimary: false },
    ]);
    const again = await get(a.apiKey, `/api/crm/contacts/${res.body.id}`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expect(again.headers.etag).toBe('"1"');
  });

  it('without email/phone, the first listed becomes primary', async () => {
    const res = await post(a.apiKey, { fullName: 'Bea Walsh', phones: [{ phone: '01 234 5678' }] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ email: null, phone: '+35312345678', emails: [] });
  });

  it('bad contact points are a 400 naming each path; unknown fields and bad URLs are rejected', async () => {
    const res = await post(a.apiKey, {
      fullName: 'X',
      email: 'not-an-email',
      phones: [{ phone: '+353 87 123 4567' }, { phone: '12' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation.failed');
    expect(res.body.errors.map((e: any) => e.path).sort()).toEqual(['email', 'phones.1.phone']);
    expect((await post(a.apiKey, { fullName: 'X', nickname: 'x' })).status).toBe(400);
    const url = await post(a.apiKey, { fullName: 'X', linkedinUrl: 'https://evil.example/in/x' });
    expect(url.status).toBe(400);
    expect(url.body.errors[0].path).toBe('linkedinUrl');
    expect((await post(a.apiKey, { fullName: 'X', sourceConfidence: 1.5 })).status).toBe(400);
  });

  it('a second person with the same primary email is a 409 naming the first', async () => {
    const first = await person(a.apiKey);
    const dup = await post(a.apiKey, { fullName: 'Someone Else', email: first.email.toUpperCase() });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'person.duplicate', existingPersonId: first.id });
    // Another tenant is another world.
    expect((await post(b.apiKey, { fullName: 'Same', email: first.email })).status).toBe(201);
  });

  it('needs a credential and crm:write', async () => {
    expect((await call(t.app, 'POST', '/api/crm/contacts', { body: { fullName: 'X' } })).status).toBe(401);
    expect((await post(analyst.token, { fullName: 'X' })).status).toBe(403);
    expect((await get(analyst.token, '/api/crm/contacts')).status).toBe(200);
  });
});

describe('editing a contact', () => {
  it('PATCH honours If-Match, derives the name parts again and merges consent flags', async () => {
    const p = await person(a.apiKey, { consent: { marketing: true, dataSharing: false } });
    const stale = await call(t.app, 'PATCH', `/api/crm/contacts/${p.id}`, {
      token: a.apiKey,
      body: { fullName: 'Ada Lovelace' },
      headers: { 'if-match': '"7"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('concurrency.version_mismatch');
    const ok = await call(t.app, 'PATCH', `/api/crm/contacts/${p.id}`, {
      token: a.apiKey,
      body: { fullName: 'Ada  King Lovelace', consent: { dataSharing: true }, personaLabels: ['landlord'] },
      headers: { 'if-match': '"1"' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    expect(ok.body).toMatchObject({
      fullName: 'Ada King Lovelace',
      firstName: 'Ada',
      lastName: 'Lovelace',
      consent: { marketing: true, dataSharing: true },
      personaLabels: ['landlord'],
      version: 2,
    });
    const parts = await call(t.app, 'PATCH', `/api/crm/contacts/${p.id}`, {
      token: a.apiKey,
      body: { lastName: 'King' },
    });
    expect(parts.body).toMatchObject({ fullName: 'Ada King Lovelace', lastName: 'King', version: 3 });
    const empty = await call(t.app, 'PATCH', `/api/crm/contacts/${p.id}`, { token: a.apiKey, body: {} });
    expect(empty.status).toBe(400);
  });

  it('PATCH email sets the primary (the old one stays listed); null removes it and promotes the next', async () => {
    const p = await person(a.apiKey);
    const changed = await call(t.app, 'PATCH', `/api/crm/contacts/${p.id}`, {
      token: a.apiKey,
      body: { email: 'New.Address@Example.com', phone: '087 765 4321' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.email).toBe('new.address@example.com');
    expect(changed.body.phone).toBe('+353877654321');
    expect(changed.body.emails).toEqual([
      { email: 'new.address@example.com', label: null, isPrimary: true },
      { email: p.email, label: null, isPrimary: false },
    ]);
    const cleared = await call(t.app, 'PATCH', `/api/crm/contacts/${p.id}`, {
      token: a.apiKey,
      body: { email: null, phone: null },
    });
    expect(cleared.body).toMatchObject({ email: p.email, phone: null, phones: [] });
    expect(cleared.body.emails).toEqual([{ email: p.email, label: null, isPrimary: true }]);
    const bad = await call(t.app, 'PATCH', `/api/crm/contacts/${p.id}`, { token: a.apiKey, body: { phone: 'abc' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('phone');
    const other = await person(a.apiKey);
    const taken = await call(t.app, 'PATCH', `/api/crm/contacts/${p.id}`, {
      token: a.apiKey,
      body: { email: other.email },
    });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'person.duplicate', existingPersonId: other.id });
  });

  it('adds, makes primary and removes emails and phones, one primary at a time', async () => {
    const p = await person(a.apiKey);
    const url = `/api/crm/contacts/${p.id}`;
    const added = await call(t.app, 'POST', `${url}/emails`, {
      token: a.apiKey,
      body: { email: 'Second@Example.com', label: 'work' },
      headers: { 'if-match': '"1"' },
    });
    expect(added.status).toBe(201);
    expect(added.body.email).toBe(p.email);
    expect(added.body.emails).toHaveLength(2);
    expect(added.body.version).toBe(2);
    const dup = await call(t.app, 'POST', `${url}/emails`, { token: a.apiKey, body: { email: 'second@example.com' } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('person.email_exists');
    const stale = await call(t.app, 'POST', `${url}/emails/primary`, {
      token: a.apiKey,
      body: { email: 'second@example.com' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    const primary = await call(t.app, 'POST', `${url}/emails/primary`, {
      token: a.apiKey,
      body: { email: 'SECOND@example.com' },
    });
    expect(primary.status).toBe(200);
    expect(primary.body.email).toBe('second@example.com');
    expect(primary.body.emails.filter((e: any) => e.isPrimary)).toEqual([
      { email: 'second@example.com', label: 'work', isPrimary: true },
    ]);
    const removed = await call(t.app, 'POST', `${url}/emails/remove`, {
      token: a.apiKey,
      body: { email: 'second@example.com' },
    });
    expect(removed.status).toBe(200);
    expect(removed.body.email).toBe(p.email);
    expect(removed.body.emails).toEqual([{ email: p.email, label: null, isPrimary: true }]);
    const unknown = await call(t.app, 'POST', `${url}/emails/remove`, {
      token: a.apiKey,
      body: { email: 'nobody@example.com' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toBe('email');

    const phone = await call(t.app, 'POST', `${url}/phones`, { token: a.apiKey, body: { phone: '087 111 2222' } });
    expect(phone.status).toBe(201);
    expect(phone.body.phone).toBe('+353871112222');
    const second = await call(t.app, 'POST', `${url}/phones`, {
      token: a.apiKey,
      body: { phone: '+353 87 333 4444', primary: true },
    });
    expect(second.body.phone).toBe('+353873334444');
    expect(second.body.phones.map((x: any) => [x.phone, x.isPrimary])).toEqual([
      ['+353873334444', true],
      ['+353871112222', false],
    ]);
    const gone = await call(t.app, 'POST', `${url}/phones/remove`, { token: a.apiKey, body: { phone: '0873334444' } });
    expect(gone.body.phone).toBe('+353871112222');
    const rows1 = await rows<{ n: number }>(
      t.db.db,
      sql`select count(*)::int as n from person_phones where person_id = ${p.id} and is_primary`,
    );
    expect(rows1[0].n).toBe(1);
  });

  it('keeps personal data out of audit values and events', async () => {
    const p = await person(a.apiKey, { phone: '087 999 8888' });
    await call(t.app, 'PATCH', `/api/crm/contacts/${p.id}`, {
      token: a.apiKey,
      body: { email: 'secret.addr@example.com' },
    });
    await call(t.app, 'POST', `/api/crm/contacts/${p.id}/phones`, { token: a.apiKey, body: { phone: '087 555 4444' } });
    const audit = await rows(t.db.db, sql`select * from audit_events where entity_id = ${p.id}::text`);
    const events = await rows(t.db.db, sql`select * from outbox_events where entity_id = ${p.id}`);
    expect(audit.length).toBeGreaterThanOrEqual(3);
    expect(events.length).toBeGreaterThanOrEqual(3);
    const text = JSON.stringify([audit, events]);
    for (const secret of [p.email, 'secret.addr', '8798888', '875554444', 'Ada Byrne'])
      expect(text).not.toContain(secret);
  });
});

describe('the contact list', () => {
  let listed: Record<string, any>;
  beforeAll(async () => {
    listed = {
      curie: await person(a.apiKey, { fullName: 'Marie Curie', phone: '087 246 8101', personaLabels: ['investor'] }),
      noether: await person(a.apiKey, { fullName: 'Emmy Noether', email: 'emmy@noether.example' }),
      hopper: await person(a.apiKey, { fullName: 'Grace Hopper', personaLabels: ['investor'] }),
    };
  });

  it('searches name, email and phone (local format too) through the trigram expression', async () => {
    const ids = async (q: string) =>
      (await get(a.apiKey, `/api/crm/contacts?q=${encodeURIComponent(q)}`)).body.data.map((r: any) => r.id);
    expect(await ids('curie')).toEqual([listed.curie.id]);
    expect(await ids('noether.exam')).toEqual([listed.noether.id]);
    expect(await ids('087 246 8101')).toEqual([listed.curie.id]);
    expect(await ids('2468101')).toEqual([listed.curie.id]);
    expect(await ids('100%_')).toEqual([]);
  });

  it('filters by persona label and open opportunities, and pages with a keyset cursor', async () => {
    const inv = await get(a.apiKey, '/api/crm/contacts?personaLabel=investor');
    expect(inv.body.data.map((r: any) => r.id)).toEqual([listed.hopper.id, listed.curie.id]);
    await insertOpportunity(t, a.tenantId, listed.hopper.id);
    await insertOpportunity(t, a.tenantId, listed.curie.id, { status: 'won' });
    const open = await get(a.apiKey, '/api/crm/contacts?personaLabel=investor&hasOpenOpportunity=true');
    expect(open.body.data.map((r: any) => [r.id, r.activeOpportunityCount])).toEqual([[listed.hopper.id, 1]]);
    const none = await get(a.apiKey, '/api/crm/contacts?personaLabel=investor&hasOpenOpportunity=false');
    expect(none.body.data.map((r: any) => r.id)).toEqual([listed.curie.id]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await get(a.apiKey, `/api/crm/contacts?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(4);
      seen.push(...page.body.data.map((r: any) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort().reverse());
    expect(seen).toContain(listed.curie.id);

    const first = await get(a.apiKey, '/api/crm/contacts?limit=1');
    const foreign = await get(b.apiKey, `/api/crm/contacts?limit=1&cursor=${first.body.nextCursor}`);
    expect(foreign.status).toBe(400);
    expect(foreign.body.code).toBe('pagination.invalid_cursor');
    expect((await get(a.apiKey, `/api/crm/contacts?cursor=${first.body.nextCursor}x`)).status).toBe(400);
    expect((await get(a.apiKey, '/api/crm/contacts?limit=500')).status).toBe(400);
  });

  it('each row carries last activity, active opportunity count and scores, with no N+1', async () => {
    const p1 = await person(a.apiKey, { fullName: 'Summary One', personaLabels: ['summary'] });
    const p2 = await person(a.apiKey, { fullName: 'Summary Two', personaLabels: ['summary'] });
    const p3 = await person(a.apiKey, { fullName: 'Summary Three', personaLabels: ['summary'] });
    for (const [p, at] of [
      [p1, '2026-01-05T10:00:00.000Z'],
      [p1, '2026-02-01T09:30:00.000Z'],
      [p2, '2025-12-24T18:00:00.000Z'],
    ] as const) {
      const res = await call(t.app, 'POST', '/api/crm/interactions', {
        token: a.apiKey,
        body: { personId: p.id, channel: 'phone', type: 'call', happenedAt: at },
      });
      expect(res.status).toBe(201);
    }
    await call(t.app, 'POST', `/api/crm/qd/${p1.id}`, { token: a.apiKey, body: { scoreType: 'intent', value: 0.7 } });
    await call(t.app, 'POST', `/api/crm/qd/${p1.id}`, { token: a.apiKey, body: { scoreType: 'intent', value: 0.8 } });
    await call(t.app, 'POST', `/api/crm/qd/${p1.id}`, { token: a.apiKey, body: { scoreType: 'fit', value: 40 } });
    await insertOpportunity(t, a.tenantId, p1.id);
    await insertOpportunity(t, a.tenantId, p1.id);
    await insertOpportunity(t, a.tenantId, p1.id, { status: 'lost' });
    await insertOpportunity(t, a.tenantId, p3.id);

    const res = await get(a.apiKey, '/api/crm/contacts?personaLabel=summary');
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.data.map((r: any) => [r.id, r]));
    expect(byId[p1.id]).toMatchObject({
      lastActivityAt: '2026-02-01T09:30:00.000Z',
      activeOpportunityCount: 2,
      scores: { intent: 0.8, fit: 40 },
    });
    expect(byId[p2.id]).toMatchObject({
      lastActivityAt: '2025-12-24T18:00:00.000Z',
      activeOpportunityCount: 0,
      scores: {},
    });
    expect(byId[p3.id]).toMatchObject({ lastActivityAt: null, activeOpportunityCount: 1, scores: {} });

    // The number of statements is the same for a page of 1 and a page of 50.
    const statements = async (limit: number) => {
      const counter = { n: 0 };
      const page = await t.db.tenantTx(a.tenantId, async (tx) => {
        const c = countingTx(tx);
        const out = await listContactsWithSummaries(
          { tenantId: a.tenantId, actor: systemActor(), tx: c.tx, requestId: 'count' },
          { limit },
        );
        counter.n = c.count();
        return out;
      });
      return { n: counter.n, rows: page.data.length };
    };
    const small = await statements(1);
    const large = await statements(50);
    expect(small.rows).toBe(1);
    expect(large.rows).toBeGreaterThan(10);
    expect(large.n).toBe(small.n);
    expect(large.n).toBeLessThanOrEqual(2);
  });
});

describe('tenancy and record scope', () => {
  it('another tenant sees none of these people: 404 on every id route, absent from lists', async () => {
    const p = await person(a.apiKey);
    const base = `/api/crm/contacts/${p.id}`;
    const attempts = [
      call(t.app, 'GET', base, { token: b.apiKey }),
      call(t.app, 'PATCH', base, { token: b.apiKey, body: { fullName: 'Hijack' } }),
      call(t.app, 'POST', `${base}/emails`, { token: b.apiKey, body: { email: 'x@example.com' } }),
      call(t.app, 'POST', `${base}/emails/primary`, { token: b.apiKey, body: { email: p.email } }),
      call(t.app, 'POST', `${base}/emails/remove`, { token: b.apiKey, body: { email: p.email } }),
      call(t.app, 'POST', `${base}/phones`, { token: b.apiKey, body: { phone: '0871234567' } }),
      call(t.app, 'POST', `${base}/phones/primary`, { token: b.apiKey, body: { phone: '0871234567' } }),
      call(t.app, 'POST', `${base}/phones/remove`, { token: b.apiKey, body: { phone: '0871234567' } }),
      call(t.app, 'GET', `/api/crm/client-360/${p.id}`, { token: b.apiKey }),
      call(t.app, 'GET', `/api/crm/contacts/${randomUUID()}`, { token: a.apiKey }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('person.not_found');
    }
    const list = await get(b.apiKey, '/api/crm/contacts?limit=200');
    expect(list.body.data.some((r: any) => r.id === p.id)).toBe(false);
    const search = await get(b.apiKey, `/api/crm/contacts?q=${encodeURIComponent(p.email)}`);
    expect(search.body.data).toEqual([]);
    const unchanged = await get(a.apiKey, base);
    expect(unchanged.body.version).toBe(1);
  });

  it('an agent sees the people they created, own an opportunity of, or have a task for — nobody else', async () => {
    const own = await person(agent.token, { fullName: 'Agent Made' });
    expect(own.createdByUserId).toBe(agent.id);
    const hidden = await person(a.apiKey, { fullName: 'Hidden Person' });
    const viaOpportunity = await person(a.apiKey, { fullName: 'Via Opportunity' });
    const viaTask = await person(a.apiKey, { fullName: 'Via Task' });
    await insertOpportunity(t, a.tenantId, viaOpportunity.id, { ownerUserId: agent.id });
    await insertTask(t, a.tenantId, viaTask.id, { assigneeUserId: agent.id });
    // A lead assigned to the agent at intake: its contact_lead task makes the person theirs.
    const lead = await call(t.app, 'POST', '/api/leads', {
      token: a.apiKey,
      body: { ...intakeBody(), assignedUserId: agent.id },
    });
    expect(lead.status).toBe(201);

    const list = await get(agent.token, '/api/crm/contacts?limit=200');
    const ids = list.body.data.map((r: any) => r.id).sort();
    expect(ids).toEqual([own.id, viaOpportunity.id, viaTask.id, lead.body.personId].sort());
    for (const id of [own.id, viaOpportunity.id, viaTask.id, lead.body.personId]) {
      expect((await get(agent.token, `/api/crm/contacts/${id}`)).status).toBe(200);
    }
    expect((await get(agent.token, `/api/crm/contacts/${hidden.id}`)).status).toBe(404);
    expect((await get(agent.token, `/api/crm/client-360/${hidden.id}`)).status).toBe(404);
    const patch = await call(t.app, 'PATCH', `/api/crm/contacts/${hidden.id}`, {
      token: agent.token,
      body: { fullName: 'Nope' },
    });
    expect(patch.status).toBe(404);
    expect((await get(agent.token, `/api/crm/contacts?q=Hidden`)).body.data).toEqual([]);
    // The owner sees everyone.
    expect((await get(a.apiKey, `/api/crm/contacts/${own.id}`)).status).toBe(200);
  });
});

describe('the HTTP surface', () => {
  it('describes every CRM route in the OpenAPI document; people are never deleted (405)', async () => {
    const doc = await call(t.app, 'GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/crm/contacts',
        '/api/crm/contacts/{id}',
        '/api/crm/contacts/{id}/emails/primary',
        '/api/crm/contacts/{id}/phones/remove',
        '/api/crm/client-360/{personId}',
        '/api/crm/accounts/{id}/members/{personId}',
        '/api/crm/relationships',
        '/api/crm/contacts/{id}/property-interests',
        '/api/crm/interactions',
        '/api/crm/qd/{personId}',
      ]),
    );
    const p = await person(a.apiKey);
    const del = await call(t.app, 'DELETE', `/api/crm/contacts/${p.id}`, { token: a.apiKey });
    expect(del.status).toBe(405);
    expect(del.headers.allow).toContain('PATCH');
  });
});
