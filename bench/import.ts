/**
 * CSV import with dedup against 1M existing people (DESIGN §8): a 1M-row people file (a third of it
 * matching existing people by email, some rows repeating earlier rows of the file) imported end to end
 * in-process as `helio import --approve` runs it — parse, propose (validation + dedup), commit — against
 * PostgreSQL COPY of the same file into a bare table in the same database, in the same run.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { openDatabase } from '../src/platform/db.ts';
import { runImportFile } from '../src/workflows/import-file.ts';
import { ensurePlatformTenant, provisionTenant } from '../src/workflows/tenant-provisioning.ts';
import { startThrowawayPostgres } from '../test/faults/throwaway-postgres.ts';
import { createBenchDatabase, fmt, log } from './lib.ts';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const EXISTING = Number(process.env.BENCH_IMPORT_EXISTING ?? 1_000_000);

export interface ImportBenchResult {
  rows: number;
  existing: number;
  fileMb: number;
  copySeconds: number;
  importSeconds: number;
  phases: Record<string, number>;
  report: Record<string, number> | null;
  written: Record<string, unknown> | null;
  /** COPY time / import time: the import's speed as a share of COPY's. */
  ratio: number;
  /** The PostgreSQL settings of the run. */
  server: string;
  /** The rows inserted straight into the people table (all its indexes), rolled back: a floor for any import. */
  peopleInsertSeconds: number;
}

class RollBack extends Error {}

