import { msNow } from './columns.ts';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { workspaces } from './workspaces.ts';
import { users } from './users.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true });
const textArray = (name: string) =>
  text(name)
    .array()
    .notNull()
    .default(sql`'{}'::text[]`);

/** Groups of agents that tickets are routed to (billing, returns, escalations…). */
export const teams = pgTable(
  'teams',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    createdAt: ts('created_at').notNull().default(msNow),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    unique('teams_workspace_name_key').on(t.workspaceId, t.name),
  ],
);

export const teamMembers = pgTable(
  'team_members',
  {
    workspaceId: uuid('workspace_id').notNull(),
    teamId: uuid('team_id').notNull(),
    userId: uuid('user_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.teamId, t.userId] }),
    foreignKey({ columns: [t.workspaceId, t.teamId], foreignColumns: [teams.workspaceId, teams.id] }).onDelete(
      'cascade',
    ),
    foreignKey({ columns: [t.workspaceId, t.userId], foreignColumns: [users.workspaceId, users.id] }).onDelete(
      'cascade',
    ),
    index('team_members_user_idx').on(t.workspaceId, t.userId),
  ],
);

export const channelKinds = ['email', 'chat', 'form', 'phone', 'api'] as const;
export type ChannelKind = (typeof channelKinds)[number];

/**
 * Where conversations come from: a support mailbox, the chat widget, a web form, the phone line, an integration.
 * `address` is the mailbox for email channels (inbound mail is routed by it, across workspaces, so the service keeps
 * it unique); `secret` signs what outside parts send (chat identity hashes, channel API calls).
 */
export const channels = pgTable(
  'channels',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    kind: text('kind').$type<ChannelKind>().notNull(),
    name: text('name').notNull(),
    address: text('address'),
    secret: text('secret')
      .notNull()
      .default(sql`replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')`),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    teamId: uuid('team_id'),
    active: boolean('active').notNull().default(true),
    createdAt: ts('created_at').notNull().default(msNow),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    index('channels_address_idx').on(t.address),
  ],
);

/**
 * Where the IMAP poll of an e-mail channel stands (its settings are in `channels.settings.imap`): the mailbox's
 * UIDVALIDITY and the highest UID imported (while UIDVALIDITY is the same, a poll asks for UIDs above it; when it
 * changes, for UNSEEN), the lease of the poll running now (one per channel), and what the last poll did.
 */
export const channelImapState = pgTable(
  'channel_imap_state',
  {
    workspaceId: uuid('workspace_id').notNull(),
    channelId: uuid('channel_id').notNull(),
    uidValidity: text('uid_validity'),
    lastUid: bigint('last_uid', { mode: 'number' }),
    /** A poll holds the channel until then; another poll (any instance) leaves it alone meanwhile. */
    pollingUntil: ts('polling_until'),
    lastPollAt: ts('last_poll_at'),
    lastSuccessAt: ts('last_success_at'),
    lastErrorCode: text('last_error_code'),
    lastError: text('last_error'),
    lastErrorAt: ts('last_error_at'),
    /** Messages the last successful poll took from the mailbox. */
    lastImported: integer('last_imported').notNull().default(0),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.channelId] }),
    foreignKey({ columns: [t.workspaceId, t.channelId], foreignColumns: [channels.workspaceId, channels.id] }).onDelete(
      'cascade',
    ),
  ],
);

export const ticketStatuses = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
export type TicketStatusValue = (typeof ticketStatuses)[number];
export const ticketPriorities = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof ticketPriorities)[number];

/** What the SLA clock found for one metric, stored on the ticket (see src/domain/sla.ts). */
export type StoredSlaMetric = {
  metric: string;
  target: number;
  state: string;
  startedAt: string;
  dueAt: string | null;
  warnAt: string | null;
  breachedAt: string | null;
  completedAt: string | null;
  elapsedBusinessMs: number;
  remainingBusinessMs: number;
  /** Which notices were sent for this metric (warn, breach), so each is sent once. */
  notified?: string[];
};

