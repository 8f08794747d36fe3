import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inTenant } from '../../platform/auth.ts';
import { parseIfMatch, setEtag } from '../../platform/http.ts';
import { problems, uuidParam } from '../../platform/http-schemas.ts';
import { pageOf } from '../../platform/pagination.ts';
import {
  contact,
  contactBody,
  createInstallerBody,
  installer,
  installerListQuery,
  note,
  noteBody,
  patchInstallerBody,
  regionsBody,
} from './contracts.ts';
import * as service from './service.ts';

export async function installerRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['installers'];

  app.get(
    '/api/installers',
    {
      schema: { tags, querystring: installerListQuery, response: { 200: pageOf(installer), ...problems() } },
      config: { auth: 'installers:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listInstallers(ctx, req.query)),
  );

  app.post(
    '/api/installers',
    {
      schema: { tags, body: createInstallerBody, response: { 201: installer, ...problems(409) } },
      config: { auth: 'installers:write' },
    },
    async (req, reply) => {
      const i = await inTenant(req, (ctx) => service.createInstaller(ctx, req.body));
      setEtag(reply, i.version);
      return reply.code(201).send(i);
    },
  );

  app.get(
    '/api/installers/:id',
    {
      schema: { tags, params: uuidParam, response: { 200: installer, ...problems() } },
      config: { auth: 'installers:read' },
    },
    async (req, reply) => {
      const i = await inTenant(req, (ctx) => service.getInstaller(ctx, req.params.id));
      setEtag(reply, i.version);
      return i;
    },
  );

  app.patch(
    '/api/installers/:id',
    {
      schema: {
        tags,
        params: uuidParam,
        body: patchInstallerBody,
        response: { 200: installer, ...problems(409, 412) },
      },
      config: { auth: 'installers:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const i = await inTenant(req, (ctx) => service.patchInstaller(ctx, req.params.id, ifMatch, req.body));
      setEtag(reply, i.version);
      return i;
    },
  );

  app.get(
    '/api/installers/:id/contacts',
    {
      schema: { tags, params: uuidParam, response: { 200: z.object({ data: z.array(contact) }), ...problems() } },
      config: { auth: 'installers:read' },
    },
    async (req) => ({ data: await inTenant(req, (ctx) => service.listContacts(ctx, req.params.id)) }),
  );

  app.post(
    '/api/installers/:id/contacts',
    {
      schema: { tags, params: uuidParam, body: contactBody, response: { 201: contact, ...problems(409) } },
      config: { auth: 'installers:write' },
    },
    async (req, reply) =>
      reply.code(201).send(await inTenant(req, (ctx) => service.addContact(ctx, req.params.id, req.body))),
  );

  app.get(
    '/api/installers/:id/notes',
    {
      schema: { tags, params: uuidParam, response: { 200: z.object({ data: z.array(note) }), ...problems() } },
      config: { auth: 'installers:read' },
    },
    async (req) => ({ data: await inTenant(req, (ctx) => service.listNotes(ctx, req.params.id)) }),
  );

  app.post(
    '/api/installers/:id/notes',
    {
      schema: { tags, params: uuidParam, body: noteBody, response: { 201: note, ...problems() } },
      config: { auth: 'installers:write' },
    },
    async (req, reply) =>
      reply.code(201).send(await inTenant(req, (ctx) => service.addNote(ctx, req.params.id, req.body))),
  );

  app.put(
    '/api/installers/:id/regions',
    {
      schema: {
        tags,
        params: uuidParam,
        body: regionsBody,
        response: { 200: z.object({ regionIds: z.array(z.uuid()) }), ...problems() },
      },
      config: { auth: 'installers:write' },
    },
    async (req) => inTenant(req, (ctx) => service.replaceCoverage(ctx, req.params.id, req.body.regionIds)),
  );
}
