/** analytics: read models over the other modules' aggregates; it owns no state and no tables. */
export { type Dashboard, dashboard, dashboardQuery, MAX_RANGE_DAYS, MAX_REGIONS } from './contracts.ts';
