import { and, asc, desc, eq, inArray, isNotNull, isNull, lte, notInArray, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { compile, executeCompiled, rowsOf, statementName, type DbOrTx } from '../../db/client.ts';
import { addCustomFieldColumns, listClauses, preparedName, toPage, type ListColumns } from '../../db/list.ts';
import { attachments, conversations, events, messages, teamMembers, tickets } from '../../db/schema/index.ts';
import type { FieldSpecs, ListQuery } from '../../domain/list-query.ts';
import type { CustomFieldRow } from '../fields/fields.repository.ts';
import { openTicketStatusesSql, ticketPriorities, ticketStatuses } from '../../db/schema/service.ts';
import { textArrayFilter } from '../people/people.repository.ts';
import type { EventInput } from '../../events/events.ts';

export type TicketRow = typeof tickets.$inferSelect;
export type TicketInsert = typeof tickets.$inferInsert;
export type ConversationRow = typeof conversations.$inferSelect;
export type ConversationInsert = typeof conversations.$inferInsert;
export type MessageRow = typeof messages.$inferSelect;
export type MessageInsert = typeof messages.$inferInsert;
export type AttachmentRow = typeof attachments.$inferSelect;
export type AttachmentInsert = typeof attachments.$inferInsert;

/**
 * The workspace's next ticket number, as the value of a ticket's insert: from the workspace's own sequence
 * (migration 0024), so no lock is held and new tickets of one workspace commit side by side; a ticket whose
 * transaction rolls back leaves its number unused.
 */
export function ticketNumberSql(workspaceId: string): SQL {
  return sql`rapport_next_ticket_number(${workspaceId})`;
}

export const ticketFields: FieldSpecs = {
  number: { type: 'number', integer: 'int4' },
  subject: { type: 'string' },
  type: { type: 'string' },
  priority: { type: 'enum', values: ticketPriorities },
  status: { type: 'enum', values: ticketStatuses },
  channel: { type: 'string' },
  person_id: { type: 'string' },
  assignee_id: { type: 'string' },
  team_id: { type: 'string' },
  tag: { type: 'string', sortable: false },
  sla_due_at: { type: 'datetime' },
  first_response_at: { type: 'datetime' },
  resolved_at: { type: 'datetime' },
  last_customer_message_at: { type: 'datetime' },
  created_at: { type: 'datetime' },
  updated_at: { type: 'datetime' },
};

/** The earliest due time among the ticket's running SLA metrics (null when none runs). */
const slaDueAt = sql`(select min((m->>'dueAt')::timestamptz) from jsonb_array_elements(${tickets.sla}) m where m->>'state' = 'running')`;

/** The list columns of tickets: the built-in fields and the workspace's ticket custom fields (`custom.<key>`). */
export function ticketListColumns(defs: readonly CustomFieldRow[] = []): ListColumns {
  const fields: ListColumns['fields'] = {
    number: tickets.number,
    subject: tickets.subject,
    type: tickets.type,
    priority: tickets.priority,
    status: tickets.status,
    channel: tickets.channel,
    person_id: sql`${tickets.personId}::text`,
    assignee_id: sql`${tickets.assigneeId}::text`,
    team_id: sql`${tickets.teamId}::text`,
    sla_due_at: slaDueAt,
    first_response_at: tickets.firstResponseAt,
    resolved_at: tickets.resolvedAt,
    last_customer_message_at: tickets.lastCustomerMessageAt,
    created_at: tickets.createdAt,
    updated_at: tickets.updatedAt,
  };
  const specs: FieldSpecs = { ...ticketFields };
  const filters: NonNullable<ListColumns['filters']> = { tag: (f) => textArrayFilter(tickets.tags, f) };
  addCustomFieldColumns(
    { fields, specs, filters },
    tickets.custom,
    defs.filter((d) => d.entity === 'ticket'),
  );
  return { id: tickets.id, fields, specs, filters };
}

export function ticketSortValue(r: TicketRow, field: string): unknown {
  const due = r.sla
    .filter((m) => m.state === 'running' && m.dueAt)
    .map((m) => new Date(m.dueAt ?? 0).getTime())
    .sort((a, b) => a - b)[0];
  const map: Record<string, unknown> = {
    number: r.number,
    subject: r.subject,
    type: r.type,
    priority: r.priority,
    status: r.status,
    channel: r.channel,
    person_id: r.personId,
    assignee_id: r.assigneeId,
    team_id: r.teamId,
    sla_due_at: due === undefined ? null : new Date(due),
    first_response_at: r.firstResponseAt,
    resolved_at: r.resolvedAt,
    last_customer_message_at: r.lastCustomerMessageAt,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
  if (field.startsWith('custom.')) return r.custom[field.slice(7)] ?? null;
  return map[field];
}

export async function listTickets(db: DbOrTx, workspaceId: string, cols: ListColumns, q: ListQuery, extra: SQL[] = []) {
  const c = listClauses(cols, q);
  const rows = await db
    .select()
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), ...c.where, ...extra))
    .orderBy(...c.orderBy)
    .limit(c.limit);
  return toPage(rows, q, { id: (r) => r.id, sortValue: (r) => ticketSortValue(r, q.sort.field) });
}

