import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, noContentResponses } from '../../http/schemas.ts';
import type { ViewsService } from './views.service.ts';
import { presentView, viewEntity, viewInput, viewPatch, viewSchema } from './views.schemas.ts';

export const viewsRoutes =
  (views: ViewsService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Views'];

    r.get(
      '/views',
      {
        schema: {
          tags,
          summary: 'Saved views: yours and the shared ones',
          querystring: z.object({ entity: viewEntity.optional() }),
          response: { 200: z.object({ data: z.array(viewSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await views.list(requireActor(req), req.query.entity)).map(presentView) }),
    );

    r.post(
      '/views',
      {
        schema: {
          tags,
          summary:
            'Save a view (filters, sort, search, columns); its filters and sort are checked like the list checks them',
          body: viewInput,
          response: { 201: viewSchema, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(presentView(await views.create(requireActor(req), req.body))),
    );

    r.get(
      '/views/:id',
      {
        schema: { tags, summary: 'A saved view', params: idParam, response: { 200: viewSchema, ...errorResponses } },
      },
      async (req) => presentView(await views.get(requireActor(req), req.params.id)),
    );

    r.patch(
      '/views/:id',
      {
        schema: {
          tags,
          summary: 'Rename, change or share a view (its owner, or an administrator)',
          params: idParam,
          body: viewPatch,
          response: { 200: viewSchema, ...errorResponses },
        },
      },
      async (req) => presentView(await views.update(requireActor(req), req.params.id, req.body)),
    );

    r.delete(
      '/views/:id',
      {
        schema: { tags, summary: 'Delete a view', params: idParam, response: noContentResponses },
      },
      async (req, reply) => {
        await views.remove(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
