import { and, asc, desc, eq, gt, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Ctx, requireTenant, type StatementCtx } from '../../platform/context.ts';
import { leadStatusEvents, leadSubmissions, leads, OPEN_STATUSES, questionSets } from './schema.ts';

export type LeadRow = typeof leads.$inferSelect;
export type LeadInsert = Omit<typeof leads.$inferInsert, 'tenantId'>;
export type QuestionSetRow = typeof questionSets.$inferSelect;

export async function findLeadById(ctx: Ctx, id: string, scope?: SQL): Promise<LeadRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(leads)
      .where(and(eq(leads.tenantId, tenantId), eq(leads.id, id), scope))
      .limit(1)
  )[0];
}

/** The open lead holding this email (preferred) or phone. */
export async function findOpenLeadByContact(ctx: Ctx, email: string | null, phone: string | null) {
  const tenantId = requireTenant(ctx);
  if (!email && !phone) return undefined;
  const found = await ctx.tx
    .select({
      id: leads.id,
      reference: leads.reference,
      personId: leads.personId,
      email: leads.email,
      status: leads.status,
    })
    .from(leads)
    .where(
      and(
        eq(leads.tenantId, tenantId),
        inArray(leads.status, [...OPEN_STATUSES]),
        or(email ? eq(leads.email, email) : undefined, phone ? eq(leads.phone, phone) : undefined),
      ),
    )
    .limit(2);
  return (email ? found.find((l) => l.email === email) : undefined) ?? found[0];
}

export function insertLead(ctx: Ctx, row: LeadInsert) {
  return ctx.tx.insert(leads).values({ ...row, tenantId: requireTenant(ctx) });
}

export function insertStatusEvent(ctx: Ctx, row: Omit<typeof leadStatusEvents.$inferInsert, 'tenantId'>) {
  return ctx.tx.insert(leadStatusEvents).values({ ...row, tenantId: requireTenant(ctx) });
}

export function insertSubmission(ctx: Ctx, row: Omit<typeof leadSubmissions.$inferInsert, 'tenantId'>) {
  return ctx.tx.insert(leadSubmissions).values({ ...row, tenantId: requireTenant(ctx) });
}

/** Optimistic update: applies only at the expected version; undefined means the version moved. */
export async function updateLead(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<LeadInsert>,
): Promise<LeadRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(leads)
      .set({ ...patch, version: sql`${leads.version} + 1`, updatedAt: new Date() })
      .where(and(eq(leads.tenantId, tenantId), eq(leads.id, id), eq(leads.version, expectedVersion)))
      .returning()
  )[0];
}

export interface LeadFilter {
  status?: string;
  source?: string;
  assignedUserId?: string;
  q?: string;
  createdAfter?: string;
  createdBefore?: string;
}

