import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, intakeBody, type TestApp, type TestTenant } from '../../test/helpers.ts';
import { rows } from './db.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = await Promise.all([createTenant(t), createTenant(t)]);
  // A database failure with a recognisable message, to check what a 500 lets out.
  await t.db.db.execute(sql`
    create or replace function test_boom() returns trigger language plpgsql as $$
    begin
      if new.name = 'boom' then
        raise exception 'BOOM-MARKER select secret_hash from api_keys where tenant_id = %', new.tenant_id;
      end if;
      return new;
    end $$`);
  await t.db.db.execute(
    sql`create trigger test_boom before insert on api_keys for each row execute function test_boom()`,
  );
});
afterAll(async () => t?.close());

type Res = Awaited<ReturnType<typeof call>>;

function expectProblem(res: Res, status: number, code?: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code: code ?? expect.any(String),
    requestId: res.headers['x-request-id'],
  });
}

async function newApiKey(ten: TestTenant, roles = ['owner']) {
  const res = await call(t.app, 'POST', '/api/admin/api-keys', { token: ten.apiKey, body: { name: 'second', roles } });
  expect(res.status).toBe(201);
  return res.body.secret as string;
}

async function leadsByEmail(ten: TestTenant, email: string) {
  const res = await call(t.app, 'GET', `/api/leads?q=${encodeURIComponent(email)}`, { token: ten.apiKey });
  expect(res.status).toBe(200);
  return res.body.data as any[];
}

const raw = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS',
  url: string,
  opts: Record<string, any> = {},
) => t.app.inject({ method, url, ...opts });

