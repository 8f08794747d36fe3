import { sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../../platform/context.ts';
import { rows } from '../../../platform/db.ts';

/**
 * Set-based SQL for bulk imports of people: every statement takes a whole chunk as one jsonb
 * parameter (jsonb_to_recordset), so a chunk of thousands of rows is one round trip, never row-at-a-time.
 */

export interface MatchKey {
  ref: number;
  email: string | null;
  phone: string | null;
  /** Lower-cased normalized full name and the postcode as people store it (upper case, single spaces). */
  name: string | null;
  postcode: string | null;
}

export interface MatchedPersonRow {
  ref: number;
  signal: 'email' | 'phone' | 'name_postcode';
  id: string;
  full_name: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  postcode: string | null;
  address: Record<string, unknown> | null;
  persona_labels: string[];
  version: number;
}

const PERSON_COLUMNS = sql`p.id, p.full_name, p.first_name, p.last_name, p.email, p.phone, p.postcode, p.address, p.persona_labels, p.version`;

/**
 * Existing people for each key: by email, by phone (any of the person's phones), and — only for keys that
 * neither found — by the weaker name + postcode (a strong match decides the row; probing the weak signal
 * for it as well would cost a third of the statement and only repeat the person already found).
 */
export async function matchPeople(ctx: Ctx, keys: MatchKey[]): Promise<MatchedPersonRow[]> {
  const tenantId = requireTenant(ctx);
  if (!keys.length) return [];
  return rows<MatchedPersonRow>(
    ctx.tx,
    sql`with k as materialized (
          select * from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb)
            as k(ref int, email text, phone text, name text, postcode text)
        ),
        strong as materialized (
          select k.ref, 'email' as signal, ${PERSON_COLUMNS}
            from k join people p on p.tenant_id = ${tenantId} and p.email = k.email and p.erased_at is null
            where k.email is not null
          union all
          select k.ref, 'phone' as signal, ${PERSON_COLUMNS}
            from k
            join person_phones pp on pp.tenant_id = ${tenantId} and pp.phone = k.phone
            join people p on p.tenant_id = ${tenantId} and p.id = pp.person_id and p.erased_at is null
            where k.phone is not null
        )
        select * from strong
        union all
        select k.ref, 'name_postcode' as signal, ${PERSON_COLUMNS}
          from k join people p on p.tenant_id = ${tenantId} and p.postcode = k.postcode
            and lower(p.full_name) = k.name and p.erased_at is null
          where k.name is not null and k.postcode is not null
            and not exists (select 1 from strong s where s.ref = k.ref)`,
  );
}

export interface NewPersonRow {
  id: string;
  full_name: string | null;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  postcode: string | null;
  address: Record<string, unknown> | null;
  persona_labels: string[];
}

/**
 * Inserts the people with their primary email and phone rows in one statement. A pre-assigned id that
 * already exists, or a primary email another person took meanwhile, is left out: the caller learns
 * which ids were inserted.
 */
export async function insertPeople(ctx: Ctx, people: NewPersonRow[], createdByUserId: string | null) {
  const tenantId = requireTenant(ctx);
  if (!people.length) return [];
  return rows<{ id: string; version: number }>(
    ctx.tx,
    sql`with r as (
          select * from jsonb_to_recordset(${JSON.stringify(people)}::jsonb)
            as r(id uuid, full_name text, first_name text, last_name text, email text, phone text,
                 postcode text, address jsonb, persona_labels jsonb)
        ),
        ins as (
          insert into people (tenant_id, id, full_name, first_name, last_name, email, phone, postcode, address,
                              persona_labels, created_by_user_id)
          select ${tenantId}, r.id, r.full_name, r.first_name, r.last_name, r.email, r.phone, r.postcode, r.address,
                 coalesce(array(select jsonb_array_elements_text(r.persona_labels)), '{}'), ${createdByUserId}::uuid
          from r
          where r.email is null or not exists (
            select 1 from people x where x.tenant_id = ${tenantId} and x.email = r.email and x.erased_at is null)
          on conflict do nothing
          returning id, email, phone, version
        ),
        e as (
          insert into person_emails (tenant_id, person_id, email, is_primary)
          select ${tenantId}, id, email, true from ins where email is not null
        ),
        ph as (
          insert into person_phones (tenant_id, person_id, phone, is_primary)
          select ${tenantId}, id, phone, true from ins where phone is not null
        )
        select id, version from ins`,
  );
}

export interface PatchRow {
  id: string;
  /** Keys present are set: fullName, firstName, lastName, postcode, personaLabels, email, phone; address is merged in. */
  patch: Record<string, unknown>;
}

export interface PatchedRow {
  id: string;
  version: number;
  prior: Record<string, unknown>;
}

/**
 * Applies field patches to existing people (email and phone only fill an empty one, and get their
 * contact-point row) and returns each person's values before the change and its new version.
 * `old` is joined into the UPDATE so it is read and locked first: a lock taken after this statement
 * updated a row would skip that row.
 */
export async function patchPeople(ctx: Ctx, patches: PatchRow[]): Promise<PatchedRow[]> {
  const tenantId = requireTenant(ctx);
  if (!patches.length) return [];
  const has = (k: string) => sql.raw(`r.patch ? '${k}'`);
  const txt = (k: string) => sql.raw(`r.patch->>'${k}'`);
  return rows<PatchedRow>(
    ctx.tx,
    sql`with r as (
          select * from jsonb_to_recordset(${JSON.stringify(patches)}::jsonb) as r(id uuid, patch jsonb)
        ),
        old as materialized (
          select p.id, jsonb_build_object('fullName', p.full_name, 'firstName', p.first_name, 'lastName', p.last_name,
                   'email', p.email, 'phone', p.phone, 'postcode', p.postcode, 'address', p.address,
                   'personaLabels', to_jsonb(p.persona_labels)) as prior,
                 p.email as old_email, p.phone as old_phone
          from people p join r on p.tenant_id = ${tenantId} and p.id = r.id
          for update of p
        ),
        upd as (
          update people p set
            full_name = case when ${has('fullName')} then ${txt('fullName')} else p.full_name end,
            first_name = case when ${has('firstName')} then ${txt('firstName')} else p.first_name end,
            last_name = case when ${has('lastName')} then ${txt('lastName')} else p.last_name end,
            postcode = case when ${has('postcode')} then ${txt('postcode')} else p.postcode end,
            address = case when ${has('address')} then coalesce(p.address, '{}'::jsonb) || (r.patch->'address') else p.address end,
            persona_labels = case when ${has('personaLabels')}
              then array(select jsonb_array_elements_text(r.patch->'personaLabels')) else p.persona_labels end,
            email = case when ${has('email')} and p.email is null then ${txt('email')} else p.email end,
            phone = case when ${has('phone')} and p.phone is null then ${txt('phone')} else p.phone end,
            version = p.version + 1,
            updated_at = now()
          from r join old on old.id = r.id
          where p.tenant_id = ${tenantId} and p.id = r.id and p.erased_at is null
          returning p.id, p.version, p.email, p.phone
        ),
        e as (
          insert into person_emails (tenant_id, person_id, email, is_primary)
          select ${tenantId}, upd.id, upd.email, true from upd join old on old.id = upd.id
          where old.old_email is null and upd.email is not null
          on conflict do nothing
        ),
        ph as (
          insert into person_phones (tenant_id, person_id, phone, is_primary)
          select ${tenantId}, upd.id, upd.phone, true from upd join old on old.id = upd.id
          where old.old_phone is null and upd.phone is not null
          on conflict do nothing
        )
        select upd.id, upd.version, old.prior from upd join old on old.id = upd.id`,
  );
}

/** Locks the people and returns those whose version is no longer the expected one (or that are gone). */
export async function lockPeopleAtVersions(ctx: Ctx, expected: { id: string; version: number }[]) {
  const tenantId = requireTenant(ctx);
  if (!expected.length) return [];
  return rows<{ id: string; version: number | null }>(
    ctx.tx,
    sql`with r as (select * from jsonb_to_recordset(${JSON.stringify(expected)}::jsonb) as r(id uuid, version int)),
        locked as (
          select p.id, p.version from people p join r on p.tenant_id = ${tenantId} and p.id = r.id for update of p
        )
        select r.id, l.version from r left join locked l on l.id = r.id
        where l.version is distinct from r.version`,
  );
}

/** Removes people a batch created, with their contact points. */
export async function deletePeople(ctx: Ctx, ids: string[]) {
  const tenantId = requireTenant(ctx);
  if (!ids.length) return;
  const list = JSON.stringify(ids);
  await ctx.tx.execute(
    sql`with r as (select value::uuid as id from jsonb_array_elements_text(${list}::jsonb)),
        e as (delete from person_emails x using r where x.tenant_id = ${tenantId} and x.person_id = r.id),
        ph as (delete from person_phones x using r where x.tenant_id = ${tenantId} and x.person_id = r.id)
        delete from people p using r where p.tenant_id = ${tenantId} and p.id = r.id`,
  );
}

/**
 * Puts the prior values back; an email or phone the batch filled in (the prior one was empty) loses
 * its contact-point row.
 */
export async function restorePeople(ctx: Ctx, restores: { id: string; prior: Record<string, unknown> }[]) {
  const tenantId = requireTenant(ctx);
  if (!restores.length) return;
  await ctx.tx.execute(
    sql`with r as (select * from jsonb_to_recordset(${JSON.stringify(restores)}::jsonb) as r(id uuid, prior jsonb)),
        cur as (select p.id, p.email, p.phone from people p join r on p.tenant_id = ${tenantId} and p.id = r.id),
        e as (
          delete from person_emails x using cur, r
          where x.tenant_id = ${tenantId} and x.person_id = cur.id and r.id = cur.id
            and r.prior->>'email' is null and x.email = cur.email
        ),
        ph as (
          delete from person_phones x using cur, r
          where x.tenant_id = ${tenantId} and x.person_id = cur.id and r.id = cur.id
            and r.prior->>'phone' is null and x.phone = cur.phone
        )
        update people p set
          full_name = r.prior->>'fullName',
          first_name = r.prior->>'firstName',
          last_name = r.prior->>'lastName',
          email = r.prior->>'email',
          phone = r.prior->>'phone',
          postcode = r.prior->>'postcode',
          address = case when jsonb_typeof(r.prior->'address') = 'object' then r.prior->'address' else null end,
          persona_labels = coalesce(array(select jsonb_array_elements_text(r.prior->'personaLabels')), '{}'),
          version = p.version + 1,
          updated_at = now()
        from r
        where p.tenant_id = ${tenantId} and p.id = r.id`,
  );
}
