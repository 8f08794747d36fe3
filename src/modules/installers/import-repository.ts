import { and, eq, inArray, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db.ts';
import type { InstallerRow } from './repository.ts';
import { installerRegions, installers } from './schema.ts';

/** SQL for imports of installers. */

/** Name as compared: lower case, a-z and 0-9 only, without a trailing legal form (ltd, limited, llc, inc, gmbh, plc, teo). */
const NAME_KEY = sql`regexp_replace(regexp_replace(lower(i.name), '[^a-z0-9]', '', 'g'), '(ltd|limited|llc|inc|gmbh|plc|teo)$', '')`;

export async function matchInstallers(ctx: Ctx, keys: { ref: number; email: string | null; name: string | null }[]) {
  const tenantId = requireTenant(ctx);
  if (!keys.length) return [];
  return rows<{ ref: number; signal: 'email' | 'name'; id: string }>(
    ctx.tx,
    sql`with k as materialized (
          select * from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(ref int, email text, name text)
        )
        select k.ref, 'email' as signal, i.id
          from k join installers i on i.tenant_id = ${tenantId} and lower(i.email) = k.email
          where k.email is not null
        union all
        select k.ref, 'name' as signal, i.id
          from k join installers i on i.tenant_id = ${tenantId} and ${NAME_KEY} = k.name
          where k.name is not null
        order by 1, 2, 3`,
  );
}

export async function findInstallersForUpdate(ctx: Ctx, ids: string[]): Promise<InstallerRow[]> {
  const tenantId = requireTenant(ctx);
  if (!ids.length) return [];
  return ctx.tx
    .select()
    .from(installers)
    .where(and(eq(installers.tenantId, tenantId), inArray(installers.id, ids)))
    .for('update');
}

export async function insertInstallers(ctx: Ctx, list: Omit<typeof installers.$inferInsert, 'tenantId'>[]) {
  const tenantId = requireTenant(ctx);
  if (!list.length) return [];
  return ctx.tx
    .insert(installers)
    .values(list.map((r) => ({ ...r, tenantId })))
    .onConflictDoNothing()
    .returning({ id: installers.id, version: installers.version });
}

export async function updateInstallerColumns(ctx: Ctx, id: string, set: Partial<typeof installers.$inferInsert>) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(installers)
      .set({ ...set, version: sql`${installers.version} + 1`, updatedAt: new Date() })
      .where(and(eq(installers.tenantId, tenantId), eq(installers.id, id)))
      .returning({ id: installers.id, version: installers.version })
  )[0];
}

export async function addRegions(ctx: Ctx, pairs: { installerId: string; regionId: string }[]) {
  const tenantId = requireTenant(ctx);
  if (!pairs.length) return;
  await ctx.tx
    .insert(installerRegions)
    .values(pairs.map((p) => ({ tenantId, ...p })))
    .onConflictDoNothing();
}

export async function setRegions(ctx: Ctx, installerId: string, regionIds: string[]) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .delete(installerRegions)
    .where(and(eq(installerRegions.tenantId, tenantId), eq(installerRegions.installerId, installerId)));
  await addRegions(
    ctx,
    regionIds.map((regionId) => ({ installerId, regionId })),
  );
}

/**
 * Removes installers and their coverage. Contacts, notes, users or assignments added since keep them
 * (the foreign keys refuse the delete).
 */
export async function deleteInstallers(ctx: Ctx, ids: string[]) {
  const tenantId = requireTenant(ctx);
  if (!ids.length) return;
  await ctx.tx
    .delete(installerRegions)
    .where(and(eq(installerRegions.tenantId, tenantId), inArray(installerRegions.installerId, ids)));
  await ctx.tx.delete(installers).where(and(eq(installers.tenantId, tenantId), inArray(installers.id, ids)));
}
