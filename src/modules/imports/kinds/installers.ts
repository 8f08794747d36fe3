import type { Ctx } from '../../../platform/context.ts';
import { isValidEmail, normalizeEmail, normalizeName, normalizePhone } from '../../../platform/normalize.ts';
import { getTenantSettings } from '../../identity/index.ts';
import * as installers from '../../installers/index.ts';
import * as regions from '../../regions/index.ts';
import {
  addedDiff,
  type Cells,
  type Decision,
  decide,
  fieldError,
  type KindHandler,
  listOf,
  scalarDiff,
} from './common.ts';

/** A mapped, normalized installers row; `regions` as written in the file, `regionIds` resolved. */
export interface InstallerValues {
  name: string | null;
  legalName: string | null;
  companyNumber: string | null;
  vatNumber: string | null;
  email: string | null;
  phone: string | null;
  website: string | null;
  addressLine1: string | null;
  city: string | null;
  postcode: string | null;
  country: string | null;
  status: installers.InstallerStatus | null;
  services: string[];
  regions: string[];
  regionIds: string[];
  capacityDaily: number | null;
  capacityWeekly: number | null;
  capacityMonthly: number | null;
  priority: number | null;
}

/** A row without a status creates an installer in `onboarding`; without a priority, 100 (the module's default). */
export const DEFAULT_INSTALLER_STATUS = 'onboarding';
export const DEFAULT_PRIORITY = 100;

/** Company name as compared: lower case, a-z and 0-9 only, without a trailing legal form (as installers' query). */
export const installerNameKey = (s: string | null) =>
  s
    ? s
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .replace(/(ltd|limited|llc|inc|gmbh|plc|teo)$/, '') || null
    : null;

const ADDRESS: Record<string, string> = {
  addressLine1: 'line1',
  city: 'city',
  postcode: 'postcode',
  country: 'country',
};
const SCALARS = [
  'name',
  'legalName',
  'companyNumber',
  'vatNumber',
  'email',
  'phone',
  'website',
  'status',
  'capacityDaily',
  'capacityWeekly',
  'capacityMonthly',
  'priority',
];

export function installerAddressOf(v: Record<string, unknown>) {
  const a: Record<string, string> = {};
  for (const [f, k] of Object.entries(ADDRESS)) if (v[f] != null) a[k] = String(v[f]);
  return Object.keys(a).length ? a : null;
}

/** The patch a diff writes in the installers module's terms. */
export function installerPatchOf(diff: Record<string, { from: unknown; to: unknown }>) {
  const patch: Record<string, unknown> = {};
  const to = Object.fromEntries(Object.entries(diff).map(([f, d]) => [f, d.to]));
  for (const f of SCALARS) if (f in to) patch[f] = to[f];
  const address = installerAddressOf(to);
  if (address) patch.address = address;
  if (diff.services) patch.services = diff.services.to;
  if (diff.regions) {
    const from = diff.regions.from as string[];
    patch.regionIds = (diff.regions.to as string[]).filter((r) => !from.includes(r));
  }
  return patch as Partial<installers.ImportInstallerValues>;
}

function intCell(c: Cells, field: string, max: number): number | null {
  const raw = c.cell(field);
  if (raw == null) return null;
  const n = Number(raw.replace(/[\s,]/g, ''));
  if (!Number.isInteger(n) || n < 0 || n > max) {
    c.errors.push(fieldError(c, field, `not a whole number from 0 to ${max}`));
    return null;
  }
  return n;
}

interface Env {
  defaultCountry: string;
  regionByRef: Map<string, regions.ImportRegion>;
}

export const regionRefKey = (s: string) => s.trim().toLowerCase();

export async function regionIndex(ctx: Ctx) {
  const all = await regions.regionsForImport(ctx);
  const byRef = new Map<string, regions.ImportRegion>();
  // Codes first: a code wins over another region's name.
  for (const r of all) byRef.set(regionRefKey(r.name), r);
  for (const r of all) byRef.set(regionRefKey(r.code), r);
  return byRef;
}

