import { type FormEvent, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { ProblemMessage } from '../../components/ProblemMessage';
import type { StaffUser } from '../../lib/staff';

/** Assigns every selected lead to one staff user (POST /api/leads/{id}/assign per lead). */
export function BulkAssign({
  selected,
  staff,
  onDone,
}: {
  selected: string[];
  staff: StaffUser[];
  onDone: (message: string) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const userId = String(new FormData(event.currentTarget).get('userId'));
    const user = staff.find((u) => u.id === userId);
    setBusy(true);
    setError(null);
    const results = await Promise.allSettled(
      selected.map((id) => unwrap(api.POST('/api/leads/{id}/assign', { params: { path: { id } }, body: { userId } }))),
    );
    setBusy(false);
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length) setError((failed[0] as PromiseRejectedResult).reason);
    onDone(
      `Assigned ${results.length - failed.length} of ${results.length} leads to ${user?.name ?? 'the user'}` +
        (failed.length ? `; ${failed.length} failed.` : '.'),
    );
  }

  return (
    <form className="inline bulk" onSubmit={submit} aria-label="Bulk assign">
      <label>
        Assign selected to
        <select name="userId" required defaultValue="">
          <option value="" disabled>
            Choose a user
          </option>
          {staff.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={busy || selected.length === 0}>
        {busy ? 'Assigning…' : `Assign ${selected.length} selected`}
      </button>
      <ProblemMessage error={error} />
    </form>
  );
}
