import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { inTenant } from '../../platform/auth.ts';
import { validationFailed } from '../../platform/errors.ts';
import { problems } from '../../platform/http-schemas.ts';
import { analyticsDashboard } from '../../workflows/analytics-dashboard.ts';
import { type DashboardQuery, DEFAULT_RANGE_DAYS, dashboard, dashboardQuery, MAX_RANGE_DAYS } from './contracts.ts';

const DAY_MS = 86_400_000;
const ymd = (d: Date) => d.toISOString().slice(0, 10);

/** Inclusive UTC days → a half-open range; default the last 30 days, at most 366 days. */
export function dashboardRange(q: DashboardQuery, now = new Date()) {
  const to = q.to ? new Date(`${q.to}T00:00:00Z`) : new Date(`${ymd(now)}T00:00:00Z`);
  const from = q.from ? new Date(`${q.from}T00:00:00Z`) : new Date(to.getTime() - (DEFAULT_RANGE_DAYS - 1) * DAY_MS);
  const days = Math.round((to.getTime() - from.getTime()) / DAY_MS) + 1;
  if (days < 1) throw validationFailed([{ path: 'query.to', message: 'must not be before from' }]);
  if (days > MAX_RANGE_DAYS) {
    throw validationFailed([{ path: 'query.from', message: `the range may span at most ${MAX_RANGE_DAYS} days` }]);
  }
  return { from, to: new Date(to.getTime() + DAY_MS), interval: q.interval, label: { from: ymd(from), to: ymd(to) } };
}

export async function analyticsRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.get(
    '/api/analytics/dashboard',
    {
      schema: {
        tags: ['analytics'],
        summary:
          'Dashboard panels: lead funnel over time, leads by source and region, routing outcomes, time to first contact',
        querystring: dashboardQuery,
        response: { 200: dashboard, ...problems() },
      },
      config: { auth: 'leads:read' },
    },
    async (req) => {
      const r = dashboardRange(req.query);
      const panels = await inTenant(req, (ctx) => analyticsDashboard(ctx, r));
      return { range: { ...r.label, interval: r.interval }, ...panels };
    },
  );
}
