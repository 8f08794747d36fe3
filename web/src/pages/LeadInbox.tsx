import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { ScrollRegion } from '../components/ScrollRegion';
import { StatusBadge } from '../components/StatusBadge';
import { formatDateTime, humanize } from '../lib/format';
import type { LeadSource, LeadStatus } from '../lib/leads';
import { nameOf, useStaff } from '../lib/staff';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session/session';
import { BulkAssign } from './leads/BulkAssign';
import { CampaignAssign } from './leads/CampaignAssign';
import { LeadFilters } from './leads/LeadFilters';
import { SavedViews } from './leads/SavedViews';

const PAGE_SIZE = 50;
const DAY_MS = 86_400_000;

/** The URL's filters as the API's query (dates are whole UTC days; `to` includes its day). */
function leadQuery(params: URLSearchParams) {
  const from = params.get('from');
  const to = params.get('to');
  return {
    status: (params.get('status') ?? undefined) as LeadStatus | undefined,
    source: (params.get('source') ?? undefined) as LeadSource | undefined,
    assignedUserId: params.get('assignee') ?? undefined,
    q: params.get('q') ?? undefined,
    createdAfter: from ? new Date(`${from}T00:00:00Z`).toISOString() : undefined,
    createdBefore: to ? new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS).toISOString() : undefined,
    cursor: params.get('cursor') ?? undefined,
    limit: PAGE_SIZE,
  };
}

export function LeadInbox() {
  const [params, setParams] = useSearchParams();
  const { can } = useSession();
  const staff = useStaff();
  const query = params.toString();
  const leads = useLoad(
    () => unwrap(api.GET('/api/leads', { params: { query: leadQuery(params) } })),
    [query],
    `leads?${query}`,
  );
  const [selected, setSelected] = useState<string[]>([]);
  const [notice, setNotice] = useState('');
  const filters = new URLSearchParams(params);
  filters.delete('cursor');

  // A new page or new filters: the selection belonged to the old rows.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset whenever the query changes
  useEffect(() => setSelected([]), [query]);

  const rows = leads.data?.data ?? [];
  const allSelected = rows.length > 0 && rows.every((r) => selected.includes(r.id));
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  const assigned = (message: string) => {
    setNotice(message);
    setSelected([]);
    leads.reload();
  };

  return (
    <Page title="Lead inbox">
      <LeadFilters params={filters} staff={staff} onApply={(next) => setParams(next)} />
      <SavedViews query={filters.toString()} />
      {can('leads:assign') ? <BulkAssign selected={selected} staff={staff} onDone={assigned} /> : null}
      {can('campaigns:write') ? <CampaignAssign selected={selected} staff={staff} onDone={assigned} /> : null}
      <p role="status" className="notice">
        {notice}
      </p>
      <ProblemMessage error={leads.error} />
      {leads.loading && !leads.data ? <Loading what="leads" /> : null}
      {leads.data && rows.length === 0 ? <p className="empty">No leads match these filters.</p> : null}
      {rows.length > 0 ? (
        <ScrollRegion label="Leads">
          <table className="leads" aria-busy={leads.loading}>
            <thead>
              <tr>
                <th scope="col">
                  <input
                    type="checkbox"
                    aria-label="Select every lead on this page"
                    checked={allSelected}
                    onChange={() => setSelected(allSelected ? [] : rows.map((r) => r.id))}
                  />
                </th>
                <th scope="col">Reference</th>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Source</th>
                <th scope="col">Service</th>
                <th scope="col">Assignee</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((lead) => (
                <tr key={lead.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select lead ${lead.reference}`}
                      checked={selected.includes(lead.id)}
                      onChange={() => toggle(lead.id)}
                    />
                  </td>
                  <td>
                    <Link to={`/leads/${lead.id}`}>{lead.reference}</Link>
                  </td>
                  <td>{lead.contact.name ?? lead.contact.email ?? '—'}</td>
                  <td>
                    <StatusBadge status={lead.status} />
                  </td>
                  <td>{humanize(lead.source)}</td>
                  <td>{humanize(lead.service)}</td>
                  <td>{nameOf(staff, lead.assignedUserId)}</td>
                  <td>{formatDateTime(lead.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
      <nav className="pager" aria-label="Pages of leads">
        {params.has('cursor') ? (
          <button type="button" className="secondary" onClick={() => setParams(filters)}>
            First page
          </button>
        ) : null}
        {leads.data?.nextCursor ? (
          <button
            type="button"
            onClick={() => {
              const next = new URLSearchParams(filters);
              next.set('cursor', leads.data!.nextCursor!);
              setParams(next);
            }}
          >
            Next page
          </button>
        ) : null}
      </nav>
    </Page>
  );
}
