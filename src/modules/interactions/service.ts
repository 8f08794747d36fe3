import type { Ctx } from '../../platform/context.ts';
import { AppError, dbConstraint, dbErrorCode, notFound, validationFailed } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import { assertPersonVisible, requireVisiblePeople } from '../crm/index.ts';
import { appendEvent } from '../events/index.ts';
import { recordAudit } from '../identity/index.ts';
import type {
  CreateInteractionInput,
  InteractionListQuery,
  InteractionView,
  QdQuery,
  ScoreObservationInput,
} from './contracts.ts';
import * as repo from './repository.ts';

const MAX_FUTURE_MS = 24 * 3600_000;

const iso = (d: Date | string) => new Date(d).toISOString();

export const toView = (i: repo.InteractionRow): InteractionView => ({
  id: i.id,
  personId: i.personId,
  channel: i.channel,
  type: i.type,
  direction: i.direction,
  happenedAt: i.happenedAt.toISOString(),
  summary: i.summary,
  sourceRef: i.sourceRef,
  accountId: i.accountId,
  opportunityId: i.opportunityId,
  projectId: i.projectId,
  leadId: i.leadId,
  createdByUserId: i.createdByUserId,
  createdAt: i.createdAt.toISOString(),
});

/** A referenced record of another tenant (or none) fails its tenant-scoped foreign key: a 400 naming the field. */
const REFERENCE_PATHS: [RegExp, string][] = [
  [/person/, 'personId'],
  [/account/, 'accountId'],
  [/opportunit/, 'opportunityId'],
  [/project/, 'projectId'],
  [/lead/, 'leadId'],
];

function referenceError(err: unknown): AppError | undefined {
  if (dbErrorCode(err) !== '23503') return undefined;
  const constraint = dbConstraint(err) ?? '';
  const path = REFERENCE_PATHS.find(([re]) => re.test(constraint))?.[1] ?? 'body';
  return validationFailed([{ path, message: 'no such record' }]);
}

const interactionNotFound = () => notFound('interaction.not_found', 'The interaction does not exist.');

/** Records one interaction on a person's timeline. No personal data goes to the audit or the event. */
export async function recordInteraction(ctx: Ctx, input: CreateInteractionInput): Promise<InteractionView> {
  const happenedAt = new Date(input.happenedAt);
  if (happenedAt.getTime() > Date.now() + MAX_FUTURE_MS) {
    throw validationFailed([{ path: 'happenedAt', message: 'must not be in the future' }]);
  }
  await requireVisiblePeople(ctx, [{ path: 'personId', id: input.personId }]);
  let row: repo.InteractionRow;
  try {
    row = await repo.insertInteraction(ctx, {
      id: newId(),
      personId: input.personId,
      channel: input.channel,
      type: input.type,
      direction: input.direction,
      happenedAt,
      summary: input.summary ?? null,
      sourceRef: input.sourceRef ?? null,
      accountId: input.accountId ?? null,
      opportunityId: input.opportunityId ?? null,
      projectId: input.projectId ?? null,
      leadId: input.leadId ?? null,
      createdByUserId: ctx.actor.userId,
    });
  } catch (err) {
    throw referenceError(err) ?? err;
  }
  await Promise.all([
    recordAudit(ctx, {
      action: 'interaction.recorded',
      entityType: 'interaction',
      entityId: row.id,
      changedFields: Object.keys(input),
    }),
    appendEvent(ctx, {
      type: 'interaction.recorded',
      entityType: 'interaction',
      entityId: row.id,
      data: { personId: row.personId, channel: row.channel, type: row.type, direction: row.direction },
    }),
  ]);
  return toView(row);
}

/** An interaction is visible when its person is (another tenant's, or out of scope: 404). */
export async function getInteraction(ctx: Ctx, id: string): Promise<InteractionView> {
  const row = await repo.findInteraction(ctx, id);
  if (!row) throw interactionNotFound();
  try {
    await assertPersonVisible(ctx, row.personId);
  } catch (err) {
    if (err instanceof AppError && err.status === 404) throw interactionNotFound();
    throw err;
  }
  return toView(row);
}

export async function listInteractions(ctx: Ctx, q: InteractionListQuery) {
  await assertPersonVisible(ctx, q.personId);
  const list = `interactions:${q.personId}`;
  const key = q.cursor ? decodeCursor(ctx.tenantId, list, q.cursor) : undefined;
  const before = key ? { at: new Date(String(key[0])), id: String(key[1]) } : undefined;
  const found = await repo.listInteractionsOfPerson(ctx, q.personId, { channel: q.channel }, q.limit + 1, before);
  const page = toPage(ctx.tenantId, list, found, q.limit, (r) => [r.happenedAt.toISOString(), r.id]);
  return { data: page.data.map(toView), nextCursor: page.nextCursor };
}

// ---------- summaries for other modules (callers pass people they already read through crm) ----------

export interface PersonSummary {
  lastInteractionAt: string | null;
  scores: Record<string, number>;
}

