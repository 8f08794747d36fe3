import type { Ctx } from '../../../platform/context.ts';
import {
  conflict,
  type FieldError,
  isUniqueViolation,
  notFound,
  preconditionFailed,
  validationFailed,
} from '../../../platform/errors.ts';
import { newId } from '../../../platform/ids.ts';
import { decodeCursor, toPage } from '../../../platform/pagination.ts';
import { appendEvent } from '../../events/index.ts';
import { recordAudit, userExists } from '../../identity/index.ts';
import { checkingReferences, type ReferencePaths } from '../deals/references.ts';
import type { CampaignInput, CampaignListQuery, CampaignPatch, CampaignView } from './contracts.ts';
import * as repo from './repository.ts';

type Strategy = repo.CampaignRow['strategy'];
const RECENT_DAYS = 7;
const MEMBER_REFS: ReferencePaths = [[/^campaign_members_user_fk/, 'members']];

const notFoundCampaign = () => notFound('campaign.not_found', 'The campaign does not exist.');
const recentSince = (now: Date) => new Date(now.getTime() - RECENT_DAYS * 24 * 3600_000);

async function campaignViews(ctx: Ctx, found: repo.CampaignRow[]): Promise<CampaignView[]> {
  const ids = found.map((c) => c.id);
  const [members, counts] = await Promise.all([
    repo.listMembers(ctx, ids),
    repo.assignmentCounts(ctx, ids, recentSince(new Date())),
  ]);
  const countOf = new Map(counts.map((c) => [`${c.campaign_id}:${c.user_id}`, c.total]));
  return found.map((c) => ({
    id: c.id,
    name: c.name,
    strategy: c.strategy,
    active: c.active,
    members: members
      .filter((m) => m.campaignId === c.id)
      .map((m) => ({
        userId: m.userId,
        weight: m.weight,
        active: m.active,
        assignedCount: countOf.get(`${c.id}:${m.userId}`) ?? 0,
      })),
    version: c.version,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  }));
}

export async function getCampaign(ctx: Ctx, id: string): Promise<CampaignView> {
  const c = await repo.findCampaignById(ctx, id);
  if (!c) throw notFoundCampaign();
  return (await campaignViews(ctx, [c]))[0];
}

export async function listCampaigns(ctx: Ctx, q: CampaignListQuery) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'campaigns', q.cursor)[0] as string) : undefined;
  const active = q.active === undefined ? undefined : q.active === 'true';
  const found = await repo.listCampaigns(ctx, { active }, q.limit + 1, before);
  const page = toPage(ctx.tenantId, 'campaigns', found, q.limit, (r) => [r.id]);
  return { data: await campaignViews(ctx, page.data), nextCursor: page.nextCursor };
}

/** Members must be distinct, active users of this tenant; a bad one is a 400 naming its index. */
async function checkMembers(ctx: Ctx, members: { userId: string }[], known = new Set<string>()) {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const [i, m] of members.entries()) {
    const path = `members.${i}.userId`;
    if (seen.has(m.userId)) errors.push({ path, message: 'listed twice' });
    seen.add(m.userId);
    if (!known.has(m.userId) && !(await userExists(ctx, m.userId))) {
      errors.push({ path, message: 'no active user with this id' });
    }
  }
  if (errors.length) throw validationFailed(errors);
}

export async function createCampaign(ctx: Ctx, input: CampaignInput): Promise<CampaignView> {
  await checkMembers(ctx, input.members);
  const id = newId();
  await repo.insertCampaign(ctx, { id, name: input.name, strategy: input.strategy, active: input.active });
  await checkingReferences(MEMBER_REFS, () => repo.insertMembers(ctx, id, input.members));
  await recordAudit(ctx, {
    action: 'campaign.created',
    entityType: 'campaign',
    entityId: id,
    changedFields: ['name', 'strategy', 'active', 'members'],
  });
  await appendEvent(ctx, {
    type: 'campaign.created',
    entityType: 'campaign',
    entityId: id,
    data: { strategy: input.strategy, members: input.members.map((m) => m.userId) },
  });
  return getCampaign(ctx, id);
}

