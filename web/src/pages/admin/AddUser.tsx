import { type FormEvent, useState } from 'react';
import { api, type Body, type RequestBody, unwrap } from '../../api/client';
import { ActionOutcome } from '../../components/ActionOutcome';
import { formText } from '../../lib/forms';
import { useInstallerNames } from '../../lib/installers';
import { useAction } from '../../lib/useAction';

type Role = Body<'/api/admin/roles', 'get'>['data'][number];

/**
 * A new staff user with their roles. A partner user (a role scoped to one installer) names the installer
 * whose offers they see. Without a password the user cannot sign in until an administrator sets one.
 */
export function AddUser({ roles, onAdded }: { roles: Role[]; onAdded: () => void }) {
  const action = useAction();
  const installers = useInstallerNames();
  const [chosen, setChosen] = useState<string[]>([]);
  const needsInstaller = roles.some((r) => chosen.includes(r.key) && r.scope === 'installer');

  async function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const value = (name: string) => formText(form, name);
    const body: RequestBody<'/api/admin/users', 'post'> = {
      name: value('name'),
      email: value('email'),
      roles: form.getAll('roles').map(String),
      ...(value('password') ? { password: String(form.get('password')) } : {}),
      ...(needsInstaller && value('installerId') ? { installerId: value('installerId') } : {}),
    };
    const done = await action.run(
      () => unwrap(api.POST('/api/admin/users', { body })),
      (u) => `${u.name} was added.`,
    );
    if (done) {
      formElement.reset();
      setChosen([]);
      onAdded();
    }
  }

  return (
    <section className="card" aria-labelledby="add-user-title">
      <h2 id="add-user-title">Add a user</h2>
      <form className="stack" onSubmit={add}>
        <div className="inline">
          <label>
            Name
            <input name="name" required maxLength={200} autoComplete="off" />
          </label>
          <label>
            Email
            <input name="email" type="email" required maxLength={254} autoComplete="off" />
          </label>
          <label>
            Password (12 characters or more)
            <input name="password" type="password" minLength={12} maxLength={1024} autoComplete="new-password" />
          </label>
        </div>
        <fieldset>
          <legend>Roles</legend>
          {roles.map((r) => (
            <label key={r.key} className="checkbox">
              <input
                type="checkbox"
                name="roles"
                value={r.key}
                checked={chosen.includes(r.key)}
                onChange={(e) => setChosen((c) => (e.target.checked ? [...c, r.key] : c.filter((k) => k !== r.key)))}
              />{' '}
              {r.name}
            </label>
          ))}
        </fieldset>
        {needsInstaller ? (
          <label>
            Installer (the partner sees this installer's offers)
            <select name="installerId" required>
              <option value="">Choose an installer</option>
              {[...installers.entries()].map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <p className="muted">Without a password the user cannot sign in until one is set.</p>
        <div>
          <button type="submit" disabled={action.busy || chosen.length === 0}>
            Add user
          </button>
        </div>
      </form>
      <ActionOutcome action={action} />
    </section>
  );
}
