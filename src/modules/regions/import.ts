import type { Ctx } from '../../platform/context.ts';
import { recordAudit } from '../identity/index.ts';
import * as repo from './import-repository.ts';

/**
 * Commands and queries for imports of postcode patterns (the imports workflow writes patterns only
 * through these), each over a whole chunk in the caller's transaction. One owner per (country, pattern)
 * stays the primary key's rule: an import never moves a pattern to another region.
 */

export type PatternKey = repo.PatternKey;

export interface ImportRegion {
  id: string;
  code: string;
  name: string;
  country: string;
  active: boolean;
}

/** Every region of the tenant (tens, at most a few thousand): imports resolve codes and names. */
export async function regionsForImport(ctx: Ctx): Promise<ImportRegion[]> {
  return repo.listAllRegions(ctx);
}

/** The current owner of each (country, pattern) that has one. */
export async function patternOwners(ctx: Ctx, keys: PatternKey[]) {
  return repo.findPatternOwners(ctx, keys);
}

/** Adds patterns to regions; a pattern owned by now (by anyone) is left out: the caller learns which were added. */
export async function importRegionPostcodes(
  ctx: Ctx,
  list: (PatternKey & { regionId: string })[],
  source: { batchId: string },
) {
  const added = await repo.insertPatterns(ctx, list);
  if (added.length) {
    await recordAudit(ctx, {
      action: 'region.postcodes_imported',
      entityType: 'import_batch',
      entityId: source.batchId,
      changedFields: ['patterns'],
    });
  }
  return added.map((a) => ({ country: a.country, pattern: a.pattern, regionId: a.region_id }));
}

/**
 * Undo of an import: the patterns it added are removed, only while each is still owned by the region
 * it was added to; otherwise nothing is removed and the changed ones are returned.
 */
export async function revertImportedRegionPostcodes(
  ctx: Ctx,
  list: (PatternKey & { regionId: string })[],
  source: { batchId: string },
) {
  const changed = await repo.lockPatternsOwnedBy(ctx, list);
  if (changed.length) return { changed };
  await repo.deletePatternsOwnedBy(ctx, list);
  await recordAudit(ctx, {
    action: 'region.postcodes_import_reverted',
    entityType: 'import_batch',
    entityId: source.batchId,
    changedFields: ['patterns'],
  });
  return { changed };
}
