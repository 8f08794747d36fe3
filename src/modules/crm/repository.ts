import { and, asc, eq, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import { type Ctx, requireTenant, type StatementCtx } from '../../platform/context.ts';
import {
  accountMembers,
  accounts,
  people,
  personEmails,
  personPhones,
  projects,
  propertyInterests,
  tasks,
} from './schema.ts';

export type PersonRow = typeof people.$inferSelect;

export function findPersonByEmailOrPhone(ctx: Ctx, email: string | null, phone: string | null) {
  const tenantId = requireTenant(ctx);
  const match = or(email ? eq(people.email, email) : undefined, phone ? eq(people.phone, phone) : undefined);
  return ctx.tx
    .select({ id: people.id, email: people.email })
    .from(people)
    .where(and(eq(people.tenantId, tenantId), isNull(people.erasedAt), isNull(people.mergedIntoId), match))
    .orderBy(asc(people.id))
    .limit(2);
}

export function insertPerson(ctx: Ctx, row: Omit<typeof people.$inferInsert, 'tenantId'>) {
  return ctx.tx.insert(people).values({ ...row, tenantId: requireTenant(ctx) });
}

export function insertPersonEmails(
  ctx: Ctx,
  personId: string,
  emails: { email: string; label?: string | null; isPrimary: boolean }[],
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .insert(personEmails)
    .values(emails.map((e) => ({ tenantId, personId, email: e.email, label: e.label ?? null, isPrimary: e.isPrimary })))
    .onConflictDoNothing();
}

export function insertPersonPhones(
  ctx: Ctx,
  personId: string,
  phones: { phone: string; label?: string | null; isPrimary: boolean }[],
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .insert(personPhones)
    .values(phones.map((p) => ({ tenantId, personId, phone: p.phone, label: p.label ?? null, isPrimary: p.isPrimary })))
    .onConflictDoNothing();
}

/** Erase: a person's contact points are personal data and go entirely. */
/** Removes every email and phone of the person and returns them (erasure looks for other copies of them). */
export async function deleteContactPoints(ctx: Ctx, personId: string) {
  const tenantId = requireTenant(ctx);
  const emails = await ctx.tx
    .delete(personEmails)
    .where(and(eq(personEmails.tenantId, tenantId), eq(personEmails.personId, personId)))
    .returning({ email: personEmails.email });
  const phones = await ctx.tx
    .delete(personPhones)
    .where(and(eq(personPhones.tenantId, tenantId), eq(personPhones.personId, personId)))
    .returning({ phone: personPhones.phone });
  // Free-text notes about the person's interests may hold personal data too.
  await ctx.tx
    .update(propertyInterests)
    .set({ notes: null })
    .where(and(eq(propertyInterests.tenantId, tenantId), eq(propertyInterests.personId, personId)));
  return { emails: emails.map((e) => e.email), phones: phones.map((p) => p.phone) };
}

export async function findPersonById(ctx: Ctx, id: string): Promise<PersonRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(people)
      .where(and(eq(people.tenantId, tenantId), eq(people.id, id)))
      .limit(1)
  )[0];
}

export async function updatePerson(ctx: Ctx, id: string, patch: Partial<typeof people.$inferInsert>) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .update(people)
    .set({ ...patch, version: sql`${people.version} + 1`, updatedAt: new Date() })
    .where(and(eq(people.tenantId, tenantId), eq(people.id, id)));
}

export function insertTask(ctx: Ctx, row: Omit<typeof tasks.$inferInsert, 'tenantId'>) {
  return ctx.tx.insert(tasks).values({ ...row, tenantId: requireTenant(ctx) });
}

export async function reassignOpenTasksOfLead(ctx: Ctx, leadId: string, userId: string | null) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .update(tasks)
    .set({ assigneeUserId: userId, version: sql`${tasks.version} + 1` })
    .where(and(eq(tasks.tenantId, tenantId), eq(tasks.leadId, leadId), eq(tasks.status, 'open')));
}

/** Cancels the open tasks of the leads; returns the tasks cancelled. */
export async function cancelOpenTasksOfLeads(ctx: Ctx, leadIds: string[]) {
  const tenantId = requireTenant(ctx);
  if (!leadIds.length) return [];
  return ctx.tx
    .update(tasks)
    .set({ status: 'cancelled', version: sql`${tasks.version} + 1` })
    .where(and(eq(tasks.tenantId, tenantId), inArray(tasks.leadId, leadIds), eq(tasks.status, 'open')))
    .returning({ id: tasks.id, leadId: tasks.leadId, type: tasks.type });
}

export async function insertAccount(ctx: Ctx, row: Omit<typeof accounts.$inferInsert, 'tenantId'>) {
  await ctx.tx.insert(accounts).values({ ...row, tenantId: requireTenant(ctx) });
}

