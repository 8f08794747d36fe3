/** regions: regions, postcode ownership patterns, serviceability by postcode. */
export { normalizePattern, normalizePostcode } from './postcodes.ts';
export { existingRegionIds, resolveRegion, type ServiceableRegion } from './service.ts';
