import type { FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, type RequestBody, unwrap } from '../api/client';
import { ActionOutcome } from '../components/ActionOutcome';
import { HumanOptions } from '../components/HumanOptions';
import { Page } from '../components/Page';
import { ScrollRegion } from '../components/ScrollRegion';
import { Section } from '../components/Section';
import { TaskDone } from '../components/TaskDone';
import { formatDateTime, humanize } from '../lib/format';
import { formText, localInputValue } from '../lib/forms';
import { nameOf, type StaffUser, useStaff } from '../lib/staff';
import { useAction } from '../lib/useAction';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session/session';

type NewTask = RequestBody<'/api/crm/tasks', 'post'>;

const STATUSES = ['open', 'done', 'cancelled'] as const;
const TYPES: NewTask['type'][] = ['custom', 'follow_up', 'reminder', 'contact_lead'];

/** Tasks across the workspace (or the caller's own), by status, soonest due first; a task added for anyone. */
export function Tasks() {
  const { can } = useSession();
  const staff = useStaff();
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? 'open') as (typeof STATUSES)[number];
  const mine = params.get('mine') === 'true';
  const tasks = useLoad(
    () =>
      unwrap(
        api.GET('/api/crm/tasks', {
          params: { query: { status, limit: 100, ...(mine ? { mine: 'true' as const } : {}) } },
        }),
      ),
    [status, mine],
  );

  return (
    <Page title="Tasks">
      <form className="inline" aria-label="Filter tasks">
        <label>
          Status
          <select
            value={status}
            onChange={(e) => setParams({ status: e.target.value, ...(mine ? { mine: 'true' } : {}) })}
          >
            <HumanOptions values={STATUSES} />
          </select>
        </label>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={mine}
            onChange={(e) => setParams({ status, ...(e.target.checked ? { mine: 'true' } : {}) })}
          />{' '}
          Only mine
        </label>
      </form>
      <Section
        id="task-list"
        title={`${status[0].toUpperCase()}${status.slice(1)} tasks`}
        loaded={tasks}
        isEmpty={(d) => d.data.length === 0}
        empty="No tasks."
      >
        {(d) => (
          <>
            {d.nextCursor ? <p className="muted">The first 100, soonest due first; “Only mine” narrows them.</p> : null}
            <ScrollRegion label="Tasks">
              <table className="tasks">
                <thead>
                  <tr>
                    <th scope="col">Task</th>
                    <th scope="col">Type</th>
                    <th scope="col">Due</th>
                    <th scope="col">Assignee</th>
                    <th scope="col">About</th>
                    <th scope="col">Action</th>
                  </tr>
                </thead>
                <tbody>
                  {d.data.map((t) => (
                    <tr key={t.id}>
                      <td>{t.title}</td>
                      <td>{humanize(t.type)}</td>
                      <td>
                        {formatDateTime(t.dueAt)}
                        {t.overdue ? <strong className="overdue"> · overdue</strong> : null}
                      </td>
                      <td>{nameOf(staff, t.assigneeUserId)}</td>
                      <td>
                        {t.leadId ? <Link to={`/leads/${t.leadId}`}>the lead</Link> : null}
                        {t.personId && !t.leadId ? <Link to={`/contacts/${t.personId}`}>the person</Link> : null}
                      </td>
                      <td>
                        <TaskDone task={t} onDone={tasks.reload} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          </>
        )}
      </Section>
      {can('crm:write') ? <AddTask staff={staff} onAdded={tasks.reload} /> : null}
    </Page>
  );
}

function AddTask({ staff, onAdded }: { staff: StaffUser[]; onAdded: () => void }) {
  const action = useAction();

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const value = (name: string) => formText(form, name);
    const body: NewTask = {
      title: value('title'),
      type: value('type') as NewTask['type'],
      dueAt: new Date(value('dueAt')).toISOString(),
      ...(value('assigneeUserId') ? { assigneeUserId: value('assigneeUserId') } : {}),
      ...(value('notes') ? { notes: value('notes') } : {}),
    };
    const done = await action.run(
      () => unwrap(api.POST('/api/crm/tasks', { body })),
      (t) => `Task “${t.title}” added.`,
    );
    if (done) {
      formElement.reset();
      onAdded();
    }
  }

  return (
    <section className="card" aria-labelledby="add-task-title">
      <h2 id="add-task-title">Add a task</h2>
      <form className="stack" onSubmit={add}>
        <div className="inline">
          <label>
            Title
            <input name="title" required maxLength={300} />
          </label>
          <label>
            Type
            <select name="type" defaultValue="custom">
              <HumanOptions values={TYPES} />
            </select>
          </label>
          <label>
            Due
            <input
              name="dueAt"
              type="datetime-local"
              required
              defaultValue={localInputValue(new Date(Date.now() + 86_400_000))}
            />
          </label>
          <label>
            Assignee
            <select name="assigneeUserId" defaultValue="">
              <option value="">Me</option>
              {staff.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <label>
          Notes
          <textarea name="notes" maxLength={5000} rows={2} />
        </label>
        <div>
          <button type="submit" disabled={action.busy}>
            Add task
          </button>
        </div>
      </form>
      <ActionOutcome action={action} />
    </section>
  );
}
