/** installers: installer companies, contacts, services, quality/internal notes, capacity, region coverage. */
export {
  canInstallerChangeStatus,
  type ImportInstallerValues,
  importInstallers,
  lockInstallersAtVersions,
  type MatchedInstallerRecord,
  matchInstallersForImport,
  patchInstallersFromImport,
  revertImportedInstallers,
} from './import.ts';
export { INSTALLER_STATUSES, type InstallerStatus } from './schema.ts';
export {
  addContact,
  addNote,
  createInstaller,
  getInstallerRow,
  installersByIds,
  installersCoveringRegion,
  patchInstaller,
  type RoutingInstaller,
  replaceCoverage,
} from './service.ts';
