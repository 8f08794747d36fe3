import { createHash } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import type { SQL } from 'drizzle-orm';
import { type Actor, actorId, type Ctx, requireTenant, type Scope, type StatementCtx } from '../../platform/context.ts';
import type { Database } from '../../platform/db.ts';
import {
  badRequest,
  conflict,
  dbConstraint,
  dbErrorCode,
  forbidden,
  isUniqueViolation,
  notFound,
  preconditionFailed,
  unauthorized,
  validationFailed,
} from '../../platform/errors.ts';
import { newId, randomToken } from '../../platform/ids.ts';
import { isValidEmail, normalizeEmail } from '../../platform/normalize.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import { broadestScope, DEFAULT_ROLES, isCapability, type RoleScope } from './capabilities.ts';
import type { CreateTenantInput, CreateUserInput, PatchUserInput, UserView } from './contracts.ts';
import * as repo from './repository.ts';
import type { TenantSettings } from './schema.ts';

export const DEFAULT_TENANT_SETTINGS: TenantSettings = {
  defaultCountry: 'IE',
  firstContactSlaMinutes: 60,
  conversionTarget: 'project',
  compareQuotesCount: 3,
  routingStrategy: 'weighted',
  offerResponseSlaMinutes: 24 * 60,
  rerouteOnDecline: true,
  routeAtIntake: false,
  followUpDelayDays: 7,
};

const SESSION_TTL_MS = Number(process.env.SESSION_TTL_HOURS ?? 12) * 3600_000;
const ARGON_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
export const hashPassword = (password: string) => argonHash(password, ARGON_OPTIONS);

// Verified against when the user does not exist, so unknown user and wrong password cost the same.
let dummyHash: Promise<string> | null = null;
const getDummyHash = () => {
  dummyHash ??= argonHash(randomToken(), ARGON_OPTIONS);
  return dummyHash;
};

// ---------- audit ----------

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  changedFields?: string[];
  outcome?: 'ok' | 'denied';
}

/** One audit row per mutation, in the mutation's transaction. Field names only, never values. */
export async function recordAudit(ctx: Ctx, entry: AuditEntry) {
  await repo.insertAudit(ctx, {
    id: newId(),
    actorKind: ctx.actor.kind,
    actorId: actorId(ctx.actor),
    action: entry.action,
    outcome: entry.outcome ?? 'ok',
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    requestId: ctx.requestId,
    changedFields: entry.changedFields ?? [],
  });
}

/** The audit row of a one-statement command, as a CTE (see repo.auditCte). */
export function auditCte(
  ctx: StatementCtx,
  name: string,
  p: { action: SQL; entityType: string; entityId: SQL; changedFields: SQL },
) {
  return repo.auditCte(ctx, name, {
    id: newId(),
    actorKind: ctx.actor.kind,
    actorId: actorId(ctx.actor),
    requestId: ctx.requestId,
    ...p,
  });
}

export async function listAuditEvents(
  ctx: Ctx,
  q: { entityType?: string; entityId?: string; actorId?: string; action?: string; limit: number; cursor?: string },
) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'audit', q.cursor)[0] as string) : undefined;
  const found = await repo.listAudit(ctx, q, q.limit + 1, before);
  return toPage(ctx.tenantId, 'audit', found, q.limit, (r) => [r.id]);
}

// ---------- tenants ----------

export async function getTenant(ctx: Ctx) {
  const t = await repo.findTenantById(ctx);
  if (!t) throw notFound('tenant.not_found');
  return { id: t.id, slug: t.slug, name: t.name };
}

export async function getTenantSettings(ctx: Ctx): Promise<TenantSettings> {
  const t = await repo.findTenantById(ctx);
  if (!t) throw notFound('tenant.not_found');
  return { ...DEFAULT_TENANT_SETTINGS, ...t.settings };
}

export async function updateTenantSettings(ctx: Ctx, patch: Partial<TenantSettings>) {
  const merged = { ...(await getTenantSettings(ctx)), ...patch };
  await repo.updateTenantSettings(ctx, merged);
  await recordAudit(ctx, {
    action: 'tenant.settings_updated',
    entityType: 'tenant',
    entityId: ctx.tenantId,
    changedFields: Object.keys(patch),
  });
  return merged;
}

