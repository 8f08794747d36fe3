import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RouteAuth } from './auth.ts';
import { MAX_KEY_LENGTH } from './http.ts';
import { problem } from './http-schemas.ts';

/**
 * Finishes the OpenAPI document generated from the route schemas: what every route shares (security,
 * problem responses, rate-limit headers, servers) is stated here once, from each route's own config,
 * so the document says what the server does without every module repeating it.
 */

interface RouteDoc {
  auth: RouteAuth | undefined;
  /** The limiter's hook, when the route is rate limited (@fastify/rate-limit route config). */
  rateLimitHook?: string;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const INT32 = 2 ** 31;

/** Records each route's auth and rate-limit config; call before any route is registered. */
export function collectRouteDocs(app: FastifyInstance) {
  const routes = new Map<string, RouteDoc>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const limit = (route.config as any)?.rateLimit;
    for (const m of methods) {
      routes.set(`${m.toLowerCase()} ${path}`, {
        auth: route.config?.auth,
        rateLimitHook: limit && typeof limit === 'object' ? (limit.hook ?? 'onRequest') : undefined,
      });
    }
  });
  return routes;
}

const problemSchema = () => {
  const { $schema: _, ...schema } = z.toJSONSchema(problem, { io: 'output' }) as Record<string, unknown>;
  return boundSchema(schema);
};

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema() } },
});

const header = (description: string, schema: Record<string, unknown>, required = false) => ({
  description,
  required,
  schema,
});

const corsHeader = header(
  'Only when the server runs with CORS_ORIGINS (off by default) and the request comes from one of those origins.',
  { type: 'string', maxLength: 2048, format: 'uri' },
);

const rateLimitHeaders = {
  'X-RateLimit-Limit': header('Requests allowed per window for this client address.', {
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: INT32 - 1,
  }),
  'X-RateLimit-Remaining': header('Requests left in the current window.', {
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: INT32 - 1,
  }),
  'X-RateLimit-Reset': header('Seconds until the window resets.', {
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: INT32 - 1,
  }),
};

const retryAfter = header(
  'Seconds to wait before retrying.',
  { type: 'integer', format: 'int32', minimum: 0, maximum: INT32 - 1 },
  true,
);

export function finishDocument(doc: any, routes: Map<string, RouteDoc>) {
  doc.servers = [
    {
      url: '/',
      description: 'The origin serving this document (local, staging or production alike).',
      'x-internal': false,
    },
  ];
  doc.components ??= {};
  doc.components.securitySchemes = {
    bearer: {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key, or a session token from POST /api/auth/login. The tenant is the credential’s.',
    },
  };
  doc.security = [{ bearer: [] }];

  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const route = routes.get(`${method} ${path}`);
      const auth = route?.auth;
      const authenticated = auth !== undefined && auth !== 'none' && typeof auth !== 'object';
      // An empty requirement is OpenAPI's "no credential needed": public intake, login, health. For a
      // bearer scheme the list names the roles needed (OpenAPI 3.1 §4.8.30): here the route's capability.
      op.security = authenticated ? [{ bearer: auth === 'authenticated' ? [] : [auth] }] : [{}];
      op.responses ??= {};
      const responses = op.responses;
      if (authenticated) {
        responses['401'] ??= problemResponse('No credential, or one that is invalid, expired or revoked.');
        if (auth !== 'authenticated') responses['403'] ??= problemResponse(`The credential lacks '${auth}'.`);
      }
      responses['500'] ??= problemResponse('An unexpected error; the body never carries internals.');
      responses['503'] ??= problemResponse('The database is unavailable; retry later.');
      responses.default ??= problemResponse('Any other refusal (405, 413, 415 …), as problem+json.');
      if (route?.rateLimitHook) op['x-rate-limit'] = { hook: route.rateLimitHook };

      for (const [status, res] of Object.entries<any>(responses)) {
        const code = status === 'default' ? 600 : Number(status);
        // Errors are RFC 9457 documents, sent as application/problem+json.
        if (code >= 400 && res.content?.['application/json'] && !res.content['application/problem+json']) {
          res.content = { 'application/problem+json': res.content['application/json'] };
        }
        if (code === 429) res.headers = { ...res.headers, 'Retry-After': retryAfter };
        // The limiter's headers are on every answer given after it ran: all of them when it runs first
        // (onRequest), only the handler's answers when it needs the parsed body (login, preHandler).
        const limited =
          route?.rateLimitHook &&
          ((code >= 200 && code < 300) ||
            code === 429 ||
            (route.rateLimitHook === 'onRequest' && code >= 400 && code < 500));
        if (limited) res.headers = { ...rateLimitHeaders, ...res.headers };
        if (res.headers) res.headers = { 'Access-Control-Allow-Origin': corsHeader, ...res.headers };
        for (const media of Object.values<any>(res.content ?? {})) if (media.schema) boundSchema(media.schema);
      }
      for (const p of op.parameters ?? []) if (p.schema) boundSchema(p.schema, true);
      for (const media of Object.values<any>(op.requestBody?.content ?? {})) {
        if (media.schema) boundSchema(media.schema, true);
      }
    }
  }
  return doc;
}

const FORMAT_LENGTH: Record<string, number> = { uuid: 36, date: 10 };

