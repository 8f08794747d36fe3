import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLead, staffMember, staffUser } from '../../../../test/crm-helpers.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../../test/helpers.ts';
import { rows } from '../../../platform/db.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
/** Agents of tenant a, sorted by id (ties go to the lowest id); `agent` can log in. */
let staff: { id: string }[];
let agent: { id: string; token: string };

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, token = a.apiKey, headers = {}) =>
  call(t.app, method, url, { token, body, headers });

async function campaign(strategy: string, members: { userId: string; weight?: number }[], token = a.apiKey) {
  const res = await api('POST', '/api/crm/campaigns', { name: `${strategy} campaign`, strategy, members }, token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const leads = (n: number, tenant = a) => Promise.all(Array.from({ length: n }, () => newLead(t, tenant.apiKey)));
const enter = (campaignId: string, leadIds: string[], extra: Record<string, unknown> = {}, token = a.apiKey) =>
  api('POST', `/api/crm/campaigns/${campaignId}/leads`, { leadIds, ...extra }, token);

function expectValidation(res: { status: number; body: any }, path: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.code).toBe('validation.failed');
  expect(res.body.errors.map((e: any) => e.path)).toContain(path);
}

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = [await createTenant(t), await createTenant(t)];
  agent = await staffUser(t, a, ['agent']);
  const others = await Promise.all([1, 2, 3].map(() => staffMember(t, a, ['agent'])));
  staff = [agent, ...others.map((id) => ({ id }))].sort((x, y) => (x.id < y.id ? -1 : 1));
});
afterAll(async () => t?.close());

