import { useEffect, useMemo, useRef, useState } from 'react';
import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Box,
  Checkbox,
  Button,
  Group,
  Loader,
  Menu,
  Modal,
  NavLink,
  Paper,
  ScrollArea,
  SegmentedControl,
  Select,
  Stack,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
  UnstyledButton,
  VisuallyHidden,
} from '@mantine/core';
import { useElementSize, useLocalStorage } from '@mantine/hooks';
import {
  IconAlertTriangle,
  IconChevronDown,
  IconClock,
  IconInbox,
  IconLayoutSidebarRightCollapse,
  IconLayoutSidebarRightExpand,
  IconMail,
  IconMessage,
  IconPaperclip,
  IconPhone,
  IconPlus,
  IconSearch,
  IconUser,
  IconUsersGroup,
  IconWorld,
  IconApi,
  IconArrowsSplit,
  IconDots,
  IconGitMerge,
} from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiError } from '../../api/client.ts';
import { useAllUsers, useCan, useMe } from '../../api/queries.ts';
import {
  channelLabels,
  dueText,
  priorityColors,
  queueLabels,
  statusColors,
  statusLabels,
  ticketKeys,
  ticketPriorities,
  ticketStatuses,
  useQueueCounts,
  useTeams,
  useTicketTypeOptions,
  useTicket,
  useTickets,
  type ChannelKind,
  type Message,
  type Queue,
  type Ticket,
  type TicketSummary,
  type TicketDetail,
} from '../../api/tickets.ts';
import { Empty } from '../../components/Empty.tsx';
import { LiveInboxProvider, useLiveInbox } from '../../api/live.tsx';
import { formatDateTime, relativeTime } from '../../lib/format.ts';
import { ChecklistPanel } from './ChecklistPanel.tsx';
import { MacroPicker } from './MacroPicker.tsx';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { ArticleSuggestions } from './ArticleSuggestions.tsx';
import { MergeTicketsModal, SplitMessageModal } from './MergeSplit.tsx';
import { LogCallModal } from './LogCall.tsx';
import { TicketBulkBar } from './TicketBulkBar.tsx';
import { activeFilterCount, InboxFilters, inboxFilterParams, type InboxFilterValues } from './InboxFilters.tsx';
import {
  CallDetails,
  CallFields,
  callBody,
  callProblemKeys,
  callProblems,
  refusedFields,
  useCallDraft,
  type CallDraft,
} from './CallFields.tsx';
import { useCustomFields, usePersonNames } from '../../api/customers.ts';
import { ignoreKey, inboxKeys, matches } from '../../shell/keymap.ts';
import { CustomFieldInput, EditableCustomField, type Save } from '../customers/fields.tsx';

function ChannelIcon({ kind, size = 14 }: { kind: ChannelKind; size?: number }) {
  if (kind === 'email') return <IconMail size={size} />;
  if (kind === 'chat') return <IconMessage size={size} />;
  if (kind === 'phone') return <IconPhone size={size} />;
  if (kind === 'form') return <IconWorld size={size} />;
  return <IconApi size={size} />;
}

function SlaBadge({ due }: { due: { metric: string; dueAt: string | null; warnAt: string | null } | null }) {
  if (!due?.dueAt) return null;
  const d = dueText(due.dueAt);
  const label = due.metric.replace('_', ' ');
  return (
    <Tooltip label={`${label} due ${formatDateTime(due.dueAt)}`}>
      <Badge
        size="xs"
        variant={d.overdue ? 'filled' : 'light'}
        color={d.overdue ? 'red' : due.warnAt && Date.now() >= new Date(due.warnAt).getTime() ? 'orange' : 'gray'}
        leftSection={<IconClock size={10} />}
      >
        {d.text}
      </Badge>
    </Tooltip>
  );
}

function QueueNav({ queue, onChange, compact }: { queue: Queue; onChange: (q: Queue) => void; compact: boolean }) {
  const counts = useQueueCounts();
  const c = counts.data;
  const items: Array<{ q: Queue; icon: React.ReactNode; n?: number }> = [
    { q: 'mine', icon: <IconUser size={16} />, n: c?.mine },
    { q: 'unassigned', icon: <IconInbox size={16} />, n: c?.unassigned },
    { q: 'my_teams', icon: <IconUsersGroup size={16} />, n: c?.myTeams },
    { q: 'breaching', icon: <IconAlertTriangle size={16} />, n: c?.breaching },
    { q: 'open', icon: <IconInbox size={16} />, n: c?.open },
    { q: 'all', icon: <IconSearch size={16} /> },
  ];
  if (compact)
    return (
      <Stack gap={4} p={6} component="nav" aria-label="Queues" align="center">
        {items.map((i) => {
          const label = queueLabels[i.q] + (i.n !== undefined ? ` (${i.n})` : '');
          return (
            <Tooltip key={i.q} label={label} position="right">
              <UnstyledButton
                onClick={() => onChange(i.q)}
                aria-label={queueLabels[i.q]}
                aria-current={queue === i.q ? 'page' : undefined}
                data-queue={i.q}
                className="rapport-queue-rail-item"
                data-active={queue === i.q || undefined}
              >
                {i.icon}
                {i.n !== undefined && i.n > 0 && (
                  <Badge
                    size="xs"
                    circle={i.n < 10}
                    variant={i.q === 'breaching' ? 'filled' : 'light'}
                    color={i.q === 'breaching' ? 'red' : 'gray'}
                    className="rapport-queue-rail-count"
                  >
                    {i.n > 99 ? '99+' : i.n}
                  </Badge>
                )}
              </UnstyledButton>
            </Tooltip>
          );
        })}
      </Stack>
    );
  return (
    <Stack gap={2} p="xs" component="nav" aria-label="Queues">
      {items.map((i) => (
        <NavLink
          key={i.q}
          data-queue={i.q}
          label={queueLabels[i.q]}
          leftSection={i.icon}
          active={queue === i.q}
          onClick={() => onChange(i.q)}
          rightSection={
            i.n !== undefined ? (
              <Badge size="sm" variant="light" color={i.q === 'breaching' && i.n ? 'red' : 'gray'}>
                {i.n}
              </Badge>
            ) : null
          }
        />
      ))}
    </Stack>
  );
}

