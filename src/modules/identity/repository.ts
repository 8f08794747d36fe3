import { and, desc, eq, inArray, isNull, lt, type SQL, sql } from 'drizzle-orm';
import { type Ctx, requireTenant, type StatementCtx } from '../../platform/context.ts';
import { one, type Tx } from '../../platform/db.ts';
import type { RoleScope } from './capabilities.ts';
import {
  apiKeys,
  auditEvents,
  roleAssignments,
  roles,
  sessions,
  type TenantSettings,
  tenants,
  users,
} from './schema.ts';

export type TenantRow = typeof tenants.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type RoleRow = typeof roles.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type AuditRow = typeof auditEvents.$inferSelect;

// ---- tenants (platform-level: no tenant context exists yet) ----

export async function insertTenant(tx: Tx, row: typeof tenants.$inferInsert) {
  await tx.insert(tenants).values(row);
}

export async function findTenantBySlug(tx: Tx, slug: string): Promise<TenantRow | undefined> {
  return (await tx.select().from(tenants).where(eq(tenants.slug, slug)).limit(1))[0];
}

export async function findPlatformTenant(tx: Tx): Promise<TenantRow | undefined> {
  return (await tx.select().from(tenants).where(eq(tenants.isPlatform, true)).limit(1))[0];
}

export async function findTenantById(ctx: Ctx): Promise<TenantRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (await ctx.tx.select().from(tenants).where(eq(tenants.id, tenantId)).limit(1))[0];
}

export async function updateTenantSettings(ctx: Ctx, settings: TenantSettings) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .update(tenants)
    .set({ settings, version: sql`${tenants.version} + 1` })
    .where(eq(tenants.id, tenantId));
}

// ---- users and roles ----

export async function insertUser(ctx: Ctx, row: Omit<typeof users.$inferInsert, 'tenantId'>) {
  await ctx.tx.insert(users).values({ ...row, tenantId: requireTenant(ctx) });
}

export async function findUserById(ctx: Ctx, id: string): Promise<UserRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(users)
      .where(and(eq(users.tenantId, tenantId), eq(users.id, id)))
      .limit(1)
  )[0];
}

/** Login looks a user up before any tenant context exists. */
export async function findUserByTenantAndEmail(tx: Tx, tenantId: string, email: string) {
  return (
    await tx
      .select()
      .from(users)
      .where(and(eq(users.tenantId, tenantId), eq(users.email, email)))
      .limit(1)
  )[0];
}

export async function listUsers(ctx: Ctx, limit: number, beforeId?: string): Promise<UserRow[]> {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(users)
    .where(and(eq(users.tenantId, tenantId), beforeId ? lt(users.id, beforeId) : undefined))
    .orderBy(desc(users.id))
    .limit(limit);
}

export async function updateUser(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<Pick<UserRow, 'name' | 'status' | 'passwordHash' | 'installerId'>>,
): Promise<UserRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(users)
      .set({ ...patch, version: sql`${users.version} + 1`, updatedAt: new Date() })
      .where(and(eq(users.tenantId, tenantId), eq(users.id, id), eq(users.version, expectedVersion)))
      .returning()
  )[0];
}

export async function roleKeysOfUsers(ctx: Ctx, userIds: string[]): Promise<Map<string, string[]>> {
  const tenantId = requireTenant(ctx);
  const out = new Map<string, string[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return out;
  const found = await ctx.tx
    .select({ userId: roleAssignments.userId, roleKey: roleAssignments.roleKey })
    .from(roleAssignments)
    .where(and(eq(roleAssignments.tenantId, tenantId), inArray(roleAssignments.userId, userIds)))
    .orderBy(roleAssignments.roleKey);
  for (const r of found) out.get(r.userId)?.push(r.roleKey);
  return out;
}

export async function replaceUserRoles(ctx: Ctx, userId: string, roleKeys: string[]) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .delete(roleAssignments)
    .where(and(eq(roleAssignments.tenantId, tenantId), eq(roleAssignments.userId, userId)));
  if (roleKeys.length) {
    await ctx.tx.insert(roleAssignments).values(roleKeys.map((roleKey) => ({ tenantId, userId, roleKey })));
  }
}