export interface TenantRef {
  id: string;
  slug: string;
  name: string;
  settings: TenantSettings;
}

export async function findTenantBySlug(db: Database, slug: string): Promise<TenantRef | undefined> {
  const t = await repo.findTenantBySlug(db.db, slug);
  return t
    ? { id: t.id, slug: t.slug, name: t.name, settings: { ...DEFAULT_TENANT_SETTINGS, ...t.settings } }
    : undefined;
}

export async function findPlatformTenant(db: Database): Promise<TenantRef | undefined> {
  const t = await repo.findPlatformTenant(db.db);
  return t
    ? { id: t.id, slug: t.slug, name: t.name, settings: { ...DEFAULT_TENANT_SETTINGS, ...t.settings } }
    : undefined;
}

/**
 * Creates the tenant, its default roles, the first (owner) user and an owner API key, inside ctx's
 * transaction (ctx.tenantId is the new tenant's id, so RLS admits the rows). The secret is returned once.
 */
export async function createTenant(ctx: Ctx, input: CreateTenantInput & { isPlatform?: boolean }) {
  const tenantId = requireTenant(ctx);
  const adminEmail = normalizeEmail(input.adminEmail);
  if (!adminEmail || !isValidEmail(adminEmail))
    throw validationFailed([{ path: 'adminEmail', message: 'not a valid email address' }]);
  try {
    await repo.insertTenant(ctx.tx, {
      id: tenantId,
      slug: input.slug,
      name: input.name,
      isPlatform: input.isPlatform ?? false,
      settings: { ...DEFAULT_TENANT_SETTINGS, ...(input.settings ?? {}) } as TenantSettings,
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('tenant.slug_taken', `The slug '${input.slug}' is taken.`);
    throw err;
  }
  await repo.insertRoles(
    ctx,
    DEFAULT_ROLES.map((r) => ({
      key: r.key,
      name: r.name,
      scope: r.scope,
      capabilities: r.capabilities,
      builtIn: r.key === 'owner',
    })),
  );
  const adminUserId = newId();
  await repo.insertUser(ctx, {
    id: adminUserId,
    email: adminEmail,
    name: input.adminName ?? input.name,
    passwordHash: await hashPassword(input.adminPassword),
  });
  await repo.replaceUserRoles(ctx, adminUserId, ['owner']);
  const apiKey = await issueApiKey(ctx, { name: 'Owner key', roles: ['owner'] }, adminUserId);
  await recordAudit(ctx, { action: 'tenant.created', entityType: 'tenant', entityId: tenantId });
  await recordAudit(ctx, {
    action: 'user.created',
    entityType: 'user',
    entityId: adminUserId,
    changedFields: ['email', 'name', 'roles'],
  });
  return { tenantId, slug: input.slug, adminUserId, apiKey: apiKey.secret };
}

// ---------- authentication ----------

export interface Principal {
  tenantId: string;
  tenantSlug: string;
  actor: Actor;
}

function toPrincipal(row: repo.PrincipalRow, kind: 'user' | 'api_key'): Principal {
  return {
    tenantId: row.tenant_id,
    tenantSlug: row.tenant_slug,
    actor: {
      kind,
      userId: row.user_id,
      credentialId: row.credential_id,
      capabilities: new Set(row.capabilities),
      scope: broadestScope(row.scopes as RoleScope[]) as Scope,
      installerId: row.installer_id,
    },
  };
}

/** Resolves a bearer token (session or API key) to its principal; undefined when it is not valid now. */
export async function authenticate(db: Database, token: string): Promise<Principal | undefined> {
  if (token.startsWith('hs_')) {
    const row = await repo.findPrincipalBySessionHash(db.db, sha256(token));
    return row ? toPrincipal(row, 'user') : undefined;
  }
  if (token.startsWith('hk_')) {
    const row = await repo.findPrincipalByApiKeyHash(db.db, sha256(token));
    return row ? toPrincipal(row, 'api_key') : undefined;
  }
  return undefined;
}

const invalidLogin = () => unauthorized('The tenant, email or password is not correct.', 'auth.invalid_credentials');

export async function login(
  db: Database,
  input: { tenant: string; email: string; password: string },
  requestId: string,
) {
  const tenant = await repo.findTenantBySlug(db.db, input.tenant);
  const email = normalizeEmail(input.email) ?? '';
  const user = tenant ? await repo.findUserByTenantAndEmail(db.db, tenant.id, email) : undefined;
  const usable = user && user.status === 'active' && user.passwordHash;
  const ok = await argonVerify(usable ? user.passwordHash! : await getDummyHash(), input.password).catch(() => false);
  if (!tenant) throw invalidLogin();
  const actor: Actor = {
    kind: 'user',
    userId: user?.id ?? null,
    credentialId: null,
    capabilities: new Set(),
    scope: 'own',
    installerId: null,
  };
  if (!usable || !ok) {
    await db.tenantTx(tenant.id, (tx) =>
      recordAudit(
        { tenantId: tenant.id, tx, actor, requestId },
        { action: 'auth.login_failed', entityType: 'user', entityId: user?.id ?? null, outcome: 'denied' },
      ),
    );
    throw invalidLogin();
  }
  const token = `hs_${randomToken(32)}`;
  const sessionId = newId();
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  const view = await db.tenantTx(tenant.id, async (tx) => {
    const ctx: Ctx = { tenantId: tenant.id, tx, actor: { ...actor, credentialId: sessionId }, requestId };
    await repo.insertSession(ctx, { id: sessionId, userId: user.id, tokenHash: sha256(token), expiresAt });
    await recordAudit(ctx, { action: 'auth.login', entityType: 'session', entityId: sessionId });
    return (await userViews(ctx, [user]))[0];
  });
  return {
    token,
    expiresAt: expiresAt.toISOString(),
    user: view,
    tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
  };
}

export async function logout(ctx: Ctx) {
  if (ctx.actor.kind !== 'user' || !ctx.actor.credentialId) {
    throw badRequest('auth.not_a_session', 'Only a session token can log out; revoke an API key instead.');
  }
  await repo.revokeSession(ctx, ctx.actor.credentialId);
  await recordAudit(ctx, { action: 'auth.logout', entityType: 'session', entityId: ctx.actor.credentialId });
}

// ---------- users ----------

async function userViews(ctx: Ctx, rows: repo.UserRow[]): Promise<UserView[]> {
  const roleMap = await repo.roleKeysOfUsers(
    ctx,
    rows.map((r) => r.id),
  );
  return rows.map((u) => ({
    id: u.id,
    email: u.email,
    name: u.name,
    roles: roleMap.get(u.id) ?? [],
    status: u.status,
    installerId: u.installerId,
    version: u.version,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  }));
}

/**
 * Nobody hands out more than they hold: without this, `admin:users` alone could make an owner or reset
 * the owner's password. 403, audited like any refusal. The system actor (CLI, provisioning) is trusted.
 */
function assertWithinActor(ctx: Ctx, roles: { capabilities: string[] }[]) {
  if (ctx.actor.kind === 'system') return;
  const beyond = roles.flatMap((r) => r.capabilities).find((c) => !ctx.actor.capabilities.has(c));
  if (beyond) throw forbidden(beyond);
}

async function assertRolesExist(ctx: Ctx, keys: string[]) {
  const found = await repo.findRolesByKeys(ctx, keys);
  const known = new Set(found.map((r) => r.key));
  const missing = keys.filter((k) => !known.has(k));
  if (missing.length) {
    throw validationFailed(missing.map((k) => ({ path: 'roles', message: `unknown role '${k}'` })));
  }
  return found;
}

/** Installer-partner users belong to exactly one installer; nobody else belongs to one. */
function checkInstallerLink(roles: repo.RoleRow[], installerId: string | null | undefined) {
  const partner = roles.some((r) => r.scope === 'installer');
  if (partner && !installerId)
    throw validationFailed([
      { path: 'installerId', message: 'an installer-partner user needs the installer it belongs to' },
    ]);
}

const installerFkError = (err: unknown) =>
  dbErrorCode(err) === '23503' && /installer/.test(dbConstraint(err) ?? '')
    ? validationFailed([{ path: 'installerId', message: 'no such installer' }])
    : undefined;

export async function getUser(ctx: Ctx, id: string): Promise<UserView> {
  const u = await repo.findUserById(ctx, id);
  if (!u) throw notFound('user.not_found');
  return (await userViews(ctx, [u]))[0];
}

/** Used by other modules to check that a staff user exists in this tenant (e.g. lead assignment). */
export async function userExists(ctx: Ctx, id: string): Promise<boolean> {
  const u = await repo.findUserById(ctx, id);
  return Boolean(u && u.status === 'active');
}

export async function listUsers(ctx: Ctx, q: { limit: number; cursor?: string }) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'users', q.cursor)[0] as string) : undefined;
  const found = await repo.listUsers(ctx, q.limit + 1, before);
  const page = toPage(ctx.tenantId, 'users', found, q.limit, (r) => [r.id]);
  return { data: await userViews(ctx, page.data), nextCursor: page.nextCursor };
}

