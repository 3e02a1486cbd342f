import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { RealtimeEvent } from '../../realtime/bus.ts';
import { RealtimeHub, TokenBucket } from '../../realtime/hub.ts';
import { AgentsOnline, anyAgentOnline, type PresenceTracker } from '../../realtime/presence.ts';
import type { Db } from '../../db/client.ts';
import type { ChannelRow } from '../channels/channels.repository.ts';
import type { ChatService, VisitorIdentity } from './chat.service.ts';
import { widgetScript } from './widget.build.ts';

/** What a visitor's widget may send. */
export const visitorFrame = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    /** Random, kept in the widget's localStorage: the key of the visitor's conversation (so it must be long). */
    visitorId: z.string().regex(/^[A-Za-z0-9_-]{16,100}$/),
    name: z.string().trim().min(1).max(100).optional(),
    email: z.string().trim().max(320).optional(),
    userId: z.string().min(1).max(200).optional(),
    userHash: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/)
      .optional(),
  }),
  z.object({
    type: z.literal('message'),
    text: z.string().trim().min(1).max(5000),
    clientId: z.string().max(64).optional(),
  }),
  z.object({ type: z.literal('typing'), on: z.boolean().default(true) }),
  z.object({ type: z.literal('read'), messageId: z.uuid() }),
  z.object({ type: z.literal('email'), email: z.string().trim().min(3).max(320) }),
]);
export type VisitorFrame = z.infer<typeof visitorFrame>;

export type ChatLimits = {
  /** New visitor sockets per address per minute. */
  connectionsPerMinute: number;
  /** Frames per socket: burst and refill per second. */
  frameBurst: number;
  framesPerSecond: number;
  /** Chat messages per socket: burst and refill per second. */
  messageBurst: number;
  messagesPerSecond: number;
  /** How often a visitor's socket re-reads whether an agent is online (covers lost presence events). */
  presenceRecheckMs?: number;
};

export const defaultChatLimits: ChatLimits = {
  connectionsPerMinute: 30,
  frameBurst: 30,
  framesPerSecond: 3,
  messageBurst: 10,
  messagesPerSecond: 0.5,
};

/** Largest frame a socket accepts (the socket is closed with 1009 above it); a message's text is at most 5,000. */
export const maxFrameBytes = 16 * 1024;

export function sendFrame(socket: WebSocket, frame: Record<string, unknown>): void {
  if (socket.readyState === 1) socket.send(JSON.stringify(frame));
}

