import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, intakeBody, type TestApp, type TestTenant } from '../../../test/helpers.ts';
import { rows } from '../../platform/db.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
/** A's leads in several states: new (public), contacted (staff), converted, lost. */
const aLeads: { id: string; reference: string; email: string }[] = [];
let bLeadId: string;

const TABLES = [
  'leads',
  'lead_status_events',
  'lead_submissions',
  'people',
  'tasks',
  'accounts',
  'projects',
  'opportunities',
  'audit_events',
  'outbox_events',
];

/** Every row the tenant holds in the tables a lead route could touch, in a stable order. */
async function dump(tenantId: string) {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLES) {
    out[table] = await rows(
      t.db.db,
      sql`select * from ${sql.identifier(table)} where tenant_id = ${tenantId} order by 1, 2, 3`,
    );
  }
  return JSON.parse(JSON.stringify(out));
}

async function staffLead(tenant: TestTenant, body = intakeBody()) {
  const res = await call(t.app, 'POST', '/api/leads', { token: tenant.apiKey, body });
  expect(res.status).toBe(201);
  return {
    id: res.body.id as string,
    reference: res.body.reference as string,
    email: res.body.contact.email as string,
  };
}

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
  b = await createTenant(t);

  const pub = intakeBody();
  const receipt = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body: pub });
  expect(receipt.status).toBe(201);
  const found = await call(t.app, 'GET', `/api/leads?q=${receipt.body.reference}`, { token: a.apiKey });
  aLeads.push({ id: found.body.data[0].id, reference: receipt.body.reference, email: pub.contact.email.toLowerCase() });

  const contacted = await staffLead(a);
  await call(t.app, 'POST', `/api/leads/${contacted.id}/transitions`, { token: a.apiKey, body: { to: 'contacted' } });
  aLeads.push(contacted);

  const converted = await staffLead(a);
  await call(t.app, 'POST', `/api/leads/${converted.id}/transitions`, { token: a.apiKey, body: { to: 'qualified' } });
  expect((await call(t.app, 'POST', `/api/leads/${converted.id}/convert`, { token: a.apiKey })).status).toBe(201);
  aLeads.push(converted);

  const lost = await staffLead(a);
  await call(t.app, 'POST', `/api/leads/${lost.id}/transitions`, {
    token: a.apiKey,
    body: { to: 'lost', reason: 'no budget' },
  });
  aLeads.push(lost);

  bLeadId = (await staffLead(b)).id;
});
afterAll(async () => t?.close());

// ---------- a request body for any route, from its OpenAPI schema ----------

function sample(schema: any): unknown {
  if (!schema || typeof schema !== 'object') return null;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const alt = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (Array.isArray(alt)) return sample(alt.find((s: any) => s.type !== 'null') ?? alt[0]);
  const type = Array.isArray(schema.type) ? schema.type.find((x: string) => x !== 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(
        (schema.required ?? []).map((k: string) => [k, sample(schema.properties?.[k] ?? { type: 'string' })]),
      );
    case 'array':
      return schema.minItems ? [sample(schema.items)] : [];
    case 'string':
      if (schema.format === 'uuid') return b.adminUserId;
      if (schema.format === 'date-time') return new Date().toISOString();
      return schema.pattern ? 'x' : 'sample';
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    default:
      return null;
  }
}

/** Bodies that pass validation and would change A's lead if the lead were visible. */
const KNOWN_BODIES: Record<string, unknown> = {
  'PATCH /api/leads/{id}': { note: 'hijacked', contact: { name: 'Mallory' }, assignedUserId: null },
  'POST /api/leads/{id}/transitions': { to: 'disqualified', reason: 'hijacked' },
  // A's own user: the lead decides the answer (404), not whether B knows the user.
  'POST /api/leads/{id}/assign': { userId: '__A_USER__' },
};

interface LeadRoute {
  method: string;
  path: string;
  body?: unknown;
}