describe('idempotency', () => {
  it('same key + same body → the first response replayed, with Idempotent-Replayed, and no second lead', async () => {
    const body = intakeBody();
    const headers = { 'idempotency-key': 'replay-1' };
    const first = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body, headers });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const second = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body, headers });
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers.location).toBe(first.headers.location);
    expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    // Key order in the body does not matter: it is the same request.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const third = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body: reordered, headers });
    expect(third.status).toBe(201);
    expect(third.headers['idempotent-replayed']).toBe('true');
    expect(await leadsByEmail(a, body.contact.email)).toHaveLength(1);
  });

  it('same key + different body → 422 idempotency.key_reused, nothing created', async () => {
    const headers = { 'idempotency-key': 'reuse-1' };
    const first = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body: intakeBody(), headers });
    expect(first.status).toBe(201);
    const other = intakeBody();
    const res = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body: other, headers });
    expectProblem(res, 422, 'idempotency.key_reused');
    expect(await leadsByEmail(a, other.contact.email)).toHaveLength(0);
    // The same key on another route is another request, so it is a reuse as well.
    const elsewhere = await call(t.app, 'POST', '/api/admin/api-keys', {
      token: a.apiKey,
      body: { name: 'k', roles: ['agent'] },
      headers,
    });
    expectProblem(elsewhere, 422, 'idempotency.key_reused');
  });

  it('a key whose first request is still in progress → 409 idempotency.in_progress', async () => {
    const body = intakeBody();
    const done = await call(t.app, 'POST', '/api/leads', {
      token: a.apiKey,
      body,
      headers: { 'idempotency-key': 'probe-1' },
    });
    expect(done.status).toBe(201);
    // Another key for the very same request, reserved by a request that is still running.
    await t.db.db.execute(sql`
      insert into idempotency_keys (tenant_id, credential, key, request_hash, state)
      select tenant_id, credential, 'running-1', request_hash, 'in_progress' from idempotency_keys
      where tenant_id = ${a.tenantId} and key = 'probe-1'`);
    const res = await call(t.app, 'POST', '/api/leads', {
      token: a.apiKey,
      body,
      headers: { 'idempotency-key': 'running-1' },
    });
    expectProblem(res, 409, 'idempotency.in_progress');
    const [row] = await rows<{ state: string }>(
      t.db.db,
      sql`select state from idempotency_keys where tenant_id = ${a.tenantId} and key = 'running-1'`,
    );
    expect(row.state).toBe('in_progress');
  });

  it('an in-progress record abandoned long ago, or a key older than 24 h, no longer blocks the key', async () => {
    const me = (await call(t.app, 'GET', '/api/me', { token: a.apiKey })).body;
    await t.db.db.execute(sql`
      insert into idempotency_keys (tenant_id, credential, key, request_hash, state, created_at)
      values (${a.tenantId}, ${me.credential.id}, 'abandoned-1', 'deadbeef', 'in_progress', now() - interval '10 minutes')`);
    const body = intakeBody();
    const res = await call(t.app, 'POST', '/api/leads', {
      token: a.apiKey,
      body,
      headers: { 'idempotency-key': 'abandoned-1' },
    });
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();

    await t.db.db.execute(sql`
      update idempotency_keys set created_at = now() - interval '25 hours'
      where tenant_id = ${a.tenantId} and key = 'abandoned-1'`);
    const other = intakeBody();
    const fresh = await call(t.app, 'POST', '/api/leads', {
      token: a.apiKey,
      body: other,
      headers: { 'idempotency-key': 'abandoned-1' },
    });
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(res.body.id);
  });

  it('two concurrent requests with one key create one lead', async () => {
    const body = intakeBody();
    const headers = { 'idempotency-key': 'race-1' };
    const results = await Promise.all(
      [0, 1, 2].map(() => call(t.app, 'POST', '/api/leads', { token: a.apiKey, body, headers })),
    );
    for (const r of results) {
      if (r.status === 201) continue;
      expectProblem(r, 409, 'idempotency.in_progress');
    }
    const created = results.filter((r) => r.status === 201 && !r.headers['idempotent-replayed']);
    expect(created).toHaveLength(1);
    expect(await leadsByEmail(a, body.contact.email)).toHaveLength(1);
  });

  it('the key is scoped to the credential and the tenant', async () => {
    const body = intakeBody();
    const headers = { 'idempotency-key': 'scoped-1' };
    const first = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body, headers });
    expect(first.status).toBe(201);

    // The same request under another credential is processed afresh (and meets the open lead).
    const same = await call(t.app, 'POST', '/api/leads', { token: await newApiKey(a), body, headers });
    expect(same.headers['idempotent-replayed']).toBeUndefined();
    expectProblem(same, 409, 'lead.duplicate');
    // A different body under another credential is not a reuse of the first credential's key.
    const otherKey = await newApiKey(a);
    const different = await call(t.app, 'POST', '/api/leads', { token: otherKey, body: intakeBody(), headers });
    expect(different.status).toBe(201);
    expect(different.body.id).not.toBe(first.body.id);

    // Tenant B with the same key and body is a fresh request in its own tenant.
    const inB = await call(t.app, 'POST', '/api/leads', { token: b.apiKey, body, headers });
    expect(inB.status).toBe(201);
    expect(inB.headers['idempotent-replayed']).toBeUndefined();
    expect(inB.body.id).not.toBe(first.body.id);
  });

  it('a refusal from the handler is replayed too; a 5xx is not stored, so the client may retry', async () => {
    const body = intakeBody();
    await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body });
    const headers = { 'idempotency-key': 'dup-1' };
    const dup = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body, headers });
    expectProblem(dup, 409, 'lead.duplicate');
    const again = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body, headers });
    expect(again.status).toBe(409);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(dup.body);

    const boom = { name: 'boom', roles: ['agent'] };
    const h = { 'idempotency-key': 'boom-1' };
    const failed = await call(t.app, 'POST', '/api/admin/api-keys', { token: a.apiKey, body: boom, headers: h });
    expectProblem(failed, 500, 'internal.error');
    const stored = await rows(t.db.db, sql`select 1 from idempotency_keys where key = 'boom-1'`);
    expect(stored).toHaveLength(0);
    const retry = await call(t.app, 'POST', '/api/admin/api-keys', { token: a.apiKey, body: boom, headers: h });
    expectProblem(retry, 500, 'internal.error');
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });

  it('rejects a key longer than 255 characters or with control characters', async () => {
    for (const key of ['k'.repeat(256), 'has space']) {
      const res = await call(t.app, 'POST', '/api/leads', {
        token: a.apiKey,
        body: intakeBody(),
        headers: { 'idempotency-key': key },
      });
      expectProblem(res, 400, 'idempotency.invalid_key');
    }
    const ok = await call(t.app, 'POST', '/api/leads', {
      token: a.apiKey,
      body: intakeBody(),
      headers: { 'idempotency-key': 'k'.repeat(255) },
    });
    expect(ok.status).toBe(201);
  });

  it('public intake honours the key as well', async () => {
    const body = intakeBody();
    const headers = { 'idempotency-key': 'public-1' };
    const first = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body, headers });
    const second = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    const subs = await leadsByEmail(a, body.contact.email);
    expect(subs).toHaveLength(1);
    const submissions = await call(t.app, 'GET', `/api/leads/${subs[0].id}/submissions`, { token: a.apiKey });
    expect(submissions.body.data).toHaveLength(1);
  });
});

