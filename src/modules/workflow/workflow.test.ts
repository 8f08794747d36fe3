import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant, insertTask, type Staff, staffUser } from '../../../test/crm-helpers.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../test/helpers.ts';
import { rows } from '../../platform/db.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let managerA: Staff;
let managerB: Staff;
let agent: Staff;
let analyst: Staff;

async function person(token: string, body: Record<string, unknown> = {}) {
  const res = await call(t.app, 'POST', '/api/crm/contacts', { token, body: { fullName: 'Ada Byrne', ...body } });
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number };
}

const propose = (token: string, body: Record<string, unknown>) =>
  call(t.app, 'POST', '/api/workflow/proposals', {
    token,
    body: { source: 'user', targetDomain: 'crm', operation: 'update', ...body },
  });

async function proposal(token: string, body: Record<string, unknown>) {
  const res = await propose(token, body);
  expect(res.status).toBe(201);
  return res.body as { id: string; status: string; riskLevel: string };
}

const act = (token: string, id: string, action: string, body?: unknown) =>
  call(t.app, 'POST', `/api/workflow/proposals/${id}/${action}`, { token, body });
const get = (token: string, id: string) => call(t.app, 'GET', `/api/workflow/proposals/${id}`, { token });

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = [await createTenant(t), await createTenant(t)];
  [managerA, managerB, agent, analyst] = await Promise.all([
    staffUser(t, a, ['manager']),
    staffUser(t, a, ['manager']),
    staffUser(t, a, ['agent']),
    staffUser(t, a, ['analyst']),
  ]);
});
afterAll(async () => t?.close());