export async function insertRoles(ctx: Ctx, rows: Omit<typeof roles.$inferInsert, 'tenantId'>[]) {
  const tenantId = requireTenant(ctx);
  await ctx.tx.insert(roles).values(rows.map((r) => ({ ...r, tenantId })));
}

export async function listRoles(ctx: Ctx): Promise<RoleRow[]> {
  const tenantId = requireTenant(ctx);
  return ctx.tx.select().from(roles).where(eq(roles.tenantId, tenantId)).orderBy(roles.key);
}

export async function findRolesByKeys(ctx: Ctx, keys: string[]): Promise<RoleRow[]> {
  const tenantId = requireTenant(ctx);
  if (keys.length === 0) return [];
  return ctx.tx
    .select()
    .from(roles)
    .where(and(eq(roles.tenantId, tenantId), inArray(roles.key, keys)));
}

export async function upsertRole(
  ctx: Ctx,
  row: { key: string; name: string; capabilities: string[]; scope: RoleScope },
): Promise<RoleRow> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .insert(roles)
      .values({ ...row, tenantId })
      .onConflictDoUpdate({
        target: [roles.tenantId, roles.key],
        set: {
          name: row.name,
          capabilities: row.capabilities,
          scope: row.scope,
          version: sql`${roles.version} + 1`,
          updatedAt: new Date(),
        },
      })
      .returning()
  )[0];
}

// ---- credentials ----

export async function insertSession(ctx: Ctx, row: Omit<typeof sessions.$inferInsert, 'tenantId'>) {
  await ctx.tx.insert(sessions).values({ ...row, tenantId: requireTenant(ctx) });
}

export async function revokeSession(ctx: Ctx, id: string) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(sessions.tenantId, tenantId), eq(sessions.id, id), isNull(sessions.revokedAt)));
}

export async function revokeSessionsOfUser(ctx: Ctx, userId: string): Promise<number> {
  const tenantId = requireTenant(ctx);
  const revoked = await ctx.tx
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(sessions.tenantId, tenantId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return revoked.length;
}

export async function insertApiKey(ctx: Ctx, row: Omit<typeof apiKeys.$inferInsert, 'tenantId'>) {
  await ctx.tx.insert(apiKeys).values({ ...row, tenantId: requireTenant(ctx) });
}

export async function listApiKeys(ctx: Ctx, limit: number, beforeId?: string): Promise<ApiKeyRow[]> {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.tenantId, tenantId), beforeId ? lt(apiKeys.id, beforeId) : undefined))
    .orderBy(desc(apiKeys.id))
    .limit(limit);
}

export async function findApiKeyById(ctx: Ctx, id: string): Promise<ApiKeyRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id)))
      .limit(1)
  )[0];
}

export async function revokeApiKey(ctx: Ctx, id: string): Promise<ApiKeyRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(apiKeys)
      .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
      .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, id)))
      .returning()
  )[0];
}

/** Revokes every live key a user issued (their keys act for them); returns the revoked ids. */
export async function revokeApiKeysOfUser(ctx: Ctx, userId: string): Promise<string[]> {
  const tenantId = requireTenant(ctx);
  const revoked = await ctx.tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.createdByUserId, userId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return revoked.map((r) => r.id);
}

export interface PrincipalRow {
  credential_id: string;
  tenant_id: string;
  tenant_slug: string;
  user_id: string | null;
  installer_id: string | null;
  capabilities: string[];
  scopes: RoleScope[];
}

