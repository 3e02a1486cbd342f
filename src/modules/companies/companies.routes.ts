import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { eventPage } from '../../events/events.routes.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, noContentResponses } from '../../http/schemas.ts';
import { peopleListQuery, timelinePage, timelineQuery } from '../people/people.routes.ts';
import type { CompaniesService } from './companies.service.ts';
import { companyInput, companySchema, presentCompany } from './companies.schemas.ts';

export const companiesRoutes =
  (companies: CompaniesService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Companies'];

    r.get(
      '/companies',
      {
        schema: {
          tags,
          summary: 'List companies (filter, sort, search)',
          querystring: peopleListQuery,
          response: {
            200: z.object({
              data: z.array(companySchema),
              page: z.object({ nextCursor: z.string().nullable(), limit: z.number().int() }),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const page = await companies.list(requireActor(req), req.query);
        return {
          data: page.rows.map((c) => presentCompany(c)),
          page: { nextCursor: page.nextCursor, limit: page.limit },
        };
      },
    );

    r.post(
      '/companies',
      {
        schema: {
          tags,
          summary: 'Create a company',
          body: companyInput,
          response: { 201: companySchema, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(presentCompany(await companies.create(requireActor(req), req.body))),
    );

    r.get(
      '/companies/:id',
      {
        schema: {
          tags,
          summary: 'Get a company with its people',
          params: idParam,
          response: { 200: companySchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await companies.get(requireActor(req), req.params.id);
        return presentCompany(x.company, x.people);
      },
    );

    r.patch(
      '/companies/:id',
      {
        schema: {
          tags,
          summary: 'Change a company',
          params: idParam,
          body: companyInput,
          response: { 200: companySchema, ...errorResponses },
        },
      },
      async (req) => presentCompany(await companies.update(requireActor(req), req.params.id, req.body)),
    );

    r.delete(
      '/companies/:id',
      {
        schema: {
          tags,
          summary: 'Delete a company (people stay; their link goes)',
          params: idParam,
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        const deleted = await companies.remove(requireActor(req), [req.params.id]);
        if (!deleted.length)
          return reply
            .status(404)
            .send({ error: { code: 'not_found', message: `Company ${req.params.id} was not found`, details: null } });
        return reply.status(204).send(null);
      },
    );

    r.get(
      '/companies/:id/timeline',
      {
        schema: {
          tags,
          summary: "The company's timeline, newest first",
          params: idParam,
          querystring: timelineQuery,
          response: { 200: timelinePage, ...errorResponses },
        },
      },
      async (req) => {
        const rows = await companies.timeline(requireActor(req), req.params.id, {
          limit: req.query.limit + 1,
          before: req.query.before,
          type: req.query.type,
        });
        return eventPage(rows, req.query.limit);
      },
    );
  };