/** A timestamp as UTC text (`2026-02-11 16:12:42.37`), for isoFromUtcText: PostgreSQL's plain output, no formatting. */
const utcText = (col: PgColumn) => sql`(${col} at time zone 'UTC')::text`;

/**
 * PostgreSQL's UTC text of a timestamp (utcText: `2026-02-11 16:12:42.37`) as the API writes it, in JSON:
 * `"2026-02-11T16:12:42.370Z"` (ISO 8601, UTC, milliseconds), or `null`. Cut from the text where it has the usual shape.
 */
export function isoJsonFromUtcText(text: string | null): string {
  if (text === null) return 'null';
  const n = text.length;
  if (
    n >= 19 &&
    n <= 26 &&
    text.charCodeAt(4) === 45 &&
    text.charCodeAt(10) === 32 &&
    (n === 19 || text.charCodeAt(19) === 46)
  ) {
    const ms = n >= 23 ? text.slice(20, 23) : `${text.slice(20)}000`.slice(0, 3);
    return `"${text.slice(0, 10)}T${text.slice(11, 19)}.${ms}Z"`;
  }
  // Another shape (a year past 9999, an offset): through a Date.
  const iso = text.replace(' ', 'T');
  const date = new Date(/[+-]\d\d(:?\d\d)?$/.test(iso) ? iso.replace(/([+-]\d\d)$/, '$1:00') : `${iso}Z`);
  if (Number.isNaN(date.getTime())) throw new Error(`unexpected timestamp text "${text}"`);
  return JSON.stringify(date.toISOString());
}

/**
 * A summary's columns as PostgreSQL writes them, with no per-row formatting; the server writes the JSON (summaryJson).
 * Building it in PostgreSQL (json_build_object, to_char) cost the database about 40% more per page of 100 — several
 * times what finding the rows does — and the server about as much less: the same in all on one machine, but the work
 * is now where more instances can share it, not in the one database they all use.
 */
const summaryColumns = sql`${tickets.id} as id, ${tickets.number} as number, ${tickets.subject} as subject,
  ${tickets.type} as type, ${tickets.priority} as priority, ${tickets.status} as status, ${tickets.channel} as channel,
  ${tickets.personId} as person_id, ${tickets.assigneeId} as assignee_id, ${tickets.teamId} as team_id,
  ${tickets.tags} as tags, ${tickets.slaDue}::text as sla_due,
  ${utcText(tickets.lastCustomerMessageAt)} as last_customer_message_at,
  ${utcText(tickets.statusChangedAt)} as status_changed_at, ${utcText(tickets.createdAt)} as created_at,
  ${utcText(tickets.updatedAt)} as updated_at`;

