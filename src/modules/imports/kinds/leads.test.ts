import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLead, staffUser } from '../../../../test/crm-helpers.ts';
import {
  call,
  createTenant,
  createTestApp,
  intakeBody,
  type TestApp,
  type TestTenant,
} from '../../../../test/helpers.ts';
import { allRows, committed, proposed, upload } from './test-support.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
  b = await createTenant(t);
});
afterAll(() => t?.close());

const get = (path: string, token = a.apiKey) => call(t.app, 'GET', path, { token });
const events = async (leadId: string) =>
  (await get(`/api/leads/${leadId}/events`)).body.data.map((e: any) => [e.fromStatus, e.toStatus, e.reason]);

describe('leads import', () => {
  it('suggests, proposes with dedup and evidence, commits through leads once, reverts without deleting', async () => {
    const mary = await newLead(t, a.apiKey, { contact: { name: 'Mary Walsh', email: 'mary@example.ie' } });
    const tom = await newLead(t, a.apiKey, {
      contact: { name: 'Tom Byrne', email: 'tom@example.ie', phone: '087 765 4321' },
    });
    const same = await newLead(t, a.apiKey, {
      contact: { name: 'Sam Same', email: 'same@example.ie', postcode: 'D02 X285' },
    });
    // A closed lead: its person is matched again, the lead itself is not (dedup is against open leads).
    const lost = await newLead(t, a.apiKey, { contact: { name: 'Pat Lost', email: 'pat@example.ie' } });
    expect(
      (await call(t.app, 'POST', `/api/leads/${lost.id}/transitions`, { token: a.apiKey, body: { to: 'lost' } }))
        .status,
    ).toBe(200);
    // Another tenant's open lead with the same email is never matched.
    await newLead(t, b.apiKey, { contact: { name: 'Sharon Elsewhere', email: 'shared@example.ie' } });

    const csv = [
      'Customer Name,E-mail Address,Mobile,Post Code,Lead Source,Product,Notes',
      'Aoife Kelly,aoife@example.ie,085 111 2233,d04 k7y2,Facebook,Solar PV,Wants a quote', // 2 create
      'Mary Walsh,MARY@example.ie,,D02 X285,web,Heat Pump,', // 3 update (email): service
      'Tom Byrne,,087 765 4321,,phone,,Call after 6', // 4 update (phone): note filled
      'Aoife K.,AOIFE@example.ie,,,,,', // 5 skip: repeats row 2
      ',nobody@example.ie,,,,,', // 6 invalid: no name
      'Bad Source,bad@example.ie,,,Billboard,,', // 7 invalid: source
      'No Contact,,,D02,website,,', // 8 invalid: no email or phone
      'Sam Same,same@example.ie,,D02 X285,website,Solar PV,', // 9 skip: nothing differs
      'Sharon Other,shared@example.ie,,,,,', // 10 create (tenant b's lead is not seen)
      'Pat Lost,pat@example.ie,,,,,', // 11 create, the existing person linked
      'Bad Email,not-an-email,,,,,', // 12 invalid: email
    ].join('\n');
    const up = await upload(t, a.apiKey, 'leads', csv);
    expect(up.status).toBe(201);
    expect(up.body.suggestedMapping).toEqual({
      'Customer Name': 'fullName',
      'E-mail Address': 'email',
      Mobile: 'phone',
      'Post Code': 'postcode',
      'Lead Source': 'source',
      Product: 'service',
      Notes: 'note',
    });
    const id = up.body.id;

    const missing = await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
      token: a.apiKey,
      body: { mapping: { 'Post Code': 'postcode', Product: 'domain' } },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'mapping.Product', message: expect.stringMatching(/^unknown field; one of fullName, firstName/) },
        { path: 'mapping', message: 'map a column to fullName, firstName or lastName' },
        { path: 'mapping', message: 'map a column to email or phone' },
      ]),
    );

    await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
      token: a.apiKey,
      body: { mapping: up.body.suggestedMapping },
    });
    const prop = await call(t.app, 'POST', `/api/crm/imports/${id}/propose`, { token: a.apiKey });
    expect(prop.status).toBe(200);
    expect(prop.body.report).toEqual({ create: 3, update: 2, merge: 0, skip: 2, invalid: 4 });

    const rows = await allRows(t, a.apiKey, id);
    expect(rows.map((r) => [r.rowNumber, r.action])).toEqual([
      [2, 'create'],
      [3, 'update'],
      [4, 'update'],
      [5, 'skip'],
      [6, 'invalid'],
      [7, 'invalid'],
      [8, 'invalid'],
      [9, 'skip'],
      [10, 'create'],
      [11, 'create'],
      [12, 'invalid'],
    ]);
    const byRow = new Map(rows.map((r) => [r.rowNumber, r]));
    const aoife = byRow.get(2);
    expect(aoife.values).toMatchObject({
      fullName: 'Aoife Kelly',
      firstName: 'Aoife',
      lastName: 'Kelly',
      email: 'aoife@example.ie',
      phone: '+353851112233',
      postcode: 'D04 K7Y2',
      source: 'campaign',
      service: 'solar_pv',
      note: 'Wants a quote',
    });
    expect(aoife.evidence).toEqual([]);
    expect(byRow.get(3)).toMatchObject({
      targetId: mary.id,
      evidence: [{ signal: 'email', strength: 'strong', leadId: mary.id }],
      diff: { service: { from: 'solar_pv', to: 'heat_pump' } },
    });
    expect(byRow.get(4)).toMatchObject({
      targetId: tom.id,
      evidence: [{ signal: 'phone', strength: 'strong', leadId: tom.id }],
      diff: { note: { from: null, to: 'Call after 6' } },
    });
    expect(byRow.get(5)).toMatchObject({
      targetId: aoife.targetId,
      evidence: [{ signal: 'in_file_duplicate', duplicateOfRow: 2 }],
    });
    expect(byRow.get(6)?.errors).toEqual([
      { column: 'Customer Name', field: 'fullName', message: 'a name is required' },
    ]);
    expect(byRow.get(7)?.errors).toEqual([
      { column: 'Lead Source', field: 'source', message: expect.stringMatching(/^not a lead source; one of website/) },
    ]);
    expect(byRow.get(8)?.errors).toEqual([
      { column: 'E-mail Address', field: 'email', message: 'an email or a phone number is required' },
    ]);
    expect(byRow.get(9)).toMatchObject({ action: 'skip', targetId: same.id, diff: null });
    expect(byRow.get(10)).toMatchObject({ action: 'create', evidence: [] });
    expect(byRow.get(12)?.errors).toEqual([
      { column: 'E-mail Address', field: 'email', message: 'not a valid email address' },
    ]);

    // Nothing written before commit; approval needs imports:approve.
    expect((await get(`/api/leads/${aoife.targetId}`)).status).toBe(404);
    await call(t.app, 'PUT', '/api/admin/roles/importer', {
      token: a.apiKey,
      body: { name: 'Importer', scope: 'all', capabilities: ['imports:write', 'crm:read'] },
    });
    const importer = await staffUser(t, a, ['importer']);
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token: importer.token })).status).toBe(403);
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey })).status).toBe(409);
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token: a.apiKey })).status).toBe(200);

    const done = await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey });
    expect(done.status).toBe(200);
    expect(done.body.commitResult).toEqual({
      created: 3,
      updated: 2,
      merged: 0,
      skipped: 2,
      invalid: 4,
      notApplied: 0,
    });

    const created = await get(`/api/leads/${aoife.targetId}`);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      status: 'new',
      source: 'campaign',
      service: 'solar_pv',
      selectedPath: 'undecided',
      note: 'Wants a quote',
      assignedUserId: null,
      contact: { name: 'Aoife Kelly', email: 'aoife@example.ie', phone: '+353851112233', postcode: 'D04 K7Y2' },
      version: 1,
    });
    expect(await events(aoife.targetId)).toEqual([[null, 'new', null]]);
    const person = await get(`/api/crm/contacts/${created.body.personId}`);
    expect(person.status).toBe(200);
    expect(person.body).toMatchObject({ email: 'aoife@example.ie', phone: '+353851112233' });
    const submissions = await get(`/api/leads/${aoife.targetId}/submissions`);
    expect(submissions.body.data).toEqual([
      expect.objectContaining({
        channel: 'import',
        payload: expect.objectContaining({ importBatchId: id, rowNumber: 2 }),
      }),
    ]);
    const pat = await get(`/api/leads/${byRow.get(11).targetId}`);
    expect(pat.body).toMatchObject({ status: 'new', personId: lost.personId, source: 'import' });
    // No routing: nothing was decided or assigned for the imported lead.
    expect((await get(`/api/leads/${byRow.get(10).targetId}`)).body.status).toBe('new');

    const maryNow = await get(`/api/leads/${mary.id}`);
    expect(maryNow.body).toMatchObject({ service: 'heat_pump', status: 'new', version: 2 });
    expect((await get(`/api/leads/${tom.id}`)).body.note).toBe('Call after 6');
    expect((await get(`/api/leads/${same.id}`)).body.version).toBe(1);

    const again = await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey });
    expect(again.body.commitResult).toEqual(done.body.commitResult);
    expect(again.body.version).toBe(done.body.version);
    expect((await get('/api/leads?q=aoife')).body.data).toHaveLength(1);

    const tasksOf = async (leadId: string) =>
      (await get(`/api/crm/tasks?leadId=${leadId}`)).body.data.map((x: any) => [x.type, x.status]);
    expect(await tasksOf(aoife.targetId)).toEqual([['contact_lead', 'open']]);

    const reverted = await call(t.app, 'POST', `/api/crm/imports/${id}/revert`, { token: a.apiKey });
    expect(reverted.status).toBe(200);
    expect(reverted.body.status).toBe('reverted');
    expect(reverted.body.commitResult.reverted).toEqual({
      removed: 0,
      restored: 2,
      disqualified: 3,
      tasksCancelled: 3,
      peopleKept: 2,
    });
    // A closed lead needs no more work: its contact_lead task is cancelled.
    expect(await tasksOf(aoife.targetId)).toEqual([['contact_lead', 'cancelled']]);
    // Nothing deleted: the created leads are closed through the lifecycle; their people stay.
    const closed = await get(`/api/leads/${aoife.targetId}`);
    expect(closed.body).toMatchObject({ status: 'disqualified', version: 2 });
    expect(await events(aoife.targetId)).toEqual([
      [null, 'new', null],
      ['new', 'disqualified', 'import reverted'],
    ]);
    expect((await get(`/api/crm/contacts/${created.body.personId}`)).status).toBe(200);
    expect((await get(`/api/leads/${byRow.get(11).targetId}`)).body.status).toBe('disqualified');
    const maryBack = await get(`/api/leads/${mary.id}`);
    expect(maryBack.body).toMatchObject({ service: 'solar_pv', status: 'new', version: 3 });
    expect((await get(`/api/leads/${tom.id}`)).body.note).toBeNull();
    // The contact is free again: a new lead for it can be opened.
    await newLead(t, a.apiKey, { contact: { name: 'Aoife Kelly', email: 'aoife@example.ie' } });
  });

  it('revert is refused with 409 once a lead it created or updated changed since', async () => {
    const first = await committed(t, a.apiKey, 'leads', 'Name,Email\nCall Me,call.me@example.ie\n');
    const [row] = await allRows(t, a.apiKey, first.id);
    const contacted = await call(t.app, 'POST', `/api/leads/${row.targetId}/transitions`, {
      token: a.apiKey,
      body: { to: 'contacted' },
    });
    expect(contacted.status).toBe(200);
    const res = await call(t.app, 'POST', `/api/crm/imports/${first.id}/revert`, { token: a.apiKey });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('import.revert_conflict');
    expect((await get(`/api/leads/${row.targetId}`)).body.status).toBe('contacted');
    expect((await get(`/api/crm/imports/${first.id}`)).body.status).toBe('committed');

    // An updated lead edited since: the whole revert is refused, the created lead stays open too.
    const open = await newLead(t, a.apiKey, { contact: { name: 'Edit Me', email: 'edit.me@example.ie' } });
    const second = await committed(
      t,
      a.apiKey,
      'leads',
      ['Name,Email,Notes', 'Edit Me,edit.me@example.ie,From the file', 'Fresh One,fresh.one@example.ie,'].join('\n'),
    );
    const [updated, fresh] = await allRows(t, a.apiKey, second.id);
    expect(updated).toMatchObject({ action: 'update', targetId: open.id });
    const patched = await call(t.app, 'PATCH', `/api/leads/${open.id}`, {
      token: a.apiKey,
      body: { note: 'Edited by staff' },
    });
    expect(patched.status).toBe(200);
    const refused = await call(t.app, 'POST', `/api/crm/imports/${second.id}/revert`, { token: a.apiKey });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('import.revert_conflict');
    expect((await get(`/api/leads/${open.id}`)).body.note).toBe('Edited by staff');
    expect((await get(`/api/leads/${fresh.targetId}`)).body.status).toBe('new');

    // The homeowner submitted again to a lead the batch created: it is a live lead now.
    const third = await committed(t, a.apiKey, 'leads', 'Name,Email\nSubmits Again,submits.again@example.ie\n');
    const [again] = await allRows(t, a.apiKey, third.id);
    const submitted = await call(t.app, 'POST', `/api/public/${a.slug}/leads`, {
      body: intakeBody({ contact: { name: 'Submits Again', email: 'submits.again@example.ie' } }),
    });
    expect(submitted.status).toBe(201);
    expect((await get(`/api/leads/${again.targetId}`)).body.submissionCount).toBe(2);
    const late = await call(t.app, 'POST', `/api/crm/imports/${third.id}/revert`, { token: a.apiKey });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('import.revert_conflict');
    expect((await get(`/api/leads/${again.targetId}`)).body.status).toBe('new');

    // Routing looked at a created lead (no installer found: the decision is kept, the lead stays new).
    const fourth = await committed(t, a.apiKey, 'leads', 'Name,Email\nRouted Once,routed.once@example.ie\n');
    const [routedRow] = await allRows(t, a.apiKey, fourth.id);
    const route = await call(t.app, 'POST', `/api/leads/${routedRow.targetId}/route`, {
      token: a.apiKey,
      body: {},
    });
    expect(route.body, JSON.stringify(route.body)).toMatchObject({ code: 'routing.no_candidates' });
    expect((await get(`/api/leads/${routedRow.targetId}`)).body).toMatchObject({ status: 'new', version: 1 });
    const afterRouting = await call(t.app, 'POST', `/api/crm/imports/${fourth.id}/revert`, { token: a.apiKey });
    expect(afterRouting.status).toBe(409);
    expect(afterRouting.body.code).toBe('import.revert_conflict');
  });

  it('a lead opened for the contact after the proposal keeps it: that row is not applied, with a note', async () => {
    const p = await proposed(t, a.apiKey, 'leads', 'Name,Mobile\nLate Comer,086 555 0101\n');
    const [row] = await allRows(t, a.apiKey, p.id);
    expect(row.action).toBe('create');
    const opened = await newLead(t, a.apiKey, { contact: { name: 'Late Comer', phone: '+353865550101' } });
    await call(t.app, 'POST', `/api/crm/imports/${p.id}/approve`, { token: a.apiKey });
    const done = await call(t.app, 'POST', `/api/crm/imports/${p.id}/commit`, { token: a.apiKey });
    expect(done.body.commitResult).toMatchObject({ created: 0, notApplied: 1 });
    const [after] = await allRows(t, a.apiKey, p.id);
    expect(after).toMatchObject({ applied: false, commitNote: expect.stringMatching(/^not created: open lead/) });
    expect((await get(`/api/leads/${row.targetId}`)).status).toBe(404);
    expect((await get(`/api/leads/${opened.id}`)).body.status).toBe('new');
  });

  it("another tenant's batch is a 404 and its leads are never matched", async () => {
    const p = await proposed(t, a.apiKey, 'leads', 'Name,Email\nSharon Again,shared@example.ie\n');
    const [row] = await allRows(t, a.apiKey, p.id);
    // Tenant b has an open lead with this email; tenant a's row creates.
    expect(row.action).toBe('create');
    expect(row.evidence).toEqual([]);
    for (const [method, url] of [
      ['GET', `/api/crm/imports/${p.id}`],
      ['GET', `/api/crm/imports/${p.id}/rows`],
      ['POST', `/api/crm/imports/${p.id}/approve`],
      ['POST', `/api/crm/imports/${p.id}/commit`],
      ['POST', `/api/crm/imports/${p.id}/revert`],
    ] as const) {
      const res = await call(t.app, method, url, { token: b.apiKey });
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.body.code).toBe('import.not_found');
    }
  });
});

