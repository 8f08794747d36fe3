import {
  DEFAULT_INSTALLER_STATUS,
  DEFAULT_PRIORITY,
  type InstallerValues,
  installerAddressOf,
  installerPatchOf,
} from '../modules/imports/index.ts';
import * as installers from '../modules/installers/index.ts';
import { type KindWriter, notCreated, revertConflict, updateOutcomes } from './import-kind-writer.ts';

/** Installers: created (with coverage) and patched through the installers module's import commands. */
export const installersImport: KindWriter = {
  noun: 'installers',
  async commit(ctx, rows, source) {
    const creates = rows.filter((r) => r.action === 'create');
    const updates = rows.filter((r) => r.action === 'update' && r.diff);
    const inserted = new Set(
      (
        await installers.importInstallers(
          ctx,
          creates.map((r) => {
            const v = r.data as unknown as InstallerValues;
            return {
              id: r.target_id,
              name: v.name!,
              legalName: v.legalName,
              companyNumber: v.companyNumber,
              vatNumber: v.vatNumber,
              email: v.email,
              phone: v.phone,
              website: v.website,
              address: installerAddressOf(r.data),
              status: v.status ?? DEFAULT_INSTALLER_STATUS,
              services: v.services,
              regionIds: v.regionIds,
              capacityDaily: v.capacityDaily,
              capacityWeekly: v.capacityWeekly,
              capacityMonthly: v.capacityMonthly,
              priority: v.priority ?? DEFAULT_PRIORITY,
            };
          }),
          source,
        )
      ).map((r) => r.id),
    );
    const patched = new Map(
      (
        await installers.patchInstallersFromImport(
          ctx,
          updates.map((r) => ({ id: r.target_id, patch: installerPatchOf(r.diff!) })),
          source,
        )
      ).map((r) => [r.id, r]),
    );
    return [
      ...creates
        .filter((r) => !inserted.has(r.target_id))
        .map((r) => notCreated(r.row_number, 'not created: the id exists already')),
      ...updateOutcomes(updates, patched, 'not applied: the installer no longer exists'),
    ];
  },
  async revert(ctx, rows, source) {
    // The coverage the batch left: a created installer's from the file, an updated one's from the diff.
    const expected = rows.map((r) => ({
      id: r.target_id,
      version: r.applied_version ?? 1,
      regionIds:
        r.action === 'create'
          ? (r.data.regionIds as string[])
          : ((r.diff?.regions?.to as string[] | undefined) ?? (r.prior?.regionIds as string[] | undefined) ?? []),
    }));
    const changed = await installers.lockInstallersAtVersions(ctx, expected);
    if (changed.length) throw revertConflict('installers', changed);
    const deleteIds = rows.filter((r) => r.action === 'create').map((r) => r.target_id);
    const restores = rows
      .filter((r) => r.action !== 'create' && r.prior)
      .map((r) => ({ id: r.target_id, prior: r.prior! }));
    await installers.revertImportedInstallers(ctx, { deleteIds, restores, batchId: source.batchId });
    return { removed: deleteIds.length, restored: restores.length };
  },
};
