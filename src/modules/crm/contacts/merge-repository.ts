import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../../platform/context.ts';
import { rows } from '../../../platform/db.ts';
import { people, personEmails, personPhones } from '../schema.ts';

/** SQL of person merges: tombstones and moving every crm reference from one person to another. */

export type PersonRow = typeof people.$inferSelect;

/** Both people locked in id order (two merges touching the same people never deadlock). Tombstones included. */
export async function lockPeople(ctx: Ctx, ids: string[]): Promise<PersonRow[]> {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(people)
    .where(and(eq(people.tenantId, tenantId), inArray(people.id, ids)))
    .orderBy(people.id)
    .for('update');
}

export async function findPersonIncludingTombstone(ctx: Ctx, id: string): Promise<PersonRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(people)
      .where(and(eq(people.tenantId, tenantId), eq(people.id, id)))
      .limit(1)
  )[0];
}

export async function setPersonColumns(ctx: Ctx, id: string, patch: Partial<typeof people.$inferInsert>) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(people)
      .set({ ...patch, version: sql`${people.version} + 1`, updatedAt: new Date() })
      .where(and(eq(people.tenantId, tenantId), eq(people.id, id)))
      .returning({ version: people.version })
  )[0];
}

export async function pointsOf(ctx: Ctx, kind: 'email' | 'phone', personId: string) {
  const tenantId = requireTenant(ctx);
  if (kind === 'email') {
    return ctx.tx
      .select({ value: personEmails.email, label: personEmails.label, isPrimary: personEmails.isPrimary })
      .from(personEmails)
      .where(and(eq(personEmails.tenantId, tenantId), eq(personEmails.personId, personId)));
  }
  return ctx.tx
    .select({ value: personPhones.phone, label: personPhones.label, isPrimary: personPhones.isPrimary })
    .from(personPhones)
    .where(and(eq(personPhones.tenantId, tenantId), eq(personPhones.personId, personId)));
}

export async function addPoints(
  ctx: Ctx,
  kind: 'email' | 'phone',
  personId: string,
  points: { value: string; label: string | null }[],
) {
  const tenantId = requireTenant(ctx);
  if (!points.length) return;
  if (kind === 'email') {
    await ctx.tx
      .insert(personEmails)
      .values(points.map((p) => ({ tenantId, personId, email: p.value, label: p.label, isPrimary: false })));
  } else {
    await ctx.tx
      .insert(personPhones)
      .values(points.map((p) => ({ tenantId, personId, phone: p.value, label: p.label, isPrimary: false })));
  }
}

export async function removePoints(ctx: Ctx, kind: 'email' | 'phone', personId: string, values: string[]) {
  const tenantId = requireTenant(ctx);
  if (!values.length) return;
  if (kind === 'email') {
    await ctx.tx
      .delete(personEmails)
      .where(
        and(
          eq(personEmails.tenantId, tenantId),
          eq(personEmails.personId, personId),
          inArray(personEmails.email, values),
        ),
      );
  } else {
    await ctx.tx
      .delete(personPhones)
      .where(
        and(
          eq(personPhones.tenantId, tenantId),
          eq(personPhones.personId, personId),
          inArray(personPhones.phone, values),
        ),
      );
  }
}

/** Makes `value` the only primary point of the person (none when null). */
export async function setOnlyPrimary(ctx: Ctx, kind: 'email' | 'phone', personId: string, value: string | null) {
  const tenantId = requireTenant(ctx);
  const table = kind === 'email' ? 'person_emails' : 'person_phones';
  const column = kind === 'email' ? 'email' : 'phone';
  await ctx.tx.execute(
    sql`update ${sql.raw(table)} set is_primary = false where tenant_id = ${tenantId} and person_id = ${personId} and is_primary`,
  );
  if (value !== null) {
    await ctx.tx.execute(
      sql`update ${sql.raw(table)} set is_primary = true where tenant_id = ${tenantId} and person_id = ${personId} and ${sql.raw(column)} = ${value}`,
    );
  }
}

export async function clearMergedFlag(ctx: Ctx, id: string) {
  return setPersonColumns(ctx, id, { mergedIntoId: null, mergedAt: null });
}

export async function activePersonIds(ctx: Ctx, ids: string[]) {
  const tenantId = requireTenant(ctx);
  const found = await ctx.tx
    .select({ id: people.id })
    .from(people)
    .where(and(eq(people.tenantId, tenantId), inArray(people.id, ids), isNull(people.mergedIntoId)));
  return new Set(found.map((r) => r.id));
}

// ---------- references ----------

