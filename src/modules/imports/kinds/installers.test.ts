import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffUser } from '../../../../test/crm-helpers.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../../test/helpers.ts';
import { allRows, committed, proposed, upload } from './test-support.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
const region: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
  b = await createTenant(t);
  for (const [code, name] of [
    ['DUB', 'Dublin Region'],
    ['CORK', 'Cork Region'],
    ['GAL', 'Galway Region'],
  ]) {
    const r = await call(t.app, 'POST', '/api/regions', { token: a.apiKey, body: { code, name, country: 'IE' } });
    expect(r.status).toBe(201);
    region[code] = r.body.id;
  }
});
afterAll(() => t?.close());

const installer = (tenant: TestTenant, body: Record<string, unknown>) =>
  call(t.app, 'POST', '/api/installers', { token: tenant.apiKey, body: { services: [], ...body } });
const get = (id: string, tenant = a) => call(t.app, 'GET', `/api/installers/${id}`, { token: tenant.apiKey });

describe('installers import', () => {
  it('suggests, proposes with dedup and evidence, commits through installers once, reverts', async () => {
    const bright = await installer(a, {
      name: 'Bright Solar Ltd',
      email: 'info@brightsolar.ie',
      status: 'active',
      services: ['solar_pv'],
    });
    expect(bright.status).toBe(201);
    await call(t.app, 'PUT', `/api/installers/${bright.body.id}/regions`, {
      token: a.apiKey,
      body: { regionIds: [region.GAL] },
    });
    const pros = await installer(a, { name: 'Heat Pump Pros' });
    // Another tenant's installer with the same email is never matched.
    await installer(b, { name: 'Sunrise Energy', email: 'hello@sunrise.ie' });

    const csv = [
      'Company Name,Email,Phone,Services,Coverage,Status,Daily Cap',
      'Sunrise Energy,hello@sunrise.ie,087 111 2222,Solar PV;battery,DUB;cork region,active,5', // 2 create
      'Bright Solar Ltd,INFO@brightsolar.ie,,heat_pump,CORK,,', // 3 update (email)
      'Sunrise Energy Limited,,,,,,', // 4 skip: duplicate of row 2 (name)
      'Heat Pump Pros,,,,,paused,', // 5 invalid: onboarding → paused is not allowed
      'No Region Co,x@no-region.ie,,solar_pv,Atlantis,,', // 6 invalid region
      'Bad Cap,,,,,,-3', // 7 invalid capacity
    ].join('\n');
    const up = await upload(t, a.apiKey, 'installers', csv);
    expect(up.status).toBe(201);
    expect(up.body.suggestedMapping).toEqual({
      'Company Name': 'name',
      Email: 'email',
      Phone: 'phone',
      Services: 'services',
      Coverage: 'regions',
      Status: 'status',
      'Daily Cap': 'capacityDaily',
    });
    const id = up.body.id;
    const bad = await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
      token: a.apiKey,
      body: { mapping: { Email: 'email', Phone: 'email' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { path: 'mapping.Phone', message: "field email is already mapped from 'Email'" },
      { path: 'mapping', message: 'map a column to name' },
    ]);
    await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
      token: a.apiKey,
      body: { mapping: up.body.suggestedMapping },
    });
    const prop = await call(t.app, 'POST', `/api/crm/imports/${id}/propose`, { token: a.apiKey });
    expect(prop.body.report).toEqual({ create: 1, update: 1, merge: 0, skip: 1, invalid: 3 });

    const rows = await allRows(t, a.apiKey, id);
    const [create, update, dup, transition, noRegion, badCap] = rows;
    expect(rows.map((r) => r.action)).toEqual(['create', 'update', 'skip', 'invalid', 'invalid', 'invalid']);
    expect(create.values).toMatchObject({
      email: 'hello@sunrise.ie',
      phone: '+353871112222',
      services: ['battery', 'solar_pv'],
      regionIds: [region.DUB, region.CORK].sort(),
      capacityDaily: 5,
      status: 'active',
    });
    expect(create.evidence).toEqual([]);
    expect(update).toMatchObject({
      targetId: bright.body.id,
      evidence: [
        { signal: 'email', strength: 'strong', installerId: bright.body.id },
        { signal: 'name', strength: 'weak', installerId: bright.body.id },
      ],
      diff: {
        services: { from: ['solar_pv'], to: ['heat_pump', 'solar_pv'] },
        regions: { from: [region.GAL], to: [region.GAL, region.CORK].sort() },
      },
    });
    expect(Object.keys(update.diff).sort()).toEqual(['regions', 'services']);
    expect(dup).toMatchObject({ targetId: create.targetId, evidence: [{ duplicateOfRow: 2 }] });
    expect(transition).toMatchObject({
      evidence: [{ signal: 'name', strength: 'weak', installerId: pros.body.id }],
      errors: [{ column: 'Status', field: 'status', message: "the installer cannot go from 'onboarding' to 'paused'" }],
    });
    expect(noRegion.errors).toEqual([
      { column: 'Coverage', field: 'regions', message: "no region with the code or name 'Atlantis'" },
    ]);
    expect(badCap.errors).toEqual([
      { column: 'Daily Cap', field: 'capacityDaily', message: 'not a whole number from 0 to 1000000' },
    ]);

    await call(t.app, 'PUT', '/api/admin/roles/importer', {
      token: a.apiKey,
      body: { name: 'Importer', scope: 'all', capabilities: ['imports:write'] },
    });
    const importer = await staffUser(t, a, ['importer']);
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token: importer.token })).status).toBe(403);
    expect((await get(create.targetId)).status).toBe(404);
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token: a.apiKey })).status).toBe(200);
    const done = await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey });
    expect(done.body.commitResult).toEqual({
      created: 1,
      updated: 1,
      merged: 0,
      skipped: 1,
      invalid: 3,
      notApplied: 0,
    });
    const sunrise = await get(create.targetId);
    expect(sunrise.body).toMatchObject({
      name: 'Sunrise Energy',
      email: 'hello@sunrise.ie',
      phone: '+353871112222',
      status: 'active',
      services: ['battery', 'solar_pv'],
      capacity: { daily: 5, weekly: null, monthly: null },
      priority: 100,
      regionIds: [region.DUB, region.CORK].sort(),
    });
    const brightNow = await get(bright.body.id);
    expect(brightNow.body).toMatchObject({
      services: ['heat_pump', 'solar_pv'],
      regionIds: [region.GAL, region.CORK].sort(),
      status: 'active',
    });
    const again = await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey });
    expect(again.body.commitResult).toEqual(done.body.commitResult);
    expect(again.body.version).toBe(done.body.version);

    const reverted = await call(t.app, 'POST', `/api/crm/imports/${id}/revert`, { token: a.apiKey });
    expect(reverted.status).toBe(200);
    expect(reverted.body.commitResult.reverted).toEqual({ removed: 1, restored: 1 });
    expect((await get(create.targetId)).status).toBe(404);
    expect((await get(bright.body.id)).body).toMatchObject({ services: ['solar_pv'], regionIds: [region.GAL] });
  });

  it('revert is refused with 409 once an installer changed since or a created one has a contact', async () => {
    const first = await committed(t, a.apiKey, 'installers', 'Name,Email\nEdited Later,edited@later.ie\n');
    const [row] = await allRows(t, a.apiKey, first.id);
    const patched = await call(t.app, 'PATCH', `/api/installers/${row.targetId}`, {
      token: a.apiKey,
      body: { name: 'Edited Since' },
    });
    expect(patched.status).toBe(200);
    const res = await call(t.app, 'POST', `/api/crm/imports/${first.id}/revert`, { token: a.apiKey });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('import.revert_conflict');
    expect((await get(row.targetId)).body.name).toBe('Edited Since');

    // Coverage changed since (it keeps the version): also a conflict.
    const second = await committed(t, a.apiKey, 'installers', 'Name,Regions\nCovered Co,DUB\n');
    const [covered] = await allRows(t, a.apiKey, second.id);
    await call(t.app, 'PUT', `/api/installers/${covered.targetId}/regions`, {
      token: a.apiKey,
      body: { regionIds: [region.GAL] },
    });
    expect((await call(t.app, 'POST', `/api/crm/imports/${second.id}/revert`, { token: a.apiKey })).status).toBe(409);

    const third = await committed(t, a.apiKey, 'installers', 'Name\nWith Contact Co\n');
    const [withContact] = await allRows(t, a.apiKey, third.id);
    const contact = await call(t.app, 'POST', `/api/installers/${withContact.targetId}/contacts`, {
      token: a.apiKey,
      body: { name: 'Mary Murphy', email: 'mary@contact.ie' },
    });
    expect(contact.status).toBe(201);
    const refused = await call(t.app, 'POST', `/api/crm/imports/${third.id}/revert`, { token: a.apiKey });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('import.revert_conflict');
    expect((await get(withContact.targetId)).status).toBe(200);
    expect((await call(t.app, 'GET', `/api/crm/imports/${third.id}`, { token: a.apiKey })).body.status).toBe(
      'committed',
    );
  });

  it("another tenant's batch is a 404 and its installers are never matched", async () => {
    const p = await proposed(t, b.apiKey, 'installers', 'Name,Email\nBright Solar Ltd,info@brightsolar.ie\n');
    const [row] = await allRows(t, b.apiKey, p.id);
    expect(row).toMatchObject({ action: 'create', evidence: [] });
    for (const [method, url] of [
      ['GET', `/api/crm/imports/${p.id}`],
      ['POST', `/api/crm/imports/${p.id}/propose`],
      ['POST', `/api/crm/imports/${p.id}/approve`],
      ['POST', `/api/crm/imports/${p.id}/commit`],
    ] as const) {
      const res = await call(t.app, method, url, { token: a.apiKey });
      expect(res.status, `${method} ${url}`).toBe(404);
    }
  });
});

describe('helio import --kind installers', () => {
  it('runs the whole batch in process with the suggested mapping and commits with --approve', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { runImportFile } = await import('../../../workflows/import-file.ts');
    const dir = mkdtempSync(join(tmpdir(), 'helio-installers-'));
    try {
      const path = join(dir, 'installers.csv');
      writeFileSync(path, 'Installer Name,Contact Email,Services,Regions\nCli Solar,cli@solar.ie,solar_pv,DUB\n');
      const batch = await runImportFile(t.db, { path, tenantSlug: a.slug, kind: 'installers', approve: true });
      expect(batch).toMatchObject({ kind: 'installers', status: 'committed', commitResult: { created: 1 } });
      const [row] = await allRows(t, a.apiKey, batch.id);
      expect((await get(row.targetId)).body).toMatchObject({
        name: 'Cli Solar',
        email: 'cli@solar.ie',
        services: ['solar_pv'],
        regionIds: [region.DUB],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
