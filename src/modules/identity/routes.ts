import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inTenant } from '../../platform/auth.ts';
import { parseIfMatch, setEtag } from '../../platform/http.ts';
import { problems, uuidParam } from '../../platform/http-schemas.ts';
import { normalizeEmail } from '../../platform/normalize.ts';
import { listQuery, pageOf } from '../../platform/pagination.ts';
import {
  apiKeyView,
  auditEvent,
  auditQuery,
  createApiKeyBody,
  createdApiKey,
  createUserBody,
  loginBody,
  loginResponse,
  meResponse,
  patchSettingsBody,
  patchUserBody,
  putRoleBody,
  role,
  roleKey,
  tenantSettings,
  user,
} from './contracts.ts';
import * as service from './service.ts';

export interface IdentityRouteOptions {
  /** Login attempts per client address + tenant + email per 15 minutes (0 = off). */
  loginRateLimit: number;
}

export async function identityRoutes(root: FastifyInstance, opts: IdentityRouteOptions) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['identity'];

  app.post(
    '/api/auth/login',
    {
      schema: { tags, body: loginBody, response: { 200: loginResponse, ...problems() } },
      config: {
        auth: 'none',
        ...(opts.loginRateLimit > 0
          ? {
              rateLimit: {
                max: opts.loginRateLimit,
                timeWindow: '15 minutes',
                hook: 'preHandler',
                // Keyed on the email as login reads it (trimmed, lower case), so variants share one counter.
                keyGenerator: (req: any) =>
                  `login|${req.ip}|${String(req.body?.tenant ?? '')}|${normalizeEmail(String(req.body?.email ?? '')) ?? ''}`,
              },
            }
          : {}),
      },
    },
    async (req) => service.login(req.server.db, req.body, String(req.id)),
  );

  app.post(
    '/api/auth/logout',
    { schema: { tags, response: { 204: z.null(), ...problems() } }, config: { auth: 'authenticated' } },
    async (req, reply) => {
      await inTenant(req, (ctx) => service.logout(ctx));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/me',
    { schema: { tags, response: { 200: meResponse, ...problems() } }, config: { auth: 'authenticated' } },
    async (req) =>
      inTenant(req, async (ctx) => {
        const p = req.principal!;
        const tenant = await service.getTenant(ctx);
        const roles = await service.rolesOfActor(ctx);
        const me = p.actor.kind === 'user' && p.actor.userId ? await service.getUser(ctx, p.actor.userId) : null;
        return {
          user: me,
          tenant,
          credential: { kind: p.actor.kind as 'user' | 'api_key', id: p.actor.credentialId! },
          roles,
          capabilities: [...p.actor.capabilities].sort(),
          scope: p.actor.scope,
        };
      }),
  );

  app.get(
    '/api/admin/users',
    {
      schema: { tags, querystring: listQuery, response: { 200: pageOf(user), ...problems() } },
      config: { auth: 'admin:users' },
    },
    async (req) => inTenant(req, (ctx) => service.listUsers(ctx, req.query)),
  );

  app.post(
    '/api/admin/users',
    {
      schema: { tags, body: createUserBody, response: { 201: user, ...problems(409) } },
      config: { auth: 'admin:users' },
    },
    async (req, reply) => {
      const created = await inTenant(req, (ctx) => service.createUser(ctx, req.body));
      setEtag(reply, created.version);
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/api/admin/users/:id',
    { schema: { tags, params: uuidParam, response: { 200: user, ...problems() } }, config: { auth: 'admin:users' } },
    async (req, reply) => {
      const found = await inTenant(req, (ctx) => service.getUser(ctx, req.params.id));
      setEtag(reply, found.version);
      return found;
    },
  );

  app.patch(
    '/api/admin/users/:id',
    {
      schema: { tags, params: uuidParam, body: patchUserBody, response: { 200: user, ...problems(409, 412) } },
      config: { auth: 'admin:users' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const updated = await inTenant(req, (ctx) => service.updateUser(ctx, req.params.id, ifMatch, req.body));
      setEtag(reply, updated.version);
      return updated;
    },
  );

  app.get(
    '/api/admin/api-keys',
    {
      schema: { tags, querystring: listQuery, response: { 200: pageOf(apiKeyView), ...problems() } },
      config: { auth: 'admin:api_keys' },
    },
    async (req) => inTenant(req, (ctx) => service.listApiKeys(ctx, req.query)),
  );

  app.post(
    '/api/admin/api-keys',
    {
      schema: { tags, body: createApiKeyBody, response: { 201: createdApiKey, ...problems() } },
      // The secret is shown once: a replayed response is stored encrypted, never in plain text.
      config: { auth: 'admin:api_keys', idempotency: 'seal' },
    },
    async (req, reply) => reply.code(201).send(await inTenant(req, (ctx) => service.createApiKey(ctx, req.body))),
  );

  app.delete(
    '/api/admin/api-keys/:id',
    {
      schema: { tags, params: uuidParam, response: { 204: z.null(), ...problems() } },
      config: { auth: 'admin:api_keys' },
    },
    async (req, reply) => {
      await inTenant(req, (ctx) => service.revokeApiKey(ctx, req.params.id));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/admin/roles',
    {
      schema: { tags, response: { 200: z.object({ data: z.array(role) }), ...problems() } },
      config: { auth: 'admin:roles' },
    },
    async (req) => ({ data: await inTenant(req, (ctx) => service.listRoles(ctx)) }),
  );

  app.put(
    '/api/admin/roles/:key',
    {
      schema: {
        tags,
        params: z.object({ key: roleKey }),
        body: putRoleBody,
        response: { 200: role, ...problems(409) },
      },
      config: { auth: 'admin:roles' },
    },
    async (req) => inTenant(req, (ctx) => service.putRole(ctx, req.params.key, req.body)),
  );

  app.get(
    '/api/admin/settings',
    { schema: { tags, response: { 200: tenantSettings, ...problems() } }, config: { auth: 'authenticated' } },
    async (req) => inTenant(req, (ctx) => service.getTenantSettings(ctx)),
  );

  app.patch(
    '/api/admin/settings',
    {
      schema: { tags, body: patchSettingsBody, response: { 200: tenantSettings, ...problems() } },
      config: { auth: 'settings:write' },
    },
    async (req) => inTenant(req, (ctx) => service.updateTenantSettings(ctx, req.body)),
  );

  app.get(
    '/api/admin/audit-events',
    {
      schema: { tags, querystring: auditQuery, response: { 200: pageOf(auditEvent), ...problems() } },
      config: { auth: 'audit:read' },
    },
    async (req) =>
      inTenant(req, async (ctx) => {
        const page = await service.listAuditEvents(ctx, req.query);
        return {
          data: page.data.map((a) => ({
            id: a.id,
            occurredAt: a.occurredAt.toISOString(),
            actorKind: a.actorKind,
            actorId: a.actorId,
            action: a.action,
            outcome: a.outcome,
            entityType: a.entityType,
            entityId: a.entityId,
            requestId: a.requestId,
            changedFields: a.changedFields,
          })),
          nextCursor: page.nextCursor,
        };
      }),
  );
}