export interface DroppedMember {
  accountId: string;
  role: string;
  isBillingContact: boolean;
}
export interface DroppedProjectContact {
  projectId: string;
  role: string;
  isPrimary: boolean;
}
export interface DroppedRelationship {
  id: string;
  fromPersonId: string;
  toPersonId: string;
  kind: string;
  createdAt: string;
}

/** What a merge moved (or, where the survivor already had the same link, removed) — undo reverses exactly this. */
export interface MovedCrmReferences {
  accountMembers: string[];
  droppedAccountMembers: DroppedMember[];
  accountPrimaryContacts: string[];
  opportunities: string[];
  projectPrimaryContacts: string[];
  projectContacts: string[];
  droppedProjectContacts: DroppedProjectContact[];
  tasks: string[];
  relationshipsFrom: string[];
  relationshipsTo: string[];
  droppedRelationships: DroppedRelationship[];
  propertyInterests: string[];
}

const ids = (r: { id: string }[]) => r.map((x) => x.id);

export async function moveCrmReferences(ctx: Ctx, from: string, to: string): Promise<MovedCrmReferences> {
  const t = requireTenant(ctx);
  const droppedAccountMembers = await rows<{ account_id: string; role: string; is_billing_contact: boolean }>(
    ctx.tx,
    sql`delete from account_members m where m.tenant_id = ${t} and m.person_id = ${from}
          and exists (select 1 from account_members o where o.tenant_id = m.tenant_id and o.account_id = m.account_id and o.person_id = ${to})
        returning m.account_id, m.role, m.is_billing_contact`,
  );
  const accountMembers = await rows<{ id: string }>(
    ctx.tx,
    sql`update account_members set person_id = ${to} where tenant_id = ${t} and person_id = ${from} returning account_id as id`,
  );
  const accountPrimaryContacts = await rows<{ id: string }>(
    ctx.tx,
    sql`update accounts set primary_contact_id = ${to}, version = version + 1, updated_at = now()
        where tenant_id = ${t} and primary_contact_id = ${from} returning id`,
  );
  const opportunities = await rows<{ id: string }>(
    ctx.tx,
    sql`update opportunities set person_id = ${to}, version = version + 1, updated_at = now()
        where tenant_id = ${t} and person_id = ${from} returning id`,
  );
  const projectPrimaryContacts = await rows<{ id: string }>(
    ctx.tx,
    sql`update projects set primary_contact_id = ${to}, version = version + 1, updated_at = now()
        where tenant_id = ${t} and primary_contact_id = ${from} returning id`,
  );
  const droppedProjectContacts = await rows<{ project_id: string; role: string; is_primary: boolean }>(
    ctx.tx,
    sql`delete from project_contacts c where c.tenant_id = ${t} and c.person_id = ${from}
          and exists (select 1 from project_contacts o where o.tenant_id = c.tenant_id and o.project_id = c.project_id and o.person_id = ${to})
        returning c.project_id, c.role, c.is_primary`,
  );
  const projectContacts = await rows<{ id: string }>(
    ctx.tx,
    sql`update project_contacts set person_id = ${to} where tenant_id = ${t} and person_id = ${from} returning project_id as id`,
  );
  const tasks = await rows<{ id: string }>(
    ctx.tx,
    sql`update tasks set person_id = ${to}, version = version + 1 where tenant_id = ${t} and person_id = ${from} returning id`,
  );
  // A relationship between the two people, or one the survivor already has, would become a self-link or a duplicate.
  const droppedRelationships = await rows<{
    id: string;
    from_person_id: string;
    to_person_id: string;
    kind: string;
    created_at: Date | string;
  }>(
    ctx.tx,
    sql`delete from relationships r where r.tenant_id = ${t} and (
          (r.from_person_id = ${from} and (r.to_person_id = ${to} or exists (select 1 from relationships o
            where o.tenant_id = r.tenant_id and o.from_person_id = ${to} and o.to_person_id = r.to_person_id and o.kind = r.kind)))
          or (r.to_person_id = ${from} and (r.from_person_id = ${to} or exists (select 1 from relationships o
            where o.tenant_id = r.tenant_id and o.to_person_id = ${to} and o.from_person_id = r.from_person_id and o.kind = r.kind))))
        returning r.id, r.from_person_id, r.to_person_id, r.kind, r.created_at`,
  );
  const relationshipsFrom = await rows<{ id: string }>(
    ctx.tx,
    sql`update relationships set from_person_id = ${to} where tenant_id = ${t} and from_person_id = ${from} returning id`,
  );
  const relationshipsTo = await rows<{ id: string }>(
    ctx.tx,
    sql`update relationships set to_person_id = ${to} where tenant_id = ${t} and to_person_id = ${from} returning id`,
  );
  const propertyInterests = await rows<{ id: string }>(
    ctx.tx,
    sql`update property_interests set person_id = ${to} where tenant_id = ${t} and person_id = ${from} returning id`,
  );
  return {
    accountMembers: ids(accountMembers),
    droppedAccountMembers: droppedAccountMembers.map((m) => ({
      accountId: m.account_id,
      role: m.role,
      isBillingContact: m.is_billing_contact,
    })),
    accountPrimaryContacts: ids(accountPrimaryContacts),
    opportunities: ids(opportunities),
    projectPrimaryContacts: ids(projectPrimaryContacts),
    projectContacts: ids(projectContacts),
    droppedProjectContacts: droppedProjectContacts.map((c) => ({
      projectId: c.project_id,
      role: c.role,
      isPrimary: c.is_primary,
    })),
    tasks: ids(tasks),
    relationshipsFrom: ids(relationshipsFrom),
    relationshipsTo: ids(relationshipsTo),
    droppedRelationships: droppedRelationships.map((r) => ({
      id: r.id,
      fromPersonId: r.from_person_id,
      toPersonId: r.to_person_id,
      kind: r.kind,
      createdAt: new Date(r.created_at).toISOString(),
    })),
    propertyInterests: ids(propertyInterests),
  };
}

