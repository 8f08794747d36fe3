import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { loadViews, type SavedView, storeViews } from '../../lib/savedViews';
import { useMe } from '../../session/session';

/** Named filter sets of the inbox, saved per user in this browser. */
export function SavedViews({ query }: { query: string }) {
  const me = useMe();
  const userId = me.user?.id ?? me.credential.id;
  const [views, setViews] = useState<SavedView[]>(() => loadViews(me.tenant.id, userId));

  function update(next: SavedView[]) {
    storeViews(me.tenant.id, userId, next);
    setViews(next);
  }

  function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const name = String(new FormData(form).get('viewName')).trim();
    if (!name) return;
    update([...views.filter((v) => v.name !== name), { name, query }]);
    form.reset();
  }

  return (
    <section className="saved-views" aria-labelledby="saved-views-title">
      <h2 id="saved-views-title">Saved views</h2>
      {views.length === 0 ? <p className="muted">No saved views yet.</p> : null}
      <ul className="chips">
        {views.map((v) => (
          <li key={v.name}>
            <Link to={{ pathname: '/leads', search: v.query }}>{v.name}</Link>
            <button
              type="button"
              className="link-button"
              aria-label={`Delete view ${v.name}`}
              onClick={() => update(views.filter((x) => x.name !== v.name))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <form className="inline" onSubmit={save}>
        <label>
          View name
          <input name="viewName" required maxLength={60} />
        </label>
        <button type="submit" className="secondary">
          Save current filters
        </button>
      </form>
    </section>
  );
}