describe('pagination', () => {
  let c: TestTenant;
  const created: string[] = [];
  beforeAll(async () => {
    c = await createTenant(t);
    for (let i = 0; i < 7; i++) {
      const res = await call(t.app, 'POST', '/api/leads', { token: c.apiKey, body: intakeBody() });
      expect(res.status).toBe(201);
      created.push(res.body.id);
    }
  });

  it('limit outside 1–200 or not an integer → 400; 1 and 200 are fine', async () => {
    for (const limit of ['0', '201', '-1', '2.5', 'abc', '']) {
      const res = await call(t.app, 'GET', `/api/leads?limit=${limit}`, { token: c.apiKey });
      expectProblem(res, 400, 'validation.failed');
      expect(res.body.errors[0].path).toMatch(/limit/);
    }
    for (const limit of ['1', '200']) {
      expect((await call(t.app, 'GET', `/api/leads?limit=${limit}`, { token: c.apiKey })).status).toBe(200);
    }
    expect((await call(t.app, 'GET', '/api/admin/users?limit=0', { token: c.apiKey })).status).toBe(400);
    expect((await call(t.app, 'GET', '/api/admin/audit-events?limit=201', { token: c.apiKey })).status).toBe(400);
  });

  it('pages through 7 leads with limit=3: every lead once, newest first', async () => {
    const seen: any[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/leads?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await call(t.app, 'GET', url, { token: c.apiKey });
      expect(page.status).toBe(200);
      expect(Object.keys(page.body).sort()).toEqual(['data', 'nextCursor']);
      sizes.push(page.body.data.length);
      seen.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor && sizes.length < 10);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen.map((l) => l.id)).toEqual([...created].reverse());
    const times = seen.map((l) => Date.parse(l.createdAt));
    expect(times).toEqual([...times].sort((x, y) => y - x));

    // An exact multiple ends with a null cursor, not an empty page.
    const all = await call(t.app, 'GET', '/api/leads?limit=7', { token: c.apiKey });
    expect(all.body.data).toHaveLength(7);
    expect(all.body.nextCursor).toBeNull();
  });

  it('a tampered or garbage cursor → 400 pagination.invalid_cursor', async () => {
    const page = await call(t.app, 'GET', '/api/leads?limit=2', { token: c.apiKey });
    const cursor: string = page.body.nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const [payload, mac] = cursor.split('.');
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...decoded, k: ['ffffffff-ffff-7fff-bfff-ffffffffffff'] })).toString(
      'base64url',
    );
    const flipped = `${payload.slice(0, -1)}${payload.endsWith('A') ? 'B' : 'A'}.${mac}`;
    for (const bad of [
      `${forged}.${mac}`,
      flipped,
      `${payload}.`,
      payload,
      'abc',
      '..',
      `${payload}.${mac}x`,
      `${payload}.${mac}.x`,
    ]) {
      const res = await call(t.app, 'GET', `/api/leads?limit=2&cursor=${encodeURIComponent(bad)}`, {
        token: c.apiKey,
      });
      expectProblem(res, 400, 'pagination.invalid_cursor');
    }
  });

  it('a cursor from another tenant, or from another list, → 400', async () => {
    const page = await call(t.app, 'GET', '/api/leads?limit=2', { token: c.apiKey });
    const cursor = encodeURIComponent(page.body.nextCursor);
    expectProblem(
      await call(t.app, 'GET', `/api/leads?limit=2&cursor=${cursor}`, { token: a.apiKey }),
      400,
      'pagination.invalid_cursor',
    );
    expectProblem(
      await call(t.app, 'GET', `/api/admin/users?limit=2&cursor=${cursor}`, { token: c.apiKey }),
      400,
      'pagination.invalid_cursor',
    );
    // The same cursor still works for its own tenant and list.
    expect((await call(t.app, 'GET', `/api/leads?limit=2&cursor=${cursor}`, { token: c.apiKey })).status).toBe(200);
  });
});

