import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inTenant } from '../../platform/auth.ts';
import { parseIfMatch, setEtag } from '../../platform/http.ts';
import { problem, problems, uuidParam } from '../../platform/http-schemas.ts';
import { pageOf } from '../../platform/pagination.ts';
import { checkServiceability } from '../../workflows/serviceability.ts';
import {
  createRegionBody,
  patchRegionBody,
  postcodesResponse,
  publicServiceability,
  putPostcodesBody,
  region,
  regionListQuery,
  serviceabilityQuery,
} from './contracts.ts';
import * as service from './service.ts';

export async function regionRoutes(root: FastifyInstance, opts: { publicRateLimit: number }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['regions'];

  app.get(
    '/api/regions',
    {
      schema: { tags, querystring: regionListQuery, response: { 200: pageOf(region), ...problems() } },
      config: { auth: 'regions:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listRegions(ctx, req.query)),
  );

  app.post(
    '/api/regions',
    {
      schema: { tags, body: createRegionBody, response: { 201: region, ...problems(409) } },
      config: { auth: 'regions:write' },
    },
    async (req, reply) => {
      const r = await inTenant(req, (ctx) => service.createRegion(ctx, req.body));
      setEtag(reply, r.version);
      return reply.code(201).send(r);
    },
  );

  app.get(
    '/api/regions/:id',
    { schema: { tags, params: uuidParam, response: { 200: region, ...problems() } }, config: { auth: 'regions:read' } },
    async (req, reply) => {
      const r = service.toView(await inTenant(req, (ctx) => service.getRegion(ctx, req.params.id)));
      setEtag(reply, r.version);
      return r;
    },
  );

  app.patch(
    '/api/regions/:id',
    {
      schema: { tags, params: uuidParam, body: patchRegionBody, response: { 200: region, ...problems(412) } },
      config: { auth: 'regions:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const r = await inTenant(req, (ctx) => service.patchRegion(ctx, req.params.id, ifMatch, req.body));
      setEtag(reply, r.version);
      return r;
    },
  );

  app.get(
    '/api/regions/:id/postcodes',
    {
      schema: {
        tags,
        params: uuidParam,
        response: {
          200: z.object({ data: z.array(z.object({ country: z.string(), pattern: z.string() })) }),
          ...problems(),
        },
      },
      config: { auth: 'regions:read' },
    },
    async (req) => ({ data: await inTenant(req, (ctx) => service.listPostcodes(ctx, req.params.id)) }),
  );

  app.put(
    '/api/regions/:id/postcodes',
    {
      schema: {
        tags,
        params: uuidParam,
        body: putPostcodesBody,
        response: { 200: postcodesResponse, ...problems(409) },
      },
      config: { auth: 'regions:write' },
    },
    async (req) => inTenant(req, (ctx) => service.replacePostcodes(ctx, req.params.id, req.body)),
  );

  app.get(
    '/api/serviceability',
    {
      schema: {
        tags,
        querystring: serviceabilityQuery,
        response: {
          200: z.object({
            serviceable: z.boolean(),
            region: z
              .object({ id: z.uuid(), code: z.string(), name: z.string(), matchedPattern: z.string() })
              .nullable(),
            installers: z.array(
              z.object({
                id: z.uuid(),
                name: z.string(),
                services: z.array(z.string()),
                priority: z.number().int(),
                qualityScore: z.number(),
              }),
            ),
          }),
          ...problems(),
        },
      },
      config: { auth: 'regions:read' },
    },
    async (req) => inTenant(req, (ctx) => checkServiceability(ctx, req.query)),
  );

  app.get(
    '/api/public/:tenantSlug/serviceability',
    {
      schema: {
        tags: ['public'],
        params: z.object({ tenantSlug: z.string().max(100) }),
        querystring: serviceabilityQuery,
        response: { 200: publicServiceability, 400: problem, 404: problem, 429: problem },
      },
      config: {
        auth: { public: 'slug' },
        ...(opts.publicRateLimit > 0 ? { rateLimit: { max: opts.publicRateLimit, timeWindow: '1 minute' } } : {}),
      },
    },
    async (req) => {
      const r = await inTenant(req, (ctx) => checkServiceability(ctx, req.query));
      // The public answer names the region only: which installers exist is not public.
      return { serviceable: r.serviceable, region: r.region ? { code: r.region.code, name: r.region.name } : null };
    },
  );
}