type SummaryColumns = {
  id: string;
  number: number;
  subject: string;
  type: string;
  priority: string;
  status: string;
  channel: string;
  person_id: string | null;
  assignee_id: string | null;
  team_id: string | null;
  tags: string[] | null;
  /** jsonb as text: written into the JSON as it is. */
  sla_due: string | null;
  last_customer_message_at: string | null;
  status_changed_at: string | null;
  created_at: string;
  updated_at: string;
};

/** A uuid (nothing to escape) as JSON. */
const uuidJson = (v: string | null) => (v === null ? 'null' : `"${v}"`);

/** A ticket's status, priority, type or channel as JSON: few distinct values, each escaped once. */
const keyJsonCache = new Map<string, string>();
function keyJson(v: string): string {
  let j = keyJsonCache.get(v);
  if (j === undefined) {
    j = JSON.stringify(v);
    if (keyJsonCache.size < 1000) keyJsonCache.set(v, j);
  }
  return j;
}

/** One summary as JSON text in the shape of the API's TicketSummary (ticketSummarySchema): the route joins them. */
function summaryJson(r: SummaryColumns): string {
  return (
    `{"id":"${r.id}","number":${Number(r.number)},"subject":${JSON.stringify(r.subject)},` +
    `"type":${keyJson(r.type)},"priority":${keyJson(r.priority)},"status":${keyJson(r.status)},` +
    `"channel":${keyJson(r.channel)},"personId":${uuidJson(r.person_id)},"assigneeId":${uuidJson(r.assignee_id)},` +
    `"teamId":${uuidJson(r.team_id)},"tags":${r.tags === null ? 'null' : JSON.stringify(r.tags)},` +
    `"slaDue":${r.sla_due ?? 'null'},"lastCustomerMessageAt":${isoJsonFromUtcText(r.last_customer_message_at)},` +
    `"statusChangedAt":${isoJsonFromUtcText(r.status_changed_at)},"createdAt":${isoJsonFromUtcText(r.created_at)},` +
    `"updatedAt":${isoJsonFromUtcText(r.updated_at)}}`
  );
}

export type SummaryRead = Array<{ id: string; sort: string | null; json: string }>;

/**
 * The same page as listTickets, as summaries, each as JSON text (the route joins a page's texts into its answer, so
 * no row is parsed or serialised again). The statement is compiled once: its text names it (prepared) and, with its
 * parameters, keys `share` (src/db/shared-reads.ts, sharedReadsBy), so an unfiltered page asked by several agents at
 * once — the unassigned queue, breaching, open — is read once for all of them.
 */
export async function listTicketSummaries(
  db: DbOrTx,
  workspaceId: string,
  cols: ListColumns,
  q: ListQuery,
  extra: SQL[] = [],
  share?: (key: string, read: () => Promise<SummaryRead>) => Promise<SummaryRead>,
): Promise<{ json: string[]; nextCursor: string | null }> {
  const c = listClauses(cols, q);
  const sortCol = cols.fields[q.sort.field] ?? cols.id;
  const query = compile(
    db,
    sql`select ${summaryColumns}, to_json(${sortCol})::text as sort from ${tickets}
      where ${and(eq(tickets.workspaceId, workspaceId), ...c.where, ...extra)}
      order by ${sql.join(c.orderBy, sql`, `)} limit ${c.limit}`,
  );
  // A queue page without filters is one of a few statement shapes an inbox asks again and again: prepared (once per
  // connection), PostgreSQL plans it once instead of on every refresh — planning among the partial indexes costs
  // several times what running it does. Filtered lists, of unbounded shapes, are planned each time.
  const read = async (): Promise<SummaryRead> =>
    (
      await executeCompiled<SummaryColumns & { sort: string | null }>(
        db,
        query,
        q.filters.length ? undefined : statementName(query.sql, 'ticket_summaries'),
      )
    ).map((r) => ({ id: r.id, sort: r.sort, json: summaryJson(r) }));
  const rows = share && !q.filters.length ? await share(JSON.stringify([query.sql, query.params]), read) : await read();
  const page = toPage(rows, q, { id: (r) => r.id, sortValue: (r) => (r.sort === null ? null : JSON.parse(r.sort)) });
  return { json: page.rows.map((r) => r.json), nextCursor: page.nextCursor };
}