/** One round trip per request: the session, its active user, and the union of their roles. */
export function findPrincipalBySessionHash(tx: Tx, tokenHash: string) {
  return one<PrincipalRow>(
    tx,
    sql`select s.id as credential_id, s.tenant_id, t.slug as tenant_slug, u.id as user_id, u.installer_id,
          coalesce(array_agg(distinct c.cap) filter (where c.cap is not null), '{}') as capabilities,
          coalesce(array_agg(distinct r.scope) filter (where r.scope is not null), '{}') as scopes
        from sessions s
        join users u on u.tenant_id = s.tenant_id and u.id = s.user_id and u.status = 'active'
        join tenants t on t.id = s.tenant_id
        left join role_assignments ra on ra.tenant_id = u.tenant_id and ra.user_id = u.id
        left join roles r on r.tenant_id = ra.tenant_id and r.key = ra.role_key
        left join lateral unnest(r.capabilities) as c(cap) on true
        where s.token_hash = ${tokenHash} and s.revoked_at is null and s.expires_at > now()
        group by s.id, s.tenant_id, t.slug, u.id, u.installer_id`,
  );
}

/** A key acts for the user who issued it: it stops working while that user is disabled (or gone). */
export function findPrincipalByApiKeyHash(tx: Tx, secretHash: string) {
  return one<PrincipalRow>(
    tx,
    sql`select k.id as credential_id, k.tenant_id, t.slug as tenant_slug, k.created_by_user_id as user_id,
          null::uuid as installer_id,
          coalesce(array_agg(distinct c.cap) filter (where c.cap is not null), '{}') as capabilities,
          coalesce(array_agg(distinct r.scope) filter (where r.scope is not null), '{}') as scopes
        from api_keys k
        join tenants t on t.id = k.tenant_id
        left join users u on u.tenant_id = k.tenant_id and u.id = k.created_by_user_id
        left join roles r on r.tenant_id = k.tenant_id and r.key = any(k.role_keys)
        left join lateral unnest(r.capabilities) as c(cap) on true
        where k.secret_hash = ${secretHash} and k.revoked_at is null
          and (k.created_by_user_id is null or u.status = 'active')
        group by k.id, k.tenant_id, t.slug, k.created_by_user_id`,
  );
}

// ---- audit ----

export async function insertAudit(ctx: Ctx, row: Omit<typeof auditEvents.$inferInsert, 'tenantId'>) {
  await ctx.tx.insert(auditEvents).values({ ...row, tenantId: requireTenant(ctx) });
}

export async function listAudit(
  ctx: Ctx,
  filter: { entityType?: string; entityId?: string; actorId?: string; action?: string },
  limit: number,
  beforeId?: string,
): Promise<AuditRow[]> {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.tenantId, tenantId),
        filter.entityType ? eq(auditEvents.entityType, filter.entityType) : undefined,
        filter.entityId ? eq(auditEvents.entityId, filter.entityId) : undefined,
        filter.actorId ? eq(auditEvents.actorId, filter.actorId) : undefined,
        filter.action ? eq(auditEvents.action, filter.action) : undefined,
        beforeId ? lt(auditEvents.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(auditEvents.id))
    .limit(limit);
}

/** An audit row as a CTE, for one-statement commands (the intake). Values are SQL over earlier CTEs. */
export function auditCte(
  ctx: StatementCtx,
  name: string,
  p: {
    id: string;
    actorKind: string;
    actorId: string | null;
    action: SQL;
    entityType: string;
    entityId: SQL;
    requestId: string;
    changedFields: SQL;
  },
): SQL {
  const t = requireTenant(ctx);
  return sql`${sql.raw(name)} as (
    insert into audit_events (tenant_id, id, actor_kind, actor_id, action, outcome, entity_type, entity_id, request_id, changed_fields)
    select ${t}, ${p.id}, ${p.actorKind}, ${p.actorId}::uuid, ${p.action}, 'ok', ${p.entityType}, ${p.entityId}, ${p.requestId}, ${p.changedFields})`;
}
