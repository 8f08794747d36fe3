/** imports: import batches, their staged rows and mapping templates (lifecycle in DESIGN §2). */

export { kindRevertRows, nextKindCommitRows, type WrittenRow } from './kinds/index.ts';
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