function TicketRow({
  t,
  customer,
  selected,
  onOpen,
  chosen,
  onChoose,
}: {
  t: TicketSummary;
  /** The customer's name, once read (usePersonNames). */
  customer: string | undefined;
  selected: boolean;
  onOpen: () => void;
  /** Ticked for a change to several tickets at once (absent: the user may not change tickets). */
  chosen?: boolean;
  onChoose?: (on: boolean) => void;
}) {
  const row = (
    <UnstyledButton
      onClick={onOpen}
      data-ticket-row={t.number}
      aria-current={selected ? 'true' : undefined}
      px="sm"
      py={8}
      w="100%"
      style={{
        borderBottom: '1px solid var(--mantine-color-default-border)',
        background: selected ? 'var(--mantine-color-default-hover)' : undefined,
      }}
    >
      <Group justify="space-between" wrap="nowrap" gap={6}>
        <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
          <ChannelIcon kind={t.channel} />
          <Text fz="sm" fw={t.status === 'new' ? 700 : 500} truncate>
            {t.subject}
          </Text>
        </Group>
        <Text fz="xs" c="dimmed" style={{ flexShrink: 0 }}>
          {relativeTime(t.lastCustomerMessageAt ?? t.updatedAt)}
        </Text>
      </Group>
      <Group gap={6} mt={4}>
        <Text fz="xs" c="dimmed">
          #{t.number}
        </Text>
        {customer && (
          <Text fz="xs" c="dimmed" truncate maw={180} data-testid="ticket-row-customer">
            {customer}
          </Text>
        )}
        <Badge size="xs" variant="light" color={statusColors[t.status]}>
          {statusLabels[t.status]}
        </Badge>
        {t.priority !== 'normal' && (
          <Badge size="xs" variant="dot" color={priorityColors[t.priority]}>
            {t.priority}
          </Badge>
        )}
        {t.channel === 'chat' && <LiveChatBadge ticketId={t.id} />}
        <SlaBadge due={t.slaDue} />
      </Group>
    </UnstyledButton>
  );
  if (!onChoose) return row;
  return (
    <Group
      gap={0}
      wrap="nowrap"
      align="stretch"
      style={{ background: chosen ? 'var(--mantine-color-default-hover)' : undefined }}
    >
      <Box pl={8} pt={10} style={{ borderBottom: '1px solid var(--mantine-color-default-border)', flexShrink: 0 }}>
        <Checkbox
          size="xs"
          checked={Boolean(chosen)}
          onChange={(e) => onChoose(e.currentTarget.checked)}
          aria-label={`Select ticket #${t.number}`}
        />
      </Box>
      <Box style={{ flex: 1, minWidth: 0 }}>{row}</Box>
    </Group>
  );
}

function LiveChatBadge({ ticketId }: { ticketId: string }) {
  const live = useLiveInbox();
  const typing = live.typing.has(ticketId);
  return (
    <Badge size="xs" variant={typing ? 'filled' : 'light'} color="grape" leftSection={<IconMessage size={10} />}>
      {typing ? 'typing…' : 'Live chat'}
    </Badge>
  );
}

/** What the chat visitor is doing right now: typing, has read the last reply, online. */
function ChatPresence({ ticket }: { ticket: TicketDetail }) {
  const live = useLiveInbox();
  const lastOutbound = [...ticket.messages].reverse().find((m) => m.direction === 'outbound');
  const online = ticket.conversations.some((c) => c.channel === 'chat' && live.visitorOnline[c.id]);
  const read = lastOutbound && live.readUpTo[ticket.id] === lastOutbound.id;
  return (
    <Group gap="xs" aria-live="polite" data-testid="chat-presence">
      {live.typing.has(ticket.id) && (
        <Text fz="sm" c="grape" fs="italic">
          Visitor is typing…
        </Text>
      )}
      {read && (
        <Text fz="xs" c="dimmed">
          Seen by the visitor
        </Text>
      )}
      {online && (
        <Badge size="xs" color="green" variant="dot">
          Visitor online
        </Badge>
      )}
    </Group>
  );
}

/**
 * The messages older than the ones a ticket comes with (its newest 500), a page at a time on request, above them.
 * Kept per ticket (the component is keyed by the ticket's id).
 */
function EarlierMessages({ ticket, authorName }: { ticket: TicketDetail; authorName: (m: Message) => string }) {
  const [older, setOlder] = useState<Message[]>([]);
  const [more, setMore] = useState<boolean | null>(null);
  const [loading, setLoading] = useState(false);
  const hasMore = more ?? ticket.olderMessages;
  const load = async () => {
    const first = older[0] ?? ticket.messages[0];
    if (!first) return;
    setLoading(true);
    try {
      const page = await api<TicketDetail>(`/tickets/${ticket.id}`, { query: { before: first.id } });
      setOlder((o) => [...page.messages, ...o]);
      setMore(page.olderMessages);
    } catch (e) {
      notifyError(e);
    } finally {
      setLoading(false);
    }
  };
  return (
    <>
      {hasMore && (
        <Group justify="center">
          <Button variant="subtle" size="xs" loading={loading} onClick={() => void load()}>
            Show earlier messages
          </Button>
        </Group>
      )}
      {older.map((m) => (
        <MessageBubble key={m.id} m={m} authorName={authorName(m)} />
      ))}
    </>
  );
}

