import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { DataList } from '../components/DataList';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { StatusBadge } from '../components/StatusBadge';
import { formatDateTime, formatMoney, humanize } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session/session';
import { LogInteraction } from './contacts/LogInteraction';

function List<T>({
  id,
  title,
  items,
  empty,
  render,
}: {
  id: string;
  title: string;
  items: T[];
  empty: string;
  render: (item: T) => ReactNode;
}) {
  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {items.length === 0 ? <p className="empty">{empty}</p> : <ul className="plain">{items.map(render)}</ul>}
    </section>
  );
}

/** The client 360: one person with their accounts, leads, deals, projects, tasks, interactions and scores. */
export function Client360() {
  const personId = useParams().id!;
  const { can } = useSession();
  const dossier = useLoad(
    () => unwrap(api.GET('/api/crm/client-360/{personId}', { params: { path: { personId } } })),
    [personId],
    `client-360:${personId}`,
  );
  const d = dossier.data;
  return (
    <Page title={d ? (d.person.fullName ?? 'Unnamed person') : 'Client'}>
      <ProblemMessage error={dossier.error} />
      {dossier.loading && !d ? <Loading what="the client" /> : null}
      {d ? (
        <>
          <p>
            <Link to="/contacts">Back to contacts</Link>
          </p>
          <div className="detail-grid">
            <div>
              <section className="card" aria-labelledby="person-title">
                <h2 id="person-title">Person</h2>
                <DataList
                  items={[
                    ['Email', d.person.email],
                    ['Phone', d.person.phone],
                    ['Postcode', d.person.postcode],
                    ['Labels', d.person.personaLabels.join(', ') || null],
                    ['Open opportunities', `${d.counts.openOpportunities} of ${d.counts.opportunities}`],
                    ['Open tasks', d.counts.openTasks],
                    ['Scores', d.scores.map((s) => `${humanize(s.scoreType)} ${s.value}`).join(', ') || null],
                  ]}
                />
              </section>
              <List
                id="accounts"
                title="Accounts"
                items={d.accounts}
                empty="Not a member of any account."
                render={(a) => (
                  <li key={a.id}>
                    <strong>{a.name}</strong> · {humanize(a.type)} · {humanize(a.role)}
                    {a.isBillingContact ? ' · billing contact' : ''}
                  </li>
                )}
              />
              <List
                id="leads"
                title="Leads"
                items={d.leads}
                empty="No leads."
                render={(l) => (
                  <li key={l.id}>
                    <Link to={`/leads/${l.id}`}>{l.reference}</Link> <StatusBadge status={l.status} /> ·{' '}
                    {humanize(l.service)} · routing {humanize(l.routing.state)}
                  </li>
                )}
              />
              <List
                id="relationships"
                title="Relationships"
                items={d.relationships}
                empty="No relationships."
                render={(r) => (
                  <li key={r.id}>
                    {humanize(r.kind)} {r.direction === 'outgoing' ? 'of' : 'from'}{' '}
                    <Link to={`/contacts/${r.otherPerson.id}`}>{r.otherPerson.fullName ?? 'a person'}</Link>
                  </li>
                )}
              />
            </div>
            <div>
              <List
                id="opportunities"
                title="Opportunities"
                items={d.opportunities}
                empty="No opportunities."
                render={(o) => (
                  <li key={o.id}>
                    <strong>{o.name ?? 'Opportunity'}</strong> · {o.stageName ?? o.stage} · {o.status} ·{' '}
                    {formatMoney(o.value)}
                  </li>
                )}
              />
              <List
                id="projects"
                title="Projects"
                items={d.projects}
                empty="No projects."
                render={(p) => (
                  <li key={p.id}>
                    <strong>{p.name}</strong> · {humanize(p.type)} · {p.stageName ?? p.stage} · {p.status}
                  </li>
                )}
              />
              <List
                id="client-tasks"
                title="Open tasks"
                items={d.tasks}
                empty="No open tasks."
                render={(t) => (
                  <li key={t.id}>
                    {t.title} · due {formatDateTime(t.dueAt)}
                  </li>
                )}
              />
              <List
                id="interactions"
                title="Interactions"
                items={d.interactions}
                empty="No interactions yet."
                render={(i) => (
                  <li key={i.id}>
                    {formatDateTime(i.happenedAt)} · {humanize(i.channel)} {i.direction} ·{' '}
                    {i.summary ?? humanize(i.type)}
                  </li>
                )}
              />
              {can('crm:write') && !d.person.erasedAt ? (
                <LogInteraction personId={personId} onLogged={dossier.reload} />
              ) : null}
            </div>
          </div>
        </>
      ) : null}
    </Page>
  );
}
