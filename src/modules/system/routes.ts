import { readdirSync, readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inTenant } from '../../platform/auth.ts';
import { MIGRATIONS_FOLDER, rows } from '../../platform/db.ts';
import { problem, problems } from '../../platform/http-schemas.ts';
import * as crm from '../crm/index.ts';
import { countEvents } from '../events/index.ts';
import * as leads from '../leads/index.ts';

const VERSION = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version as string;

/** system: health, version, migration state, counts. It reads; it owns nothing durable. */
export async function systemRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['system'];

  app.get(
    '/api/system/health',
    {
      schema: { tags, response: { 200: z.object({ status: z.literal('ok') }), 503: problem } },
      config: { auth: 'none' },
    },
    async () => {
      await app.db.ping();
      return { status: 'ok' as const };
    },
  );

  app.get(
    '/api/system/snapshot',
    {
      schema: {
        tags,
        response: {
          200: z.object({
            version: z.string(),
            database: z.enum(['pglite', 'postgres']),
            migrations: z.object({ applied: z.number().int(), available: z.number().int(), upToDate: z.boolean() }),
            counts: z.record(z.string(), z.record(z.string(), z.number().int())),
          }),
          ...problems(),
        },
      },
      config: { auth: 'system:read' },
    },
    async (req) => {
      const available = readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql')).length;
      const applied = Number(
        (await rows<{ n: number }>(app.db.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`))[0]
          ?.n ?? 0,
      );
      const counts = await inTenant(req, async (ctx) => ({
        leads: await leads.countRecords(ctx),
        crm: await crm.countRecords(ctx),
        events: await countEvents(ctx),
      }));
      return {
        version: VERSION,
        database: app.db.kind,
        migrations: { applied, available, upToDate: applied === available },
        counts,
      };
    },
  );
}
