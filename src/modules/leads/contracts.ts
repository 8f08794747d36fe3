import { z } from 'zod';
import { address, code, isoDateTime, money, text } from '../../platform/http-schemas.ts';

/** Enumerations listed once; the schema's columns use them too. */
export const LEAD_STATUSES = [
  'new',
  'contacted',
  'nurturing',
  'qualified',
  'matched',
  'converted',
  'lost',
  'disqualified',
] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];
/** A lead is open while it can still become a customer; dedup applies only to open leads. */
export const OPEN_STATUSES = ['new', 'contacted', 'nurturing', 'qualified', 'matched'] as const;

export const LEAD_SOURCES = [
  'website',
  'minisite',
  'referral',
  'partner',
  'import',
  'api',
  'phone',
  'walk_in',
  'campaign',
  'waitlist',
] as const;
export const SELECTED_PATHS = ['recommended', 'compare_quotes', 'undecided'] as const;

export const leadStatus = z.enum(LEAD_STATUSES);
export const leadSource = z.enum(LEAD_SOURCES);
export const selectedPath = z.enum(SELECTED_PATHS);

export const contactInput = z.strictObject({
  name: text(200).optional(),
  firstName: text(100).optional(),
  lastName: text(100).optional(),
  email: z.string().trim().max(254).optional(),
  phone: z.string().trim().max(40).optional(),
  postcode: text(20).optional(),
  locale: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'a locale such as en-IE')
    .optional(),
  address: address.optional(),
  organization: text(200).optional().describe('set when the enquiry is for a company rather than a household'),
});

export const contactPreferences = z.strictObject({
  channels: z
    .array(z.enum(['email', 'phone', 'sms', 'whatsapp']))
    .max(4)
    .optional(),
  bestTime: text(100).optional(),
  language: text(35).optional(),
});

export const consent = z.strictObject({
  terms: z.boolean(),
  marketing: z.boolean().optional(),
  dataSharing: z.boolean().optional(),
  installerIds: z.array(z.uuid()).max(50).optional().describe('installers the homeowner agreed to be contacted by'),
  recordedAt: isoDateTime.optional(),
  textVersion: text(40).optional().describe('version of the consent text the homeowner agreed to'),
});

const answerValue = z.union([
  z.string().max(2000),
  z.number().finite(),
  z.boolean(),
  z.array(z.string().max(200)).max(50),
  z.null(),
]);

export const assessment = z.strictObject({
  questionSetVersion: text(50).optional(),
  answers: z.record(z.string().min(1).max(100), answerValue).refine((a) => Object.keys(a).length <= 200, {
    message: 'at most 200 answers',
  }),
});

export const recommendation = z.strictObject({
  engineVersion: text(50).optional(),
  generatedAt: isoDateTime.optional(),
  summary: text(2000).optional(),
  products: z
    .array(
      z.strictObject({
        kind: code,
        sizeKw: z.number().finite().min(0).max(100000).optional(),
        capacityKwh: z.number().finite().min(0).max(100000).optional(),
        quantity: z.number().int().min(0).max(10000).optional(),
        model: text(200).optional(),
      }),
    )
    .max(20)
    .optional(),
  estimatedAnnualSavings: money.optional(),
  estimatedCost: money.optional(),
  paybackYears: z.number().finite().min(0).max(100).optional(),
  co2SavedKgPerYear: z.number().finite().min(0).max(1e9).optional(),
});

export type Address = z.infer<typeof address>;
export type ContactPreferences = z.infer<typeof contactPreferences>;
export type Consent = z.infer<typeof consent>;
export type Assessment = z.infer<typeof assessment>;
export type Recommendation = z.infer<typeof recommendation>;

export const intakeBody = z.strictObject({
  contact: contactInput,
  source: leadSource.default('website'),
  sourceDetail: text(200).optional(),
  service: code.optional(),
  selectedPath: selectedPath.default('undecided'),
  contactPreferences: contactPreferences.optional(),
  consent,
  assessment: assessment.optional(),
  recommendation: recommendation.optional(),
});
export type IntakeInput = z.infer<typeof intakeBody>;

export const staffLeadBody = intakeBody.extend({
  assignedUserId: z.uuid().optional(),
  note: text(5000).optional(),
});
export type StaffLeadInput = z.infer<typeof staffLeadBody>;

