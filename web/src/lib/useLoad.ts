import { type DependencyList, useCallback, useEffect, useState } from 'react';
import { lastAnswer, rememberAnswer } from './cache';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads data when deps change; the latest request wins, earlier answers are dropped. With a cache key, the
 * last answer for that key shows at once while the fresh one loads.
 */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList, cacheKey?: string): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>(() => ({
    data: lastAnswer<T>(cacheKey),
    loading: true,
  }));
  const [round, setRound] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's deps (and reload) decide when to load
  const run = useCallback(load, [...deps, round]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: cacheKey follows deps; run alone triggers a load
  useEffect(() => {
    let current = true;
    const cached = lastAnswer<T>(cacheKey);
    // Without a key the previous data stays while the next loads (a page of rows); with one, never another key's.
    setState((s) => ({ data: cacheKey === undefined ? s.data : cached, loading: true, error: undefined }));
    run().then(
      (data) => {
        rememberAnswer(cacheKey, data);
        if (current) setState({ data, loading: false });
      },
      (error) => current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      current = false;
    };
  }, [run]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
