import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { inTenant } from '../../platform/auth.ts';
import { parseIfMatch, setEtag } from '../../platform/http.ts';
import { problems, uuidParam } from '../../platform/http-schemas.ts';
import { pageOf } from '../../platform/pagination.ts';
import { followUp, followUpListQuery, patchFollowUpBody } from './contracts.ts';
import * as service from './service.ts';

export async function followUpRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['follow-ups'];

  app.get(
    '/api/follow-ups',
    {
      schema: { tags, querystring: followUpListQuery, response: { 200: pageOf(followUp), ...problems() } },
      config: { auth: 'followups:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listFollowUps(ctx, req.query)),
  );

  app.get(
    '/api/follow-ups/:id',
    {
      schema: { tags, params: uuidParam, response: { 200: followUp, ...problems() } },
      config: { auth: 'followups:read' },
    },
    async (req, reply) => {
      const f = service.toView(await inTenant(req, (ctx) => service.getFollowUp(ctx, req.params.id)));
      setEtag(reply, f.version);
      return f;
    },
  );

  app.patch(
    '/api/follow-ups/:id',
    {
      schema: { tags, params: uuidParam, body: patchFollowUpBody, response: { 200: followUp, ...problems(409, 412) } },
      config: { auth: 'followups:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const f = await inTenant(req, (ctx) => service.recordOutcome(ctx, req.params.id, ifMatch, req.body));
      setEtag(reply, f.version);
      return f;
    },
  );
}
