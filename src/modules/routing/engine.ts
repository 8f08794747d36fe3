import type { RoutingInstaller } from '../installers/index.ts';
import type { CandidateRecord, DropReason } from './schema.ts';

export type RoutingMode = 'recommended' | 'compare_quotes' | 'manual';
export type RoutingStrategy = 'round_robin' | 'weighted' | 'priority';

export interface EngineCandidate {
  installer: RoutingInstaller;
  covers: boolean;
  alreadyAssigned: boolean;
  consented: boolean;
  usage: { day: number; week: number; month: number };
  /** ms since epoch of the installer's latest offer, null when never. */
  lastAssignedAt: number | null;
  /** Average satisfaction from follow-ups, 1–5; null without data. */
  satisfaction: number | null;
  /** Won / (won + lost) of past assignments; null without data. */
  winRate: number | null;
}

export interface EngineInput {
  mode: RoutingMode;
  strategy: RoutingStrategy;
  /** How many installers to select. */
  slots: number;
  service: string | null;
  candidates: EngineCandidate[];
}

export const WEIGHTS = { quality: 0.35, satisfaction: 0.25, winRate: 0.2, remainingCapacity: 0.2 } as const;
// Neutral priors for installers without history, so newcomers are neither favoured nor starved.
const PRIOR_SATISFACTION = 0.6;
const PRIOR_WIN_RATE = 0.5;

function dropReason(c: EngineCandidate, service: string | null): DropReason | null {
  if (c.installer.status !== 'active') return 'inactive';
  if (!c.covers) return 'no_coverage';
  if (service && !c.installer.services.includes(service)) return 'service_not_offered';
  if (!c.consented) return 'no_consent';
  if (c.alreadyAssigned) return 'already_assigned';
  const { daily, weekly, monthly } = c.installer.capacity;
  if (
    (daily != null && c.usage.day >= daily) ||
    (weekly != null && c.usage.week >= weekly) ||
    (monthly != null && c.usage.month >= monthly)
  ) {
    return 'cap_reached';
  }
  return null;
}

function remainingCapacity(c: EngineCandidate): number {
  const ratios: number[] = [];
  const { daily, weekly, monthly } = c.installer.capacity;
  if (daily) ratios.push((daily - c.usage.day) / daily);
  if (weekly) ratios.push((weekly - c.usage.week) / weekly);
  if (monthly) ratios.push((monthly - c.usage.month) / monthly);
  return ratios.length ? Math.max(0, Math.min(...ratios)) : 1;
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;

export function weightedScore(c: EngineCandidate) {
  const factors = {
    quality: c.installer.qualityScore / 100,
    satisfaction: c.satisfaction == null ? PRIOR_SATISFACTION : (c.satisfaction - 1) / 4,
    winRate: c.winRate ?? PRIOR_WIN_RATE,
    remainingCapacity: remainingCapacity(c),
  };
  const score =
    WEIGHTS.quality * factors.quality +
    WEIGHTS.satisfaction * factors.satisfaction +
    WEIGHTS.winRate * factors.winRate +
    WEIGHTS.remainingCapacity * factors.remainingCapacity;
  return { score: round(score), factors };
}

const byId = (a: EngineCandidate, b: EngineCandidate) =>
  a.installer.id < b.installer.id ? -1 : a.installer.id > b.installer.id ? 1 : 0;

/**
 * Ranks and selects. Pure and deterministic: the same candidates in the same state give the same
 * decision (ties break on installer id). Every candidate comes back with a score or a drop reason.
 */
export function decide(input: EngineInput): CandidateRecord[] {
  const eligible: EngineCandidate[] = [];
  const dropped: CandidateRecord[] = [];
  for (const c of [...input.candidates].sort(byId)) {
    const reason = dropReason(c, input.service);
    if (reason) dropped.push({ installerId: c.installer.id, selected: false, reason });
    else eligible.push(c);
  }

  let ranked: { c: EngineCandidate; score: number; factors?: Record<string, number> }[];
  if (input.strategy === 'weighted') {
    ranked = eligible.map((c) => ({ c, ...weightedScore(c) })).sort((a, b) => b.score - a.score || byId(a.c, b.c));
  } else {
    const ordered = [...eligible].sort(
      input.strategy === 'priority'
        ? (a, b) => a.installer.priority - b.installer.priority || byId(a, b)
        : // round robin: whoever waited longest since their last offer goes first; never-offered first.
          (a, b) => (a.lastAssignedAt ?? -1) - (b.lastAssignedAt ?? -1) || byId(a, b),
    );
    ranked = ordered.map((c, i) => ({ c, score: round((ordered.length - i) / ordered.length) }));
  }

  const kept: CandidateRecord[] = ranked.map((r, i) => ({
    installerId: r.c.installer.id,
    selected: i < input.slots,
    score: r.score,
    rank: i + 1,
    ...(i < input.slots ? {} : { reason: 'not_selected' as const }),
    ...(r.factors ? { factors: Object.fromEntries(Object.entries(r.factors).map(([k, v]) => [k, round(v)])) } : {}),
  }));
  return [...kept, ...dropped];
}