/**
 * Tickets still being worked (not merged away; new, open, pending or on hold): every inbox queue but "all". The
 * statuses are literals, so the partial indexes on exactly these tickets (src/db/schema/service.ts) serve the queues.
 */
export const openTicket: SQL = sql`${tickets.mergedIntoId} is null and ${tickets.status} in ${sql.raw(openTicketStatusesSql)}`;

/** Tickets of the teams the user belongs to. */
export function inTeamsOf(userId: string, workspaceId: string): SQL {
  return sql`${tickets.teamId} in (select ${teamMembers.teamId} from ${teamMembers} where ${teamMembers.workspaceId} = ${workspaceId} and ${teamMembers.userId} = ${userId})`;
}

/**
 * A running SLA metric due (or warned) within the next `ms`, or a breached one: `sla_breach_at` is the earliest due
 * time among the running and breached metrics (a column generated from `sla`, indexed for open tickets).
 */
export function breachingWithin(ms: number): SQL {
  // The bound as a sub-select: computed once per statement, not once per row the counts look at.
  return sql`${tickets.slaBreachAt} <= (select now() + make_interval(secs => ${ms / 1000}))`;
}

/** Open tickets by assignee and team (null for none), with how many of them are breaching within `ms`. */
export type OpenTicketGroup = { assigneeId: string | null; teamId: string | null; open: number; breaching: number };

/** The open tickets of the workspace counted by assignee and team: one pass over tickets_open_counts_idx. */
export async function openTicketGroups(db: DbOrTx, workspaceId: string, ms: number): Promise<OpenTicketGroup[]> {
  const query = db
    .select({
      assigneeId: tickets.assigneeId,
      teamId: tickets.teamId,
      open: sql<number>`count(*)::int`,
      breaching: sql<number>`(count(*) filter (where ${breachingWithin(ms)}))::int`,
    })
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), openTicket))
    .groupBy(tickets.assigneeId, tickets.teamId);
  // Every inbox's side bar asks it on each refresh: planned once per connection (see listTicketSummaries).
  return query.prepare(preparedName('open_ticket_groups', query)).execute();
}

export async function insertTicket(db: DbOrTx, row: TicketInsert): Promise<TicketRow> {
  const [r] = await db.insert(tickets).values(row).returning();
  if (!r) throw new Error('ticket insert returned nothing');
  return r;
}

/** An event about a ticket, on its customer's timeline, its payload led by the ticket's number and subject. */
export function ticketEvent(
  t: Pick<TicketRow, 'id' | 'personId' | 'number' | 'subject'>,
  type: string,
  payload: Record<string, unknown>,
): EventInput {
  return {
    type,
    subjectType: 'ticket',
    subjectId: t.id,
    personId: t.personId,
    payload: { number: t.number, subject: t.subject, ...payload },
  };
}

/**
 * The UPDATE of one ticket (not run): `updatedAt` moves to the statement's time and, when the status is set without
 * its `statusChangedAt`, that moves too if the status differs. Run by updateTicket, or within a larger statement.
 */
/**
 * `touch: false` leaves `updated_at` alone: for what the system derives rather than a change to the ticket (its SLA
 * state, recomputed by the minute), which must neither reorder the inbox (newest update first) nor restart a time
 * rule counting from the last update.
 */
export function ticketUpdate(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<TicketInsert>,
  opts: { touch?: boolean } = {},
) {
  return db
    .update(tickets)
    .set({
      ...set,
      ...(opts.touch === false ? {} : { updatedAt: sql`date_trunc('milliseconds', now())` }),
      // The moment the status last changed: time rules count "pending for 3 days" from it.
      ...(set.status !== undefined && set.statusChangedAt === undefined
        ? {
            statusChangedAt: sql`case when ${tickets.status} is distinct from ${set.status}
              then date_trunc('milliseconds', now()) else ${tickets.statusChangedAt} end`,
          }
        : {}),
    })
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.id, id)))
    .returning();
}

