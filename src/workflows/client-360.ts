import { z } from 'zod';
import * as crm from '../modules/crm/index.ts';
import * as interactions from '../modules/interactions/index.ts';
import * as leads from '../modules/leads/index.ts';
import * as routing from '../modules/routing/index.ts';
import type { Ctx } from '../platform/context.ts';
import { isoDateTime } from '../platform/http-schemas.ts';

/** Every list in the dossier is bounded: the most recent N, with totals in `counts`. */
export const CLIENT_360_LIMIT = 20;

const stageRef = { pipelineId: z.uuid(), stage: z.string(), stageName: z.string().nullable() };

export const client360Schema = z.object({
  person: crm.contact,
  accounts: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      type: z.string(),
      parentAccountId: z.uuid().nullable(),
      primaryContactId: z.uuid().nullable(),
      role: z.string(),
      isBillingContact: z.boolean(),
    }),
  ),
  relationships: z.array(
    z.object({
      id: z.uuid(),
      kind: z.string(),
      direction: z.enum(['outgoing', 'incoming']),
      fromPersonId: z.uuid(),
      toPersonId: z.uuid(),
      otherPerson: z.object({ id: z.uuid(), fullName: z.string().nullable() }),
      createdAt: isoDateTime,
    }),
  ),
  leads: z
    .array(
      z.object({
        id: z.uuid(),
        reference: z.string(),
        status: leads.leadStatus,
        source: leads.leadSource,
        service: z.string().nullable(),
        selectedPath: z.string(),
        assignedUserId: z.uuid().nullable(),
        statusChangedAt: isoDateTime,
        createdAt: isoDateTime,
        routing: z.object({
          state: z
            .enum(['not_routed', 'active', 'ended'])
            .describe('active: an assignment is live or won; ended: every assignment ended without a win'),
          assignments: z.array(
            z.object({
              id: z.uuid(),
              installerId: z.uuid(),
              status: z.string(),
              offeredAt: isoDateTime,
              expiresAt: isoDateTime,
              updatedAt: isoDateTime,
            }),
          ),
        }),
      }),
    )
    .describe('empty without the capability leads:read'),
  opportunities: z.array(
    z.object({
      id: z.uuid(),
      name: z.string().nullable(),
      accountId: z.uuid().nullable(),
      leadId: z.uuid().nullable(),
      ...stageRef,
      status: z.enum(['open', 'won', 'lost']),
      value: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
      probability: z.number().int().nullable(),
      expectedCloseDate: z.string().nullable(),
      ownerUserId: z.uuid().nullable(),
      updatedAt: isoDateTime,
    }),
  ),
  projects: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      type: z.string(),
      accountId: z.uuid(),
      ...stageRef,
      status: z.enum(['open', 'won', 'lost']),
      primaryContactId: z.uuid().nullable(),
      updatedAt: isoDateTime,
    }),
  ),
  tasks: z
    .array(
      z.object({
        id: z.uuid(),
        type: z.string(),
        title: z.string(),
        status: z.string(),
        dueAt: isoDateTime,
        assigneeUserId: z.uuid().nullable(),
        leadId: z.uuid().nullable(),
        opportunityId: z.uuid().nullable(),
        projectId: z.uuid().nullable(),
      }),
    )
    .describe('open tasks, soonest due first'),
  interactions: z.array(interactions.interaction).describe('the latest, newest first'),
  scores: z.array(
    z.object({ scoreType: z.string(), value: z.number(), computedAt: isoDateTime, evidenceRefs: z.array(z.string()) }),
  ),
  counts: z.object({
    opportunities: z.number().int(),
    openOpportunities: z.number().int(),
    openTasks: z.number().int(),
    interactions: z.number().int(),
  }),
});
export type Client360 = z.infer<typeof client360Schema>;

const ACTIVE = new Set<string>(routing.ACTIVE_STATUSES);

/** A lead with its routing state, each read through its owner (leads, then routing). */
async function leadsWithRouting(ctx: Ctx, personId: string) {
  // Leads are the leads module's records: a caller without leads:read sees none, as on /api/leads.
  if (!ctx.actor.capabilities.has('leads:read')) return [];
  const list = await leads.listLeadsOfPerson(ctx, personId, CLIENT_360_LIMIT);
  return Promise.all(
    list.map(async (l) => {
      const assignments = await routing.assignmentsForLead(ctx, l.id);
      const state = !assignments.length
        ? ('not_routed' as const)
        : assignments.some((a) => ACTIVE.has(a.status))
          ? ('active' as const)
          : ('ended' as const);
      return {
        id: l.id,
        reference: l.reference,
        status: l.status,
        source: l.source,
        service: l.service,
        selectedPath: l.selectedPath,
        assignedUserId: l.assignedUserId,
        statusChangedAt: l.statusChangedAt,
        createdAt: l.createdAt,
        routing: {
          state,
          assignments: assignments.map((a) => ({
            id: a.id,
            installerId: a.installerId,
            status: a.status,
            offeredAt: a.offeredAt,
            expiresAt: a.expiresAt,
            updatedAt: a.updatedAt,
          })),
        },
      };
    }),
  );
}

/**
 * The client 360 (seed 003 §7): a read model derived on every request, never stored. The person is
 * read (and access checked) first; every other part comes from its owning module, in parallel, as
 * bounded lists plus counts, so the cost does not grow with the person's history.
 */
export async function client360(ctx: Ctx, personId: string): Promise<Client360> {
  const person = await crm.getContact(ctx, personId);
  const [records, leadList, timeline, scores] = await Promise.all([
    crm.personRecords(ctx, person, CLIENT_360_LIMIT),
    leadsWithRouting(ctx, personId),
    interactions.recentTimeline(ctx, personId, CLIENT_360_LIMIT),
    interactions.currentScores(ctx, personId),
  ]);
  return {
    person,
    accounts: records.accounts,
    relationships: records.relationships,
    leads: leadList,
    opportunities: records.opportunities,
    projects: records.projects,
    tasks: records.tasks,
    interactions: timeline.items,
    scores,
    counts: { ...records.counts, interactions: timeline.total },
  };
}
