import { z } from 'zod';
import * as followUps from '../modules/follow-ups/index.ts';
import * as leads from '../modules/leads/index.ts';
import * as routing from '../modules/routing/index.ts';
import type { Ctx } from '../platform/context.ts';

export const leadDossierSchema = leads.leadDetail.extend({
  assignments: z.array(routing.assignmentWithEvents),
  followUps: z.array(followUps.followUp),
});

/** Lead detail for staff (seed 000 scenario 2): the lead, its assignments and follow-ups, each from its owner. */
export async function leadDossier(ctx: Ctx, leadId: string) {
  const lead = await leads.getLeadDetail(ctx, leadId);
  const [assignments, followUpList] = [
    await routing.assignmentsForLead(ctx, leadId),
    await followUps.followUpsForLead(ctx, leadId),
  ];
  return { ...lead, assignments, followUps: followUpList };
}

/**
 * An assignment as its installer sees it: the offer and, once accepted, the homeowner's contact
 * (an offer alone reveals only what is needed to decide: service, area, recommendation).
 */
export async function assignmentDossier(ctx: Ctx, assignmentId: string) {
  const a = await routing.getAssignment(ctx, assignmentId);
  const view = (await routing.assignmentsForLead(ctx, a.leadId)).find((x) => x.id === a.id)!;
  const lead = await leads.getLeadUnscoped(ctx, a.leadId);
  const revealed = !['offered', 'declined', 'expired'].includes(a.status);
  return {
    ...view,
    lead: {
      reference: lead.reference,
      service: lead.service,
      postcode: lead.postcode,
      selectedPath: lead.selectedPath,
      recommendation: lead.recommendation ?? null,
      contact: revealed
        ? { name: lead.name, email: lead.email, phone: lead.phone, address: lead.address ?? null }
        : null,
    },
  };
}
