import type { SQL } from 'drizzle-orm';
import type { Ctx } from '../../../platform/context.ts';
import {
  AppError,
  conflict,
  type FieldError,
  notFound,
  preconditionFailed,
  validationFailed,
} from '../../../platform/errors.ts';
import { newId } from '../../../platform/ids.ts';
import { isValidEmail, normalizeEmail, normalizeName, normalizePhone } from '../../../platform/normalize.ts';
import { decodeCursor, toPage } from '../../../platform/pagination.ts';
import { appendEvent } from '../../events/index.ts';
import { getTenantSettings, recordAudit } from '../../identity/index.ts';
import type { ContactCreateInput, ContactListQuery, ContactPatchInput, ContactView } from './contracts.ts';
import * as repo from './repository.ts';

// ---------- access ----------

/** The actor's record scope over people (DESIGN §6); undefined means every person of the tenant. */
export function peopleScope(ctx: Ctx): SQL | undefined {
  switch (ctx.actor.scope) {
    case 'all':
    case 'team':
      return undefined;
    case 'own':
      return repo.ownPeopleScope(ctx, ctx.actor.userId);
    case 'installer':
      return repo.ownPeopleScope(ctx, null);
  }
}

const personNotFound = () => notFound('person.not_found', 'The person does not exist.');

async function getPersonRow(ctx: Ctx, id: string, opts: { forUpdate?: boolean } = {}) {
  const row = await repo.findPerson(ctx, id, peopleScope(ctx), opts);
  if (!row) throw personNotFound();
  // A merged person is a tombstone: a 404 that names the survivor, so a client can follow it.
  if (row.mergedIntoId) {
    throw new AppError(404, 'person.merged', 'The person was merged into another person.', {
      mergedIntoId: row.mergedIntoId,
    });
  }
  return row;
}

/** 404 unless the person exists in this tenant and the actor's scope covers them. */
export async function assertPersonVisible(ctx: Ctx, id: string): Promise<void> {
  await getPersonRow(ctx, id);
}

/** Body references to people: a missing, foreign or out-of-scope person is a 400 naming the path. */
export async function requireVisiblePeople(ctx: Ctx, refs: { path: string; id: string }[]) {
  const found = await repo.existingPersonIds(ctx, [...new Set(refs.map((r) => r.id))], peopleScope(ctx));
  const missing = refs.filter((r) => !found.has(r.id));
  if (missing.length) throw validationFailed(missing.map((r) => ({ path: r.path, message: 'no such person' })));
}

