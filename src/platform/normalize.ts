import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';

/** Email as we dedupe on it: trimmed and lower-cased (no provider-specific folding). */
export function normalizeEmail(email: string | null | undefined): string | null {
  if (email == null) return null;
  const e = email.trim().toLowerCase();
  return e.length ? e : null;
}

const emailSchema = z.email();
export const isValidEmail = (email: string) => emailSchema.safeParse(email).success;

/** Phone as E.164, read with the tenant's default country; null when it is not a possible number. */
export function normalizePhone(phone: string | null | undefined, defaultCountry: string): string | null {
  if (phone == null) return null;
  const trimmed = phone.trim();
  if (!trimmed) return null;
  const parsed = parsePhoneNumberFromString(trimmed, defaultCountry as CountryCode);
  if (!parsed?.isValid()) return null;
  return parsed.number;
}

/**
 * A person's name as stored and shown: one line (runs of white space become one space) in Unicode NFC.
 * NFC, not NFKC: compatibility folding is lossy for display text ("…" became "...", "²" became "2").
 */
export const normalizeName = (name: string | null | undefined) =>
  name ? name.normalize('NFC').trim().replace(/\s+/g, ' ') : null;

export const normalizePostcode = (postcode: string | null | undefined) =>
  postcode ? postcode.toUpperCase().replace(/[^A-Z0-9]/g, '') || null : null;
