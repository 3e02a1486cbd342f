import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, noContentResponses } from '../../http/schemas.ts';
import { companySchema, presentCompany } from '../companies/companies.schemas.ts';
import { personSchema, presentPerson } from '../people/people.schemas.ts';
import type { DuplicatesService } from './duplicates.service.ts';
import {
  companyDuplicatePage,
  companyDuplicatesQuery,
  dismissBody,
  mergeBody,
  personDuplicatePage,
  personDuplicatesQuery,
} from './duplicates.schemas.ts';

export const duplicatesRoutes =
  (duplicates: DuplicatesService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/people/duplicates',
      {
        schema: {
          tags: ['People'],
          summary:
            'Likely duplicate people (same email or phone; similar name at the same company), with reasons and a score',
          querystring: personDuplicatesQuery,
          response: { 200: personDuplicatePage, ...errorResponses },
        },
      },
      async (req) => {
        const page = await duplicates.personPairs(requireActor(req), req.query);
        return {
          data: page.data.map((p) => ({
            a: presentPerson(p.a, p.aLinks),
            b: presentPerson(p.b, p.bLinks),
            score: p.score,
            reasons: p.reasons,
          })),
          page: { nextCursor: page.nextCursor, limit: page.limit },
        };
      },
    );

    r.post(
      '/people/duplicates/dismissals',
      {
        schema: {
          tags: ['People'],
          summary: 'Mark two people as not duplicates (the pair is no longer listed)',
          body: dismissBody,
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        await duplicates.dismissPeople(requireActor(req), req.body.ids);
        return reply.status(204).send(null);
      },
    );

    r.post(
      '/people/:id/merge',
      {
        schema: {
          tags: ['People'],
          summary:
            'Merge another person into this one, field by field; every relation, consent record, note and event moves here, the other is deleted',
          params: idParam,
          body: mergeBody,
          response: { 200: personSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await duplicates.mergePeople(requireActor(req), req.params.id, req.body);
        return presentPerson(x.person, x.companies);
      },
    );

    r.get(
      '/companies/duplicates',
      {
        schema: {
          tags: ['Companies'],
          summary: 'Likely duplicate companies (same domain; similar name), with reasons and a score',
          querystring: companyDuplicatesQuery,
          response: { 200: companyDuplicatePage, ...errorResponses },
        },
      },
      async (req) => {
        const page = await duplicates.companyPairs(requireActor(req), req.query);
        return {
          data: page.data.map((p) => ({
            a: presentCompany(p.a),
            b: presentCompany(p.b),
            score: p.score,
            reasons: p.reasons,
          })),
          page: { nextCursor: page.nextCursor, limit: page.limit },
        };
      },
    );

    r.post(
      '/companies/duplicates/dismissals',
      {
        schema: {
          tags: ['Companies'],
          summary: 'Mark two companies as not duplicates',
          body: dismissBody,
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        await duplicates.dismissCompanies(requireActor(req), req.body.ids);
        return reply.status(204).send(null);
      },
    );

    r.post(
      '/companies/:id/merge',
      {
        schema: {
          tags: ['Companies'],
          summary: 'Merge another company into this one, field by field; its people, notes and events move here',
          params: idParam,
          body: mergeBody,
          response: { 200: companySchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await duplicates.mergeCompanies(requireActor(req), req.params.id, req.body);
        return presentCompany(x.company, x.people);
      },
    );
  };
