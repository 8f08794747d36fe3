import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { type SQL, sql } from 'drizzle-orm';
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type postgres from 'postgres';
import { isUniqueViolation } from './errors.ts';
import { installJobSchema } from './jobs.ts';
import { reserveConnection, resilientClient } from './pg-connection.ts';

/** A drizzle handle: the root database or a transaction. Both drivers share this type. */
export type Tx = PgDatabase<PgQueryResultHKT, Record<string, never>>;

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));
/** The role tenant transactions switch to, so that row-level security applies even to a superuser connection. */
export const APP_ROLE = 'helio_app';

export interface DatabaseOptions {
  /** PostgreSQL connection string; without it the embedded database is used. */
  url?: string;
  /** Data directory of the embedded database; undefined means in memory (tests). */
  dataDir?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /** Load an embedded database from a data-dir tarball (tests start from a migrated snapshot). */
  loadDataDir?: Blob;
}

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Tx;
  /** Runs fn in one transaction scoped to the tenant: RLS setting + role switch. */
  tenantTx<T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * One statement as its own transaction scoped to the tenant. On PostgreSQL the BEGIN, the tenant
   * setting, the statement and the COMMIT go out together: one round trip for the whole transaction.
   */
  statementTx<T = Record<string, unknown>>(tenantId: string, statement: SQL): Promise<T[]>;
  /**
   * A read-only transaction scoped to the tenant. On PostgreSQL its BEGIN and tenant setting go out
   * with the first query, and the COMMIT is not waited for: reads cost their own round trips only.
   */
  readTx<T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs fn in one transaction without a tenant (platform work: credential lookup, tenant resolution). */
  platformTx<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly pglite?: PGlite;
  readonly client?: postgres.Sql;
}

/** Rows of a raw query; the two drivers shape results differently. */
export async function rows<T = Record<string, unknown>>(tx: Tx, query: SQL): Promise<T[]> {
  const result: any = await tx.execute(query);
  return (Array.isArray(result) ? result : result.rows) as T[];
}

export async function one<T = Record<string, unknown>>(tx: Tx, query: SQL): Promise<T | undefined> {
  return (await rows<T>(tx, query))[0];
}

/**
 * Awaits statements issued together (pipelined) and, if any failed, throws the failure of the
 * earliest one issued: once a statement fails, the later ones only report the aborted transaction.
 */
export async function pipelined<T extends readonly unknown[] | []>(
  promises: T,
): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [P in keyof T]: Awaited<T[P]>;
  };
}

/**
 * Issues a statement now, to be awaited later: statements of one transaction run in the order issued, so
 * the caller can go on (normalize the next chunk) while the database works. A failure is held until the
 * caller awaits it (no unhandled rejection meanwhile); await pending statements in the order issued, since
 * after the first failure the later ones only report the aborted transaction.
 */
export function issue<T>(statement: PromiseLike<T>): Promise<T> {
  const started = Promise.resolve(statement);
  started.catch(() => {});
  return started;
}

/**
 * Reads that may run beside a long command on other connections of the pool, each in its own read-only
 * transaction of the tenant (they see committed data, not the command's own writes). Absent on the
 * embedded database: its one connection is held by the command, so reads there go through the command's
 * own transaction.
 */
export type SideReads = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

export function sideReads(db: Database, tenantId: string): SideReads | undefined {
  return db.kind === 'postgres' ? (fn) => db.readTx(tenantId, fn) : undefined;
}

/**
 * This transaction's COMMIT returns without waiting for its WAL flush. Only for work that is redone when
 * lost (a resumable chunk with its checkpoint): a database crash can lose it, never half of it.
 */
export async function commitWithoutFlush(tx: Tx) {
  await tx.execute(sql`set local synchronous_commit = off`);
}

/** Retries fn when a unique index rejected a concurrent insert: the retry then sees the winner's row. */
export async function retryOnUniqueViolation<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isUniqueViolation(err)) throw err;
    }
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.url ? openPostgres(options) : openPglite(options);
}

