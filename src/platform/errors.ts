/** Typed application errors. One handler (platform/http.ts) turns them into RFC 9457 problem+json. */
export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, detail: string, errors?: FieldError[], extra?: Record<string, unknown>) =>
  new AppError(400, code, detail, extra, errors);
export const validationFailed = (errors: FieldError[], detail = 'The request is not valid.') =>
  new AppError(400, 'validation.failed', detail, {}, errors);
export const unauthorized = (detail = 'A valid credential is required.', code = 'auth.unauthenticated') =>
  new AppError(401, code, detail);
export const forbidden = (capability: string) =>
  new AppError(403, 'auth.forbidden', `This action needs the capability '${capability}'.`, { capability });
export const notFound = (code: string, detail = 'The record does not exist.') => new AppError(404, code, detail);
export const methodNotAllowed = (code: string, detail: string) => new AppError(405, code, detail);
export const conflict = (code: string, detail: string, extra?: Record<string, unknown>) =>
  new AppError(409, code, detail, extra);
export const preconditionFailed = (detail = 'The record changed since you read it.') =>
  new AppError(412, 'concurrency.version_mismatch', detail);
export const unprocessable = (code: string, detail: string) => new AppError(422, code, detail);
export const tooManyRequests = (detail: string) => new AppError(429, 'rate_limit.exceeded', detail);
export const unavailable = (detail = 'The service is temporarily unavailable.') =>
  new AppError(503, 'system.unavailable', detail);

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const titleFor = (status: number) => TITLES[status] ?? 'Error';

/** PostgreSQL error codes that mean "the database is not reachable right now", not "the request is wrong". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
]);
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // pg-connection.ts: the circuit is open, the query was not even tried.
  'DATABASE_UNAVAILABLE',
]);

/** Errors drizzle wraps keep the driver error as `cause`; walk the chain to find the SQLSTATE or socket code. */
export function dbErrorCode(err: unknown): string | undefined {
  let e: any = err;
  for (let i = 0; e && i < 5; i++) {
    if (typeof e.code === 'string' && e.code.length > 0) return e.code;
    e = e.cause;
  }
  return undefined;
}

export function dbConstraint(err: unknown): string | undefined {
  let e: any = err;
  for (let i = 0; e && i < 5; i++) {
    if (typeof e.constraint_name === 'string') return e.constraint_name;
    if (typeof e.constraint === 'string') return e.constraint;
    e = e.cause;
  }
  return undefined;
}

export const isUniqueViolation = (err: unknown) => dbErrorCode(err) === '23505';

/** The database is away (refused, closed, shutting down, starting up), as opposed to the request being wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = dbErrorCode(err);
  return code !== undefined && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NODE_CODES.has(code));
}

/** Map a driver error to an AppError when it has a meaning for the client; otherwise undefined (a 500). */
export function fromDatabaseError(err: unknown): AppError | undefined {
  // The embedded database has no SQLSTATE for "gone" (shutting down): the same answer as a lost server.
  for (let e: any = err, i = 0; e && i < 5; e = e.cause, i++) {
    if (/^PGlite is clos(ed|ing)$/.test(String(e.message))) return unavailable();
  }
  if (isDatabaseUnavailable(err)) return unavailable();
  const code = dbErrorCode(err);
  if (!code) return undefined;
  // Text PostgreSQL cannot store (invalid UTF-8, NUL) or values out of range: the input is at fault.
  if (code === '22021' || code === '22P05' || code === '22003' || code === '22008' || code === '22007') {
    return badRequest('validation.unstorable_value', 'A value in the request cannot be stored.');
  }
  if (code === '40001' || code === '40P01') {
    return conflict('concurrency.retry', 'The request conflicted with a concurrent change; retry it.');
  }
  return undefined;
}
