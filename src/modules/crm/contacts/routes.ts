import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inTenant } from '../../../platform/auth.ts';
import { parseIfMatch, setEtag } from '../../../platform/http.ts';
import { problems, uuidParam } from '../../../platform/http-schemas.ts';
import { pageOf } from '../../../platform/pagination.ts';
import { client360, client360Schema } from '../../../workflows/client-360.ts';
import { listContactsWithSummaries } from '../../../workflows/contact-list.ts';
import {
  addEmailBody,
  addPhoneBody,
  contact,
  contactCreateBody,
  contactListItem,
  contactListQuery,
  contactPatchBody,
  emailRefBody,
  phoneRefBody,
} from './contracts.ts';
import * as service from './service.ts';

const kinds = [
  { kind: 'email', path: 'emails', add: addEmailBody, ref: emailRefBody },
  { kind: 'phone', path: 'phones', add: addPhoneBody, ref: phoneRefBody },
] as const;

/** People (contacts), their emails and phones, and the client 360. */
export async function contactRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['crm'];

  app.get(
    '/api/crm/contacts',
    {
      schema: {
        tags,
        summary: 'People, newest first, with last activity, open opportunities and latest scores',
        querystring: contactListQuery,
        response: { 200: pageOf(contactListItem), ...problems() },
      },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => listContactsWithSummaries(ctx, req.query)),
  );

  app.post(
    '/api/crm/contacts',
    {
      schema: { tags, body: contactCreateBody, response: { 201: contact, ...problems(409, 422) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const person = await inTenant(req, (ctx) => service.createContact(ctx, req.body));
      setEtag(reply, person.version);
      return reply.code(201).header('location', `/api/crm/contacts/${person.id}`).send(person);
    },
  );

  app.get(
    '/api/crm/contacts/:id',
    {
      schema: { tags, params: uuidParam, response: { 200: contact, ...problems() } },
      config: { auth: 'crm:read' },
    },
    async (req, reply) => {
      const person = await inTenant(req, (ctx) => service.getContact(ctx, req.params.id));
      setEtag(reply, person.version);
      return person;
    },
  );

  app.patch(
    '/api/crm/contacts/:id',
    {
      schema: { tags, params: uuidParam, body: contactPatchBody, response: { 200: contact, ...problems(409, 412) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const person = await inTenant(req, (ctx) => service.patchContact(ctx, req.params.id, ifMatch, req.body));
      setEtag(reply, person.version);
      return person;
    },
  );

  // Emails and phones: add, make primary, remove. The address travels in the body, never in the URL.
  for (const k of kinds) {
    app.post(
      `/api/crm/contacts/:id/${k.path}`,
      {
        schema: {
          tags,
          summary: `Add ${k.kind === 'email' ? 'an email' : 'a phone'} (the first one, or with primary: true, becomes primary)`,
          params: uuidParam,
          body: k.add,
          response: { 201: contact, ...problems(409, 412, 422) },
        },
        config: { auth: 'crm:write' },
      },
      async (req, reply) => {
        const ifMatch = parseIfMatch(req);
        const b = req.body as z.infer<typeof k.add>;
        const value = 'email' in b ? b.email : b.phone;
        const person = await inTenant(req, (ctx) =>
          service.addContactPoint(ctx, req.params.id, ifMatch, {
            kind: k.kind,
            value,
            label: b.label,
            primary: b.primary,
          }),
        );
        setEtag(reply, person.version);
        return reply.code(201).send(person);
      },
    );

    for (const [action, command] of [
      ['primary', service.makeContactPointPrimary],
      ['remove', service.removeContactPoint],
    ] as const) {
      app.post(
        `/api/crm/contacts/:id/${k.path}/${action}`,
        {
          schema: {
            tags,
            summary: action === 'primary' ? `Make one of the ${k.path} primary` : `Remove one of the ${k.path}`,
            params: uuidParam,
            body: k.ref,
            response: { 200: contact, ...problems(409, 412, 422) },
          },
          config: { auth: 'crm:write' },
        },
        async (req, reply) => {
          const ifMatch = parseIfMatch(req);
          const b = req.body as z.infer<typeof k.ref>;
          const value = 'email' in b ? b.email : b.phone;
          const person = await inTenant(req, (ctx) => command(ctx, req.params.id, ifMatch, { kind: k.kind, value }));
          setEtag(reply, person.version);
          return person;
        },
      );
    }
  }

  app.get(
    '/api/crm/client-360/:personId',
    {
      schema: {
        tags,
        summary: 'Everything about a client, each part read from its owning module (a derived read model)',
        params: z.object({ personId: z.uuid() }),
        response: { 200: client360Schema, ...problems() },
      },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => client360(ctx, req.params.personId)),
  );
}