function makeTenantTx(root: Tx, useRole: () => boolean) {
  return <T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> => {
    if (!tenantId) throw new Error('tenantTx needs a tenant id');
    return root.transaction(async (tx) => {
      const setting = useRole()
        ? sql`select set_config('app.tenant_id', ${tenantId}, true), set_config('role', ${APP_ROLE}, true)`
        : sql`select set_config('app.tenant_id', ${tenantId}, true)`;
      // Not awaited before fn: the driver pipelines it ahead of fn's first query (one round trip fewer).
      const setup = tx.execute(setting).then(() => undefined);
      const [, result] = await pipelined([setup, fn(tx as unknown as Tx)]);
      return result;
    }) as Promise<T>;
  };
}

async function canAssumeAppRole(root: Tx): Promise<boolean> {
  const r = await one<{ ok: boolean }>(
    root,
    sql`select exists(select 1 from pg_roles where rolname = ${APP_ROLE}) and pg_has_role(current_user, ${APP_ROLE}, 'MEMBER') as ok`,
  );
  return Boolean(r?.ok);
}

/**
 * postgres-js runs an unprepared query with parameters as two round trips (describe, then execute);
 * drizzle asks for unprepared ones. Named prepared statements (cached per connection by text) make
 * every repeat a single round trip — round trips set the pace (DESIGN §8).
 */
