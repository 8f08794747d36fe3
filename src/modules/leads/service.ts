import type { SQL } from 'drizzle-orm';
import type { Ctx, StatementCtx } from '../../platform/context.ts';
import { pipelined, type Tx } from '../../platform/db.ts';
import {
  badRequest,
  conflict,
  dbConstraint,
  type FieldError,
  isUniqueViolation,
  notFound,
  preconditionFailed,
  validationFailed,
} from '../../platform/errors.ts';
import { newId, newReference } from '../../platform/ids.ts';
import { isValidEmail, normalizeEmail, normalizeName, normalizePhone } from '../../platform/normalize.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import { appendEvent } from '../events/index.ts';
import { recordAudit } from '../identity/index.ts';
import type {
  Address,
  Assessment,
  Consent,
  ContactPreferences,
  IntakeInput,
  LeadDetail,
  LeadListQuery,
  LeadPatch,
  Recommendation,
} from './contracts.ts';
import * as repo from './repository.ts';
import type { LeadStatus, Question } from './schema.ts';

// ---------- lifecycle (DESIGN §4) ----------

const TRANSITIONS: Record<LeadStatus, readonly LeadStatus[]> = {
  new: ['contacted', 'qualified', 'matched', 'lost', 'disqualified'],
  contacted: ['nurturing', 'qualified', 'matched', 'lost', 'disqualified'],
  nurturing: ['contacted', 'qualified', 'lost'],
  qualified: ['nurturing', 'matched', 'converted', 'lost'],
  matched: ['qualified', 'converted', 'lost'],
  lost: ['new'],
  converted: [],
  disqualified: [],
};
export const canTransition = (from: LeadStatus, to: LeadStatus) => TRANSITIONS[from].includes(to);

const invalidTransition = (from: LeadStatus, to: LeadStatus, detail?: string) =>
  conflict('lead.invalid_transition', detail ?? `A lead cannot go from '${from}' to '${to}'.`, { from, to });

// ---------- intake normalization ----------

export interface NormalizedContact {
  name: string | null;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  postcode: string | null;
  locale: string | null;
  address: Address | null;
  organization: string | null;
}

export interface NormalizedIntake {
  contact: NormalizedContact;
  source: IntakeInput['source'];
  sourceDetail: string | null;
  service: string | null;
  selectedPath: IntakeInput['selectedPath'];
  contactPreferences: ContactPreferences | null;
  consent: Consent;
  assessment: Assessment | null;
  recommendation: Recommendation | null;
  /** The submission exactly as received: the raw evidence row. */
  raw: Record<string, unknown>;
}

function splitName(name: string | null, first?: string, last?: string) {
  const full = normalizeName(name ?? ([first, last].filter(Boolean).join(' ') || null));
  if (first || last) return { full, first: normalizeName(first), last: normalizeName(last) };
  if (!full) return { full: null, first: null, last: null };
  const parts = full.split(' ');
  return { full, first: parts[0], last: parts.length > 1 ? parts[parts.length - 1] : null };
}

export function normalizeContact(
  c: IntakeInput['contact'],
  defaultCountry: string,
  pathPrefix = 'contact',
): { contact: NormalizedContact; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const email = normalizeEmail(c.email);
  if (c.email !== undefined && email && !isValidEmail(email)) {
    errors.push({ path: `${pathPrefix}.email`, message: 'not a valid email address' });
  }
  const country = c.address?.country ?? defaultCountry;
  const phone = c.phone?.trim() ? normalizePhone(c.phone, country) : null;
  if (c.phone?.trim() && !phone) errors.push({ path: `${pathPrefix}.phone`, message: 'not a valid phone number' });
  const names = splitName(c.name ?? null, c.firstName, c.lastName);
  return {
    contact: {
      name: names.full,
      firstName: names.first,
      lastName: names.last,
      email,
      phone,
      postcode: c.postcode ? c.postcode.trim().toUpperCase().replace(/\s+/g, ' ') : (c.address?.postcode ?? null),
      locale: c.locale ?? null,
      address: c.address ?? null,
      organization: c.organization ?? null,
    },
    errors,
  };
}

