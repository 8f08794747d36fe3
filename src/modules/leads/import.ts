import type { Ctx } from '../../platform/context.ts';
import { recordAudit } from '../identity/index.ts';
import type { Address } from './contracts.ts';
import * as repo from './import-repository.ts';

/**
 * Bulk commands for imports of leads (the imports workflow writes leads only through these and through
 * createLead / disqualifyLead), each a few set-based statements over a chunk in the caller's transaction.
 */

export interface MatchedLead {
  ref: number;
  signal: 'email' | 'phone';
  lead: {
    id: string;
    personId: string;
    status: string;
    version: number;
    name: string | null;
    email: string | null;
    phone: string | null;
    postcode: string | null;
    address: Address | null;
    sourceDetail: string | null;
    service: string | null;
    selectedPath: string;
    note: string | null;
    assignedUserId: string | null;
  };
}

/** Open leads of the tenant holding each key's email or E.164 phone (one match per signal and lead). */
export async function matchOpenLeadsForImport(
  ctx: Ctx,
  keys: { ref: number; email: string | null; phone: string | null }[],
): Promise<MatchedLead[]> {
  return (await repo.matchOpenLeads(ctx, keys)).map((r) => ({
    ref: Number(r.ref),
    signal: r.signal,
    lead: {
      id: r.id,
      personId: r.person_id,
      status: r.status,
      version: Number(r.version),
      name: r.name,
      email: r.email,
      phone: r.phone,
      postcode: r.postcode,
      address: r.address,
      sourceDetail: r.source_detail,
      service: r.service,
      selectedPath: r.selected_path,
      note: r.note,
      assignedUserId: r.assigned_user_id,
    },
  }));
}

export const existingLeadIds = repo.existingLeadIds;

/**
 * Patch keys: name, postcode, sourceDetail, service, selectedPath, note (set), address (merged in). Only
 * leads still open are patched; returned are each one's new version and its values before.
 */
export async function patchLeadsFromImport(
  ctx: Ctx,
  patches: { id: string; patch: Record<string, unknown> }[],
  source: { batchId: string },
) {
  const done = await repo.patchOpenLeads(ctx, patches);
  if (done.length) {
    await recordAudit(ctx, {
      action: 'lead.import_updated',
      entityType: 'import_batch',
      entityId: source.batchId,
      changedFields: [...new Set(patches.flatMap((p) => Object.keys(p.patch)))],
    });
  }
  return done.map((r) => ({ id: r.id, version: Number(r.version), prior: r.prior }));
}

/**
 * Locks the leads an import wrote; returned are those changed since: gone, at another version, or (created
 * by the batch) no longer `new`, assigned to a user, or submitted again.
 */
export async function lockImportedLeads(ctx: Ctx, expected: { id: string; version: number; created: boolean }[]) {
  return repo.lockLeadsAtVersions(ctx, expected);
}

/** Undo of an import's updates: the leads get their values before the batch back. */
export async function restoreImportedLeads(
  ctx: Ctx,
  input: { restores: { id: string; prior: Record<string, unknown> }[]; batchId: string },
) {
  await repo.restoreLeads(ctx, input.restores);
  if (input.restores.length) {
    await recordAudit(ctx, {
      action: 'lead.import_reverted',
      entityType: 'import_batch',
      entityId: input.batchId,
      changedFields: ['leads'],
    });
  }
}
