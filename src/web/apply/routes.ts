import { readFileSync } from 'node:fs';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import * as identity from '../../modules/identity/index.ts';
import { intakeBody, isService, type QuestionSetCatalog, recommend } from '../../modules/leads/index.ts';
import { inTenant } from '../../platform/auth.ts';
import { publicActor } from '../../platform/context.ts';
import { AppError } from '../../platform/errors.ts';
import { toAppError } from '../../platform/http.ts';
import { routeAfterIntake, submitLead } from '../../workflows/intake.ts';
import { checkServiceability } from '../../workflows/serviceability.ts';
import {
  emptyValues,
  type FormBody,
  type FormError,
  type FormValues,
  intakeErrorsToForm,
  type QuestionSet,
  readValues,
  toSubmission,
  typedAnswers,
} from './form.ts';
import {
  type Mode,
  type PageTenant,
  renderConfirmation,
  renderForm,
  renderProblemPage,
  renderRecommendation,
} from './render.ts';

/**
 * The public intake form (`/apply/{tenantSlug}`): server-rendered HTML that works without JavaScript,
 * made multi-step by a small static script, and an embed script that shows it in a host site's iframe.
 * Submitting runs the same intake workflow as `POST /api/public/{tenantSlug}/leads`.
 */

export interface ApplyRouteOptions {
  /** Public requests per minute per client address (the same limit as /api/public); 0 = off. */
  publicRateLimit: number;
  tenantSettings(tenantId: string): Promise<identity.TenantSettings>;
  questionSets(tenantId: string): Promise<QuestionSetCatalog>;
}

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
const ASSETS = {
  'apply.js': { body: asset('apply.js'), type: 'text/javascript; charset=utf-8' },
  'apply.css': { body: asset('apply.css'), type: 'text/css; charset=utf-8' },
};
const EMBED_JS = asset('embed.js');

const TENANT_NAME_MS = 30_000;
const slugParams = z.object({ tenantSlug: z.string().max(100) });
/** Form fields as urlencoded bodies carry them: a name, one value or a list (checkboxes). */
const formFields = z
  .record(z.string().max(200), z.union([z.string().max(5000), z.array(z.string().max(5000)).max(100)]))
  .refine((b) => Object.keys(b).length <= 300, { message: 'too many fields' });

/** Pages framed by any host site (embed.js): no X-Frame-Options, CSP frame-ancestors open. */
const framedHelmet = {
  frameguard: false,
  contentSecurityPolicy: { directives: { 'frame-ancestors': ['*'] } },
} as const;

const activeSet = (catalog: QuestionSetCatalog): QuestionSet | null =>
  catalog.active ? { version: catalog.active.version, questions: catalog.active.questions } : null;

const modeOf = (req: FastifyRequest): Mode => (req.routeOptions.url?.endsWith('/embed') ? 'embed' : 'page');

const sendHtml = (reply: FastifyReply, status: number, body: string) =>
  reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);

/** Registers the pages under /apply, in their own scope (form parser, error and not-found pages). */
export async function applyRoutes(root: FastifyInstance, opts: ApplyRouteOptions) {
  await root.register(applyPages, { ...opts, prefix: '/apply' });
}

