/** analytics: read models over the other modules' aggregates; it owns no state and no tables. */
export { type Dashboard, dashboard, dashboardQuery, MAX_RANGE_DAYS } from './contracts.ts';
export { analyticsRoutes, dashboardRange } from './routes.ts';
