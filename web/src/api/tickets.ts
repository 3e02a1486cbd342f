/** Shapes and queries of the service desk: tickets, messages, channels, teams. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from './client.ts';

export const ticketStatuses = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'] as const;
export type TicketStatus = (typeof ticketStatuses)[number];
export const ticketPriorities = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof ticketPriorities)[number];
export type ChannelKind = 'email' | 'chat' | 'form' | 'phone' | 'api';
export type Queue = 'mine' | 'unassigned' | 'my_teams' | 'breaching' | 'open' | 'all';

export type SlaMetric = {
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
};

export type Ticket = {
  id: string;
  number: number;
  subject: string;
  type: string;
  priority: TicketPriority;
  status: TicketStatus;
  channel: ChannelKind;
  channelId: string | null;
  personId: string | null;
  assigneeId: string | null;
  teamId: string | null;
  tags: string[];
  custom: Record<string, unknown>;
  slaPolicyId: string | null;
  sla: SlaMetric[];
  slaNextCheckAt: string | null;
  firstResponseAt: string | null;
  firstResponseBusinessMs: number | null;
  resolvedAt: string | null;
  resolutionBusinessMs: number | null;
  lastCustomerMessageAt: string | null;
  lastAgentReplyAt: string | null;
  mergedIntoId: string | null;
  createdAt: string;
  updatedAt: string;
};

/** A ticket as the inbox's queues list it (GET /tickets/summaries). */
export type TicketSummary = Pick<
  Ticket,
  | 'id'
  | 'number'
  | 'subject'
  | 'type'
  | 'priority'
  | 'status'
  | 'channel'
  | 'personId'
  | 'assigneeId'
  | 'teamId'
  | 'tags'
  | 'lastCustomerMessageAt'
  | 'createdAt'
  | 'updatedAt'
> & {
  statusChangedAt: string;
  /** The running or breached SLA metric due first. */
  slaDue: { metric: string; state: string; dueAt: string; warnAt: string | null } | null;
};

export type Attachment = {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
  url: string;
  contentId: string | null;
};

export type Message = {
  id: string;
  conversationId: string;
  direction: 'inbound' | 'outbound' | 'note';
  authorType: string;
  authorId: string | null;
  bodyText: string;
  bodyHtml: string | null;
  emailMessageId: string | null;
  meta: Record<string, unknown>;
  delivery: string;
  deliveryError: string | null;
  attachments: Attachment[];
  createdAt: string;
};

export type TicketDetail = Ticket & {
  conversations: Array<{ id: string; channel: ChannelKind; subject: string | null; lastMessageAt: string }>;
  /** The newest 500 messages come with the ticket; older ones a page at a time (`?before=<messageId>`). */
  messages: Message[];
  olderMessages: boolean;
  person: {
    id: string;
    displayName: string;
    emails: string[];
    phones: string[];
    stage: string;
    tags: string[];
  } | null;
};

export type Channel = {
  id: string;
  kind: ChannelKind;
  name: string;
  address: string | null;
  teamId: string | null;
  active: boolean;
  settings: { smtpUrl: string | null; fromName: string | null; imap: ImapSettings | null };
  imapStatus: ImapStatus | null;
  secret: string | null;
  createdAt: string;
};

export type ImapSecurity = 'tls' | 'starttls' | 'none';

/** An e-mail channel's IMAP mailbox (the password is never returned: passwordSet says whether one is stored). */
export type ImapSettings = {
  enabled: boolean;
  host: string;
  port: number;
  security: ImapSecurity;
  user: string;
  passwordSet: boolean;
  mailbox: string;
  afterImport: 'seen' | 'move';
  moveTo: string | null;
  pollIntervalSeconds: number;
};

export type ImapStatus = {
  lastPollAt: string | null;
  lastSuccessAt: string | null;
  lastImported: number;
  lastError: { code: string; message: string; at: string | null } | null;
  polling: boolean;
};

export type ImapTestResult = {
  ok: true;
  mailbox: string;
  messages: number;
  unseen: number | null;
  moveToExists: boolean | null;
};

export type ImapPollResult = {
  fetched: number;
  created: number;
  appended: number;
  ignored: number;
  unreadable: number;
  more: boolean;
};

export type Team = { id: string; name: string; description: string | null; memberIds: string[]; createdAt: string };

export type QueueCounts = { mine: number; unassigned: number; myTeams: number; breaching: number; open: number };

export const ticketKeys = {
  all: ['tickets'] as const,
  list: (q: Record<string, unknown>) => ['tickets', 'list', q] as const,
  queues: ['tickets', 'queues'] as const,
  one: (id: string) => ['tickets', 'one', id] as const,
  channels: ['channels'] as const,
  teams: ['teams'] as const,
};

