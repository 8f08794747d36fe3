import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useSession } from '../session/session';
import { Loading } from './Loading';

/** Screens behind the sign-in: without a session, to /login (and back here afterwards). */
export function RequireSession({ children }: { children: ReactNode }) {
  const { me, checking } = useSession();
  const location = useLocation();
  if (checking) return <Loading what="your session" />;
  if (!me) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return children;
}
