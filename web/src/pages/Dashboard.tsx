import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import { Page } from '../components/Page';
import { Section } from '../components/Section';
import { StatusBadge } from '../components/StatusBadge';
import { TaskDone } from '../components/TaskDone';
import { formatDateTime, humanize } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session/session';
import { Analytics } from './dashboard/Analytics';

const SHOWN = 10;
const none = () => Promise.resolve({ data: [], nextCursor: null });
const count = (page: { data: unknown[]; nextCursor: string | null }) =>
  `${page.data.length}${page.nextCursor ? '+' : ''}`;

/** The start screen: the user's open tasks, what waits for a decision, the newest leads, and the analytics panels. */
export function Dashboard() {
  const { can } = useSession();
  // Marking a task done reloads the list (a done task leaves it).
  const [round, setRound] = useState(0);
  const tasks = useLoad(
    () =>
      can('crm:read')
        ? unwrap(api.GET('/api/crm/tasks', { params: { query: { mine: 'true', limit: SHOWN } } }))
        : none(),
    [round],
  );
  const inbox = useLoad(
    () => (can('crm:read') ? unwrap(api.GET('/api/crm/inbox', { params: { query: { limit: SHOWN } } })) : none()),
    [],
  );
  const leads = useLoad(
    () =>
      can('leads:read')
        ? unwrap(api.GET('/api/leads', { params: { query: { status: 'new', limit: SHOWN } } }))
        : none(),
    [],
  );

  return (
    <Page title="Dashboard">
      <div className="dashboard">
        <Section
          id="my-tasks"
          title="My open tasks"
          loaded={tasks}
          isEmpty={(d) => d.data.length === 0}
          empty="Nothing due."
        >
          {(d) => (
            <Listing total={count(d)}>
              {d.data.map((t) => (
                <li key={t.id}>
                  {t.leadId ? <Link to={`/leads/${t.leadId}`}>{t.title}</Link> : t.title} · due{' '}
                  {formatDateTime(t.dueAt)}
                  {t.overdue ? <strong className="overdue"> · overdue</strong> : null}
                  <TaskDone task={t} onDone={() => setRound((r) => r + 1)} />
                </li>
              ))}
            </Listing>
          )}
        </Section>
        <Section
          id="decisions"
          title="Waiting for a decision"
          loaded={inbox}
          isEmpty={(d) => d.data.length === 0}
          empty="Nothing waits for a decision."
        >
          {(d) => (
            <Listing total={count(d)}>
              {d.data.map((item) => (
                <li key={item.id}>
                  <Link
                    to={
                      item.kind === 'reminder'
                        ? item.task?.leadId
                          ? `/leads/${item.task.leadId}`
                          : `/contacts/${item.task?.personId}`
                        : '/approvals'
                    }
                  >
                    {item.title}
                  </Link>{' '}
                  · {humanize(item.kind)} · {formatDateTime(item.at)}
                </li>
              ))}
            </Listing>
          )}
        </Section>
        <Section
          id="new-leads"
          title="New leads"
          loaded={leads}
          isEmpty={(d) => d.data.length === 0}
          empty="No new leads."
        >
          {(d) => (
            <Listing total={count(d)}>
              {d.data.map((l) => (
                <li key={l.id}>
                  <Link to={`/leads/${l.id}`}>{l.reference}</Link> {l.contact.name ?? ''}{' '}
                  <StatusBadge status={l.status} /> · {humanize(l.service)} · {formatDateTime(l.createdAt)}
                </li>
              ))}
            </Listing>
          )}
        </Section>
      </div>
      {can('leads:read') ? <Analytics /> : null}
    </Page>
  );
}

function Listing({ total, children }: { total: string; children: ReactNode }) {
  return (
    <>
      <p className="big-number">{total}</p>
      <ul className="plain">{children}</ul>
    </>
  );
}
