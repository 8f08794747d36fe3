import type { Ctx } from '../../../platform/context.ts';
import { conflict, notFound } from '../../../platform/errors.ts';
import { appendEvent } from '../../events/index.ts';
import { recordAudit } from '../../identity/index.ts';
import * as mergeRepo from './merge-repository.ts';
import * as repo from './repository.ts';
import { peopleScope } from './service.ts';

/** Person merges, crm side: the survivor takes chosen fields, references move, the merged person stays as a tombstone. */

export type { MovedCrmReferences } from './merge-repository.ts';

export const MERGE_FIELDS = [
  'fullName',
  'firstName',
  'lastName',
  'email',
  'phone',
  'address',
  'locale',
  'linkedinUrl',
  'personaLabels',
  'consent',
  'sourceConfidence',
] as const;
export type MergeField = (typeof MERGE_FIELDS)[number];

export interface PersonMergeState {
  id: string;
  version: number;
  mergedIntoId: string | null;
  erased: boolean;
}

const stateOf = (p: mergeRepo.PersonRow): PersonMergeState => ({
  id: p.id,
  version: p.version,
  mergedIntoId: p.mergedIntoId,
  erased: p.erasedAt !== null,
});

/** The person's version and tombstone state (tombstones included); undefined when not in this tenant. */
export async function personMergeState(ctx: Ctx, id: string): Promise<PersonMergeState | undefined> {
  const p = await mergeRepo.findPersonIncludingTombstone(ctx, id);
  return p ? stateOf(p) : undefined;
}

/** Locks both people for a merge: each must exist in the actor's scope, not be erased or merged already. */
export async function lockPeopleForMerge(ctx: Ctx, fromId: string, intoId: string) {
  const locked = await mergeRepo.lockPeople(ctx, [fromId, intoId]);
  const visible = await repo.existingPersonIds(ctx, [fromId, intoId], peopleScope(ctx));
  const find = (id: string) => {
    const p = locked.find((r) => r.id === id);
    if (!p || (!visible.has(id) && !p.mergedIntoId)) throw notFound('person.not_found', 'The person does not exist.');
    return stateOf(p);
  };
  return { from: find(fromId), into: find(intoId) };
}

/** What absorbing the merged person changed on the survivor: enough to put it back exactly. */
export interface AbsorbedFields {
  before: Partial<Record<MergeField | 'postcode', unknown>>;
  previousPrimaryEmail: string | null;
  previousPrimaryPhone: string | null;
  addedEmails: string[];
  addedPhones: string[];
}

/**
 * The survivor takes the merged person's value for each field in `take` (a null there never replaces a
 * survivor's email or phone) and every email and phone it lacks, as a non-primary point.
 */
export async function absorbPerson(ctx: Ctx, fromId: string, intoId: string, take: MergeField[]) {
  const [from, into] = await Promise.all([
    mergeRepo.findPersonIncludingTombstone(ctx, fromId),
    mergeRepo.findPersonIncludingTombstone(ctx, intoId),
  ]);
  if (!from || !into) throw notFound('person.not_found', 'The person does not exist.');
  const before: AbsorbedFields['before'] = {};
  const patch: Record<string, unknown> = {};
  for (const f of take) {
    if ((f === 'email' || f === 'phone') && from[f] === null) continue;
    before[f] = into[f];
    patch[f] = from[f];
    if (f === 'address') {
      before.postcode = into.postcode;
      patch.postcode = from.postcode;
    }
  }
  const added = { email: [] as string[], phone: [] as string[] };
  for (const kind of ['email', 'phone'] as const) {
    const [mine, theirs] = await Promise.all([
      mergeRepo.pointsOf(ctx, kind, intoId),
      mergeRepo.pointsOf(ctx, kind, fromId),
    ]);
    const missing = theirs.filter((p) => !mine.some((m) => m.value === p.value));
    await mergeRepo.addPoints(ctx, kind, intoId, missing);
    added[kind] = missing.map((p) => p.value);
    if (kind in patch) await mergeRepo.setOnlyPrimary(ctx, kind, intoId, patch[kind] as string);
  }
  const saved = await mergeRepo.setPersonColumns(ctx, intoId, patch);
  const changedFields = Object.keys(patch);
  await recordAudit(ctx, { action: 'person.merge_absorbed', entityType: 'person', entityId: intoId, changedFields });
  await appendEvent(ctx, { type: 'person.updated', entityType: 'person', entityId: intoId, data: { changedFields } });
  const absorbed: AbsorbedFields = {
    before,
    previousPrimaryEmail: into.email,
    previousPrimaryPhone: into.phone,
    addedEmails: added.email,
    addedPhones: added.phone,
  };
  return { absorbed, version: saved.version };
}

