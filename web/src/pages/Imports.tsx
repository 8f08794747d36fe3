import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { Section } from '../components/Section';
import { StatusBadge } from '../components/StatusBadge';
import { formatDateTime } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { DecisionStep, MappingStep, UploadStep } from './imports/steps';

/** The import wizard: upload → map → dry run → approve → commit; the batch id stays in the URL. */
export function Imports() {
  const [params, setParams] = useSearchParams();
  const batchId = params.get('batch');
  const batch = useLoad(
    () =>
      batchId ? unwrap(api.GET('/api/crm/imports/{id}', { params: { path: { id: batchId } } })) : Promise.resolve(null),
    [batchId],
  );
  const b = batch.data;
  const recent = useLoad(
    () => unwrap(api.GET('/api/crm/imports', { params: { query: { limit: 10 } } })),
    [batchId, b?.status],
  );

  return (
    <Page title="Imports">
      {batchId ? (
        <p>
          <Link to="/imports">Start another import</Link>
        </p>
      ) : (
        <UploadStep onUploaded={(created) => setParams({ batch: created.id })} />
      )}
      <ProblemMessage error={batch.error} />
      {batchId && batch.loading && !b ? <Loading what="the batch" /> : null}
      {b ? (
        <>
          <p role="status">
            <strong>{b.fileName}</strong> · {b.rowCount} rows · <StatusBadge status={b.status} />
            {b.failureReason ? ` — ${b.failureReason}` : ''}
          </p>
          {['parsed', 'mapped'].includes(b.status) ? (
            <MappingStep key={b.version} batch={b} onDone={batch.reload} />
          ) : null}
          {['mapped', 'proposed', 'approved', 'committed'].includes(b.status) ? (
            <DecisionStep batch={b} onDone={batch.reload} />
          ) : null}
          {b.status === 'committed' ? (
            <p className="notice">
              Committed through row {b.committedThrough}. <Link to="/contacts">See the contacts</Link>.
            </p>
          ) : null}
        </>
      ) : null}
      <Section
        id="recent"
        title="Recent imports"
        loaded={recent}
        isEmpty={(d) => d.data.length === 0}
        empty="No imports yet."
      >
        {(d) => (
          <ul className="plain">
            {d.data.map((r) => (
              <li key={r.id}>
                <Link to={`/imports?batch=${r.id}`}>{r.fileName}</Link> <StatusBadge status={r.status} /> · {r.rowCount}{' '}
                rows · {formatDateTime(r.createdAt)}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </Page>
  );
}
