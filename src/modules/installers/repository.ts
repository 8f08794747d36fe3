import { and, arrayContains, asc, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import { installerContacts, installerNotes, installerRegions, installers } from './schema.ts';

export type InstallerRow = typeof installers.$inferSelect;
export type ContactRow = typeof installerContacts.$inferSelect;
export type NoteRow = typeof installerNotes.$inferSelect;

export async function insertInstaller(ctx: Ctx, row: Omit<typeof installers.$inferInsert, 'tenantId'>) {
  return (
    await ctx.tx
      .insert(installers)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function findInstallerById(ctx: Ctx, id: string): Promise<InstallerRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(installers)
      .where(and(eq(installers.tenantId, tenantId), eq(installers.id, id)))
      .limit(1)
  )[0];
}

export async function findInstallersByIds(ctx: Ctx, ids: string[]): Promise<InstallerRow[]> {
  const tenantId = requireTenant(ctx);
  if (!ids.length) return [];
  return ctx.tx
    .select()
    .from(installers)
    .where(and(eq(installers.tenantId, tenantId), inArray(installers.id, ids)));
}

export async function listInstallers(
  ctx: Ctx,
  f: { status?: string; service?: string; regionId?: string },
  limit: number,
  beforeId?: string,
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(installers)
    .where(
      and(
        eq(installers.tenantId, tenantId),
        f.status ? eq(installers.status, f.status as InstallerRow['status']) : undefined,
        f.service ? arrayContains(installers.services, [f.service]) : undefined,
        f.regionId
          ? sql`exists (select 1 from installer_regions ir where ir.tenant_id = ${installers.tenantId} and ir.installer_id = ${installers.id} and ir.region_id = ${f.regionId})`
          : undefined,
        beforeId ? lt(installers.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(installers.id))
    .limit(limit);
}

export async function updateInstaller(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<typeof installers.$inferInsert>,
) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(installers)
      .set({ ...patch, version: sql`${installers.version} + 1`, updatedAt: new Date() })
      .where(and(eq(installers.tenantId, tenantId), eq(installers.id, id), eq(installers.version, expectedVersion)))
      .returning()
  )[0];
}

/** Installers covering a region (any status: routing explains why inactive ones are dropped). */
export async function listCoveringRegion(ctx: Ctx, regionId: string): Promise<InstallerRow[]> {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select({ i: installers })
    .from(installerRegions)
    .innerJoin(
      installers,
      and(eq(installers.tenantId, installerRegions.tenantId), eq(installers.id, installerRegions.installerId)),
    )
    .where(and(eq(installerRegions.tenantId, tenantId), eq(installerRegions.regionId, regionId)))
    .orderBy(asc(installers.id))
    .then((rows) => rows.map((r) => r.i));
}

export async function regionIdsOf(ctx: Ctx, installerIds: string[]): Promise<Map<string, string[]>> {
  const tenantId = requireTenant(ctx);
  const out = new Map<string, string[]>(installerIds.map((id) => [id, []]));
  if (!installerIds.length) return out;
  const found = await ctx.tx
    .select({ installerId: installerRegions.installerId, regionId: installerRegions.regionId })
    .from(installerRegions)
    .where(and(eq(installerRegions.tenantId, tenantId), inArray(installerRegions.installerId, installerIds)))
    .orderBy(installerRegions.regionId);
  for (const r of found) out.get(r.installerId)?.push(r.regionId);
  return out;
}

export async function replaceRegions(ctx: Ctx, installerId: string, regionIds: string[]) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .delete(installerRegions)
    .where(and(eq(installerRegions.tenantId, tenantId), eq(installerRegions.installerId, installerId)));
  if (regionIds.length) {
    await ctx.tx.insert(installerRegions).values(regionIds.map((regionId) => ({ tenantId, installerId, regionId })));
  }
}

export async function insertContact(ctx: Ctx, row: Omit<typeof installerContacts.$inferInsert, 'tenantId'>) {
  return (
    await ctx.tx
      .insert(installerContacts)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function listContacts(ctx: Ctx, installerId: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(installerContacts)
    .where(and(eq(installerContacts.tenantId, tenantId), eq(installerContacts.installerId, installerId)))
    .orderBy(asc(installerContacts.id));
}

export async function insertNote(ctx: Ctx, row: Omit<typeof installerNotes.$inferInsert, 'tenantId'>) {
  return (
    await ctx.tx
      .insert(installerNotes)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function listNotes(ctx: Ctx, installerId: string, kinds: ('quality' | 'internal')[]) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(installerNotes)
    .where(
      and(
        eq(installerNotes.tenantId, tenantId),
        eq(installerNotes.installerId, installerId),
        inArray(installerNotes.kind, kinds),
      ),
    )
    .orderBy(desc(installerNotes.id));
}
