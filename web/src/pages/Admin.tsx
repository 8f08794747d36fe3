import { NavLink, Route, Routes } from 'react-router';
import { Page } from '../components/Page';
import { useSession } from '../session/session';
import { ApiKeys } from './admin/ApiKeys';
import { ApprovalPolicy } from './admin/ApprovalPolicy';
import { AuditLog } from './admin/AuditLog';
import { UsersAndRoles } from './admin/UsersAndRoles';

const PARTS = [
  { to: '/admin', label: 'Users and roles', capability: 'admin:users', end: true },
  { to: '/admin/api-keys', label: 'API keys', capability: 'admin:api_keys', end: false },
  { to: '/admin/policy', label: 'Approval policy', capability: 'settings:write', end: false },
  { to: '/admin/audit', label: 'Audit log', capability: 'audit:read', end: false },
];

/** Administration: users and the capability grid, API keys, the approval policy, the audit log. */
export function Admin() {
  const { can } = useSession();
  return (
    <Page title="Admin">
      <nav aria-label="Admin" className="subnav">
        <ul>
          {PARTS.filter((p) => can(p.capability)).map((p) => (
            <li key={p.to}>
              <NavLink to={p.to} end={p.end}>
                {p.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Routes>
        <Route index element={<UsersAndRoles />} />
        <Route path="api-keys" element={<ApiKeys />} />
        <Route path="policy" element={<ApprovalPolicy />} />
        <Route path="audit" element={<AuditLog />} />
      </Routes>
    </Page>
  );
}
