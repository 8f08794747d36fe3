import type { SQL } from 'drizzle-orm';
import type { Ctx } from '../../../platform/context.ts';
import {
  type AppError,
  badRequest,
  conflict,
  dbConstraint,
  dbErrorCode,
  isUniqueViolation,
  notFound,
  preconditionFailed,
  validationFailed,
} from '../../../platform/errors.ts';
import { newId } from '../../../platform/ids.ts';
import { decodeCursor, toPage } from '../../../platform/pagination.ts';
import { appendEvent } from '../../events/index.ts';
import { recordAudit } from '../../identity/index.ts';
import * as contactsRepo from '../contacts/repository.ts';
import { assertPersonVisible, peopleScope, requireVisiblePeople } from '../contacts/service.ts';
import type {
  AccountListQuery,
  AccountView,
  CreateAccountInput,
  MemberInput,
  PatchAccountInput,
  PropertyInterestInput,
  RelationshipInput,
} from './contracts.ts';
import * as repo from './repository.ts';

// ---------- access and errors ----------

function accountScope(ctx: Ctx): SQL | undefined {
  switch (ctx.actor.scope) {
    case 'all':
    case 'team':
      return undefined;
    case 'own':
      return repo.ownAccountScope(ctx, ctx.actor.userId);
    case 'installer':
      return repo.ownAccountScope(ctx, null);
  }
}

const accountNotFound = () => notFound('account.not_found', 'The account does not exist.');

async function getAccountRow(ctx: Ctx, id: string) {
  const row = await repo.findAccount(ctx, id, accountScope(ctx));
  if (!row) throw accountNotFound();
  return row;
}

/** A tenant-scoped foreign key that failed (a race with a concurrent change): a 400 naming the field. */
const FK_PATHS: [RegExp, string][] = [
  [/parent_account/, 'parentAccountId'],
  [/primary_contact/, 'primaryContactId'],
  [/from_person/, 'fromPersonId'],
  [/to_person/, 'toPersonId'],
  [/person/, 'personId'],
];

function referenceError(err: unknown): AppError | undefined {
  if (dbErrorCode(err) !== '23503') return undefined;
  const constraint = dbConstraint(err) ?? '';
  const path = FK_PATHS.find(([re]) => re.test(constraint))?.[1] ?? 'body';
  return validationFailed([{ path, message: 'no such record' }]);
}

async function mapReferenceErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw referenceError(err) ?? err;
  }
}

// ---------- accounts ----------

const toView = (a: repo.AccountRow): AccountView => ({
  id: a.id,
  name: a.name,
  type: a.type,
  parentAccountId: a.parentAccountId,
  primaryContactId: a.primaryContactId,
  billingAddress: (a.billingAddress as Record<string, unknown> | null) ?? null,
  metadata: a.metadata ?? null,
  sourceLeadId: a.sourceLeadId,
  version: a.version,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});

async function requireVisibleParent(ctx: Ctx, parentAccountId: string) {
  if (!(await repo.findAccount(ctx, parentAccountId, accountScope(ctx)))) {
    throw validationFailed([{ path: 'parentAccountId', message: 'no such account' }]);
  }
}

/** The primary contact is always a member of the account (added with this role when not one yet). */
const PRIMARY_CONTACT_ROLE = 'primary contact';

export async function createAccount(ctx: Ctx, input: CreateAccountInput): Promise<AccountView> {
  if (input.parentAccountId) await requireVisibleParent(ctx, input.parentAccountId);
  if (input.primaryContactId) {
    await requireVisiblePeople(ctx, [{ path: 'primaryContactId', id: input.primaryContactId }]);
  }
  const id = newId();
  const row = await mapReferenceErrors(() =>
    repo.insertAccount(ctx, {
      id,
      name: input.name,
      type: input.type,
      parentAccountId: input.parentAccountId ?? null,
      primaryContactId: input.primaryContactId ?? null,
      billingAddress: input.billingAddress ?? null,
      metadata: input.metadata ?? null,
    }),
  );
  await Promise.all([
    input.primaryContactId
      ? repo.insertMember(ctx, { accountId: id, personId: input.primaryContactId, role: PRIMARY_CONTACT_ROLE })
      : undefined,
    recordAudit(ctx, {
      action: 'account.created',
      entityType: 'account',
      entityId: id,
      changedFields: Object.keys(input),
    }),
    appendEvent(ctx, {
      type: 'account.created',
      entityType: 'account',
      entityId: id,
      data: { type: row.type, parentAccountId: row.parentAccountId },
    }),
  ]);
  return toView(row);
}

