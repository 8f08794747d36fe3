import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ScrollRegion } from '../../components/ScrollRegion';
import { Section } from '../../components/Section';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDateTime } from '../../lib/format';
import { useLoad } from '../../lib/useLoad';

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`);

/** The automated runs (agent, model, input, output, status, timing), newest first, each with its proposals. */
export function AgentRuns() {
  const runs = useLoad(() => unwrap(api.GET('/api/workflow/agent-runs', { params: { query: { limit: 50 } } })), []);
  return (
    <Section
      id="agent-runs"
      title="Agent runs"
      loaded={runs}
      isEmpty={(d) => d.data.length === 0}
      empty="No automated run has been recorded."
    >
      {(d) => (
        <ScrollRegion label="Agent runs">
          <table className="agent-runs">
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Model</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Took</th>
                <th scope="col">Input</th>
                <th scope="col">Output</th>
                <th scope="col">Proposals</th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((r) => (
                <tr key={r.id}>
                  <td>{r.agentName}</td>
                  <td>{r.model}</td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td>{formatDateTime(r.startedAt)}</td>
                  <td>{seconds(r.durationMs)}</td>
                  <td>{r.inputRef ?? '—'}</td>
                  <td>
                    {r.output ? (
                      <details>
                        <summary>Output</summary>
                        <pre>{JSON.stringify(r.output, null, 2)}</pre>
                      </details>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>
                    <Link
                      to={`/approvals?agentRunId=${r.id}`}
                      aria-label={`Proposals of ${r.agentName}, ${formatDateTime(r.startedAt)}`}
                    >
                      Proposals
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </Section>
  );
}
