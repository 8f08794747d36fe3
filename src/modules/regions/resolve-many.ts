import { sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db.ts';
import { normalizePostcode } from './postcodes.ts';
import type { ServiceableRegion } from './service.ts';

/** Canonical country code for pattern lookups, as resolveRegion uses. */
const canonical = (country: string) => (country.toUpperCase() === 'UK' ? 'GB' : country.toUpperCase());

/**
 * resolveRegion for many postcodes at once (reports): the same normalizer and longest-match rule, with
 * every candidate pattern looked up in one statement. The result is index-aligned with the input;
 * null where a postcode is missing, invalid, unowned, or its longest match belongs to an inactive region.
 */
export async function resolveRegions(
  ctx: Ctx,
  postcodes: { postcode: string | null; country: string }[],
): Promise<(ServiceableRegion | null)[]> {
  const tenantId = requireTenant(ctx);
  const keyed = postcodes.map((p) => {
    if (!p.postcode) return null;
    const n = normalizePostcode(p.country, p.postcode);
    return n.valid ? { country: canonical(p.country), keys: n.keys } : null;
  });
  const wanted = new Map<string, { country: string; pattern: string }>();
  for (const k of keyed)
    for (const pattern of k?.keys ?? []) wanted.set(`${k!.country}|${pattern}`, { country: k!.country, pattern });
  if (!wanted.size) return postcodes.map(() => null);

  const owners = await rows<{
    country: string;
    pattern: string;
    id: string;
    code: string;
    name: string;
    active: boolean;
  }>(
    ctx.tx,
    sql`select k.country, k.pattern, r.id, r.code, r.name, r.active
      from jsonb_to_recordset(${JSON.stringify([...wanted.values()])}::jsonb) as k(country text, pattern text)
      join region_postcodes rp on rp.tenant_id = ${tenantId} and rp.country = k.country and rp.pattern = k.pattern
      join regions r on r.tenant_id = ${tenantId} and r.id = rp.region_id`,
  );
  const byKey = new Map(owners.map((o) => [`${o.country}|${o.pattern}`, o]));
  return keyed.map((k) => {
    if (!k) return null;
    // Keys come longest first: the first owned one is the longest match, and its owner decides.
    const match = k.keys.map((pattern) => byKey.get(`${k.country}|${pattern}`)).find(Boolean);
    if (!match?.active) return null;
    return { id: match.id, code: match.code, name: match.name, matchedPattern: match.pattern };
  });
}
