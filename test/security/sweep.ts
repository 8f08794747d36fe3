/**
 * Shared machinery of the whole-API security sweeps (OWASP API Top 10 2023 API1/API2/API5, ASVS 5.0 §7–§9).
 * Everything is generated from the served OpenAPI document and the route table, so a route added by any
 * module is swept the day it is registered; only bodies that need real references have overrides.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { type RouteAuth, routeAuthTable } from '../../src/platform/auth.ts';
import { rows } from '../../src/platform/db.ts';
import { call, intakeBody, type Res, type TestApp, type TestTenant } from '../helpers.ts';

export const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

export interface Operation {
  method: string;
  /** OpenAPI template: `/api/leads/{id}`. */
  path: string;
  pathParams: { name: string; schema: any }[];
  queryParams: { name: string; required: boolean; schema: any }[];
  /** The JSON request body schema, when the route takes JSON. */
  jsonBody?: any;
  /** Media types of the request body (JSON, CSV, XLSX …). */
  bodyTypes: string[];
  auth: RouteAuth | undefined;
}

export const key = (op: { method: string; path: string }) => `${op.method} ${op.path}`;
export const fastifyUrl = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

/** The operations of the served OpenAPI document, each with the `config.auth` its route declared. */
export async function operations(app: FastifyInstance): Promise<Operation[]> {
  const res = await call(app, 'GET', '/api/openapi.json');
  expect(res.status).toBe(200);
  const table = new Map(routeAuthTable(app).map((r) => [`${r.method} ${r.url}`, r.auth]));
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<any>(res.body.paths)) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      const content = op.requestBody?.content ?? {};
      const method = m.toUpperCase();
      out.push({
        method,
        path,
        pathParams: params.filter((p: any) => p.in === 'path').map((p: any) => ({ name: p.name, schema: p.schema })),
        queryParams: params
          .filter((p: any) => p.in === 'query')
          .map((p: any) => ({ name: p.name, required: Boolean(p.required), schema: p.schema })),
        jsonBody: content['application/json']?.schema,
        bodyTypes: Object.keys(content),
        auth: table.get(`${method} ${fastifyUrl(path)}`),
      });
    }
  }
  return out;
}

/** Routes reachable without a credential (public intake, login, docs). */
export const isPublic = (op: Operation) => op.auth === undefined || op.auth === 'none' || typeof op.auth === 'object';
export const capabilityOf = (op: Operation) =>
  typeof op.auth === 'string' && op.auth !== 'none' && op.auth !== 'authenticated' ? op.auth : undefined;

// ---------- record kinds ----------

/** The kinds of record this suite knows how to create; anything else is discovered through its list route. */
export type Kind =
  | 'lead'
  | 'person'
  | 'account'
  | 'project'
  | 'opportunity'
  | 'pipeline'
  | 'task'
  | 'campaign'
  | 'interaction'
  | 'region'
  | 'installer'
  | 'assignment'
  | 'followUp'
  | 'user'
  | 'apiKey'
  | 'relationship'
  | 'propertyInterest'
  | 'role'
  | (string & {});

const SEGMENT_KINDS: Record<string, Kind> = {
  users: 'user',
  'api-keys': 'apiKey',
  roles: 'role',
  leads: 'lead',
  regions: 'region',
  installers: 'installer',
  assignments: 'assignment',
  'follow-ups': 'followUp',
  contacts: 'person',
  people: 'person',
  'client-360': 'person',
  qd: 'person',
  members: 'person',
  accounts: 'account',
  relationships: 'relationship',
  'property-interests': 'propertyInterest',
  pipelines: 'pipeline',
  opportunities: 'opportunity',
  projects: 'project',
  tasks: 'task',
  campaigns: 'campaign',
  interactions: 'interaction',
};

/** A reference field or query parameter (`personId`, `assigneeUserId`, `leadIds`, `intoPersonId`) → its kind. */
export function kindOfField(name: string): Kind | undefined {
  const n = name.replace(/Ids?$/, '').toLowerCase();
  if (n === name.toLowerCase()) return undefined; // not an id field
  const suffixes: [string, Kind][] = [
    ['user', 'user'],
    ['actor', 'user'],
    ['person', 'person'],
    ['contact', 'person'],
    ['account', 'account'],
    ['lead', 'lead'],
    ['installer', 'installer'],
    ['region', 'region'],
    ['pipeline', 'pipeline'],
    ['opportunity', 'opportunity'],
    ['project', 'project'],
    ['task', 'task'],
    ['campaign', 'campaign'],
    ['interaction', 'interaction'],
    ['assignment', 'assignment'],
    ['followup', 'followUp'],
    ['interest', 'propertyInterest'],
    ['relationship', 'relationship'],
    ['entity', 'lead'],
  ];
  for (const [suffix, kind] of suffixes) if (n.endsWith(suffix)) return kind;
  return name.replace(/Ids?$/, '');
}

