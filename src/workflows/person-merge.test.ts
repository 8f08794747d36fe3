import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asTenant, insertOpportunity, insertTask, newLead, type Staff, staffUser } from '../../test/crm-helpers.ts';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../test/helpers.ts';
import { rows } from '../platform/db.ts';

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let approver: Staff;

async function person(token: string, body: Record<string, unknown> = {}) {
  const res = await call(t.app, 'POST', '/api/crm/contacts', { token, body: { fullName: 'Sam Survivor', ...body } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const post = async (url: string, body: unknown, token = a.apiKey) => {
  const res = await call(t.app, 'POST', url, { token, body });
  expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
};

/** Every kind of reference to the merged person: lead, membership, account/project primary contact, opportunity, project contact, task, interaction, score, relationships, interest. */
async function richPerson() {
  const lead = await newLead(t, a.apiKey);
  const merged = lead.personId;
  const survivor = await person(a.apiKey, { email: `sam.${Date.now()}@example.com` });
  const friend = await person(a.apiKey, { fullName: 'Fran Friend' });
  const account = await post('/api/crm/accounts', {
    name: 'Merge household',
    type: 'household',
    primaryContactId: merged,
  });
  // The survivor is a member already: the merged person's membership there is a duplicate.
  const shared = await post('/api/crm/accounts', { name: 'Shared household', type: 'household' });
  await post(`/api/crm/accounts/${shared.id}/members`, { personId: merged, role: 'owner' });
  await post(`/api/crm/accounts/${shared.id}/members`, { personId: survivor, role: 'member' });
  const project = await post('/api/crm/projects', {
    name: 'Roof PV',
    type: 'solar_installation',
    accountId: account.id,
    primaryContactId: merged,
  });
  const opportunity = await insertOpportunity(t, a.tenantId, merged);
  const task = await insertTask(t, a.tenantId, merged);
  const interaction = await post('/api/crm/interactions', {
    personId: merged,
    channel: 'phone',
    type: 'call',
    happenedAt: '2026-03-01T10:00:00.000Z',
  });
  await post(`/api/crm/qd/${merged}`, { scoreType: 'intent', value: 0.7 });
  const outgoing = await post('/api/crm/relationships', { fromPersonId: merged, toPersonId: friend, kind: 'spouse' });
  const incoming = await post('/api/crm/relationships', {
    fromPersonId: friend,
    toPersonId: merged,
    kind: 'referred_by',
  });
  const between = await post('/api/crm/relationships', {
    fromPersonId: merged,
    toPersonId: survivor,
    kind: 'colleague',
  });
  const interest = await post(`/api/crm/contacts/${merged}/property-interests`, {
    productCode: 'heat_pump',
    level: 'high',
  });
  return {
    merged,
    survivor,
    leadId: lead.id,
    accountId: account.id,
    sharedAccountId: shared.id,
    projectId: project.id,
    opportunity,
    task,
    interactionId: interaction.id,
    relationships: { outgoing: outgoing.id, incoming: incoming.id, between: between.id },
    interestId: interest.id,
  };
}

type Fixture = Awaited<ReturnType<typeof richPerson>>;

/** Who each reference points at now, read straight from the tables. */
async function references(f: Fixture) {
  return asTenant(t, a.tenantId, async (ctx) => {
    const q = async (s: ReturnType<typeof sql>) => (await rows<{ v: string }>(ctx.tx, s)).map((r) => r.v).sort();
    return {
      lead: await q(sql`select person_id as v from leads where id = ${f.leadId}`),
      memberships: await q(sql`select person_id as v from account_members where account_id = ${f.accountId}`),
      sharedMemberships: await q(
        sql`select person_id || ':' || role as v from account_members where account_id = ${f.sharedAccountId}`,
      ),
      accountPrimary: await q(sql`select primary_contact_id as v from accounts where id = ${f.accountId}`),
      projectPrimary: await q(sql`select primary_contact_id as v from projects where id = ${f.projectId}`),
      projectContacts: await q(sql`select person_id as v from project_contacts where project_id = ${f.projectId}`),
      opportunity: await q(sql`select person_id as v from opportunities where id = ${f.opportunity}`),
      task: await q(sql`select person_id as v from tasks where id = ${f.task}`),
      interaction: await q(sql`select person_id as v from interactions where id = ${f.interactionId}`),
      score: await q(
        sql`select person_id as v from scores where score_type = 'intent' and person_id in (${f.merged}, ${f.survivor})`,
      ),
      outgoing: await q(sql`select from_person_id as v from relationships where id = ${f.relationships.outgoing}`),
      incoming: await q(sql`select to_person_id as v from relationships where id = ${f.relationships.incoming}`),
      between: await q(sql`select from_person_id as v from relationships where id = ${f.relationships.between}`),
      interest: await q(sql`select person_id as v from property_interests where id = ${f.interestId}`),
    };
  });
}

const proposeMerge = (from: string, into: string, fields?: Record<string, string>, token = a.apiKey) =>
  call(t.app, 'POST', `/api/crm/contacts/${from}/merge`, { token, body: { intoPersonId: into, fields } });
const act = (id: string, action: string, token = approver.token) =>
  call(t.app, 'POST', `/api/workflow/proposals/${id}/${action}`, { token });

async function approvedMerge(from: string, into: string, fields?: Record<string, string>) {
  const res = await proposeMerge(from, into, fields);
  expect(res.status).toBe(202);
  const id = res.body.proposalId as string;
  expect((await act(id, 'approve')).status).toBe(200);
  return id;
}

beforeAll(async () => {
  t = await createTestApp();
  [a, b] = [await createTenant(t), await createTenant(t)];
  approver = await staffUser(t, a, ['manager']);
});
afterAll(async () => t?.close());

describe('person merge', () => {
  it('is a high-risk proposal that waits for approval', async () => {
    const [x, y] = [await person(a.apiKey), await person(a.apiKey)];
    const res = await proposeMerge(x, y);
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/api/workflow/proposals/${res.body.proposalId}`);
    const p = await call(t.app, 'GET', `/api/workflow/proposals/${res.body.proposalId}`, { token: a.apiKey });
    expect(p.body).toMatchObject({
      operation: 'merge',
      targetEntityRef: x,
      riskLevel: 'high',
      status: 'review_required',
      patch: { intoPersonId: y, intoBaseVersion: 1, fields: {} },
      baseVersion: 1,
    });
    expect(p.body.policyDecisions[0].rule).toBe('merge_requires_approval');
    // Even a tenant that auto-approves everything from trusted sources keeps merges for a person.
    await call(t.app, 'PUT', '/api/admin/workflow-policy', {
      token: b.apiKey,
      body: { mergeRequiresApproval: false, autoApproveMaxRisk: 'medium' },
    });
    const [bx, by] = [await person(b.apiKey), await person(b.apiKey)];
    const inB = await proposeMerge(bx, by, undefined, b.apiKey);
    const pb = await call(t.app, 'GET', `/api/workflow/proposals/${inB.body.proposalId}`, { token: b.apiKey });
    expect(pb.body).toMatchObject({ status: 'review_required', riskLevel: 'high' });
    expect(pb.body.policyDecisions[0].rule).toBe('default_review');
    const early = await act(res.body.proposalId, 'execute');
    expect(early.status).toBe(409);
  });

  it('moves every reference kind to the survivor, takes the chosen fields, leaves a tombstone; undo puts it all back', async () => {
    const f = await richPerson();
    const before = await references(f);
    expect(before.lead).toEqual([f.merged]);
    const mergedContact = (await call(t.app, 'GET', `/api/crm/contacts/${f.merged}`, { token: a.apiKey })).body;
    const survivorBefore = (await call(t.app, 'GET', `/api/crm/contacts/${f.survivor}`, { token: a.apiKey })).body;

    const id = await approvedMerge(f.merged, f.survivor, { fullName: 'source', email: 'target' });
    const exec = await act(id, 'execute');
    expect(exec.status, JSON.stringify(exec.body)).toBe(200);
    expect(exec.body.status).toBe('executed');

    const after = await references(f);
    const s = f.survivor;
    expect(after).toEqual({
      lead: [s],
      memberships: [s],
      sharedMemberships: [`${s}:member`],
      accountPrimary: [s],
      projectPrimary: [s],
      projectContacts: [s],
      opportunity: [s],
      task: [s],
      interaction: [s],
      score: [s],
      outgoing: [s],
      incoming: [s],
      between: [],
      interest: [s],
    });
    const survivor = await call(t.app, 'GET', `/api/crm/contacts/${s}`, { token: a.apiKey });
    expect(survivor.body.fullName).toBe(mergedContact.fullName);
    expect(survivor.body.email).toBe(survivorBefore.email);
    expect(survivor.body.emails.map((e: any) => e.email).sort()).toEqual(
      [survivorBefore.email, mergedContact.email].sort(),
    );

    // The tombstone: 404 naming the survivor, hidden from the list, not referable.
    const tomb = await call(t.app, 'GET', `/api/crm/contacts/${f.merged}`, { token: a.apiKey });
    expect(tomb.status).toBe(404);
    expect(tomb.body).toMatchObject({ code: 'person.merged', mergedIntoId: s });
    const list = await call(t.app, 'GET', '/api/crm/contacts?limit=200', { token: a.apiKey });
    expect(list.body.data.map((p: any) => p.id)).not.toContain(f.merged);
    expect(list.body.data.map((p: any) => p.id)).toContain(s);
    const stored = await asTenant(t, a.tenantId, (ctx) =>
      rows<{ merged_into_id: string; merged_at: Date | null }>(
        ctx.tx,
        sql`select merged_into_id, merged_at from people where id = ${f.merged}`,
      ),
    );
    expect(stored[0].merged_into_id).toBe(s);
    expect(stored[0].merged_at).not.toBeNull();
    const note = await call(t.app, 'POST', '/api/crm/interactions', {
      token: a.apiKey,
      body: { personId: f.merged, channel: 'phone', type: 'call', happenedAt: '2026-03-01T10:00:00.000Z' },
    });
    expect(note.status).toBe(400);

    const replay = await act(id, 'execute');
    expect(replay.status).toBe(200);
    expect(replay.body.executionResult).toEqual(exec.body.executionResult);

    const undo = await act(id, 'undo');
    expect(undo.status, JSON.stringify(undo.body)).toBe(200);
    expect(undo.body.status).toBe('undone');
    expect(await references(f)).toEqual(before);
    const restored = await call(t.app, 'GET', `/api/crm/contacts/${f.merged}`, { token: a.apiKey });
    expect(restored.status).toBe(200);
    expect(restored.body.fullName).toBe(mergedContact.fullName);
    const survivorAfter = await call(t.app, 'GET', `/api/crm/contacts/${s}`, { token: a.apiKey });
    expect(survivorAfter.body).toMatchObject({
      fullName: survivorBefore.fullName,
      email: survivorBefore.email,
      emails: survivorBefore.emails,
    });
    expect((await act(id, 'undo')).status).toBe(409);
    const actions = await asTenant(t, a.tenantId, (ctx) =>
      rows<{ action: string }>(
        ctx.tx,
        sql`select distinct action from audit_events where entity_id in (${f.merged}, ${s}) and action like 'person.%'`,
      ),
    );
    expect(actions.map((r) => r.action)).toEqual(
      expect.arrayContaining([
        'person.merged',
        'person.merge_absorbed',
        'person.references_reassigned',
        'person.leads_reassigned',
        'person.interactions_reassigned',
        'person.unmerged',
        'person.references_restored',
      ]),
    );
  });

  it("takes the merged person's email as the primary one when asked, and undo restores the primary", async () => {
    const x = await person(a.apiKey, { fullName: 'Xena', email: 'xena.merge@example.com', phone: '+353 87 555 0101' });
    const y = await person(a.apiKey, { fullName: 'Yann', email: 'yann.merge@example.com' });
    const id = await approvedMerge(x, y, { email: 'source', phone: 'source', fullName: 'target' });
    expect((await act(id, 'execute')).status).toBe(200);
    const merged = await call(t.app, 'GET', `/api/crm/contacts/${y}`, { token: a.apiKey });
    expect(merged.body).toMatchObject({ fullName: 'Yann', email: 'xena.merge@example.com', phone: '+353875550101' });
    expect(merged.body.emails).toEqual([
      { email: 'xena.merge@example.com', label: null, isPrimary: true },
      { email: 'yann.merge@example.com', label: null, isPrimary: false },
    ]);
    // The tombstone's primary email no longer blocks the survivor's (one person per primary email).
    const other = await call(t.app, 'POST', '/api/crm/contacts', {
      token: a.apiKey,
      body: { fullName: 'Dup', email: 'xena.merge@example.com' },
    });
    expect(other.status).toBe(409);
    expect(other.body.existingPersonId).toBe(y);
    expect((await act(id, 'undo')).status).toBe(200);
    const restored = await call(t.app, 'GET', `/api/crm/contacts/${y}`, { token: a.apiKey });
    expect(restored.body).toMatchObject({ email: 'yann.merge@example.com', phone: null });
    expect(restored.body.emails).toEqual([{ email: 'yann.merge@example.com', label: null, isPrimary: true }]);
    expect(restored.body.phones).toEqual([]);
    const back = await call(t.app, 'GET', `/api/crm/contacts/${x}`, { token: a.apiKey });
    expect(back.body).toMatchObject({ email: 'xena.merge@example.com', phone: '+353875550101' });
  });

  it('refuses undo once the survivor changed after the merge', async () => {
    const [x, y] = [await person(a.apiKey, { fullName: 'Xavier' }), await person(a.apiKey)];
    const id = await approvedMerge(x, y);
    expect((await act(id, 'execute')).status).toBe(200);
    const patched = await call(t.app, 'PATCH', `/api/crm/contacts/${y}`, {
      token: a.apiKey,
      body: { locale: 'en-GB' },
    });
    expect(patched.status).toBe(200);
    const undo = await act(id, 'undo');
    expect(undo.status).toBe(409);
    expect(undo.body.code).toBe('workflow.undo_stale');
    const p = await call(t.app, 'GET', `/api/workflow/proposals/${id}`, { token: a.apiKey });
    expect(p.body.status).toBe('executed');
    expect((await call(t.app, 'GET', `/api/crm/contacts/${x}`, { token: a.apiKey })).status).toBe(404);
  });

  it('refuses with workflow.stale_base when either person changed since the proposal', async () => {
    const [x, y] = [await person(a.apiKey), await person(a.apiKey)];
    const id = await approvedMerge(x, y);
    await call(t.app, 'PATCH', `/api/crm/contacts/${y}`, { token: a.apiKey, body: { locale: 'en-GB' } });
    const exec = await act(id, 'execute');
    expect(exec.status).toBe(409);
    expect(exec.body.code).toBe('workflow.stale_base');
    expect((await call(t.app, 'GET', `/api/crm/contacts/${x}`, { token: a.apiKey })).status).toBe(200);

    // A person already merged away cannot be merged again (nor into).
    const [m, n, o] = [await person(a.apiKey), await person(a.apiKey), await person(a.apiKey)];
    const first = await approvedMerge(m, n);
    const second = await approvedMerge(o, m);
    expect((await act(first, 'execute')).status).toBe(200);
    const again = await act(second, 'execute');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('workflow.stale_base');
    expect((await proposeMerge(m, o)).status).toBe(404);
  });

  it('validates the request and keeps tenants apart', async () => {
    const [x, y] = [await person(a.apiKey), await person(a.apiKey)];
    expect((await proposeMerge(x, x)).status).toBe(400);
    const badField = await proposeMerge(x, y, { shoeSize: 'source' });
    expect(badField.status).toBe(400);
    const bPerson = await person(b.apiKey);
    const foreignPath = await proposeMerge(x, bPerson, undefined, b.apiKey);
    expect(foreignPath.status).toBe(404);
    const foreignBody = await proposeMerge(x, bPerson);
    expect(foreignBody.status).toBe(400);
    expect(foreignBody.body.errors).toEqual([{ path: 'intoPersonId', message: 'no such person' }]);
    const res = await proposeMerge(x, y);
    const id = res.body.proposalId;
    for (const action of ['approve', 'execute', 'undo']) {
      expect((await act(id, action, b.apiKey)).status).toBe(404);
    }
    const p = await call(t.app, 'GET', `/api/workflow/proposals/${id}`, { token: a.apiKey });
    expect(p.body.status).toBe('review_required');
    const count = await asTenant(t, b.tenantId, (ctx) =>
      rows<{ n: number }>(
        ctx.tx,
        sql`select count(*)::int as n from workflow_proposals where target_entity_ref in (${x}, ${y})`,
      ),
    );
    expect(count[0].n).toBe(0);
  });
});