function MessageBubble({ m, authorName, onSplit }: { m: Message; authorName: string; onSplit?: () => void }) {
  const [formatted, setFormatted] = useState(false);
  const color = m.direction === 'note' ? 'yellow' : m.direction === 'outbound' ? 'brand' : 'gray';
  const call =
    typeof m.meta.call === 'object' && m.meta.call !== null ? (m.meta.call as Record<string, unknown>) : null;
  return (
    <Paper
      withBorder
      p="sm"
      radius="md"
      data-message-direction={m.direction}
      bg={m.direction === 'note' ? 'var(--mantine-color-yellow-light)' : undefined}
      ml={m.direction === 'inbound' ? 0 : 'xl'}
      mr={m.direction === 'inbound' ? 'xl' : 0}
    >
      <Group justify="space-between" mb={4} wrap="nowrap">
        <Group gap={6}>
          <Text fz="sm" fw={600}>
            {authorName}
          </Text>
          <Badge size="xs" variant="light" color={color}>
            {m.direction === 'note' ? 'internal note' : m.direction === 'outbound' ? 'reply' : 'customer'}
          </Badge>
          {m.delivery === 'failed' && (
            <Tooltip label={m.deliveryError ?? ''}>
              <Badge size="xs" color="red">
                not sent
              </Badge>
            </Tooltip>
          )}
          {m.delivery === 'queued' && (
            <Badge size="xs" color="gray" variant="outline">
              sending…
            </Badge>
          )}
          {typeof m.meta.automatic === 'string' && (
            <Badge size="xs" color="gray">
              automatic
            </Badge>
          )}
        </Group>
        <Group gap={4} wrap="nowrap">
          <Tooltip label={formatDateTime(m.createdAt)}>
            <Text fz="xs" c="dimmed">
              {relativeTime(m.createdAt)}
            </Text>
          </Tooltip>
          {onSplit && (
            <Menu position="bottom-end">
              <Menu.Target>
                <ActionIcon size="sm" variant="subtle" color="gray" aria-label="Message actions">
                  <IconDots size={14} />
                </ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item leftSection={<IconArrowsSplit size={14} />} onClick={onSplit}>
                  Split into a new ticket
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          )}
        </Group>
      </Group>
      {m.delivery === 'failed' && m.deliveryError && (
        <Text fz="xs" c="red" mb={4} data-testid="delivery-error">
          Not delivered: {m.deliveryError}
        </Text>
      )}
      {call && <CallDetails call={call} at={m.createdAt} />}
      {formatted && m.bodyHtml ? (
        // Sanitised on the server, and shown in a sandbox without scripts or same-origin access.
        <iframe
          title="Formatted message"
          sandbox=""
          srcDoc={m.bodyHtml}
          style={{ width: '100%', minHeight: 200, border: 0, background: 'white' }}
        />
      ) : (
        (m.bodyText || !call) && (
          <Text fz="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
            {m.bodyText}
          </Text>
        )
      )}
      {m.bodyHtml && (
        <Anchor component="button" fz="xs" mt={4} onClick={() => setFormatted((f) => !f)}>
          {formatted ? 'Show plain text' : 'Show formatted'}
        </Anchor>
      )}
      {m.attachments.length > 0 && (
        <Group gap="xs" mt="xs">
          {m.attachments.map((a) => (
            <Anchor key={a.id} href={a.url} fz="xs">
              <Group gap={2}>
                <IconPaperclip size={12} />
                {a.fileName} ({Math.max(1, Math.round(a.size / 1024))} KB)
              </Group>
            </Anchor>
          ))}
        </Group>
      )}
      {Array.isArray(m.meta.refusedAttachments) && m.meta.refusedAttachments.length > 0 && (
        <Text fz="xs" c="orange" mt={4}>
          Not stored:{' '}
          {(m.meta.refusedAttachments as Array<{ fileName: string; reason: string }>)
            .map((r) => `${r.fileName} (${r.reason})`)
            .join(', ')}
        </Text>
      )}
    </Paper>
  );
}

type Collision = { message: string; newMessages: Array<{ id: string; preview: string; direction: string }> };

/** Tells a chat visitor the agent is typing: at most every 2 s while keys come, "stopped" 4 s after the last. */
function useTypingSignal(ticketId: string) {
  const { sendTyping } = useLiveInbox();
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return {
    ping: () => {
      const now = Date.now();
      if (now - last.current > 2000) {
        last.current = now;
        sendTyping(ticketId, true);
      }
      clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        last.current = 0;
        sendTyping(ticketId, false);
      }, 4000);
    },
  };
}

