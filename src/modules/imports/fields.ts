import {
  isValidEmail,
  normalizeEmail,
  normalizeName,
  normalizePhone,
  normalizePostcode,
} from '../../platform/normalize.ts';

/** Import fields for kind=people (API.md "Imports"). */
export const PEOPLE_FIELDS = [
  'fullName',
  'firstName',
  'lastName',
  'email',
  'phone',
  'postcode',
  'addressLine1',
  'city',
  'country',
  'personaLabels',
  'externalId',
] as const;
export type PeopleField = (typeof PEOPLE_FIELDS)[number];

/** Header spellings seen in spreadsheet exports, compared lower-case with everything but letters and digits removed. */
const SYNONYMS: Record<PeopleField, string[]> = {
  fullName: ['name', 'fullname', 'contactname', 'customername', 'clientname', 'personname', 'nombre', 'nom'],
  firstName: ['firstname', 'givenname', 'forename', 'first', 'fname', 'vorname', 'prenom'],
  lastName: ['lastname', 'surname', 'familyname', 'last', 'lname', 'nachname'],
  email: ['email', 'emailaddress', 'mail', 'emailid', 'primaryemail', 'contactemail'],
  phone: [
    'phone',
    'phonenumber',
    'mobile',
    'mobilephone',
    'mobilenumber',
    'cell',
    'cellphone',
    'telephone',
    'tel',
    'telefon',
    'contactnumber',
    'primaryphone',
  ],
  postcode: ['postcode', 'postalcode', 'zip', 'zipcode', 'eircode', 'plz', 'postleitzahl'],
  addressLine1: ['address', 'addressline1', 'address1', 'street', 'streetaddress', 'addressline', 'line1'],
  city: ['city', 'town', 'locality', 'ort'],
  country: ['country', 'countrycode', 'land'],
  personaLabels: ['labels', 'tags', 'persona', 'personas', 'personalabels', 'segment', 'segments'],
  externalId: ['externalid', 'id', 'customerid', 'contactid', 'reference', 'ref', 'crmid', 'recordid'],
};

const headerKey = (h: string) =>
  h
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

/**
 * The mapping suggested from the header names by the fields' synonyms: each field at most once, the first
 * fitting column wins.
 */
export function suggestMappingFrom(synonyms: Record<string, readonly string[]>, columns: string[]) {
  const out: Record<string, string> = {};
  const taken = new Set<string>();
  for (const column of columns) {
    const key = headerKey(column);
    const field = Object.keys(synonyms).find((f) => !taken.has(f) && synonyms[f].includes(key));
    if (field) {
      out[column] = field;
      taken.add(field);
    }
  }
  return out;
}

export const suggestMapping = (columns: string[]) => suggestMappingFrom(SYNONYMS, columns);

/** Header names made unique and non-empty: a repeated "Email" becomes "Email (2)", an empty one "Column 7". */
export function disambiguateHeaders(raw: string[]): string[] {
  const seen = new Map<string, number>();
  const used = new Set<string>();
  return raw.map((h, i) => {
    let name = (h ?? '').replace(/\s+/g, ' ').trim() || `Column ${i + 1}`;
    const base = name;
    let n = seen.get(base.toLowerCase()) ?? 0;
    while (used.has(name.toLowerCase())) {
      n += 1;
      name = `${base} (${n + 1})`;
    }
    seen.set(base.toLowerCase(), n);
    used.add(name.toLowerCase());
    return name;
  });
}

export interface RowError {
  column: string | null;
  field: string | null;
  message: string;
}

/** A mapped, normalized people row (what is compared and written). */
export interface PeopleValues {
  fullName: string | null;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  postcode: string | null;
  addressLine1: string | null;
  city: string | null;
  country: string | null;
  personaLabels: string[];
  externalId: string | null;
}

const MAX_TEXT = 500;

/**
 * Maps one raw row through the mapping and normalizes it the way the crm module stores people: email
 * trimmed and lower-cased, phone E.164 (the row's country, else the tenant's default), names NFKC.
 */
