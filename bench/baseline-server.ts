/**
 * The intake benchmark's baseline (DESIGN §8): a bare Fastify route doing one INSERT into a bare table of
 * the same PostgreSQL database, through postgres-js with the app's pool size (20). Run as its own process,
 * like the app: `node --import tsx bench/baseline-server.ts` with DATABASE_URL and PORT.
 */
import Fastify from 'fastify';
import postgres from 'postgres';
import { uuidv7 } from 'uuidv7';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('baseline-server needs DATABASE_URL');
const port = Number(process.env.PORT ?? 3100);

const sql = postgres(url, { max: 20, onnotice: () => {}, connection: { application_name: 'helio-bench-baseline' } });
await sql`create table if not exists bench_baseline (
  id uuid primary key,
  email text not null,
  payload jsonb not null,
  created_at timestamptz not null default now()
)`;

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.get('/health', async () => ({ status: 'ok' }));
app.post('/intake', async (req, reply) => {
  const body = req.body as { contact?: { email?: string } };
  await sql`insert into bench_baseline (id, email, payload)
            values (${uuidv7()}, ${body?.contact?.email ?? ''}, ${sql.json(body as any)})`;
  return reply.code(201).send({ status: 'received' });
});

const stop = async () => {
  await app.close();
  await sql.end({ timeout: 5 });
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
await app.listen({ port, host: '127.0.0.1' });
