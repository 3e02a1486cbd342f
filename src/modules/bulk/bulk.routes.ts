import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses } from '../../http/schemas.ts';
import { bulkResult, companiesBulkBody, peopleBulkBody } from './bulk.schemas.ts';
import type { BulkService } from './bulk.service.ts';

export const bulkRoutes =
  (bulk: BulkService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.post(
      '/people/bulk',
      {
        schema: {
          tags: ['People'],
          summary:
            'Tag, untag, set the owner or stage of, or delete every person of a selection (ids, or a filter and search); large selections run as a job. Delete leaves out people with orders, subscriptions or tickets (counted as unchanged).',
          body: peopleBulkBody,
          response: { 200: bulkResult, 202: bulkResult, ...errorResponses },
        },
      },
      async (req, reply) => {
        const res = await bulk.start(requireActor(req), 'person', req.body);
        return reply.status(res.status === 'queued' ? 202 : 200).send(res);
      },
    );

    r.post(
      '/companies/bulk',
      {
        schema: {
          tags: ['Companies'],
          summary:
            'Tag, untag, set the owner of, or delete every company of a selection; large selections run as a job',
          body: companiesBulkBody,
          response: { 200: bulkResult, 202: bulkResult, ...errorResponses },
        },
      },
      async (req, reply) => {
        const res = await bulk.start(requireActor(req), 'company', req.body);
        return reply.status(res.status === 'queued' ? 202 : 200).send(res);
      },
    );
  };
