import type { Ctx } from '../../platform/context.ts';
import { recordAudit } from '../identity/index.ts';
import * as repo from './import-repository.ts';
import { findInstallersByIds, type InstallerRow, regionIdsOf } from './repository.ts';
import type { InstallerStatus } from './schema.ts';
import { canChangeStatus } from './service.ts';

/**
 * Commands for imports of installers (the imports workflow writes installers only through these), in the
 * caller's transaction: creates in one statement per chunk, updates one installer at a time.
 */

export interface ImportInstallerValues {
  name: string;
  legalName: string | null;
  companyNumber: string | null;
  vatNumber: string | null;
  email: string | null;
  phone: string | null;
  website: string | null;
  address: Record<string, string> | null;
  status: InstallerStatus;
  services: string[];
  regionIds: string[];
  capacityDaily: number | null;
  capacityWeekly: number | null;
  capacityMonthly: number | null;
  priority: number;
}

export type MatchedInstallerRecord = ImportInstallerValues & { id: string; version: number };

const SCALARS = [
  'name',
  'legalName',
  'companyNumber',
  'vatNumber',
  'email',
  'phone',
  'website',
  'status',
  'capacityDaily',
  'capacityWeekly',
  'capacityMonthly',
  'priority',
] as const;

const recordOf = (i: InstallerRow, regionIds: string[]): MatchedInstallerRecord => ({
  id: i.id,
  version: i.version,
  name: i.name,
  legalName: i.legalName,
  companyNumber: i.companyNumber,
  vatNumber: i.vatNumber,
  email: i.email,
  phone: i.phone,
  website: i.website,
  address: i.address ?? null,
  status: i.status,
  services: i.services,
  regionIds,
  capacityDaily: i.capacityDaily,
  capacityWeekly: i.capacityWeekly,
  capacityMonthly: i.capacityMonthly,
  priority: i.priority,
});

/** Existing installers matching each key by email (lower case) or by normalized company name. */
export async function matchInstallersForImport(
  ctx: Ctx,
  keys: { ref: number; email: string | null; name: string | null }[],
) {
  const found = await repo.matchInstallers(ctx, keys);
  const ids = [...new Set(found.map((f) => f.id))];
  const [list, regions] = [await findInstallersByIds(ctx, ids), await regionIdsOf(ctx, ids)];
  const byId = new Map(list.map((i) => [i.id, recordOf(i, regions.get(i.id) ?? [])]));
  return found.map((f) => ({ ref: Number(f.ref), signal: f.signal, installer: byId.get(f.id)! }));
}

export { canChangeStatus as canInstallerChangeStatus };

const columnsOf = (v: Partial<ImportInstallerValues>) => {
  const { regionIds: _r, services, ...rest } = v;
  return { ...rest, ...(services ? { services: [...new Set(services)].sort() } : {}) };
};

/** Creates installers with pre-assigned ids and their coverage; an id that exists already is skipped. */
export async function importInstallers(
  ctx: Ctx,
  list: (ImportInstallerValues & { id: string })[],
  source: { batchId: string },
) {
  const inserted: { id: string; version: number }[] = [];
  // Bounded statements: ~20 parameters a row.
  for (let i = 0; i < list.length; i += 500) {
    inserted.push(
      ...(await repo.insertInstallers(
        ctx,
        list.slice(i, i + 500).map((r) => ({ ...columnsOf(r), id: r.id, name: r.name })),
      )),
    );
  }
  const ids = new Set(inserted.map((r) => r.id));
  await repo.addRegions(
    ctx,
    list.filter((r) => ids.has(r.id)).flatMap((r) => r.regionIds.map((regionId) => ({ installerId: r.id, regionId }))),
  );
  if (inserted.length) {
    await recordAudit(ctx, {
      action: 'installer.imported',
      entityType: 'import_batch',
      entityId: source.batchId,
      changedFields: ['installers.created'],
    });
  }
  return inserted;
}

/**
 * Applies patches (columns set, `address` merged in, `services` replaced, `regionIds` added to the
 * coverage); returns each installer's values before and its new version. Gone ones are left out.
 */
export async function patchInstallersFromImport(
  ctx: Ctx,
  patches: { id: string; patch: Partial<ImportInstallerValues> }[],
  source: { batchId: string },
) {
  const locked = new Map(
    (
      await repo.findInstallersForUpdate(
        ctx,
        patches.map((p) => p.id),
      )
    ).map((i) => [i.id, i]),
  );
  const regions = await regionIdsOf(ctx, [...locked.keys()]);
  const out: { id: string; version: number; prior: Record<string, unknown> }[] = [];
  for (const { id, patch } of patches) {
    const current = locked.get(id);
    if (!current) continue;
    const prior = recordOf(current, regions.get(id) ?? []);
    const set = columnsOf(patch);
    if (patch.address) set.address = { ...(current.address ?? {}), ...patch.address };
    const updated = await repo.updateInstallerColumns(ctx, id, set);
    if (patch.regionIds?.length) {
      await repo.addRegions(
        ctx,
        patch.regionIds.map((regionId) => ({ installerId: id, regionId })),
      );
    }
    const { id: _id, version: _v, ...values } = prior;
    out.push({ id, version: updated.version, prior: values });
  }
  if (out.length) {
    await recordAudit(ctx, {
      action: 'installer.import_updated',
      entityType: 'import_batch',
      entityId: source.batchId,
      changedFields: [...new Set(patches.flatMap((p) => Object.keys(p.patch)))],
    });
  }
  return out;
}

/**
 * Locks the installers; those changed since are returned: another version, gone, or (coverage changes
 * keep the version) a coverage other than the one the batch left.
 */
export async function lockInstallersAtVersions(
  ctx: Ctx,
  expected: { id: string; version: number; regionIds: string[] }[],
) {
  const locked = new Map(
    (
      await repo.findInstallersForUpdate(
        ctx,
        expected.map((e) => e.id),
      )
    ).map((i) => [i.id, i.version]),
  );
  const regions = await regionIdsOf(ctx, [...locked.keys()]);
  const same = (a: string[], b: string[]) =>
    a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
  return expected
    .filter((e) => locked.get(e.id) !== e.version || !same(regions.get(e.id) ?? [], e.regionIds))
    .map((e) => ({ id: e.id, version: locked.get(e.id) ?? null }));
}

/** Undo of an import: created installers removed, updated ones given their prior values and coverage back. */
export async function revertImportedInstallers(
  ctx: Ctx,
  input: { deleteIds: string[]; restores: { id: string; prior: Record<string, unknown> }[]; batchId: string },
) {
  await repo.deleteInstallers(ctx, input.deleteIds);
  for (const r of input.restores) {
    const prior = r.prior as unknown as ImportInstallerValues;
    const set: Record<string, unknown> = {};
    for (const f of SCALARS) set[f] = prior[f] ?? null;
    set.status = prior.status;
    set.priority = prior.priority;
    set.address = prior.address ?? null;
    set.services = prior.services ?? [];
    await repo.updateInstallerColumns(ctx, r.id, set as Parameters<typeof repo.updateInstallerColumns>[2]);
    await repo.setRegions(ctx, r.id, prior.regionIds ?? []);
  }
  await recordAudit(ctx, {
    action: 'installer.import_reverted',
    entityType: 'import_batch',
    entityId: input.batchId,
    changedFields: ['installers'],
  });
}
