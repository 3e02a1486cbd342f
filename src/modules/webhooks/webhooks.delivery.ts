import { z } from 'zod';
import type { Db, DbOrTx } from '../../db/client.ts';
import { newId, nilWorkspaceId } from '../../db/ids.ts';
import type { EventRow } from '../../events/events.ts';
import {
  defaultRetrySchedule,
  excerpt,
  matchesEventTypes,
  maxDeliveryAttempts,
  responseExcerptLength,
  retryDelayMs,
  signWebhook,
  type RetrySchedule,
  type WebhookEventBody,
} from '../../domain/webhooks.ts';
import { defineJob, enqueueJob, type AnyJobDefinition, type JobRunner } from '../../jobs/queue.ts';
import { postWebhook } from './webhooks.network.ts';
import {
  activeEndpoints,
  advanceCursor,
  clockNow,
  eventSeqHighWater,
  eventsAfter,
  findDelivery,
  findEndpoint,
  insertDeliveries,
  laggingCursors,
  lockCursor,
  oldestWritingTransactionStart,
  recordAttempt,
  setDeliveryStatus,
  startAttempt,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from './webhooks.repository.ts';
import { sql } from 'drizzle-orm';

export const deliverJobName = 'webhooks.deliver';
export const fanOutJobName = 'webhooks.fanout';

/** How deliveries are made; tests shorten the schedule. */
export type DeliveryOptions = {
  timeoutMs?: number;
  schedule?: RetrySchedule;
  /** Connect to internal network addresses too (default: RAPPORT_WEBHOOK_PRIVATE_NETWORKS=allow; see webhooks.network). */
  allowPrivateNetworks?: boolean;
};

export const userAgent = 'Rapport-Webhooks/1';

export function eventBody(e: EventRow): WebhookEventBody {
  return {
    id: e.id,
    type: e.type,
    occurredAt: e.occurredAt.toISOString(),
    workspaceId: e.workspaceId,
    subject: { type: e.subjectType, id: e.subjectId },
    actor: { type: e.actorType, id: e.actorId },
    data: e.payload,
  };
}

/** A network error in words: "connect ECONNREFUSED 127.0.0.1:9", "timed out after 10 s", ... */
function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return `timed out after ${timeoutMs / 1000} s`;
    const cause = (err as Error & { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return err.message;
  }
  return String(err);
}

export type AttemptTrigger = 'automatic' | 'manual' | 'test';

/**
 * One HTTP attempt of a delivery: POST the stored body, signed with a fresh timestamp, and record what came back.
 * 2xx is success; anything else (a redirect too) or a network error is a failure. For automatic attempts the
 * delivery stays pending with the time of the next try, or fails when `jobAttempt` was the last one.
 */
export async function attemptDelivery(
  db: Db,
  delivery: WebhookDeliveryRow,
  endpoint: WebhookEndpointRow,
  trigger: AttemptTrigger,
  opts: DeliveryOptions & { jobAttempt?: number } = {},
): Promise<{ ok: boolean; delivery: WebhookDeliveryRow; error: string | null }> {
  const ws = delivery.workspaceId;
  const schedule = opts.schedule ?? defaultRetrySchedule;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const attempt = await startAttempt(db, ws, delivery.id);
  if (attempt === null) return { ok: false, delivery, error: 'the delivery no longer exists' };
  const timestamp = Math.floor(Date.now() / 1000);
  const startedAt = new Date();
  const t0 = performance.now();
  let statusCode: number | null = null;
  let responseText: string | null = null;
  let error: string | null = null;
  try {
    const res = await postWebhook(
      endpoint.url,
      {
        'content-type': 'application/json',
        'user-agent': userAgent,
        'rapport-delivery': delivery.id,
        'rapport-event': delivery.eventType,
        'rapport-timestamp': String(timestamp),
        'rapport-signature': signWebhook(endpoint.secret, timestamp, delivery.requestBody),
      },
      delivery.requestBody,
      {
        timeoutMs,
        maxChars: responseExcerptLength,
        ...(opts.allowPrivateNetworks !== undefined ? { allowPrivate: opts.allowPrivateNetworks } : {}),
      },
    );
    statusCode = res.status;
    responseText = excerpt(res.excerpt, responseExcerptLength);
    if (res.status < 200 || res.status > 299) error = `the endpoint answered HTTP ${res.status}`;
  } catch (err) {
    error = describeFailure(err, timeoutMs);
  }
  const ok = error === null;
  const now = new Date();
  let next: Partial<WebhookDeliveryRow>;
  if (ok) next = { status: 'succeeded', deliveredAt: now, nextAttemptAt: null };
  else if (trigger === 'automatic') {
    const jobAttempt = opts.jobAttempt ?? 1;
    next =
      jobAttempt < maxDeliveryAttempts(schedule)
        ? { status: 'pending', nextAttemptAt: new Date(now.getTime() + retryDelayMs(jobAttempt, schedule)) }
        : { status: 'failed', nextAttemptAt: null };
  } else if (trigger === 'manual' && delivery.status === 'pending')
    next = {}; // its automatic retries go on
  else next = { status: 'failed', nextAttemptAt: null };
  const updated = await recordAttempt(
    db,
    {
      workspaceId: ws,
      deliveryId: delivery.id,
      attempt,
      trigger,
      timestamp,
      startedAt,
      durationMs: Math.round(performance.now() - t0),
      statusCode,
      error,
      responseExcerpt: responseText,
      succeeded: ok,
    },
    { ...next, lastStatusCode: statusCode, lastError: error, responseExcerpt: responseText },
  );
  return { ok, delivery: updated ?? delivery, error };
}

/**
 * Which event seqs are safe to consume. `seq` is a bigserial, handed out at insert and not at commit: a transaction
 * that commits late makes a lower seq appear after a higher one was read. A cursor that jumped past it would lose
 * that event for good. So every pass takes a *mark* — the sequence's high water, then the clock — and a mark is safe
 * once no transaction that could still hold an uncommitted seq (one that has written, or is mid-statement) started
 * before it: every seq ≤ the mark was handed out before the mark, to a transaction that is now over. The newest safe
 * mark bounds what is read. With no long transaction around that is the mark of this very pass (no added delay); a
 * long one (a bulk import) holds webhooks back until it commits, and loses nothing. Time-based lags would either
 * delay every delivery or lose the events of transactions longer than the lag. Marks live in memory: any consumer's
 * own marks are valid, so consumers in several processes need no shared state besides the cursor rows.
 * (pg_stat_activity shows other sessions' xact_start only for the same database role, which Rapport's pool uses.)
 */
export class SafeSeqTracker {
  private marks: Array<{ seq: number; at: Date }> = [];

  async safeSeq(db: DbOrTx): Promise<{ safe: number | null; highWater: number }> {
    const seq = await eventSeqHighWater(db);
    const at = await clockNow(db); // read after the sequence: everything ≤ seq was handed out before `at`
    this.marks.push({ seq, at });
    const oldest = await oldestWritingTransactionStart(db);
    const usable = this.marks.filter((m) => oldest === null || m.at.getTime() < oldest.getTime());
    const best = usable.reduce<{ seq: number; at: Date } | null>((a, m) => (!a || m.seq > a.seq ? m : a), null);
    // Keep the best mark and the newer ones; older marks can never be better.
    this.marks = this.marks.filter((m) => !best || m.at.getTime() >= best.at.getTime()).slice(-50);
    return { safe: best?.seq ?? null, highWater: seq };
  }
}

export type FanOutResult = { created: number; safe: number | null; behind: boolean };

/**
 * Turns new events into deliveries for the matching active endpoints of every workspace that has a cursor. Each
 * batch inserts its deliveries, enqueues their jobs and advances the cursor in one transaction, with the cursor row
 * locked: concurrent consumers take turns, and (endpoint, event) is unique besides, so an event becomes exactly one
 * delivery per endpoint.
 */
export async function fanOutEvents(
  db: Db,
  tracker: SafeSeqTracker,
  opts: { batchSize?: number; schedule?: RetrySchedule } = {},
): Promise<FanOutResult> {
  const batchSize = opts.batchSize ?? 500;
  const maxAttempts = maxDeliveryAttempts(opts.schedule ?? defaultRetrySchedule);
  const { safe } = await tracker.safeSeq(db);
  if (safe === null) return { created: 0, safe, behind: true };
  let created = 0;
  for (const c of await laggingCursors(db, safe)) {
    if (!c.hasActive) {
      // Nobody listens: move on without reading the events.
      await advanceCursor(db, c.workspaceId, safe);
      continue;
    }
    for (;;) {
      const more = await db.transaction(async (tx) => {
        const last = await lockCursor(tx, c.workspaceId);
        if (last === null || last >= safe) return false;
        const evs = await eventsAfter(tx, c.workspaceId, last, safe, batchSize);
        const endpoints = await activeEndpoints(tx, c.workspaceId);
        const rows = evs.flatMap((e) => {
          const body = JSON.stringify(eventBody(e));
          return endpoints
            .filter((ep) => matchesEventTypes(ep.eventTypes, e.type))
            .map((ep) => ({
              workspaceId: c.workspaceId,
              id: newId(),
              endpointId: ep.id,
              eventId: e.id,
              eventType: e.type,
              requestBody: body,
              nextAttemptAt: new Date(),
            }));
        });
        const inserted = await insertDeliveries(tx, rows);
        for (const d of inserted)
          await enqueueJob(
            tx,
            d.workspaceId,
            deliverJobName,
            { deliveryId: d.id },
            { singletonKey: d.id, maxAttempts },
          );
        created += inserted.length;
        const full = evs.length === batchSize;
        await advanceCursor(tx, c.workspaceId, full ? (evs[evs.length - 1]?.seq ?? safe) : safe);
        return full;
      });
      if (!more) break;
    }
  }
  // Committed events past the safe point in a workspace that listens: another pass soon will take them.
  const behindRows = (await db.execute(sql`
    select 1 from event_cursors c
    where c.consumer = 'webhooks'
      and exists (select 1 from webhook_endpoints e where e.workspace_id = c.workspace_id and e.active)
      and exists (select 1 from events v where v.workspace_id = c.workspace_id and v.seq > ${safe})
    limit 1`)) as unknown as { rows: unknown[] };
  return { created, safe, behind: behindRows.rows.length > 0 };
}

/**
 * The two webhook jobs. `webhooks.fanout` reads the event log (every minute, after writes through the API, and
 * again a second later while it is behind); `webhooks.deliver` makes one attempt per run and throws on failure, so
 * the job runner retries it with the schedule's backoff (the same formula as `retryDelayMs`) for at least
 * `schedule.minSpanMs`.
 */
export function webhookJobs(opts: DeliveryOptions & { tracker?: SafeSeqTracker } = {}): AnyJobDefinition[] {
  const schedule = opts.schedule ?? defaultRetrySchedule;
  const tracker = opts.tracker ?? new SafeSeqTracker();
  const deliver = defineJob({
    name: deliverJobName,
    payload: z.object({ deliveryId: z.uuid() }),
    maxAttempts: maxDeliveryAttempts(schedule),
    backoff: { baseMs: schedule.baseMs, maxMs: schedule.maxMs },
    handler: async ({ deliveryId }, ctx) => {
      const delivery = await findDelivery(ctx.db, ctx.workspaceId, deliveryId);
      if (!delivery || delivery.status !== 'pending') return; // deleted with its endpoint, or already done
      const endpoint = await findEndpoint(ctx.db, ctx.workspaceId, delivery.endpointId);
      if (!endpoint) return;
      if (!endpoint.active) {
        await setDeliveryStatus(ctx.db, ctx.workspaceId, deliveryId, {
          status: 'failed',
          lastError: 'the endpoint was disabled before this delivery succeeded',
          nextAttemptAt: null,
        });
        return;
      }
      const r = await attemptDelivery(ctx.db, delivery, endpoint, 'automatic', { ...opts, jobAttempt: ctx.attempt });
      if (!r.ok) throw new Error(r.error ?? 'delivery failed');
    },
  });
  const fanOut = defineJob({
    name: fanOutJobName,
    payload: z.object({}).passthrough(),
    maxAttempts: 3,
    backoff: { baseMs: 1_000, maxMs: 10_000 },
    handler: async (_p, ctx) => {
      const r = await fanOutEvents(ctx.db, tracker, { schedule });
      if (r.behind)
        await enqueueJob(
          ctx.db,
          nilWorkspaceId,
          fanOutJobName,
          {},
          { runAt: new Date(Date.now() + 1_000), singletonKey: `again:${Math.floor(Date.now() / 1000)}` },
        );
    },
  });
  return [deliver, fanOut] as AnyJobDefinition[];
}

/**
 * After a write through the API, run the fan-out soon (debounced), so webhooks leave within about a second instead
 * of at the next minute. Only when some endpoint is active, so installations without webhooks pay nothing more than
 * one cheap query per debounce window.
 */
export function createWebhookNudger(db: Db, runner: JobRunner, debounceMs = 250): { poke(): void } {
  let timer: NodeJS.Timeout | null = null;
  const run = async () => {
    timer = null;
    const active = (await db.execute(sql`select 1 from webhook_endpoints where active limit 1`)) as unknown as {
      rows: unknown[];
    };
    if (!active.rows.length) return;
    await enqueueJob(db, nilWorkspaceId, fanOutJobName, {}, { singletonKey: `nudge:${Math.floor(Date.now() / 1000)}` });
    runner.nudge();
  };
  return {
    poke() {
      if (timer) return;
      timer = setTimeout(() => void run().catch(() => undefined), debounceMs);
      timer.unref();
    },
  };
}

/** Sends the fan-out on its way at least every minute (a safety net for events not written through the API). */
export const fanOutCron = '* * * * *';