const uuidArray = (v: string[]) => sql`${`{${v.join(',')}}`}::uuid[]`;

/** Moves exactly the recorded references back from `to` to `from` and restores the removed duplicates. */
export async function restoreCrmReferences(ctx: Ctx, from: string, to: string, m: MovedCrmReferences) {
  const t = requireTenant(ctx);
  const back = async (statement: ReturnType<typeof sql>, list: string[]) => {
    if (list.length) await ctx.tx.execute(statement);
  };
  await back(
    sql`update account_members set person_id = ${from} where tenant_id = ${t} and person_id = ${to} and account_id = any(${uuidArray(m.accountMembers)})`,
    m.accountMembers,
  );
  for (const d of m.droppedAccountMembers) {
    await ctx.tx.execute(
      sql`insert into account_members (tenant_id, account_id, person_id, role, is_billing_contact)
          values (${t}, ${d.accountId}, ${from}, ${d.role}, ${d.isBillingContact})`,
    );
  }
  await back(
    sql`update accounts set primary_contact_id = ${from}, version = version + 1, updated_at = now()
        where tenant_id = ${t} and primary_contact_id = ${to} and id = any(${uuidArray(m.accountPrimaryContacts)})`,
    m.accountPrimaryContacts,
  );
  await back(
    sql`update opportunities set person_id = ${from}, version = version + 1, updated_at = now()
        where tenant_id = ${t} and person_id = ${to} and id = any(${uuidArray(m.opportunities)})`,
    m.opportunities,
  );
  await back(
    sql`update projects set primary_contact_id = ${from}, version = version + 1, updated_at = now()
        where tenant_id = ${t} and primary_contact_id = ${to} and id = any(${uuidArray(m.projectPrimaryContacts)})`,
    m.projectPrimaryContacts,
  );
  await back(
    sql`update project_contacts set person_id = ${from} where tenant_id = ${t} and person_id = ${to} and project_id = any(${uuidArray(m.projectContacts)})`,
    m.projectContacts,
  );
  for (const d of m.droppedProjectContacts) {
    await ctx.tx.execute(
      sql`insert into project_contacts (tenant_id, project_id, person_id, role, is_primary)
          values (${t}, ${d.projectId}, ${from}, ${d.role}, ${d.isPrimary})`,
    );
  }
  await back(
    sql`update tasks set person_id = ${from}, version = version + 1 where tenant_id = ${t} and person_id = ${to} and id = any(${uuidArray(m.tasks)})`,
    m.tasks,
  );
  await back(
    sql`update relationships set from_person_id = ${from} where tenant_id = ${t} and id = any(${uuidArray(m.relationshipsFrom)})`,
    m.relationshipsFrom,
  );
  await back(
    sql`update relationships set to_person_id = ${from} where tenant_id = ${t} and id = any(${uuidArray(m.relationshipsTo)})`,
    m.relationshipsTo,
  );
  for (const r of m.droppedRelationships) {
    await ctx.tx.execute(
      sql`insert into relationships (tenant_id, id, from_person_id, to_person_id, kind, created_at)
          values (${t}, ${r.id}, ${r.fromPersonId}, ${r.toPersonId}, ${r.kind}, ${r.createdAt}::timestamptz)`,
    );
  }
  await back(
    sql`update property_interests set person_id = ${from} where tenant_id = ${t} and person_id = ${to} and id = any(${uuidArray(m.propertyInterests)})`,
    m.propertyInterests,
  );
}
