import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inTenant } from '../../platform/auth.ts';
import { publicActor } from '../../platform/context.ts';
import { forbidden, methodNotAllowed } from '../../platform/errors.ts';
import { parseIfMatch, setEtag } from '../../platform/http.ts';
import { problem, problems, uuidParam } from '../../platform/http-schemas.ts';
import { listQuery, pageOf } from '../../platform/pagination.ts';
import { routeAfterIntake, submitLead } from '../../workflows/intake.ts';
import { assignLead, patchLead } from '../../workflows/lead-assignment.ts';
import { convertLead } from '../../workflows/lead-conversion.ts';
import { leadDossier, leadDossierSchema } from '../../workflows/lead-dossier.ts';
import { eraseLead } from '../../workflows/lead-erasure.ts';
import { getTenantSettings, type TenantSettings } from '../identity/index.ts';
import {
  assignBody,
  conversionResult,
  intakeBody,
  intakeReceipt,
  leadDetail,
  leadListItem,
  leadListQuery,
  leadPatchBody,
  questionSet,
  questionSetBody,
  staffLeadBody,
  statusEvent,
  submission,
  transitionBody,
  waitlistBody,
} from './contracts.ts';
import * as service from './service.ts';

export interface LeadRouteOptions {
  /** Public requests per minute per client address; 0 turns the limit off (load tests). */
  publicRateLimit: number;
  /** Settings of a public tenant, cached by the app (see app.ts). */
  tenantSettings(tenantId: string): Promise<TenantSettings>;
  /** Question sets of a public tenant, cached by the app. */
  questionSets: ((tenantId: string) => Promise<service.QuestionSetCatalog>) & { invalidate(tenantId: string): void };
}

const meta = (req: FastifyRequest, channel: 'public' | 'staff') => ({
  channel,
  clientIp: req.ip ?? null,
  userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 500) : null,
});