/** The statuses of a ticket still being worked (the inbox queues), as SQL. */
export const openTicketStatusesSql = `('new', 'open', 'pending', 'on_hold')`;
/** Tickets the inbox queues show: not merged away, status still open. The partial indexes below cover exactly these. */
const openTicketSql = `merged_into_id is null and status in ${openTicketStatusesSql}`;

/** The work item of the service desk: one customer request with owner, priority, status and SLA. */
export const tickets = pgTable(
  'tickets',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    /** Human number (#1042), per workspace. */
    number: integer('number').notNull(),
    subject: text('subject').notNull(),
    type: text('type').notNull().default('question'),
    priority: text('priority').$type<TicketPriority>().notNull().default('normal'),
    status: text('status').$type<TicketStatusValue>().notNull().default('new'),
    channel: text('channel').$type<ChannelKind>().notNull(),
    channelId: uuid('channel_id'),
    personId: uuid('person_id'),
    assigneeId: uuid('assignee_id'),
    teamId: uuid('team_id'),
    tags: textArray('tags'),
    custom: jsonb('custom').$type<Record<string, unknown>>().notNull().default({}),
    slaPolicyId: uuid('sla_policy_id'),
    sla: jsonb('sla').$type<StoredSlaMetric[]>().notNull().default([]),
    /**
     * When the ticket is (or will be) in breach: the earliest due time among its running or breached SLA metrics,
     * null when none (rapport_sla_breach_at, see drizzle/0015). The "breaching" queue is `sla_breach_at <= now() + 2 h`.
     */
    slaBreachAt: ts('sla_breach_at').generatedAlwaysAs(sql`rapport_sla_breach_at(sla)`),
    /**
     * The running or breached SLA metric due first, as a queue shows it ({metric, state, dueAt, warnAt}; null when
     * none): generated (rapport_sla_due, see drizzle/0016) so a queue page reads it instead of every ticket's metrics.
     */
    slaDue: jsonb('sla_due')
      .$type<{ metric: string; state: string; dueAt: string; warnAt: string | null } | null>()
      .generatedAlwaysAs(sql`rapport_sla_due(sla)`),
    /** When the SLA job must look at this ticket again (next warning or due time); null when nothing runs. */
    slaNextCheckAt: ts('sla_next_check_at'),
    firstResponseAt: ts('first_response_at'),
    firstResponseBusinessMs: bigint('first_response_business_ms', { mode: 'number' }),
    resolvedAt: ts('resolved_at'),
    resolutionBusinessMs: bigint('resolution_business_ms', { mode: 'number' }),
    lastCustomerMessageAt: ts('last_customer_message_at'),
    lastAgentReplyAt: ts('last_agent_reply_at'),
    /** When the status last changed (time rules count "pending for 3 days" from it). */
    statusChangedAt: ts('status_changed_at').notNull().default(msNow),
    mergedIntoId: uuid('merged_into_id'),
    createdBy: text('created_by'),
    updatedBy: text('updated_by'),
    createdAt: ts('created_at').notNull().default(msNow),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    unique('tickets_workspace_number_key').on(t.workspaceId, t.number),
    index('tickets_status_idx').on(t.workspaceId, t.status, t.updatedAt),
    index('tickets_assignee_idx').on(t.workspaceId, t.assigneeId, t.status),
    index('tickets_team_idx').on(t.workspaceId, t.teamId, t.status),
    index('tickets_person_idx').on(t.workspaceId, t.personId),
    index('tickets_created_idx').on(t.workspaceId, t.createdAt),
    // Resolution time counts the tickets resolved in a period (src/modules/metrics).
    index('tickets_resolved_idx')
      .on(t.workspaceId, t.resolvedAt)
      .where(sql`resolved_at is not null`),
    index('tickets_sla_check_idx').on(t.slaNextCheckAt),
    // The inbox (src/modules/tickets: queues newest update first, and their counts). The list's default order over
    // every ticket; then, over open tickets only (a few percent of a desk's history): the open queue (and my teams,
    // unassigned, breaching, filtered on the way: the trailing columns are checked in the index), mine, unassigned,
    // and the counts (by assignee and team, with the breach time, read from the index alone).
    index('tickets_updated_idx')
      .on(t.workspaceId, t.updatedAt, t.id)
      .where(sql`merged_into_id is null`),
    index('tickets_open_idx')
      .on(t.workspaceId, t.updatedAt, t.id, t.assigneeId, t.teamId, t.slaBreachAt)
      .where(sql.raw(openTicketSql)),
    index('tickets_open_assignee_idx').on(t.workspaceId, t.assigneeId, t.updatedAt, t.id).where(sql.raw(openTicketSql)),
    index('tickets_open_unassigned_idx')
      .on(t.workspaceId, t.updatedAt, t.id)
      .where(sql.raw(`${openTicketSql} and assignee_id is null`)),
    index('tickets_open_counts_idx')
      .on(t.workspaceId, t.assigneeId, t.teamId, t.slaBreachAt)
      .where(sql.raw(openTicketSql)),
    // The other moments time rules count from, scanned by range (the update time uses tickets_updated_idx).
    index('tickets_status_changed_idx').on(t.workspaceId, t.statusChangedAt),
    index('tickets_last_customer_idx').on(t.workspaceId, t.lastCustomerMessageAt),
    index('tickets_last_agent_idx').on(t.workspaceId, t.lastAgentReplyAt),
  ],
);

