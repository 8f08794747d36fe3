import { z } from 'zod';
import { address, code, isoDateTime, text } from '../../../platform/http-schemas.ts';
import { ACCOUNT_TYPES } from '../schema.ts';

export const accountType = z.enum(ACCOUNT_TYPES);

/** Free-form, small and bounded (always read with the account). */
const metadata = z
  .record(z.string().min(1).max(100), z.unknown())
  .refine((m) => Object.keys(m).length <= 50, { message: 'at most 50 keys' })
  .refine((m) => JSON.stringify(m).length <= 10_000, { message: 'at most 10,000 characters of JSON' });

export const createAccountBody = z.strictObject({
  name: text(200),
  type: accountType,
  parentAccountId: z.uuid().optional(),
  billingAddress: address.optional(),
  primaryContactId: z.uuid().optional().describe('a person; becomes a member of the account if not one yet'),
  metadata: metadata.optional(),
});
export type CreateAccountInput = z.infer<typeof createAccountBody>;

export const patchAccountBody = z
  .strictObject({
    name: text(200),
    type: accountType,
    parentAccountId: z.uuid().nullable(),
    billingAddress: address.nullable(),
    primaryContactId: z.uuid().nullable(),
    metadata: metadata.nullable(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one field to change' });
export type PatchAccountInput = z.infer<typeof patchAccountBody>;

export const account = z.object({
  id: z.uuid(),
  name: z.string(),
  type: accountType,
  parentAccountId: z.uuid().nullable(),
  primaryContactId: z.uuid().nullable(),
  billingAddress: z.record(z.string(), z.unknown()).nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  sourceLeadId: z.uuid().nullable(),
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type AccountView = z.infer<typeof account>;

export const accountListQuery = z.strictObject({
  type: accountType.optional(),
  q: z.string().trim().min(1).max(200).optional().describe('matches the account name'),
  parentAccountId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});
export type AccountListQuery = z.infer<typeof accountListQuery>;

export const memberBody = z.strictObject({
  personId: z.uuid(),
  role: text(60).describe('owner, employee, facilities manager …'),
  isBillingContact: z.boolean().optional(),
});
export type MemberInput = z.infer<typeof memberBody>;

export const member = z.object({
  accountId: z.uuid(),
  personId: z.uuid(),
  fullName: z.string().nullable(),
  role: z.string(),
  isBillingContact: z.boolean(),
  createdAt: isoDateTime,
});

export const memberParams = z.object({ id: z.uuid(), personId: z.uuid() });

export const relationshipBody = z.strictObject({
  fromPersonId: z.uuid(),
  toPersonId: z.uuid(),
  kind: code.describe('spouse, colleague, referred_by, …; directed from → to'),
});
export type RelationshipInput = z.infer<typeof relationshipBody>;

export const relationship = z.object({
  id: z.uuid(),
  fromPersonId: z.uuid(),
  toPersonId: z.uuid(),
  kind: z.string(),
  createdAt: isoDateTime,
});

/** A relationship seen from one person: which way it points and who is at the other end. */
export const contactRelationship = relationship.extend({
  direction: z.enum(['outgoing', 'incoming']),
  otherPerson: z.object({ id: z.uuid(), fullName: z.string().nullable() }),
});

export const propertyInterestBody = z
  .strictObject({
    inventoryProjectRef: text(200).optional(),
    inventoryUnitRef: text(200).optional(),
    productCode: code.optional(),
    level: z.enum(['low', 'medium', 'high']),
    notes: text(2000).optional(),
  })
  .refine((b) => b.inventoryProjectRef || b.inventoryUnitRef || b.productCode, {
    message: 'one of inventoryProjectRef, inventoryUnitRef or productCode is required',
    path: ['inventoryProjectRef'],
  });
export type PropertyInterestInput = z.infer<typeof propertyInterestBody>;

export const propertyInterest = z.object({
  id: z.uuid(),
  personId: z.uuid(),
  inventoryProjectRef: z.string().nullable(),
  inventoryUnitRef: z.string().nullable(),
  productCode: z.string().nullable(),
  level: z.enum(['low', 'medium', 'high']),
  notes: z.string().nullable(),
  createdAt: isoDateTime,
});

export const propertyInterestParams = z.object({ id: z.uuid(), interestId: z.uuid() });
