import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, conflict, unprocessable } from './errors.ts';
import { idempotencyKeys } from './schema.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { tenantId: string; credential: string; key: string } | null;
  }
  interface FastifyContextConfig {
    /** 'seal': the response carries a secret (e.g. a new API key); it is stored encrypted for replay. */
    idempotency?: 'seal';
  }
}

const KEEP_HOURS = 24;
/** An in-progress record older than this belongs to a process that died; the key may be used again. */
const ABANDONED_AFTER_MS = 5 * 60_000;
const REPLAYED_HEADERS = ['content-type', 'etag', 'location'];

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as any)[k])]),
    );
  }
  return value;
}

const SEALED = 'sealed:v1:';

/**
 * A stored response that carries a secret must not sit in the table in plain text. It is encrypted with
 * a key derived from the caller's bearer token, which the database never holds (only its hash), so
 * only the same credential can read the replay.
 */
function sealKey(token: string, scope: string) {
  return createHmac('sha256', token).update(`idempotency:${scope}`).digest();
}

function seal(body: string, token: string, scope: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(token, scope), iv);
  const data = Buffer.concat([cipher.update(body, 'utf8'), cipher.final()]);
  return SEALED + Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64url');
}

function unseal(stored: string, token: string, scope: string): string {
  const raw = Buffer.from(stored.slice(SEALED.length), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(token, scope), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

const bearerOf = (req: FastifyRequest) => /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';

/**
 * Idempotency-Key on every POST (API.md Conventions): the first response is stored and replayed for
 * the same key and body; a different body is a 422; a request still running is a 409.
 */
export function registerIdempotency(app: FastifyInstance) {
  app.decorateRequest('idempotency', null);
  // Keys of requests that failed here while their reservation could not be deleted (the database was
  // away): this process knows they are not running, so a retry here need not wait for ABANDONED_AFTER_MS.
  const failedHere = new Set<string>();
  const keyId = (tenantId: string, credential: string, key: string) => `${tenantId}\n${credential}\n${key}`;

  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST') return;
    const key = req.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || key.length === 0 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
      throw badRequest('idempotency.invalid_key', 'Idempotency-Key must be 1–255 visible ASCII characters.');
    }
    const tenantId = req.principal?.tenantId ?? req.publicTenant?.id;
    if (!tenantId) return;
    // Public callers have no credential: their keys are scoped to the client address.
    const credential = req.principal?.actor.credentialId ?? `public:${req.ip}`;
    const requestHash = createHash('sha256')
      .update(`${req.method} ${req.url}\n${JSON.stringify(canonical(req.body ?? null))}`)
      .digest('hex');
    const db = req.server.db.db;
    const where = and(
      eq(idempotencyKeys.tenantId, tenantId),
      eq(idempotencyKeys.credential, credential),
      eq(idempotencyKeys.key, key),
    );

    for (let attempt = 0; attempt < 3; attempt++) {
      const reserved = await db
        .insert(idempotencyKeys)
        .values({ tenantId, credential, key, requestHash, state: 'in_progress' })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      if (reserved.length) {
        req.idempotency = { tenantId, credential, key };
        return;
      }
      const existing = (await db.select().from(idempotencyKeys).where(where).limit(1))[0];
      if (!existing) continue;
      const age = Date.now() - existing.createdAt.getTime();
      const expired = age > KEEP_HOURS * 3600_000;
      const failed = existing.state === 'in_progress' && failedHere.has(keyId(tenantId, credential, key));
      const abandoned = existing.state === 'in_progress' && age > ABANDONED_AFTER_MS;
      if (failed) {
        await db.delete(idempotencyKeys).where(and(where, eq(idempotencyKeys.state, 'in_progress')));
        failedHere.delete(keyId(tenantId, credential, key));
        continue;
      }
      if (expired || abandoned) {
        // Only the stale row (one re-reserved meanwhile is newer). A cutoff, not equality with the row
        // read: the column keeps microseconds, a JS Date only milliseconds, so equality never matched.
        const cutoff = new Date(Date.now() - (expired ? KEEP_HOURS * 3600_000 : ABANDONED_AFTER_MS));
        await db
          .delete(idempotencyKeys)
          .where(
            and(
              where,
              lt(idempotencyKeys.createdAt, cutoff),
              expired ? undefined : eq(idempotencyKeys.state, 'in_progress'),
            ),
          );
        continue;
      }
      if (existing.requestHash !== requestHash) {
        throw unprocessable('idempotency.key_reused', 'This Idempotency-Key was used with a different request.');
      }
      if (existing.state === 'in_progress') {
        throw conflict('idempotency.in_progress', 'A request with this Idempotency-Key is still being processed.');
      }
      for (const [h, v] of Object.entries(existing.responseHeaders ?? {})) reply.header(h, v);
      reply.header('idempotent-replayed', 'true');
      reply.code(existing.responseStatus ?? 200);
      let body = existing.responseBody ?? '';
      if (body.startsWith(SEALED)) body = unseal(body, bearerOf(req), `${tenantId}:${credential}:${key}`);
      // Send the stored bytes as they were; the route's serializer must not run twice.
      return reply.serializer((p: unknown) => p as string).send(body);
    }
    throw conflict('idempotency.in_progress', 'A request with this Idempotency-Key is still being processed.');
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = null;
    const db = req.server.db.db;
    const where = and(
      eq(idempotencyKeys.tenantId, idem.tenantId),
      eq(idempotencyKeys.credential, idem.credential),
      eq(idempotencyKeys.key, idem.key),
    );
    if (reply.statusCode >= 500 || (payload !== undefined && payload !== null && typeof payload !== 'string')) {
      // A failure is not a result to replay: the client may retry with the same key. The answer goes out
      // even if the database is away (a throw here would replace it with a bare error body).
      try {
        await db.delete(idempotencyKeys).where(where);
      } catch (err) {
        if (failedHere.size > 10_000) failedHere.clear();
        failedHere.add(keyId(idem.tenantId, idem.credential, idem.key));
        req.log.warn({ err }, 'idempotency key of a failed request not released');
      }
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const h of REPLAYED_HEADERS) {
      const v = reply.getHeader(h);
      if (v !== undefined) headers[h] = String(v);
    }
    // Should this fail, the client still gets the answer of its committed request; the key stays in progress
    // (a retry is told 409) until ABANDONED_AFTER_MS.
    await db
      .update(idempotencyKeys)
      .set({
        state: 'done',
        responseStatus: reply.statusCode,
        responseBody:
          req.routeOptions.config?.idempotency === 'seal'
            ? seal((payload as string) ?? '', bearerOf(req), `${idem.tenantId}:${idem.credential}:${idem.key}`)
            : ((payload as string) ?? ''),
        responseHeaders: headers,
      })
      .where(where)
      .catch((err: unknown) => req.log.warn({ err }, 'idempotent response not stored'));
    return payload;
  });
}

/** Forget stored responses that mention a record (used by erase: replays must not keep erased data). */
export async function forgetStoredResponsesMentioning(tx: import('./db.ts').Tx, tenantId: string, needle: string) {
  await tx
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.tenantId, tenantId), sql`strpos(${idempotencyKeys.responseBody}, ${needle}) > 0`));
}
