import { type FormEvent, useState } from 'react';
import { api, type Body, type RequestBody, unwrap } from '../../api/client';
import { ActionOutcome } from '../../components/ActionOutcome';
import { HumanOptions } from '../../components/HumanOptions';
import { useAction } from '../../lib/useAction';

type Role = Body<'/api/admin/roles', 'get'>['data'][number];
type Scope = Role['scope'];

const SCOPES: Scope[] = ['all', 'team', 'own', 'installer'];
const NEW = '';

/**
 * A custom role created or changed: its name, the records it reaches (scope) and its capabilities.
 * Built-in roles stay as they are (the API refuses a change with 409); a new role can start from any.
 */
export function RoleEditor({
  roles,
  capabilities,
  onSaved,
}: {
  roles: Role[];
  capabilities: string[];
  onSaved: () => void;
}) {
  const action = useAction();
  const custom = roles.filter((r) => !r.builtIn);
  const [editing, setEditing] = useState(NEW);
  const [template, setTemplate] = useState<Role | undefined>(undefined);
  const current = roles.find((r) => r.key === editing) ?? template;

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const key = editing || String(form.get('key') ?? '').trim();
    const body = {
      name: String(form.get('name') ?? '').trim(),
      scope: String(form.get('scope')) as Scope,
      capabilities: form.getAll('capabilities').map(String) as RequestBody<
        '/api/admin/roles/{key}',
        'put'
      >['capabilities'],
    };
    const done = await action.run(
      () => unwrap(api.PUT('/api/admin/roles/{key}', { params: { path: { key } }, body })),
      (r) => `Role ${r.name} saved.`,
    );
    if (done) {
      setEditing(done.key);
      setTemplate(undefined);
      onSaved();
    }
  }

  return (
    <section className="card" aria-labelledby="role-editor-title">
      <h2 id="role-editor-title">Custom roles</h2>
      <div className="inline">
        <label>
          Role to change
          <select value={editing} onChange={(e) => setEditing(e.target.value)}>
            <option value={NEW}>A new role</option>
            {custom.map((r) => (
              <option key={r.key} value={r.key}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        {editing === NEW ? (
          <label>
            Start from
            <select
              value={template?.key ?? ''}
              onChange={(e) => setTemplate(roles.find((r) => r.key === e.target.value))}
            >
              <option value="">Nothing</option>
              {roles.map((r) => (
                <option key={r.key} value={r.key}>
                  {r.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </div>
      {/* Keyed by what it shows, so the fields take the chosen role's values. */}
      <form key={`${editing}:${template?.key ?? ''}:${current?.version ?? 0}`} className="stack" onSubmit={save}>
        <div className="inline">
          {editing === NEW ? (
            <label>
              Key (lower-case letters, digits and -)
              <input name="key" required pattern="[a-z][a-z0-9\-]{0,49}" maxLength={50} />
            </label>
          ) : null}
          <label>
            Role name
            <input name="name" required maxLength={100} defaultValue={editing === NEW ? '' : current?.name} />
          </label>
          <label>
            Scope
            <select name="scope" defaultValue={current?.scope ?? 'own'}>
              <HumanOptions values={SCOPES} />
            </select>
          </label>
        </div>
        <fieldset className="capabilities">
          <legend>Capabilities</legend>
          {capabilities.map((c) => (
            <label key={c} className="checkbox">
              <input
                type="checkbox"
                name="capabilities"
                value={c}
                defaultChecked={current?.capabilities.includes(c) ?? false}
              />{' '}
              <code>{c}</code>
            </label>
          ))}
        </fieldset>
        <div>
          <button type="submit" disabled={action.busy}>
            Save role
          </button>
        </div>
      </form>
      <ActionOutcome action={action} />
    </section>
  );
}
