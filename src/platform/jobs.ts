import type { PGlite } from '@electric-sql/pglite';
import { type SQL, sql } from 'drizzle-orm';
import PgBoss from 'pg-boss';
import type postgres from 'postgres';
import { reserveConnection } from './pg-connection.ts';

/** What the queue needs of the database (kept structural: db.ts installs the job schema at migrate). */
interface QueueDatabase {
  readonly kind: 'pglite' | 'postgres';
  readonly pglite?: PGlite;
  readonly client?: postgres.Sql;
}
interface Tx {
  execute(query: SQL): PromiseLike<unknown>;
}

/** pg-boss lives in its own schema; its tables are created with our migrations (see installJobSchema). */
const SCHEMA = 'pgboss';
export const QUEUES = ['assignment-expiry'] as const;
export type QueueName = (typeof QUEUES)[number];

interface SqlResult {
  rows: any[];
}
interface Executor {
  executeSql(text: string, values?: unknown[]): Promise<SqlResult>;
}

// pg-boss sends its job data as an object; both drivers get it as JSON text.
const param = (v: unknown) =>
  v === undefined
    ? null
    : v && typeof v === 'object' && !(v instanceof Date) && !Array.isArray(v)
      ? JSON.stringify(v)
      : v;

/** pg-boss's positional SQL ($1, $2 …) as a drizzle statement, so it can run inside our transaction. */
export function fromPositional(text: string, values: unknown[] = []): SQL {
  const parts = text.split(/\$(\d+)/);
  const chunks: SQL[] = [];
  for (let i = 0; i < parts.length; i++) {
    chunks.push(i % 2 === 0 ? sql.raw(parts[i]) : sql`${param(values[Number(parts[i]) - 1])}`);
  }
  return sql.join(chunks);
}

function rootExecutor(db: QueueDatabase): Executor {
  if (db.kind === 'pglite') {
    const pg = db.pglite!;
    return {
      async executeSql(text, values) {
        if (values?.length) return pg.query(text, values.map(param)) as Promise<SqlResult>;
        const results = await pg.exec(text);
        return { rows: results.at(-1)?.rows ?? [] };
      },
    };
  }
  const client = db.client!;
  return {
    async executeSql(text, values) {
      if (/^\s*BEGIN\b/i.test(text)) {
        // pg-boss's own multi-statement transactions need one connection to themselves.
        const conn = await reserveConnection(client);
        try {
          await conn.sql.unsafe(text);
          return { rows: [] };
        } finally {
          conn.done();
        }
      }
      const result = await client.unsafe(text, (values ?? []).map(param) as any[]);
      return { rows: Array.isArray(result) ? [...result] : [] };
    },
  };
}

const txExecutor = (tx: Tx): Executor => ({
  async executeSql(text, values) {
    const r: any = await tx.execute(fromPositional(text, values));
    return { rows: Array.isArray(r) ? [...r] : (r.rows ?? []) };
  },
});

/** Creates pg-boss's schema and our queues once; part of `migrate`. */
export async function installJobSchema(db: QueueDatabase) {
  const exec = rootExecutor(db);
  const { rows } = await exec.executeSql(`select to_regclass('${SCHEMA}.version') is not null as present`);
  if (!rows[0]?.present) await exec.executeSql(PgBoss.getConstructionPlans(SCHEMA));
  for (const q of QUEUES) {
    const existing = await exec.executeSql(`select 1 from ${SCHEMA}.queue where name = $1`, [q]);
    if (!existing.rows.length)
      await exec.executeSql(`select ${SCHEMA}.create_queue($1, $2)`, [q, { policy: 'standard' }]);
  }
  // Tenant transactions run as helio_app and enqueue jobs in the same transaction.
  const role = await exec.executeSql(`select 1 from pg_roles where rolname = 'helio_app'`);
  if (role.rows.length) {
    await exec.executeSql(`grant usage on schema ${SCHEMA} to helio_app`);
    await exec.executeSql(`grant select, insert on all tables in schema ${SCHEMA} to helio_app`);
  }
}

export type JobHandler = (data: Record<string, unknown>) => Promise<void>;

/**
 * The job queue (pg-boss) over the same database as the app: on PGlite through the in-process
 * connection, on PostgreSQL through the pool. Jobs are enqueued inside the business transaction,
 * so an offer and its expiry job commit (or roll back) together.
 */
export class JobQueue {
  private boss: PgBoss | null = null;
  private readonly handlers = new Map<QueueName, JobHandler>();

  constructor(
    private readonly db: QueueDatabase,
    private readonly options: { pollingIntervalSeconds?: number } = {},
  ) {}

  on(queue: QueueName, handler: JobHandler) {
    this.handlers.set(queue, handler);
  }

  async start() {
    const boss = new PgBoss({
      db: rootExecutor(this.db),
      schema: SCHEMA,
      migrate: false,
      schedule: false,
      supervise: true,
    } as any);
    boss.on('error', () => {});
    await boss.start();
    for (const [queue, handler] of this.handlers) {
      await boss.work(
        queue,
        { pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? 1, batchSize: 20 },
        async (jobs) => {
          for (const job of jobs) await handler(job.data as Record<string, unknown>);
        },
      );
    }
    this.boss = boss;
  }

  async stop() {
    await this.boss?.stop({ graceful: true, wait: true, timeout: 5000 } as any);
    this.boss = null;
  }
}

// Never started: used only to build and send jobs through the caller's transaction.
let sender: PgBoss | null = null;

/** Enqueues a job in the caller's transaction (works whether or not a worker runs in this process). */
export async function enqueue(
  tx: Tx,
  queue: QueueName,
  data: Record<string, unknown>,
  options: { startAfter?: Date; singletonKey?: string } = {},
) {
  sender ??= new PgBoss({ db: { executeSql: async () => ({ rows: [] }) }, schema: SCHEMA } as any);
  await sender.send(queue, data, { ...options, db: txExecutor(tx) } as any);
}