/** Row i: a third match existing person i by email (with a new city), 1 in 20 repeats an earlier row, the rest are new. */
async function writeFile(path: string) {
  const out = createWriteStream(path);
  out.write('Full name,E-mail Address,Mobile,Post Code,City\n');
  for (let i = 0; i < ROWS; i++) {
    let line: string;
    if (i % 3 === 0 && i < EXISTING) {
      line = `Existing Person ${i},existing.${i}@example.com,,D0${(i % 9) + 1} X${i % 997},Galway`;
    } else if (i % 20 === 1 && i > 20 && (i - 19) % 3 !== 0) {
      const j = i - 19;
      line = `New Person ${j},new.${j}@example.com,,,Cork`;
    } else {
      line = `New Person ${i},new.${i}@example.com,+35386${String(1_000_000 + (i % 8_999_999)).padStart(7, '0')},D0${(i % 9) + 1} Y${i % 991},Dublin`;
    }
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/**
 * The server both COPY and the import run on: BENCH_IMPORT_DATABASE_URL when given, otherwise a throwaway
 * PostgreSQL of the machine's binaries configured as one would for production on this machine (the
 * distribution's defaults — 128 MB of shared buffers, checkpoints every 1 GB of WAL — are sized for a laptop).
 */
export const IMPORT_SERVER_SETTINGS = {
  shared_buffers: '2GB',
  max_wal_size: '8GB',
  checkpoint_timeout: '15min',
  wal_buffers: '64MB',
};

async function importServer() {
  if (process.env.BENCH_IMPORT_DATABASE_URL) {
    return { url: process.env.BENCH_IMPORT_DATABASE_URL, settings: 'as configured', stop: async () => {} };
  }
  const pg = await startThrowawayPostgres(IMPORT_SERVER_SETTINGS);
  return {
    url: pg.url,
    settings: Object.entries(IMPORT_SERVER_SETTINGS)
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
    stop: () => pg.destroy(),
  };
}

export async function benchImport(): Promise<ImportBenchResult> {
  const server = await importServer();
  log(`import: PostgreSQL server ${server.settings}`);
  const bench = await createBenchDatabase('helio_bench_import', server.url);
  const dir = mkdtempSync(join(tmpdir(), 'helio-bench-import-'));
  const db = await openDatabase({ url: bench.url, poolSize: 4 });
  const raw = postgres(bench.url, { max: 2, onnotice: () => {} });
  try {
    await db.migrate();
    await ensurePlatformTenant(db);
    const tenant = await provisionTenant(db, {
      slug: 'bench-import',
      name: 'Import bench',
      adminEmail: 'owner@bench-import.example',
      adminPassword: 'correct horse battery staple',
    });
    log(`import: seeding ${EXISTING.toLocaleString('en')} existing people …`);
    const t0 = Date.now();
    await raw.unsafe(
      `insert into people (tenant_id, id, full_name, first_name, last_name, email, phone, postcode, address)
       select $1, gen_random_uuid(), 'Existing Person ' || i, 'Existing', 'Person', 'existing.' || i || '@example.com',
              '+35387' || lpad((i % 9999999)::text, 7, '0'), 'D0' || (i % 9 + 1) || ' X' || (i % 997),
              jsonb_build_object('city', 'Cork')
       from generate_series(0, $2 - 1) i`,
      [tenant.tenantId, EXISTING],
    );
    await raw.unsafe(
      `insert into person_emails (tenant_id, person_id, email, is_primary) select tenant_id, id, email, true from people where tenant_id = $1;
       `.trim(),
      [tenant.tenantId],
    );
    await raw.unsafe(
      'insert into person_phones (tenant_id, person_id, phone, is_primary) select tenant_id, id, phone, true from people where tenant_id = $1 on conflict do nothing',
      [tenant.tenantId],
    );
    await raw.unsafe('analyze');
    log(
      `import: seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s; writing the ${ROWS.toLocaleString('en')}-row file …`,
    );
    const file = join(dir, 'people.csv');
    await writeFile(file);
    const fileMb = statSync(file).size / 1e6;

    await raw.unsafe('create table copy_baseline (full_name text, email text, mobile text, post_code text, city text)');
    const c0 = performance.now();
    await pipeline(
      createReadStream(file),
      await raw`copy copy_baseline from stdin with (format csv, header true)`.writable(),
    );
    const copySeconds = (performance.now() - c0) / 1000;
    log(`import: COPY of the file into a bare table: ${fmt(copySeconds, 2)} s`);

    const phases: Record<string, number> = {};
    let phase = '';
    let phaseStart = 0;
    const i0 = performance.now();
    const batch = await runImportFile(
      db,
      { path: file, tenantSlug: 'bench-import', kind: 'people', approve: true },
      (p) => {
        if (p !== phase) {
          const now = performance.now();
          if (phase) phases[phase] = (now - phaseStart) / 1000;
          phase = p;
          phaseStart = phase === 'parse' ? i0 : now;
        }
      },
    );
    const importSeconds = (performance.now() - i0) / 1000;
    if (phase) phases[phase] = (performance.now() - phaseStart) / 1000;
    log(
      `import: ${ROWS.toLocaleString('en')} rows imported in ${fmt(importSeconds, 1)} s (${Object.entries(phases)
        .map(([k, v]) => `${k} ${fmt(v, 1)} s`)
        .join(', ')}); ${JSON.stringify(batch.report)} → ${JSON.stringify(batch.commitResult)}`,
    );
    // The floor any import into this schema has: the same rows inserted straight into the people table with
    // its indexes (trigram search, email, phone, postcode …), no parsing, no dedup, rolled back. Measured after
    // the import so its dead index entries cannot slow the import down.
    const f0 = performance.now();
    await raw
      .begin(async (tx) => {
        await tx.unsafe(
          `insert into people (tenant_id, id, full_name, email, phone, postcode, address)
           select $1, gen_random_uuid(), full_name, email, nullif(mobile, ''), nullif(post_code, ''),
                  jsonb_build_object('city', city)
           from copy_baseline`,
          [tenant.tenantId],
        );
        throw new RollBack();
      })
      .catch((err) => {
        if (!(err instanceof RollBack)) throw err;
      });
    const peopleInsertSeconds = (performance.now() - f0) / 1000;
    log(`import: the same rows inserted straight into the indexed people table: ${fmt(peopleInsertSeconds, 2)} s`);

    return {
      rows: ROWS,
      existing: EXISTING,
      fileMb,
      copySeconds,
      importSeconds,
      phases,
      report: batch.report as Record<string, number> | null,
      written: batch.commitResult,
      ratio: copySeconds / importSeconds,
      server: server.settings,
      peopleInsertSeconds,
    };
  } finally {
    await raw.end({ timeout: 5 });
    await db.close();
    await bench.drop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchImport();
  log(JSON.stringify(r, null, 2));
}
