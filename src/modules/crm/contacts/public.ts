/** What other modules and workflows use of contacts (people): access checks and reads. */
export type { ContactView } from './contracts.ts';
// Governed changes (workflow proposals) apply field patches and merges through these.
export { type ContactPatchInput, contact, contactPatchBody } from './contracts.ts';
// Bulk imports of people (the imports workflow writes through these, chunk by chunk).
export {
  type ImportedPerson,
  type ImportMatchKey,
  importPeople,
  lockPeopleAtVersions,
  type MatchedPerson,
  matchPeopleForImport,
  type PersonImportPatch,
  patchPeopleFromImport,
  revertImportedPeople,
} from './import.ts';
export {
  type AbsorbedFields,
  absorbPerson,
  lockPeopleForMerge,
  MERGE_FIELDS,
  type MergeField,
  type MovedCrmReferences,
  markPersonMerged,
  type PersonMergeState,
  personMergeState,
  reassignPersonReferences,
  restorePersonReferences,
  revertAbsorbedPerson,
  unmarkPersonMerged,
} from './merge.ts';
export {
  assertPersonVisible,
  createContact,
  getContact,
  listContacts,
  patchContact,
  personRecords,
  RECORDS_LIMIT,
  requireVisiblePeople,
} from './service.ts';
