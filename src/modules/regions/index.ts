/** regions: regions, postcode ownership patterns, serviceability by postcode. */
export {
  type ImportRegion,
  importRegionPostcodes,
  type PatternKey,
  patternOwners,
  regionsForImport,
  revertImportedRegionPostcodes,
} from './import.ts';
export { normalizePattern, normalizePostcode } from './postcodes.ts';
export { resolveRegions } from './resolve-many.ts';
export {
  createRegion,
  existingRegionIds,
  replacePostcodes,
  resolveRegion,
  type ServiceableRegion,
} from './service.ts';
