import * as crm from '../modules/crm/index.ts';
import type { ProposalCreateInput } from '../modules/workflow/index.ts';
import * as workflow from '../modules/workflow/index.ts';
import type { Ctx } from '../platform/context.ts';
import { conflict, validationFailed } from '../platform/errors.ts';
import { executePersonMerge, undoPersonMerge, validateMergeProposal } from './person-merge.ts';

/**
 * Governed changes across modules: the workflow module owns proposals; this file checks a proposal's
 * target and patch with the owning module, and applies or undoes it through that module's commands,
 * in the request's one transaction.
 */

interface TargetHandler {
  /** Checks the target and the patch; returns the fields the change touches. */
  validate(ctx: Ctx, ref: string, patch: Record<string, unknown>): Promise<string[]>;
  execute(ctx: Ctx, p: workflow.ProposalRow): Promise<Record<string, unknown>>;
  undo?(ctx: Ctx, p: workflow.ProposalRow): Promise<Record<string, unknown>>;
}

const personUpdate: TargetHandler = {
  async validate(ctx, ref, patch) {
    await crm.requireVisiblePeople(ctx, [{ path: 'targetEntityRef', id: ref }]);
    const parsed = crm.contactPatchBody.safeParse(patch);
    if (!parsed.success) {
      throw validationFailed(
        parsed.error.issues.map((i) => ({ path: ['patch', ...i.path.map(String)].join('.'), message: i.message })),
      );
    }
    return Object.keys(parsed.data);
  },
  async execute(ctx, p) {
    const state = await crm.personMergeState(ctx, p.targetEntityRef);
    if (!state || state.mergedIntoId || state.version !== p.baseVersion) {
      throw conflict('workflow.stale_base', 'The target changed since the proposal was made.', {
        baseVersion: p.baseVersion,
        currentVersion: state?.version ?? null,
        ...(state?.mergedIntoId ? { mergedIntoId: state.mergedIntoId } : {}),
      });
    }
    const person = await crm.patchContact(ctx, p.targetEntityRef, p.baseVersion, crm.contactPatchBody.parse(p.patch));
    return { personId: person.id, version: person.version, changedFields: Object.keys(p.patch) };
  },
};

const personMerge: TargetHandler = {
  async validate(ctx, ref, patch) {
    await crm.requireVisiblePeople(ctx, [{ path: 'targetEntityRef', id: ref }]);
    return (await validateMergeProposal(ctx, ref, patch)).fields;
  },
  execute: executePersonMerge,
  undo: undoPersonMerge,
};

const HANDLERS: Record<string, TargetHandler> = {
  'crm:person:update': personUpdate,
  'crm:person:merge': personMerge,
};

function handlerOf(p: { targetDomain: string; targetEntityType: string; operation: string }) {
  const h = HANDLERS[`${p.targetDomain}:${p.targetEntityType}:${p.operation}`];
  if (!h) {
    throw validationFailed([
      { path: 'operation', message: `not supported for ${p.targetDomain} ${p.targetEntityType}` },
    ]);
  }
  return h;
}

/** `POST /api/workflow/proposals`: validated against the target's owner, then stored with the policy's decision. */
export async function proposeChange(ctx: Ctx, input: ProposalCreateInput) {
  const handler = handlerOf(input);
  const fields = await handler.validate(ctx, input.targetEntityRef, input.patch);
  return workflow.createProposal(ctx, { ...input, fields });
}

/** Executes an approved proposal once; a repeated call returns the stored result of the first. */
export async function executeProposal(ctx: Ctx, id: string) {
  const begun = await workflow.beginExecution(ctx, id);
  if (begun.alreadyExecuted) return workflow.getProposal(ctx, id);
  const result = await handlerOf(begun.proposal).execute(ctx, begun.proposal);
  await workflow.completeExecution(ctx, begun.proposal, result);
  return workflow.getProposal(ctx, id);
}

/** Reverts an executed proposal whose operation supports it (merges), while nothing changed since. */
export async function undoProposal(ctx: Ctx, id: string) {
  const p = await workflow.beginUndo(ctx, id);
  const handler = handlerOf(p);
  if (!handler.undo) {
    throw conflict('workflow.not_undoable', `A ${p.operation} proposal cannot be undone; propose the reverse change.`);
  }
  const result = await handler.undo(ctx, p);
  await workflow.completeUndo(ctx, p, result);
  return workflow.getProposal(ctx, id);
}
