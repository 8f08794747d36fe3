import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, intakeBody, type TestApp, type TestTenant } from '../../../test/helpers.ts';
import { rows } from '../../platform/db.ts';
import { dbErrorCode } from '../../platform/errors.ts';
import { CAPABILITIES } from './capabilities.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = await Promise.all([createTenant(t), createTenant(t)]);
});
afterAll(async () => t?.close());

const PASSWORD = 'a long enough password';
let userCounter = 0;

/** A staff user of tenant `ten` with the given roles and a password, created through the API. */
async function createUser(ten: TestTenant, roles: string[], overrides: Record<string, unknown> = {}) {
  const email = `user${++userCounter}@${ten.slug}.example`;
  const res = await call(t.app, 'POST', '/api/admin/users', {
    token: ten.apiKey,
    body: { email, name: `User ${userCounter}`, password: PASSWORD, roles, ...overrides },
  });
  expect(res.status).toBe(201);
  return { ...res.body, email, password: PASSWORD } as { id: string; email: string; password: string; roles: string[] };
}

async function login(app: TestApp['app'], tenant: string, email: string, password: string) {
  return call(app, 'POST', '/api/auth/login', { body: { tenant, email, password } });
}

async function sessionOf(ten: TestTenant, email: string, password: string): Promise<string> {
  const res = await login(t.app, ten.slug, email, password);
  expect(res.status).toBe(200);
  return res.body.token;
}

async function apiKeyWith(ten: TestTenant, roles: string[], name = 'test key') {
  const res = await call(t.app, 'POST', '/api/admin/api-keys', { token: ten.apiKey, body: { name, roles } });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string; prefix: string; name: string; roles: string[] };
}

async function auditOf(ten: TestTenant, query: Record<string, string>) {
  const qs = new URLSearchParams({ limit: '200', ...query }).toString();
  const res = await call(t.app, 'GET', `/api/admin/audit-events?${qs}`, { token: ten.apiKey });
  expect(res.status).toBe(200);
  return res.body.data as any[];
}

/** The database refused the statement with the append-only trigger's error (SQLSTATE HX001). */
async function expectAppendOnly(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the statement should have been refused').toBeDefined();
  expect(dbErrorCode(err)).toBe('HX001');
  const messages: string[] = [];
  for (let e: any = err; e; e = e.cause) messages.push(String(e.message));
  expect(messages.join(' | ')).toMatch(/audit_events is append-only/);
}

function expectProblem(res: { status: number; body: any; headers: Record<string, any> }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
}

