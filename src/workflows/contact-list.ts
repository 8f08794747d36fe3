import * as crm from '../modules/crm/index.ts';
import * as interactions from '../modules/interactions/index.ts';
import type { Ctx } from '../platform/context.ts';

/**
 * The contact list with its summaries (seed 003 §11): one page of people from crm (with their open
 * opportunity counts in the same statement), then one batched read from interactions for the whole
 * page — a fixed number of statements whatever the page size.
 */
export async function listContactsWithSummaries(ctx: Ctx, q: Parameters<typeof crm.listContacts>[1]) {
  const page = await crm.listContacts(ctx, q);
  const summaries = await interactions.summaryForPeople(
    ctx,
    page.data.map((p) => p.id),
  );
  return {
    data: page.data.map((p) => {
      const s = summaries.get(p.id);
      return { ...p, lastActivityAt: s?.lastInteractionAt ?? null, scores: s?.scores ?? {} };
    }),
    nextCursor: page.nextCursor,
  };
}