export async function updateTicket(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<TicketInsert>,
  opts: { touch?: boolean } = {},
): Promise<TicketRow | null> {
  const [r] = await ticketUpdate(db, workspaceId, id, set, opts);
  return r ?? null;
}

export async function findTicket(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<TicketRow | null> {
  const q = db
    .select()
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.id, id)));
  const [r] = opts.lock ? await q.for('update') : await q;
  return r ?? null;
}

export async function findTicketByNumber(db: DbOrTx, workspaceId: string, n: number): Promise<TicketRow | null> {
  const [r] = await db
    .select()
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.number, n)));
  return r ?? null;
}

export async function findTicketsByIds(db: DbOrTx, workspaceId: string, ids: string[]): Promise<TicketRow[]> {
  if (!ids.length) return [];
  return db
    .select()
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), inArray(tickets.id, ids)));
}

export async function ticketsOfPerson(db: DbOrTx, workspaceId: string, personId: string, limit = 50) {
  return db
    .select()
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.personId, personId)))
    .orderBy(desc(tickets.createdAt))
    .limit(limit);
}

/** Tickets whose SLA needs a look now (a warning or a due time has come). */
export async function ticketsDueForSlaCheck(db: DbOrTx, now: Date, limit: number): Promise<TicketRow[]> {
  return db
    .select()
    .from(tickets)
    .where(and(isNotNull(tickets.slaNextCheckAt), lte(tickets.slaNextCheckAt, now)))
    .orderBy(asc(tickets.slaNextCheckAt))
    .limit(limit);
}

export async function insertConversation(db: DbOrTx, row: ConversationInsert): Promise<ConversationRow> {
  const [r] = await db.insert(conversations).values(row).returning();
  if (!r) throw new Error('conversation insert returned nothing');
  return r;
}

export async function findConversation(db: DbOrTx, workspaceId: string, id: string): Promise<ConversationRow | null> {
  const [r] = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.workspaceId, workspaceId), eq(conversations.id, id)));
  return r ?? null;
}

export async function findConversationByExternalId(
  db: DbOrTx,
  workspaceId: string,
  channelId: string,
  externalId: string,
): Promise<ConversationRow | null> {
  const [r] = await db
    .select()
    .from(conversations)
    .where(
      and(
        eq(conversations.workspaceId, workspaceId),
        eq(conversations.channelId, channelId),
        eq(conversations.externalId, externalId),
      ),
    )
    .orderBy(desc(conversations.createdAt))
    .limit(1);
  return r ?? null;
}

export async function conversationsOfTicket(db: DbOrTx, workspaceId: string, ticketId: string) {
  return db
    .select()
    .from(conversations)
    .where(and(eq(conversations.workspaceId, workspaceId), eq(conversations.ticketId, ticketId)))
    .orderBy(asc(conversations.createdAt));
}

export async function touchConversation(db: DbOrTx, workspaceId: string, id: string, at: Date): Promise<void> {
  await db
    .update(conversations)
    .set({ lastMessageAt: at })
    .where(and(eq(conversations.workspaceId, workspaceId), eq(conversations.id, id)));
}

/** Moves conversations (and their messages) to another ticket: merge and split. */
export async function moveConversations(
  db: DbOrTx,
  workspaceId: string,
  conversationIds: string[],
  ticketId: string,
): Promise<void> {
  if (!conversationIds.length) return;
  await db
    .update(conversations)
    .set({ ticketId })
    .where(and(eq(conversations.workspaceId, workspaceId), inArray(conversations.id, conversationIds)));
  await db
    .update(messages)
    .set({ ticketId })
    .where(and(eq(messages.workspaceId, workspaceId), inArray(messages.conversationId, conversationIds)));
}

export async function moveMessages(
  db: DbOrTx,
  workspaceId: string,
  messageIds: string[],
  conversationId: string,
  ticketId: string,
): Promise<void> {
  if (!messageIds.length) return;
  await db
    .update(messages)
    .set({ conversationId, ticketId })
    .where(and(eq(messages.workspaceId, workspaceId), inArray(messages.id, messageIds)));
}

