import * as crm from '../modules/crm/index.ts';
import * as identity from '../modules/identity/index.ts';
import { systemActor } from '../platform/context.ts';
import type { Database } from '../platform/db.ts';
import { AppError } from '../platform/errors.ts';
import { newId, randomToken } from '../platform/ids.ts';

export interface ProvisionInput {
  slug: string;
  name: string;
  adminEmail: string;
  adminPassword: string;
  adminName?: string;
  settings?: Record<string, unknown>;
  isPlatform?: boolean;
}

/** A new tenant with its roles, owner user, owner API key and default pipelines, in one transaction. */
export async function provisionTenant(db: Database, input: ProvisionInput, requestId = 'cli') {
  const tenantId = newId();
  return db.tenantTx(tenantId, async (tx) => {
    const ctx = { tenantId, tx, actor: systemActor(), requestId };
    const created = await identity.createTenant(ctx, input);
    await crm.seedDefaultPipelines(ctx);
    return created;
  });
}

export const PLATFORM_TENANT_SLUG = 'helio-platform';

/** The platform's own tenant holds the waitlist; created on first start by whichever process gets there. */
export async function ensurePlatformTenant(db: Database) {
  if (await identity.findPlatformTenant(db)) return;
  try {
    await provisionTenant(db, {
      slug: PLATFORM_TENANT_SLUG,
      name: 'Helio platform',
      adminEmail: 'platform@helio.invalid',
      adminPassword: randomToken(24),
      isPlatform: true,
    });
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'tenant.slug_taken')) throw err;
  }
}
