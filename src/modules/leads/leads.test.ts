import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, intakeBody, type TestApp, type TestTenant } from '../../../test/helpers.ts';

let t: TestApp;
let a: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
});
afterAll(async () => t?.close());

describe('public intake', () => {
  it('creates one lead with person, submission, status event, task, outbox and audit', async () => {
    const body = intakeBody();
    const res = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ reference: expect.stringMatching(/^[A-Z0-9]{8}$/), status: 'received' });
    expect(res.headers['x-request-id']).toBeTruthy();

    const list = await call(t.app, 'GET', `/api/leads?q=${res.body.reference}`, { token: a.apiKey });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    const id = list.body.data[0].id;
    const detail = await call(t.app, 'GET', `/api/leads/${id}`, { token: a.apiKey });
    expect(detail.status).toBe(200);
    expect(detail.headers.etag).toBe('"1"');
    expect(detail.body).toMatchObject({
      status: 'new',
      source: 'website',
      selectedPath: 'compare_quotes',
      contact: { email: body.contact.email.toLowerCase(), postcode: 'D02 X285' },
      assessment: body.assessment,
      recommendation: body.recommendation,
      submissionCount: 1,
    });
    const events = await call(t.app, 'GET', `/api/leads/${id}/events`, { token: a.apiKey });
    expect(events.body.data).toEqual([expect.objectContaining({ fromStatus: null, toStatus: 'new', changedBy: null })]);
    const subs = await call(t.app, 'GET', `/api/leads/${id}/submissions`, { token: a.apiKey });
    expect(subs.body.data).toHaveLength(1);
    expect(subs.body.data[0].payload.contact.email).toBe(body.contact.email);
  });

  it('attaches a second submission with the same email to the same lead', async () => {
    const body = intakeBody();
    const first = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body });
    const second = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, {
      body: { ...body, contact: { ...body.contact, email: body.contact.email.toUpperCase(), name: 'Other Name' } },
    });
    expect(second.status).toBe(201);
    expect(second.body.reference).toBe(first.body.reference);
    const list = await call(t.app, 'GET', `/api/leads?q=${first.body.reference}`, { token: a.apiKey });
    expect(list.body.data[0].submissionCount ?? 2).toBe(2);
    const subs = await call(t.app, 'GET', `/api/leads/${list.body.data[0].id}/submissions`, { token: a.apiKey });
    expect(subs.body.data).toHaveLength(2);
  });

  it('normalizes the phone to E.164 with the tenant default country and dedupes on it', async () => {
    const phoneBody = intakeBody({ contact: { email: undefined, phone: '087 123 4567' } });
    delete phoneBody.contact.email;
    const first = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body: phoneBody });
    expect(first.status).toBe(201);
    const again = intakeBody({ contact: { phone: '+353 87 123 4567' } });
    delete again.contact.email;
    const second = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body: again });
    expect(second.body.reference).toBe(first.body.reference);
  });

  it('rejects bad input with 400 problem+json naming the path', async () => {
    const noContact = intakeBody();
    delete noContact.contact.email;
    const r1 = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body: noContact });
    expect(r1.status).toBe(400);
    expect(r1.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r1.body).toMatchObject({ code: 'validation.failed', status: 400, errors: [{ path: 'contact' }] });

    const noTerms = intakeBody({ consent: { terms: false } });
    const r2 = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body: noTerms });
    expect(r2.body.errors).toEqual([expect.objectContaining({ path: 'consent.terms' })]);

    const unknownField = { ...intakeBody(), extra: 1 };
    expect((await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body: unknownField })).status).toBe(400);

    const nul = intakeBody({ contact: { name: 'A\u0000B' } });
    const r3 = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body: nul });
    expect(r3.status).toBe(400);
    expect(r3.body.code).toBe('validation.unstorable_text');

    const badPhone = intakeBody({ contact: { phone: '12' } });
    const r4 = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body: badPhone });
    expect(r4.body.errors).toEqual([expect.objectContaining({ path: 'contact.phone' })]);
  });

  it('answers 404 for an unknown tenant slug', async () => {
    const res = await call(t.app, 'POST', '/api/public/no-such-tenant/leads', { body: intakeBody() });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('tenant.not_found');
  });
});

describe('lifecycle', () => {
  async function newLead() {
    const res = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body: intakeBody() });
    expect(res.status).toBe(201);
    return res.body;
  }

  it('follows the transition table and refuses anything else with 409', async () => {
    const lead = await newLead();
    const go = (to: string, reason?: string) =>
      call(t.app, 'POST', `/api/leads/${lead.id}/transitions`, { token: a.apiKey, body: { to, reason } });
    expect((await go('nurturing')).body.code).toBe('lead.invalid_transition');
    expect((await go('contacted')).status).toBe(200);
    expect((await go('matched')).status).toBe(409);
    expect((await go('nurturing')).status).toBe(200);
    expect((await go('qualified')).status).toBe(200);
    expect((await go('lost', 'no budget')).status).toBe(200);
    const reopenWithoutReason = await go('new');
    expect(reopenWithoutReason.status).toBe(400);
    expect((await go('new', 'called back')).status).toBe(200);
    const events = await call(t.app, 'GET', `/api/leads/${lead.id}/events`, { token: a.apiKey });
    expect(events.body.data.map((e: any) => e.toStatus)).toEqual([
      'new',
      'contacted',
      'nurturing',
      'qualified',
      'lost',
      'new',
    ]);
  });

  it('converts a qualified lead once; the second call is 409 with the same ids', async () => {
    const lead = await newLead();
    await call(t.app, 'POST', `/api/leads/${lead.id}/transitions`, { token: a.apiKey, body: { to: 'qualified' } });
    const first = await call(t.app, 'POST', `/api/leads/${lead.id}/convert`, { token: a.apiKey });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      personId: lead.personId,
      accountId: expect.any(String),
      projectId: expect.any(String),
    });
    const second = await call(t.app, 'POST', `/api/leads/${lead.id}/convert`, { token: a.apiKey });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'lead.already_converted', ...first.body });
    const detail = await call(t.app, 'GET', `/api/leads/${lead.id}`, { token: a.apiKey });
    expect(detail.body.status).toBe('converted');
  });

  it('staff-entered duplicate is 409 lead.duplicate with existingLeadId', async () => {
    const body = intakeBody();
    const first = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body });
    const dup = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'lead.duplicate', existingLeadId: first.body.id });
  });

  it('PATCH honours If-Match and DELETE is 405', async () => {
    const lead = await newLead();
    const ok = await call(t.app, 'PATCH', `/api/leads/${lead.id}`, {
      token: a.apiKey,
      body: { note: 'prefers mornings' },
      headers: { 'if-match': '"1"' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    const stale = await call(t.app, 'PATCH', `/api/leads/${lead.id}`, {
      token: a.apiKey,
      body: { note: 'x' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('concurrency.version_mismatch');
    const del = await call(t.app, 'DELETE', `/api/leads/${lead.id}`, { token: a.apiKey });
    expect(del.status).toBe(405);
    expect(del.body.code).toBe('lead.not_deletable');
  });
});
