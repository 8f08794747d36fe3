import { api, type Body, unwrap } from '../api/client';
import { useSession } from '../session/session';
import { cachedOnce } from './cache';
import { useLoad } from './useLoad';

export type Installer = Body<'/api/installers/{id}', 'get'>;
export type InstallerStatus = Installer['status'];
export const INSTALLER_STATUSES: InstallerStatus[] = ['onboarding', 'active', 'paused', 'suspended', 'offboarded'];

export function formatCapacity(capacity: Installer['capacity']) {
  const parts = [
    capacity.daily != null ? `${capacity.daily}/day` : '',
    capacity.weekly != null ? `${capacity.weekly}/week` : '',
    capacity.monthly != null ? `${capacity.monthly}/month` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no cap';
}

/** Starts of the current UTC day, ISO week (Monday) and month: the windows routing counts caps in. */
function capWindows(now: Date) {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const week = day - ((now.getUTCDay() + 6) % 7) * 86_400_000;
  const month = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  return { day, week, month };
}

/**
 * Current use against the caps, as routing counts it: offers made since the start of the UTC day, week
 * and month, whatever became of them. `complete` is false when the sample ends inside the month.
 */
export function currentUse(offeredAt: string[], complete: boolean, now = new Date()) {
  const w = capWindows(now);
  const times = offeredAt.map((t) => Date.parse(t));
  const since = (start: number) => times.filter((t) => t >= start).length;
  return {
    day: since(w.day),
    week: since(w.week),
    month: since(w.month),
    complete: complete || times.some((t) => t < Math.min(w.week, w.month)),
  };
}

export function formatUse(use: ReturnType<typeof currentUse>, capacity: Installer['capacity']) {
  const part = (label: string, used: number, cap: number | null) =>
    `${label} ${used}${use.complete ? '' : '+'}${cap != null ? ` of ${cap}` : ''}`;
  return [
    part('today', use.day, capacity.daily),
    part('this week', use.week, capacity.weekly),
    part('this month', use.month, capacity.monthly),
  ].join(', ');
}

/** Installer names by id, for screens that show installer ids (routing, assignments, follow-ups). */
export function useInstallerNames(): Map<string, string> {
  const { can } = useSession();
  const mayRead = can('installers:read');
  const loaded = useLoad(async () => {
    if (!mayRead) return new Map<string, string>();
    const page = await cachedOnce('installers', () =>
      unwrap(api.GET('/api/installers', { params: { query: { limit: 200 } } })),
    );
    return new Map(page.data.map((i) => [i.id, i.name]));
  }, [mayRead]);
  return loaded.data ?? new Map();
}
