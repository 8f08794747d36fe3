import { z } from 'zod';

/** Shared HTTP shapes: ids, problem documents, timestamps. */
export const uuidParam = z.object({ id: z.uuid() });
/** ISO 8601 with an offset; 40 characters leave room for nanoseconds and a `+hh:mm` offset. */
export const isoDateTime = z.iso.datetime({ offset: true }).max(40);
export const text = (max: number) => z.string().trim().min(1).max(max);
export const code = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case code: letters, digits and _');

/** Bounds of a problem document; platform/http.ts truncates to them, so input echoed in a message stays small. */
export const PROBLEM_LIMITS = { detail: 2000, errors: 50, path: 500, message: 1000 } as const;

export const problem = z
  .object({
    type: z.string().max(200),
    title: z.string().max(100),
    status: z.number().int().min(400).max(599),
    detail: z.string().max(PROBLEM_LIMITS.detail),
    code: z.string().max(100),
    requestId: z.string().max(64),
    errors: z
      .array(z.object({ path: z.string().max(PROBLEM_LIMITS.path), message: z.string().max(PROBLEM_LIMITS.message) }))
      .max(PROBLEM_LIMITS.errors)
      .optional(),
  })
  .catchall(z.unknown())
  .describe('RFC 9457 problem details');

/** Problem responses every authenticated route can answer with. */
export const problems = (...statuses: number[]) =>
  Object.fromEntries([400, 401, 403, 404, 429, ...statuses].map((s) => [s, problem])) as Record<number, typeof problem>;

export const money = z.strictObject({
  amount: z.number().int().min(-1e15).max(1e15).describe('minor units'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 currency code'),
});

export const address = z.strictObject({
  line1: text(200).optional(),
  line2: text(200).optional(),
  city: text(120).optional(),
  region: text(120).optional(),
  postcode: text(20).optional(),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code')
    .optional(),
});