export async function insertMessage(db: DbOrTx, row: MessageInsert): Promise<MessageRow> {
  const [r] = await db.insert(messages).values(row).returning();
  if (!r) throw new Error('message insert returned nothing');
  return r;
}

export async function updateMessage(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<MessageInsert>,
): Promise<MessageRow | null> {
  const [r] = await db
    .update(messages)
    .set(set)
    .where(and(eq(messages.workspaceId, workspaceId), eq(messages.id, id)))
    .returning();
  return r ?? null;
}

export async function findMessage(db: DbOrTx, workspaceId: string, id: string): Promise<MessageRow | null> {
  const [r] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), eq(messages.id, id)));
  return r ?? null;
}

export async function messagesOfTicket(db: DbOrTx, workspaceId: string, ticketId: string): Promise<MessageRow[]> {
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), eq(messages.ticketId, ticketId)))
    .orderBy(asc(messages.createdAt), asc(messages.id));
}

/**
 * A page of the ticket's messages, oldest first: the newest `limit` of those before the message `before` (all of
 * them without it), and whether there are older ones. A ticket can hold any number of messages (a mail loop, a long
 * chat), so a reader never gets them all at once.
 */
export async function messagePageOfTicket(
  db: DbOrTx,
  workspaceId: string,
  ticketId: string,
  opts: { limit: number; before?: { createdAt: Date; id: string } | undefined },
): Promise<{ messages: MessageRow[]; more: boolean }> {
  const before = opts.before
    ? sql`(${messages.createdAt}, ${messages.id}) < (${opts.before.createdAt.toISOString()}::timestamptz, ${opts.before.id}::uuid)`
    : undefined;
  const rows = await db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), eq(messages.ticketId, ticketId), before))
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(opts.limit + 1);
  return { messages: rows.slice(0, opts.limit).reverse(), more: rows.length > opts.limit };
}

/**
 * What splitting the messages `ids` off a ticket needs to know, without reading its other messages (it may have
 * thousands): those of them that are the ticket's (oldest first), how many messages it has, the newest inbound one's
 * time among those that stay, and per conversation holding some of them its message count and its newest staying one.
 */
export async function splitFacts(
  db: DbOrTx,
  workspaceId: string,
  ticketId: string,
  ids: string[],
): Promise<{
  chosen: MessageRow[];
  total: number;
  lastInboundLeft: Date | null;
  conversations: Map<string, { count: number; newestLeft: Date | null }>;
}> {
  const ofTicket = and(eq(messages.workspaceId, workspaceId), eq(messages.ticketId, ticketId));
  const staying = ids.length ? notInArray(messages.id, ids) : sql`true`;
  const chosen = ids.length
    ? await db
        .select()
        .from(messages)
        .where(and(ofTicket, inArray(messages.id, ids)))
        .orderBy(asc(messages.createdAt), asc(messages.id))
    : [];
  const [totals] = await db
    .select({
      total: sql<number>`count(*)::int`,
      lastInboundLeft:
        sql<Date | null>`max(${messages.createdAt}) filter (where ${and(eq(messages.direction, 'inbound'), staying)})`.mapWith(
          messages.createdAt,
        ),
    })
    .from(messages)
    .where(ofTicket);
  const conversationIds = [...new Set(chosen.map((m) => m.conversationId))];
  const perConversation = conversationIds.length
    ? await db
        .select({
          conversationId: messages.conversationId,
          count: sql<number>`count(*)::int`,
          newestLeft: sql<Date | null>`max(${messages.createdAt}) filter (where ${staying})`.mapWith(
            messages.createdAt,
          ),
        })
        .from(messages)
        .where(and(ofTicket, inArray(messages.conversationId, conversationIds)))
        .groupBy(messages.conversationId)
    : [];
  return {
    chosen,
    total: totals?.total ?? 0,
    lastInboundLeft: totals?.lastInboundLeft ?? null,
    conversations: new Map(
      perConversation.map((c) => [c.conversationId, { count: c.count, newestLeft: c.newestLeft }]),
    ),
  };
}

