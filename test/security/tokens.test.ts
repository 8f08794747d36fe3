/**
 * Credential sweep (OWASP API2:2023, ASVS 5.0 §7 session management, §9 tokens): every authenticated
 * operation of /api/openapi.json, every method, refuses with 401 problem+json — never 403, 404, 5xx or
 * 2xx — a request with no credential, an expired or logged-out session, a revoked API key, another
 * tenant's revoked key, the session and the API key of a disabled user, and malformed tokens. Nothing is
 * written for a refused request.
 *
 * There is no OIDC/JWT in this codebase (bearer tokens are opaque API keys `hk_…` and sessions `hs_…`), so
 * the JWT cases (alg=none, expired/unsigned JWTs, wrong issuer/audience, JWKS rotation) do not apply and are
 * skipped; a JWT-shaped token is still swept below as one more malformed credential.
 */
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, type Res, type TestApp, type TestTenant } from '../helpers.ts';
import {
  bodyFor,
  expandEnums,
  fingerprint,
  isProblem,
  isPublic,
  key,
  type Operation,
  operations,
  requiredQuery,
  send,
} from './sweep.ts';

const PASSWORD = 'a long enough password';
const sha256 = (v: string) => createHash('sha256').update(v).digest('hex');

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let ops: Operation[];

/** Authorization header values that must all be refused; `null` = no header at all. */
const bad: Record<string, string | null> = {};

async function user(tenant: TestTenant, roles: string[]) {
  const email = `${roles[0]}.${randomUUID().slice(0, 8)}@${tenant.slug}.example`;
  const created = await call(t.app, 'POST', '/api/admin/users', {
    token: tenant.apiKey,
    body: { email, name: 'Token Sweep', password: PASSWORD, roles },
  });
  expect(created.status).toBe(201);
  const login = await call(t.app, 'POST', '/api/auth/login', {
    body: { tenant: tenant.slug, email, password: PASSWORD },
  });
  expect(login.status).toBe(200);
  return { id: created.body.id as string, token: login.body.token as string };
}

const me = (token: string) => call(t.app, 'GET', '/api/me', { token });

async function apiKey(token: string, roles = ['agent']) {
  const res = await call(t.app, 'POST', '/api/admin/api-keys', { token, body: { name: 'Token sweep', roles } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect((await me(res.body.secret)).status).toBe(200);
  return res.body as { id: string; secret: string };
}

const disable = async (tenant: TestTenant, userId: string) =>
  expect(
    (await call(t.app, 'PATCH', `/api/admin/users/${userId}`, { token: tenant.apiKey, body: { status: 'disabled' } }))
      .status,
  ).toBe(200);

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = [await createTenant(t), await createTenant(t)];

  // Expired session: aged through SQL (sessions live SESSION_TTL_HOURS, 12 h by default).
  const expired = await user(a, ['manager']);
  expect((await me(expired.token)).status).toBe(200);
  await t.db.db.execute(
    sql`update sessions set expires_at = now() - interval '1 second' where token_hash = ${sha256(expired.token)}`,
  );
  bad['expired session'] = `Bearer ${expired.token}`;

  const loggedOut = await user(a, ['manager']);
  expect((await call(t.app, 'POST', '/api/auth/logout', { token: loggedOut.token })).status).toBe(204);
  bad['logged-out session'] = `Bearer ${loggedOut.token}`;

  const revoked = await apiKey(a.apiKey, ['owner']);
  expect((await call(t.app, 'DELETE', `/api/admin/api-keys/${revoked.id}`, { token: a.apiKey })).status).toBe(204);
  bad['revoked API key'] = `Bearer ${revoked.secret}`;

  const otherRevoked = await apiKey(b.apiKey, ['owner']);
  expect((await call(t.app, 'DELETE', `/api/admin/api-keys/${otherRevoked.id}`, { token: b.apiKey })).status).toBe(204);
  bad['another tenant’s revoked API key'] = `Bearer ${otherRevoked.secret}`;

  const disabled = await user(a, ['manager']);
  expect((await me(disabled.token)).status).toBe(200);
  await disable(a, disabled.id);
  bad['disabled user’s session'] = `Bearer ${disabled.token}`;

  // A key the user made for themselves (an admin may issue keys), then the user is disabled.
  const keyHolder = await user(a, ['admin']);
  const ownKey = await apiKey(keyHolder.token, ['agent']);
  await disable(a, keyHolder.id);
  bad['disabled user’s API key'] = `Bearer ${ownKey.secret}`;

  const valid = a.apiKey;
  Object.assign(bad, {
    'no credential': null,
    'empty Bearer': 'Bearer ',
    'Bearer only': 'Bearer',
    garbage: 'Bearer garbage-garbage-garbage',
    'random API-key-shaped': `Bearer hk_${randomUUID().replace(/-/g, '')}`,
    'random session-shaped': `Bearer hs_${randomUUID().replace(/-/g, '')}`,
    'very long': `Bearer ${valid}${'A'.repeat(8192)}`,
    'valid key + 1 char': `Bearer ${valid}x`,
    'wrong scheme (Token)': `Token ${valid}`,
    'wrong scheme (Basic)': `Basic ${Buffer.from(`${a.slug}:${valid}`).toString('base64')}`,
    'wrong prefix (hx_)': `Bearer hx_${valid.slice(3)}`,
    'key secret as a session (hs_)': `Bearer hs_${valid.slice(3)}`,
    'NUL byte inside': `Bearer ${valid.slice(0, 12)}\u0000${valid.slice(12)}`,
    'NUL byte after': `Bearer ${valid}\u0000`,
    'two tokens': `Bearer ${valid} ${valid}`,
    'JWT-shaped (alg none)': `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      `{"sub":"${a.adminUserId}","tid":"${a.tenantId}"}`,
    ).toString('base64url')}.`,
  });
  ops = await operations(t.app);
});
afterAll(async () => t?.close());

