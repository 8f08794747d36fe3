import * as followUps from '../modules/follow-ups/index.ts';
import * as identity from '../modules/identity/index.ts';
import * as leads from '../modules/leads/index.ts';
import * as routing from '../modules/routing/index.ts';
import { type Ctx, systemActor } from '../platform/context.ts';
import type { Database } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { enqueue } from '../platform/jobs.ts';
import { asSystem, routeLead } from './lead-routing.ts';

const ENDED_WITHOUT_WIN = new Set(['declined', 'expired', 'lost']);

/**
 * One assignment step and its consequences, in one transaction: install confirmation starts the
 * follow-up (and only it does); a declined or expired offer may go to the next candidate; when every
 * assignment ended without a win the lead returns to `qualified`.
 */
export async function actOnAssignment(
  ctx: Ctx,
  id: string,
  action: routing.AssignmentAction,
  input: routing.ActionInput = {},
) {
  const a = await routing.applyAction(ctx, id, action, input);
  const settings = await identity.getTenantSettings(ctx);
  const sys = asSystem(ctx);
  if (action === 'confirm-install') {
    await followUps.scheduleAfterInstall(sys, {
      leadId: a.leadId,
      assignmentId: a.id,
      installerId: a.installerId,
      installedAt: new Date(a.installedAt ?? Date.now()),
      delayDays: settings.followUpDelayDays,
    });
  }
  if ((action === 'decline' || action === 'expire') && settings.rerouteOnDecline) {
    try {
      await routeLead(sys, a.leadId, { mode: 'recommended' }, 'reroute');
    } catch (err) {
      // Nobody left to offer it to (the decision is recorded) or the lead moved on: not the caller's error.
      if (!(err instanceof AppError)) throw err;
    }
  }
  if (ENDED_WITHOUT_WIN.has(a.status) && (await routing.allEndedWithoutWin(sys, a.leadId))) {
    await leads.returnToQualified(sys, a.leadId, 'every installer assignment ended without a win');
  }
  return a;
}

/** The expiry job: an offer still unanswered at its deadline expires (and may be re-routed). */
export async function expireOffer(db: Database, tenantId: string, assignmentId: string) {
  await db.tenantTx(tenantId, async (tx) => {
    const ctx: Ctx = { tenantId, tx, actor: { ...systemActor(), userId: null }, requestId: `job:${assignmentId}` };
    const a = await routing.getAssignment(ctx, assignmentId).catch(() => undefined);
    if (a?.status !== 'offered') return;
    if (a.expiresAt.getTime() > Date.now()) {
      // Early by clock skew, or the SLA moved: try again at the deadline.
      await enqueue(
        tx,
        'assignment-expiry',
        { tenantId, assignmentId },
        { startAfter: new Date(a.expiresAt.getTime() + 1000) },
      );
      return;
    }
    await actOnAssignment(ctx, assignmentId, 'expire', { note: 'response SLA passed' });
  });
}
