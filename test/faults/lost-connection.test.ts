import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows, type Tx } from '../../src/platform/db.ts';
import { fromDatabaseError } from '../../src/platform/errors.ts';
import { createTestDb, usingPostgres } from '../helpers.ts';

/**
 * One connection lost while in use (its backend terminated), in each way the app holds a dedicated
 * connection: postgres-js 3.4.9 crashes the process or hangs here (porsager/postgres#1208, #1199);
 * src/platform/pg-connection.ts must turn it into a 503 for that request only, and the pool must go
 * on serving. A crash would end this test file's worker; a hang would time it out.
 */
describe.skipIf(!usingPostgres())('a connection lost while in use (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDb>>;
  let tenantId: string;

  beforeAll(async () => {
    db = await createTestDb();
    const [t] = await rows<{ id: string }>(db.db, sql`select id from tenants limit 1`);
    tenantId = t?.id ?? '00000000-0000-4000-8000-000000000000';
  });

  afterAll(async () => {
    await db?.drop();
  });

  /**
   * Terminates the backend serving tx, from another connection of the pool, and lets the close arrive:
   * a query sent on the connection after that is what crashes postgres-js on its own.
   */
  async function killOwnBackend(tx: Tx) {
    const [{ pid }] = await rows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`);
    await db.db.execute(sql`select pg_terminate_backend(${pid})`);
    await new Promise((r) => setTimeout(r, 100));
  }

  /** The pool answers again (the circuit closes once a probe connects), then takes a burst of every kind of work. */
  async function poolServes() {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await db.ping();
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const work = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0
        ? db.readTx(tenantId, (tx) => rows(tx, sql`select 1 as one`))
        : i % 3 === 1
          ? db.tenantTx(tenantId, (tx) => rows(tx, sql`select 1 as one`))
          : db.statementTx(tenantId, sql`select 1 as one`),
    );
    expect(await Promise.all(work)).toEqual(Array(30).fill([{ one: 1 }]));
  }

  const expectUnavailable = (err: unknown) => {
    expect(err, 'the failure must reach the caller').toBeInstanceOf(Error);
    expect(fromDatabaseError(err)?.status, String(err)).toBe(503);
  };

  it('inside a transaction: that transaction fails as unavailable; nothing is left hanging', async () => {
    const err = await db
      .tenantTx(tenantId, async (tx) => {
        await killOwnBackend(tx);
        await rows(tx, sql`select 1`);
      })
      .catch((e: unknown) => e);
    expectUnavailable(err);
    await poolServes();
  });

  it('inside a read-only transaction (a reserved connection): the same', async () => {
    const err = await db
      .readTx(tenantId, async (tx) => {
        await killOwnBackend(tx);
        // Several queries queued on the dead connection at once: each must settle.
        await Promise.all([rows(tx, sql`select 1`), rows(tx, sql`select 2`), rows(tx, sql`select 3`)]);
      })
      .catch((e: unknown) => e);
    expectUnavailable(err);
    await poolServes();
  });

  it('ten times in a row, then a burst: the pool neither leaks nor poisons connections', async () => {
    for (let i = 0; i < 10; i++) {
      const err = await db
        .platformTx(async (tx) => {
          await killOwnBackend(tx);
          await rows(tx, sql`select 1`);
        })
        .catch((e: unknown) => e);
      expectUnavailable(err);
      await poolServes();
    }
  });
});
