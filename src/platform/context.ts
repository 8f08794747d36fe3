import type { Tx } from './db.ts';

/** Record scope of a principal (DESIGN §6): all records, the team's, own, or one installer's assignments. */
export type Scope = 'all' | 'team' | 'own' | 'installer';

/** Who is acting: a staff user (session), an API key, the public (intake), or the system (jobs, CLI). */
export interface Actor {
  kind: 'user' | 'api_key' | 'public' | 'system';
  /** Staff user id when a user acts (a session, or the user who made the API key). */
  userId: string | null;
  /** Credential id (session or API key) — audit trail and idempotency scope. */
  credentialId: string | null;
  capabilities: ReadonlySet<string>;
  scope: Scope;
  /** For installer-partner users: the installer whose assignments they may see. */
  installerId: string | null;
}

/** Everything a command or query needs: the tenant first, then who acts, in which transaction. */
export interface Ctx {
  tenantId: string;
  actor: Actor;
  requestId: string;
  tx: Tx;
}

/** What a statement builder needs (one-statement commands build SQL before any transaction exists). */
export type StatementCtx = Pick<Ctx, 'tenantId' | 'actor' | 'requestId'>;

export const systemActor = (capabilities: Iterable<string> = []): Actor => ({
  kind: 'system',
  userId: null,
  credentialId: null,
  capabilities: new Set(capabilities),
  scope: 'all',
  installerId: null,
});

export const publicActor = (): Actor => ({
  kind: 'public',
  userId: null,
  credentialId: null,
  capabilities: new Set(),
  scope: 'all',
  installerId: null,
});

/** Repositories call this first: a query without a tenant must never run. */
export function requireTenant(ctx: Pick<Ctx, 'tenantId'>): string {
  if (!ctx?.tenantId) throw new Error('tenant context missing');
  return ctx.tenantId;
}

/** Actor id for audit and event rows: the API key itself for keys (so one can tell which key acted), else the user. */
export const actorId = (actor: Actor) =>
  actor.kind === 'api_key' ? actor.credentialId : (actor.userId ?? actor.credentialId);
