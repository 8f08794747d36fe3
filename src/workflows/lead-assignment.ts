import * as crm from '../modules/crm/index.ts';
import * as identity from '../modules/identity/index.ts';
import * as leads from '../modules/leads/index.ts';
import type { Ctx } from '../platform/context.ts';
import { validationFailed } from '../platform/errors.ts';

/** Sets the owning staff user; the lead's open tasks follow the owner. */
export async function assignLead(ctx: Ctx, leadId: string, userId: string) {
  // The lead first: another tenant's (or an out-of-scope) lead is a 404 whatever the user id.
  await leads.getLead(ctx, leadId);
  if (!(await identity.userExists(ctx, userId))) {
    throw validationFailed([{ path: 'userId', message: 'no active user with this id' }]);
  }
  const lead = await leads.assignLead(ctx, leadId, userId);
  await crm.reassignOpenTasksOfLead(ctx, leadId, userId);
  return lead;
}

/**
 * PATCH of a lead. A change of owner is checked like /assign (an unknown or another tenant's user is a
 * 400, not a foreign-key failure) and the open tasks follow the new owner.
 */
export async function patchLead(
  ctx: Ctx,
  leadId: string,
  ifMatch: number | undefined,
  body: leads.LeadPatch,
  opts: { defaultCountry: string },
) {
  const owner = body.assignedUserId;
  if (owner) {
    await leads.getLead(ctx, leadId);
    if (!(await identity.userExists(ctx, owner))) {
      throw validationFailed([{ path: 'assignedUserId', message: 'no active user with this id' }]);
    }
  }
  const lead = await leads.patchLead(ctx, leadId, ifMatch, body, opts);
  if (owner !== undefined) await crm.reassignOpenTasksOfLead(ctx, leadId, owner);
  return lead;
}
