import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffUser } from '../../../test/crm-helpers.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../test/helpers.ts';
import { rows } from '../../platform/db.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
  b = await createTenant(t);
});
afterAll(() => t?.close());

async function upload(
  app: TestApp['app'],
  token: string,
  body: string | Buffer,
  opts: { kind?: string; fileName?: string; type?: string } = {},
) {
  const res = await app.inject({
    method: 'POST',
    url: `/api/crm/imports?kind=${opts.kind ?? 'people'}&fileName=${encodeURIComponent(opts.fileName ?? 'people.csv')}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': opts.type ?? 'text/csv' },
    payload: body,
  });
  return { status: res.statusCode, body: JSON.parse(res.body), headers: res.headers };
}

const count = async (tenantId: string, table: string) =>
  t.db.tenantTx(tenantId, async (tx) =>
    Number((await rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.raw(table)}`))[0].n),
  );

async function allRows(token: string, id: string, outcome?: string) {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const res = await call(
      t.app,
      'GET',
      `/api/crm/imports/${id}/rows?limit=2${outcome ? `&outcome=${outcome}` : ''}${cursor ? `&cursor=${cursor}` : ''}`,
      { token },
    );
    expect(res.status).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

/** upload → mapping (suggested) → propose → approve: the batch ready to commit. */
async function approvedBatch(tenant: TestTenant, csv: string) {
  const up = await upload(t.app, tenant.apiKey, csv);
  expect(up.status).toBe(201);
  const id = up.body.id;
  expect(
    (
      await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
        token: tenant.apiKey,
        body: { mapping: up.body.suggestedMapping },
      })
    ).status,
  ).toBe(200);
  expect((await call(t.app, 'POST', `/api/crm/imports/${id}/propose`, { token: tenant.apiKey })).status).toBe(200);
  expect((await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token: tenant.apiKey })).status).toBe(200);
  return id as string;
}

