import { z } from 'zod';
import { address, code, isoDateTime, money, text } from '../../../platform/http-schemas.ts';
import { listQuery } from '../../../platform/pagination.ts';

const nonEmpty = { message: 'at least one field to change' };
const isoDate = z.iso.date();

export const pipelineKind = z.enum(['sales', 'delivery']);
export const dealStatus = z.enum(['open', 'won', 'lost']);

// ---------- pipelines ----------

export const stageInput = z
  .strictObject({
    key: code.describe('stable key; records refer to it, so it never changes'),
    name: text(100),
    probability: z.number().int().min(0).max(100).default(0),
    isWon: z.boolean().default(false),
    isLost: z.boolean().default(false),
  })
  .refine((s) => !(s.isWon && s.isLost), { message: 'a stage cannot be both won and lost', path: ['isLost'] });
export type StageInput = z.infer<typeof stageInput>;

const stageList = z.array(stageInput).min(1).max(50).describe('every stage, in order');

export const pipelineBody = z.strictObject({
  kind: pipelineKind,
  name: text(100),
  isDefault: z.boolean().default(false).describe('the pipeline conversion and new records use for its kind'),
  stages: stageList,
});
export type PipelineInput = z.infer<typeof pipelineBody>;

export const pipelinePatchBody = z
  .strictObject({
    name: text(100),
    isDefault: z.literal(true).describe('make this the default of its kind (the previous default stops being it)'),
    stages: stageList.describe(
      'the full new list, in order: known keys are updated, new keys added, missing keys removed',
    ),
    targetStage: code.describe('where records in removed stages move; required when a removed stage is in use'),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, nonEmpty);
export type PipelinePatch = z.infer<typeof pipelinePatchBody>;

export const stage = z.object({
  key: z.string(),
  name: z.string(),
  order: z.number().int(),
  probability: z.number().int(),
  isWon: z.boolean(),
  isLost: z.boolean(),
});

export const pipeline = z.object({
  id: z.uuid(),
  kind: pipelineKind,
  name: z.string(),
  isDefault: z.boolean(),
  stages: z.array(stage),
  version: z.number().int(),
  createdAt: isoDateTime,
});
export type PipelineView = z.infer<typeof pipeline>;

export const pipelineListQuery = z.strictObject({ ...listQuery.shape, kind: pipelineKind.optional() });
export type PipelineListQuery = z.infer<typeof pipelineListQuery>;

// ---------- stage changes ----------

export const stageChangeBody = z.strictObject({ stage: code, note: text(1000).optional() });
export type StageChange = z.infer<typeof stageChangeBody>;

export const stageEvent = z.object({
  pipelineId: z.uuid(),
  fromStage: z.string().nullable(),
  toStage: z.string(),
  changedBy: z.uuid().nullable(),
  changedAt: isoDateTime,
  note: z.string().nullable(),
});

// ---------- opportunities ----------

export const opportunityBody = z.strictObject({
  name: text(200).optional(),
  personId: z.uuid(),
  accountId: z.uuid().optional(),
  leadId: z.uuid().optional(),
  pipelineId: z.uuid().optional().describe("a sales pipeline; the tenant's default when absent"),
  stage: code.optional().describe('the pipeline’s first stage when absent'),
  value: money.optional(),
  probability: z.number().int().min(0).max(100).optional().describe("the stage's probability when absent"),
  expectedCloseDate: isoDate.optional(),
  nextAction: text(500).optional(),
  ownerUserId: z.uuid().optional().describe('the caller when absent'),
});
export type OpportunityInput = z.infer<typeof opportunityBody>;

export const opportunityPatchBody = z
  .strictObject({
    name: text(200).nullable(),
    personId: z.uuid(),
    accountId: z.uuid().nullable(),
    leadId: z.uuid().nullable(),
    value: money.nullable(),
    probability: z.number().int().min(0).max(100).nullable(),
    expectedCloseDate: isoDate.nullable(),
    nextAction: text(500).nullable(),
    ownerUserId: z.uuid().nullable(),
    status: dealStatus,
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, nonEmpty);
export type OpportunityPatch = z.infer<typeof opportunityPatchBody>;

export const opportunity = z.object({
  id: z.uuid(),
  name: z.string().nullable(),
  personId: z.uuid(),
  accountId: z.uuid().nullable(),
  leadId: z.uuid().nullable(),
  pipelineId: z.uuid(),
  stage: z.string(),
  status: dealStatus,
  value: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
  probability: z.number().int().nullable(),
  expectedCloseDate: isoDate.nullable(),
  nextAction: z.string().nullable(),
  ownerUserId: z.uuid().nullable(),
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type OpportunityView = z.infer<typeof opportunity>;

export const opportunityListQuery = z.strictObject({
  ...listQuery.shape,
  status: dealStatus.optional(),
  pipelineId: z.uuid().optional(),
  stage: code.optional(),
  ownerUserId: z.uuid().optional(),
  personId: z.uuid().optional(),
  accountId: z.uuid().optional(),
  leadId: z.uuid().optional(),
});
export type OpportunityListQuery = z.infer<typeof opportunityListQuery>;

// ---------- projects ----------

const projectType = code.describe('solar_installation, battery_storage, ev_charger, heat_pump, … (a service code)');
const systemSizeKw = z.number().finite().min(0).max(1_000_000);

export const projectBody = z.strictObject({
  name: text(200),
  type: projectType,
  accountId: z.uuid(),
  pipelineId: z.uuid().optional().describe("a delivery pipeline; the tenant's default when absent"),
  stage: code.optional().describe('the pipeline’s first stage when absent'),
  siteAddress: address.optional(),
  consultantUserId: z.uuid().optional().describe('the caller when absent'),
  primaryContactId: z.uuid().optional().describe('becomes the primary project contact'),
  systemSizeKw: systemSizeKw.optional(),
  contractValue: money.optional(),
  sourceLeadId: z.uuid().optional(),
});
export type ProjectInput = z.infer<typeof projectBody>;

export const projectPatchBody = z
  .strictObject({
    name: text(200),
    type: projectType,
    accountId: z.uuid(),
    siteAddress: address.nullable(),
    consultantUserId: z.uuid().nullable(),
    primaryContactId: z.uuid().nullable().describe('sets (or clears) the primary project contact'),
    systemSizeKw: systemSizeKw.nullable(),
    contractValue: money.nullable(),
    status: dealStatus,
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, nonEmpty);
export type ProjectPatch = z.infer<typeof projectPatchBody>;

export const project = z.object({
  id: z.uuid(),
  name: z.string(),
  type: z.string(),
  accountId: z.uuid(),
  primaryContactId: z.uuid().nullable(),
  siteAddress: z.record(z.string(), z.unknown()).nullable(),
  pipelineId: z.uuid(),
  stage: z.string(),
  status: dealStatus,
  consultantUserId: z.uuid().nullable(),
  systemSizeKw: z.number().nullable(),
  contractValue: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
  sourceLeadId: z.uuid().nullable(),
  version: z.number().int(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type ProjectView = z.infer<typeof project>;

export const projectListQuery = z.strictObject({
  ...listQuery.shape,
  status: dealStatus.optional(),
  pipelineId: z.uuid().optional(),
  stage: code.optional(),
  consultantUserId: z.uuid().optional(),
  accountId: z.uuid().optional(),
  primaryContactId: z.uuid().optional(),
  type: code.optional(),
});
export type ProjectListQuery = z.infer<typeof projectListQuery>;

// ---------- project contacts ----------

export const projectContactBody = z.strictObject({
  personId: z.uuid(),
  role: text(100).describe('homeowner, site_contact, billing, facilities manager, …'),
  isPrimary: z.boolean().default(false),
});
export type ProjectContactInput = z.infer<typeof projectContactBody>;

export const projectContact = z.object({
  projectId: z.uuid(),
  personId: z.uuid(),
  role: z.string(),
  isPrimary: z.boolean(),
  createdAt: isoDateTime,
});
