import fs from 'node:fs';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { eventPage } from '../../events/events.routes.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, pageOf } from '../../http/schemas.ts';
import { AppError } from '../../errors.ts';
import { assertCan } from '../auth/access.ts';
import { timelinePage, timelineQuery } from '../people/people.routes.ts';
import { attachmentBodyLimit, attachmentPath } from './attachments.ts';
import { findAttachment, findMessage } from './tickets.repository.ts';
import type { TicketsService } from './tickets.service.ts';
import {
  decodeUpload,
  mergeBody,
  messageSchema,
  presentMessage,
  presentTicket,
  presentTicketDetail,
  replyBody,
  splitBody,
  ticketBulkBody,
  ticketBulkResult,
  ticketCallBody,
  ticketCreateBody,
  ticketDetailSchema,
  ticketListQuery,
  ticketPatchBody,
  ticketSchema,
  ticketSummarySchema,
} from './tickets.schemas.ts';
import type { Db } from '../../db/client.ts';

const callBody = z.object({
  callId: z.string().trim().min(1).max(200).describe("The phone system's id of the call"),
  event: z.enum(['started', 'ended']),
  direction: z.enum(['inbound', 'outbound']),
  customerPhone: z.string().trim().min(3).max(40).describe('Any format; read with the workspace default country'),
  customerName: z.string().trim().max(200).optional(),
  at: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('When it happened (default: now); more than 5 minutes in the future is refused'),
  answeredAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe(
      'When an agent answered (default: the start of a call whose outcome or duration says it was answered); an answered inbound call is the first response',
    ),
  durationSeconds: z.number().int().min(0).max(86_400).optional(),
  outcome: z.string().trim().max(200).optional().describe('e.g. resolved, voicemail, no answer'),
  recordingUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  notes: z.string().max(10_000).optional(),
});

