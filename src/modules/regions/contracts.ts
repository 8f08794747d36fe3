import { z } from 'zod';
import { isoDateTime, text } from '../../platform/http-schemas.ts';

export const country = z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code');

export const region = z.object({
  id: z.uuid(),
  code: z.string(),
  name: z.string(),
  country: z.string(),
  active: z.boolean(),
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type RegionView = z.infer<typeof region>;

export const createRegionBody = z.strictObject({
  code: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$/, 'letters, digits, _ and -'),
  name: text(200),
  country,
  active: z.boolean().optional(),
});

export const patchRegionBody = z
  .strictObject({ name: text(200), active: z.boolean() })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one field to change' });

export const regionListQuery = z.strictObject({
  active: z.enum(['true', 'false']).optional(),
  country: country.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});

export const putPostcodesBody = z.strictObject({
  country,
  patterns: z.array(z.string().min(1).max(20)).max(20000),
});

export const postcodesResponse = z.object({ country: z.string(), patterns: z.array(z.string()) });

export const serviceabilityQuery = z.strictObject({
  postcode: z.string().trim().min(1).max(20),
  service: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,63}$/)
    .optional(),
  country: country.optional(),
});

export const publicServiceability = z.object({
  serviceable: z.boolean(),
  region: z.object({ code: z.string(), name: z.string() }).nullable(),
});
