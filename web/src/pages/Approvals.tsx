import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { HumanOptions } from '../components/HumanOptions';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { humanize } from '../lib/format';
import { useLoad } from '../lib/useLoad';
import { ProposalCard } from './approvals/ProposalCard';
import type { Proposal } from './approvals/ProposalDiff';

const STATUSES = ['review_required', 'approved', 'draft', 'executed', 'rejected', 'undone'] as const;
type Status = (typeof STATUSES)[number];

/** The approvals inbox: governed changes (writeback proposals, merges) waiting for a decision. */
export function Approvals() {
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? 'review_required') as Status;
  const proposals = useLoad(
    () => unwrap(api.GET('/api/workflow/proposals', { params: { query: { status, limit: 50 } } })),
    [status],
  );
  const rows: Proposal[] = proposals.data?.data ?? [];
  const [notice, setNotice] = useState('');

  return (
    <Page title="Approvals">
      <form className="inline" aria-label="Filter proposals">
        <label>
          Status
          <select value={status} onChange={(e) => setParams({ status: e.target.value })}>
            <HumanOptions values={STATUSES} />
          </select>
        </label>
      </form>
      <p role="status" className="notice">
        {notice}
      </p>
      <ProblemMessage error={proposals.error} />
      {proposals.loading && !proposals.data ? <Loading what="proposals" /> : null}
      {proposals.data && rows.length === 0 ? <p className="empty">No {humanize(status)} proposals.</p> : null}
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
    </Page>
  );
}