export async function leadRoutes(root: FastifyInstance, opts: LeadRouteOptions) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['leads'];
  const publicLimit =
    opts.publicRateLimit > 0 ? { rateLimit: { max: opts.publicRateLimit, timeWindow: '1 minute' } } : {};

  // ---------- public ----------

  app.post(
    '/api/public/:tenantSlug/leads',
    {
      schema: {
        tags: ['public'],
        summary: 'Homeowner enquiry: becomes exactly one lead in the tenant',
        params: z.object({ tenantSlug: z.string().max(100) }),
        body: intakeBody,
        response: {
          201: intakeReceipt,
          400: problem,
          404: problem,
          409: problem,
          413: problem,
          422: problem,
          429: problem,
        },
      },
      config: { auth: { public: 'slug' }, ...publicLimit },
    },
    async (req, reply) => {
      const tenant = req.publicTenant!;
      const settings = await opts.tenantSettings(tenant.id);
      const intake = {
        tenantId: tenant.id,
        actor: publicActor(),
        requestId: String(req.id),
        input: req.body,
        meta: meta(req, 'public'),
        settings,
        questionSets: req.body.assessment ? await opts.questionSets(tenant.id) : undefined,
      };
      const result = await submitLead(req.server.db, intake);
      await routeAfterIntake(req.server.db, intake, result, req.log);
      return reply.code(201).send({ reference: result.reference, status: 'received' as const });
    },
  );

  app.post(
    '/api/public/waitlist',
    {
      schema: {
        tags: ['public'],
        summary: 'Prospective tenants: stored as leads with source waitlist in the platform tenant',
        body: waitlistBody,
        response: {
          201: intakeReceipt,
          400: problem,
          404: problem,
          409: problem,
          413: problem,
          422: problem,
          429: problem,
        },
      },
      config: { auth: { public: 'platform' }, ...publicLimit },
    },
    async (req, reply) => {
      const tenant = req.publicTenant!;
      const b = req.body;
      const result = await submitLead(req.server.db, {
        tenantId: tenant.id,
        actor: publicActor(),
        requestId: String(req.id),
        input: {
          contact: { name: b.name, email: b.email, phone: b.phone, organization: b.company },
          source: 'waitlist',
          selectedPath: 'undecided',
          consent: b.consent,
          ...(b.message ? { sourceDetail: b.message.slice(0, 200) } : {}),
        },
        meta: meta(req, 'public'),
        settings: await opts.tenantSettings(tenant.id),
      });
      return reply.code(201).send({ reference: result.reference, status: 'received' as const });
    },
  );

  // ---------- staff ----------

  app.get(
    '/api/leads',
    {
      schema: { tags, querystring: leadListQuery, response: { 200: pageOf(leadListItem), ...problems() } },
      config: { auth: 'leads:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listLeads(ctx, req.query)),
  );

  app.post(
    '/api/leads',
    {
      schema: { tags, body: staffLeadBody, response: { 201: leadDetail, ...problems(409, 422) } },
      config: { auth: 'leads:write' },
    },
    async (req, reply) => {
      const { assignedUserId, note, ...input } = req.body;
      const p = req.principal!;
      // Choosing the owner is an assignment, whether at creation or later (PATCH, /assign).
      if (assignedUserId !== undefined && !p.actor.capabilities.has('leads:assign')) throw forbidden('leads:assign');
      const result = await submitLead(req.server.db, {
        tenantId: p.tenantId,
        actor: p.actor,
        requestId: String(req.id),
        input,
        meta: meta(req, 'staff'),
        staff: { assignedUserId: assignedUserId ?? null, note: note ?? null },
      });
      const lead = await inTenant(req, (ctx) => service.getLeadDetail(ctx, result.leadId));
      setEtag(reply, lead.version);
      return reply.code(201).header('location', `/api/leads/${lead.id}`).send(lead);
    },
  );

  app.get(
    '/api/leads/:id',
    {
      schema: { tags, params: uuidParam, response: { 200: leadDossierSchema, ...problems() } },
      config: { auth: 'leads:read' },
    },
    async (req, reply) => {
      const lead = await inTenant(req, (ctx) => leadDossier(ctx, req.params.id));
      setEtag(reply, lead.version);
      return lead;
    },
  );

  app.patch(
    '/api/leads/:id',
    {
      schema: { tags, params: uuidParam, body: leadPatchBody, response: { 200: leadDetail, ...problems(409, 412) } },
      config: { auth: 'leads:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      if (req.body.assignedUserId !== undefined && !req.principal!.actor.capabilities.has('leads:assign')) {
        throw forbidden('leads:assign');
      }
      const lead = await inTenant(req, async (ctx) =>
        patchLead(ctx, req.params.id, ifMatch, req.body, {
          defaultCountry: (await getTenantSettings(ctx)).defaultCountry,
        }),
      );
      setEtag(reply, lead.version);
      return lead;
    },
  );

  app.delete(
    '/api/leads/:id',
    { schema: { tags, params: uuidParam, response: { 405: problem, ...problems() } }, config: { auth: 'leads:read' } },
    async (req) => {
      // Another tenant's lead, or one outside the caller's scope, is a 404 like any other id.
      await inTenant(req, (ctx) => service.getLead(ctx, req.params.id));
      throw methodNotAllowed(
        'lead.not_deletable',
        'Leads are never deleted: mark them lost or disqualified, or erase personal data.',
      );
    },
  );

  app.post(
    '/api/leads/:id/assign',
    {
      schema: { tags, params: uuidParam, body: assignBody, response: { 200: leadDetail, ...problems(409, 412) } },
      config: { auth: 'leads:assign' },
    },
    async (req, reply) => {
      const lead = await inTenant(req, (ctx) => assignLead(ctx, req.params.id, req.body.userId));
      setEtag(reply, lead.version);
      return lead;
    },
  );

  app.post(
    '/api/leads/:id/transitions',
    {
      schema: { tags, params: uuidParam, body: transitionBody, response: { 200: leadDetail, ...problems(409, 412) } },
      config: { auth: 'leads:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const lead = await inTenant(req, (ctx) =>
        service.transitionLead(ctx, req.params.id, req.body.to, req.body.reason, ifMatch),
      );
      setEtag(reply, lead.version);
      return lead;
    },
  );

  app.get(
    '/api/leads/:id/events',
    {
      schema: {
        tags,
        params: uuidParam,
        querystring: listQuery,
        response: { 200: pageOf(statusEvent), ...problems() },
      },
      config: { auth: 'leads:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listStatusEvents(ctx, req.params.id, req.query)),
  );

  app.get(
    '/api/leads/:id/submissions',
    {
      schema: { tags, params: uuidParam, querystring: listQuery, response: { 200: pageOf(submission), ...problems() } },
      config: { auth: 'leads:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listSubmissions(ctx, req.params.id, req.query)),
  );

  app.post(
    '/api/leads/:id/convert',
    {
      schema: { tags, params: uuidParam, response: { 201: conversionResult, ...problems(409) } },
      config: { auth: 'leads:convert' },
    },
    async (req, reply) => reply.code(201).send(await inTenant(req, (ctx) => convertLead(ctx, req.params.id))),
  );

  app.post(
    '/api/leads/:id/erase',
    {
      schema: { tags, params: uuidParam, response: { 200: leadDetail, ...problems() } },
      config: { auth: 'privacy:erase' },
    },
    async (req) => inTenant(req, (ctx) => eraseLead(ctx, req.params.id)),
  );

  // ---------- assessment question sets ----------

  app.get(
    '/api/admin/question-sets',
    {
      schema: { tags, response: { 200: z.object({ data: z.array(questionSet) }), ...problems() } },
      config: { auth: 'leads:read' },
    },
    async (req) => ({ data: await inTenant(req, (ctx) => service.listQuestionSets(ctx)) }),
  );

  app.post(
    '/api/admin/question-sets',
    {
      schema: { tags, body: questionSetBody, response: { 201: questionSet, ...problems(409) } },
      config: { auth: 'settings:write' },
    },
    async (req, reply) => {
      const created = await inTenant(req, (ctx) => service.createQuestionSet(ctx, req.body));
      // This process sees the new version at once; other processes within the cache's 10 s.
      opts.questionSets.invalidate(req.principal!.tenantId);
      return reply.code(201).send(created);
    },
  );
}
