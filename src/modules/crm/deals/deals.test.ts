import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customer, newLead, type Staff, staffUser } from '../../../../test/crm-helpers.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../../test/helpers.ts';
import { rows } from '../../../platform/db.ts';
import { dbErrorCode } from '../../../platform/errors.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent1: Staff;
let agent2: Staff;
let sales: any;
let delivery: any;
/** A converted customer of tenant a (person, household account, project) and one of tenant b. */
let ca: Awaited<ReturnType<typeof customer>>;
let cb: Awaited<ReturnType<typeof customer>>;

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, token = a.apiKey, headers = {}) =>
  call(t.app, method, url, { token, body, headers });

async function opportunity(body: Record<string, unknown> = {}, token = a.apiKey) {
  const res = await api('POST', '/api/crm/opportunities', { personId: ca.personId, ...body }, token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function project(body: Record<string, unknown> = {}, token = a.apiKey) {
  const res = await api(
    'POST',
    '/api/crm/projects',
    { name: 'Roof array', type: 'solar_installation', accountId: ca.accountId, ...body },
    token,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const history = async (kind: 'opportunities' | 'projects', id: string) => {
  const res = await api('GET', `/api/crm/${kind}/${id}/stage-history`);
  expect(res.status).toBe(200);
  return res.body.data as any[];
};

const outbox = (entityId: string) =>
  rows<{ type: string; data: any }>(
    t.db.db,
    sql`select type, data from outbox_events where entity_id = ${entityId} order by id`,
  );

function expectValidation(res: { status: number; body: any }, path: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.code).toBe('validation.failed');
  expect(res.body.errors.map((e: any) => e.path)).toContain(path);
}

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = [await createTenant(t), await createTenant(t)];
  [agent1, agent2] = await Promise.all([staffUser(t, a, ['agent']), staffUser(t, a, ['agent'])]);
  [ca, cb] = await Promise.all([customer(t, a.apiKey), customer(t, b.apiKey)]);
  const list = await api('GET', '/api/crm/pipelines');
  sales = list.body.data.find((p: any) => p.kind === 'sales');
  delivery = list.body.data.find((p: any) => p.kind === 'delivery');
});
afterAll(async () => t?.close());

describe('pipelines', () => {
  it('a new tenant has one default pipeline of each kind with ordered stages', async () => {
    const res = await api('GET', '/api/crm/pipelines');
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.data.map((p: any) => [p.kind, p.isDefault])).toEqual([
      ['sales', true],
      ['delivery', true],
    ]);
    expect(sales.stages.map((s: any) => s.key)).toEqual(['new', 'site_survey', 'proposal', 'contract_signed', 'lost']);
    expect(sales.stages[3]).toEqual({
      key: 'contract_signed',
      name: 'Contract signed',
      order: 4,
      probability: 100,
      isWon: true,
      isLost: false,
    });
    expect(delivery.stages.map((s: any) => s.key)).toEqual([
      'design',
      'permitting',
      'installation',
      'inspection',
      'grid_connection',
      'complete',
    ]);
    const one = await api('GET', `/api/crm/pipelines/${sales.id}`);
    expect(one.body).toEqual(sales);
    expect(one.headers.etag).toBe(`"${sales.version}"`);
    const kinds = await api('GET', '/api/crm/pipelines?kind=delivery');
    expect(kinds.body.data.map((p: any) => p.id)).toEqual([delivery.id]);
  });

  it('creates a pipeline; stage keys are unique and a stage is not both won and lost', async () => {
    const res = await api('POST', '/api/crm/pipelines', {
      kind: 'sales',
      name: 'Commercial',
      stages: [
        { key: 'lead', name: 'Lead', probability: 5 },
        { key: 'won', name: 'Won', probability: 100, isWon: true },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/crm/pipelines/${res.body.id}`);
    expect(res.body).toMatchObject({ kind: 'sales', name: 'Commercial', isDefault: false, version: 1 });
    expect(res.body.stages[0]).toEqual({
      key: 'lead',
      name: 'Lead',
      order: 1,
      probability: 5,
      isWon: false,
      isLost: false,
    });
    const dup = await api('POST', '/api/crm/pipelines', {
      kind: 'sales',
      name: 'Dup',
      stages: [
        { key: 'a', name: 'A' },
        { key: 'a', name: 'A again' },
      ],
    });
    expectValidation(dup, 'stages.1.key');
    const both = await api('POST', '/api/crm/pipelines', {
      kind: 'sales',
      name: 'Both',
      stages: [{ key: 'a', name: 'A', isWon: true, isLost: true }],
    });
    expect(both.status).toBe(400);
    expect((await api('POST', '/api/crm/pipelines', { kind: 'sales', name: 'None', stages: [] })).status).toBe(400);
  });

  it('edits stages: rename, reorder, add, probability and flags; If-Match guards the version', async () => {
    const p = (
      await api('POST', '/api/crm/pipelines', {
        kind: 'sales',
        name: 'Editable',
        stages: [
          { key: 'one', name: 'One', probability: 10 },
          { key: 'two', name: 'Two', probability: 50 },
        ],
      })
    ).body;
    const stale = await api('PATCH', `/api/crm/pipelines/${p.id}`, { name: 'x' }, a.apiKey, { 'if-match': '"99"' });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('concurrency.version_mismatch');
    const res = await api(
      'PATCH',
      `/api/crm/pipelines/${p.id}`,
      {
        name: 'Edited',
        stages: [
          { key: 'two', name: 'Second', probability: 70 },
          { key: 'one', name: 'First', probability: 20 },
          { key: 'done', name: 'Done', probability: 100, isWon: true },
        ],
      },
      a.apiKey,
      { 'if-match': `"${p.version}"` },
    );
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe(`"${p.version + 1}"`);
    expect(res.body.name).toBe('Edited');
    expect(res.body.stages).toEqual([
      { key: 'two', name: 'Second', order: 1, probability: 70, isWon: false, isLost: false },
      { key: 'one', name: 'First', order: 2, probability: 20, isWon: false, isLost: false },
      { key: 'done', name: 'Done', order: 3, probability: 100, isWon: true, isLost: false },
    ]);
    // A stage nobody uses is simply removed.
    const kept = res.body.stages.slice(0, 2).map(({ order: _, ...s }: any) => s);
    const removed = await api('PATCH', `/api/crm/pipelines/${p.id}`, { stages: kept });
    expect(removed.status).toBe(200);
    expect(removed.body.stages.map((s: any) => s.key)).toEqual(['two', 'one']);
    const badTarget = await api('PATCH', `/api/crm/pipelines/${p.id}`, {
      stages: [{ key: 'one', name: 'First' }],
      targetStage: 'two',
    });
    expectValidation(badTarget, 'targetStage');
  });

  it('a stage in use is removed only with a targetStage: records move there, each move recorded', async () => {
    const p = (
      await api('POST', '/api/crm/pipelines', {
        kind: 'sales',
        name: 'Shrinking',
        stages: [
          { key: 'open', name: 'Open', probability: 20 },
          { key: 'old', name: 'Old', probability: 40 },
          { key: 'won', name: 'Won', probability: 100, isWon: true },
        ],
      })
    ).body;
    const o1 = await opportunity({ pipelineId: p.id, stage: 'old' });
    const o2 = await opportunity({ pipelineId: p.id, stage: 'old' });
    const keep = [p.stages[0], p.stages[2]].map(({ order: _, ...s }: any) => s);
    const refused = await api('PATCH', `/api/crm/pipelines/${p.id}`, { stages: keep });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'pipeline.stage_in_use', stages: { old: { opportunities: 2 } } });
    expect((await api('GET', `/api/crm/pipelines/${p.id}`)).body.stages).toHaveLength(3);

    const moved = await api('PATCH', `/api/crm/pipelines/${p.id}`, { stages: keep, targetStage: 'won' });
    expect(moved.status).toBe(200);
    expect(moved.body.stages.map((s: any) => s.key)).toEqual(['open', 'won']);
    for (const o of [o1, o2]) {
      const now = await api('GET', `/api/crm/opportunities/${o.id}`);
      expect(now.body).toMatchObject({ stage: 'won', status: 'won', probability: 100, version: o.version + 1 });
      const h = await history('opportunities', o.id);
      expect(h.map((e) => [e.fromStage, e.toStage])).toEqual([
        [null, 'old'],
        ['old', 'won'],
      ]);
      expect(h[1].note).toMatch(/stage removed/);
      expect((await outbox(o.id)).map((e) => e.type)).toEqual(['opportunity.created', 'opportunity.stage_changed']);
    }
  });

  it('making another pipeline the default demotes the previous one', async () => {
    const p = (
      await api('POST', '/api/crm/pipelines', {
        kind: 'delivery',
        name: 'Heat pumps',
        isDefault: true,
        stages: [{ key: 'survey', name: 'Survey' }],
      })
    ).body;
    expect(p.isDefault).toBe(true);
    expect((await api('GET', `/api/crm/pipelines/${delivery.id}`)).body.isDefault).toBe(false);
    const back = await api('PATCH', `/api/crm/pipelines/${delivery.id}`, { isDefault: true });
    expect(back.body.isDefault).toBe(true);
    expect((await api('GET', `/api/crm/pipelines/${p.id}`)).body.isDefault).toBe(false);
  });
});

describe('opportunities', () => {
  it('starts in the default sales pipeline at its first stage, owned by the caller', async () => {
    const o = await opportunity({ value: { amount: 1_250_000, currency: 'EUR' }, expectedCloseDate: '2026-12-31' });
    expect(o).toMatchObject({
      personId: ca.personId,
      accountId: null,
      pipelineId: sales.id,
      stage: 'new',
      status: 'open',
      probability: 10,
      value: { amount: 1_250_000, currency: 'EUR' },
      expectedCloseDate: '2026-12-31',
      ownerUserId: a.adminUserId,
      version: 1,
    });
    const got = await api('GET', `/api/crm/opportunities/${o.id}`);
    expect(got.body).toEqual(o);
    expect(got.headers.etag).toBe('"1"');
  });

  it('references must exist in this tenant: a 400 naming the field', async () => {
    const lead = await newLead(t, b.apiKey);
    expectValidation(await api('POST', '/api/crm/opportunities', { personId: cb.personId }), 'personId');
    expectValidation(
      await api('POST', '/api/crm/opportunities', { personId: ca.personId, accountId: cb.accountId }),
      'accountId',
    );
    expectValidation(await api('POST', '/api/crm/opportunities', { personId: ca.personId, leadId: lead.id }), 'leadId');
    expectValidation(
      await api('POST', '/api/crm/opportunities', { personId: ca.personId, ownerUserId: b.adminUserId }),
      'ownerUserId',
    );
    expectValidation(
      await api('POST', '/api/crm/opportunities', { personId: ca.personId, pipelineId: delivery.id }),
      'pipelineId',
    );
    expectValidation(
      await api('POST', '/api/crm/opportunities', { personId: ca.personId, pipelineId: sales.id, stage: 'nope' }),
      'stage',
    );
    const foreignPipeline = (await api('GET', '/api/crm/pipelines', undefined, b.apiKey)).body.data[0].id;
    expectValidation(
      await api('POST', '/api/crm/opportunities', { personId: ca.personId, pipelineId: foreignPipeline }),
      'pipelineId',
    );
    const unknown = await api('POST', '/api/crm/opportunities', { personId: ca.personId, color: 'red' });
    expect(unknown.status).toBe(400);
  });

  it('lists with filters and keyset pagination', async () => {
    const o1 = await opportunity({ accountId: ca.accountId, ownerUserId: agent1.id });
    const o2 = await opportunity({ accountId: ca.accountId, stage: 'proposal', ownerUserId: agent1.id });
    const ids = async (query: string) =>
      (await api('GET', `/api/crm/opportunities?${query}`)).body.data.map((o: any) => o.id);
    expect(await ids(`accountId=${ca.accountId}`)).toEqual([o2.id, o1.id]);
    expect(await ids(`ownerUserId=${agent1.id}&stage=proposal`)).toEqual([o2.id]);
    expect(await ids(`pipelineId=${sales.id}&personId=${ca.personId}&status=open&accountId=${ca.accountId}`)).toEqual([
      o2.id,
      o1.id,
    ]);
    expect(await ids('status=lost&personId=00000000-0000-7000-8000-000000000000')).toEqual([]);
    const first = await api('GET', `/api/crm/opportunities?accountId=${ca.accountId}&limit=1`);
    expect(first.body.data.map((o: any) => o.id)).toEqual([o2.id]);
    const second = await api(
      'GET',
      `/api/crm/opportunities?accountId=${ca.accountId}&limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`,
    );
    expect(second.body.data.map((o: any) => o.id)).toEqual([o1.id]);
    const foreign = await api(
      'GET',
      `/api/crm/opportunities?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`,
      undefined,
      b.apiKey,
    );
    expect(foreign.status).toBe(400);
  });

  it('PATCH changes fields under If-Match', async () => {
    const o = await opportunity();
    const res = await api(
      'PATCH',
      `/api/crm/opportunities/${o.id}`,
      { nextAction: 'Call back Tuesday', value: { amount: 990_000, currency: 'EUR' }, probability: 35 },
      a.apiKey,
      { 'if-match': '"1"' },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ nextAction: 'Call back Tuesday', probability: 35, version: 2 });
    const stale = await api('PATCH', `/api/crm/opportunities/${o.id}`, { nextAction: 'x' }, a.apiKey, {
      'if-match': '"1"',
    });
    expect(stale.status).toBe(412);
    const cleared = await api('PATCH', `/api/crm/opportunities/${o.id}`, { value: null, status: 'lost' });
    expect(cleared.body).toMatchObject({ value: null, status: 'lost' });
    expectValidation(await api('PATCH', `/api/crm/opportunities/${o.id}`, { accountId: cb.accountId }), 'accountId');
    expect((await api('PATCH', `/api/crm/opportunities/${o.id}`, {})).status).toBe(400);
    expect((await api('PATCH', `/api/crm/opportunities/${o.id}`, { stage: 'proposal' })).status).toBe(400);
  });
});

describe('stage changes and history', () => {
  it('each change writes history and an outbox event; won and lost stages set the status', async () => {
    const o = await opportunity();
    const move = (stage: string, note?: string) =>
      api('POST', `/api/crm/opportunities/${o.id}/stage`, { stage, ...(note ? { note } : {}) });
    const r1 = await move('site_survey', 'booked for Friday');
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ stage: 'site_survey', status: 'open', probability: 30, version: 2 });
    expect((await move('contract_signed')).body).toMatchObject({ status: 'won', probability: 100 });
    expect((await move('lost')).body).toMatchObject({ status: 'lost', probability: 0 });
    expect((await move('proposal')).body).toMatchObject({ status: 'open', probability: 60 });
    const same = await move('proposal');
    expect(same.status).toBe(200);
    expect(same.body.version).toBe(5);
    const unknown = await move('nowhere');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toBe('stage');

    const h = await history('opportunities', o.id);
    expect(h.map((e) => [e.fromStage, e.toStage])).toEqual([
      [null, 'new'],
      ['new', 'site_survey'],
      ['site_survey', 'contract_signed'],
      ['contract_signed', 'lost'],
      ['lost', 'proposal'],
    ]);
    expect(h[1]).toEqual({
      pipelineId: sales.id,
      fromStage: 'new',
      toStage: 'site_survey',
      changedBy: a.adminUserId,
      changedAt: expect.any(String),
      note: 'booked for Friday',
    });
    const events = await outbox(o.id);
    expect(events.map((e) => e.type)).toEqual([
      'opportunity.created',
      'opportunity.stage_changed',
      'opportunity.stage_changed',
      'opportunity.stage_changed',
      'opportunity.stage_changed',
    ]);
    expect(events[2].data).toEqual({ pipelineId: sales.id, from: 'site_survey', to: 'contract_signed', status: 'won' });
    const page = await api('GET', `/api/crm/opportunities/${o.id}/stage-history?limit=2`);
    const rest = await api(
      'GET',
      `/api/crm/opportunities/${o.id}/stage-history?limit=10&cursor=${encodeURIComponent(page.body.nextCursor)}`,
    );
    expect([...page.body.data, ...rest.body.data]).toEqual(h);
  });

  it('concurrent stage changes of one record serialize: the history is a chain', async () => {
    const o = await opportunity();
    const stages = ['site_survey', 'proposal', 'new', 'proposal', 'site_survey', 'new', 'proposal', 'site_survey'];
    const results = await Promise.all(
      stages.map((stage) => api('POST', `/api/crm/opportunities/${o.id}/stage`, { stage })),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const h = await history('opportunities', o.id);
    for (let i = 1; i < h.length; i++) expect(h[i].fromStage).toBe(h[i - 1].toStage);
    const final = await api('GET', `/api/crm/opportunities/${o.id}`);
    expect(final.body.stage).toBe(h[h.length - 1].toStage);
  });

  it('stage history is append-only in the database', async () => {
    const o = await opportunity();
    const count = async () =>
      (
        await rows<{ n: number }>(
          t.db.db,
          sql`select count(*)::int as n from pipeline_events where entity_id = ${o.id}`,
        )
      )[0].n;
    expect(await count()).toBe(1);
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => 'accepted',
        (err) => dbErrorCode(err),
      );
    // HX001: the append-only trigger, for the owner connection and for the application role alike.
    expect(await refusal(t.db.db.execute(sql`update pipeline_events set note = 'x' where entity_id = ${o.id}`))).toBe(
      'HX001',
    );
    expect(await refusal(t.db.db.execute(sql`delete from pipeline_events where entity_id = ${o.id}`))).toBe('HX001');
    expect(
      await refusal(
        t.db.tenantTx(a.tenantId, (tx) => tx.execute(sql`delete from pipeline_events where entity_id = ${o.id}`)),
      ),
    ).toBe('HX001');
    expect(
      await refusal(
        t.db.tenantTx(a.tenantId, (tx) =>
          tx.execute(sql`update pipeline_events set to_stage = 'lost' where entity_id = ${o.id}`),
        ),
      ),
    ).toBe('HX001');
    expect(await count()).toBe(1);
  });
});

describe('projects and project contacts', () => {
  it('starts in the default delivery pipeline; the stage endpoint and history work as for opportunities', async () => {
    const p = await project({
      siteAddress: { line1: '1 Main St', city: 'Dublin', country: 'IE' },
      systemSizeKw: 6.4,
      contractValue: { amount: 1_100_000, currency: 'EUR' },
      sourceLeadId: ca.leadId,
    });
    expect(p).toMatchObject({
      type: 'solar_installation',
      accountId: ca.accountId,
      pipelineId: delivery.id,
      stage: 'design',
      status: 'open',
      consultantUserId: a.adminUserId,
      systemSizeKw: 6.4,
      contractValue: { amount: 1_100_000, currency: 'EUR' },
      sourceLeadId: ca.leadId,
      primaryContactId: null,
    });
    for (const stage of ['permitting', 'installation', 'inspection', 'grid_connection']) {
      expect((await api('POST', `/api/crm/projects/${p.id}/stage`, { stage })).body.status).toBe('open');
    }
    const done = await api('POST', `/api/crm/projects/${p.id}/stage`, { stage: 'complete', note: 'energised' });
    expect(done.body).toMatchObject({ stage: 'complete', status: 'won' });
    expect((await api('POST', `/api/crm/projects/${p.id}/stage`, { stage: 'new' })).status).toBe(400);
    const h = await history('projects', p.id);
    expect(h.map((e) => e.toStage)).toEqual([
      'design',
      'permitting',
      'installation',
      'inspection',
      'grid_connection',
      'complete',
    ]);
    expect((await outbox(p.id)).filter((e) => e.type === 'project.stage_changed')).toHaveLength(5);
    const patched = await api('PATCH', `/api/crm/projects/${p.id}`, { systemSizeKw: null, name: 'Roof + battery' });
    expect(patched.body).toMatchObject({ systemSizeKw: null, name: 'Roof + battery', version: 7 });
    expectValidation(
      await api('PATCH', `/api/crm/projects/${p.id}`, { consultantUserId: b.adminUserId }),
      'consultantUserId',
    );
    expectValidation(
      await api('POST', '/api/crm/projects', { name: 'x', type: 'heat_pump', accountId: cb.accountId }),
      'accountId',
    );
    expectValidation(
      await api('POST', '/api/crm/projects', {
        name: 'x',
        type: 'heat_pump',
        accountId: ca.accountId,
        pipelineId: sales.id,
      }),
      'pipelineId',
    );
  });

  it('contacts with roles and exactly one primary', async () => {
    const p = await project({ primaryContactId: ca.personId });
    expect(p.primaryContactId).toBe(ca.personId);
    const other = await customer(t, a.apiKey);
    const add = (body: Record<string, unknown>) => api('POST', `/api/crm/projects/${p.id}/contacts`, body);
    const second = await add({ personId: other.personId, role: 'site_contact', isPrimary: true });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'project.primary_contact_exists', primaryContactId: ca.personId });
    const ok = await add({ personId: other.personId, role: 'site_contact' });
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({
      projectId: p.id,
      personId: other.personId,
      role: 'site_contact',
      isPrimary: false,
      createdAt: expect.any(String),
    });
    expect((await add({ personId: other.personId, role: 'billing' })).body.code).toBe('project.contact_exists');
    expectValidation(await add({ personId: cb.personId, role: 'billing' }), 'personId');
    const list = await api('GET', `/api/crm/projects/${p.id}/contacts`);
    expect(list.body.data.map((c: any) => [c.personId, c.role, c.isPrimary]).sort()).toEqual(
      [
        [ca.personId, 'primary_contact', true],
        [other.personId, 'site_contact', false],
      ].sort(),
    );
    // Setting the primary through the project replaces it (never two).
    const swap = await api('PATCH', `/api/crm/projects/${p.id}`, { primaryContactId: other.personId });
    expect(swap.body.primaryContactId).toBe(other.personId);
    const after = await api('GET', `/api/crm/projects/${p.id}/contacts`);
    expect(after.body.data.filter((c: any) => c.isPrimary).map((c: any) => c.personId)).toEqual([other.personId]);
    // The unique index is the guarantee underneath.
    await expect(
      t.db.db.execute(
        sql`update project_contacts set is_primary = true where project_id = ${p.id} and person_id = ${ca.personId}`,
      ),
    ).rejects.toThrow();
  });

  it('a converted lead’s project has the person as its primary contact', async () => {
    expect(ca.projectId).toBeTruthy();
    const p = await api('GET', `/api/crm/projects/${ca.projectId}`);
    expect(p.body).toMatchObject({ primaryContactId: ca.personId, sourceLeadId: ca.leadId, stage: 'design' });
    const contacts = await api('GET', `/api/crm/projects/${ca.projectId}/contacts`);
    expect(contacts.body.data).toEqual([expect.objectContaining({ personId: ca.personId, isPrimary: true })]);
    const h = await history('projects', ca.projectId!);
    expect(h[0]).toMatchObject({
      fromStage: null,
      toStage: 'design',
      note: expect.stringMatching(/created from lead/),
    });
  });
});

describe('record scope own (agents)', () => {
  it('agents see and change only the opportunities they own and the projects they consult on', async () => {
    const mine = await opportunity({ ownerUserId: agent1.id });
    const theirs = await opportunity({ ownerUserId: agent2.id });
    const selfOwned = await opportunity({}, agent1.token);
    expect(selfOwned.ownerUserId).toBe(agent1.id);
    const myProject = await project({ consultantUserId: agent1.id });
    const theirProject = await project({ consultantUserId: agent2.id });

    const listed = (await api('GET', '/api/crm/opportunities?limit=200', undefined, agent1.token)).body.data;
    expect(listed.every((o: any) => o.ownerUserId === agent1.id)).toBe(true);
    const oppIds = listed.map((o: any) => o.id);
    expect(oppIds).toEqual(expect.arrayContaining([mine.id, selfOwned.id]));
    expect(oppIds).not.toContain(theirs.id);
    const projIds = (await api('GET', '/api/crm/projects?limit=200', undefined, agent1.token)).body.data.map(
      (p: any) => p.id,
    );
    expect(projIds).toEqual([myProject.id]);

    expect((await api('GET', `/api/crm/opportunities/${mine.id}`, undefined, agent1.token)).status).toBe(200);
    expect(
      (await api('POST', `/api/crm/opportunities/${mine.id}/stage`, { stage: 'proposal' }, agent1.token)).status,
    ).toBe(200);
    const hidden: [string, string, unknown?][] = [
      ['GET', `/api/crm/opportunities/${theirs.id}`],
      ['PATCH', `/api/crm/opportunities/${theirs.id}`, { nextAction: 'x' }],
      ['POST', `/api/crm/opportunities/${theirs.id}/stage`, { stage: 'proposal' }],
      ['GET', `/api/crm/opportunities/${theirs.id}/stage-history`],
      ['GET', `/api/crm/projects/${theirProject.id}`],
      ['PATCH', `/api/crm/projects/${theirProject.id}`, { name: 'x' }],
      ['POST', `/api/crm/projects/${theirProject.id}/stage`, { stage: 'permitting' }],
      ['GET', `/api/crm/projects/${theirProject.id}/stage-history`],
      ['GET', `/api/crm/projects/${theirProject.id}/contacts`],
      ['POST', `/api/crm/projects/${theirProject.id}/contacts`, { personId: ca.personId, role: 'x' }],
    ];
    for (const [method, url, body] of hidden) {
      const res = await api(method as any, url, body, agent1.token);
      expect(res.status, `${method} ${url}`).toBe(404);
    }
    // Pipelines are configuration, visible to every reader.
    expect((await api('GET', `/api/crm/pipelines/${sales.id}`, undefined, agent1.token)).status).toBe(200);
  });

  it('capabilities: crm:read for reads, crm:write for writes', async () => {
    const analyst = await staffUser(t, a, ['analyst']);
    expect((await api('GET', '/api/crm/opportunities', undefined, analyst.token)).status).toBe(200);
    const denied = await api('POST', '/api/crm/opportunities', { personId: ca.personId }, analyst.token);
    expect(denied.status).toBe(403);
    expect((await api('PATCH', `/api/crm/pipelines/${sales.id}`, { name: 'x' }, analyst.token)).status).toBe(403);
    expect((await call(t.app, 'GET', '/api/crm/projects')).status).toBe(401);
  });
});

describe('cross-tenant', () => {
  it('another tenant’s ids are 404 on every route with an id, and its lists show none of ours', async () => {
    const o = await opportunity();
    const p = await project();
    const routes: [string, string, unknown?][] = [
      ['GET', `/api/crm/pipelines/${sales.id}`],
      ['PATCH', `/api/crm/pipelines/${sales.id}`, { name: 'x' }],
      ['GET', `/api/crm/opportunities/${o.id}`],
      ['PATCH', `/api/crm/opportunities/${o.id}`, { nextAction: 'x' }],
      ['POST', `/api/crm/opportunities/${o.id}/stage`, { stage: 'proposal' }],
      ['GET', `/api/crm/opportunities/${o.id}/stage-history`],
      ['GET', `/api/crm/projects/${p.id}`],
      ['PATCH', `/api/crm/projects/${p.id}`, { name: 'x' }],
      ['POST', `/api/crm/projects/${p.id}/stage`, { stage: 'permitting' }],
      ['GET', `/api/crm/projects/${p.id}/stage-history`],
      ['GET', `/api/crm/projects/${p.id}/contacts`],
      ['POST', `/api/crm/projects/${p.id}/contacts`, { personId: cb.personId, role: 'x' }],
    ];
    for (const [method, url, body] of routes) {
      const res = await api(method as any, url, body, b.apiKey);
      expect(res.status, `${method} ${url}`).toBe(404);
    }
    const ours = new Set([sales.id, delivery.id, o.id, p.id, ca.projectId]);
    for (const url of ['/api/crm/pipelines', '/api/crm/opportunities', '/api/crm/projects']) {
      const res = await api('GET', `${url}?limit=200`, undefined, b.apiKey);
      expect(res.status).toBe(200);
      expect(
        res.body.data.filter((x: any) => ours.has(x.id)),
        url,
      ).toEqual([]);
    }
    expect(
      (await api('GET', '/api/crm/projects?limit=200', undefined, b.apiKey)).body.data.map((x: any) => x.id),
    ).toEqual([cb.projectId]);
  });

  it('the OpenAPI document describes the deal, task and campaign routes', async () => {
    const doc = await call(t.app, 'GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    for (const path of [
      '/api/crm/pipelines/{id}',
      '/api/crm/opportunities/{id}/stage',
      '/api/crm/projects/{id}/stage-history',
      '/api/crm/projects/{id}/contacts',
      '/api/crm/tasks',
      '/api/crm/tasks/{id}/complete',
      '/api/crm/campaigns/{id}/leads',
    ]) {
      expect(Object.keys(doc.body.paths), path).toContain(path);
    }
  });
});
