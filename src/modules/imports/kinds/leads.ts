import type { Ctx } from '../../../platform/context.ts';
import { isValidEmail, normalizeEmail, normalizeName, normalizePhone } from '../../../platform/normalize.ts';
import { getTenantSettings } from '../../identity/index.ts';
import * as leads from '../../leads/index.ts';
import { type Cells, type Decision, type Diff, decide, fieldError, type KindHandler, scalarDiff } from './common.ts';

/** A mapped, normalized leads row. */
export interface LeadValues {
  fullName: string | null;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  postcode: string | null;
  addressLine1: string | null;
  city: string | null;
  country: string | null;
  source: (typeof leads.LEAD_SOURCES)[number];
  sourceDetail: string | null;
  service: string | null;
  selectedPath: (typeof leads.SELECTED_PATHS)[number] | null;
  note: string | null;
}

/** A row without a source is an `import` lead (a source of the lead model). */
export const DEFAULT_LEAD_SOURCE = 'import';
/** A created lead without a selected path is `undecided`, as at intake. */
export const DEFAULT_SELECTED_PATH = 'undecided';

const SOURCE_ALIASES: Record<string, (typeof leads.LEAD_SOURCES)[number]> = {
  web: 'website',
  web_form: 'website',
  webform: 'website',
  online: 'website',
  site: 'website',
  landing_page: 'minisite',
  referred: 'referral',
  recommendation: 'referral',
  affiliate: 'partner',
  marketplace: 'partner',
  telephone: 'phone',
  call: 'phone',
  inbound_call: 'phone',
  walkin: 'walk_in',
  showroom: 'walk_in',
  event: 'walk_in',
  ad: 'campaign',
  ads: 'campaign',
  ppc: 'campaign',
  facebook: 'campaign',
  facebook_ads: 'campaign',
  google_ads: 'campaign',
  email_campaign: 'campaign',
  csv: 'import',
  spreadsheet: 'import',
  wait_list: 'waitlist',
};
const PATH_ALIASES: Record<string, (typeof leads.SELECTED_PATHS)[number]> = {
  recommendation: 'recommended',
  quotes: 'compare_quotes',
  compare: 'compare_quotes',
  unsure: 'undecided',
};

const codeOf = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

const ADDRESS: Record<string, 'line1' | 'city' | 'country'> = {
  addressLine1: 'line1',
  city: 'city',
  country: 'country',
};
/** What an import may change on an open lead: contact details other than email and phone, and the enquiry. */
const DIFF_FIELDS = ['fullName', 'postcode', ...Object.keys(ADDRESS), 'sourceDetail', 'service'];

/** The lead's address from a row's (or a diff's) values; the postcode is the lead's own column. */
export function leadAddressOf(v: Record<string, unknown>) {
  const a: Record<string, string> = {};
  for (const [f, k] of Object.entries(ADDRESS)) if (v[f] != null) a[k] = String(v[f]);
  return Object.keys(a).length ? a : null;
}

/** The patch a diff writes (keys of leads.patchLeadsFromImport). */
export function leadPatchOf(diff: Diff) {
  const to = Object.fromEntries(Object.entries(diff).map(([f, d]) => [f, d.to]));
  const patch: Record<string, unknown> = {};
  if (to.fullName != null) patch.name = to.fullName;
  for (const f of ['postcode', 'sourceDetail', 'service', 'selectedPath', 'note']) if (to[f] != null) patch[f] = to[f];
  const address = leadAddressOf(to);
  if (address) patch.address = address;
  return patch;
}

/** The lead's values in the row's terms (what a diff compares). */
function current(l: leads.MatchedLead['lead']): Record<string, unknown> {
  const out: Record<string, unknown> = {
    fullName: l.name,
    postcode: l.postcode,
    sourceDetail: l.sourceDetail,
    service: l.service,
  };
  for (const [f, k] of Object.entries(ADDRESS)) out[f] = (l.address as Record<string, unknown> | null)?.[k] ?? null;
  return out;
}

function diffAgainst(v: LeadValues, l: leads.MatchedLead['lead']) {
  const diff = scalarDiff(v as unknown as Record<string, unknown>, current(l), DIFF_FIELDS);
  // A choice the homeowner made and a staff note are never overwritten; the file only fills them.
  if (v.selectedPath && l.selectedPath === DEFAULT_SELECTED_PATH && v.selectedPath !== l.selectedPath) {
    diff.selectedPath = { from: l.selectedPath, to: v.selectedPath };
  }
  if (v.note && l.note == null) diff.note = { from: null, to: v.note };
  return diff;
}