/** Validates and normalizes an intake body; a bad one is a 400 naming every failing path. */
export function normalizeIntake(input: IntakeInput, defaultCountry: string): NormalizedIntake {
  const { contact, errors } = normalizeContact(input.contact, defaultCountry);
  if (!contact.email && !contact.phone && errors.length === 0) {
    errors.push({ path: 'contact', message: 'an email or a phone number is required' });
  }
  if (input.consent.terms !== true) errors.push({ path: 'consent.terms', message: 'the terms must be accepted' });
  if (errors.length) throw validationFailed(errors);
  return {
    contact,
    source: input.source,
    sourceDetail: input.sourceDetail ?? null,
    service: input.service ?? null,
    selectedPath: input.selectedPath,
    contactPreferences: input.contactPreferences ?? null,
    consent: input.consent,
    assessment: input.assessment ?? null,
    recommendation: input.recommendation ?? null,
    raw: input as unknown as Record<string, unknown>,
  };
}

function checkAnswer(q: Question, value: unknown): string | null {
  if (value === null || value === undefined) return q.required ? 'an answer is required' : null;
  switch (q.type) {
    case 'string':
      return typeof value === 'string' ? null : 'must be text';
    case 'number':
      return typeof value === 'number' ? null : 'must be a number';
    case 'integer':
      return Number.isInteger(value) ? null : 'must be a whole number';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'choice':
      return typeof value === 'string' && (q.options ?? []).includes(value)
        ? null
        : `must be one of: ${(q.options ?? []).join(', ')}`;
    case 'multi_choice':
      return Array.isArray(value) && value.every((v) => (q.options ?? []).includes(v))
        ? null
        : `must be a list of: ${(q.options ?? []).join(', ')}`;
  }
}

/**
 * Validates the assessment against the named question-set version, or the active one. Without any
 * configured set, answers are stored as given (bounded by the request schema).
 */
export interface QuestionSetCatalog {
  active: repo.QuestionSetRow | null;
  byVersion: Map<string, repo.QuestionSetRow>;
}

/** Every question set of the tenant (public intake caches this briefly; staff intake reads it live). */
export async function loadQuestionSets(ctx: Ctx): Promise<QuestionSetCatalog> {
  const sets = await repo.listQuestionSets(ctx);
  return { active: sets.find((s) => s.active) ?? null, byVersion: new Map(sets.map((s) => [s.version, s])) };
}

/**
 * Checks the answers against the named question-set version, or the active one. A tenant without
 * any question set stores answers as given (bounded by the request schema).
 */
export function checkAssessment(catalog: QuestionSetCatalog, assessment: Assessment | null): Assessment | null {
  if (!assessment) return null;
  const set = assessment.questionSetVersion ? catalog.byVersion.get(assessment.questionSetVersion) : catalog.active;
  if (!set) {
    // A tenant that has question sets (even only staged, inactive ones) knows every valid version.
    if (assessment.questionSetVersion && catalog.byVersion.size > 0) {
      throw validationFailed([{ path: 'assessment.questionSetVersion', message: 'unknown question set version' }]);
    }
    return assessment;
  }
  const byKey = new Map(set.questions.map((q) => [q.key, q]));
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(assessment.answers)) {
    const q = byKey.get(key);
    const problem = q ? checkAnswer(q, value) : 'unknown question';
    if (problem) errors.push({ path: `assessment.answers.${key}`, message: problem });
  }
  for (const q of set.questions) {
    if (q.required && !(q.key in assessment.answers)) {
      errors.push({ path: `assessment.answers.${q.key}`, message: 'an answer is required' });
    }
  }
  if (errors.length) throw validationFailed(errors);
  return { ...assessment, questionSetVersion: set.version };
}

export async function validateAssessment(ctx: Ctx, assessment: Assessment | null): Promise<Assessment | null> {
  return assessment ? checkAssessment(await loadQuestionSets(ctx), assessment) : null;
}

// ---------- intake writes (called by the intake workflow, inside its transaction) ----------

export const findOpenLeadByContact = repo.findOpenLeadByContact;

export interface SubmissionMeta {
  channel: 'public' | 'staff' | 'import';
  clientIp: string | null;
  userAgent: string | null;
}

/**
 * Writes a new lead: the row, its (null → new) event, the raw submission, audit and outbox. The
 * statements are issued together so the driver pipelines them (DESIGN §8: round trips set the pace).
 */
