import type { DragEvent, FormEvent } from 'react';
import type { Card, Pipeline } from './cards';
import { StageHistory } from './StageHistory';

export const CARD_MIME = 'application/x-helio-card';

/**
 * A deal on the board: dragged to another column with a pointer, or moved with the stage picker (the
 * keyboard alternative). The move itself belongs to the board, which is optimistic and rolls back.
 */
export function KanbanCard({
  card,
  pipeline,
  busy,
  onMove,
}: {
  card: Card;
  pipeline: Pipeline;
  busy: boolean;
  onMove: (card: Card, stage: string) => void;
}) {
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    onMove(card, String(new FormData(event.currentTarget).get('stage')));
  }
  function dragStart(event: DragEvent<HTMLElement>) {
    event.dataTransfer.setData(CARD_MIME, card.id);
    event.dataTransfer.setData('text/plain', card.title);
    event.dataTransfer.effectAllowed = 'move';
  }
  return (
    <article
      className={`kanban-card${busy ? ' moving' : ''}`}
      aria-label={card.title}
      aria-busy={busy}
      draggable={!busy}
      onDragStart={dragStart}
      data-card-id={card.id}
    >
      <strong>{card.title}</strong>
      <p className="muted">{card.detail}</p>
      <form className="move" onSubmit={submit}>
        <label>
          <span>
            Move <span className="visually-hidden">{card.title} </span>to
          </span>
          <select name="stage" key={card.stage} defaultValue={card.stage}>
            {pipeline.stages.map((s) => (
              <option key={s.key} value={s.key}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="secondary" disabled={busy}>
          Move
        </button>
      </form>
      <StageHistory pipeline={pipeline} card={card} />
    </article>
  );
}
