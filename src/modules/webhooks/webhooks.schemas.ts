import { z } from 'zod';
import { iso, isoDate } from '../../http/schemas.ts';
import { isEventTypePattern, webhookUrlProblem } from '../../domain/webhooks.ts';
import type {
  EndpointStats,
  WebhookAttemptRow,
  WebhookDeliveryRow,
  WebhookEndpointRow,
} from './webhooks.repository.ts';

const url = z
  .string()
  .trim()
  .max(2000)
  .superRefine((v, ctx) => {
    const problem = webhookUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `The URL ${problem}` });
  })
  .describe('Where deliveries are POSTed: an http or https URL');

const eventTypes = z
  .array(
    z.string().trim().refine(isEventTypePattern, 'must be an event type (person.created), a prefix (person.*) or *'),
  )
  .min(1, 'subscribe to at least one event type (or *)')
  .max(100)
  .describe('Exact event types ("person.created"), prefixes ("person.*"), or "*" for every event');

export const webhookInput = z.object({
  url,
  description: z.string().trim().max(500).optional(),
  eventTypes,
  active: z.boolean().optional(),
});

export const webhookPatch = z.object({
  url: url.optional(),
  description: z.string().trim().max(500).optional(),
  eventTypes: eventTypes.optional(),
  active: z.boolean().optional(),
});

export const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(z.string()),
    active: z.boolean(),
    /** The last four characters, to tell secrets apart. */
    secretHint: z.string(),
    createdAt: isoDate,
    updatedAt: isoDate,
    stats: z.object({
      pending: z.number().int().describe('Deliveries still being retried'),
      failed: z.number().int().describe('Deliveries given up on (redeliver them by hand)'),
      lastDeliveryStatus: z.enum(['pending', 'succeeded', 'failed']).nullable(),
      lastDeliveryAt: isoDate.nullable(),
    }),
  })
  .meta({ id: 'Webhook' });

export const webhookWithSecretSchema = webhookSchema
  .extend({ secret: z.string().describe('Signs every delivery; keep it on the receiving side only') })
  .meta({ id: 'WebhookWithSecret' });

export const webhookSecretSchema = z.object({ secret: z.string() }).meta({ id: 'WebhookSecret' });

const noStats: EndpointStats = { pending: 0, failed: 0, lastStatus: null, lastAt: null };

export function presentWebhook(e: WebhookEndpointRow, stats: EndpointStats = noStats): z.infer<typeof webhookSchema> {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    eventTypes: e.eventTypes,
    active: e.active,
    secretHint: e.secret.slice(-4),
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    stats: {
      pending: stats.pending,
      failed: stats.failed,
      lastDeliveryStatus: stats.lastStatus as 'pending' | 'succeeded' | 'failed' | null,
      lastDeliveryAt: iso(stats.lastAt),
    },
  };
}

export const deliverySchema = z
  .object({
    id: z.string().describe('The Rapport-Delivery header: the same on every attempt'),
    webhookId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    responseExcerpt: z.string().nullable().describe('The first 1 KB of the last response body'),
    nextAttemptAt: isoDate.nullable().describe('When the next automatic attempt is due (pending only)'),
    lastAttemptAt: isoDate.nullable(),
    deliveredAt: isoDate.nullable(),
    createdAt: isoDate,
  })
  .meta({ id: 'WebhookDelivery' });

export const attemptSchema = z
  .object({
    attempt: z.number().int(),
    trigger: z.enum(['automatic', 'manual', 'test']),
    timestamp: z.number().int().describe('The Rapport-Timestamp sent (unix seconds)'),
    startedAt: isoDate,
    durationMs: z.number().int(),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    responseExcerpt: z.string().nullable(),
    succeeded: z.boolean(),
  })
  .meta({ id: 'WebhookDeliveryAttempt' });

export const deliveryDetailSchema = deliverySchema
  .extend({
    request: z.object({
      headers: z.record(z.string(), z.string()).describe('Sent with every attempt (plus timestamp and signature)'),
      body: z.unknown().describe('The JSON body, the same on every attempt'),
    }),
    attemptLog: z.array(attemptSchema),
  })
  .meta({ id: 'WebhookDeliveryDetail' });

export function presentDelivery(d: WebhookDeliveryRow): z.infer<typeof deliverySchema> {
  return {
    id: d.id,
    webhookId: d.endpointId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status as 'pending' | 'succeeded' | 'failed',
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    responseExcerpt: d.responseExcerpt,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    lastAttemptAt: iso(d.lastAttemptAt),
    deliveredAt: iso(d.deliveredAt),
    createdAt: d.createdAt.toISOString(),
  };
}

export function presentDeliveryDetail(
  d: WebhookDeliveryRow,
  attempts: WebhookAttemptRow[],
): z.infer<typeof deliveryDetailSchema> {
  let body: unknown;
  try {
    body = JSON.parse(d.requestBody);
  } catch {
    body = d.requestBody;
  }
  return {
    ...presentDelivery(d),
    request: {
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Rapport-Webhooks/1',
        'Rapport-Delivery': d.id,
        'Rapport-Event': d.eventType,
      },
      body,
    },
    attemptLog: attempts.map((a) => ({
      attempt: a.attempt,
      trigger: a.trigger as 'automatic' | 'manual' | 'test',
      timestamp: a.timestamp,
      startedAt: a.startedAt.toISOString(),
      durationMs: a.durationMs,
      statusCode: a.statusCode,
      error: a.error,
      responseExcerpt: a.responseExcerpt,
      succeeded: a.succeeded,
    })),
  };
}
