/** crm: people, accounts and households, pipelines, opportunities, projects, tasks. */

export * from './accounts/public.ts';
export * from './campaigns/public.ts';
export * from './contacts/public.ts';
export * from './deals/public.ts';
export type { PostalAddress } from './schema.ts';
export {
  cancelOpenTasksOfLeads,
  countRecords,
  createContactLeadTask,
  createCustomerAccount,
  createPersonFromContact,
  erasePerson,
  findPersonMatch,
  getPerson,
  intakePersonStatement,
  intakeTaskStatement,
  type PersonContact,
  reassignOpenTasksOfLead,
} from './service.ts';
export type { TaskView } from './tasks/contracts.ts';
export { createTask, dueRemindersOf } from './tasks/service.ts';
