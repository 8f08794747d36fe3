import { useEffect, useRef } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useMe, useSession } from '../session/session';

const SECTIONS = [
  { to: '/', label: 'Dashboard', capability: 'leads:read' },
  { to: '/leads', label: 'Leads', capability: 'leads:read' },
  { to: '/approvals', label: 'Approvals', capability: 'workflow:approve' },
  { to: '/tasks', label: 'Tasks', capability: 'crm:read' },
  { to: '/contacts', label: 'Contacts', capability: 'crm:read' },
  { to: '/accounts', label: 'Accounts', capability: 'crm:read' },
  { to: '/pipelines', label: 'Pipelines', capability: 'crm:read' },
  { to: '/campaigns', label: 'Campaigns', capability: 'crm:read' },
  { to: '/imports', label: 'Imports', capability: 'imports:write' },
  { to: '/installers', label: 'Installers', capability: 'installers:read' },
  { to: '/regions', label: 'Regions', capability: 'regions:read' },
  { to: '/portal', label: 'Assignments', capability: 'assignments:read' },
  { to: '/admin', label: 'Admin', capability: 'admin:users' },
] as const;

/** The signed-in frame: skip link, header with the user and sign-out, navigation, and the screen. */
export function Shell() {
  const me = useMe();
  const { can, signOut } = useSession();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const first = useRef(true);

  // On a route change, move focus to the new screen's heading so keyboard and screen-reader users land there.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every route change
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.querySelector<HTMLElement>('#main h1')?.focus();
  }, [pathname]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Helio</span>
        <span className="tenant">{me.tenant.name}</span>
        <span className="user">{me.user?.name ?? 'API key'}</span>
        <button
          type="button"
          className="secondary"
          onClick={async () => {
            await signOut();
            navigate('/login');
          }}
        >
          Sign out
        </button>
      </header>
      <nav className="sections" aria-label="Sections">
        <ul>
          {SECTIONS.filter((s) => can(s.capability)).map((s) => (
            <li key={s.to}>
              <NavLink to={s.to} end={s.to === '/'}>
                {s.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
