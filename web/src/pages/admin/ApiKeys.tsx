import { type FormEvent, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { ProblemMessage } from '../../components/ProblemMessage';
import { ScrollRegion } from '../../components/ScrollRegion';
import { Section } from '../../components/Section';
import { formatDateTime, humanize } from '../../lib/format';
import { useAction } from '../../lib/useAction';
import { useLoad } from '../../lib/useLoad';

/** API keys: create (the secret is shown once) and revoke. */
export function ApiKeys() {
  const keys = useLoad(() => unwrap(api.GET('/api/admin/api-keys', { params: { query: { limit: 200 } } })), []);
  const roles = useLoad(() => unwrap(api.GET('/api/admin/roles')), []);
  const action = useAction();
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const name = String(form.get('name')).trim();
    const role = String(form.get('role'));
    const created = await action.run(
      () => unwrap(api.POST('/api/admin/api-keys', { body: { name, roles: [role] } })),
      () => `Key ${name} created.`,
    );
    if (created) {
      setSecret({ name, secret: created.secret });
      formElement.reset();
      keys.reload();
    }
  }

  async function revoke(id: string, name: string) {
    const done = await action.run(
      () => unwrap(api.DELETE('/api/admin/api-keys/{id}', { params: { path: { id } } })).then(() => true),
      () => `Key ${name} revoked.`,
    );
    if (done) keys.reload();
  }

  return (
    <>
      <section className="card" aria-labelledby="new-key-title">
        <h2 id="new-key-title">New API key</h2>
        <form className="inline" onSubmit={create}>
          <label>
            Key name
            <input name="name" required maxLength={200} />
          </label>
          <label>
            Role
            <select name="role" required>
              {(roles.data?.data ?? []).map((r) => (
                <option key={r.key} value={r.key}>
                  {r.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={action.busy}>
            Create key
          </button>
        </form>
        {secret ? (
          <div className="secret" role="status">
            <p>
              The secret of <strong>{secret.name}</strong>, shown this once — store it now:
            </p>
            <code>{secret.secret}</code>
          </div>
        ) : null}
        <ProblemMessage error={action.error} />
      </section>
      <Section id="keys" title="API keys" loaded={keys} isEmpty={(d) => d.data.length === 0}>
        {(d) => (
          <ScrollRegion label="API keys">
            <table className="keys">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Roles</th>
                  <th scope="col">Created</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {d.data.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td>
                      <code>{k.prefix}</code>
                    </td>
                    <td>{k.roles.map(humanize).join(', ')}</td>
                    <td>{formatDateTime(k.createdAt)}</td>
                    <td>
                      {k.revokedAt ? (
                        `revoked ${formatDateTime(k.revokedAt)}`
                      ) : (
                        <button
                          type="button"
                          className="danger"
                          disabled={action.busy}
                          onClick={() => revoke(k.id, k.name)}
                        >
                          Revoke {k.name}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        )}
      </Section>
      <p role="status" className="notice">
        {action.notice}
      </p>
    </>
  );
}