/** Undo of absorbPerson: the survivor's values, primary points and point lists as they were. */
export async function revertAbsorbedPerson(ctx: Ctx, intoId: string, absorbed: AbsorbedFields) {
  await mergeRepo.removePoints(ctx, 'email', intoId, absorbed.addedEmails);
  await mergeRepo.removePoints(ctx, 'phone', intoId, absorbed.addedPhones);
  await mergeRepo.setOnlyPrimary(ctx, 'email', intoId, absorbed.previousPrimaryEmail);
  await mergeRepo.setOnlyPrimary(ctx, 'phone', intoId, absorbed.previousPrimaryPhone);
  const saved = await mergeRepo.setPersonColumns(ctx, intoId, absorbed.before as Record<string, never>);
  const changedFields = Object.keys(absorbed.before);
  await recordAudit(ctx, { action: 'person.merge_reverted', entityType: 'person', entityId: intoId, changedFields });
  await appendEvent(ctx, { type: 'person.updated', entityType: 'person', entityId: intoId, data: { changedFields } });
  return { version: saved.version };
}

/** The merged person becomes a tombstone pointing at the survivor (hidden from lists, 404 `person.merged` on read). */
export async function markPersonMerged(ctx: Ctx, fromId: string, intoId: string) {
  const saved = await mergeRepo.setPersonColumns(ctx, fromId, { mergedIntoId: intoId, mergedAt: new Date() });
  await recordAudit(ctx, {
    action: 'person.merged',
    entityType: 'person',
    entityId: fromId,
    changedFields: ['mergedIntoId', 'mergedAt'],
  });
  await appendEvent(ctx, {
    type: 'person.merged',
    entityType: 'person',
    entityId: fromId,
    data: { intoPersonId: intoId },
  });
  return { version: saved.version };
}

export async function unmarkPersonMerged(ctx: Ctx, fromId: string) {
  const state = await personMergeState(ctx, fromId);
  if (!state?.mergedIntoId) throw conflict('person.not_merged', 'The person is not merged.');
  const saved = await mergeRepo.clearMergedFlag(ctx, fromId);
  await recordAudit(ctx, {
    action: 'person.unmerged',
    entityType: 'person',
    entityId: fromId,
    changedFields: ['mergedIntoId', 'mergedAt'],
  });
  await appendEvent(ctx, { type: 'person.unmerged', entityType: 'person', entityId: fromId, data: {} });
  return { version: saved.version };
}

/** Moves every crm reference (memberships, opportunities, projects, tasks, relationships, interests) to another person. */
export async function reassignPersonReferences(ctx: Ctx, fromId: string, toId: string) {
  const moved = await mergeRepo.moveCrmReferences(ctx, fromId, toId);
  await recordAudit(ctx, {
    action: 'person.references_reassigned',
    entityType: 'person',
    entityId: fromId,
    changedFields: Object.entries(moved)
      .filter(([, v]) => v.length > 0)
      .map(([k]) => k),
  });
  return moved;
}

export async function restorePersonReferences(
  ctx: Ctx,
  fromId: string,
  toId: string,
  moved: mergeRepo.MovedCrmReferences,
) {
  await mergeRepo.restoreCrmReferences(ctx, fromId, toId, moved);
  await recordAudit(ctx, {
    action: 'person.references_restored',
    entityType: 'person',
    entityId: fromId,
    changedFields: Object.entries(moved)
      .filter(([, v]) => v.length > 0)
      .map(([k]) => k),
  });
}