export async function createUser(ctx: Ctx, input: CreateUserInput): Promise<UserView> {
  const email = normalizeEmail(input.email);
  if (!email || !isValidEmail(email)) throw validationFailed([{ path: 'email', message: 'not a valid email address' }]);
  const roles = [...new Set(input.roles)];
  const granted = await assertRolesExist(ctx, roles);
  assertWithinActor(ctx, granted);
  checkInstallerLink(granted, input.installerId);
  const id = newId();
  try {
    await repo.insertUser(ctx, {
      id,
      email,
      name: input.name,
      passwordHash: input.password ? await hashPassword(input.password) : null,
      installerId: input.installerId ?? null,
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('user.email_taken', 'A user with this email exists in this tenant.');
    throw installerFkError(err) ?? err;
  }
  await repo.replaceUserRoles(ctx, id, roles);
  await recordAudit(ctx, {
    action: 'user.created',
    entityType: 'user',
    entityId: id,
    changedFields: Object.keys(input)
      .filter((k) => k !== 'password')
      .concat(input.password ? ['password'] : []),
  });
  return getUser(ctx, id);
}

/** Disabling a user ends every session they hold and revokes the API keys they issued, in the same transaction. */
export async function updateUser(ctx: Ctx, id: string, ifMatch: number | undefined, input: PatchUserInput) {
  const current = await repo.findUserById(ctx, id);
  if (!current) throw notFound('user.not_found');
  const expected = ifMatch ?? current.version;
  if (expected !== current.version) throw preconditionFailed();
  // Changing a user who holds more than the actor, or giving them more, is beyond the actor.
  assertWithinActor(ctx, await repo.findRolesByKeys(ctx, (await repo.roleKeysOfUsers(ctx, [id])).get(id) ?? []));
  if (input.roles) assertWithinActor(ctx, await repo.findRolesByKeys(ctx, [...new Set(input.roles)]));
  if (input.roles || input.installerId !== undefined) {
    const roles = input.roles
      ? await assertRolesExist(ctx, [...new Set(input.roles)])
      : await repo.findRolesByKeys(ctx, (await repo.roleKeysOfUsers(ctx, [id])).get(id) ?? []);
    checkInstallerLink(roles, input.installerId !== undefined ? input.installerId : current.installerId);
  }
  const patch: Parameters<typeof repo.updateUser>[3] = {};
  if (input.name !== undefined) patch.name = input.name;
  if (input.status !== undefined) patch.status = input.status;
  if (input.installerId !== undefined) patch.installerId = input.installerId;
  if (input.password !== undefined) patch.passwordHash = await hashPassword(input.password);
  const updated = await repo.updateUser(ctx, id, expected, patch).catch((err) => {
    throw installerFkError(err) ?? err;
  });
  if (!updated) throw preconditionFailed();
  if (input.roles) await repo.replaceUserRoles(ctx, id, [...new Set(input.roles)]);
  if (input.status === 'disabled' || input.password !== undefined) await repo.revokeSessionsOfUser(ctx, id);
  // Their API keys act for them: a disabled user's keys are revoked with their sessions, for good.
  if (input.status === 'disabled') {
    for (const keyId of await repo.revokeApiKeysOfUser(ctx, id)) {
      await recordAudit(ctx, {
        action: 'api_key.revoked',
        entityType: 'api_key',
        entityId: keyId,
        changedFields: ['revokedAt'],
      });
    }
  }
  await recordAudit(ctx, {
    action: 'user.updated',
    entityType: 'user',
    entityId: id,
    changedFields: Object.keys(input),
  });
  return getUser(ctx, id);
}

// ---------- API keys ----------

function apiKeyView(k: repo.ApiKeyRow) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    roles: k.roleKeys,
    createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
  };
}

