import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, badRequest, type FieldError, fromDatabaseError, methodNotAllowed, titleFor } from './errors.ts';
import { PROBLEM_LIMITS } from './http-schemas.ts';

const MAX_JSON_DEPTH = 32;
/** No key of any JSON object in a request is longer (free-form maps such as answers or patches included). */
export const MAX_KEY_LENGTH = 500;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A client may pass its own X-Request-Id (kept if it is a plain token); otherwise we make one. */
export const genReqId = (req: { headers: Record<string, unknown> }) => {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : crypto.randomUUID();
};

/** Cuts text to `max` UTF-16 units without splitting a surrogate pair (messages may quote input). */
const clip = (text: string, max: number) => {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 2] ?? '') ? max - 2 : max - 1;
  return `${text.slice(0, end)}…`;
};

export function problemBody(req: FastifyRequest, err: AppError) {
  return {
    ...err.extra,
    type: `urn:helio:problem:${err.code}`,
    title: titleFor(err.status),
    status: err.status,
    detail: clip(err.message, PROBLEM_LIMITS.detail),
    code: err.code,
    requestId: String(req.id),
    ...(err.errors
      ? {
          errors: err.errors.slice(0, PROBLEM_LIMITS.errors).map((e) => ({
            path: clip(e.path, PROBLEM_LIMITS.path),
            message: clip(e.message, PROBLEM_LIMITS.message),
          })),
        }
      : {}),
  };
}

export function sendProblem(req: FastifyRequest, reply: FastifyReply, err: AppError) {
  return reply.code(err.status).type('application/problem+json').send(problemBody(req, err));
}

function zodIssuesToFieldErrors(err: FastifyError): FieldError[] {
  const context = (err as any).validationContext as string | undefined;
  return ((err as any).validation ?? []).map((v: any) => {
    const path = String(v.instancePath ?? '')
      .replace(/^\//, '')
      .split('/')
      .filter(Boolean)
      .join('.');
    const prefix = context && context !== 'body' ? context : '';
    return {
      path: [prefix, path].filter(Boolean).join('.') || (context ?? ''),
      message: String(v.message ?? 'invalid'),
    };
  });
}

/** Every error becomes problem+json; 5xx bodies never carry stack traces or SQL. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fe)) {
    return new AppError(400, 'validation.failed', 'The request is not valid.', {}, zodIssuesToFieldErrors(fe));
  }
  if (isResponseSerializationError(fe)) return new AppError(500, 'internal.error', 'An unexpected error occurred.');
  const mapped = fromDatabaseError(err);
  if (mapped) return mapped;
  const status = fe?.statusCode;
  if (status === 413) return new AppError(413, 'request.too_large', 'The request body is too large.');
  if (status === 415) return new AppError(415, 'request.unsupported_media_type', 'Send the body as application/json.');
  if (status === 429) return new AppError(429, 'rate_limit.exceeded', 'Too many requests; retry later.');
  if (fe?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return badRequest('request.empty_body', 'The JSON body is empty.');
  if (status === 400 && (err instanceof SyntaxError || fe?.code === 'FST_ERR_CTP_INVALID_JSON_BODY')) {
    return badRequest('request.malformed_json', 'The body is not valid JSON.');
  }
  if (status && status >= 400 && status < 500)
    return new AppError(status, 'request.invalid', fe.message || titleFor(status));
  return new AppError(500, 'internal.error', 'An unexpected error occurred.');
}

/** Rejects text PostgreSQL can't store (NUL, lone surrogates), over-long keys and over-deep JSON before validation. */
function scanInput(value: unknown, path: string, depth: number, errors: FieldError[]) {
  if (errors.length > 20) return;
  if (typeof value === 'string') {
    if (value.includes('\u0000')) errors.push({ path, message: 'contains a NUL character' });
    else if (!value.isWellFormed())
      errors.push({ path, message: 'contains an unpaired surrogate (not valid Unicode)' });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_JSON_DEPTH) {
    errors.push({ path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` });
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const child = path ? `${path}.${k}` : k;
    if (!k.isWellFormed() || k.includes('\u0000')) errors.push({ path: child, message: 'key is not valid text' });
    else if (k.length > MAX_KEY_LENGTH)
      errors.push({ path, message: `a key is longer than ${MAX_KEY_LENGTH} characters` });
    scanInput(v, child, depth + 1, errors);
  }
}

export function registerHttpPlatform(app: FastifyInstance) {
  const routes: { method: string; pattern: RegExp }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = new RegExp(
      `^${route.url
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/:[A-Za-z0-9_]+/g, '[^/]+')
        .replace(/\*/g, '.*')}/?$`,
    );
    for (const m of methods) routes.push({ method: m, pattern });
  });

  // Bodies are JSON (a route needing another type registers its parser): without this, Fastify's
  // built-in text/plain parser hands the validator a string, a 400 where API.md asks for 415.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  app.addHook('preValidation', async (req) => {
    const errors: FieldError[] = [];
    scanInput(req.body, '', 0, errors);
    scanInput(req.query, 'query', 1, errors);
    scanInput(req.params, 'params', 1, errors);
    if (errors.length)
      throw badRequest('validation.unstorable_text', 'The request contains text that cannot be stored.', errors);
  });

  app.setErrorHandler((err, req, reply) => {
    const appErr = toAppError(err);
    if (appErr.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: appErr.code, status: appErr.status }, 'request refused');
    if (appErr.status === 429 && !reply.hasHeader('retry-after')) reply.header('retry-after', '60');
    // RFC 9110 §11.6.1: a 401 names the scheme the client should use.
    if (appErr.status === 401) reply.header('www-authenticate', 'Bearer');
    return sendProblem(req, reply, appErr);
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))].filter(
      (m) => m !== 'HEAD',
    );
    if (allowed.length) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        req,
        reply,
        methodNotAllowed('method.not_allowed', `${req.method} is not allowed on this path.`),
      );
    }
    return sendProblem(req, reply, new AppError(404, 'route.not_found', 'No such route.'));
  });
}

/**
 * Errors Fastify answers before any route or hook runs (a malformed URL, a path parameter longer than
 * maxParamLength): problem+json with a request id like every other answer, not Fastify's own JSON.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  reply.header('x-request-id', req.id);
  const appErr =
    err.statusCode === 414
      ? new AppError(414, 'request.uri_too_long', 'A path segment of the URL is too long.')
      : new AppError(400, 'request.bad_url', 'The URL is not valid.');
  return sendProblem(req, reply, appErr);
}

/** `If-Match: "3"` → 3; absent or `*` → undefined; anything else is a 400. */
export function parseIfMatch(req: FastifyRequest): number | undefined {
  const h = req.headers['if-match'];
  if (h === undefined || h === '*') return undefined;
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(String(h).trim());
  if (!m) throw badRequest('concurrency.invalid_if_match', 'If-Match must be an entity tag such as "3".');
  return Number(m[1]);
}

export const setEtag = (reply: FastifyReply, version: number) => reply.header('etag', `"${version}"`);