export const ticketsRoutes =
  (deps: { tickets: TicketsService; db: Db; dataDir: string }): FastifyPluginAsync =>
  async (app) => {
    const { tickets } = deps;
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Tickets'];

    r.get(
      '/tickets',
      {
        schema: {
          tags,
          summary: 'List tickets (queues, filter, sort)',
          querystring: ticketListQuery,
          response: { 200: pageOf(ticketSchema), ...errorResponses },
        },
      },
      async (req) => {
        const page = await tickets.list(requireActor(req), req.query);
        return { data: page.rows.map(presentTicket), page: { nextCursor: page.nextCursor, limit: page.limit } };
      },
    );

    r.get(
      '/tickets/summaries',
      {
        schema: {
          tags,
          summary: 'List tickets as a queue shows them (the same query as GET /tickets; lighter rows)',
          description:
            'The same queues, search, filters, sort and cursor as GET /tickets; each ticket without its SLA detail ' +
            'and custom values but with the SLA metric due first. The console inbox reads its queues this way.',
          querystring: ticketListQuery,
          response: { 200: pageOf(ticketSummarySchema), ...errorResponses },
        },
      },
      async (req, reply) => {
        const page = await tickets.listSummaries(requireActor(req), req.query);
        // Each ticket is JSON text already in TicketSummary's shape (tickets.repository.ts, summaryJson): joined as
        // it is — a JSON string is sent without the response serialiser.
        const pageJson = JSON.stringify({ nextCursor: page.nextCursor, limit: page.limit });
        return reply
          .type('application/json; charset=utf-8')
          .send(`{"data":[${page.json.join(',')}],"page":${pageJson}}` as never);
      },
    );

    r.get(
      '/tickets/queues',
      {
        schema: {
          tags,
          summary: 'How many open tickets each inbox queue holds',
          response: {
            200: z.object({
              mine: z.number().int(),
              unassigned: z.number().int(),
              myTeams: z.number().int(),
              breaching: z.number().int(),
              open: z.number().int(),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => tickets.queueCounts(requireActor(req)),
    );

    r.post(
      '/tickets',
      {
        schema: {
          tags,
          summary: 'Open a ticket for a customer (found or created by e-mail or phone)',
          body: ticketCreateBody,
          response: { 201: ticketSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const { call, ...body } = req.body;
        const logged = call && {
          ...call,
          startedAt: call.startedAt ? new Date(call.startedAt) : undefined,
          answeredAt: call.answeredAt ? new Date(call.answeredAt) : undefined,
        };
        return reply
          .status(201)
          .send(presentTicket(await tickets.create(requireActor(req), { ...body, call: logged })));
      },
    );

    r.get(
      '/tickets/:id',
      {
        schema: {
          tags,
          summary: 'A ticket with its conversations, messages and customer',
          params: idParam,
          querystring: z.object({
            before: z.uuid().optional().describe('Return the messages older than this one (the next page back)'),
          }),
          response: { 200: ticketDetailSchema, ...errorResponses },
        },
      },
      async (req) =>
        presentTicketDetail(await tickets.get(requireActor(req), req.params.id, { before: req.query.before })),
    );

    r.patch(
      '/tickets/:id',
      {
        schema: {
          tags,
          summary: 'Change status, priority, type, assignee, team, tags or fields',
          params: idParam,
          body: ticketPatchBody,
          response: { 200: ticketSchema, ...errorResponses },
        },
      },
      async (req) => presentTicket(await tickets.update(requireActor(req), req.params.id, req.body)),
    );

    r.post(
      '/tickets/:id/replies',
      {
        // Room for one file at the attachment limit, base64-encoded (4 bytes for 3), beside the text and HTML.
        bodyLimit: attachmentBodyLimit(app.initialConfig.bodyLimit ?? 0),
        schema: {
          tags,
          summary: 'Reply to the customer (sent through the channel) or add an internal note',
          params: idParam,
          body: replyBody,
          response: { 201: messageSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const { attachments, ...body } = req.body;
        const out = await tickets.reply(requireActor(req), req.params.id, {
          ...body,
          attachments: attachments?.map(decodeUpload),
        });
        return reply.status(201).send(presentMessage(out.message, out.attachments));
      },
    );

    r.post(
      '/tickets/bulk',
      {
        schema: {
          tags,
          summary: 'Change several tickets at once: status, priority, assignee, team, tags added or removed',
          description:
            'Each ticket changes as PATCH /tickets/{id} would change it. A value wrong for all (an unknown status, a team or user not of this workspace) is a 400 and a ticket not found a 404 (details.missing), and nothing changes; a ticket that cannot take the change (merged, closed, missing what solving needs) is listed in `failed` with the reason while the others change.',
          body: ticketBulkBody,
          response: { 200: ticketBulkResult, ...errorResponses },
        },
      },
      async (req) => {
        const { ids, ...change } = req.body;
        const out = await tickets.bulkUpdate(requireActor(req), ids, change);
        return {
          updated: out.updated.map((t) => ({ id: t.id, number: t.number, status: t.status })),
          failed: out.failed,
        };
      },
    );

    r.post(
      '/tickets/:id/merge',
      {
        schema: {
          tags,
          summary: 'Merge other tickets into this one (their conversations move here; they close)',
          params: idParam,
          body: mergeBody,
          response: { 200: ticketSchema, ...errorResponses },
        },
      },
      async (req) => presentTicket(await tickets.merge(requireActor(req), req.params.id, req.body.ticketIds)),
    );

    r.post(
      '/tickets/:id/split',
      {
        schema: {
          tags,
          summary: 'Move some messages into a new ticket',
          params: idParam,
          body: splitBody,
          response: { 201: ticketSchema, ...errorResponses },
        },
      },
      async (req, reply) =>
        reply.status(201).send(presentTicket(await tickets.split(requireActor(req), req.params.id, req.body))),
    );

    r.get(
      '/tickets/:id/history',
      {
        schema: {
          tags,
          summary: "The ticket's history (events), newest first",
          params: idParam,
          querystring: timelineQuery,
          response: { 200: timelinePage, ...errorResponses },
        },
      },
      async (req) => {
        const rows = await tickets.history(requireActor(req), req.params.id, {
          limit: req.query.limit + 1,
          before: req.query.before,
          type: req.query.type,
        });
        return eventPage(rows, req.query.limit);
      },
    );

    r.post(
      '/calls',
      {
        schema: {
          tags,
          summary: "A phone system's call event (started or ended): logged on the caller's ticket",
          body: callBody,
          response: {
            201: z.object({ ticket: ticketSchema, message: messageSchema }),
            ...errorResponses,
          },
        },
      },
      async (req, reply) => {
        const { at, answeredAt, ...rest } = req.body;
        const out = await tickets.logCall(requireActor(req), {
          ...rest,
          ...(at ? { at: new Date(at) } : {}),
          ...(answeredAt ? { answeredAt: new Date(answeredAt) } : {}),
        });
        return reply.status(201).send({ ticket: presentTicket(out.ticket), message: presentMessage(out.message, []) });
      },
    );

    r.post(
      '/tickets/:id/calls',
      {
        schema: {
          tags,
          summary:
            'Log a phone call on this ticket: the customer called about it (inbound) or the agent called them (outbound)',
          description:
            "The call becomes a message on the ticket's phone conversation with its customer. An inbound call counts as the customer getting in touch (a pending or solved ticket opens again) and, answered, as the agent's response at the answer time; an outbound call counts as the agent's reply. A closed or merged ticket is refused (409).",
          params: idParam,
          body: ticketCallBody,
          response: {
            201: z.object({ ticket: ticketSchema, message: messageSchema }),
            ...errorResponses,
          },
        },
      },
      async (req, reply) => {
        const { call, ...body } = req.body;
        const out = await tickets.logTicketCall(requireActor(req), req.params.id, {
          ...body,
          call: {
            ...call,
            startedAt: call.startedAt ? new Date(call.startedAt) : undefined,
            answeredAt: call.answeredAt ? new Date(call.answeredAt) : undefined,
          },
        });
        return reply.status(201).send({ ticket: presentTicket(out.ticket), message: presentMessage(out.message, []) });
      },
    );

    r.get(
      '/tickets/:id/attachments/:attachmentId',
      {
        schema: {
          tags,
          summary: "Download a message's attachment",
          params: z.object({ id: z.uuid(), attachmentId: z.uuid() }),
          response: { 200: z.string().describe('The file, as a download'), ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = requireActor(req);
        assertCan(actor, 'tickets:read');
        const a = await findAttachment(deps.db, actor.workspaceId, req.params.attachmentId);
        const m = a ? await findMessage(deps.db, actor.workspaceId, a.messageId) : null;
        if (!a || !m || m.ticketId !== req.params.id) throw AppError.notFound('Attachment', req.params.attachmentId);
        const file = attachmentPath(deps.dataDir, a.storageKey);
        if (!fs.existsSync(file))
          throw new AppError('not_found', 'The file of this attachment is gone from the data directory');
        return sendAttachment(reply, a.contentType, a.fileName, file);
      },
    );
  };

/** Served as a download, never rendered in the console's origin (an HTML or SVG file could run script). */
function sendAttachment(reply: FastifyReply, contentType: string, fileName: string, file: string) {
  const safeImage = contentType.startsWith('image/') && !contentType.includes('svg');
  return reply
    .header('content-type', safeImage ? contentType : 'application/octet-stream')
    .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`)
    .send(fs.createReadStream(file));
}
