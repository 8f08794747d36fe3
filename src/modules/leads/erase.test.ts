import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../test/helpers.ts';
import { rows } from '../../platform/db.ts';

let t: TestApp;
let a: TestTenant;
let agentKey: string;

/** Values that occur nowhere else in the database, so any match after the erase is a leftover copy. */
function subject() {
  const tag = randomUUID().slice(0, 8);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
  const local = `${digits(3)} ${digits(4)}`;
  const v = {
    firstName: `Zephyrine${tag}`,
    lastName: `Quillfeather${tag}`,
    email: `zephyrine.${tag}@example.org`,
    phoneRaw: `+353 86 ${local}`,
    phoneE164: `+35386${local.replace(' ', '')}`,
    postcode: `V94 ${tag.slice(0, 4).toUpperCase()}`,
    line1: `77 Lighthouse Row ${tag}`,
    line2: `Apartment Nine ${tag}`,
    city: `Kilquiggin${tag}`,
    sourceDetail: `referred by neighbour ${tag}`,
    bestTime: `after the school run ${tag}`,
    note: `dog called Biscuit ${tag}`,
    answer: `thatched roof ${tag}`,
    userAgent: `ZephyrBrowser/${tag}`,
    otherName: `Zeph Quillfeather-Smythe${tag}`,
  };
  const body = {
    contact: {
      name: `${v.firstName} ${v.lastName}`,
      email: v.email,
      phone: v.phoneRaw,
      postcode: v.postcode,
      locale: 'en-IE',
      address: { line1: v.line1, line2: v.line2, city: v.city, country: 'IE' },
    },
    source: 'referral',
    sourceDetail: v.sourceDetail,
    service: 'solar_pv',
    selectedPath: 'recommended',
    contactPreferences: { channels: ['phone'], bestTime: v.bestTime },
    consent: { terms: true, marketing: true },
    assessment: { answers: { roofType: v.answer, monthlyBill: 180 } },
    recommendation: { engineVersion: '1.4.0', products: [{ kind: 'solar_pv', sizeKw: 4.2 }] },
  };
  const needles = [
    `${v.firstName} ${v.lastName}`,
    v.firstName,
    v.lastName,
    v.email,
    v.phoneRaw,
    v.phoneE164,
    `86${local.replace(' ', '')}`,
    v.postcode,
    v.postcode.replace(' ', ''),
    v.line1,
    v.line2,
    v.city,
    v.sourceDetail,
    v.bestTime,
    v.note,
    v.answer,
    v.userAgent,
    v.otherName,
  ];
  return { v, body, needles };
}

/** Every text, varchar, json, jsonb and array column of every table in the public schema. */
async function searchableColumns() {
  return rows<{ table_name: string; column_name: string }>(
    t.db.db,
    sql`select c.table_name, c.column_name
        from information_schema.columns c
        join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name
        where c.table_schema = 'public' and tb.table_type = 'BASE TABLE'
          and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
        order by 1, 2`,
  );
}

