import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, intakeBody, type TestApp, type TestTenant } from '../../../test/helpers.ts';
import { rows } from '../../platform/db.ts';
import { PLATFORM_TENANT_SLUG } from '../../workflows/tenant-provisioning.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
/** No question sets: the default intake body's assessment is accepted as given. */
let c: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  [a, b, c] = await Promise.all([createTenant(t), createTenant(t), createTenant(t)]);
});
afterAll(async () => t?.close());

const intake = (tenant: TestTenant, body: unknown) => call(t.app, 'POST', `/api/public/${tenant.slug}/leads`, { body });

async function leadByReference(tenant: TestTenant, reference: string) {
  const res = await call(t.app, 'GET', `/api/leads?q=${reference}`, { token: tenant.apiKey });
  expect(res.body.data).toHaveLength(1);
  return (await call(t.app, 'GET', `/api/leads/${res.body.data[0].id}`, { token: tenant.apiKey })).body;
}

describe('assessment question sets', () => {
  const V1 = {
    version: '2026-01',
    questions: [
      { key: 'roofType', type: 'choice', options: ['pitched', 'flat'], required: true, label: 'Roof type' },
      { key: 'monthlyBill', type: 'number' },
      { key: 'occupants', type: 'integer' },
      { key: 'hasBattery', type: 'boolean' },
      { key: 'interests', type: 'multi_choice', options: ['solar_pv', 'battery', 'heat_pump'] },
      { key: 'notes', type: 'string' },
    ],
  };
  const V2 = {
    version: '2026-06',
    questions: [
      { key: 'roofType', type: 'choice', options: ['pitched', 'flat', 'metal'], required: true },
      { key: 'heatPumpReady', type: 'boolean' },
    ],
  };
  const withAnswers = (answers: Record<string, unknown>, questionSetVersion?: string) =>
    intakeBody({ assessment: { ...(questionSetVersion ? { questionSetVersion } : {}), answers } });

  async function rejected(body: unknown, path: string, tenant = a) {
    const res = await intake(tenant, body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('validation.failed');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    return res;
  }

  it('creating one needs settings:write', async () => {
    const key = await call(t.app, 'POST', '/api/admin/api-keys', {
      token: a.apiKey,
      body: { name: 'agent', roles: ['agent'] },
    });
    const res = await call(t.app, 'POST', '/api/admin/question-sets', { token: key.body.secret, body: V1 });
    expect(res.status).toBe(403);
    expect((await call(t.app, 'GET', '/api/admin/question-sets', { token: a.apiKey })).body.data).toEqual([]);
  });

  it('validates every answer against the set, naming the path', async () => {
    const created = await call(t.app, 'POST', '/api/admin/question-sets', { token: a.apiKey, body: V1 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: V1.version, active: true });
    const ok = { roofType: 'pitched', monthlyBill: 180.5, occupants: 3, hasBattery: false, interests: ['battery'] };

    await rejected(withAnswers({ ...ok, colour: 'blue' }, V1.version), 'assessment.answers.colour');
    await rejected(withAnswers({ ...ok, monthlyBill: 'lots' }, V1.version), 'assessment.answers.monthlyBill');
    await rejected(withAnswers({ ...ok, occupants: 2.5 }, V1.version), 'assessment.answers.occupants');
    await rejected(withAnswers({ ...ok, hasBattery: 'yes' }, V1.version), 'assessment.answers.hasBattery');
    await rejected(withAnswers({ ...ok, notes: 12 }, V1.version), 'assessment.answers.notes');
    await rejected(withAnswers({ ...ok, roofType: 'thatched' }, V1.version), 'assessment.answers.roofType');
    await rejected(withAnswers({ ...ok, interests: ['pool'] }, V1.version), 'assessment.answers.interests');
    await rejected(withAnswers({ ...ok, interests: 'battery' }, V1.version), 'assessment.answers.interests');
    const { roofType: _, ...missingRequired } = ok;
    await rejected(withAnswers(missingRequired, V1.version), 'assessment.answers.roofType');
    await rejected(withAnswers(ok, 'no-such-version'), 'assessment.questionSetVersion');
    // Several problems are all named at once.
    const many = await rejected(withAnswers({ roofType: 'x', colour: 1 }, V1.version), 'assessment.answers.colour');
    expect(many.body.errors.map((e: any) => e.path).sort()).toEqual([
      'assessment.answers.colour',
      'assessment.answers.roofType',
    ]);
    // Staff entry is held to the same rules.
    const staff = await call(t.app, 'POST', '/api/leads', {
      token: a.apiKey,
      body: withAnswers({ ...ok, roofType: 'thatched' }, V1.version),
    });
    expect(staff.status).toBe(400);
    expect(staff.body.errors).toEqual([expect.objectContaining({ path: 'assessment.answers.roofType' })]);

    const good = await intake(a, withAnswers(ok, V1.version));
    expect(good.status).toBe(201);
    expect((await leadByReference(a, good.body.reference)).assessment).toEqual({
      questionSetVersion: V1.version,
      answers: ok,
    });
    // Without a version the active set applies, and the stored assessment names it.
    const implicit = await intake(a, withAnswers({ roofType: 'flat' }));
    expect(implicit.status).toBe(201);
    expect((await leadByReference(a, implicit.body.reference)).assessment).toEqual({
      questionSetVersion: V1.version,
      answers: { roofType: 'flat' },
    });
  });

  it('an older version still validates against itself after a newer one is activated', async () => {
    const v2 = await call(t.app, 'POST', '/api/admin/question-sets', { token: a.apiKey, body: V2 });
    expect(v2.status).toBe(201);
    const dup = await call(t.app, 'POST', '/api/admin/question-sets', { token: a.apiKey, body: V2 });
    expect(dup.status).toBe(409);
    const list = await call(t.app, 'GET', '/api/admin/question-sets', { token: a.apiKey });
    expect(Object.fromEntries(list.body.data.map((s: any) => [s.version, s.active]))).toEqual({
      [V1.version]: false,
      [V2.version]: true,
    });

    const old = await intake(a, withAnswers({ roofType: 'pitched', monthlyBill: 90 }, V1.version));
    expect(old.status).toBe(201);
    expect((await leadByReference(a, old.body.reference)).assessment.questionSetVersion).toBe(V1.version);
    await rejected(withAnswers({ roofType: 'metal' }, V1.version), 'assessment.answers.roofType');
    await rejected(
      withAnswers({ roofType: 'flat', heatPumpReady: true }, V1.version),
      'assessment.answers.heatPumpReady',
    );

    await rejected(withAnswers({ roofType: 'flat', monthlyBill: 90 }), 'assessment.answers.monthlyBill');
    const current = await intake(a, withAnswers({ roofType: 'metal', heatPumpReady: true }));
    expect(current.status).toBe(201);
    expect((await leadByReference(a, current.body.reference)).assessment).toEqual({
      questionSetVersion: V2.version,
      answers: { roofType: 'metal', heatPumpReady: true },
    });
  });

  it('question sets are per tenant', async () => {
    // B has none: answers are stored as given (bounded by the request schema).
    const free = await intake(b, withAnswers({ anything: 'goes' }, V1.version));
    expect(free.status).toBe(201);
    const own = await call(t.app, 'POST', '/api/admin/question-sets', {
      token: b.apiKey,
      body: { version: V1.version, questions: [{ key: 'anything', type: 'string' }] },
    });
    expect(own.status).toBe(201);
    expect((await intake(b, withAnswers({ anything: 'goes' }, V1.version))).status).toBe(201);
    await rejected(withAnswers({ roofType: 'pitched' }, V1.version), 'assessment.answers.roofType', b);
    // A's sets are untouched by B's.
    const aSets = await call(t.app, 'GET', '/api/admin/question-sets', { token: a.apiKey });
    expect(aSets.body.data.find((s: any) => s.version === V1.version).questions).toHaveLength(6);
  });

  it('a tenant with only inactive (staged) sets still refuses an unknown version', async () => {
    const d = await createTenant(t);
    const staged = await call(t.app, 'POST', '/api/admin/question-sets', {
      token: d.apiKey,
      body: { ...V2, activate: false },
    });
    expect(staged.status).toBe(201);
    expect(staged.body.active).toBe(false);
    await rejected(withAnswers({ roofType: 'flat' }, 'no-such-version'), 'assessment.questionSetVersion', d);
    await rejected(withAnswers({ roofType: 'thatched' }, V2.version), 'assessment.answers.roofType', d);
    expect((await intake(d, withAnswers({ roofType: 'metal' }, V2.version))).status).toBe(201);
    // No active set: an assessment without a version is stored as given.
    expect((await intake(d, withAnswers({ anything: 'goes' }))).status).toBe(201);
  });
});

describe('platform waitlist', () => {
  it('stores a waitlist lead in the platform tenant and nowhere else', async () => {
    const email = `founder.${randomUUID().slice(0, 8)}@solarco.example`;
    const body = {
      email,
      name: 'Grace Founder',
      company: 'SolarCo',
      message: 'We route 500 leads a month',
      consent: { terms: true },
    };
    const res = await call(t.app, 'POST', '/api/public/waitlist', { body });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ reference: expect.any(String), status: 'received' });
    const again = await call(t.app, 'POST', '/api/public/waitlist', { body });
    expect(again.body.reference).toBe(res.body.reference);

    const found = await rows<{ slug: string; is_platform: boolean; source: string; reference: string; n: number }>(
      t.db.db,
      sql`select t.slug, t.is_platform, l.source, l.reference, l.submission_count as n
          from leads l join tenants t on t.id = l.tenant_id where l.email = ${email}`,
    );
    expect(found).toEqual([
      { slug: PLATFORM_TENANT_SLUG, is_platform: true, source: 'waitlist', reference: res.body.reference, n: 2 },
    ]);
    const people = await rows<{ slug: string }>(
      t.db.db,
      sql`select t.slug from people p join tenants t on t.id = p.tenant_id where p.email = ${email}`,
    );
    expect(people).toEqual([{ slug: PLATFORM_TENANT_SLUG }]);
    for (const tenant of [a, b]) {
      const list = await call(t.app, 'GET', `/api/leads?q=${encodeURIComponent(email)}`, { token: tenant.apiKey });
      expect(list.body.data).toEqual([]);
      expect((await call(t.app, 'GET', '/api/leads?source=waitlist', { token: tenant.apiKey })).body.data).toEqual([]);
    }
    const bad = await call(t.app, 'POST', '/api/public/waitlist', { body: { ...body, consent: { terms: false } } });
    expect(bad.status).toBe(400);
  });
});