/** `agent-runs` → `agentRun`, `proposals` → `proposal`: the kind a new collection's segment names. */
const singularCamel = (segment: string) =>
  segment
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
    .replace(/ies$/, 'y')
    .replace(/s$/, '');

/** The kind a path parameter names: from its own name (`personId`), else from the segment before it. */
export function kindOfParam(path: string, param: string): Kind {
  if (param !== 'id') {
    const fromName = kindOfField(param);
    if (fromName) return fromName;
  }
  const segments = path.split('/');
  const at = segments.indexOf(`{${param}}`);
  const segment = segments[at - 1] ?? param;
  return SEGMENT_KINDS[segment] ?? singularCamel(segment);
}

/** Path parameters that hold record ids (uuid), as opposed to names (`{key}`), slugs and enum actions. */
export const isIdParam = (p: { name: string; schema: any }) => p.schema?.format === 'uuid' || /(^id$|Id$)/.test(p.name);

/** Every concrete path of a template for the enum parameters (e.g. each assignment action). */
export function expandEnums(op: Operation): { path: string; variant: string }[] {
  let out = [{ path: op.path, variant: '' }];
  for (const p of op.pathParams) {
    const values: string[] | undefined = p.schema?.enum;
    if (!values) continue;
    out = out.flatMap((o) =>
      values.map((v) => ({ path: o.path.replace(`{${p.name}}`, v), variant: `${o.variant}${p.name}=${v} ` })),
    );
  }
  return out;
}

// ---------- bodies ----------

const STRING_CANDIDATES = ['sample', 'IE', 'EUR', 'en', 'x', 'D02', 'sample_1'];

function sampleString(schema: any, name: string): string {
  if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
  if (schema.format === 'date') return '2030-01-01';
  if (schema.format === 'email' || /email/i.test(name)) return `sweep.${randomUUID().slice(0, 8)}@example.com`;
  if (/linkedin/i.test(name)) return 'https://www.linkedin.com/in/sweep';
  if (schema.format === 'uri') return 'https://example.com/sweep';
  if (/phone/i.test(name)) return '+353 87 765 4321';
  const min = schema.minLength ?? 0;
  const pad = (s: string) => (s.length >= min ? s : s + 'x'.repeat(min - s.length));
  if (schema.pattern) {
    const re = new RegExp(schema.pattern);
    const hit = STRING_CANDIDATES.map(pad).find((c) => re.test(c));
    if (hit) return hit;
  }
  return pad(/password/i.test(name) ? 'a long enough sweep password' : 'sample');
}

/**
 * A minimal body valid against the schema: required properties, and — for bodies without any (PATCH) —
 * every top-level property, so a call that reached a foreign record would really change it.
 * `ref(field)` supplies the id for a uuid field.
 */
export function sample(schema: any, ref: (field: string) => string, name = '', depth = 0): unknown {
  if (!schema || typeof schema !== 'object') return null;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const alt = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alt)) return sample(alt.find((s: any) => s.type !== 'null') ?? alt[0], ref, name, depth);
  if (Array.isArray(schema.allOf)) return sample(schema.allOf[0], ref, name, depth);
  const type = Array.isArray(schema.type) ? schema.type.find((x: string) => x !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const required: string[] = schema.required ?? [];
      const props = Object.keys(schema.properties ?? {});
      const chosen = depth === 0 && required.length === 0 ? props : required;
      return Object.fromEntries(chosen.map((k) => [k, sample(schema.properties?.[k], ref, k, depth + 1)]));
    }
    case 'array':
      return schema.minItems || (depth === 1 && kindOfField(name))
        ? Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sample(schema.items, ref, name, depth + 1))
        : [];
    case 'string':
      return schema.format === 'uuid' ? ref(name) : sampleString(schema, name);
    case 'integer':
    case 'number':
      return schema.minimum !== undefined && schema.minimum > 0 ? schema.minimum : Math.min(1, schema.maximum ?? 1);
    case 'boolean':
      return false;
    default:
      return null;
  }
}

const unwrap = (schema: any): any => {
  const alt = schema?.anyOf ?? schema?.oneOf;
  return Array.isArray(alt) ? unwrap(alt.find((x: any) => x.type !== 'null') ?? alt[0]) : schema;
};

