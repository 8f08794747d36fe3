import { eq, sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db.ts';
import { regions } from './schema.ts';

/** SQL for imports of postcode patterns: each statement takes the whole chunk as one jsonb parameter. */

export interface PatternKey {
  country: string;
  pattern: string;
}

export async function listAllRegions(ctx: Ctx) {
  const tenantId = requireTenant(ctx);
  return ctx.tx
    .select({
      id: regions.id,
      code: regions.code,
      name: regions.name,
      country: regions.country,
      active: regions.active,
    })
    .from(regions)
    .where(eq(regions.tenantId, tenantId))
    .orderBy(regions.code);
}

export async function findPatternOwners(ctx: Ctx, keys: PatternKey[]) {
  const tenantId = requireTenant(ctx);
  if (!keys.length) return [];
  return rows<{ country: string; pattern: string; region_id: string; code: string }>(
    ctx.tx,
    sql`select k.country, k.pattern, rp.region_id, r.code
        from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(country text, pattern text)
        join region_postcodes rp on rp.tenant_id = ${tenantId} and rp.country = k.country and rp.pattern = k.pattern
        join regions r on r.tenant_id = ${tenantId} and r.id = rp.region_id`,
  );
}

/** Inserts the patterns; one already owned (by any region) is left out. */
export async function insertPatterns(ctx: Ctx, list: (PatternKey & { regionId: string })[]) {
  const tenantId = requireTenant(ctx);
  if (!list.length) return [];
  return rows<PatternKey & { region_id: string }>(
    ctx.tx,
    sql`insert into region_postcodes (tenant_id, country, pattern, region_id)
        select ${tenantId}, r.country, r.pattern, r."regionId"
        from jsonb_to_recordset(${JSON.stringify(list)}::jsonb) as r(country text, pattern text, "regionId" uuid)
        on conflict do nothing
        returning country, pattern, region_id`,
  );
}

/** Locks the patterns; those gone or owned by another region than the given one are returned. */
export async function lockPatternsOwnedBy(ctx: Ctx, list: (PatternKey & { regionId: string })[]) {
  const tenantId = requireTenant(ctx);
  if (!list.length) return [];
  return rows<PatternKey>(
    ctx.tx,
    sql`with r as (select * from jsonb_to_recordset(${JSON.stringify(list)}::jsonb)
                     as r(country text, pattern text, "regionId" uuid)),
        locked as (
          select rp.country, rp.pattern, rp.region_id from region_postcodes rp
          join r on rp.tenant_id = ${tenantId} and rp.country = r.country and rp.pattern = r.pattern
          for update of rp
        )
        select r.country, r.pattern from r
        left join locked l on l.country = r.country and l.pattern = r.pattern
        where l.region_id is distinct from r."regionId"`,
  );
}

export async function deletePatternsOwnedBy(ctx: Ctx, list: (PatternKey & { regionId: string })[]) {
  const tenantId = requireTenant(ctx);
  if (!list.length) return;
  await ctx.tx.execute(
    sql`delete from region_postcodes rp
        using jsonb_to_recordset(${JSON.stringify(list)}::jsonb) as r(country text, pattern text, "regionId" uuid)
        where rp.tenant_id = ${tenantId} and rp.country = r.country and rp.pattern = r.pattern
          and rp.region_id = r."regionId"`,
  );
}