export async function createLead(
  ctx: Ctx,
  input: {
    id: string;
    reference: string;
    personId: string;
    intake: NormalizedIntake;
    meta: SubmissionMeta;
    assignedUserId: string | null;
    note: string | null;
  },
) {
  const { intake: n, meta } = input;
  const now = new Date();
  await pipelined([
    repo.insertLead(ctx, {
      id: input.id,
      reference: input.reference,
      personId: input.personId,
      status: 'new',
      source: n.source,
      sourceDetail: n.sourceDetail,
      service: n.service,
      selectedPath: n.selectedPath,
      name: n.contact.name,
      email: n.contact.email,
      phone: n.contact.phone,
      postcode: n.contact.postcode,
      locale: n.contact.locale,
      address: n.contact.address,
      organizationName: n.contact.organization,
      contactPreferences: n.contactPreferences,
      consent: n.consent,
      assessment: n.assessment,
      recommendation: n.recommendation,
      note: input.note,
      assignedUserId: input.assignedUserId,
      createdByUserId: ctx.actor.userId,
      statusChangedAt: now,
      createdAt: now,
      updatedAt: now,
    }),
    repo.insertStatusEvent(ctx, {
      id: newId(),
      leadId: input.id,
      fromStatus: null,
      toStatus: 'new',
      changedByUserId: ctx.actor.userId,
      changedAt: now,
    }),
    repo.insertSubmission(ctx, {
      id: newId(),
      leadId: input.id,
      channel: meta.channel,
      payload: n.raw,
      clientIp: meta.clientIp,
      userAgent: meta.userAgent,
      receivedAt: now,
    }),
    recordAudit(ctx, {
      action: 'lead.created',
      entityType: 'lead',
      entityId: input.id,
      changedFields: ['contact', 'source', 'service', 'selectedPath', 'consent', 'assessment', 'recommendation'],
    }),
    appendEvent(ctx, {
      type: 'lead.created',
      entityType: 'lead',
      entityId: input.id,
      data: {
        reference: input.reference,
        source: n.source,
        service: n.service,
        selectedPath: n.selectedPath,
        channel: meta.channel,
      },
    }),
  ]);
}

export const newLeadReference = newReference;

/**
 * The leads part of the one-statement public intake (see src/workflows/intake.ts): the open-lead
 * lookup, the new lead with its first status event, the raw submission and the submission count.
 */
export function intakeLeadStatement(
  ctx: StatementCtx,
  names: repo.IntakeCteNames,
  input: { leadId: string; reference: string; intake: NormalizedIntake; meta: SubmissionMeta },
) {
  const { intake: n, meta } = input;
  return repo.intakeLeadCtes(ctx, names, {
    leadId: input.leadId,
    reference: input.reference,
    email: n.contact.email,
    phone: n.contact.phone,
    row: {
      source: n.source,
      sourceDetail: n.sourceDetail,
      service: n.service,
      selectedPath: n.selectedPath,
      name: n.contact.name,
      postcode: n.contact.postcode,
      locale: n.contact.locale,
      address: n.contact.address,
      organizationName: n.contact.organization,
      contactPreferences: n.contactPreferences,
      consent: n.consent,
      assessment: n.assessment,
      recommendation: n.recommendation,
      note: null,
      assignedUserId: null,
      createdByUserId: ctx.actor.userId,
    },
    submission: {
      id: newId(),
      channel: meta.channel,
      payload: n.raw,
      clientIp: meta.clientIp,
      userAgent: meta.userAgent,
    },
    eventId: newId(),
    changedByUserId: ctx.actor.userId,
  });
}

/** A staff-entered lead for a contact that already has an open lead is a 409 naming that lead. */
export function duplicateLead(existingLeadId: string) {
  return conflict('lead.duplicate', 'An open lead with this email or phone exists.', { existingLeadId });
}

// ---------- reads ----------