/**
 * One thread on one channel (an e-mail thread, a chat session, a form submission, a call). A ticket has one or more
 * (merging tickets moves conversations).
 */
export const conversations = pgTable(
  'conversations',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    ticketId: uuid('ticket_id').notNull(),
    channel: text('channel').$type<ChannelKind>().notNull(),
    channelId: uuid('channel_id'),
    personId: uuid('person_id'),
    subject: text('subject'),
    /** The channel's own id for the thread: chat visitor session, API thread id. */
    externalId: text('external_id'),
    lastMessageAt: ts('last_message_at').notNull().default(msNow),
    createdAt: ts('created_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId, t.ticketId], foreignColumns: [tickets.workspaceId, tickets.id] }).onDelete(
      'cascade',
    ),
    index('conversations_ticket_idx').on(t.workspaceId, t.ticketId),
    index('conversations_person_idx').on(t.workspaceId, t.personId),
    index('conversations_external_idx').on(t.workspaceId, t.channelId, t.externalId),
  ],
);

export const messageDirections = ['inbound', 'outbound', 'note'] as const;
export type MessageDirection = (typeof messageDirections)[number];

/** E-mail envelope and headers, call details, form fields…: what the channel knows about a message. */
export type MessageMeta = {
  from?: { address: string; name?: string | null } | null;
  to?: Array<{ address: string; name?: string | null }>;
  cc?: Array<{ address: string; name?: string | null }>;
  inReplyTo?: string | null;
  references?: string[];
  autoSubmitted?: string | null;
  call?: Record<string, unknown>;
  form?: Record<string, unknown>;
  [k: string]: unknown;
};

export const messages = pgTable(
  'messages',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    conversationId: uuid('conversation_id').notNull(),
    ticketId: uuid('ticket_id').notNull(),
    direction: text('direction').$type<MessageDirection>().notNull(),
    /** person (the customer), user (an agent), apikey, system. */
    authorType: text('author_type').notNull(),
    authorId: text('author_id'),
    bodyText: text('body_text').notNull().default(''),
    /** Sanitised before storage. */
    bodyHtml: text('body_html'),
    /** RFC 5322 Message-ID, without angle brackets: threads replies. */
    emailMessageId: text('email_message_id'),
    meta: jsonb('meta').$type<MessageMeta>().notNull().default({}),
    /** received (inbound), queued → sent | failed (outbound), stored (notes). */
    delivery: text('delivery').notNull().default('received'),
    deliveryError: text('delivery_error'),
    createdAt: ts('created_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({
      columns: [t.workspaceId, t.conversationId],
      foreignColumns: [conversations.workspaceId, conversations.id],
    }).onDelete('cascade'),
    index('messages_ticket_idx').on(t.workspaceId, t.ticketId, t.createdAt),
    index('messages_conversation_idx').on(t.workspaceId, t.conversationId, t.createdAt),
    index('messages_email_id_idx').on(t.workspaceId, t.emailMessageId),
    // A mail delivered twice at once (a retrying sender, two pollers of one mailbox) is stored once: the second
    // insert fails here and receive() answers it as already received.
    uniqueIndex('messages_inbound_email_id_key')
      .on(t.workspaceId, t.emailMessageId)
      .where(sql`direction = 'inbound' and email_message_id is not null`),
  ],
);

