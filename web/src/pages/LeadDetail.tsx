import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { Section } from '../components/Section';
import { StatusBadge } from '../components/StatusBadge';
import { TaskDone } from '../components/TaskDone';
import { formatDateTime, humanize } from '../lib/format';
import { useInstallerNames } from '../lib/installers';
import type { Lead } from '../lib/leads';
import { nameOf, useStaff } from '../lib/staff';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session/session';
import { FollowUpAnswer } from './leads/FollowUpAnswer';
import { LeadActions } from './leads/LeadActions';
import { LeadProfile } from './leads/LeadProfile';
import { RoutingPanel } from './leads/RoutingPanel';

/** A list the caller may not read shows as empty rather than as a 403. */
const ifAllowed = <T,>(allowed: boolean, load: () => Promise<{ data: T[] }>) =>
  allowed ? load() : Promise.resolve({ data: [] as T[] });

/** The admin lead detail (seed 000): everything known about one lead, and what staff can do with it. */
export function LeadDetail() {
  const id = useParams().id!;
  // Every action bumps the round, so the lead and each part below reload from the API.
  const [round, setRound] = useState(0);
  const lead = useLoad(
    () => unwrap(api.GET('/api/leads/{id}', { params: { path: { id } } })),
    [id, round],
    `lead:${id}`,
  );

  // One Page throughout, so the heading (focused on arrival) stays the same element when the lead arrives.
  return (
    <Page title={lead.data ? `Lead ${lead.data.reference}` : 'Lead'}>
      <ProblemMessage error={lead.error} />
      {lead.data ? (
        <LeadView lead={lead.data} round={round} onChanged={() => setRound((r) => r + 1)} />
      ) : (
        <>
          {lead.loading ? <Loading what="the lead" /> : null}
          <p>
            <Link to="/leads">Back to the inbox</Link>
          </p>
        </>
      )}
    </Page>
  );
}

/** The lead on screen at once; its history, routing and related records load after it, each on its own. */
function LeadView({ lead: l, round, onChanged: changed }: { lead: Lead; round: number; onChanged: () => void }) {
  const id = l.id;
  const { can } = useSession();
  const staff = useStaff();
  const names = useInstallerNames();
  const byId = { params: { path: { id } } };
  const events = useLoad(() => unwrap(api.GET('/api/leads/{id}/events', byId)), [id, round]);
  const routing = useLoad(() => unwrap(api.GET('/api/leads/{id}/routing', byId)), [id, round]);
  const submissions = useLoad(() => unwrap(api.GET('/api/leads/{id}/submissions', byId)), [id, round]);
  const leadFilter = { params: { query: { leadId: id, limit: 200 } } };
  const assignments = useLoad(
    () => ifAllowed(can('assignments:read'), () => unwrap(api.GET('/api/assignments', leadFilter))),
    [id, round],
  );
  const followUps = useLoad(
    () => ifAllowed(can('followups:read'), () => unwrap(api.GET('/api/follow-ups', leadFilter))),
    [id, round],
  );
  const tasks = useLoad(
    () => ifAllowed(can('crm:read'), () => unwrap(api.GET('/api/crm/tasks', leadFilter))),
    [id, round],
  );
  const installer = (installerId: string) => names.get(installerId) ?? 'an installer';

  return (
    <>
      <p className="lead-meta">
        <StatusBadge status={l.status} /> · owner {nameOf(staff, l.assignedUserId)} · created{' '}
        {formatDateTime(l.createdAt)}
        {l.erasedAt ? ` · erased ${formatDateTime(l.erasedAt)}` : ''} · <Link to="/leads">Back to the inbox</Link>
      </p>
      <div className="detail-grid">
        <div>
          <LeadProfile lead={l} />
          <Section id="history" title="Status history" loaded={events} isEmpty={(d) => d.data.length === 0}>
            {(d) => (
              <ol className="timeline">
                {d.data.map((e) => (
                  <li key={`${e.changedAt}-${e.toStatus}`}>
                    {e.fromStatus ? `${humanize(e.fromStatus)} → ` : 'created as '}
                    <strong>{humanize(e.toStatus)}</strong> · {formatDateTime(e.changedAt)}
                    {e.changedBy ? ` · ${nameOf(staff, e.changedBy)}` : ''}
                    {e.reason ? ` — ${e.reason}` : ''}
                  </li>
                ))}
              </ol>
            )}
          </Section>
          <Section id="submissions" title="Submissions" loaded={submissions} isEmpty={(d) => d.data.length === 0}>
            {(d) => (
              <ul className="plain">
                {d.data.map((s) => (
                  <li key={s.id}>
                    <details>
                      <summary>
                        {humanize(s.channel)} submission · {formatDateTime(s.receivedAt)}
                      </summary>
                      <pre>{JSON.stringify(s.payload, null, 2)}</pre>
                    </details>
                  </li>
                ))}
              </ul>
            )}
          </Section>
        </div>
        <div>
          <LeadActions lead={l} staff={staff} onChanged={changed} />
          <Section id="routing" title="Routing" loaded={routing}>
            {(d) => <RoutingPanel lead={l} decisions={d.data} names={names} onRouted={changed} />}
          </Section>
          <Section
            id="assignments"
            title="Installer assignments"
            loaded={assignments}
            isEmpty={(d) => d.data.length === 0}
            empty="No installer has been offered this lead."
          >
            {(d) => (
              <ul className="plain">
                {d.data.map((a) => (
                  <li key={a.id}>
                    <strong>{installer(a.installerId)}</strong> <StatusBadge status={a.status} /> · offered{' '}
                    {formatDateTime(a.offeredAt)}
                    {a.status === 'offered' ? ` · expires ${formatDateTime(a.expiresAt)}` : ''}
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <Section
            id="follow-ups"
            title="Follow-ups"
            loaded={followUps}
            isEmpty={(d) => d.data.length === 0}
            empty="Follow-ups start when an install is confirmed."
          >
            {(d) => (
              <ul className="plain">
                {d.data.map((f) => (
                  <li key={f.id}>
                    {humanize(f.kind)} with {installer(f.installerId)} · <StatusBadge status={f.status} /> · due{' '}
                    {formatDateTime(f.dueAt)}
                    {f.satisfactionScore ? ` · satisfaction ${f.satisfactionScore}/5` : ''}
                    {f.nps !== null ? ` · would recommend ${f.nps}/10` : ''}
                    {f.hasIssue ? ` · issue reported${f.issue?.category ? `: ${f.issue.category}` : ''}` : ''}
                    {f.notes ? ` · ${f.notes}` : ''}
                    {f.status !== 'closed' && can('followups:write') ? (
                      <details>
                        <summary>Record the homeowner's answer</summary>
                        <FollowUpAnswer followUp={f} onChanged={changed} />
                      </details>
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <Section id="tasks" title="Tasks" loaded={tasks} isEmpty={(d) => d.data.length === 0} empty="No tasks.">
            {(d) => (
              <ul className="plain">
                {d.data.map((t) => (
                  <li key={t.id}>
                    {t.title} · {humanize(t.status)} · due {formatDateTime(t.dueAt)}
                    {t.overdue ? ' · overdue' : ''} · {nameOf(staff, t.assigneeUserId)}
                    <TaskDone task={t} onDone={changed} />
                  </li>
                ))}
              </ul>
            )}
          </Section>
        </div>
      </div>
    </>
  );
}
