import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { inTenant } from '../../platform/auth.ts';
import { setEtag } from '../../platform/http.ts';
import { problems, uuidParam } from '../../platform/http-schemas.ts';
import { pageOf } from '../../platform/pagination.ts';
import { operatorInbox } from '../../workflows/operator-inbox.ts';
import { proposePersonMerge } from '../../workflows/person-merge.ts';
import { executeProposal, proposeChange, undoProposal } from '../../workflows/proposal-execution.ts';
import {
  agentRun,
  agentRunCreateBody,
  agentRunDetail,
  agentRunListQuery,
  decisionBody,
  emptyBody,
  inboxItem,
  inboxQuery,
  mergeAccepted,
  mergeBody,
  policy,
  policyBody,
  proposal,
  proposalCreateBody,
  proposalDetail,
  proposalListQuery,
} from './contracts.ts';
import * as service from './service.ts';

/** Governed changes: proposals and their lifecycle, the approval policy, agent runs; person merge and the inbox. */
export async function workflowRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['workflow'];

  app.get(
    '/api/workflow/proposals',
    {
      schema: {
        tags,
        summary: 'Writeback proposals, newest first',
        querystring: proposalListQuery,
        response: { 200: pageOf(proposal), ...problems() },
      },
      config: { auth: 'workflow:propose' },
    },
    async (req) => inTenant(req, (ctx) => service.listProposals(ctx, req.query)),
  );

  app.post(
    '/api/workflow/proposals',
    {
      schema: {
        tags,
        summary: 'Propose a change; the tenant policy decides whether it needs approval (the decision is stored)',
        body: proposalCreateBody,
        response: { 201: proposal, ...problems(409) },
      },
      config: { auth: 'workflow:propose' },
    },
    async (req, reply) => {
      const p = await inTenant(req, (ctx) => proposeChange(ctx, req.body));
      return reply.code(201).header('location', `/api/workflow/proposals/${p.id}`).send(p);
    },
  );

  app.get(
    '/api/workflow/proposals/:id',
    {
      schema: {
        tags,
        summary: 'A proposal with its approvals and policy decisions',
        params: uuidParam,
        response: { 200: proposalDetail, ...problems() },
      },
      config: { auth: 'workflow:propose' },
    },
    async (req, reply) => {
      const p = await inTenant(req, (ctx) => service.getProposal(ctx, req.params.id));
      setEtag(reply, p.version);
      return p;
    },
  );

  const actions = [
    {
      action: 'submit',
      auth: 'workflow:propose',
      summary: 'Submit a draft to the policy',
      run: service.submitProposal,
    },
    {
      action: 'approve',
      auth: 'workflow:approve',
      summary: 'Approve (review_required → approved); 409 workflow.four_eyes for your own proposal when required',
      run: service.approveProposal,
    },
    {
      action: 'reject',
      auth: 'workflow:approve',
      summary: 'Reject an unresolved proposal',
      run: service.rejectProposal,
    },
  ] as const;
  for (const a of actions) {
    app.post(
      `/api/workflow/proposals/:id/${a.action}`,
      {
        schema: {
          tags,
          summary: a.summary,
          params: uuidParam,
          body: decisionBody,
          response: { 200: proposal, ...problems(409) },
        },
        config: { auth: a.auth },
      },
      async (req) => inTenant(req, (ctx) => a.run(ctx, req.params.id, req.body?.reason)),
    );
  }

  app.post(
    '/api/workflow/proposals/:id/execute',
    {
      schema: {
        tags,
        summary:
          'Apply an approved proposal through the owning module; again returns the first result; 409 workflow.stale_base when the target changed',
        params: uuidParam,
        body: emptyBody,
        response: { 200: proposalDetail, ...problems(409) },
      },
      config: { auth: 'workflow:approve' },
    },
    async (req) => inTenant(req, (ctx) => executeProposal(ctx, req.params.id)),
  );

  app.post(
    '/api/workflow/proposals/:id/undo',
    {
      schema: {
        tags,
        summary: 'Undo an executed merge while nothing changed since (409 workflow.undo_stale otherwise)',
        params: uuidParam,
        body: emptyBody,
        response: { 200: proposalDetail, ...problems(409) },
      },
      config: { auth: 'workflow:approve' },
    },
    async (req) => inTenant(req, (ctx) => undoProposal(ctx, req.params.id)),
  );

  app.get(
    '/api/admin/workflow-policy',
    {
      schema: { tags, summary: "The tenant's approval policy", response: { 200: policy, ...problems() } },
      config: { auth: 'workflow:propose' },
    },
    async (req) => inTenant(req, (ctx) => service.getPolicy(ctx)),
  );

  app.put(
    '/api/admin/workflow-policy',
    {
      schema: {
        tags,
        summary: "Replace the tenant's approval policy (absent settings take the defaults)",
        body: policyBody,
        response: { 200: policy, ...problems() },
      },
      config: { auth: 'settings:write' },
    },
    async (req) => inTenant(req, (ctx) => service.updatePolicy(ctx, req.body)),
  );

  app.get(
    '/api/workflow/agent-runs',
    {
      schema: {
        tags,
        summary: 'Automated runs, newest first',
        querystring: agentRunListQuery,
        response: { 200: pageOf(agentRun), ...problems() },
      },
      config: { auth: 'workflow:propose' },
    },
    async (req) => inTenant(req, (ctx) => service.listAgentRuns(ctx, req.query)),
  );

  app.post(
    '/api/workflow/agent-runs',
    {
      schema: {
        tags,
        summary: 'Record an automated run (agent, model, input, output, status, timing)',
        body: agentRunCreateBody,
        response: { 201: agentRun, ...problems() },
      },
      config: { auth: 'workflow:propose' },
    },
    async (req, reply) => {
      const run = await inTenant(req, (ctx) => service.recordAgentRun(ctx, req.body));
      return reply.code(201).header('location', `/api/workflow/agent-runs/${run.id}`).send(run);
    },
  );

  app.get(
    '/api/workflow/agent-runs/:id',
    {
      schema: {
        tags,
        summary: 'An automated run and the proposals it produced',
        params: uuidParam,
        response: { 200: agentRunDetail, ...problems() },
      },
      config: { auth: 'workflow:propose' },
    },
    async (req) => inTenant(req, (ctx) => service.getAgentRun(ctx, req.params.id)),
  );

  app.post(
    '/api/crm/contacts/:id/merge',
    {
      schema: {
        tags: ['crm', ...tags],
        summary: 'Propose merging this person into another (a high-risk proposal that always needs approval)',
        description:
          'Executing the proposal moves every reference (leads, account memberships, opportunities, project contacts, ' +
          'tasks, interactions, relationships, property interests) to the survivor, which takes the fields marked ' +
          '`source`. The merged person stays as a tombstone: hidden from lists and not referable, and ' +
          '`GET /api/crm/contacts/{id}` answers 404 `person.merged` with `mergedIntoId`. ' +
          '`POST /api/workflow/proposals/{id}/undo` reverts it while neither person changed since.',
        params: uuidParam,
        body: mergeBody,
        response: { 202: mergeAccepted, ...problems(409) },
      },
      config: { auth: 'workflow:propose' },
    },
    async (req, reply) => {
      const res = await inTenant(req, (ctx) => proposePersonMerge(ctx, req.params.id, req.body));
      return reply.code(202).header('location', `/api/workflow/proposals/${res.proposalId}`).send(res);
    },
  );

  app.get(
    '/api/crm/inbox',
    {
      schema: {
        tags: ['crm', ...tags],
        summary: "Unresolved proposals, high-risk merges and the caller's due reminders, newest first",
        querystring: inboxQuery,
        response: { 200: pageOf(inboxItem), ...problems() },
      },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => operatorInbox(ctx, req.query)),
  );
}
