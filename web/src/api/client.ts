import createClient from 'openapi-fetch';
import type { paths } from './schema';

/** The typed client of the public HTTP API (types generated from /api/openapi.json by `npm run gen:api`). */
export const api = createClient<paths>();

/** The JSON body of an operation's response. */
export type Body<P extends keyof paths, M extends keyof paths[P], S extends number = 200> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

/** The JSON request body of an operation. */
export type RequestBody<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer T } };
}
  ? T
  : never;

/** RFC 9457 problem details as the API sends them. */
export interface Problem {
  title?: string;
  detail?: string;
  status?: number;
  code?: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? 'The request failed.');
    this.problem = problem;
  }
}

const TOKEN_KEY = 'helio.token';
let token = sessionStorage.getItem(TOKEN_KEY);
let onUnauthorized: () => void = () => {};

export function setToken(value: string | null) {
  token = value;
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}
export const hasToken = () => token !== null;
export function whenUnauthorized(handler: () => void) {
  onUnauthorized = handler;
}

api.use({
  onRequest({ request }) {
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    // An expired or revoked session: back to the sign-in screen.
    if (response.status === 401 && token) {
      setToken(null);
      onUnauthorized();
    }
    return response;
  },
});

/** The data of an openapi-fetch result, or an ApiError carrying the problem. */
export async function unwrap<T>(result: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await result;
  if (error !== undefined || !response.ok) {
    const problem = (typeof error === 'object' && error !== null ? error : {}) as Problem;
    throw new ApiError({ status: response.status, title: response.statusText, ...problem });
  }
  return data as T;
}
