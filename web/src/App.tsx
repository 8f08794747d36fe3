import { Navigate, Route, Routes } from 'react-router';
import { RequireSession } from './components/RequireSession';
import { Shell } from './components/Shell';
import { Accounts } from './pages/Accounts';
import { Admin } from './pages/Admin';
import { Approvals } from './pages/Approvals';
import { Campaigns } from './pages/Campaigns';
import { Client360 } from './pages/Client360';
import { Contacts } from './pages/Contacts';
import { Dashboard } from './pages/Dashboard';
import { Imports } from './pages/Imports';
import { InstallerDetail } from './pages/InstallerDetail';
import { Installers } from './pages/Installers';
import { LeadDetail } from './pages/LeadDetail';
import { LeadInbox } from './pages/LeadInbox';
import { NotFound } from './pages/NotFound';
import { Pipelines } from './pages/Pipelines';
import { Portal } from './pages/Portal';
import { PortalAssignment } from './pages/PortalAssignment';
import { Regions } from './pages/Regions';
import { SignIn } from './pages/SignIn';
import { Tasks } from './pages/Tasks';
import { useMe } from './session/session';

/** Client routes; their first path segments are served by src/web/console.ts (CLIENT_ROUTES). */
export function App() {
  return (
    <Routes>
      <Route path="/login" element={<SignIn />} />
      <Route
        element={
          <RequireSession>
            <Shell />
          </RequireSession>
        }
      >
        <Route index element={<Home />} />
        <Route path="leads" element={<LeadInbox />} />
        <Route path="leads/:id" element={<LeadDetail />} />
        <Route path="approvals" element={<Approvals />} />
        <Route path="contacts" element={<Contacts />} />
        <Route path="contacts/:id" element={<Client360 />} />
        <Route path="accounts" element={<Accounts />} />
        <Route path="installers" element={<Installers />} />
        <Route path="installers/:id" element={<InstallerDetail />} />
        <Route path="regions" element={<Regions />} />
        <Route path="pipelines" element={<Pipelines />} />
        <Route path="campaigns" element={<Campaigns />} />
        <Route path="tasks" element={<Tasks />} />
        <Route path="imports" element={<Imports />} />
        <Route path="admin/*" element={<Admin />} />
        <Route path="portal" element={<Portal />} />
        <Route path="portal/:id" element={<PortalAssignment />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

/** Installer-partner users start in their portal; staff on the dashboard. */
function Home() {
  return useMe().scope === 'installer' ? <Navigate to="/portal" replace /> : <Dashboard />;
}