describe('invalid credentials on every authenticated route', () => {
  it('answer 401 problem+json, every time, and write nothing', async () => {
    const authenticated = ops.filter((o) => !isPublic(o));
    expect(authenticated.length).toBeGreaterThan(90);
    const before = await fingerprint(t, a.tenantId);
    const failures: string[] = [];
    let requests = 0;
    for (const op of authenticated) {
      const body = bodyFor(op, () => randomUUID());
      for (const { path } of expandEnums(op)) {
        const url = path.replace(/\{[^}]+\}/g, () => randomUUID()) + requiredQuery(op);
        for (const [label, header] of Object.entries(bad)) {
          const res: Res = await send(
            t.app,
            op.method,
            url,
            op,
            body,
            header === null ? {} : { authorization: header },
          );
          requests++;
          const ok =
            isProblem(res, 401) &&
            ['auth.unauthenticated', 'auth.invalid_token'].includes(res.body.code) &&
            res.headers['www-authenticate'] === 'Bearer';
          if (!ok) failures.push(`${label}: ${key(op)} → ${res.status} ${res.body?.code ?? ''}`);
        }
      }
    }
    console.info(
      `Token sweep: ${authenticated.length} authenticated operations × ${Object.keys(bad).length} bad credentials ` +
        `= ${requests} requests, all 401 problem+json\n  credentials: ${Object.keys(bad).join(', ')}`,
    );
    expect(failures).toEqual([]);
    expect(await fingerprint(t, a.tenantId)).toEqual(before);
  });

  it('disabling a user stops their API keys at once and for good; the key stays listed as revoked', async () => {
    const holder = await user(a, ['admin']);
    const key1 = await apiKey(holder.token, ['agent']);
    await disable(a, holder.id);
    expect((await me(key1.secret)).status).toBe(401);
    const listed = await call(t.app, 'GET', '/api/admin/api-keys?limit=200', { token: a.apiKey });
    expect(listed.body.data.find((k: any) => k.id === key1.id).revokedAt).toEqual(expect.any(String));
    // Re-enabling the user does not bring the key back (as with their sessions).
    expect(
      (await call(t.app, 'PATCH', `/api/admin/users/${holder.id}`, { token: a.apiKey, body: { status: 'active' } }))
        .status,
    ).toBe(200);
    expect((await me(key1.secret)).status).toBe(401);
    // Keys of other users are untouched.
    expect((await me(a.apiKey)).status).toBe(200);
  });

  it('a key of a user disabled outside the API (e.g. directly in the database) does not authenticate either', async () => {
    const holder = await user(a, ['admin']);
    const key1 = await apiKey(holder.token, ['agent']);
    await t.db.db.execute(
      sql`update users set status = 'disabled' where tenant_id = ${a.tenantId} and id = ${holder.id}`,
    );
    expect(isProblem(await me(key1.secret), 401)).toBe(true);
    await t.db.db.execute(
      sql`update users set status = 'active' where tenant_id = ${a.tenantId} and id = ${holder.id}`,
    );
    expect((await me(key1.secret)).status).toBe(200);
  });

  it('a session just before its expiry still works; just after, it does not', async () => {
    const u = await user(a, ['agent']);
    await t.db.db.execute(
      sql`update sessions set expires_at = now() + interval '1 minute' where token_hash = ${sha256(u.token)}`,
    );
    expect((await me(u.token)).status).toBe(200);
    await t.db.db.execute(
      sql`update sessions set expires_at = now() - interval '1 millisecond' where token_hash = ${sha256(u.token)}`,
    );
    expect(isProblem(await me(u.token), 401)).toBe(true);
  });
});
