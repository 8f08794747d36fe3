import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { analyticsRoutes } from './modules/analytics/routes.ts';
import { accountRoutes } from './modules/crm/accounts/routes.ts';
import { campaignRoutes } from './modules/crm/campaigns/routes.ts';
import { contactRoutes } from './modules/crm/contacts/routes.ts';
import { dealRoutes } from './modules/crm/deals/routes.ts';
import { taskRoutes } from './modules/crm/tasks/routes.ts';
import { followUpRoutes } from './modules/follow-ups/routes.ts';
import * as identity from './modules/identity/index.ts';
import { identityRoutes } from './modules/identity/routes.ts';
import { importRoutes } from './modules/imports/routes.ts';
import { installerRoutes } from './modules/installers/routes.ts';
import { interactionRoutes } from './modules/interactions/routes.ts';
import * as leads from './modules/leads/index.ts';
import { leadRoutes } from './modules/leads/routes.ts';
import { regionRoutes } from './modules/regions/routes.ts';
import { routingRoutes } from './modules/routing/routes.ts';
import { systemRoutes } from './modules/system/routes.ts';
import { workflowRoutes } from './modules/workflow/routes.ts';
import { registerAuth } from './platform/auth.ts';
import { systemActor } from './platform/context.ts';
import type { Database } from './platform/db.ts';
import { one } from './platform/db.ts';
import { tooManyRequests } from './platform/errors.ts';
import { frameworkErrors, genReqId, registerHttpPlatform } from './platform/http.ts';
import { registerIdempotency } from './platform/idempotency.ts';
import { randomToken } from './platform/ids.ts';
import { JobQueue } from './platform/jobs.ts';
import { collectRouteDocs, finishDocument } from './platform/openapi.ts';
import { setCursorSecret } from './platform/pagination.ts';
import { applyRoutes } from './web/apply/routes.ts';
import { consoleRoutes } from './web/console.ts';
import { expireOffer } from './workflows/assignment-lifecycle.ts';

export interface AppConfig {
  db: Database;
  /** pino options, or false for silence (tests). */
  logger?: boolean | Record<string, unknown>;
  /** Public requests per minute per client address (0 = off). */
  publicRateLimit?: number;
  /** Login attempts per 15 minutes per address + tenant + email (0 = off). */
  loginRateLimit?: number;
  /** Allowed CORS origins; none means no CORS headers at all. */
  corsOrigins?: string[];
  trustProxy?: boolean;
  /** Run the job worker (offer expiry …) in this process; seconds between polls. */
  jobs?: { pollingIntervalSeconds?: number } | false;
}

const BODY_LIMIT = 1024 * 1024;
const TENANT_CACHE_MS = 30_000;

/** The cursor signing key is shared by every process through the database. */
async function loadCursorSecret(db: Database) {
  if (process.env.CURSOR_SECRET) return setCursorSecret(process.env.CURSOR_SECRET);
  await db.db.execute(
    sql`insert into platform_settings (key, value) values ('cursor_secret', ${randomToken(32)}) on conflict do nothing`,
  );
  const row = await one<{ value: string }>(db.db, sql`select value from platform_settings where key = 'cursor_secret'`);
  setCursorSecret(row!.value);
}

function cached<K, V>(load: (key: K) => Promise<V>, ttlMs: number) {
  const entries = new Map<K, { value: V; at: number }>();
  const get = async (key: K): Promise<V> => {
    const hit = entries.get(key);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const value = await load(key);
    if (entries.size > 10_000) entries.clear();
    entries.set(key, { value, at: Date.now() });
    return value;
  };
  return Object.assign(get, { invalidate: (key: K) => entries.delete(key) });
}