/**
 * States bounds the validator already enforces but the generated schema leaves implicit: an
 * integer's width (from its minimum/maximum), a string's length when its pattern or format caps
 * it, and in requests the length of map keys (platform/http.ts refuses longer ones everywhere).
 * Nothing is added that the server does not already enforce.
 */
export function boundSchema<T>(schema: T, request = false): T {
  const s = schema as any;
  if (!s || typeof s !== 'object') return schema;
  if (Array.isArray(s)) {
    for (const x of s) boundSchema(x, request);
    return schema;
  }
  if (request && s.propertyNames && typeof s.propertyNames === 'object' && s.propertyNames.maxLength === undefined) {
    s.propertyNames.maxLength = MAX_KEY_LENGTH;
  }
  const types: unknown[] = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes('integer') && s.format === undefined) {
    const lo = s.minimum ?? s.exclusiveMinimum;
    const hi = s.maximum ?? s.exclusiveMaximum;
    if (typeof lo === 'number' && typeof hi === 'number') s.format = lo >= -INT32 && hi < INT32 ? 'int32' : 'int64';
  }
  if (types.includes('string') && s.maxLength === undefined && s.enum === undefined && s.const === undefined) {
    const fromPattern = typeof s.pattern === 'string' ? patternMaxLength(s.pattern) : undefined;
    const fromFormat = typeof s.format === 'string' ? FORMAT_LENGTH[s.format] : undefined;
    const max = fromPattern ?? fromFormat;
    if (max !== undefined) s.maxLength = max;
  }
  for (const key of ['properties', 'patternProperties', '$defs', 'definitions']) {
    if (s[key] && typeof s[key] === 'object') for (const v of Object.values(s[key])) boundSchema(v, request);
  }
  for (const key of [
    'items',
    'prefixItems',
    'additionalProperties',
    'propertyNames',
    'not',
    'anyOf',
    'oneOf',
    'allOf',
  ]) {
    if (s[key] && typeof s[key] === 'object') boundSchema(s[key], request);
  }
  return schema;
}

/**
 * The longest string (in UTF-16 units, so also in code points) an anchored regular expression can
 * match, or undefined when it is unbounded (`*`, `+`, `{n,}`), unanchored or uses a construct this
 * small reader does not know (backreferences).
 */
export function patternMaxLength(pattern: string): number | undefined {
  if (!pattern.startsWith('^') || !pattern.endsWith('$') || pattern.endsWith('\\$')) return undefined;
  let i = 1;
  const end = pattern.length - 1;
  const fail = () => {
    throw new Error('unbounded');
  };

  // alternation := sequence ('|' sequence)*; returns the max over the alternatives.
  function alternation(): number {
    let best = sequence();
    while (i < end && pattern[i] === '|') {
      i++;
      best = Math.max(best, sequence());
    }
    return best;
  }
  function sequence(): number {
    let total = 0;
    while (i < end && pattern[i] !== '|' && pattern[i] !== ')') {
      const atomLength = atom();
      total += atomLength * quantifier();
    }
    return total;
  }
  function atom(): number {
    const c = pattern[i];
    if (c === '(') {
      i++;
      let lookaround = false;
      if (pattern[i] === '?') {
        if (pattern[i + 1] === ':') i += 2;
        else if (pattern[i + 1] === '=' || pattern[i + 1] === '!') {
          lookaround = true;
          i += 2;
        } else if (pattern[i + 1] === '<' && (pattern[i + 2] === '=' || pattern[i + 2] === '!')) {
          lookaround = true;
          i += 3;
        } else if (pattern[i + 1] === '<') {
          const close = pattern.indexOf('>', i);
          if (close < 0) fail();
          i = close + 1;
        } else fail();
      }
      const inner = alternation();
      if (pattern[i] !== ')') fail();
      i++;
      return lookaround ? 0 : inner;
    }
    if (c === '[') {
      i++;
      if (pattern[i] === '^') i++;
      if (pattern[i] === ']') i++;
      while (i < end && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      if (pattern[i] !== ']') fail();
      i++;
      return 1;
    }
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined || /[1-9k]/.test(next)) fail(); // backreferences
      if (next === 'b' || next === 'B') {
        i += 2;
        return 0;
      }
      if (next === 'u' && pattern[i + 2] === '{') {
        const close = pattern.indexOf('}', i);
        i = close + 1;
        return 2;
      }
      if (next === 'u') i += 6;
      else if (next === 'x') i += 4;
      else if (next === 'c') i += 3;
      else if (next === 'p' || next === 'P') {
        const close = pattern.indexOf('}', i);
        i = close + 1;
        return 2;
      } else i += 2;
      return 1;
    }
    if (c === '^' || c === '$') {
      i++;
      return 0;
    }
    i++;
    return 1;
  }
  function quantifier(): number {
    const c = pattern[i];
    let max = 1;
    if (c === '?') {
      i++;
    } else if (c === '*' || c === '+') {
      fail();
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (!m) return 1; // a literal brace
      if (m[2] !== undefined && m[3] === '') fail();
      max = Number(m[3] ?? m[1]);
      i += m[0].length;
    } else return 1;
    if (pattern[i] === '?') i++; // lazy
    return max;
  }

  try {
    const n = alternation();
    return i === end ? n : undefined;
  } catch {
    return undefined;
  }
}
