import type { FormEvent } from 'react';
import { HumanOptions } from '../../components/HumanOptions';
import { LEAD_SOURCES, LEAD_STATUSES } from '../../lib/leads';
import type { StaffUser } from '../../lib/staff';

/** The inbox filters; applying them replaces the URL query (so a filtered inbox can be shared or saved). */
export function LeadFilters({
  params,
  staff,
  onApply,
}: {
  params: URLSearchParams;
  staff: StaffUser[];
  onApply: (next: URLSearchParams) => void;
}) {
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(event.currentTarget)) {
      if (typeof value === 'string' && value.trim()) next.set(name, value.trim());
    }
    onApply(next);
  }

  // Keyed by the query so the form shows the URL's filters after back/forward or a saved view.
  return (
    <form key={params.toString()} className="filters" onSubmit={submit} aria-label="Filter leads">
      <label>
        Search
        <input
          type="search"
          name="q"
          defaultValue={params.get('q') ?? ''}
          placeholder="Name, email, phone, reference"
        />
      </label>
      <label>
        Status
        <select name="status" defaultValue={params.get('status') ?? ''}>
          <HumanOptions values={LEAD_STATUSES} any />
        </select>
      </label>
      <label>
        Source
        <select name="source" defaultValue={params.get('source') ?? ''}>
          <HumanOptions values={LEAD_SOURCES} any />
        </select>
      </label>
      <label>
        Assignee
        <select name="assignee" defaultValue={params.get('assignee') ?? ''}>
          <option value="">Anyone</option>
          {staff.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Created from
        <input type="date" name="from" defaultValue={params.get('from') ?? ''} />
      </label>
      <label>
        Created to
        <input type="date" name="to" defaultValue={params.get('to') ?? ''} />
      </label>
      <div className="filter-actions">
        <button type="submit">Apply filters</button>
        <button type="button" className="secondary" onClick={() => onApply(new URLSearchParams())}>
          Clear
        </button>
      </div>
    </form>
  );
}
