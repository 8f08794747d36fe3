import { and, asc, desc, eq, gt, lt, type SQL, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../../platform/context.ts';
import { rows } from '../../../platform/db.ts';
import { ownPersonRefScope } from '../contacts/repository.ts';
import { accountMembers, accounts, people, propertyInterests, relationships } from '../schema.ts';

export type AccountRow = typeof accounts.$inferSelect;
export type AccountInsert = Omit<typeof accounts.$inferInsert, 'tenantId'>;
export type RelationshipRow = typeof relationships.$inferSelect;
export type PropertyInterestRow = typeof propertyInterests.$inferSelect;

/**
 * Record scope `own` over accounts: those with a member the user may see, and those without members
 * yet (accounts record no creator; a new account must stay reachable to be filled).
 */
export function ownAccountScope(ctx: Ctx, userId: string | null): SQL {
  const tenantId = requireTenant(ctx);
  return sql`(exists (select 1 from ${accountMembers} m where m.tenant_id = ${tenantId} and m.account_id = ${accounts.id}
      and ${ownPersonRefScope(ctx, userId, sql`m.person_id`)})
    or not exists (select 1 from ${accountMembers} m where m.tenant_id = ${tenantId} and m.account_id = ${accounts.id}))`;
}

export async function findAccount(ctx: Ctx, id: string, scope?: SQL): Promise<AccountRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(accounts)
      .where(and(eq(accounts.tenantId, tenantId), eq(accounts.id, id), scope))
      .limit(1)
  )[0];
}

export async function insertAccount(ctx: Ctx, row: AccountInsert): Promise<AccountRow> {
  return (
    await ctx.tx
      .insert(accounts)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

/** Optimistic update: applies only at the expected version; undefined means the version moved. */
export async function updateAccount(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<AccountInsert>,
): Promise<AccountRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(accounts)
      .set({ ...patch, version: sql`${accounts.version} + 1`, updatedAt: new Date() })
      .where(and(eq(accounts.tenantId, tenantId), eq(accounts.id, id), eq(accounts.version, expectedVersion)))
      .returning()
  )[0];
}

export interface AccountFilter {
  type?: AccountRow['type'];
  q?: string;
  parentAccountId?: string;
}