export function normalizePeopleRow(
  raw: string[],
  columnIndex: Map<PeopleField, { index: number; column: string }>,
  defaultCountry: string,
): {
  values: PeopleValues;
  errors: RowError[];
  keys: { email: string | null; phone: string | null; name: string | null };
} {
  const errors: RowError[] = [];
  const cell = (f: PeopleField) => {
    const c = columnIndex.get(f);
    if (!c) return null;
    const v = (raw[c.index] ?? '').trim();
    if (v.length > MAX_TEXT) {
      errors.push({ column: c.column, field: f, message: `longer than ${MAX_TEXT} characters` });
      return null;
    }
    return v.length ? v : null;
  };
  const col = (f: PeopleField) => columnIndex.get(f)?.column ?? null;

  let firstName = normalizeName(cell('firstName'));
  let lastName = normalizeName(cell('lastName'));
  let fullName = normalizeName(cell('fullName'));
  if (!fullName && (firstName || lastName)) fullName = [firstName, lastName].filter(Boolean).join(' ');
  if (fullName && !firstName && !lastName) {
    const parts = fullName.split(' ');
    firstName = parts[0];
    lastName = parts.length > 1 ? parts[parts.length - 1] : null;
  }
  if (!fullName)
    errors.push({ column: col('fullName') ?? col('firstName'), field: 'fullName', message: 'a name is required' });

  const rawCountry = cell('country');
  let country: string | null = null;
  if (rawCountry) {
    const c = rawCountry.toUpperCase();
    if (/^[A-Z]{2}$/.test(c)) country = c;
    else errors.push({ column: col('country'), field: 'country', message: 'not an ISO 3166-1 alpha-2 country code' });
  }

  const rawEmail = cell('email');
  let email: string | null = null;
  if (rawEmail) {
    const e = normalizeEmail(rawEmail);
    if (e && isValidEmail(e)) email = e;
    else errors.push({ column: col('email'), field: 'email', message: 'not a valid email address' });
  }
  const rawPhone = cell('phone');
  let phone: string | null = null;
  if (rawPhone) {
    phone = normalizePhone(rawPhone, country ?? defaultCountry);
    if (!phone) errors.push({ column: col('phone'), field: 'phone', message: 'not a valid phone number' });
  }
  if (!rawEmail && !rawPhone) {
    errors.push({ column: col('email') ?? col('phone'), field: 'email', message: 'an email or a phone is required' });
  }

  const rawPostcode = cell('postcode');
  const postcode = rawPostcode ? rawPostcode.toUpperCase().replace(/\s+/g, ' ') : null;
  const labels = cell('personaLabels');
  const values: PeopleValues = {
    fullName,
    firstName,
    lastName,
    email,
    phone,
    postcode,
    addressLine1: cell('addressLine1'),
    city: cell('city'),
    country,
    personaLabels: labels
      ? [
          ...new Set(
            labels
              .split(/[;,|]/)
              .map((l) => l.trim())
              .filter(Boolean),
          ),
        ]
      : [],
    externalId: cell('externalId'),
  };
  const nameKey = fullName && postcode ? `${fullName.toLowerCase()}|${normalizePostcode(postcode)}` : null;
  return { values, errors, keys: { email, phone, name: nameKey } };
}

/** Column positions of the mapped fields. */
export function columnIndexOf(columns: string[], mapping: Record<string, string>) {
  const index = new Map<PeopleField, { index: number; column: string }>();
  for (const [column, field] of Object.entries(mapping)) {
    const i = columns.indexOf(column);
    if (i >= 0) index.set(field as PeopleField, { index: i, column });
  }
  return index;
}

/** The fields a people mapping must include: a name and an email or a phone. */
export function peopleRequiredMapping(mapped: Set<string>) {
  const errors: { path: string; message: string }[] = [];
  if (!['fullName', 'firstName', 'lastName'].some((f) => mapped.has(f))) {
    errors.push({ path: 'mapping', message: 'map a column to fullName, firstName or lastName' });
  }
  if (!mapped.has('email') && !mapped.has('phone')) {
    errors.push({ path: 'mapping', message: 'map a column to email or phone' });
  }
  return errors;
}