async function applyPages(root: FastifyInstance, opts: ApplyRouteOptions) {
  // The form parser serves these pages only: the API stays JSON (this plugin is encapsulated).
  await root.register(formbody);
  const app = root.withTypeProvider<ZodTypeProvider>();
  const publicLimit: { rateLimit?: { max: number; timeWindow: string } } =
    opts.publicRateLimit > 0 ? { rateLimit: { max: opts.publicRateLimit, timeWindow: '1 minute' } } : {};
  const publicConfig = { auth: { public: 'slug' as const }, ...publicLimit };

  // Pages answer errors as pages (a problem+json body would be shown to a homeowner as raw text).
  app.setErrorHandler((err, req, reply) => {
    const appErr = toAppError(err);
    if (appErr.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: appErr.code, status: appErr.status }, 'request refused');
    if (appErr.status === 429 && !reply.hasHeader('retry-after')) reply.header('retry-after', '60');
    return sendHtml(reply, appErr.status, renderProblemPage(appErr.status, modeOf(req)));
  });
  app.setNotFoundHandler((req, reply) => sendHtml(reply, 404, renderProblemPage(404, modeOf(req))));

  const names = new Map<string, { name: string; at: number }>();
  async function pageTenant(req: FastifyRequest): Promise<PageTenant> {
    const { id, slug } = req.publicTenant!;
    const hit = names.get(id);
    if (hit && Date.now() - hit.at < TENANT_NAME_MS) return { slug, name: hit.name };
    const t = await identity.findTenantBySlug(req.server.db, slug);
    if (names.size > 10_000) names.clear();
    names.set(id, { name: t?.name ?? slug, at: Date.now() });
    return { slug, name: t?.name ?? slug };
  }

  async function showForm(req: FastifyRequest, reply: FastifyReply, mode: Mode) {
    const tenant = req.publicTenant!;
    const [t, catalog] = await Promise.all([pageTenant(req), opts.questionSets(tenant.id)]);
    return sendHtml(
      reply,
      200,
      renderForm({ tenant: t, set: activeSet(catalog), values: emptyValues(), errors: [], mode }),
    );
  }

  async function submit(req: FastifyRequest, reply: FastifyReply, mode: Mode) {
    const tenant = req.publicTenant!;
    const [t, settings, catalog] = await Promise.all([
      pageTenant(req),
      opts.tenantSettings(tenant.id),
      opts.questionSets(tenant.id),
    ]);
    const set = activeSet(catalog);
    const values = readValues((req.body as FormBody | undefined) ?? {}, set);
    const again = (errors: FormError[]) =>
      sendHtml(reply, 400, renderForm({ tenant: t, set, values: keepTyped(values), errors, mode }));
    const sub = toSubmission(values, set, { country: settings.defaultCountry, sourceDetail: `apply-${mode}` });
    if (sub.errors.length || !sub.input) return again(sub.errors);
    const parsed = intakeBody.safeParse(sub.input);
    if (!parsed.success) {
      return again(parsed.error.issues.map((i) => ({ field: 'form', message: `${i.path.join('.')}: ${i.message}` })));
    }
    const meta = {
      channel: 'public' as const,
      clientIp: req.ip ?? null,
      userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 500) : null,
    };
    const intake = {
      tenantId: tenant.id,
      actor: publicActor(),
      requestId: String(req.id),
      input: parsed.data,
      meta,
      settings,
      questionSets: catalog,
    };
    let result: Awaited<ReturnType<typeof submitLead>>;
    try {
      result = await submitLead(req.server.db, intake);
    } catch (err) {
      if (err instanceof AppError && err.status === 400 && err.errors?.length) {
        return again(intakeErrorsToForm(err.errors, set));
      }
      throw err;
    }
    await routeAfterIntake(req.server.db, intake, result, req.log);
    const area = await inTenant(req, (ctx) =>
      checkServiceability(ctx, { postcode: values.postcode, service: sub.service }),
    ).then(
      (r) => ({ serviceable: r.serviceable, regionName: r.region?.name ?? null }),
      () => null,
    );
    return sendHtml(
      reply,
      200,
      renderConfirmation({
        tenant: t,
        mode,
        reference: result.reference,
        name: values.name,
        selectedPath: values.selectedPath,
        recommendation: parsed.data.recommendation,
        area,
        compareQuotesCount: settings.compareQuotesCount,
      }),
    );
  }

  const page = { hide: true, params: slugParams };
  app.get('/:tenantSlug', { schema: page, config: publicConfig }, (req, reply) => showForm(req, reply, 'page'));
  app.post('/:tenantSlug', { schema: { ...page, body: formFields }, config: publicConfig }, (req, reply) =>
    submit(req, reply, 'page'),
  );
  app.get('/:tenantSlug/embed', { schema: page, config: publicConfig, helmet: framedHelmet }, (req, reply) =>
    showForm(req, reply, 'embed'),
  );
  app.post(
    '/:tenantSlug/embed',
    { schema: { ...page, body: formFields }, config: publicConfig, helmet: framedHelmet },
    (req, reply) => submit(req, reply, 'embed'),
  );

  // The estimate for the answers so far, as the HTML fragment the confirmation page shows too.
  app.get(
    '/:tenantSlug/recommendation',
    { schema: { ...page, querystring: formFields }, config: publicConfig },
    async (req, reply) => {
      const tenant = req.publicTenant!;
      const [settings, catalog] = await Promise.all([opts.tenantSettings(tenant.id), opts.questionSets(tenant.id)]);
      const set = activeSet(catalog);
      const values = readValues(req.query, set);
      if (!isService(values.service)) return sendHtml(reply, 200, '');
      const r = recommend(values.service, typedAnswers(values, set), settings.defaultCountry);
      return sendHtml(reply, 200, renderRecommendation(r).value);
    },
  );

  // The host site's script: same file for every tenant (it reads the tenant from its own URL).
  app.get(
    '/:tenantSlug/embed.js',
    {
      schema: page,
      config: publicConfig,
      helmet: { crossOriginResourcePolicy: { policy: 'cross-origin' } },
    },
    async (_req, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(EMBED_JS),
  );

  for (const [name, a] of Object.entries(ASSETS)) {
    app.get(`/_assets/${name}`, { schema: { hide: true }, config: { auth: 'none' } }, async (_req, reply) =>
      reply.type(a.type).header('cache-control', 'public, max-age=300').send(a.body),
    );
  }
}

/** Values shown again after an error: as typed, bounded so a huge input is not echoed whole. */
const keepTyped = (v: FormValues): FormValues => ({
  ...v,
  postcode: v.postcode.slice(0, 40),
  name: v.name.slice(0, 400),
  email: v.email.slice(0, 400),
  phone: v.phone.slice(0, 80),
});
