import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customer, newLead, type Staff, staffUser } from '../../../../test/crm-helpers.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../../test/helpers.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent1: Staff;
let agent2: Staff;
let ca: Awaited<ReturnType<typeof customer>>;
let cb: Awaited<ReturnType<typeof customer>>;

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, token = a.apiKey, headers = {}) =>
  call(t.app, method, url, { token, body, headers });

const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();

async function task(body: Record<string, unknown> = {}, token = a.apiKey) {
  const res = await api(
    'POST',
    '/api/crm/tasks',
    { title: 'Call the customer', type: 'follow_up', dueAt: inHours(24), ...body },
    token,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const ids = async (query: string, token = a.apiKey) => {
  const res = await api('GET', `/api/crm/tasks?limit=200&${query}`, undefined, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data.map((x: any) => x.id) as string[];
};

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
});
afterAll(async () => t?.close());

describe('tasks', () => {
  it('creates a task linked to a lead, person, opportunity and project; the caller is the default assignee', async () => {
    const opp = await api('POST', '/api/crm/opportunities', { personId: ca.personId });
    const dueAt = inHours(3);
    const res = await api('POST', '/api/crm/tasks', {
      title: 'Send the proposal',
      type: 'custom',
      dueAt,
      leadId: ca.leadId,
      personId: ca.personId,
      opportunityId: opp.body.id,
      projectId: ca.projectId,
      notes: 'with the battery option',
    });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/crm/tasks/${res.body.id}`);
    expect(res.body).toEqual({
      id: expect.any(String),
      type: 'custom',
      title: 'Send the proposal',
      status: 'open',
      dueAt,
      overdue: false,
      assigneeUserId: a.adminUserId,
      leadId: ca.leadId,
      personId: ca.personId,
      opportunityId: opp.body.id,
      projectId: ca.projectId,
      notes: 'with the battery option',
      createdByUserId: a.adminUserId,
      completedAt: null,
      version: 1,
      createdAt: expect.any(String),
    });
    const got = await api('GET', `/api/crm/tasks/${res.body.id}`);
    expect(got.body).toEqual(res.body);
    expect(got.headers.etag).toBe('"1"');
    expect((await api('POST', '/api/crm/tasks', { title: 'x', type: 'chore', dueAt })).status).toBe(400);
    expect((await api('POST', '/api/crm/tasks', { title: 'x', type: 'custom', dueAt: 'tomorrow' })).status).toBe(400);
  });

  it('links to another tenant’s (or missing) records are a 400 naming the field', async () => {
    const leadB = await newLead(t, b.apiKey);
    const oppB = await api('POST', '/api/crm/opportunities', { personId: cb.personId }, b.apiKey);
    const base = { title: 'x', type: 'reminder', dueAt: inHours(1) };
    expectValidation(await api('POST', '/api/crm/tasks', { ...base, leadId: leadB.id }), 'leadId');
    expectValidation(await api('POST', '/api/crm/tasks', { ...base, personId: cb.personId }), 'personId');
    expectValidation(await api('POST', '/api/crm/tasks', { ...base, opportunityId: oppB.body.id }), 'opportunityId');
    expectValidation(await api('POST', '/api/crm/tasks', { ...base, projectId: cb.projectId }), 'projectId');
    expectValidation(await api('POST', '/api/crm/tasks', { ...base, assigneeUserId: b.adminUserId }), 'assigneeUserId');
    const x = await task();
    expectValidation(await api('PATCH', `/api/crm/tasks/${x.id}`, { leadId: leadB.id }), 'leadId');
    expectValidation(await api('PATCH', `/api/crm/tasks/${x.id}`, { personId: cb.personId }), 'personId');
    expect((await api('GET', `/api/crm/tasks/${x.id}`)).body.version).toBe(1);
  });

  it('PATCH under If-Match; complete once', async () => {
    const x = await task();
    const moved = await api(
      'PATCH',
      `/api/crm/tasks/${x.id}`,
      { dueAt: inHours(48), assigneeUserId: agent1.id, title: 'Call again' },
      a.apiKey,
      { 'if-match': '"1"' },
    );
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ assigneeUserId: agent1.id, title: 'Call again', version: 2 });
    const stale = await api('PATCH', `/api/crm/tasks/${x.id}`, { title: 'y' }, a.apiKey, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    const done = await api('POST', `/api/crm/tasks/${x.id}/complete`, { notes: 'spoke to them' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'done', notes: 'spoke to them', overdue: false, version: 3 });
    expect(done.body.completedAt).toEqual(expect.any(String));
    const again = await api('POST', `/api/crm/tasks/${x.id}/complete`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'task.not_open', taskStatus: 'done' });
    expect((await api('PATCH', `/api/crm/tasks/${x.id}`, { status: 'open' })).status).toBe(400);
  });

  it('lists soonest due first, with assignee, status, type, overdue and link filters, keyset-paginated', async () => {
    const lead = await newLead(t, a.apiKey, { assignedUserId: agent2.id });
    const late = await task({ assigneeUserId: agent2.id, dueAt: inHours(-2), leadId: lead.id });
    const soon = await task({ assigneeUserId: agent2.id, dueAt: inHours(1), type: 'reminder' });
    const later = await task({ assigneeUserId: agent2.id, dueAt: inHours(30) });
    const closed = await task({ assigneeUserId: agent2.id, dueAt: inHours(-5) });
    await api('POST', `/api/crm/tasks/${closed.id}/complete`);
    // The intake's contact_lead task for the new lead is agent2's too.
    const intakeTask = (await api('GET', `/api/crm/tasks?leadId=${lead.id}&type=contact_lead`)).body.data;
    expect(intakeTask).toEqual([expect.objectContaining({ type: 'contact_lead', assigneeUserId: agent2.id })]);

    const all = await ids(`assigneeUserId=${agent2.id}`);
    expect(all.filter((id) => [late.id, soon.id, later.id, closed.id].includes(id))).toEqual([
      closed.id,
      late.id,
      soon.id,
      later.id,
    ]);
    expect(await ids(`assigneeUserId=${agent2.id}&overdue=true`)).toEqual([late.id]);
    expect(await ids(`assigneeUserId=${agent2.id}&overdue=false`)).not.toContain(late.id);
    expect(await ids(`assigneeUserId=${agent2.id}&status=done`)).toEqual([closed.id]);
    expect(await ids(`assigneeUserId=${agent2.id}&type=reminder`)).toEqual([soon.id]);
    // The intake task is due within the first-contact SLA, after the overdue one.
    expect(await ids(`leadId=${lead.id}&status=open`)).toEqual([late.id, intakeTask[0].id]);
    const overdue = (await api('GET', `/api/crm/tasks/${late.id}`)).body;
    expect(overdue.overdue).toBe(true);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `assigneeUserId=${agent2.id}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api('GET', `/api/crm/tasks?${qs}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((x: any) => x.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  it('mine=true is the caller’s open tasks', async () => {
    const open = await task({ assigneeUserId: agent1.id, dueAt: inHours(-1) });
    const done = await task({ assigneeUserId: agent1.id });
    await api('POST', `/api/crm/tasks/${done.id}/complete`);
    await task({ assigneeUserId: agent2.id });
    const mine = await api('GET', '/api/crm/tasks?mine=true&limit=200', undefined, agent1.token);
    expect(mine.body.data.every((x: any) => x.assigneeUserId === agent1.id && x.status === 'open')).toBe(true);
    expect(mine.body.data.map((x: any) => x.id)).toContain(open.id);
    expect(mine.body.data.map((x: any) => x.id)).not.toContain(done.id);
    expect(await ids('mine=true&status=done', agent1.token)).toContain(done.id);
    expect(await ids('mine=true&overdue=true', agent1.token)).toEqual([open.id]);
    expectValidation(
      await api('GET', `/api/crm/tasks?mine=true&assigneeUserId=${agent2.id}`, undefined, agent1.token),
      'query.assigneeUserId',
    );
    expect((await api('GET', '/api/crm/tasks?mine=maybe')).status).toBe(400);
  });
});

describe('record scope own and capabilities', () => {
  it('agents see tasks assigned to or created by them; others are 404 and absent from lists', async () => {
    const assigned = await task({ assigneeUserId: agent1.id });
    const created = await task({ assigneeUserId: agent2.id }, agent1.token);
    expect(created.createdByUserId).toBe(agent1.id);
    const selfAssigned = await task({}, agent1.token);
    expect(selfAssigned.assigneeUserId).toBe(agent1.id);
    const other = await task({ assigneeUserId: agent2.id });
    const visible = await ids('', agent1.token);
    expect(visible).toEqual(expect.arrayContaining([assigned.id, created.id, selfAssigned.id]));
    expect(visible).not.toContain(other.id);
    for (const [method, url, body] of [
      ['GET', `/api/crm/tasks/${other.id}`],
      ['PATCH', `/api/crm/tasks/${other.id}`, { title: 'x' }],
      ['POST', `/api/crm/tasks/${other.id}/complete`],
    ] as const) {
      expect((await api(method, url, body, agent1.token)).status, `${method} ${url}`).toBe(404);
    }
    expect((await api('POST', `/api/crm/tasks/${assigned.id}/complete`, undefined, agent1.token)).status).toBe(200);
  });

  it('crm:read reads, crm:write writes', async () => {
    const analyst = await staffUser(t, a, ['analyst']);
    expect((await api('GET', '/api/crm/tasks', undefined, analyst.token)).status).toBe(200);
    expect(
      (await api('POST', '/api/crm/tasks', { title: 'x', type: 'custom', dueAt: inHours(1) }, analyst.token)).status,
    ).toBe(403);
  });
});

describe('cross-tenant', () => {
  it('another tenant’s task ids are 404 and its lists show none of ours', async () => {
    const x = await task({ leadId: ca.leadId });
    for (const [method, url, body] of [
      ['GET', `/api/crm/tasks/${x.id}`],
      ['PATCH', `/api/crm/tasks/${x.id}`, { title: 'x' }],
      ['POST', `/api/crm/tasks/${x.id}/complete`],
    ] as const) {
      expect((await api(method, url, body, b.apiKey)).status, `${method} ${url}`).toBe(404);
    }
    const ours = new Set(await ids(''));
    const theirs = await ids('', b.apiKey);
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.filter((id) => ours.has(id))).toEqual([]);
    expect(await ids(`leadId=${ca.leadId}`, b.apiKey)).toEqual([]);
  });
});
