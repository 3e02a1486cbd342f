import querystring from 'node:querystring';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { verifyWebhookSignature } from '../../domain/webhooks.ts';
import { AppError } from '../../errors.ts';
import { escapeHtml, page } from '../../http/html-page.ts';
import { sendError } from '../../http/error-handler.ts';
import { assertAttachmentsFit, attachmentBodyLimit } from '../tickets/attachments.ts';
import { attachmentUpload, decodeUpload } from '../tickets/tickets.schemas.ts';
import type { TicketsService } from '../tickets/tickets.service.ts';
import { findActiveChannelById, type ChannelRow } from './channels.repository.ts';

const formFields = z.object({
  name: z.string().trim().max(200).optional(),
  email: z.string().trim().min(3, 'Your e-mail address is needed to answer you').max(320),
  phone: z.string().trim().max(40).optional(),
  subject: z.string().trim().max(300).optional(),
  message: z.string().trim().min(1, 'Write your message').max(20_000),
  /** Honeypot: people leave it empty (it is hidden); bots fill it. */
  website: z.string().max(500).optional(),
});

const inboundBody = z
  .object({
    threadId: z.string().trim().min(1).max(200).describe("The integration's conversation id (thread)"),
    from: z
      .object({
        email: z.string().trim().max(320).optional(),
        phone: z.string().trim().max(40).optional(),
        name: z.string().trim().max(200).optional(),
      })
      .refine((f) => f.email || f.phone, { message: 'give email or phone' }),
    text: z.string().max(200_000).optional(),
    html: z.string().max(2_000_000).optional(),
    subject: z.string().trim().max(300).optional(),
    messageId: z
      .string()
      .trim()
      .max(500)
      .optional()
      .describe('Your id of the message: the same id twice is stored once'),
    custom: z
      .record(z.string().max(50), z.unknown())
      .optional()
      .describe('Ticket custom field values for a new ticket (an order number…); checked like any write'),
    attachments: z
      .array(attachmentUpload)
      .max(20)
      .optional()
      .describe(
        'Files of the message (a photo, a document), each at most the attachment limit (RAPPORT_ATTACHMENT_MAX_BYTES, 20 MB): 413 beyond',
      ),
  })
  // An empty message would open a ticket with nothing to answer (and an SLA clock running on it). `[^<>]`: an
  // unclosed tag is not scanned to the end of the body from each of its repeats.
  .refine((m) => Boolean(m.text?.trim() || m.html?.replace(/<[^<>]*>|&nbsp;/g, '').trim() || m.attachments?.length), {
    message: 'the message is empty: give text, html or attachments',
    path: ['text'],
  });

const uuidLike = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A channel by id alone; ids that are not UUIDs are simply not found. */
async function channelById(db: Db, id: string, kind: ChannelRow['kind']): Promise<ChannelRow | null> {
  return uuidLike.test(id) ? findActiveChannelById(db, id, kind) : null;
}

function formHtml(channelId: string, values: Record<string, string> = {}, problem?: string): string {
  const v = (k: string) => escapeHtml(values[k] ?? '');
  return (
    (problem ? `<p role="alert" style="color:#b91c1c">${escapeHtml(problem)}</p>` : '') +
    `<form method="post" action="/forms/${escapeHtml(channelId)}">` +
    `<label for="f-name">Name</label><input id="f-name" name="name" autocomplete="name" value="${v('name')}">` +
    `<label for="f-email">E-mail</label><input id="f-email" name="email" type="email" required autocomplete="email" value="${v('email')}">` +
    `<label for="f-subject">Subject</label><input id="f-subject" name="subject" value="${v('subject')}">` +
    `<label for="f-message">Message</label><textarea id="f-message" name="message" rows="6" required>${v('message')}</textarea>` +
    `<div class="hp" aria-hidden="true"><label for="f-website">Website</label><input id="f-website" name="website" tabindex="-1" autocomplete="off"></div>` +
    `<p><button type="submit">Send</button></p></form>`
  );
}

/**
 * The contact form is made to be embedded in the customer's own site (an iframe): its page and the page its POST
 * answers with may be framed by any origin. Every other page keeps `frame-ancestors 'none'` (clickjacking); the form
 * holds no session and acts for no signed-in user, so framing it gives a hostile page nothing to click on.
 */
function embeddable(reply: FastifyReply): void {
  const csp = reply.getHeader('content-security-policy');
  if (typeof csp === 'string')
    reply.header('content-security-policy', csp.replace("frame-ancestors 'none'", 'frame-ancestors *'));
  reply.removeHeader('x-frame-options');
}

/** How far a signed message's Rapport-Timestamp may be from now. */
const signatureToleranceSeconds = 300;
const badSignature =
  'Bad or missing signature: send Rapport-Timestamp (unix seconds) and Rapport-Signature: v1=hex(HMAC-SHA256(channel secret, timestamp + "." + body))';
/** The API channel an /inbound request's onRequest check found, for its handler. */
const inboundChannels = new WeakMap<FastifyRequest, ChannelRow>();

/**
 * Public entry points of channels: the contact form (an HTML page to embed or link, and its POST, also usable from
 * your own form as JSON), and the signed inbound endpoint of API channels for messaging and social integrations.
 * Outbound messages of API channels leave through webhooks (ticket.replied carries the text, the thread id and the files).
 */
