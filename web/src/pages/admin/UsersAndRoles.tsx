import { api, unwrap } from '../../api/client';
import { ActionOutcome } from '../../components/ActionOutcome';
import { ScrollRegion } from '../../components/ScrollRegion';
import { Section } from '../../components/Section';
import { StatusBadge } from '../../components/StatusBadge';
import { clearCache } from '../../lib/cache';
import { humanize } from '../../lib/format';
import { useAction } from '../../lib/useAction';
import { useLoad } from '../../lib/useLoad';
import { useMe } from '../../session/session';
import { AddUser } from './AddUser';
import { RoleEditor } from './RoleEditor';

/** Staff users (added, enabled, disabled) and the roles as a capability grid, custom roles created and changed. */
export function UsersAndRoles() {
  const me = useMe();
  const users = useLoad(() => unwrap(api.GET('/api/admin/users', { params: { query: { limit: 200 } } })), []);
  const roles = useLoad(() => unwrap(api.GET('/api/admin/roles')), []);
  const action = useAction();

  async function setStatus(id: string, name: string, status: 'active' | 'disabled') {
    const done = await action.run(
      () => unwrap(api.PATCH('/api/admin/users/{id}', { params: { path: { id } }, body: { status } })),
      () => `${name} is now ${status}.`,
    );
    if (done) {
      clearCache();
      users.reload();
    }
  }

  return (
    <>
      <Section id="users" title="Users" loaded={users} isEmpty={(d) => d.data.length === 0}>
        {(d) => (
          <ScrollRegion label="Users">
            <table className="users">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Roles</th>
                  <th scope="col">Status</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {d.data.map((u) => (
                  <tr key={u.id}>
                    <td>{u.name}</td>
                    <td>{u.email}</td>
                    <td>{u.roles.map(humanize).join(', ')}</td>
                    <td>
                      <StatusBadge status={u.status} />
                    </td>
                    <td>
                      {u.id === me.user?.id ? (
                        <span className="muted">you</span>
                      ) : (
                        <button
                          type="button"
                          className="secondary"
                          disabled={action.busy}
                          onClick={() => setStatus(u.id, u.name, u.status === 'active' ? 'disabled' : 'active')}
                        >
                          {u.status === 'active' ? `Disable ${u.name}` : `Enable ${u.name}`}
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
      <ActionOutcome action={action} />
      {roles.data ? (
        <AddUser
          roles={roles.data.data}
          onAdded={() => {
            clearCache();
            users.reload();
          }}
        />
      ) : null}
      <Section id="roles" title="Roles and capabilities" loaded={roles} isEmpty={(d) => d.data.length === 0}>
        {(d) => {
          const capabilities = [...new Set(d.data.flatMap((r) => r.capabilities))].sort();
          return (
            <ScrollRegion label="Capability grid">
              <table className="grid">
                <thead>
                  <tr>
                    <th scope="col">Capability</th>
                    {d.data.map((r) => (
                      <th key={r.key} scope="col">
                        {r.name}
                        <br />
                        <span className="muted">scope {r.scope}</span>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {capabilities.map((c) => (
                    <tr key={c}>
                      <th scope="row">
                        <code>{c}</code>
                      </th>
                      {d.data.map((r) =>
                        r.capabilities.includes(c) ? (
                          <td key={r.key} className="yes">
                            ✓<span className="visually-hidden"> granted</span>
                          </td>
                        ) : (
                          <td key={r.key} className="no">
                            <span className="visually-hidden">not granted</span>
                          </td>
                        ),
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          );
        }}
      </Section>
      {roles.data ? (
        <RoleEditor
          roles={roles.data.data}
          capabilities={[...new Set(roles.data.data.flatMap((r) => r.capabilities))].sort()}
          onSaved={() => roles.reload()}
        />
      ) : null}
    </>
  );
}
