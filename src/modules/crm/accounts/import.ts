import type { Ctx } from '../../../platform/context.ts';
import { recordAudit } from '../../identity/index.ts';
import type { PostalAddress } from '../schema.ts';
import * as repo from './import-repository.ts';

/**
 * Bulk commands for imports of accounts (the imports workflow writes accounts only through these), each
 * a few set-based statements over a whole chunk in the caller's transaction. Imports keep an account's
 * domain, website, email, phone and external id in its metadata.
 */

export type AccountImportMatchKey = repo.AccountMatchKey;

export interface MatchedAccount {
  ref: number;
  signal: 'domain' | 'name_postcode';
  account: {
    id: string;
    name: string;
    type: string;
    billingAddress: PostalAddress | null;
    metadata: Record<string, unknown> | null;
    version: number;
  };
}

/** Existing accounts matching each key by domain, or by normalized name + postcode (the weak signal). */
export async function matchAccountsForImport(ctx: Ctx, keys: AccountImportMatchKey[]): Promise<MatchedAccount[]> {
  return (await repo.matchAccounts(ctx, keys)).map((r) => ({
    ref: Number(r.ref),
    signal: r.signal,
    account: {
      id: r.id,
      name: r.name,
      type: r.type,
      billingAddress: r.billing_address,
      metadata: r.metadata,
      version: Number(r.version),
    },
  }));
}

export interface ImportedAccount {
  id: string;
  name: string;
  type: string;
  billingAddress: PostalAddress | null;
  metadata: Record<string, unknown> | null;
}

/** Creates accounts with pre-assigned ids; returns those inserted (an id that exists already is skipped). */
export async function importAccounts(ctx: Ctx, list: ImportedAccount[], source: { batchId: string }) {
  const inserted = await repo.insertAccounts(
    ctx,
    list.map((a) => ({
      id: a.id,
      name: a.name,
      type: a.type,
      billing_address: a.billingAddress,
      metadata: a.metadata,
    })),
  );
  if (inserted.length) {
    await recordAudit(ctx, {
      action: 'account.imported',
      entityType: 'import_batch',
      entityId: source.batchId,
      changedFields: ['accounts.created'],
    });
  }
  return inserted.map((r) => ({ id: r.id, version: Number(r.version) }));
}

/** Patch keys: name, type (set), billingAddress and metadata (merged in). */
export async function patchAccountsFromImport(
  ctx: Ctx,
  patches: { id: string; patch: Record<string, unknown> }[],
  source: { batchId: string },
) {
  const done = await repo.patchAccounts(ctx, patches);
  if (done.length) {
    await recordAudit(ctx, {
      action: 'account.import_updated',
      entityType: 'import_batch',
      entityId: source.batchId,
      changedFields: [...new Set(patches.flatMap((p) => Object.keys(p.patch)))],
    });
  }
  return done.map((r) => ({ id: r.id, version: Number(r.version), prior: r.prior }));
}

/** Locks the accounts; those changed since (version differs) or gone are returned. */
export async function lockAccountsAtVersions(ctx: Ctx, expected: { id: string; version: number }[]) {
  return repo.lockAccountsAtVersions(ctx, expected);
}

/** Undo of an import: created accounts removed, updated ones given their prior values back. */
export async function revertImportedAccounts(
  ctx: Ctx,
  input: { deleteIds: string[]; restores: { id: string; prior: Record<string, unknown> }[]; batchId: string },
) {
  await repo.deleteAccounts(ctx, input.deleteIds);
  await repo.restoreAccounts(ctx, input.restores);
  await recordAudit(ctx, {
    action: 'account.import_reverted',
    entityType: 'import_batch',
    entityId: input.batchId,
    changedFields: ['accounts'],
  });
}
