import type { Db } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { parseListQuery } from '../../domain/list-query.ts';
import type { Actor } from '../../domain/permissions.ts';
import { newWebhookSecret, webhookUrlProblem, type WebhookEventBody } from '../../domain/webhooks.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { attemptDelivery, type DeliveryOptions } from './webhooks.delivery.ts';
import { internalHostProblem } from './webhooks.network.ts';
import {
  deleteEndpoint,
  deliveryFields,
  endpointStats,
  ensureCursor,
  eventSeqHighWater,
  findDelivery,
  findEndpoint,
  insertDeliveries,
  insertEndpoint,
  listAttempts,
  listDeliveries,
  listEndpoints,
  updateEndpoint,
  type EndpointStats,
  type WebhookAttemptRow,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from './webhooks.repository.ts';

export type WebhooksService = ReturnType<typeof createWebhooksService>;

type EndpointInput = {
  url: string;
  description?: string | undefined;
  eventTypes: string[];
  active?: boolean | undefined;
};

type ListParams = {
  limit?: number | string | undefined;
  cursor?: string | undefined;
  sort?: string | undefined;
  filter?: string | string[] | undefined;
};

function checkUrl(url: string): void {
  const problem = webhookUrlProblem(url) ?? internalHostProblem(new URL(url));
  if (problem) throw new AppError('validation_failed', `The URL ${problem}`, { field: 'url' });
}

/** The URL without credentials, for the event log (a receiver's basic-auth password must not land in events). */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Webhook endpoints of a workspace and their delivery log. Managing them needs `workspace:manage`: an endpoint
 * receives every customer change it subscribes to. Creating, changing, deleting and rotating append events;
 * delivery attempts do not (they are derived from events, and an event per attempt would feed itself to `*`).
 */
export function createWebhooksService(deps: { db: Db; delivery?: DeliveryOptions }) {
  const { db } = deps;

  async function mustFind(actor: Actor, id: string): Promise<WebhookEndpointRow> {
    const e = await findEndpoint(db, actor.workspaceId, id);
    if (!e) throw AppError.notFound('Webhook', id);
    return e;
  }

  async function mustFindDelivery(actor: Actor, endpointId: string, id: string): Promise<WebhookDeliveryRow> {
    const d = await findDelivery(db, actor.workspaceId, id);
    if (!d || d.endpointId !== endpointId) throw AppError.notFound('Delivery', id);
    return d;
  }

  async function statsOf(actor: Actor, rows: WebhookEndpointRow[]): Promise<Map<string, EndpointStats>> {
    return endpointStats(
      db,
      actor.workspaceId,
      rows.map((r) => r.id),
    );
  }

  return {
    async list(actor: Actor): Promise<Array<{ endpoint: WebhookEndpointRow; stats: EndpointStats | undefined }>> {
      assertCan(actor, 'workspace:manage');
      const rows = await listEndpoints(db, actor.workspaceId);
      const stats = await statsOf(actor, rows);
      return rows.map((endpoint) => ({ endpoint, stats: stats.get(endpoint.id) }));
    },

    async get(actor: Actor, id: string): Promise<{ endpoint: WebhookEndpointRow; stats: EndpointStats | undefined }> {
      assertCan(actor, 'workspace:manage');
      const endpoint = await mustFind(actor, id);
      return { endpoint, stats: (await statsOf(actor, [endpoint])).get(id) };
    },

    /** Adds an endpoint with a new secret (returned here, and later only by `revealSecret` or `rotateSecret`). */
    async create(actor: Actor, input: EndpointInput): Promise<WebhookEndpointRow> {
      assertCan(actor, 'workspace:manage');
      checkUrl(input.url);
      return db.transaction(async (tx) => {
        const e = await insertEndpoint(tx, {
          workspaceId: actor.workspaceId,
          id: newId(),
          url: input.url,
          description: input.description ?? '',
          secret: newWebhookSecret(),
          eventTypes: [...new Set(input.eventTypes)],
          active: input.active ?? true,
          createdBy: actor.userId ?? actor.apiKeyId,
        });
        await appendEvent(tx, actor, {
          type: 'webhook.created',
          subjectType: 'webhook',
          subjectId: e.id,
          payload: { url: safeUrl(e.url), eventTypes: e.eventTypes, active: e.active },
        });
        // The workspace's first endpoint starts the fan-out cursor here: older events (this one too) are not sent.
        await ensureCursor(tx, actor.workspaceId, await eventSeqHighWater(tx));
        return e;
      });
    },

    async update(actor: Actor, id: string, input: Partial<EndpointInput>): Promise<WebhookEndpointRow> {
      assertCan(actor, 'workspace:manage');
      if (input.url !== undefined) checkUrl(input.url);
      const before = await mustFind(actor, id);
      return db.transaction(async (tx) => {
        const e = await updateEndpoint(tx, actor.workspaceId, id, {
          ...(input.url !== undefined ? { url: input.url } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.eventTypes !== undefined ? { eventTypes: [...new Set(input.eventTypes)] } : {}),
          ...(input.active !== undefined ? { active: input.active } : {}),
        });
        if (!e) throw AppError.notFound('Webhook', id);
        const changes: Record<string, { from: unknown; to: unknown }> = {};
        if (before.url !== e.url) changes.url = { from: safeUrl(before.url), to: safeUrl(e.url) };
        if (before.description !== e.description) changes.description = { from: before.description, to: e.description };
        if (before.eventTypes.join() !== e.eventTypes.join())
          changes.eventTypes = { from: before.eventTypes, to: e.eventTypes };
        if (before.active !== e.active) changes.active = { from: before.active, to: e.active };
        await appendEvent(tx, actor, {
          type: 'webhook.updated',
          subjectType: 'webhook',
          subjectId: id,
          payload: { changes },
        });
        return e;
      });
    },

    /** Deletes an endpoint and its delivery log; queued retries find nothing and stop. */
    async remove(actor: Actor, id: string): Promise<void> {
      assertCan(actor, 'workspace:manage');
      await db.transaction(async (tx) => {
        const e = await findEndpoint(tx, actor.workspaceId, id);
        if (!e || !(await deleteEndpoint(tx, actor.workspaceId, id))) throw AppError.notFound('Webhook', id);
        await appendEvent(tx, actor, {
          type: 'webhook.deleted',
          subjectType: 'webhook',
          subjectId: id,
          payload: { url: safeUrl(e.url) },
        });
      });
    },

    async revealSecret(actor: Actor, id: string): Promise<string> {
      assertCan(actor, 'workspace:manage');
      return (await mustFind(actor, id)).secret;
    },

    /** A new secret, in force at once: the receiver must switch to it. */
    async rotateSecret(actor: Actor, id: string): Promise<string> {
      assertCan(actor, 'workspace:manage');
      await mustFind(actor, id);
      return db.transaction(async (tx) => {
        const e = await updateEndpoint(tx, actor.workspaceId, id, { secret: newWebhookSecret() });
        if (!e) throw AppError.notFound('Webhook', id);
        await appendEvent(tx, actor, { type: 'webhook.secret_rotated', subjectType: 'webhook', subjectId: id });
        return e.secret;
      });
    },

    /**
     * Sends a `webhook.test` event to this endpoint now (even when disabled) and returns the delivery with the
     * outcome. It is not written to the event log, so other endpoints do not receive it; it is not retried.
     */
    async sendTest(actor: Actor, id: string): Promise<{ delivery: WebhookDeliveryRow; attempts: WebhookAttemptRow[] }> {
      assertCan(actor, 'workspace:manage');
      const endpoint = await mustFind(actor, id);
      const eventId = newId();
      const body: WebhookEventBody = {
        id: eventId,
        type: 'webhook.test',
        occurredAt: new Date().toISOString(),
        workspaceId: actor.workspaceId,
        subject: { type: 'webhook', id },
        actor: { type: actor.kind, id: actor.userId ?? actor.apiKeyId },
        data: { message: 'A test delivery from Rapport. The signature checks out if your verification accepts it.' },
      };
      const [inserted] = await insertDeliveries(db, [
        {
          workspaceId: actor.workspaceId,
          id: newId(),
          endpointId: id,
          eventId,
          eventType: 'webhook.test',
          requestBody: JSON.stringify(body),
        },
      ]);
      const delivery = inserted ? await findDelivery(db, actor.workspaceId, inserted.id) : null;
      if (!delivery) throw new Error('test delivery insert returned nothing');
      const r = await attemptDelivery(db, delivery, endpoint, 'test', deps.delivery);
      return { delivery: r.delivery, attempts: await listAttempts(db, actor.workspaceId, delivery.id) };
    },

    async listDeliveries(actor: Actor, id: string, params: ListParams) {
      assertCan(actor, 'workspace:manage');
      await mustFind(actor, id);
      const q = parseListQuery(params, deliveryFields, { field: 'created_at', direction: 'desc' });
      return { ...(await listDeliveries(db, actor.workspaceId, id, q)), limit: q.limit };
    },

    async getDelivery(
      actor: Actor,
      id: string,
      deliveryId: string,
    ): Promise<{ delivery: WebhookDeliveryRow; attempts: WebhookAttemptRow[] }> {
      assertCan(actor, 'workspace:manage');
      const delivery = await mustFindDelivery(actor, id, deliveryId);
      return { delivery, attempts: await listAttempts(db, actor.workspaceId, deliveryId) };
    },

    /**
     * One more attempt of a delivery now, whatever its status: the same delivery id and body, a fresh timestamp and
     * signature (with the endpoint's current URL and secret). A pending delivery keeps its automatic retries if
     * this attempt fails; a failed one stays failed.
     */
    async redeliver(
      actor: Actor,
      id: string,
      deliveryId: string,
    ): Promise<{ delivery: WebhookDeliveryRow; attempts: WebhookAttemptRow[] }> {
      assertCan(actor, 'workspace:manage');
      const endpoint = await mustFind(actor, id);
      const delivery = await mustFindDelivery(actor, id, deliveryId);
      const r = await attemptDelivery(db, delivery, endpoint, 'manual', deps.delivery);
      return { delivery: r.delivery, attempts: await listAttempts(db, actor.workspaceId, deliveryId) };
    },
  };
}