describe('conversion target opportunity', () => {
  it('creates an opportunity in the sales pipeline and no project', async () => {
    const o = await createTenant(t, undefined, { conversionTarget: 'opportunity' });
    const lead = await call(t.app, 'POST', '/api/leads', {
      token: o.apiKey,
      body: intakeBody({
        recommendation: { engineVersion: '1.4.0', estimatedCost: { amount: 1_250_000, currency: 'EUR' } },
      }),
    });
    expect(lead.status).toBe(201);
    await call(t.app, 'POST', `/api/leads/${lead.body.id}/transitions`, { token: o.apiKey, body: { to: 'qualified' } });
    const conv = await call(t.app, 'POST', `/api/leads/${lead.body.id}/convert`, { token: o.apiKey });
    expect(conv.status).toBe(201);
    expect(conv.body).toEqual({
      personId: lead.body.personId,
      accountId: expect.any(String),
      projectId: null,
      opportunityId: expect.any(String),
    });
    const opps = await rows<Record<string, unknown>>(
      t.db.db,
      sql`select o.id, o.lead_id, o.account_id, o.person_id, o.stage, o.status, o.value_amount::int as amount,
                 o.value_currency, p.kind
          from opportunities o join pipelines p on p.tenant_id = o.tenant_id and p.id = o.pipeline_id
          where o.tenant_id = ${o.tenantId}`,
    );
    expect(opps).toEqual([
      {
        id: conv.body.opportunityId,
        lead_id: lead.body.id,
        account_id: conv.body.accountId,
        person_id: lead.body.personId,
        stage: 'new',
        status: 'open',
        amount: 1_250_000,
        value_currency: 'EUR',
        kind: 'sales',
      },
    ]);
    const projects = await rows(t.db.db, sql`select id from projects where tenant_id = ${o.tenantId}`);
    expect(projects).toEqual([]);
    const detail = await call(t.app, 'GET', `/api/leads/${lead.body.id}`, { token: o.apiKey });
    expect(detail.body).toMatchObject({
      status: 'converted',
      conversion: { accountId: conv.body.accountId, projectId: null, opportunityId: conv.body.opportunityId },
    });
    const second = await call(t.app, 'POST', `/api/leads/${lead.body.id}/convert`, { token: o.apiKey });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'lead.already_converted', opportunityId: conv.body.opportunityId });
  });
});