export async function getAccount(ctx: Ctx, id: string): Promise<AccountView> {
  return toView(await getAccountRow(ctx, id));
}

export async function listAccounts(ctx: Ctx, q: AccountListQuery) {
  const before = q.cursor ? (decodeCursor(ctx.tenantId, 'accounts', q.cursor)[0] as string) : undefined;
  const found = await repo.listAccounts(ctx, q, accountScope(ctx), q.limit + 1, before);
  const page = toPage(ctx.tenantId, 'accounts', found, q.limit, (r) => [r.id]);
  return { data: page.data.map(toView), nextCursor: page.nextCursor };
}

export async function patchAccount(ctx: Ctx, id: string, ifMatch: number | undefined, input: PatchAccountInput) {
  const row = await getAccountRow(ctx, id);
  if (ifMatch !== undefined && ifMatch !== row.version) throw preconditionFailed();
  if (input.parentAccountId) {
    // One hierarchy change at a time per tenant: two concurrent moves could otherwise close a loop.
    await contactsRepo.lockKey(ctx, 'account-hierarchy');
    await requireVisibleParent(ctx, input.parentAccountId);
    if ((await repo.ancestorIds(ctx, input.parentAccountId)).includes(id)) {
      throw badRequest('account.parent_cycle', 'An account cannot be its own ancestor.', [
        { path: 'parentAccountId', message: 'would make the account its own ancestor' },
      ]);
    }
  }
  if (input.primaryContactId) {
    await requireVisiblePeople(ctx, [{ path: 'primaryContactId', id: input.primaryContactId }]);
  }
  const updated = await mapReferenceErrors(() => repo.updateAccount(ctx, id, row.version, input));
  if (!updated) throw preconditionFailed();
  const changedFields = Object.keys(input);
  await Promise.all([
    input.primaryContactId
      ? repo.insertMember(ctx, { accountId: id, personId: input.primaryContactId, role: PRIMARY_CONTACT_ROLE })
      : undefined,
    recordAudit(ctx, { action: 'account.updated', entityType: 'account', entityId: id, changedFields }),
    appendEvent(ctx, { type: 'account.updated', entityType: 'account', entityId: id, data: { changedFields } }),
  ]);
  return toView(updated);
}

// ---------- members ----------

