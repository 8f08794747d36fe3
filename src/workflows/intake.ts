import { sql } from 'drizzle-orm';
import * as crm from '../modules/crm/index.ts';
import * as events from '../modules/events/index.ts';
import * as identity from '../modules/identity/index.ts';
import * as leads from '../modules/leads/index.ts';
import type { Actor, Ctx, StatementCtx } from '../platform/context.ts';
import { type Database, pipelined, retryOnUniqueViolation } from '../platform/db.ts';
import { validationFailed } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { routeInOwnTransaction } from './lead-routing.ts';

export interface IntakeRequest {
  tenantId: string;
  actor: Actor;
  requestId: string;
  input: leads.IntakeInput;
  meta: leads.SubmissionMeta;
  /** The tenant's settings when the caller has them already (public intake caches them). */
  settings?: identity.TenantSettings;
  /** The tenant's question sets when the caller has them cached (public intake). */
  questionSets?: leads.QuestionSetCatalog;
  /** Staff-entered leads: an open lead for the contact is a 409, not an attached submission. */
  staff?: { assignedUserId: string | null; note: string | null };
}

export interface IntakeResult {
  leadId: string;
  reference: string;
  created: boolean;
}

/**
 * Intake in one transaction (DESIGN §4): normalize → match or create the person → attach to the open
 * lead or create one → status event, raw submission, contact_lead task, outbox, audit. Concurrent
 * submissions for one contact race on the partial unique index; the loser retries and attaches.
 */
export async function submitLead(db: Database, req: IntakeRequest): Promise<IntakeResult> {
  if (!req.staff) return submitPublicLead(db, req);
  const staff = req.staff;
  return retryOnUniqueViolation(() =>
    db.tenantTx(req.tenantId, async (tx) => {
      const ctx: Ctx = { tenantId: req.tenantId, actor: req.actor, requestId: req.requestId, tx };
      const settings = req.settings ?? (await identity.getTenantSettings(ctx));
      const intake = leads.normalizeIntake(req.input, settings.defaultCountry);
      const { email, phone } = intake.contact;
      // Lookups issued together: the driver pipelines them into one round trip.
      const [assessment, open, personMatch, assigneeOk] = await pipelined([
        leads.validateAssessment(ctx, intake.assessment),
        leads.findOpenLeadByContact(ctx, email, phone),
        crm.findPersonMatch(ctx, email, phone),
        staff.assignedUserId ? identity.userExists(ctx, staff.assignedUserId) : true,
      ]);
      if (!assigneeOk) throw validationFailed([{ path: 'assignedUserId', message: 'no active user with this id' }]);
      intake.assessment = assessment;

      if (open) throw leads.duplicateLead(open.id);

      const leadId = newId();
      const { reference } = await writeNewLead(ctx, {
        leadId,
        intake,
        meta: req.meta,
        personMatch,
        assignedUserId: staff.assignedUserId ?? null,
        note: staff.note ?? null,
        settings,
      });
      return { leadId, reference, created: true };
    }),
  );
}

/**
 * A new lead for a contact without an open lead (staff intake, imports): the matched person or a new one,
 * the lead with its (null → new) event and raw submission, the contact_lead task due within the SLA.
 * The writes are issued together so the driver pipelines them.
 */
export async function writeNewLead(
  ctx: Ctx,
  input: {
    leadId: string;
    intake: leads.NormalizedIntake;
    meta: leads.SubmissionMeta;
    personMatch: string | undefined;
    assignedUserId: string | null;
    note: string | null;
    settings: identity.TenantSettings;
  },
) {
  const { leadId, intake, personMatch } = input;
  const reference = leads.newLeadReference();
  const personId = personMatch ?? newId();
  const dueAt = new Date(Date.now() + input.settings.firstContactSlaMinutes * 60_000);
  await pipelined([
    personMatch ? undefined : crm.createPersonFromContact(ctx, personId, personContact(intake)),
    leads.createLead(ctx, {
      id: leadId,
      reference,
      personId,
      intake,
      meta: input.meta,
      assignedUserId: input.assignedUserId,
      note: input.note,
    }),
    crm.createContactLeadTask(ctx, { leadId, personId, reference, assigneeUserId: input.assignedUserId, dueAt }),
  ]);
  return { reference, personId, personCreated: !personMatch };
}

