/**
 * In-memory caches of this session, cleared at sign-out: reference data every screen shows (staff and
 * installer names) loaded once, and the last answer of each screen's main query, shown at once when the
 * screen is revisited (back to the inbox, a lead seen before) while it reloads.
 */
const once = new Map<string, Promise<unknown>>();
const last = new Map<string, unknown>();

export function cachedOnce<T>(key: string, load: () => Promise<T>): Promise<T> {
  let hit = once.get(key) as Promise<T> | undefined;
  if (!hit) {
    hit = load();
    once.set(key, hit);
    hit.catch(() => once.delete(key));
  }
  return hit;
}

export const lastAnswer = <T>(key: string | undefined): T | undefined =>
  key === undefined ? undefined : (last.get(key) as T | undefined);

export function rememberAnswer(key: string | undefined, value: unknown) {
  if (key === undefined) return;
  if (last.size > 200) last.clear();
  last.set(key, value);
}

export function clearCache() {
  once.clear();
  last.clear();
}
