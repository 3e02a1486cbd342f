import { isUuid } from '../../db/ids.ts';
import crypto from 'node:crypto';
import { and, asc, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import { withPreparedStatements, type Db } from '../../db/client.ts';
import { channels, conversations, messages, users } from '../../db/schema/index.ts';
import { normaliseEmailAddress } from '../../domain/customers.ts';
import { systemActor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import type { ChannelRow } from '../channels/channels.repository.ts';
import { findPeopleByEmails, findPerson, findPersonByExternalId, type PersonRow } from '../people/people.repository.ts';
import type { PeopleService } from '../people/people.service.ts';
import type { MessageRow } from '../tickets/tickets.repository.ts';
import { findConversation, findTicket } from '../tickets/tickets.repository.ts';
import type { TicketsService } from '../tickets/tickets.service.ts';
import type { RealtimeEvent } from '../../realtime/bus.ts';

/** A chat message as the visitor sees it: no internal notes, no agent ids. */
export type VisitorMessage = {
  id: string;
  from: 'visitor' | 'agent';
  text: string;
  author: string | null;
  createdAt: string;
};

/** Who the visitor is, settled by the hello frame. */
export type VisitorIdentity = {
  /** The conversations' external thread id: the widget's visitor id, or `user:<id>` for a verified customer. */
  threadKey: string;
  verified: boolean;
  personId: string | null;
  email: string | null;
  name: string | null;
};

export type HelloInput = {
  visitorId: string;
  name?: string | undefined;
  email?: string | undefined;
  userId?: string | undefined;
  userHash?: string | undefined;
};

/** HMAC-SHA256(userId) with the channel's secret, hex: what the host site computes on its server. */
export function userHashOf(secret: string, userId: string): string {
  return crypto.createHmac('sha256', secret).update(userId).digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'utf8');
  const y = Buffer.from(b.toLowerCase(), 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** A message as the visitor sees it; `agentName` is its author's (an agent's) full name. */
function visitorView(
  m: Pick<MessageRow, 'id' | 'direction' | 'bodyText' | 'createdAt'>,
  agentName: string | null | undefined,
): VisitorMessage {
  return {
    id: m.id,
    from: m.direction === 'inbound' ? 'visitor' : 'agent',
    text: m.bodyText,
    author: m.direction === 'inbound' || !agentName ? null : (agentName.split(/\s+/)[0] ?? agentName),
    createdAt: m.createdAt.toISOString(),
  };
}

export type ChatService = ReturnType<typeof createChatService>;

/**
 * The visitor's side of live chat. Every lookup is scoped to the channel the socket was opened for (its workspace and
 * id), so a visitor can reach only the conversations of that channel that carry their own thread key.
 */
export function createChatService(deps: { db: Db; tickets: TicketsService; people: PeopleService }) {
  const { db, tickets, people } = deps;

  async function agentNames(workspaceId: string, ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const rows = await db
      .select({ id: users.id, name: users.name })
      .from(users)
      .where(and(eq(users.workspaceId, workspaceId), inArray(users.id, ids)));
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /**
   * Agents' names for messages that arrive with their content (the realtime notice): kept for `namesKeptMs`, so a
   * renamed agent's new name shows on their next messages within that time.
   */
  const namesKeptMs = 30_000;
  const keptNames = new Map<string, { name: string | null; at: number }>();
  async function agentName(workspaceId: string, userId: string): Promise<string | null> {
    const key = `${workspaceId}:${userId}`;
    const now = Date.now();
    const kept = keptNames.get(key);
    if (kept && now - kept.at < namesKeptMs) return kept.name;
    const name = (await agentNames(workspaceId, [userId])).get(userId) ?? null;
    if (keptNames.size >= 10_000) keptNames.clear();
    keptNames.set(key, { name, at: now });
    return name;
  }

  async function present(workspaceId: string, rows: MessageRow[]): Promise<VisitorMessage[]> {
    const names = await agentNames(workspaceId, [
      ...new Set(rows.filter((m) => m.authorType === 'user' && m.authorId).map((m) => m.authorId as string)),
    ]);
    return rows.map((m) => visitorView(m, m.authorId ? names.get(m.authorId) : undefined));
  }

  return {
    /** An active chat channel by id (the widget's data-channel), in whichever workspace owns it. */
    /** The active chat channel with this id; null for none, including an id that is not a uuid at all. */
    async channel(id: string): Promise<ChannelRow | null> {
      if (!isUuid(id)) return null;
      const [c] = await db
        .select()
        .from(channels)
        .where(and(eq(channels.id, id), eq(channels.kind, 'chat'), eq(channels.active, true)))
        .limit(1);
      return c ?? null;
    },

    /** Checks the signed identity, if any, and finds the customer it names. */
    async identify(channel: ChannelRow, hello: HelloInput): Promise<VisitorIdentity> {
      const email = hello.email ? normaliseEmailAddress(hello.email) : null;
      if (hello.email && !email)
        throw new AppError('validation_failed', `"${hello.email}" is not an e-mail address`, { field: 'email' });
      if (hello.userId === undefined && hello.userHash === undefined)
        return { threadKey: hello.visitorId, verified: false, personId: null, email, name: hello.name ?? null };
      if (!hello.userId || !hello.userHash || !sameHex(userHashOf(channel.secret, hello.userId), hello.userHash))
        throw new AppError('unauthenticated', 'The user hash does not match this user id');
      const byEmail = normaliseEmailAddress(hello.userId);
      let person: PersonRow | null = await findPersonByExternalId(db, channel.workspaceId, hello.userId);
      if (!person && byEmail) person = (await findPeopleByEmails(db, channel.workspaceId, [byEmail]))[0] ?? null;
      if (!person && email) person = (await findPeopleByEmails(db, channel.workspaceId, [email]))[0] ?? null;
      return {
        threadKey: `user:${hello.userId}`,
        verified: true,
        personId: person?.id ?? null,
        email: person?.emails[0] ?? email ?? byEmail,
        name: person?.displayName ?? hello.name ?? null,
      };
    },

    /** The visitor's thread: the newest conversation with their key, and its last 200 public messages. */
    async history(channel: ChannelRow, threadKey: string) {
      const convs = await db
        .select()
        .from(conversations)
        .where(
          and(
            eq(conversations.workspaceId, channel.workspaceId),
            eq(conversations.channelId, channel.id),
            eq(conversations.externalId, threadKey),
          ),
        )
        .orderBy(desc(conversations.createdAt))
        .limit(20);
      const current = convs[0] ?? null;
      if (!current) return { conversationId: null, ticketId: null, messages: [] as VisitorMessage[] };
      const rows = await db
        .select()
        .from(messages)
        .where(
          and(
            eq(messages.workspaceId, channel.workspaceId),
            inArray(
              messages.conversationId,
              convs.map((c) => c.id),
            ),
            ne(messages.direction, 'note'),
          ),
        )
        .orderBy(desc(messages.createdAt), desc(messages.id))
        .limit(200);
      rows.reverse();
      return {
        conversationId: current.id,
        ticketId: current.ticketId,
        messages: await present(channel.workspaceId, rows),
      };
    },

    /** The visitor's message: through the tickets service, like any channel's (opens or continues the ticket). */
    async send(channel: ChannelRow, who: VisitorIdentity, text: string) {
      const r = await tickets.receive({
        channel,
        from: { personId: who.personId, email: who.email, name: who.name },
        text,
        externalThreadId: who.threadKey,
        meta: {
          ...(who.email ? { from: { address: who.email, name: who.name } } : {}),
          chat: { verified: who.verified, name: who.name },
        },
      });
      if (r.outcome === 'ignored') throw new AppError('conflict', 'The message was not accepted');
      const [m] = await present(channel.workspaceId, [r.message]);
      if (!m) throw new Error('message not presented');
      return {
        ticketId: r.ticket.id,
        conversationId: r.message.conversationId,
        personId: r.ticket.personId,
        message: m,
      };
    },

    /**
     * The visitor leaves an address (no agent was online), so replies go on by e-mail: to the address's customer —
     * the conversation's own when it is theirs to have (see below), an existing customer with that address, or a new
     * one — who becomes the ticket's customer.
     */
    async leaveEmail(channel: ChannelRow, who: VisitorIdentity, conversationId: string | null, raw: string) {
      const email = normaliseEmailAddress(raw);
      if (!email) throw new AppError('validation_failed', `"${raw}" is not an e-mail address`, { field: 'email' });
      const actor = systemActor(channel.workspaceId);
      const conv = conversationId ? await findConversation(db, channel.workspaceId, conversationId) : null;
      const ticket = conv ? await findTicket(db, channel.workspaceId, conv.ticketId) : null;
      const currentId = ticket?.personId ?? who.personId;
      const current = currentId ? await findPerson(db, channel.workspaceId, currentId) : null;
      let personId: string;
      // The address joins the conversation's customer only when it cannot be someone else's record being changed by
      // whoever types into a web page: a verified visitor's own record, or the anonymous visitor's record that has
      // no address yet. An unverified visitor never adds an address to a customer who has one (that would let anyone
      // route a customer's mail to themselves); the conversation moves to the address's own customer instead.
      const mayAdd =
        current &&
        (who.verified ||
          (current.emails.length === 0 && !(await findPeopleByEmails(db, channel.workspaceId, [email])).length));
      if (current && (current.emails.includes(email) || mayAdd)) {
        if (!current.emails.includes(email))
          await people.update(actor, current.id, { emails: [...current.emails, email] });
        personId = current.id;
      } else {
        const [known] = await findPeopleByEmails(db, channel.workspaceId, [email]);
        personId =
          known?.id ??
          (
            await people.create(actor, {
              emails: [email],
              ...(who.name ? { firstName: who.name.slice(0, 100) } : {}),
              source: 'chat',
            })
          ).person.id;
      }
      if (ticket && ticket.personId !== personId) await tickets.update(actor, ticket.id, { personId });
      return { ...who, personId, email };
    },

    /**
     * A message announced with its content (a chat message's realtime notice) as the visitor sees it: the notice is
     * the stored message's, sent at its commit, so only the author's name is looked up (and kept a while).
     */
    async noticedMessage(
      workspaceId: string,
      id: string,
      content: NonNullable<Extract<RealtimeEvent, { kind: 'message' }>['content']>,
    ): Promise<VisitorMessage> {
      const name =
        content.direction === 'outbound' && content.authorType === 'user' && content.authorId
          ? await agentName(workspaceId, content.authorId)
          : null;
      return visitorView(
        { id, direction: content.direction, bodyText: content.text, createdAt: new Date(content.createdAt) },
        name,
      );
    },

    /** One stored message as the visitor sees it, if it belongs to that conversation and is not a note. */
    async messageFor(channel: ChannelRow, conversationId: string, messageId: string): Promise<VisitorMessage | null> {
      // The message and its author's name in one statement: every reply is read back so for each visitor socket.
      const [r] = await withPreparedStatements(() =>
        db
          .select({
            id: messages.id,
            conversationId: messages.conversationId,
            direction: messages.direction,
            bodyText: messages.bodyText,
            createdAt: messages.createdAt,
            agentName: users.name,
          })
          .from(messages)
          .leftJoin(
            users,
            and(
              eq(messages.authorType, 'user'),
              eq(users.workspaceId, messages.workspaceId),
              sql`${users.id}::text = ${messages.authorId}`,
            ),
          )
          .where(and(eq(messages.workspaceId, channel.workspaceId), eq(messages.id, messageId))),
      );
      if (!r || r.conversationId !== conversationId || r.direction === 'note') return null;
      return visitorView(r, r.agentName);
    },

    /** The chat conversations of a ticket (agents type and read per ticket; the visitor sees it per conversation). */
    async chatConversationsOfTicket(workspaceId: string, ticketId: string) {
      return db
        .select({ id: conversations.id })
        .from(conversations)
        .where(
          and(
            eq(conversations.workspaceId, workspaceId),
            eq(conversations.ticketId, ticketId),
            eq(conversations.channel, 'chat'),
          ),
        )
        .orderBy(asc(conversations.createdAt));
    },
  };
}