/** The CRM person an intake describes. */
const personContact = (intake: leads.NormalizedIntake): crm.PersonContact => ({
  fullName: intake.contact.name,
  firstName: intake.contact.firstName,
  lastName: intake.contact.lastName,
  email: intake.contact.email,
  phone: intake.contact.phone,
  postcode: intake.contact.postcode,
  locale: intake.contact.locale,
  address: intake.contact.address,
  consent: intake.consent as Record<string, unknown>,
});

const NO_QUESTION_SETS: leads.QuestionSetCatalog = { active: null, byVersion: new Map() };

/** Public intake: validated up front, then written by one statement that is its own transaction. */
async function submitPublicLead(db: Database, req: IntakeRequest): Promise<IntakeResult> {
  const base = { tenantId: req.tenantId, actor: req.actor, requestId: req.requestId };
  const settings =
    req.settings ?? (await db.tenantTx(req.tenantId, (tx) => identity.getTenantSettings({ ...base, tx })));
  const intake = leads.normalizeIntake(req.input, settings.defaultCountry);
  if (intake.assessment) {
    const catalog =
      req.questionSets ?? (await db.tenantTx(req.tenantId, (tx) => leads.loadQuestionSets({ ...base, tx })));
    intake.assessment = leads.checkAssessment(catalog ?? NO_QUESTION_SETS, intake.assessment);
  }
  return retryOnUniqueViolation(async () => {
    const [row] = await db.statementTx<IntakeResult>(
      req.tenantId,
      publicIntakeStatement(base, intake, req.meta, settings),
    );
    if (!row) throw new Error('intake statement returned no lead');
    return row;
  });
}

const NAMES = { openLead: 'open_lead', person: 'person', newLead: 'new_lead', lead: 'lead' };
const CREATED = sql`exists (select 1 from new_lead)`;

/**
 * Public intake as ONE statement (DESIGN §8: round trips, not SQL, set the pace): each module
 * contributes the CTEs for its own tables; this workflow only puts them in order. Attach to the
 * open lead, or create person (unless matched), lead, first event, task; always the raw submission,
 * one audit row and one outbox event. A concurrent twin loses on the partial unique index and retries.
 */
function publicIntakeStatement(
  ctx: StatementCtx,
  intake: leads.NormalizedIntake,
  meta: leads.SubmissionMeta,
  settings: identity.TenantSettings,
) {
  const reference = leads.newLeadReference();
  const parts = leads.intakeLeadStatement(ctx, NAMES, { leadId: newId(), reference, intake, meta });
  const person = crm.intakePersonStatement(ctx, NAMES, newId(), personContact(intake));
  const task = crm.intakeTaskStatement(ctx, NAMES, {
    reference,
    dueAt: new Date(Date.now() + settings.firstContactSlaMinutes * 60_000),
    assigneeUserId: null,
  });
  const audit = identity.auditCte(ctx, 'intake_audit', {
    action: sql`case when ${CREATED} then 'lead.created' else 'lead.submission_attached' end`,
    entityType: 'lead',
    entityId: sql`(select id::text from lead)`,
    changedFields: sql`case when ${CREATED}
      then array['contact', 'source', 'service', 'selectedPath', 'consent', 'assessment', 'recommendation']
      else array['submissions'] end`,
  });
  const event = events.outboxCte(ctx, 'intake_event', {
    type: sql`case when ${CREATED} then 'lead.created' else 'lead.submission_received' end`,
    entityType: 'lead',
    entityId: sql`(select id from lead)`,
    data: sql`jsonb_build_object('reference', (select reference from lead), 'source', ${intake.source}::text,
      'service', ${intake.service}::text, 'selectedPath', ${intake.selectedPath}::text, 'channel', ${meta.channel}::text)`,
  });
  return sql`with ${sql.join([...parts.before, ...person, ...parts.after, task, audit, event], sql`, `)}
    select id as "leadId", reference, created from lead`;
}

/**
 * Routing at intake (tenant setting) for a public submission that created a lead, after the intake
 * committed: a failure never loses the lead — it is logged and the lead waits for staff.
 */
export async function routeAfterIntake(
  db: Database,
  req: IntakeRequest & { settings: identity.TenantSettings },
  result: IntakeResult,
  log: { info(obj: object, msg: string): void },
) {
  if (!result.created || !req.settings.routeAtIntake || req.input.selectedPath === 'undecided') return;
  await routeInOwnTransaction(db, req.tenantId, result.leadId, req.requestId).catch((err) =>
    log.info({ err, leadId: result.leadId }, 'routing at intake did not assign the lead'),
  );
}
