import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../test/helpers.ts';
import * as identity from '../modules/identity/index.ts';
import { systemActor } from '../platform/context.ts';
import { rows } from '../platform/db.ts';
import { commitImport, type Principal, revertImport } from './import-commit.ts';

/**
 * A people commit in lanes: the rows of one person stay in one lane in file order, so however many lanes
 * run and wherever the commit stops and resumes, the people end as a one-lane commit leaves them, and a
 * revert restores the values from before the batch.
 */

let t: TestApp;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
  b = await createTenant(t);
});
afterAll(() => t?.close());

const principalOf = (tenant: TestTenant): Principal => ({
  tenantId: tenant.tenantId,
  actor: systemActor(identity.CAPABILITIES),
  requestId: 'import-commit-test',
});

/** Rows far apart that touch the same person, so that they fall into different windows of a small chunk. */
function csv() {
  const lines = ['Full name,E-mail Address,Mobile,Post Code,City,Labels'];
  lines.push('Ada Lovelace,ada@example.com,,D02 X285,Dublin,solar'); // 2: create
  for (let i = 0; i < 17; i++) lines.push(`Filler ${i},filler.${i}@example.com,,,Cork,`); // 3–19: create
  lines.push('Orla Byrne,orla@example.com,,,Galway,'); // 20: update Cork → Galway
  for (let i = 17; i < 23; i++) lines.push(`Filler ${i},filler.${i}@example.com,,,Cork,`); // 21–26: create
  lines.push('Ada Lovelace,ada@example.com,087 123 4567,,,heat-pump'); // 27: merge into row 2
  lines.push('Orla Byrne,orla@example.com,086 765 4321,,,'); // 28: merge into row 20 (fills the phone)
  lines.push('Sean Kelly,sean@example.com,,D04 K7Y2,,'); // 29: update (fills the postcode)
  lines.push('Filler 0,filler.0@example.com,,,,vip'); // 30: merge into row 3
  return `${lines.join('\n')}\n`;
}

async function approvedBatch(tenant: TestTenant) {
  for (const body of [
    { fullName: 'Orla Byrne', email: 'orla@example.com', address: { city: 'Cork', country: 'IE' } },
    { fullName: 'Sean Kelly', email: 'sean@example.com' },
  ]) {
    expect((await call(t.app, 'POST', '/api/crm/contacts', { token: tenant.apiKey, body })).status).toBe(201);
  }
  const up = await t.app.inject({
    method: 'POST',
    url: '/api/crm/imports?kind=people&fileName=lanes.csv',
    headers: { authorization: `Bearer ${tenant.apiKey}`, 'content-type': 'text/csv' },
    payload: csv(),
  });
  expect(up.statusCode).toBe(201);
  const { id, suggestedMapping } = JSON.parse(up.body);
  const token = tenant.apiKey;
  expect(
    (await call(t.app, 'PUT', `/api/crm/imports/${id}/mapping`, { token, body: { mapping: suggestedMapping } })).status,
  ).toBe(200);
  const proposed = await call(t.app, 'POST', `/api/crm/imports/${id}/propose`, { token });
  expect(proposed.body.report).toEqual({ create: 24, update: 2, merge: 3, skip: 0, invalid: 0 });
  expect((await call(t.app, 'POST', `/api/crm/imports/${id}/approve`, { token })).status).toBe(200);
  return id as string;
}

const people = (tenant: TestTenant) =>
  t.db.tenantTx(tenant.tenantId, (tx) =>
    rows<Record<string, unknown>>(
      tx,
      sql`select email, full_name, phone, postcode, address->>'city' as city, persona_labels as labels, version
          from people order by email`,
    ),
  );

class Stop extends Error {}