describe('request limits and input hygiene', () => {
  it('a body over 1 MB → 413 problem+json', async () => {
    const body = intakeBody({ sourceDetail: 'x'.repeat(1024 * 1024 + 10) });
    const res = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body });
    expectProblem(res, 413, 'request.too_large');
    const pub = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body });
    expectProblem(pub, 413, 'request.too_large');
  });

  it('JSON nested 40 deep → 400, and absurd nesting never reaches a 500', async () => {
    let deep: any = 'leaf';
    for (let i = 0; i < 40; i++) deep = { n: deep };
    const body = intakeBody({ assessment: { questionSetVersion: 'x', answers: { deep } } });
    const res = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body });
    expectProblem(res, 400);
    expect(JSON.stringify(res.body.errors)).toMatch(/nested deeper/);

    const huge = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const r2 = await raw('POST', '/api/leads', {
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/json' },
      payload: huge,
    });
    expect(r2.statusCode).toBe(400);
    expect(r2.headers['content-type']).toMatch(/problem\+json/);
  });

  it('text/plain (or no content type) on a JSON route → 415', async () => {
    const res = await raw('POST', '/api/leads', {
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'text/plain' },
      payload: JSON.stringify(intakeBody()),
    });
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 415, code: 'request.unsupported_media_type' });
    const none = await raw('POST', '/api/leads', {
      headers: { authorization: `Bearer ${a.apiKey}` },
      payload: JSON.stringify(intakeBody()),
    });
    expect(none.statusCode).toBe(415);
    const form = await raw('POST', `/api/public/${a.slug}/leads`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=1',
    });
    expect(form.statusCode).toBe(415);
  });

  it('malformed or empty JSON → 400 problem', async () => {
    const res = await raw('POST', '/api/leads', {
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/json' },
      payload: '{"contact": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'request.malformed_json' });
    const empty = await raw('POST', '/api/leads', {
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.headers['content-type']).toMatch(/problem\+json/);
  });

  it('a NUL byte or a lone surrogate in a string, key or query → 400', async () => {
    const nul = await call(t.app, 'POST', '/api/leads', {
      token: a.apiKey,
      body: intakeBody({ contact: { name: 'Ada\u0000Byrne' } }),
    });
    expectProblem(nul, 400, 'validation.unstorable_text');
    expect(nul.body.errors).toEqual([expect.objectContaining({ path: 'contact.name' })]);

    const surrogate = await raw('POST', '/api/leads', {
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify(intakeBody()).replace('"Ada Byrne', '"Ada \\ud800Byrne'),
    });
    expect(surrogate.statusCode).toBe(400);

    const key = await call(t.app, 'POST', '/api/leads', {
      token: a.apiKey,
      body: intakeBody({ assessment: { answers: { 'roof\u0000Type': 'x' } } }),
    });
    expect(key.status).toBe(400);

    const query = await call(t.app, 'GET', '/api/leads?q=a%00b', { token: a.apiKey });
    expectProblem(query, 400, 'validation.unstorable_text');
  });

  it('unknown body fields → 400 validation.failed', async () => {
    const res = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body: { ...intakeBody(), admin: true } });
    expectProblem(res, 400, 'validation.failed');
  });
});