export async function insertMember(ctx: Ctx, row: Omit<typeof accountMembers.$inferInsert, 'tenantId'>) {
  await ctx.tx
    .insert(accountMembers)
    .values({ ...row, tenantId: requireTenant(ctx) })
    .onConflictDoNothing();
}

/** Erase: what conversion derived from a lead's contact (household name, site address). */
export async function anonymizeDerivedFromLead(ctx: Ctx, leadId: string) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .update(accounts)
    .set({
      name: 'Erased household',
      billingAddress: null,
      version: sql`${accounts.version} + 1`,
      updatedAt: new Date(),
    })
    .where(and(eq(accounts.tenantId, tenantId), eq(accounts.sourceLeadId, leadId), eq(accounts.type, 'household')));
  await ctx.tx
    .update(projects)
    .set({ siteAddress: null, version: sql`${projects.version} + 1`, updatedAt: new Date() })
    .where(and(eq(projects.tenantId, tenantId), eq(projects.sourceLeadId, leadId)));
}

export async function countPeople(ctx: Ctx) {
  const tenantId = requireTenant(ctx);
  const [p, a, pr, t] = await Promise.all([
    ctx.tx.select({ n: sql<number>`count(*)::int` }).from(people).where(eq(people.tenantId, tenantId)),
    ctx.tx.select({ n: sql<number>`count(*)::int` }).from(accounts).where(eq(accounts.tenantId, tenantId)),
    ctx.tx.select({ n: sql<number>`count(*)::int` }).from(projects).where(eq(projects.tenantId, tenantId)),
    ctx.tx.select({ n: sql<number>`count(*)::int` }).from(tasks).where(eq(tasks.tenantId, tenantId)),
  ]);
  return { people: p[0].n, accounts: a[0].n, projects: pr[0].n, tasks: t[0].n };
}

/**
 * The crm part of the one-statement intake: the person matching the contact (email first, then
 * phone) or a new one, with its contact points — only when the intake creates a lead.
 */
export function intakePersonCtes(
  ctx: StatementCtx,
  n: { openLead: string; person: string },
  p: {
    personId: string;
    fullName: string | null;
    firstName: string | null;
    lastName: string | null;
    email: string | null;
    phone: string | null;
    postcode: string | null;
    locale: string | null;
    address: unknown;
    consent: unknown;
  },
): SQL[] {
  const t = requireTenant(ctx);
  const id = (name: string) => sql.raw(name);
  const json = (v: unknown) => (v == null ? null : JSON.stringify(v));
  return [
    sql`person_match as (
      select id from people
      where tenant_id = ${t} and erased_at is null and merged_into_id is null and (email = ${p.email}::text or phone = ${p.phone}::text)
        and not exists (select 1 from ${id(n.openLead)})
      order by (email is not distinct from ${p.email}::text) desc, id
      limit 1)`,
    sql`new_person as (
      insert into people (tenant_id, id, full_name, first_name, last_name, email, phone, postcode, locale, address, consent)
      select ${t}, ${p.personId}, ${p.fullName}, ${p.firstName}, ${p.lastName}, ${p.email}, ${p.phone}, ${p.postcode},
        ${p.locale}, ${json(p.address)}::jsonb, ${json(p.consent)}::jsonb
      where not exists (select 1 from ${id(n.openLead)}) and not exists (select 1 from person_match)
      returning id)`,
    sql`new_person_email as (
      insert into person_emails (tenant_id, person_id, email, is_primary)
      select ${t}, id, ${p.email}, true from new_person where ${p.email}::text is not null)`,
    sql`new_person_phone as (
      insert into person_phones (tenant_id, person_id, phone, is_primary)
      select ${t}, id, ${p.phone}, true from new_person where ${p.phone}::text is not null)`,
    sql`${id(n.person)} as (select id from person_match union all select id from new_person)`,
  ];
}

/** The intake's contact_lead task, inserted only with a new lead. */
export function intakeTaskCte(
  ctx: StatementCtx,
  n: { newLead: string; person: string },
  p: { taskId: string; title: string; dueAt: Date; assigneeUserId: string | null },
): SQL {
  const t = requireTenant(ctx);
  const id = (name: string) => sql.raw(name);
  return sql`lead_task as (
    insert into tasks (tenant_id, id, type, title, due_at, assignee_user_id, lead_id, person_id)
    select ${t}, ${p.taskId}, 'contact_lead', ${p.title}, ${p.dueAt.toISOString()}::timestamptz, ${p.assigneeUserId}::uuid,
      l.id, (select id from ${id(n.person)}) from ${id(n.newLead)} l)`;
}
