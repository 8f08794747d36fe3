import { and, asc, desc, eq, getTableColumns, gt, inArray, isNull, lt, ne, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { type Ctx, requireTenant } from '../../../platform/context.ts';
import { rows } from '../../../platform/db.ts';
import {
  accountMembers,
  accounts,
  opportunities,
  people,
  personEmails,
  personPhones,
  pipelineStages,
  projectContacts,
  projects,
  relationships,
  tasks,
} from '../schema.ts';

export type PersonRow = typeof people.$inferSelect;
export type PersonInsert = Omit<typeof people.$inferInsert, 'tenantId'>;
export type PointKind = 'email' | 'phone';
export interface PointRow {
  personId: string;
  value: string;
  label: string | null;
  isPrimary: boolean;
}

/**
 * Record scope `own`: people the user created, or whose opportunity they own, or with a task assigned
 * to them. For queries over people; `ownPersonRefScope` tests a person id of another table.
 */
export function ownPeopleScope(ctx: Ctx, userId: string | null): SQL {
  const tenantId = requireTenant(ctx);
  if (!userId) return sql`false`;
  return sql`(${people.createdByUserId} = ${userId} or ${ownedThrough(tenantId, userId, people.id)})`;
}

export function ownPersonRefScope(ctx: Ctx, userId: string | null, personId: SQL | AnyPgColumn): SQL {
  const tenantId = requireTenant(ctx);
  if (!userId) return sql`false`;
  return sql`(exists (select 1 from ${people} p where p.tenant_id = ${tenantId} and p.id = ${personId} and p.created_by_user_id = ${userId})
    or ${ownedThrough(tenantId, userId, personId)})`;
}

const ownedThrough = (tenantId: string, userId: string, personId: SQL | AnyPgColumn) =>
  sql`exists (select 1 from ${opportunities} o where o.tenant_id = ${tenantId} and o.person_id = ${personId} and o.owner_user_id = ${userId})
    or exists (select 1 from ${tasks} k where k.tenant_id = ${tenantId} and k.person_id = ${personId} and k.assignee_user_id = ${userId})`;

export async function findPerson(
  ctx: Ctx,
  id: string,
  scope?: SQL,
  opts: { forUpdate?: boolean } = {},
): Promise<PersonRow | undefined> {
  const tenantId = requireTenant(ctx);
  const q = ctx.tx
    .select()
    .from(people)
    .where(and(eq(people.tenantId, tenantId), eq(people.id, id), scope))
    .limit(1);
  return (opts.forUpdate ? await q.for('update') : await q)[0];
}

/** Which of these ids are people of the tenant within the scope (checks of referenced ids). */
export async function existingPersonIds(ctx: Ctx, ids: string[], scope?: SQL): Promise<Set<string>> {
  const tenantId = requireTenant(ctx);
  if (!ids.length) return new Set();
  const found = await ctx.tx
    .select({ id: people.id })
    .from(people)
    .where(and(eq(people.tenantId, tenantId), inArray(people.id, ids), isNull(people.mergedIntoId), scope));
  return new Set(found.map((r) => r.id));
}

export async function insertPerson(ctx: Ctx, row: PersonInsert): Promise<PersonRow> {
  return (
    await ctx.tx
      .insert(people)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

/** Optimistic update: applies only at the expected version; undefined means the version moved. */
export async function updatePerson(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<PersonInsert>,
): Promise<PersonRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(people)
      .set({ ...patch, version: sql`${people.version} + 1`, updatedAt: new Date() })
      .where(and(eq(people.tenantId, tenantId), eq(people.id, id), eq(people.version, expectedVersion)))
      .returning()
  )[0];
}

/** Another (not erased) person whose primary email this is. */
export async function findPersonIdByPrimaryEmail(ctx: Ctx, email: string, exceptId?: string) {
  const tenantId = requireTenant(ctx);
  const found = await ctx.tx
    .select({ id: people.id })
    .from(people)
    .where(
      and(
        eq(people.tenantId, tenantId),
        eq(people.email, email),
        isNull(people.erasedAt),
        isNull(people.mergedIntoId),
        exceptId ? ne(people.id, exceptId) : undefined,
      ),
    )
    .orderBy(asc(people.id))
    .limit(1);
  return found[0]?.id;
}

/** Serializes writers of one key for the rest of the transaction (e.g. one primary email per tenant). */
export async function lockKey(ctx: Ctx, key: string) {
  const tenantId = requireTenant(ctx);
  await ctx.tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${tenantId}:${key}`}, 727))`);
}