export const channelPublicRoutes =
  (deps: { db: Db; tickets: TicketsService }): FastifyPluginAsync =>
  async (app) => {
    const { db, tickets } = deps;
    // Raw bodies: forms arrive url-encoded; signed JSON must be verified over the exact bytes sent.
    app.addContentTypeParser(
      ['application/x-www-form-urlencoded', 'application/json'],
      { parseAs: 'string', bodyLimit: 256 * 1024 },
      (_req, body, done) => done(null, body),
    );
    const limit = { max: 20, timeWindow: '1 minute' };

    app.get<{ Params: { channelId: string } }>(
      '/forms/:channelId',
      { config: { public: true }, schema: { hide: true } },
      async (req, reply) => {
        embeddable(reply);
        const channel = await channelById(db, req.params.channelId, 'form');
        if (!channel)
          return page(reply, 404, 'Form not found', '<p>This contact form does not exist or is switched off.</p>');
        return page(reply, 200, channel.name, formHtml(channel.id));
      },
    );

    app.post<{ Params: { channelId: string }; Body: string }>(
      '/forms/:channelId',
      { config: { public: true, rateLimit: limit }, schema: { hide: true } },
      async (req, reply) => {
        embeddable(reply);
        const asJson = (req.headers['content-type'] ?? '').includes('json');
        const fail = (status: number, message: string, values: Record<string, string> = {}) =>
          asJson
            ? sendError(reply, status, 'validation_failed', message)
            : page(reply, status, 'Please check the form', formHtml(req.params.channelId, values, message));
        const channel = await channelById(db, req.params.channelId, 'form');
        if (!channel)
          return asJson
            ? sendError(reply, 404, 'not_found', 'This contact form does not exist or is switched off')
            : page(reply, 404, 'Form not found', '<p>This contact form does not exist or is switched off.</p>');
        let raw: unknown;
        try {
          raw = asJson ? JSON.parse(req.body || '{}') : { ...querystring.parse(req.body ?? '') };
        } catch {
          return fail(400, 'The form data could not be read');
        }
        const parsed = formFields.safeParse(raw);
        const values = Object.fromEntries(
          Object.entries((raw ?? {}) as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : '']),
        );
        if (!parsed.success) return fail(400, parsed.error.issues[0]?.message ?? 'The form is not complete', values);
        const f = parsed.data;
        let number: number | null = null;
        if (!f.website) {
          try {
            const r = await tickets.receive({
              channel,
              from: { email: f.email, phone: f.phone || undefined, name: f.name },
              subject: f.subject || `Message from ${f.name || f.email}`,
              text: f.message,
              meta: { form: { ip: req.ip, userAgent: req.headers['user-agent']?.slice(0, 300) ?? null } },
            });
            if (r.outcome !== 'ignored') number = r.ticket.number;
          } catch (e) {
            if (e instanceof AppError && e.status < 500) return fail(e.status, e.message, values);
            throw e;
          }
        }
        // A bot that filled the honeypot sees the same thanks, and nothing is stored.
        if (asJson) return reply.status(201).send({ received: true, ticketNumber: number });
        return page(
          reply,
          201,
          'Thank you',
          `<p>We have your message${number ? ` (reference #${number})` : ''} and will answer by e-mail.</p>`,
        );
      },
    );

    app.post<{ Params: { channelId: string }; Body: string }>(
      '/inbound/:channelId',
      {
        config: { public: true, rateLimit: { max: 600, timeWindow: '1 minute' } },
        schema: { hide: true },
        // Files come as base64 in the signed JSON (a route's limit takes precedence over the parser's).
        bodyLimit: attachmentBodyLimit(256 * 1024),
        // The channel and the signature's time are checked before the body is read: a large body is only ever
        // buffered for a live channel, sent with a current timestamp.
        onRequest: async (req: FastifyRequest<{ Params: { channelId: string } }>, reply: FastifyReply) => {
          const channel = await channelById(db, req.params.channelId, 'api');
          if (!channel) return sendError(reply, 404, 'not_found', 'No active API channel with this id');
          const ts = Number(req.headers['rapport-timestamp']);
          if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > signatureToleranceSeconds)
            return sendError(reply, 401, 'unauthenticated', badSignature);
          inboundChannels.set(req, channel);
        },
      },
      async (req: FastifyRequest<{ Params: { channelId: string }; Body: string }>, reply: FastifyReply) => {
        const channel = inboundChannels.get(req);
        if (!channel) return sendError(reply, 404, 'not_found', 'No active API channel with this id');
        const signature = String(req.headers['rapport-signature'] ?? '');
        const timestamp = String(req.headers['rapport-timestamp'] ?? '');
        const body = typeof req.body === 'string' ? req.body : '';
        if (
          !verifyWebhookSignature({
            secret: channel.secret,
            signatureHeader: signature,
            timestamp,
            body,
            toleranceSeconds: signatureToleranceSeconds,
          })
        )
          return sendError(reply, 401, 'unauthenticated', badSignature);
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          return sendError(reply, 400, 'bad_request', 'The body is not JSON');
        }
        const parsed = inboundBody.safeParse(json);
        if (!parsed.success)
          return sendError(reply, 400, 'validation_failed', parsed.error.issues[0]?.message ?? 'Bad message', {
            issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
          });
        const m = parsed.data;
        const files = m.attachments?.map(decodeUpload) ?? [];
        assertAttachmentsFit(files);
        const r = await tickets.receive({
          channel,
          from: m.from,
          subject: m.subject,
          text: m.text,
          html: m.html,
          externalThreadId: m.threadId,
          attachments: files,
          emailMessageId: m.messageId ? `${m.messageId}@${channel.id}` : undefined,
          ...(m.custom ? { ticket: { custom: m.custom } } : {}),
        });
        if (r.outcome === 'ignored') return reply.status(200).send({ received: true, duplicate: true });
        return reply
          .status(201)
          .send({ received: true, ticketId: r.ticket.id, ticketNumber: r.ticket.number, messageId: r.message.id });
      },
    );
  };
