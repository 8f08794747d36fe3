import { api, type Body, unwrap } from '../../api/client';
import { Loading } from '../../components/Loading';
import { ProblemMessage } from '../../components/ProblemMessage';
import { ScrollRegion } from '../../components/ScrollRegion';
import { humanize } from '../../lib/format';
import { useLoad } from '../../lib/useLoad';

export type Proposal = Body<'/api/workflow/proposals', 'get'>['data'][number];
type Person = Body<'/api/crm/contacts/{id}', 'get'>;

const MERGE_FIELDS = ['fullName', 'email', 'phone', 'postcode', 'locale', 'address', 'personaLabels'];

const show = (value: unknown) =>
  value === null || value === undefined || value === ''
    ? '—'
    : typeof value === 'object'
      ? Array.isArray(value)
        ? value.join(', ')
        : Object.values(value as Record<string, unknown>)
            .filter(Boolean)
            .join(', ')
      : String(value);

const person = (id: string) => unwrap(api.GET('/api/crm/contacts/{id}', { params: { path: { id } } }));

/**
 * The field-level change a proposal makes: for an update, each patched field's current and proposed
 * value; for a merge, each field of both people and whose value survives.
 */
export function ProposalDiff({ proposal }: { proposal: Proposal }) {
  const merge = proposal.operation === 'merge';
  const intoId = merge ? String(proposal.patch.intoPersonId) : null;
  const people = useLoad(
    () => Promise.all([person(proposal.targetEntityRef), intoId ? person(intoId) : Promise.resolve(null)]),
    [proposal.id, proposal.version],
  );
  if (!people.data) return people.error ? <ProblemMessage error={people.error} /> : <Loading what="the change" />;
  const [target, into] = people.data;

  if (merge && into) {
    const keep = (proposal.patch.fields ?? {}) as Record<string, 'source' | 'target'>;
    const fields = [...new Set([...MERGE_FIELDS, ...Object.keys(keep)])];
    return (
      <ScrollRegion label={`Merge of ${target.fullName ?? 'a person'} into ${into.fullName ?? 'a person'}`}>
        <table className="diff">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Merged away: {target.fullName ?? '—'}</th>
              <th scope="col">Survivor: {into.fullName ?? '—'}</th>
              <th scope="col">Kept</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => (
              <tr key={f}>
                <th scope="row">{humanize(f)}</th>
                <td>{show(target[f as keyof Person])}</td>
                <td>{show(into[f as keyof Person])}</td>
                <td>{keep[f] === 'source' ? 'merged away' : 'survivor'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    );
  }

  const stale = target.version !== proposal.baseVersion;
  return (
    <>
      {stale && proposal.status !== 'executed' ? (
        <p className="problem">
          The person changed since this proposal was written (version {proposal.baseVersion}, now {target.version}):
          executing it will be refused.
        </p>
      ) : null}
      <ScrollRegion label={`Changes to ${target.fullName ?? 'a person'}`}>
        <table className="diff">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Now</th>
              <th scope="col">Proposed</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(proposal.patch).map(([field, value]) => (
              <tr key={field}>
                <th scope="row">{humanize(field)}</th>
                <td>
                  <del>{show(target[field as keyof Person])}</del>
                </td>
                <td>
                  <ins>{show(value)}</ins>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollRegion>
    </>
  );
}
