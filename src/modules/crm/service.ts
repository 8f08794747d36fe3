import type { Ctx, StatementCtx } from '../../platform/context.ts';
import { pipelined } from '../../platform/db.ts';
import { newId } from '../../platform/ids.ts';
import { appendEvent } from '../events/index.ts';
import { recordAudit } from '../identity/index.ts';
import * as repo from './repository.ts';
import type { PostalAddress } from './schema.ts';

export interface PersonContact {
  fullName: string | null;
  firstName?: string | null;
  lastName?: string | null;
  email: string | null;
  phone: string | null;
  postcode: string | null;
  locale: string | null;
  address: PostalAddress | null;
  consent: Record<string, unknown> | null;
}

/** The person a contact belongs to: email match first, then phone; undefined when none. */
export async function findPersonMatch(ctx: Ctx, email: string | null, phone: string | null) {
  if (!email && !phone) return undefined;
  const found = await repo.findPersonByEmailOrPhone(ctx, email, phone);
  return (email ? found.find((p) => p.email === email) : undefined)?.id ?? found[0]?.id;
}

/** Issues its inserts together, so the intake workflow's writes pipeline. */
export async function createPersonFromContact(ctx: Ctx, id: string, contact: PersonContact) {
  await pipelined([
    insertPersonRow(ctx, id, contact),
    contact.email ? repo.insertPersonEmails(ctx, id, [{ email: contact.email, isPrimary: true }]) : undefined,
    contact.phone ? repo.insertPersonPhones(ctx, id, [{ phone: contact.phone, isPrimary: true }]) : undefined,
  ]);
}

/** The person's columns from an intake contact (both intake paths write the same person). */
const personColumns = (contact: PersonContact) => ({
  fullName: contact.fullName,
  firstName: contact.firstName ?? null,
  lastName: contact.lastName ?? null,
  email: contact.email,
  phone: contact.phone,
  postcode: contact.postcode,
  locale: contact.locale,
  address: contact.address,
  consent: contact.consent,
});

function insertPersonRow(ctx: Ctx, id: string, contact: PersonContact) {
  return repo.insertPerson(ctx, { id, ...personColumns(contact) });
}

/** The task the intake creates: due within the tenant's first-contact SLA. No personal data in the title. */
export function createContactLeadTask(
  ctx: Ctx,
  input: { leadId: string; personId: string; reference: string; assigneeUserId: string | null; dueAt: Date },
) {
  return repo.insertTask(ctx, {
    id: newId(),
    type: 'contact_lead',
    title: `Contact lead ${input.reference}`,
    dueAt: input.dueAt,
    assigneeUserId: input.assigneeUserId,
    leadId: input.leadId,
    personId: input.personId,
  });
}

export const reassignOpenTasksOfLead = repo.reassignOpenTasksOfLead;

/**
 * Closed leads need no more work: their open tasks (the contact_lead task above all) are cancelled, each
 * audited and announced with the reason. Returns how many were cancelled.
 */
export async function cancelOpenTasksOfLeads(ctx: Ctx, leadIds: string[], reason: string) {
  const cancelled = await repo.cancelOpenTasksOfLeads(ctx, leadIds);
  for (const t of cancelled) {
    await recordAudit(ctx, { action: 'task.cancelled', entityType: 'task', entityId: t.id, changedFields: ['status'] });
    await appendEvent(ctx, {
      type: 'task.cancelled',
      entityType: 'task',
      entityId: t.id,
      data: { type: t.type, leadId: t.leadId, reason },
    });
  }
  return cancelled.length;
}

export async function getPerson(ctx: Ctx, id: string) {
  return repo.findPersonById(ctx, id);
}

/** Conversion: the customer account (household or organization) with the person as a member. */
export async function createCustomerAccount(
  ctx: Ctx,
  input: {
    personId: string;
    organizationName: string | null;
    lastName: string | null;
    sourceLeadId: string;
    billingAddress: PostalAddress | null;
  },
) {
  const id = newId();
  const type = input.organizationName ? 'company' : 'household';
  const name = input.organizationName ?? (input.lastName ? `${input.lastName} household` : 'Household');
  await repo.insertAccount(ctx, {
    id,
    name,
    type,
    primaryContactId: input.personId,
    billingAddress: input.billingAddress,
    sourceLeadId: input.sourceLeadId,
  });
  await repo.insertMember(ctx, {
    accountId: id,
    personId: input.personId,
    role: type === 'household' ? 'owner' : 'employee',
    isBillingContact: true,
  });
  await recordAudit(ctx, {
    action: 'account.created',
    entityType: 'account',
    entityId: id,
    changedFields: ['name', 'type', 'billingAddress'],
  });
  await appendEvent(ctx, { type: 'account.created', entityType: 'account', entityId: id, data: { type } });
  return { id, type };
}

/** Erase: the person's personal data anonymized in place (the row and its links stay). */
/** Erases the person's values; returns the emails and phones it held, for erasing other copies of them. */
export async function erasePerson(ctx: Ctx, personId: string, sourceLeadIds: string[]) {
  const before = await repo.findPersonById(ctx, personId);
  await repo.updatePerson(ctx, personId, {
    fullName: null,
    firstName: null,
    lastName: null,
    email: null,
    phone: null,
    postcode: null,
    locale: null,
    address: null,
    consent: null,
    personaLabels: [],
    linkedinUrl: null,
    erasedAt: new Date(),
  });
  const held = await repo.deleteContactPoints(ctx, personId);
  for (const leadId of sourceLeadIds) await repo.anonymizeDerivedFromLead(ctx, leadId);
  await recordAudit(ctx, {
    action: 'person.erased',
    entityType: 'person',
    entityId: personId,
    changedFields: ['fullName', 'firstName', 'lastName', 'email', 'phone', 'postcode', 'address', 'consent'],
  });
  return {
    emails: [...new Set([...held.emails, ...(before?.email ? [before.email] : [])])],
    phones: [...new Set([...held.phones, ...(before?.phone ? [before.phone] : [])])],
  };
}

export const countRecords = repo.countPeople;

/** The crm part of the one-statement public intake: match or create the person, and the contact_lead task. */
export function intakePersonStatement(
  ctx: StatementCtx,
  names: { openLead: string; person: string },
  personId: string,
  contact: PersonContact,
) {
  return repo.intakePersonCtes(ctx, names, { personId, ...personColumns(contact) });
}

export function intakeTaskStatement(
  ctx: StatementCtx,
  names: { newLead: string; person: string },
  input: { reference: string; dueAt: Date; assigneeUserId: string | null },
) {
  return repo.intakeTaskCte(ctx, names, {
    taskId: newId(),
    title: `Contact lead ${input.reference}`,
    dueAt: input.dueAt,
    assigneeUserId: input.assigneeUserId,
  });
}
