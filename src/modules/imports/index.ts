/** imports: import batches, their staged rows and mapping templates (lifecycle in DESIGN §2). */

export {
  accountPatchOf,
  billingAddressOf,
  DEFAULT_ACCOUNT_TYPE,
  metadataOf,
} from './kinds/accounts.ts';
export { SUPPORTED_KINDS } from './kinds/fields.ts';
export { kindRevertRows, nextKindCommitRows, type WrittenRow } from './kinds/index.ts';
export {
  DEFAULT_INSTALLER_STATUS,
  DEFAULT_PRIORITY,
  type InstallerValues,
  installerAddressOf,
  installerPatchOf,
} from './kinds/installers.ts';
export { DEFAULT_SELECTED_PATH, type LeadValues, leadAddressOf, leadPatchOf } from './kinds/leads.ts';
export type { AppliedRow, CommitInputRow } from './repository.ts';
export { scrubRowsOfPerson as eraseFromImportRows } from './repository.ts';
export type { ImportKind, ImportReport, ImportStatus, RowAction } from './schema.ts';
export {
  approve,
  type BatchView,
  type CommitChunk,
  committedView,
  finishCommit,
  finishLanes,
  finishRevert,
  getBatch,
  lockCommitLane,
  lockForCommit,
  lockForRevert,
  nextLaneChunk,
  type Progress,
  propose,
  recordCommitChunk,
  recordLaneChunk,
  setMapping,
  startCommit,
  type UploadedFile,
  uploadAndParse,
} from './service.ts';