function Composer({ ticket, onSent }: { ticket: TicketDetail; onSent: () => void }) {
  const [mode, setMode] = useState<'reply' | 'note'>('reply');
  const [text, setText] = useState('');
  const [collision, setCollision] = useState<Collision | null>(null);
  const typing = useTypingSignal(ticket.id);
  const ref = useRef<HTMLTextAreaElement>(null);
  const lastSeen = ticket.messages.at(-1)?.id;
  const [seen, setSeen] = useState(lastSeen);
  useEffect(() => {
    setText('');
    setCollision(null);
    setSeen(ticket.messages.at(-1)?.id);
    // Only when another ticket opens: new messages of this one are not "seen" until the agent sends or reloads.
  }, [ticket.id]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === inboxKeys.reply.key && !ignoreKey(e)) {
        e.preventDefault();
        ref.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const send = useMutation({
    mutationFn: (v: { status?: string; force?: boolean }) =>
      api<Message>(`/tickets/${ticket.id}/replies`, {
        method: 'POST',
        body: {
          text,
          internal: mode === 'note',
          ...(v.status ? { status: v.status } : {}),
          ...(seen ? { seenMessageId: seen } : {}),
          ...(v.force ? { force: true } : {}),
        },
      }),
    onSuccess: (m) => {
      setText('');
      setCollision(null);
      setSeen(m.id);
      // An e-mail reply is queued and goes out from the server's mail job: "sent" would promise what is not done yet.
      notifySuccess(
        mode === 'note' ? 'Note added' : m.delivery === 'queued' ? 'Reply queued to go out by e-mail' : 'Reply sent',
      );
      onSent();
    },
    onError: (e) => {
      if (
        e instanceof ApiError &&
        e.status === 409 &&
        (e.details as { reason?: string } | null)?.reason === 'collision'
      ) {
        setCollision({ message: e.message, newMessages: (e.details as Collision).newMessages });
        onSent();
        return;
      }
      notifyError(e, 'Could not send');
    },
  });
  const disabled = !text.trim() || send.isPending;
  return (
    <Paper withBorder p="sm" radius="md">
      <Group justify="space-between" mb="xs">
        <SegmentedControl
          size="xs"
          value={mode}
          onChange={(v) => setMode(v as 'reply' | 'note')}
          data={[
            { value: 'reply', label: 'Reply to customer' },
            { value: 'note', label: 'Internal note' },
          ]}
        />
        <Text fz="xs" c="dimmed">
          {inboxKeys.reply.label.join(' ')} to write · {inboxKeys.send.label.join(' ')} to send
        </Text>
      </Group>
      {collision && (
        <Alert color="orange" mb="xs" title="New messages arrived" icon={<IconAlertTriangle size={16} />}>
          <Text fz="sm">{collision.message}</Text>
          {collision.newMessages.map((n) => (
            <Text key={n.id} fz="xs" c="dimmed">
              {n.direction === 'inbound' ? 'Customer' : 'Colleague'}: {n.preview}
            </Text>
          ))}
          <Group mt="xs">
            <Button size="xs" variant="light" onClick={() => send.mutate({ force: true })}>
              Send anyway
            </Button>
            <Button
              size="xs"
              variant="subtle"
              onClick={() => {
                setSeen(ticket.messages.at(-1)?.id);
                setCollision(null);
              }}
            >
              I have read them
            </Button>
          </Group>
        </Alert>
      )}
      <Textarea
        ref={ref}
        aria-label={mode === 'note' ? 'Internal note' : 'Reply'}
        placeholder={mode === 'note' ? 'Only your team sees notes' : 'Write your reply…'}
        autosize
        minRows={3}
        maxRows={12}
        value={text}
        onChange={(e) => {
          setText(e.currentTarget.value);
          if (ticket.channel === 'chat' && mode === 'reply') typing.ping();
        }}
        onKeyDown={(e) => {
          if (matches(e, inboxKeys.send) && !disabled) send.mutate({});
        }}
      />
      <ArticleSuggestions
        ticketId={ticket.id}
        lastMessageId={lastSeen}
        onInsert={(link) => setText((t) => (t.trim() ? `${t.trimEnd()}\n\n${link}` : link))}
      />
      <Group justify="flex-end" mt="xs" gap="xs">
        <MacroPicker
          ticket={ticket}
          seenMessageId={seen}
          onInsert={(t) => setText((x) => (x.trim() ? `${x.trimEnd()}\n\n${t}` : t))}
          onApplied={onSent}
        />
        <Button.Group>
          <Button size="xs" onClick={() => send.mutate({})} disabled={disabled} loading={send.isPending}>
            {mode === 'note' ? 'Add note' : 'Send'}
          </Button>
          {mode === 'reply' && (
            <Menu position="bottom-end">
              <Menu.Target>
                <Button size="xs" px={6} disabled={disabled} aria-label="Send and set status">
                  <IconChevronDown size={14} />
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item onClick={() => send.mutate({ status: 'pending' })}>Send and set pending</Menu.Item>
                <Menu.Item onClick={() => send.mutate({ status: 'solved' })}>Send and solve</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          )}
        </Button.Group>
      </Group>
    </Paper>
  );
}

function TicketFields({ ticket, onChanged }: { ticket: TicketDetail; onChanged: () => void }) {
  const ticketTypes = useTicketTypeOptions();
  const can = useCan();
  const users = useAllUsers();
  const teams = useTeams();
  const fields = useCustomFields('ticket');
  const qc = useQueryClient();
  // Custom fields save through the same PATCH; errors show next to the field (its `custom.<key>` problem).
  const saveCustom: Save = async (body) => {
    const t = await api<Ticket>(`/tickets/${ticket.id}`, { method: 'PATCH', body });
    qc.setQueryData<TicketDetail>(ticketKeys.one(ticket.id), (old) => (old ? { ...old, ...t } : old));
    onChanged();
    return t;
  };
  const patch = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<Ticket>(`/tickets/${ticket.id}`, { method: 'PATCH', body }),
    onSuccess: onChanged,
    onError: (e) => notifyError(e, 'Could not change the ticket'),
  });
  const readOnly = !can('tickets:write');
  return (
    <Stack gap="xs">
      <Select
        label="Status"
        size="xs"
        disabled={readOnly}
        data={ticketStatuses.map((s) => ({ value: s, label: statusLabels[s] }))}
        value={ticket.status}
        onChange={(v) => v && patch.mutate({ status: v })}
        allowDeselect={false}
      />
      <Select
        label="Priority"
        size="xs"
        disabled={readOnly}
        data={ticketPriorities.map((p) => ({ value: p, label: p[0]?.toUpperCase() + p.slice(1) }))}
        value={ticket.priority}
        onChange={(v) => v && patch.mutate({ priority: v })}
        allowDeselect={false}
      />
      <Select
        label="Type"
        size="xs"
        disabled={readOnly}
        data={
          ticketTypes.some((t) => t.value === ticket.type)
            ? ticketTypes
            : [...ticketTypes, { value: ticket.type, label: ticket.type }]
        }
        value={ticket.type}
        onChange={(v) => v && patch.mutate({ type: v })}
        allowDeselect={false}
      />
      <Select
        label="Assignee"
        size="xs"
        disabled={readOnly}
        clearable
        searchable
        placeholder="Unassigned"
        data={(users.data?.data ?? []).map((u) => ({ value: u.id, label: u.name }))}
        value={ticket.assigneeId}
        onChange={(v) => patch.mutate({ assigneeId: v })}
      />
      <Select
        label="Team"
        size="xs"
        disabled={readOnly}
        clearable
        placeholder="No team"
        data={(teams.data?.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
        value={ticket.teamId}
        onChange={(v) => patch.mutate({ teamId: v })}
      />
      <TagsInput
        label="Tags"
        size="xs"
        disabled={readOnly}
        value={ticket.tags}
        onChange={(tags) => patch.mutate({ tags })}
      />
      {(fields.data ?? [])
        .filter((d) => !d.archived)
        .map((d) => (
          <EditableCustomField
            key={d.id}
            def={d}
            value={ticket.custom[d.key]}
            save={saveCustom}
            readOnly={readOnly}
            stacked
          />
        ))}
    </Stack>
  );
}

function SlaPanel({ ticket }: { ticket: Ticket }) {
  if (!ticket.sla.length)
    return (
      <Text fz="xs" c="dimmed">
        No SLA policy applies to this ticket.
      </Text>
    );
  return (
    <Stack gap={4}>
      {ticket.sla.map((m) => {
        const d = m.dueAt ? dueText(m.dueAt) : null;
        return (
          <Group key={m.metric} justify="space-between" fz="xs" wrap="nowrap">
            <Text fz="xs">{m.metric.replace('_', ' ')}</Text>
            <Badge
              size="xs"
              variant="light"
              color={
                m.state === 'met' ? 'teal' : m.state === 'breached' ? 'red' : m.state === 'paused' ? 'gray' : 'blue'
              }
            >
              {m.state === 'running' && d ? d.text : m.state}
            </Badge>
          </Group>
        );
      })}
    </Stack>
  );
}

function TicketView({ id, details }: { id: string; details: DetailsPane }) {
  const qc = useQueryClient();
  const can = useCan();
  const [merging, setMerging] = useState(false);
  const [loggingCall, setLoggingCall] = useState(false);
  const [splitting, setSplitting] = useState<Message | null>(null);
  const ticket = useTicket(id);
  const users = useAllUsers();
  const me = useMe();
  const bottom = useRef<HTMLDivElement>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: ticketKeys.all });
  const count = ticket.data?.messages.length ?? 0;
  useEffect(() => {
    bottom.current?.scrollIntoView({ block: 'end' });
  }, [id, count]);
  const live = useLiveInbox();
  const lastInbound = [...(ticket.data?.messages ?? [])].reverse().find((m) => m.direction === 'inbound')?.id;
  const isChat = ticket.data?.channel === 'chat';
  const { sendRead, connected } = live;
  useEffect(() => {
    // The agent has this chat open: the visitor sees their messages were read.
    if (isChat && lastInbound && connected) sendRead(id, lastInbound);
  }, [id, isChat, lastInbound, connected, sendRead]);
  const solve = useMutation({
    mutationFn: () => api<Ticket>(`/tickets/${id}`, { method: 'PATCH', body: { status: 'solved' } }),
    onSuccess: () => {
      notifySuccess('Solved');
      refresh();
    },
    onError: (e) => notifyError(e, 'Could not solve'),
  });
  const assignMe = useMutation({
    mutationFn: () => api<Ticket>(`/tickets/${id}`, { method: 'PATCH', body: { assigneeId: me.user?.id } }),
    onSuccess: refresh,
    onError: (e) => notifyError(e, 'Could not assign'),
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (ignoreKey(e)) return;
      if (e.key === inboxKeys.solve.key) solve.mutate();
      if (e.key === inboxKeys.take.key) assignMe.mutate();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [solve, assignMe]);
  if (ticket.isPending) return <Loader m="xl" aria-label="Loading ticket" />;
  if (ticket.isError) return <Alert color="red">{(ticket.error as Error).message}</Alert>;
  const t = ticket.data;
  const userName = (uid: string | null) => (users.data?.data ?? []).find((u) => u.id === uid)?.name ?? 'Agent';
  const authorName = (m: Message) =>
    m.direction === 'inbound' ? (ticket.data?.person?.displayName ?? 'Customer') : userName(m.authorId);
  return (
    <Group align="stretch" gap={0} wrap="nowrap" h="100%" pos="relative">
      <Stack gap={0} style={{ flex: 1, minWidth: 0 }} data-testid="conversation-pane">
        <Group justify="space-between" wrap="nowrap" px="md" pt="md" pb="xs" gap="xs">
          <Box style={{ minWidth: 0 }}>
            {/* Two lines at most, so a long subject leaves the conversation its room; the whole of it on hover. */}
            <Title order={3} fz="lg" lineClamp={2} title={t.subject} style={{ overflowWrap: 'anywhere' }}>
              {t.subject}
            </Title>
            <Group gap={6} mt={2}>
              <Text fz="xs" c="dimmed">
                #{t.number} · {channelLabels[t.channel]} · opened {relativeTime(t.createdAt)}
              </Text>
              <Badge size="xs" variant="light" color={statusColors[t.status]}>
                {statusLabels[t.status]}
              </Badge>
              {t.mergedIntoId && (
                <Anchor component={Link} to={`/inbox/${t.mergedIntoId}`} fz="xs">
                  merged into another ticket
                </Anchor>
              )}
            </Group>
          </Box>
          <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
            <Tooltip label={`Assign to me (${inboxKeys.take.label.join(' ')})`}>
              <Button
                size="xs"
                variant="default"
                onClick={() => assignMe.mutate()}
                disabled={t.assigneeId === me.user?.id}
              >
                Take it
              </Button>
            </Tooltip>
            <Tooltip label={`Solve (${inboxKeys.solve.label.join(' ')})`}>
              <Button
                size="xs"
                variant="light"
                color="teal"
                onClick={() => solve.mutate()}
                disabled={t.status === 'solved'}
              >
                Solve
              </Button>
            </Tooltip>
            {can('tickets:write') && !t.mergedIntoId && (
              <Menu position="bottom-end">
                <Menu.Target>
                  <ActionIcon variant="default" size={30} aria-label="More ticket actions">
                    <IconDots size={17} />
                  </ActionIcon>
                </Menu.Target>
                <Menu.Dropdown>
                  {t.status !== 'closed' && t.personId && (
                    <Menu.Item leftSection={<IconPhone size={14} />} onClick={() => setLoggingCall(true)}>
                      Log a call…
                    </Menu.Item>
                  )}
                  <Menu.Item leftSection={<IconGitMerge size={14} />} onClick={() => setMerging(true)}>
                    Merge this customer&apos;s tickets into this one…
                  </Menu.Item>
                </Menu.Dropdown>
              </Menu>
            )}
            <Tooltip label={details.shown ? 'Hide customer and ticket details' : 'Show customer and ticket details'}>
              <ActionIcon
                variant={details.shown ? 'light' : 'default'}
                size={30}
                onClick={details.toggle}
                aria-label={details.shown ? 'Hide ticket details' : 'Show ticket details'}
                aria-expanded={details.shown}
                aria-controls="ticket-details"
                data-testid="details-toggle"
              >
                {details.shown ? (
                  <IconLayoutSidebarRightCollapse size={17} />
                ) : (
                  <IconLayoutSidebarRightExpand size={17} />
                )}
              </ActionIcon>
            </Tooltip>
          </Group>
        </Group>
        {/* The messages scroll; the composer stays in view below them (a short screen keeps the reply box visible). */}
        <Box px="md" py="xs" style={{ flex: 1, minHeight: 0, overflowY: 'auto' }} data-testid="messages-pane">
          <Stack gap="sm">
            <EarlierMessages key={t.id} ticket={t} authorName={authorName} />
            {t.messages.map((m) => (
              <MessageBubble
                key={m.id}
                m={m}
                authorName={authorName(m)}
                // A ticket keeps at least one message: splitting needs two.
                onSplit={
                  can('tickets:write') && !t.mergedIntoId && (t.messages.length > 1 || t.olderMessages)
                    ? () => setSplitting(m)
                    : undefined
                }
              />
            ))}
            {t.channel === 'chat' && <ChatPresence ticket={t} />}
            <div ref={bottom} />
          </Stack>
        </Box>
        {!t.mergedIntoId && (
          <Box px="md" pb="md" pt="xs" style={{ flexShrink: 0, maxHeight: '60%', overflowY: 'auto' }}>
            <Composer ticket={t} onSent={refresh} />
          </Box>
        )}
        <MergeTicketsModal ticket={t} opened={merging} onClose={() => setMerging(false)} />
        <LogCallModal ticket={t} opened={loggingCall} onClose={() => setLoggingCall(false)} />
        <SplitMessageModal ticket={t} message={splitting} onClose={() => setSplitting(null)} />
      </Stack>
      {details.shown && (
        <Box
          id="ticket-details"
          w={details.width}
          p="md"
          data-testid="ticket-details"
          data-overlay={details.overlay || undefined}
          className={details.overlay ? 'rapport-details-overlay' : undefined}
          style={{ borderLeft: '1px solid var(--mantine-color-default-border)', overflow: 'auto', flexShrink: 0 }}
        >
          <Stack gap="md">
            <Box>
              <Text fz="xs" fw={600} c="dimmed" tt="uppercase" mb={4}>
                Customer
              </Text>
              {t.person ? (
                <Stack gap={2}>
                  <Anchor component={Link} to={`/people/${t.person.id}`} fw={600}>
                    {t.person.displayName}
                  </Anchor>
                  {t.person.emails.slice(0, 2).map((e) => (
                    <Text key={e} fz="xs">
                      {e}
                    </Text>
                  ))}
                  {t.person.phones.slice(0, 1).map((p) => (
                    <Text key={p} fz="xs">
                      {p}
                    </Text>
                  ))}
                  <Group gap={4}>
                    <Badge size="xs" variant="light">
                      {t.person.stage}
                    </Badge>
                    {t.person.tags.slice(0, 4).map((tag) => (
                      <Badge key={tag} size="xs" variant="outline" color="gray">
                        {tag}
                      </Badge>
                    ))}
                  </Group>
                </Stack>
              ) : (
                <Text fz="xs" c="dimmed">
                  Unknown sender
                </Text>
              )}
            </Box>
            <Box>
              <Text fz="xs" fw={600} c="dimmed" tt="uppercase" mb={4}>
                SLA
              </Text>
              <SlaPanel ticket={t} />
            </Box>
            <ChecklistPanel ticketId={t.id} />
            <TicketFields ticket={t} onChanged={refresh} />
          </Stack>
        </Box>
      )}
    </Group>
  );
}

