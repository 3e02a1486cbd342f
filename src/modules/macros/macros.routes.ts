import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ticketPriorities, ticketStatuses } from '../../db/schema/service.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, iso, isoDate, noContentResponses } from '../../http/schemas.ts';
import { messageSchema, presentMessage, presentTicket, ticketSchema } from '../tickets/tickets.schemas.ts';
import type { MacroRow } from './macros.repository.ts';
import type { MacroPreview, MacrosService } from './macros.service.ts';

const tag = z.string().trim().min(1).max(50);

export const macroActionsSchema = z
  .object({
    status: z.enum(ticketStatuses).optional(),
    priority: z.enum(ticketPriorities).optional(),
    type: z.string().trim().min(1).max(50).optional(),
    assigneeId: z
      .union([z.uuid(), z.literal('me')])
      .nullable()
      .optional()
      .describe('A user id, "me" (whoever applies the macro), or null to unassign'),
    teamId: z.uuid().nullable().optional().describe('A team id, or null to take the ticket off its team'),
    addTags: z.array(tag).max(20).optional(),
    removeTags: z.array(tag).max(20).optional(),
    custom: z
      .record(z.string().max(50), z.unknown())
      .optional()
      .describe('Ticket custom field values to set, by key (null clears one); checked against the ticket fields'),
  })
  .strict();

const macroSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    body: z.string().describe('Reply text with placeholders such as {{customer.first_name|there}}'),
    internal: z.boolean().describe('Adds an internal note instead of replying'),
    actions: macroActionsSchema,
    active: z.boolean(),
    usageCount: z.number().int(),
    lastUsedAt: isoDate.nullable(),
    createdBy: z.string().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Macro' });

const present = (m: MacroRow): z.infer<typeof macroSchema> => ({
  id: m.id,
  name: m.name,
  description: m.description,
  body: m.body,
  internal: m.internal,
  actions: m.actions as z.infer<typeof macroActionsSchema>,
  active: m.active,
  usageCount: m.usageCount,
  lastUsedAt: iso(m.lastUsedAt),
  createdBy: m.createdBy,
  createdAt: m.createdAt.toISOString(),
  updatedAt: m.updatedAt.toISOString(),
});

const body = z.object({
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(500).nullish(),
  body: z.string().max(50_000).optional(),
  internal: z.boolean().optional(),
  actions: macroActionsSchema.optional(),
  active: z.boolean().optional(),
});

const previewSchema = z
  .object({
    body: z.string().describe('The reply (or note) as it would be sent, placeholders filled in'),
    internal: z.boolean(),
    changes: z.array(
      z.object({
        field: z.string().describe('status, priority, type, assigneeId, teamId, tags, or custom.<key>'),
        from: z.unknown(),
        to: z.unknown(),
      }),
    ),
  })
  .meta({ id: 'MacroPreview' });

const presentPreview = (p: MacroPreview): z.infer<typeof previewSchema> => p;

const ticketMacroParams = z.object({ id: z.uuid(), macroId: z.uuid() });

export const macrosRoutes =
  (macros: MacrosService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Macros'];
    r.get(
      '/macros',
      {
        schema: {
          tags,
          summary: 'Macros (most used first)',
          querystring: z.object({
            active: z
              .enum(['true', 'false'])
              .optional()
              .transform((v) => (v === undefined ? undefined : v === 'true')),
            q: z.string().max(200).optional().describe('Words of the name or description'),
          }),
          response: { 200: z.object({ data: z.array(macroSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await macros.list(requireActor(req), req.query)).map(present) }),
    );
    r.post(
      '/macros',
      {
        schema: {
          tags,
          summary: 'Add a macro (needs workspace:manage); unknown placeholders, users or teams are refused',
          body,
          response: { 201: macroSchema, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(present(await macros.create(requireActor(req), req.body))),
    );
    r.get(
      '/macros/:id',
      { schema: { tags, summary: 'A macro', params: idParam, response: { 200: macroSchema, ...errorResponses } } },
      async (req) => present(await macros.get(requireActor(req), req.params.id)),
    );
    r.patch(
      '/macros/:id',
      {
        schema: {
          tags,
          summary: 'Change a macro',
          params: idParam,
          body: body.partial(),
          response: { 200: macroSchema, ...errorResponses },
        },
      },
      async (req) => present(await macros.update(requireActor(req), req.params.id, req.body)),
    );
    r.delete(
      '/macros/:id',
      { schema: { tags, summary: 'Remove a macro', params: idParam, response: noContentResponses } },
      async (req, reply) => {
        await macros.remove(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
    r.post(
      '/tickets/:id/macros/:macroId/preview',
      {
        schema: {
          tags,
          summary: 'What a macro would write and change on this ticket (nothing is changed)',
          params: ticketMacroParams,
          response: { 200: previewSchema, ...errorResponses },
        },
      },
      async (req) => presentPreview(await macros.preview(requireActor(req), req.params.id, req.params.macroId)),
    );
    r.post(
      '/tickets/:id/macros/:macroId/apply',
      {
        schema: {
          tags,
          summary: 'Apply a macro: its field changes and its reply or note, in one step',
          params: ticketMacroParams,
          body: z
            .object({
              seenMessageId: z
                .uuid()
                .optional()
                .describe('The newest message you saw; if others arrived since, 409 with reason "collision"'),
              force: z.boolean().optional(),
            })
            .nullish()
            .describe('Optional: send nothing, or these collision guards'),
          response: {
            200: z.object({ ticket: ticketSchema, message: messageSchema.nullable(), preview: previewSchema }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const out = await macros.apply(requireActor(req), req.params.id, req.params.macroId, req.body ?? {});
        return {
          ticket: presentTicket(out.ticket),
          message: out.message ? presentMessage(out.message, []) : null,
          preview: presentPreview(out.preview),
        };
      },
    );
  };