/** Contact list rows: last interaction time and latest scores per person, one statement for the whole page. */
export async function summaryForPeople(ctx: Ctx, personIds: string[]): Promise<Map<string, PersonSummary>> {
  const found = await repo.summaryForPeople(ctx, personIds);
  return new Map(
    found.map((r) => {
      const scores = typeof r.scores === 'string' ? JSON.parse(r.scores) : (r.scores ?? {});
      return [
        r.person_id,
        {
          lastInteractionAt: r.last_at ? iso(r.last_at) : null,
          scores: Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, Number(v)])),
        },
      ];
    }),
  );
}

/** Client 360: the latest interactions and how many there are in all. */
export async function recentTimeline(ctx: Ctx, personId: string, limit = 20) {
  const [items, total] = await Promise.all([
    repo.listInteractionsOfPerson(ctx, personId, {}, limit),
    repo.countInteractionsOfPerson(ctx, personId),
  ]);
  return { items: items.map(toView), total };
}

const scoreView = (s: repo.ScoreRow) => ({
  scoreType: s.scoreType,
  value: Number(s.currentValue),
  computedAt: s.computedAt.toISOString(),
  evidenceRefs: s.evidenceRefs ?? [],
});

export async function currentScores(ctx: Ctx, personId: string) {
  return (await repo.scoresOfPerson(ctx, personId)).map(scoreView);
}

// ---------- scores ("QD", seed 003) ----------

export async function getQd(ctx: Ctx, personId: string, q: QdQuery) {
  await assertPersonVisible(ctx, personId);
  const [current, points] = await Promise.all([
    repo.scoresOfPerson(ctx, personId, q.scoreType),
    repo.seriesOfPerson(ctx, personId, { scoreType: q.scoreType, since: q.since }, q.limit),
  ]);
  const series = current.map((s) => ({
    scoreType: s.scoreType,
    points: points
      .filter((p) => p.score_type === s.scoreType)
      .map((p) => ({
        at: iso(p.at),
        value: Number(p.value),
        signalSource: p.signal_source,
        evidenceRef: p.evidence_ref,
      })),
  }));
  return { personId, scores: current.map(scoreView), series };
}

/** Appends an observation to the time series and moves the current score when it is the latest. */
export async function recordScore(ctx: Ctx, personId: string, input: ScoreObservationInput) {
  await assertPersonVisible(ctx, personId);
  const at = input.observedAt ? new Date(input.observedAt) : new Date();
  if (at.getTime() > Date.now() + MAX_FUTURE_MS) {
    throw validationFailed([{ path: 'observedAt', message: 'must not be in the future' }]);
  }
  await Promise.all([
    repo.insertObservation(ctx, {
      id: newId(),
      personId,
      scoreType: input.scoreType,
      at,
      value: input.value,
      signalSource: input.signalSource ?? null,
      evidenceRef: input.evidenceRef ?? null,
    }),
    repo.upsertScore(ctx, {
      personId,
      scoreType: input.scoreType,
      currentValue: input.value,
      computedAt: at,
      evidenceRefs: input.evidenceRef ? [input.evidenceRef] : [],
    }),
    recordAudit(ctx, {
      action: 'score.observed',
      entityType: 'person',
      entityId: personId,
      changedFields: [`scores.${input.scoreType}`],
    }),
    appendEvent(ctx, {
      type: 'score.observed',
      entityType: 'person',
      entityId: personId,
      data: { scoreType: input.scoreType },
    }),
  ]);
  const [current] = await repo.scoresOfPerson(ctx, personId, input.scoreType);
  return {
    personId,
    scoreType: input.scoreType,
    at: at.toISOString(),
    value: input.value,
    signalSource: input.signalSource ?? null,
    evidenceRef: input.evidenceRef ?? null,
    current: scoreView(current),
  };
}

/** Erase (lead-erasure workflow): the free-text parts of the person's timeline. */
export async function eraseInteractionsOfPerson(ctx: Ctx, personId: string) {
  await repo.clearSummariesOfPerson(ctx, personId);
  await recordAudit(ctx, {
    action: 'interactions.erased',
    entityType: 'person',
    entityId: personId,
    changedFields: ['summary', 'sourceRef'],
  });
}

/** Person merge: the timeline and latest scores move to the survivor (audited); returns what moved, for undo. */
export async function reassignPersonReferences(ctx: Ctx, fromPersonId: string, toPersonId: string) {
  const moved = await repo.movePersonRecords(ctx, fromPersonId, toPersonId);
  if (moved.interactions.length || moved.scoreTypes.length) {
    await recordAudit(ctx, {
      action: 'person.interactions_reassigned',
      entityType: 'person',
      entityId: fromPersonId,
      changedFields: ['personId'],
    });
  }
  return moved;
}

/** Undo of reassignPersonReferences: exactly the moved rows go back to the merged person. */
export async function restorePersonReferences(
  ctx: Ctx,
  fromPersonId: string,
  toPersonId: string,
  moved: { interactions: string[]; scoreTypes: string[] },
) {
  await repo.moveRecordsBack(ctx, moved, toPersonId, fromPersonId);
  if (moved.interactions.length || moved.scoreTypes.length) {
    await recordAudit(ctx, {
      action: 'person.interactions_restored',
      entityType: 'person',
      entityId: fromPersonId,
      changedFields: ['personId'],
    });
  }
}
