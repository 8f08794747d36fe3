import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inTenant } from '../../platform/auth.ts';
import { problems, uuidParam } from '../../platform/http-schemas.ts';
import { pageOf } from '../../platform/pagination.ts';
import { actOnAssignment } from '../../workflows/assignment-lifecycle.ts';
import { assignmentDossier } from '../../workflows/lead-dossier.ts';
import { noCandidates, previewRouting, routeLead } from '../../workflows/lead-routing.ts';
import { getLead } from '../leads/index.ts';
import {
  actionBody,
  actionParams,
  assignment,
  assignmentDetail,
  assignmentListQuery,
  decision,
  routeBody,
  routePreviewResponse,
  routeResponse,
} from './contracts.ts';
import * as service from './service.ts';

export async function routingRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['routing'];

  app.post(
    '/api/leads/:id/route',
    {
      schema: {
        tags,
        params: uuidParam,
        body: routeBody.optional(),
        response: { 201: routeResponse, ...problems(409) },
      },
      config: { auth: 'routing:decide' },
    },
    async (req, reply) => {
      const result = await inTenant(req, (ctx) => routeLead(ctx, req.params.id, req.body ?? {}));
      // The decision is committed either way; without an installer the answer is a 409.
      if (result.assignments.length === 0) throw noCandidates(result.decision);
      return reply.code(201).send(result);
    },
  );

  app.post(
    '/api/leads/:id/route/preview',
    {
      schema: {
        tags,
        summary:
          'Dry run of the route: who would be picked and why (every candidate with its score or drop reason); writes nothing',
        params: uuidParam,
        body: routeBody.optional(),
        response: { 200: routePreviewResponse, ...problems(409) },
      },
      config: { auth: 'routing:decide' },
    },
    async (req) => ({ preview: await inTenant(req, (ctx) => previewRouting(ctx, req.params.id, req.body ?? {})) }),
  );

  app.get(
    '/api/leads/:id/routing',
    {
      schema: { tags, params: uuidParam, response: { 200: z.object({ data: z.array(decision) }), ...problems() } },
      config: { auth: 'leads:read' },
    },
    async (req) =>
      inTenant(req, async (ctx) => {
        await getLead(ctx, req.params.id);
        return { data: await service.listDecisions(ctx, req.params.id) };
      }),
  );

  app.get(
    '/api/assignments',
    {
      schema: { tags, querystring: assignmentListQuery, response: { 200: pageOf(assignment), ...problems() } },
      config: { auth: 'assignments:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listAssignments(ctx, req.query)),
  );

  app.get(
    '/api/assignments/:id',
    {
      schema: { tags, params: uuidParam, response: { 200: assignmentDetail, ...problems() } },
      config: { auth: 'assignments:read' },
    },
    async (req) => inTenant(req, (ctx) => assignmentDossier(ctx, req.params.id)),
  );

  app.post(
    '/api/assignments/:id/:action',
    {
      schema: { tags, params: actionParams, body: actionBody, response: { 200: assignment, ...problems(409, 412) } },
      config: { auth: 'assignments:write' },
    },
    async (req) => inTenant(req, (ctx) => actOnAssignment(ctx, req.params.id, req.params.action, req.body ?? {})),
  );
}
