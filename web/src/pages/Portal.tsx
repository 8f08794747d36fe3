import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { StatusFilter } from '../components/HumanOptions';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { ScrollRegion } from '../components/ScrollRegion';
import { StatusBadge } from '../components/StatusBadge';
import { formatDateTime } from '../lib/format';
import { useInstallerNames } from '../lib/installers';
import { useLoad } from '../lib/useLoad';
import { ASSIGNMENT_STATUSES, type AssignmentStatus } from './portal/actions';

/**
 * Assignments: for an installer-partner user, the installer portal (the API shows them only their
 * installer's offers); for staff, every installer's.
 */
export function Portal() {
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') || undefined) as AssignmentStatus | undefined;
  const names = useInstallerNames();
  const assignments = useLoad(
    () => unwrap(api.GET('/api/assignments', { params: { query: { status, limit: 100 } } })),
    [status],
    `assignments?${params}`,
  );
  const rows = assignments.data?.data ?? [];

  return (
    <Page title="Assignments">
      <StatusFilter
        label="Filter assignments"
        statuses={ASSIGNMENT_STATUSES}
        value={status}
        onChange={(s) => setParams(s ? { status: s } : {})}
      />
      <ProblemMessage error={assignments.error} />
      {assignments.loading && !assignments.data ? <Loading what="assignments" /> : null}
      {assignments.data && rows.length === 0 ? <p className="empty">No assignments.</p> : null}
      {rows.length > 0 ? (
        <ScrollRegion label="Assignments">
          <table className="assignments">
            <thead>
              <tr>
                <th scope="col">Offered</th>
                <th scope="col">Status</th>
                <th scope="col">Installer</th>
                <th scope="col">Answer by</th>
                <th scope="col">Quote</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link to={`/portal/${a.id}`}>{formatDateTime(a.offeredAt)}</Link>
                  </td>
                  <td>
                    <StatusBadge status={a.status} />
                  </td>
                  <td>{names.get(a.installerId) ?? 'your company'}</td>
                  <td>{a.status === 'offered' ? formatDateTime(a.expiresAt) : '—'}</td>
                  <td>{a.quote ? `${(a.quote.amount / 100).toFixed(2)} ${a.quote.currency}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
    </Page>
  );
}