/** The ticket's newest message in one direction (without reading the others: a ticket may have thousands). */
export async function lastMessageOfTicket(
  db: DbOrTx,
  workspaceId: string,
  ticketId: string,
  direction: MessageRow['direction'],
): Promise<MessageRow | null> {
  const [r] = await db
    .select()
    .from(messages)
    .where(
      and(eq(messages.workspaceId, workspaceId), eq(messages.ticketId, ticketId), eq(messages.direction, direction)),
    )
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(1);
  return r ?? null;
}

/** The ticket's status changes as a JSON array of {to, at}, oldest first (from its events): a column expression. */
export function ticketStatusHistory(workspaceId: string, ticketId: string): SQL {
  return sql`(select coalesce(json_agg(json_build_object('to', e.payload->'to', 'at', e.occurred_at) order by e.seq), '[]')
    from ${events} e
   where e.workspace_id = ${workspaceId} and e.subject_type = 'ticket' and e.subject_id = ${ticketId}
     and e.type = 'ticket.status_changed')`;
}

/** What the SLA clock reads of a ticket's history: its status changes and, unless known, its messages' times. */
export type TicketClockHistory = {
  statuses: Array<{ to: unknown; at: Date }>;
  messages: Array<{ direction: MessageRow['direction']; createdAt: Date; automatic: unknown }> | null;
};

/**
 * What the SLA clock counts of each message: its direction, time and automatic reason (meta.automatic, or null). An
 * answered inbound call (`meta.call.answeredAt`, set by logCall) is the agent speaking to the customer: it counts as
 * a reply at its answer time (not before the ticket existed), not as the customer writing. ticketClockHistory reads
 * the same in SQL.
 */
export function clockMessages(
  ticket: Pick<TicketRow, 'createdAt'>,
  rows: Array<Pick<MessageRow, 'direction' | 'createdAt' | 'meta'>>,
): Array<{ direction: MessageRow['direction']; createdAt: Date; automatic: unknown }> {
  return rows.map((m) => {
    const answered = m.direction === 'inbound' ? m.meta.call?.answeredAt : undefined;
    if (typeof answered === 'string')
      return {
        direction: 'outbound',
        createdAt: new Date(Math.max(Date.parse(answered), ticket.createdAt.getTime())),
        automatic: m.meta.automatic ?? null,
      };
    return { direction: m.direction, createdAt: m.createdAt, automatic: m.meta.automatic };
  });
}

/**
 * The ticket's status changes (from its events) and, with `withMessages`, each message's direction, time and
 * automatic reason (meta.automatic as stored, or null; an answered inbound call as clockMessages says), oldest
 * first: one statement.
 */
export async function ticketClockHistory(
  db: DbOrTx,
  workspaceId: string,
  ticketId: string,
  opts: { withMessages: boolean },
): Promise<TicketClockHistory> {
  const [r] = rowsOf<{ statuses: unknown; messages: unknown }>(
    await db.execute(sql`
      select
        ${ticketStatusHistory(workspaceId, ticketId)} as statuses,
        ${
          opts.withMessages
            ? sql`(select coalesce(json_agg(json_build_object(
                      'direction', case when a.answered is null then m.direction else 'outbound' end,
                      'at', case when a.answered is null then m.created_at else greatest(a.answered, (
                        select t.created_at from ${tickets} t where t.workspace_id = ${workspaceId} and t.id = ${ticketId}
                      )) end,
                      'automatic', m.meta->'automatic') order by m.created_at, m.id), '[]')
                 from ${messages} m
                 cross join lateral (select case when m.direction = 'inbound'
                   then (m.meta->'call'->>'answeredAt')::timestamptz end as answered) a
                 where m.workspace_id = ${workspaceId} and m.ticket_id = ${ticketId})`
            : sql`null`
        } as messages`),
  );
  const list = (v: unknown) => (Array.isArray(v) ? (v as Array<Record<string, unknown>>) : []);
  return {
    statuses: list(r?.statuses).map((x) => ({ to: x.to, at: new Date(String(x.at)) })),
    messages: opts.withMessages
      ? list(r?.messages).map((x) => ({
          direction: x.direction as MessageRow['direction'],
          createdAt: new Date(String(x.at)),
          automatic: x.automatic ?? null,
        }))
      : null,
  };
}

