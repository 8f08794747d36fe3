import type { FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { ScrollRegion } from '../../components/ScrollRegion';
import { formatDateTime } from '../../lib/format';
import { useLoad } from '../../lib/useLoad';

/** The audit trail, newest first, filtered by entity type and action; keyset-paged. */
export function AuditLog() {
  const [params, setParams] = useSearchParams();
  const entityType = params.get('entityType') ?? undefined;
  const action = params.get('action') ?? undefined;
  const cursor = params.get('cursor') ?? undefined;
  const events = useLoad(
    () => unwrap(api.GET('/api/admin/audit-events', { params: { query: { entityType, action, cursor, limit: 50 } } })),
    [entityType, action, cursor],
  );
  const rows = events.data?.data ?? [];

  function filter(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(event.currentTarget)) {
      if (typeof value === 'string' && value.trim()) next.set(name, value.trim());
    }
    setParams(next);
  }

  return (
    <section className="card" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      <form key={`${entityType}:${action}`} className="inline" onSubmit={filter} aria-label="Filter the audit log">
        <label>
          Entity type
          <input name="entityType" defaultValue={entityType ?? ''} placeholder="lead" maxLength={100} />
        </label>
        <label>
          Action
          <input name="action" defaultValue={action ?? ''} placeholder="lead.assigned" maxLength={100} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ProblemMessage error={events.error} />
      {events.loading && !events.data ? <Loading what="audit events" /> : null}
      {events.data && rows.length === 0 ? <p className="empty">No audit events match.</p> : null}
      {rows.length > 0 ? (
        <ScrollRegion label="Audit events">
          <table className="audit">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Entity</th>
                <th scope="col">Actor</th>
                <th scope="col">Fields</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id}>
                  <td>{formatDateTime(e.occurredAt)}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.outcome}</td>
                  <td>
                    {e.entityType} <span className="muted">{e.entityId?.slice(0, 8)}</span>
                  </td>
                  <td>
                    {e.actorKind} <span className="muted">{e.actorId?.slice(0, 8)}</span>
                  </td>
                  <td>{e.changedFields.join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
      <nav className="pager" aria-label="Pages of audit events">
        {cursor ? (
          <button
            type="button"
            className="secondary"
            onClick={() => {
              const next = new URLSearchParams(params);
              next.delete('cursor');
              setParams(next);
            }}
          >
            First page
          </button>
        ) : null}
        {events.data?.nextCursor ? (
          <button
            type="button"
            onClick={() => {
              const next = new URLSearchParams(params);
              next.set('cursor', events.data!.nextCursor!);
              setParams(next);
            }}
          >
            Next page
          </button>
        ) : null}
      </nav>
    </section>
  );
}
