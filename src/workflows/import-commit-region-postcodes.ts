import * as regions from '../modules/regions/index.ts';
import { type KindWriter, notCreated, revertConflict } from './import-kind-writer.ts';

/** Region postcode patterns: added to their regions through the regions module (only creates; the rest skip). */
export const regionPostcodesImport: KindWriter = {
  noun: 'postcode patterns',
  async commit(ctx, rows, source) {
    const creates = rows.filter((r) => r.action === 'create');
    const key = (country: unknown, pattern: unknown) => `${country}|${pattern}`;
    const added = new Set(
      (
        await regions.importRegionPostcodes(
          ctx,
          creates.map((r) => ({
            country: String(r.data.country),
            pattern: String(r.data.pattern),
            regionId: r.target_id,
          })),
          source,
        )
      ).map((a) => key(a.country, a.pattern)),
    );
    return creates
      .filter((r) => !added.has(key(r.data.country, r.data.pattern)))
      .map((r) => notCreated(r.row_number, 'not created: the pattern is owned by a region now'));
  },
  async revert(ctx, rows, source) {
    const list = rows
      .filter((r) => r.action === 'create')
      .map((r) => ({ country: String(r.data.country), pattern: String(r.data.pattern), regionId: r.target_id }));
    const { changed } = await regions.revertImportedRegionPostcodes(ctx, list, source);
    if (changed.length) {
      throw revertConflict(
        'postcode patterns',
        changed.map((c) => ({ id: `${c.country}:${c.pattern}` })),
      );
    }
    return { removed: list.length, restored: 0 };
  },
};