describe('leads import: resumable commit', () => {
  it('a commit stopped between chunks resumes after its checkpoint without duplicates', async () => {
    const { commitImport } = await import('../../../workflows/import-commit.ts');
    const { systemActor } = await import('../../../platform/context.ts');
    const p = await proposed(
      t,
      a.apiKey,
      'leads',
      [
        'Name,Email',
        'Chunk One,chunk.one@example.ie',
        'Chunk Two,chunk.two@example.ie',
        'Chunk Three,chunk.three@example.ie',
      ].join('\n'),
    );
    await call(t.app, 'POST', `/api/crm/imports/${p.id}/approve`, { token: a.apiKey });
    const principal = { tenantId: a.tenantId, actor: systemActor(['imports:write']), requestId: 'resume-test' };
    // The progress callback runs after each chunk's transaction: throwing there is a crash between chunks.
    await expect(
      commitImport(t.db, principal, p.id, {
        chunkRows: 1,
        progress: (_phase, done) => {
          if (done >= 2) throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    const midway = await get(`/api/crm/imports/${p.id}`);
    expect(midway.body).toMatchObject({ status: 'approved', committedThrough: 2 });
    const done = await call(t.app, 'POST', `/api/crm/imports/${p.id}/commit`, { token: a.apiKey });
    expect(done.body).toMatchObject({ status: 'committed', commitResult: { created: 3, notApplied: 0 } });
    const list = await get('/api/leads?q=Chunk');
    expect(list.body.data.map((x: any) => x.contact.name).sort()).toEqual(['Chunk One', 'Chunk Three', 'Chunk Two']);
    for (const lead of list.body.data) expect(await events(lead.id)).toEqual([[null, 'new', null]]);
  });
});
