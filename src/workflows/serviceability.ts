import * as identity from '../modules/identity/index.ts';
import * as installers from '../modules/installers/index.ts';
import * as regions from '../modules/regions/index.ts';
import type { Ctx } from '../platform/context.ts';

/** Postcode → region → active installers covering it that offer the service (DESIGN §5). */
export async function checkServiceability(ctx: Ctx, q: { postcode: string; service?: string; country?: string }) {
  const country = q.country ?? (await identity.getTenantSettings(ctx)).defaultCountry;
  const region = await regions.resolveRegion(ctx, q.postcode, country);
  if (!region) return { serviceable: false, region: null, installers: [] };
  const able = (await installers.installersCoveringRegion(ctx, region.id)).filter(
    (i) => i.status === 'active' && (!q.service || i.services.includes(q.service)),
  );
  return { serviceable: able.length > 0, region, installers: able };
}
