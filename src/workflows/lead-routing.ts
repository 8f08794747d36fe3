import * as followUps from '../modules/follow-ups/index.ts';
import * as identity from '../modules/identity/index.ts';
import * as installers from '../modules/installers/index.ts';
import * as leads from '../modules/leads/index.ts';
import * as regions from '../modules/regions/index.ts';
import * as routing from '../modules/routing/index.ts';
import { type Ctx, systemActor } from '../platform/context.ts';
import type { Database } from '../platform/db.ts';
import { AppError, conflict, validationFailed } from '../platform/errors.ts';
import { enqueue } from '../platform/jobs.ts';

export interface RouteRequest {
  mode?: routing.RoutingMode;
  installerIds?: string[];
}

const MAX_QUOTES = 7;

/** The same transaction, acting as the system: consequences of an installer's action are not theirs. */
export const asSystem = (ctx: Ctx): Ctx => ({ ...ctx, actor: { ...systemActor(), userId: null } });

/**
 * Routing (DESIGN §5): postcode → region → installers covering it → ranked under the tenant's
 * strategy with caps → decision with every candidate → offers (each with its expiry job) → the
 * lead becomes `matched` through the leads module. With no candidate the decision is still kept.
 */
/** Everything routing needs to decide, read through each owning module. */
export async function planRouting(
  ctx: Ctx,
  leadId: string,
  req: RouteRequest,
  trigger: 'staff' | 'intake' | 'reroute' = 'staff',
  /** The decision time; only the demo seeds decisions in the past. */
  now?: Date,
) {
  const lead = await leads.getLead(ctx, leadId);
  if (lead.status !== 'matched' && !leads.canTransition(lead.status, 'matched')) {
    throw conflict('lead.invalid_transition', `A ${lead.status} lead cannot be routed.`, {
      from: lead.status,
      to: 'matched',
    });
  }
  const settings = await identity.getTenantSettings(ctx);
  const mode: routing.RoutingMode =
    req.mode ?? (lead.selectedPath === 'compare_quotes' ? 'compare_quotes' : 'recommended');
  const picks = [...new Set(req.installerIds ?? [])];
  if (mode === 'manual' && picks.length === 0) {
    throw validationFailed([
      { path: 'installerIds', message: 'manual routing needs the installers to offer the lead to' },
    ]);
  }
  if (mode === 'manual' && picks.length > MAX_QUOTES) {
    throw validationFailed([{ path: 'installerIds', message: `at most ${MAX_QUOTES} installers` }]);
  }
  const country = lead.address?.country ?? settings.defaultCountry;
  const region = await regions.resolveRegion(ctx, lead.postcode, country);
  const covering = region ? await installers.installersCoveringRegion(ctx, region.id) : [];
  let pool = covering;
  if (mode === 'manual') {
    pool = await installers.installersByIds(ctx, picks);
    const found = new Set(pool.map((i) => i.id));
    const unknown = picks.map((id, i) => ({ id, i })).filter(({ id }) => !found.has(id));
    if (unknown.length)
      throw validationFailed(unknown.map(({ i }) => ({ path: `installerIds.${i}`, message: 'no such installer' })));
  }
  const satisfaction = await followUps.satisfactionByInstaller(
    ctx,
    pool.map((i) => i.id),
  );
  const slots =
    mode === 'recommended'
      ? 1
      : mode === 'compare_quotes'
        ? Math.min(Math.max(settings.compareQuotesCount, 1), MAX_QUOTES)
        : picks.length;
  return {
    leadId,
    mode,
    strategy: settings.routingStrategy,
    slots,
    service: lead.service,
    regionId: region?.id ?? null,
    installers: pool,
    coveringIds: new Set(covering.map((i) => i.id)),
    consentInstallerIds: lead.consent.installerIds ?? null,
    satisfaction,
    trigger,
    offerSlaMinutes: settings.offerResponseSlaMinutes,
    now,
  } satisfies routing.RouteInput;
}

export async function routeLead(
  ctx: Ctx,
  leadId: string,
  req: RouteRequest,
  trigger: 'staff' | 'intake' | 'reroute' = 'staff',
  /** The decision time; only the demo seeds decisions in the past. */
  now?: Date,
) {
  const result = await routing.decideAndAssign(ctx, await planRouting(ctx, leadId, req, trigger, now));
  for (const a of result.assignments) {
    await enqueue(
      ctx.tx,
      'assignment-expiry',
      { tenantId: ctx.tenantId, assignmentId: a.id },
      { startAfter: new Date(a.expiresAt), singletonKey: a.id },
    );
  }
  if (result.assignments.length) await leads.markMatched(asSystem(ctx), leadId, `routed (${result.decision.mode})`);
  return result;
}

/**
 * A dry run of routeLead (issue 7): the same plan and the same ranking (filters, caps, strategy) as
 * the real decision would make right now, as a read. Nothing is written and nothing is locked, so a
 * round-robin or weighted preview names who WOULD be picked given the current counters; a concurrent
 * route may change that before this user routes.
 */
export async function previewRouting(ctx: Ctx, leadId: string, req: RouteRequest) {
  const input = await planRouting(ctx, leadId, req);
  const candidates = await routing.rankCandidates(ctx, input, { lock: false });
  const names = new Map(input.installers.map((i) => [i.id, i.name]));
  return {
    mode: input.mode,
    strategy: input.strategy,
    regionId: input.regionId,
    slots: input.slots,
    candidates: candidates.map((c) => ({ ...c, installerName: names.get(c.installerId) })),
  };
}

/** A route request whose decision found nobody: committed, then answered with 409 routing.no_candidates. */
export function noCandidates(decision: { id: string; outcome: string }) {
  return new AppError(409, 'routing.no_candidates', 'No installer can take this lead; the decision is recorded.', {
    decisionId: decision.id,
    outcome: decision.outcome,
  });
}

/** Runs routing in its own transaction (used after intake commits, so a routing failure never loses the lead). */
export async function routeInOwnTransaction(db: Database, tenantId: string, leadId: string, requestId: string) {
  return db.tenantTx(tenantId, (tx) =>
    routeLead({ tenantId, tx, actor: { ...systemActor(), userId: null }, requestId }, leadId, {}, 'intake'),
  );
}
