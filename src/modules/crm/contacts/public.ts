/** What other modules and workflows use of contacts (people): access checks and reads. */
export type { ContactView } from './contracts.ts';
export {
  assertPersonVisible,
  createContact,
  getContact,
  listContacts,
  personRecords,
  RECORDS_LIMIT,
  requireVisiblePeople,
} from './service.ts';
