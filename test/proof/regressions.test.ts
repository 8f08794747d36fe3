/** Bugs the proof suite found, pinned down one by one. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, createTenant, createTestApp, intakeBody, type TestApp, type TestTenant } from '../helpers.ts';

let t: TestApp;
let a: TestTenant;
beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
});
afterAll(async () => t?.close());

it('PATCH of a lead to another open lead phone → 409 lead.duplicate, not 500', async () => {
  const one = await call(t.app, 'POST', '/api/leads', {
    token: a.apiKey,
    body: intakeBody({ contact: { phone: '+353 87 123 4567' } }),
  });
  expect(one.status).toBe(201);
  const two = await call(t.app, 'POST', '/api/leads', { token: a.apiKey, body: intakeBody() });
  expect(two.status).toBe(201);
  const res = await call(t.app, 'PATCH', `/api/leads/${two.body.id}`, {
    token: a.apiKey,
    body: { contact: { phone: '087 123 4567' } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(409);
  expect(res.body.code).toBe('lead.duplicate');
  expect(res.body.existingLeadId).toBe(one.body.id);
});

it('a path parameter longer than the router allows → 414 problem+json with a request id, not Fastify JSON', async () => {
  const res = await call(t.app, 'GET', `/api/leads/${'a'.repeat(300)}`, { token: a.apiKey });
  expect(res.status).toBe(414);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 414, code: 'request.uri_too_long', requestId: res.headers['x-request-id'] });
});

it('a name keeps its characters (NFC, one line), not NFKC-folded', async () => {
  const res = await call(t.app, 'POST', '/api/crm/contacts', { token: a.apiKey, body: { fullName: 'Zoë ﬁ…²  Byrne' } });
  expect(res.status).toBe(201);
  expect(res.body.fullName).toBe('Zoë ﬁ…² Byrne');
});