export async function buildApp(config: AppConfig): Promise<FastifyInstance> {
  const { db } = config;
  const app = Fastify({
    logger:
      config.logger === false || config.logger === undefined
        ? false
        : {
            ...(typeof config.logger === 'object' ? config.logger : {}),
            redact: {
              paths: [
                'req.headers.authorization',
                'req.headers.cookie',
                'body.password',
                '*.password',
                '*.adminPassword',
              ],
              censor: '[redacted]',
            },
          },
    genReqId,
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trustProxy ?? false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    frameworkErrors,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('db', db);
  await loadCursorSecret(db);

  registerHttpPlatform(app);
  await app.register(helmet, { global: true });
  if (config.corsOrigins?.length) await app.register(cors, { origin: config.corsOrigins });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => tooManyRequests(`Too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s.`),
  });
  const routeDocs = collectRouteDocs(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Helio API',
        version: '0.1.0',
        description: 'Multi-tenant lead-to-customer CRM for home-energy businesses and lead marketplaces.',
      },
    },
    transform: jsonSchemaTransform,
    // Security, problem responses, rate-limit headers and implied bounds, from each route's config.
    transformObject: ({ openapiObject }: any) => finishDocument(openapiObject, routeDocs),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  const resolveSlug = cached(async (slug: string) => {
    const t = await identity.findTenantBySlug(db, slug);
    return t ? { id: t.id, slug: t.slug, settings: t.settings } : undefined;
  }, TENANT_CACHE_MS);
  const platformTenant = cached(async (_: 'platform') => {
    const t = await identity.findPlatformTenant(db);
    return t ? { id: t.id, slug: t.slug, settings: t.settings } : undefined;
  }, TENANT_CACHE_MS);
  const tenantSettings = cached(
    (tenantId: string) =>
      db.tenantTx(tenantId, (tx) =>
        identity.getTenantSettings({ tenantId, tx, actor: systemActor(), requestId: 'cache' }),
      ),
    TENANT_CACHE_MS,
  );

  registerAuth(app, {
    authenticate: (token) => identity.authenticate(db, token),
    resolveSlug,
    resolvePlatformTenant: () => platformTenant('platform'),
    recordDenied: (principal, requestId, capability, route) =>
      db.tenantTx(principal.tenantId, (tx) =>
        identity.recordAudit(
          { tenantId: principal.tenantId, tx, actor: principal.actor, requestId },
          { action: 'authz.denied', entityType: 'route', entityId: `${route} (${capability})`, outcome: 'denied' },
        ),
      ),
  });
  registerIdempotency(app);

  app.get(
    '/api/openapi.json',
    {
      schema: {
        tags: ['system'],
        summary: 'This OpenAPI 3.1 document',
        response: {
          200: z.looseObject({ openapi: z.string().max(20), paths: z.record(z.string().max(500), z.unknown()) }),
        },
      },
      config: { auth: 'none' },
    },
    async () => app.swagger(),
  );
  await app.register(systemRoutes);
  await app.register(identityRoutes, { loginRateLimit: config.loginRateLimit ?? 10 });
  // Question sets change rarely; public intake may see a new version up to 10 s late.
  const questionSets = cached(
    (tenantId: string) =>
      db.tenantTx(tenantId, (tx) => leads.loadQuestionSets({ tenantId, tx, actor: systemActor(), requestId: 'cache' })),
    10_000,
  );
  await app.register(leadRoutes, { publicRateLimit: config.publicRateLimit ?? 60, tenantSettings, questionSets });
  await app.register(applyRoutes, { publicRateLimit: config.publicRateLimit ?? 60, tenantSettings, questionSets });
  await app.register(regionRoutes, { publicRateLimit: config.publicRateLimit ?? 60 });
  await app.register(installerRoutes);
  await app.register(routingRoutes);
  await app.register(followUpRoutes);
  await app.register(contactRoutes);
  await app.register(accountRoutes);
  await app.register(dealRoutes);
  await app.register(taskRoutes);
  await app.register(campaignRoutes);
  await app.register(interactionRoutes);
  await app.register(workflowRoutes);
  await app.register(importRoutes);
  await app.register(analyticsRoutes);
  await app.register(consoleRoutes);

  if (config.jobs) {
    const queue = new JobQueue(db, config.jobs);
    queue.on('assignment-expiry', (data) => expireOffer(db, String(data.tenantId), String(data.assignmentId)));
    app.addHook('onReady', () => queue.start());
    app.addHook('onClose', () => queue.stop());
  }
  return app;
}