async function leadRoutesWithId(): Promise<LeadRoute[]> {
  const spec = (await call(t.app, 'GET', '/api/openapi.json')).body;
  const out: LeadRoute[] = [];
  for (const [path, ops] of Object.entries<any>(spec.paths)) {
    if (!path.startsWith('/api/leads/') || !path.includes('{id}')) continue;
    for (const [method, op] of Object.entries<any>(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const key = `${method.toUpperCase()} ${path}`;
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      let body = key in KNOWN_BODIES ? KNOWN_BODIES[key] : bodySchema ? sample(bodySchema) : undefined;
      if (body && typeof body === 'object' && (body as any).userId === '__A_USER__') body = { userId: a.adminUserId };
      out.push({ method: method.toUpperCase(), path, body });
    }
  }
  return out;
}

describe('another tenant’s leads', () => {
  it('every /api/leads/{id} route answers 404 lead.not_found for A’s leads with B’s key, and A is unchanged', async () => {
    const routes = await leadRoutesWithId();
    // The routes this module declares must all be in the document (and so be walked here).
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    for (const expected of [
      'GET /api/leads/{id}',
      'PATCH /api/leads/{id}',
      'DELETE /api/leads/{id}',
      'POST /api/leads/{id}/assign',
      'POST /api/leads/{id}/transitions',
      'GET /api/leads/{id}/events',
      'GET /api/leads/{id}/submissions',
      'POST /api/leads/{id}/convert',
      'POST /api/leads/{id}/erase',
    ]) {
      expect(keys).toContain(expected);
    }

    const before = await dump(a.tenantId);
    const failures: string[] = [];
    for (const id of [...aLeads.map((l) => l.id), randomUUID()]) {
      for (const r of routes) {
        const url = r.path.replace('{id}', id);
        const res = await call(t.app, r.method as any, url, {
          token: b.apiKey,
          body: r.body,
          headers: r.method === 'PATCH' ? { 'if-match': '"1"' } : {},
        });
        if (res.status !== 404 || res.body?.code !== 'lead.not_found') {
          failures.push(`${r.method} ${url} → ${res.status} ${res.body?.code ?? ''}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await dump(a.tenantId)).toEqual(before);
  });

  it('B’s list never shows A’s leads, whatever the filter', async () => {
    const own = await call(t.app, 'GET', '/api/leads?limit=200', { token: b.apiKey });
    expect(own.status).toBe(200);
    expect(own.body.data.map((l: any) => l.id)).toEqual([bLeadId]);
    const queries = [
      ...aLeads.flatMap((l) => [`q=${l.reference}`, `q=${encodeURIComponent(l.email)}`]),
      'q=ada',
      'q=example.com',
      `assignedUserId=${a.adminUserId}`,
      'status=converted',
      'status=lost',
      'source=website',
    ];
    for (const q of queries) {
      const res = await call(t.app, 'GET', `/api/leads?${q}`, { token: b.apiKey });
      expect(res.status, q).toBe(200);
      expect(
        res.body.data.filter((l: any) => l.id !== bLeadId),
        q,
      ).toEqual([]);
    }
    // The same searches with A's key do find them (the filters themselves work).
    for (const l of aLeads) {
      const res = await call(t.app, 'GET', `/api/leads?q=${l.reference}`, { token: a.apiKey });
      expect(res.body.data.map((x: any) => x.id)).toEqual([l.id]);
    }
  });

  it('a cursor from A’s list is refused for B', async () => {
    const page = await call(t.app, 'GET', '/api/leads?limit=1', { token: a.apiKey });
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const res = await call(t.app, 'GET', `/api/leads?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`, {
      token: b.apiKey,
    });
    expect(res.status).toBe(400);
  });

  it('the database itself hides A’s rows inside B’s transaction (row-level security)', async () => {
    const seen = await t.db.tenantTx(b.tenantId, (tx) =>
      rows<{ tenant_id: string }>(tx, sql`select distinct tenant_id from leads`),
    );
    expect(seen.map((r) => r.tenant_id)).toEqual([b.tenantId]);
  });
});

describe('public intake', () => {
  it('for slug A never writes into B, even with B’s lead contact and the same Idempotency-Key', async () => {
    const bBody = intakeBody();
    const bLead = await staffLead(b, bBody);
    const beforeB = await dump(b.tenantId);

    const key = `same-key-${randomUUID()}`;
    const first = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, {
      body: bBody,
      headers: { 'idempotency-key': key },
    });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.body.reference).not.toBe(bLead.reference);

    // Same phone as B's lead, in B's normalization too.
    const phoneBody = intakeBody({ contact: { phone: '+353 87 765 4321' } });
    await call(t.app, 'PATCH', `/api/leads/${bLead.id}`, {
      token: b.apiKey,
      body: { contact: { phone: '+353 87 765 4321' } },
    });
    const beforeB2 = await dump(b.tenantId);
    const second = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body: phoneBody });
    expect(second.status).toBe(201);
    expect(await dump(b.tenantId)).toEqual(beforeB2);
    expect(beforeB2.leads).toHaveLength(beforeB.leads.length);

    // A has its own lead and person for B's contact.
    const inA = await call(t.app, 'GET', `/api/leads?q=${first.body.reference}`, { token: a.apiKey });
    expect(inA.body.data).toHaveLength(1);
    expect(inA.body.data[0].contact.email).toBe(bLead.email);
    expect(inA.body.data[0].personId).not.toBe(
      (await call(t.app, 'GET', `/api/leads/${bLead.id}`, { token: b.apiKey })).body.personId,
    );

    // The same Idempotency-Key for B's slug is B's own key: not a replay of A's response.
    const inB = await call(t.app, 'POST', `/api/public/${b.slug}/leads`, {
      body: bBody,
      headers: { 'idempotency-key': key },
    });
    expect(inB.status).toBe(201);
    expect(inB.headers['idempotent-replayed']).toBeUndefined();
    expect(inB.body.reference).toBe(bLead.reference);
  });
});