describe('lead_status_events is append-only in the database', () => {
  it('rejects UPDATE and DELETE, also for the application role', async () => {
    const lead = await call(t.app, 'POST', '/api/leads', { token: c.apiKey, body: intakeBody() });
    const count = async () =>
      (
        await rows<{ n: number }>(
          t.db.db,
          sql`select count(*)::int as n from lead_status_events where lead_id = ${lead.body.id}`,
        )
      )[0].n;
    expect(await count()).toBe(1);
    await expect(
      t.db.db.execute(sql`update lead_status_events set reason = 'rewritten' where lead_id = ${lead.body.id}`),
    ).rejects.toThrow();
    await expect(
      t.db.db.execute(sql`delete from lead_status_events where lead_id = ${lead.body.id}`),
    ).rejects.toThrow();
    await expect(
      t.db.tenantTx(c.tenantId, (tx) =>
        tx.execute(sql`delete from lead_status_events where lead_id = ${lead.body.id}`),
      ),
    ).rejects.toThrow();
    expect(await count()).toBe(1);
    const events = await call(t.app, 'GET', `/api/leads/${lead.body.id}/events`, { token: c.apiKey });
    expect(events.body.data).toEqual([expect.objectContaining({ fromStatus: null, toStatus: 'new', reason: null })]);
  });
});