export async function addMember(ctx: Ctx, accountId: string, input: MemberInput) {
  await getAccountRow(ctx, accountId);
  await requireVisiblePeople(ctx, [{ path: 'personId', id: input.personId }]);
  const row = await mapReferenceErrors(() =>
    repo.insertMember(ctx, {
      accountId,
      personId: input.personId,
      role: input.role,
      isBillingContact: input.isBillingContact ?? false,
    }),
  );
  if (!row) throw conflict('account.member_exists', 'The person is already a member of the account.');
  const person = await contactsRepo.findPerson(ctx, input.personId);
  await Promise.all([
    recordAudit(ctx, {
      action: 'account.member_added',
      entityType: 'account',
      entityId: accountId,
      changedFields: ['members'],
    }),
    appendEvent(ctx, {
      type: 'account.member_added',
      entityType: 'account',
      entityId: accountId,
      data: { personId: input.personId, role: input.role },
    }),
  ]);
  return {
    accountId,
    personId: row.personId,
    fullName: person?.fullName ?? null,
    role: row.role,
    isBillingContact: row.isBillingContact,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function listMembers(ctx: Ctx, accountId: string, q: { limit: number; cursor?: string }) {
  await getAccountRow(ctx, accountId);
  const list = `account-members:${accountId}`;
  const after = q.cursor ? (decodeCursor(ctx.tenantId, list, q.cursor)[0] as string) : undefined;
  const found = await repo.listMembers(ctx, accountId, peopleScope(ctx), q.limit + 1, after);
  const page = toPage(ctx.tenantId, list, found, q.limit, (r) => [r.personId]);
  return {
    data: page.data.map((m) => ({ ...m, createdAt: m.createdAt.toISOString() })),
    nextCursor: page.nextCursor,
  };
}

export async function removeMember(ctx: Ctx, accountId: string, personId: string) {
  const account = await getAccountRow(ctx, accountId);
  const memberNotFound = () => notFound('account.member_not_found', 'The person is not a member of the account.');
  if (!(await contactsRepo.existingPersonIds(ctx, [personId], peopleScope(ctx))).has(personId)) {
    throw memberNotFound();
  }
  if (!(await repo.deleteMember(ctx, accountId, personId))) throw memberNotFound();
  // The primary contact is a member: leaving the account ends that role too.
  if (account.primaryContactId === personId) await repo.clearPrimaryContact(ctx, accountId, personId);
  await Promise.all([
    recordAudit(ctx, {
      action: 'account.member_removed',
      entityType: 'account',
      entityId: accountId,
      changedFields: account.primaryContactId === personId ? ['members', 'primaryContactId'] : ['members'],
    }),
    appendEvent(ctx, {
      type: 'account.member_removed',
      entityType: 'account',
      entityId: accountId,
      data: { personId },
    }),
  ]);
}

// ---------- relationships ----------

const relationshipView = (r: repo.RelationshipRow) => ({
  id: r.id,
  fromPersonId: r.fromPersonId,
  toPersonId: r.toPersonId,
  kind: r.kind,
  createdAt: r.createdAt.toISOString(),
});

const relationshipExists = (existingRelationshipId?: string) =>
  conflict(
    'relationship.exists',
    'This relationship exists.',
    existingRelationshipId ? { existingRelationshipId } : {},
  );

export async function createRelationship(ctx: Ctx, input: RelationshipInput) {
  if (input.fromPersonId === input.toPersonId) {
    throw badRequest('relationship.self', 'A person cannot be related to themselves.', [
      { path: 'toPersonId', message: 'must differ from fromPersonId' },
    ]);
  }
  await requireVisiblePeople(ctx, [
    { path: 'fromPersonId', id: input.fromPersonId },
    { path: 'toPersonId', id: input.toPersonId },
  ]);
  const existing = await repo.findRelationshipByPair(ctx, input.fromPersonId, input.toPersonId, input.kind);
  if (existing) throw relationshipExists(existing);
  let row: repo.RelationshipRow;
  try {
    row = await repo.insertRelationship(ctx, { id: newId(), ...input });
  } catch (err) {
    if (isUniqueViolation(err)) throw relationshipExists();
    throw referenceError(err) ?? err;
  }
  await Promise.all([
    recordAudit(ctx, {
      action: 'relationship.created',
      entityType: 'relationship',
      entityId: row.id,
      changedFields: Object.keys(input),
    }),
    appendEvent(ctx, { type: 'relationship.created', entityType: 'relationship', entityId: row.id, data: input }),
  ]);
  return relationshipView(row);
}

/** Both ends must be visible to the actor, else the relationship is a 404 like a missing one. */
export async function deleteRelationship(ctx: Ctx, id: string) {
  const row = await repo.findRelationship(ctx, id);
  const visible = row
    ? await contactsRepo.existingPersonIds(ctx, [row.fromPersonId, row.toPersonId], peopleScope(ctx))
    : new Set<string>();
  if (!row || !visible.has(row.fromPersonId) || !visible.has(row.toPersonId)) {
    throw notFound('relationship.not_found', 'The relationship does not exist.');
  }
  await repo.deleteRelationship(ctx, id);
  await Promise.all([
    recordAudit(ctx, { action: 'relationship.deleted', entityType: 'relationship', entityId: id }),
    appendEvent(ctx, {
      type: 'relationship.deleted',
      entityType: 'relationship',
      entityId: id,
      data: { fromPersonId: row.fromPersonId, toPersonId: row.toPersonId, kind: row.kind },
    }),
  ]);
}

/** Relationships of a person in both directions; people out of the actor's scope are left out. */
export async function listRelationshipsOfContact(ctx: Ctx, personId: string, q: { limit: number; cursor?: string }) {
  await assertPersonVisible(ctx, personId);
  const list = `relationships:${personId}`;
  const after = q.cursor ? (decodeCursor(ctx.tenantId, list, q.cursor)[0] as string) : undefined;
  const found = await contactsRepo.relationshipsOfPerson(ctx, personId, peopleScope(ctx), q.limit + 1, after);
  const page = toPage(ctx.tenantId, list, found, q.limit, (r) => [r.id]);
  return {
    data: page.data.map((r) => ({
      id: r.id,
      fromPersonId: r.fromPersonId,
      toPersonId: r.toPersonId,
      kind: r.kind,
      createdAt: r.createdAt.toISOString(),
      direction: r.fromPersonId === personId ? ('outgoing' as const) : ('incoming' as const),
      otherPerson: { id: r.fromPersonId === personId ? r.toPersonId : r.fromPersonId, fullName: r.otherFullName },
    })),
    nextCursor: page.nextCursor,
  };
}

// ---------- property interests ----------

const interestView = (p: repo.PropertyInterestRow) => ({
  id: p.id,
  personId: p.personId,
  inventoryProjectRef: p.inventoryProjectRef,
  inventoryUnitRef: p.inventoryUnitRef,
  productCode: p.productCode,
  level: p.level,
  notes: p.notes,
  createdAt: p.createdAt.toISOString(),
});

export async function addPropertyInterest(ctx: Ctx, personId: string, input: PropertyInterestInput) {
  await assertPersonVisible(ctx, personId);
  const row = await repo.insertPropertyInterest(ctx, {
    id: newId(),
    personId,
    inventoryProjectRef: input.inventoryProjectRef ?? null,
    inventoryUnitRef: input.inventoryUnitRef ?? null,
    productCode: input.productCode ?? null,
    level: input.level,
    notes: input.notes ?? null,
  });
  await Promise.all([
    recordAudit(ctx, {
      action: 'person.property_interest_added',
      entityType: 'person',
      entityId: personId,
      changedFields: Object.keys(input).map((k) => `propertyInterests.${k}`),
    }),
    appendEvent(ctx, {
      type: 'person.property_interest_added',
      entityType: 'person',
      entityId: personId,
      data: { propertyInterestId: row.id, level: row.level },
    }),
  ]);
  return interestView(row);
}

export async function listPropertyInterests(ctx: Ctx, personId: string, q: { limit: number; cursor?: string }) {
  await assertPersonVisible(ctx, personId);
  const list = `property-interests:${personId}`;
  const before = q.cursor ? (decodeCursor(ctx.tenantId, list, q.cursor)[0] as string) : undefined;
  const found = await repo.listPropertyInterests(ctx, personId, q.limit + 1, before);
  const page = toPage(ctx.tenantId, list, found, q.limit, (r) => [r.id]);
  return { data: page.data.map(interestView), nextCursor: page.nextCursor };
}

export async function removePropertyInterest(ctx: Ctx, personId: string, interestId: string) {
  await assertPersonVisible(ctx, personId);
  if (!(await repo.deletePropertyInterest(ctx, personId, interestId))) {
    throw notFound('property_interest.not_found', 'The property interest does not exist.');
  }
  await Promise.all([
    recordAudit(ctx, {
      action: 'person.property_interest_removed',
      entityType: 'person',
      entityId: personId,
      changedFields: ['propertyInterests'],
    }),
    appendEvent(ctx, {
      type: 'person.property_interest_removed',
      entityType: 'person',
      entityId: personId,
      data: { propertyInterestId: interestId },
    }),
  ]);
}
