import * as crm from '../modules/crm/index.ts';
import * as workflow from '../modules/workflow/index.ts';
import type { Ctx } from '../platform/context.ts';
import { decodeCursor, encodeCursor } from '../platform/pagination.ts';

/** Reminders due within this window (and every overdue one) are in the inbox. */
const DUE_WINDOW_MS = 24 * 3600_000;

/**
 * The operator inbox (seed 003 §11): unresolved proposals (high-risk merges as their own kind) from
 * workflow and the caller's due and overdue reminders from crm, one list newest first, keyset on (at, id).
 */
export async function operatorInbox(ctx: Ctx, q: { limit: number; cursor?: string }) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'inbox', q.cursor) as [string, string]) : undefined;
  const key = before ? { at: before[0], id: before[1] } : undefined;
  const userId = ctx.actor.userId;
  // Proposals are shown to those who may propose or approve them; reminders to everyone with crm:read.
  const seesProposals = ['workflow:propose', 'workflow:approve'].some((c) => ctx.actor.capabilities.has(c));
  const [proposals, tasks] = await Promise.all([
    seesProposals ? workflow.listUnresolvedProposals(ctx, q.limit + 1, key) : Promise.resolve([]),
    userId
      ? crm.dueRemindersOf(
          ctx,
          userId,
          new Date(Date.now() + DUE_WINDOW_MS),
          q.limit + 1,
          key ? { dueAt: key.at, id: key.id } : undefined,
        )
      : Promise.resolve([]),
  ]);
  const items: workflow.InboxItem[] = [
    ...proposals.map((p) => ({
      kind: p.operation === 'merge' && p.riskLevel === 'high' ? ('high_risk_merge' as const) : ('proposal' as const),
      id: p.id,
      at: p.createdAt,
      title: `${p.operation} ${p.targetDomain} ${p.targetEntityType} (${p.status.replace('_', ' ')})`,
      proposal: p,
    })),
    ...tasks.map((t) => ({
      kind: 'reminder' as const,
      id: t.id,
      at: t.dueAt,
      title: t.title,
      task: {
        id: t.id,
        type: t.type,
        title: t.title,
        status: t.status,
        dueAt: t.dueAt,
        overdue: t.overdue,
        personId: t.personId,
        leadId: t.leadId,
      },
    })),
  ].sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1));
  const data = items.slice(0, q.limit);
  const last = data[data.length - 1];
  const nextCursor = items.length > q.limit && last ? encodeCursor(ctx.tenantId, 'inbox', [last.at, last.id]) : null;
  return { data, nextCursor };
}
