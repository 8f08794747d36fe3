import { type DragEvent, useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { ScrollRegion } from '../components/ScrollRegion';
import { useLoad } from '../lib/useLoad';
import { type Card, loadCards, moveCard, type Pipeline } from './pipelines/cards';
import { CARD_MIME, KanbanCard } from './pipelines/KanbanCard';

/**
 * Pipelines as kanban boards: a column per stage, a card per deal. A card is dragged to another column or
 * moved with its stage picker (keyboard friendly); each card opens its stage history.
 */
export function Pipelines() {
  const [params, setParams] = useSearchParams();
  const pipelines = useLoad(() => unwrap(api.GET('/api/crm/pipelines')), [], 'pipelines');
  const list = pipelines.data?.data ?? [];
  const current = list.find((p) => p.id === params.get('pipeline')) ?? list[0];

  return (
    <Page title="Pipelines">
      <ProblemMessage error={pipelines.error} />
      {pipelines.loading && !pipelines.data ? <Loading what="pipelines" /> : null}
      {list.length > 0 ? (
        <form className="inline" aria-label="Choose a pipeline">
          <label>
            Pipeline
            <select value={current?.id} onChange={(e) => setParams({ pipeline: e.target.value })}>
              {list.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.kind})
                </option>
              ))}
            </select>
          </label>
        </form>
      ) : null}
      {current ? <Board key={current.id} pipeline={current} /> : null}
    </Page>
  );
}

function Board({ pipeline }: { pipeline: Pipeline }) {
  const loaded = useLoad(() => loadCards(pipeline), [pipeline.id]);
  // The board as shown: the loaded cards with the moves made here applied at once (optimistic).
  const [cards, setCards] = useState<Card[] | null>(null);
  const [moving, setMoving] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  useEffect(() => {
    if (loaded.data) setCards(loaded.data);
  }, [loaded.data]);
  const stages = [...pipeline.stages].sort((a, b) => a.order - b.order);
  const stageName = (key: string) => pipeline.stages.find((s) => s.key === key)?.name ?? key;

  const patch = (id: string, change: Partial<Card>) =>
    setCards((all) => all?.map((c) => (c.id === id ? { ...c, ...change } : c)) ?? all);
  const busy = (id: string, on: boolean) =>
    setMoving((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  async function move(card: Card, stage: string) {
    if (stage === card.stage || moving.has(card.id)) return;
    const from = card.stage;
    setError(null);
    busy(card.id, true);
    patch(card.id, { stage });
    setNotice(`Moving ${card.title} to ${stageName(stage)}…`);
    try {
      const updated = await moveCard(pipeline, card, stage);
      patch(card.id, { stage, version: updated.version });
      setNotice(`${card.title} moved from ${stageName(from)} to ${stageName(stage)}.`);
    } catch (err) {
      // Refused (a version conflict, a stage the deal cannot enter): the card goes back where it was.
      patch(card.id, { stage: from });
      setError(err);
      setNotice(`${card.title} could not be moved to ${stageName(stage)}; it is back in ${stageName(from)}.`);
    } finally {
      busy(card.id, false);
    }
  }

  const carriesCard = (e: DragEvent) => e.dataTransfer.types.includes(CARD_MIME);
  function drop(e: DragEvent, stage: string) {
    setDropTarget(null);
    if (!carriesCard(e)) return;
    e.preventDefault();
    const card = cards?.find((c) => c.id === e.dataTransfer.getData(CARD_MIME));
    if (card) void move(card, stage);
  }

  return (
    <>
      <p role="status" aria-live="polite" className="notice">
        {notice}
      </p>
      <ProblemMessage error={error} />
      <ProblemMessage error={loaded.error} />
      {loaded.loading && !cards ? <Loading what="the board" /> : null}
      {cards ? (
        <ScrollRegion label={`${pipeline.name} board`}>
          <div className="board">
            {stages.map((stage) => {
              const inStage = cards.filter((c) => c.stage === stage.key);
              return (
                <section
                  key={stage.key}
                  className={`column${dropTarget === stage.key ? ' drop-target' : ''}`}
                  aria-labelledby={`stage-${stage.key}`}
                  data-stage={stage.key}
                  onDragOver={(e) => {
                    if (!carriesCard(e)) return;
                    e.preventDefault();
                    e.dataTransfer.dropEffect = 'move';
                    setDropTarget(stage.key);
                  }}
                  onDragLeave={(e) => {
                    if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDropTarget(null);
                  }}
                  onDrop={(e) => drop(e, stage.key)}
                >
                  <h2 id={`stage-${stage.key}`}>
                    {stage.name} <span className="muted">({inStage.length})</span>
                  </h2>
                  {inStage.length === 0 ? <p className="empty">Empty</p> : null}
                  <ul className="plain">
                    {inStage.map((card) => (
                      <li key={card.id}>
                        <KanbanCard card={card} pipeline={pipeline} busy={moving.has(card.id)} onMove={move} />
                      </li>
                    ))}
                  </ul>
                </section>
              );
            })}
          </div>
        </ScrollRegion>
      ) : null}
    </>
  );
}
