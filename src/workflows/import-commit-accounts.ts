import * as crm from '../modules/crm/index.ts';
import { accountPatchOf, billingAddressOf, DEFAULT_ACCOUNT_TYPE, metadataOf } from '../modules/imports/index.ts';
import { type KindWriter, notCreated, revertConflict, updateOutcomes } from './import-kind-writer.ts';

/** Accounts: created and patched through crm's bulk account commands. */
export const accountsImport: KindWriter = {
  noun: 'accounts',
  async commit(ctx, rows, source) {
    const creates = rows.filter((r) => r.action === 'create');
    const updates = rows.filter((r) => r.action === 'update' && r.diff);
    const inserted = new Set(
      (
        await crm.importAccounts(
          ctx,
          creates.map((r) => ({
            id: r.target_id,
            name: String(r.data.name),
            type: (r.data.type as string | null) ?? DEFAULT_ACCOUNT_TYPE,
            billingAddress: billingAddressOf(r.data),
            metadata: metadataOf(r.data),
          })),
          source,
        )
      ).map((r) => r.id),
    );
    const patched = new Map(
      (
        await crm.patchAccountsFromImport(
          ctx,
          updates.map((r) => ({ id: r.target_id, patch: accountPatchOf(r.diff!) })),
          source,
        )
      ).map((r) => [r.id, r]),
    );
    return [
      ...creates
        .filter((r) => !inserted.has(r.target_id))
        .map((r) => notCreated(r.row_number, 'not created: the id exists already')),
      ...updateOutcomes(updates, patched, 'not applied: the account no longer exists'),
    ];
  },
  async revert(ctx, rows, source) {
    const expected = rows.map((r) => ({ id: r.target_id, version: r.applied_version ?? 1 }));
    const changed = await crm.lockAccountsAtVersions(ctx, expected);
    if (changed.length) throw revertConflict('accounts', changed);
    const deleteIds = rows.filter((r) => r.action === 'create').map((r) => r.target_id);
    const restores = rows
      .filter((r) => r.action !== 'create' && r.prior)
      .map((r) => ({ id: r.target_id, prior: r.prior! }));
    await crm.revertImportedAccounts(ctx, { deleteIds, restores, batchId: source.batchId });
    return { removed: deleteIds.length, restored: restores.length };
  },
};
