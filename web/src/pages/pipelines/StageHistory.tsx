import { useState } from 'react';
import { ProblemMessage } from '../../components/ProblemMessage';
import { formatDateTime } from '../../lib/format';
import { useLoad } from '../../lib/useLoad';
import { type Card, loadStageHistory, type Pipeline } from './cards';

/** The card's stage changes, oldest first, loaded when opened (and again after every move of the card). */
export function StageHistory({ pipeline, card }: { pipeline: Pipeline; card: Card }) {
  const [open, setOpen] = useState(false);
  const history = useLoad(
    async () => (open ? loadStageHistory(pipeline, card.id) : null),
    [open, pipeline.id, card.id, card.version],
  );
  const stageName = (key: string | null) =>
    key === null ? null : (pipeline.stages.find((s) => s.key === key)?.name ?? key);
  return (
    <details className="stage-history" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        Stage history<span className="visually-hidden"> of {card.title}</span>
      </summary>
      <ProblemMessage error={history.error} />
      {open && history.loading && !history.data ? <p className="muted">Loading…</p> : null}
      {history.data?.length === 0 ? <p className="muted">No stage changes yet.</p> : null}
      {history.data?.length ? (
        <ol>
          {history.data.map((h) => (
            <li key={`${h.changedAt}:${h.toStage}`}>
              {h.fromStage === null
                ? `created in ${stageName(h.toStage)}`
                : `${stageName(h.fromStage)} → ${stageName(h.toStage)}`}{' '}
              <span className="muted">{formatDateTime(h.changedAt)}</span>
              {h.note ? <span className="muted"> · {h.note}</span> : null}
            </li>
          ))}
        </ol>
      ) : null}
    </details>
  );
}