/** Rename, change strategy, (de)activate; members are added or changed (weight, active), never removed. */
export async function updateCampaign(
  ctx: Ctx,
  id: string,
  ifMatch: number | undefined,
  body: CampaignPatch,
): Promise<CampaignView> {
  const c = await repo.findCampaignById(ctx, id, true);
  if (!c) throw notFoundCampaign();
  if (ifMatch !== undefined && ifMatch !== c.version) throw preconditionFailed();
  const { members, ...patch } = body;
  if (members) {
    const existing = new Map((await repo.listMembers(ctx, [id])).map((m) => [m.userId, m]));
    await checkMembers(ctx, members, new Set(existing.keys()));
    const added = members.filter((m) => !existing.has(m.userId));
    await checkingReferences(MEMBER_REFS, () =>
      repo.insertMembers(
        ctx,
        id,
        added.map((m) => ({ userId: m.userId, weight: m.weight ?? 1, active: m.active ?? true })),
      ),
    );
    for (const m of members.filter((x) => existing.has(x.userId))) {
      const change = {
        ...(m.weight !== undefined ? { weight: m.weight } : {}),
        ...(m.active !== undefined ? { active: m.active } : {}),
      };
      if (Object.keys(change).length) await repo.updateMember(ctx, id, m.userId, change);
    }
  }
  const updated = await repo.updateCampaign(ctx, id, c.version, patch);
  if (!updated) throw preconditionFailed();
  const changed = Object.keys(body);
  await recordAudit(ctx, { action: 'campaign.updated', entityType: 'campaign', entityId: id, changedFields: changed });
  await appendEvent(ctx, {
    type: 'campaign.updated',
    entityType: 'campaign',
    entityId: id,
    data: { changedFields: changed },
  });
  return (await campaignViews(ctx, [updated]))[0];
}

// ---------- assignment (the campaign-assignment workflow) ----------

export interface CampaignForAssignment {
  id: string;
  strategy: Strategy;
  members: repo.MemberRow[];
}

/**
 * Takes the campaign's assignment lock (held to the end of the transaction) and loads it: every
 * count read after this and every choice written is serialized per campaign.
 */
export async function lockCampaignForAssignment(ctx: Ctx, id: string): Promise<CampaignForAssignment> {
  if (!(await repo.findCampaignById(ctx, id))) throw notFoundCampaign();
  await repo.lockCampaign(ctx, id);
  const c = (await repo.findCampaignById(ctx, id))!;
  if (!c.active) throw conflict('campaign.inactive', 'The campaign is not active.');
  return { id: c.id, strategy: c.strategy, members: await repo.listMembers(ctx, [id]) };
}

export interface LeadToAssign {
  id: string;
  /** The lead's owner now: an effort-based choice moves that open lead off their load. */
  assignedUserId: string | null;
}

export interface CampaignDecision {
  leadId: string;
  userId: string;
  strategy: Strategy;
  reason: string;
}

interface Candidate {
  userId: string;
  weight: number;
  total: number;
  recent: number;
  open: number;
}

/** Orders a/wa against b/wb without division (weights are positive integers). */
const comparePerWeight = (a: number, wa: number, b: number, wb: number) => a * wb - b * wa;

function pick(strategy: Strategy, candidates: Candidate[]): { c: Candidate; reason: string } {
  const byUser = (a: Candidate, b: Candidate) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);
  if (strategy === 'round_robin') {
    const c = [...candidates].sort((a, b) => comparePerWeight(a.total, a.weight, b.total, b.weight) || byUser(a, b))[0];
    return {
      c,
      reason: `round_robin: lowest assignments per weight in this campaign (${c.total} assigned, weight ${c.weight})`,
    };
  }
  const c = [...candidates].sort(
    (a, b) =>
      comparePerWeight(a.open, a.weight, b.open, b.weight) ||
      comparePerWeight(a.recent, a.weight, b.recent, b.weight) ||
      byUser(a, b),
  )[0];
  return {
    c,
    reason: `effort_based: fewest open leads per weight (${c.open} open, weight ${c.weight}; ${c.recent} assigned by this campaign in ${RECENT_DAYS} days)`,
  };
}

