import type { Ctx } from '../../platform/context.ts';
import {
  conflict,
  forbidden,
  isUniqueViolation,
  notFound,
  preconditionFailed,
  validationFailed,
} from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, toPage } from '../../platform/pagination.ts';
import { appendEvent } from '../events/index.ts';
import { recordAudit } from '../identity/index.ts';
import { existingRegionIds } from '../regions/index.ts';
import type { CreateInstallerInput, InstallerView, PatchInstallerInput } from './contracts.ts';
import * as repo from './repository.ts';
import type { InstallerStatus } from './schema.ts';

/** Operational lifecycle; only `active` receives leads. */
const STATUS_FLOW: Record<InstallerStatus, InstallerStatus[]> = {
  onboarding: ['active', 'offboarded'],
  active: ['paused', 'suspended', 'offboarded'],
  paused: ['active', 'suspended', 'offboarded'],
  suspended: ['active', 'offboarded'],
  offboarded: [],
};

/** Whether the operational lifecycle allows the change (staying put is no change). */
export const canChangeStatus = (from: InstallerStatus, to: InstallerStatus) =>
  from === to || STATUS_FLOW[from].includes(to);

const toView = (i: repo.InstallerRow, regionIds: string[]): InstallerView => ({
  id: i.id,
  name: i.name,
  legalName: i.legalName,
  companyNumber: i.companyNumber,
  vatNumber: i.vatNumber,
  website: i.website,
  email: i.email,
  phone: i.phone,
  address: i.address ?? null,
  status: i.status,
  services: i.services,
  capacity: { daily: i.capacityDaily, weekly: i.capacityWeekly, monthly: i.capacityMonthly },
  priority: i.priority,
  qualityScore: Number(i.qualityScore),
  regionIds,
  version: i.version,
  createdAt: i.createdAt.toISOString(),
  updatedAt: i.updatedAt.toISOString(),
});

function columns(input: PatchInstallerInput) {
  const { capacity, services, ...rest } = input;
  return {
    ...rest,
    ...(services ? { services: [...new Set(services)].sort() } : {}),
    ...(capacity?.daily !== undefined ? { capacityDaily: capacity.daily } : {}),
    ...(capacity?.weekly !== undefined ? { capacityWeekly: capacity.weekly } : {}),
    ...(capacity?.monthly !== undefined ? { capacityMonthly: capacity.monthly } : {}),
  };
}

export async function createInstaller(ctx: Ctx, input: CreateInstallerInput) {
  const i = await repo.insertInstaller(ctx, { id: newId(), ...columns(input), name: input.name });
  await recordAudit(ctx, {
    action: 'installer.created',
    entityType: 'installer',
    entityId: i.id,
    changedFields: Object.keys(input),
  });
  await appendEvent(ctx, {
    type: 'installer.created',
    entityType: 'installer',
    entityId: i.id,
    data: { status: i.status },
  });
  return toView(i, []);
}

export async function getInstallerRow(ctx: Ctx, id: string) {
  const i = await repo.findInstallerById(ctx, id);
  if (!i) throw notFound('installer.not_found', 'The installer does not exist.');
  return i;
}

export async function getInstaller(ctx: Ctx, id: string) {
  const i = await getInstallerRow(ctx, id);
  return toView(i, (await repo.regionIdsOf(ctx, [id])).get(id) ?? []);
}

export async function listInstallers(
  ctx: Ctx,
  q: { status?: string; service?: string; regionId?: string; limit: number; cursor?: string },
) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'installers', q.cursor)[0] as string) : undefined;
  const found = await repo.listInstallers(ctx, q, q.limit + 1, before);
  const page = toPage(ctx.tenantId, 'installers', found, q.limit, (r) => [r.id]);
  const regions = await repo.regionIdsOf(
    ctx,
    page.data.map((i) => i.id),
  );
  return { data: page.data.map((i) => toView(i, regions.get(i.id) ?? [])), nextCursor: page.nextCursor };
}

export async function patchInstaller(ctx: Ctx, id: string, ifMatch: number | undefined, input: PatchInstallerInput) {
  const current = await getInstallerRow(ctx, id);
  if (ifMatch !== undefined && ifMatch !== current.version) throw preconditionFailed();
  if (input.status && input.status !== current.status && !STATUS_FLOW[current.status].includes(input.status)) {
    throw conflict(
      'installer.invalid_transition',
      `An installer cannot go from '${current.status}' to '${input.status}'.`,
      {
        from: current.status,
        to: input.status,
      },
    );
  }
  const updated = await repo.updateInstaller(ctx, id, current.version, columns(input));
  if (!updated) throw preconditionFailed();
  await recordAudit(ctx, {
    action: 'installer.updated',
    entityType: 'installer',
    entityId: id,
    changedFields: Object.keys(input),
  });
  await appendEvent(ctx, {
    type: input.status && input.status !== current.status ? 'installer.status_changed' : 'installer.updated',
    entityType: 'installer',
    entityId: id,
    data: { changedFields: Object.keys(input), status: updated.status },
  });
  return toView(updated, (await repo.regionIdsOf(ctx, [id])).get(id) ?? []);
}

