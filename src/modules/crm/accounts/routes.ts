import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inTenant } from '../../../platform/auth.ts';
import { parseIfMatch, setEtag } from '../../../platform/http.ts';
import { problems, uuidParam } from '../../../platform/http-schemas.ts';
import { listQuery, pageOf } from '../../../platform/pagination.ts';
import {
  account,
  accountListQuery,
  contactRelationship,
  createAccountBody,
  member,
  memberBody,
  memberParams,
  patchAccountBody,
  propertyInterest,
  propertyInterestBody,
  propertyInterestParams,
  relationship,
  relationshipBody,
} from './contracts.ts';
import * as service from './service.ts';

const noContent = { 204: z.null() };

/** Accounts and households, their members, person ↔ person relationships and property interests. */
export async function accountRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['crm'];

  app.get(
    '/api/crm/accounts',
    {
      schema: { tags, querystring: accountListQuery, response: { 200: pageOf(account), ...problems() } },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listAccounts(ctx, req.query)),
  );

  app.post(
    '/api/crm/accounts',
    {
      schema: { tags, body: createAccountBody, response: { 201: account, ...problems(409, 422) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const a = await inTenant(req, (ctx) => service.createAccount(ctx, req.body));
      setEtag(reply, a.version);
      return reply.code(201).header('location', `/api/crm/accounts/${a.id}`).send(a);
    },
  );

  app.get(
    '/api/crm/accounts/:id',
    {
      schema: { tags, params: uuidParam, response: { 200: account, ...problems() } },
      config: { auth: 'crm:read' },
    },
    async (req, reply) => {
      const a = await inTenant(req, (ctx) => service.getAccount(ctx, req.params.id));
      setEtag(reply, a.version);
      return a;
    },
  );

  app.patch(
    '/api/crm/accounts/:id',
    {
      schema: { tags, params: uuidParam, body: patchAccountBody, response: { 200: account, ...problems(409, 412) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const a = await inTenant(req, (ctx) => service.patchAccount(ctx, req.params.id, ifMatch, req.body));
      setEtag(reply, a.version);
      return a;
    },
  );

  app.get(
    '/api/crm/accounts/:id/members',
    {
      schema: { tags, params: uuidParam, querystring: listQuery, response: { 200: pageOf(member), ...problems() } },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listMembers(ctx, req.params.id, req.query)),
  );

  app.post(
    '/api/crm/accounts/:id/members',
    {
      schema: { tags, params: uuidParam, body: memberBody, response: { 201: member, ...problems(409, 422) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) =>
      reply.code(201).send(await inTenant(req, (ctx) => service.addMember(ctx, req.params.id, req.body))),
  );

  app.delete(
    '/api/crm/accounts/:id/members/:personId',
    {
      schema: { tags, params: memberParams, response: { ...noContent, ...problems() } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      await inTenant(req, (ctx) => service.removeMember(ctx, req.params.id, req.params.personId));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/crm/relationships',
    {
      schema: { tags, body: relationshipBody, response: { 201: relationship, ...problems(409, 422) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => reply.code(201).send(await inTenant(req, (ctx) => service.createRelationship(ctx, req.body))),
  );

  app.delete(
    '/api/crm/relationships/:id',
    {
      schema: { tags, params: uuidParam, response: { ...noContent, ...problems() } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      await inTenant(req, (ctx) => service.deleteRelationship(ctx, req.params.id));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/crm/contacts/:id/relationships',
    {
      schema: {
        tags,
        params: uuidParam,
        querystring: listQuery,
        response: { 200: pageOf(contactRelationship), ...problems() },
      },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listRelationshipsOfContact(ctx, req.params.id, req.query)),
  );

  app.get(
    '/api/crm/contacts/:id/property-interests',
    {
      schema: {
        tags,
        params: uuidParam,
        querystring: listQuery,
        response: { 200: pageOf(propertyInterest), ...problems() },
      },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listPropertyInterests(ctx, req.params.id, req.query)),
  );

  app.post(
    '/api/crm/contacts/:id/property-interests',
    {
      schema: {
        tags,
        params: uuidParam,
        body: propertyInterestBody,
        response: { 201: propertyInterest, ...problems(409, 422) },
      },
      config: { auth: 'crm:write' },
    },
    async (req, reply) =>
      reply.code(201).send(await inTenant(req, (ctx) => service.addPropertyInterest(ctx, req.params.id, req.body))),
  );

  app.delete(
    '/api/crm/contacts/:id/property-interests/:interestId',
    {
      schema: { tags, params: propertyInterestParams, response: { ...noContent, ...problems() } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      await inTenant(req, (ctx) => service.removePropertyInterest(ctx, req.params.id, req.params.interestId));
      return reply.code(204).send(null);
    },
  );
}
