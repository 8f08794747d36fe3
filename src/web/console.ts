import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { notFound } from '../platform/errors.ts';

/**
 * The staff console (web/, built by `npm run build` into web/dist) served at `/`. Only the console's own
 * client routes answer with index.html — never /api, /docs or /apply, which keep their own handlers and
 * their problem+json 404s — and none of these pages belongs in the OpenAPI document.
 */
export const CONSOLE_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** The first path segments of the console's client routes (web/src/App.tsx). */
const CLIENT_ROUTES = [
  'login',
  'leads',
  'approvals',
  'contacts',
  'accounts',
  'pipelines',
  'imports',
  'installers',
  'regions',
  'admin',
  'portal',
];

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Helio console</title></head>
<body><main><h1>Console not built</h1><p>Run <code>npm run build</code> (or <code>npm start</code>, which builds it when it is missing) and reload. The API is at <a href="/docs">/docs</a>.</p></main></body></html>`;

export async function consoleRoutes(app: FastifyInstance) {
  await app.register(fastifyStatic, { root: CONSOLE_DIST, serve: false });
  const route = { schema: { hide: true }, config: { auth: 'none' as const } };

  const indexPage = (reply: FastifyReply) => {
    reply.header('cache-control', 'no-cache');
    if (!existsSync(`${CONSOLE_DIST}index.html`)) return reply.type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.sendFile('index.html');
  };

  app.get('/', route, (_req, reply) => indexPage(reply));
  for (const segment of CLIENT_ROUTES) {
    app.get(`/${segment}`, route, (_req, reply) => indexPage(reply));
    app.get(`/${segment}/*`, route, (_req, reply) => indexPage(reply));
  }
  // Vite names every asset by its content hash: cache them for a year.
  app.get<{ Params: { '*': string } }>('/assets/*', route, (req, reply) => {
    const file = `assets/${req.params['*']}`;
    if (file.includes('..') || !existsSync(`${CONSOLE_DIST}${file}`))
      throw notFound('route.not_found', 'No such file.');
    return reply.sendFile(file, { immutable: true, maxAge: '365d' });
  });
}
