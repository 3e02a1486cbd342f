import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, listQuery, noContentResponses, pageOf } from '../../http/schemas.ts';
import {
  orderInput,
  orderPatch,
  orderSchema,
  orderUpsert,
  presentOrder,
  presentProduct,
  presentRefund,
  presentSubscription,
  productInput,
  productPatch,
  productSchema,
  productUpsert,
  refundInput,
  refundSchema,
  subscriptionCancel,
  subscriptionInput,
  subscriptionSchema,
  subscriptionUpsert,
} from './commerce.schemas.ts';
import type { OrderDetail, OrdersService } from './orders.service.ts';
import type { ProductsService } from './products.service.ts';
import type { SubscriptionsService } from './subscriptions.service.ts';

const externalIdParam = z.object({
  externalId: z.string().min(1).max(200).describe("The record's id in your system"),
});

const present = (d: OrderDetail) => presentOrder(d.order, d.customer, { lines: d.lines, refunds: d.refunds });

export const commerceRoutes =
  (deps: {
    products: ProductsService;
    orders: OrdersService;
    subscriptions: SubscriptionsService;
  }): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const { products, orders, subscriptions } = deps;

    // ---- products ----
    const productTags = ['Products'];

    r.get(
      '/products',
      {
        schema: {
          tags: productTags,
          summary:
            'List the product catalogue (filter on sku, name, category, currency, price in minor units, active, external_id)',
          querystring: listQuery,
          response: { 200: pageOf(productSchema), ...errorResponses },
        },
      },
      async (req) => {
        const page = await products.list(requireActor(req), req.query);
        return { data: page.rows.map(presentProduct), page: { nextCursor: page.nextCursor, limit: page.limit } };
      },
    );

    r.post(
      '/products',
      {
        schema: {
          tags: productTags,
          summary: 'Add a product',
          body: productInput,
          response: { 201: productSchema, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(presentProduct(await products.create(requireActor(req), req.body))),
    );

    r.get(
      '/products/:id',
      {
        schema: {
          tags: productTags,
          summary: 'Get a product',
          params: idParam,
          response: { 200: productSchema, ...errorResponses },
        },
      },
      async (req) => presentProduct(await products.get(requireActor(req), req.params.id)),
    );

    r.patch(
      '/products/:id',
      {
        schema: {
          tags: productTags,
          summary: 'Change a product (only the fields sent)',
          params: idParam,
          body: productPatch,
          response: { 200: productSchema, ...errorResponses },
        },
      },
      async (req) => presentProduct(await products.update(requireActor(req), req.params.id, req.body)),
    );

    r.delete(
      '/products/:id',
      {
        schema: {
          tags: productTags,
          summary: 'Delete a product that was never sold (a sold one is deactivated instead: 409)',
          params: idParam,
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        await products.remove(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    r.put(
      '/products/by-external-id/:externalId',
      {
        schema: {
          tags: productTags,
          summary: 'Create or update the product with this external id (the same body twice changes nothing)',
          params: externalIdParam,
          body: productUpsert,
          response: { 200: productSchema, 201: productSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const x = await products.upsert(requireActor(req), req.params.externalId, req.body);
        return reply.status(x.created ? 201 : 200).send(presentProduct(x.product));
      },
    );

    // ---- orders ----
    const orderTags = ['Orders'];

    r.get(
      '/orders',
      {
        schema: {
          tags: orderTags,
          summary:
            'List orders, newest first: filter=person_id:eq:<id>, status:in:paid|partially_refunded, placed_at:gte:2026-01-01, channel:eq:web, currency, external_id; sort by placed_at, total (minor units), created_at, updated_at',
          querystring: listQuery,
          response: { 200: pageOf(orderSchema), ...errorResponses },
        },
      },
      async (req) => {
        const page = await orders.list(requireActor(req), req.query);
        return {
          data: page.rows.map((o) => presentOrder(o, o.customer)),
          page: { nextCursor: page.nextCursor, limit: page.limit },
        };
      },
    );

    r.post(
      '/orders',
      {
        schema: {
          tags: orderTags,
          summary: 'Record an order (the customer by personId, or found or created from customer)',
          body: orderInput,
          response: { 201: orderSchema, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(present(await orders.create(requireActor(req), req.body))),
    );

    r.get(
      '/orders/:id',
      {
        schema: {
          tags: orderTags,
          summary: 'Get an order with its lines and refunds',
          params: idParam,
          response: { 200: orderSchema, ...errorResponses },
        },
      },
      async (req) => present(await orders.get(requireActor(req), req.params.id)),
    );

    r.patch(
      '/orders/:id',
      {
        schema: {
          tags: orderTags,
          summary: 'Change the status (placed → paid or canceled), channel or note of an order',
          params: idParam,
          body: orderPatch,
          response: { 200: orderSchema, ...errorResponses },
        },
      },
      async (req) => present(await orders.update(requireActor(req), req.params.id, req.body)),
    );

    r.delete(
      '/orders/:id',
      {
        schema: {
          tags: orderTags,
          summary:
            'Delete an order with its lines and refunds (order.deleted on the customer timeline; metrics follow)',
          params: idParam,
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        await orders.remove(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    r.post(
      '/orders/:id/refunds',
      {
        schema: {
          tags: orderTags,
          summary: 'Refund part or all of what is left of an order (more than is left: 409)',
          params: idParam,
          body: refundInput,
          response: {
            201: z.object({ refund: refundSchema, order: orderSchema }),
            ...errorResponses,
          },
        },
      },
      async (req, reply) => {
        const x = await orders.refund(requireActor(req), req.params.id, req.body);
        return reply.status(201).send({ refund: presentRefund(x.refund, x.order.currency), order: present(x) });
      },
    );

    r.put(
      '/orders/by-external-id/:externalId',
      {
        schema: {
          tags: orderTags,
          summary: 'Create or update the order with this external id (the same body twice changes nothing)',
          params: externalIdParam,
          body: orderUpsert,
          response: { 200: orderSchema, 201: orderSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const x = await orders.upsert(requireActor(req), req.params.externalId, req.body);
        return reply.status(x.created ? 201 : 200).send(present(x));
      },
    );

    // ---- subscriptions ----
    const subscriptionTags = ['Subscriptions'];

    r.get(
      '/subscriptions',
      {
        schema: {
          tags: subscriptionTags,
          summary:
            'List subscriptions, newest first: filter=person_id:eq:<id>, status:eq:active, plan, started_at, canceled_at, currency, external_id',
          querystring: listQuery,
          response: { 200: pageOf(subscriptionSchema), ...errorResponses },
        },
      },
      async (req) => {
        const page = await subscriptions.list(requireActor(req), req.query);
        return {
          data: page.rows.map((s) => presentSubscription(s, s.customer)),
          page: { nextCursor: page.nextCursor, limit: page.limit },
        };
      },
    );

    r.post(
      '/subscriptions',
      {
        schema: {
          tags: subscriptionTags,
          summary: 'Record a subscription (the customer by personId, or found or created from customer)',
          body: subscriptionInput,
          response: { 201: subscriptionSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const x = await subscriptions.create(requireActor(req), req.body);
        return reply.status(201).send(presentSubscription(x.subscription, x.customer));
      },
    );

    r.get(
      '/subscriptions/:id',
      {
        schema: {
          tags: subscriptionTags,
          summary: 'Get a subscription',
          params: idParam,
          response: { 200: subscriptionSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await subscriptions.get(requireActor(req), req.params.id);
        return presentSubscription(x.subscription, x.customer);
      },
    );

    r.post(
      '/subscriptions/:id/cancel',
      {
        schema: {
          tags: subscriptionTags,
          summary: 'Cancel a subscription',
          params: idParam,
          body: subscriptionCancel,
          response: { 200: subscriptionSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await subscriptions.cancel(requireActor(req), req.params.id, req.body);
        return presentSubscription(x.subscription, x.customer);
      },
    );

    r.put(
      '/subscriptions/by-external-id/:externalId',
      {
        schema: {
          tags: subscriptionTags,
          summary: 'Create or update the subscription with this external id (the same body twice changes nothing)',
          params: externalIdParam,
          body: subscriptionUpsert,
          response: { 200: subscriptionSchema, 201: subscriptionSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const x = await subscriptions.upsert(requireActor(req), req.params.externalId, req.body);
        return reply.status(x.created ? 201 : 200).send(presentSubscription(x.subscription, x.customer));
      },
    );
  };