describe('people import: the whole lifecycle', () => {
  it('suggests, proposes with dedup and evidence, writes nothing before commit, commits once, reverts', async () => {
    const existing = await call(t.app, 'POST', '/api/crm/contacts', {
      token: a.apiKey,
      body: { fullName: 'Orla Byrne', email: 'orla@example.com', address: { city: 'Cork', country: 'IE' } },
    });
    expect(existing.status).toBe(201);
    const byPhone = await call(t.app, 'POST', '/api/crm/contacts', {
      token: a.apiKey,
      body: { fullName: 'Sean Kelly', phone: '+353 87 765 4321' },
    });
    expect(byPhone.status).toBe(201);
    const weak = await call(t.app, 'POST', '/api/crm/contacts', {
      token: a.apiKey,
      body: { fullName: 'Aine Walsh', address: { postcode: 'D04 K7Y2' }, email: 'aine@example.com' },
    });
    expect(weak.status).toBe(201);

    const csv = [
      'Full name,E-mail Address,Mobile,Post Code,City,Labels',
      'Ada Lovelace,ADA@Example.com ,087 123 4567,D02 X285,Dublin,solar;vip', // 2: create
      'Orla Byrne,orla@example.com,,,Galway,', // 3: update (email) city Cork → Galway
      'Ada Lovelace,ada@example.com,,,,heat-pump', // 4: merge into row 2 (adds a label)
      'Ada Lovelace,ada@example.com,,,,', // 5: skip (adds nothing)
      'Bad Row,not-an-email,,,,', // 6: invalid
      'Sean Kelly,,0877654321,,,', // 7: skip (phone match, nothing new)
      'Aine Walsh,,086 123 4567,d04 k7y2,Dublin,', // 8: update through the weak name + postcode signal
    ].join('\n');
    const up = await upload(t.app, a.apiKey, csv);
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ status: 'parsed', rowCount: 7, delimiter: ',' });
    expect(up.body.columns).toEqual(['Full name', 'E-mail Address', 'Mobile', 'Post Code', 'City', 'Labels']);
    expect(up.body.suggestedMapping).toEqual({
      'Full name': 'fullName',
      'E-mail Address': 'email',
      Mobile: 'phone',
      'Post Code': 'postcode',
      City: 'city',
      Labels: 'personaLabels',
    });
    const id = up.body.id;

    // Out of order: approve and commit before a proposal are refused.
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token: a.apiKey })).body.code).toBe(
      'import.invalid_transition',
    );
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/propose`, { token: a.apiKey })).status).toBe(409);

    const bad = await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
      token: a.apiKey,
      body: { mapping: { 'No such column': 'email', City: 'city' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.path)).toContain('mapping.No such column');

    const mapped = await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
      token: a.apiKey,
      body: { mapping: up.body.suggestedMapping },
    });
    expect(mapped.status).toBe(200);
    expect(mapped.body.status).toBe('mapped');

    const peopleBefore = await count(a.tenantId, 'people');
    const proposed = await call(t.app, 'POST', `/api/crm/imports/${id}/propose`, { token: a.apiKey });
    expect(proposed.status).toBe(200);
    expect(proposed.body.status).toBe('proposed');
    expect(proposed.body.report).toEqual({ create: 1, update: 2, merge: 1, skip: 2, invalid: 1 });
    expect(await count(a.tenantId, 'people')).toBe(peopleBefore);

    const all = await allRows(a.apiKey, id);
    expect(all.map((r) => [r.rowNumber, r.action])).toEqual([
      [2, 'create'],
      [3, 'update'],
      [4, 'merge'],
      [5, 'skip'],
      [6, 'invalid'],
      [7, 'skip'],
      [8, 'update'],
    ]);
    const [create, update, merge, dup, invalid, phoneSkip, weakUpdate] = all;
    expect(create.values).toMatchObject({
      email: 'ada@example.com',
      phone: '+353871234567',
      personaLabels: ['solar', 'vip'],
    });
    expect(update.targetId).toBe(existing.body.id);
    expect(update.diff).toEqual({ city: { from: 'Cork', to: 'Galway' } });
    expect(update.evidence).toEqual([{ signal: 'email', strength: 'strong', personId: existing.body.id }]);
    expect(merge.targetId).toBe(create.targetId);
    expect(merge.evidence[0]).toMatchObject({ signal: 'in_file_duplicate', duplicateOfRow: 2 });
    expect(merge.diff).toEqual({ personaLabels: { from: ['solar', 'vip'], to: ['solar', 'vip', 'heat-pump'] } });
    expect(dup.evidence[0]).toMatchObject({ duplicateOfRow: 2 });
    expect(invalid.errors).toEqual([
      { column: 'E-mail Address', field: 'email', message: 'not a valid email address' },
    ]);
    expect(phoneSkip).toMatchObject({ targetId: byPhone.body.id, evidence: [{ signal: 'phone', strength: 'strong' }] });
    expect(weakUpdate).toMatchObject({
      targetId: weak.body.id,
      evidence: [{ signal: 'name_postcode', strength: 'weak' }],
      diff: { phone: { from: null, to: '+353861234567' }, city: { from: null, to: 'Dublin' } },
    });
    const onlyInvalid = await allRows(a.apiKey, id, 'invalid');
    expect(onlyInvalid.map((r) => r.rowNumber)).toEqual([6]);

    const approved = await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token: a.apiKey });
    expect(approved.body.status).toBe('approved');
    expect(await count(a.tenantId, 'people')).toBe(peopleBefore);

    const committed = await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey });
    expect(committed.status).toBe(200);
    expect(committed.body.status).toBe('committed');
    expect(committed.body.commitResult).toEqual({
      created: 1,
      updated: 2,
      merged: 1,
      skipped: 2,
      invalid: 1,
      notApplied: 0,
    });
    expect(await count(a.tenantId, 'people')).toBe(peopleBefore + 1);

    // The created person came through crm: contact points maintained like a normal creation.
    const ada = await call(t.app, 'GET', `/api/crm/contacts/${create.targetId}`, { token: a.apiKey });
    expect(ada.body).toMatchObject({
      fullName: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+353871234567',
      postcode: 'D02 X285',
      address: { city: 'Dublin', postcode: 'D02 X285' },
      personaLabels: ['solar', 'vip', 'heat-pump'],
      emails: [{ email: 'ada@example.com', isPrimary: true }],
      phones: [{ phone: '+353871234567', isPrimary: true }],
    });
    const orla = await call(t.app, 'GET', `/api/crm/contacts/${existing.body.id}`, { token: a.apiKey });
    expect(orla.body.address).toEqual({ city: 'Galway', country: 'IE' });

    // Again: a no-op with the same result.
    const again = await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey });
    expect(again.status).toBe(200);
    expect(again.body.commitResult).toEqual(committed.body.commitResult);
    expect(again.body.version).toBe(committed.body.version);
    expect(await count(a.tenantId, 'people')).toBe(peopleBefore + 1);

    const events = await t.db.tenantTx(a.tenantId, (tx) =>
      rows<{ type: string; data: any }>(tx, sql`select type, data from outbox_events where entity_id = ${id}`),
    );
    expect(events).toEqual([
      { type: 'import.committed', data: expect.objectContaining({ created: 1, kind: 'people' }) },
    ]);

    const detail = await call(t.app, 'GET', `/api/crm/imports/${id}`, { token: a.apiKey });
    expect(detail.body.mapping).toEqual(up.body.suggestedMapping);
    expect(detail.body.report).toEqual(proposed.body.report);
    expect(detail.body.history.map((h: any) => [h.fromStatus, h.toStatus])).toEqual([
      [null, 'uploaded'],
      ['uploaded', 'parsed'],
      ['parsed', 'mapped'],
      ['mapped', 'proposed'],
      ['proposed', 'approved'],
      ['approved', 'committed'],
    ]);
    for (const h of detail.body.history) {
      expect(h.changedBy).toBeTruthy();
      expect(Date.parse(h.changedAt)).toBeGreaterThan(0);
    }

    const reverted = await call(t.app, 'POST', `/api/crm/imports/${id}/revert`, { token: a.apiKey });
    expect(reverted.status).toBe(200);
    expect(reverted.body.status).toBe('reverted');
    expect(await count(a.tenantId, 'people')).toBe(peopleBefore);
    expect((await call(t.app, 'GET', `/api/crm/contacts/${create.targetId}`, { token: a.apiKey })).status).toBe(404);
    const orlaBack = await call(t.app, 'GET', `/api/crm/contacts/${existing.body.id}`, { token: a.apiKey });
    expect(orlaBack.body.address).toEqual({ city: 'Cork', country: 'IE' });
    const aineBack = await call(t.app, 'GET', `/api/crm/contacts/${weak.body.id}`, { token: a.apiKey });
    expect(aineBack.body.address).toEqual({ postcode: 'D04 K7Y2' });
    expect(aineBack.body.phone).toBeNull();
    expect(aineBack.body.phones).toEqual([]);
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/revert`, { token: a.apiKey })).status).toBe(409);
  });

  it('revert is refused with 409 import.revert_conflict once a written person changed, and nothing changes', async () => {
    const id = await approvedBatch(a, 'Name,Email\nRevert Me,revert.me@example.com\n');
    const committed = await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey });
    const [row] = await allRows(a.apiKey, id);
    const edited = await call(t.app, 'PATCH', `/api/crm/contacts/${row.targetId}`, {
      token: a.apiKey,
      body: { fullName: 'Edited Since' },
    });
    expect(edited.status).toBe(200);
    const res = await call(t.app, 'POST', `/api/crm/imports/${id}/revert`, { token: a.apiKey });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('import.revert_conflict');
    expect((await call(t.app, 'GET', `/api/crm/contacts/${row.targetId}`, { token: a.apiKey })).body.fullName).toBe(
      'Edited Since',
    );
    const after = await call(t.app, 'GET', `/api/crm/imports/${id}`, { token: a.apiKey });
    expect(after.body.status).toBe('committed');
    expect(after.body.version).toBe(committed.body.version);
  });

  it('finds repeats across chunks: in the chunks just before and far back, merged into the same person', async () => {
    // Chunks of 5,000 rows: rows 2–5001, 5002–10001, 10002–15001, 15002–20001.
    const lines = ['Name,Email,City'];
    for (let i = 0; i < 20_000; i++) lines.push(`Chunk Person ${i},chunk.${i}@example.com,`);
    const repeat = (row: number, city: string) => `Chunk Person ${row - 2},chunk.${row - 2}@example.com,${city}`;
    lines[10_500 - 1] = repeat(3_000, 'Sligo'); // row 10500 (chunk 3) repeats row 3000 (chunk 1): two chunks back
    lines[17_000 - 1] = repeat(100, 'Galway'); // row 17000 (chunk 4) repeats row 100 (chunk 1): read back
    lines[6_000 - 1] = repeat(5_000, 'Cork'); // row 6000 (chunk 2) repeats row 5000 (chunk 1): the chunk before
    const id = await approvedBatch(b, `${lines.join('\n')}\n`);
    const batch = await call(t.app, 'GET', `/api/crm/imports/${id}`, { token: b.apiKey });
    expect(batch.body.report).toEqual({ create: 19_997, update: 0, merge: 3, skip: 0, invalid: 0 });
    const merges = (await allRows(b.apiKey, id, 'merge')).map((r) => ({
      row: r.rowNumber,
      of: r.evidence[0].duplicateOfRow,
      diff: r.diff,
      target: r.targetId,
    }));
    expect(merges.map((m) => [m.row, m.of, m.diff.city.to])).toEqual([
      [6_000, 5_000, 'Cork'],
      [10_500, 3_000, 'Sligo'],
      [17_000, 100, 'Galway'],
    ]);
    const firsts = await t.db.tenantTx(b.tenantId, (tx) =>
      rows<{ row_number: number; target_id: string; action: string }>(
        tx,
        sql`select row_number, target_id, action from import_rows
            where batch_id = ${id} and row_number in (5000, 3000, 100) order by row_number desc`,
      ),
    );
    expect(firsts.map((f) => f.action)).toEqual(['create', 'create', 'create']);
    expect(merges.map((m) => m.target)).toEqual(firsts.map((f) => f.target_id));
  });

  it('saves a mapping template and applies it by name to the next file', async () => {
    const first = await upload(t.app, a.apiKey, 'Kontakt,Elektropost\nTemplate One,tpl.one@example.com\n');
    expect(first.body.suggestedMapping).toEqual({});
    const saved = await call(t.app, 'PUT', `/api/crm/imports/${first.body.id}/mapping`, {
      token: a.apiKey,
      body: { mapping: { Kontakt: 'fullName', Elektropost: 'email' }, saveAs: 'german-export' },
    });
    expect(saved.status).toBe(200);
    const second = await upload(t.app, a.apiKey, 'Kontakt,Elektropost\nTemplate Two,tpl.two@example.com\n');
    const applied = await call(t.app, 'PUT', `/api/crm/imports/${second.body.id}/mapping`, {
      token: a.apiKey,
      body: { templateName: 'german-export' },
    });
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({
      status: 'mapped',
      mapping: { Kontakt: 'fullName', Elektropost: 'email' },
      mappingTemplate: 'german-export',
    });
    // Templates are per tenant.
    const otherTenant = await upload(t.app, b.apiKey, 'Kontakt,Elektropost\nX,x@example.com\n');
    const missing = await call(t.app, 'PUT', `/api/crm/imports/${otherTenant.body.id}/mapping`, {
      token: b.apiKey,
      body: { templateName: 'german-export' },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('import.template_not_found');
    // Listed by kind for the tenant that saved it, never for another.
    const listed = await call(t.app, 'GET', '/api/crm/imports/templates?kind=people', { token: a.apiKey });
    expect(listed.status).toBe(200);
    expect(listed.body.data).toContainEqual(
      expect.objectContaining({
        name: 'german-export',
        kind: 'people',
        mapping: { Kontakt: 'fullName', Elektropost: 'email' },
      }),
    );
    expect(
      (await call(t.app, 'GET', '/api/crm/imports/templates?kind=accounts', { token: a.apiKey })).body.data,
    ).toEqual([]);
    expect((await call(t.app, 'GET', '/api/crm/imports/templates?kind=people', { token: b.apiKey })).body.data).toEqual(
      [],
    );
  });

  it('rejects unknown kinds with 400, and files of the wrong type with 415', async () => {
    // Every kind of the schema is importable now (leads last); an unknown one fails the query schema.
    const res = await upload(t.app, a.apiKey, 'Name\nx\n', { kind: 'widgets' });
    expect(res.status).toBe(400);
    const json = await call(t.app, 'POST', '/api/crm/imports?kind=people', { token: a.apiKey, body: { a: 1 } });
    expect(json.status).toBe(415);
  });

  it('a file that cannot be parsed leaves the batch failed with a reason', async () => {
    const res = await upload(t.app, a.apiKey, Buffer.from('this is not a zip archive'), {
      type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      fileName: 'broken.xlsx',
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('import.unparseable');
    const batch = await call(t.app, 'GET', `/api/crm/imports/${res.body.batchId}`, { token: a.apiKey });
    expect(batch.body.status).toBe('failed');
    expect(batch.body.failureReason).toMatch(/XLSX/);
    expect(batch.body.history.map((h: any) => h.toStatus)).toEqual(['uploaded', 'failed']);
    const empty = await upload(t.app, a.apiKey, '\n\n');
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('import.unparseable');
  });

  it('a batch can be abandoned as failed with a reason from any step before commit', async () => {
    const up = await upload(t.app, a.apiKey, 'Name,Email\nNever Imported,never@example.com\n');
    const failed = await call(t.app, 'POST', `/api/crm/imports/${up.body.id}/fail`, {
      token: a.apiKey,
      body: { reason: 'wrong file' },
    });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ status: 'failed', failureReason: 'wrong file' });
    expect(failed.body.history.at(-1)).toMatchObject({
      fromStatus: 'parsed',
      toStatus: 'failed',
      reason: 'wrong file',
    });
    const mapping = await call(t.app, 'PUT', `/api/crm/imports/${up.body.id}/mapping`, {
      token: a.apiKey,
      body: { mapping: { Name: 'fullName', Email: 'email' } },
    });
    expect(mapping.status).toBe(409);
  });

  it('approve needs imports:approve (403), and the refusal changes nothing', async () => {
    const put = await call(t.app, 'PUT', '/api/admin/roles/importer', {
      token: a.apiKey,
      body: { name: 'Importer', scope: 'all', capabilities: ['imports:write', 'crm:read'] },
    });
    expect(put.status).toBe(200);
    const importer = await staffUser(t, a, ['importer']);
    const up = await upload(t.app, importer.token, 'Name,Email\nNeeds Approval,needs.approval@example.com\n');
    expect(up.status).toBe(201);
    await call(t.app, 'PUT', `/api/crm/imports/${up.body.id}/mapping`, {
      token: importer.token,
      body: { mapping: up.body.suggestedMapping },
    });
    expect(
      (await call(t.app, 'POST', `/api/crm/imports/${up.body.id}/propose`, { token: importer.token })).status,
    ).toBe(200);
    const denied = await call(t.app, 'POST', `/api/crm/imports/${up.body.id}/approve`, { token: importer.token });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('auth.forbidden');
    const batch = await call(t.app, 'GET', `/api/crm/imports/${up.body.id}`, { token: importer.token });
    expect(batch.body.status).toBe('proposed');
    const agent = await staffUser(t, a, ['agent']);
    expect((await call(t.app, 'GET', `/api/crm/imports/${up.body.id}`, { token: agent.token })).status).toBe(403);
  });

  it('lists the importable kinds with their fields and what each mapping must include', async () => {
    const res = await call(t.app, 'GET', '/api/crm/imports/kinds', { token: a.apiKey });
    expect(res.status).toBe(200);
    const byKind = Object.fromEntries(res.body.data.map((k: any) => [k.kind, k]));
    expect(Object.keys(byKind).sort()).toEqual(['accounts', 'installers', 'leads', 'people', 'region_postcodes']);
    expect(byKind.people.fields).toEqual(expect.arrayContaining(['fullName', 'email', 'phone', 'postcode']));
    expect(byKind.people.required).toEqual([
      'map a column to fullName, firstName or lastName',
      'map a column to email or phone',
    ]);
    expect(byKind.accounts.required).toEqual(['map a column to name']);
    // The same words answer a mapping that misses them.
    const up = await upload(t.app, a.apiKey, 'Name,City\nNo Contact,Cork\n');
    const put = await call(t.app, 'PUT', `/api/crm/imports/${up.body.id}/mapping`, {
      token: a.apiKey,
      body: { mapping: { Name: 'fullName', City: 'city' } },
    });
    expect(put.status).toBe(400);
    expect(put.body.errors.map((e: any) => e.message)).toEqual(['map a column to email or phone']);
    const agent = await staffUser(t, a, ['agent']);
    expect((await call(t.app, 'GET', '/api/crm/imports/kinds', { token: agent.token })).status).toBe(403);
  });

  it('lists batches newest first with keyset pages', async () => {
    const ids: string[] = [];
    const c = await createTenant(t);
    for (let i = 0; i < 3; i++)
      ids.push((await upload(t.app, c.apiKey, `Name,Email\nP ${i},p${i}@example.com\n`)).body.id);
    const first = await call(t.app, 'GET', '/api/crm/imports?limit=2', { token: c.apiKey });
    expect(first.body.data.map((x: any) => x.id)).toEqual([ids[2], ids[1]]);
    const second = await call(t.app, 'GET', `/api/crm/imports?limit=2&cursor=${first.body.nextCursor}`, {
      token: c.apiKey,
    });
    expect(second.body.data.map((x: any) => x.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    const foreignCursor = await call(t.app, 'GET', `/api/crm/imports?cursor=${first.body.nextCursor}`, {
      token: a.apiKey,
    });
    expect(foreignCursor.status).toBe(400);
  });
});

describe('OpenAPI', () => {
  it('describes every imports route with its schemas', async () => {
    const doc = (await call(t.app, 'GET', '/api/openapi.json')).body;
    const paths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/crm/imports'));
    expect(paths.sort()).toEqual(
      [
        '/api/crm/imports',
        '/api/crm/imports/kinds',
        '/api/crm/imports/templates',
        '/api/crm/imports/{id}',
        '/api/crm/imports/{id}/approve',
        '/api/crm/imports/{id}/commit',
        '/api/crm/imports/{id}/fail',
        '/api/crm/imports/{id}/mapping',
        '/api/crm/imports/{id}/propose',
        '/api/crm/imports/{id}/revert',
        '/api/crm/imports/{id}/rows',
      ].sort(),
    );
    expect(doc.paths['/api/crm/imports'].post.description).toMatch(/templateName/);
    expect(doc.paths['/api/crm/imports/{id}/mapping'].put.requestBody).toBeDefined();
    expect(doc.paths['/api/crm/imports/{id}/rows'].get.responses['200']).toBeDefined();
  });
});

describe('tenancy', () => {
  it("another tenant's batch is a 404 on every route and nothing changes", async () => {
    const up = await upload(t.app, a.apiKey, 'Name,Email\nTenant A Person,tenant.a@example.com\n');
    const id = up.body.id;
    await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
      token: a.apiKey,
      body: { mapping: up.body.suggestedMapping },
    });
    await call(t.app, 'POST', `/api/crm/imports/${id}/propose`, { token: a.apiKey });
    const before = await call(t.app, 'GET', `/api/crm/imports/${id}`, { token: a.apiKey });

    const attempts: [string, string, unknown?][] = [
      ['GET', `/api/crm/imports/${id}`],
      ['GET', `/api/crm/imports/${id}/rows`],
      ['PUT', `/api/crm/imports/${id}/mapping`, { mapping: { Name: 'fullName', Email: 'email' } }],
      ['POST', `/api/crm/imports/${id}/propose`],
      ['POST', `/api/crm/imports/${id}/approve`],
      ['POST', `/api/crm/imports/${id}/commit`],
      ['POST', `/api/crm/imports/${id}/revert`],
      ['POST', `/api/crm/imports/${id}/fail`, { reason: 'not yours' }],
    ];
    for (const [method, url, body] of attempts) {
      const res = await call(t.app, method as any, url, { token: b.apiKey, body });
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.body.code).toBe('import.not_found');
    }
    const list = await call(t.app, 'GET', '/api/crm/imports', { token: b.apiKey });
    expect(list.body.data.map((x: any) => x.id)).not.toContain(id);
    const after = await call(t.app, 'GET', `/api/crm/imports/${id}`, { token: a.apiKey });
    expect(after.body).toEqual(before.body);
  });
});
