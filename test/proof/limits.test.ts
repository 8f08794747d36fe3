/**
 * Limits across every route: oversized bodies → 413, deep JSON → 400, `limit` abuse on every list → 400,
 * and every rate-limited (public) route → 429 with Retry-After past its limit. All answers problem+json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, type Res, type TestApp, type TestTenant } from '../helpers.ts';
import { requiredQuery } from '../security/sweep.ts';
import {
  type Operation,
  openapiDocument,
  operations,
  proofApp,
  proofWorld,
  refFor,
  requiredQueryFor,
  sample,
  urlFor,
  type World,
} from './support.ts';

const BODY_LIMIT = 1024 * 1024;

let w: World;
beforeAll(async () => {
  w = await proofWorld();
}, 300_000);
afterAll(async () => w?.t.close());

function expectProblem(res: Res, status: number, where: string) {
  expect(res.status, `${where}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(status);
  expect(res.headers['content-type'], where).toMatch(/^application\/problem\+json/);
  expect(res.body, where).toMatchObject({ status, code: expect.any(String), requestId: expect.any(String) });
}

const writes = () => w.ops.filter((o) => ['POST', 'PUT', 'PATCH'].includes(o.method));

async function raw(method: string, url: string, contentType: string, payload: string | Buffer, token?: string) {
  const res = await w.t.app.inject({
    method: method as any,
    url,
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload,
  });
  let body: any = res.body;
  try {
    body = JSON.parse(res.body);
  } catch {}
  return { status: res.statusCode, body, headers: res.headers } as Res;
}

describe('request size and shape limits on every write operation', () => {
  it('a body over 1 MiB → 413 problem+json, for every media type a route takes', async () => {
    const big = JSON.stringify({ x: 'a'.repeat(BODY_LIMIT + 16) });
    let checked = 0;
    const larger = new Set<string>();
    for (const op of writes()) {
      const url = urlFor(w, op);
      for (const type of op.bodyTypes.length ? op.bodyTypes : ['application/json']) {
        const payload = type === 'application/json' ? big : Buffer.alloc(BODY_LIMIT + 16, 'a');
        const res = await raw(op.method, url, type, payload, w.tenant.apiKey);
        if (res.status === 413) expectProblem(res, 413, `${op.method} ${op.path} ${type}`);
        else {
          // A route taking files has a larger limit of its own (imports: 512 MiB). Past it, it refuses on the
          // declared length alone, before reading the body.
          const huge = await w.t.app.inject({
            method: op.method as any,
            url,
            headers: {
              'content-type': type,
              'content-length': String(2 ** 31),
              authorization: `Bearer ${w.tenant.apiKey}`,
            },
            payload: 'x',
          });
          expectProblem(
            { status: huge.statusCode, body: JSON.parse(huge.body || 'null'), headers: huge.headers },
            413,
            `${op.method} ${op.path} ${type} (declared 2 GiB; 1 MiB answered ${res.status})`,
          );
          larger.add(`${op.method} ${op.path}`);
        }
        checked++;
      }
    }
    console.log(
      `limits: 413 checked on ${checked} operation/media-type pairs; with a larger limit of their own: ${[...larger].join(', ') || 'none'}`,
    );
    expect(checked).toBeGreaterThan(40);
  });

  it('JSON nested 40 deep, or 100 000 deep, → 400 problem+json on every JSON operation', async () => {
    let deep: any = 'leaf';
    for (let i = 0; i < 40; i++) deep = { n: deep };
    const absurd = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const ops = writes().filter((o) => o.bodyTypes.includes('application/json'));
    for (const op of ops) {
      const url = urlFor(w, op);
      const where = `${op.method} ${op.path}`;
      const res = await raw(op.method, url, 'application/json', JSON.stringify({ deep }), w.tenant.apiKey);
      expectProblem(res, 400, `${where} 40 deep`);
      const res2 = await raw(op.method, url, 'application/json', absurd, w.tenant.apiKey);
      expectProblem(res2, 400, `${where} 100 000 deep`);
    }
    console.log(`limits: deep JSON refused on ${ops.length} JSON operations`);
    expect(ops.length).toBeGreaterThan(40);
  });
});

describe('`limit` abuse on every list endpoint', () => {
  it('limit 0, max + 1, -1, 1e9, 2.5, abc, empty, repeated or NUL → 400; 1 and the max → 200', async () => {
    const withLimit = w.ops.filter((o) => o.method === 'GET' && o.queryParams.some((q) => q.name === 'limit'));
    const pages: string[] = [];
    for (const op of withLimit) {
      const base = urlFor(w, op);
      const required = requiredQueryFor(w, op).replace(/^\?/, '');
      const url = (q: string) => `${base}?${[required, q].filter(Boolean).join('&')}`;
      const where = `GET ${op.path}`;
      const max: number = op.queryParams.find((q) => q.name === 'limit')!.schema.maximum;
      // A keyset list (`{ data, nextCursor }`) pages 1–200 (API.md); other `limit`s bound what they name.
      const ok = w.doc.paths[op.path].get.responses['200'].content['application/json'].schema;
      const isPage = Boolean(ok.properties?.data && ok.properties?.nextCursor);
      if (isPage) {
        expect(max, where).toBe(200);
        pages.push(op.path);
      }
      for (const bad of [
        'limit=0',
        `limit=${max + 1}`,
        'limit=-1',
        'limit=1e9',
        'limit=2.5',
        'limit=abc',
        'limit=',
        'limit=1&limit=2',
        'limit=%00',
      ]) {
        const res = await call(w.t.app, 'GET', url(bad), { token: w.tenant.apiKey });
        expectProblem(res, 400, `${where} ?${bad}`);
      }
      for (const good of [1, max]) {
        const res = await call(w.t.app, 'GET', url(`limit=${good}`), { token: w.tenant.apiKey });
        expect(res.status, `${where} ?limit=${good}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(200);
        if (isPage) expect(res.body.data.length, where).toBeLessThanOrEqual(good);
      }
    }
    const others = withLimit.filter((o) => !pages.includes(o.path)).map((o) => o.path);
    console.log(
      `limits: limit abuse refused on ${withLimit.length} endpoints: ${pages.length} keyset lists (1–200), others: ${others.join(', ') || 'none'}`,
    );
    expect(pages.length).toBeGreaterThan(20);
  });
});

describe('rate limits on public routes', () => {
  const MAX = 2;
  let limited: TestApp;
  let ten: TestTenant;
  let ops: Operation[];
  let doc: any;
  beforeAll(async () => {
    limited = await proofApp({ publicRateLimit: MAX, loginRateLimit: MAX });
    ten = await createTenant(limited);
    doc = await openapiDocument(limited.app);
    ops = await operations(limited.app);
  });
  afterAll(async () => limited?.close());

  it('every rate-limited route answers 429 problem+json with Retry-After past its limit, with its headers before', async () => {
    const rateLimited = ops.filter((o) => doc.paths[o.path][o.method.toLowerCase()]['x-rate-limit']);
    // The routes without a credential are exactly the rate-limited ones (login included), bar health and this document.
    const open = ops.filter((o) =>
      (doc.paths[o.path][o.method.toLowerCase()].security ?? []).every((s: object) => !Object.keys(s).length),
    );
    expect(
      open.map((o) => `${o.method} ${o.path}`).filter((k) => !rateLimited.some((r) => `${r.method} ${r.path}` === k)),
    ).toEqual(['GET /api/openapi.json', 'GET /api/system/health']);
    const ref = refFor(new Map());
    for (const op of rateLimited) {
      let url = op.path.replace('{tenantSlug}', ten.slug) + requiredQuery(op);
      const body =
        op.path === '/api/auth/login'
          ? { tenant: ten.slug, email: ten.adminEmail, password: 'wrong password here' }
          : op.jsonBody
            ? sample(op.jsonBody, ref)
            : undefined;
      const where = `${op.method} ${op.path}`;
      for (let i = 0; i < MAX; i++) {
        const res = await call(limited.app, op.method as any, url, { body });
        expect(res.status, `${where} #${i}: ${JSON.stringify(res.body).slice(0, 200)}`).toBeLessThan(429);
        expect(res.headers['x-ratelimit-limit'], where).toBe(String(MAX));
      }
      const over = await call(limited.app, op.method as any, url, { body });
      expectProblem(over, 429, where);
      expect(Number(over.headers['retry-after']), where).toBeGreaterThan(0);
      expect(over.body.code, where).toBe('rate_limit.exceeded');
      // Probing unknown tenants is counted too: it never reaches the tenant lookup past the limit.
      if (op.path.includes('{tenantSlug}')) {
        url = op.path.replace('{tenantSlug}', 'no-such-tenant') + requiredQuery(op);
        const statuses: number[] = [];
        for (let i = 0; i <= MAX; i++) {
          const res = await limited.app.inject({
            method: op.method as any,
            url,
            remoteAddress: '192.0.2.7', // another client address: a fresh counter
            ...(body === undefined ? {} : { payload: body as object }),
          });
          statuses.push(res.statusCode);
        }
        expect(statuses, `${where} unknown tenant`).toEqual([...Array(MAX).fill(404), 429]);
      }
    }
    console.log(`limits: 429 checked on ${rateLimited.map((o) => `${o.method} ${o.path}`).join(', ')}`);
    expect(rateLimited.length).toBeGreaterThanOrEqual(4);
  });
});
