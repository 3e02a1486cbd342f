import crypto from 'node:crypto';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/client.ts';
import { idempotencyKeys } from '../db/schema/index.ts';
import { AppError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { workspaceId: string; principal: string; key: string } | null;
  }
}

const keyPattern = /^[\x21-\x7e]{1,200}$/;
const keepMs = 24 * 60 * 60 * 1000;

function requestHash(method: string, url: string, body: unknown): string {
  return crypto
    .createHash('sha256')
    .update(`${method} ${url}\n${JSON.stringify(body ?? null)}`)
    .digest('hex');
}

/**
 * `Idempotency-Key` on an authenticated POST: the first response (2xx or 4xx) is stored for 24 hours and replayed
 * for the same key; the same key with a different body is refused; a request still in flight gets 409.
 */
export function registerIdempotency(app: FastifyInstance, db: Db): void {
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST') return;
    const raw = req.headers['idempotency-key'];
    if (raw === undefined || !req.actor) return;
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!key || !keyPattern.test(key))
      throw new AppError('bad_request', 'Idempotency-Key must be 1 to 200 printable ASCII characters', {
        header: 'Idempotency-Key',
      });
    const workspaceId = req.actor.workspaceId;
    const principal = req.actor.apiKeyId ?? req.actor.userId ?? 'system';
    const hash = requestHash(req.method, req.url, req.body);
    const where = and(
      eq(idempotencyKeys.workspaceId, workspaceId),
      eq(idempotencyKeys.principal, principal),
      eq(idempotencyKeys.key, key),
    );
    const inserted = await db
      .insert(idempotencyKeys)
      .values({ workspaceId, principal, key, method: req.method, path: req.url, requestHash: hash })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length) {
      req.idempotency = { workspaceId, principal, key };
      return;
    }
    const [prior] = await db.select().from(idempotencyKeys).where(where);
    if (!prior) throw new AppError('conflict', 'This Idempotency-Key is being processed; retry shortly');
    if (prior.createdAt.getTime() < Date.now() - keepMs) {
      // Expired: forget it and treat this as a new request.
      await db.delete(idempotencyKeys).where(where);
      await db
        .insert(idempotencyKeys)
        .values({ workspaceId, principal, key, method: req.method, path: req.url, requestHash: hash })
        .onConflictDoNothing();
      req.idempotency = { workspaceId, principal, key };
      return;
    }
    if (prior.requestHash !== hash)
      throw new AppError('idempotency_conflict', 'This Idempotency-Key was used with a different request', {
        header: 'Idempotency-Key',
      });
    if (prior.statusCode === null)
      throw new AppError('conflict', 'A request with this Idempotency-Key is still in progress; retry shortly');
    reply.header('idempotent-replayed', 'true');
    return reply.status(prior.statusCode).type('application/json; charset=utf-8').send(prior.responseBody);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = null;
    const where = and(
      eq(idempotencyKeys.workspaceId, idem.workspaceId),
      eq(idempotencyKeys.principal, idem.principal),
      eq(idempotencyKeys.key, idem.key),
    );
    if (reply.statusCode >= 500) {
      // A server failure is not an answer: let the client retry with the same key.
      await db.delete(idempotencyKeys).where(where);
      return payload;
    }
    let body: unknown = null;
    if (typeof payload === 'string' && payload.length) {
      try {
        body = JSON.parse(payload);
      } catch {
        body = payload;
      }
    }
    await db.update(idempotencyKeys).set({ statusCode: reply.statusCode, responseBody: body }).where(where);
    return payload;
  });
}

export async function purgeExpiredIdempotencyKeys(db: Db): Promise<number> {
  const r = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, sql`now() - interval '24 hours'`))
    .returning({ key: idempotencyKeys.key });
  return r.length;
}