let liveConnected = false;
/** Set by the live feed (api/live.tsx): while it is up, polling is only its slow fallback. */
export function setLiveConnected(up: boolean): void {
  liveConnected = up;
}

/** How often open inbox views refresh themselves: the live feed refreshes at once; polling is its fallback. */
export function inboxRefreshMs(): number {
  return liveConnected ? 30_000 : 5_000;
}

export function useTickets(query: { queue: Queue; q?: string; filter?: string[]; sort?: string }) {
  return useQuery({
    queryKey: ticketKeys.list(query),
    queryFn: () =>
      api<{ data: TicketSummary[]; page: { nextCursor: string | null } }>('/tickets/summaries', {
        query: { limit: 100, queue: query.queue, q: query.q, filter: query.filter, sort: query.sort },
      }),
    placeholderData: keepPreviousData,
    refetchInterval: inboxRefreshMs,
  });
}

export function useQueueCounts() {
  return useQuery({
    queryKey: ticketKeys.queues,
    queryFn: () => api<QueueCounts>('/tickets/queues'),
    refetchInterval: inboxRefreshMs,
  });
}

export function useTicket(id: string | undefined) {
  return useQuery({
    queryKey: ticketKeys.one(id ?? ''),
    enabled: Boolean(id),
    queryFn: () => api<TicketDetail>(`/tickets/${id}`),
    refetchInterval: inboxRefreshMs,
  });
}

export function useChannels(enabled = true) {
  return useQuery({
    queryKey: ticketKeys.channels,
    enabled,
    queryFn: () => api<{ data: Channel[] }>('/channels'),
  });
}

export type TicketTypeDef = { key: string; label: string };
export type WorkspaceSettings = {
  lifecycleStages: TicketTypeDef[];
  ticketTypes: TicketTypeDef[];
  defaultCountry: string | null;
};
export const workspaceSettingsKey = ['workspace', 'settings'] as const;

/** The workspace's configurable lists (lifecycle stages, ticket types) and default country. */
export function useWorkspaceSettings() {
  return useQuery({
    queryKey: workspaceSettingsKey,
    queryFn: () => api<WorkspaceSettings>('/workspace'),
    staleTime: 60_000,
  });
}

/** The workspace's ticket types as select options (empty while loading). */
export function useTicketTypeOptions(): Array<{ value: string; label: string }> {
  const ws = useWorkspaceSettings();
  return (ws.data?.ticketTypes ?? []).map((t) => ({ value: t.key, label: t.label }));
}

export function useTeams(enabled = true) {
  return useQuery({ queryKey: ticketKeys.teams, enabled, queryFn: () => api<{ data: Team[] }>('/teams') });
}

export const statusLabels: Record<TicketStatus, string> = {
  new: 'New',
  open: 'Open',
  pending: 'Pending',
  on_hold: 'On hold',
  solved: 'Solved',
  closed: 'Closed',
};

export const statusColors: Record<TicketStatus, string> = {
  new: 'yellow',
  open: 'red',
  pending: 'blue',
  on_hold: 'gray',
  solved: 'teal',
  closed: 'dark',
};

export const priorityColors: Record<TicketPriority, string> = {
  low: 'gray',
  normal: 'blue',
  high: 'orange',
  urgent: 'red',
};

export const channelLabels: Record<ChannelKind, string> = {
  email: 'E-mail',
  chat: 'Chat',
  form: 'Web form',
  phone: 'Phone',
  api: 'API',
};

export const queueLabels: Record<Queue, string> = {
  mine: 'Assigned to me',
  unassigned: 'Unassigned',
  my_teams: 'My teams',
  breaching: 'SLA breaching soon',
  open: 'All open',
  all: 'All tickets',
};

/** The running SLA metric that is due first (what the inbox shows as the ticket's clock). */
/** "in 2 h 5 min" / "12 min overdue". */
export function dueText(dueAt: string, now = Date.now()): { text: string; overdue: boolean } {
  const ms = new Date(dueAt).getTime() - now;
  const abs = Math.abs(ms);
  const mins = Math.round(abs / 60000);
  const text =
    mins < 60
      ? `${mins} min`
      : mins < 48 * 60
        ? `${Math.floor(mins / 60)} h${mins % 60 ? ` ${mins % 60} min` : ''}`
        : `${Math.round(mins / 1440)} d`;
  return ms < 0 ? { text: `${text} overdue`, overdue: true } : { text: `in ${text}`, overdue: false };
}