export async function messagesOfConversation(
  db: DbOrTx,
  workspaceId: string,
  conversationId: string,
): Promise<MessageRow[]> {
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), eq(messages.conversationId, conversationId)))
    .orderBy(asc(messages.createdAt), asc(messages.id));
}

/**
 * What an e-mail reply threads on, from the messages of its conversation before it: the last inbound one and the
 * last 20 e-mail Message-IDs, oldest first. Only those rows are read: a conversation may hold thousands of messages.
 */
export async function replyThreadOf(
  db: DbOrTx,
  workspaceId: string,
  conversationId: string,
  messageId: string,
): Promise<{ lastInbound: MessageRow | null; references: string[] }> {
  const earlier = and(
    eq(messages.workspaceId, workspaceId),
    eq(messages.conversationId, conversationId),
    sql`${messages.id} <> ${messageId}`,
    sql`${messages.createdAt} <= (select m.created_at from ${messages} m where m.workspace_id = ${workspaceId} and m.id = ${messageId})`,
  );
  const [inbound, withIds] = await Promise.all([
    db
      .select()
      .from(messages)
      .where(and(earlier, eq(messages.direction, 'inbound')))
      .orderBy(desc(messages.createdAt), desc(messages.id))
      .limit(1),
    db
      .select({ emailMessageId: messages.emailMessageId })
      .from(messages)
      .where(and(earlier, isNotNull(messages.emailMessageId)))
      .orderBy(desc(messages.createdAt), desc(messages.id))
      .limit(20),
  ]);
  return {
    lastInbound: inbound[0] ?? null,
    references: withIds
      .map((m) => m.emailMessageId)
      .filter((x): x is string => Boolean(x))
      .reverse(),
  };
}

/** The newest message of the workspace carrying one of these e-mail Message-IDs (what a reply refers to). */
export async function findMessageByEmailIds(
  db: DbOrTx,
  workspaceId: string,
  ids: string[],
): Promise<MessageRow | null> {
  if (!ids.length) return null;
  const [r] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), inArray(messages.emailMessageId, ids)))
    .orderBy(desc(messages.createdAt))
    .limit(1);
  return r ?? null;
}

export async function insertAttachments(db: DbOrTx, rows: AttachmentInsert[]): Promise<AttachmentRow[]> {
  if (!rows.length) return [];
  return db.insert(attachments).values(rows).returning();
}

export async function attachmentsOfMessages(
  db: DbOrTx,
  workspaceId: string,
  messageIds: string[],
): Promise<AttachmentRow[]> {
  if (!messageIds.length) return [];
  return db
    .select()
    .from(attachments)
    .where(and(eq(attachments.workspaceId, workspaceId), inArray(attachments.messageId, messageIds)))
    .orderBy(asc(attachments.createdAt));
}

export async function findAttachment(db: DbOrTx, workspaceId: string, id: string): Promise<AttachmentRow | null> {
  const [r] = await db
    .select()
    .from(attachments)
    .where(and(eq(attachments.workspaceId, workspaceId), eq(attachments.id, id)));
  return r ?? null;
}

/** How many tickets (merged ones aside) have each type: a type in use cannot be removed from the workspace's list. */
export async function countTicketsByType(db: DbOrTx, workspaceId: string): Promise<Record<string, number>> {
  const rows = await db
    .select({ type: tickets.type, n: sql<number>`count(*)::int` })
    .from(tickets)
    .where(and(eq(tickets.workspaceId, workspaceId), isNull(tickets.mergedIntoId)))
    .groupBy(tickets.type);
  return Object.fromEntries(rows.map((r) => [r.type, r.n]));
}
