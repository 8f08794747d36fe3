import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Actor, type Ctx, publicActor } from './context.ts';
import type { Database } from './db.ts';
import { AppError, forbidden, notFound, unauthorized } from './errors.ts';

/** Route access: public (no credential), any authenticated principal, or one capability. */
export type RouteAuth = { public: 'slug' | 'platform' } | 'none' | 'authenticated' | string;

export interface AuthenticatedPrincipal {
  tenantId: string;
  tenantSlug: string;
  actor: Actor;
}

export interface PublicTenant {
  id: string;
  slug: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
  }
  interface FastifyRequest {
    principal: AuthenticatedPrincipal | null;
    publicTenant: PublicTenant | null;
  }
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}

/** One route's declared access, as registered (Fastify URL syntax: `/api/leads/:id`). */
export interface RouteAuthEntry {
  method: string;
  url: string;
  auth: RouteAuth | undefined;
}

const routeAuthTables = new WeakMap<FastifyInstance, RouteAuthEntry[]>();

/** Every route registered after registerAuth, with its config.auth: lets tests sweep routes by capability. */
export function routeAuthTable(app: FastifyInstance): readonly RouteAuthEntry[] {
  return routeAuthTables.get(app) ?? [];
}

export interface AuthHooks {
  authenticate(token: string): Promise<AuthenticatedPrincipal | undefined>;
  resolveSlug(slug: string): Promise<PublicTenant | undefined>;
  resolvePlatformTenant(): Promise<PublicTenant | undefined>;
  /** Writes the refusal to the audit log (its own transaction: the request itself fails). */
  recordDenied(principal: AuthenticatedPrincipal, requestId: string, capability: string, route: string): Promise<void>;
}

/**
 * Authentication runs on onRequest, before the body is parsed: no credential → 401, a credential
 * without the route's capability → 403 (audited). Every route must declare config.auth.
 */
export function registerAuth(app: FastifyInstance, hooks: AuthHooks) {
  app.decorateRequest('principal', null);
  app.decorateRequest('publicTenant', null);

  const table: RouteAuthEntry[] = [];
  routeAuthTables.set(app, table);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') table.push({ method, url: route.url, auth: route.config?.auth });
    }
  });

  // Public routes find their tenant once the route's rate limiter (an onRequest hook of the route,
  // so after this app's) has counted the request: probing tenant slugs is rate limited too.
  app.addHook('preParsing', async (req) => {
    const auth = req.routeOptions.config?.auth;
    if (typeof auth !== 'object') return;
    const tenant =
      auth.public === 'platform'
        ? await hooks.resolvePlatformTenant()
        : await hooks.resolveSlug(String((req.params as any)?.tenantSlug ?? ''));
    if (!tenant) throw notFound('tenant.not_found', 'No such tenant.');
    req.publicTenant = tenant;
  });

  app.addHook('onRequest', async (req) => {
    const auth = req.routeOptions.config?.auth;
    if (auth === undefined || auth === 'none' || typeof auth === 'object') return; // not-found handler, docs, login, public
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S{10,512})$/i.exec(header) : null;
    if (!m) throw unauthorized();
    const principal = await hooks.authenticate(m[1]);
    if (!principal) throw unauthorized('The credential is not valid, expired or revoked.', 'auth.invalid_token');
    req.principal = principal;
    if (auth !== 'authenticated' && !principal.actor.capabilities.has(auth)) throw forbidden(auth);
  });

  // Every refusal is audited, whether the route's capability or one a handler checks for its input.
  app.addHook('onError', async (req, _reply, err) => {
    if (!(err instanceof AppError) || err.code !== 'auth.forbidden' || !req.principal) return;
    const capability = String(err.extra.capability ?? '');
    await hooks.recordDenied(req.principal, String(req.id), capability, `${req.method} ${req.routeOptions.url}`);
  });
}

/**
 * Runs fn in one transaction for the request's tenant, with the actor from its credential. GET
 * requests read only (queries have no side effects) and run in a read-only transaction.
 */
export function inTenant<T>(req: FastifyRequest, fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  const db = req.server.db;
  const run = req.method === 'GET' ? db.readTx : db.tenantTx;
  if (req.principal) {
    const { tenantId, actor } = req.principal;
    return run(tenantId, (tx) => fn({ tenantId, actor, tx, requestId: String(req.id) }));
  }
  if (req.publicTenant) {
    const tenantId = req.publicTenant.id;
    return run(tenantId, (tx) => fn({ tenantId, actor: publicActor(), tx, requestId: String(req.id) }));
  }
  throw new AppError(500, 'internal.error', 'route has no tenant');
}

/** Capability check inside a handler, for actions whose capability depends on the input. */
export function requireCapability(req: FastifyRequest, capability: string) {
  if (!req.principal?.actor.capabilities.has(capability)) throw forbidden(capability);
}
