import { type FormEvent, useEffect, useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ProblemMessage } from '../components/ProblemMessage';
import { useSession } from '../session/session';

const TENANT_KEY = 'helio.tenant';

export function SignIn() {
  const { me, signIn } = useSession();
  const location = useLocation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    document.title = 'Sign in · Helio';
  }, []);

  if (me) return <Navigate to={(location.state as { from?: string } | null)?.from ?? '/'} replace />;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const tenant = String(form.get('tenant')).trim();
    setBusy(true);
    setError(null);
    try {
      await signIn(tenant, String(form.get('email')).trim(), String(form.get('password')));
      localStorage.setItem(TENANT_KEY, tenant);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <main id="main" className="sign-in">
      <h1>Sign in to Helio</h1>
      <form onSubmit={submit} className="stack">
        <label>
          Workspace
          <input
            name="tenant"
            required
            autoComplete="organization"
            defaultValue={localStorage.getItem(TENANT_KEY) ?? ''}
          />
        </label>
        <label>
          Email
          <input name="email" type="email" required autoComplete="username" />
        </label>
        <label>
          Password
          <input name="password" type="password" required autoComplete="current-password" />
        </label>
        <ProblemMessage error={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
