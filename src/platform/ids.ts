import { randomBytes, randomInt } from 'node:crypto';
import { uuidv7 } from 'uuidv7';

export const newId = (): string => uuidv7();

// No 0/O, 1/I/L, U: a reference is read aloud over the phone.
const REFERENCE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';

/** Short human-facing code, e.g. HX7K3F9Q (30^8 ≈ 6.6e11 values; uniqueness is enforced per tenant). */
export function newReference(length = 8): string {
  let out = '';
  for (let i = 0; i < length; i++) out += REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)];
  return out;
}

export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');