describe('proposals and their lifecycle', () => {
  it('auto-approves a low-risk change from a trusted source and stores the rule that decided it', async () => {
    const p = await person(a.apiKey);
    const created = await proposal(a.apiKey, {
      targetEntityRef: p.id,
      patch: { personaLabels: ['homeowner'] },
      baseVersion: p.version,
    });
    expect(created).toMatchObject({
      source: 'user',
      targetDomain: 'crm',
      targetEntityType: 'person',
      targetEntityRef: p.id,
      operation: 'update',
      patch: { personaLabels: ['homeowner'] },
      baseVersion: p.version,
      riskLevel: 'low',
      status: 'approved',
    });
    const detail = await get(a.apiKey, created.id);
    expect(detail.status).toBe(200);
    expect(detail.body.policyDecisions).toEqual([
      expect.objectContaining({ decision: 'auto_approved', rule: 'auto_approve_trusted_source', riskLevel: 'low' }),
    ]);
    expect(detail.body.approvals).toEqual([]);
    const stored = await asTenant(t, a.tenantId, (ctx) =>
      rows(ctx.tx, sql`select decision, rule from workflow_policy_decisions where proposal_id = ${created.id}`),
    );
    expect(stored).toEqual([{ decision: 'auto_approved', rule: 'auto_approve_trusted_source' }]);
  });

  it('review → four eyes → approval by another person → execute through crm; executing again replays the first result', async () => {
    const p = await person(a.apiKey, { email: 'ada.lifecycle@example.com' });
    const created = await proposal(a.apiKey, {
      targetEntityRef: p.id,
      patch: { email: 'ada.new@example.com', fullName: 'Ada B. Byrne' },
      baseVersion: p.version,
      reason: 'customer asked by phone',
    });
    expect(created).toMatchObject({ status: 'review_required', riskLevel: 'medium' });
    const detail = await get(a.apiKey, created.id);
    expect(detail.body.policyDecisions[0]).toMatchObject({
      decision: 'review_required',
      rule: 'contact_details_change_requires_approval',
    });

    const early = await act(managerA.token, created.id, 'execute');
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('workflow.invalid_transition');

    const own = await act(a.apiKey, created.id, 'approve');
    expect(own.status).toBe(409);
    expect(own.body.code).toBe('workflow.four_eyes');
    expect((await get(a.apiKey, created.id)).body.status).toBe('review_required');

    const approved = await act(managerA.token, created.id, 'approve', { reason: 'verified' });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');
    const again = await act(managerB.token, created.id, 'approve');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('workflow.invalid_transition');

    const withJunk = await act(managerA.token, created.id, 'execute', { force: true });
    expect(withJunk.status).toBe(400);
    const executed = await act(managerA.token, created.id, 'execute');
    expect(executed.status).toBe(200);
    expect((await get(a.apiKey, created.id)).headers.etag).toBe(`"${executed.body.version}"`);
    expect(executed.body).toMatchObject({
      status: 'executed',
      executionResult: { personId: p.id, version: p.version + 1 },
    });
    expect(executed.body.approvals).toEqual([
      expect.objectContaining({ decision: 'approved', userId: managerA.id, reason: 'verified' }),
    ]);
    const contact = await call(t.app, 'GET', `/api/crm/contacts/${p.id}`, { token: a.apiKey });
    expect(contact.body).toMatchObject({
      email: 'ada.new@example.com',
      fullName: 'Ada B. Byrne',
      version: p.version + 1,
    });

    const replay = await act(managerB.token, created.id, 'execute');
    expect(replay.status).toBe(200);
    expect(replay.body.executionResult).toEqual(executed.body.executionResult);
    expect(replay.body.executedAt).toBe(executed.body.executedAt);
    expect(replay.body.executedBy).toBe(executed.body.executedBy);
    const after = await call(t.app, 'GET', `/api/crm/contacts/${p.id}`, { token: a.apiKey });
    expect(after.body.version).toBe(p.version + 1);

    const reject = await act(managerA.token, created.id, 'reject');
    expect(reject.status).toBe(409);
    expect(reject.body.code).toBe('workflow.invalid_transition');

    const audit = await asTenant(t, a.tenantId, (ctx) =>
      rows<{ action: string }>(
        ctx.tx,
        sql`select action from audit_events where entity_id = ${created.id} order by id`,
      ),
    );
    expect(audit.map((r) => r.action)).toEqual(['proposal.created', 'proposal.approved', 'proposal.executed']);
    const events = await asTenant(t, a.tenantId, (ctx) =>
      rows<{ type: string }>(ctx.tx, sql`select type from outbox_events where entity_id = ${created.id} order by id`),
    );
    expect(events.map((e) => e.type)).toEqual(['proposal.created', 'proposal.approved', 'proposal.executed']);
  });

  it('a draft cannot be approved or executed until submitted; a rejected proposal stays rejected', async () => {
    const p = await person(a.apiKey);
    const draft = await proposal(a.apiKey, {
      targetEntityRef: p.id,
      patch: { phone: '+353 87 765 4321' },
      baseVersion: p.version,
      draft: true,
    });
    expect(draft.status).toBe('draft');
    for (const action of ['approve', 'execute', 'undo']) {
      const res = await act(managerA.token, draft.id, action);
      expect(res.status, action).toBe(409);
      expect(res.body.code).toBe('workflow.invalid_transition');
    }
    const submitted = await act(a.apiKey, draft.id, 'submit');
    expect(submitted.status).toBe(200);
    expect(submitted.body.status).toBe('review_required');
    expect((await act(a.apiKey, draft.id, 'submit')).status).toBe(409);
    const rejected = await act(managerA.token, draft.id, 'reject', { reason: 'wrong number' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.status).toBe('rejected');
    const exec = await act(managerA.token, draft.id, 'execute');
    expect(exec.status).toBe(409);
    expect(exec.body.code).toBe('workflow.invalid_transition');
    const detail = await get(a.apiKey, draft.id);
    expect(detail.body.approvals).toEqual([
      expect.objectContaining({ decision: 'rejected', userId: managerA.id, reason: 'wrong number' }),
    ]);
    expect(detail.body.policyDecisions.map((d: any) => d.rule)).toEqual([
      'requested_draft',
      'contact_details_change_requires_approval',
    ]);
    const contact = await call(t.app, 'GET', `/api/crm/contacts/${p.id}`, { token: a.apiKey });
    expect(contact.body.phone).toBeNull();
    expect((await rejectAppendOnly()).ok).toBe(false);
  });

  it('rejects a patch the target module would reject, and unknown targets', async () => {
    const p = await person(a.apiKey);
    const bad = await propose(a.apiKey, { targetEntityRef: p.id, patch: { shoeSize: 44 }, baseVersion: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation.failed');
    const missing = await propose(a.apiKey, {
      targetEntityRef: '01900000-0000-7000-8000-000000000000',
      patch: { fullName: 'X' },
      baseVersion: 1,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ path: 'targetEntityRef', message: 'no such person' }]);
  });

  it('refuses a stale base with 409 workflow.stale_base and changes nothing', async () => {
    const p = await person(a.apiKey);
    const created = await proposal(a.apiKey, {
      targetEntityRef: p.id,
      patch: { fullName: 'Proposed Name' },
      baseVersion: p.version,
    });
    expect(created.status).toBe('approved');
    const patched = await call(t.app, 'PATCH', `/api/crm/contacts/${p.id}`, {
      token: a.apiKey,
      body: { fullName: 'Changed Meanwhile' },
    });
    expect(patched.status).toBe(200);
    const exec = await act(managerA.token, created.id, 'execute');
    expect(exec.status).toBe(409);
    expect(exec.body).toMatchObject({
      code: 'workflow.stale_base',
      baseVersion: p.version,
      currentVersion: p.version + 1,
    });
    expect((await get(a.apiKey, created.id)).body.status).toBe('approved');
    const contact = await call(t.app, 'GET', `/api/crm/contacts/${p.id}`, { token: a.apiKey });
    expect(contact.body.fullName).toBe('Changed Meanwhile');
  });

  it('an update proposal cannot be undone (409 workflow.not_undoable)', async () => {
    const p = await person(a.apiKey);
    const created = await proposal(a.apiKey, {
      targetEntityRef: p.id,
      patch: { locale: 'en-IE' },
      baseVersion: p.version,
    });
    expect((await act(managerA.token, created.id, 'execute')).status).toBe(200);
    const undo = await act(managerA.token, created.id, 'undo');
    expect(undo.status).toBe(409);
    expect(undo.body.code).toBe('workflow.not_undoable');
  });

  it('lists proposals newest first with filters and keyset pages', async () => {
    const p = await person(a.apiKey);
    const ids: string[] = [];
    for (const label of ['one', 'two', 'three']) {
      ids.push(
        (await proposal(a.apiKey, { targetEntityRef: p.id, patch: { personaLabels: [label] }, baseVersion: 1 })).id,
      );
    }
    const first = await call(t.app, 'GET', `/api/workflow/proposals?targetEntityRef=${p.id}&limit=2`, {
      token: a.apiKey,
    });
    expect(first.status).toBe(200);
    expect(first.body.data.map((r: any) => r.id)).toEqual([ids[2], ids[1]]);
    const second = await call(
      t.app,
      'GET',
      `/api/workflow/proposals?targetEntityRef=${p.id}&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
      { token: a.apiKey },
    );
    expect(second.body.data.map((r: any) => r.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    const byStatus = await call(t.app, 'GET', '/api/workflow/proposals?status=executed', { token: a.apiKey });
    expect(byStatus.body.data.every((r: any) => r.status === 'executed')).toBe(true);
  });
});

/** Approvals and policy decisions are append-only: an UPDATE fails at the database. */
async function rejectAppendOnly() {
  try {
    await asTenant(t, a.tenantId, (ctx) => ctx.tx.execute(sql`update workflow_approvals set reason = 'x'`));
    return { ok: true };
  } catch {
    return { ok: false };
  }
}

describe('policy', () => {
  it('reads the defaults, is replaced with settings:write only, and decides with the stored policy', async () => {
    const c = await createTenant(t);
    const defaults = await call(t.app, 'GET', '/api/admin/workflow-policy', { token: c.apiKey });
    expect(defaults.status).toBe(200);
    expect(defaults.body).toMatchObject({
      version: 0,
      fourEyes: true,
      mergeRequiresApproval: true,
      agentRequiresApproval: true,
      contactDetailsRequireApproval: true,
      consentRequiresApproval: true,
      autoApproveMaxRisk: 'low',
    });
    const managerC = await staffUser(t, c, ['manager']);
    const denied = await call(t.app, 'PUT', '/api/admin/workflow-policy', {
      token: managerC.token,
      body: { fourEyes: false },
    });
    expect(denied.status).toBe(403);

    const p = await person(c.apiKey);
    const consent = await proposal(c.apiKey, {
      targetEntityRef: p.id,
      patch: { consent: { marketing: true } },
      baseVersion: 1,
    });
    expect(consent.status).toBe('review_required');
    expect((await get(c.apiKey, consent.id)).body.policyDecisions[0].rule).toBe('consent_change_requires_approval');
    const bulk = await proposal(c.apiKey, {
      targetEntityRef: p.id,
      patch: { personaLabels: ['x'] },
      baseVersion: 1,
      recordCount: 500,
    });
    expect(bulk).toMatchObject({ status: 'review_required', riskLevel: 'high' });
    expect((await get(c.apiKey, bulk.id)).body.policyDecisions[0].rule).toBe('bulk_update_over_threshold');

    const put = await call(t.app, 'PUT', '/api/admin/workflow-policy', {
      token: c.apiKey,
      body: { fourEyes: false, contactDetailsRequireApproval: false, autoApproveMaxRisk: 'medium' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      version: 1,
      fourEyes: false,
      autoApproveMaxRisk: 'medium',
      bulkUpdateThreshold: 25,
    });
    const contact = await proposal(c.apiKey, {
      targetEntityRef: p.id,
      patch: { email: 'c@example.com' },
      baseVersion: 1,
    });
    expect(contact).toMatchObject({ status: 'approved', riskLevel: 'medium' });
    expect((await get(c.apiKey, contact.id)).body.policyDecisions[0]).toMatchObject({
      decision: 'auto_approved',
      rule: 'auto_approve_trusted_source',
      policyVersion: 1,
    });
    // Four eyes off: the proposer may approve their own proposal.
    const self = await act(c.apiKey, consent.id, 'approve');
    expect(self.status).toBe(200);
    const unknown = await call(t.app, 'PUT', '/api/admin/workflow-policy', {
      token: c.apiKey,
      body: { fourEyes: 'no' },
    });
    expect(unknown.status).toBe(400);
  });
});

describe('agent runs', () => {
  it('records a run, links the proposals it produced, and agent proposals always need approval', async () => {
    const run = await call(t.app, 'POST', '/api/workflow/agent-runs', {
      token: agent.token,
      body: {
        agentName: 'dedup-scout',
        model: 'gpt-x-2026-01',
        inputRef: 'import:batch-42',
        output: { suggestions: 1 },
        status: 'succeeded',
        startedAt: '2026-11-01T10:00:00.000Z',
        finishedAt: '2026-11-01T10:00:02.500Z',
      },
    });
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({ agentName: 'dedup-scout', status: 'succeeded', durationMs: 2500 });
    // The agent role's scope is its own records: the person is one it created.
    const p = await person(agent.token);
    const outOfScope = await person(a.apiKey);
    const hidden = await propose(agent.token, {
      source: 'agent',
      agentRunId: run.body.id,
      targetEntityRef: outOfScope.id,
      patch: { personaLabels: ['investor'] },
      baseVersion: 1,
    });
    expect(hidden.status).toBe(400);
    const prop = await proposal(agent.token, {
      source: 'agent',
      agentRunId: run.body.id,
      targetEntityRef: p.id,
      patch: { personaLabels: ['investor'] },
      baseVersion: p.version,
    });
    expect(prop).toMatchObject({ status: 'review_required', riskLevel: 'medium', agentRunId: run.body.id });
    expect((await get(a.apiKey, prop.id)).body.policyDecisions[0].rule).toBe('agent_requires_approval');
    const detail = await call(t.app, 'GET', `/api/workflow/agent-runs/${run.body.id}`, { token: a.apiKey });
    expect(detail.status).toBe(200);
    expect(detail.body.proposalIds).toEqual([prop.id]);
    const list = await call(t.app, 'GET', '/api/workflow/agent-runs?agentName=dedup-scout', { token: a.apiKey });
    expect(list.body.data.map((r: any) => r.id)).toContain(run.body.id);
    const noRun = await propose(agent.token, {
      source: 'agent',
      targetEntityRef: p.id,
      patch: { personaLabels: ['x'] },
      baseVersion: 1,
    });
    expect(noRun.status).toBe(400);
    const unfinished = await call(t.app, 'POST', '/api/workflow/agent-runs', {
      token: agent.token,
      body: { agentName: 'x', model: 'y', status: 'failed', startedAt: '2026-11-01T10:00:00.000Z' },
    });
    expect(unfinished.status).toBe(400);
  });
});

describe('branches', () => {
  async function alternatives(group: string, n: number) {
    const p = await person(a.apiKey);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await proposal(a.apiKey, {
        targetEntityRef: p.id,
        patch: { personaLabels: [`option-${i}`] },
        baseVersion: p.version,
        branch: { group, key: `option-${i}` },
      });
      expect(res.status).toBe('approved');
      ids.push(res.id);
    }
    return { personId: p.id, ids };
  }

  it('executing one alternative supersedes its siblings; a superseded one cannot be executed', async () => {
    const { personId, ids } = await alternatives('labels-1', 3);
    const exec = await act(managerA.token, ids[1], 'execute');
    expect(exec.status).toBe(200);
    for (const id of [ids[0], ids[2]]) {
      const sib = await get(a.apiKey, id);
      expect(sib.body).toMatchObject({ status: 'rejected', supersededById: ids[1] });
      const res = await act(managerA.token, id, 'execute');
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('workflow.branch_superseded');
    }
    const contact = await call(t.app, 'GET', `/api/crm/contacts/${personId}`, { token: a.apiKey });
    expect(contact.body.personaLabels).toEqual(['option-1']);
    const other = await person(a.apiKey);
    const wrongTarget = await propose(a.apiKey, {
      targetEntityRef: other.id,
      patch: { personaLabels: ['x'] },
      baseVersion: 1,
      branch: { group: 'labels-1', key: 'other' },
    });
    expect(wrongTarget.status).toBe(400);
  });

  it('two concurrent executions of alternatives: exactly one wins', async () => {
    for (const round of [1, 2, 3]) {
      const group = `labels-2-${round}`;
      const { personId, ids } = await alternatives(group, 3);
      const results = await Promise.all(
        ids.map((id, i) => act(i % 2 ? managerA.token : managerB.token, id, 'execute')),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('workflow.branch_superseded');
      const executed = await asTenant(t, a.tenantId, (ctx) =>
        rows<{ id: string }>(
          ctx.tx,
          sql`select id from workflow_proposals where branch_group = ${group} and status = 'executed'`,
        ),
      );
      expect(executed).toHaveLength(1);
      const winner = results.findIndex((r) => r.status === 200);
      expect(executed[0].id).toBe(ids[winner]);
      const contact = await call(t.app, 'GET', `/api/crm/contacts/${personId}`, { token: a.apiKey });
      expect(contact.body).toMatchObject({ personaLabels: [`option-${winner}`], version: 2 });
    }
  });

  it('the database refuses a second executed proposal in a branch group', async () => {
    const { ids } = await alternatives('labels-3', 2);
    expect((await act(managerA.token, ids[0], 'execute')).status).toBe(200);
    await expect(
      asTenant(t, a.tenantId, (ctx) =>
        ctx.tx.execute(sql`update workflow_proposals set status = 'executed' where id = ${ids[1]}`),
      ),
    ).rejects.toThrow();
  });
});

describe('access', () => {
  it('403 without the capability', async () => {
    const p = await person(a.apiKey);
    const created = await proposal(a.apiKey, {
      targetEntityRef: p.id,
      patch: { email: 'x@example.com' },
      baseVersion: 1,
    });
    for (const action of ['approve', 'reject', 'execute', 'undo']) {
      const res = await act(agent.token, created.id, action);
      expect(res.status, action).toBe(403);
    }
    expect(
      (await propose(analyst.token, { targetEntityRef: p.id, patch: { fullName: 'x' }, baseVersion: 1 })).status,
    ).toBe(403);
    expect((await call(t.app, 'GET', '/api/workflow/proposals', { token: analyst.token })).status).toBe(403);
    expect(
      (
        await call(t.app, 'POST', `/api/crm/contacts/${p.id}/merge`, {
          token: analyst.token,
          body: { intoPersonId: p.id },
        })
      ).status,
    ).toBe(403);
    expect((await call(t.app, 'GET', '/api/workflow/proposals')).status).toBe(401);
    expect((await get(a.apiKey, created.id)).body.status).toBe('review_required');
  });

  it("another tenant's proposals and runs are 404 on every route and nothing changes", async () => {
    const p = await person(a.apiKey);
    const created = await proposal(a.apiKey, {
      targetEntityRef: p.id,
      patch: { email: 'y@example.com' },
      baseVersion: 1,
    });
    const run = await call(t.app, 'POST', '/api/workflow/agent-runs', {
      token: a.apiKey,
      body: { agentName: 'x', model: 'y', status: 'running', startedAt: '2026-11-01T10:00:00.000Z' },
    });
    expect((await get(b.apiKey, created.id)).status).toBe(404);
    for (const action of ['submit', 'approve', 'reject', 'execute', 'undo']) {
      const res = await act(b.apiKey, created.id, action);
      expect(res.status, action).toBe(404);
      expect(res.body.code).toBe('workflow.proposal_not_found');
    }
    expect((await call(t.app, 'GET', `/api/workflow/agent-runs/${run.body.id}`, { token: b.apiKey })).status).toBe(404);
    const list = await call(t.app, 'GET', '/api/workflow/proposals', { token: b.apiKey });
    expect(list.body.data.map((r: any) => r.id)).not.toContain(created.id);
    const runs = await call(t.app, 'GET', '/api/workflow/agent-runs', { token: b.apiKey });
    expect(runs.body.data).toEqual([]);
    const foreignTarget = await propose(b.apiKey, { targetEntityRef: p.id, patch: { fullName: 'x' }, baseVersion: 1 });
    expect(foreignTarget.status).toBe(400);
    const foreignRun = await propose(managerB.token, {
      source: 'agent',
      agentRunId: run.body.id,
      targetEntityRef: p.id,
      patch: { fullName: 'x' },
      baseVersion: 1,
    });
    expect(foreignRun.status).toBe(201);
    const bPerson = await person(b.apiKey);
    const viaForeignRun = await propose(b.apiKey, {
      source: 'agent',
      agentRunId: run.body.id,
      targetEntityRef: bPerson.id,
      patch: { fullName: 'x' },
      baseVersion: 1,
    });
    expect(viaForeignRun.status).toBe(400);
    const policyB = await call(t.app, 'PUT', '/api/admin/workflow-policy', {
      token: b.apiKey,
      body: { fourEyes: false },
    });
    expect(policyB.status).toBe(200);
    expect((await call(t.app, 'GET', '/api/admin/workflow-policy', { token: a.apiKey })).body.fourEyes).toBe(true);
    const inboxB = await call(t.app, 'GET', '/api/crm/inbox', { token: b.apiKey });
    expect(inboxB.body.data.map((i: any) => i.id)).not.toContain(created.id);
    const after = await get(a.apiKey, created.id);
    expect(after.body).toMatchObject({ status: 'review_required', version: 1 });
  });
});

describe('record scope and erasure', () => {
  it('an own-scope user sees only the proposals they made', async () => {
    const mine = await person(agent.token);
    const own = await proposal(agent.token, {
      targetEntityRef: mine.id,
      patch: { personaLabels: ['own'] },
      baseVersion: 1,
    });
    const other = await person(a.apiKey);
    const theirs = await proposal(a.apiKey, {
      targetEntityRef: other.id,
      patch: { email: 'secret@example.com' },
      baseVersion: 1,
    });
    const list = await call(t.app, 'GET', '/api/workflow/proposals?limit=200', { token: agent.token });
    const ids = list.body.data.map((r: any) => r.id);
    expect(ids).toContain(own.id);
    expect(ids).not.toContain(theirs.id);
    expect((await get(agent.token, theirs.id)).status).toBe(404);
    expect((await get(agent.token, own.id)).status).toBe(200);
    const inbox = await call(t.app, 'GET', '/api/crm/inbox?limit=200', { token: agent.token });
    expect(inbox.body.data.map((i: any) => i.id)).not.toContain(theirs.id);
  });

  it("erasing a lead's person removes the proposed values from proposals about them", async () => {
    const lead = await call(t.app, 'POST', '/api/leads', {
      token: a.apiKey,
      body: {
        contact: { name: 'Erin Erase', email: 'erin.erase@example.com', postcode: 'D02 X285' },
        source: 'phone',
        service: 'solar_pv',
        consent: { terms: true },
      },
    });
    expect(lead.status).toBe(201);
    const p = await proposal(a.apiKey, {
      targetEntityRef: lead.body.personId,
      patch: { email: 'erin.private@example.com', fullName: 'Erin Private' },
      baseVersion: 1,
    });
    const erased = await call(t.app, 'POST', `/api/leads/${lead.body.id}/erase`, { token: a.apiKey });
    expect(erased.status).toBe(200);
    const after = await get(a.apiKey, p.id);
    expect(after.body.patch).toEqual({ email: null, fullName: null });
    expect(JSON.stringify(after.body)).not.toContain('erin.private');
    expect((await act(managerA.token, p.id, 'approve')).status).toBe(200);
    const exec = await act(managerA.token, p.id, 'execute');
    expect(exec.status).toBe(409);
  });
});

describe('the operator inbox', () => {
  it('merges unresolved proposals, high-risk merges and due reminders, newest first', async () => {
    const c = await createTenant(t);
    const op = await staffUser(t, c, ['manager']);
    const [p1, p2, p3] = [await person(c.apiKey), await person(c.apiKey), await person(c.apiKey)];
    const hour = 3600_000;
    const overdue = await insertTask(t, c.tenantId, p1.id, {
      assigneeUserId: op.id,
      dueAt: new Date(Date.now() - 48 * hour),
    });
    const dueSoon = await insertTask(t, c.tenantId, p1.id, {
      assigneeUserId: op.id,
      dueAt: new Date(Date.now() + 2 * hour),
    });
    await insertTask(t, c.tenantId, p1.id, { assigneeUserId: op.id, dueAt: new Date(Date.now() + 72 * hour) });
    await insertTask(t, c.tenantId, p1.id, { assigneeUserId: null, dueAt: new Date(Date.now() - hour) });
    await insertTask(t, c.tenantId, p1.id, {
      assigneeUserId: op.id,
      status: 'done',
      dueAt: new Date(Date.now() - hour),
    });
    const review = await proposal(c.apiKey, {
      targetEntityRef: p2.id,
      patch: { email: 'i@example.com' },
      baseVersion: 1,
    });
    const executed = await proposal(c.apiKey, { targetEntityRef: p2.id, patch: { locale: 'en-IE' }, baseVersion: 1 });
    expect((await act(op.token, executed.id, 'execute')).status).toBe(200);
    const approved = await proposal(c.apiKey, {
      targetEntityRef: p3.id,
      patch: { personaLabels: ['a'] },
      baseVersion: 1,
    });
    const merge = await call(t.app, 'POST', `/api/crm/contacts/${p3.id}/merge`, {
      token: c.apiKey,
      body: { intoPersonId: p1.id },
    });
    expect(merge.status).toBe(202);
    const rejected = await proposal(c.apiKey, {
      targetEntityRef: p2.id,
      patch: { phone: '+353 87 111 2222' },
      baseVersion: 1,
    });
    expect((await act(op.token, rejected.id, 'reject')).status).toBe(200);

    const inbox = await call(t.app, 'GET', '/api/crm/inbox', { token: op.token });
    expect(inbox.status).toBe(200);
    expect(inbox.body.data.map((i: any) => [i.kind, i.id])).toEqual([
      ['reminder', dueSoon],
      ['high_risk_merge', merge.body.proposalId],
      ['proposal', approved.id],
      ['proposal', review.id],
      ['reminder', overdue],
    ]);
    expect(inbox.body.data[4].task).toMatchObject({ overdue: true });
    expect(inbox.body.nextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await call(
        t.app,
        'GET',
        `/api/crm/inbox?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: op.token },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((i: any) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(inbox.body.data.map((i: any) => i.id));

    // The API key's user (the owner) has no reminders of the operator; an analyst sees no proposals.
    const ownerInbox = await call(t.app, 'GET', '/api/crm/inbox', { token: c.apiKey });
    expect(ownerInbox.body.data.some((i: any) => i.kind === 'reminder')).toBe(false);
    const analystC = await staffUser(t, c, ['analyst']);
    const analystInbox = await call(t.app, 'GET', '/api/crm/inbox', { token: analystC.token });
    expect(analystInbox.status).toBe(200);
    expect(analystInbox.body.data).toEqual([]);
  });
});