/** Where any of the needles still occurs: `table.column` → matching needles. */
async function findAnywhere(needles: string[]) {
  const cols = await searchableColumns();
  expect(cols.length).toBeGreaterThan(20);
  const byTable = new Map<string, string[]>();
  for (const c of cols) byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), c.column_name]);
  const patterns = needles.map((n) => `%${n.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const hits: Record<string, string[]> = {};
  // One query per table: every searchable column as text, rows where any column holds any needle.
  for (const [table, columns] of byTable) {
    const matched = await rows<Record<string, string | null>>(
      t.db.db,
      sql`select ${sql.join(
        columns.map((c) => sql`${sql.identifier(c)}::text as ${sql.identifier(c)}`),
        sql`, `,
      )} from ${sql.identifier(table)}
          where ${sql.join(
            columns.flatMap((c) => patterns.map((p) => sql`${sql.identifier(c)}::text ilike ${p}`)),
            sql` or `,
          )}`,
    );
    for (const column of columns) {
      const found = needles.filter((n) => matched.some((m) => m[column]?.toLowerCase().includes(n.toLowerCase())));
      if (found.length) hits[`${table}.${column}`] = found;
    }
  }
  return hits;
}

const post = (url: string, body?: unknown, headers: Record<string, string> = {}, token = a.apiKey) =>
  call(t.app, 'POST', url, { token, body, headers });

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
  const key = await post('/api/admin/api-keys', { name: 'agent key', roles: ['agent'] });
  expect(key.status).toBe(201);
  agentKey = key.body.secret;
});
afterAll(async () => t?.close());

describe('erase', () => {
  it('needs privacy:erase: an agent gets 403 and nothing changes', async () => {
    const { body } = subject();
    const lead = await post('/api/leads', body);
    const res = await post(`/api/leads/${lead.body.id}/erase`, undefined, {}, agentKey);
    expect(res.status).toBe(403);
    const after = await call(t.app, 'GET', `/api/leads/${lead.body.id}`, { token: a.apiKey });
    expect(after.body).toMatchObject({ erasedAt: null, contact: { email: body.contact.email }, version: 1 });
  });

  it('leaves no copy of the erased values anywhere, also after conversion and an idempotent staff POST', async () => {
    const { v, body, needles } = subject();

    // An earlier lead of the same person, closed as lost.
    const earlier = await post('/api/leads', { ...body, source: 'phone' });
    expect(earlier.status).toBe(201);
    await post(`/api/leads/${earlier.body.id}/transitions`, { to: 'lost', reason: 'not now' });

    // The lead itself, entered by staff with an Idempotency-Key: the stored response echoes the contact.
    const idemKey = `erase-${randomUUID()}`;
    const created = await post('/api/leads', { ...body, note: v.note }, { 'idempotency-key': idemKey });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.personId).toBe(earlier.body.personId);
    const replay = await post('/api/leads', { ...body, note: v.note }, { 'idempotency-key': idemKey });
    expect(replay.headers['idempotent-replayed']).toBe('true');

    // A second public submission for the same open lead, with another spelling of the name.
    const again = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, {
      body: { ...body, contact: { ...body.contact, name: v.otherName } },
      headers: { 'user-agent': v.userAgent, 'idempotency-key': `pub-${randomUUID()}` },
    });
    expect(again.body.reference).toBe(created.body.reference);

    // Converted: household account named after the person, project at the site address.
    expect((await post(`/api/leads/${id}/transitions`, { to: 'qualified' })).status).toBe(200);
    const conv = await post(`/api/leads/${id}/convert`, undefined, { 'idempotency-key': `conv-${randomUUID()}` });
    expect(conv.status).toBe(201);

    // An import that matched the person by email and wrote a field: its staged rows hold the values too.
    const csv = `Full name,E-mail Address,City\n${v.firstName} ${v.lastName},${v.email},${v.city}\n`;
    const up = await t.app.inject({
      method: 'POST',
      url: '/api/crm/imports?kind=people&fileName=people.csv',
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(up.statusCode).toBe(201);
    const batch = up.json();
    const put = await call(t.app, 'PUT', `/api/crm/imports/${batch.id}/mapping`, {
      token: a.apiKey,
      body: { mapping: batch.suggestedMapping },
    });
    expect(put.status).toBe(200);
    for (const step of ['propose', 'approve', 'commit']) {
      expect((await post(`/api/crm/imports/${batch.id}/${step}`)).status).toBe(200);
    }

    // A batch that never matched the person (left parsed, never proposed), whose rows hold the email in
    // another case and the phone as typed: erasure finds them by value.
    const stray = await t.app.inject({
      method: 'POST',
      url: '/api/crm/imports?kind=people&fileName=stray.csv',
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'text/csv' },
      payload: `Name,Email,Mobile\nSomeone Else,  ${v.email.toUpperCase()} ,\nAnother One,,${v.phoneRaw}\nKept Row,kept-${randomUUID()}@example.com,\n`,
    });
    expect(stray.statusCode).toBe(201);

    // The search finds the values before the erase (it would find leftovers after it).
    const before = await findAnywhere(needles);
    for (const col of [
      'leads.email',
      'leads.address',
      'lead_submissions.payload',
      'lead_submissions.user_agent',
      'people.full_name',
      'accounts.name',
      'accounts.billing_address',
      'projects.site_address',
      'idempotency_keys.response_body',
      'import_rows.raw',
    ]) {
      expect(Object.keys(before)).toContain(col);
    }
    const eventsBefore = await call(t.app, 'GET', `/api/leads/${id}/events`, { token: a.apiKey });

    const erased = await post(`/api/leads/${id}/erase`);
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({
      id,
      status: 'converted',
      erasedAt: expect.any(String),
      contact: { name: null, email: null, phone: null, postcode: null, address: null },
      note: null,
      contactPreferences: null,
      sourceDetail: null,
    });

    expect(await findAnywhere(needles)).toEqual({});
    // Only the rows holding the person's values were blanked: the unrelated row of the stray batch is kept.
    const strayRows = await call(t.app, 'GET', `/api/crm/imports/${stray.json().id}/rows`, { token: a.apiKey });
    expect(strayRows.body.data.map((r: any) => r.rowNumber)).toEqual([2, 3, 4]);
    const kept = await rows<{ row_number: number; cells: number }>(
      t.db.db,
      sql`select row_number, jsonb_array_length(raw)::int as cells from import_rows
          where batch_id = ${stray.json().id} order by row_number`,
    );
    expect(kept.map((r) => Number(r.cells))).toEqual([0, 0, 2]);

    // History is kept: the status events and the conversion refs.
    const eventsAfter = await call(t.app, 'GET', `/api/leads/${id}/events`, { token: a.apiKey });
    expect(eventsAfter.body.data).toEqual(eventsBefore.body.data);
    expect(eventsAfter.body.data.map((e: any) => e.toStatus)).toEqual(['new', 'qualified', 'converted']);
    expect(erased.body.conversion).toMatchObject({ accountId: conv.body.accountId, projectId: conv.body.projectId });
    const subs = await call(t.app, 'GET', `/api/leads/${id}/submissions`, { token: a.apiKey });
    expect(subs.body.data).toHaveLength(2);

    // The sibling lead of the same person is erased too.
    const sibling = await call(t.app, 'GET', `/api/leads/${earlier.body.id}`, { token: a.apiKey });
    expect(sibling.body).toMatchObject({ status: 'lost', erasedAt: expect.any(String), contact: { email: null } });

    // The audit trail names the fields, never their values.
    const audit = await call(t.app, 'GET', `/api/admin/audit-events?entityType=lead&entityId=${id}`, {
      token: a.apiKey,
    });
    const entry = audit.body.data.find((e: any) => e.action === 'lead.erased');
    expect(entry).toMatchObject({ outcome: 'ok', entityType: 'lead', entityId: id });
    expect(entry.changedFields).toEqual(expect.arrayContaining(['name', 'email', 'phone', 'address']));
    for (const f of entry.changedFields) expect(f).toMatch(/^[a-zA-Z.]+$/);

    // Erasing again is fine, and an erased lead cannot be edited.
    const twice = await post(`/api/leads/${id}/erase`);
    expect(twice.status).toBe(200);
    expect(twice.body.erasedAt).toBe(erased.body.erasedAt);
    const patch = await call(t.app, 'PATCH', `/api/leads/${id}`, { token: a.apiKey, body: { note: 'x' } });
    expect(patch.status).toBe(409);
    expect(await findAnywhere(needles)).toEqual({});

    // The same person coming back is a new person and a new lead, not the erased ones.
    const back = await post('/api/leads', body);
    expect(back.status).toBe(201);
    expect(back.body.personId).not.toBe(created.body.personId);
  });

  it('erases a lead that was never converted, with its only submission', async () => {
    const { body, needles } = subject();
    const receipt = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, { body });
    expect(receipt.status).toBe(201);
    const list = await call(t.app, 'GET', `/api/leads?q=${receipt.body.reference}`, { token: a.apiKey });
    const id = list.body.data[0].id;
    expect((await post(`/api/leads/${id}/erase`)).status).toBe(200);
    expect(await findAnywhere(needles)).toEqual({});
    const events = await call(t.app, 'GET', `/api/leads/${id}/events`, { token: a.apiKey });
    expect(events.body.data).toHaveLength(1);
  });
});