describe('people commit in lanes', () => {
  it('stops midway and resumes with the lanes it started with, ending as one lane ends; revert restores', async () => {
    const lanesBatch = await approvedBatch(a);
    const before = await people(a);

    // Three lanes of windows of six rows; the commit is cut off after the first chunk any lane writes (the
    // first progress report is the start). The other lanes stop after the chunk they are writing, if any.
    let reports = 0;
    await expect(
      commitImport(t.db, principalOf(a), lanesBatch, {
        chunkRows: 2,
        lanes: 3,
        progress: (phase) => {
          if (phase === 'commit' && ++reports === 2) throw new Stop();
        },
      }),
    ).rejects.toBeInstanceOf(Stop);
    const midway = await call(t.app, 'GET', `/api/crm/imports/${lanesBatch}`, { token: a.apiKey });
    expect(midway.body.status).toBe('approved');
    const lanes = await t.db.tenantTx(a.tenantId, (tx) =>
      rows<{ lane: number; lanes: number; committed_through: number }>(
        tx,
        sql`select lane, lanes, committed_through from import_commit_lanes where batch_id = ${lanesBatch} order by lane`,
      ),
    );
    expect(lanes.map((l) => l.lanes)).toEqual([3, 3, 3]);
    expect(midway.body.committedThrough).toBe(Math.min(...lanes.map((l) => l.committed_through)));
    expect(lanes.some((l) => l.committed_through > 0)).toBe(true);
    expect(lanes.every((l) => l.committed_through < 30)).toBe(true);

    // Resumed asking for one lane: the batch keeps its three.
    const done = await commitImport(t.db, principalOf(a), lanesBatch, { chunkRows: 2, lanes: 1 });
    expect(done.status).toBe('committed');
    expect(done.committedThrough).toBe(30);
    expect(done.commitResult).toEqual({ created: 24, updated: 2, merged: 3, skipped: 0, invalid: 0, notApplied: 0 });
    // Committing again changes nothing.
    expect((await commitImport(t.db, principalOf(a), lanesBatch, { lanes: 3 })).commitResult).toEqual(
      done.commitResult,
    );

    // The same file in one lane, in one go, in another tenant, with the same windows (three lanes of two rows
    // on average read six rows at a time; a person's rows in one window are one patch): the same people,
    // the same versions.
    const oneLane = await approvedBatch(b);
    await commitImport(t.db, principalOf(b), oneLane, { lanes: 1, chunkRows: 6 });
    const afterLanes = await people(a);
    expect(afterLanes).toEqual(await people(b));
    expect(afterLanes.find((p) => p.email === 'orla@example.com')).toMatchObject({
      city: 'Galway',
      phone: '+353867654321',
    });
    expect(afterLanes.find((p) => p.email === 'ada@example.com')).toMatchObject({
      phone: '+353871234567',
      labels: ['solar', 'heat-pump'],
    });

    // Revert: the created people are gone, Orla and Sean have their values from before the batch.
    const reverted = await revertImport(t.db, principalOf(a), lanesBatch);
    expect(reverted.status).toBe('reverted');
    const after = await people(a);
    const strip = (list: Record<string, unknown>[]) => list.map(({ version: _v, ...p }) => p);
    expect(strip(after)).toEqual(strip(before));
  });

  it('a commit begun before lanes existed resumes after its checkpoint: its lanes start there', async () => {
    const c = await createTenant(t);
    const id = await approvedBatch(c);
    // As a single-checkpoint commit would have left it after rows 2–7 (six creates).
    await t.db.tenantTx(c.tenantId, (tx) =>
      tx.execute(sql`update import_batches set committed_through = 7 where id = ${id}`),
    );
    const done = await commitImport(t.db, principalOf(c), id, { chunkRows: 2, lanes: 2 });
    expect(done.commitResult).toMatchObject({ created: 24, updated: 2, merged: 1, notApplied: 2 });
    const written = await people(c);
    // Rows 2–7 (Ada, fillers 0–4) were taken as written: only their later repeats could apply, and a merge
    // into a person that does not exist applies to nobody.
    expect(written.map((p) => p.email)).not.toContain('filler.4@example.com');
    expect(written.map((p) => p.email)).toContain('filler.5@example.com');
    const lanes = await t.db.tenantTx(c.tenantId, (tx) =>
      rows<{ committed_through: number }>(
        tx,
        sql`select committed_through from import_commit_lanes where batch_id = ${id}`,
      ),
    );
    expect(lanes).toEqual([{ committed_through: 30 }, { committed_through: 30 }]);
  });

  it("another tenant's batch is not found, and its lanes stay untouched", async () => {
    const c = await createTenant(t);
    const id = await approvedBatch(c);
    await expect(commitImport(t.db, principalOf(a), id)).rejects.toMatchObject({ status: 404 });
    const lanes = await t.db.tenantTx(c.tenantId, (tx) =>
      rows(tx, sql`select * from import_commit_lanes where batch_id = ${id}`),
    );
    expect(lanes).toEqual([]);
  });
});
