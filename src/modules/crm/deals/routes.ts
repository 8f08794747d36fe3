import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { inTenant } from '../../../platform/auth.ts';
import { parseIfMatch, setEtag } from '../../../platform/http.ts';
import { problems, uuidParam } from '../../../platform/http-schemas.ts';
import { listQuery, pageOf } from '../../../platform/pagination.ts';
import {
  opportunity,
  opportunityBody,
  opportunityListQuery,
  opportunityPatchBody,
  pipeline,
  pipelineBody,
  pipelineListQuery,
  pipelinePatchBody,
  project,
  projectBody,
  projectContact,
  projectContactBody,
  projectListQuery,
  projectPatchBody,
  stageChangeBody,
  stageEvent,
} from './contracts.ts';
import * as service from './service.ts';

/** Pipelines and their stages, opportunities, projects, project contacts and stage history. */
export async function dealRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['crm'];

  // ---------- pipelines ----------

  app.get(
    '/api/crm/pipelines',
    {
      schema: { tags, querystring: pipelineListQuery, response: { 200: pageOf(pipeline), ...problems() } },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listPipelines(ctx, req.query)),
  );

  app.post(
    '/api/crm/pipelines',
    {
      schema: { tags, body: pipelineBody, response: { 201: pipeline, ...problems(409, 422) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const created = await inTenant(req, (ctx) => service.createPipeline(ctx, req.body));
      setEtag(reply, created.version);
      return reply.code(201).header('location', `/api/crm/pipelines/${created.id}`).send(created);
    },
  );

  app.get(
    '/api/crm/pipelines/:id',
    { schema: { tags, params: uuidParam, response: { 200: pipeline, ...problems() } }, config: { auth: 'crm:read' } },
    async (req, reply) => {
      const found = await inTenant(req, (ctx) => service.getPipeline(ctx, req.params.id));
      setEtag(reply, found.version);
      return found;
    },
  );

  app.patch(
    '/api/crm/pipelines/:id',
    {
      schema: {
        tags,
        summary: 'Rename, make default, or edit stages; removing a stage in use needs targetStage',
        params: uuidParam,
        body: pipelinePatchBody,
        response: { 200: pipeline, ...problems(409, 412) },
      },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const updated = await inTenant(req, (ctx) => service.updatePipeline(ctx, req.params.id, ifMatch, req.body));
      setEtag(reply, updated.version);
      return updated;
    },
  );

  // ---------- opportunities ----------

  app.get(
    '/api/crm/opportunities',
    {
      schema: { tags, querystring: opportunityListQuery, response: { 200: pageOf(opportunity), ...problems() } },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listOpportunities(ctx, req.query)),
  );

  app.post(
    '/api/crm/opportunities',
    {
      schema: { tags, body: opportunityBody, response: { 201: opportunity, ...problems(409, 422) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const created = await inTenant(req, (ctx) => service.createOpportunity(ctx, req.body));
      setEtag(reply, created.version);
      return reply.code(201).header('location', `/api/crm/opportunities/${created.id}`).send(created);
    },
  );

  app.get(
    '/api/crm/opportunities/:id',
    {
      schema: { tags, params: uuidParam, response: { 200: opportunity, ...problems() } },
      config: { auth: 'crm:read' },
    },
    async (req, reply) => {
      const found = await inTenant(req, (ctx) => service.getOpportunity(ctx, req.params.id));
      setEtag(reply, found.version);
      return found;
    },
  );

  app.patch(
    '/api/crm/opportunities/:id',
    {
      schema: {
        tags,
        params: uuidParam,
        body: opportunityPatchBody,
        response: { 200: opportunity, ...problems(409, 412) },
      },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const updated = await inTenant(req, (ctx) => service.updateOpportunity(ctx, req.params.id, ifMatch, req.body));
      setEtag(reply, updated.version);
      return updated;
    },
  );

  // ---------- projects ----------

  app.get(
    '/api/crm/projects',
    {
      schema: { tags, querystring: projectListQuery, response: { 200: pageOf(project), ...problems() } },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listProjects(ctx, req.query)),
  );

  app.post(
    '/api/crm/projects',
    {
      schema: { tags, body: projectBody, response: { 201: project, ...problems(409, 422) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const created = await inTenant(req, (ctx) => service.createProject(ctx, req.body));
      setEtag(reply, created.version);
      return reply.code(201).header('location', `/api/crm/projects/${created.id}`).send(created);
    },
  );

  app.get(
    '/api/crm/projects/:id',
    { schema: { tags, params: uuidParam, response: { 200: project, ...problems() } }, config: { auth: 'crm:read' } },
    async (req, reply) => {
      const found = await inTenant(req, (ctx) => service.getProject(ctx, req.params.id));
      setEtag(reply, found.version);
      return found;
    },
  );

  app.patch(
    '/api/crm/projects/:id',
    {
      schema: { tags, params: uuidParam, body: projectPatchBody, response: { 200: project, ...problems(409, 412) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const updated = await inTenant(req, (ctx) => service.updateProject(ctx, req.params.id, ifMatch, req.body));
      setEtag(reply, updated.version);
      return updated;
    },
  );

  app.post(
    '/api/crm/projects/:id/contacts',
    {
      schema: {
        tags,
        params: uuidParam,
        body: projectContactBody,
        response: { 201: projectContact, ...problems(409, 422) },
      },
      config: { auth: 'crm:write' },
    },
    async (req, reply) =>
      reply.code(201).send(await inTenant(req, (ctx) => service.addProjectContact(ctx, req.params.id, req.body))),
  );

  app.get(
    '/api/crm/projects/:id/contacts',
    {
      schema: {
        tags,
        params: uuidParam,
        querystring: listQuery,
        response: { 200: pageOf(projectContact), ...problems() },
      },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listProjectContacts(ctx, req.params.id, req.query)),
  );

  // ---------- stage changes and history (opportunities and projects alike) ----------

  for (const [path, kind, view] of [
    ['opportunities', 'opportunity', opportunity],
    ['projects', 'project', project],
  ] as const) {
    app.post(
      `/api/crm/${path}/:id/stage`,
      {
        schema: {
          tags,
          summary: `Move the ${kind} to another stage of its pipeline (history row and ${kind}.stage_changed event)`,
          params: uuidParam,
          body: stageChangeBody,
          response: { 200: view, ...problems(409, 412) },
        },
        config: { auth: 'crm:write' },
      },
      async (req, reply) => {
        const ifMatch = parseIfMatch(req);
        const updated = await inTenant(req, (ctx) => service.changeStage(ctx, kind, req.params.id, req.body, ifMatch));
        setEtag(reply, updated.version);
        return updated;
      },
    );

    app.get(
      `/api/crm/${path}/:id/stage-history`,
      {
        schema: {
          tags,
          summary: `Stage changes of the ${kind}, oldest first`,
          params: uuidParam,
          querystring: listQuery,
          response: { 200: pageOf(stageEvent), ...problems() },
        },
        config: { auth: 'crm:read' },
      },
      async (req) => inTenant(req, (ctx) => service.listStageHistory(ctx, kind, req.params.id, req.query)),
    );
  }
}
