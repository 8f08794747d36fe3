import * as crm from '../modules/crm/index.ts';
import * as identity from '../modules/identity/index.ts';
import { DEFAULT_SELECTED_PATH, type LeadValues, leadAddressOf, leadPatchOf } from '../modules/imports/index.ts';
import * as leads from '../modules/leads/index.ts';
import * as routing from '../modules/routing/index.ts';
import type { Ctx } from '../platform/context.ts';
import { pipelined } from '../platform/db.ts';
import { type Applied, type KindWriter, revertConflict, updateOutcomes } from './import-kind-writer.ts';
import { writeNewLead } from './intake.ts';

/** The reason on the status event of a lead closed by the revert of the batch that created it. */
export const REVERT_REASON = 'import reverted';

/** A row as the intake the lead module creates leads from (no consent is asserted by a file). */
function intakeOf(v: LeadValues, row: { batchId: string; rowNumber: number }): leads.NormalizedIntake {
  const address = leadAddressOf(v as unknown as Record<string, unknown>);
  return {
    contact: {
      name: v.fullName,
      firstName: v.firstName,
      lastName: v.lastName,
      email: v.email,
      phone: v.phone,
      postcode: v.postcode,
      locale: null,
      address,
      organization: null,
    },
    source: v.source,
    sourceDetail: v.sourceDetail,
    service: v.service,
    selectedPath: v.selectedPath ?? DEFAULT_SELECTED_PATH,
    contactPreferences: null,
    consent: { terms: false },
    assessment: null,
    recommendation: null,
    // The submission evidence: which batch and row the lead came from, and the row's values.
    raw: { importBatchId: row.batchId, rowNumber: row.rowNumber, values: v },
  };
}

/** Routing has touched the lead (a decision or an assignment): a revert must not close it behind routing's back. */
async function routed(ctx: Ctx, leadId: string) {
  const [decisions, assignments] = await Promise.all([
    routing.listDecisions(ctx, leadId),
    routing.assignmentsForLead(ctx, leadId),
  ]);
  return decisions.length > 0 || assignments.length > 0;
}

/**
 * Leads: created like a staff-entered lead (person matched or created, first status event, raw submission
 * with channel `import`, contact_lead task) — never routed — and open leads patched through the leads
 * module. Revert never deletes: created leads are closed as `disqualified` (their open tasks cancelled),
 * updated ones restored.
 */
export const leadsImport: KindWriter = {
  noun: 'leads',
  async commit(ctx, rows, source) {
    const creates = rows.filter((r) => r.action === 'create');
    const updates = rows.filter((r) => r.action === 'update' && r.diff);
    const settings = await identity.getTenantSettings(ctx);
    const existing = new Set(
      await leads.existingLeadIds(
        ctx,
        creates.map((r) => r.target_id),
      ),
    );
    const applied: Applied[] = [];
    for (const r of creates) {
      const v = r.data as unknown as LeadValues;
      if (existing.has(r.target_id)) {
        applied.push({
          n: r.row_number,
          applied_version: null,
          prior: null,
          note: 'not created: the id exists already',
        });
        continue;
      }
      // One open lead per email and phone: a lead opened since the proposal keeps the contact.
      const [open, personMatch] = await pipelined([
        leads.findOpenLeadByContact(ctx, v.email, v.phone),
        crm.findPersonMatch(ctx, v.email, v.phone),
      ]);
      if (open) {
        applied.push({
          n: r.row_number,
          applied_version: null,
          prior: null,
          note: `not created: open lead ${open.reference} holds this email or phone now`,
        });
        continue;
      }
      const made = await writeNewLead(ctx, {
        leadId: r.target_id,
        intake: intakeOf(v, { batchId: source.batchId, rowNumber: r.row_number }),
        meta: { channel: 'import', clientIp: null, userAgent: null },
        personMatch,
        assignedUserId: null,
        note: v.note,
        settings,
      });
      applied.push({
        n: r.row_number,
        applied_version: 1,
        prior: { personId: made.personId, personCreated: made.personCreated },
        note: null,
      });
    }
    const patched = new Map(
      (
        await leads.patchLeadsFromImport(
          ctx,
          updates.map((r) => ({ id: r.target_id, patch: leadPatchOf(r.diff!) })),
          source,
        )
      ).map((r) => [r.id, r]),
    );
    applied.push(...updateOutcomes(updates, patched, 'not applied: the lead is no longer open'));
    return applied;
  },
  async revert(ctx, rows, source) {
    const expected = rows.map((r) => ({
      id: r.target_id,
      version: r.applied_version ?? 1,
      created: r.action === 'create',
    }));
    const changed = await leads.lockImportedLeads(ctx, expected);
    const changedIds = new Set(changed.map((c) => c.id));
    for (const r of rows) {
      if (!changedIds.has(r.target_id) && (await routed(ctx, r.target_id))) {
        changed.push({ id: r.target_id, version: r.applied_version });
        changedIds.add(r.target_id);
      }
    }
    if (changed.length) throw revertConflict('leads', changed);
    const created = rows.filter((r) => r.action === 'create');
    for (const r of created) await leads.disqualifyLead(ctx, r.target_id, REVERT_REASON);
    const tasksCancelled = await crm.cancelOpenTasksOfLeads(
      ctx,
      created.map((r) => r.target_id),
      REVERT_REASON,
    );
    const restores = rows
      .filter((r) => r.action !== 'create' && r.prior)
      .map((r) => ({ id: r.target_id, prior: r.prior! }));
    await leads.restoreImportedLeads(ctx, { restores, batchId: source.batchId });
    // People created for the leads stay: the disqualified leads still reference them.
    const peopleKept = created.filter((r) => r.prior?.personCreated === true).length;
    return { removed: 0, restored: restores.length, disqualified: created.length, tasksCancelled, peopleKept };
  },
};
