/**
 * Per-country postcode normalizers. A postcode yields its lookup keys, most specific first; a region
 * pattern matches when it equals one of them, and the longest (first) match wins.
 */
export interface NormalizedPostcode {
  normalized: string;
  valid: boolean;
  /** Lookup keys, longest first. */
  keys: string[];
}

const compact = (raw: string) => raw.toUpperCase().replace(/[\s-]+/g, '');

// Eircode: routing key (A65, D6W …) + 4-character unique identifier.
const EIRCODE = /^([AC-FHKNPRTV-Y]\d{2}|D6W)([0-9AC-FHKNPRTV-Y]{4})$/;
const EIRCODE_ROUTING_KEY = /^([AC-FHKNPRTV-Y]\d{2}|D6W)$/;
// UK: outward code (area letters + district) + inward code (sector digit + unit letters).
const UK_FULL = /^([A-Z]{1,2})(\d[A-Z\d]?)(\d)([A-Z]{2})$/;
const UK_OUTWARD = /^([A-Z]{1,2})(\d[A-Z\d]?)$/;
const US_ZIP = /^(\d{5})(\d{4})?$/;

function ireland(c: string): NormalizedPostcode {
  const full = EIRCODE.exec(c);
  if (full) return { normalized: c, valid: true, keys: [c, full[1]] };
  if (EIRCODE_ROUTING_KEY.test(c)) return { normalized: c, valid: true, keys: [c] };
  return { normalized: c, valid: false, keys: [] };
}

function britain(c: string): NormalizedPostcode {
  const full = UK_FULL.exec(c);
  if (full) {
    const outward = full[1] + full[2];
    // full unit, sector (outward + sector digit), district (outward code), area (letters)
    return { normalized: c, valid: true, keys: [c, outward + full[3], outward, full[1]] };
  }
  const outward = UK_OUTWARD.exec(c);
  if (outward) return { normalized: c, valid: true, keys: [c, outward[1]] };
  return { normalized: c, valid: false, keys: [] };
}

function unitedStates(c: string): NormalizedPostcode {
  const zip = US_ZIP.exec(c);
  if (!zip) return { normalized: c, valid: false, keys: [] };
  const five = zip[1];
  // ZIP+4 routes like its ZIP; ZIP prefixes (ZIP3 = sectional center) are hierarchical.
  return {
    normalized: five,
    valid: true,
    keys: [five, five.slice(0, 4), five.slice(0, 3), five.slice(0, 2), five.slice(0, 1)],
  };
}

function generic(c: string): NormalizedPostcode {
  const valid = /^[A-Z0-9]{2,10}$/.test(c);
  const keys: string[] = [];
  if (valid) for (let i = c.length; i >= 1; i--) keys.push(c.slice(0, i));
  return { normalized: c, valid, keys };
}

export function normalizePostcode(country: string, raw: string): NormalizedPostcode {
  const c = compact(raw);
  switch (country.toUpperCase()) {
    case 'IE':
      return ireland(c);
    case 'GB':
    case 'UK':
      return britain(c);
    case 'US':
      return unitedStates(c);
    default:
      return generic(c);
  }
}

/** A region pattern: upper case, no spaces; for IE/GB/US it must be one of the key shapes above. */
export function normalizePattern(country: string, raw: string): { pattern: string; valid: boolean } {
  const p = compact(raw);
  if (!/^[A-Z0-9]{1,10}$/.test(p)) return { pattern: p, valid: false };
  switch (country.toUpperCase()) {
    case 'IE':
      return { pattern: p, valid: EIRCODE.test(p) || EIRCODE_ROUTING_KEY.test(p) || /^[AC-FHKNPRTV-Y]$/.test(p) };
    case 'GB':
    case 'UK':
      return {
        pattern: p,
        valid: UK_FULL.test(p) || UK_OUTWARD.test(p) || /^[A-Z]{1,2}$/.test(p) || /^[A-Z]{1,2}\d[A-Z\d]?\d$/.test(p),
      };
    case 'US':
      return { pattern: p, valid: /^\d{1,5}$/.test(p) };
    default:
      return { pattern: p, valid: true };
  }
}
