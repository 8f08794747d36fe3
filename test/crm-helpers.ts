import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { type Actor, type Ctx, systemActor } from '../src/platform/context.ts';
import { one, type Tx } from '../src/platform/db.ts';
import { newId } from '../src/platform/ids.ts';
import { call, intakeBody, type TestApp, type TestTenant } from './helpers.ts';

export interface Staff {
  id: string;
  token: string;
}

const PASSWORD = 'a long enough password';
let staffCounter = 0;

/** A staff user with these roles, logged in. */
export async function staffUser(t: TestApp, tenant: TestTenant, roles: string[]): Promise<Staff> {
  const email = `${roles[0]}.${++staffCounter}.${Math.random().toString(36).slice(2, 8)}@${tenant.slug}.example`;
  const created = await call(t.app, 'POST', '/api/admin/users', {
    token: tenant.apiKey,
    body: { email, name: `User ${roles.join('+')}`, password: PASSWORD, roles },
  });
  expect(created.status).toBe(201);
  const login = await call(t.app, 'POST', '/api/auth/login', {
    body: { tenant: tenant.slug, email, password: PASSWORD },
  });
  expect(login.status).toBe(200);
  return { id: created.body.id, token: login.body.token };
}

/** Runs fn as the system in the tenant's transaction (fixtures the HTTP API of this part does not create). */
export function asTenant<T>(t: TestApp, tenantId: string, fn: (ctx: Ctx) => Promise<T>, actor: Actor = systemActor()) {
  return t.db.tenantTx(tenantId, (tx) => fn({ tenantId, actor, tx, requestId: 'test' }));
}

/** An opportunity in the tenant's default sales pipeline (the opportunities API belongs to another part). */
export async function insertOpportunity(
  t: TestApp,
  tenantId: string,
  personId: string,
  opts: { ownerUserId?: string | null; status?: 'open' | 'won' | 'lost'; accountId?: string } = {},
) {
  const id = newId();
  await asTenant(t, tenantId, async (ctx) => {
    const p = await one<{ id: string }>(
      ctx.tx,
      sql`select id from pipelines where tenant_id = ${tenantId} and kind = 'sales' and is_default`,
    );
    await ctx.tx.execute(
      sql`insert into opportunities (tenant_id, id, name, person_id, account_id, pipeline_id, stage, status, owner_user_id, value_amount, value_currency)
          values (${tenantId}, ${id}, 'Solar 4kW', ${personId}, ${opts.accountId ?? null}, ${p!.id}, 'new', ${opts.status ?? 'open'},
                  ${opts.ownerUserId ?? null}, 950000, 'EUR')`,
    );
  });
  return id;
}

export async function insertTask(
  t: TestApp,
  tenantId: string,
  personId: string,
  opts: { assigneeUserId?: string | null; status?: 'open' | 'done'; dueAt?: Date } = {},
) {
  const id = newId();
  await asTenant(t, tenantId, (ctx) =>
    ctx.tx.execute(
      sql`insert into tasks (tenant_id, id, type, title, status, due_at, assignee_user_id, person_id)
          values (${tenantId}, ${id}, 'follow_up', 'Call back', ${opts.status ?? 'open'},
                  ${(opts.dueAt ?? new Date(Date.now() + 86_400_000)).toISOString()}, ${opts.assigneeUserId ?? null}, ${personId})`,
    ),
  );
  return id;
}

/**
 * A transaction handle that counts the statements issued through it (each builder or execute call is
 * one statement): lets a test prove a read does not grow with the page size.
 */
export function countingTx(tx: Tx): { tx: Tx; count: () => number } {
  let n = 0;
  const counted = new Set(['select', 'selectDistinct', 'selectDistinctOn', 'execute', 'insert', 'update', 'delete']);
  const proxy = new Proxy(tx, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (typeof prop === 'string' && counted.has(prop)) {
        return (...args: unknown[]) => {
          n++;
          return value.apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
  return { tx: proxy, count: () => n };
}

/** A staff user without a password (cannot log in; enough to own records). */
export async function staffMember(t: TestApp, tenant: TestTenant, roles: string[]): Promise<string> {
  const email = `${roles[0]}.${Math.random().toString(36).slice(2, 8)}@${tenant.slug}.example`;
  const created = await call(t.app, 'POST', '/api/admin/users', {
    token: tenant.apiKey,
    body: { email, name: `User ${roles.join('+')}`, roles },
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

/** A lead (and its person) through staff intake. */
export async function newLead(t: TestApp, token: string, over: Record<string, unknown> = {}) {
  const res = await call(t.app, 'POST', '/api/leads', { token, body: intakeBody(over) });
  expect(res.status).toBe(201);
  return res.body as { id: string; personId: string; reference: string; assignedUserId: string | null };
}

/** A converted customer: lead → qualified → converted (person, household account, project). */
export async function customer(t: TestApp, token: string) {
  const lead = await newLead(t, token);
  const q = await call(t.app, 'POST', `/api/leads/${lead.id}/transitions`, { token, body: { to: 'qualified' } });
  expect(q.status).toBe(200);
  const conv = await call(t.app, 'POST', `/api/leads/${lead.id}/convert`, { token });
  expect(conv.status).toBe(201);
  return {
    leadId: lead.id,
    personId: conv.body.personId as string,
    accountId: conv.body.accountId as string,
    projectId: conv.body.projectId as string | null,
  };
}