// ---------- views ----------

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toView(p: repo.PersonRow, emails: repo.PointRow[], phones: repo.PointRow[]): ContactView {
  return {
    id: p.id,
    fullName: p.fullName,
    firstName: p.firstName,
    lastName: p.lastName,
    email: p.email,
    phone: p.phone,
    emails: emails.map((e) => ({ email: e.value, label: e.label, isPrimary: e.isPrimary })),
    phones: phones.map((e) => ({ phone: e.value, label: e.label, isPrimary: e.isPrimary })),
    linkedinUrl: p.linkedinUrl,
    address: (p.address as Record<string, unknown> | null) ?? null,
    postcode: p.postcode,
    locale: p.locale,
    personaLabels: p.personaLabels,
    sourceConfidence: p.sourceConfidence == null ? null : Number(p.sourceConfidence),
    consent: p.consent ?? null,
    createdByUserId: p.createdByUserId,
    erasedAt: iso(p.erasedAt),
    version: p.version,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

async function viewOf(ctx: Ctx, p: repo.PersonRow) {
  const [emails, phones] = await Promise.all([
    repo.listPoints(ctx, 'email', [p.id]),
    repo.listPoints(ctx, 'phone', [p.id]),
  ]);
  return toView(p, emails, phones);
}

export async function getContact(ctx: Ctx, id: string): Promise<ContactView> {
  return viewOf(ctx, await getPersonRow(ctx, id));
}

// ---------- normalization ----------

interface Point {
  value: string;
  label: string | null;
  isPrimary: boolean;
}

function normalizePoint(kind: repo.PointKind, raw: string, country: string): string | null {
  if (kind === 'phone') return normalizePhone(raw, country);
  const email = normalizeEmail(raw);
  return email && isValidEmail(email) ? email : null;
}

const invalidPoint = (kind: repo.PointKind) =>
  kind === 'email' ? 'not a valid email address' : 'not a valid phone number';

/** The primary (given, else the first listed) and the others, normalized and deduplicated. */
function collectPoints(
  kind: repo.PointKind,
  primary: string | undefined,
  listed: { raw: string; label?: string }[],
  country: string,
  errors: FieldError[],
): Point[] {
  const out: Point[] = [];
  const add = (raw: string, label: string | null, path: string, isPrimary: boolean) => {
    const value = normalizePoint(kind, raw, country);
    const same = out.find((p) => p.value === value);
    if (!value) errors.push({ path, message: invalidPoint(kind) });
    else if (same) same.label ??= label;
    else out.push({ value, label, isPrimary });
  };
  if (primary !== undefined) add(primary, null, kind, true);
  for (const [i, p] of listed.entries()) add(p.raw, p.label ?? null, `${kind}s.${i}.${kind}`, false);
  if (out.length && !out.some((p) => p.isPrimary)) out[0].isPrimary = true;
  return out;
}

function splitName(fullName: string, first?: string | null, last?: string | null) {
  const full = normalizeName(fullName)!;
  if (first !== undefined || last !== undefined) {
    return { fullName: full, firstName: normalizeName(first), lastName: normalizeName(last) };
  }
  const parts = full.split(' ');
  return { fullName: full, firstName: parts[0], lastName: parts.length > 1 ? parts[parts.length - 1] : null };
}

const postcodeOf = (address: { postcode?: string } | null | undefined) =>
  address?.postcode ? address.postcode.trim().toUpperCase().replace(/\s+/g, ' ') : null;

/** Phones are read with the person's own country when the address names one, else the tenant's default. */
async function phoneCountry(ctx: Ctx, address: { country?: string } | null | undefined) {
  return address?.country ?? (await getTenantSettings(ctx)).defaultCountry;
}

/** One person per primary email (phones may be shared, e.g. a household landline): a second one is a 409. */
async function guardPrimaryEmail(ctx: Ctx, email: string, exceptId?: string) {
  await repo.lockKey(ctx, `person-email:${email}`);
  const existing = await repo.findPersonIdByPrimaryEmail(ctx, email, exceptId);
  if (existing) {
    throw conflict('person.duplicate', 'Another person has this primary email.', { existingPersonId: existing });
  }
}

// ---------- commands ----------

export async function createContact(ctx: Ctx, input: ContactCreateInput): Promise<ContactView> {
  const errors: FieldError[] = [];
  const hasPhones = input.phone !== undefined || Boolean(input.phones?.length);
  const country = hasPhones ? await phoneCountry(ctx, input.address) : '';
  const emails = collectPoints(
    'email',
    input.email,
    (input.emails ?? []).map((e) => ({ raw: e.email, label: e.label })),
    country,
    errors,
  );
  const phones = collectPoints(
    'phone',
    input.phone,
    (input.phones ?? []).map((p) => ({ raw: p.phone, label: p.label })),
    country,
    errors,
  );
  if (errors.length) throw validationFailed(errors);
  const email = emails.find((e) => e.isPrimary)?.value ?? null;
  const phone = phones.find((p) => p.isPrimary)?.value ?? null;
  if (email) await guardPrimaryEmail(ctx, email);
  const id = newId();
  const row = await repo.insertPerson(ctx, {
    id,
    ...splitName(input.fullName, input.firstName, input.lastName),
    email,
    phone,
    postcode: postcodeOf(input.address),
    locale: input.locale ?? null,
    address: input.address ?? null,
    consent: input.consent ?? null,
    personaLabels: [...new Set(input.personaLabels ?? [])],
    linkedinUrl: input.linkedinUrl ?? null,
    sourceConfidence: input.sourceConfidence ?? null,
    createdByUserId: ctx.actor.userId,
  });
  await Promise.all([
    repo.insertPoints(ctx, 'email', id, emails),
    repo.insertPoints(ctx, 'phone', id, phones),
    recordAudit(ctx, {
      action: 'person.created',
      entityType: 'person',
      entityId: id,
      changedFields: Object.keys(input),
    }),
    appendEvent(ctx, { type: 'person.created', entityType: 'person', entityId: id, data: { channel: 'staff' } }),
  ]);
  return toView(
    row,
    emails.map((e) => ({ ...e, personId: id })).sort((a, b) => Number(b.isPrimary) - Number(a.isPrimary)),
    phones.map((p) => ({ ...p, personId: id })).sort((a, b) => Number(b.isPrimary) - Number(a.isPrimary)),
  );
}

async function lockForChange(ctx: Ctx, id: string, ifMatch: number | undefined) {
  // Locked: contact-point commands read, then move the primary flag; concurrent ones wait their turn.
  const row = await getPersonRow(ctx, id, { forUpdate: true });
  if (ifMatch !== undefined && ifMatch !== row.version) throw preconditionFailed();
  if (row.erasedAt) throw conflict('person.erased', 'An erased person cannot be edited.');
  return row;
}

async function saveChange(
  ctx: Ctx,
  row: repo.PersonRow,
  patch: Partial<repo.PersonInsert>,
  changedFields: string[],
  action = 'person.updated',
) {
  const updated = await repo.updatePerson(ctx, row.id, row.version, patch);
  if (!updated) throw preconditionFailed();
  await Promise.all([
    recordAudit(ctx, { action, entityType: 'person', entityId: row.id, changedFields }),
    // Field names only: contact points are personal data and stay out of events.
    appendEvent(ctx, { type: 'person.updated', entityType: 'person', entityId: row.id, data: { changedFields } }),
  ]);
  return viewOf(ctx, updated);
}

/**
 * Makes `value` the primary point (added first when new), or with null removes the primary one and
 * promotes the oldest remaining: a person with any email (phone) always has a primary one.
 * Returns the value to mirror on the people row.
 */
async function setPrimary(ctx: Ctx, kind: repo.PointKind, row: repo.PersonRow, value: string | null) {
  const existing = await repo.listPoints(ctx, kind, [row.id]);
  const current = existing.find((p) => p.isPrimary)?.value ?? null;
  if (value === current) return value;
  if (value === null) {
    await repo.deletePoint(ctx, kind, row.id, current!);
    const next = existing.find((p) => !p.isPrimary)?.value ?? null;
    if (next) await repo.setPrimaryPoint(ctx, kind, row.id, next);
    return next;
  }
  if (kind === 'email') await guardPrimaryEmail(ctx, value, row.id);
  if (!existing.some((p) => p.value === value)) {
    await repo.insertPoints(ctx, kind, row.id, [{ value, label: null, isPrimary: false }]);
  }
  await repo.setPrimaryPoint(ctx, kind, row.id, value);
  return value;
}

export async function patchContact(
  ctx: Ctx,
  id: string,
  ifMatch: number | undefined,
  input: ContactPatchInput,
): Promise<ContactView> {
  const row = await lockForChange(ctx, id, ifMatch);
  const patch: Partial<repo.PersonInsert> = {};
  if (input.fullName !== undefined) {
    // A new full name without its parts: the parts are derived again, never left stale.
    const derived = splitName(input.fullName);
    patch.fullName = derived.fullName;
    if (input.firstName === undefined && input.lastName === undefined) Object.assign(patch, derived);
  }
  if (input.firstName !== undefined) patch.firstName = normalizeName(input.firstName);
  if (input.lastName !== undefined) patch.lastName = normalizeName(input.lastName);
  const address = input.address !== undefined ? input.address : row.address;
  const errors: FieldError[] = [];
  const country = input.phone ? await phoneCountry(ctx, address) : '';
  const email = input.email ? normalizePoint('email', input.email, country) : null;
  const phone = input.phone ? normalizePoint('phone', input.phone, country) : null;
  if (input.email && !email) errors.push({ path: 'email', message: invalidPoint('email') });
  if (input.phone && !phone) errors.push({ path: 'phone', message: invalidPoint('phone') });
  if (errors.length) throw validationFailed(errors);
  if (input.email !== undefined) patch.email = await setPrimary(ctx, 'email', row, email);
  if (input.phone !== undefined) patch.phone = await setPrimary(ctx, 'phone', row, phone);
  if (input.address !== undefined) {
    patch.address = input.address;
    patch.postcode = postcodeOf(input.address);
  }
  if (input.linkedinUrl !== undefined) patch.linkedinUrl = input.linkedinUrl;
  if (input.locale !== undefined) patch.locale = input.locale;
  if (input.personaLabels !== undefined) patch.personaLabels = [...new Set(input.personaLabels)];
  if (input.sourceConfidence !== undefined) patch.sourceConfidence = input.sourceConfidence;
  if (input.consent !== undefined) patch.consent = { ...(row.consent ?? {}), ...input.consent };
  return saveChange(ctx, row, patch, Object.keys(input));
}

export interface PointCommand {
  kind: repo.PointKind;
  value: string;
  label?: string;
  primary?: boolean;
}

async function normalizedOf(ctx: Ctx, row: repo.PersonRow, kind: repo.PointKind, raw: string) {
  return normalizePoint(kind, raw, kind === 'phone' ? await phoneCountry(ctx, row.address) : '');
}

const notAPointOf = (kind: repo.PointKind) =>
  validationFailed([{ path: kind, message: `not ${kind === 'email' ? 'an email' : 'a phone'} of this person` }]);

export async function addContactPoint(ctx: Ctx, id: string, ifMatch: number | undefined, cmd: PointCommand) {
  const row = await lockForChange(ctx, id, ifMatch);
  const value = await normalizedOf(ctx, row, cmd.kind, cmd.value);
  if (!value) throw validationFailed([{ path: cmd.kind, message: invalidPoint(cmd.kind) }]);
  const existing = await repo.listPoints(ctx, cmd.kind, [id]);
  if (existing.some((p) => p.value === value)) {
    throw conflict(`person.${cmd.kind}_exists`, `The person already has this ${cmd.kind}.`);
  }
  const makePrimary = cmd.primary === true || existing.length === 0;
  if (makePrimary && cmd.kind === 'email') await guardPrimaryEmail(ctx, value, id);
  if (makePrimary) await repo.setPrimaryPoint(ctx, cmd.kind, id, null);
  await repo.insertPoints(ctx, cmd.kind, id, [{ value, label: cmd.label ?? null, isPrimary: makePrimary }]);
  const field = cmd.kind === 'email' ? 'emails' : 'phones';
  return saveChange(
    ctx,
    row,
    makePrimary ? { [cmd.kind]: value } : {},
    makePrimary ? [field, cmd.kind] : [field],
    `person.${cmd.kind}_added`,
  );
}

export async function makeContactPointPrimary(ctx: Ctx, id: string, ifMatch: number | undefined, cmd: PointCommand) {
  const row = await lockForChange(ctx, id, ifMatch);
  const value = await normalizedOf(ctx, row, cmd.kind, cmd.value);
  const existing = await repo.listPoints(ctx, cmd.kind, [id]);
  if (!value || !existing.some((p) => p.value === value)) throw notAPointOf(cmd.kind);
  if (existing.find((p) => p.isPrimary)?.value === value) return viewOf(ctx, row);
  await setPrimary(ctx, cmd.kind, row, value);
  return saveChange(ctx, row, { [cmd.kind]: value }, [cmd.kind], `person.primary_${cmd.kind}_changed`);
}

export async function removeContactPoint(ctx: Ctx, id: string, ifMatch: number | undefined, cmd: PointCommand) {
  const row = await lockForChange(ctx, id, ifMatch);
  const value = await normalizedOf(ctx, row, cmd.kind, cmd.value);
  const existing = await repo.listPoints(ctx, cmd.kind, [id]);
  const point = existing.find((p) => p.value === value);
  if (!point) throw notAPointOf(cmd.kind);
  const field = cmd.kind === 'email' ? 'emails' : 'phones';
  if (point.isPrimary) {
    const next = await setPrimary(ctx, cmd.kind, row, null);
    return saveChange(ctx, row, { [cmd.kind]: next }, [field, cmd.kind], `person.${cmd.kind}_removed`);
  }
  await repo.deletePoint(ctx, cmd.kind, id, point.value);
  return saveChange(ctx, row, {}, [field], `person.${cmd.kind}_removed`);
}

// ---------- the list ----------

const PHONE_LIKE = /^\+?[\d\s().-]{6,}$/;

/** A keyset page of contacts with their open-opportunity counts (the interactions summary is added by the caller). */
export async function listContacts(ctx: Ctx, q: ContactListQuery) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'contacts', q.cursor)[0] as string) : undefined;
  const qPhone =
    q.q && PHONE_LIKE.test(q.q) ? normalizePhone(q.q, (await getTenantSettings(ctx)).defaultCountry) : null;
  const found = await repo.listPeople(
    ctx,
    { q: q.q, qPhone, personaLabel: q.personaLabel, hasOpenOpportunity: q.hasOpenOpportunity },
    peopleScope(ctx),
    q.limit + 1,
    before,
  );
  const page = toPage(ctx.tenantId, 'contacts', found, q.limit, (r) => [r.id]);
  return {
    data: page.data.map((p) => ({
      id: p.id,
      fullName: p.fullName,
      firstName: p.firstName,
      lastName: p.lastName,
      email: p.email,
      phone: p.phone,
      personaLabels: p.personaLabels,
      sourceConfidence: p.sourceConfidence == null ? null : Number(p.sourceConfidence),
      createdByUserId: p.createdByUserId,
      version: p.version,
      createdAt: p.createdAt.toISOString(),
      updatedAt: p.updatedAt.toISOString(),
      activeOpportunityCount: Number(p.activeOpportunityCount),
    })),
    nextCursor: page.nextCursor,
  };
}

