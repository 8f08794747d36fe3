import { sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db.ts';
import type { Address } from './contracts.ts';

/** Set-based SQL for imports of leads: each statement takes the whole chunk as one jsonb parameter. */

const OPEN = sql`('new', 'contacted', 'nurturing', 'qualified', 'matched')`;

export interface ImportLeadRow {
  id: string;
  person_id: string;
  status: string;
  version: number;
  name: string | null;
  email: string | null;
  phone: string | null;
  postcode: string | null;
  address: Address | null;
  source_detail: string | null;
  service: string | null;
  selected_path: string;
  note: string | null;
  assigned_user_id: string | null;
}

const COLUMNS = sql`l.id, l.person_id, l.status, l.version, l.name, l.email, l.phone, l.postcode, l.address,
  l.source_detail, l.service, l.selected_path, l.note, l.assigned_user_id`;

/** The tenant's open leads holding each key's email or E.164 phone. */
export async function matchOpenLeads(ctx: Ctx, keys: { ref: number; email: string | null; phone: string | null }[]) {
  const tenantId = requireTenant(ctx);
  if (!keys.length) return [];
  return rows<ImportLeadRow & { ref: number; signal: 'email' | 'phone' }>(
    ctx.tx,
    sql`with k as materialized (
          select * from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(ref int, email text, phone text)
        )
        select k.ref, 'email' as signal, ${COLUMNS}
          from k join leads l on l.tenant_id = ${tenantId} and l.status in ${OPEN} and l.email = k.email
          where k.email is not null
        union all
        select k.ref, 'phone' as signal, ${COLUMNS}
          from k join leads l on l.tenant_id = ${tenantId} and l.status in ${OPEN} and l.phone = k.phone
          where k.phone is not null
        order by 1, 2, 3`,
  );
}

/** The ids among these that exist already (a create whose id exists is not redone). */
export async function existingLeadIds(ctx: Ctx, ids: string[]) {
  const tenantId = requireTenant(ctx);
  if (!ids.length) return [];
  return (
    await rows<{ id: string }>(
      ctx.tx,
      sql`select l.id from leads l join jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb) r
            on l.tenant_id = ${tenantId} and l.id = r.value::uuid`,
    )
  ).map((r) => r.id);
}

/**
 * Applies patches to open leads (name, postcode, sourceDetail, service, selectedPath, note set; address
 * merged in) and returns each lead's values before and its new version. `old` is read and locked first.
 */
export async function patchOpenLeads(ctx: Ctx, patches: { id: string; patch: Record<string, unknown> }[]) {
  const tenantId = requireTenant(ctx);
  if (!patches.length) return [];
  const set = (column: string, key: string) =>
    sql.raw(`${column} = case when r.patch ? '${key}' then r.patch->>'${key}' else l.${column} end`);
  return rows<{ id: string; version: number; prior: Record<string, unknown> }>(
    ctx.tx,
    sql`with r as (select * from jsonb_to_recordset(${JSON.stringify(patches)}::jsonb) as r(id uuid, patch jsonb)),
        old as materialized (
          select l.id, jsonb_build_object('name', l.name, 'postcode', l.postcode, 'address', l.address,
                   'sourceDetail', l.source_detail, 'service', l.service, 'selectedPath', l.selected_path,
                   'note', l.note) as prior
          from leads l join r on l.tenant_id = ${tenantId} and l.id = r.id
          where l.status in ${OPEN}
          for update of l
        ),
        upd as (
          update leads l set
            ${set('name', 'name')},
            ${set('postcode', 'postcode')},
            ${set('source_detail', 'sourceDetail')},
            ${set('service', 'service')},
            ${set('selected_path', 'selectedPath')},
            ${set('note', 'note')},
            address = case when r.patch ? 'address'
              then coalesce(l.address, '{}'::jsonb) || (r.patch->'address') else l.address end,
            version = l.version + 1,
            updated_at = now()
          from r join old on old.id = r.id
          where l.tenant_id = ${tenantId} and l.id = r.id
          returning l.id, l.version
        )
        select upd.id, upd.version, old.prior from upd join old on old.id = upd.id`,
  );
}

/**
 * Locks the leads; returned are those gone, whose version is no longer the expected one, or — for a lead
 * the batch created — that left `new`, got a user assigned or received another submission.
 */
export async function lockLeadsAtVersions(ctx: Ctx, expected: { id: string; version: number; created: boolean }[]) {
  const tenantId = requireTenant(ctx);
  if (!expected.length) return [];
  return rows<{ id: string; version: number | null }>(
    ctx.tx,
    sql`with r as (
          select * from jsonb_to_recordset(${JSON.stringify(expected)}::jsonb) as r(id uuid, version int, created boolean)
        ),
        locked as (
          select l.id, l.version, l.status, l.assigned_user_id, l.submission_count
          from leads l join r on l.tenant_id = ${tenantId} and l.id = r.id for update of l
        )
        select r.id, l.version from r left join locked l on l.id = r.id
        where l.version is distinct from r.version
           or (r.created and (l.status <> 'new' or l.assigned_user_id is not null or l.submission_count <> 1))`,
  );
}

/** Gives updated leads their values before the import back. */
export async function restoreLeads(ctx: Ctx, restores: { id: string; prior: Record<string, unknown> }[]) {
  const tenantId = requireTenant(ctx);
  if (!restores.length) return;
  await ctx.tx.execute(
    sql`update leads l set
          name = r.prior->>'name',
          postcode = r.prior->>'postcode',
          address = case when jsonb_typeof(r.prior->'address') = 'object' then r.prior->'address' end,
          source_detail = r.prior->>'sourceDetail',
          service = r.prior->>'service',
          selected_path = coalesce(r.prior->>'selectedPath', l.selected_path),
          note = r.prior->>'note',
          version = l.version + 1,
          updated_at = now()
        from jsonb_to_recordset(${JSON.stringify(restores)}::jsonb) as r(id uuid, prior jsonb)
        where l.tenant_id = ${tenantId} and l.id = r.id`,
  );
}