describe('campaigns', () => {
  it('creates, reads and edits a campaign; members must be active users of the tenant', async () => {
    const c = await campaign('round_robin', [{ userId: staff[0].id }, { userId: staff[1].id, weight: 3 }]);
    expect(c).toMatchObject({
      name: 'round_robin campaign',
      strategy: 'round_robin',
      active: true,
      version: 1,
      members: [
        { userId: staff[0].id, weight: 1, active: true, assignedCount: 0 },
        { userId: staff[1].id, weight: 3, active: true, assignedCount: 0 },
      ],
    });
    const got = await api('GET', `/api/crm/campaigns/${c.id}`);
    expect(got.body).toEqual(c);
    expect(got.headers.etag).toBe('"1"');
    expect((await api('GET', '/api/crm/campaigns')).body.data.map((x: any) => x.id)).toContain(c.id);

    const edited = await api(
      'PATCH',
      `/api/crm/campaigns/${c.id}`,
      {
        name: 'Spring promo',
        strategy: 'effort_based',
        members: [
          { userId: staff[1].id, active: false },
          { userId: staff[2].id, weight: 2 },
        ],
      },
      a.apiKey,
      { 'if-match': '"1"' },
    );
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ name: 'Spring promo', strategy: 'effort_based', version: 2 });
    expect(edited.body.members.map((m: any) => [m.userId, m.weight, m.active])).toEqual([
      [staff[0].id, 1, true],
      [staff[1].id, 3, false],
      [staff[2].id, 2, true],
    ]);
    const stale = await api('PATCH', `/api/crm/campaigns/${c.id}`, { name: 'x' }, a.apiKey, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);

    const bad = { name: 'x', strategy: 'manual' };
    expectValidation(
      await api('POST', '/api/crm/campaigns', { ...bad, members: [{ userId: b.adminUserId }] }),
      'members.0.userId',
    );
    expectValidation(
      await api('POST', '/api/crm/campaigns', { ...bad, members: [{ userId: staff[0].id }, { userId: staff[0].id }] }),
      'members.1.userId',
    );
    expectValidation(
      await api('PATCH', `/api/crm/campaigns/${c.id}`, { members: [{ userId: b.adminUserId }] }),
      'members.0.userId',
    );
    expect((await api('POST', '/api/crm/campaigns', { ...bad, strategy: 'lottery' })).status).toBe(400);
    expect(
      (await api('POST', '/api/crm/campaigns', { ...bad, members: [{ userId: staff[0].id, weight: -1 }] })).status,
    ).toBe(400);
  });

  it('round_robin: weighted fair rotation, ties by user id; the lead’s owner is set and its tasks follow', async () => {
    const c = await campaign('round_robin', [
      { userId: staff[2].id, weight: 2 },
      { userId: staff[0].id },
      { userId: staff[1].id },
    ]);
    const ls = await leads(8);
    const res = await enter(
      c.id,
      ls.map((l) => l.id),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // Ratios assigned/weight: the lowest goes next; equal ratios go to the lowest user id.
    expect(res.body.assignments.map((x: any) => x.userId)).toEqual([
      staff[0].id,
      staff[1].id,
      staff[2].id,
      staff[2].id,
      staff[0].id,
      staff[1].id,
      staff[2].id,
      staff[2].id,
    ]);
    expect(res.body.assignments[0]).toEqual({
      leadId: ls[0].id,
      userId: staff[0].id,
      strategy: 'round_robin',
      reason: expect.stringMatching(/^round_robin: lowest assignments per weight/),
    });
    for (const x of res.body.assignments) {
      const lead = await api('GET', `/api/leads/${x.leadId}`);
      expect(lead.body.assignedUserId).toBe(x.userId);
      const tasks = await api('GET', `/api/crm/tasks?leadId=${x.leadId}&status=open`);
      expect(tasks.body.data.map((k: any) => k.assigneeUserId)).toEqual([x.userId]);
    }
    const stored = await rows<{ lead_id: string; user_id: string; reason: string; strategy: string }>(
      t.db.db,
      sql`select lead_id, user_id, reason, strategy from campaign_assignments where campaign_id = ${c.id} order by id`,
    );
    expect(stored.map((r) => [r.lead_id, r.user_id, r.reason])).toEqual(
      res.body.assignments.map((x: any) => [x.leadId, x.userId, x.reason]),
    );
    const events = await rows<{ type: string }>(
      t.db.db,
      sql`select type from outbox_events where entity_id = ${ls[0].id} or (entity_id = ${c.id} and data->>'leadId' = ${ls[0].id}) order by id`,
    );
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['campaign.lead_assigned', 'lead.assigned']));
    const detail = await api('GET', `/api/crm/campaigns/${c.id}`);
    expect(Object.fromEntries(detail.body.members.map((m: any) => [m.userId, m.assignedCount]))).toEqual({
      [staff[0].id]: 2,
      [staff[1].id]: 2,
      [staff[2].id]: 4,
    });
  });

  it('a lead enters a campaign once: a second time is a 409 and nothing of the batch is assigned', async () => {
    const c = await campaign('round_robin', [{ userId: staff[0].id }, { userId: staff[1].id }]);
    const [l1, l2] = await leads(2);
    expect((await enter(c.id, [l1.id])).status).toBe(200);
    const again = await enter(c.id, [l2.id, l1.id]);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'campaign.lead_already_assigned', leadIds: [l1.id] });
    expect((await api('GET', `/api/leads/${l2.id}`)).body.assignedUserId).toBeNull();
    expectValidation(await enter(c.id, [l2.id, l2.id]), 'leadIds.1');
    const [foreign] = await leads(1, b);
    expectValidation(await enter(c.id, [l2.id, foreign.id]), 'leadIds.1');
    await api('POST', `/api/leads/${l2.id}/transitions`, { to: 'lost', reason: 'no budget' });
    const closed = await enter(c.id, [l2.id]);
    expect(closed.status).toBe(409);
    expect(closed.body).toMatchObject({ code: 'campaign.lead_not_open', leadIds: [l2.id] });
    // Another campaign may take the same lead.
    const other = await campaign('round_robin', [{ userId: staff[3].id }]);
    expect((await enter(other.id, [l1.id])).body.assignments[0].userId).toBe(staff[3].id);
  });

  it('manual: the given user must be an active member', async () => {
    const c = await campaign('manual', [{ userId: staff[0].id }, { userId: staff[1].id }]);
    await api('PATCH', `/api/crm/campaigns/${c.id}`, { members: [{ userId: staff[1].id, active: false }] });
    const [l1] = await leads(1);
    expectValidation(await enter(c.id, [l1.id]), 'userId');
    expectValidation(await enter(c.id, [l1.id], { userId: staff[1].id }), 'userId');
    expectValidation(await enter(c.id, [l1.id], { userId: staff[2].id }), 'userId');
    const ok = await enter(c.id, [l1.id], { userId: staff[0].id });
    expect(ok.status).toBe(200);
    expect(ok.body.assignments).toEqual([
      { leadId: l1.id, userId: staff[0].id, strategy: 'manual', reason: 'manual: chosen by staff' },
    ]);
    const rr = await campaign('round_robin', [{ userId: staff[0].id }]);
    const [l2] = await leads(1);
    expectValidation(await enter(rr.id, [l2.id], { userId: staff[0].id }), 'userId');
  });

  it('effort_based: fewest open leads per weight, then fewest recent campaign assignments', async () => {
    const [x, y] = [staff[0], staff[3]];
    const c = await campaign('effort_based', [{ userId: x.id }, { userId: y.id }]);
    const openNow = async (userId: string) =>
      (await api('GET', `/api/leads?assignedUserId=${userId}&limit=200`)).body.data.filter((l: any) =>
        ['new', 'contacted', 'nurturing', 'qualified', 'matched'].includes(l.status),
      ).length;
    // Bring y's open leads to x's count + 3.
    const gap = (await openNow(x.id)) + 3 - (await openNow(y.id));
    expect(gap).toBeGreaterThan(0);
    for (const l of await leads(gap)) {
      expect((await api('POST', `/api/leads/${l.id}/assign`, { userId: y.id })).status).toBe(200);
    }
    const ls = await leads(4);
    const res = await enter(
      c.id,
      ls.map((l) => l.id),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // x catches up (3 leads); at equal open counts x has more recent campaign assignments, so y.
    expect(res.body.assignments.map((d: any) => d.userId)).toEqual([x.id, x.id, x.id, y.id]);
    expect(res.body.assignments[0].reason).toMatch(/^effort_based: fewest open leads per weight/);
  });

  it('inactive campaigns and campaigns without eligible members refuse leads', async () => {
    const c = await campaign('round_robin', [{ userId: staff[0].id, weight: 0 }]);
    const [l1] = await leads(1);
    const none = await enter(c.id, [l1.id]);
    expect(none.status).toBe(409);
    expect(none.body.code).toBe('campaign.no_eligible_members');
    await api('PATCH', `/api/crm/campaigns/${c.id}`, { active: false, members: [{ userId: staff[0].id, weight: 1 }] });
    const inactive = await enter(c.id, [l1.id]);
    expect(inactive.status).toBe(409);
    expect(inactive.body.code).toBe('campaign.inactive');
    expect((await api('GET', '/api/crm/campaigns?active=false')).body.data.map((x: any) => x.id)).toEqual([c.id]);
  });

  it('campaign writes need campaigns:write; crm:read reads', async () => {
    const c = await campaign('round_robin', [{ userId: agent.id }]);
    expect((await api('GET', `/api/crm/campaigns/${c.id}`, undefined, agent.token)).status).toBe(200);
    expect((await api('POST', '/api/crm/campaigns', { name: 'x', strategy: 'manual' }, agent.token)).status).toBe(403);
    expect((await api('PATCH', `/api/crm/campaigns/${c.id}`, { name: 'x' }, agent.token)).status).toBe(403);
    const [l] = await leads(1);
    expect((await enter(c.id, [l.id], {}, agent.token)).status).toBe(403);
  });
});