function scopeOf(ctx: Ctx): SQL | undefined {
  switch (ctx.actor.scope) {
    case 'all':
    case 'team':
      return undefined;
    case 'own':
      return repo.ownScope(ctx.actor.userId);
    case 'installer':
      return repo.noneScope();
  }
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toDetail(l: repo.LeadRow): LeadDetail {
  return {
    id: l.id,
    reference: l.reference,
    personId: l.personId,
    status: l.status,
    source: l.source,
    sourceDetail: l.sourceDetail,
    service: l.service,
    selectedPath: l.selectedPath,
    contact: {
      name: l.name,
      email: l.email,
      phone: l.phone,
      postcode: l.postcode,
      locale: l.locale,
      address: l.address ?? null,
      organization: l.organizationName,
    },
    contactPreferences: l.contactPreferences ?? null,
    consent: l.consent,
    assessment: l.assessment ?? null,
    recommendation: l.recommendation ?? null,
    note: l.note,
    assignedUserId: l.assignedUserId,
    createdByUserId: l.createdByUserId,
    submissionCount: l.submissionCount,
    conversion: l.convertedAt
      ? {
          accountId: l.convertedAccountId,
          projectId: l.convertedProjectId,
          opportunityId: l.convertedOpportunityId,
          convertedAt: l.convertedAt.toISOString(),
        }
      : null,
    erasedAt: iso(l.erasedAt),
    statusChangedAt: l.statusChangedAt.toISOString(),
    version: l.version,
    createdAt: l.createdAt.toISOString(),
    updatedAt: l.updatedAt.toISOString(),
  };
}

/** The lead if it exists in this tenant and the actor's record scope covers it; else 404. */
export async function getLead(ctx: Ctx, id: string): Promise<repo.LeadRow> {
  const lead = await repo.findLeadById(ctx, id, scopeOf(ctx));
  if (!lead) throw notFound('lead.not_found', 'The lead does not exist.');
  return lead;
}

/** For modules that already checked access another way (an installer's own assignment). */
export async function getLeadUnscoped(ctx: Ctx, id: string): Promise<repo.LeadRow> {
  const lead = await repo.findLeadById(ctx, id);
  if (!lead) throw notFound('lead.not_found', 'The lead does not exist.');
  return lead;
}

export async function getLeadDetail(ctx: Ctx, id: string): Promise<LeadDetail> {
  return toDetail(await getLead(ctx, id));
}

export async function listLeads(ctx: Ctx, q: LeadListQuery) {
  if (q.createdAfter && q.createdBefore && q.createdAfter >= q.createdBefore) {
    throw validationFailed([{ path: 'query.createdBefore', message: 'must be after createdAfter' }]);
  }
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'leads', q.cursor)[0] as string) : undefined;
  const found = await repo.listLeads(ctx, q, scopeOf(ctx), q.limit + 1, before);
  const page = toPage(ctx.tenantId, 'leads', found, q.limit, (r) => [r.id]);
  return { data: page.data.map(toDetail), nextCursor: page.nextCursor };
}

