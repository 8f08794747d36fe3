import * as crm from '../modules/crm/index.ts';
import * as imports from '../modules/imports/index.ts';
import * as interactions from '../modules/interactions/index.ts';
import * as leads from '../modules/leads/index.ts';
import * as workflow from '../modules/workflow/index.ts';
import type { Ctx } from '../platform/context.ts';
import { forgetStoredResponsesMentioning } from '../platform/idempotency.ts';

/**
 * Erase a data subject (DESIGN §3): the lead, every other lead of the same person, the person, what
 * conversion derived from them, and stored idempotent responses that echoed them. History stays;
 * no copy of the erased values is left in the database.
 */
export async function eraseLead(ctx: Ctx, leadId: string) {
  const { lead } = await leads.eraseLead(ctx, leadId);
  const siblings = (await leads.listLeadIdsOfPerson(ctx, lead.personId)).filter((id) => id !== leadId);
  for (const id of siblings) await leads.eraseLead(ctx, id, { bypassScope: true });
  const held = await crm.erasePerson(ctx, lead.personId, [leadId, ...siblings]);
  await interactions.eraseInteractionsOfPerson(ctx, lead.personId);
  await workflow.eraseFromProposals(ctx, lead.personId);
  await imports.eraseFromImportRows(ctx, lead.personId, held);
  for (const needle of [lead.personId, leadId, ...siblings]) {
    await forgetStoredResponsesMentioning(ctx.tx, ctx.tenantId, needle);
  }
  return leads.getLeadDetail(ctx, leadId);
}
