import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as identity from '../modules/identity/index.ts';
import * as imports from '../modules/imports/index.ts';
import { systemActor } from '../platform/context.ts';
import { type Database, sideReads } from '../platform/db.ts';
import { notFound } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { commitImport, type Principal } from './import-commit.ts';

/**
 * A whole import in-process (the `helio import` command): upload → parse → mapping (a saved template or
 * the suggested one) → propose → approve and commit when asked. The system acts, with every capability;
 * each step is audited like its HTTP counterpart.
 */
export async function runImportFile(
  db: Database,
  input: { path: string; tenantSlug: string; kind: imports.ImportKind; mappingTemplate?: string; approve?: boolean },
  progress?: imports.Progress,
) {
  const tenant = await identity.findTenantBySlug(db, input.tenantSlug);
  if (!tenant) throw notFound('tenant.not_found', `No tenant with the slug '${input.tenantSlug}'.`);
  const principal: Principal = {
    tenantId: tenant.id,
    actor: systemActor(identity.CAPABILITIES),
    requestId: `cli-import-${newId()}`,
  };
  const step = <T>(fn: (ctx: Parameters<typeof imports.getBatch>[0]) => Promise<T>) =>
    db.tenantTx(tenant.id, (tx) => fn({ ...principal, tx }));

  const hash = createHash('sha256');
  await pipeline(createReadStream(input.path), hash);
  const file: imports.UploadedFile = { path: input.path, bytes: statSync(input.path).size, sha256: hash.digest('hex') };
  const format = /\.xlsx$/i.test(input.path) ? 'xlsx' : 'csv';
  const parsed = await step((ctx) =>
    imports.uploadAndParse(ctx, { kind: input.kind, fileName: basename(input.path), format, file }, progress),
  );
  const mapped = await step((ctx) =>
    imports.setMapping(
      ctx,
      parsed.id,
      input.mappingTemplate ? { templateName: input.mappingTemplate } : { mapping: parsed.suggestedMapping },
    ),
  );
  const proposed = await step((ctx) => imports.propose(ctx, mapped.id, progress, sideReads(db, tenant.id)));
  if (!input.approve) return proposed;
  await step((ctx) => imports.approve(ctx, proposed.id));
  return commitImport(db, principal, proposed.id, { progress, total: proposed.rowCount });
}