describe('concurrency', () => {
  it('20 concurrent requests: no lead assigned twice, equal weights get counts within 1', async () => {
    const c = await campaign(
      'round_robin',
      staff.map((s) => ({ userId: s.id })),
    );
    const ls = await leads(21);
    const results = await Promise.all(ls.slice(0, 20).map((l) => enter(c.id, [l.id])));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const stored = await rows<{ lead_id: string; user_id: string }>(
      t.db.db,
      sql`select lead_id, user_id from campaign_assignments where campaign_id = ${c.id}`,
    );
    expect(stored).toHaveLength(20);
    expect(new Set(stored.map((r) => r.lead_id)).size).toBe(20);
    const counts = staff.map((s) => stored.filter((r) => r.user_id === s.id).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(20);

    // One lead sent by 10 requests at once: exactly one assignment.
    const same = await Promise.all(Array.from({ length: 10 }, () => enter(c.id, [ls[20].id])));
    expect(same.filter((r) => r.status === 200)).toHaveLength(1);
    expect(same.filter((r) => r.status === 409).every((r) => r.body.code === 'campaign.lead_already_assigned')).toBe(
      true,
    );
    expect(same.filter((r) => r.status === 409)).toHaveLength(9);
    const n = await rows<{ n: number }>(
      t.db.db,
      sql`select count(*)::int as n from campaign_assignments where campaign_id = ${c.id} and lead_id = ${ls[20].id}`,
    );
    expect(n[0].n).toBe(1);
  });
});

describe('cross-tenant', () => {
  it('another tenant’s campaign ids are 404 and its list shows none of ours', async () => {
    const c = await campaign('round_robin', [{ userId: staff[0].id }]);
    const [theirLead] = await leads(1, b);
    for (const [method, url, body] of [
      ['GET', `/api/crm/campaigns/${c.id}`],
      ['PATCH', `/api/crm/campaigns/${c.id}`, { name: 'x' }],
      ['POST', `/api/crm/campaigns/${c.id}/leads`, { leadIds: [theirLead.id] }],
    ] as const) {
      expect((await api(method, url, body, b.apiKey)).status, `${method} ${url}`).toBe(404);
    }
    expect((await api('GET', '/api/crm/campaigns?limit=200', undefined, b.apiKey)).body.data).toEqual([]);
  });
});
