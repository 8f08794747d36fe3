import { and, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db.ts';
import { interactions, scores, scoreTimeseries } from './schema.ts';

export type InteractionRow = typeof interactions.$inferSelect;
export type ScoreRow = typeof scores.$inferSelect;

const uuidArray = (ids: string[]) => `{${ids.join(',')}}`;

export async function insertInteraction(
  ctx: Ctx,
  row: Omit<typeof interactions.$inferInsert, 'tenantId'>,
): Promise<InteractionRow> {
  return (
    await ctx.tx
      .insert(interactions)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function findInteraction(ctx: Ctx, id: string): Promise<InteractionRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(interactions)
      .where(and(eq(interactions.tenantId, tenantId), eq(interactions.id, id)))
      .limit(1)
  )[0];
}

/** A person's timeline, newest first, keyset on (happened_at, id): served by interactions_person_time_idx. */
export async function listInteractionsOfPerson(
  ctx: Ctx,
  personId: string,
  f: { channel?: InteractionRow['channel'] },
  limit: number,
  before?: { at: Date; id: string },
) {
  const tenantId = requireTenant(ctx);
  const after: SQL | undefined = before
    ? sql`(${interactions.happenedAt}, ${interactions.id}) < (${before.at.toISOString()}::timestamptz, ${before.id}::uuid)`
    : undefined;
  return ctx.tx
    .select()
    .from(interactions)
    .where(
      and(
        eq(interactions.tenantId, tenantId),
        eq(interactions.personId, personId),
        f.channel ? eq(interactions.channel, f.channel) : undefined,
        after,
      ),
    )
    .orderBy(desc(interactions.happenedAt), desc(interactions.id))
    .limit(limit);
}

export async function countInteractionsOfPerson(ctx: Ctx, personId: string) {
  const tenantId = requireTenant(ctx);
  const r = await ctx.tx
    .select({ n: sql<number>`count(*)::int` })
    .from(interactions)
    .where(and(eq(interactions.tenantId, tenantId), eq(interactions.personId, personId)));
  return Number(r[0]?.n ?? 0);
}

export interface PersonSummaryRow {
  person_id: string;
  last_at: Date | string | null;
  scores: Record<string, number> | string | null;
}

/** Last interaction time and latest scores for a set of people, in one statement (index lookups per person). */
export async function summaryForPeople(ctx: Ctx, personIds: string[]) {
  const tenantId = requireTenant(ctx);
  if (!personIds.length) return [];
  return rows<PersonSummaryRow>(
    ctx.tx,
    sql`select p.id as person_id,
          (select i.happened_at from ${interactions} i where i.tenant_id = ${tenantId} and i.person_id = p.id
           order by i.happened_at desc limit 1) as last_at,
          (select jsonb_object_agg(s.score_type, s.current_value) from ${scores} s
           where s.tenant_id = ${tenantId} and s.person_id = p.id) as scores
        from unnest(${uuidArray(personIds)}::uuid[]) as p(id)`,
  );
}

export async function insertObservation(ctx: Ctx, row: Omit<typeof scoreTimeseries.$inferInsert, 'tenantId'>) {
  await ctx.tx.insert(scoreTimeseries).values({ ...row, tenantId: requireTenant(ctx) });
}

/** The latest observation wins: an older one (backfill) leaves a newer current value alone. */
export async function upsertScore(ctx: Ctx, row: Omit<typeof scores.$inferInsert, 'tenantId'>) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .insert(scores)
    .values({ ...row, tenantId })
    .onConflictDoUpdate({
      target: [scores.tenantId, scores.personId, scores.scoreType],
      set: {
        currentValue: sql`excluded.current_value`,
        computedAt: sql`excluded.computed_at`,
        evidenceRefs: sql`excluded.evidence_refs`,
      },
      setWhere: sql`${scores.computedAt} <= excluded.computed_at`,
    });
}

