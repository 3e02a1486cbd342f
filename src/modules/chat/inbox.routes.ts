import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { can } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses } from '../../http/schemas.ts';
import type { RealtimeEvent } from '../../realtime/bus.ts';
import { TokenBucket, type RealtimeHub } from '../../realtime/hub.ts';
import type { PresenceTracker } from '../../realtime/presence.ts';
import { findMessage, findTicket } from '../tickets/tickets.repository.ts';
import type { ChatService } from './chat.service.ts';
import { frameText, sendFrame } from './chat.routes.ts';

/** What the console may send on its socket: typing and read states of chat tickets. */
const agentFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('typing'), ticketId: z.uuid(), on: z.boolean().default(true) }),
  z.object({ type: z.literal('read'), ticketId: z.uuid(), messageId: z.uuid() }),
]);

/** Same host (or a configured console origin): a cookie-authenticated socket must not open from another site. */
function originAllowed(origin: string | undefined, host: string | undefined, allowed: string[]): boolean {
  if (!origin) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * `GET /api/v1/inbox/ws`: the console's live feed for its workspace — ticket changes and new messages (ids only; the
 * console refetches), visitor typing, read and presence — and the agent's own typing and read states for chat tickets.
 */
export const inboxRoutes =
  (deps: {
    db: Db;
    chat: ChatService;
    hub: RealtimeHub;
    presence: PresenceTracker;
    corsOrigins?: string[] | undefined;
  }): FastifyPluginAsync =>
  async (app) => {
    const { db, chat, hub, presence } = deps;
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get(
      '/inbox/ws',
      {
        websocket: true,
        schema: {
          tags: ['Tickets'],
          summary: 'Live inbox (WebSocket): ticket changes, new messages, chat typing, read and presence',
          description:
            'Upgrade to a WebSocket. Server frames: `{type:"message",ticketId,conversationId,messageId}`, ' +
            '`{type:"ticket",ticketId}`, `{type:"typing",ticketId,conversationId,on}`, ' +
            '`{type:"read",ticketId,conversationId,messageId}`, `{type:"visitor",ticketId,conversationId,online}`. ' +
            'Client frames: `{type:"typing",ticketId,on}`, `{type:"read",ticketId,messageId}`.',
          response: errorResponses,
        },
        preHandler: async (req) => {
          const actor = requireActor(req);
          if (!can(actor, 'tickets:read')) throw new AppError('forbidden', 'Reading tickets is not allowed for you');
          if (!originAllowed(req.headers.origin, req.headers.host, deps.corsOrigins ?? []))
            throw new AppError('forbidden', 'This socket opens from the console only');
        },
      },
      (socket, req) => {
        const actor = requireActor(req);
        const ws = actor.workspaceId;
        const frames = new TokenBucket(40, 5);
        let closed = false;
        let unlisten: (() => void) | null = null;
        let joined = false;

        const onEvent = (e: RealtimeEvent) => {
          if (e.workspaceId !== ws) return;
          if (e.kind === 'message')
            sendFrame(socket, {
              type: 'message',
              ticketId: e.ticketId,
              conversationId: e.conversationId,
              messageId: e.messageId,
            });
          else if (e.kind === 'ticket') sendFrame(socket, { type: 'ticket', ticketId: e.ticketId });
          else if (e.kind === 'typing' && e.who === 'visitor')
            sendFrame(socket, { type: 'typing', ticketId: e.ticketId, conversationId: e.conversationId, on: e.on });
          else if (e.kind === 'read' && e.who === 'visitor')
            sendFrame(socket, {
              type: 'read',
              ticketId: e.ticketId,
              conversationId: e.conversationId,
              messageId: e.messageId,
            });
          else if (e.kind === 'presence' && e.who === 'visitor' && e.conversationId)
            sendFrame(socket, {
              type: 'visitor',
              ticketId: e.ticketId,
              conversationId: e.conversationId,
              online: e.online,
            });
        };

        const announce = (online: boolean) =>
          hub.bus.publish({
            kind: 'presence',
            workspaceId: ws,
            who: 'agent',
            ticketId: null,
            conversationId: null,
            online,
          });

        let chain: Promise<void> = (async () => {
          await hub.ready();
          if (closed) return;
          unlisten = hub.add(ws, onEvent);
          if (actor.userId) {
            // Counted before the write: a close from here on takes this socket's share out again.
            joined = true;
            if (await presence.join(ws, 'agent', actor.userId)) await announce(true);
          }
          sendFrame(socket, { type: 'ready' });
        })().catch((err: unknown) => {
          req.log.error({ err }, 'inbox socket failed to start');
          socket.close(1011, 'unavailable');
        });

        socket.on('message', (data) => {
          chain = chain.then(async () => {
            if (closed || !frames.take()) return;
            let raw: unknown;
            try {
              raw = JSON.parse(frameText(data));
            } catch {
              return sendFrame(socket, { type: 'error', code: 'bad_frame', message: 'Frames are JSON text' });
            }
            const parsed = agentFrame.safeParse(raw);
            if (!parsed.success)
              return sendFrame(socket, { type: 'error', code: 'validation_failed', message: parsed.error.message });
            const f = parsed.data;
            if (!can(actor, 'tickets:write')) return;
            const ticket = await findTicket(db, ws, f.ticketId);
            if (!ticket) return sendFrame(socket, { type: 'error', code: 'not_found', message: 'No such ticket' });
            if (f.type === 'typing') {
              for (const c of await chat.chatConversationsOfTicket(ws, ticket.id))
                await hub.bus.publish({
                  kind: 'typing',
                  workspaceId: ws,
                  ticketId: ticket.id,
                  conversationId: c.id,
                  who: 'agent',
                  on: f.on,
                });
            } else {
              const m = await findMessage(db, ws, f.messageId);
              if (!m || m.ticketId !== ticket.id) return;
              await hub.bus.publish({
                kind: 'read',
                workspaceId: ws,
                ticketId: ticket.id,
                conversationId: m.conversationId,
                who: 'agent',
                messageId: m.id,
              });
            }
          });
          chain = chain.catch((err: unknown) => req.log.warn({ err }, 'inbox frame failed'));
        });

        socket.on('close', () => {
          closed = true;
          unlisten?.();
          chain = chain
            .then(async () => {
              // Only a socket that joined leaves: one closed before it was ready must not take another's share.
              if (joined && actor.userId && (await presence.leave(ws, 'agent', actor.userId))) await announce(false);
            })
            .catch(() => undefined);
        });
        socket.on('error', () => undefined);
      },
    );
  };