export const installersKind: KindHandler<InstallerValues, Env> = {
  kind: 'installers',
  requiredMapping: (mapped) => (mapped.has('name') ? [] : [{ path: 'mapping', message: 'map a column to name' }]),
  async prepare(ctx) {
    return { defaultCountry: (await getTenantSettings(ctx)).defaultCountry, regionByRef: await regionIndex(ctx) };
  },
  normalize(c, env) {
    const name = normalizeName(c.cell('name'));
    if (!name) c.errors.push(fieldError(c, 'name', 'a name is required'));
    const rawCountry = c.cell('country')?.toUpperCase() ?? null;
    const country = rawCountry && /^[A-Z]{2}$/.test(rawCountry) ? rawCountry : null;
    if (rawCountry && !country) c.errors.push(fieldError(c, 'country', 'not an ISO 3166-1 alpha-2 country code'));
    const rawEmail = c.cell('email');
    const email = rawEmail ? normalizeEmail(rawEmail) : null;
    if (email && !isValidEmail(email)) c.errors.push(fieldError(c, 'email', 'not a valid email address'));
    const rawPhone = c.cell('phone');
    const phone = rawPhone ? normalizePhone(rawPhone, country ?? env.defaultCountry) : null;
    if (rawPhone && !phone) c.errors.push(fieldError(c, 'phone', 'not a valid phone number'));
    const rawWebsite = c.cell('website');
    let website: string | null = null;
    if (rawWebsite) {
      const w = /^https?:\/\//i.test(rawWebsite) ? rawWebsite : `https://${rawWebsite}`;
      try {
        if (new URL(w).hostname.includes('.')) website = w;
      } catch {}
      if (!website) c.errors.push(fieldError(c, 'website', 'not a website address'));
    }
    const rawStatus = c.cell('status')?.toLowerCase() ?? null;
    const status =
      rawStatus && (installers.INSTALLER_STATUSES as readonly string[]).includes(rawStatus) ? rawStatus : null;
    if (rawStatus && !status) {
      c.errors.push(
        fieldError(c, 'status', `not an installer status; one of ${installers.INSTALLER_STATUSES.join(', ')}`),
      );
    }
    const services = listOf(c.cell('services')).map((s) => s.toLowerCase().replace(/[\s-]+/g, '_'));
    const badService = services.find((s) => !/^[a-z][a-z0-9_]{0,63}$/.test(s));
    if (badService) c.errors.push(fieldError(c, 'services', `'${badService}' is not a service code`));
    const refs = listOf(c.cell('regions'));
    const regionIds: string[] = [];
    for (const ref of refs) {
      const r = env.regionByRef.get(regionRefKey(ref));
      if (r) regionIds.push(r.id);
      else c.errors.push(fieldError(c, 'regions', `no region with the code or name '${ref}'`));
    }
    return {
      name,
      legalName: normalizeName(c.cell('legalName')),
      companyNumber: c.cell('companyNumber'),
      vatNumber: c.cell('vatNumber')?.toUpperCase().replace(/\s+/g, '') ?? null,
      email,
      phone,
      website,
      addressLine1: c.cell('addressLine1'),
      city: c.cell('city'),
      postcode: c.cell('postcode')?.toUpperCase().replace(/\s+/g, ' ') ?? null,
      country,
      status: status as installers.InstallerStatus | null,
      services: [...new Set(services)].sort(),
      regions: refs,
      regionIds: [...new Set(regionIds)].sort(),
      capacityDaily: intCell(c, 'capacityDaily', 1_000_000),
      capacityWeekly: intCell(c, 'capacityWeekly', 1_000_000),
      capacityMonthly: intCell(c, 'capacityMonthly', 1_000_000),
      priority: intCell(c, 'priority', 1_000_000),
    };
  },
  fileKeys(v) {
    const keys: string[] = [];
    if (v.email) keys.push(`e:${v.email}`);
    const n = installerNameKey(v.name);
    if (n) keys.push(`n:${n}`);
    return keys;
  },
  async classify(ctx, list) {
    const found = await installers.matchInstallersForImport(
      ctx,
      list.map((r) => ({ ref: r.n, email: r.values.email, name: installerNameKey(r.values.name) })),
    );
    const out = new Map<number, Decision>();
    for (const r of list) {
      const matches = found.filter((m) => m.ref === r.n);
      const evidence = matches.map((m) => ({
        signal: m.signal,
        strength: m.signal === 'email' ? 'strong' : 'weak',
        installerId: m.installer.id,
      }));
      const v = r.values;
      // The email first; the name only when no email contradicts it.
      const match =
        matches.find((m) => m.signal === 'email')?.installer ??
        matches.find(
          (m) =>
            m.signal === 'name' &&
            (v.email == null || m.installer.email == null || m.installer.email.toLowerCase() === v.email),
        )?.installer;
      if (!match) {
        out.set(r.n, decide(undefined, evidence, {}));
        continue;
      }
      const current: Record<string, unknown> = { ...match, email: match.email?.toLowerCase() ?? null };
      for (const [f, k] of Object.entries(ADDRESS)) current[f] = match.address?.[k] ?? null;
      const diff = scalarDiff(v as unknown as Record<string, unknown>, current, [...SCALARS, ...Object.keys(ADDRESS)]);
      addedDiff(diff, 'services', match.services, v.services);
      addedDiff(diff, 'regions', match.regionIds, v.regionIds);
      const d = decide(match, evidence, diff);
      if (diff.status && !installers.canInstallerChangeStatus(match.status, v.status!)) {
        d.errors = [
          {
            column: null,
            field: 'status',
            message: `the installer cannot go from '${match.status}' to '${v.status}'`,
          },
        ];
      }
      out.set(r.n, d);
    }
    return out;
  },
};