/** A uuid field of a request body that references a record: where it is, and of which kind. */
export interface RefField {
  /** Property names; `0` steps into an array of objects. */
  path: (string | number)[];
  kind: Kind;
  array: boolean;
}

/** Every reference field of a body schema (optional ones too), two levels deep. */
export function refFields(schema: any, path: (string | number)[] = [], depth = 0): RefField[] {
  const s = unwrap(schema);
  if (s?.type !== 'object' || depth > 2) return [];
  const out: RefField[] = [];
  for (const [name, raw] of Object.entries<any>(s.properties ?? {})) {
    const prop = unwrap(raw);
    const kind = kindOfField(name);
    if (prop?.type === 'string' && prop.format === 'uuid' && kind)
      out.push({ path: [...path, name], kind, array: false });
    else if (prop?.type === 'array') {
      const items = unwrap(prop.items);
      if (items?.type === 'string' && items.format === 'uuid' && kind)
        out.push({ path: [...path, name], kind, array: true });
      else if (items?.type === 'object') out.push(...refFields(items, [...path, name, 0], depth + 1));
    } else if (prop?.type === 'object') out.push(...refFields(prop, [...path, name], depth + 1));
  }
  return out;
}

/** A copy of body with the field at path set, creating the containers on the way from the schema. */
export function withField(
  body: unknown,
  schema: any,
  path: (string | number)[],
  value: unknown,
  ref: (field: string) => string,
): unknown {
  const root = structuredClone(body ?? {}) as any;
  let node = root;
  let nodeSchema = unwrap(schema);
  for (let i = 0; i < path.length - 1; i++) {
    const step = path[i];
    const childSchema = unwrap(typeof step === 'number' ? nodeSchema.items : nodeSchema.properties?.[step]);
    if (node[step] === undefined || node[step] === null) {
      node[step] =
        typeof path[i + 1] === 'number'
          ? [sample(unwrap(childSchema.items), ref, String(step), 2)]
          : sample(childSchema, ref, String(step), 2);
    }
    node = node[step];
    nodeSchema = childSchema;
  }
  node[path[path.length - 1]] = value;
  return root;
}

/** Bodies the schema cannot describe (cross-field rules checked by the service). */
export const BODY_OVERRIDES: Record<string, (ref: (field: string) => string) => unknown> = {
  'POST /api/crm/contacts/{id}/property-interests': () => ({ level: 'high', productCode: 'solar_pv' }),
  // Consent must be given and the contact must be new (else 409 lead.duplicate).
  'POST /api/leads': (ref) => ({ ...intakeBody(), assignedUserId: ref('assignedUserId') }),
  // Roles must exist; a partner user belongs to an installer.
  'POST /api/admin/users': (ref) => ({
    email: `sweep.${randomUUID().slice(0, 8)}@example.com`,
    name: 'Sweep User',
    roles: ['installer-partner'],
    installerId: ref('installerId'),
  }),
  'PATCH /api/admin/users/{id}': (ref) => ({ name: 'Sweep User', installerId: ref('installerId') }),
};

/** The JSON body for an operation: its override, else a sample of its schema. */
export const bodyFor = (op: Operation, ref: (field: string) => string) =>
  BODY_OVERRIDES[key(op)] ? BODY_OVERRIDES[key(op)](ref) : op.jsonBody ? sample(op.jsonBody, ref) : undefined;

