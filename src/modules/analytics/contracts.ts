import { z } from 'zod';
import { LEAD_SOURCES, LEAD_STATUSES } from '../leads/index.ts';
import { ASSIGNMENT_STATUSES, DROP_REASONS } from '../routing/index.ts';

/** Longest range a dashboard may ask for (DESIGN §8: every aggregate is bounded). */
export const MAX_RANGE_DAYS = 366;
export const DEFAULT_RANGE_DAYS = 30;
/** Regions listed by name; the rest are summed into one "other regions" row. */
export const MAX_REGIONS = 50;

const day = z.iso.date().max(10);
const count = z.number().int().min(0);
const seconds = z.number().min(0).nullable();

export const dashboardQuery = z.strictObject({
  from: day.optional().describe('First day (UTC, inclusive); default 29 days before `to`.'),
  to: day.optional().describe('Last day (UTC, inclusive); default today.'),
  interval: z.enum(['day', 'week']).default('day'),
});
export type DashboardQuery = z.infer<typeof dashboardQuery>;

const funnelPeriod = z.object({
  period: day.describe('First day of the period (weeks start on Monday).'),
  created: count,
  reached: z.array(z.object({ status: z.enum(LEAD_STATUSES), count })).max(LEAD_STATUSES.length),
});

const ttfcPeriod = z.object({ period: day, count, medianSeconds: seconds, p90Seconds: seconds });

export const dashboard = z.object({
  range: z.object({ from: day, to: day, interval: z.enum(['day', 'week']) }),
  funnel: z.array(funnelPeriod).max(MAX_RANGE_DAYS + 1),
  bySource: z.array(z.object({ source: z.enum(LEAD_SOURCES), count })).max(LEAD_SOURCES.length),
  byRegion: z
    .array(
      z.object({
        regionId: z.uuid().nullable().describe('null: no region owns the postcode, or other regions summed.'),
        code: z.string().max(100).nullable(),
        name: z.string().max(200),
        count,
      }),
    )
    .max(MAX_REGIONS + 2),
  routing: z.object({
    decisions: z.array(z.object({ mode: z.string().max(40), outcome: z.string().max(40), count })).max(20),
    assignments: z.array(z.object({ status: z.enum(ASSIGNMENT_STATUSES), count })).max(ASSIGNMENT_STATUSES.length),
    dropReasons: z.array(z.object({ reason: z.enum(DROP_REASONS), count })).max(DROP_REASONS.length),
  }),
  timeToFirstContact: z.object({
    overall: z.object({ count, medianSeconds: seconds, p90Seconds: seconds }),
    series: z.array(ttfcPeriod).max(MAX_RANGE_DAYS + 1),
  }),
});
export type Dashboard = z.infer<typeof dashboard>;