describe('login and sessions', () => {
  it('logs in with tenant, email and password and the token works on /api/me', async () => {
    const res = await login(t.app, a.slug, a.adminEmail, a.adminPassword);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['expiresAt', 'tenant', 'token', 'user']);
    expect(res.body.token).toMatch(/^hs_/);
    expect(new Date(res.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(res.body.user).toMatchObject({ id: a.adminUserId, email: a.adminEmail, roles: ['owner'], status: 'active' });
    expect(res.body.user).not.toHaveProperty('passwordHash');
    expect(res.body.tenant).toEqual({ id: a.tenantId, slug: a.slug, name: expect.any(String) });

    const me = await call(t.app, 'GET', '/api/me', { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(a.adminUserId);
    expect(me.body.tenant.id).toBe(a.tenantId);
    expect(me.body.roles).toEqual(['owner']);
    expect(me.body.capabilities).toEqual([...CAPABILITIES].sort());
    expect(me.body.credential.kind).toBe('user');
  });

  it('email is matched case-insensitively', async () => {
    const res = await login(t.app, a.slug, `  ${a.adminEmail.toUpperCase()} `, a.adminPassword);
    expect(res.status).toBe(200);
  });

  it('answers wrong password, unknown user and unknown tenant identically (401 auth.invalid_credentials)', async () => {
    const wrongPassword = await login(t.app, a.slug, a.adminEmail, 'not the password');
    const unknownUser = await login(t.app, a.slug, `nobody@${a.slug}.example`, a.adminPassword);
    const unknownTenant = await login(t.app, 'no-such-tenant', a.adminEmail, a.adminPassword);
    const otherTenant = await login(t.app, b.slug, a.adminEmail, a.adminPassword);
    for (const r of [wrongPassword, unknownUser, unknownTenant, otherTenant]) {
      expectProblem(r, 401, 'auth.invalid_credentials');
    }
    const strip = (r: { body: any }) => ({ ...r.body, requestId: undefined });
    expect(strip(unknownUser)).toEqual(strip(wrongPassword));
    expect(strip(unknownTenant)).toEqual(strip(wrongPassword));
    expect(strip(otherTenant)).toEqual(strip(wrongPassword));
    expect(unknownUser.headers['content-type']).toBe(wrongPassword.headers['content-type']);
  });

  it('records failed logins in the audit trail as denied, without the attempted password', async () => {
    const res = await login(t.app, a.slug, a.adminEmail, 'wrong-password-marker');
    expect(res.status).toBe(401);
    const events = await auditOf(a, { action: 'auth.login_failed' });
    const mine = events.find((e) => e.requestId === res.body.requestId);
    expect(mine).toMatchObject({ outcome: 'denied', entityType: 'user', entityId: a.adminUserId });
    expect(JSON.stringify(events)).not.toContain('wrong-password-marker');
  });

  it('rejects a malformed login body with 400', async () => {
    const res = await call(t.app, 'POST', '/api/auth/login', { body: { tenant: a.slug, email: a.adminEmail } });
    expectProblem(res, 400, 'validation.failed');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'password' })]);
  });

  it('logout answers 204 and the token stops working at once', async () => {
    const token = await sessionOf(a, a.adminEmail, a.adminPassword);
    expect((await call(t.app, 'GET', '/api/me', { token })).status).toBe(200);
    const out = await call(t.app, 'POST', '/api/auth/logout', { token });
    expect(out.status).toBe(204);
    expect(out.body).toBeNull();
    const after = await call(t.app, 'GET', '/api/me', { token });
    expectProblem(after, 401, 'auth.invalid_token');
    // Other sessions of the same user are untouched.
    const other = await sessionOf(a, a.adminEmail, a.adminPassword);
    expect((await call(t.app, 'GET', '/api/me', { token: other })).status).toBe(200);
  });

  it('an expired session is 401', async () => {
    const token = await sessionOf(a, a.adminEmail, a.adminPassword);
    const me = await call(t.app, 'GET', '/api/me', { token });
    expect(me.status).toBe(200);
    await t.db.db.execute(
      sql`update sessions set expires_at = now() - interval '1 second' where id = ${me.body.credential.id}`,
    );
    expectProblem(await call(t.app, 'GET', '/api/me', { token }), 401, 'auth.invalid_token');
  });

  it('the session token is stored only as a hash', async () => {
    const token = await sessionOf(a, a.adminEmail, a.adminPassword);
    const hits = await rows<{ n: number }>(
      t.db.db,
      sql`select count(*)::int as n from sessions s where strpos(s::text, ${token.slice(3)}) > 0`,
    );
    expect(hits[0].n).toBe(0);
  });

  it('an API key cannot log out (it is revoked instead)', async () => {
    const res = await call(t.app, 'POST', '/api/auth/logout', { token: a.apiKey });
    expectProblem(res, 400, 'auth.not_a_session');
    expect((await call(t.app, 'GET', '/api/me', { token: a.apiKey })).status).toBe(200);
  });

  it('no credential, a malformed header or an unknown token → 401', async () => {
    expectProblem(await call(t.app, 'GET', '/api/me'), 401, 'auth.unauthenticated');
    expectProblem(
      await call(t.app, 'GET', '/api/me', { headers: { authorization: `Basic ${a.apiKey}` } }),
      401,
      'auth.unauthenticated',
    );
    expectProblem(await call(t.app, 'GET', '/api/me', { token: 'hs_notarealtoken12345' }), 401, 'auth.invalid_token');
    expectProblem(await call(t.app, 'GET', '/api/me', { token: `${a.apiKey}x` }), 401, 'auth.invalid_token');
  });

  it('disabling a user ends their sessions; the user can no longer log in', async () => {
    const u = await createUser(a, ['agent']);
    const token = await sessionOf(a, u.email, u.password);
    expect((await call(t.app, 'GET', '/api/me', { token })).status).toBe(200);

    const patched = await call(t.app, 'PATCH', `/api/admin/users/${u.id}`, {
      token: a.apiKey,
      body: { status: 'disabled' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.status).toBe('disabled');
    expectProblem(await call(t.app, 'GET', '/api/me', { token }), 401, 'auth.invalid_token');
    expectProblem(await login(t.app, a.slug, u.email, u.password), 401, 'auth.invalid_credentials');

    // Re-enabling does not resurrect the old session, but a new login works.
    const enabled = await call(t.app, 'PATCH', `/api/admin/users/${u.id}`, {
      token: a.apiKey,
      body: { status: 'active' },
    });
    expect(enabled.status).toBe(200);
    expect((await call(t.app, 'GET', '/api/me', { token })).status).toBe(401);
    const fresh = await sessionOf(a, u.email, u.password);
    expect((await call(t.app, 'GET', '/api/me', { token: fresh })).status).toBe(200);
  });

  it('disabling a user revokes the API keys they issued at once (audited); other keys keep working', async () => {
    const u = await createUser(a, ['admin']);
    const token = await sessionOf(a, u.email, u.password);
    const issued = await call(t.app, 'POST', '/api/admin/api-keys', {
      token,
      body: { name: 'Mine', roles: ['agent'] },
    });
    expect(issued.status).toBe(201);
    const other = await apiKeyWith(a, ['agent'], 'Not theirs');
    expect((await call(t.app, 'GET', '/api/me', { token: issued.body.secret })).status).toBe(200);

    await call(t.app, 'PATCH', `/api/admin/users/${u.id}`, { token: a.apiKey, body: { status: 'disabled' } });
    expectProblem(await call(t.app, 'GET', '/api/me', { token: issued.body.secret }), 401, 'auth.invalid_token');
    expect((await call(t.app, 'GET', '/api/me', { token: other.secret })).status).toBe(200);
    expect((await auditOf(a, { entityType: 'api_key', entityId: issued.body.id })).map((e) => e.action)).toEqual([
      'api_key.revoked',
      'api_key.created',
    ]);
    // For good: re-enabling the user does not bring the key back.
    await call(t.app, 'PATCH', `/api/admin/users/${u.id}`, { token: a.apiKey, body: { status: 'active' } });
    expect((await call(t.app, 'GET', '/api/me', { token: issued.body.secret })).status).toBe(401);
  });

  it('changing a password ends existing sessions and the new password works', async () => {
    const u = await createUser(a, ['agent']);
    const token = await sessionOf(a, u.email, u.password);
    const res = await call(t.app, 'PATCH', `/api/admin/users/${u.id}`, {
      token: a.apiKey,
      body: { password: 'a brand new password' },
    });
    expect(res.status).toBe(200);
    expect((await call(t.app, 'GET', '/api/me', { token })).status).toBe(401);
    expect((await login(t.app, a.slug, u.email, u.password)).status).toBe(401);
    expect((await login(t.app, a.slug, u.email, 'a brand new password')).status).toBe(200);
  });
});

describe('login rate limit', () => {
  let limited: TestApp;
  let ten: TestTenant;
  beforeAll(async () => {
    limited = await createTestApp({ loginRateLimit: 3 });
    ten = await createTenant(limited);
  });
  afterAll(async () => limited?.close());

  it('the 4th attempt within the window is 429 problem+json with Retry-After', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await login(limited.app, ten.slug, ten.adminEmail, `wrong ${i}`);
      expect(res.status).toBe(401);
    }
    const res = await login(limited.app, ten.slug, ten.adminEmail, ten.adminPassword);
    expectProblem(res, 429, 'rate_limit.exceeded');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body).not.toHaveProperty('token');

    // The limit is per tenant + email: another account is not locked out by these attempts.
    const other = await call(limited.app, 'POST', '/api/admin/users', {
      token: ten.apiKey,
      body: { email: `other@${ten.slug}.example`, name: 'Other', password: PASSWORD, roles: ['agent'] },
    });
    expect(other.status).toBe(201);
    expect((await login(limited.app, ten.slug, `other@${ten.slug}.example`, PASSWORD)).status).toBe(200);
  });

  it('changing the case of the email or padding it with spaces does not reset the counter', async () => {
    for (const email of [ten.adminEmail.toUpperCase(), ` ${ten.adminEmail}`, `${ten.adminEmail}  `]) {
      const res = await login(limited.app, ten.slug, email, ten.adminPassword);
      expect(res.status, JSON.stringify(email)).toBe(429);
    }
  });
});