export async function listAccounts(
  ctx: Ctx,
  f: AccountFilter,
  scope: SQL | undefined,
  limit: number,
  beforeId?: string,
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(accounts)
    .where(
      and(
        eq(accounts.tenantId, tenantId),
        f.type ? eq(accounts.type, f.type) : undefined,
        f.parentAccountId ? eq(accounts.parentAccountId, f.parentAccountId) : undefined,
        f.q ? sql`${accounts.name} ilike ${`%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}` : undefined,
        scope,
        beforeId ? lt(accounts.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(accounts.id))
    .limit(limit);
}

/** The account and its ancestors, nearest first (bounded: a hierarchy is never deeper than this). */
export async function ancestorIds(ctx: Ctx, id: string): Promise<string[]> {
  const tenantId = requireTenant(ctx);
  const found = await rows<{ id: string }>(
    ctx.tx,
    sql`with recursive up(id, parent, depth) as (
          select id, parent_account_id, 0 from ${accounts} where tenant_id = ${tenantId} and id = ${id}
          union all
          select a.id, a.parent_account_id, up.depth + 1 from up
          join ${accounts} a on a.tenant_id = ${tenantId} and a.id = up.parent
          where up.depth < 1000
        )
        select id from up order by depth`,
  );
  return found.map((r) => r.id);
}

export async function clearPrimaryContact(ctx: Ctx, accountId: string, personId: string) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .update(accounts)
    .set({ primaryContactId: null, version: sql`${accounts.version} + 1`, updatedAt: new Date() })
    .where(and(eq(accounts.tenantId, tenantId), eq(accounts.id, accountId), eq(accounts.primaryContactId, personId)));
}

// ---------- members ----------

export async function insertMember(ctx: Ctx, row: Omit<typeof accountMembers.$inferInsert, 'tenantId'>) {
  return (
    await ctx.tx
      .insert(accountMembers)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .onConflictDoNothing()
      .returning()
  )[0];
}

export async function deleteMember(ctx: Ctx, accountId: string, personId: string): Promise<boolean> {
  const tenantId = requireTenant(ctx);
  const gone = await ctx.tx
    .delete(accountMembers)
    .where(
      and(
        eq(accountMembers.tenantId, tenantId),
        eq(accountMembers.accountId, accountId),
        eq(accountMembers.personId, personId),
      ),
    )
    .returning({ personId: accountMembers.personId });
  return gone.length > 0;
}

/** Members with their names, keyset on person id; `personScope` (over people) hides people out of scope. */
export async function listMembers(
  ctx: Ctx,
  accountId: string,
  personScope: SQL | undefined,
  limit: number,
  afterPersonId?: string,
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select({
      accountId: accountMembers.accountId,
      personId: accountMembers.personId,
      fullName: people.fullName,
      role: accountMembers.role,
      isBillingContact: accountMembers.isBillingContact,
      createdAt: accountMembers.createdAt,
    })
    .from(accountMembers)
    .innerJoin(people, and(eq(people.tenantId, accountMembers.tenantId), eq(people.id, accountMembers.personId)))
    .where(
      and(
        eq(accountMembers.tenantId, tenantId),
        eq(accountMembers.accountId, accountId),
        personScope,
        afterPersonId ? gt(accountMembers.personId, afterPersonId) : undefined,
      ),
    )
    .orderBy(asc(accountMembers.personId))
    .limit(limit);
}

// ---------- relationships ----------

export async function findRelationship(ctx: Ctx, id: string): Promise<RelationshipRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(relationships)
      .where(and(eq(relationships.tenantId, tenantId), eq(relationships.id, id)))
      .limit(1)
  )[0];
}

export async function findRelationshipByPair(ctx: Ctx, from: string, to: string, kind: string) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select({ id: relationships.id })
      .from(relationships)
      .where(
        and(
          eq(relationships.tenantId, tenantId),
          eq(relationships.fromPersonId, from),
          eq(relationships.toPersonId, to),
          eq(relationships.kind, kind),
        ),
      )
      .limit(1)
  )[0]?.id;
}

export async function insertRelationship(
  ctx: Ctx,
  row: Omit<typeof relationships.$inferInsert, 'tenantId'>,
): Promise<RelationshipRow> {
  return (
    await ctx.tx
      .insert(relationships)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function deleteRelationship(ctx: Ctx, id: string) {
  const tenantId = requireTenant(ctx);
  await ctx.tx.delete(relationships).where(and(eq(relationships.tenantId, tenantId), eq(relationships.id, id)));
}

// ---------- property interests ----------

export async function insertPropertyInterest(
  ctx: Ctx,
  row: Omit<typeof propertyInterests.$inferInsert, 'tenantId'>,
): Promise<PropertyInterestRow> {
  return (
    await ctx.tx
      .insert(propertyInterests)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function listPropertyInterests(ctx: Ctx, personId: string, limit: number, beforeId?: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(propertyInterests)
    .where(
      and(
        eq(propertyInterests.tenantId, tenantId),
        eq(propertyInterests.personId, personId),
        beforeId ? lt(propertyInterests.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(propertyInterests.id))
    .limit(limit);
}

export async function deletePropertyInterest(ctx: Ctx, personId: string, id: string): Promise<boolean> {
  const tenantId = requireTenant(ctx);
  const gone = await ctx.tx
    .delete(propertyInterests)
    .where(
      and(
        eq(propertyInterests.tenantId, tenantId),
        eq(propertyInterests.personId, personId),
        eq(propertyInterests.id, id),
      ),
    )
    .returning({ id: propertyInterests.id });
  return gone.length > 0;
}
