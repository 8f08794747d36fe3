import { type SQL, sql } from 'drizzle-orm';
import { actorId, type Ctx, requireTenant, type StatementCtx } from '../../platform/context.ts';
import { newId } from '../../platform/ids.ts';
import { outboxEvents } from './schema.ts';

export interface DomainEvent {
  /** Dotted past tense: lead.created, lead.status_changed, lead.converted, … */
  type: string;
  entityType: string;
  entityId: string;
  /** Ids and codes only — personal data never goes into events. */
  data?: Record<string, unknown>;
}

/** Appends the event to the outbox inside the caller's transaction; delivery happens after commit. */
export async function appendEvent(ctx: Ctx, event: DomainEvent) {
  await ctx.tx.insert(outboxEvents).values({
    tenantId: requireTenant(ctx),
    id: newId(),
    type: event.type,
    entityType: event.entityType,
    entityId: event.entityId,
    actorId: actorId(ctx.actor),
    data: event.data ?? {},
  });
}

export async function countEvents(ctx: Ctx) {
  const r = await ctx.tx
    .select({ n: sql<number>`count(*)::int` })
    .from(outboxEvents)
    .where(sql`${outboxEvents.tenantId} = ${requireTenant(ctx)}`);
  return { outboxEvents: Number(r[0]?.n ?? 0) };
}

/** An outbox row as a CTE, for one-statement commands (the intake). Values are SQL over earlier CTEs. */
export function outboxCte(
  ctx: StatementCtx,
  name: string,
  p: { type: SQL; entityType: string; entityId: SQL; data: SQL },
): SQL {
  return sql`${sql.raw(name)} as (
    insert into outbox_events (tenant_id, id, type, entity_type, entity_id, actor_id, data)
    select ${requireTenant(ctx)}, ${newId()}, ${p.type}, ${p.entityType}, ${p.entityId}, ${actorId(ctx.actor)}::uuid, ${p.data})`;
}
