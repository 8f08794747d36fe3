import type { Ctx } from '../../../platform/context.ts';
import { isValidEmail, normalizeEmail, normalizeName, normalizePhone } from '../../../platform/normalize.ts';
import * as crm from '../../crm/index.ts';
import { getTenantSettings } from '../../identity/index.ts';
import { type Cells, decide, fieldError, type KindHandler, scalarDiff } from './common.ts';

/** A mapped, normalized accounts row. */
export interface AccountValues {
  name: string | null;
  type: string | null;
  domain: string | null;
  website: string | null;
  email: string | null;
  phone: string | null;
  addressLine1: string | null;
  city: string | null;
  postcode: string | null;
  country: string | null;
  externalId: string | null;
}

export const ACCOUNT_TYPES = [
  'household',
  'company',
  'nonprofit',
  'government',
  'educational',
  'developer',
  'brokerage',
];
/** A row without a type creates a company account. */
export const DEFAULT_ACCOUNT_TYPE = 'company';
const TYPE_ALIASES: Record<string, string> = {
  business: 'company',
  commercial: 'company',
  residential: 'household',
  home: 'household',
  homeowner: 'household',
  charity: 'nonprofit',
  'non-profit': 'nonprofit',
  ngo: 'nonprofit',
  public: 'government',
  council: 'government',
  school: 'educational',
  university: 'educational',
  education: 'educational',
  broker: 'brokerage',
};

