import * as crm from '../modules/crm/index.ts';
import * as leads from '../modules/leads/index.ts';
import type { Ctx } from '../platform/context.ts';
import { AppError, conflict, type FieldError, validationFailed } from '../platform/errors.ts';
import { assignLead } from './lead-assignment.ts';

/**
 * Leads entering a campaign, in one transaction: the campaign's assignment lock first (so concurrent
 * requests for one campaign decide one after another), the leads checked through the leads module,
 * a member chosen per lead by the crm module (decision and reason stored), then each lead's owner set
 * through the lead-assignment workflow (its open tasks follow the owner).
 */
export async function assignCampaignLeads(ctx: Ctx, campaignId: string, input: { leadIds: string[]; userId?: string }) {
  const campaign = await crm.lockCampaignForAssignment(ctx, campaignId);
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  const found: leads.LeadDetail[] = [];
  for (const [i, id] of input.leadIds.entries()) {
    if (seen.has(id)) errors.push({ path: `leadIds.${i}`, message: 'listed twice' });
    seen.add(id);
    try {
      found.push(await leads.getLeadDetail(ctx, id));
    } catch (err) {
      if (!(err instanceof AppError && err.status === 404)) throw err;
      errors.push({ path: `leadIds.${i}`, message: 'no such lead' });
    }
  }
  if (errors.length) throw validationFailed(errors);
  const closed = found.filter((l) => !(leads.OPEN_STATUSES as readonly string[]).includes(l.status));
  if (closed.length) {
    throw conflict('campaign.lead_not_open', 'Only open leads can enter a campaign.', {
      leadIds: closed.map((l) => l.id),
    });
  }
  const openLeads =
    campaign.strategy === 'effort_based'
      ? await leads.countOpenLeadsByAssignee(
          ctx,
          campaign.members.map((m) => m.userId),
        )
      : undefined;
  const decisions = await crm.decideCampaignAssignments(ctx, campaign, {
    leads: found.map((l) => ({ id: l.id, assignedUserId: l.assignedUserId })),
    userId: input.userId,
    openLeads,
  });
  for (const d of decisions) await assignLead(ctx, d.leadId, d.userId);
  return { assignments: decisions };
}
