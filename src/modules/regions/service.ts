import type { Ctx } from '../../platform/context.ts';
import { conflict, isUniqueViolation, notFound, preconditionFailed, validationFailed } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import { appendEvent } from '../events/index.ts';
import { recordAudit } from '../identity/index.ts';
import type { RegionView } from './contracts.ts';
import { normalizePattern, normalizePostcode } from './postcodes.ts';
import * as repo from './repository.ts';

export const toView = (r: repo.RegionRow): RegionView => ({
  id: r.id,
  code: r.code,
  name: r.name,
  country: r.country,
  active: r.active,
  version: r.version,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export async function createRegion(ctx: Ctx, input: { code: string; name: string; country: string; active?: boolean }) {
  try {
    const r = await repo.insertRegion(ctx, {
      id: newId(),
      code: input.code,
      name: input.name,
      country: input.country,
      active: input.active ?? true,
    });
    await recordAudit(ctx, {
      action: 'region.created',
      entityType: 'region',
      entityId: r.id,
      changedFields: Object.keys(input),
    });
    await appendEvent(ctx, { type: 'region.created', entityType: 'region', entityId: r.id, data: { code: r.code } });
    return toView(r);
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('region.code_taken', `A region with code '${input.code}' exists.`);
    throw err;
  }
}

export async function getRegion(ctx: Ctx, id: string) {
  const r = await repo.findRegionById(ctx, id);
  if (!r) throw notFound('region.not_found', 'The region does not exist.');
  return r;
}

export async function listRegions(
  ctx: Ctx,
  q: { active?: 'true' | 'false'; country?: string; limit: number; cursor?: string },
) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'regions', q.cursor)[0] as string) : undefined;
  const found = await repo.listRegions(
    ctx,
    { active: q.active === undefined ? undefined : q.active === 'true', country: q.country },
    q.limit + 1,
    before,
  );
  const page = toPage(ctx.tenantId, 'regions', found, q.limit, (r) => [r.id]);
  return { data: page.data.map(toView), nextCursor: page.nextCursor };
}

export async function patchRegion(
  ctx: Ctx,
  id: string,
  ifMatch: number | undefined,
  patch: { name?: string; active?: boolean },
) {
  const current = await getRegion(ctx, id);
  if (ifMatch !== undefined && ifMatch !== current.version) throw preconditionFailed();
  const updated = await repo.updateRegion(ctx, id, current.version, patch);
  if (!updated) throw preconditionFailed();
  await recordAudit(ctx, {
    action: 'region.updated',
    entityType: 'region',
    entityId: id,
    changedFields: Object.keys(patch),
  });
  await appendEvent(ctx, {
    type: 'region.updated',
    entityType: 'region',
    entityId: id,
    data: { changedFields: Object.keys(patch), active: updated.active },
  });
  return toView(updated);
}

/** Replaces the region's patterns for one country. A pattern owned by another region is a 409 naming the owner. */
export async function replacePostcodes(ctx: Ctx, id: string, input: { country: string; patterns: string[] }) {
  await getRegion(ctx, id);
  const normalized = input.patterns.map((raw, i) => ({ i, ...normalizePattern(input.country, raw) }));
  const bad = normalized.filter((n) => !n.valid);
  if (bad.length) {
    throw validationFailed(
      bad.slice(0, 50).map((b) => ({
        path: `patterns.${b.i}`,
        message: `'${b.pattern}' is not a postcode pattern for ${input.country}`,
      })),
    );
  }
  const patterns = [...new Set(normalized.map((n) => n.pattern))].sort();
  const owned = await repo.findOwnedElsewhere(ctx, id, input.country, patterns);
  if (owned.length) {
    const o = owned[0];
    throw conflict('region.postcode_owned', `The pattern '${o.pattern}' is owned by region '${o.code}'.`, {
      pattern: o.pattern,
      owner: { id: o.regionId, code: o.code, name: o.name },
      conflicts: owned.slice(0, 50).map((c) => ({ pattern: c.pattern, ownerRegionId: c.regionId, ownerCode: c.code })),
    });
  }
  try {
    await repo.replacePatterns(ctx, id, input.country, patterns);
  } catch (err) {
    // A concurrent claim of the same pattern by another region lands on the primary key.
    if (isUniqueViolation(err))
      throw conflict('region.postcode_owned', 'A pattern was claimed by another region at the same time; retry.');
    throw err;
  }
  await recordAudit(ctx, {
    action: 'region.postcodes_replaced',
    entityType: 'region',
    entityId: id,
    changedFields: ['patterns'],
  });
  await appendEvent(ctx, {
    type: 'region.postcodes_replaced',
    entityType: 'region',
    entityId: id,
    data: { country: input.country, count: patterns.length },
  });
  return { country: input.country, patterns };
}

export async function listPostcodes(ctx: Ctx, id: string) {
  await getRegion(ctx, id);
  return repo.listPatterns(ctx, id);
}

export interface ServiceableRegion {
  id: string;
  code: string;
  name: string;
  matchedPattern: string;
}

/**
 * Postcode → normalized → longest owned pattern → region. The owner of the longest match decides:
 * an inactive region serves nothing (no fallback to a shorter pattern of another region).
 */
export async function resolveRegion(
  ctx: Ctx,
  postcode: string | null,
  country: string,
): Promise<ServiceableRegion | null> {
  if (!postcode) return null;
  const n = normalizePostcode(country, postcode);
  if (!n.valid) return null;
  const match = await repo.findLongestMatch(ctx, country.toUpperCase() === 'UK' ? 'GB' : country.toUpperCase(), n.keys);
  if (!match?.region.active) return null;
  return { id: match.region.id, code: match.region.code, name: match.region.name, matchedPattern: match.pattern };
}

export async function existingRegionIds(ctx: Ctx, ids: string[]) {
  return new Set((await repo.findRegionsByIds(ctx, ids)).map((r) => r.id));
}
