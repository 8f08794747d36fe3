import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api, type Body, hasToken, setToken, unwrap, whenUnauthorized } from '../api/client';
import { clearCache } from '../lib/cache';

type Me = Body<'/api/me', 'get'>;

interface Session {
  me: Me | null;
  /** True until the stored session (if any) has been checked. */
  checking: boolean;
  signIn(tenant: string, email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  can(capability: string): boolean;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(hasToken());

  useEffect(() => {
    whenUnauthorized(() => {
      clearCache();
      setMe(null);
    });
    if (!hasToken()) return;
    unwrap(api.GET('/api/me'))
      .then(setMe, () => setToken(null))
      .finally(() => setChecking(false));
  }, []);

  const signIn = useCallback(async (tenant: string, email: string, password: string) => {
    const session = await unwrap(api.POST('/api/auth/login', { body: { tenant, email, password } }));
    setToken(session.token);
    setMe(await unwrap(api.GET('/api/me')));
  }, []);

  const signOut = useCallback(async () => {
    await api.POST('/api/auth/logout').catch(() => undefined);
    setToken(null);
    clearCache();
    setMe(null);
  }, []);

  const value = useMemo<Session>(
    () => ({ me, checking, signIn, signOut, can: (c) => me?.capabilities.includes(c) ?? false }),
    [me, checking, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in user's session (screens behind the sign-in only). */
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('useMe without a session');
  return me;
}
