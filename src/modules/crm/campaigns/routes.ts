import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { inTenant } from '../../../platform/auth.ts';
import { parseIfMatch, setEtag } from '../../../platform/http.ts';
import { problems, uuidParam } from '../../../platform/http-schemas.ts';
import { pageOf } from '../../../platform/pagination.ts';
import { assignCampaignLeads } from '../../../workflows/campaign-assignment.ts';
import {
  assignLeadsBody,
  assignLeadsResult,
  campaign,
  campaignBody,
  campaignListQuery,
  campaignPatchBody,
} from './contracts.ts';
import * as service from './service.ts';

/** Campaigns: members with weights, and leads assigned to members by the campaign's strategy. */
export async function campaignRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['crm'];

  app.get(
    '/api/crm/campaigns',
    {
      schema: { tags, querystring: campaignListQuery, response: { 200: pageOf(campaign), ...problems() } },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listCampaigns(ctx, req.query)),
  );

  app.post(
    '/api/crm/campaigns',
    {
      schema: { tags, body: campaignBody, response: { 201: campaign, ...problems(409, 422) } },
      config: { auth: 'campaigns:write' },
    },
    async (req, reply) => {
      const created = await inTenant(req, (ctx) => service.createCampaign(ctx, req.body));
      setEtag(reply, created.version);
      return reply.code(201).header('location', `/api/crm/campaigns/${created.id}`).send(created);
    },
  );

  app.get(
    '/api/crm/campaigns/:id',
    { schema: { tags, params: uuidParam, response: { 200: campaign, ...problems() } }, config: { auth: 'crm:read' } },
    async (req, reply) => {
      const found = await inTenant(req, (ctx) => service.getCampaign(ctx, req.params.id));
      setEtag(reply, found.version);
      return found;
    },
  );

  app.patch(
    '/api/crm/campaigns/:id',
    {
      schema: { tags, params: uuidParam, body: campaignPatchBody, response: { 200: campaign, ...problems(409, 412) } },
      config: { auth: 'campaigns:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const updated = await inTenant(req, (ctx) => service.updateCampaign(ctx, req.params.id, ifMatch, req.body));
      setEtag(reply, updated.version);
      return updated;
    },
  );

  app.post(
    '/api/crm/campaigns/:id/leads',
    {
      schema: {
        tags,
        summary: "Leads enter the campaign: each is assigned to a member by the campaign's strategy",
        params: uuidParam,
        body: assignLeadsBody,
        response: { 200: assignLeadsResult, ...problems(409, 412, 422) },
      },
      config: { auth: 'campaigns:write' },
    },
    async (req) => inTenant(req, (ctx) => assignCampaignLeads(ctx, req.params.id, req.body)),
  );
}
