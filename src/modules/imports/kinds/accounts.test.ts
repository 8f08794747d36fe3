import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffUser } from '../../../../test/crm-helpers.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../../test/helpers.ts';
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

const account = (tenant: TestTenant, body: Record<string, unknown>) =>
  call(t.app, 'POST', '/api/crm/accounts', { token: tenant.apiKey, body });

describe('accounts import', () => {
  it('suggests, proposes with dedup and evidence, commits through crm once, reverts', async () => {
    const byDomain = await account(a, {
      name: 'Sunny Roofs Ltd',
      type: 'company',
      metadata: { domain: 'sunnyroofs.ie' },
      billingAddress: { city: 'Cork', country: 'IE' },
    });
    expect(byDomain.status).toBe(201);
    const byName = await account(a, { name: 'Green Homes', type: 'company', billingAddress: { postcode: 'D04 K7Y2' } });
    const same = await account(a, {
      name: 'Quiet Co',
      type: 'nonprofit',
      metadata: { domain: 'quiet.org', website: 'https://quiet.org' },
    });
    // Another tenant's account with the same domain is never matched.
    await account(b, { name: 'Foreign Ltd', type: 'company', metadata: { domain: 'acme-solar.com' } });

    const csv = [
      'Company Name,Website,Phone,Post Code,City,Country,Account Type',
      'Acme Solar,https://www.Acme-Solar.com/about,01 234 5678,D02 X285,Dublin,IE,business', // 2 create
      'Sunny Roofs Ltd,sunnyroofs.ie,,,Galway,,', // 3 update (domain): city Cork → Galway
      'ACME Solar Ltd,acme-solar.com,,,,,', // 4 skip: duplicate of row 2 (domain)
      'green homes,,,d04k7y2,Dublin,,', // 5 update (weak: name + postcode) city → Dublin
      ',nowhere,,,,,charity', // 6 invalid: no name, bad website
      'Quiet Co,quiet.org,,,,,nonprofit', // 7 skip: nothing new
      'Odd Type,,,,,,spaceship', // 8 invalid type
    ].join('\n');
    const up = await upload(t, a.apiKey, 'accounts', csv);
    expect(up.status).toBe(201);
    expect(up.body.suggestedMapping).toEqual({
      'Company Name': 'name',
      Website: 'website',
      Phone: 'phone',
      'Post Code': 'postcode',
      City: 'city',
      Country: 'country',
      'Account Type': 'type',
    });
    const id = up.body.id;

    const missing = await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
      token: a.apiKey,
      body: { mapping: { Website: 'website', City: 'fullName' } },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'mapping.City', message: expect.stringMatching(/^unknown field; one of name, type/) },
        { path: 'mapping', message: 'map a column to name' },
      ]),
    );

    await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
      token: a.apiKey,
      body: { mapping: up.body.suggestedMapping },
    });
    const prop = await call(t.app, 'POST', `/api/crm/imports/${id}/propose`, { token: a.apiKey });
    expect(prop.status).toBe(200);
    expect(prop.body.report).toEqual({ create: 1, update: 2, merge: 0, skip: 2, invalid: 2 });

    const rows = await allRows(t, a.apiKey, id);
    expect(rows.map((r) => [r.rowNumber, r.action])).toEqual([
      [2, 'create'],
      [3, 'update'],
      [4, 'skip'],
      [5, 'update'],
      [6, 'invalid'],
      [7, 'skip'],
      [8, 'invalid'],
    ]);
    const [create, update, dup, weak, invalid, nothing, badType] = rows;
    expect(create.values).toMatchObject({
      name: 'Acme Solar',
      domain: 'acme-solar.com',
      phone: '+35312345678',
      postcode: 'D02 X285',
      type: 'company',
    });
    expect(update).toMatchObject({
      targetId: byDomain.body.id,
      evidence: [{ signal: 'domain', strength: 'strong', accountId: byDomain.body.id }],
      diff: { city: { from: 'Cork', to: 'Galway' }, website: { from: null, to: 'https://sunnyroofs.ie' } },
    });
    expect(dup).toMatchObject({
      targetId: create.targetId,
      evidence: [{ signal: 'in_file_duplicate', duplicateOfRow: 2 }],
    });
    expect(weak).toMatchObject({
      targetId: byName.body.id,
      evidence: [{ signal: 'name_postcode', strength: 'weak' }],
      diff: { city: { from: null, to: 'Dublin' } },
    });
    expect(invalid.errors).toEqual([
      { column: 'Company Name', field: 'name', message: 'a name is required' },
      { column: 'Website', field: 'website', message: 'not a website address' },
    ]);
    expect(nothing).toMatchObject({ targetId: same.body.id, action: 'skip', diff: null });
    expect(badType.errors).toEqual([
      { column: 'Account Type', field: 'type', message: expect.stringMatching(/^not an account type/) },
    ]);

    // Nothing written before commit; approval needs imports:approve.
    expect((await call(t.app, 'GET', `/api/crm/accounts/${create.targetId}`, { token: a.apiKey })).status).toBe(404);
    await call(t.app, 'PUT', '/api/admin/roles/importer', {
      token: a.apiKey,
      body: { name: 'Importer', scope: 'all', capabilities: ['imports:write', 'crm:read'] },
    });
    const importer = await staffUser(t, a, ['importer']);
    const denied = await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token: importer.token });
    expect(denied.status).toBe(403);
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey })).status).toBe(409);
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token: a.apiKey })).status).toBe(200);

    const done = await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey });
    expect(done.status).toBe(200);
    expect(done.body.commitResult).toEqual({
      created: 1,
      updated: 2,
      merged: 0,
      skipped: 2,
      invalid: 2,
      notApplied: 0,
    });
    const acme = await call(t.app, 'GET', `/api/crm/accounts/${create.targetId}`, { token: a.apiKey });
    expect(acme.body).toMatchObject({
      name: 'Acme Solar',
      type: 'company',
      billingAddress: { city: 'Dublin', postcode: 'D02 X285', country: 'IE' },
      metadata: { domain: 'acme-solar.com', website: 'https://www.Acme-Solar.com/about', phone: '+35312345678' },
      version: 1,
    });
    const sunny = await call(t.app, 'GET', `/api/crm/accounts/${byDomain.body.id}`, { token: a.apiKey });
    expect(sunny.body.billingAddress).toEqual({ city: 'Galway', country: 'IE' });
    expect(sunny.body.metadata).toEqual({ domain: 'sunnyroofs.ie', website: 'https://sunnyroofs.ie' });

    const again = await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey });
    expect(again.body.commitResult).toEqual(done.body.commitResult);
    expect(again.body.version).toBe(done.body.version);
    const list = await call(t.app, 'GET', '/api/crm/accounts?q=Acme', { token: a.apiKey });
    expect(list.body.data).toHaveLength(1);

    const reverted = await call(t.app, 'POST', `/api/crm/imports/${id}/revert`, { token: a.apiKey });
    expect(reverted.status).toBe(200);
    expect(reverted.body.status).toBe('reverted');
    expect(reverted.body.commitResult.reverted).toEqual({ removed: 1, restored: 2 });
    expect((await call(t.app, 'GET', `/api/crm/accounts/${create.targetId}`, { token: a.apiKey })).status).toBe(404);
    const sunnyBack = await call(t.app, 'GET', `/api/crm/accounts/${byDomain.body.id}`, { token: a.apiKey });
    expect(sunnyBack.body).toMatchObject({
      billingAddress: { city: 'Cork', country: 'IE' },
      metadata: { domain: 'sunnyroofs.ie' },
    });
    const greenBack = await call(t.app, 'GET', `/api/crm/accounts/${byName.body.id}`, { token: a.apiKey });
    expect(greenBack.body.billingAddress).toEqual({ postcode: 'D04 K7Y2' });
  });

  it('revert is refused with 409 once an account changed since, or a created one is referenced', async () => {
    const first = await committed(t, a.apiKey, 'accounts', 'Name,Domain\nEdited Later,edited-later.ie\n');
    const [row] = await allRows(t, a.apiKey, first.id);
    const edited = await call(t.app, 'PATCH', `/api/crm/accounts/${row.targetId}`, {
      token: a.apiKey,
      body: { name: 'Edited Since' },
    });
    expect(edited.status).toBe(200);
    const res = await call(t.app, 'POST', `/api/crm/imports/${first.id}/revert`, { token: a.apiKey });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('import.revert_conflict');
    expect((await call(t.app, 'GET', `/api/crm/accounts/${row.targetId}`, { token: a.apiKey })).body.name).toBe(
      'Edited Since',
    );
    expect((await call(t.app, 'GET', `/api/crm/imports/${first.id}`, { token: a.apiKey })).body.status).toBe(
      'committed',
    );

    // A child account now points at the created one: it cannot be removed.
    const second = await committed(t, a.apiKey, 'accounts', 'Name,Domain\nParent Co,parent-co.ie\n');
    const [parent] = await allRows(t, a.apiKey, second.id);
    expect((await account(a, { name: 'Child Co', type: 'company', parentAccountId: parent.targetId })).status).toBe(
      201,
    );
    const refused = await call(t.app, 'POST', `/api/crm/imports/${second.id}/revert`, { token: a.apiKey });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('import.revert_conflict');
    expect((await call(t.app, 'GET', `/api/crm/accounts/${parent.targetId}`, { token: a.apiKey })).status).toBe(200);
  });

  it('a second row landing on a record an earlier row updates is skipped, naming that row', async () => {
    const bay = await account(a, {
      name: 'Bay Energy',
      type: 'company',
      metadata: { domain: 'bay.ie' },
      billingAddress: { postcode: 'H91 X2Y3' },
    });
    const p = await proposed(
      t,
      a.apiKey,
      'accounts',
      ['Name,Domain,Postcode,City', 'Bay Energy,bay.ie,,Galway', 'Bay Energy,,H91X2Y3,Salthill'].join('\n'),
    );
    expect(p.report).toMatchObject({ update: 1, skip: 1 });
    const [first, second] = await allRows(t, a.apiKey, p.id);
    expect(first).toMatchObject({ action: 'update', targetId: bay.body.id });
    expect(second).toMatchObject({
      action: 'skip',
      targetId: bay.body.id,
      evidence: [
        { signal: 'name_postcode', strength: 'weak', accountId: bay.body.id },
        { signal: 'same_record_as_row', duplicateOfRow: 2 },
      ],
    });
  });

  it("another tenant's batch is a 404 and its accounts are never matched", async () => {
    const p = await proposed(t, a.apiKey, 'accounts', 'Name,Domain\nAcme Solar,acme-solar.com\n');
    const [row] = await allRows(t, a.apiKey, p.id);
    // Tenant b has an account with this domain; tenant a's row creates.
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

describe('accounts import: resumable commit', () => {
  it('a commit stopped between chunks resumes after its checkpoint without duplicates', async () => {
    const { commitImport } = await import('../../../workflows/import-commit.ts');
    const { systemActor } = await import('../../../platform/context.ts');
    const p = await proposed(
      t,
      a.apiKey,
      'accounts',
      ['Name,Domain', 'Chunk One,chunk-one.ie', 'Chunk Two,chunk-two.ie', 'Chunk Three,chunk-three.ie'].join('\n'),
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
    const midway = await call(t.app, 'GET', `/api/crm/imports/${p.id}`, { token: a.apiKey });
    expect(midway.body).toMatchObject({ status: 'approved', committedThrough: 2 });
    const done = await call(t.app, 'POST', `/api/crm/imports/${p.id}/commit`, { token: a.apiKey });
    expect(done.body).toMatchObject({ status: 'committed', commitResult: { created: 3, notApplied: 0 } });
    const list = await call(t.app, 'GET', '/api/crm/accounts?q=Chunk', { token: a.apiKey });
    expect(list.body.data.map((x: any) => x.name).sort()).toEqual(['Chunk One', 'Chunk Three', 'Chunk Two']);
  });
});
