import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant, type Staff, staffUser } from '../../../test/crm-helpers.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../test/helpers.ts';
import { rows } from '../../platform/db.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent: Staff;
let analyst: Staff;
let partner: Staff;

async function person(token: string, fullName = 'Ada Byrne') {
  const res = await call(t.app, 'POST', '/api/crm/contacts', { token, body: { fullName } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}
const record = (token: string, body: Record<string, unknown>) =>
  call(t.app, 'POST', '/api/crm/interactions', {
    token,
    body: { channel: 'phone', type: 'call', happenedAt: '2026-03-01T10:00:00.000Z', ...body },
  });

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = [await createTenant(t), await createTenant(t)];
  [agent, analyst] = await Promise.all([staffUser(t, a, ['agent']), staffUser(t, a, ['analyst'])]);
  const role = await call(t.app, 'PUT', '/api/admin/roles/no-crm', {
    token: a.apiKey,
    body: { name: 'No CRM', scope: 'all', capabilities: ['leads:read'] },
  });
  expect(role.status).toBe(200);
  partner = await staffUser(t, a, ['no-crm']);
});
afterAll(async () => t?.close());

describe('the timeline', () => {
  it('records an interaction (201) with its links; keeps the summary out of audit and events', async () => {
    const p = await person(a.apiKey);
    const acc = await call(t.app, 'POST', '/api/crm/accounts', {
      token: a.apiKey,
      body: { name: 'Byrne household', type: 'household', primaryContactId: p },
    });
    const res = await record(a.apiKey, {
      personId: p,
      channel: 'visit',
      type: 'site_visit',
      direction: 'internal',
      summary: 'Roof survey: the owner mentioned a private medical condition',
      sourceRef: 'cal:evt-991',
      accountId: acc.body.id,
    });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/api/crm/interactions/${res.body.id}`);
    expect(res.body).toMatchObject({
      personId: p,
      channel: 'visit',
      type: 'site_visit',
      direction: 'internal',
      happenedAt: '2026-03-01T10:00:00.000Z',
      accountId: acc.body.id,
      opportunityId: null,
    });
    expect((await call(t.app, 'GET', `/api/crm/interactions/${res.body.id}`, { token: a.apiKey })).body).toEqual(
      res.body,
    );
    const trail = await rows(
      t.db.db,
      sql`select a.changed_fields, e.data from audit_events a join outbox_events e on e.entity_id::text = a.entity_id
          where a.entity_id = ${res.body.id}`,
    );
    expect(trail).toHaveLength(1);
    expect(JSON.stringify(trail)).not.toContain('medical');
    expect(JSON.stringify(trail)).not.toContain('cal:evt');
  });

  it('validates the body: defaults, enums, future times, unknown fields', async () => {
    const p = await person(a.apiKey);
    const ok = await record(a.apiKey, { personId: p });
    expect(ok.body.direction).toBe('outbound');
    expect((await record(a.apiKey, { personId: p, channel: 'pigeon' })).status).toBe(400);
    const future = await record(a.apiKey, {
      personId: p,
      happenedAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    });
    expect(future.status).toBe(400);
    expect(future.body.errors[0].path).toBe('happenedAt');
    expect((await record(a.apiKey, { personId: p, mood: 'good' })).status).toBe(400);
    expect((await record(a.apiKey, { personId: p, type: 'Has Spaces' })).status).toBe(400);
  });

  it('references into another tenant are a 400 naming the field (the tenant-scoped foreign keys)', async () => {
    const p = await person(a.apiKey);
    const theirPerson = await person(b.apiKey);
    const theirAccount = await call(t.app, 'POST', '/api/crm/accounts', {
      token: b.apiKey,
      body: { name: 'Theirs', type: 'company' },
    });
    const cases: [string, string][] = [
      ['personId', theirPerson],
      ['accountId', theirAccount.body.id],
      ['opportunityId', randomUUID()],
      ['projectId', randomUUID()],
      ['leadId', randomUUID()],
    ];
    for (const [field, id] of cases) {
      const res = await record(a.apiKey, { personId: p, [field]: id });
      expect(res.status, field).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation.failed', errors: [{ path: field }] });
    }
  });

  it("lists a person's timeline newest first with a keyset on (happenedAt, id), ties included", async () => {
    const p = await person(a.apiKey);
    const times = [
      '2026-01-01T08:00:00.000Z',
      '2026-01-03T08:00:00.000Z',
      '2026-01-03T08:00:00.000Z',
      '2026-01-03T08:00:00.000Z',
      '2026-01-02T08:00:00.000Z',
    ];
    const made: any[] = [];
    for (const [i, happenedAt] of times.entries()) {
      made.push((await record(a.apiKey, { personId: p, happenedAt, channel: i === 4 ? 'email' : 'phone' })).body);
    }
    const expected = [...made]
      .sort((x, y) => (x.happenedAt === y.happenedAt ? (x.id < y.id ? 1 : -1) : x.happenedAt < y.happenedAt ? 1 : -1))
      .map((x) => x.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await call(
        t.app,
        'GET',
        `/api/crm/interactions?personId=${p}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { token: a.apiKey },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((x: any) => x.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected);
    const emails = await call(t.app, 'GET', `/api/crm/interactions?personId=${p}&channel=email`, { token: a.apiKey });
    expect(emails.body.data.map((x: any) => x.id)).toEqual([made[4].id]);
    expect((await call(t.app, 'GET', '/api/crm/interactions', { token: a.apiKey })).status).toBe(400);
    // A cursor is bound to the person's list.
    const first = await call(t.app, 'GET', `/api/crm/interactions?personId=${p}&limit=1`, { token: a.apiKey });
    const other = await person(a.apiKey);
    const reused = await call(t.app, 'GET', `/api/crm/interactions?personId=${other}&cursor=${first.body.nextCursor}`, {
      token: a.apiKey,
    });
    expect(reused.status).toBe(400);
  });
});