// ---------- emails and phones (one table each, same shape) ----------

const POINTS = {
  email: { table: personEmails, value: personEmails.email },
  phone: { table: personPhones, value: personPhones.phone },
} as const;

export async function listPoints(ctx: Ctx, kind: PointKind, personIds: string[]): Promise<PointRow[]> {
  const tenantId = requireTenant(ctx);
  if (!personIds.length) return [];
  const t = POINTS[kind].table;
  return ctx.tx
    .select({ personId: t.personId, value: POINTS[kind].value, label: t.label, isPrimary: t.isPrimary })
    .from(t)
    .where(and(eq(t.tenantId, tenantId), inArray(t.personId, personIds)))
    .orderBy(asc(t.personId), desc(t.isPrimary), asc(t.createdAt), asc(POINTS[kind].value));
}

export async function insertPoints(
  ctx: Ctx,
  kind: PointKind,
  personId: string,
  points: { value: string; label: string | null; isPrimary: boolean }[],
) {
  const tenantId = requireTenant(ctx);
  if (!points.length) return;
  const base = points.map((p) => ({ tenantId, personId, label: p.label, isPrimary: p.isPrimary }));
  if (kind === 'email') {
    await ctx.tx.insert(personEmails).values(base.map((b, i) => ({ ...b, email: points[i].value })));
  } else {
    await ctx.tx.insert(personPhones).values(base.map((b, i) => ({ ...b, phone: points[i].value })));
  }
}

export async function deletePoint(ctx: Ctx, kind: PointKind, personId: string, value: string) {
  const tenantId = requireTenant(ctx);
  const t = POINTS[kind].table;
  await ctx.tx.delete(t).where(and(eq(t.tenantId, tenantId), eq(t.personId, personId), eq(POINTS[kind].value, value)));
}

/** Moves the primary flag: cleared first, so the one-primary index never sees two. */
export async function setPrimaryPoint(ctx: Ctx, kind: PointKind, personId: string, value: string | null) {
  const tenantId = requireTenant(ctx);
  const t = POINTS[kind].table;
  const ofPerson = and(eq(t.tenantId, tenantId), eq(t.personId, personId));
  await ctx.tx
    .update(t)
    .set({ isPrimary: false })
    .where(and(ofPerson, eq(t.isPrimary, true)));
  if (value !== null) {
    await ctx.tx
      .update(t)
      .set({ isPrimary: true })
      .where(and(ofPerson, eq(POINTS[kind].value, value)));
  }
}

// ---------- the contact list ----------

export interface PeopleFilter {
  q?: string;
  /** The search text as an E.164 phone, when it reads as one. */
  qPhone?: string | null;
  personaLabel?: string;
  hasOpenOpportunity?: boolean;
}

const escapeLike = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
/** Exactly the expression of people_search_trgm_idx, so the trigram index serves the search. */
const SEARCH_EXPR = sql`(coalesce(${people.fullName}, '') || ' ' || coalesce(${people.email}, '') || ' ' || coalesce(${people.phone}, ''))`;

const openOpportunityOf = (tenantId: string) =>
  sql`exists (select 1 from ${opportunities} o where o.tenant_id = ${tenantId} and o.person_id = ${people.id} and o.status = 'open')`;

