import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { inTenant } from '../../../platform/auth.ts';
import { parseIfMatch, setEtag } from '../../../platform/http.ts';
import { problems, uuidParam } from '../../../platform/http-schemas.ts';
import { pageOf } from '../../../platform/pagination.ts';
import { completeBody, task, taskBody, taskListQuery, taskPatchBody } from './contracts.ts';
import * as service from './service.ts';

/** Tasks and reminders: "my open tasks", overdue views, completion. */
export async function taskRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['crm'];

  app.get(
    '/api/crm/tasks',
    {
      schema: { tags, querystring: taskListQuery, response: { 200: pageOf(task), ...problems() } },
      config: { auth: 'crm:read' },
    },
    async (req) => inTenant(req, (ctx) => service.listTasks(ctx, req.query)),
  );

  app.post(
    '/api/crm/tasks',
    {
      schema: { tags, body: taskBody, response: { 201: task, ...problems(409, 422) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const created = await inTenant(req, (ctx) => service.createTask(ctx, req.body));
      setEtag(reply, created.version);
      return reply.code(201).header('location', `/api/crm/tasks/${created.id}`).send(created);
    },
  );

  app.get(
    '/api/crm/tasks/:id',
    { schema: { tags, params: uuidParam, response: { 200: task, ...problems() } }, config: { auth: 'crm:read' } },
    async (req, reply) => {
      const found = await inTenant(req, (ctx) => service.getTask(ctx, req.params.id));
      setEtag(reply, found.version);
      return found;
    },
  );

  app.patch(
    '/api/crm/tasks/:id',
    {
      schema: { tags, params: uuidParam, body: taskPatchBody, response: { 200: task, ...problems(409, 412) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const updated = await inTenant(req, (ctx) => service.updateTask(ctx, req.params.id, ifMatch, req.body));
      setEtag(reply, updated.version);
      return updated;
    },
  );

  app.post(
    '/api/crm/tasks/:id/complete',
    {
      schema: { tags, params: uuidParam, body: completeBody, response: { 200: task, ...problems(409, 412) } },
      config: { auth: 'crm:write' },
    },
    async (req, reply) => {
      const ifMatch = parseIfMatch(req);
      const done = await inTenant(req, (ctx) => service.completeTask(ctx, req.params.id, req.body ?? {}, ifMatch));
      setEtag(reply, done.version);
      return done;
    },
  );
}
