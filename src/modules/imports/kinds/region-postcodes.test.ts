import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffUser } from '../../../../test/crm-helpers.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../../test/helpers.ts';
import { allRows, committed, upload } from './test-support.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
const region: Record<string, string> = {};

async function newRegion(tenant: TestTenant, code: string, name: string, country: string) {
  const r = await call(t.app, 'POST', '/api/regions', { token: tenant.apiKey, body: { code, name, country } });
  expect(r.status).toBe(201);
  return r.body.id as string;
}
const patterns = async (id: string, tenant = a) =>
  (await call(t.app, 'GET', `/api/regions/${id}/postcodes`, { token: tenant.apiKey })).body.data.map(
    (p: any) => `${p.country}:${p.pattern}`,
  );

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
  b = await createTenant(t);
  region.DUB = await newRegion(a, 'DUB', 'Dublin Region', 'IE');
  region.CORK = await newRegion(a, 'CORK', 'Cork Region', 'IE');
  region.LON = await newRegion(a, 'LON', 'London', 'GB');
  for (const [code, list] of [
    ['DUB', ['D02']],
    ['CORK', ['T12']],
  ] as const) {
    const put = await call(t.app, 'PUT', `/api/regions/${region[code]}/postcodes`, {
      token: a.apiKey,
      body: { country: 'IE', patterns: list },
    });
    expect(put.status).toBe(200);
  }
});
afterAll(() => t?.close());