describe('scores (QD)', () => {
  it('appends observations, keeps the latest as current, and returns the series oldest first', async () => {
    const p = await person(a.apiKey);
    const url = `/api/crm/qd/${p}`;
    const first = await call(t.app, 'POST', url, {
      token: a.apiKey,
      body: {
        scoreType: 'intent',
        value: 0.4,
        signalSource: 'call',
        evidenceRef: 'int:1',
        observedAt: '2026-02-01T00:00:00.000Z',
      },
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      scoreType: 'intent',
      value: 0.4,
      current: { value: 0.4, evidenceRefs: ['int:1'] },
    });
    await call(t.app, 'POST', url, {
      token: a.apiKey,
      body: { scoreType: 'intent', value: 0.9, observedAt: '2026-03-01T00:00:00.000Z' },
    });
    // A late, older observation joins the series without replacing the current value.
    const late = await call(t.app, 'POST', url, {
      token: a.apiKey,
      body: { scoreType: 'intent', value: 0.1, observedAt: '2026-01-15T00:00:00.000Z' },
    });
    expect(late.body.current).toMatchObject({ value: 0.9, computedAt: '2026-03-01T00:00:00.000Z' });
    await call(t.app, 'POST', url, { token: a.apiKey, body: { scoreType: 'fit', value: 72 } });

    const qd = await call(t.app, 'GET', url, { token: a.apiKey });
    expect(qd.status).toBe(200);
    expect(qd.body.personId).toBe(p);
    expect(qd.body.scores.map((s: any) => [s.scoreType, s.value])).toEqual([
      ['fit', 72],
      ['intent', 0.9],
    ]);
    const intent = qd.body.series.find((s: any) => s.scoreType === 'intent');
    expect(intent.points.map((x: any) => x.value)).toEqual([0.1, 0.4, 0.9]);
    expect(intent.points[1]).toMatchObject({ signalSource: 'call', evidenceRef: 'int:1' });
    const latest = await call(t.app, 'GET', `${url}?scoreType=intent&limit=2`, { token: a.apiKey });
    expect(latest.body.series).toEqual([
      {
        scoreType: 'intent',
        points: [expect.objectContaining({ value: 0.4 }), expect.objectContaining({ value: 0.9 })],
      },
    ]);
    const since = await call(t.app, 'GET', `${url}?since=2026-02-15T00:00:00Z`, { token: a.apiKey });
    expect(since.body.series.find((s: any) => s.scoreType === 'intent').points.map((x: any) => x.value)).toEqual([0.9]);
    // The series is append-only in the database.
    await expect(
      asTenant(t, a.tenantId, (ctx) =>
        ctx.tx.execute(sql`update score_timeseries set value = 0 where person_id = ${p}`),
      ),
    ).rejects.toThrow();
  });

  it('bad observations are a 400', async () => {
    const p = await person(a.apiKey);
    for (const body of [
      { scoreType: 'Intent', value: 1 },
      { scoreType: 'intent' },
      { scoreType: 'intent', value: 'high' },
    ]) {
      expect((await call(t.app, 'POST', `/api/crm/qd/${p}`, { token: a.apiKey, body })).status).toBe(400);
    }
  });
});

