import { sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../../db/client.ts';
import { rowsFromJson } from '../../db/json-rows.ts';
import { channels, conversations, messages, people, realtimePresence } from '../../db/schema/index.ts';
import type { ChannelRow } from '../channels/channels.repository.ts';
import type { PersonRow } from '../people/people.repository.ts';
import { slaConfigColumns, slaConfigFromJson, type SlaConfig } from '../sla/sla.service.ts';
import { keepSetup, keptSetup, setupVersionSql, unlessSetupVersion, type SetupCache } from './inbound-config.ts';
import { ticketStatusHistory, type ConversationRow, type MessageRow, type TicketRow } from './tickets.repository.ts';

/**
 * What a reply needs of each message of its ticket: which conversation holds it, who wrote it, when, and what the SLA
 * clock counts of it (meta.automatic and an answered call's meta.call.answeredAt; no other meta, no body).
 */
export type ReplyMessage = Pick<MessageRow, 'id' | 'conversationId' | 'direction' | 'authorId' | 'createdAt' | 'meta'>;

/** A message that arrived after the one the agent saw (the collision check), with its text. */
export type NewerMessage = Pick<MessageRow, 'id' | 'direction' | 'authorType' | 'authorId' | 'bodyText' | 'createdAt'>;

/** How many of the messages newer than the one seen are read with their text (the count is always exact). */
export const newerMessagesListed = 100;

/** What an agent's reply reads of its ticket once the ticket is locked, in one statement. */
export type ReplyContext = {
  /** Every message of the ticket, oldest first, without bodies (ReplyMessage). */
  messages: ReplyMessage[];
  /**
   * With `seen` (a message id of the ticket): the messages after it (in the ticket's order) not written by `seen.by`
   * — how many, and the oldest `newerMessagesListed` of them with their text. None when that message isn't found.
   */
  newer: { count: number; first: NewerMessage[] };
  /** The ticket's conversations, oldest first (as conversationsOfTicket). */
  conversations: ConversationRow[];
  /** The channels of those conversations, by id. */
  channels: Map<string, ChannelRow>;
  /** The conversations whose chat visitor is online now (realtime_presence, as isOnline). */
  visitorsOnline: Set<string>;
  /** The ticket's customer and those of its conversations, by id. */
  people: Map<string, PersonRow>;
  /** The ticket's status changes, oldest first (as ticketClockHistory). */
  statuses: Array<{ to: unknown; at: Date }>;
  /** As slaConfig returns it. */
  sla: SlaConfig;
};

/**
 * The ticket's messages, conversations and their channels, which chat visitors are online, its customers, its status
 * history and the workspace's SLA policies with their calendars — what a reply read in eight statements, in one. Read
 * after the ticket's lock is taken (in a statement of its own), so that it sees everything committed before. With
 * `cache`, the SLA configuration kept at the stored set-up version is used instead of read again.
 */
export async function replyContext(
  tx: DbOrTx,
  ticket: TicketRow,
  cache?: SetupCache,
  seen?: { messageId: string; by: string | null },
): Promise<ReplyContext> {
  const ws = ticket.workspaceId;
  const id = ticket.id;
  const sla = slaConfigColumns(ws);
  // The SLA configuration only when the workspace's set-up changed since it was kept (see inboundConfig).
  const kept = keptSetup(cache, ws, ['sla']);
  const [r] = rowsOf<{
    version: number | string | null;
    messages: unknown;
    newer_count: number | string | null;
    newer: unknown;
    conversations: unknown;
    channels: unknown;
    online: string[] | null;
    people: unknown;
    statuses: unknown;
    policies: unknown;
    calendars: unknown;
  }>(
    await tx.execute(sql`
      with convs as (select * from ${conversations} c where c.workspace_id = ${ws} and c.ticket_id = ${id}),
        v as (select ${setupVersionSql(ws)} as version)
      select
        v.version,
        (select coalesce(json_agg(json_build_array(m.id, m.conversation_id, m.direction, m.author_id, m.created_at,
            m.meta->'automatic', m.meta->'call'->'answeredAt') order by m.created_at, m.id), '[]') from ${messages} m
          where m.workspace_id = ${ws} and m.ticket_id = ${id}) as messages,
        ${seen ? newerThan(ws, id, seen) : sql`null::bigint as newer_count, null::json as newer`},
        (select coalesce(json_agg(c order by c.created_at), '[]') from convs c) as conversations,
        (select coalesce(json_agg(ch), '[]') from ${channels} ch
          where ch.workspace_id = ${ws} and ch.id in (select c.channel_id from convs c)) as channels,
        (select array_agg(distinct p.key) from ${realtimePresence} p
          where p.workspace_id = ${ws} and p.kind = 'visitor' and p.expires_at > now()
            and p.key in (select c.id::text from convs c where c.channel = 'chat')) as online,
        (select coalesce(json_agg(p), '[]') from ${people} p
          where p.workspace_id = ${ws}
            and (p.id = ${ticket.personId} or p.id in (select c.person_id from convs c))) as people,
        ${ticketStatusHistory(ws, id)} as statuses,
        ${unlessSetupVersion(kept.version, sla.policies)} as policies,
        ${unlessSetupVersion(kept.version, sla.calendars)} as calendars
      from v`),
  );
  const version = r?.version === null || r?.version === undefined ? null : Number(r.version);
  let slaConfig: SlaConfig;
  if (version !== null && version === kept.version) slaConfig = kept.parts.sla as SlaConfig;
  else {
    slaConfig = slaConfigFromJson(r?.policies, r?.calendars);
    keepSetup(cache, ws, version, { sla: slaConfig });
  }
  return {
    messages: list(r?.messages).map(replyMessageOf),
    newer: { count: Number(r?.newer_count ?? 0), first: rowsFromJson(messages, r?.newer) },
    conversations: rowsFromJson(conversations, r?.conversations),
    channels: new Map(rowsFromJson(channels, r?.channels).map((c) => [c.id, c])),
    visitorsOnline: new Set(r?.online ?? []),
    people: new Map(rowsFromJson(people, r?.people).map((p) => [p.id, p])),
    statuses: list(r?.statuses).map((x) => {
      const o = x as Record<string, unknown>;
      return { to: o.to, at: new Date(String(o.at)) };
    }),
    sla: slaConfig,
  };
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A message as replyContext's statement writes it: [id, conversation, direction, author, time, automatic, answered]. */
function replyMessageOf(v: unknown): ReplyMessage {
  const [id, conversationId, direction, authorId, at, automatic, answeredAt] = v as [
    string,
    string,
    MessageRow['direction'],
    string | null,
    string,
    unknown,
    unknown,
  ];
  const meta: MessageRow['meta'] = {};
  if (automatic !== null && automatic !== undefined) meta.automatic = automatic;
  if (answeredAt !== null && answeredAt !== undefined) meta.call = { answeredAt };
  return { id, conversationId, direction, authorId, createdAt: new Date(at), meta };
}

/**
 * The messages of the ticket after `seen.messageId` (by time, then id, as the ticket orders them) not written by
 * `seen.by`: how many, and the oldest newerMessagesListed with their text — two select-list columns.
 */
function newerThan(ws: string, ticketId: string, seen: { messageId: string; by: string | null }) {
  const after = sql`m.workspace_id = ${ws} and m.ticket_id = ${ticketId}
    and (m.created_at, m.id) > (select s.created_at, s.id from ${messages} s
      where s.workspace_id = ${ws} and s.ticket_id = ${ticketId} and s.id = ${seen.messageId})
    and m.author_id is distinct from ${seen.by}`;
  return sql`(select count(*) from ${messages} m where ${after}) as newer_count,
    (select coalesce(json_agg(n order by n.created_at, n.id), '[]') from (
      select m.id, m.direction, m.author_type, m.author_id, m.body_text, m.created_at from ${messages} m where ${after}
      order by m.created_at, m.id limit ${newerMessagesListed}) n) as newer`;
}