describe('region_postcodes import', () => {
  it('suggests, proposes with dedup and evidence, commits through regions once, reverts', async () => {
    const csv = [
      'Region,Postcode Prefix',
      'DUB,d04', // 2 create
      'Dublin Region,D 02', // 3 skip: owned by this region already
      'CORK,D04', // 4 invalid: row 2 gives D04 to DUB
      'DUB,T12', // 5 invalid: owned by CORK
      'Atlantis,A65', // 6 invalid: no such region
      'lon,sw1a', // 7 create (GB, from the region)
      'DUB,D04', // 8 skip: repeats row 2
      'DUB,!!', // 9 invalid pattern
    ].join('\n');
    const up = await upload(t, a.apiKey, 'region_postcodes', csv);
    expect(up.status).toBe(201);
    expect(up.body.suggestedMapping).toEqual({ Region: 'region', 'Postcode Prefix': 'pattern' });
    const id = up.body.id;
    const bad = await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
      token: a.apiKey,
      body: { mapping: { Region: 'region' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'mapping', message: 'map a column to pattern' }]);
    await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, {
      token: a.apiKey,
      body: { mapping: up.body.suggestedMapping },
    });
    const prop = await call(t.app, 'POST', `/api/crm/imports/${id}/propose`, { token: a.apiKey });
    expect(prop.body.report).toEqual({ create: 2, update: 0, merge: 0, skip: 2, invalid: 4 });

    const rows = await allRows(t, a.apiKey, id);
    expect(rows.map((r) => r.action)).toEqual([
      'create',
      'skip',
      'invalid',
      'invalid',
      'invalid',
      'create',
      'skip',
      'invalid',
    ]);
    const [create, owned, otherRegion, ownedElsewhere, noRegion, london, dup, badPattern] = rows;
    expect(create).toMatchObject({
      targetId: region.DUB,
      values: { regionId: region.DUB, country: 'IE', pattern: 'D04' },
    });
    expect(owned).toMatchObject({
      targetId: region.DUB,
      evidence: [{ signal: 'pattern', strength: 'strong', regionId: region.DUB, regionCode: 'DUB' }],
    });
    expect(otherRegion.errors).toEqual([
      { column: 'Postcode Prefix', field: 'pattern', message: "row 2 gives the pattern 'D04' to region 'DUB'" },
    ]);
    expect(ownedElsewhere).toMatchObject({
      evidence: [{ signal: 'pattern', regionId: region.CORK }],
      errors: [{ column: 'Postcode Prefix', field: 'pattern', message: "the pattern 'T12' is owned by region 'CORK'" }],
    });
    expect(noRegion.errors).toEqual([
      { column: 'Region', field: 'region', message: "no region with the code or name 'Atlantis'" },
    ]);
    expect(london).toMatchObject({ targetId: region.LON, values: { country: 'GB', pattern: 'SW1A' } });
    expect(dup).toMatchObject({ targetId: region.DUB, evidence: [{ duplicateOfRow: 2 }] });
    expect(badPattern.errors).toEqual([
      { column: 'Postcode Prefix', field: 'pattern', message: "'!!' is not a postcode pattern for IE" },
    ]);

    await call(t.app, 'PUT', '/api/admin/roles/importer', {
      token: a.apiKey,
      body: { name: 'Importer', scope: 'all', capabilities: ['imports:write'] },
    });
    const importer = await staffUser(t, a, ['importer']);
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token: importer.token })).status).toBe(403);
    expect(await patterns(region.DUB)).toEqual(['IE:D02']);
    expect((await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token: a.apiKey })).status).toBe(200);
    const done = await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey });
    expect(done.body.commitResult).toEqual({
      created: 2,
      updated: 0,
      merged: 0,
      skipped: 2,
      invalid: 4,
      notApplied: 0,
    });
    expect(await patterns(region.DUB)).toEqual(['IE:D02', 'IE:D04']);
    expect(await patterns(region.LON)).toEqual(['GB:SW1A']);
    const served = await call(t.app, 'GET', '/api/serviceability?postcode=D04 K7Y2', { token: a.apiKey });
    expect(served.body.region).toMatchObject({ code: 'DUB' });

    const again = await call(t.app, 'POST', `/api/crm/imports/${id}/commit`, { token: a.apiKey });
    expect(again.body.commitResult).toEqual(done.body.commitResult);
    expect(again.body.version).toBe(done.body.version);

    const reverted = await call(t.app, 'POST', `/api/crm/imports/${id}/revert`, { token: a.apiKey });
    expect(reverted.status).toBe(200);
    expect(reverted.body.commitResult.reverted).toEqual({ removed: 2, restored: 0 });
    expect(await patterns(region.DUB)).toEqual(['IE:D02']);
    expect(await patterns(region.LON)).toEqual([]);
  });

  it('revert is refused with 409 once an imported pattern was removed or moved since', async () => {
    const batch = await committed(t, a.apiKey, 'region_postcodes', 'Region,Pattern\nCORK,P31\nCORK,P32\n');
    expect(await patterns(region.CORK)).toEqual(['IE:P31', 'IE:P32', 'IE:T12']);
    await call(t.app, 'PUT', `/api/regions/${region.CORK}/postcodes`, {
      token: a.apiKey,
      body: { country: 'IE', patterns: ['T12', 'P31'] },
    });
    const res = await call(t.app, 'POST', `/api/crm/imports/${batch.id}/revert`, { token: a.apiKey });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('import.revert_conflict');
    expect(await patterns(region.CORK)).toEqual(['IE:P31', 'IE:T12']);
    expect((await call(t.app, 'GET', `/api/crm/imports/${batch.id}`, { token: a.apiKey })).body.status).toBe(
      'committed',
    );
  });

  it("another tenant's regions and patterns are never matched, and its batch is a 404", async () => {
    const dubB = await newRegion(b, 'DUB', 'Dublin B', 'IE');
    const up = await upload(t, b.apiKey, 'region_postcodes', 'Region,Pattern\nDUB,D02\nCORK,T12\n');
    await call(t.app, 'PUT', `/api/crm/imports/${up.body.id}/mapping`, {
      token: b.apiKey,
      body: { mapping: up.body.suggestedMapping },
    });
    await call(t.app, 'POST', `/api/crm/imports/${up.body.id}/propose`, { token: b.apiKey });
    const [d02, cork] = await allRows(t, b.apiKey, up.body.id);
    expect(d02).toMatchObject({ action: 'create', targetId: dubB, evidence: [] });
    expect(cork.errors[0].message).toBe("no region with the code or name 'CORK'");
    for (const [method, url] of [
      ['GET', `/api/crm/imports/${up.body.id}`],
      ['GET', `/api/crm/imports/${up.body.id}/rows`],
      ['POST', `/api/crm/imports/${up.body.id}/approve`],
      ['POST', `/api/crm/imports/${up.body.id}/revert`],
    ] as const) {
      expect((await call(t.app, method, url, { token: a.apiKey })).status, `${method} ${url}`).toBe(404);
    }
  });
});
