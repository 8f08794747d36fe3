import type { FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { ScrollRegion } from '../components/ScrollRegion';
import { formatDateTime } from '../lib/format';
import { useLoad } from '../lib/useLoad';

/** People in the CRM, searchable, keyset-paged; each opens its client 360. */
export function Contacts() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? undefined;
  const cursor = params.get('cursor') ?? undefined;
  const contacts = useLoad(
    () => unwrap(api.GET('/api/crm/contacts', { params: { query: { q, cursor, limit: 50 } } })),
    [q, cursor],
    `contacts?${params}`,
  );
  const rows = contacts.data?.data ?? [];

  function search(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget).get('q')).trim();
    setParams(value ? { q: value } : {});
  }

  return (
    <Page title="Contacts">
      <form key={q ?? ''} className="inline" onSubmit={search} aria-label="Search contacts">
        <label>
          Search
          <input type="search" name="q" defaultValue={q ?? ''} placeholder="Name, email or phone" />
        </label>
        <button type="submit">Search</button>
      </form>
      <ProblemMessage error={contacts.error} />
      {contacts.loading && !contacts.data ? <Loading what="contacts" /> : null}
      {contacts.data && rows.length === 0 ? <p className="empty">No contacts match.</p> : null}
      {rows.length > 0 ? (
        <ScrollRegion label="Contacts">
          <table className="contacts">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Phone</th>
                <th scope="col">Labels</th>
                <th scope="col">Open opportunities</th>
                <th scope="col">Last activity</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/contacts/${c.id}`}>{c.fullName ?? c.email ?? 'Unnamed person'}</Link>
                  </td>
                  <td>{c.email ?? '—'}</td>
                  <td>{c.phone ?? '—'}</td>
                  <td>{c.personaLabels.join(', ') || '—'}</td>
                  <td>{c.activeOpportunityCount}</td>
                  <td>{formatDateTime(c.lastActivityAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
      <nav className="pager" aria-label="Pages of contacts">
        {cursor ? (
          <button type="button" className="secondary" onClick={() => setParams(q ? { q } : {})}>
            First page
          </button>
        ) : null}
        {contacts.data?.nextCursor ? (
          <button type="button" onClick={() => setParams({ ...(q ? { q } : {}), cursor: contacts.data!.nextCursor! })}>
            Next page
          </button>
        ) : null}
      </nav>
    </Page>
  );
}