describe('access', () => {
  it('another tenant: 404 on every id route; a body naming their person is a 400', async () => {
    const p = await person(a.apiKey);
    const i = (await record(a.apiKey, { personId: p })).body;
    await call(t.app, 'POST', `/api/crm/qd/${p}`, { token: a.apiKey, body: { scoreType: 'intent', value: 1 } });
    const tk = b.apiKey;
    for (const res of await Promise.all([
      call(t.app, 'GET', `/api/crm/interactions/${i.id}`, { token: tk }),
      call(t.app, 'GET', `/api/crm/interactions?personId=${p}`, { token: tk }),
      call(t.app, 'GET', `/api/crm/qd/${p}`, { token: tk }),
      call(t.app, 'POST', `/api/crm/qd/${p}`, { token: tk, body: { scoreType: 'intent', value: 0 } }),
      call(t.app, 'GET', `/api/crm/interactions/${randomUUID()}`, { token: a.apiKey }),
    ])) {
      expect(res.status).toBe(404);
    }
    const post = await record(tk, { personId: p });
    expect(post.status).toBe(400);
    expect(post.body.errors).toEqual([{ path: 'personId', message: 'no such person' }]);
    const scores = await rows<{ n: number }>(
      t.db.db,
      sql`select count(*)::int as n from score_timeseries where person_id = ${p}`,
    );
    expect(scores[0].n).toBe(1);
  });

  it('reads need crm:read, writes crm:write; an agent works only with people in scope', async () => {
    const p = await person(a.apiKey);
    const i = (await record(a.apiKey, { personId: p })).body;
    expect((await call(t.app, 'GET', `/api/crm/interactions?personId=${p}`, { token: analyst.token })).status).toBe(
      200,
    );
    expect((await record(analyst.token, { personId: p })).status).toBe(403);
    expect((await call(t.app, 'GET', `/api/crm/interactions/${i.id}`, { token: partner.token })).status).toBe(403);
    expect((await call(t.app, 'GET', `/api/crm/qd/${p}`, { token: partner.token })).status).toBe(403);

    const mine = await person(agent.token, 'Agent Client');
    expect((await record(agent.token, { personId: mine })).status).toBe(201);
    expect(
      (await call(t.app, 'GET', `/api/crm/interactions?personId=${mine}`, { token: agent.token })).body.data,
    ).toHaveLength(1);
    expect((await record(agent.token, { personId: p })).status).toBe(400);
    expect((await call(t.app, 'GET', `/api/crm/interactions?personId=${p}`, { token: agent.token })).status).toBe(404);
    expect((await call(t.app, 'GET', `/api/crm/interactions/${i.id}`, { token: agent.token })).status).toBe(404);
    expect((await call(t.app, 'GET', `/api/crm/qd/${p}`, { token: agent.token })).status).toBe(404);
    expect(
      (await call(t.app, 'POST', `/api/crm/qd/${mine}`, { token: agent.token, body: { scoreType: 'fit', value: 3 } }))
        .status,
    ).toBe(201);
  });
});
