/** imports: import batches, their staged rows and mapping templates (lifecycle in DESIGN §2). */

export { kindRevertRows, nextKindCommitRows, type WrittenRow } from './kinds/index.ts';
export type { CommitInputRow } from './repository.ts';
export { scrubRowsOfPerson as eraseFromImportRows } from './repository.ts';
export type { ImportKind, ImportReport, ImportStatus, RowAction } from './schema.ts';
export {
  approve,
  type BatchView,
  type CommitChunk,
  committedView,
  finishCommit,
  finishRevert,
  getBatch,
  lockForCommit,
  lockForRevert,
  nextCommitChunk,
  type Progress,
  propose,
  recordCommitChunk,
  setMapping,
  type UploadedFile,
  uploadAndParse,
} from './service.ts';
