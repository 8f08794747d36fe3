/** What other modules and workflows (demo, imports) use of accounts, members, relationships and interests. */
export type { AccountView } from './contracts.ts';
export {
  type AccountImportMatchKey,
  type ImportedAccount,
  importAccounts,
  lockAccountsAtVersions,
  type MatchedAccount,
  matchAccountsForImport,
  patchAccountsFromImport,
  revertImportedAccounts,
} from './import.ts';
export { addMember, addPropertyInterest, createAccount, createRelationship, getAccount } from './service.ts';
