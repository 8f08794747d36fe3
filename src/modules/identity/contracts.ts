import { z } from 'zod';
import { isoDateTime, text } from '../../platform/http-schemas.ts';
import { CAPABILITIES } from './capabilities.ts';

export const roleKey = z.string().regex(/^[a-z][a-z0-9-]{0,49}$/, 'lower-case letters, digits and -');
const email = z.string().trim().max(254);

export const loginBody = z.strictObject({
  tenant: z.string().min(1).max(100).describe('tenant slug'),
  email: z.string().min(1).max(254),
  password: z.string().min(1).max(1024),
});

export const user = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  roles: z.array(z.string()),
  status: z.enum(['active', 'disabled']),
  installerId: z.uuid().nullable(),
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type UserView = z.infer<typeof user>;

export const tenantView = z.object({ id: z.uuid(), slug: z.string(), name: z.string() });

export const loginResponse = z.object({ token: z.string(), expiresAt: isoDateTime, user, tenant: tenantView });

export const meResponse = z.object({
  user: user.nullable(),
  tenant: tenantView,
  credential: z.object({ kind: z.enum(['user', 'api_key']), id: z.uuid() }),
  roles: z.array(z.string()),
  capabilities: z.array(z.string()),
  scope: z.enum(['all', 'team', 'own', 'installer']),
});

export const createUserBody = z.strictObject({
  email,
  name: text(200),
  password: z.string().min(12).max(1024).optional(),
  roles: z.array(roleKey).min(1).max(20),
  installerId: z.uuid().optional(),
});
export type CreateUserInput = z.infer<typeof createUserBody>;

export const patchUserBody = z
  .strictObject({
    name: text(200),
    password: z.string().min(12).max(1024),
    roles: z.array(roleKey).min(1).max(20),
    status: z.enum(['active', 'disabled']),
    installerId: z.uuid().nullable(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one field to change' });
export type PatchUserInput = z.infer<typeof patchUserBody>;

export const apiKeyView = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  roles: z.array(z.string()),
  createdAt: isoDateTime,
  revokedAt: isoDateTime.nullable(),
});
export const createApiKeyBody = z.strictObject({ name: text(200), roles: z.array(roleKey).min(1).max(20) });
export const createdApiKey = apiKeyView.extend({ secret: z.string().describe('shown once; store it now') });

export const role = z.object({
  key: z.string(),
  name: z.string(),
  scope: z.enum(['all', 'team', 'own', 'installer']),
  capabilities: z.array(z.string()),
  builtIn: z.boolean(),
  version: z.number().int(),
});
export const putRoleBody = z.strictObject({
  name: text(100),
  scope: z.enum(['all', 'team', 'own', 'installer']),
  capabilities: z.array(z.enum(CAPABILITIES)).max(CAPABILITIES.length),
});

export const auditQuery = z.strictObject({
  entityType: z.string().max(100).optional(),
  entityId: z.string().max(100).optional(),
  actorId: z.uuid().optional(),
  action: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});
export const auditEvent = z.object({
  id: z.uuid(),
  occurredAt: isoDateTime,
  actorKind: z.string(),
  actorId: z.uuid().nullable(),
  action: z.string(),
  outcome: z.enum(['ok', 'denied']),
  entityType: z.string(),
  entityId: z.string().nullable(),
  requestId: z.string().nullable(),
  changedFields: z.array(z.string()),
});

export const createTenantInput = z.object({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and -'),
  name: text(200),
  adminEmail: email,
  adminPassword: z.string().min(12).max(1024),
  adminName: text(200).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});
export type CreateTenantInput = z.infer<typeof createTenantInput>;

export const tenantSettings = z.object({
  defaultCountry: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code'),
  firstContactSlaMinutes: z.number().int().min(1).max(43200),
  conversionTarget: z.enum(['project', 'opportunity']),
  compareQuotesCount: z.number().int().min(1).max(7),
  routingStrategy: z.enum(['round_robin', 'weighted', 'priority']),
  offerResponseSlaMinutes: z.number().int().min(1).max(43200),
  rerouteOnDecline: z.boolean(),
  routeAtIntake: z.boolean(),
  followUpDelayDays: z.number().int().min(0).max(365),
});
export const patchSettingsBody = tenantSettings
  .strict()
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one setting to change' });
