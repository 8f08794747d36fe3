import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { badRequest } from './errors.ts';

/** `limit` 1–200 (default 50); a value outside is a 400, never silently clamped. */
export const MAX_PAGE_SIZE = 200;

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
  cursor: z.string().max(1000).optional(),
});

/** A page holds at most the largest `limit`; a cursor is `payload.mac` of a short key. */
export const pageOf = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ data: z.array(item).max(MAX_PAGE_SIZE), nextCursor: z.string().max(1000).nullable() });

let secret: Buffer | null = null;

/** The HMAC key for cursors; shared by every process through the database (see identity bootstrap). */
export function setCursorSecret(value: string) {
  secret = Buffer.from(value, 'utf8');
}

function sign(payload: string): string {
  if (!secret) throw new Error('cursor secret not configured');
  return createHmac('sha256', secret).update(payload).digest('base64url').slice(0, 22);
}

/** Opaque keyset cursor bound to the tenant and the list it came from; tampering or reuse elsewhere is a 400. */
export function encodeCursor(tenantId: string, list: string, key: unknown[]): string {
  const payload = Buffer.from(JSON.stringify({ t: tenantId, l: list, k: key })).toString('base64url');
  return `${payload}.${sign(payload)}`;
}

export function decodeCursor(tenantId: string, list: string, cursor: string): unknown[] {
  const parts = cursor.split('.');
  const [payload, mac] = parts;
  const invalid = () => badRequest('pagination.invalid_cursor', 'The cursor is not valid for this list.');
  // Exactly `payload.mac`: anything appended is tampering too, even though the MAC would still match.
  if (parts.length !== 2 || !payload || !mac) throw invalid();
  const expected = Buffer.from(sign(payload));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
  let parsed: any;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (parsed?.t !== tenantId || parsed?.l !== list || !Array.isArray(parsed?.k)) throw invalid();
  return parsed.k;
}

/** Builds `{ data, nextCursor }` from a page fetched with limit + 1 rows. */
export function toPage<T>(
  tenantId: string,
  list: string,
  fetched: T[],
  limit: number,
  keyOf: (row: T) => unknown[],
): { data: T[]; nextCursor: string | null } {
  const data = fetched.slice(0, limit);
  const nextCursor = fetched.length > limit ? encodeCursor(tenantId, list, keyOf(data[data.length - 1])) : null;
  return { data, nextCursor };
}