export async function replaceCoverage(ctx: Ctx, id: string, regionIds: string[]) {
  await getInstallerRow(ctx, id);
  const unique = [...new Set(regionIds)];
  const existing = await existingRegionIds(ctx, unique);
  const missing = unique.map((r, i) => ({ r, i })).filter(({ r }) => !existing.has(r));
  if (missing.length)
    throw validationFailed(missing.map(({ i }) => ({ path: `regionIds.${i}`, message: 'no such region' })));
  await repo.replaceRegions(ctx, id, unique);
  await recordAudit(ctx, {
    action: 'installer.coverage_replaced',
    entityType: 'installer',
    entityId: id,
    changedFields: ['regionIds'],
  });
  await appendEvent(ctx, {
    type: 'installer.coverage_changed',
    entityType: 'installer',
    entityId: id,
    data: { regionIds: unique },
  });
  return { regionIds: unique.sort() };
}

const contactView = (c: repo.ContactRow) => ({
  id: c.id,
  name: c.name,
  email: c.email,
  phone: c.phone,
  role: c.role,
  isPrimary: c.isPrimary,
  receivesLeadNotifications: c.receivesLeadNotifications,
  createdAt: c.createdAt.toISOString(),
});

export async function addContact(
  ctx: Ctx,
  id: string,
  input: {
    name: string;
    email?: string;
    phone?: string;
    role?: string;
    isPrimary?: boolean;
    receivesLeadNotifications?: boolean;
  },
) {
  await getInstallerRow(ctx, id);
  try {
    const c = await repo.insertContact(ctx, {
      id: newId(),
      installerId: id,
      name: input.name,
      email: input.email?.toLowerCase() ?? null,
      phone: input.phone ?? null,
      role: input.role ?? null,
      isPrimary: input.isPrimary ?? false,
      receivesLeadNotifications: input.receivesLeadNotifications ?? false,
    });
    await recordAudit(ctx, {
      action: 'installer.contact_added',
      entityType: 'installer',
      entityId: id,
      changedFields: Object.keys(input),
    });
    return contactView(c);
  } catch (err) {
    if (isUniqueViolation(err))
      throw conflict('installer.primary_contact_exists', 'The installer already has a primary contact.');
    throw err;
  }
}

export async function listContacts(ctx: Ctx, id: string) {
  await getInstallerRow(ctx, id);
  return (await repo.listContacts(ctx, id)).map(contactView);
}

/** Internal notes need their own capability; quality notes go with installers:write. */
export async function addNote(ctx: Ctx, id: string, input: { kind: 'quality' | 'internal'; body: string }) {
  if (input.kind === 'internal' && !ctx.actor.capabilities.has('installers:internal_notes')) {
    throw forbidden('installers:internal_notes');
  }
  await getInstallerRow(ctx, id);
  const n = await repo.insertNote(ctx, {
    id: newId(),
    installerId: id,
    kind: input.kind,
    body: input.body,
    authorUserId: ctx.actor.userId,
  });
  await recordAudit(ctx, {
    action: 'installer.note_added',
    entityType: 'installer',
    entityId: id,
    changedFields: [`notes.${input.kind}`],
  });
  return { id: n.id, kind: n.kind, body: n.body, authorUserId: n.authorUserId, createdAt: n.createdAt.toISOString() };
}

export async function listNotes(ctx: Ctx, id: string) {
  await getInstallerRow(ctx, id);
  const kinds: ('quality' | 'internal')[] = ctx.actor.capabilities.has('installers:internal_notes')
    ? ['quality', 'internal']
    : ['quality'];
  return (await repo.listNotes(ctx, id, kinds)).map((n) => ({
    id: n.id,
    kind: n.kind,
    body: n.body,
    authorUserId: n.authorUserId,
    createdAt: n.createdAt.toISOString(),
  }));
}

/** What routing needs to know about an installer. */
export interface RoutingInstaller {
  id: string;
  name: string;
  status: InstallerStatus;
  services: string[];
  capacity: { daily: number | null; weekly: number | null; monthly: number | null };
  priority: number;
  qualityScore: number;
}

const routingView = (i: repo.InstallerRow): RoutingInstaller => ({
  id: i.id,
  name: i.name,
  status: i.status,
  services: i.services,
  capacity: { daily: i.capacityDaily, weekly: i.capacityWeekly, monthly: i.capacityMonthly },
  priority: i.priority,
  qualityScore: Number(i.qualityScore),
});

export async function installersCoveringRegion(ctx: Ctx, regionId: string): Promise<RoutingInstaller[]> {
  return (await repo.listCoveringRegion(ctx, regionId)).map(routingView);
}

export async function installersByIds(ctx: Ctx, ids: string[]): Promise<RoutingInstaller[]> {
  return (await repo.findInstallersByIds(ctx, ids)).map(routingView);
}
