import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { eventPage, eventSchema, presentEvent } from '../../events/events.routes.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, listQuery, noContentResponses } from '../../http/schemas.ts';
import type { PeopleService } from './people.service.ts';
import {
  consentBody,
  consentRecordSchema,
  noteBody,
  noteSchema,
  personInput,
  personSchema,
  presentConsentRecord,
  presentNote,
  presentPerson,
  stageChangeBody,
} from './people.schemas.ts';

const timelineQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(1).optional().describe('page.nextBefore of the previous page'),
  type: z.string().max(100).optional().describe('An event type, or a prefix like "person.consent_*"'),
});

export const timelinePage = z.object({
  data: z.array(eventSchema),
  page: z.object({ nextBefore: z.number().int().nullable(), limit: z.number().int() }),
});

export const peopleListQuery = listQuery.extend({
  q: z.string().max(200).optional().describe('Search text (typos tolerated)'),
});

export const peopleRoutes =
  (people: PeopleService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['People'];

    r.get(
      '/people',
      {
        schema: {
          tags,
          summary:
            'List people: filter on any field (custom.<key>, consent.<channel>.<purpose>, tag, email, stage, owner_id, ...), sort, search',
          querystring: peopleListQuery,
          response: {
            200: z.object({
              data: z.array(personSchema),
              page: z.object({ nextCursor: z.string().nullable(), limit: z.number().int() }),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const page = await people.list(requireActor(req), req.query);
        return {
          data: page.rows.map((x) => presentPerson(x.person, x.companies)),
          page: { nextCursor: page.nextCursor, limit: page.limit },
        };
      },
    );

    r.get(
      '/people/names',
      {
        schema: {
          tags,
          summary: "People's names by id (up to 200): what a list of tickets or orders shows beside each one",
          querystring: z.object({
            ids: z
              .string()
              .max(200 * 37)
              .transform((v) => v.split(',').filter(Boolean))
              .pipe(z.array(z.uuid()).min(1).max(200))
              .describe('Comma-separated person ids'),
          }),
          response: {
            200: z.object({ data: z.array(z.object({ id: z.string(), name: z.string() })) }),
            ...errorResponses,
          },
        },
      },
      async (req) => ({ data: await people.names(requireActor(req), req.query.ids) }),
    );

    r.get(
      '/people/count',
      {
        schema: {
          tags,
          summary: 'How many people match a filter (same parameters as the list)',
          querystring: peopleListQuery,
          response: { 200: z.object({ count: z.number().int() }), ...errorResponses },
        },
      },
      async (req) => ({ count: await people.count(requireActor(req), req.query) }),
    );

    r.post(
      '/people',
      {
        schema: {
          tags,
          summary: 'Create a person',
          body: personInput,
          response: { 201: personSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const x = await people.create(requireActor(req), req.body);
        return reply.status(201).send(presentPerson(x.person, x.companies));
      },
    );

    r.get(
      '/people/:id',
      {
        schema: {
          tags,
          summary: 'Get a person (the 360° record)',
          params: idParam,
          response: { 200: personSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await people.get(requireActor(req), req.params.id);
        return presentPerson(x.person, x.companies);
      },
    );

    r.patch(
      '/people/:id',
      {
        schema: {
          tags,
          summary: 'Change a person (only the fields sent; custom values merge; null clears)',
          params: idParam,
          body: personInput.extend({ stageReason: z.string().trim().max(500).optional() }),
          response: { 200: personSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await people.update(requireActor(req), req.params.id, req.body);
        return presentPerson(x.person, x.companies);
      },
    );

    r.delete(
      '/people/:id',
      {
        schema: {
          tags,
          summary: 'Delete a person (their events stay in the log)',
          description:
            'A person with orders, subscriptions or tickets is not deleted (409, with their counts) unless force=true: ' +
            'their orders and subscriptions would go with them; their tickets stay, without a customer.',
          params: idParam,
          querystring: z.object({
            force: z
              .enum(['true', 'false'])
              .optional()
              .describe('Delete even a person with orders, subscriptions or tickets'),
          }),
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        const deleted = await people.remove(requireActor(req), [req.params.id], {
          force: req.query.force === 'true',
          refuse: true,
        });
        if (!deleted.length)
          return reply
            .status(404)
            .send({ error: { code: 'not_found', message: `Person ${req.params.id} was not found`, details: null } });
        return reply.status(204).send(null);
      },
    );

    r.post(
      '/people/:id/stage',
      {
        schema: {
          tags,
          summary: 'Move a person to a lifecycle stage, with a reason',
          params: idParam,
          body: stageChangeBody,
          response: { 200: personSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await people.setStage(requireActor(req), req.params.id, req.body.stage, req.body.reason);
        return presentPerson(x.person, x.companies);
      },
    );

    r.get(
      '/people/:id/stage-history',
      {
        schema: {
          tags,
          summary: 'Every stage change: from, to, when, who, why',
          params: idParam,
          response: { 200: z.object({ data: z.array(eventSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await people.stageHistory(requireActor(req), req.params.id)).map(presentEvent) }),
    );

    r.get(
      '/people/:id/consent',
      {
        schema: {
          tags,
          summary: 'Current consent per channel and purpose, and the full ledger',
          params: idParam,
          response: {
            200: z.object({
              current: z.record(z.string(), z.enum(['granted', 'withdrawn'])),
              ledger: z.array(consentRecordSchema),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const c = await people.consent(requireActor(req), req.params.id);
        return { current: c.current, ledger: c.ledger.map(presentConsentRecord) };
      },
    );

    r.post(
      '/people/:id/consent',
      {
        schema: {
          tags,
          summary: 'Record a consent grant or withdrawal',
          params: idParam,
          body: consentBody,
          response: { 201: consentRecordSchema, ...errorResponses },
        },
      },
      async (req, reply) =>
        reply
          .status(201)
          .send(presentConsentRecord(await people.setConsent(requireActor(req), req.params.id, req.body))),
    );

    r.get(
      '/people/:id/notes',
      {
        schema: {
          tags,
          summary: 'Notes on a person',
          params: idParam,
          response: { 200: z.object({ data: z.array(noteSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await people.notes(requireActor(req), req.params.id)).map(presentNote) }),
    );

    r.post(
      '/people/:id/notes',
      {
        schema: {
          tags,
          summary: 'Add a note',
          params: idParam,
          body: noteBody,
          response: { 201: noteSchema, ...errorResponses },
        },
      },
      async (req, reply) =>
        reply.status(201).send(presentNote(await people.addNote(requireActor(req), req.params.id, req.body.body))),
    );

    r.patch(
      '/notes/:id',
      {
        schema: {
          tags: ['Notes'],
          summary: 'Edit a note',
          params: idParam,
          body: noteBody,
          response: { 200: noteSchema, ...errorResponses },
        },
      },
      async (req) => presentNote(await people.editNote(requireActor(req), req.params.id, req.body.body)),
    );

    r.delete(
      '/notes/:id',
      {
        schema: { tags: ['Notes'], summary: 'Delete a note', params: idParam, response: noContentResponses },
      },
      async (req, reply) => {
        await people.removeNote(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    r.put(
      '/people/:id/companies/:companyId',
      {
        schema: {
          tags,
          summary: 'Link a person to a company (or change their title there)',
          params: z.object({ id: z.uuid(), companyId: z.uuid() }),
          body: z.object({ title: z.string().trim().max(200).nullish(), isPrimary: z.boolean().optional() }),
          response: { 200: personSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await people.linkCompany(
          requireActor(req),
          req.params.id,
          req.params.companyId,
          req.body.title ?? null,
          req.body.isPrimary ?? false,
        );
        return presentPerson(x.person, x.companies);
      },
    );

    r.delete(
      '/people/:id/companies/:companyId',
      {
        schema: {
          tags,
          summary: 'Unlink a person from a company',
          params: z.object({ id: z.uuid(), companyId: z.uuid() }),
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        await people.unlinkCompany(requireActor(req), req.params.id, req.params.companyId);
        return reply.status(204).send(null);
      },
    );

    r.get(
      '/people/:id/timeline',
      {
        schema: {
          tags,
          summary: "The person's timeline (events), newest first",
          params: idParam,
          querystring: timelineQuery,
          response: { 200: timelinePage, ...errorResponses },
        },
      },
      async (req) => {
        const rows = await people.timeline(requireActor(req), req.params.id, {
          limit: req.query.limit + 1,
          before: req.query.before,
          type: req.query.type,
        });
        return eventPage(rows, req.query.limit);
      },
    );
  };

export { timelineQuery };
