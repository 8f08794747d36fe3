import type { Ctx } from '../../../platform/context.ts';
import { recordAudit } from '../../identity/index.ts';
import * as repo from './import-repository.ts';

/**
 * Bulk commands for imports (the imports workflow writes people only through these). Each call takes
 * a whole chunk and is a handful of set-based statements in the caller's transaction.
 */

export type ImportMatchKey = repo.MatchKey;

export interface MatchedPerson {
  ref: number;
  signal: 'email' | 'phone' | 'name_postcode';
  person: {
    id: string;
    fullName: string | null;
    firstName: string | null;
    lastName: string | null;
    email: string | null;
    phone: string | null;
    postcode: string | null;
    address: Record<string, unknown> | null;
    personaLabels: string[];
    version: number;
  };
}

/** Existing people matching each key by email, phone (any of the person's phones) or name + postcode. */
export async function matchPeopleForImport(ctx: Ctx, keys: ImportMatchKey[]): Promise<MatchedPerson[]> {
  const found = await repo.matchPeople(ctx, keys);
  return found.map((r) => ({
    ref: Number(r.ref),
    signal: r.signal,
    person: {
      id: r.id,
      fullName: r.full_name,
      firstName: r.first_name,
      lastName: r.last_name,
      email: r.email,
      phone: r.phone,
      postcode: r.postcode,
      address: r.address,
      personaLabels: r.persona_labels ?? [],
      version: Number(r.version),
    },
  }));
}

export interface ImportedPerson {
  id: string;
  fullName: string | null;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  postcode: string | null;
  address: Record<string, unknown> | null;
  personaLabels: string[];
}

/**
 * Creates people with pre-assigned ids (email and phone already normalized) plus their primary
 * contact-point rows. Returns the ids inserted: an id that exists already or an email taken meanwhile is skipped.
 */
export async function importPeople(ctx: Ctx, people: ImportedPerson[], source: { batchId: string }) {
  const inserted = await repo.insertPeople(
    ctx,
    people.map((p) => ({
      id: p.id,
      full_name: p.fullName,
      first_name: p.firstName,
      last_name: p.lastName,
      email: p.email,
      phone: p.phone,
      postcode: p.postcode,
      address: p.address,
      persona_labels: p.personaLabels,
    })),
    ctx.actor.userId,
  );
  if (inserted.length) {
    // One audit row per chunk: per-person rows would double the write volume of a million-row import.
    await recordAudit(ctx, {
      action: 'person.imported',
      entityType: 'import_batch',
      entityId: source.batchId,
      changedFields: ['people.created'],
    });
  }
  return inserted.map((r) => ({ id: r.id, version: Number(r.version) }));
}

export type PersonImportPatch = repo.PatchRow;

/** Applies import patches (one per person); returns the values before and the new version of each person changed. */
export async function patchPeopleFromImport(ctx: Ctx, patches: PersonImportPatch[], source: { batchId: string }) {
  const done = await repo.patchPeople(ctx, patches);
  if (done.length) {
    await recordAudit(ctx, {
      action: 'person.import_updated',
      entityType: 'import_batch',
      entityId: source.batchId,
      changedFields: [...new Set(patches.flatMap((p) => Object.keys(p.patch)))],
    });
  }
  return done.map((r) => ({ id: r.id, version: Number(r.version), prior: r.prior }));
}

/** Locks the people; those changed since (version differs) or gone are returned. */
export async function lockPeopleAtVersions(ctx: Ctx, expected: { id: string; version: number }[]) {
  return repo.lockPeopleAtVersions(ctx, expected);
}

/** Undo of an import: created people removed, updated ones given their prior values back. */
export async function revertImportedPeople(
  ctx: Ctx,
  input: { deleteIds: string[]; restores: { id: string; prior: Record<string, unknown> }[]; batchId: string },
) {
  await repo.deletePeople(ctx, input.deleteIds);
  await repo.restorePeople(ctx, input.restores);
  await recordAudit(ctx, {
    action: 'person.import_reverted',
    entityType: 'import_batch',
    entityId: input.batchId,
    changedFields: ['people'],
  });
}
