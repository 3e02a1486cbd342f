import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { PgInsertValue } from 'drizzle-orm/pg-core';
import { withPreparedStatements, type Db, type DbOrTx } from '../../db/client.ts';
import { recentReads, sharedReads, sharedReadsBy } from '../../db/shared-reads.ts';
import { newId } from '../../db/ids.ts';
import {
  attachments,
  conversations,
  events,
  messages,
  people,
  tickets,
  users,
  type MessageMeta,
  type TicketStatusValue,
} from '../../db/schema/index.ts';
import { insertTogether } from '../../db/insert-together.ts';
import { ticketPriorities, ticketStatuses } from '../../db/schema/service.ts';
import { diffCustomValues, normaliseEmailAddress, validateCustomValues } from '../../domain/customers.ts';
import { parseListQuery } from '../../domain/list-query.ts';
import type { SlaEvent } from '../../domain/sla.ts';
import { mayWorkTickets, systemActor, type Actor } from '../../domain/permissions.ts';
import {
  baseSubject,
  callClockSkewMs,
  callWasAnswered,
  ticketTypesOf,
  isDone,
  statusAfterAgentReply,
  statusAfterCustomerMessage,
  ticketRefInSubject,
} from '../../domain/tickets.ts';
import { AppError } from '../../errors.ts';
import { appendEvent, appendEventsTogether, eventRow, listEvents, type EventInput } from '../../events/events.ts';
import { enqueueJob } from '../../jobs/queue.ts';
import { assertCan } from '../auth/access.ts';
import { findWorkspace } from '../workspaces/workspaces.repository.ts';
import { findChannelByKind, insertChannel, type ChannelRow } from '../channels/channels.repository.ts';
import { actorRef } from '../people/people.service.ts';
import { resolvePerson } from '../people/resolve-person.ts';
import { findPerson, type PersonInsert, type PersonRow } from '../people/people.repository.ts';
import { findTeam, teamIdsOfUser } from '../teams/teams.repository.ts';
import { listCustomFields } from '../fields/fields.repository.ts';
import { invalidFields } from '../fields/record-fields.ts';
import {
  assertAttachmentsFit,
  attachmentLimitBytes,
  attachmentsForEvent,
  storeAttachment,
  type IncomingAttachment,
  type StoredFile,
} from './attachments.ts';
import { htmlToText, sanitizeMessageHtml, wellFormed } from './sanitize.ts';
import { clockOf, initialTicketSla, refreshTicketSla, ticketSlaAfter } from '../sla/sla.service.ts';
import { replyContext, type ReplyMessage } from './reply-context.ts';
import { applyRules, asRule, ruleChangesStatus, ruleFacts } from '../rules/rules.service.ts';
import { matchingRules } from '../../domain/rules.ts';
import type { RealtimeBus, RealtimeEvent } from '../../realtime/bus.ts';
import { assertChecklistAllowsSolve, syncTicketChecklist } from '../sops/checklists.ts';
import { findSop, type SopRow } from '../sops/sops.repository.ts';
import { inboundConfig, type InboundConfig, type SetupCache } from './inbound-config.ts';
import {
  attachmentsOfMessages,
  breachingWithin,
  conversationsOfTicket,
  findConversation,
  findConversationByExternalId,
  messagesOfConversation,
  findMessage,
  findMessageByEmailIds,
  findTicket,
  findTicketByNumber,
  findTicketsByIds,
  inTeamsOf,
  insertConversation,
  insertMessage,
  listTicketSummaries,
  type SummaryRead,
  listTickets,
  messagePageOfTicket,
  splitFacts,
  moveConversations,
  moveMessages,
  ticketNumberSql,
  openTicket,
  openTicketGroups,
  ticketListColumns,
  touchConversation,
  ticketClockHistory,
  clockMessages,
  ticketEvent,
  ticketUpdate,
  updateTicket,
  type ConversationInsert,
  type MessageInsert,
  type ConversationRow,
  type MessageRow,
  type AttachmentInsert,
  type AttachmentRow,
  type TicketInsert,
  type TicketRow,
} from './tickets.repository.ts';

export const deliverEmailJobName = 'tickets.deliver_email';

export type TicketsService = ReturnType<typeof createTicketsService>;

/** Who wrote in: what the channel knows of the sender. */
export type InboundParty = {
  personId?: string | null | undefined;
  email?: string | null | undefined;
  phone?: string | null | undefined;
  name?: string | null | undefined;
};

export type InboundMessage = {
  channel: ChannelRow;
  from: InboundParty;
  subject?: string | null | undefined;
  text?: string | null | undefined;
  html?: string | null | undefined;
  emailMessageId?: string | null | undefined;
  /** In-Reply-To then References, newest first: what the message answers. */
  replyTo?: string[] | undefined;
  /** The channel's thread id (chat session, API thread). */
  externalThreadId?: string | null | undefined;
  meta?: MessageMeta | undefined;
  attachments?: IncomingAttachment[] | undefined;
  /** Why this is automatic mail (auto-reply, bounce, list); such mail never opens a ticket or reopens one. */
  automatic?: string | null | undefined;
  receivedAt?: Date | undefined;
  /** Ticket fields a form or integration sets on a new ticket (custom values are checked like any write). */
  ticket?:
    | {
        type?: string | undefined;
        priority?: string | undefined;
        tags?: string[] | undefined;
        custom?: Record<string, unknown> | undefined;
      }
    | undefined;
};

export type InboundResult =
  { outcome: 'created' | 'appended'; ticket: TicketRow; message: MessageRow } | { outcome: 'ignored'; reason: string };

export type TicketPatch = {
  subject?: string | undefined;
  type?: string | undefined;
  priority?: string | undefined;
  status?: string | undefined;
  assigneeId?: string | null | undefined;
  teamId?: string | null | undefined;
  personId?: string | null | undefined;
  tags?: string[] | undefined;
  /** Tags to add and to remove (applied to the ticket's tags as they are when it is locked; not with `tags`). */
  addTags?: string[] | undefined;
  removeTags?: string[] | undefined;
  custom?: Record<string, unknown> | undefined;
};

/** A change made to several tickets at once (the inbox's selection): the same for each. */
export type TicketBulkChange = Pick<
  TicketPatch,
  'status' | 'priority' | 'assigneeId' | 'teamId' | 'addTags' | 'removeTags'
>;

export type TicketListParams = {
  limit?: number | undefined;
  cursor?: string | undefined;
  sort?: string | undefined;
  filter?: string | string[] | undefined;
  queue?: 'mine' | 'unassigned' | 'my_teams' | 'breaching' | 'open' | 'all' | undefined;
  q?: string | undefined;
};

/** A phone call an agent logs by hand when opening its ticket. */
export type ManualCall = {
  startedAt?: Date | undefined;
  answeredAt?: Date | undefined;
  durationSeconds?: number | undefined;
  outcome?: string | undefined;
  recordingUrl?: string | undefined;
};

export type ReplyInput = {
  text?: string | undefined;
  html?: string | undefined;
  /** An internal note: seen by agents only, never sent. */
  internal?: boolean | undefined;
  status?: string | undefined;
  conversationId?: string | undefined;
  /** The newest message the agent saw: if others arrived since, the reply is refused unless `force`. */
  seenMessageId?: string | undefined;
  force?: boolean | undefined;
  attachments?: IncomingAttachment[] | undefined;
};

/** Whether an error (from either engine, however wrapped) is a violation of the named unique constraint. */
function violates(e: unknown, constraint: string): boolean {
  for (let x: unknown = e; x && typeof x === 'object'; x = (x as { cause?: unknown }).cause) {
    const r = x as { code?: unknown; constraint?: unknown };
    if (r.code === '23505' && r.constraint === constraint) return true;
  }
  return false;
}

const preview = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 200);

/** How many messages GET /tickets/:id returns at most (the newest; older ones with `before`). */
export const ticketMessagePage = 500;

/** The "breaching" queue: an SLA target due within this long, or already breached. */
const breachingSoonMs = 2 * 60 * 60 * 1000;