export async function listLeads(ctx: Ctx, f: LeadFilter, scope: SQL | undefined, limit: number, beforeId?: string) {
  const tenantId = requireTenant(ctx);
  const search = f.q
    ? sql`(coalesce(${leads.name}, '') || ' ' || coalesce(${leads.email}, '') || ' ' || coalesce(${leads.phone}, '') || ' ' || ${leads.reference}) ilike ${`%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`
    : undefined;
  return ctx.tx
    .select()
    .from(leads)
    .where(
      and(
        eq(leads.tenantId, tenantId),
        f.status ? eq(leads.status, f.status as LeadRow['status']) : undefined,
        f.source ? eq(leads.source, f.source as LeadRow['source']) : undefined,
        f.assignedUserId ? eq(leads.assignedUserId, f.assignedUserId) : undefined,
        f.createdAfter ? gte(leads.createdAt, new Date(f.createdAfter)) : undefined,
        f.createdBefore ? lt(leads.createdAt, new Date(f.createdBefore)) : undefined,
        search,
        scope,
        beforeId ? lt(leads.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(leads.id))
    .limit(limit);
}

/** Record scope `own`: leads assigned to or created by the user. */
export const ownScope = (userId: string | null) =>
  userId ? or(eq(leads.assignedUserId, userId), eq(leads.createdByUserId, userId)) : sql`false`;
export const noneScope = () => sql`false`;

export async function listStatusEvents(ctx: Ctx, leadId: string, limit: number, afterId?: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(leadStatusEvents)
    .where(
      and(
        eq(leadStatusEvents.tenantId, tenantId),
        eq(leadStatusEvents.leadId, leadId),
        afterId ? gt(leadStatusEvents.id, afterId) : undefined,
      ),
    )
    .orderBy(asc(leadStatusEvents.id))
    .limit(limit);
}

export async function listSubmissions(ctx: Ctx, leadId: string, limit: number, afterId?: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(leadSubmissions)
    .where(
      and(
        eq(leadSubmissions.tenantId, tenantId),
        eq(leadSubmissions.leadId, leadId),
        afterId ? gt(leadSubmissions.id, afterId) : undefined,
      ),
    )
    .orderBy(asc(leadSubmissions.id))
    .limit(limit);
}

export async function anonymizeSubmissions(ctx: Ctx, leadId: string) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .update(leadSubmissions)
    .set({ payload: { erased: true }, clientIp: null, userAgent: null })
    .where(and(eq(leadSubmissions.tenantId, tenantId), eq(leadSubmissions.leadId, leadId)));
}

// ---- question sets ----

export async function findQuestionSet(ctx: Ctx, version?: string): Promise<QuestionSetRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(questionSets)
      .where(
        and(
          eq(questionSets.tenantId, tenantId),
          version ? eq(questionSets.version, version) : eq(questionSets.active, true),
        ),
      )
      .limit(1)
  )[0];
}

export async function listQuestionSets(ctx: Ctx) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(questionSets)
    .where(eq(questionSets.tenantId, tenantId))
    .orderBy(desc(questionSets.createdAt));
}

export async function insertQuestionSet(ctx: Ctx, row: Omit<typeof questionSets.$inferInsert, 'tenantId'>) {
  const tenantId = requireTenant(ctx);
  if (row.active) {
    await ctx.tx
      .update(questionSets)
      .set({ active: false })
      .where(and(eq(questionSets.tenantId, tenantId), eq(questionSets.active, true)));
  }
  await ctx.tx.insert(questionSets).values({ ...row, tenantId });
}

export async function countLeads(ctx: Ctx) {
  const tenantId = requireTenant(ctx);
  const [l, s, e] = await Promise.all([
    ctx.tx.select({ n: sql<number>`count(*)::int` }).from(leads).where(eq(leads.tenantId, tenantId)),
    ctx.tx
      .select({ n: sql<number>`count(*)::int` })
      .from(leadSubmissions)
      .where(eq(leadSubmissions.tenantId, tenantId)),
    ctx.tx
      .select({ n: sql<number>`count(*)::int` })
      .from(leadStatusEvents)
      .where(eq(leadStatusEvents.tenantId, tenantId)),
  ]);
  return { leads: l[0].n, leadSubmissions: s[0].n, leadStatusEvents: e[0].n };
}

/** Conversion locks the lead row so that two concurrent conversions serialize (the second sees the refs). */
export async function findLeadByIdForUpdate(ctx: Ctx, id: string, scope?: SQL): Promise<LeadRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(leads)
      .where(and(eq(leads.tenantId, tenantId), eq(leads.id, id), scope))
      .limit(1)
      .for('update')
  )[0];
}

export async function listLeadIdsOfPerson(ctx: Ctx, personId: string) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select({ id: leads.id })
      .from(leads)
      .where(and(eq(leads.tenantId, tenantId), eq(leads.personId, personId)))
  ).map((r) => r.id);
}

/** A person's leads, newest first (client 360); bounded by the caller. */
export async function listLeadsOfPerson(ctx: Ctx, personId: string, scope: SQL | undefined, limit: number) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(leads)
    .where(and(eq(leads.tenantId, tenantId), eq(leads.personId, personId), scope))
    .orderBy(desc(leads.id))
    .limit(limit);
}

/** Open leads per assigned user (campaign effort-based assignment). */
export async function countOpenLeadsByAssignee(ctx: Ctx, userIds: string[]) {
  const tenantId = requireTenant(ctx);
  const counts = new Map<string, number>();
  if (!userIds.length) return counts;
  const found = await ctx.tx
    .select({ userId: leads.assignedUserId, n: sql<number>`count(*)::int` })
    .from(leads)
    .where(
      and(
        eq(leads.tenantId, tenantId),
        inArray(leads.assignedUserId, userIds),
        inArray(leads.status, [...OPEN_STATUSES]),
      ),
    )
    .groupBy(leads.assignedUserId);
  for (const r of found) if (r.userId) counts.set(r.userId, Number(r.n));
  return counts;
}

/** CTE names shared by the one-statement intake (src/workflows/intake.ts composes the fragments). */
export interface IntakeCteNames {
  openLead: string;
  person: string;
  newLead: string;
  lead: string;
}

export interface IntakeLeadParams {
  leadId: string;
  reference: string;
  email: string | null;
  phone: string | null;
  row: Omit<LeadInsert, 'id' | 'reference' | 'personId'>;
  submission: { id: string; channel: string; payload: unknown; clientIp: string | null; userAgent: string | null };
  eventId: string;
  changedByUserId: string | null;
}

const json = (v: unknown) => (v == null ? null : JSON.stringify(v));

/**
 * The leads part of the one-statement intake: find the open lead for the contact; otherwise insert
 * the lead (and its null → new event); in both cases keep the raw submission.
 */
export function intakeLeadCtes(
  ctx: StatementCtx,
  n: IntakeCteNames,
  p: IntakeLeadParams,
): { before: SQL[]; after: SQL[] } {
  const t = requireTenant(ctx);
  const r = p.row;
  const id = (name: string) => sql.raw(name);
  const open = sql`${id(n.openLead)} as (
      select id, reference from leads
      where tenant_id = ${t} and status in ('new', 'contacted', 'nurturing', 'qualified', 'matched')
        and (email = ${p.email}::text or phone = ${p.phone}::text)
      order by (email is not distinct from ${p.email}::text) desc
      limit 1)`;
  const newLead = sql`${id(n.newLead)} as (
      insert into leads (tenant_id, id, reference, person_id, status, source, source_detail, service, selected_path,
        name, email, phone, postcode, locale, address, organization_name, contact_preferences, consent, assessment,
        recommendation, note, assigned_user_id, created_by_user_id)
      select ${t}, ${p.leadId}, ${p.reference}, (select id from ${id(n.person)}), 'new', ${r.source}, ${r.sourceDetail ?? null},
        ${r.service ?? null}, ${r.selectedPath ?? 'undecided'}, ${r.name ?? null}, ${p.email}, ${p.phone}, ${r.postcode ?? null},
        ${r.locale ?? null}, ${json(r.address)}::jsonb, ${r.organizationName ?? null}, ${json(r.contactPreferences)}::jsonb,
        ${json(r.consent)}::jsonb, ${json(r.assessment)}::jsonb, ${json(r.recommendation)}::jsonb, ${r.note ?? null},
        ${r.assignedUserId ?? null}::uuid, ${r.createdByUserId ?? null}::uuid
      where not exists (select 1 from ${id(n.openLead)})
      returning id, reference)`;
  const lead = sql`${id(n.lead)} as (
      select id, reference, false as created from ${id(n.openLead)}
      union all select id, reference, true from ${id(n.newLead)})`;
  const event = sql`lead_event as (
      insert into lead_status_events (tenant_id, id, lead_id, from_status, to_status, changed_by_user_id)
      select ${t}, ${p.eventId}, id, null, 'new', ${p.changedByUserId}::uuid from ${id(n.newLead)})`;
  const submission = sql`lead_submission as (
      insert into lead_submissions (tenant_id, id, lead_id, channel, payload, client_ip, user_agent)
      select ${t}, ${p.submission.id}, id, ${p.submission.channel}, ${json(p.submission.payload)}::jsonb,
        ${p.submission.clientIp}, ${p.submission.userAgent} from ${id(n.lead)})`;
  const bump = sql`lead_bump as (
      update leads set submission_count = submission_count + 1, updated_at = now()
      where tenant_id = ${t} and id = (select id from ${id(n.openLead)}))`;
  return { before: [open], after: [newLead, lead, event, submission, bump] };
}

/** Person merge: every lead of one person moves to another; returns the moved ids. */
export async function movePersonLeads(ctx: Ctx, fromPersonId: string, toPersonId: string) {
  const tenantId = requireTenant(ctx);
  const moved = await ctx.tx
    .update(leads)
    .set({ personId: toPersonId, version: sql`${leads.version} + 1`, updatedAt: new Date() })
    .where(and(eq(leads.tenantId, tenantId), eq(leads.personId, fromPersonId)))
    .returning({ id: leads.id });
  return moved.map((r) => r.id);
}

/** Undo of a merge: exactly these leads go back (only those still on `fromPersonId`). */
export async function moveLeadsBack(ctx: Ctx, leadIds: string[], fromPersonId: string, toPersonId: string) {
  const tenantId = requireTenant(ctx);
  if (!leadIds.length) return;
  await ctx.tx
    .update(leads)
    .set({ personId: toPersonId, version: sql`${leads.version} + 1`, updatedAt: new Date() })
    .where(and(eq(leads.tenantId, tenantId), eq(leads.personId, fromPersonId), inArray(leads.id, leadIds)));
}
