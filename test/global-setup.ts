import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { MIGRATIONS_FOLDER, openDatabase } from '../src/platform/db.ts';

/** Migrations are applied once per run: a PGlite snapshot and, with TEST_DATABASE_URL, a template database. */
export function migrationsHash() {
  const h = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_FOLDER).sort()) {
    if (f.endsWith('.sql')) h.update(f).update(readFileSync(join(MIGRATIONS_FOLDER, f)));
  }
  return h.digest('hex').slice(0, 12);
}

export default async function setup(project: TestProject) {
  const hash = migrationsHash();
  const snapshot = join(tmpdir(), `helio-pglite-${hash}.tar.gz`);
  const db = await openDatabase({});
  await db.migrate();
  const blob = (await db.pglite!.dumpDataDir('gzip')) as Blob;
  writeFileSync(snapshot, Buffer.from(await blob.arrayBuffer()));
  await db.close();
  project.provide('pgliteSnapshot', snapshot);

  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const template = `helio_tpl_${hash}`;
    const admin = await openDatabase({ url, poolSize: 1 });
    const exists = await admin.client!`select 1 from pg_database where datname = ${template}`;
    if (exists.length === 0) {
      await admin.client!.unsafe(`create database "${template}"`);
      const tpl = await openDatabase({ url: withDatabase(url, template), poolSize: 2 });
      await tpl.migrate();
      await tpl.close();
    }
    await admin.close();
    project.provide('pgTemplate', template);
  }
}

export function withDatabase(url: string, name: string) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteSnapshot: string;
    pgTemplate?: string;
  }
}
