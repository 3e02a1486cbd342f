import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { consentChannels, consentPurposes } from '../../domain/customers.ts';
import { systemActor } from '../../domain/permissions.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import { escapeHtml, page } from '../../http/html-page.ts';
import { assertCan } from '../auth/access.ts';
import { findWorkspace } from '../workspaces/workspaces.repository.ts';
import { findPerson, latestConsentRecord } from './people.repository.ts';
import type { PeopleService } from './people.service.ts';
import {
  readUnsubscribeToken,
  signUnsubscribeToken,
  verifyUnsubscribeToken,
  type UnsubscribeClaim,
} from './unsubscribe.ts';

const purposeWords: Record<string, string> = { marketing: 'marketing', research: 'research', service: 'service' };
const channelWords: Record<string, string> = {
  email: 'email',
  sms: 'text messages',
  phone: 'phone calls',
  chat: 'chat messages',
};

/**
 * How long after unsubscribing by its link the same link can subscribe again ("Clicked by mistake?"). The link never
 * expires for unsubscribing — the law wants that to keep working — but a link is in every marketing message and can be
 * forwarded: it must not grant consent to whoever holds it, so it only undoes its own recent withdrawal.
 */
export const resubscribeWindowMs = 7 * 24 * 60 * 60 * 1000;

export type UnsubscribeLinks = {
  link(
    workspaceId: string,
    personId: string,
    channel?: UnsubscribeClaim['channel'],
    purpose?: UnsubscribeClaim['purpose'],
  ): Promise<string>;
};

/**
 * One-click unsubscribe, safe from link scanners. Mail security gateways and anti-spam software fetch every link of
 * a message before anyone reads it (RFC 8058 §1), so `GET /u/:token` changes nothing: it answers a page whose form
 * posts to `/u/:token/confirm`, submitted at once by a small script (`/u/submit.js`; the CSP allows only scripts of
 * our own origin). A reader's click is therefore the only click; a fetcher that runs no script leaves consent alone,
 * and without a script the reader sees the button. `POST /u/:token` is the RFC 8058 one-click endpoint mail clients
 * call (List-Unsubscribe-Post).
 */