export const leadsKind: KindHandler<LeadValues, { defaultCountry: string }> = {
  kind: 'leads',
  requiredMapping(mapped) {
    const errors: { path: string; message: string }[] = [];
    if (!['fullName', 'firstName', 'lastName'].some((f) => mapped.has(f))) {
      errors.push({ path: 'mapping', message: 'map a column to fullName, firstName or lastName' });
    }
    if (!mapped.has('email') && !mapped.has('phone')) {
      errors.push({ path: 'mapping', message: 'map a column to email or phone' });
    }
    return errors;
  },
  async prepare(ctx: Ctx) {
    return { defaultCountry: (await getTenantSettings(ctx)).defaultCountry };
  },
  normalize(c: Cells, env) {
    const first = normalizeName(c.cell('firstName'));
    const last = normalizeName(c.cell('lastName'));
    const full = normalizeName(c.cell('fullName') ?? ([first, last].filter(Boolean).join(' ') || null));
    const parts = full && !first && !last ? full.split(' ') : null;
    if (!full) c.errors.push(fieldError(c, c.column('fullName') ? 'fullName' : 'firstName', 'a name is required'));
    const rawCountry = c.cell('country')?.toUpperCase() ?? null;
    const country = rawCountry && /^[A-Z]{2}$/.test(rawCountry) ? rawCountry : null;
    if (rawCountry && !country) c.errors.push(fieldError(c, 'country', 'not an ISO 3166-1 alpha-2 country code'));
    const rawEmail = c.cell('email');
    let email = rawEmail ? normalizeEmail(rawEmail) : null;
    if (email && !isValidEmail(email)) {
      c.errors.push(fieldError(c, 'email', 'not a valid email address'));
      email = null;
    }
    const rawPhone = c.cell('phone');
    const phone = rawPhone ? normalizePhone(rawPhone, country ?? env.defaultCountry) : null;
    if (rawPhone && !phone) c.errors.push(fieldError(c, 'phone', 'not a valid phone number'));
    if (!rawEmail && !rawPhone) {
      c.errors.push(fieldError(c, c.column('email') ? 'email' : 'phone', 'an email or a phone number is required'));
    }
    const rawSource = c.cell('source');
    const sourceCode = rawSource ? codeOf(rawSource) : null;
    const source = sourceCode
      ? (leads.LEAD_SOURCES as readonly string[]).includes(sourceCode)
        ? (sourceCode as LeadValues['source'])
        : SOURCE_ALIASES[sourceCode]
      : DEFAULT_LEAD_SOURCE;
    if (!source) c.errors.push(fieldError(c, 'source', `not a lead source; one of ${leads.LEAD_SOURCES.join(', ')}`));
    const rawService = c.cell('service');
    const service = rawService ? codeOf(rawService) : null;
    if (service && !/^[a-z][a-z0-9_]{0,63}$/.test(service)) {
      c.errors.push(fieldError(c, 'service', `'${rawService}' is not a service code`));
    }
    const rawPath = c.cell('selectedPath');
    const pathCode = rawPath ? codeOf(rawPath) : null;
    const selectedPath = pathCode
      ? (leads.SELECTED_PATHS as readonly string[]).includes(pathCode)
        ? (pathCode as LeadValues['selectedPath'])
        : (PATH_ALIASES[pathCode] ?? null)
      : null;
    if (pathCode && !selectedPath) {
      c.errors.push(fieldError(c, 'selectedPath', `not a selected path; one of ${leads.SELECTED_PATHS.join(', ')}`));
    }
    return {
      fullName: full,
      firstName: first ?? parts?.[0] ?? null,
      lastName: last ?? (parts && parts.length > 1 ? parts[parts.length - 1] : null),
      email,
      phone,
      postcode: c.cell('postcode')?.toUpperCase().replace(/\s+/g, ' ') ?? null,
      addressLine1: c.cell('addressLine1'),
      city: c.cell('city'),
      country,
      source: source ?? DEFAULT_LEAD_SOURCE,
      sourceDetail: c.cell('sourceDetail'),
      service,
      selectedPath,
      note: c.cell('note'),
    };
  },
  fileKeys(v) {
    const keys: string[] = [];
    if (v.email) keys.push(`e:${v.email}`);
    if (v.phone) keys.push(`p:${v.phone}`);
    return keys;
  },
  async classify(ctx, list) {
    const found = await leads.matchOpenLeadsForImport(
      ctx,
      list.map((r) => ({ ref: r.n, email: r.values.email, phone: r.values.phone })),
    );
    const byRow = new Map<number, leads.MatchedLead[]>();
    for (const m of found) byRow.set(m.ref, [...(byRow.get(m.ref) ?? []), m]);
    const out = new Map<number, Decision>();
    for (const r of list) {
      const matches = byRow.get(r.n) ?? [];
      const evidence = matches.map((m) => ({ signal: m.signal, strength: 'strong', leadId: m.lead.id }));
      // One open lead per email and per phone: the email's lead first, then the phone's.
      const match = matches.find((m) => m.signal === 'email') ?? matches.find((m) => m.signal === 'phone');
      out.set(r.n, decide(match?.lead, evidence, match ? diffAgainst(r.values, match.lead) : {}));
    }
    return out;
  },
};