export const intakeReceipt = z.object({ reference: z.string(), status: z.literal('received') });

export const leadDetail = z.object({
  id: z.uuid(),
  reference: z.string(),
  personId: z.uuid(),
  status: leadStatus,
  source: leadSource,
  sourceDetail: z.string().nullable(),
  service: z.string().nullable(),
  selectedPath,
  contact: z.object({
    name: z.string().nullable(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    postcode: z.string().nullable(),
    locale: z.string().nullable(),
    address: z.record(z.string(), z.unknown()).nullable(),
    organization: z.string().nullable(),
  }),
  contactPreferences: z.record(z.string(), z.unknown()).nullable(),
  consent: z.record(z.string(), z.unknown()),
  assessment: z.record(z.string(), z.unknown()).nullable(),
  recommendation: z.record(z.string(), z.unknown()).nullable(),
  note: z.string().nullable(),
  assignedUserId: z.uuid().nullable(),
  createdByUserId: z.uuid().nullable(),
  submissionCount: z.number().int(),
  conversion: z
    .object({
      accountId: z.uuid().nullable(),
      projectId: z.uuid().nullable(),
      opportunityId: z.uuid().nullable(),
      convertedAt: isoDateTime,
    })
    .nullable(),
  erasedAt: isoDateTime.nullable(),
  statusChangedAt: isoDateTime,
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type LeadDetail = z.infer<typeof leadDetail>;

export const leadListQuery = z.strictObject({
  status: leadStatus.optional(),
  source: leadSource.optional(),
  assignedUserId: z.uuid().optional(),
  q: z.string().trim().min(1).max(200).optional(),
  createdAfter: isoDateTime.optional(),
  createdBefore: isoDateTime.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
});
export type LeadListQuery = z.infer<typeof leadListQuery>;

export const leadListItem = leadDetail.pick({
  id: true,
  reference: true,
  personId: true,
  status: true,
  source: true,
  service: true,
  selectedPath: true,
  contact: true,
  assignedUserId: true,
  version: true,
  createdAt: true,
  updatedAt: true,
});

export const leadPatchBody = z
  .strictObject({
    contact: contactInput.omit({ organization: true }).extend({ organization: text(200).nullable().optional() }),
    contactPreferences: contactPreferences.nullable(),
    note: text(5000).nullable(),
    selectedPath,
    service: code.nullable(),
    assignedUserId: z.uuid().nullable(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one field to change' });
export type LeadPatch = z.infer<typeof leadPatchBody>;

export const transitionBody = z.strictObject({ to: leadStatus, reason: text(1000).optional() });
export const assignBody = z.strictObject({ userId: z.uuid() });

export const statusEvent = z.object({
  fromStatus: leadStatus.nullable(),
  toStatus: leadStatus,
  reason: z.string().nullable(),
  changedBy: z.uuid().nullable(),
  changedAt: isoDateTime,
});

export const submission = z.object({
  id: z.uuid(),
  channel: z.enum(['public', 'staff', 'import']),
  payload: z.record(z.string(), z.unknown()),
  receivedAt: isoDateTime,
});

export const conversionResult = z.object({
  personId: z.uuid(),
  accountId: z.uuid(),
  projectId: z.uuid().nullable(),
  opportunityId: z.uuid().nullable().optional(),
});

export const questionSetBody = z.strictObject({
  version: text(50),
  activate: z.boolean().default(true),
  questions: z
    .array(
      z.strictObject({
        key: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/),
        type: z.enum(['string', 'number', 'integer', 'boolean', 'choice', 'multi_choice']),
        required: z.boolean().optional(),
        options: z.array(text(200)).min(1).max(100).optional(),
        label: text(500).optional(),
      }),
    )
    .min(1)
    .max(200),
});
export const questionSet = z.object({
  version: z.string(),
  active: z.boolean(),
  questions: z.array(z.record(z.string(), z.unknown())),
  createdAt: isoDateTime,
});

export const waitlistBody = z.strictObject({
  email: z.string().trim().max(254),
  name: text(200).optional(),
  company: text(200).optional(),
  phone: z.string().trim().max(40).optional(),
  message: text(2000).optional(),
  consent: z.strictObject({ terms: z.boolean(), marketing: z.boolean().optional() }),
});