// ---------- a person's CRM records (client 360) ----------

export const RECORDS_LIMIT = 20;

const dateTime = (d: Date | string | null) => (d == null ? null : new Date(d).toISOString());

/**
 * Accounts (with the member role), relationships, opportunities, projects (with stage) and open tasks
 * of a person the caller already read through getContact: bounded lists (most recent first) and totals.
 */
export async function personRecords(ctx: Ctx, person: Pick<ContactView, 'id'>, limit = RECORDS_LIMIT) {
  const scope = peopleScope(ctx);
  const [accounts, relationships, opportunities, projects, tasks, counts] = await Promise.all([
    repo.accountsOfPerson(ctx, person.id, limit),
    repo.relationshipsOfPerson(ctx, person.id, scope, limit),
    repo.opportunitiesOfPerson(ctx, person.id, limit),
    repo.projectsOfPerson(ctx, person.id, limit),
    repo.openTasksOfPerson(ctx, person.id, limit),
    repo.countsOfPerson(ctx, person.id),
  ]);
  return {
    accounts,
    relationships: relationships.map((r) => ({
      id: r.id,
      kind: r.kind,
      direction: r.fromPersonId === person.id ? ('outgoing' as const) : ('incoming' as const),
      fromPersonId: r.fromPersonId,
      toPersonId: r.toPersonId,
      otherPerson: { id: r.fromPersonId === person.id ? r.toPersonId : r.fromPersonId, fullName: r.otherFullName },
      createdAt: r.createdAt.toISOString(),
    })),
    opportunities: opportunities.map((o) => ({
      id: o.id,
      name: o.name,
      accountId: o.account_id,
      leadId: o.lead_id,
      pipelineId: o.pipeline_id,
      stage: o.stage,
      stageName: o.stage_name,
      status: o.status,
      value:
        o.value_amount != null && o.value_currency
          ? { amount: Number(o.value_amount), currency: o.value_currency }
          : null,
      probability: o.probability,
      expectedCloseDate: o.expected_close_date,
      ownerUserId: o.owner_user_id,
      updatedAt: dateTime(o.updated_at)!,
    })),
    projects: projects.map((p) => ({
      id: p.id,
      name: p.name,
      type: p.type,
      accountId: p.account_id,
      pipelineId: p.pipeline_id,
      stage: p.stage,
      stageName: p.stage_name,
      status: p.status,
      primaryContactId: p.primary_contact_id,
      updatedAt: dateTime(p.updated_at)!,
    })),
    tasks: tasks.map((t) => ({
      id: t.id,
      type: t.type,
      title: t.title,
      status: t.status,
      dueAt: dateTime(t.due_at)!,
      assigneeUserId: t.assignee_user_id,
      leadId: t.lead_id,
      opportunityId: t.opportunity_id,
      projectId: t.project_id,
    })),
    counts,
  };
}