const emptyNewTicket = {
  email: '',
  phone: '',
  name: '',
  subject: '',
  text: '',
  channel: 'phone',
  priority: 'normal',
};

function NewTicketModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const fields = useCustomFields('ticket');
  const [custom, setCustom] = useState<Record<string, unknown>>({});
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [v, setV] = useState(emptyNewTicket);
  const { call, change: changeCall, reset: resetCall } = useCallDraft(opened);
  const logsCall = v.channel === 'phone';
  const clearProblem = (key: string) =>
    setProblems((p) => {
      if (!(key in p)) return p;
      const next = { ...p };
      delete next[key];
      return next;
    });
  const create = useMutation({
    mutationFn: () =>
      api<Ticket>('/tickets', {
        method: 'POST',
        body: {
          subject: v.subject,
          requester: {
            ...(v.email.trim() ? { email: v.email.trim() } : {}),
            ...(v.phone.trim() ? { phone: v.phone.trim() } : {}),
            ...(v.name.trim() ? { name: v.name.trim() } : {}),
          },
          text: v.text,
          channel: v.channel,
          priority: v.priority,
          ...(logsCall ? { call: callBody(call) } : {}),
          custom: Object.fromEntries(
            Object.entries(custom).filter(([, x]) => x !== '' && x !== null && !(Array.isArray(x) && !x.length)),
          ),
        },
      }),
    onSuccess: (t) => {
      notifySuccess(`Ticket #${t.number} opened`);
      // The next ticket is another customer's: the form starts empty again.
      setV(emptyNewTicket);
      setCustom({});
      setProblems({});
      resetCall();
      void qc.invalidateQueries({ queryKey: ticketKeys.all });
      onClose();
      navigate(`/inbox/${t.id}`);
    },
    onError: (e) => {
      const p = refusedFields(e);
      const shown = (key: string) => shownFields.has(key) || key.startsWith('custom.') || (logsCall && key === 'call');
      // Refusals of fields the form shows appear next to them; anything else as a notification.
      if (!Object.keys(p).length || !Object.keys(p).every(shown)) notifyError(e, 'Could not open the ticket');
      setProblems(p);
    },
  });
  const submit = () => {
    const found = logsCall ? callProblems(call) : {};
    setProblems(found);
    if (!Object.keys(found).length) create.mutate();
  };
  const set = (k: keyof typeof v) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    const value = e.currentTarget.value;
    setV((x) => ({ ...x, [k]: value }));
    clearProblem(k);
  };
  const setCallField = (field: keyof CallDraft, value: string) => {
    changeCall(field, value);
    for (const key of callProblemKeys(field)) clearProblem(key);
  };
  return (
    <Modal opened={opened} onClose={onClose} title="New ticket" size="lg">
      <Stack gap="sm">
        <Text fz="xs" c="dimmed">
          Log a call or a request made in person. The customer is found by e-mail or phone, or added.
        </Text>
        <Group grow align="flex-start">
          <TextInput label="Customer e-mail" value={v.email} onChange={set('email')} error={problems.email} />
          <TextInput label="or phone" value={v.phone} onChange={set('phone')} error={problems.phone} />
        </Group>
        <TextInput label="Name" value={v.name} onChange={set('name')} error={problems.name} />
        <TextInput label="Subject" required value={v.subject} onChange={set('subject')} error={problems.subject} />
        <Group grow>
          <Select
            label="Channel"
            data={[
              { value: 'phone', label: 'Phone call' },
              { value: 'email', label: 'E-mail' },
              { value: 'api', label: 'Other' },
            ]}
            value={v.channel}
            onChange={(c) => c && setV((x) => ({ ...x, channel: c }))}
            allowDeselect={false}
          />
          <Select
            label="Priority"
            data={ticketPriorities.map((p) => ({ value: p, label: p[0]?.toUpperCase() + p.slice(1) }))}
            value={v.priority}
            onChange={(p) => p && setV((x) => ({ ...x, priority: p }))}
            allowDeselect={false}
          />
        </Group>
        {logsCall && <CallFields call={call} problems={problems} onChange={setCallField} />}
        <Textarea
          label="What the customer said"
          description={logsCall ? 'Your notes on the call: the ticket’s first message' : undefined}
          autosize
          minRows={3}
          value={v.text}
          onChange={set('text')}
          error={problems.text}
        />
        {(fields.data ?? [])
          .filter((d) => !d.archived)
          .map((d) => (
            <CustomFieldInput
              key={d.id}
              def={d}
              label={d.label}
              size="sm"
              value={custom[d.key]}
              error={problems[`custom.${d.key}`]}
              onChange={(x) => {
                setCustom((c) => ({ ...c, [d.key]: x }));
                clearProblem(`custom.${d.key}`);
              }}
            />
          ))}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={submit}
            loading={create.isPending}
            disabled={!v.subject.trim() || (!v.email.trim() && !v.phone.trim())}
          >
            Open ticket
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** The fields of the "New ticket" form a refusal can be shown next to (besides custom fields and the call). */
const shownFields = new Set([
  'email',
  'phone',
  'name',
  'subject',
  'text',
  'call.startedAt',
  'call.durationSeconds',
  'call.outcome',
  'call.recordingUrl',
]);

type DetailsPreference = 'auto' | 'shown' | 'hidden';

/** The ticket's right-hand pane (customer, SLA, checklist, fields) as the conversation shows it. */
type DetailsPane = { shown: boolean; overlay: boolean; width: number; toggle: () => void };

/** The conversation never gets narrower than this beside the details pane; below it the pane floats over it. */
export const minConversationWidth = 360;
/** Unless the agent chose, the details pane shows when the conversation keeps at least this much beside it. */
export const comfortableConversationWidth = 480;

/**
 * Pane widths for the width the inbox has (the window less the console's navigation): queues as a named list from
 * 1280 px (a 1512 px window), else as a rail of icons with counts; the ticket list between 272 and 340 px; the
 * details pane shown when the conversation keeps a comfortable width beside it, or when the agent asked for it.
 */
export function inboxLayout(width: number, pref: DetailsPreference) {
  const compactQueues = width < 1280;
  const queues = compactQueues ? 56 : 232;
  const list = Math.round(Math.min(340, Math.max(272, width * 0.26)));
  const details = width >= 1500 ? 280 : 256;
  const beside = width - queues - list - details;
  const detailsShown = pref === 'auto' ? beside >= comfortableConversationWidth : pref === 'shown';
  return {
    compactQueues,
    queues,
    list,
    details,
    detailsShown,
    detailsOverlay: detailsShown && beside < minConversationWidth,
  };
}

export function InboxPage() {
  return (
    <LiveInboxProvider>
      <Inbox />
    </LiveInboxProvider>
  );
}

function Inbox() {
  const { ticketId } = useParams();
  const navigate = useNavigate();
  const can = useCan();
  const [queue, setQueue] = useState<Queue>(
    () => (localStorage.getItem('rapport.inbox.queue') as Queue | null) ?? 'open',
  );
  const [q, setQ] = useState('');
  const [creating, setCreating] = useState(false);
  // Team, assignee, status, priority and channel within the queue; kept like the queue for the next visit.
  const [filters, setFilters] = useLocalStorage<InboxFilterValues>({
    key: 'rapport.inbox.filters',
    defaultValue: {},
  });
  const filterParams = inboxFilterParams(filters);
  const list = useTickets({
    queue,
    q: q.trim() || undefined,
    ...(filterParams.length ? { filter: filterParams } : {}),
  });
  const rows = useMemo(() => list.data?.data ?? [], [list.data]);
  const customerNames = usePersonNames(rows.map((t) => t.personId));
  // Tickets ticked for a change to several at once; a new queue or search starts a new selection.
  const [chosen, setChosen] = useState<string[]>([]);
  const canWrite = can('tickets:write');
  const filterKey = filterParams.join(',');
  useEffect(() => setChosen([]), [queue, q, filterKey]);
  const changeQueue = (next: Queue) => {
    setQueue(next);
    localStorage.setItem('rapport.inbox.queue', next);
  };
  const { ref, width } = useElementSize<HTMLDivElement>();
  const [detailsPref, setDetailsPref] = useLocalStorage<DetailsPreference>({
    key: 'rapport.inbox.details',
    defaultValue: 'auto',
  });
  // Before the first measurement: the window less the console's navigation.
  const layout = inboxLayout(width || window.innerWidth - 232, detailsPref);
  const details: DetailsPane = {
    shown: layout.detailsShown,
    overlay: layout.detailsOverlay,
    width: layout.details,
    toggle: () => setDetailsPref(layout.detailsShown ? 'hidden' : 'shown'),
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (ignoreKey(e)) return;
      if (e.key === inboxKeys.select.key && ticketId && canWrite && rows.some((r) => r.id === ticketId)) {
        setChosen((c) => (c.includes(ticketId) ? c.filter((id) => id !== ticketId) : [...c, ticketId]));
        return;
      }
      if (e.key !== inboxKeys.next.key && e.key !== inboxKeys.previous.key) return;
      const i = rows.findIndex((r) => r.id === ticketId);
      const next = e.key === inboxKeys.next.key ? rows[Math.min(rows.length - 1, i + 1)] : rows[Math.max(0, i - 1)];
      if (next) navigate(`/inbox/${next.id}`);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rows, ticketId, navigate, canWrite]);

  return (
    <Group
      ref={ref}
      align="stretch"
      gap={0}
      wrap="nowrap"
      h="calc(100vh - 52px)"
      data-testid="inbox-page"
      data-layout={layout.compactQueues ? 'compact' : 'wide'}
    >
      <Box
        w={layout.queues}
        style={{ borderRight: '1px solid var(--mantine-color-default-border)', flexShrink: 0, overflowY: 'auto' }}
      >
        {layout.compactQueues ? (
          <Stack gap={4} align="center" pt="sm">
            <VisuallyHidden>
              <Title order={2}>Inbox</Title>
            </VisuallyHidden>
            {can('tickets:write') && (
              <Tooltip label="New ticket (a call, a walk-in)" position="right">
                <ActionIcon variant="light" onClick={() => setCreating(true)} aria-label="New ticket">
                  <IconPlus size={16} />
                </ActionIcon>
              </Tooltip>
            )}
          </Stack>
        ) : (
          <Group justify="space-between" px="sm" pt="sm">
            <Title order={2} fz="md">
              Inbox
            </Title>
            {can('tickets:write') && (
              <Tooltip label="New ticket (a call, a walk-in)">
                <ActionIcon variant="light" onClick={() => setCreating(true)} aria-label="New ticket">
                  <IconPlus size={16} />
                </ActionIcon>
              </Tooltip>
            )}
          </Group>
        )}
        <QueueNav queue={queue} onChange={changeQueue} compact={layout.compactQueues} />
      </Box>
      <Box
        w={layout.list}
        style={{
          borderRight: '1px solid var(--mantine-color-default-border)',
          flexShrink: 0,
          display: 'flex',
          flexDirection: 'column',
        }}
        data-testid="ticket-list-pane"
      >
        <Box p="xs">
          <TextInput
            size="xs"
            placeholder="#number, subject or customer"
            aria-label="Search tickets"
            leftSection={<IconSearch size={14} />}
            value={q}
            onChange={(e) => setQ(e.currentTarget.value)}
          />
          <Group justify="space-between" wrap="nowrap" gap={4} mt={6}>
            {layout.compactQueues ? (
              <Text fz="xs" fw={600} c="dimmed" px={2} data-testid="current-queue" truncate>
                {queueLabels[queue]}
              </Text>
            ) : (
              <span />
            )}
            <InboxFilters value={filters} onChange={setFilters} />
          </Group>
        </Box>
        {chosen.length > 0 && (
          <TicketBulkBar
            chosen={chosen}
            pageIds={rows.map((t) => t.id)}
            onChoose={setChosen}
            onDone={() => setChosen([])}
          />
        )}
        <ScrollArea style={{ flex: 1, minHeight: 0 }}>
          {list.isPending ? (
            <Loader m="md" size="sm" aria-label="Loading tickets" />
          ) : rows.length ? (
            rows.map((t) => (
              <TicketRow
                key={t.id}
                t={t}
                customer={t.personId ? customerNames.get(t.personId) : undefined}
                selected={t.id === ticketId}
                onOpen={() => navigate(`/inbox/${t.id}`)}
                {...(canWrite
                  ? {
                      chosen: chosen.includes(t.id),
                      onChoose: (on: boolean) => setChosen((c) => (on ? [...c, t.id] : c.filter((id) => id !== t.id))),
                    }
                  : {})}
              />
            ))
          ) : (
            <Text fz="sm" c="dimmed" p="md">
              {q ? 'No ticket matches' : `Nothing in “${queueLabels[queue]}”`}
              {activeFilterCount(filters) ? ' with these filters.' : '.'}
              {activeFilterCount(filters) > 0 && (
                <Button size="compact-xs" variant="subtle" ml={4} onClick={() => setFilters({})}>
                  Clear filters
                </Button>
              )}
            </Text>
          )}
        </ScrollArea>
      </Box>
      <Box style={{ flex: 1, minWidth: 0 }}>
        {ticketId ? (
          <TicketView id={ticketId} details={details} />
        ) : (
          <Empty
            icon={<IconInbox size={28} />}
            title="Pick a ticket"
            description={`Customer e-mails, live chats, calls and API messages land here. Use ${inboxKeys.next.label.join(' ')} and ${inboxKeys.previous.label.join(' ')} to move, ${inboxKeys.reply.label.join(' ')} to reply, ${inboxKeys.solve.label.join(' ')} to solve, ${inboxKeys.take.label.join(' ')} to take a ticket (? lists every key). Add an e-mail channel in Settings → Channels to receive mail.`}
          />
        )}
      </Box>
      <NewTicketModal opened={creating} onClose={() => setCreating(false)} />
    </Group>
  );
}