describe('users', () => {
  it('creates a user → 201 with ETag, visible in the list and by id', async () => {
    const email = `Mixed.Case@${a.slug}.example`;
    const res = await call(t.app, 'POST', '/api/admin/users', {
      token: a.apiKey,
      body: { email, name: 'Mixed Case', roles: ['agent', 'analyst'] },
    });
    expect(res.status).toBe(201);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toMatchObject({
      id: expect.any(String),
      email: email.toLowerCase(),
      name: 'Mixed Case',
      roles: ['agent', 'analyst'],
      status: 'active',
      version: 1,
    });
    expect(res.body).not.toHaveProperty('password');
    expect(res.body).not.toHaveProperty('passwordHash');

    const got = await call(t.app, 'GET', `/api/admin/users/${res.body.id}`, { token: a.apiKey });
    expect(got.status).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.body).toEqual(res.body);

    const list = await call(t.app, 'GET', '/api/admin/users?limit=200', { token: a.apiKey });
    expect(list.status).toBe(200);
    expect(list.body.nextCursor).toBeNull();
    expect(list.body.data.map((u: any) => u.id)).toContain(res.body.id);
    expect(list.body.data.every((u: any) => !('passwordHash' in u))).toBe(true);
  });

  it('a user without a password cannot log in', async () => {
    const email = `nopass@${a.slug}.example`;
    const res = await call(t.app, 'POST', '/api/admin/users', {
      token: a.apiKey,
      body: { email, name: 'No Password', roles: ['agent'] },
    });
    expect(res.status).toBe(201);
    expectProblem(await login(t.app, a.slug, email, 'anything at all'), 401, 'auth.invalid_credentials');
  });

  it('unknown role → 400 naming the role; nothing is created', async () => {
    const email = `badrole@${a.slug}.example`;
    const res = await call(t.app, 'POST', '/api/admin/users', {
      token: a.apiKey,
      body: { email, name: 'Bad Role', roles: ['agent', 'wizard'] },
    });
    expectProblem(res, 400, 'validation.failed');
    expect(res.body.errors).toEqual([{ path: 'roles', message: expect.stringContaining('wizard') }]);
    const list = await call(t.app, 'GET', '/api/admin/users?limit=200', { token: a.apiKey });
    expect(list.body.data.map((u: any) => u.email)).not.toContain(email);
  });

  it('a role of another tenant is unknown here', async () => {
    const put = await call(t.app, 'PUT', '/api/admin/roles/b-only', {
      token: b.apiKey,
      body: { name: 'B only', scope: 'all', capabilities: ['leads:read'] },
    });
    expect(put.status).toBe(200);
    const res = await call(t.app, 'POST', '/api/admin/users', {
      token: a.apiKey,
      body: { email: `brole@${a.slug}.example`, name: 'B role', roles: ['b-only'] },
    });
    expectProblem(res, 400, 'validation.failed');
  });

  it('duplicate email (any case) → 409 user.email_taken; the same email is fine in another tenant', async () => {
    const u = await createUser(a, ['agent']);
    const dup = await call(t.app, 'POST', '/api/admin/users', {
      token: a.apiKey,
      body: { email: u.email.toUpperCase(), name: 'Dup', roles: ['agent'] },
    });
    expectProblem(dup, 409, 'user.email_taken');
    const elsewhere = await call(t.app, 'POST', '/api/admin/users', {
      token: b.apiKey,
      body: { email: u.email, name: 'Same email, other tenant', roles: ['agent'] },
    });
    expect(elsewhere.status).toBe(201);
  });

  it('rejects invalid bodies: bad email, short password, no roles, unknown field', async () => {
    const base = { email: `valid@${a.slug}.example`, name: 'Valid', roles: ['agent'] };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, email: 'not-an-email' }, 'email'],
      [{ ...base, password: 'short' }, 'password'],
      [{ ...base, roles: [] }, 'roles'],
      [{ ...base, isAdmin: true }, ''],
    ];
    for (const [body, path] of cases) {
      const res = await call(t.app, 'POST', '/api/admin/users', { token: a.apiKey, body });
      expectProblem(res, 400, 'validation.failed');
      if (path) expect(res.body.errors.map((e: any) => e.path)).toContain(path);
    }
  });

  it('PATCH honours If-Match: current → 200 with the next ETag, stale → 412, malformed → 400', async () => {
    const u = await createUser(a, ['agent']);
    const ok = await call(t.app, 'PATCH', `/api/admin/users/${u.id}`, {
      token: a.apiKey,
      body: { name: 'Renamed' },
      headers: { 'if-match': '"1"' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    expect(ok.body).toMatchObject({ name: 'Renamed', version: 2 });

    const stale = await call(t.app, 'PATCH', `/api/admin/users/${u.id}`, {
      token: a.apiKey,
      body: { name: 'Lost update' },
      headers: { 'if-match': '"1"' },
    });
    expectProblem(stale, 412, 'concurrency.version_mismatch');
    const now = await call(t.app, 'GET', `/api/admin/users/${u.id}`, { token: a.apiKey });
    expect(now.body).toMatchObject({ name: 'Renamed', version: 2 });

    const malformed = await call(t.app, 'PATCH', `/api/admin/users/${u.id}`, {
      token: a.apiKey,
      body: { name: 'x' },
      headers: { 'if-match': 'two' },
    });
    expectProblem(malformed, 400, 'concurrency.invalid_if_match');
  });

  it('PATCH changes roles; an empty patch or an unknown id is refused', async () => {
    const u = await createUser(a, ['agent']);
    const res = await call(t.app, 'PATCH', `/api/admin/users/${u.id}`, {
      token: a.apiKey,
      body: { roles: ['manager'] },
    });
    expect(res.status).toBe(200);
    expect(res.body.roles).toEqual(['manager']);
    const empty = await call(t.app, 'PATCH', `/api/admin/users/${u.id}`, { token: a.apiKey, body: {} });
    expectProblem(empty, 400, 'validation.failed');
    const missing = await call(t.app, 'PATCH', '/api/admin/users/01900000-0000-7000-8000-000000000000', {
      token: a.apiKey,
      body: { name: 'Ghost' },
    });
    expectProblem(missing, 404, 'user.not_found');
    const notUuid = await call(t.app, 'GET', '/api/admin/users/not-a-uuid', { token: a.apiKey });
    expectProblem(notUuid, 400, 'validation.failed');
  });
});

describe('API keys', () => {
  it('returns the secret once; lists never contain it; the table holds only a hash', async () => {
    const created = await call(t.app, 'POST', '/api/admin/api-keys', {
      token: a.apiKey,
      body: { name: 'Integration', roles: ['analyst'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      name: 'Integration',
      roles: ['analyst'],
      revokedAt: null,
      secret: expect.stringMatching(/^hk_/),
    });
    const { secret, id, prefix } = created.body;
    expect(secret).toContain(prefix);

    const me = await call(t.app, 'GET', '/api/me', { token: secret });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: null, roles: ['analyst'], credential: { kind: 'api_key', id } });
    expect(me.body.capabilities).toContain('leads:read');
    expect(me.body.capabilities).not.toContain('leads:write');

    const list = await call(t.app, 'GET', '/api/admin/api-keys?limit=200', { token: a.apiKey });
    expect(list.status).toBe(200);
    const item = list.body.data.find((k: any) => k.id === id);
    expect(item).toMatchObject({ id, name: 'Integration', prefix, roles: ['analyst'], revokedAt: null });
    expect(item).not.toHaveProperty('secret');
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(-32));

    const stored = await rows<Record<string, unknown>>(t.db.db, sql`select * from api_keys where id = ${id}`);
    expect(stored).toHaveLength(1);
    const dump = JSON.stringify(stored);
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(secret.slice(-32));
    expect(stored[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the secret is stored nowhere in the database, even when created with an Idempotency-Key', async () => {
    const idem = { 'idempotency-key': `api-key-${Date.now()}` };
    const body = { name: 'Idempotent key', roles: ['agent'] };
    const created = await call(t.app, 'POST', '/api/admin/api-keys', { token: a.apiKey, body, headers: idem });
    expect(created.status).toBe(201);
    const secretPart = created.body.secret.slice(-32);
    const stored = await rows<{ n: number }>(
      t.db.db,
      sql`select count(*)::int as n from idempotency_keys where tenant_id = ${a.tenantId} and key = ${idem['idempotency-key']}`,
    );
    expect(stored[0].n).toBe(1);
    for (const table of ['idempotency_keys', 'api_keys', 'audit_events', 'outbox_events']) {
      const hits = await rows<{ n: number }>(
        t.db.db,
        sql`select count(*)::int as n from ${sql.identifier(table)} r where strpos(r::text, ${secretPart}) > 0`,
      );
      expect(hits[0].n, table).toBe(0);
    }
    // The caller that made the key can still replay the response (same status, body, and a working secret).
    const replay = await call(t.app, 'POST', '/api/admin/api-keys', { token: a.apiKey, body, headers: idem });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(created.body);
    const list = await call(t.app, 'GET', '/api/admin/api-keys?limit=200', { token: a.apiKey });
    expect(list.body.data.filter((k: any) => k.name === 'Idempotent key')).toHaveLength(1);
    expect((await call(t.app, 'GET', '/api/me', { token: created.body.secret })).status).toBe(200);
  });

  it('DELETE revokes → 204 and the key is 401 at once; revoked keys stay listed with revokedAt', async () => {
    const key = await apiKeyWith(a, ['agent']);
    expect((await call(t.app, 'GET', '/api/me', { token: key.secret })).status).toBe(200);
    const del = await call(t.app, 'DELETE', `/api/admin/api-keys/${key.id}`, { token: a.apiKey });
    expect(del.status).toBe(204);
    expectProblem(await call(t.app, 'GET', '/api/me', { token: key.secret }), 401, 'auth.invalid_token');
    const list = await call(t.app, 'GET', '/api/admin/api-keys?limit=200', { token: a.apiKey });
    expect(list.body.data.find((k: any) => k.id === key.id).revokedAt).toEqual(expect.any(String));
    // Revoking twice is harmless; an unknown id is a 404.
    expect((await call(t.app, 'DELETE', `/api/admin/api-keys/${key.id}`, { token: a.apiKey })).status).toBe(204);
    expectProblem(
      await call(t.app, 'DELETE', '/api/admin/api-keys/01900000-0000-7000-8000-000000000000', { token: a.apiKey }),
      404,
      'api_key.not_found',
    );
  });

  it('creating a key with an unknown role → 400', async () => {
    const res = await call(t.app, 'POST', '/api/admin/api-keys', {
      token: a.apiKey,
      body: { name: 'Bad', roles: ['nope'] },
    });
    expectProblem(res, 400, 'validation.failed');
  });
});

describe('roles', () => {
  it('lists the six default roles; owner is built in', async () => {
    const res = await call(t.app, 'GET', '/api/admin/roles', { token: a.apiKey });
    expect(res.status).toBe(200);
    const keys = res.body.data.map((r: any) => r.key);
    for (const k of ['owner', 'admin', 'manager', 'agent', 'analyst', 'installer-partner']) expect(keys).toContain(k);
    const byKey = Object.fromEntries(res.body.data.map((r: any) => [r.key, r]));
    expect(byKey.owner).toMatchObject({ builtIn: true, scope: 'all' });
    expect([...byKey.owner.capabilities].sort()).toEqual([...CAPABILITIES].sort());
    expect(byKey.analyst.capabilities).not.toContain('leads:write');
    expect(byKey['installer-partner'].scope).toBe('installer');
    expect(byKey.agent.scope).toBe('own');
  });

  it('PUT with an unknown capability → 400', async () => {
    const res = await call(t.app, 'PUT', '/api/admin/roles/broken', {
      token: a.apiKey,
      body: { name: 'Broken', scope: 'all', capabilities: ['leads:read', 'leads:teleport'] },
    });
    expectProblem(res, 400, 'validation.failed');
    const list = await call(t.app, 'GET', '/api/admin/roles', { token: a.apiKey });
    expect(list.body.data.map((r: any) => r.key)).not.toContain('broken');
  });

  it('PUT owner → 409 role.built_in and owner is unchanged', async () => {
    const res = await call(t.app, 'PUT', '/api/admin/roles/owner', {
      token: a.apiKey,
      body: { name: 'Owner', scope: 'own', capabilities: ['leads:read'] },
    });
    expectProblem(res, 409, 'role.built_in');
    const list = await call(t.app, 'GET', '/api/admin/roles', { token: a.apiKey });
    const owner = list.body.data.find((r: any) => r.key === 'owner');
    expect(owner.capabilities).toHaveLength(CAPABILITIES.length);
    expect(owner.scope).toBe('all');
  });

  it('an invalid role key in the path → 400', async () => {
    const res = await call(t.app, 'PUT', '/api/admin/roles/Not%20Valid', {
      token: a.apiKey,
      body: { name: 'x', scope: 'all', capabilities: [] },
    });
    expectProblem(res, 400, 'validation.failed');
  });

  it('a custom role works end to end for a new user, and a change applies to the next request', async () => {
    const put = await call(t.app, 'PUT', '/api/admin/roles/lead-viewer', {
      token: a.apiKey,
      body: { name: 'Lead viewer', scope: 'all', capabilities: ['leads:read', 'leads:read'] },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      key: 'lead-viewer',
      name: 'Lead viewer',
      scope: 'all',
      capabilities: ['leads:read'],
      builtIn: false,
      version: 1,
    });
    const u = await createUser(a, ['lead-viewer']);
    const token = await sessionOf(a, u.email, u.password);
    const me = await call(t.app, 'GET', '/api/me', { token });
    expect(me.body).toMatchObject({ roles: ['lead-viewer'], capabilities: ['leads:read'], scope: 'all' });
    expect((await call(t.app, 'GET', '/api/leads', { token })).status).toBe(200);
    expectProblem(await call(t.app, 'POST', '/api/leads', { token, body: intakeBody() }), 403, 'auth.forbidden');
    expectProblem(await call(t.app, 'GET', '/api/admin/users', { token }), 403, 'auth.forbidden');

    const widened = await call(t.app, 'PUT', '/api/admin/roles/lead-viewer', {
      token: a.apiKey,
      body: { name: 'Lead editor', scope: 'all', capabilities: ['leads:read', 'leads:write'] },
    });
    expect(widened.status).toBe(200);
    expect(widened.body.version).toBe(2);
    expect((await call(t.app, 'POST', '/api/leads', { token, body: intakeBody() })).status).toBe(201);

    const narrowed = await call(t.app, 'PUT', '/api/admin/roles/lead-viewer', {
      token: a.apiKey,
      body: { name: 'Nothing', scope: 'all', capabilities: [] },
    });
    expect(narrowed.status).toBe(200);
    expect((await call(t.app, 'GET', '/api/leads', { token })).status).toBe(403);
  });

  it('nobody grants more than they hold: a user admin cannot mint an owner or take over one', async () => {
    const put = await call(t.app, 'PUT', '/api/admin/roles/user-admin', {
      token: a.apiKey,
      body: {
        name: 'User admin',
        scope: 'all',
        capabilities: ['admin:users', 'admin:api_keys', 'admin:roles', 'leads:read'],
      },
    });
    expect(put.status).toBe(200);
    await call(t.app, 'PUT', '/api/admin/roles/reader', {
      token: a.apiKey,
      body: { name: 'Reader', scope: 'all', capabilities: ['leads:read'] },
    });
    const ua = await createUser(a, ['user-admin']);
    const token = await sessionOf(a, ua.email, ua.password);

    // Within their own capabilities: fine.
    const reader = await call(t.app, 'POST', '/api/admin/users', {
      token,
      body: { email: `reader@${a.slug}.example`, name: 'Reader', roles: ['reader'] },
    });
    expect(reader.status).toBe(201);
    const readerKey = await call(t.app, 'POST', '/api/admin/api-keys', {
      token,
      body: { name: 'Reader key', roles: ['reader'] },
    });
    expect(readerKey.status).toBe(201);

    // Beyond them: refused (403, audited) and nothing changes.
    const refusals = [
      await call(t.app, 'POST', '/api/admin/users', {
        token,
        body: { email: `evil@${a.slug}.example`, name: 'Evil', roles: ['owner'] },
      }),
      await call(t.app, 'PATCH', `/api/admin/users/${ua.id}`, { token, body: { roles: ['owner'] } }),
      await call(t.app, 'PATCH', `/api/admin/users/${a.adminUserId}`, {
        token,
        body: { password: 'i own this tenant now' },
      }),
      await call(t.app, 'PATCH', `/api/admin/users/${a.adminUserId}`, { token, body: { status: 'disabled' } }),
      await call(t.app, 'POST', '/api/admin/api-keys', { token, body: { name: 'Evil key', roles: ['admin'] } }),
      await call(t.app, 'PUT', '/api/admin/roles/user-admin', {
        token,
        body: { name: 'Everything', scope: 'all', capabilities: [...CAPABILITIES] },
      }),
      await call(t.app, 'PUT', '/api/admin/roles/reader', {
        token,
        body: { name: 'Reader', scope: 'all', capabilities: ['leads:read', 'leads:write'] },
      }),
    ];
    for (const r of refusals) expectProblem(r, 403, 'auth.forbidden');
    const denied = await auditOf(a, { actorId: ua.id, action: 'authz.denied' });
    expect(denied.length).toBe(refusals.length);

    const owner = await call(t.app, 'GET', `/api/admin/users/${a.adminUserId}`, { token: a.apiKey });
    expect(owner.body.status).toBe('active');
    expect((await login(t.app, a.slug, a.adminEmail, a.adminPassword)).status).toBe(200);
    const me = await call(t.app, 'GET', '/api/me', { token });
    expect(me.body.roles).toEqual(['user-admin']);
    expect(me.body.capabilities).toHaveLength(4);
  });

  it('a role of tenant A is not visible to tenant B', async () => {
    await call(t.app, 'PUT', '/api/admin/roles/a-secret-role', {
      token: a.apiKey,
      body: { name: 'A secret', scope: 'all', capabilities: ['leads:read'] },
    });
    const list = await call(t.app, 'GET', '/api/admin/roles', { token: b.apiKey });
    expect(list.body.data.map((r: any) => r.key)).not.toContain('a-secret-role');
  });
});

describe('audit', () => {
  it('every identity mutation writes one audit event with changed field names, never values', async () => {
    const email = `audited@${a.slug}.example`;
    const name = 'Audited Person Name';
    const password = 'audited secret password';
    const created = await call(t.app, 'POST', '/api/admin/users', {
      token: a.apiKey,
      body: { email, name, password, roles: ['agent'] },
    });
    expect(created.status).toBe(201);
    const userId = created.body.id;

    // An API key acts as itself in the audit trail (which key did it), not as the user who made it.
    const keyId = (await call(t.app, 'GET', '/api/me', { token: a.apiKey })).body.credential.id;
    let events = await auditOf(a, { entityType: 'user', entityId: userId });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'user.created',
      outcome: 'ok',
      entityType: 'user',
      entityId: userId,
      actorKind: 'api_key',
      actorId: keyId,
      requestId: created.headers['x-request-id'],
    });
    expect([...events[0].changedFields].sort()).toEqual(['email', 'name', 'password', 'roles']);

    const patched = await call(t.app, 'PATCH', `/api/admin/users/${userId}`, {
      token: a.apiKey,
      body: { name: 'New Secret Name', status: 'disabled' },
    });
    expect(patched.status).toBe(200);
    events = await auditOf(a, { entityType: 'user', entityId: userId });
    expect(events.map((e) => e.action)).toEqual(['user.updated', 'user.created']); // newest first
    expect([...events[0].changedFields].sort()).toEqual(['name', 'status']);

    const key = await apiKeyWith(a, ['agent'], 'Audited key');
    await call(t.app, 'DELETE', `/api/admin/api-keys/${key.id}`, { token: a.apiKey });
    const keyEvents = await auditOf(a, { entityType: 'api_key', entityId: key.id });
    expect(keyEvents.map((e) => e.action)).toEqual(['api_key.revoked', 'api_key.created']);

    await call(t.app, 'PUT', '/api/admin/roles/audited-role', {
      token: a.apiKey,
      body: { name: 'Audited', scope: 'own', capabilities: ['leads:read'] },
    });
    await call(t.app, 'PUT', '/api/admin/roles/audited-role', {
      token: a.apiKey,
      body: { name: 'Audited 2', scope: 'own', capabilities: ['leads:read'] },
    });
    const roleEvents = await auditOf(a, { entityType: 'role', entityId: 'audited-role' });
    expect(roleEvents.map((e) => e.action)).toEqual(['role.updated', 'role.created']);

    const lead = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body: intakeBody() });
    expect(lead.status).toBe(201);
    const leadEvents = await auditOf(a, { entityType: 'lead', entityId: lead.body.id });
    expect(leadEvents.length).toBeGreaterThanOrEqual(1);
    expect(leadEvents[0].outcome).toBe('ok');

    // No value ever reaches the audit trail, in the API or in the table.
    const everything = JSON.stringify(await auditOf(a, {}));
    const table = JSON.stringify(await rows(t.db.db, sql`select * from audit_events where tenant_id = ${a.tenantId}`));
    for (const value of [email, name, password, 'New Secret Name', key.secret, lead.body.contact.email]) {
      expect(everything).not.toContain(value);
      expect(table).not.toContain(value);
    }
  });

  it('login and logout are audited against the session', async () => {
    const res = await login(t.app, a.slug, a.adminEmail, a.adminPassword);
    const me = await call(t.app, 'GET', '/api/me', { token: res.body.token });
    const sessionId = me.body.credential.id;
    await call(t.app, 'POST', '/api/auth/logout', { token: res.body.token });
    const events = await auditOf(a, { entityType: 'session', entityId: sessionId });
    expect(events.map((e) => e.action)).toEqual(['auth.logout', 'auth.login']);
    expect(events.every((e) => e.actorId === a.adminUserId)).toBe(true);
  });

  it('filters by actorId and paginates newest first', async () => {
    const u = await createUser(a, ['admin']);
    const token = await sessionOf(a, u.email, u.password);
    for (let i = 0; i < 3; i++) {
      const r = await call(t.app, 'PUT', `/api/admin/roles/actor-role-${i}`, {
        token,
        body: { name: `R${i}`, scope: 'all', capabilities: [] },
      });
      expect(r.status).toBe(200);
    }
    const all = await auditOf(a, { actorId: u.id });
    expect(all.every((e) => e.actorId === u.id)).toBe(true);
    expect(all.map((e) => e.entityId).filter((id: string) => id.startsWith('actor-role-'))).toEqual([
      'actor-role-2',
      'actor-role-1',
      'actor-role-0',
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `actorId=${u.id}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await call(t.app, 'GET', `/api/admin/audit-events?${qs}`, { token: a.apiKey });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((e: any) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));
  });

  it('a refused authorization is 403 auth.forbidden and audited as denied (API key and session)', async () => {
    const analystKey = await apiKeyWith(a, ['analyst'], 'Analyst key');
    const res = await call(t.app, 'POST', '/api/leads', { token: analystKey.secret, body: intakeBody() });
    expectProblem(res, 403, 'auth.forbidden');
    expect(res.body.capability).toBe('leads:write');

    const events = (await auditOf(a, { action: 'authz.denied' })).filter((e) => e.requestId === res.body.requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'denied', actorKind: 'api_key', entityType: 'route' });
    expect(events[0].entityId).toContain('POST /api/leads');
    expect(events[0].entityId).toContain('leads:write');

    const analyst = await createUser(a, ['analyst']);
    const token = await sessionOf(a, analyst.email, analyst.password);
    const res2 = await call(t.app, 'POST', '/api/admin/users', {
      token,
      body: { email: `x@${a.slug}.example`, name: 'X', roles: ['owner'] },
    });
    expectProblem(res2, 403, 'auth.forbidden');
    const byUser = await auditOf(a, { actorId: analyst.id });
    expect(byUser.find((e) => e.requestId === res2.body.requestId)).toMatchObject({
      action: 'authz.denied',
      outcome: 'denied',
      actorKind: 'user',
    });
    // The refused request changed nothing.
    const list = await call(t.app, 'GET', '/api/admin/users?limit=200', { token: a.apiKey });
    expect(list.body.data.map((u: any) => u.email)).not.toContain(`x@${a.slug}.example`);
  });

  it('a capability refused inside a handler is audited as denied too', async () => {
    const agentKey = await apiKeyWith(a, ['agent'], 'Agent key');
    const res = await call(t.app, 'POST', '/api/leads', {
      token: agentKey.secret,
      body: { ...intakeBody(), assignedUserId: a.adminUserId },
    });
    expectProblem(res, 403, 'auth.forbidden');
    expect(res.body.capability).toBe('leads:assign');
    const events = (await auditOf(a, { action: 'authz.denied' })).filter((e) => e.requestId === res.body.requestId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'denied', actorKind: 'api_key' });
    expect(events[0].entityId).toContain('leads:assign');
  });

  it('audit events are append-only at the database level', async () => {
    const [row] = await rows<{ id: string }>(
      t.db.db,
      sql`select id from audit_events where tenant_id = ${a.tenantId} limit 1`,
    );
    expect(row).toBeDefined();
    await expectAppendOnly(t.db.db.execute(sql`update audit_events set action = 'tampered' where id = ${row.id}`));
    await expectAppendOnly(t.db.db.execute(sql`delete from audit_events where id = ${row.id}`));
    await expectAppendOnly(t.db.db.execute(sql`truncate audit_events`));
    // Also as the application role inside a tenant transaction.
    await expectAppendOnly(
      t.db.tenantTx(a.tenantId, (tx) => tx.execute(sql`update audit_events set outcome = 'ok' where id = ${row.id}`)),
    );
    await expectAppendOnly(
      t.db.tenantTx(a.tenantId, (tx) => tx.execute(sql`delete from audit_events where id = ${row.id}`)),
    );
    const still = await rows<{ action: string }>(t.db.db, sql`select action from audit_events where id = ${row.id}`);
    expect(still).toHaveLength(1);
    expect(still[0].action).not.toBe('tampered');
  });
});

describe('tenant isolation', () => {
  it("tenant B cannot see or change tenant A's users, keys or audit events (404, never 403)", async () => {
    const aUser = await createUser(a, ['agent']);
    const aKey = await apiKeyWith(a, ['agent']);

    expectProblem(await call(t.app, 'GET', `/api/admin/users/${aUser.id}`, { token: b.apiKey }), 404, 'user.not_found');
    expectProblem(
      await call(t.app, 'PATCH', `/api/admin/users/${aUser.id}`, { token: b.apiKey, body: { status: 'disabled' } }),
      404,
      'user.not_found',
    );
    expectProblem(
      await call(t.app, 'DELETE', `/api/admin/api-keys/${aKey.id}`, { token: b.apiKey }),
      404,
      'api_key.not_found',
    );
    // A's key still works and A's user is untouched.
    expect((await call(t.app, 'GET', '/api/me', { token: aKey.secret })).status).toBe(200);
    const still = await call(t.app, 'GET', `/api/admin/users/${aUser.id}`, { token: a.apiKey });
    expect(still.body.status).toBe('active');

    const bUsers = await call(t.app, 'GET', '/api/admin/users?limit=200', { token: b.apiKey });
    expect(bUsers.body.data.map((u: any) => u.id)).not.toContain(aUser.id);
    expect(bUsers.body.data.map((u: any) => u.id)).not.toContain(a.adminUserId);
    const bKeys = await call(t.app, 'GET', '/api/admin/api-keys?limit=200', { token: b.apiKey });
    expect(bKeys.body.data.map((k: any) => k.id)).not.toContain(aKey.id);

    expect(await auditOf(b, { entityType: 'user', entityId: aUser.id })).toEqual([]);
    expect(await auditOf(b, { actorId: a.adminUserId })).toEqual([]);
    const bAudit: any[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await call(t.app, 'GET', `/api/admin/audit-events?${qs}`, { token: b.apiKey });
      bAudit.push(...page.body.data);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(bAudit.length).toBeGreaterThan(0);
    const aIds = new Set(
      (await rows<{ id: string }>(t.db.db, sql`select id from audit_events where tenant_id = ${a.tenantId}`)).map(
        (r) => r.id,
      ),
    );
    expect(aIds.size).toBeGreaterThan(0);
    expect(bAudit.filter((e) => aIds.has(e.id))).toEqual([]);
    const aRefs = new Set([a.tenantId, a.adminUserId, aUser.id, aKey.id]);
    expect(bAudit.filter((e) => aRefs.has(e.entityId) || aRefs.has(e.actorId))).toEqual([]);
  });

  it("a session of tenant B sees B's tenant on /api/me, whatever the request says", async () => {
    const token = await sessionOf(b, b.adminEmail, b.adminPassword);
    const me = await call(t.app, 'GET', `/api/me?tenant=${a.slug}`, {
      token,
      headers: { 'x-tenant-id': a.tenantId },
    });
    expect(me.status).toBe(200);
    expect(me.body.tenant.id).toBe(b.tenantId);
    const plain = await call(t.app, 'GET', '/api/me', { token, headers: { 'x-tenant-id': a.tenantId } });
    expect(plain.body.tenant.id).toBe(b.tenantId);
  });
});