export const unsubscribeRoutes =
  (deps: { db: Db; people: PeopleService; publicUrl: string | undefined }): FastifyPluginAsync =>
  async (app) => {
    const { db, people } = deps;
    // Mail clients post `List-Unsubscribe=One-Click` as a form (RFC 8058), and the page's button posts a form: the
    // body carries nothing we need, so it is read as text and ignored.
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data'])
      app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => done(null, body));
    const r = app.withTypeProvider<ZodTypeProvider>();

    async function resolve(token: string): Promise<{ claim: UnsubscribeClaim; workspaceName: string } | null> {
      const read = readUnsubscribeToken(token);
      if (!read) return null;
      const ws = await findWorkspace(db, read.claim.workspaceId);
      if (!ws) return null;
      const claim = verifyUnsubscribeToken(ws.secret, token);
      return claim ? { claim, workspaceName: ws.name } : null;
    }

    async function setConsent(
      req: FastifyRequest,
      claim: UnsubscribeClaim,
      status: 'granted' | 'withdrawn',
      method: string,
    ): Promise<'done' | 'gone'> {
      const person = await findPerson(db, claim.workspaceId, claim.personId);
      if (!person) return 'gone';
      const key = `${claim.channel}:${claim.purpose}`;
      // Clicking twice must not fill the ledger with copies.
      if (person.consent[key] === status) return 'done';
      await people.setConsent(
        systemActor(claim.workspaceId),
        claim.personId,
        {
          channel: claim.channel,
          purpose: claim.purpose,
          status,
          source: 'unsubscribe_link',
          proof: {
            method,
            ip: req.ip,
            userAgent: req.headers['user-agent']?.slice(0, 300) ?? null,
            at: new Date().toISOString(),
          },
        },
        { skipPermission: true },
      );
      return 'done';
    }

    const tokenParam = z.object({ token: z.string().min(1).max(200) });
    const hide = { hide: true };

    // Submits the page's form at once: the reader's click on the link is the one click.
    const submitScript = "document.getElementById('unsubscribe').submit();\n";
    r.get('/u/submit.js', { config: { public: true }, schema: hide }, async (_req, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(submitScript),
    );

    const invalidLink = (reply: FastifyReply) =>
      page(
        reply,
        400,
        'This link does not work',
        '<p>The unsubscribe link is damaged or no longer valid. Reply to the message you received and ask to be removed.</p>',
      );

    r.get('/u/:token', { config: { public: true }, schema: { ...hide, params: tokenParam } }, async (req, reply) => {
      const found = await resolve(req.params.token);
      if (!found) return invalidLink(reply);
      const what = `${purposeWords[found.claim.purpose]} ${channelWords[found.claim.channel]}`;
      const token = escapeHtml(req.params.token);
      return page(
        reply.header('cache-control', 'no-store').header('x-robots-tag', 'noindex'),
        200,
        'Unsubscribing…',
        `<form id="unsubscribe" method="post" action="/u/${token}/confirm">` +
          `<p>Stop ${escapeHtml(what)} from ${escapeHtml(found.workspaceName)}.</p>` +
          `<button type="submit">Unsubscribe</button></form><script src="/u/submit.js"></script>`,
      );
    });

    r.post(
      '/u/:token/confirm',
      { config: { public: true }, schema: { ...hide, params: tokenParam } },
      async (req, reply) => {
        const found = await resolve(req.params.token);
        if (!found) return invalidLink(reply);
        const what = `${purposeWords[found.claim.purpose]} ${channelWords[found.claim.channel]}`;
        if ((await setConsent(req, found.claim, 'withdrawn', 'unsubscribe page')) === 'gone')
          return page(
            reply,
            404,
            'Nothing to unsubscribe',
            `<p>${escapeHtml(found.workspaceName)} no longer has your details.</p>`,
          );
        return page(
          reply,
          200,
          'You are unsubscribed',
          `<p>You will get no more ${escapeHtml(what)} from ${escapeHtml(found.workspaceName)}.</p>` +
            `<form method="post" action="/u/${escapeHtml(req.params.token)}/resubscribe"><p>Clicked by mistake?</p><button type="submit">Subscribe again</button></form>`,
        );
      },
    );

    r.post('/u/:token', { config: { public: true }, schema: { ...hide, params: tokenParam } }, async (req, reply) => {
      const found = await resolve(req.params.token);
      if (!found) return reply.status(400).type('text/plain').send('invalid unsubscribe link');
      await setConsent(req, found.claim, 'withdrawn', 'POST one-click');
      return reply.status(200).type('text/plain').send('unsubscribed');
    });

    r.post(
      '/u/:token/resubscribe',
      { config: { public: true }, schema: { ...hide, params: tokenParam } },
      async (req, reply) => {
        const found = await resolve(req.params.token);
        if (!found) return invalidLink(reply);
        const { claim } = found;
        const person = await findPerson(db, claim.workspaceId, claim.personId);
        const last = person
          ? await latestConsentRecord(db, claim.workspaceId, claim.personId, claim.channel, claim.purpose)
          : null;
        const undoing =
          last?.status === 'withdrawn' &&
          last.source === 'unsubscribe_link' &&
          Date.now() - last.recordedAt.getTime() <= resubscribeWindowMs;
        const subscribed = person?.consent[`${claim.channel}:${claim.purpose}`] === 'granted';
        if (person && !subscribed && !undoing)
          return page(
            reply,
            403,
            'This link cannot subscribe you',
            `<p>An unsubscribe link can only undo an unsubscribe made with it in the last 7 days. To hear from ` +
              `${escapeHtml(found.workspaceName)} again, sign up on their website or reply to one of their messages.</p>`,
          );
        if ((await setConsent(req, claim, 'granted', 'resubscribe form')) === 'gone')
          return page(
            reply,
            404,
            'Nothing to change',
            `<p>${escapeHtml(found.workspaceName)} no longer has your details.</p>`,
          );
        return page(
          reply,
          200,
          'Welcome back',
          `<p>You are subscribed again to ${escapeHtml(purposeWords[found.claim.purpose] ?? '')} ${escapeHtml(channelWords[found.claim.channel] ?? '')} from ${escapeHtml(found.workspaceName)}.</p>`,
        );
      },
    );

    r.get(
      '/api/v1/people/:id/unsubscribe-link',
      {
        schema: {
          tags: ['People'],
          summary:
            'The one-click unsubscribe link for a person (put it in List-Unsubscribe and the footer of marketing messages)',
          params: idParam,
          querystring: z.object({
            channel: z.enum(consentChannels).default('email'),
            purpose: z.enum(consentPurposes).default('marketing'),
          }),
          response: { 200: z.object({ url: z.string(), token: z.string() }), ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = requireActor(req);
        // The token is a write capability (its public pages withdraw and grant consent, as system, with no expiry):
        // only who may set consent directly (POST /people/{id}/consent) may mint one, not a read-only role or key.
        assertCan(actor, 'customers:write');
        const ws = await findWorkspace(db, actor.workspaceId);
        const person = await findPerson(db, actor.workspaceId, req.params.id);
        if (!ws || !person)
          return reply
            .status(404)
            .send({ error: { code: 'not_found', message: `Person ${req.params.id} was not found`, details: null } });
        const token = signUnsubscribeToken(ws.secret, {
          workspaceId: ws.id,
          personId: person.id,
          channel: req.query.channel,
          purpose: req.query.purpose,
        });
        const base = deps.publicUrl ?? `${req.protocol}://${req.host}`;
        return { url: `${base}/u/${token}`, token };
      },
    );
  };