/** Query string with every required query parameter sampled. */
export function requiredQuery(op: Operation): string {
  const parts = op.queryParams
    .filter((q) => q.required)
    .map((q) => `${q.name}=${encodeURIComponent(String(sample(q.schema, () => randomUUID(), q.name, 1)))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Sends an operation: JSON body when it takes one, else the first media type it declares with a tiny payload. */
export async function send(
  app: FastifyInstance,
  method: string,
  url: string,
  op: Operation,
  body: unknown,
  headers: Record<string, string>,
): Promise<Res> {
  if (op.jsonBody || op.bodyTypes.length === 0) {
    return call(app, method as any, url, { body, headers });
  }
  const type = op.bodyTypes[0];
  const res = await app.inject({
    method: method as any,
    url,
    headers: { 'content-type': type, ...headers },
    payload: type.includes('csv') ? 'fullName,email\nSweep Person,sweep@example.com\n' : Buffer.from('sweep'),
  });
  let parsed: any = res.body;
  try {
    parsed = res.body ? JSON.parse(res.body) : null;
  } catch {}
  return { status: res.statusCode, body: parsed, headers: res.headers };
}

export const isProblem = (res: Res, status: number) =>
  res.status === status &&
  String(res.headers['content-type'] ?? '').startsWith('application/problem+json') &&
  res.body?.status === status &&
  typeof res.body?.code === 'string' &&
  typeof res.body?.requestId === 'string';

// ---------- fixtures ----------

export type Fixtures = Map<Kind, string[]>;

export function add(f: Fixtures, kind: Kind, ...ids: string[]) {
  f.set(kind, [...(f.get(kind) ?? []), ...ids]);
}

async function ok(res: Res, status: number, what: string) {
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(status);
  return res.body;
}

let seq = 0;

/**
 * One record of every kind the API has an id route for, created through the API with the tenant's owner
 * key: region with postcodes, active installer covering it, a lead routed to it and taken through
 * confirm-install (assignment, follow-up), a converted customer (person, account, project), opportunity,
 * task, campaign, interaction, second person with a relationship, account membership and property
 * interest, a score, an agent user, an API key, a custom role.
 */
export async function seedTenant(t: TestApp, tenant: TestTenant): Promise<Fixtures> {
  const app = t.app;
  const token = tenant.apiKey;
  const f: Fixtures = new Map();
  const n = ++seq;
  const post = async (url: string, body: unknown, status = 201) =>
    ok(await call(app, 'POST', url, { token, body }), status, `POST ${url}`);

  const region = await post('/api/regions', { code: `sweep-${n}`, name: `Sweep ${n}`, country: 'IE' });
  add(f, 'region', region.id);
  await ok(
    await call(app, 'PUT', `/api/regions/${region.id}/postcodes`, {
      token,
      body: { country: 'IE', patterns: ['D02'] },
    }),
    200,
    'postcodes',
  );
  const installer = await post('/api/installers', {
    name: `Sweep Solar ${n}`,
    services: ['solar_pv'],
    status: 'active',
  });
  add(f, 'installer', installer.id);
  await ok(
    await call(app, 'PUT', `/api/installers/${installer.id}/regions`, { token, body: { regionIds: [region.id] } }),
    200,
    'coverage',
  );

  // A lead routed to the installer and installed: assignment and follow-up.
  const routedLead = await post('/api/leads', intakeBody());
  add(f, 'lead', routedLead.id);
  add(f, 'person', routedLead.personId);
  const routed = await post(`/api/leads/${routedLead.id}/route`, {});
  const assignmentId = routed.assignments[0].id as string;
  add(f, 'assignment', assignmentId);
  const steps: [string, unknown][] = [
    ['accept', {}],
    ['contact', {}],
    ['quote', { quote: { amount: 780000, currency: 'EUR' } }],
    ['win', {}],
    ['schedule-install', { scheduledFor: '2030-12-01T09:00:00Z' }],
    ['confirm-install', {}],
  ];
  for (const [action, body] of steps) await post(`/api/assignments/${assignmentId}/${action}`, body, 200);
  const followUps = await ok(
    await call(app, 'GET', `/api/follow-ups?leadId=${routedLead.id}`, { token }),
    200,
    'follow-ups',
  );
  add(f, 'followUp', ...followUps.data.map((x: any) => x.id));

  // A converted customer.
  const lead = await post('/api/leads', intakeBody());
  add(f, 'lead', lead.id);
  await post(`/api/leads/${lead.id}/transitions`, { to: 'qualified' }, 200);
  const conv = await post(`/api/leads/${lead.id}/convert`, undefined);
  add(f, 'person', conv.personId);
  add(f, 'account', conv.accountId);
  if (conv.projectId) add(f, 'project', conv.projectId);

  const pipelines = await ok(await call(app, 'GET', '/api/crm/pipelines', { token }), 200, 'pipelines');
  add(f, 'pipeline', ...pipelines.data.map((p: any) => p.id));
  const opp = await post('/api/crm/opportunities', {
    personId: conv.personId,
    accountId: conv.accountId,
    value: { amount: 950000, currency: 'EUR' },
  });
  add(f, 'opportunity', opp.id);
  const task = await post('/api/crm/tasks', {
    title: 'Call back',
    type: 'follow_up',
    dueAt: new Date(Date.now() + 86_400_000).toISOString(),
    personId: conv.personId,
  });
  add(f, 'task', task.id);
  const campaign = await post('/api/crm/campaigns', {
    name: `Sweep ${n}`,
    strategy: 'manual',
    members: [{ userId: tenant.adminUserId }],
  });
  add(f, 'campaign', campaign.id);
  const interaction = await post('/api/crm/interactions', {
    personId: conv.personId,
    channel: 'email',
    type: 'note',
    happenedAt: new Date().toISOString(),
  });
  add(f, 'interaction', interaction.id);
  const other = await post('/api/crm/contacts', { fullName: `Sweep Partner ${n}` });
  add(f, 'person', other.id);
  const rel = await post('/api/crm/relationships', {
    fromPersonId: conv.personId,
    toPersonId: other.id,
    kind: 'spouse',
  });
  add(f, 'relationship', rel.id);
  await post(`/api/crm/accounts/${conv.accountId}/members`, { personId: other.id, role: 'member' });
  const interest = await post(`/api/crm/contacts/${conv.personId}/property-interests`, {
    level: 'high',
    productCode: 'solar_pv',
  });
  add(f, 'propertyInterest', interest.id);
  await post(`/api/crm/qd/${conv.personId}`, { scoreType: 'intent', value: 1 });

  const agent = await post('/api/admin/users', {
    email: `agent.${n}@${tenant.slug}.example`,
    name: 'Sweep Agent',
    roles: ['agent'],
  });
  add(f, 'user', tenant.adminUserId, agent.id);
  const apiKey = await post('/api/admin/api-keys', { name: 'Sweep key', roles: ['agent'] });
  add(f, 'apiKey', apiKey.id);
  await ok(
    await call(app, 'PUT', `/api/admin/roles/sweep-role-${n}`, {
      token,
      body: { name: 'Sweep role', scope: 'own', capabilities: ['leads:read'] },
    }),
    200,
    'role',
  );
  add(f, 'role', `sweep-role-${n}`);
  return f;
}

/**
 * Records deleted through the API (or erased/revoked where that is the API's delete) — their ids must be
 * as unknown as random ones. Returns kind → ids.
 */
export async function seedDeleted(t: TestApp, tenant: TestTenant): Promise<Fixtures> {
  const app = t.app;
  const token = tenant.apiKey;
  const f: Fixtures = new Map();
  const req = async (method: string, url: string, body: unknown, status: number) =>
    ok(await call(app, method as any, url, { token, body }), status, `${method} ${url}`);

  const erased = await req('POST', '/api/leads', intakeBody(), 201);
  await req('POST', `/api/leads/${erased.id}/erase`, undefined, 200);
  add(f, 'lead', erased.id);

  const key = await req('POST', '/api/admin/api-keys', { name: 'Revoked', roles: ['agent'] }, 201);
  await req('DELETE', `/api/admin/api-keys/${key.id}`, undefined, 204);
  add(f, 'apiKey', key.id);

  const p1 = await req('POST', '/api/crm/contacts', { fullName: 'Deleted One' }, 201);
  const p2 = await req('POST', '/api/crm/contacts', { fullName: 'Deleted Two' }, 201);
  const rel = await req(
    'POST',
    '/api/crm/relationships',
    { fromPersonId: p1.id, toPersonId: p2.id, kind: 'sibling' },
    201,
  );
  await req('DELETE', `/api/crm/relationships/${rel.id}`, undefined, 204);
  add(f, 'relationship', rel.id);
  const interest = await req(
    'POST',
    `/api/crm/contacts/${p1.id}/property-interests`,
    { level: 'low', productCode: 'heat_pump' },
    201,
  );
  await req('DELETE', `/api/crm/contacts/${p1.id}/property-interests/${interest.id}`, undefined, 204);
  add(f, 'propertyInterest', interest.id);
  return f;
}

// ---------- database fingerprint ----------

/**
 * Row count and a checksum of every row the tenant holds, per table (every table with a tenant_id, in any
 * schema, plus the tenant row itself), read through the superuser connection (no RLS).
 */
export async function fingerprint(t: TestApp, tenantId: string): Promise<Record<string, string>> {
  const tables = await rows<{ s: string; n: string }>(
    t.db.db,
    sql`select c.table_schema as s, c.table_name as n
        from information_schema.columns c
        join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name
        where c.column_name = 'tenant_id' and tb.table_type = 'BASE TABLE'
          and c.table_schema not in ('pg_catalog', 'information_schema')
        order by 1, 2`,
  );
  const out: Record<string, string> = {};
  for (const { s, n } of tables) {
    const r = await rows<{ count: number; sum: string | null }>(
      t.db.db,
      sql`select count(*)::int as count, md5(string_agg(x::text, '|' order by x::text)) as sum
          from ${sql.identifier(s)}.${sql.identifier(n)} x where x.tenant_id::text = ${tenantId}`,
    );
    out[`${s}.${n}`] = `${r[0].count}:${r[0].sum ?? '-'}`;
  }
  const tenantRow = await rows<{ sum: string }>(
    t.db.db,
    sql`select md5(x::text) as sum from tenants x where x.id::text = ${tenantId}`,
  );
  out['public.tenants'] = tenantRow[0]?.sum ?? '-';
  return out;
}
