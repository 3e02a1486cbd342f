import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, listQuery, noContentResponses, pageOf } from '../../http/schemas.ts';
import type { WebhooksService } from './webhooks.service.ts';
import {
  deliveryDetailSchema,
  deliverySchema,
  presentDelivery,
  presentDeliveryDetail,
  presentWebhook,
  webhookInput,
  webhookPatch,
  webhookSchema,
  webhookSecretSchema,
  webhookWithSecretSchema,
} from './webhooks.schemas.ts';

const deliveryParams = z.object({
  id: z.uuid({ message: 'must be a UUID' }),
  deliveryId: z.uuid({ message: 'must be a UUID' }),
});

export const webhooksRoutes =
  (webhooks: WebhooksService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Webhooks'];

    r.get(
      '/webhooks',
      {
        schema: {
          tags,
          summary: 'Webhook endpoints of the workspace, with pending and failed delivery counts',
          response: { 200: z.object({ data: z.array(webhookSchema) }), ...errorResponses },
        },
      },
      async (req) => ({
        data: (await webhooks.list(requireActor(req))).map((x) => presentWebhook(x.endpoint, x.stats)),
      }),
    );

    r.post(
      '/webhooks',
      {
        schema: {
          tags,
          summary: 'Add a webhook endpoint (the answer carries its signing secret)',
          description:
            'Events of the subscribed types are POSTed to the URL as JSON, signed with HMAC-SHA256 ' +
            '(`Rapport-Signature: v1=<hex>` over `<Rapport-Timestamp>.<body>`), and retried with backoff for at ' +
            'least 24 hours until the endpoint answers 2xx. See docs/webhooks.md.',
          body: webhookInput,
          response: { 201: webhookWithSecretSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const e = await webhooks.create(requireActor(req), req.body);
        return reply.status(201).send({ ...presentWebhook(e), secret: e.secret });
      },
    );

    r.get(
      '/webhooks/:id',
      {
        schema: {
          tags,
          summary: 'Get a webhook endpoint',
          params: idParam,
          response: { 200: webhookSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await webhooks.get(requireActor(req), req.params.id);
        return presentWebhook(x.endpoint, x.stats);
      },
    );

    r.patch(
      '/webhooks/:id',
      {
        schema: {
          tags,
          summary: 'Change a webhook endpoint (URL, description, event types, active)',
          params: idParam,
          body: webhookPatch,
          response: { 200: webhookSchema, ...errorResponses },
        },
      },
      async (req) => {
        const actor = requireActor(req);
        await webhooks.update(actor, req.params.id, req.body);
        const x = await webhooks.get(actor, req.params.id);
        return presentWebhook(x.endpoint, x.stats);
      },
    );

    r.delete(
      '/webhooks/:id',
      {
        schema: {
          tags,
          summary: 'Delete a webhook endpoint and its delivery log',
          params: idParam,
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        await webhooks.remove(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    r.get(
      '/webhooks/:id/secret',
      {
        schema: {
          tags,
          summary: 'Reveal the signing secret of a webhook endpoint',
          params: idParam,
          response: { 200: webhookSecretSchema, ...errorResponses },
        },
      },
      async (req) => ({ secret: await webhooks.revealSecret(requireActor(req), req.params.id) }),
    );

    r.post(
      '/webhooks/:id/rotate-secret',
      {
        schema: {
          tags,
          summary: 'Replace the signing secret (in force at once) and return the new one',
          params: idParam,
          response: { 200: webhookSecretSchema, ...errorResponses },
        },
      },
      async (req) => ({ secret: await webhooks.rotateSecret(requireActor(req), req.params.id) }),
    );

    r.post(
      '/webhooks/:id/test',
      {
        schema: {
          tags,
          summary: 'Send a webhook.test event to this endpoint now and return the delivery with its outcome',
          params: idParam,
          response: { 200: deliveryDetailSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await webhooks.sendTest(requireActor(req), req.params.id);
        return presentDeliveryDetail(x.delivery, x.attempts);
      },
    );

    r.get(
      '/webhooks/:id/deliveries',
      {
        schema: {
          tags,
          summary: 'The delivery log of an endpoint, newest first (filter=status:eq:failed, event_type, created_at...)',
          params: idParam,
          querystring: listQuery,
          response: { 200: pageOf(deliverySchema), ...errorResponses },
        },
      },
      async (req) => {
        const page = await webhooks.listDeliveries(requireActor(req), req.params.id, req.query);
        return { data: page.rows.map(presentDelivery), page: { nextCursor: page.nextCursor, limit: page.limit } };
      },
    );

    r.get(
      '/webhooks/:id/deliveries/:deliveryId',
      {
        schema: {
          tags,
          summary: 'One delivery: the request sent and every attempt with its response',
          params: deliveryParams,
          response: { 200: deliveryDetailSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await webhooks.getDelivery(requireActor(req), req.params.id, req.params.deliveryId);
        return presentDeliveryDetail(x.delivery, x.attempts);
      },
    );

    r.post(
      '/webhooks/:id/deliveries/:deliveryId/redeliver',
      {
        schema: {
          tags,
          summary: 'Deliver again now: same delivery id and body, fresh timestamp and signature',
          params: deliveryParams,
          response: { 200: deliveryDetailSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await webhooks.redeliver(requireActor(req), req.params.id, req.params.deliveryId);
        return presentDeliveryDetail(x.delivery, x.attempts);
      },
    );
  };
