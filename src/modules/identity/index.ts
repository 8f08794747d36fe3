/** identity: tenants, staff users, roles and capabilities, sessions, API keys, audit events. */
export { CAPABILITIES, type Capability, DEFAULT_ROLES } from './capabilities.ts';
export type { TenantSettings } from './schema.ts';
export {
  type AuditEntry,
  auditCte,
  authenticate,
  createTenant,
  createUser,
  DEFAULT_TENANT_SETTINGS,
  findPlatformTenant,
  findTenantBySlug,
  getTenantSettings,
  getUser,
  type Principal,
  recordAudit,
  type TenantRef,
  updateTenantSettings,
  userExists,
} from './service.ts';