export function createTicketsService(deps: { db: Db; dataDir: string; realtime?: RealtimeBus | undefined }) {
  const { db, dataDir } = deps;
  /** Agents whose inboxes refresh the same queue page together share one read of it (each read after it asked). */
  const summaryPages = sharedReadsBy<SummaryRead>();
  /** Every agent's side bar asks for the same workspace-wide grouping: concurrent requests share one read. */
  const openGroups = sharedReads((workspaceId) => openTicketGroups(db, workspaceId, breachingSoonMs));
  /**
   * An agent's teams for the side bar's "my teams" count, kept 2 s: the side bar asks on every refresh, and a team
   * change shows in the counts within that time (the queue itself reads the teams in its statement).
   */
  const teamsForCounts = recentReads(
    (key) => {
      const [workspaceId = '', userId = ''] = key.split(' ');
      return teamIdsOfUser(db, workspaceId, userId);
    },
    { ttlMs: 2_000, keep: () => true, max: 10_000 },
  );
  /** The set-ups inbound messages and replies read, kept while their version is the stored one (inboundConfig). */
  const setups: SetupCache = new Map();

  /** Tells the other instances and open sockets, after the change committed; a failed notice never fails the change. */
  async function announce(e: RealtimeEvent): Promise<void> {
    await deps.realtime?.publish(e).catch(() => undefined);
  }

  /**
   * The notice of a stored message. On a chat conversation it carries what the visitor sees of it (not for notes), so
   * that the visitor's socket need not read it back; the bus leaves it out when it would not fit.
   */
  function messageEvent(
    m: Pick<MessageInsert, 'workspaceId' | 'direction' | 'bodyText' | 'authorType' | 'authorId' | 'createdAt'> & {
      id: string;
      ticketId: string;
      conversationId: string;
    },
    channel: string,
  ): RealtimeEvent {
    const direction = m.direction;
    return {
      kind: 'message',
      workspaceId: m.workspaceId,
      ticketId: m.ticketId,
      conversationId: m.conversationId,
      messageId: m.id,
      ...(channel === 'chat' && direction !== 'note' && m.createdAt instanceof Date
        ? {
            content: {
              direction,
              text: m.bodyText ?? '',
              authorType: m.authorType ?? 'system',
              authorId: m.authorId ?? null,
              createdAt: m.createdAt.toISOString(),
            },
          }
        : {}),
    };
  }

  /** After the commit: this instance's sockets get a notice sent at commit, or every instance gets it now. */
  async function announceMessage(notice: RealtimeEvent, sentAtCommit: boolean): Promise<void> {
    if (sentAtCommit) deps.realtime?.committed?.(notice);
    else await announce(notice);
  }

  /**
   * A message and what comes with it — its new conversation (if any), its attachments, the events — in one
   * statement, with the realtime notice sent when the transaction commits where the bus can (PostgreSQL's NOTIFY).
   * After the commit the caller passes `notice` and `announced` to announceMessage.
   */
  async function writeMessage(
    tx: DbOrTx,
    actor: Actor,
    w: {
      /** The kind of the message's conversation's channel (a chat message's notice carries its content). */
      channel: string;
      /** A new customer and their new ticket, when the message opens one in this statement (openInOneStatement). */
      person?: PersonInsert | null | undefined;
      ticket?: TicketInsert | null | undefined;
      conversation: ConversationInsert | null;
      message: MessageInsert & { id: string; conversationId: string; ticketId: string };
      files: AttachmentInsert[];
      events: EventInput[];
      /** An existing conversation this message continues: its last message time moves to the message's. */
      continues?: { conversationId: string; at: Date } | undefined;
      /** A change to the message's (existing) ticket, made by the same statement (as updateTicket makes it). */
      change?: Partial<TicketInsert> | undefined;
    },
  ): Promise<{
    message: MessageRow;
    conversation: ConversationRow | null;
    ticket: TicketRow | null;
    notice: RealtimeEvent;
    announced: boolean;
  }> {
    const atCommit = deps.realtime?.atCommit;
    const notice = messageEvent(w.message, w.channel);
    const ws = w.message.workspaceId;
    const [, ticketRows, conversationRows, [message], , , changedTickets] = await insertTogether(
      tx,
      [
        { table: people, rows: w.person ? [w.person] : [] },
        { table: tickets, rows: w.ticket ? [w.ticket] : [], returning: true },
        { table: conversations, rows: w.conversation ? [w.conversation] : [], returning: true },
        { table: messages, rows: [w.message], returning: true },
        { table: attachments, rows: w.files },
        { table: events, rows: w.events.map((e) => eventRow(actor, e)) },
        {
          table: tickets,
          update: w.change ? ticketUpdate(tx, ws, w.message.ticketId, w.change).getSQL() : null,
          returning: true,
        },
        {
          table: conversations,
          update: w.continues
            ? tx
                .update(conversations)
                .set({ lastMessageAt: w.continues.at })
                .where(and(eq(conversations.workspaceId, ws), eq(conversations.id, w.continues.conversationId)))
                .getSQL()
            : null,
        },
      ] as const,
      { also: atCommit ? [atCommit(notice)] : [] },
    );
    if (!message) throw new Error('message insert returned nothing');
    if (w.conversation && !conversationRows[0]) throw new Error('conversation insert returned nothing');
    if (w.ticket && !ticketRows[0]) throw new Error('ticket insert returned nothing');
    if (w.change && !changedTickets[0]) throw new Error('ticket update returned nothing');
    return {
      message,
      conversation: conversationRows[0] ?? null,
      ticket: ticketRows[0] ?? changedTickets[0] ?? null,
      notice,
      announced: atCommit !== undefined,
    };
  }

  async function workspaceSettings(tx: DbOrTx, workspaceId: string): Promise<Record<string, unknown>> {
    return (await findWorkspace(tx, workspaceId))?.settings ?? {};
  }

  async function mustFind(tx: DbOrTx, actor: Actor, id: string, lock = false): Promise<TicketRow> {
    const t = await findTicket(tx, actor.workspaceId, id, { lock });
    if (!t) throw AppError.notFound('Ticket', id);
    return t;
  }

  /**
   * The ticket's custom values after a write: `input` checked against the ticket fields and merged into `existing`
   * (null clears). Required fields are what solving needs: a ticket moving to solved or closed must have a value in
   * each, and one that is solved cannot have one cleared. Every problem is a 400 naming `custom.<key>`.
   */
  async function customValues(
    tx: DbOrTx,
    workspaceId: string,
    existing: Record<string, unknown>,
    input: Record<string, unknown>,
    status: { before: string | null; after: string },
  ): Promise<Record<string, unknown>> {
    const defs = await listCustomFields(tx, workspaceId, 'ticket');
    const r = validateCustomValues(defs, input, { required: 'none', existing });
    if (r.problems.length) throw invalidFields(r.problems);
    if (isDone(status.after)) {
      const solving = status.before === null || !isDone(status.before);
      const missing = defs.filter(
        (d) => d.required && !d.archived && r.values[d.key] === undefined && (solving || d.key in input),
      );
      if (missing.length)
        throw invalidFields(
          missing.map((d) => ({ field: `custom.${d.key}`, message: `${d.label} is required to solve a ticket` })),
          `Fill in ${missing.map((d) => d.label).join(', ')} before solving the ticket`,
        );
    }
    return r.values;
  }

  /** Writes the files within the size limit to disk; the rows are inserted once their message exists. */
  async function saveFiles(
    ws: string,
    messageId: string,
    files: IncomingAttachment[] | undefined,
  ): Promise<{
    rows: Array<StoredFile & { workspaceId: string; messageId: string }>;
    refused: Array<{ fileName: string; size: number; reason: string }>;
  }> {
    const refused: Array<{ fileName: string; size: number; reason: string }> = [];
    const limit = attachmentLimitBytes();
    const rows: Array<StoredFile & { workspaceId: string; messageId: string }> = [];
    for (const f of files ?? []) {
      if (f.content.length > limit) {
        refused.push({
          fileName: f.fileName,
          size: f.content.length,
          reason: `larger than the ${Math.round(limit / 1024 / 1024)} MB limit`,
        });
        continue;
      }
      rows.push({ workspaceId: ws, messageId, ...(await storeAttachment(dataDir, ws, f)) });
    }
    return { rows, refused };
  }

  async function createTicketRow(
    tx: DbOrTx,
    actor: Actor,
    fields: Omit<TicketInsert, 'workspaceId' | 'id' | 'number'>,
    known: { sop?: SopRow | null; number?: number | null } = {},
  ): Promise<TicketRow> {
    const sop =
      known.sop !== undefined ? known.sop : fields.type ? await findSop(tx, actor.workspaceId, fields.type) : undefined;
    const ref = actorRef(actor);
    const ticket = await insertTicket(tx, {
      ...fields,
      workspaceId: actor.workspaceId,
      id: newId(),
      // The workspace's next number, taken by the insert itself unless the caller took it already.
      number: known.number ?? ticketNumberSql(actor.workspaceId),
      createdBy: ref,
      updatedBy: ref,
    });
    await syncTicketChecklist(tx, actor, ticket, { sop, fresh: true });
    return ticket;
  }

  async function insertTicket(tx: DbOrTx, row: PgInsertValue<typeof tickets>): Promise<TicketRow> {
    const [r] = await tx.insert(tickets).values(row).returning();
    if (!r) throw new Error('ticket insert returned nothing');
    return r;
  }

  /** Which existing conversation an inbound message continues, if any. */
  async function findThread(
    tx: DbOrTx,
    m: InboundMessage,
    person: PersonRow | null,
    known: { thread?: ConversationRow | null | undefined } = {},
  ): Promise<ConversationRow | null> {
    const ws = m.channel.workspaceId;
    if (m.externalThreadId) return findConversationByExternalId(tx, ws, m.channel.id, m.externalThreadId);
    if (m.replyTo?.length) {
      // Read with the set-up (inboundConfig) when the caller asked it there.
      if (known.thread) return known.thread;
      if (known.thread === undefined) {
        const earlier = await findMessageByEmailIds(tx, ws, m.replyTo);
        if (earlier) return findConversation(tx, ws, earlier.conversationId);
      }
    }
    // Mail clients that drop the headers still keep "[#1042]" in the subject: accept it from the ticket's customer.
    const n = ticketRefInSubject(m.subject);
    if (n && person) {
      const t = await findTicketByNumber(tx, ws, n);
      if (t && t.personId === person.id) {
        const [c] = await conversationsOfTicket(tx, ws, t.id);
        return c ?? null;
      }
    }
    return null;
  }

  /**
   * What a ticket list asks of the database: its columns (the ticket custom fields only when the filter or sort names
   * one, so a plain queue page costs no read of them), the parsed query, and the queue's and search's conditions.
   */
  async function listRequest(actor: Actor, params: TicketListParams) {
    assertCan(actor, 'tickets:read');
    const mentionsCustom = [params.sort ?? '', ...[params.filter ?? []].flat()].some((x) => x.includes('custom.'));
    const cols = ticketListColumns(mentionsCustom ? await listCustomFields(db, actor.workspaceId, 'ticket') : []);
    const q = parseListQuery(params, cols.specs, { field: 'updated_at', direction: 'desc' });
    const queue = params.queue ?? 'all';
    const extra: SQL[] = [queue === 'all' ? sql`${tickets.mergedIntoId} is null` : openTicket];
    if (queue === 'mine') {
      if (!actor.userId) throw new AppError('bad_request', 'The "mine" queue needs a signed-in user');
      extra.push(eq(tickets.assigneeId, actor.userId));
    }
    if (queue === 'unassigned') extra.push(isNull(tickets.assigneeId));
    if (queue === 'my_teams') {
      if (!actor.userId) throw new AppError('bad_request', 'The "my_teams" queue needs a signed-in user');
      extra.push(inTeamsOf(actor.userId, actor.workspaceId));
    }
    if (queue === 'breaching') extra.push(breachingWithin(breachingSoonMs));
    const text = params.q?.trim();
    if (text) {
      const n = /^#?(\d{1,9})$/.exec(text);
      const like = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      extra.push(
        n
          ? sql`(${tickets.number} = ${Number(n[1])} or ${tickets.subject} ilike ${like})`
          : sql`(${tickets.subject} ilike ${like} or exists (select 1 from people p where p.workspace_id = ${tickets.workspaceId} and p.id = ${tickets.personId} and p.search_text like ${`%${text.toLowerCase()}%`}))`,
      );
    }
    return { cols, q, extra };
  }

  /**
   * Whether a message may open its ticket in one statement, without a transaction (openInOneStatement): a customer's
   * own mail from an e-mail address alone, answering nothing, with no custom values to check. Anything else — a
   * reply, a chat, a phone, automatic mail — takes the transaction.
   */
  function opensInOneStatement(m: InboundMessage, email: string | null): boolean {
    return (
      email !== null &&
      !m.automatic &&
      !m.from.personId &&
      !m.from.phone &&
      !m.externalThreadId &&
      !m.replyTo?.length &&
      ticketRefInSubject(m.subject) === null &&
      !Object.keys(m.ticket?.custom ?? {}).length
    );
  }

  /**
   * The ticket an inbound message opens, as it is before its rules and SLA: its fields, its creation time, and its
   * SLA columns when no `ticket.created` rule matches it and no SLA notice is due at once (`initialSla`; null when the
   * rules and the SLA clock must run after the insert).
   */
  function planInboundTicket(
    m: InboundMessage,
    config: InboundConfig,
    person: Pick<PersonRow, 'id' | 'stage' | 'tags'> | null,
    custom: Record<string, unknown>,
    text: string,
    at: Date,
  ) {
    const types = ticketTypesOf(config.settings).map((t) => t.key);
    const type = m.ticket?.type && types.includes(m.ticket.type) ? m.ticket.type : (types[0] ?? 'question');
    const priority = (ticketPriorities as readonly string[]).includes(m.ticket?.priority ?? '')
      ? (m.ticket?.priority as TicketRow['priority'])
      : 'normal';
    const subject =
      baseSubject(m.subject).slice(0, 300) || preview(text).slice(0, 80) || `${m.channel.name} conversation`;
    const fields = {
      subject,
      type,
      priority,
      status: 'new' as const,
      channel: m.channel.kind,
      channelId: m.channel.id,
      personId: person?.id ?? null,
      assigneeId: null,
      teamId: m.channel.teamId,
      tags: [...new Set(m.ticket?.tags ?? [])].slice(0, 50),
      custom,
      lastCustomerMessageAt: at,
    };
    // A message that came in before now (a phone call logged once it was under way or over) dates its ticket.
    const now = new Date();
    const createdAt = m.receivedAt && m.receivedAt < now ? m.receivedAt : now;
    const ruleSet = m.automatic ? undefined : config.rules['ticket.created'];
    const matched = ruleSet?.length
      ? matchingRules(ruleSet.map(asRule), 'ticket.created', ruleFacts(fields, ruleText(m, text), person))
      : [];
    // Its clock: its creation, then this message (as refreshTicketSla is told on the other path).
    const initialSla = matched.length
      ? null
      : initialTicketSla(
          fields,
          person,
          config.sla,
          [
            { at: createdAt, kind: 'created', status: 'new' },
            { at, kind: 'customer_message' },
          ],
          createdAt,
        );
    return { fields, createdAt, initialSla };
  }

  /** What the rules of an inbound message read as its text: the subject, then the body. */
  function ruleText(m: InboundMessage, text: string): string {
    return `${m.subject ?? ''}\n${text}`;
  }

  function ticketCreatedEvent(
    t: Pick<TicketRow, 'id' | 'personId' | 'number' | 'subject' | 'channel' | 'type' | 'priority' | 'status'>,
    custom: Record<string, unknown>,
    followUpOf: TicketRow | null,
  ): EventInput {
    return ticketEvent(t, 'ticket.created', {
      channel: t.channel,
      type: t.type,
      priority: t.priority,
      status: t.status,
      ...(Object.keys(custom).length ? { custom } : {}),
      ...(followUpOf ? { followUpOf: followUpOf.id, followUpOfNumber: followUpOf.number } : {}),
    });
  }

  /** The conversation an inbound message starts on its ticket. */
  function inboundConversation(
    m: InboundMessage,
    ticketId: string,
    personId: string | null,
    at: Date,
  ): ConversationInsert & { id: string; channel: string } {
    return {
      workspaceId: m.channel.workspaceId,
      id: newId(),
      ticketId,
      channel: m.channel.kind,
      channelId: m.channel.id,
      personId,
      subject: m.subject ?? null,
      externalId: m.externalThreadId ?? null,
      lastMessageAt: at,
    };
  }

  /** An inbound message's row and its `ticket.message_received` event. */
  function inboundMessage(
    m: InboundMessage,
    w: {
      messageId: string;
      conversation: { id: string; channel: string };
      ticket: Pick<TicketRow, 'id' | 'personId' | 'number' | 'subject'>;
      personId: string | null;
      text: string;
      html: string | null;
      files: Awaited<ReturnType<typeof saveFiles>>;
      at: Date;
    },
  ) {
    const message: MessageInsert & { id: string; conversationId: string; ticketId: string } = {
      workspaceId: m.channel.workspaceId,
      id: w.messageId,
      conversationId: w.conversation.id,
      ticketId: w.ticket.id,
      direction: 'inbound',
      authorType: w.personId ? 'person' : 'system',
      authorId: w.personId,
      bodyText: w.text,
      bodyHtml: w.html,
      emailMessageId: m.emailMessageId ?? null,
      meta: {
        ...(m.meta ?? {}),
        ...(m.automatic ? { automatic: m.automatic } : {}),
        ...(w.files.refused.length ? { refusedAttachments: w.files.refused } : {}),
      },
      delivery: 'received',
      createdAt: w.at,
    };
    const event = ticketEvent(w.ticket, 'ticket.message_received', {
      messageId: w.messageId,
      conversationId: w.conversation.id,
      channel: w.conversation.channel,
      preview: preview(w.text),
      attachments: w.files.rows.length,
      ...(m.automatic ? { automatic: m.automatic } : {}),
    });
    return { message, event };
  }

  /**
   * A new ticket from a message that needs nothing more of the database than `inboundConfig` read (see
   * opensInOneStatement), written in one statement without a transaction: the ticket with its number (taken by
   * that read) and SLA, the conversation, the message, its attachments, the events and the realtime notice. One
   * statement is atomic: all of it is stored, or none. Null when the message needs the transaction after all: the
   * sender is new (see below), a `ticket.created` rule matches it, an SLA notice is due at once, or its type has a
   * checklist.
   */
  async function openInOneStatement(
    m: InboundMessage,
    config: InboundConfig,
    c: { actor: Actor; email: string; text: string; html: string | null; at: Date },
  ): Promise<{ result: InboundResult; notice: RealtimeEvent; announced: boolean } | null> {
    const number = config.ticketNumber;
    if (number === null) return null;
    const ws = m.channel.workspaceId;
    // The rule resolvePerson follows for an address alone: its oldest person. A new address takes the transaction:
    // only there is the address locked while it is looked up (see resolvePerson), so that two mails from it at once
    // make one person, not two.
    const person = config.peopleByEmail?.people[0] ?? null;
    if (!person) return null;
    const plan = planInboundTicket(m, config, person, {}, c.text, c.at);
    if (!plan.initialSla || config.sops.get(plan.fields.type)?.steps.length) return null;
    const ref = actorRef(c.actor);
    const ticket = {
      ...plan.fields,
      ...plan.initialSla,
      createdAt: plan.createdAt,
      updatedAt: plan.createdAt,
      workspaceId: ws,
      id: newId(),
      number,
      createdBy: ref,
      updatedBy: ref,
    } satisfies TicketInsert;
    const messageId = newId();
    const files = await saveFiles(ws, messageId, m.attachments);
    const conversation = inboundConversation(m, ticket.id, person.id, c.at);
    const inbound = inboundMessage(m, {
      messageId,
      conversation,
      ticket,
      personId: person.id,
      text: c.text,
      html: c.html,
      files,
      at: c.at,
    });
    const written = await writeMessage(db, c.actor, {
      channel: m.channel.kind,
      person: null,
      ticket,
      conversation,
      message: inbound.message,
      files: files.rows,
      events: [ticketCreatedEvent(ticket, {}, null), inbound.event],
    });
    if (!written.ticket) throw new Error('ticket insert returned nothing');
    return {
      result: { outcome: 'created', ticket: written.ticket, message: written.message },
      notice: written.notice,
      announced: written.announced,
    };
  }

  const service = {
    /**
     * A customer's message from any channel: finds or creates the person, continues the thread it belongs to or opens
     * a ticket, stores attachments (within the size limit) and sanitised HTML, and records it on the timeline.
     */
    async receive(inbound: InboundMessage): Promise<InboundResult> {
      const m = wellFormed(inbound);
      const ws = m.channel.workspaceId;
      const actor = systemActor(ws);
      const html = m.html ? sanitizeMessageHtml(m.html) : null;
      const text = (m.text ?? '').trim() || (html ? htmlToText(html) : '');
      const at = m.receivedAt ?? new Date();
      // The message's notice, and whether the statement's commit sent it already (see atCommit in writeMessage).
      let notice: RealtimeEvent | null = null;
      let announced = false;
      // The short key lookups and writes of a message run as prepared statements (see withPreparedStatements).
      const result = await withPreparedStatements(async (): Promise<InboundResult> => {
        // The set-up, whether this mail was stored already, who has the sender's address and, for a message that
        // may open its ticket in one statement, the ticket's number: one statement.
        const email = m.from.email ? normaliseEmailAddress(m.from.email) : null;
        const simple = opensInOneStatement(m, email);
        const config = await inboundConfig(
          db,
          ws,
          {
            emailMessageId: m.emailMessageId,
            email,
            takeTicketNumber: simple,
            // The thread of a reply by its references (a chat's thread id is looked up in the transaction).
            replyTo: m.externalThreadId ? undefined : m.replyTo,
          },
          setups,
        );
        // The same mail delivered twice (a retrying sender, a re-polled mailbox) is stored once.
        if (config.duplicateDirection === 'inbound') return { outcome: 'ignored', reason: 'already received' };
        if (simple && email) {
          const opened = await openInOneStatement(m, config, { actor, email, text, html, at });
          if (opened) {
            notice = opened.notice;
            announced = opened.announced;
            return opened.result;
          }
        }
        return db.transaction(async (tx): Promise<InboundResult> => {
          // An integration's custom values are checked first, so a bad one is refused before anything is stored.
          const custom = m.ticket?.custom
            ? await customValues(tx, ws, {}, m.ticket.custom, { before: null, after: 'new' })
            : {};
          const settingsOf = async () => config.settings;
          // Events go in as few statements as they can, in the order they happened: the customer's (if created),
          // then this message's.
          const deferred: EventInput[] = [];
          const record = (more: EventInput[]) => appendEventsTogether(tx, actor, [...deferred.splice(0), ...more]);
          const person = await resolvePerson(tx, actor, m.from, m.channel.kind, {
            settingsOf,
            deferEvents: deferred,
            byEmail: config.peopleByEmail,
          });
          // Two messages of a new chat or API thread at once would each find no conversation and open a ticket
          // each: the thread is locked (an advisory lock, until the transaction ends) before it is looked up.
          if (m.externalThreadId)
            await tx.execute(
              sql`select pg_advisory_xact_lock(hashtext(${`thread:${ws}:${m.channel.id}:${m.externalThreadId}`}))`,
            );
          let conversation = await findThread(tx, m, person, { thread: config.thread });
          let ticket = conversation ? await findTicket(tx, ws, conversation.ticketId, { lock: true }) : null;
          if (ticket?.mergedIntoId) {
            const target = await findTicket(tx, ws, ticket.mergedIntoId, { lock: true });
            if (target) ticket = target;
          }
          let outcome: 'created' | 'appended' = 'appended';
          let followUpOf: TicketRow | null = null;
          if (ticket && !m.automatic && statusAfterCustomerMessage(ticket.status).followUp) {
            followUpOf = ticket;
            ticket = null;
            conversation = null;
          }
          if (!ticket && m.automatic) {
            await record([
              {
                type: 'channel.message_ignored',
                subjectType: 'channel',
                subjectId: m.channel.id,
                personId: person?.id ?? null,
                payload: {
                  reason: m.automatic,
                  subject: m.subject ?? null,
                  from: m.from.email ?? m.from.phone ?? null,
                },
              },
            ]);
            return { outcome: 'ignored', reason: m.automatic };
          }
          const messageId = newId();
          const files = await saveFiles(ws, messageId, m.attachments);
          const trigger = ticket ? 'ticket.message_received' : 'ticket.created';
          const ruleSet = m.automatic ? undefined : config.rules[trigger];
          const sla = config.sla;
          let created: EventInput | null = null;
          // A ticket this message opens that no rule of the trigger matches, with no SLA notice due yet, is written
          // once with its SLA (initialTicketSla) rather than inserted and then updated by the rules and the SLA clock.
          let settled = false;
          if (!ticket) {
            const { fields, createdAt, initialSla } = planInboundTicket(m, config, person, custom, text, at);
            settled = initialSla !== null;
            ticket = await createTicketRow(
              tx,
              actor,
              { ...fields, createdAt, updatedAt: createdAt, ...initialSla },
              { sop: config.sops.get(fields.type) ?? null, number: config.ticketNumber },
            );
            outcome = 'created';
            // Recorded with the message's event below, in one statement.
            created = ticketCreatedEvent(ticket, custom, followUpOf);
          }
          // The ticket's change by this message, made by the statement that writes the message.
          let change: Partial<TicketInsert> | undefined;
          // The SLA clock of a ticket this message continues, when its SLA is counted before the write.
          let knownClock: SlaEvent[] | undefined;
          if (outcome === 'appended' && !m.automatic) {
            const next = statusAfterCustomerMessage(ticket.status).status as TicketStatusValue;
            const before = ticket.status;
            const now = new Date();
            change = {
              status: next,
              lastCustomerMessageAt: at,
              ...(isDone(before) && !isDone(next) ? { resolvedAt: null } : {}),
              ...(before !== next ? { statusChangedAt: now } : {}),
            };
            const after: TicketRow = { ...ticket, ...change };
            if (before !== next)
              deferred.push({
                ...ticketEvent(after, 'ticket.status_changed', { from: before, to: next, reason: 'customer replied' }),
                occurredAt: now,
              });
            // No rule of the trigger matches the changed ticket, and the message comes from the ticket's customer:
            // the SLA is counted now from the ticket's history (one statement) and stored with the change (as a
            // reply's, see ticketSlaAfter), instead of updating the ticket a second time after the message.
            const customer = person?.id === after.personId ? person : undefined;
            const noRule =
              !ruleSet?.length ||
              !matchingRules(ruleSet.map(asRule), trigger, ruleFacts(after, ruleText(m, text), customer ?? null))
                .length;
            if (noRule && customer !== undefined) {
              const history = await ticketClockHistory(tx, ws, ticket.id, { withMessages: true });
              const clock = clockOf(
                after,
                [...history.statuses, ...(before !== next ? [{ to: next, at: now }] : [])],
                [...(history.messages ?? []), { direction: 'inbound', createdAt: at, automatic: null }],
              );
              const counted = ticketSlaAfter(after, customer, sla, clock, now);
              if (counted) {
                change = { ...change, ...counted };
                settled = true;
              } else knownClock = clock;
            }
          }
          const existing = conversation && conversation.ticketId === ticket.id ? conversation : null;
          const thread = existing ?? inboundConversation(m, ticket.id, person?.id ?? null, at);
          const newConversation = existing ? null : thread;
          const inbound = inboundMessage(m, {
            messageId,
            conversation: thread,
            ticket,
            personId: person?.id ?? null,
            text,
            html,
            files,
            at,
          });
          // The conversation (when new), the message, its attachments, the events and the realtime notice.
          const written = await writeMessage(tx, actor, {
            channel: m.channel.kind,
            conversation: newConversation,
            message: inbound.message,
            files: files.rows,
            events: [...deferred.splice(0), ...(created ? [created] : []), inbound.event],
            // A conversation inserted just now already has this message's time.
            continues: existing ? { conversationId: existing.id, at } : undefined,
            change,
          });
          const message = written.message;
          notice = written.notice;
          announced = written.announced;
          if (change) ticket = written.ticket ?? ticket;
          conversation = existing ?? written.conversation;
          if (!conversation) throw new Error('conversation insert returned nothing');
          // The ticket and the customer as this transaction left them, so the rules and the SLA need not read them.
          if (!m.automatic && !settled)
            ticket =
              (await applyRules(tx, ws, ticket.id, trigger, {
                text: ruleText(m, text),
                rules: ruleSet,
                ticket,
                person,
              })) ?? ticket;
          // The clock counted before the write, or, for a ticket this message opened, its history is this
          // transaction's: its creation and this message (rule notes do not count, and when no rule of the trigger
          // sets a status, there is no status change).
          const clock: SlaEvent[] | undefined =
            knownClock ??
            (outcome === 'created' && !ruleSet?.some(ruleChangesStatus)
              ? [
                  { at: ticket.createdAt, kind: 'created', status: 'new' },
                  { at: message.createdAt, kind: 'customer_message' },
                ]
              : undefined);
          if (!settled)
            ticket =
              (await refreshTicketSla(tx, ws, ticket.id, new Date(), { ticket, person, config: sla, clock })) ?? ticket;
          return { outcome, ticket, message };
        });
      }).catch((e: unknown): InboundResult => {
        // The same mail received twice at once: both found it new, the other stored it first (the unique index on
        // inbound Message-IDs refused this copy, and everything written with it).
        if (violates(e, 'messages_inbound_email_id_key')) return { outcome: 'ignored', reason: 'already received' };
        throw e;
      });
      if (result.outcome !== 'ignored' && notice) await announceMessage(notice, announced);
      return result;
    },

    /** An agent or integration opens a ticket for a customer (a phone call, a walk-in, an API client). */
    async create(
      actor: Actor,
      input: {
        subject: string;
        requester: InboundParty;
        text?: string | undefined;
        html?: string | undefined;
        channel?: 'email' | 'phone' | 'api' | 'form' | 'chat' | undefined;
        /** Whose words the first message are: the customer's (default) or the agent's (an outbound first contact). */
        from?: 'customer' | 'agent' | undefined;
        type?: string | undefined;
        priority?: string | undefined;
        assigneeId?: string | null | undefined;
        teamId?: string | null | undefined;
        tags?: string[] | undefined;
        /** Values of the ticket's custom fields (checked against their definitions). */
        custom?: Record<string, unknown> | undefined;
        meta?: MessageMeta | undefined;
        /** A phone call the agent logs by hand (channel phone): answered, it is the ticket's first response. */
        call?: ManualCall | undefined;
      },
    ) {
      assertCan(actor, 'tickets:write');
      input = wellFormed(input);
      const kind = input.channel ?? 'api';
      const call = input.call ? manualCall(input.call, kind, input.from) : null;
      const created = await db.transaction(async (tx) => {
        const channel = await ensureChannel(tx, actor.workspaceId, kind);
        const person = await resolvePerson(tx, actor, input.requester, kind);
        if (!person) throw new AppError('validation_failed', 'Say who the customer is: personId, email or phone', {});
        const settings = await workspaceSettings(tx, actor.workspaceId);
        const type = input.type ?? ticketTypesOf(settings)[0]?.key ?? 'question';
        await checkFields(tx, actor, {
          type,
          priority: input.priority,
          assigneeId: input.assigneeId,
          teamId: input.teamId,
        });
        const status = input.assigneeId ? 'open' : 'new';
        const custom = await customValues(tx, actor.workspaceId, {}, input.custom ?? {}, {
          before: null,
          after: status,
        });
        const html = input.html ? sanitizeMessageHtml(input.html) : null;
        const text = (input.text ?? '').trim() || (html ? htmlToText(html) : '');
        const now = new Date();
        // A call logged by hand is over or under way: answered, the ticket it opens was answered as it opened (the
        // clock counts an answer no earlier than the ticket, see clockMessages).
        const spoke = call?.answeredAt ? now : null;
        const ticket = await createTicketRow(tx, actor, {
          ...(spoke ? { createdAt: now, updatedAt: now, firstResponseAt: spoke, lastAgentReplyAt: spoke } : {}),
          subject: input.subject.trim().slice(0, 300),
          type,
          priority: (input.priority ?? 'normal') as TicketRow['priority'],
          status,
          channel: kind,
          channelId: channel.id,
          personId: person.id,
          assigneeId: input.assigneeId ?? null,
          teamId: input.teamId ?? channel.teamId,
          tags: [...new Set(input.tags ?? [])],
          custom,
          lastCustomerMessageAt: input.from === 'agent' ? null : now,
        });
        await appendEvent(
          tx,
          actor,
          ticketEvent(ticket, 'ticket.created', {
            channel: kind,
            type: ticket.type,
            priority: ticket.priority,
            status: ticket.status,
            ...(Object.keys(custom).length ? { custom } : {}),
          }),
        );
        const conversation = await insertConversation(tx, {
          workspaceId: actor.workspaceId,
          id: newId(),
          ticketId: ticket.id,
          channel: kind,
          channelId: channel.id,
          personId: person.id,
          subject: ticket.subject,
        });
        // A logged call keeps its details on the first message, so it gets one even without notes.
        if (text || call) {
          const fromAgent = input.from === 'agent';
          const message = await insertMessage(tx, {
            workspaceId: actor.workspaceId,
            id: newId(),
            conversationId: conversation.id,
            ticketId: ticket.id,
            direction: fromAgent ? 'outbound' : 'inbound',
            authorType: fromAgent ? actor.kind : 'person',
            authorId: fromAgent ? actorRef(actor) : person.id,
            bodyText: text,
            bodyHtml: html,
            meta: { ...(input.meta ?? {}), ...(call ? { call: call.meta } : {}) },
            delivery: fromAgent ? 'stored' : 'received',
          });
          await appendEvent(
            tx,
            actor,
            ticketEvent(ticket, fromAgent ? 'ticket.replied' : 'ticket.message_received', {
              messageId: message.id,
              conversationId: conversation.id,
              channel: kind,
              preview: preview(text),
            }),
          );
        }
        await applyRules(tx, actor.workspaceId, ticket.id, 'ticket.created', { text: `${ticket.subject}\n${text}` });
        return (await refreshTicketSla(tx, actor.workspaceId, ticket.id)) ?? ticket;
      });
      await announce({ kind: 'ticket', workspaceId: created.workspaceId, ticketId: created.id });
      return created;
    },

    async list(actor: Actor, params: TicketListParams) {
      const { cols, q, extra } = await listRequest(actor, params);
      const page = await listTickets(db, actor.workspaceId, cols, q, extra);
      return { rows: page.rows, nextCursor: page.nextCursor, limit: q.limit };
    },

    /** The same list as `list`, each ticket as a queue shows it (GET /tickets/summaries: the inbox). */
    async listSummaries(actor: Actor, params: TicketListParams) {
      const { cols, q, extra } = await listRequest(actor, params);
      const page = await listTicketSummaries(db, actor.workspaceId, cols, q, extra, summaryPages);
      return { json: page.json, nextCursor: page.nextCursor, limit: q.limit };
    },

    /**
     * Queue sizes for the inbox's side bar: the workspace's open tickets counted by assignee and team (shared by the
     * requests that arrive together, each still getting a count read after it asked), summed for this user's teams
     * (as read in the last 2 s).
     */
    async queueCounts(actor: Actor) {
      assertCan(actor, 'tickets:read');
      const me = actor.userId;
      const [teamIds, groups] = await Promise.all([
        me ? teamsForCounts(`${actor.workspaceId} ${me}`) : Promise.resolve([]),
        openGroups(actor.workspaceId),
      ]);
      const teams = new Set(teamIds);
      const sum = (pick: (g: (typeof groups)[number]) => boolean) =>
        groups.reduce((n, g) => (pick(g) ? n + g.open : n), 0);
      return {
        mine: me ? sum((g) => g.assigneeId === me) : 0,
        unassigned: sum((g) => g.assigneeId === null),
        myTeams: sum((g) => g.teamId !== null && teams.has(g.teamId)),
        breaching: groups.reduce((n, g) => n + g.breaching, 0),
        open: sum(() => true),
      };
    },

    /**
     * The ticket with its conversations, messages (oldest first), attachments and customer. Messages come a page at
     * a time: the newest `ticketMessagePage` (before the message `opts.before` when given), `olderMessages` saying
     * whether there are more — a ticket can have any number of them.
     */
    async get(actor: Actor, id: string, opts: { before?: string | undefined } = {}) {
      assertCan(actor, 'tickets:read');
      const ticket = await mustFind(db, actor, id);
      const before = opts.before ? await findMessage(db, actor.workspaceId, opts.before) : null;
      if (opts.before && before?.ticketId !== id)
        throw new AppError('validation_failed', `Message ${opts.before} is not a message of this ticket`, {
          field: 'before',
        });
      const [conversations, page, person] = await Promise.all([
        conversationsOfTicket(db, actor.workspaceId, id),
        messagePageOfTicket(db, actor.workspaceId, id, { limit: ticketMessagePage, before: before ?? undefined }),
        ticket.personId ? findPerson(db, actor.workspaceId, ticket.personId) : Promise.resolve(null),
      ]);
      const messages = page.messages;
      const files = await attachmentsOfMessages(
        db,
        actor.workspaceId,
        messages.map((m) => m.id),
      );
      return { ticket, conversations, messages, olderMessages: page.more, attachments: files, person };
    },

    async update(actor: Actor, id: string, patch: TicketPatch): Promise<TicketRow> {
      assertCan(actor, 'tickets:write');
      patch = wellFormed(patch);
      const out = await db.transaction(async (tx) => {
        const before = await mustFind(tx, actor, id, true);
        if (before.mergedIntoId)
          throw new AppError('conflict', `Ticket #${before.number} was merged into another ticket`, {
            mergedIntoId: before.mergedIntoId,
          });
        await checkFields(tx, actor, patch);
        assertNotReopeningClosed(before, patch.status);
        const set: Partial<TicketInsert> = {};
        if (patch.subject !== undefined) set.subject = patch.subject.trim().slice(0, 300);
        if (patch.type !== undefined) set.type = patch.type;
        if (patch.priority !== undefined) set.priority = patch.priority as TicketRow['priority'];
        if (patch.status !== undefined) set.status = patch.status as TicketStatusValue;
        if (patch.assigneeId !== undefined) set.assigneeId = patch.assigneeId;
        if (patch.teamId !== undefined) set.teamId = patch.teamId;
        if (patch.personId !== undefined) set.personId = patch.personId;
        if (patch.tags !== undefined) set.tags = [...new Set(patch.tags.map((t) => t.trim()).filter(Boolean))];
        else if (patch.addTags?.length || patch.removeTags?.length) {
          const drop = new Set(patch.removeTags?.map((t) => t.trim()));
          const added = (patch.addTags ?? []).map((t) => t.trim()).filter(Boolean);
          set.tags = [...new Set([...before.tags, ...added])].filter((t) => !drop.has(t));
        }
        const status = { before: before.status, after: set.status ?? before.status };
        if (patch.custom !== undefined || (isDone(status.after) && !isDone(status.before)))
          set.custom = await customValues(tx, actor.workspaceId, before.custom, patch.custom ?? {}, status);
        const changes: Record<string, { from: unknown; to: unknown }> = {};
        for (const [k, v] of Object.entries(set)) {
          if (k === 'custom') continue;
          const old = (before as Record<string, unknown>)[k];
          if (JSON.stringify(old) !== JSON.stringify(v)) changes[k] = { from: old ?? null, to: v ?? null };
        }
        // Custom fields are recorded one by one (custom.<key>), like the built-in fields.
        Object.assign(changes, diffCustomValues(before.custom, set.custom ?? before.custom));
        if (!Object.keys(changes).length) return before;
        if (changes.type) await syncTicketChecklist(tx, actor, { ...before, type: set.type ?? before.type });
        if (changes.status) {
          const to = set.status ?? before.status;
          if (isDone(to) && !isDone(before.status))
            await assertChecklistAllowsSolve(tx, actor.workspaceId, { ...before, type: set.type ?? before.type });
          if (isDone(to) && !isDone(before.status)) set.resolvedAt = new Date();
          if (!isDone(to) && isDone(before.status)) set.resolvedAt = null;
        }
        if (changes.assigneeId && before.status === 'new' && set.assigneeId && !changes.status) set.status = 'open';
        set.updatedBy = actorRef(actor);
        const after = (await updateTicket(tx, actor.workspaceId, id, set)) ?? before;
        const { status: statusChange, ...rest } = changes;
        if (after.status !== before.status)
          await appendEvent(
            tx,
            actor,
            ticketEvent(after, 'ticket.status_changed', { from: before.status, to: after.status }),
          );
        if (Object.keys(rest).length)
          await appendEvent(tx, actor, ticketEvent(after, 'ticket.updated', { changes: rest }));
        void statusChange;
        await applyRules(tx, actor.workspaceId, id, 'ticket.updated');
        return (await refreshTicketSla(tx, actor.workspaceId, id)) ?? after;
      });
      await announce({ kind: 'ticket', workspaceId: out.workspaceId, ticketId: out.id });
      return out;
    },

    /**
     * The same change to several tickets (up to 200, the inbox's selection): each ticket changes as `update` changes
     * it, in its own transaction (events, rules, SLA). Values wrong for every ticket (an unknown status, a team of
     * another workspace) and tickets not found refuse the whole request before anything changes; a ticket that cannot
     * take the change (merged, closed, missing what solving needs) is reported with the reason and the others change.
     */
    async bulkUpdate(
      actor: Actor,
      ids: string[],
      change: TicketBulkChange,
    ): Promise<{
      updated: TicketRow[];
      failed: Array<{ id: string; number: number | null; code: string; message: string }>;
    }> {
      assertCan(actor, 'tickets:write');
      change = wellFormed(change);
      if (!Object.values(change).some((v) => v !== undefined && !(Array.isArray(v) && !v.length)))
        throw new AppError('validation_failed', 'Say what to change: status, priority, assignee, team or tags', {});
      await checkFields(db, actor, change);
      const unique = [...new Set(ids)];
      const numbers = new Map(
        (await findTicketsByIds(db, actor.workspaceId, unique)).map((t) => [t.id, t.number] as const),
      );
      // A selection names tickets the caller sees: an unknown one is a mistake, and nothing changes.
      const missing = unique.filter((id) => !numbers.has(id));
      if (missing.length)
        throw new AppError(
          'not_found',
          `${missing.length === 1 ? 'A ticket was' : `${missing.length} tickets were`} not found: nothing was changed`,
          { field: 'ids', missing },
        );
      const updated: TicketRow[] = [];
      const failed: Array<{ id: string; number: number | null; code: string; message: string }> = [];
      for (const id of unique) {
        try {
          updated.push(await service.update(actor, id, change));
        } catch (e) {
          if (!(e instanceof AppError) || e.status >= 500) throw e;
          failed.push({ id, number: numbers.get(id) ?? null, code: e.code, message: e.message });
        }
      }
      return { updated, failed };
    },

    /** A public reply (sent through the conversation's channel) or an internal note. */
    async reply(
      actor: Actor,
      id: string,
      input: ReplyInput,
    ): Promise<{ ticket: TicketRow; message: MessageRow; attachments: AttachmentRow[] }> {
      assertCan(actor, 'tickets:write');
      input = wellFormed(input);
      // A file over the limit refuses the reply before anything is written (an agent can send it another way).
      assertAttachmentsFit(input.attachments);
      const html = input.html ? sanitizeMessageHtml(input.html) : null;
      const text = (input.text ?? '').trim() || (html ? htmlToText(html) : '');
      if (!text && !input.attachments?.length)
        throw new AppError('validation_failed', 'Write something: the reply is empty', { field: 'text' });
      // The reply's notice, and whether the transaction's commit sent it already (atCommit, as in receive).
      let notice: RealtimeEvent | null = null;
      let announced = false;
      // Short key lookups and writes: prepared statements, as for inbound messages (see withPreparedStatements).
      const out = await withPreparedStatements(() =>
        db.transaction(async (tx) => {
          let ticket = await mustFind(tx, actor, id, true);
          if (ticket.mergedIntoId)
            throw new AppError('conflict', `Ticket #${ticket.number} was merged into another ticket`, {
              mergedIntoId: ticket.mergedIntoId,
            });
          // Everything else the reply needs, in one statement now that the ticket is locked.
          const ctx = await replyContext(
            tx,
            ticket,
            setups,
            input.seenMessageId && !input.force ? { messageId: input.seenMessageId, by: actorRef(actor) } : undefined,
          );
          const all = ctx.messages;
          if (ctx.newer.count) {
            const n = ctx.newer.count;
            throw new AppError(
              'conflict',
              `${n} new message${n > 1 ? 's' : ''} arrived while you were writing: read ${n > 1 ? 'them' : 'it'} first, or send anyway`,
              {
                reason: 'collision',
                count: n,
                newMessages: ctx.newer.first.map((m) => ({
                  id: m.id,
                  direction: m.direction,
                  authorType: m.authorType,
                  authorId: m.authorId,
                  preview: preview(m.bodyText),
                  createdAt: m.createdAt.toISOString(),
                })),
              },
            );
          }
          const conversation = replyConversation(ctx.conversations, all, input.conversationId);
          const channel = conversation.channelId ? (ctx.channels.get(conversation.channelId) ?? null) : null;
          const customerId = conversation.personId ?? ticket.personId;
          const messageId = newId();
          const files = await saveFiles(actor.workspaceId, messageId, input.attachments);
          if (files.refused.length)
            throw new AppError('payload_too_large', `${files.refused[0]?.fileName} is ${files.refused[0]?.reason}`, {
              refused: files.refused,
            });
          const stored: AttachmentRow[] = files.rows.map((f) => ({ ...f, createdAt: new Date() }));
          const internal = Boolean(input.internal);
          // A chat visitor who left goes on by e-mail when we know their address (the widget asks for it offline).
          const chatByEmail =
            !internal &&
            conversation.channel === 'chat' &&
            !ctx.visitorsOnline.has(conversation.id) &&
            Boolean(customerId && ctx.people.get(customerId)?.emails[0]);
          const byEmail = chatByEmail || (!internal && ['email', 'form', 'phone'].includes(conversation.channel));
          const domain = (channel?.address ?? '').split('@')[1] || 'rapport.invalid';
          const now = new Date();
          if (byEmail) await enqueueJob(tx, actor.workspaceId, deliverEmailJobName, { messageId }, { maxAttempts: 8 });
          // The ticket's change first, so that the message, its attachments, the events, the conversation's last
          // message time and the realtime notice go in one statement.
          const set: Partial<TicketInsert> = { updatedBy: actorRef(actor) };
          const before = ticket.status;
          if (!internal) {
            set.lastAgentReplyAt = now;
            if (!ticket.firstResponseAt) set.firstResponseAt = now;
          }
          // The status changes at the reply's time, so that the SLA can be counted before the write: the ticket's
          // change, its SLA, the message, its attachments, the events, the conversation's last message time and the
          // realtime notice then go in one statement.
          Object.assign(
            set,
            await statusMove(tx, actor, ticket, input.status, internal ? before : statusAfterAgentReply(before), now),
          );
          if (!ticket.assigneeId && actor.userId && !internal) set.assigneeId = actor.userId;
          const statusChanged = set.status !== undefined && set.status !== before;
          const after: TicketRow = { ...ticket, ...set };
          const recorded: EventInput[] = [
            ticketEvent(after, internal ? 'ticket.note_added' : 'ticket.replied', {
              messageId,
              conversationId: conversation.id,
              channel: conversation.channel,
              externalThreadId: conversation.externalId,
              preview: preview(text),
              ...(internal ? {} : { text }),
              // An API channel's integration delivers the reply from its webhook: the files go with it.
              ...(stored.length ? { attachments: attachmentsForEvent(id, stored) } : {}),
            }),
            ...(statusChanged
              ? [
                  {
                    ...ticketEvent(after, 'ticket.status_changed', { from: before, to: after.status }),
                    occurredAt: now,
                  },
                ]
              : []),
          ];
          const row: MessageRow = {
            workspaceId: actor.workspaceId,
            id: messageId,
            conversationId: conversation.id,
            ticketId: id,
            direction: internal ? 'note' : 'outbound',
            authorType: actor.kind,
            authorId: actorRef(actor),
            bodyText: text,
            bodyHtml: html,
            emailMessageId: byEmail ? `${messageId}@${domain}` : null,
            meta: {},
            delivery: internal ? 'stored' : byEmail ? 'queued' : 'sent',
            deliveryError: null,
            createdAt: now,
          };
          const clock = clockOf(
            after,
            [...ctx.statuses, ...(statusChanged ? [{ to: after.status, at: now }] : [])],
            clockMessages(after, [...all, row]),
          );
          const customer = after.personId ? (ctx.people.get(after.personId) ?? null) : null;
          // Null when a warning or breach is due: refreshTicketSla records it after the write.
          const sla = ticketSlaAfter(after, customer, ctx.sla, clock, now);
          const written = await writeMessage(tx, actor, {
            channel: conversation.channel,
            conversation: null,
            message: row,
            files: stored,
            events: recorded,
            continues: { conversationId: conversation.id, at: now },
            change: { ...set, ...sla },
          });
          const message = written.message;
          notice = written.notice;
          announced = written.announced;
          ticket = written.ticket ?? ticket;
          if (!sla)
            ticket =
              (await refreshTicketSla(tx, actor.workspaceId, id, now, {
                ticket,
                person: customer,
                config: ctx.sla,
                clock,
              })) ?? ticket;
          return { ticket, message, attachments: stored };
        }),
      );
      if (notice) await announceMessage(notice, announced);
      return out;
    },

    /** Moves the conversations of `sourceIds` into the target ticket; the sources close, pointing at the target. */
    async merge(actor: Actor, targetId: string, sourceIds: string[]): Promise<TicketRow> {
      assertCan(actor, 'tickets:write');
      const ids = [...new Set(sourceIds)].filter((x) => x !== targetId);
      if (!ids.length)
        throw new AppError('validation_failed', 'Name at least one other ticket to merge', { field: 'ticketIds' });
      const out = await db.transaction(async (tx) => {
        // Every ticket involved is locked, in id order, before any is read: merging A into B while B merges into A
        // would otherwise deadlock (each holding its target) or merge each into the other.
        for (const x of [targetId, ...ids].sort()) await findTicket(tx, actor.workspaceId, x, { lock: true });
        const target = await mustFind(tx, actor, targetId, true);
        if (target.mergedIntoId) throw new AppError('conflict', `Ticket #${target.number} was itself merged away`);
        // Merged into a closed ticket, an open one's unanswered messages would leave every queue.
        if (target.status === 'closed')
          throw new AppError('conflict', `Ticket #${target.number} is closed: merge into an open ticket, or reopen it`);
        const sources = await findTicketsByIds(tx, actor.workspaceId, ids);
        const missing = ids.filter((x) => !sources.some((s) => s.id === x));
        if (missing.length) throw AppError.notFound('Ticket', missing[0]);
        const merged = sources.filter((s) => s.mergedIntoId);
        if (merged.length) throw new AppError('conflict', `Ticket #${merged[0]?.number} was already merged`);
        for (const s of sources) {
          const convs = await conversationsOfTicket(tx, actor.workspaceId, s.id);
          await moveConversations(
            tx,
            actor.workspaceId,
            convs.map((c) => c.id),
            target.id,
          );
          await updateTicket(tx, actor.workspaceId, s.id, {
            mergedIntoId: target.id,
            status: 'closed',
            resolvedAt: s.resolvedAt ?? new Date(),
            updatedBy: actorRef(actor),
          });
          await appendEvent(
            tx,
            actor,
            ticketEvent(s, 'ticket.merged', {
              into: target.id,
              intoNumber: target.number,
              conversations: convs.length,
            }),
          );
        }
        const tags = [...new Set([...target.tags, ...sources.flatMap((s) => s.tags)])];
        // The target keeps its custom values; the ones it lacks come from the merged tickets (the first that has one).
        const custom = { ...target.custom };
        for (const id of ids)
          for (const [k, v] of Object.entries(sources.find((s) => s.id === id)?.custom ?? {}))
            if (custom[k] === undefined || custom[k] === null) custom[k] = v;
        const lastCustomer = [target, ...sources]
          .map((t) => t.lastCustomerMessageAt?.getTime() ?? 0)
          .reduce((a, b) => Math.max(a, b), 0);
        const after =
          (await updateTicket(tx, actor.workspaceId, target.id, {
            tags,
            custom,
            lastCustomerMessageAt: lastCustomer ? new Date(lastCustomer) : null,
            updatedBy: actorRef(actor),
          })) ?? target;
        await appendEvent(
          tx,
          actor,
          ticketEvent(after, 'ticket.merged_in', {
            from: sources.map((s) => ({ id: s.id, number: s.number })),
            ...(Object.keys(diffCustomValues(target.custom, custom)).length
              ? { changes: diffCustomValues(target.custom, custom) }
              : {}),
          }),
        );
        for (const s of sources) await refreshTicketSla(tx, actor.workspaceId, s.id);
        return (await refreshTicketSla(tx, actor.workspaceId, target.id)) ?? after;
      });
      for (const t of [out.id, ...ids]) await announce({ kind: 'ticket', workspaceId: actor.workspaceId, ticketId: t });
      return out;
    },

    /** Moves some messages of a ticket into a new ticket of the same customer. */
    async split(actor: Actor, id: string, input: { messageIds: string[]; subject?: string | undefined }) {
      assertCan(actor, 'tickets:write');
      input = wellFormed(input);
      const wanted = [...new Set(input.messageIds)];
      if (!wanted.length)
        throw new AppError('validation_failed', 'Choose the messages to split off', { field: 'messageIds' });
      const out = await db.transaction(async (tx) => {
        const source = await mustFind(tx, actor, id, true);
        // Only the chosen messages are read, and counts for the rest: a ticket may hold thousands of messages.
        const facts = await splitFacts(tx, actor.workspaceId, id, wanted);
        const chosen = facts.chosen;
        if (chosen.length !== wanted.length)
          throw new AppError('validation_failed', 'Some of those messages are not part of this ticket', {
            field: 'messageIds',
            unknown: wanted.filter((x) => !chosen.some((m) => m.id === x)),
          });
        if (chosen.length === facts.total)
          throw new AppError('validation_failed', 'Leave at least one message on the ticket', { field: 'messageIds' });
        const ticket = await createTicketRow(tx, actor, {
          subject: (input.subject?.trim() || `Split from #${source.number}: ${source.subject}`).slice(0, 300),
          type: source.type,
          priority: source.priority,
          status: 'open',
          channel: source.channel,
          channelId: source.channelId,
          personId: source.personId,
          assigneeId: source.assigneeId,
          teamId: source.teamId,
          tags: source.tags,
          custom: source.custom,
          lastCustomerMessageAt: [...chosen].reverse().find((m) => m.direction === 'inbound')?.createdAt ?? null,
        });
        // No conversation is left behind empty: one whose messages all go moves whole to the new ticket (its thread
        // id, e-mail thread and chat session with it); the messages chosen from one that keeps others go to a new
        // conversation of the same channel, and the one left dates from its newest remaining message. A reply then
        // finds, on either ticket, only conversations that hold messages.
        const sourceConversations = await conversationsOfTicket(tx, actor.workspaceId, id);
        for (const origin of sourceConversations) {
          const inOrigin = facts.conversations.get(origin.id);
          const moving = chosen.filter((m) => m.conversationId === origin.id);
          if (!moving.length || !inOrigin) continue;
          if (moving.length === inOrigin.count) {
            await moveConversations(tx, actor.workspaceId, [origin.id], ticket.id);
            continue;
          }
          const conversation = await insertConversation(tx, {
            workspaceId: actor.workspaceId,
            id: newId(),
            ticketId: ticket.id,
            channel: origin.channel,
            channelId: origin.channelId,
            personId: origin.personId ?? source.personId,
            subject: origin.subject ?? source.subject,
            lastMessageAt: moving.at(-1)?.createdAt ?? new Date(),
          });
          await moveMessages(
            tx,
            actor.workspaceId,
            moving.map((m) => m.id),
            conversation.id,
            ticket.id,
          );
          if (inOrigin.newestLeft) await touchConversation(tx, actor.workspaceId, origin.id, inOrigin.newestLeft);
        }
        const lastLeft = facts.lastInboundLeft;
        if ((lastLeft?.getTime() ?? null) !== (source.lastCustomerMessageAt?.getTime() ?? null))
          await updateTicket(tx, actor.workspaceId, id, { lastCustomerMessageAt: lastLeft });
        await appendEvent(
          tx,
          actor,
          ticketEvent(ticket, 'ticket.created', {
            channel: ticket.channel,
            type: ticket.type,
            priority: ticket.priority,
            status: ticket.status,
            splitFrom: source.id,
            splitFromNumber: source.number,
          }),
        );
        await appendEvent(
          tx,
          actor,
          ticketEvent(source, 'ticket.split', { to: ticket.id, toNumber: ticket.number, messages: chosen.length }),
        );
        await refreshTicketSla(tx, actor.workspaceId, source.id);
        return (await refreshTicketSla(tx, actor.workspaceId, ticket.id)) ?? ticket;
      });
      for (const t of [out.id, id]) await announce({ kind: 'ticket', workspaceId: actor.workspaceId, ticketId: t });
      return out;
    },

    /** The ticket's own history (status, assignment, messages, merges), newest first. */
    async history(
      actor: Actor,
      id: string,
      q: { limit: number; before?: number | undefined; type?: string | undefined },
    ) {
      assertCan(actor, 'tickets:read');
      await mustFind(db, actor, id);
      return listEvents(db, actor.workspaceId, {
        subjectType: 'ticket',
        subjectId: id,
        type: q.type,
        beforeSeq: q.before,
        limit: q.limit,
      });
    },

    /**
     * A phone system's call events (CTI): a call starting opens or continues the caller's ticket (the call id is the
     * conversation's thread), a call ending adds its duration, outcome and recording link. Inbound calls count as the
     * customer writing in; outbound calls as the agent answering.
     */
    async logCall(
      actor: Actor,
      input: {
        callId: string;
        event: 'started' | 'ended';
        direction: 'inbound' | 'outbound';
        customerPhone: string;
        customerName?: string | undefined;
        at?: Date | undefined;
        /** When the call was answered (default: from the outcome and duration, see callWasAnswered). */
        answeredAt?: Date | undefined;
        durationSeconds?: number | undefined;
        outcome?: string | undefined;
        recordingUrl?: string | undefined;
        notes?: string | undefined;
      },
    ): Promise<{ ticket: TicketRow; message: MessageRow }> {
      assertCan(actor, 'tickets:write');
      const channel = await db.transaction((tx) => ensureChannel(tx, actor.workspaceId, 'phone'));
      const times = await callTimes(actor, channel, input);
      const call = {
        id: input.callId,
        event: input.event,
        direction: input.direction,
        durationSeconds: input.durationSeconds ?? null,
        outcome: input.outcome ?? null,
        recordingUrl: input.recordingUrl ?? null,
        ...(times.answeredAt ? { answeredAt: times.answeredAt.toISOString() } : {}),
      };
      const who = input.customerName ? `${input.customerName} (${input.customerPhone})` : input.customerPhone;
      const mins =
        input.durationSeconds !== undefined
          ? `${Math.floor(input.durationSeconds / 60)} min ${input.durationSeconds % 60} s`
          : null;
      const text = [
        input.event === 'started'
          ? `${input.direction === 'inbound' ? 'Call from' : 'Call to'} ${who} started`
          : `${input.direction === 'inbound' ? 'Call from' : 'Call to'} ${who} ended${mins ? ` after ${mins}` : ''}${input.outcome ? ` — ${input.outcome}` : ''}`,
        input.recordingUrl ? `Recording: ${input.recordingUrl}` : null,
        input.notes?.trim() || null,
      ]
        .filter(Boolean)
        .join('\n');
      if (input.direction === 'inbound') {
        const r = await service.receive({
          channel,
          from: { phone: input.customerPhone, name: input.customerName },
          subject: `Call from ${who}`,
          text,
          externalThreadId: input.callId,
          meta: { call },
          receivedAt: input.at,
        });
        if (r.outcome === 'ignored') throw new AppError('conflict', r.reason);
        const answeredAt = times.answeredAt;
        if (!answeredAt) return { ticket: r.ticket, message: r.message };
        // Answered, the call is the agent speaking to the customer: their first response (and latest reply) at the
        // answer time; the SLA clock reads the same from the message (clockMessages).
        const ticket = await db.transaction(async (tx) => {
          let t = await mustFind(tx, actor, r.ticket.id, true);
          const spoke = new Date(Math.max(answeredAt.getTime(), t.createdAt.getTime()));
          const set: Partial<TicketInsert> = {};
          if (!t.firstResponseAt || t.firstResponseAt > spoke) set.firstResponseAt = spoke;
          if (!t.lastAgentReplyAt || t.lastAgentReplyAt < spoke) set.lastAgentReplyAt = spoke;
          if (Object.keys(set).length) t = (await updateTicket(tx, actor.workspaceId, t.id, set)) ?? t;
          return (await refreshTicketSla(tx, actor.workspaceId, t.id)) ?? t;
        });
        await announce({ kind: 'ticket', workspaceId: actor.workspaceId, ticketId: ticket.id });
        return { ticket, message: r.message };
      }
      return db.transaction(async (tx) => {
        let conversation = await findConversationByExternalId(tx, actor.workspaceId, channel.id, input.callId);
        if (!conversation) {
          const person = await resolvePerson(
            tx,
            actor,
            { phone: input.customerPhone, name: input.customerName },
            'phone',
          );
          const t = await createTicketRow(tx, actor, {
            subject: `Call to ${who}`,
            status: 'open',
            channel: 'phone',
            channelId: channel.id,
            personId: person?.id ?? null,
            assigneeId: actor.userId,
            teamId: channel.teamId,
          });
          await appendEvent(
            tx,
            actor,
            ticketEvent(t, 'ticket.created', {
              channel: 'phone',
              type: t.type,
              priority: t.priority,
              status: t.status,
            }),
          );
          conversation = await insertConversation(tx, {
            workspaceId: actor.workspaceId,
            id: newId(),
            ticketId: t.id,
            channel: 'phone',
            channelId: channel.id,
            personId: person?.id ?? null,
            subject: t.subject,
            externalId: input.callId,
          });
        }
        const at = input.at ?? new Date();
        const message = await insertMessage(tx, {
          workspaceId: actor.workspaceId,
          id: newId(),
          conversationId: conversation.id,
          ticketId: conversation.ticketId,
          direction: 'outbound',
          authorType: actor.kind,
          authorId: actorRef(actor),
          bodyText: text,
          meta: { call },
          delivery: 'stored',
          createdAt: at,
        });
        await touchConversation(tx, actor.workspaceId, conversation.id, at);
        let ticket = await mustFind(tx, actor, conversation.ticketId, true);
        ticket =
          (await updateTicket(tx, actor.workspaceId, ticket.id, {
            lastAgentReplyAt: at,
            ...(ticket.firstResponseAt ? {} : { firstResponseAt: at }),
          })) ?? ticket;
        await appendEvent(
          tx,
          actor,
          ticketEvent(ticket, 'ticket.call_logged', { messageId: message.id, conversationId: conversation.id, call }),
        );
        ticket = (await refreshTicketSla(tx, actor.workspaceId, ticket.id)) ?? ticket;
        return { ticket, message };
      });
    },

    /**
     * A phone call an agent logs on an existing ticket: the customer called about it (inbound) or the agent called
     * them (outbound). It is a message on the ticket's phone conversation with its customer (opened when the ticket
     * has none) carrying the call (`meta.call`) and the agent's notes, at the call's start. The clock counts it as a
     * message of its direction: an inbound call is the customer getting in touch (a pending or solved ticket opens
     * again) and, answered, the agent speaking to them at the answer time; an outbound call is the agent's reply.
     * The agent may set the status after the call, as with a reply. A closed or merged ticket takes no call.
     */
    async logTicketCall(
      actor: Actor,
      id: string,
      input: {
        direction: 'inbound' | 'outbound';
        call: ManualCall;
        text?: string | undefined;
        status?: string | undefined;
      },
    ): Promise<{ ticket: TicketRow; message: MessageRow }> {
      assertCan(actor, 'tickets:write');
      input = wellFormed(input);
      const now = new Date();
      // Logged without a start, the call is the one that just ended.
      const startedAt = input.call.startedAt ?? new Date(now.getTime() - (input.call.durationSeconds ?? 0) * 1000);
      const call = checkedCall({ ...input.call, startedAt }, input.direction);
      const inbound = input.direction === 'inbound';
      const text = (input.text ?? '').trim();
      const out = await db.transaction(async (tx) => {
        const ticket = await mustFind(tx, actor, id, true);
        if (ticket.mergedIntoId)
          throw new AppError('conflict', `Ticket #${ticket.number} was merged into another ticket`, {
            mergedIntoId: ticket.mergedIntoId,
          });
        if (ticket.status === 'closed')
          throw new AppError(
            'conflict',
            `Ticket #${ticket.number} is closed, and a closed ticket stays closed: open a new ticket for this call`,
            { reason: 'ticket_closed', status: ticket.status },
          );
        const personId = ticket.personId;
        if (!personId)
          throw new AppError('validation_failed', 'This ticket has no customer: set one before logging a call', {
            field: 'personId',
          });
        const channel = await ensureChannel(tx, actor.workspaceId, 'phone');
        // A call before the ticket was opened sits at its opening (its own start stays in meta.call), as the clock
        // counts nothing of a ticket before it existed.
        const at = new Date(Math.max(startedAt.getTime(), ticket.createdAt.getTime()));
        const conversation =
          (await conversationsOfTicket(tx, actor.workspaceId, id)).findLast(
            (c) => c.channel === 'phone' && c.personId === personId,
          ) ??
          (await insertConversation(tx, {
            workspaceId: actor.workspaceId,
            id: newId(),
            ticketId: id,
            channel: 'phone',
            channelId: channel.id,
            personId,
            subject: ticket.subject,
            lastMessageAt: at,
          }));
        const message = await insertMessage(tx, {
          workspaceId: actor.workspaceId,
          id: newId(),
          conversationId: conversation.id,
          ticketId: id,
          direction: inbound ? 'inbound' : 'outbound',
          authorType: inbound ? 'person' : actor.kind,
          authorId: inbound ? personId : actorRef(actor),
          bodyText: text,
          meta: { call: call.meta },
          delivery: inbound ? 'received' : 'stored',
          createdAt: at,
        });
        if (conversation.lastMessageAt < at) await touchConversation(tx, actor.workspaceId, conversation.id, at);
        const set: Partial<TicketInsert> = { updatedBy: actorRef(actor) };
        if (inbound && !(ticket.lastCustomerMessageAt && ticket.lastCustomerMessageAt >= at))
          set.lastCustomerMessageAt = at;
        // The agent speaking to the customer: the answer of an inbound call, an outbound call itself. The clock
        // counts an answer no earlier than the ticket (see clockMessages).
        const spokeAt = inbound ? call.answeredAt : at;
        if (spokeAt) {
          const spoke = new Date(Math.max(spokeAt.getTime(), ticket.createdAt.getTime()));
          if (!ticket.firstResponseAt || ticket.firstResponseAt > spoke) set.firstResponseAt = spoke;
          if (!ticket.lastAgentReplyAt || ticket.lastAgentReplyAt < spoke) set.lastAgentReplyAt = spoke;
        }
        // Unless the agent chose a status: the customer getting in touch moves it as their message would, and the
        // agent speaking to them as a reply would (a new ticket opens); whoever spoke to them takes it if no one has.
        const before = ticket.status;
        const afterCustomer = inbound ? statusAfterCustomerMessage(before).status : before;
        const fallback = spokeAt ? statusAfterAgentReply(afterCustomer) : afterCustomer;
        Object.assign(set, await statusMove(tx, actor, ticket, input.status, fallback, now));
        if (spokeAt && !ticket.assigneeId && actor.userId) set.assigneeId = actor.userId;
        const after = (await updateTicket(tx, actor.workspaceId, id, set)) ?? ticket;
        await appendEventsTogether(tx, actor, [
          ticketEvent(after, 'ticket.call_logged', {
            messageId: message.id,
            conversationId: conversation.id,
            channel: 'phone',
            direction: input.direction,
            preview: preview(text),
            call: call.meta,
          }),
          ...(after.status !== before
            ? [ticketEvent(after, 'ticket.status_changed', { from: before, to: after.status })]
            : []),
        ]);
        return { ticket: (await refreshTicketSla(tx, actor.workspaceId, id)) ?? after, message };
      });
      await announce({ kind: 'ticket', workspaceId: actor.workspaceId, ticketId: id });
      return out;
    },

    async message(actor: Actor, ticketId: string, messageId: string) {
      assertCan(actor, 'tickets:read');
      const m = await findMessage(db, actor.workspaceId, messageId);
      if (!m || m.ticketId !== ticketId) throw AppError.notFound('Message', messageId);
      return m;
    },
  };

  /**
   * A call logged by hand with its ticket: only on the phone channel and in the customer's words (an inbound call);
   * its times are checked as checkedCall says.
   */
  function manualCall(
    call: ManualCall,
    kind: string,
    from: 'customer' | 'agent' | undefined,
  ): { answeredAt: Date | null; meta: Record<string, unknown> } {
    if (kind !== 'phone' || from === 'agent')
      throw new AppError('validation_failed', "A call is logged on a phone ticket, in the customer's words", {
        field: 'call',
      });
    return checkedCall(call, 'inbound');
  }

  /**
   * A call an agent logs by hand, checked as a phone system's are (callTimes): no start or answer in the future
   * beyond the clock skew, no end (start + duration) in the future either, no answer before the start or after the
   * end. It is answered when given an answer time or when callWasAnswered says so from its outcome and duration (at
   * its start). `meta` is what its message keeps (`meta.call`).
   */
  function checkedCall(
    call: ManualCall,
    direction: 'inbound' | 'outbound',
  ): { answeredAt: Date | null; meta: Record<string, unknown> } {
    const now = Date.now();
    const refuse = (field: string, message: string) => new AppError('validation_failed', message, { field });
    for (const [field, value] of [
      ['call.startedAt', call.startedAt],
      ['call.answeredAt', call.answeredAt],
    ] as const)
      if (value && value.getTime() > now + callClockSkewMs)
        throw refuse(field, `The call's ${field.slice(5)} is in the future`);
    const end =
      call.startedAt && call.durationSeconds !== undefined
        ? new Date(call.startedAt.getTime() + call.durationSeconds * 1000)
        : null;
    if (end && end.getTime() > now + callClockSkewMs)
      throw refuse('call.durationSeconds', 'The call would end in the future: check its start and duration');
    if (call.startedAt && call.answeredAt && call.answeredAt < call.startedAt)
      throw refuse('call.answeredAt', 'The call cannot be answered before it started');
    if (end && call.answeredAt && call.answeredAt > end)
      throw refuse('call.answeredAt', 'The call cannot be answered after it ended');
    const answeredAt = call.answeredAt ?? (callWasAnswered(call) ? (call.startedAt ?? new Date(now)) : null);
    return {
      answeredAt,
      meta: {
        direction,
        event: 'logged',
        durationSeconds: call.durationSeconds ?? null,
        outcome: call.outcome ?? null,
        recordingUrl: call.recordingUrl ?? null,
        ...(call.startedAt ? { startedAt: call.startedAt.toISOString() } : {}),
        ...(answeredAt ? { answeredAt: answeredAt.toISOString() } : {}),
      },
    };
  }

  /**
   * The status change of a reply or a logged call: `chosen` by the agent (checked; a closed ticket stays closed) or
   * else `fallback`; solving checks the ticket's required fields and checklist. The ticket's columns to set, empty
   * when the status stays.
   */
  async function statusMove(
    tx: DbOrTx,
    actor: Actor,
    ticket: TicketRow,
    chosen: string | undefined,
    fallback: string,
    now: Date,
  ): Promise<Partial<TicketInsert>> {
    const before = ticket.status;
    const wanted = chosen ?? fallback;
    if (chosen) await checkFields(tx, actor, { status: chosen });
    assertNotReopeningClosed(ticket, chosen);
    if (wanted === before) return {};
    const solving = isDone(wanted) && !isDone(before);
    if (solving) {
      await customValues(tx, actor.workspaceId, ticket.custom, {}, { before, after: wanted });
      await assertChecklistAllowsSolve(tx, actor.workspaceId, ticket);
    }
    return {
      status: wanted as TicketStatusValue,
      statusChangedAt: now,
      ...(solving ? { resolvedAt: now } : !isDone(wanted) && isDone(before) ? { resolvedAt: null } : {}),
    };
  }

  /**
   * A call's times, checked: nothing in the future beyond the phone system's clock skew, no end before the call's
   * start (its `started` event when one was logged, else the end less the duration), no answer outside the call. The
   * answer time is the one given, or for an answered call (callWasAnswered) the start — for an ended call with a
   * duration, the end less the duration when that is later (the ringing before is not talk).
   */
  async function callTimes(
    actor: Actor,
    channel: ChannelRow,
    input: {
      callId: string;
      event: 'started' | 'ended';
      at?: Date | undefined;
      answeredAt?: Date | undefined;
      durationSeconds?: number | undefined;
      outcome?: string | undefined;
    },
  ): Promise<{ startedAt: Date; answeredAt: Date | null }> {
    const now = Date.now();
    const at = input.at ?? new Date(now);
    const refuse = (field: string, message: string, more: Record<string, unknown> = {}) =>
      new AppError('validation_failed', message, { field, ...more });
    for (const [field, value] of [
      ['at', input.at],
      ['answeredAt', input.answeredAt],
    ] as const)
      if (value && value.getTime() > now + callClockSkewMs)
        throw refuse(
          field,
          `The call's ${field} is in the future (${value.toISOString()}): check the phone system's clock`,
        );
    const known = await findConversationByExternalId(db, actor.workspaceId, channel.id, input.callId);
    const logged = known ? await messagesOfConversation(db, actor.workspaceId, known.id) : [];
    const started = logged.find((m) => m.meta.call?.id === input.callId && m.meta.call.event === 'started');
    let startedAt = at;
    if (input.event === 'ended') {
      if (started && at < started.createdAt)
        throw refuse('at', 'The call cannot end before it started', { startedAt: started.createdAt.toISOString() });
      startedAt =
        started?.createdAt ??
        (input.durationSeconds !== undefined ? new Date(at.getTime() - input.durationSeconds * 1000) : at);
    }
    if (input.answeredAt) {
      if (input.answeredAt < startedAt)
        throw refuse('answeredAt', 'The call cannot be answered before it started', {
          startedAt: startedAt.toISOString(),
        });
      if (input.event === 'ended' && input.answeredAt > at)
        throw refuse('answeredAt', 'The call cannot be answered after it ended', { endedAt: at.toISOString() });
      return { startedAt, answeredAt: input.answeredAt };
    }
    if (!callWasAnswered(input)) return { startedAt, answeredAt: null };
    const talkFrom =
      input.event === 'ended' && input.durationSeconds !== undefined
        ? at.getTime() - input.durationSeconds * 1000
        : startedAt.getTime();
    return { startedAt, answeredAt: new Date(Math.max(startedAt.getTime(), talkFrom)) };
  }

  /**
   * The conversation a reply goes to: the one named, when it is the ticket's and holds its messages; else the one of
   * the customer's newest message (not the one touched last: a split or merge leaves conversations whose time says
   * little about where the customer is), else of the newest message, else the newest conversation (a ticket opened
   * without a message).
   */
  function replyConversation(
    convs: ConversationRow[],
    all: ReplyMessage[],
    wanted: string | undefined,
  ): ConversationRow {
    const holding = (c: ConversationRow) => all.some((m) => m.conversationId === c.id);
    if (wanted) {
      const named = convs.find((c) => c.id === wanted);
      if (!named)
        throw new AppError('validation_failed', 'That conversation is not part of this ticket', {
          field: 'conversationId',
        });
      if (!holding(named) && convs.some(holding))
        throw new AppError('validation_failed', 'That conversation has no messages left on this ticket', {
          field: 'conversationId',
        });
      return named;
    }
    const newest = (keep: (m: ReplyMessage) => boolean) => {
      const m = all.findLast(keep);
      return m ? convs.find((c) => c.id === m.conversationId) : undefined;
    };
    const found =
      newest((m) => m.direction === 'inbound' && !m.meta.automatic) ??
      newest((m) => m.direction !== 'note') ??
      newest(() => true) ??
      [...convs].sort((a, b) => b.lastMessageAt.getTime() - a.lastMessageAt.getTime())[0];
    if (!found)
      throw new AppError('validation_failed', 'This ticket has no conversation to reply in', {
        field: 'conversationId',
      });
    return found;
  }

  /**
   * Closed is final: its status never changes again (solved is the state that reopens). The customer writing again
   * opens a follow-up ticket (see receive), an agent opens a new ticket.
   */
  function assertNotReopeningClosed(ticket: TicketRow, status: string | undefined): void {
    if (status === undefined || ticket.status !== 'closed' || status === 'closed') return;
    throw new AppError(
      'conflict',
      `Ticket #${ticket.number} is closed, and a closed ticket stays closed: open a new ticket to continue`,
      { reason: 'ticket_closed', field: 'status', status: ticket.status },
    );
  }

  /** Checks the values a patch names: known type, priority and status; an assignee and team of this workspace. */
  async function checkFields(tx: DbOrTx, actor: Actor, p: TicketPatch): Promise<void> {
    if (p.type !== undefined) {
      const types = ticketTypesOf(await workspaceSettings(tx, actor.workspaceId)).map((t) => t.key);
      if (!types.includes(p.type))
        throw new AppError('validation_failed', `"${p.type}" is not a ticket type here (${types.join(', ')})`, {
          field: 'type',
          allowed: types,
        });
    }
    if (p.priority !== undefined && !(ticketPriorities as readonly string[]).includes(p.priority))
      throw new AppError('validation_failed', `"${p.priority}" is not a priority (${ticketPriorities.join(', ')})`, {
        field: 'priority',
      });
    if (p.status !== undefined && !(ticketStatuses as readonly string[]).includes(p.status))
      throw new AppError('validation_failed', `"${p.status}" is not a status (${ticketStatuses.join(', ')})`, {
        field: 'status',
      });
    if (p.assigneeId) {
      const [u] = await tx
        .select({ id: users.id, role: users.role, status: users.status })
        .from(users)
        .where(and(eq(users.workspaceId, actor.workspaceId), eq(users.id, p.assigneeId)));
      if (!u) throw new AppError('validation_failed', `User ${p.assigneeId} was not found`, { field: 'assigneeId' });
      // An assignee must be able to work the ticket: an active user whose role may answer tickets.
      if (u.status !== 'active')
        throw new AppError('validation_failed', `User ${p.assigneeId} is not active`, { field: 'assigneeId' });
      if (!mayWorkTickets(u.role))
        throw new AppError('validation_failed', `User ${p.assigneeId} (${u.role}) may not work on tickets`, {
          field: 'assigneeId',
        });
    }
    if (p.teamId && !(await findTeam(tx, actor.workspaceId, p.teamId)))
      throw new AppError('validation_failed', `Team ${p.teamId} was not found`, { field: 'teamId' });
    if (p.personId && !(await findPerson(tx, actor.workspaceId, p.personId)))
      throw new AppError('validation_failed', `Person ${p.personId} was not found`, { field: 'personId' });
  }

  return service;
}

/** The workspace's channel of a kind, created on first use for the kinds that need no setup (phone, API, forms). */
export async function ensureChannel(tx: DbOrTx, workspaceId: string, kind: ChannelRow['kind']): Promise<ChannelRow> {
  const existing = await findChannelByKind(tx, workspaceId, kind);
  if (existing) return existing;
  const names: Record<string, string> = {
    email: 'E-mail',
    chat: 'Live chat',
    form: 'Contact form',
    phone: 'Phone',
    api: 'API',
  };
  return insertChannel(tx, { workspaceId, id: newId(), kind, name: names[kind] ?? kind });
}
