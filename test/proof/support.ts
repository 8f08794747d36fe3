/**
 * Shared machinery of the proof suite (inventory, bad input, fuzzing, limits). Operations come from the
 * served OpenAPI document, records from the security sweep's seeding (test/security/sweep.ts), so a
 * route added by any module is covered the day it is registered.
 */
import { randomUUID } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { type AppConfig, buildApp } from '../../src/app.ts';
import { ensurePlatformTenant } from '../../src/workflows/tenant-provisioning.ts';
import { call, createTenant, createTestDb, type Res, type TestApp, type TestTenant } from '../helpers.ts';
import {
  type Fixtures,
  isIdParam,
  kindOfField,
  kindOfParam,
  type Operation,
  operations,
  sample,
  seedTenant,
} from '../security/sweep.ts';

export { type Fixtures, type Operation, operations, sample };
export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** A test app with the given config; unlike createTestApp, rate limits keep their production defaults unless set. */
export async function proofApp(config: Partial<AppConfig> = {}): Promise<TestApp> {
  const db = await createTestDb();
  await ensurePlatformTenant(db);
  const app = await buildApp({ db, logger: false, ...config });
  await app.ready();
  return {
    app,
    db,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

export async function openapiDocument(app: FastifyInstance): Promise<any> {
  const res = await call(app, 'GET', '/api/openapi.json');
  expect(res.status).toBe(200);
  return res.body;
}

/** Routes in Fastify's route tree (printRoutes with commonPrefix false); HEAD included, filtered by callers. */
export function registeredRoutes(app: FastifyInstance): { method: string; url: string }[] {
  const out: { method: string; url: string }[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    const url = (stack[depth - 1] ?? '') + m[2];
    stack[depth] = url;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) if (method) out.push({ method, url });
  }
  return out;
}

export interface World {
  t: TestApp;
  tenant: TestTenant;
  fixtures: Fixtures;
  ops: Operation[];
  doc: any;
}

/** An app without rate limits, one tenant seeded with a record of every kind, and the operations. */
export async function proofWorld(config: Partial<AppConfig> = {}): Promise<World> {
  const t = await proofApp({ publicRateLimit: 0, loginRateLimit: 0, ...config });
  const tenant = await createTenant(t);
  const fixtures = await seedTenant(t, tenant);
  const doc = await openapiDocument(t.app);
  const w = { t, tenant, fixtures, ops: await operations(t.app), doc };
  await seedMissing(w);
  return w;
}

/** Bodies the schema cannot describe, for the collections seeded below. */
const SEED_BODIES: Record<string, (w: World) => unknown> = {
  '/api/workflow/proposals': (w) => ({
    source: 'user',
    targetDomain: 'crm',
    targetEntityRef: w.fixtures.get('person')![0],
    operation: 'update',
    patch: { fullName: 'Proposed Name' },
    baseVersion: 1,
  }),
};

/**
 * Records of kinds the sweep's seeding does not know (routes added since): one made through the kind's
 * collection POST with a sampled body (a CSV file for upload routes), so `{id}` routes get a real id.
 */
async function seedMissing(w: World) {
  const made: string[] = [];
  const missing: string[] = [];
  for (const op of w.ops) {
    const at = op.path.indexOf('/{id}');
    if (at < 0) continue;
    const kind = kindOfParam(op.path, 'id');
    if (w.fixtures.has(kind)) continue;
    const collection = op.path.slice(0, at);
    const create = w.ops.find((o) => o.method === 'POST' && o.path === collection);
    let res: Res | undefined;
    if (create?.jsonBody) {
      const body = SEED_BODIES[collection]?.(w) ?? sample(create.jsonBody, refFor(w.fixtures));
      res = await call(w.t.app, 'POST', collection, { token: w.tenant.apiKey, body });
    } else if (create) {
      // An upload route (its media types are not in the document): a one-row CSV file.
      const r = await w.t.app.inject({
        method: 'POST',
        url: collection + requiredQueryFor(w, create),
        headers: { authorization: `Bearer ${w.tenant.apiKey}`, 'content-type': 'text/csv' },
        payload: 'fullName,email\nProof Person,proof.person@example.com\n',
      });
      res = { status: r.statusCode, body: JSON.parse(r.body || 'null'), headers: r.headers };
    }
    if (res && res.status < 300 && typeof res.body?.id === 'string') {
      w.fixtures.set(kind, [res.body.id]);
      made.push(kind);
    } else missing.push(`${kind} (${create ? `POST ${collection} → ${res?.status}` : 'no collection POST'})`);
  }
  console.log(
    `proof fixtures: also seeded ${made.join(', ') || 'none'}; none for ${[...new Set(missing)].join(', ') || '-'}`,
  );
}

/** The id for a reference field (`personId`, `regionIds` …): a seeded record of its kind, else a random uuid. */
export const refFor = (fixtures: Fixtures) => (field: string) => {
  const kind = kindOfField(field);
  return (kind && fixtures.get(kind)?.[0]) || randomUUID();
};

/** The concrete URL of an operation: path parameters from the seeded records, enums' first value. */
export function urlFor(w: World, op: Operation, overrides: Record<string, string> = {}): string {
  let url = op.path;
  for (const p of op.pathParams) {
    let value = overrides[p.name];
    if (value === undefined) {
      if (p.name === 'tenantSlug') value = w.tenant.slug;
      else if (Array.isArray(p.schema?.enum)) value = String(p.schema.enum[0]);
      else if (isIdParam(p)) value = w.fixtures.get(kindOfParam(op.path, p.name))?.[0] ?? randomUUID();
      else value = w.fixtures.get(kindOfParam(op.path, p.name))?.[0] ?? String(sample(p.schema, () => '', p.name, 1));
    }
    url = url.replace(`{${p.name}}`, encodeURIComponent(value));
  }
  return url;
}

/** The query string with every required query parameter, references taken from the seeded records. */
export function requiredQueryFor(w: World, op: Operation): string {
  const ref = refFor(w.fixtures);
  const parts = op.queryParams
    .filter((q) => q.required)
    .map((q) => `${q.name}=${encodeURIComponent(String(sample(q.schema, ref, q.name, 1)))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The declared response of an operation for a status (or its `default`), with the schema of its media type. */
export function declaredResponse(doc: any, op: { method: string; path: string }, status: number) {
  const responses = doc.paths[op.path]?.[op.method.toLowerCase()]?.responses ?? {};
  const declared = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  return declared as { content?: Record<string, { schema?: any }>; headers?: Record<string, any> } | undefined;
}

export const mediaType = (res: Res) =>
  String(res.headers['content-type'] ?? '')
    .split(';')[0]
    .trim();

/** Every text field of a JSON schema: free strings (no enum, const, format or pattern), by path. */
export function textFields(schema: any, path: string[] = [], out: { path: string[]; schema: any }[] = []) {
  if (!schema || typeof schema !== 'object') return out;
  for (const alt of schema.anyOf ?? schema.oneOf ?? []) textFields(alt, path, out);
  const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (
    types.includes('string') &&
    schema.enum === undefined &&
    schema.const === undefined &&
    schema.format === undefined &&
    schema.pattern === undefined
  ) {
    out.push({ path, schema });
  }
  if (types.includes('object')) {
    for (const [k, v] of Object.entries<any>(schema.properties ?? {})) textFields(v, [...path, k], out);
  }
  if (types.includes('array') && schema.items) textFields(schema.items, [...path, '0'], out);
  return out;
}

export function getPath(value: any, path: string[]): unknown {
  let v = value;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[k];
  }
  return v;
}

export function setPath(target: any, path: string[], value: unknown) {
  let v = target;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i];
    if (v[k] === null || typeof v[k] !== 'object') v[k] = /^\d+$/.test(path[i + 1]) ? [] : {};
    v = v[k];
  }
  v[path[path.length - 1]] = value;
}

/** Compact summary of counts by key, for test output. */
export function tally<T>(items: T[], keyOf: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of items) out[keyOf(x)] = (out[keyOf(x)] ?? 0) + 1;
  return out;
}

/** Ajv for JSON Schema 2020-12 (OpenAPI 3.1) with the standard formats. */
export function newAjv(options: { allErrors?: boolean } = {}) {
  const ajv = new Ajv2020({ strict: false, allErrors: options.allErrors ?? false, validateFormats: true });
  // ajv-formats is CommonJS: its plugin is the module itself or its default export, by loader.
  const plugin = ((ajvFormats as any).default ?? ajvFormats) as (a: Ajv2020) => Ajv2020;
  plugin(ajv);
  ajv.addFormat('media-range', true); // used by the OpenAPI 3.1 schema itself; no checker in ajv-formats
  return ajv;
}