/** A keyset page of people, newest first, with each row's open-opportunity count (same statement). */
export async function listPeople(ctx: Ctx, f: PeopleFilter, scope: SQL | undefined, limit: number, beforeId?: string) {
  const tenantId = requireTenant(ctx);
  const search = f.q
    ? f.qPhone
      ? sql`(${SEARCH_EXPR} ilike ${escapeLike(f.q)} or ${SEARCH_EXPR} ilike ${escapeLike(f.qPhone)})`
      : sql`${SEARCH_EXPR} ilike ${escapeLike(f.q)}`
    : undefined;
  const hasOpen =
    f.hasOpenOpportunity === undefined
      ? undefined
      : f.hasOpenOpportunity
        ? openOpportunityOf(tenantId)
        : sql`not ${openOpportunityOf(tenantId)}`;
  return ctx.tx
    .select({
      ...getTableColumns(people),
      // Qualified by hand: drizzle leaves columns of a single-table select unqualified, and inside the
      // subquery a bare "id" would be the opportunity's.
      activeOpportunityCount: sql<number>`(select count(*)::int from ${opportunities} o where o.tenant_id = ${tenantId} and o.person_id = ${people}.id and o.status = 'open')`,
    })
    .from(people)
    .where(
      and(
        eq(people.tenantId, tenantId),
        isNull(people.mergedIntoId),
        search,
        f.personaLabel ? sql`${people.personaLabels} @> array[${f.personaLabel}]::text[]` : undefined,
        hasOpen,
        scope,
        beforeId ? lt(people.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(people.id))
    .limit(limit);
}

// ---------- a person's records (client 360): bounded lists and counts ----------

export async function accountsOfPerson(ctx: Ctx, personId: string, limit: number) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select({
      id: accounts.id,
      name: accounts.name,
      type: accounts.type,
      parentAccountId: accounts.parentAccountId,
      primaryContactId: accounts.primaryContactId,
      role: accountMembers.role,
      isBillingContact: accountMembers.isBillingContact,
    })
    .from(accountMembers)
    .innerJoin(accounts, and(eq(accounts.tenantId, accountMembers.tenantId), eq(accounts.id, accountMembers.accountId)))
    .where(and(eq(accountMembers.tenantId, tenantId), eq(accountMembers.personId, personId)))
    .orderBy(asc(accounts.id))
    .limit(limit);
}

/** Relationships in both directions, with the other person; `otherScope` (over people) hides people out of scope. */
export async function relationshipsOfPerson(
  ctx: Ctx,
  personId: string,
  otherScope: SQL | undefined,
  limit: number,
  afterId?: string,
) {
  const tenantId = requireTenant(ctx);
  const other = sql`case when ${relationships.fromPersonId} = ${personId} then ${relationships.toPersonId} else ${relationships.fromPersonId} end`;
  return ctx.tx
    .select({
      id: relationships.id,
      fromPersonId: relationships.fromPersonId,
      toPersonId: relationships.toPersonId,
      kind: relationships.kind,
      createdAt: relationships.createdAt,
      otherFullName: people.fullName,
    })
    .from(relationships)
    .innerJoin(people, and(eq(people.tenantId, relationships.tenantId), sql`${people.id} = ${other}`))
    .where(
      and(
        eq(relationships.tenantId, tenantId),
        sql`(${relationships.fromPersonId} = ${personId} or ${relationships.toPersonId} = ${personId})`,
        otherScope,
        afterId ? gt(relationships.id, afterId) : undefined,
      ),
    )
    .orderBy(asc(relationships.id))
    .limit(limit);
}

/**
 * The person's latest opportunities. Materialized first through the person index, so the cost is bounded
 * by this person's history: a plan walking the tenant's newest ids could scan far for an old customer.
 */
export async function opportunitiesOfPerson(ctx: Ctx, personId: string, limit: number) {
  const tenantId = requireTenant(ctx);
  return rows<{
    id: string;
    name: string | null;
    account_id: string | null;
    lead_id: string | null;
    pipeline_id: string;
    stage: string;
    stage_name: string | null;
    status: 'open' | 'won' | 'lost';
    value_amount: string | number | null;
    value_currency: string | null;
    probability: number | null;
    expected_close_date: string | null;
    owner_user_id: string | null;
    updated_at: Date | string;
  }>(
    ctx.tx,
    sql`with mine as materialized (
          select * from ${opportunities} where tenant_id = ${tenantId} and person_id = ${personId}
        )
        select o.id, o.name, o.account_id, o.lead_id, o.pipeline_id, o.stage, s.name as stage_name, o.status,
               o.value_amount, o.value_currency, o.probability, o.expected_close_date::text as expected_close_date,
               o.owner_user_id, o.updated_at
        from (select * from mine order by id desc limit ${limit}) o
        left join ${pipelineStages} s on s.tenant_id = ${tenantId} and s.pipeline_id = o.pipeline_id and s.key = o.stage
        order by o.id desc`,
  );
}

/** Projects the person is the primary contact of, a project contact of, or belongs to through an account. */
export async function projectsOfPerson(ctx: Ctx, personId: string, limit: number) {
  const tenantId = requireTenant(ctx);
  return rows<{
    id: string;
    name: string;
    type: string;
    account_id: string;
    pipeline_id: string;
    stage: string;
    stage_name: string | null;
    status: 'open' | 'won' | 'lost';
    primary_contact_id: string | null;
    updated_at: Date | string;
  }>(
    ctx.tx,
    sql`with linked as (
          select id from ${projects} where tenant_id = ${tenantId} and primary_contact_id = ${personId}
          union
          select project_id from ${projectContacts} where tenant_id = ${tenantId} and person_id = ${personId}
          union
          select p.id from ${accountMembers} m join ${projects} p on p.tenant_id = m.tenant_id and p.account_id = m.account_id
          where m.tenant_id = ${tenantId} and m.person_id = ${personId}
        )
        select p.id, p.name, p.type, p.account_id, p.pipeline_id, p.stage, s.name as stage_name, p.status,
               p.primary_contact_id, p.updated_at
        from linked l
        join ${projects} p on p.tenant_id = ${tenantId} and p.id = l.id
        left join ${pipelineStages} s on s.tenant_id = p.tenant_id and s.pipeline_id = p.pipeline_id and s.key = p.stage
        order by p.id desc
        limit ${limit}`,
  );
}

/** Open tasks, soonest due first; bounded by the person's open tasks (materialized like opportunities). */
export async function openTasksOfPerson(ctx: Ctx, personId: string, limit: number) {
  const tenantId = requireTenant(ctx);
  return rows<{
    id: string;
    type: string;
    title: string;
    status: string;
    due_at: Date | string;
    assignee_user_id: string | null;
    lead_id: string | null;
    opportunity_id: string | null;
    project_id: string | null;
  }>(
    ctx.tx,
    sql`with mine as materialized (
          select id, type, title, status, due_at, assignee_user_id, lead_id, opportunity_id, project_id
          from ${tasks} where tenant_id = ${tenantId} and person_id = ${personId} and status = 'open'
        )
        select * from mine order by due_at, id limit ${limit}`,
  );
}

/** Totals behind the bounded lists, in one statement. */
export async function countsOfPerson(ctx: Ctx, personId: string) {
  const tenantId = requireTenant(ctx);
  const found = await rows<{ opportunities: number; open_opportunities: number; open_tasks: number }>(
    ctx.tx,
    sql`select
          (select count(*)::int from ${opportunities} where tenant_id = ${tenantId} and person_id = ${personId}) as opportunities,
          (select count(*)::int from ${opportunities} where tenant_id = ${tenantId} and person_id = ${personId} and status = 'open') as open_opportunities,
          (select count(*)::int from ${tasks} where tenant_id = ${tenantId} and person_id = ${personId} and status = 'open') as open_tasks`,
  );
  const r = found[0];
  return {
    opportunities: Number(r.opportunities),
    openOpportunities: Number(r.open_opportunities),
    openTasks: Number(r.open_tasks),
  };
}
