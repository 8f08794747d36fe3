import type { FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, type Body, unwrap } from '../api/client';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { ScrollRegion } from '../components/ScrollRegion';
import { formatDateTime } from '../lib/format';
import { useLoad } from '../lib/useLoad';

type Account = Body<'/api/crm/accounts', 'get'>['data'][number];
type AccountType = Account['type'];

const TYPES: AccountType[] = [
  'household',
  'company',
  'nonprofit',
  'government',
  'educational',
  'developer',
  'brokerage',
];

const cityOf = (a: Account) => {
  const city = a.billingAddress?.city;
  return typeof city === 'string' && city ? city : '—';
};

/** Accounts and households, searchable by name and filtered by type, keyset-paged. */
export function Accounts() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? undefined;
  const type = (params.get('type') as AccountType | null) ?? undefined;
  const cursor = params.get('cursor') ?? undefined;
  const accounts = useLoad(
    () => unwrap(api.GET('/api/crm/accounts', { params: { query: { q, type, cursor, limit: 50 } } })),
    [q, type, cursor],
    `accounts?${params}`,
  );
  const rows = accounts.data?.data ?? [];
  const filters = { ...(q ? { q } : {}), ...(type ? { type } : {}) };

  function search(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const value = String(form.get('q')).trim();
    const kind = String(form.get('type'));
    setParams({ ...(value ? { q: value } : {}), ...(kind ? { type: kind } : {}) });
  }

  return (
    <Page title="Accounts">
      <form key={`${q}|${type}`} className="inline" onSubmit={search} aria-label="Search accounts">
        <label>
          Name
          <input type="search" name="q" defaultValue={q ?? ''} placeholder="Account or household name" />
        </label>
        <label>
          Type
          <select name="type" defaultValue={type ?? ''}>
            <option value="">Any</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      <ProblemMessage error={accounts.error} />
      {accounts.loading && !accounts.data ? <Loading what="accounts" /> : null}
      {accounts.data && rows.length === 0 ? <p className="empty">No accounts match.</p> : null}
      {rows.length > 0 ? (
        <ScrollRegion label="Accounts">
          <table className="accounts">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">City</th>
                <th scope="col">Primary contact</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id}>
                  <th scope="row">{a.name}</th>
                  <td>{a.type}</td>
                  <td>{cityOf(a)}</td>
                  <td>{a.primaryContactId ? <Link to={`/contacts/${a.primaryContactId}`}>Client 360</Link> : '—'}</td>
                  <td>{formatDateTime(a.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
      <nav className="pager" aria-label="Pages of accounts">
        {cursor ? (
          <button type="button" className="secondary" onClick={() => setParams(filters)}>
            First page
          </button>
        ) : null}
        {accounts.data?.nextCursor ? (
          <button type="button" onClick={() => setParams({ ...filters, cursor: accounts.data!.nextCursor! })}>
            Next page
          </button>
        ) : null}
      </nav>
    </Page>
  );
}
