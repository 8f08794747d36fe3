import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { inTenant } from '../../platform/auth.ts';
import { problems, uuidParam } from '../../platform/http-schemas.ts';
import { pageOf } from '../../platform/pagination.ts';
import {
  createInteractionBody,
  interaction,
  interactionListQuery,
  personIdParam,
  qd,
  qdQuery,
  scoreObservation,
  scoreObservationBody,
} from './contracts.ts';
import * as service from './service.ts';

export async function interactionRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['crm', 'interactions'];

  app.get(
    '/api/crm/interactions',
    {
      schema: {
        tags,
        summary: "A person's timeline, newest first",
        querystring: interactionListQuery,
        response: { 200: pageOf(interaction), ...problems() },
      },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listInteractions(ctx, req.query)),
  );

  app.post(
    '/api/crm/interactions',
    {
      schema: { tags, body: createInteractionBody, response: { 201: interaction, ...problems(409, 422) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const created = await inTenant(req, (ctx) => service.recordInteraction(ctx, req.body));
      return reply.code(201).header('location', `/api/crm/interactions/${created.id}`).send(created);
    },
  );

  app.get(
    '/api/crm/interactions/:id',
    {
      schema: { tags, params: uuidParam, response: { 200: interaction, ...problems() } },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.getInteraction(ctx, req.params.id)),
  );

  app.get(
    '/api/crm/qd/:personId',
    {
      schema: {
        tags,
        summary: "The person's current scores and their time series",
        params: personIdParam,
        querystring: qdQuery,
        response: { 200: qd, ...problems() },
      },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.getQd(ctx, req.params.personId, req.query)),
  );

  app.post(
    '/api/crm/qd/:personId',
    {
      schema: {
        tags,
        summary: 'Record a score observation (appended to the series; the latest becomes current)',
        params: personIdParam,
        body: scoreObservationBody,
        response: { 201: scoreObservation, ...problems(409, 422) },
      },
      config: { auth: 'crm:write' },
    },
    async (req, reply) =>
      reply.code(201).send(await inTenant(req, (ctx) => service.recordScore(ctx, req.params.personId, req.body))),
  );
}