export async function listStatusEvents(ctx: Ctx, id: string, q: { limit: number; cursor?: string }) {
  await getLead(ctx, id);
  const after = q.cursor ? (decodeCursor(ctx.tenantId, `lead-events:${id}`, q.cursor)[0] as string) : undefined;
  const found = await repo.listStatusEvents(ctx, id, q.limit + 1, after);
  const page = toPage(ctx.tenantId, `lead-events:${id}`, found, q.limit, (r) => [r.id]);
  return {
    data: page.data.map((e) => ({
      fromStatus: e.fromStatus,
      toStatus: e.toStatus,
      reason: e.reason,
      changedBy: e.changedByUserId,
      changedAt: e.changedAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}

export async function listSubmissions(ctx: Ctx, id: string, q: { limit: number; cursor?: string }) {
  await getLead(ctx, id);
  const after = q.cursor ? (decodeCursor(ctx.tenantId, `lead-submissions:${id}`, q.cursor)[0] as string) : undefined;
  const found = await repo.listSubmissions(ctx, id, q.limit + 1, after);
  const page = toPage(ctx.tenantId, `lead-submissions:${id}`, found, q.limit, (r) => [r.id]);
  return {
    data: page.data.map((s) => ({
      id: s.id,
      channel: s.channel,
      payload: s.payload,
      receivedAt: s.receivedAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}

// ---------- commands ----------

function checkVersion(lead: repo.LeadRow, ifMatch: number | undefined) {
  if (ifMatch !== undefined && ifMatch !== lead.version) throw preconditionFailed();
}

async function applyUpdate(ctx: Ctx, lead: repo.LeadRow, patch: Partial<repo.LeadInsert>) {
  try {
    // In a savepoint: after a unique violation the transaction must stay usable to look up the other lead.
    const updated = await ctx.tx.transaction((sp) =>
      repo.updateLead({ ...ctx, tx: sp as unknown as Tx }, lead.id, lead.version, patch),
    );
    if (!updated) throw preconditionFailed();
    return updated;
  } catch (err) {
    if (isUniqueViolation(err) && /leads_open_(email|phone)_key/.test(dbConstraint(err) ?? '')) {
      const field = /email/.test(dbConstraint(err) ?? '') ? 'email' : 'phone';
      const existing = await repo.findOpenLeadByContact(
        ctx,
        field === 'email' ? (patch.email ?? lead.email) : null,
        field === 'phone' ? (patch.phone ?? lead.phone) : null,
      );
      throw duplicateLead(existing?.id ?? '');
    }
    throw err;
  }
}

export async function patchLead(
  ctx: Ctx,
  id: string,
  ifMatch: number | undefined,
  body: LeadPatch,
  opts: { defaultCountry: string },
) {
  const lead = await getLead(ctx, id);
  checkVersion(lead, ifMatch);
  if (lead.erasedAt) throw conflict('lead.erased', 'An erased lead cannot be edited.');
  const patch: Partial<repo.LeadInsert> = {};
  if (body.contact) {
    const { contact, errors } = normalizeContact(body.contact as IntakeInput['contact'], opts.defaultCountry);
    if (errors.length) throw validationFailed(errors);
    const c = body.contact;
    if (c.name !== undefined || c.firstName !== undefined || c.lastName !== undefined) patch.name = contact.name;
    if (c.email !== undefined) patch.email = contact.email;
    if (c.phone !== undefined) patch.phone = contact.phone;
    if (c.postcode !== undefined) patch.postcode = contact.postcode;
    if (c.locale !== undefined) patch.locale = contact.locale;
    if (c.address !== undefined) patch.address = contact.address;
    if (c.organization !== undefined) patch.organizationName = c.organization;
    const email = patch.email !== undefined ? patch.email : lead.email;
    const phone = patch.phone !== undefined ? patch.phone : lead.phone;
    if (!email && !phone)
      throw validationFailed([{ path: 'contact', message: 'an email or a phone number is required' }]);
  }
  if (body.contactPreferences !== undefined) patch.contactPreferences = body.contactPreferences;
  if (body.note !== undefined) patch.note = body.note;
  if (body.selectedPath !== undefined) patch.selectedPath = body.selectedPath;
  if (body.service !== undefined) patch.service = body.service;
  if (body.assignedUserId !== undefined) patch.assignedUserId = body.assignedUserId;
  const updated = await applyUpdate(ctx, lead, patch);
  const changed = Object.keys(patch);
  await recordAudit(ctx, { action: 'lead.updated', entityType: 'lead', entityId: id, changedFields: changed });
  await appendEvent(ctx, { type: 'lead.updated', entityType: 'lead', entityId: id, data: { changedFields: changed } });
  return toDetail(updated);
}

async function changeStatus(
  ctx: Ctx,
  lead: repo.LeadRow,
  to: LeadStatus,
  reason: string | null,
  extra: Partial<repo.LeadInsert> = {},
) {
  const now = new Date();
  const updated = await applyUpdate(ctx, lead, { status: to, statusChangedAt: now, ...extra });
  await pipelined([
    repo.insertStatusEvent(ctx, {
      id: newId(),
      leadId: lead.id,
      fromStatus: lead.status,
      toStatus: to,
      reason,
      changedByUserId: ctx.actor.userId,
      changedAt: now,
    }),
    recordAudit(ctx, {
      action: 'lead.status_changed',
      entityType: 'lead',
      entityId: lead.id,
      changedFields: ['status', ...Object.keys(extra)],
    }),
    appendEvent(ctx, {
      type: 'lead.status_changed',
      entityType: 'lead',
      entityId: lead.id,
      data: { from: lead.status, to, reason },
    }),
  ]);
  return updated;
}

/** Staff transitions. `matched` comes only from routing and `converted` only from conversion. */
export async function transitionLead(
  ctx: Ctx,
  id: string,
  to: LeadStatus,
  reason: string | undefined,
  ifMatch?: number,
) {
  const lead = await getLead(ctx, id);
  checkVersion(lead, ifMatch);
  if (!canTransition(lead.status, to)) throw invalidTransition(lead.status, to);
  if (to === 'matched') {
    throw invalidTransition(lead.status, to, 'A lead becomes matched only when routing assigns an installer.');
  }
  if (to === 'converted') {
    throw invalidTransition(lead.status, to, 'Convert a lead with POST /api/leads/{id}/convert.');
  }
  if (lead.status === 'lost' && to === 'new' && !reason) {
    throw badRequest('lead.reason_required', 'Reopening a lost lead needs a reason.', [
      { path: 'reason', message: 'required to reopen' },
    ]);
  }
  return toDetail(await changeStatus(ctx, lead, to, reason ?? null));
}

/** Routing: the lead got at least one active installer assignment. */
export async function markMatched(ctx: Ctx, id: string, reason: string | null = null) {
  const lead = await getLead(ctx, id);
  if (lead.status === 'matched') return toDetail(lead);
  if (!canTransition(lead.status, 'matched')) throw invalidTransition(lead.status, 'matched');
  return toDetail(await changeStatus(ctx, lead, 'matched', reason));
}

/** Routing: every assignment ended without a win. */
export async function returnToQualified(ctx: Ctx, id: string, reason: string | null = null) {
  const lead = await getLead(ctx, id);
  if (lead.status !== 'matched') return toDetail(lead);
  return toDetail(await changeStatus(ctx, lead, 'qualified', reason));
}

/**
 * Closes a lead as `disqualified` through the normal transition (status event, audit, outbox), for flows
 * that already checked access and locked the lead (an import's revert). 404 when gone, 409 when the
 * lifecycle does not allow it.
 */
export async function disqualifyLead(ctx: Ctx, id: string, reason: string) {
  const lead = await repo.findLeadById(ctx, id);
  if (!lead) throw notFound('lead.not_found', 'The lead does not exist.');
  if (!canTransition(lead.status, 'disqualified')) throw invalidTransition(lead.status, 'disqualified');
  return toDetail(await changeStatus(ctx, lead, 'disqualified', reason));
}

export async function assignLead(ctx: Ctx, id: string, userId: string) {
  const lead = await getLead(ctx, id);
  const updated = await applyUpdate(ctx, lead, { assignedUserId: userId });
  await recordAudit(ctx, {
    action: 'lead.assigned',
    entityType: 'lead',
    entityId: id,
    changedFields: ['assignedUserId'],
  });
  await appendEvent(ctx, { type: 'lead.assigned', entityType: 'lead', entityId: id, data: { userId } });
  return toDetail(updated);
}

export interface ConversionRefs {
  accountId: string;
  projectId: string | null;
  opportunityId: string | null;
}

/** The sentinel: conversion refs are set once; a second conversion is a 409 carrying the same ids. */
export function alreadyConverted(lead: repo.LeadRow) {
  return conflict('lead.already_converted', 'The lead is already converted.', {
    personId: lead.personId,
    accountId: lead.convertedAccountId,
    projectId: lead.convertedProjectId,
    opportunityId: lead.convertedOpportunityId,
  });
}

export async function getLeadForConversion(ctx: Ctx, id: string) {
  const lead = await repo.findLeadByIdForUpdate(ctx, id, scopeOf(ctx));
  if (!lead) throw notFound('lead.not_found', 'The lead does not exist.');
  if (lead.convertedAt) throw alreadyConverted(lead);
  if (lead.erasedAt) throw conflict('lead.erased', 'An erased lead cannot be converted.');
  if (!canTransition(lead.status, 'converted')) throw invalidTransition(lead.status, 'converted');
  return lead;
}

export async function markConverted(ctx: Ctx, lead: repo.LeadRow, refs: ConversionRefs) {
  const updated = await changeStatus(ctx, lead, 'converted', null, {
    convertedAccountId: refs.accountId,
    convertedProjectId: refs.projectId,
    convertedOpportunityId: refs.opportunityId,
    convertedAt: new Date(),
  });
  await appendEvent(ctx, {
    type: 'lead.converted',
    entityType: 'lead',
    entityId: lead.id,
    data: { personId: lead.personId, ...refs },
  });
  return updated;
}

export const listLeadIdsOfPerson = repo.listLeadIdsOfPerson;
export const countOpenLeadsByAssignee = repo.countOpenLeadsByAssignee;

/** Read-only: the person's leads within the actor's record scope, newest first (at most `limit`). */
export async function listLeadsOfPerson(ctx: Ctx, personId: string, limit = 20): Promise<LeadDetail[]> {
  return (await repo.listLeadsOfPerson(ctx, personId, scopeOf(ctx), limit)).map(toDetail);
}

/** Erase: personal data anonymized in place; history (status events, audit) stays. */
export async function eraseLead(ctx: Ctx, id: string, opts: { bypassScope?: boolean } = {}) {
  const lead = opts.bypassScope ? await repo.findLeadById(ctx, id) : await getLead(ctx, id);
  if (!lead) throw notFound('lead.not_found', 'The lead does not exist.');
  if (lead.erasedAt) return { lead: toDetail(lead), alreadyErased: true };
  const answers = lead.assessment ? { questionSetVersion: lead.assessment.questionSetVersion, answers: {} } : null;
  const updated = await repo.updateLead(ctx, id, lead.version, {
    name: null,
    email: null,
    phone: null,
    postcode: null,
    locale: null,
    address: null,
    organizationName: null,
    note: null,
    contactPreferences: null,
    sourceDetail: null,
    assessment: answers,
    erasedAt: new Date(),
  });
  if (!updated) throw preconditionFailed();
  await repo.anonymizeSubmissions(ctx, id);
  await recordAudit(ctx, {
    action: 'lead.erased',
    entityType: 'lead',
    entityId: id,
    changedFields: [
      'name',
      'email',
      'phone',
      'postcode',
      'address',
      'organization',
      'note',
      'contactPreferences',
      'assessment.answers',
      'submissions',
    ],
  });
  await appendEvent(ctx, { type: 'lead.erased', entityType: 'lead', entityId: id, data: {} });
  return { lead: toDetail(updated), alreadyErased: false };
}

// ---------- question sets ----------

export async function createQuestionSet(
  ctx: Ctx,
  input: { version: string; activate: boolean; questions: Question[] },
) {
  const keys = input.questions.map((q) => q.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw validationFailed([{ path: 'questions', message: `duplicate question key '${dup}'` }]);
  const missingOptions = input.questions.findIndex(
    (q) => (q.type === 'choice' || q.type === 'multi_choice') && !q.options?.length,
  );
  if (missingOptions >= 0)
    throw validationFailed([{ path: `questions.${missingOptions}.options`, message: 'choices need options' }]);
  try {
    await repo.insertQuestionSet(ctx, { version: input.version, questions: input.questions, active: input.activate });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('question_set.version_exists', `Version '${input.version}' exists.`);
    throw err;
  }
  await recordAudit(ctx, {
    action: 'question_set.created',
    entityType: 'question_set',
    entityId: input.version,
    changedFields: ['questions', 'active'],
  });
  return questionSetView((await repo.findQuestionSet(ctx, input.version))!);
}

const questionSetView = (s: repo.QuestionSetRow) => ({
  version: s.version,
  active: s.active,
  questions: s.questions as unknown as Record<string, unknown>[],
  createdAt: s.createdAt.toISOString(),
});

export async function listQuestionSets(ctx: Ctx) {
  return (await repo.listQuestionSets(ctx)).map(questionSetView);
}

export const countRecords = repo.countLeads;

/** Person merge: the person's leads move to the survivor (audited); returns the moved lead ids for undo. */
export async function reassignPersonReferences(ctx: Ctx, fromPersonId: string, toPersonId: string) {
  const leadIds = await repo.movePersonLeads(ctx, fromPersonId, toPersonId);
  if (leadIds.length) {
    await recordAudit(ctx, {
      action: 'person.leads_reassigned',
      entityType: 'person',
      entityId: fromPersonId,
      changedFields: ['personId'],
    });
  }
  return { leads: leadIds };
}

/** Undo of reassignPersonReferences: exactly the moved leads go back to the merged person. */
export async function restorePersonReferences(
  ctx: Ctx,
  fromPersonId: string,
  toPersonId: string,
  moved: { leads: string[] },
) {
  await repo.moveLeadsBack(ctx, moved.leads, toPersonId, fromPersonId);
  if (moved.leads.length) {
    await recordAudit(ctx, {
      action: 'person.leads_restored',
      entityType: 'person',
      entityId: fromPersonId,
      changedFields: ['personId'],
    });
  }
}