describe('routing and HTTP behaviour', () => {
  it('an unknown route → 404 problem+json', async () => {
    for (const url of ['/api/nope', '/api/leads/x/y/z', '/nothing-here']) {
      const res = await call(t.app, 'GET', url, { token: a.apiKey });
      expectProblem(res, 404, 'route.not_found');
    }
  });

  it('a wrong method on an existing path → 405 with an Allow header', async () => {
    const put = await call(t.app, 'PUT', '/api/leads', { token: a.apiKey, body: {} });
    expectProblem(put, 405, 'method.not_allowed');
    const allow = String(put.headers.allow)
      .split(',')
      .map((s) => s.trim());
    expect(allow).toEqual(expect.arrayContaining(['GET', 'POST']));
    expect(allow).not.toContain('PUT');

    const id = '01900000-0000-7000-8000-000000000000';
    const convert = await call(t.app, 'GET', `/api/leads/${id}/convert`, { token: a.apiKey });
    expectProblem(convert, 405);
    expect(convert.headers.allow).toBe('POST');
    const users = await call(t.app, 'DELETE', `/api/admin/users/${id}`, { token: a.apiKey });
    expectProblem(users, 405);
    expect(String(users.headers.allow).split(', ').sort()).toEqual(['GET', 'PATCH']);
    // Without a credential it is still a 405, not a 401: the route does not exist for that method.
    expect((await call(t.app, 'PATCH', '/api/leads')).status).toBe(405);
  });

  it('security headers are on every response, and there is no CORS header by default', async () => {
    const responses = [
      await call(t.app, 'GET', '/api/system/health'),
      await call(t.app, 'GET', '/api/me', { headers: { origin: 'https://evil.example' } }),
      await call(t.app, 'GET', '/api/nope', { headers: { origin: 'https://evil.example' } }),
      await call(t.app, 'GET', '/api/leads', { token: a.apiKey, headers: { origin: 'https://evil.example' } }),
      await raw('OPTIONS', '/api/leads', {
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      }).then((r) => ({ status: r.statusCode, body: r.body, headers: r.headers })),
    ];
    for (const res of responses) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBeDefined();
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(res.headers['content-security-policy']).toBeDefined();
      expect(res.headers['referrer-policy']).toBeDefined();
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('X-Request-Id is on every response; a sane client id is echoed, anything else replaced', async () => {
    const kinds = [
      await call(t.app, 'GET', '/api/system/health'),
      await call(t.app, 'GET', '/api/me'),
      await call(t.app, 'GET', '/api/nope'),
      await call(t.app, 'PUT', '/api/leads'),
      await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body: {} }),
      await call(t.app, 'GET', '/api/leads', { token: a.apiKey }),
    ];
    const ids = kinds.map((r) => r.headers['x-request-id']);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);

    const echoed = await call(t.app, 'GET', '/api/me', { headers: { 'x-request-id': 'client-abc.123:x_y' } });
    expect(echoed.headers['x-request-id']).toBe('client-abc.123:x_y');
    expect(echoed.body.requestId).toBe('client-abc.123:x_y');

    for (const insane of ['has spaces', 'x'.repeat(65), '<script>', 'a/b']) {
      const res = await call(t.app, 'GET', '/api/system/health', { headers: { 'x-request-id': insane } });
      expect(res.headers['x-request-id']).not.toBe(insane);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('a 401 names the Bearer scheme in WWW-Authenticate', async () => {
    for (const res of [
      await call(t.app, 'GET', '/api/leads'),
      await call(t.app, 'GET', '/api/leads', { token: 'hk_not_a_real_key_123' }),
    ]) {
      expectProblem(res, 401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    const ok = await call(t.app, 'GET', '/api/leads', { token: a.apiKey });
    expect(ok.headers['www-authenticate']).toBeUndefined();
  });

  it('GET /api/system/health → 200 { status: "ok" } without a credential', async () => {
    const res = await call(t.app, 'GET', '/api/system/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /api/openapi.json describes every registered route', async () => {
    const res = await call(t.app, 'GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const paths = res.body.paths as Record<string, Record<string, any>>;

    const registered = registeredRoutes(t.app.printRoutes({ commonPrefix: false }));
    const api = registered.filter((r) => r.url.startsWith('/api/'));
    expect(api.length).toBeGreaterThan(20);
    const missing = api
      .map((r) => ({ ...r, path: r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}') }))
      .filter((r) => !paths[r.path]?.[r.method.toLowerCase()])
      .map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);

    // Nothing documented that does not exist, and every operation declares its responses.
    const known = new Set(api.map((r) => `${r.method} ${r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`));
    for (const [path, ops] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        expect(known.has(`${method.toUpperCase()} ${path}`), `${method} ${path}`).toBe(true);
        expect(Object.keys(op.responses ?? {}).length, `${method} ${path} responses`).toBeGreaterThan(0);
      }
    }
  });
});

/** Routes from Fastify's route tree (printRoutes with commonPrefix false), HEAD excluded. */
function registeredRoutes(tree: string): { method: string; url: string }[] {
  const out: { method: string; url: string }[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    const url = (stack[depth - 1] ?? '') + m[2];
    stack[depth] = url;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) {
      if (method && method !== 'HEAD') out.push({ method, url });
    }
  }
  return out;
}

describe('row-level security', () => {
  it('a tenant transaction sees only its own rows, even without a tenant filter', async () => {
    const x = await createTenant(t);
    const y = await createTenant(t);
    for (let i = 0; i < 2; i++) {
      expect((await call(t.app, 'POST', '/api/leads', { token: x.apiKey, body: intakeBody() })).status).toBe(201);
    }
    for (let i = 0; i < 3; i++) {
      expect((await call(t.app, 'POST', '/api/leads', { token: y.apiKey, body: intakeBody() })).status).toBe(201);
    }
    const count = (tenantId: string, table: string) =>
      t.db.tenantTx(tenantId, async (tx) => {
        const [r] = await rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.identifier(table)}`);
        return r.n;
      });
    expect(await count(x.tenantId, 'leads')).toBe(2);
    expect(await count(y.tenantId, 'leads')).toBe(3);
    expect(await count(x.tenantId, 'tenants')).toBe(1);
    expect(await count(x.tenantId, 'users')).toBe(1);
    const [total] = await rows<{ n: number }>(t.db.db, sql`select count(*)::int as n from leads`);
    expect(total.n).toBeGreaterThan(5);

    const [who] = await t.db.tenantTx(x.tenantId, (tx) =>
      rows<{ role: string; tenant: string }>(
        tx,
        sql`select current_user as role, current_setting('app.tenant_id', true) as tenant`,
      ),
    );
    expect(who).toEqual({ role: 'helio_app', tenant: x.tenantId });

    // Writes are held to the tenant too: another tenant's rows are invisible to UPDATE, and
    // a row for another tenant cannot be inserted.
    const updated = await t.db.tenantTx(x.tenantId, (tx) =>
      rows(tx, sql`update leads set version = version + 1 where tenant_id = ${y.tenantId} returning id`),
    );
    expect(updated).toHaveLength(0);
    await expect(
      t.db.tenantTx(x.tenantId, (tx) =>
        tx.execute(sql`insert into audit_events (tenant_id, id, actor_kind, action, entity_type)
          values (${y.tenantId}, gen_random_uuid(), 'system', 'forged', 'x')`),
      ),
    ).rejects.toThrow();
    // The setting does not leak past the transaction.
    const [after] = await rows<{ tenant: string | null }>(
      t.db.db,
      sql`select nullif(current_setting('app.tenant_id', true), '') as tenant`,
    );
    expect(after.tenant).toBeNull();
    await expect((async () => t.db.tenantTx('', async () => 1))()).rejects.toThrow(/tenant/);
  });

  it('every table with a tenant_id has row-level security and a tenant policy', async () => {
    const tables = await rows<{ table: string; rls: boolean; policies: number }>(
      t.db.db,
      sql`select c.relname as table, c.relrowsecurity as rls,
            (select count(*)::int from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname) as policies
          from pg_class c
          join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
          join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
          where c.relkind = 'r'
          order by 1`,
    );
    expect(tables.length).toBeGreaterThan(10);
    expect(tables.filter((r) => !r.rls || r.policies === 0).map((r) => r.table)).toEqual([]);
  });
});

describe('errors', () => {
  it('a 500 problem body carries no stack trace, SQL or internal message', async () => {
    const res = await call(t.app, 'POST', '/api/admin/api-keys', {
      token: a.apiKey,
      body: { name: 'boom', roles: ['agent'] },
    });
    expectProblem(res, 500, 'internal.error');
    expect(Object.keys(res.body).sort()).toEqual(['code', 'detail', 'requestId', 'status', 'title', 'type']);
    const text = JSON.stringify(res.body);
    for (const leak of ['BOOM-MARKER', 'select', 'api_keys', 'secret_hash', 'stack', '.ts:', '    at ', 'Error:']) {
      expect(text).not.toContain(leak);
    }
  });
});

describe('public rate limit, then the database goes away', () => {
  let limited: TestApp;
  let ten: TestTenant;
  beforeAll(async () => {
    limited = await createTestApp({ publicRateLimit: 2 });
    ten = await createTenant(limited);
  });
  afterAll(async () => {
    await limited?.app.close();
    await limited?.db.drop().catch(() => {}); // the last test closed the database already
  });

  it('public routes send rate-limit headers and answer 429 with Retry-After past the limit', async () => {
    const first = await call(limited.app, 'POST', `/api/public/${ten.slug}/leads`, { body: intakeBody() });
    expect(first.status).toBe(201);
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    expect((await call(limited.app, 'POST', `/api/public/${ten.slug}/leads`, { body: intakeBody() })).status).toBe(201);
    const third = await call(limited.app, 'POST', `/api/public/${ten.slug}/leads`, { body: intakeBody() });
    expectProblem(third, 429, 'rate_limit.exceeded');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    // Staff routes are not under the public limit.
    expect((await call(limited.app, 'GET', '/api/leads', { token: ten.apiKey })).status).toBe(200);
  });

  it('with the database gone: health and credential lookups answer 503, not 500 or 401', async () => {
    await limited.db.close();
    expectProblem(await call(limited.app, 'GET', '/api/system/health'), 503, 'system.unavailable');
    expectProblem(await call(limited.app, 'GET', '/api/leads', { token: ten.apiKey }), 503, 'system.unavailable');
  });
});
