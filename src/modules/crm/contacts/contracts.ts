import { z } from 'zod';
import { address, isoDateTime, text } from '../../../platform/http-schemas.ts';

// Raw contact points: normalized by the service (which names the failing path), not by the schema.
const emailInput = z.string().trim().min(1).max(254);
const phoneInput = z.string().trim().min(1).max(40);
const label = text(50);

export const personaLabels = z.array(text(50)).max(20);
/** Consent flags by name (`marketing`, `dataSharing`, …); a PATCH merges them into the stored ones. */
export const consentFlags = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,49}$/, 'a flag name such as marketing'), z.boolean())
  .refine((c) => Object.keys(c).length <= 20, { message: 'at most 20 consent flags' });
export const linkedinUrl = z
  .url({ protocol: /^https?$/, hostname: /(^|\.)linkedin\.com$/, message: 'a linkedin.com URL' })
  .max(500);
const locale = z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'a locale such as en-IE');

export const contactCreateBody = z.strictObject({
  fullName: text(200),
  firstName: text(100).optional(),
  lastName: text(100).optional(),
  email: emailInput.optional().describe('the primary email; without it the first of `emails` is primary'),
  phone: phoneInput.optional().describe('the primary phone; read with the tenant default country'),
  emails: z
    .array(z.strictObject({ email: emailInput, label: label.optional() }))
    .max(20)
    .optional(),
  phones: z
    .array(z.strictObject({ phone: phoneInput, label: label.optional() }))
    .max(20)
    .optional(),
  linkedinUrl: linkedinUrl.optional(),
  address: address.optional(),
  locale: locale.optional(),
  personaLabels: personaLabels.optional(),
  sourceConfidence: z.number().min(0).max(1).optional().describe('0–1: how sure we are this is one real person'),
  consent: consentFlags.optional(),
});
export type ContactCreateInput = z.infer<typeof contactCreateBody>;

export const contactPatchBody = z
  .strictObject({
    fullName: text(200).describe('without firstName/lastName, the parts are derived again'),
    firstName: text(100).nullable(),
    lastName: text(100).nullable(),
    email: emailInput.nullable().describe('sets the primary email (kept as another email if new); null removes it'),
    phone: phoneInput.nullable().describe('sets the primary phone; null removes it'),
    linkedinUrl: linkedinUrl.nullable(),
    address: address.nullable(),
    locale: locale.nullable(),
    personaLabels,
    sourceConfidence: z.number().min(0).max(1).nullable(),
    consent: consentFlags,
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one field to change' });
export type ContactPatchInput = z.infer<typeof contactPatchBody>;

// Contact points are named in the body, never in the URL: addresses stay out of access logs.
export const addEmailBody = z.strictObject({
  email: emailInput,
  label: label.optional(),
  primary: z.boolean().optional(),
});
export const emailRefBody = z.strictObject({ email: emailInput });
export const addPhoneBody = z.strictObject({
  phone: phoneInput,
  label: label.optional(),
  primary: z.boolean().optional(),
});
export const phoneRefBody = z.strictObject({ phone: phoneInput });

const emailEntry = z.object({ email: z.string(), label: z.string().nullable(), isPrimary: z.boolean() });
const phoneEntry = z.object({ phone: z.string(), label: z.string().nullable(), isPrimary: z.boolean() });

export const contact = z.object({
  id: z.uuid(),
  fullName: z.string().nullable(),
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  emails: z.array(emailEntry),
  phones: z.array(phoneEntry),
  linkedinUrl: z.string().nullable(),
  address: z.record(z.string(), z.unknown()).nullable(),
  postcode: z.string().nullable(),
  locale: z.string().nullable(),
  personaLabels: z.array(z.string()),
  sourceConfidence: z.number().nullable(),
  consent: z.record(z.string(), z.unknown()).nullable(),
  createdByUserId: z.uuid().nullable(),
  erasedAt: isoDateTime.nullable(),
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type ContactView = z.infer<typeof contact>;

export const contactListItem = contact
  .pick({
    id: true,
    fullName: true,
    firstName: true,
    lastName: true,
    email: true,
    phone: true,
    personaLabels: true,
    sourceConfidence: true,
    createdByUserId: true,
    version: true,
    createdAt: true,
    updatedAt: true,
  })
  .extend({
    lastActivityAt: isoDateTime.nullable().describe('time of the latest interaction'),
    activeOpportunityCount: z.number().int(),
    scores: z.record(z.string(), z.number()).describe('latest value per score type'),
  });

const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const contactListQuery = z.strictObject({
  q: z.string().trim().min(1).max(200).optional().describe('matches name, email or phone'),
  personaLabel: text(50).optional(),
  hasOpenOpportunity: booleanQuery.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});
export type ContactListQuery = z.infer<typeof contactListQuery>;
