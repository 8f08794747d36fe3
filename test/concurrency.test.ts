import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../src/platform/db.ts';
import { randomToken } from '../src/platform/ids.ts';
import {
  call,
  createTenant,
  createTestApp,
  intakeBody,
  type Res,
  type TestApp,
  type TestTenant,
  usingPostgres,
} from './helpers.ts';

/**
 * Races that the unique indexes, row locks and optimistic versions must settle (DESIGN §3, §4).
 * On PGlite the requests interleave on one connection; with TEST_DATABASE_URL they truly run in
 * parallel over the pool, which is the case the constraints exist for.
 */

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const times = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));

const statuses = (responses: Res[]) =>
  responses.reduce<Record<number, number>>((acc, r) => {
    acc[r.status] = (acc[r.status] ?? 0) + 1;
    return acc;
  }, {});

/** Counts rows of one tenant's table, read inside the tenant's transaction (RLS applies). */
async function count(tenant: TestTenant, table: string, where = sql`true`): Promise<number> {
  const r = await t.db.tenantTx(tenant.tenantId, (tx) =>
    rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.identifier(table)} where ${where}`),
  );
  return r[0].n;
}

async function leadsMatching(tenant: TestTenant, q: string) {
  const res = await call(t.app, 'GET', `/api/leads?q=${encodeURIComponent(q)}&limit=200`, { token: tenant.apiKey });
  expect(res.status).toBe(200);
  return res.body.data as any[];
}

async function submissionsOf(tenant: TestTenant, leadId: string) {
  const res = await call(t.app, 'GET', `/api/leads/${leadId}/submissions?limit=200`, { token: tenant.apiKey });
  expect(res.status).toBe(200);
  return res.body.data as any[];
}

async function staffLead(tenant: TestTenant, overrides: Record<string, any> = {}) {
  const res = await call(t.app, 'POST', '/api/leads', { token: tenant.apiKey, body: intakeBody(overrides) });
  expect(res.status).toBe(201);
  return res.body;
}

describe(`concurrency (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('50 concurrent public intakes with one email become one lead with 50 submissions', async () => {
    const a = await createTenant(t);
    const email = `race.${randomToken(6).toLowerCase()}@example.com`;
    // The same person, typed a little differently each time: case and surrounding spaces normalize away.
    const responses = await times(50, (i) =>
      call(t.app, 'POST', `/api/public/${a.slug}/leads`, {
        body: intakeBody({
          contact: { email: i % 3 === 0 ? email.toUpperCase() : i % 3 === 1 ? ` ${email} ` : email },
        }),
      }),
    );
    expect(statuses(responses)).toEqual({ 201: 50 });
    const references = new Set(responses.map((r) => r.body.reference));
    expect(references.size).toBe(1);
    const [reference] = references;

    const found = await leadsMatching(a, email);
    expect(found).toHaveLength(1);
    expect(found[0].reference).toBe(reference);
    expect(await submissionsOf(a, found[0].id)).toHaveLength(50);
    const detail = await call(t.app, 'GET', `/api/leads/${found[0].id}`, { token: a.apiKey });
    expect(detail.body.submissionCount).toBe(50);

    expect(await count(a, 'leads')).toBe(1);
    expect(await count(a, 'lead_submissions')).toBe(50);
    expect(await count(a, 'lead_status_events')).toBe(1);
    expect(await count(a, 'people')).toBe(1);
    expect(await count(a, 'tasks', sql`type = 'contact_lead'`)).toBe(1);
  });

  it('50 concurrent public intakes with one phone number in different formats become one lead', async () => {
    const a = await createTenant(t);
    const formats = [
      '087 123 4567',
      '+353 87 123 4567',
      '+353871234567',
      '00353 87 123 4567',
      '(087) 123-4567',
      '087-123-4567',
      '0871234567',
      '+353 (0)87 123 4567',
      '087.123.4567',
      '+353-87-123-4567',
    ];
    const responses = await times(50, (i) => {
      const body = intakeBody({ contact: { phone: formats[i % formats.length] } });
      delete body.contact.email;
      return call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body });
    });
    expect(statuses(responses)).toEqual({ 201: 50 });
    expect(new Set(responses.map((r) => r.body.reference)).size).toBe(1);

    const found = await leadsMatching(a, '+353871234567');
    expect(found).toHaveLength(1);
    expect(found[0].reference).toBe(responses[0].body.reference);
    expect(await submissionsOf(a, found[0].id)).toHaveLength(50);
    expect(await count(a, 'leads')).toBe(1);
    expect(await count(a, 'leads', sql`phone = '+353871234567'`)).toBe(1);
    expect(await count(a, 'lead_submissions')).toBe(50);
    expect(await count(a, 'people')).toBe(1);
  });

  it('50 concurrent PATCHes with the same If-Match: exactly one 200, the rest 412', async () => {
    const a = await createTenant(t);
    const lead = await staffLead(a);
    const responses = await times(50, (i) =>
      call(t.app, 'PATCH', `/api/leads/${lead.id}`, {
        token: a.apiKey,
        headers: { 'if-match': '"1"' },
        body: { note: `writer ${i}` },
      }),
    );
    expect(statuses(responses)).toEqual({ 200: 1, 412: 49 });
    const winner = responses.find((r) => r.status === 200)!;
    expect(winner.headers.etag).toBe('"2"');
    for (const r of responses.filter((x) => x.status === 412)) {
      expect(r.body.code).toBe('concurrency.version_mismatch');
    }
    const detail = await call(t.app, 'GET', `/api/leads/${lead.id}`, { token: a.apiKey });
    expect(detail.headers.etag).toBe('"2"');
    expect(detail.body.note).toBe(winner.body.note);
  });

  it('20 concurrent POSTs with one Idempotency-Key create one lead; the rest replay or are in progress', async () => {
    const a = await createTenant(t);
    const body = intakeBody();
    const key = `idem-${randomToken(8)}`;
    const responses = await times(20, () =>
      call(t.app, 'POST', '/api/leads', { token: a.apiKey, body, headers: { 'idempotency-key': key } }),
    );
    const created = responses.filter((r) => r.status === 201);
    const inProgress = responses.filter((r) => r.status === 409);
    expect(created.length + inProgress.length).toBe(20);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of inProgress) expect(r.body.code).toBe('idempotency.in_progress');
    // Exactly one response did the work; every other 201 is a replay of it, byte for byte.
    const first = created.filter((r) => r.headers['idempotent-replayed'] !== 'true');
    expect(first).toHaveLength(1);
    for (const r of created) {
      expect(r.body).toEqual(first[0].body);
      if (r !== first[0]) expect(r.headers['idempotent-replayed']).toBe('true');
    }
    expect(await count(a, 'leads')).toBe(1);
    expect(await count(a, 'lead_submissions')).toBe(1);

    // Once settled, a retry with the same key replays the stored 201.
    const again = await call(t.app, 'POST', '/api/leads', {
      token: a.apiKey,
      body,
      headers: { 'idempotency-key': key },
    });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first[0].body);
  });

  it('10 concurrent conversions: exactly one 201, the others 409 lead.already_converted with the same ids', async () => {
    const a = await createTenant(t);
    const lead = await staffLead(a);
    const q = await call(t.app, 'POST', `/api/leads/${lead.id}/transitions`, {
      token: a.apiKey,
      body: { to: 'qualified' },
    });
    expect(q.status).toBe(200);
    const responses = await times(10, () => call(t.app, 'POST', `/api/leads/${lead.id}/convert`, { token: a.apiKey }));
    expect(statuses(responses)).toEqual({ 201: 1, 409: 9 });
    const winner = responses.find((r) => r.status === 201)!;
    expect(winner.body).toMatchObject({ personId: lead.personId, accountId: expect.any(String) });
    for (const r of responses.filter((x) => x.status === 409)) {
      expect(r.body).toMatchObject({ code: 'lead.already_converted', ...winner.body });
    }
    expect(await count(a, 'accounts')).toBe(1);
    expect(await count(a, 'projects')).toBe(1);
    expect(await count(a, 'lead_status_events', sql`to_status = 'converted'`)).toBe(1);
  });

  it('30 concurrent staff POSTs with one email: exactly one 201, the rest 409 lead.duplicate', async () => {
    const a = await createTenant(t);
    const email = `staff.${randomToken(6).toLowerCase()}@example.com`;
    const responses = await times(30, () =>
      call(t.app, 'POST', '/api/leads', { token: a.apiKey, body: intakeBody({ contact: { email } }) }),
    );
    expect(statuses(responses)).toEqual({ 201: 1, 409: 29 });
    const winner = responses.find((r) => r.status === 201)!;
    for (const r of responses.filter((x) => x.status === 409)) {
      expect(r.body).toMatchObject({ code: 'lead.duplicate', existingLeadId: winner.body.id });
    }
    expect(await count(a, 'leads')).toBe(1);
    expect(await count(a, 'lead_submissions')).toBe(1);
    expect(await count(a, 'people')).toBe(1);
  });
});