export async function scoresOfPerson(ctx: Ctx, personId: string, scoreType?: string): Promise<ScoreRow[]> {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(scores)
    .where(
      and(
        eq(scores.tenantId, tenantId),
        eq(scores.personId, personId),
        scoreType ? eq(scores.scoreType, scoreType) : undefined,
      ),
    )
    .orderBy(scores.scoreType);
}

export interface SeriesPointRow {
  score_type: string;
  at: Date | string;
  value: string | number;
  signal_source: string | null;
  evidence_ref: string | null;
}

/** The latest `limit` observations of each of the person's score types, in one statement. */
export async function seriesOfPerson(
  ctx: Ctx,
  personId: string,
  f: { scoreType?: string; since?: string },
  limit: number,
) {
  const tenantId = requireTenant(ctx);
  return rows<SeriesPointRow>(
    ctx.tx,
    sql`select s.score_type, t.at, t.value, t.signal_source, t.evidence_ref
        from ${scores} s
        cross join lateral (
          select t.at, t.value, t.signal_source, t.evidence_ref, t.id from ${scoreTimeseries} t
          where t.tenant_id = s.tenant_id and t.person_id = s.person_id and t.score_type = s.score_type
            ${f.since ? sql`and t.at >= ${f.since}::timestamptz` : sql``}
          order by t.at desc, t.id desc
          limit ${limit}
        ) t
        where s.tenant_id = ${tenantId} and s.person_id = ${personId}
          ${f.scoreType ? sql`and s.score_type = ${f.scoreType}` : sql``}
        order by s.score_type, t.at, t.id`,
  );
}

/** Erase: summaries are free text about the person; the timeline rows (who, when, channel) stay. */
export async function clearSummariesOfPerson(ctx: Ctx, personId: string) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .update(interactions)
    .set({ summary: null, sourceRef: null })
    .where(and(eq(interactions.tenantId, tenantId), eq(interactions.personId, personId)));
}

/**
 * Person merge: the timeline and the latest scores move to another person (a score type the survivor
 * already has stays with the merged person). Score observations are append-only history and stay.
 */
export async function movePersonRecords(ctx: Ctx, fromPersonId: string, toPersonId: string) {
  const tenantId = requireTenant(ctx);
  const moved = await ctx.tx
    .update(interactions)
    .set({ personId: toPersonId })
    .where(and(eq(interactions.tenantId, tenantId), eq(interactions.personId, fromPersonId)))
    .returning({ id: interactions.id });
  const movedScores = await rows<{ score_type: string }>(
    ctx.tx,
    sql`update ${scores} s set person_id = ${toPersonId}
        where s.tenant_id = ${tenantId} and s.person_id = ${fromPersonId}
          and not exists (select 1 from ${scores} o where o.tenant_id = s.tenant_id and o.person_id = ${toPersonId} and o.score_type = s.score_type)
        returning s.score_type`,
  );
  return { interactions: moved.map((r) => r.id), scoreTypes: movedScores.map((r) => r.score_type) };
}

/** Undo of movePersonRecords: exactly these rows go back. */
export async function moveRecordsBack(
  ctx: Ctx,
  moved: { interactions: string[]; scoreTypes: string[] },
  fromPersonId: string,
  toPersonId: string,
) {
  const tenantId = requireTenant(ctx);
  if (moved.interactions.length) {
    await ctx.tx
      .update(interactions)
      .set({ personId: toPersonId })
      .where(
        and(
          eq(interactions.tenantId, tenantId),
          eq(interactions.personId, fromPersonId),
          inArray(interactions.id, moved.interactions),
        ),
      );
  }
  if (moved.scoreTypes.length) {
    await ctx.tx
      .update(scores)
      .set({ personId: toPersonId })
      .where(
        and(
          eq(scores.tenantId, tenantId),
          eq(scores.personId, fromPersonId),
          inArray(scores.scoreType, moved.scoreTypes),
        ),
      );
  }
}