export function frameText(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function problemText(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || 'frame'}: ${i.message}`).join('; ');
}

/**
 * The public side of live chat: `GET /widget.js` (the embeddable widget) and `GET /chat/ws?channel=<id>` (a visitor's
 * socket). Each socket is bound to one chat channel, so to one workspace, and after hello to one thread key.
 */
export const chatRoutes =
  (deps: {
    db: Db;
    chat: ChatService;
    hub: RealtimeHub;
    presence: PresenceTracker;
    limits?: Partial<ChatLimits> | undefined;
  }): FastifyPluginAsync =>
  async (app: FastifyInstance) => {
    const { db, chat, hub, presence } = deps;
    const limits = { ...defaultChatLimits, ...deps.limits };
    const recheckMs = limits.presenceRecheckMs ?? 10_000;
    // Shared by the instance's visitor sockets: with a thousand sockets, one presence query per second or two rather
    // than a hundred (each re-reads every recheckMs), and one per agent presence event rather than one per socket.
    const agentPresence = new AgentsOnline(db, Math.min(2_000, recheckMs / 2));
    // When each agent presence event reached this instance: every socket told of it asks for an answer begun after.
    const arrivedAt = new WeakMap<RealtimeEvent, number>();
    const r = app.withTypeProvider<ZodTypeProvider>();

    r.get('/widget.js', { schema: { hide: true } }, async (_req, reply) => {
      const js = await widgetScript();
      return reply
        .header('content-type', 'application/javascript; charset=utf-8')
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('cache-control', 'public, max-age=300')
        .send(js);
    });

    r.get(
      '/chat/ws',
      {
        websocket: true,
        schema: { hide: true, querystring: z.object({ channel: z.string().max(100) }) },
        config: { rateLimit: { max: limits.connectionsPerMinute, timeWindow: 60_000 } },
      },
      (socket, req) => {
        const frames = new TokenBucket(limits.frameBurst, limits.framesPerSecond);
        const sends = new TokenBucket(limits.messageBurst, limits.messagesPerSecond);
        let channel: ChannelRow | null = null;
        let who: VisitorIdentity | null = null;
        let conversationId: string | null = null;
        let ticketId: string | null = null;
        let agentsOnline = false;
        let readySent = false;
        let joined: string | null = null;
        let unlisten: (() => void) | null = null;
        let refused = 0;
        let closed = false;

        const error = (code: string, message: string) => sendFrame(socket, { type: 'error', code, message });

        const joinPresence = async () => {
          if (!channel || !conversationId || joined === conversationId || closed) return;
          if (joined) await leavePresence();
          joined = conversationId;
          if (await presence.join(channel.workspaceId, 'visitor', conversationId))
            await hub.bus.publish({
              kind: 'presence',
              workspaceId: channel.workspaceId,
              who: 'visitor',
              ticketId,
              conversationId,
              online: true,
            });
        };

        const leavePresence = async () => {
          if (!channel || !joined) return;
          const key = joined;
          joined = null;
          if (await presence.leave(channel.workspaceId, 'visitor', key))
            await hub.bus.publish({
              kind: 'presence',
              workspaceId: channel.workspaceId,
              who: 'visitor',
              ticketId,
              conversationId: key,
              online: false,
            });
        };

        // The answer last applied: a slower, older query finishing after a newer one must not undo it.
        let appliedSeq = 0;
        // An agent presence event that came before the ready frame went out: asked again once it has.
        let missedBeforeReady: number | null = null;
        const recheckAgents = (after?: number) => {
          if (!channel || closed) return;
          if (!readySent) {
            if (after !== undefined) missedBeforeReady = after;
            return;
          }
          const answer = agentPresence.get(channel.workspaceId, after);
          void answer.online.then(
            (online) => {
              if (closed || answer.seq < appliedSeq) return;
              appliedSeq = answer.seq;
              if (online !== agentsOnline) sendFrame(socket, { type: 'agents', online });
              agentsOnline = online;
            },
            () => undefined,
          );
        };
        // Presence events can be lost while an instance's LISTEN connection reconnects (or before it is up): the
        // visitor's "online" state is also re-read from the presence table now and then.
        const agentsTimer = setInterval(() => recheckAgents(), recheckMs);
        agentsTimer.unref();

        const onEvent = (e: RealtimeEvent) => {
          if (!channel) return;
          const ch = channel;
          if (e.kind === 'presence' && e.who === 'agent') {
            // Before ready the visitor learns the state from the ready frame itself.
            let at = arrivedAt.get(e);
            if (at === undefined) arrivedAt.set(e, (at = agentPresence.mark()));
            recheckAgents(at);
            return;
          }
          if (!conversationId || !('conversationId' in e) || e.conversationId !== conversationId) return;
          if (e.kind === 'message')
            void (
              e.content
                ? chat.noticedMessage(ch.workspaceId, e.messageId, e.content)
                : chat.messageFor(ch, e.conversationId, e.messageId)
            ).then(
              (m) => {
                if (m) sendFrame(socket, { type: 'message', message: m });
              },
              () => undefined,
            );
          else if (e.kind === 'typing' && e.who === 'agent') sendFrame(socket, { type: 'typing', on: e.on });
          else if (e.kind === 'read' && e.who === 'agent') sendFrame(socket, { type: 'read', messageId: e.messageId });
        };

        const handle = async (frame: VisitorFrame) => {
          if (!channel) return;
          if (frame.type === 'hello') {
            if (who) return error('bad_frame', 'Already said hello');
            try {
              who = await chat.identify(channel, frame);
            } catch (err) {
              if (err instanceof AppError && err.code === 'unauthenticated') {
                error('unauthenticated', err.message);
                socket.close(4401, 'identity refused');
                return;
              }
              throw err;
            }
            await hub.ready();
            unlisten = hub.add(channel.workspaceId, onEvent);
            if (closed) return unlisten();
            const h = await chat.history(channel, who.threadKey);
            conversationId = h.conversationId;
            ticketId = h.ticketId;
            agentsOnline = await anyAgentOnline(db, channel.workspaceId);
            await joinPresence();
            readySent = true;
            sendFrame(socket, {
              type: 'ready',
              conversationId,
              agentsOnline,
              verified: who.verified,
              email: who.email,
              name: who.name,
              messages: h.messages,
            });
            if (missedBeforeReady !== null) recheckAgents(missedBeforeReady);
            return;
          }
          if (!who) return error('hello_first', 'Send hello first');
          if (frame.type === 'message') {
            if (!sends.take()) return error('rate_limited', 'Too many messages; wait a moment');
            const out = await chat.send(channel, who, frame.text);
            if (out.personId && !who.personId) who = { ...who, personId: out.personId };
            const fresh = out.conversationId !== conversationId;
            conversationId = out.conversationId;
            ticketId = out.ticketId;
            if (fresh) await joinPresence();
            sendFrame(socket, { type: 'sent', clientId: frame.clientId ?? null, conversationId, message: out.message });
          } else if (frame.type === 'typing') {
            if (conversationId && ticketId)
              await hub.bus.publish({
                kind: 'typing',
                workspaceId: channel.workspaceId,
                ticketId,
                conversationId,
                who: 'visitor',
                on: frame.on,
              });
          } else if (frame.type === 'read') {
            if (conversationId && ticketId)
              await hub.bus.publish({
                kind: 'read',
                workspaceId: channel.workspaceId,
                ticketId,
                conversationId,
                who: 'visitor',
                messageId: frame.messageId,
              });
          } else if (frame.type === 'email') {
            who = await chat.leaveEmail(channel, who, conversationId, frame.email);
            sendFrame(socket, { type: 'email_saved', email: who.email });
          }
        };

        // Frames are handled one at a time, in order; listeners are attached at once so none is missed.
        let chain: Promise<void> = (async () => {
          channel = await chat.channel(req.query.channel);
          if (!channel) {
            error('not_found', 'No active chat channel with this id');
            socket.close(4404, 'unknown channel');
          }
        })().catch(() => {
          error('internal', 'The chat is unavailable; try again later');
          socket.close(1011, 'unavailable');
        });

        socket.on('message', (data, isBinary) => {
          chain = chain.then(async () => {
            if (closed) return;
            if (!frames.take()) {
              if (++refused > 100) socket.close(1008, 'too many frames');
              return error('rate_limited', 'Too many frames; slow down');
            }
            let raw: unknown;
            try {
              raw = isBinary ? undefined : JSON.parse(frameText(data));
            } catch {
              raw = undefined;
            }
            if (raw === undefined) return error('bad_frame', 'Frames are JSON text');
            const parsed = visitorFrame.safeParse(raw);
            if (!parsed.success) return error('validation_failed', problemText(parsed.error));
            try {
              await handle(parsed.data);
            } catch (err) {
              if (err instanceof AppError) error(err.code, err.message);
              else {
                req.log.error({ err }, 'chat frame failed');
                error('internal', 'Something went wrong; try again');
              }
            }
          });
        });

        socket.on('close', () => {
          closed = true;
          clearInterval(agentsTimer);
          unlisten?.();
          chain = chain.then(() => leavePresence()).catch(() => undefined);
        });
        socket.on('error', () => undefined);
      },
    );
  };
