import { api, unwrap } from '../api/client';
import { useAction } from '../lib/useAction';
import { useSession } from '../session/session';
import { ProblemMessage } from './ProblemMessage';

type Task = { id: string; title: string; status: string };

/** "Mark done" for an open task (crm:write); a task another person closed meanwhile shows the API's 409. */
export function TaskDone({ task, onDone }: { task: Task; onDone: () => void }) {
  const { can } = useSession();
  const action = useAction();
  if (task.status !== 'open' || !can('crm:write')) return null;
  async function complete() {
    const done = await action.run(
      () => unwrap(api.POST('/api/crm/tasks/{id}/complete', { params: { path: { id: task.id } }, body: {} })),
      () => 'Done.',
    );
    if (done) onDone();
  }
  return (
    <>
      {' '}
      <button
        type="button"
        className="secondary small"
        disabled={action.busy}
        aria-label={`Mark done: ${task.title}`}
        onClick={complete}
      >
        Mark done
      </button>
      <ProblemMessage error={action.error} />
    </>
  );
}