const alreadyAssigned = (leadIds: string[]) =>
  conflict('campaign.lead_already_assigned', 'A lead enters a campaign once; nothing was assigned.', { leadIds });

/**
 * Chooses a member for each lead by the campaign's strategy and stores every decision with its reason;
 * call with the campaign lock held (lockCampaignForAssignment). The batch is all or nothing: a lead
 * already in the campaign is a 409 naming it. `openLeads` (effort_based) counts each member's open leads.
 */
export async function decideCampaignAssignments(
  ctx: Ctx,
  campaign: CampaignForAssignment,
  input: { leads: LeadToAssign[]; userId?: string; openLeads?: Map<string, number> },
): Promise<CampaignDecision[]> {
  const leadIds = input.leads.map((l) => l.id);
  const taken = await repo.findAssignedLeadIds(ctx, campaign.id, leadIds);
  if (taken.length) throw alreadyAssigned(taken);
  const decisions: CampaignDecision[] = [];
  if (campaign.strategy === 'manual') {
    if (!input.userId) throw validationFailed([{ path: 'userId', message: 'required for a manual campaign' }]);
    const member = campaign.members.find((m) => m.userId === input.userId && m.active);
    if (!member || !(await userExists(ctx, member.userId))) {
      throw validationFailed([{ path: 'userId', message: 'not an active member of this campaign' }]);
    }
    for (const lead of input.leads) {
      decisions.push({ leadId: lead.id, userId: member.userId, strategy: 'manual', reason: 'manual: chosen by staff' });
    }
  } else {
    if (input.userId) throw validationFailed([{ path: 'userId', message: 'only for manual campaigns' }]);
    const candidates: Candidate[] = [];
    const stats = await repo.assignmentCounts(ctx, [campaign.id], recentSince(new Date()));
    for (const m of campaign.members) {
      if (!m.active || m.weight <= 0 || !(await userExists(ctx, m.userId))) continue;
      const s = stats.find((x) => x.user_id === m.userId);
      candidates.push({
        userId: m.userId,
        weight: m.weight,
        total: s?.total ?? 0,
        recent: s?.recent ?? 0,
        open: input.openLeads?.get(m.userId) ?? 0,
      });
    }
    if (!candidates.length) {
      throw conflict('campaign.no_eligible_members', 'The campaign has no active member with a weight above 0.');
    }
    for (const lead of input.leads) {
      const { c, reason } = pick(campaign.strategy, candidates);
      decisions.push({ leadId: lead.id, userId: c.userId, strategy: campaign.strategy, reason });
      c.total++;
      c.recent++;
      // The lead moves from its current owner's load to the chosen member's.
      if (lead.assignedUserId !== c.userId) {
        c.open++;
        const previous = candidates.find((x) => x.userId === lead.assignedUserId);
        if (previous) previous.open--;
      }
    }
  }
  try {
    await repo.insertAssignments(
      ctx,
      decisions.map((d) => ({ id: newId(), campaignId: campaign.id, ...d })),
    );
  } catch (err) {
    // The lock makes this unreachable for one campaign; the unique index stays the guarantee.
    if (isUniqueViolation(err)) throw alreadyAssigned(leadIds);
    throw err;
  }
  for (const d of decisions) {
    await Promise.all([
      recordAudit(ctx, {
        action: 'campaign.lead_assigned',
        entityType: 'campaign',
        entityId: campaign.id,
        changedFields: ['assignments'],
      }),
      appendEvent(ctx, {
        type: 'campaign.lead_assigned',
        entityType: 'campaign',
        entityId: campaign.id,
        data: { leadId: d.leadId, userId: d.userId, strategy: d.strategy },
      }),
    ]);
  }
  return decisions;
}
