import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { HumanOptions } from '../components/HumanOptions';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { humanize } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { useSession } from '../session/session';
import { AgentRuns } from './approvals/AgentRuns';
import { ProposalCard } from './approvals/ProposalCard';
import type { Proposal } from './approvals/ProposalDiff';

const STATUSES = ['review_required', 'approved', 'draft', 'executed', 'rejected', 'undone'] as const;
type Status = (typeof STATUSES)[number];

/** The approvals inbox: governed changes (writeback proposals, merges) waiting for a decision; the agent runs. */
export function Approvals() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? 'review_required') as Status;
  // One agent run's proposals, whatever their status.
  const agentRunId = params.get('agentRunId') ?? undefined;
  const proposals = useLoad(
    () =>
      unwrap(
        api.GET('/api/workflow/proposals', {
          params: { query: agentRunId ? { agentRunId, limit: 50 } : { status, limit: 50 } },
        }),
      ),
    [status, agentRunId],
  );
  const rows: Proposal[] = proposals.data?.data ?? [];
  const [notice, setNotice] = useState('');

  return (
    <Page title="Approvals">
      {agentRunId ? (
        <p>
          The proposals of one agent run, in every status. <Link to="/approvals">All proposals</Link>
        </p>
      ) : (
        <form className="inline" aria-label="Filter proposals">
          <label>
            Status
            <select value={status} onChange={(e) => setParams({ status: e.target.value })}>
              <HumanOptions values={STATUSES} />
            </select>
          </label>
        </form>
      )}
      <p role="status" className="notice">
        {notice}
      </p>
      <ProblemMessage error={proposals.error} />
      {proposals.loading && !proposals.data ? <Loading what="proposals" /> : null}
      {proposals.data && rows.length === 0 ? (
        <p className="empty">{agentRunId ? 'This run proposed nothing.' : `No ${humanize(status)} proposals.`}</p>
      ) : null}
      {rows.map((p) => (
        <ProposalCard
          key={`${p.id}:${p.version}`}
          proposal={p}
          onDecided={(message) => {
            setNotice(message);
            proposals.reload();
          }}
        />
      ))}
      {can('workflow:propose') && !agentRunId ? <AgentRuns /> : null}
    </Page>
  );
}
