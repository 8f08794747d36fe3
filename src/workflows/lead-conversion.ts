import * as crm from '../modules/crm/index.ts';
import * as identity from '../modules/identity/index.ts';
import * as leads from '../modules/leads/index.ts';
import type { Ctx } from '../platform/context.ts';

/**
 * Conversion in one transaction (DESIGN §4): person (exists) → account (household, or the named
 * organization) → project in the default delivery pipeline (or an opportunity, per tenant setting)
 * → lead `converted` with the refs set once. The lead row is locked first, so a concurrent second
 * conversion waits and then gets 409 lead.already_converted with the same ids.
 */
export async function convertLead(ctx: Ctx, leadId: string) {
  const lead = await leads.getLeadForConversion(ctx, leadId);
  const settings = await identity.getTenantSettings(ctx);
  const person = await crm.getPerson(ctx, lead.personId);
  const account = await crm.createCustomerAccount(ctx, {
    personId: lead.personId,
    organizationName: lead.organizationName,
    lastName: person?.lastName ?? null,
    sourceLeadId: lead.id,
    billingAddress: lead.address ?? null,
  });
  const products = lead.recommendation?.products ?? [];
  const sizeKw = products.reduce((sum, p) => sum + (p.sizeKw ?? 0), 0) || null;
  let projectId: string | null = null;
  let opportunityId: string | null = null;
  if (settings.conversionTarget === 'opportunity') {
    opportunityId = (
      await crm.createOpportunityFromLead(ctx, {
        accountId: account.id,
        personId: lead.personId,
        leadId: lead.id,
        reference: lead.reference,
        value: lead.recommendation?.estimatedCost ?? null,
      })
    ).id;
  } else {
    projectId = (
      await crm.createProjectFromLead(ctx, {
        accountId: account.id,
        personId: lead.personId,
        leadId: lead.id,
        reference: lead.reference,
        service: lead.service,
        siteAddress: lead.address ?? null,
        systemSizeKw: sizeKw,
      })
    ).id;
  }
  await leads.markConverted(ctx, lead, { accountId: account.id, projectId, opportunityId });
  return { personId: lead.personId, accountId: account.id, projectId, opportunityId };
}