/** Files of messages, stored under the data directory (`storage_key` is relative to it). */
export const attachments = pgTable(
  'attachments',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    messageId: uuid('message_id').notNull(),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull(),
    /** Inline images referenced from the HTML body by cid. */
    contentId: text('content_id'),
    createdAt: ts('created_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId, t.messageId], foreignColumns: [messages.workspaceId, messages.id] }).onDelete(
      'cascade',
    ),
    index('attachments_message_idx').on(t.workspaceId, t.messageId),
  ],
);

/** Per-workspace sequences (ticket numbers). */
export const counters = pgTable(
  'counters',
  {
    workspaceId: uuid('workspace_id').notNull(),
    name: text('name').notNull(),
    value: bigint('value', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.name] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
  ],
);

/** Opening hours in a time zone, with holidays: what SLA clocks count. */
export const businessCalendars = pgTable(
  'business_calendars',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    timeZone: text('time_zone').notNull(),
    weekly: jsonb('weekly').$type<Array<{ day: number; start: string; end: string }>>().notNull().default([]),
    holidays: jsonb('holidays').$type<Array<{ date: string; name?: string }>>().notNull().default([]),
    createdAt: ts('created_at').notNull().default(msNow),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
  ],
);

/** Targets per metric (business minutes) for the tickets its conditions match; the first match by position wins. */
export const slaPolicies = pgTable(
  'sla_policies',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    position: integer('position').notNull().default(0),
    active: boolean('active').notNull().default(true),
    conditions: jsonb('conditions').$type<Array<{ field: string; op: string; value: string | string[] }>>().notNull(),
    targets: jsonb('targets').$type<Record<string, number>>().notNull(),
    calendarId: uuid('calendar_id'),
    pauseOn: textArray('pause_on'),
    warnBeforeMinutes: integer('warn_before_minutes').notNull().default(30),
    createdAt: ts('created_at').notNull().default(msNow),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
  ],
);

/** Trigger → conditions → actions on ticket events (escalations are rules too); tried in position order. */
export const rules = pgTable(
  'rules',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    trigger: text('trigger').notNull(),
    conditions: jsonb('conditions').$type<Array<{ field: string; op: string; value?: string | string[] }>>().notNull(),
    actions: jsonb('actions').$type<Array<Record<string, unknown>>>().notNull(),
    /** For the time trigger: how long after which moment of the ticket the rule looks at it. */
    delay: jsonb('delay').$type<{ since: string; hours: number }>(),
    /** Time rules: every ticket whose moment (anchor + delay) is at or before this has been looked at. */
    timeCheckedUntil: ts('time_checked_until'),
    position: integer('position').notNull().default(0),
    active: boolean('active').notNull().default(true),
    createdAt: ts('created_at').notNull().default(msNow),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    index('rules_trigger_idx').on(t.workspaceId, t.trigger, t.position),
  ],
);

/**
 * The ledger of time rules: a time rule looks at a ticket once per moment it counts from (the ticket's creation, its
 * last status change…), whether its conditions held or not; `fired` says whether it acted.
 */
export const ruleRuns = pgTable(
  'rule_runs',
  {
    workspaceId: uuid('workspace_id').notNull(),
    ruleId: uuid('rule_id').notNull(),
    ticketId: uuid('ticket_id').notNull(),
    anchorAt: ts('anchor_at').notNull(),
    fired: boolean('fired').notNull(),
    createdAt: ts('created_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.ruleId, t.ticketId, t.anchorAt] }),
    foreignKey({ columns: [t.workspaceId, t.ruleId], foreignColumns: [rules.workspaceId, rules.id] }).onDelete(
      'cascade',
    ),
    foreignKey({ columns: [t.workspaceId, t.ticketId], foreignColumns: [tickets.workspaceId, tickets.id] }).onDelete(
      'cascade',
    ),
  ],
);
