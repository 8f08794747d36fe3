import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ProblemMessage } from '../../components/ProblemMessage';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDateTime, humanize } from '../../lib/format';
import { useAction } from '../../lib/useAction';
import { useSession } from '../../session/session';
import { type Proposal, ProposalDiff } from './ProposalDiff';

type Decision = 'approve' | 'reject' | 'execute';
const DONE: Record<Decision, string> = {
  approve: 'Approved: it is now listed under Approved, ready to execute.',
  reject: 'Rejected.',
  execute: 'Executed: the change is applied.',
};

/** One proposal: what it changes, who proposed it and why, and the decisions open to this user. */
export function ProposalCard({ proposal, onDecided }: { proposal: Proposal; onDecided: (notice: string) => void }) {
  const { can } = useSession();
  const action = useAction();
  const [reason, setReason] = useState('');
  const id = proposal.id;
  const title = `${humanize(proposal.operation)} ${proposal.targetEntityType}`;

  async function decide(decision: Decision) {
    const params = { params: { path: { id } } };
    const body = reason.trim() ? { reason: reason.trim() } : {};
    const done = await action.run(
      () =>
        decision === 'approve'
          ? unwrap(api.POST('/api/workflow/proposals/{id}/approve', { ...params, body }))
          : decision === 'reject'
            ? unwrap(api.POST('/api/workflow/proposals/{id}/reject', { ...params, body }))
            : unwrap(api.POST('/api/workflow/proposals/{id}/execute', { ...params, body: {} })),
      () => DONE[decision],
    );
    if (done) onDecided(`${title}: ${DONE[decision]}`);
  }

  return (
    <article className="card proposal" aria-labelledby={`proposal-${id}`}>
      <h2 id={`proposal-${id}`}>
        {title} <StatusBadge status={proposal.status} />{' '}
        <span className={`badge risk-${proposal.riskLevel}`}>{proposal.riskLevel} risk</span>
      </h2>
      <p className="muted">
        From {proposal.source}
        {proposal.sourceRef ? ` (${proposal.sourceRef})` : ''} · {formatDateTime(proposal.createdAt)} ·{' '}
        <Link to={`/contacts/${proposal.targetEntityRef}`}>open the person</Link>
        {proposal.reason ? ` — ${proposal.reason}` : ''}
      </p>
      <ProposalDiff proposal={proposal} />
      {can('workflow:approve') && (proposal.status === 'review_required' || proposal.status === 'approved') ? (
        <div className="inline decide">
          {proposal.status === 'review_required' ? (
            <>
              <label>
                Reason (optional)
                <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} />
              </label>
              <button type="button" onClick={() => decide('approve')} disabled={action.busy}>
                Approve
              </button>
              <button type="button" className="danger" onClick={() => decide('reject')} disabled={action.busy}>
                Reject
              </button>
            </>
          ) : (
            <button type="button" onClick={() => decide('execute')} disabled={action.busy}>
              Execute
            </button>
          )}
        </div>
      ) : null}
      <ProblemMessage error={action.error} />
    </article>
  );
}
