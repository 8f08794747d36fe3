import postgres from 'postgres';
import { isDatabaseUnavailable } from './errors.ts';

/**
 * The PostgreSQL client, made to outlive its database.
 *
 * postgres-js 3.4.9 does not survive a server restart under load by itself:
 * - a query sent on a reserved or transaction connection after its socket closed is written from a
 *   setImmediate on a null socket: an uncaught TypeError that ends the process (porsager/postgres#1208).
 *   Its own `begin` does that with the ROLLBACK after a query failed because the server went away, and
 *   `release()` of such a connection puts the dead one among the open ones for the next query (#1199);
 * - queries queued behind a busy reserved connection are never settled when it closes;
 * - a `reserve()` whose connection attempt fails stays queued, and is later "served" a connection nobody
 *   holds, so after an outage the pool's connections leak until every query waits forever (#1195).
 *
 * Hence two layers. A dedicated connection ({@link reserveConnection}) is guarded: once it is known lost,
 * its pending queries fail with CONNECTION_CLOSED, nothing more is sent on it, and it is not released.
 * And the pool ({@link resilientClient}) has a circuit: the first "database unavailable" error opens it,
 * and while open every query fails at once (503) without touching the driver's queues; a probe on a
 * fresh connection waits for the database, then a fresh pool replaces the old one, which is ended.
 * (Whoever uses `listen`/`subscribe` must listen again after that: those belong to the pool of the moment.)
 */

const UNAVAILABLE = 'DATABASE_UNAVAILABLE';
const PROBE_EVERY_MS = 200;
/** How long queries still running on a replaced pool may take before its connections are cut. */
const OLD_POOL_GRACE_S = 10;

const lostError = () =>
  Object.assign(new Error('The database connection was lost.'), { code: 'CONNECTION_CLOSED' as const });
const unavailableError = () =>
  Object.assign(new Error('The database is unavailable.'), { code: UNAVAILABLE as typeof UNAVAILABLE });

/** A query that fails when awaited, without touching any connection (postgres-js queries are lazy too). */
function failedQuery(err: Error): any {
  const fail = () => Promise.reject(err);
  const q: any = {
    // biome-ignore lint/suspicious/noThenProperty: it stands in for a postgres-js query, which is a thenable.
    then: (ok?: (v: never) => unknown, ko?: (e: unknown) => unknown) => fail().then(ok, ko),
    catch: (ko: (e: unknown) => unknown) => fail().catch(ko),
    finally: (f: () => void) => fail().finally(f),
  };
  for (const m of ['values', 'raw', 'execute', 'simple']) q[m] = () => q;
  return q;
}

/**
 * Lets onFailure see a query's error on its way to the caller, and settles it with `abandon` if that
 * rejects first. The query stays lazy: nothing runs before the caller awaits it.
 */
function watch(q: any, onFailure: (err: unknown) => void, abandon?: Promise<never>) {
  const then = q.then;
  // biome-ignore lint/suspicious/noThenProperty: the query stays a thenable; only its settlement is observed.
  q.then = (ok?: (v: unknown) => unknown, ko?: (e: unknown) => unknown) => {
    const settled = then.call(
      q,
      (v: unknown) => v,
      (err: unknown) => {
        onFailure(err);
        throw err;
      },
    );
    return (abandon ? Promise.race([settled, abandon]) : settled).then(ok, ko);
  };
  return q;
}

/** Where a reserved connection reports failures to its pool's circuit. */
const REPORT = Symbol('report database failure');

/**
 * A postgres-js pool behind a circuit (see the top of this file). Same interface as postgres(): tagged
 * queries, unsafe, reserve, begin, options, end. `onCreate` sees every pool made (drizzle adjusts its parsers).
 */
export function resilientClient(
  url: string,
  options: postgres.Options<Record<string, postgres.PostgresType>>,
  onCreate: (client: postgres.Sql) => void = () => {},
): postgres.Sql {
  const make = () => {
    const c = postgres(url, options);
    onCreate(c);
    return c;
  };
  let current = make();
  let generation = 0;
  let open = false;
  let ended = false;

  const failed = (err: unknown, gen: number) => {
    if (gen !== generation || open || ended || !isDatabaseUnavailable(err)) return;
    open = true;
    void recover();
  };

  async function recover() {
    while (!ended) {
      // Unref'd: a process with nothing else to do (a CLI command that failed) need not wait for the database.
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS).unref());
      const probe = postgres(url, {
        ...options,
        max: 1,
        connect_timeout: 2,
        idle_timeout: 1,
        fetch_types: false,
        onnotice: () => {},
      });
      try {
        await probe.unsafe('select 1');
      } catch {
        await probe.end({ timeout: 0 }).catch(() => {});
        continue;
      }
      await probe.end({ timeout: 1 }).catch(() => {});
      if (ended) return;
      const old = current;
      current = make();
      generation++;
      open = false;
      old.end({ timeout: OLD_POOL_GRACE_S }).catch(() => {});
      return;
    }
  }

  const issue = (run: (c: postgres.Sql) => any) => {
    if (open) return failedQuery(unavailableError());
    const gen = generation;
    return watch(run(current), (err) => failed(err, gen));
  };

  const proxy = new Proxy(() => {}, {
    apply: (_target, _this, args: any[]) => issue((c) => (c as any)(...args)),
    get(_target, prop) {
      if (prop === 'unsafe') {
        return (text: string, params?: any[], opts?: any) => issue((c) => c.unsafe(text, params, opts));
      }
      if (prop === 'reserve') {
        return async () => {
          if (open) throw unavailableError();
          const gen = generation;
          try {
            const reserved = await current.reserve();
            return Object.assign(reserved, { [REPORT]: (err: unknown) => failed(err, gen) });
          } catch (err) {
            failed(err, gen);
            throw err;
          }
        };
      }
      if (prop === 'begin') {
        return (a: unknown, b?: unknown) => {
          const fn = (typeof a === 'function' ? a : b) as (tx: postgres.Sql) => Promise<unknown>;
          return transaction(proxy, typeof a === 'string' ? a : '', fn);
        };
      }
      if (prop === 'end') {
        return (opts?: { timeout?: number }) => {
          ended = true;
          return current.end(opts);
        };
      }
      const value = (current as any)[prop];
      return typeof value === 'function' ? value.bind(current) : value;
    },
  }) as unknown as postgres.Sql;
  return proxy;
}

