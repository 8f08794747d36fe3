import { z } from 'zod';
import { address, code, isoDateTime, text } from '../../platform/http-schemas.ts';
import { INSTALLER_STATUSES } from './schema.ts';

export const installerStatus = z.enum(INSTALLER_STATUSES);
const cap = z.number().int().min(0).max(1_000_000).nullable();
export const capacity = z.strictObject({ daily: cap.optional(), weekly: cap.optional(), monthly: cap.optional() });

const fields = {
  name: text(200),
  legalName: text(200).nullable(),
  companyNumber: text(50).nullable(),
  vatNumber: text(50).nullable(),
  website: z.url().max(500).nullable(),
  email: z.email().max(254).nullable(),
  phone: text(40).nullable(),
  address: address.nullable(),
  status: installerStatus,
  services: z.array(code).max(50),
  capacity,
  priority: z.number().int().min(0).max(1_000_000),
  qualityScore: z.number().min(0).max(100),
};

export const createInstallerBody = z.strictObject(fields).partial().required({ name: true, services: true });
export type CreateInstallerInput = z.infer<typeof createInstallerBody>;

export const patchInstallerBody = z
  .strictObject(fields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one field to change' });
export type PatchInstallerInput = z.infer<typeof patchInstallerBody>;

export const installer = z.object({
  id: z.uuid(),
  name: z.string(),
  legalName: z.string().nullable(),
  companyNumber: z.string().nullable(),
  vatNumber: z.string().nullable(),
  website: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  address: z.record(z.string(), z.string()).nullable(),
  status: installerStatus,
  services: z.array(z.string()),
  capacity: z.object({
    daily: z.number().int().nullable(),
    weekly: z.number().int().nullable(),
    monthly: z.number().int().nullable(),
  }),
  priority: z.number().int(),
  qualityScore: z.number(),
  regionIds: z.array(z.uuid()),
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type InstallerView = z.infer<typeof installer>;

export const installerListQuery = z.strictObject({
  status: installerStatus.optional(),
  service: code.optional(),
  regionId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});

export const contactBody = z.strictObject({
  name: text(200),
  email: z.email().max(254).optional(),
  phone: text(40).optional(),
  role: text(100).optional(),
  isPrimary: z.boolean().optional(),
  receivesLeadNotifications: z.boolean().optional(),
});
export const contact = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  role: z.string().nullable(),
  isPrimary: z.boolean(),
  receivesLeadNotifications: z.boolean(),
  createdAt: isoDateTime,
});

export const noteBody = z.strictObject({ kind: z.enum(['quality', 'internal']), body: text(10000) });
export const note = z.object({
  id: z.uuid(),
  kind: z.enum(['quality', 'internal']),
  body: z.string(),
  authorUserId: z.uuid().nullable(),
  createdAt: isoDateTime,
});

export const regionsBody = z.strictObject({ regionIds: z.array(z.uuid()).max(10000) });
