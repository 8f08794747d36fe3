import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { StatusFilter } from '../components/HumanOptions';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { ScrollRegion } from '../components/ScrollRegion';
import { StatusBadge } from '../components/StatusBadge';
import { humanize } from '../lib/format';
import { formatCapacity, INSTALLER_STATUSES, type InstallerStatus } from '../lib/installers';
import { useLoad } from '../lib/useLoad';

/** Installer companies with their status, services, capacity and score. */
export function Installers() {
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') || undefined) as InstallerStatus | undefined;
  const installers = useLoad(
    () => unwrap(api.GET('/api/installers', { params: { query: { status, limit: 200 } } })),
    [status],
    `installers?${params}`,
  );
  const rows = installers.data?.data ?? [];

  return (
    <Page title="Installers">
      <StatusFilter
        label="Filter installers"
        statuses={INSTALLER_STATUSES}
        value={status}
        onChange={(s) => setParams(s ? { status: s } : {})}
      />
      <ProblemMessage error={installers.error} />
      {installers.loading && !installers.data ? <Loading what="installers" /> : null}
      {installers.data && rows.length === 0 ? <p className="empty">No installers.</p> : null}
      {rows.length > 0 ? (
        <ScrollRegion label="Installers">
          <table className="installers">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Services</th>
                <th scope="col">Capacity</th>
                <th scope="col">Priority</th>
                <th scope="col">Quality</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((i) => (
                <tr key={i.id}>
                  <td>
                    <Link to={`/installers/${i.id}`}>{i.name}</Link>
                  </td>
                  <td>
                    <StatusBadge status={i.status} />
                  </td>
                  <td>{i.services.map(humanize).join(', ')}</td>
                  <td>{formatCapacity(i.capacity)}</td>
                  <td>{i.priority}</td>
                  <td>{i.qualityScore}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
    </Page>
  );
}