function preparedByDefault(client: postgres.Sql): postgres.Sql {
  return new Proxy(client, {
    get(target: any, prop) {
      if (prop === 'unsafe') {
        return (query: string, params?: unknown[], opts?: Record<string, unknown>) =>
          target.unsafe(query, params, { ...opts, prepare: (params?.length ?? 0) > 0 });
      }
      if (prop === 'begin') {
        return (a: unknown, b?: unknown) => {
          const fn = (typeof a === 'function' ? a : b) as (tx: postgres.Sql) => unknown;
          const wrapped = (tx: postgres.Sql) => fn(preparedByDefault(tx));
          return typeof a === 'function' ? target.begin(wrapped) : target.begin(a, wrapped);
        };
      }
      if (prop === 'savepoint') {
        return (a: unknown, b?: unknown) => {
          const fn = (typeof a === 'function' ? a : b) as (tx: postgres.Sql) => unknown;
          const wrapped = (tx: postgres.Sql) => fn(preparedByDefault(tx));
          return typeof a === 'function' ? target.savepoint(wrapped) : target.savepoint(a, wrapped);
        };
      }
      const value = target[prop];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function openPostgres(options: DatabaseOptions): Promise<Database> {
  // The pool, its transactions and reserved connections survive a database restart (pg-connection.ts).
  const client = resilientClient(
    options.url!,
    {
      max: options.poolSize ?? 20,
      onnotice: () => {},
      // Seconds. A database that is down refuses at once; this bounds one that does not answer at all.
      connect_timeout: 5,
      idle_timeout: 60,
      connection: { application_name: 'helio' },
    },
    // drizzle adjusts the parsers of the pool it is given; a pool made after an outage needs the same.
    (pool) => void drizzlePostgres(pool),
  );
  const root = drizzlePostgres(preparedByDefault(client)) as unknown as Tx;
  const dialect = new PgDialect();
  let roleOk = false;
  const database: Database = {
    kind: 'postgres',
    db: root,
    client,
    tenantTx: makeTenantTx(root, () => roleOk),
    async readTx<T>(tenantId: string, fn: (tx: Tx) => Promise<T>) {
      if (!tenantId) throw new Error('readTx needs a tenant id');
      const reserved = await reserveConnection(client);
      const conn = reserved.sql;
      const release = reserved.done;
      const setup = pipelined([
        conn.unsafe('begin read only'),
        roleOk
          ? conn.unsafe(
              `select set_config('app.tenant_id', $1, true), set_config('role', $2, true)`,
              [tenantId, APP_ROLE],
              {
                prepare: true,
              },
            )
          : conn.unsafe(`select set_config('app.tenant_id', $1, true)`, [tenantId], { prepare: true }),
      ]);
      try {
        const [, result] = await pipelined([
          setup,
          fn(drizzlePostgres(preparedByDefault(Object.assign(conn, { options: client.options }))) as unknown as Tx),
        ]);
        conn.unsafe('commit').then(release, release);
        return result;
      } catch (err) {
        conn.unsafe('rollback').then(release, release);
        throw err;
      }
    },
    async statementTx<T>(tenantId: string, statement: SQL) {
      if (!tenantId) throw new Error('statementTx needs a tenant id');
      const query = dialect.sqlToQuery(statement);
      const reserved = await reserveConnection(client);
      const conn = reserved.sql;
      try {
        const settled = await Promise.allSettled([
          conn.unsafe('begin'),
          roleOk
            ? conn.unsafe(
                `select set_config('app.tenant_id', $1, true), set_config('role', $2, true)`,
                [tenantId, APP_ROLE],
                { prepare: true },
              )
            : conn.unsafe(`select set_config('app.tenant_id', $1, true)`, [tenantId], { prepare: true }),
          conn.unsafe(query.sql, query.params as any[], { prepare: true }),
          // After a failed statement PostgreSQL answers this COMMIT with a rollback.
          conn.unsafe('commit'),
        ]);
        const failed = settled.find((r) => r.status === 'rejected');
        if (failed) throw (failed as PromiseRejectedResult).reason;
        return [...((settled[2] as PromiseFulfilledResult<any>).value as T[])];
      } finally {
        reserved.done();
      }
    },
    platformTx: (fn) => root.transaction(async (tx) => fn(tx as unknown as Tx)) as any,
    async migrate() {
      // Several API processes may start at once: one migrates, the others wait on the lock.
      const reserved = await reserveConnection(client);
      try {
        await reserved.sql.unsafe('select pg_advisory_lock(727274)');
        await migratePostgres(drizzlePostgres(client), { migrationsFolder: MIGRATIONS_FOLDER });
        await installJobSchema(database);
      } finally {
        await reserved.sql.unsafe('select pg_advisory_unlock(727274)').catch(() => {});
        reserved.done();
      }
      roleOk = await canAssumeAppRole(root);
    },
    async ping() {
      await client.unsafe('select 1');
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
  roleOk = await canAssumeAppRole(root).catch(() => false);
  return database;
}

/** The embedded database is single-process: a lock file refuses a second process on the same data directory. */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dataDir, 'helio.lock');
  try {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new Error(
        `The data directory ${dataDir} is in use by process ${pid}. Stop it first, or use DATABASE_URL for several processes.`,
      );
    }
  } catch (err: any) {
    if (err?.code !== 'ENOENT') throw err;
  }
  writeFileSync(lockFile, String(process.pid));
  return () => rmSync(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err: any) {
    return err?.code === 'EPERM';
  }
}

async function openPglite(options: DatabaseOptions): Promise<Database> {
  const unlock = options.dataDir ? lockDataDir(options.dataDir) : () => {};
  const pglite = await PGlite.create({
    dataDir: options.dataDir ? join(options.dataDir, 'pg') : undefined,
    extensions: { pg_trgm },
    loadDataDir: options.loadDataDir,
  });
  const root = drizzlePglite(pglite) as unknown as Tx;
  let roleOk = await canAssumeAppRole(root).catch(() => false);
  const database: Database = {
    kind: 'pglite',
    db: root,
    pglite,
    tenantTx: makeTenantTx(root, () => roleOk),
    readTx: (tenantId, fn) => makeTenantTx(root, () => roleOk)(tenantId, fn),
    statementTx: <T>(tenantId: string, statement: SQL) =>
      makeTenantTx(root, () => roleOk)(tenantId, (tx) => rows<T>(tx, statement)),
    platformTx: (fn) => root.transaction(async (tx) => fn(tx as unknown as Tx)) as any,
    async migrate() {
      await migratePglite(drizzlePglite(pglite), { migrationsFolder: MIGRATIONS_FOLDER });
      await installJobSchema(database);
      roleOk = await canAssumeAppRole(root);
    },
    async ping() {
      await pglite.query('select 1');
    },
    async close() {
      await pglite.close();
      unlock();
    },
  };
  return database;
}
