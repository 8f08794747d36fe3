/**
 * Diagnostics only: the app's own PostgreSQL `Database` (src/platform/db.ts openDatabase, unchanged), with
 * its postgres-js client instrumented in place so the benchmark can
 *   - count the statements the app sends (`stats.statements`, BEGIN and COMMIT included), and
 *   - optionally force `prepare: true` on every statement (`forcePrepare`).
 *
 * Why the second: drizzle-orm's postgres-js session calls `client.unsafe(sql, params, { prepare: false })`
 * for every statement built with the query builder. postgres-js then sends a statement with parameters in
 * two steps (Parse/Describe/Flush, wait for the parameter types, then Bind/Execute/Sync) and holds the
 * connection's next statement back until it is done: two round trips per statement, no pipelining. With
 * `prepare: true` a statement is described once per connection and afterwards sent in one go, and
 * statements issued together share a write.
 */
import type postgres from 'postgres';
import { type Database, openDatabase } from '../src/platform/db.ts';

export interface VariantStats {
  /** Statements sent through `unsafe` (every drizzle statement), BEGIN and COMMIT included. */
  statements: number;
  /** When set, the text of every statement sent through `unsafe` is appended here. */
  log?: string[];
}

const instrumented = new WeakSet<object>();

/** Patches a postgres-js `sql` object (root, transaction or reserved connection) and those it hands out. */
function instrument(sql: any, forcePrepare: boolean, stats: VariantStats) {
  if (instrumented.has(sql)) return;
  instrumented.add(sql);
  const { unsafe, begin, savepoint, reserve } = sql;
  sql.unsafe = (query: string, params?: unknown[], options?: Record<string, unknown>) => {
    stats.statements++;
    stats.log?.push(query);
    return unsafe.call(sql, query, params, forcePrepare ? { ...options, prepare: true } : options);
  };
  // postgres-js sends BEGIN through `unsafe` (counted there), SAVEPOINT, COMMIT and RELEASE as tagged templates.
  const scoped = (original: (...args: unknown[]) => unknown, sent: string[]) =>
    function (this: unknown, ...args: unknown[]) {
      const fn = args.pop() as (tx: postgres.Sql) => unknown;
      stats.statements += sent.length;
      stats.log?.push(...sent);
      return original.call(sql, ...args, (tx: postgres.Sql) => {
        instrument(tx, forcePrepare, stats);
        return fn(tx);
      });
    };
  if (typeof begin === 'function') sql.begin = scoped(begin, ['commit']);
  if (typeof savepoint === 'function') sql.savepoint = scoped(savepoint, ['savepoint', 'release']);
  if (typeof reserve === 'function') {
    sql.reserve = async () => {
      const conn = await reserve.call(sql);
      instrument(conn, forcePrepare, stats);
      return conn;
    };
  }
}

export async function openVariantPostgres(
  url: string,
  opts: { forcePrepare: boolean },
): Promise<Database & { stats: VariantStats }> {
  const db = await openDatabase({ url });
  if (!db.client) throw new Error('openDatabase returned no postgres-js client');
  const stats: VariantStats = { statements: 0 };
  instrument(db.client, opts.forcePrepare, stats);
  return Object.assign(db, { stats });
}