async function issueApiKey(ctx: Ctx, input: { name: string; roles: string[] }, createdByUserId: string | null) {
  const id = newId();
  const prefix = randomToken(6)
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 8);
  const secret = `hk_${prefix}_${randomToken(32)}`;
  const createdAt = new Date();
  await repo.insertApiKey(ctx, {
    id,
    name: input.name,
    prefix,
    secretHash: sha256(secret),
    roleKeys: input.roles,
    createdByUserId,
    createdAt,
  });
  return {
    id,
    name: input.name,
    prefix,
    roles: input.roles,
    createdAt: createdAt.toISOString(),
    revokedAt: null,
    secret,
  };
}

export async function createApiKey(ctx: Ctx, input: { name: string; roles: string[] }) {
  const roles = [...new Set(input.roles)];
  assertWithinActor(ctx, await assertRolesExist(ctx, roles));
  const key = await issueApiKey(ctx, { name: input.name, roles }, ctx.actor.userId);
  await recordAudit(ctx, {
    action: 'api_key.created',
    entityType: 'api_key',
    entityId: key.id,
    changedFields: ['name', 'roles'],
  });
  return key;
}

export async function listApiKeys(ctx: Ctx, q: { limit: number; cursor?: string }) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'api_keys', q.cursor)[0] as string) : undefined;
  const found = await repo.listApiKeys(ctx, q.limit + 1, before);
  const page = toPage(ctx.tenantId, 'api_keys', found, q.limit, (r) => [r.id]);
  return { data: page.data.map(apiKeyView), nextCursor: page.nextCursor };
}

