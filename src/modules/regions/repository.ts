import { and, desc, eq, inArray, lt, ne, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import { regionPostcodes, regions } from './schema.ts';

export type RegionRow = typeof regions.$inferSelect;

export async function insertRegion(ctx: Ctx, row: Omit<typeof regions.$inferInsert, 'tenantId'>) {
  return (
    await ctx.tx
      .insert(regions)
      .values({ ...row, tenantId: requireTenant(ctx) })
      .returning()
  )[0];
}

export async function findRegionById(ctx: Ctx, id: string): Promise<RegionRow | undefined> {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .select()
      .from(regions)
      .where(and(eq(regions.tenantId, tenantId), eq(regions.id, id)))
      .limit(1)
  )[0];
}

export async function findRegionsByIds(ctx: Ctx, ids: string[]): Promise<RegionRow[]> {
  const tenantId = requireTenant(ctx);
  if (!ids.length) return [];
  return ctx.tx
    .select()
    .from(regions)
    .where(and(eq(regions.tenantId, tenantId), inArray(regions.id, ids)));
}

export async function listRegions(
  ctx: Ctx,
  f: { active?: boolean; country?: string },
  limit: number,
  beforeId?: string,
) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select()
    .from(regions)
    .where(
      and(
        eq(regions.tenantId, tenantId),
        f.active === undefined ? undefined : eq(regions.active, f.active),
        f.country ? eq(regions.country, f.country) : undefined,
        beforeId ? lt(regions.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(regions.id))
    .limit(limit);
}

export async function updateRegion(
  ctx: Ctx,
  id: string,
  expectedVersion: number,
  patch: Partial<Pick<RegionRow, 'name' | 'active' | 'code'>>,
) {
  const tenantId = requireTenant(ctx);
  return (
    await ctx.tx
      .update(regions)
      .set({ ...patch, version: sql`${regions.version} + 1`, updatedAt: new Date() })
      .where(and(eq(regions.tenantId, tenantId), eq(regions.id, id), eq(regions.version, expectedVersion)))
      .returning()
  )[0];
}

/** Patterns of the country already owned by another region, with the owner. */
export async function findOwnedElsewhere(ctx: Ctx, regionId: string, country: string, patterns: string[]) {
  const tenantId = requireTenant(ctx);
  if (!patterns.length) return [];
  return ctx.tx
    .select({ pattern: regionPostcodes.pattern, regionId: regions.id, code: regions.code, name: regions.name })
    .from(regionPostcodes)
    .innerJoin(regions, and(eq(regions.tenantId, regionPostcodes.tenantId), eq(regions.id, regionPostcodes.regionId)))
    .where(
      and(
        eq(regionPostcodes.tenantId, tenantId),
        eq(regionPostcodes.country, country),
        inArray(regionPostcodes.pattern, patterns),
        ne(regionPostcodes.regionId, regionId),
      ),
    );
}

export async function replacePatterns(ctx: Ctx, regionId: string, country: string, patterns: string[]) {
  const tenantId = requireTenant(ctx);
  await ctx.tx
    .delete(regionPostcodes)
    .where(
      and(
        eq(regionPostcodes.tenantId, tenantId),
        eq(regionPostcodes.regionId, regionId),
        eq(regionPostcodes.country, country),
      ),
    );
  if (patterns.length) {
    await ctx.tx.insert(regionPostcodes).values(patterns.map((pattern) => ({ tenantId, regionId, country, pattern })));
  }
}

export async function listPatterns(ctx: Ctx, regionId: string) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select({ country: regionPostcodes.country, pattern: regionPostcodes.pattern })
    .from(regionPostcodes)
    .where(and(eq(regionPostcodes.tenantId, tenantId), eq(regionPostcodes.regionId, regionId)))
    .orderBy(regionPostcodes.country, regionPostcodes.pattern);
}

/** Longest owned pattern among the postcode's keys (one index probe per key via the primary key). */
export async function findLongestMatch(ctx: Ctx, country: string, keys: string[]) {
  const tenantId = requireTenant(ctx);
  if (!keys.length) return undefined;
  return (
    await ctx.tx
      .select({ pattern: regionPostcodes.pattern, region: regions })
      .from(regionPostcodes)
      .innerJoin(regions, and(eq(regions.tenantId, regionPostcodes.tenantId), eq(regions.id, regionPostcodes.regionId)))
      .where(
        and(
          eq(regionPostcodes.tenantId, tenantId),
          eq(regionPostcodes.country, country),
          inArray(regionPostcodes.pattern, keys),
        ),
      )
      .orderBy(desc(sql`length(${regionPostcodes.pattern})`))
      .limit(1)
  )[0];
}