/** The slice of postgres-js's internal connection object the guard relies on (connection.js). */
interface DriverConnection {
  onclose?: ((err: unknown) => void) | null;
  terminate(): void;
}

export interface DedicatedConnection {
  /** Queries on the connection; once it is lost they fail at once (code CONNECTION_CLOSED), unsent. */
  readonly sql: postgres.Sql;
  /** Gives a healthy connection back to the pool; a lost one stays with the pool's closed ones. */
  done(): void;
}

/** Reserves one connection of the pool behind the guard. */
export async function reserveConnection(client: postgres.Sql): Promise<DedicatedConnection> {
  const reserved = await client.reserve();
  const report = (reserved as any)[REPORT] as ((err: unknown) => void) | undefined;
  let connection: DriverConnection | undefined;
  let closed = false;
  let lost = false;
  let finished = false;
  let signalLost: (err: Error) => void = () => {};
  const lostSignal = new Promise<never>((_, reject) => {
    signalLost = reject;
  });
  lostSignal.catch(() => {});
  const markLost = () => {
    lost = true;
    signalLost(lostError());
  };

  // postgres-js hands the connection object to a query's `onexecute` (its own `begin` learns it so).
  const onexecute = (c: DriverConnection) => {
    if (!connection) {
      connection = c;
      c.onclose = () => {
        closed = true;
        markLost();
      };
    }
    return true;
  };
  const noteFailure = (err: unknown) => {
    report?.(err);
    if (lost || !isDatabaseUnavailable(err)) return;
    markLost();
    // The server said goodbye (57P01 …) or the socket failed, but the close is not processed yet: end the
    // connection ourselves, so that anything still sent on it is refused by the driver instead of written.
    if (connection && !closed) connection.terminate();
  };
  // A query queued behind the busy connection is never settled by the driver once it closes: lostSignal does.
  const send = (run: () => any) => (lost ? failedQuery(lostError()) : watch(run(), noteFailure, lostSignal));

  let savepoints = 0;
  const sql: any = new Proxy(reserved, {
    apply: (target, _this, args: any[]) => send(() => (target as any)(...args)),
    get(target: any, prop) {
      if (prop === 'unsafe') {
        return (text: string, params?: unknown[], opts?: Record<string, unknown>) =>
          send(() => target.unsafe(text, params, { ...opts, onexecute }));
      }
      if (prop === 'savepoint') {
        // drizzle's nested transactions; postgres-js offers savepoint only inside its own begin.
        return async (a: unknown, b?: unknown) => {
          const fn = (typeof a === 'function' ? a : b) as (tx: postgres.Sql) => Promise<unknown>;
          const name = `s${++savepoints}`;
          await sql.unsafe(`savepoint ${name}`);
          try {
            const result = await fn(sql);
            await sql.unsafe(`release savepoint ${name}`);
            return result;
          } catch (err) {
            if (!lost) await sql.unsafe(`rollback to savepoint ${name}`);
            throw err;
          }
        };
      }
      if (prop === 'release') return undefined;
      const value = target[prop];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

  return {
    sql,
    done() {
      if (finished) return;
      finished = true;
      if (lost) return;
      if (connection) connection.onclose = null;
      reserved.release();
    },
  };
}

/** One transaction on a dedicated connection: what postgres-js's `begin` does, minus its crash on a lost connection. */
export async function transaction<T>(
  client: postgres.Sql,
  mode: string,
  fn: (tx: postgres.Sql) => Promise<T>,
): Promise<T> {
  const conn = await reserveConnection(client);
  try {
    await conn.sql.unsafe(`begin ${mode.replace(/[^a-z ]/gi, '')}`);
    let result: T;
    try {
      result = await fn(conn.sql);
    } catch (err) {
      await conn.sql.unsafe('rollback').catch(() => {});
      throw err;
    }
    await conn.sql.unsafe('commit');
    return result;
  } finally {
    conn.done();
  }
}