describe('assignment', () => {
  async function user(name: string, tenant = c) {
    const res = await call(t.app, 'POST', '/api/admin/users', {
      token: tenant.apiKey,
      body: { email: `${name}.${randomUUID().slice(0, 6)}@${tenant.slug}.example`, name, roles: ['agent'] },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }
  const tasksOf = (leadId: string) =>
    rows<{ type: string; status: string; assignee_user_id: string | null }>(
      t.db.db,
      sql`select type, status, assignee_user_id from tasks where lead_id = ${leadId} order by id`,
    );

  it('POST /assign moves the open contact_lead task to the new owner and is audited', async () => {
    const [ana, ben] = [await user('ana'), await user('ben')];
    const lead = await call(t.app, 'POST', '/api/leads', { token: c.apiKey, body: intakeBody() });
    expect(await tasksOf(lead.body.id)).toEqual([{ type: 'contact_lead', status: 'open', assignee_user_id: null }]);

    const first = await call(t.app, 'POST', `/api/leads/${lead.body.id}/assign`, {
      token: c.apiKey,
      body: { userId: ana },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ assignedUserId: ana, version: 2 });
    expect(first.headers.etag).toBe('"2"');
    expect(await tasksOf(lead.body.id)).toEqual([{ type: 'contact_lead', status: 'open', assignee_user_id: ana }]);

    // A finished task stays with whoever did it.
    await t.db.db.execute(sql`update tasks set status = 'done', completed_at = now() where lead_id = ${lead.body.id}`);
    await t.db.db.execute(
      sql`insert into tasks (tenant_id, id, type, title, due_at, assignee_user_id, lead_id, person_id)
          values (${c.tenantId}, ${randomUUID()}, 'follow_up', 'Call back', now(), ${ana}, ${lead.body.id}, ${lead.body.personId})`,
    );
    const second = await call(t.app, 'POST', `/api/leads/${lead.body.id}/assign`, {
      token: c.apiKey,
      body: { userId: ben },
    });
    expect(second.status).toBe(200);
    expect(await tasksOf(lead.body.id)).toEqual([
      { type: 'contact_lead', status: 'done', assignee_user_id: ana },
      { type: 'follow_up', status: 'open', assignee_user_id: ben },
    ]);

    const audit = await call(
      t.app,
      'GET',
      `/api/admin/audit-events?entityType=lead&entityId=${lead.body.id}&action=lead.assigned`,
      { token: c.apiKey },
    );
    expect(audit.body.data).toHaveLength(2);
    expect(audit.body.data[0]).toMatchObject({ outcome: 'ok', changedFields: ['assignedUserId'] });
    const outbox = await rows<{ type: string }>(
      t.db.db,
      sql`select type from outbox_events where entity_id = ${lead.body.id} and type = 'lead.assigned'`,
    );
    expect(outbox).toHaveLength(2);
  });

  it('refuses an unknown user or another tenant’s user with 400, changing nothing', async () => {
    const lead = await call(t.app, 'POST', '/api/leads', { token: c.apiKey, body: intakeBody() });
    const foreign = await user('bea', b);
    for (const userId of [randomUUID(), foreign]) {
      const res = await call(t.app, 'POST', `/api/leads/${lead.body.id}/assign`, { token: c.apiKey, body: { userId } });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ path: 'userId' })]);
      const viaPatch = await call(t.app, 'PATCH', `/api/leads/${lead.body.id}`, {
        token: c.apiKey,
        body: { assignedUserId: userId },
      });
      expect(viaPatch.status).toBe(400);
      expect(viaPatch.body.errors).toEqual([expect.objectContaining({ path: 'assignedUserId' })]);
    }
    const detail = await call(t.app, 'GET', `/api/leads/${lead.body.id}`, { token: c.apiKey });
    expect(detail.body).toMatchObject({ assignedUserId: null, version: 1 });
  });

  it('PATCH assignedUserId also moves the open tasks with the owner', async () => {
    const cai = await user('cai');
    const lead = await call(t.app, 'POST', '/api/leads', { token: c.apiKey, body: intakeBody() });
    const res = await call(t.app, 'PATCH', `/api/leads/${lead.body.id}`, {
      token: c.apiKey,
      body: { assignedUserId: cai },
    });
    expect(res.status).toBe(200);
    expect(await tasksOf(lead.body.id)).toEqual([{ type: 'contact_lead', status: 'open', assignee_user_id: cai }]);
    const unassign = await call(t.app, 'PATCH', `/api/leads/${lead.body.id}`, {
      token: c.apiKey,
      body: { assignedUserId: null },
    });
    expect(unassign.status).toBe(200);
    expect(await tasksOf(lead.body.id)).toEqual([{ type: 'contact_lead', status: 'open', assignee_user_id: null }]);
  });
});
