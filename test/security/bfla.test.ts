/**
 * BFLA per role (OWASP API5:2023, ASVS 5.0 §8.2.1, §16 logging of authorization failures): for every
 * default role, through a session of a user holding it and through an API key carrying it, every route
 * whose declared capability (`config.auth`, from the route table) the role lacks answers 403 problem+json
 * `auth.forbidden` — and each refusal is one `authz.denied` audit event with the caller, the route and the
 * capability. Routes the role may use pass the gate (control). Generated from /api/openapi.json.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROLES } from '../../src/modules/identity/capabilities.ts';
import { rows } from '../../src/platform/db.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../helpers.ts';
import {
  bodyFor,
  capabilityOf,
  expandEnums,
  fastifyUrl,
  isProblem,
  isPublic,
  key,
  type Operation,
  operations,
  requiredQuery,
  sample,
  send,
} from './sweep.ts';

const PASSWORD = 'a long enough password';

let t: TestApp;
let tenant: TestTenant;
let ops: Operation[];
let installerId: string;

interface Caller {
  role: string;
  via: 'session' | 'api_key';
  token: string;
  /** The audit actor id: the user for a session, the key for an API key. */
  actorId: string;
}
const callers: Caller[] = [];

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTenant(t);
  const inst = await call(t.app, 'POST', '/api/installers', {
    token: tenant.apiKey,
    body: { name: 'Partner Solar', services: ['solar_pv'], status: 'active' },
  });
  expect(inst.status).toBe(201);
  installerId = inst.body.id;
  for (const role of DEFAULT_ROLES) {
    const email = `${role.key}.bfla@${tenant.slug}.example`;
    const user = await call(t.app, 'POST', '/api/admin/users', {
      token: tenant.apiKey,
      body: {
        email,
        name: `BFLA ${role.key}`,
        password: PASSWORD,
        roles: [role.key],
        ...(role.scope === 'installer' ? { installerId } : {}),
      },
    });
    expect(user.status, JSON.stringify(user.body)).toBe(201);
    const login = await call(t.app, 'POST', '/api/auth/login', {
      body: { tenant: tenant.slug, email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    callers.push({ role: role.key, via: 'session', token: login.body.token, actorId: user.body.id });
    const apiKey = await call(t.app, 'POST', '/api/admin/api-keys', {
      token: tenant.apiKey,
      body: { name: `BFLA ${role.key}`, roles: [role.key] },
    });
    expect(apiKey.status).toBe(201);
    callers.push({ role: role.key, via: 'api_key', token: apiKey.body.secret, actorId: apiKey.body.id });
  }
  ops = await operations(t.app);
});
afterAll(async () => t?.close());

/** The role with the fewest capabilities that holds this one. */
const controlRole = (capability: string) =>
  [...DEFAULT_ROLES]
    .sort((x, y) => x.capabilities.length - y.capabilities.length)
    .find((r) => (r.capabilities as string[]).includes(capability))!.key;

/** Fills path parameters: a fresh UUID for ids, the first value for enums, a sample for names. */
function concrete(op: Operation): { url: string; variant: string }[] {
  return expandEnums(op).map(({ path, variant }) => ({
    url:
      op.pathParams.reduce(
        (url, p) =>
          url.replace(
            `{${p.name}}`,
            p.schema?.format === 'uuid' ? randomUUID() : String(sample(p.schema, () => randomUUID(), p.name, 1)),
          ),
        path,
      ) + requiredQuery(op),
    variant,
  }));
}

describe('function-level authorization per role (BFLA)', () => {
  it('every route declares its access in config.auth', () => {
    const undeclared = ops.filter((o) => o.auth === undefined).map(key);
    expect(undeclared).toEqual([]);
  });

  it('each default role is refused (403, audited) every route whose capability it lacks, and only those', async () => {
    const gated = ops.filter((o) => capabilityOf(o));
    expect(gated.length).toBeGreaterThan(80);
    const refusals: { caller: Caller; requestId: string; entity: string; op: string }[] = [];
    const failures: string[] = [];
    const summary: string[] = [];
    for (const caller of callers) {
      const held = new Set(DEFAULT_ROLES.find((r) => r.key === caller.role)!.capabilities as string[]);
      let refused = 0;
      let passed = 0;
      for (const op of gated) {
        const capability = capabilityOf(op)!;
        // Refusals are sent without a body: the gate runs before the body is even parsed.
        const lacks = !held.has(capability);
        // The pass-through control, kept cheap: every role's session reads all it may read; each write
        // goes through once, by the narrowest role that holds its capability.
        if (!lacks && (caller.via === 'api_key' || (op.method !== 'GET' && controlRole(capability) !== caller.role)))
          continue;
        for (const { url, variant } of concrete(op)) {
          const body = lacks ? undefined : bodyFor(op, () => randomUUID());
          const res = await send(t.app, op.method, url, op, body, { authorization: `Bearer ${caller.token}` });
          const where = `${caller.role}/${caller.via}: ${key(op)} ${variant}→ ${res.status} ${res.body?.code ?? ''}`;
          if (lacks) {
            refused++;
            if (!isProblem(res, 403) || res.body.code !== 'auth.forbidden' || res.body.capability !== capability) {
              failures.push(`expected 403 (${capability}): ${where}`);
            } else {
              refusals.push({
                caller,
                requestId: res.body.requestId,
                entity: `${op.method} ${fastifyUrl(op.path)} (${capability})`,
                op: key(op),
              });
            }
          } else {
            passed++;
            // Control: the gate let it through (a handler may still refuse an input-dependent capability).
            const gateRefused = res.status === 403 && res.body?.capability === capability;
            if (res.status === 401 || gateRefused || res.status >= 500) failures.push(`expected access: ${where}`);
          }
        }
      }
      summary.push(`${caller.role}/${caller.via}: ${refused} refused, ${passed} allowed`);
    }

    const audited = await rows<{
      request_id: string;
      action: string;
      outcome: string;
      actor_id: string;
      entity_type: string;
      entity_id: string;
    }>(
      t.db.db,
      sql`select request_id, action, outcome, actor_id::text as actor_id, entity_type, entity_id
          from audit_events where tenant_id = ${tenant.tenantId} and action = 'authz.denied'`,
    );
    const byRequest = new Map<string, typeof audited>();
    for (const row of audited) byRequest.set(row.request_id, [...(byRequest.get(row.request_id) ?? []), row]);
    const unaudited: string[] = [];
    for (const r of refusals) {
      const found = byRequest.get(r.requestId) ?? [];
      const ok =
        found.length === 1 &&
        found[0].outcome === 'denied' &&
        found[0].actor_id === r.caller.actorId &&
        found[0].entity_type === 'route' &&
        found[0].entity_id === r.entity;
      if (!ok) unaudited.push(`${r.caller.role}/${r.caller.via} ${r.op}: ${JSON.stringify(found)}`);
    }
    console.info(
      `BFLA sweep: ${gated.length} capability-gated operations × ${callers.length} callers ` +
        `(${DEFAULT_ROLES.length} roles × session, API key); ${refusals.length} refusals, all checked in the audit log\n  ` +
        summary.join('\n  '),
    );
    expect(failures).toEqual([]);
    expect(unaudited).toEqual([]);
    // Every role below owner/admin was refused something; the analyst and partner most of all.
    for (const role of ['manager', 'agent', 'analyst', 'installer-partner']) {
      expect(refusals.some((r) => r.caller.role === role)).toBe(true);
    }

    // The refusals are visible to an auditor through the API too, newest first, for the right actor.
    const partner = callers.find((c) => c.role === 'installer-partner' && c.via === 'session')!;
    const events = await call(
      t.app,
      'GET',
      `/api/admin/audit-events?action=authz.denied&actorId=${partner.actorId}&limit=200`,
      { token: tenant.apiKey },
    );
    expect(events.status).toBe(200);
    expect(events.body.data.length).toBe(refusals.filter((r) => r.caller === partner).length);
    expect(events.body.data.every((e: any) => e.outcome === 'denied' && e.actorId === partner.actorId)).toBe(true);
  });

  it('the catalog’s role definitions are the ones the tenant was seeded with', async () => {
    const res = await call(t.app, 'GET', '/api/admin/roles', { token: tenant.apiKey });
    for (const role of DEFAULT_ROLES) {
      const seeded = res.body.data.find((r: any) => r.key === role.key);
      expect([...seeded.capabilities].sort(), role.key).toEqual([...role.capabilities].sort());
    }
  });

  it('public and any-credential routes are not capability-gated', () => {
    const open = ops.filter((o) => !capabilityOf(o));
    // Only login/logout, the caller's own profile and settings, health and the public routes.
    expect(open.map(key).sort()).toEqual(
      ops
        .filter((o) => isPublic(o) || o.auth === 'authenticated')
        .map(key)
        .sort(),
    );
  });
});
