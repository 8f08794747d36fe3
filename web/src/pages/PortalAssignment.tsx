import { type FormEvent, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { DataList } from '../components/DataList';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { StatusBadge } from '../components/StatusBadge';
import { formatDateTime, formatMoney, humanize } from '../lib/format';
import { useAction } from '../lib/useAction';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session/session';
import { ACTION_LABELS, type Assignment, type AssignmentAction, NEXT_ACTIONS } from './portal/actions';

/** One offer: the lead (contact details once accepted), its history, and the next steps. */
export function PortalAssignment() {
  const id = useParams().id!;
  const { can } = useSession();
  const assignment = useLoad(
    () => unwrap(api.GET('/api/assignments/{id}', { params: { path: { id } } })),
    [id],
    `assignment:${id}`,
  );
  const a = assignment.data;
  return (
    <Page title={a ? `Lead ${a.lead.reference}` : 'Assignment'}>
      <ProblemMessage error={assignment.error} />
      {assignment.loading && !a ? <Loading what="the assignment" /> : null}
      {a ? (
        <>
          <p>
            <StatusBadge status={a.status} /> · offered {formatDateTime(a.offeredAt)} ·{' '}
            <Link to="/portal">Back to assignments</Link>
          </p>
          <div className="detail-grid">
            <div>
              <section className="card" aria-labelledby="job-title">
                <h2 id="job-title">The job</h2>
                <DataList
                  items={[
                    ['Service', humanize(a.lead.service)],
                    ['Postcode', a.lead.postcode],
                    ['Path', humanize(a.lead.selectedPath)],
                    ['Estimated cost', formatMoney(a.lead.recommendation?.estimatedCost)],
                    ['Quote', a.quote ? formatMoney(a.quote) : null],
                    ['Install', a.installScheduledFor ? formatDateTime(a.installScheduledFor) : null],
                  ]}
                />
              </section>
              <section className="card" aria-labelledby="homeowner-title">
                <h2 id="homeowner-title">Homeowner</h2>
                {a.lead.contact ? (
                  <DataList
                    items={[
                      ['Name', a.lead.contact.name],
                      ['Email', a.lead.contact.email],
                      ['Phone', a.lead.contact.phone],
                    ]}
                  />
                ) : (
                  <p className="empty">The homeowner's contact details show once you accept the lead.</p>
                )}
              </section>
            </div>
            <div>
              {can('assignments:write') && NEXT_ACTIONS[a.status].length > 0 ? (
                <NextSteps assignment={a} onDone={assignment.reload} />
              ) : null}
              <section className="card" aria-labelledby="history-title">
                <h2 id="history-title">History</h2>
                <ol className="timeline">
                  {a.events.map((e) => (
                    <li key={`${e.at}-${e.toStatus}`}>
                      {e.fromStatus ? `${humanize(e.fromStatus)} → ` : ''}
                      <strong>{humanize(e.toStatus)}</strong> · {formatDateTime(e.at)}
                      {e.note ? ` — ${e.note}` : ''}
                    </li>
                  ))}
                </ol>
              </section>
            </div>
          </div>
        </>
      ) : null}
    </Page>
  );
}

function NextSteps({ assignment, onDone }: { assignment: Assignment; onDone: () => void }) {
  const action = useAction();
  const [notice, setNotice] = useState('');

  async function act(event: FormEvent<HTMLFormElement>, next: AssignmentAction) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const note = String(form.get('note') ?? '').trim() || undefined;
    const amount = Number(form.get('amount'));
    const when = String(form.get('when') ?? '');
    const body = {
      note,
      ...(next === 'quote' ? { quote: { amount: Math.round(amount * 100), currency: 'EUR' } } : {}),
      ...(next === 'schedule-install' && when ? { scheduledFor: new Date(when).toISOString() } : {}),
    };
    const done = await action.run(
      () =>
        unwrap(
          api.POST('/api/assignments/{id}/{action}', { params: { path: { id: assignment.id, action: next } }, body }),
        ),
      (a) => `${ACTION_LABELS[next]}: now ${humanize(a.status)}.`,
    );
    if (done) {
      setNotice(`${ACTION_LABELS[next]}: done.`);
      onDone();
    }
  }

  return (
    <section className="card" aria-labelledby="next-title">
      <h2 id="next-title">Next step</h2>
      {NEXT_ACTIONS[assignment.status].map((next) => (
        <form key={next} className="inline" onSubmit={(e) => act(e, next)} aria-label={ACTION_LABELS[next]}>
          {next === 'quote' ? (
            <label>
              Quote (EUR)
              <input name="amount" type="number" min="1" step="0.01" required />
            </label>
          ) : null}
          {next === 'schedule-install' ? (
            <label>
              Install date
              <input name="when" type="datetime-local" required />
            </label>
          ) : null}
          <button
            type="submit"
            className={next === 'decline' || next === 'lose' ? 'danger' : undefined}
            disabled={action.busy}
          >
            {ACTION_LABELS[next]}
          </button>
        </form>
      ))}
      <p role="status" className="notice">
        {notice}
      </p>
      <ProblemMessage error={action.error} />
    </section>
  );
}