export async function revokeApiKey(ctx: Ctx, id: string) {
  const k = await repo.revokeApiKey(ctx, id);
  if (!k) throw notFound('api_key.not_found');
  await recordAudit(ctx, {
    action: 'api_key.revoked',
    entityType: 'api_key',
    entityId: id,
    changedFields: ['revokedAt'],
  });
}

// ---------- roles ----------

export async function listRoles(ctx: Ctx) {
  return (await repo.listRoles(ctx)).map((r) => ({
    key: r.key,
    name: r.name,
    scope: r.scope,
    capabilities: r.capabilities,
    builtIn: r.builtIn,
    version: r.version,
  }));
}

export async function putRole(
  ctx: Ctx,
  key: string,
  input: { name: string; scope: RoleScope; capabilities: string[] },
) {
  const bad = input.capabilities.filter((c) => !isCapability(c));
  if (bad.length)
    throw validationFailed(bad.map((c) => ({ path: 'capabilities', message: `unknown capability '${c}'` })));
  const existing = (await repo.findRolesByKeys(ctx, [key]))[0];
  if (existing?.builtIn) throw conflict('role.built_in', `The role '${key}' is built in and cannot be changed.`);
  assertWithinActor(ctx, [{ capabilities: input.capabilities }]);
  const r = await repo.upsertRole(ctx, {
    key,
    name: input.name,
    scope: input.scope,
    capabilities: [...new Set(input.capabilities)],
  });
  await recordAudit(ctx, {
    action: existing ? 'role.updated' : 'role.created',
    entityType: 'role',
    entityId: key,
    changedFields: ['name', 'scope', 'capabilities'],
  });
  return {
    key: r.key,
    name: r.name,
    scope: r.scope,
    capabilities: r.capabilities,
    builtIn: r.builtIn,
    version: r.version,
  };
}

/** Roles held by the acting credential, for /api/me. */
export async function rolesOfActor(ctx: Ctx): Promise<string[]> {
  if (ctx.actor.kind === 'user' && ctx.actor.userId) {
    return (await repo.roleKeysOfUsers(ctx, [ctx.actor.userId])).get(ctx.actor.userId) ?? [];
  }
  if (ctx.actor.kind === 'api_key' && ctx.actor.credentialId) {
    return (await repo.findApiKeyById(ctx, ctx.actor.credentialId))?.roleKeys ?? [];
  }
  return [];
}
