import { z } from 'zod';
import * as crm from '../modules/crm/index.ts';
import * as interactions from '../modules/interactions/index.ts';
import * as leads from '../modules/leads/index.ts';
import * as workflow from '../modules/workflow/index.ts';
import type { Ctx } from '../platform/context.ts';
import { conflict, validationFailed } from '../platform/errors.ts';

/**
 * Person merge as a governed change. The proposal targets the person merged away (it becomes a
 * tombstone); its patch names the survivor, the survivor's base version and, per field, whose value
 * survives. Execution writes through crm, leads and interactions in the caller's one transaction.
 */

export const mergePatch = z.strictObject({
  intoPersonId: z.uuid(),
  intoBaseVersion: z.number().int().min(1),
  fields: z.partialRecord(z.enum(crm.MERGE_FIELDS), z.enum(['source', 'target'])).default({}),
});
export type MergePatch = z.infer<typeof mergePatch>;

export interface MergeResult extends Record<string, unknown> {
  mergedPersonId: string;
  survivorId: string;
  survivorVersion: number;
  tombstoneVersion: number;
  takenFromMerged: string[];
  absorbed: crm.AbsorbedFields;
  moved: {
    crm: crm.MovedCrmReferences;
    leads: { leads: string[] };
    interactions: { interactions: string[]; scoreTypes: string[] };
  };
}

/** Validates a merge patch for a proposal; returns the fields the merge touches (for the policy). */
export async function validateMergeProposal(ctx: Ctx, personId: string, patch: unknown) {
  const parsed = mergePatch.safeParse(patch);
  if (!parsed.success) {
    throw validationFailed(
      parsed.error.issues.map((i) => ({ path: ['patch', ...i.path.map(String)].join('.'), message: i.message })),
    );
  }
  if (parsed.data.intoPersonId === personId) {
    throw validationFailed([{ path: 'patch.intoPersonId', message: 'a person cannot be merged into themselves' }]);
  }
  await crm.requireVisiblePeople(ctx, [{ path: 'patch.intoPersonId', id: parsed.data.intoPersonId }]);
  return { patch: parsed.data, fields: Object.keys(parsed.data.fields) };
}

/** `POST /api/crm/contacts/{id}/merge`: a merge proposal (high risk; it always waits for approval). */
export async function proposePersonMerge(
  ctx: Ctx,
  personId: string,
  input: { intoPersonId: string; fields?: Record<string, 'source' | 'target'> },
) {
  const from = await crm.getContact(ctx, personId);
  if (input.intoPersonId === personId) {
    throw validationFailed([{ path: 'intoPersonId', message: 'a person cannot be merged into themselves' }]);
  }
  const unknownFields = Object.keys(input.fields ?? {}).filter(
    (f) => !(crm.MERGE_FIELDS as readonly string[]).includes(f),
  );
  if (unknownFields.length) {
    throw validationFailed(unknownFields.map((f) => ({ path: `fields.${f}`, message: 'not a mergeable field' })));
  }
  await crm.requireVisiblePeople(ctx, [{ path: 'intoPersonId', id: input.intoPersonId }]);
  const into = await crm.getContact(ctx, input.intoPersonId);
  const patch: MergePatch = { intoPersonId: into.id, intoBaseVersion: into.version, fields: input.fields ?? {} };
  const proposal = await workflow.createProposal(ctx, {
    source: 'user',
    targetDomain: 'crm',
    targetEntityType: 'person',
    targetEntityRef: from.id,
    operation: 'merge',
    patch,
    baseVersion: from.version,
    fields: Object.keys(patch.fields),
  });
  return { proposalId: proposal.id };
}

const staleBase = (detail: string, extra: Record<string, unknown>) => conflict('workflow.stale_base', detail, extra);

/** Executes an approved merge proposal; refuses with workflow.stale_base when either person changed since. */
export async function executePersonMerge(ctx: Ctx, p: workflow.ProposalRow): Promise<MergeResult> {
  const patch = mergePatch.parse(p.patch);
  const fromId = p.targetEntityRef;
  const { from, into } = await crm.lockPeopleForMerge(ctx, fromId, patch.intoPersonId);
  if (from.mergedIntoId || into.mergedIntoId || from.erased || into.erased) {
    throw staleBase('One of the people was merged or erased since the proposal was made.', {
      mergedIntoId: from.mergedIntoId ?? into.mergedIntoId,
    });
  }
  if (from.version !== p.baseVersion || into.version !== patch.intoBaseVersion) {
    throw staleBase('A person changed since the proposal was made.', {
      baseVersion: p.baseVersion,
      currentVersion: from.version,
      intoBaseVersion: patch.intoBaseVersion,
      intoCurrentVersion: into.version,
    });
  }
  const take = (Object.entries(patch.fields) as [crm.MergeField, string][])
    .filter(([, winner]) => winner === 'source')
    .map(([f]) => f);
  const absorbed = await crm.absorbPerson(ctx, fromId, into.id, take);
  const movedCrm = await crm.reassignPersonReferences(ctx, fromId, into.id);
  const movedLeads = await leads.reassignPersonReferences(ctx, fromId, into.id);
  const movedInteractions = await interactions.reassignPersonReferences(ctx, fromId, into.id);
  const tomb = await crm.markPersonMerged(ctx, fromId, into.id);
  return {
    mergedPersonId: fromId,
    survivorId: into.id,
    survivorVersion: absorbed.version,
    tombstoneVersion: tomb.version,
    takenFromMerged: take,
    absorbed: absorbed.absorbed,
    moved: { crm: movedCrm, leads: movedLeads, interactions: movedInteractions },
  };
}

/** Undo of an executed merge, while neither person changed since: everything moved goes back exactly. */
export async function undoPersonMerge(ctx: Ctx, p: workflow.ProposalRow) {
  const r = p.executionResult as MergeResult & { erased?: boolean };
  if (r.erased) throw conflict('workflow.not_undoable', 'A person of this merge was erased; it cannot be undone.');
  const { from, into } = await crm.lockPeopleForMerge(ctx, r.mergedPersonId, r.survivorId);
  if (
    from.mergedIntoId !== r.survivorId ||
    from.version !== r.tombstoneVersion ||
    into.version !== r.survivorVersion ||
    into.mergedIntoId
  ) {
    throw conflict('workflow.undo_stale', 'A person changed since the merge; it can no longer be undone.', {
      survivorVersion: r.survivorVersion,
      survivorCurrentVersion: into.version,
    });
  }
  await interactions.restorePersonReferences(ctx, r.mergedPersonId, r.survivorId, r.moved.interactions);
  await leads.restorePersonReferences(ctx, r.mergedPersonId, r.survivorId, r.moved.leads);
  await crm.restorePersonReferences(ctx, r.mergedPersonId, r.survivorId, r.moved.crm);
  const survivor = await crm.revertAbsorbedPerson(ctx, r.survivorId, r.absorbed);
  const restored = await crm.unmarkPersonMerged(ctx, r.mergedPersonId);
  return { survivorVersion: survivor.version, restoredVersion: restored.version };
}
