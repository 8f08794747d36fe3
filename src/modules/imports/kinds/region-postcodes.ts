import * as regions from '../../regions/index.ts';
import { type Decision, fieldError, type KindHandler } from './common.ts';
import { regionIndex, regionRefKey } from './installers.ts';

/** A mapped, normalized region_postcodes row: the region as written and resolved, the normalized pattern. */
export interface RegionPostcodeValues {
  region: string | null;
  regionId: string | null;
  regionCode: string | null;
  country: string | null;
  pattern: string | null;
}

export const regionPostcodesKind: KindHandler<
  RegionPostcodeValues,
  { regionByRef: Map<string, regions.ImportRegion> }
> = {
  kind: 'region_postcodes',
  requiredMapping: (mapped) => [
    ...(mapped.has('region') ? [] : [{ path: 'mapping', message: 'map a column to region (its code or name)' }]),
    ...(mapped.has('pattern') ? [] : [{ path: 'mapping', message: 'map a column to pattern' }]),
  ],
  async prepare(ctx) {
    return { regionByRef: await regionIndex(ctx) };
  },
  normalize(c, env) {
    const ref = c.cell('region');
    const region = ref ? env.regionByRef.get(regionRefKey(ref)) : undefined;
    if (!ref) c.errors.push(fieldError(c, 'region', 'a region code or name is required'));
    else if (!region) c.errors.push(fieldError(c, 'region', `no region with the code or name '${ref}'`));
    const rawCountry = c.cell('country')?.toUpperCase() ?? null;
    let country = rawCountry ?? region?.country ?? null;
    if (country === 'UK') country = 'GB';
    if (rawCountry && !/^[A-Z]{2}$/.test(rawCountry)) {
      c.errors.push(fieldError(c, 'country', 'not an ISO 3166-1 alpha-2 country code'));
      country = null;
    }
    const raw = c.cell('pattern');
    let pattern: string | null = null;
    if (!raw) c.errors.push(fieldError(c, 'pattern', 'a postcode pattern is required'));
    else if (country) {
      const p = regions.normalizePattern(country, raw);
      if (p.valid) pattern = p.pattern;
      else c.errors.push(fieldError(c, 'pattern', `'${raw}' is not a postcode pattern for ${country}`));
    }
    return { region: ref, regionId: region?.id ?? null, regionCode: region?.code ?? null, country, pattern };
  },
  fileKeys: (v) => (v.country && v.pattern ? [`${v.country}|${v.pattern}`] : []),
  duplicate(v, first, c) {
    if (first.values.regionId === v.regionId) return null;
    return {
      action: 'invalid',
      target: null,
      evidence: [{ signal: 'in_file_duplicate', strength: 'strong', duplicateOfRow: first.n }],
      diff: null,
      errors: [
        fieldError(
          c,
          'pattern',
          `row ${first.n} gives the pattern '${v.pattern}' to region '${first.values.regionCode}'`,
        ),
      ],
    };
  },
  async classify(ctx, list) {
    const owners = await regions.patternOwners(
      ctx,
      list.map((r) => ({ country: r.values.country!, pattern: r.values.pattern! })),
    );
    const ownerOf = new Map(owners.map((o) => [`${o.country}|${o.pattern}`, o]));
    const out = new Map<number, Decision>();
    for (const r of list) {
      const v = r.values;
      const owner = ownerOf.get(`${v.country}|${v.pattern}`);
      if (!owner) {
        // The target is the region the pattern is added to; the pattern itself is in the row's values.
        out.set(r.n, { action: 'create', target: v.regionId, evidence: [], diff: null });
        continue;
      }
      const evidence = [{ signal: 'pattern', strength: 'strong', regionId: owner.region_id, regionCode: owner.code }];
      out.set(
        r.n,
        owner.region_id === v.regionId
          ? { action: 'skip', target: v.regionId, evidence, diff: null }
          : {
              action: 'invalid',
              target: null,
              evidence,
              diff: null,
              errors: [
                {
                  column: null,
                  field: 'pattern',
                  message: `the pattern '${v.pattern}' is owned by region '${owner.code}'`,
                },
              ],
            },
      );
    }
    return out;
  },
};
