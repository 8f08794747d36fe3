import { sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../../platform/context.ts';
import { rows } from '../../../platform/db.ts';
import type { PostalAddress } from '../schema.ts';

/** Set-based SQL for imports of accounts: each statement takes the whole chunk as one jsonb parameter. */

export interface AccountMatchKey {
  ref: number;
  /** Lower-case domain as imports store it in metadata.domain. */
  domain: string | null;
  /** Name lower-cased with everything but a-z and 0-9 removed, and the postcode upper-cased likewise. */
  name: string | null;
  postcode: string | null;
}

export interface ImportAccountRow {
  id: string;
  name: string;
  type: string;
  billing_address: PostalAddress | null;
  metadata: Record<string, unknown> | null;
  version: number;
}

const COLUMNS = sql`a.id, a.name, a.type, a.billing_address, a.metadata, a.version`;

export async function matchAccounts(ctx: Ctx, keys: AccountMatchKey[]) {
  const tenantId = requireTenant(ctx);
  if (!keys.length) return [];
  return rows<ImportAccountRow & { ref: number; signal: 'domain' | 'name_postcode' }>(
    ctx.tx,
    sql`with k as materialized (
          select * from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb)
            as k(ref int, domain text, name text, postcode text)
        )
        select k.ref, 'domain' as signal, ${COLUMNS}
          from k join accounts a on a.tenant_id = ${tenantId} and lower(a.metadata->>'domain') = k.domain
          where k.domain is not null
        union all
        select k.ref, 'name_postcode' as signal, ${COLUMNS}
          from k join accounts a on a.tenant_id = ${tenantId}
            and regexp_replace(lower(a.name), '[^a-z0-9]', '', 'g') = k.name
            and regexp_replace(upper(a.billing_address->>'postcode'), '[^A-Z0-9]', '', 'g') = k.postcode
          where k.name is not null and k.postcode is not null
        order by 1, 2, 3`,
  );
}

/** Inserts accounts with pre-assigned ids; an id that exists already is left out (a retried chunk). */
export async function insertAccounts(
  ctx: Ctx,
  list: { id: string; name: string; type: string; billing_address: unknown; metadata: unknown }[],
) {
  const tenantId = requireTenant(ctx);
  if (!list.length) return [];
  return rows<{ id: string; version: number }>(
    ctx.tx,
    sql`insert into accounts (tenant_id, id, name, type, billing_address, metadata)
        select ${tenantId}, r.id, r.name, r.type, r.billing_address, r.metadata
        from jsonb_to_recordset(${JSON.stringify(list)}::jsonb)
          as r(id uuid, name text, type text, billing_address jsonb, metadata jsonb)
        on conflict do nothing
        returning id, version`,
  );
}

/**
 * Applies patches (name, type set; billingAddress and metadata merged in) and returns each account's
 * values before and its new version. `old` is read and locked before the update.
 */
export async function patchAccounts(ctx: Ctx, patches: { id: string; patch: Record<string, unknown> }[]) {
  const tenantId = requireTenant(ctx);
  if (!patches.length) return [];
  return rows<{ id: string; version: number; prior: Record<string, unknown> }>(
    ctx.tx,
    sql`with r as (select * from jsonb_to_recordset(${JSON.stringify(patches)}::jsonb) as r(id uuid, patch jsonb)),
        old as materialized (
          select a.id, jsonb_build_object('name', a.name, 'type', a.type, 'billingAddress', a.billing_address,
                   'metadata', a.metadata) as prior
          from accounts a join r on a.tenant_id = ${tenantId} and a.id = r.id
          for update of a
        ),
        upd as (
          update accounts a set
            name = coalesce(r.patch->>'name', a.name),
            type = coalesce(r.patch->>'type', a.type),
            billing_address = case when r.patch ? 'billingAddress'
              then coalesce(a.billing_address, '{}'::jsonb) || (r.patch->'billingAddress') else a.billing_address end,
            metadata = case when r.patch ? 'metadata'
              then coalesce(a.metadata, '{}'::jsonb) || (r.patch->'metadata') else a.metadata end,
            version = a.version + 1,
            updated_at = now()
          from r join old on old.id = r.id
          where a.tenant_id = ${tenantId} and a.id = r.id
          returning a.id, a.version
        )
        select upd.id, upd.version, old.prior from upd join old on old.id = upd.id`,
  );
}

/** Locks the accounts; those whose version is no longer the expected one (or that are gone) are returned. */
export async function lockAccountsAtVersions(ctx: Ctx, expected: { id: string; version: number }[]) {
  const tenantId = requireTenant(ctx);
  if (!expected.length) return [];
  return rows<{ id: string; version: number | null }>(
    ctx.tx,
    sql`with r as (select * from jsonb_to_recordset(${JSON.stringify(expected)}::jsonb) as r(id uuid, version int)),
        locked as (
          select a.id, a.version from accounts a join r on a.tenant_id = ${tenantId} and a.id = r.id for update of a
        )
        select r.id, l.version from r left join locked l on l.id = r.id
        where l.version is distinct from r.version`,
  );
}

export async function deleteAccounts(ctx: Ctx, ids: string[]) {
  const tenantId = requireTenant(ctx);
  if (!ids.length) return;
  await ctx.tx.execute(
    sql`delete from accounts a using jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb) r
        where a.tenant_id = ${tenantId} and a.id = r.value::uuid`,
  );
}

export async function restoreAccounts(ctx: Ctx, restores: { id: string; prior: Record<string, unknown> }[]) {
  const tenantId = requireTenant(ctx);
  if (!restores.length) return;
  await ctx.tx.execute(
    sql`update accounts a set
          name = r.prior->>'name',
          type = r.prior->>'type',
          billing_address = case when jsonb_typeof(r.prior->'billingAddress') = 'object' then r.prior->'billingAddress' end,
          metadata = case when jsonb_typeof(r.prior->'metadata') = 'object' then r.prior->'metadata' end,
          version = a.version + 1,
          updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(restores)}::jsonb) as r(id uuid, prior jsonb)
        where a.tenant_id = ${tenantId} and a.id = r.id`,
  );
}
