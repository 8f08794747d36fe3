import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { DataList } from '../components/DataList';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { Section } from '../components/Section';
import { StatusBadge } from '../components/StatusBadge';
import { formatDateTime, humanize } from '../lib/format';
import { currentUse, formatCapacity, formatUse } from '../lib/installers';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session/session';

const SCORECARD_SAMPLE = 200;

/** One installer: status, services, coverage, capacity, contacts, notes and a scorecard of its assignments. */
export function InstallerDetail() {
  const id = useParams().id!;
  const { can } = useSession();
  const byId = { params: { path: { id } } };
  const installer = useLoad(() => unwrap(api.GET('/api/installers/{id}', byId)), [id], `installer:${id}`);
  const contacts = useLoad(() => unwrap(api.GET('/api/installers/{id}/contacts', byId)), [id]);
  const notes = useLoad(() => unwrap(api.GET('/api/installers/{id}/notes', byId)), [id]);
  const regions = useLoad(
    () =>
      can('regions:read')
        ? unwrap(api.GET('/api/regions', { params: { query: { limit: 200 } } }))
        : Promise.resolve({ data: [], nextCursor: null }),
    [],
  );
  const assignments = useLoad(
    () =>
      can('assignments:read')
        ? unwrap(api.GET('/api/assignments', { params: { query: { installerId: id, limit: SCORECARD_SAMPLE } } }))
        : Promise.resolve({ data: [], nextCursor: null }),
    [id],
  );
  const i = installer.data;
  const regionName = new Map((regions.data?.data ?? []).map((r) => [r.id, `${r.name} (${r.code})`]));

  return (
    <Page title={i ? i.name : 'Installer'}>
      <ProblemMessage error={installer.error} />
      {installer.loading && !i ? <Loading what="the installer" /> : null}
      {i ? (
        <>
          <p>
            <StatusBadge status={i.status} /> · <Link to="/installers">Back to installers</Link>
          </p>
          <div className="detail-grid">
            <div>
              <section className="card" aria-labelledby="profile-title">
                <h2 id="profile-title">Profile</h2>
                <DataList
                  items={[
                    ['Services', i.services.map(humanize).join(', ') || null],
                    ['Capacity', formatCapacity(i.capacity)],
                    [
                      'Current use',
                      assignments.data && can('assignments:read')
                        ? formatUse(
                            currentUse(
                              assignments.data.data.map((a) => a.offeredAt),
                              assignments.data.nextCursor === null,
                            ),
                            i.capacity,
                          )
                        : null,
                    ],
                    ['Priority', i.priority],
                    ['Quality score', i.qualityScore],
                    ['Email', i.email],
                    ['Phone', i.phone],
                    ['Website', i.website],
                    ['Company number', i.companyNumber],
                  ]}
                />
              </section>
              <section className="card" aria-labelledby="coverage-title">
                <h2 id="coverage-title">Coverage</h2>
                {i.regionIds.length === 0 ? (
                  <p className="empty">Covers no region.</p>
                ) : (
                  <ul className="plain">
                    {i.regionIds.map((r) => (
                      <li key={r}>{regionName.get(r) ?? 'a region'}</li>
                    ))}
                  </ul>
                )}
              </section>
              <Section
                id="scorecard"
                title="Scorecard"
                loaded={assignments}
                isEmpty={(d) => d.data.length === 0}
                empty="No assignments yet."
              >
                {(d) => <Scorecard statuses={d.data.map((a) => a.status)} more={d.nextCursor !== null} />}
              </Section>
            </div>
            <div>
              <Section id="contacts" title="Contacts" loaded={contacts} isEmpty={(d) => d.data.length === 0}>
                {(d) => (
                  <ul className="plain">
                    {d.data.map((c) => (
                      <li key={c.id}>
                        <strong>{c.name}</strong>
                        {c.role ? ` · ${c.role}` : ''}
                        {c.isPrimary ? ' · primary' : ''} · {c.email ?? c.phone ?? 'no contact details'}
                        {c.receivesLeadNotifications ? ' · gets lead notifications' : ''}
                      </li>
                    ))}
                  </ul>
                )}
              </Section>
              <Section id="notes" title="Notes" loaded={notes} isEmpty={(d) => d.data.length === 0}>
                {(d) => (
                  <ul className="plain">
                    {d.data.map((n) => (
                      <li key={n.id}>
                        <span className="badge">{n.kind}</span> {n.body}{' '}
                        <span className="muted">· {formatDateTime(n.createdAt)}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </Section>
            </div>
          </div>
        </>
      ) : null}
    </Page>
  );
}

/** Outcomes of the installer's assignments: how many were accepted, won and installed. */
function Scorecard({ statuses, more }: { statuses: string[]; more: boolean }) {
  const count = (...s: string[]) => statuses.filter((x) => s.includes(x)).length;
  const won = count('won', 'install_scheduled', 'installed');
  const decided = won + count('lost');
  const answered = statuses.length - count('offered', 'expired');
  return (
    <>
      <DataList
        items={[
          ['Assignments', `${statuses.length}${more ? '+' : ''}`],
          ['Accepted', count('accepted', 'contacted', 'quoted', 'won', 'lost', 'install_scheduled', 'installed')],
          ['Declined or expired', count('declined', 'expired')],
          ['Won', won],
          ['Win rate', decided ? `${Math.round((won / decided) * 100)}%` : '—'],
          ['Response rate', statuses.length ? `${Math.round((answered / statuses.length) * 100)}%` : '—'],
          ['Installed', count('installed')],
        ]}
      />
      {more ? <p className="muted">Counted over the latest {SCORECARD_SAMPLE} assignments.</p> : null}
    </>
  );
}