/** A domain as compared: lower case, without scheme, "www.", port or path. */
export function normalizeDomain(raw: string | null): string | null {
  if (!raw) return null;
  const d = raw
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/^www\./, '')
    .replace(/[/?#:].*$/, '')
    .replace(/\.$/, '');
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(d) ? d : null;
}

/** Name compared for the weak signal: lower case, letters and digits only (the crm query does the same). */
export const nameKey = (s: string | null) => (s ? s.toLowerCase().replace(/[^a-z0-9]/g, '') || null : null);
export const postcodeKey = (s: string | null) => (s ? s.toUpperCase().replace(/[^A-Z0-9]/g, '') || null : null);

const ADDRESS: Record<string, 'line1' | 'city' | 'postcode' | 'country'> = {
  addressLine1: 'line1',
  city: 'city',
  postcode: 'postcode',
  country: 'country',
};
const METADATA = ['domain', 'website', 'email', 'phone', 'externalId'] as const;
const DIFF_FIELDS = ['name', 'type', ...Object.keys(ADDRESS), ...METADATA];

/** The account's values in the row's terms (what a diff compares). */
function current(a: crm.MatchedAccount['account']): Record<string, unknown> {
  const out: Record<string, unknown> = { name: a.name, type: a.type };
  for (const [f, k] of Object.entries(ADDRESS)) out[f] = a.billingAddress?.[k] ?? null;
  for (const f of METADATA) out[f] = a.metadata?.[f] ?? null;
  return out;
}

export function billingAddressOf(v: Record<string, unknown>) {
  const a: Record<string, string> = {};
  for (const [f, k] of Object.entries(ADDRESS)) if (v[f] != null) a[k] = String(v[f]);
  return Object.keys(a).length ? a : null;
}

export function metadataOf(v: Record<string, unknown>) {
  const m: Record<string, unknown> = {};
  for (const f of METADATA) if (v[f] != null) m[f] = v[f];
  return Object.keys(m).length ? m : null;
}

/** The patch a diff writes: name and type set, address and metadata keys merged in. */
export function accountPatchOf(diff: Record<string, { from: unknown; to: unknown }>) {
  const to = Object.fromEntries(Object.entries(diff).map(([f, d]) => [f, d.to]));
  const patch: Record<string, unknown> = {};
  if (to.name != null) patch.name = to.name;
  if (to.type != null) patch.type = to.type;
  const address = billingAddressOf(to);
  if (address) patch.billingAddress = address;
  const metadata = metadataOf(to);
  if (metadata) patch.metadata = metadata;
  return patch;
}

export const accountsKind: KindHandler<AccountValues, { defaultCountry: string }> = {
  kind: 'accounts',
  requiredMapping: (mapped) => (mapped.has('name') ? [] : [{ path: 'mapping', message: 'map a column to name' }]),
  async prepare(ctx: Ctx) {
    return { defaultCountry: (await getTenantSettings(ctx)).defaultCountry };
  },
  normalize(c: Cells, env) {
    const name = normalizeName(c.cell('name'));
    if (!name) c.errors.push(fieldError(c, 'name', 'a name is required'));
    const rawType = c.cell('type')?.toLowerCase() ?? null;
    const type = rawType ? (ACCOUNT_TYPES.includes(rawType) ? rawType : (TYPE_ALIASES[rawType] ?? null)) : null;
    if (rawType && !type)
      c.errors.push(fieldError(c, 'type', `not an account type; one of ${ACCOUNT_TYPES.join(', ')}`));
    const rawCountry = c.cell('country')?.toUpperCase() ?? null;
    const country = rawCountry && /^[A-Z]{2}$/.test(rawCountry) ? rawCountry : null;
    if (rawCountry && !country) c.errors.push(fieldError(c, 'country', 'not an ISO 3166-1 alpha-2 country code'));
    const rawWebsite = c.cell('website');
    let website: string | null = null;
    if (rawWebsite) {
      website = /^https?:\/\//i.test(rawWebsite) ? rawWebsite : `https://${rawWebsite}`;
      if (!normalizeDomain(website)) {
        c.errors.push(fieldError(c, 'website', 'not a website address'));
        website = null;
      }
    }
    const rawDomain = c.cell('domain');
    const domain = normalizeDomain(rawDomain) ?? normalizeDomain(website);
    if (rawDomain && !normalizeDomain(rawDomain)) c.errors.push(fieldError(c, 'domain', 'not a domain name'));
    const rawEmail = c.cell('email');
    const email = rawEmail ? normalizeEmail(rawEmail) : null;
    if (email && !isValidEmail(email)) c.errors.push(fieldError(c, 'email', 'not a valid email address'));
    const rawPhone = c.cell('phone');
    const phone = rawPhone ? normalizePhone(rawPhone, country ?? env.defaultCountry) : null;
    if (rawPhone && !phone) c.errors.push(fieldError(c, 'phone', 'not a valid phone number'));
    const postcode = c.cell('postcode')?.toUpperCase().replace(/\s+/g, ' ') ?? null;
    return {
      name,
      type,
      domain,
      website,
      email,
      phone,
      addressLine1: c.cell('addressLine1'),
      city: c.cell('city'),
      postcode,
      country,
      externalId: c.cell('externalId'),
    };
  },
  fileKeys(v) {
    const keys: string[] = [];
    if (v.domain) keys.push(`d:${v.domain}`);
    const n = nameKey(v.name);
    const p = postcodeKey(v.postcode);
    if (n && p) keys.push(`n:${n}|${p}`);
    return keys;
  },
  async classify(ctx, list) {
    const found = await crm.matchAccountsForImport(
      ctx,
      list.map((r) => ({
        ref: r.n,
        domain: r.values.domain,
        name: nameKey(r.values.name),
        postcode: postcodeKey(r.values.postcode),
      })),
    );
    const byRow = new Map<number, crm.MatchedAccount[]>();
    for (const m of found) byRow.set(m.ref, [...(byRow.get(m.ref) ?? []), m]);
    const out = new Map<number, ReturnType<typeof decide>>();
    for (const r of list) {
      const matches = byRow.get(r.n) ?? [];
      const evidence = matches.map((m) => ({
        signal: m.signal,
        strength: m.signal === 'domain' ? 'strong' : 'weak',
        accountId: m.account.id,
      }));
      // The domain first; name + postcode only when no domain contradicts it.
      const match =
        matches.find((m) => m.signal === 'domain') ??
        matches.find(
          (m) => m.signal === 'name_postcode' && (r.values.domain == null || m.account.metadata?.domain == null),
        );
      const diff = match
        ? scalarDiff(r.values as unknown as Record<string, unknown>, current(match.account), DIFF_FIELDS)
        : {};
      out.set(r.n, decide(match?.account, evidence, diff));
    }
    return out;
  },
};
