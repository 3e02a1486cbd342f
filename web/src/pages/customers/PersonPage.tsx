import { useEffect, useState } from 'react';
import {
  ActionIcon,
  Anchor,
  Avatar,
  Badge,
  Breadcrumbs,
  Button,
  Card,
  Collapse,
  Grid,
  Group,
  Kbd,
  Menu,
  Popover,
  Select,
  Skeleton,
  Stack,
  Table,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import {
  IconArrowRight,
  IconBuilding,
  IconDots,
  IconMail,
  IconPencil,
  IconPhone,
  IconTrash,
  IconUnlink,
  IconUserQuestion,
} from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiError } from '../../api/client.ts';
import {
  customerKeys,
  useCustomFields,
  usePerson,
  useStages,
  type Company,
  type ConsentRecord,
  type ConsentState,
  type ListPage,
  type Note,
  type Person,
} from '../../api/customers.ts';
import { useAllUsers, useCan } from '../../api/queries.ts';
import type { EventEntry } from '../../api/types.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { Empty } from '../../components/Empty.tsx';
import { useNames } from '../../components/useNames.ts';
import {
  consentChannels,
  consentPurposes,
  consentSourceLabel,
  consentSources,
  stageLabel,
  timelineTypes,
} from '../../lib/customers.ts';
import { actorName } from '../../lib/events.ts';
import { formatDate, formatDateTime, initials, relativeTime } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { StageBadge } from './cells.tsx';
import { AddressFields, EditableCustomField, EditableField, SectionTitle, type Save } from './fields.tsx';
import { PersonTickets } from './PersonTickets.tsx';
import { Timeline } from './Timeline.tsx';
import { PersonOrders } from '../commerce/PersonOrders.tsx';
import { PersonPredictions } from '../predictions/PersonPredictions.tsx';
import { ignoreKey, personKeys } from '../../shell/keymap.ts';

function useInvalidatePerson(id: string) {
  const qc = useQueryClient();
  return () => {
    void qc.invalidateQueries({ queryKey: customerKeys.person(id) });
    void qc.invalidateQueries({ queryKey: [...customerKeys.timeline, id] });
    void qc.invalidateQueries({ queryKey: ['people', 'stage-history', id] });
    void qc.invalidateQueries({ queryKey: ['people', 'list'] });
  };
}

function StagePicker({ person, canWrite }: { person: Person; canWrite: boolean }) {
  const stages = useStages();
  const [opened, setOpened] = useState(false);
  const [stage, setStage] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const invalidate = useInvalidatePerson(person.id);
  const move = useMutation({
    mutationFn: () =>
      api<Person>(`/people/${person.id}/stage`, {
        method: 'POST',
        body: { stage, reason: reason.trim() || undefined },
      }),
    onSuccess: (p) => {
      notifySuccess(`${p.name} is now ${stageLabel(p.stage).toLowerCase()}`);
      setOpened(false);
      setReason('');
      invalidate();
    },
    onError: (e) => notifyError(e, 'Could not change the stage'),
  });
  // "s" opens the picker, like in the lists.
  useEffect(() => {
    if (!canWrite) return;
    function onKey(e: KeyboardEvent) {
      if (e.key !== personKeys.stage.key || ignoreKey(e)) return;
      e.preventDefault();
      setOpened(true);
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [canWrite]);
  useEffect(() => {
    if (opened) setStage(stages.find((s) => s.key !== person.stage)?.key ?? null);
  }, [opened, person.stage, stages]);
  return (
    <Popover opened={opened} onChange={setOpened} width={320} position="bottom-start" shadow="md" trapFocus>
      <Popover.Target>
        <UnstyledButton
          onClick={() => canWrite && setOpened((o) => !o)}
          aria-label="Change stage"
          data-testid="stage-button"
          disabled={!canWrite}
        >
          <Tooltip label={canWrite ? 'Change stage (s)' : stageLabel(person.stage)} disabled={opened}>
            <span>
              <StageBadge stage={person.stage} days={person.daysInStage} size="md" />
            </span>
          </Tooltip>
        </UnstyledButton>
      </Popover.Target>
      <Popover.Dropdown>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (stage && stage !== person.stage) move.mutate();
          }}
          data-testid="stage-form"
        >
          <Stack gap="xs">
            <Text fz="sm" fw={600}>
              Move from {stageLabel(person.stage)} to…
            </Text>
            <Select
              size="xs"
              aria-label="New stage"
              data={stages.map((s) => ({ value: s.key, label: s.label, disabled: s.key === person.stage }))}
              value={stage}
              onChange={setStage}
              allowDeselect={false}
              comboboxProps={{ withinPortal: false }}
              data-testid="stage-select"
            />
            <Textarea
              size="xs"
              label="Why?"
              description="Kept in the stage history"
              placeholder="Signed the annual plan"
              autosize
              minRows={2}
              value={reason}
              onChange={(e) => setReason(e.currentTarget.value)}
              data-autofocus
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) e.currentTarget.form?.requestSubmit();
              }}
            />
            <Button size="xs" type="submit" loading={move.isPending} disabled={!stage || stage === person.stage}>
              Move to {stage ? stageLabel(stage) : '…'}
            </Button>
          </Stack>
        </form>
      </Popover.Dropdown>
    </Popover>
  );
}

function StageHistory({ person, canWrite }: { person: Person; canWrite: boolean }) {
  const stages = useStages();
  const names = useNames();
  const q = useQuery({
    queryKey: ['people', 'stage-history', person.id],
    queryFn: () => api<{ data: EventEntry[] }>(`/people/${person.id}/stage-history`),
  });
  const [all, setAll] = useState(false);
  const rows = q.data?.data ?? [];
  const shown = all ? rows : rows.slice(0, 4);
  return (
    <Card withBorder padding="md" data-testid="stage-history">
      <SectionTitle
        right={
          canWrite && (
            <Text fz="xs" c="dimmed">
              Click the stage badge or press <Kbd size="xs">s</Kbd> to move them
            </Text>
          )
        }
      >
        Lifecycle
      </SectionTitle>
      <Group gap={4} mb="sm" wrap="nowrap">
        {stages.map((s, i) => {
          const current = s.key === person.stage;
          return (
            <Group key={s.key} gap={4} wrap="nowrap" style={{ flex: 1 }}>
              <Badge
                fullWidth
                size="sm"
                tt="none"
                variant={current ? 'filled' : 'light'}
                color={current ? s.color : 'gray'}
                style={{ opacity: current ? 1 : 0.65 }}
              >
                {s.label}
              </Badge>
              {i < stages.length - 1 && <IconArrowRight size={10} style={{ flexShrink: 0, opacity: 0.4 }} />}
            </Group>
          );
        })}
      </Group>
      <Text fz="xs" c="dimmed" mb={6}>
        {stageLabel(person.stage)} for{' '}
        {person.daysInStage === 0
          ? 'less than a day'
          : `${person.daysInStage} ${person.daysInStage === 1 ? 'day' : 'days'}`}
        , since {formatDate(person.stageChangedAt)}
      </Text>
      {q.isPending ? (
        <Skeleton h={40} />
      ) : rows.length === 0 ? (
        <Text fz="sm" c="dimmed">
          No stage changes yet. Press <Kbd size="xs">s</Kbd> to move them along.
        </Text>
      ) : (
        <Stack gap={0}>
          {shown.map((e) => (
            <Group
              key={e.id}
              gap="xs"
              py={5}
              wrap="nowrap"
              align="flex-start"
              className="rapport-feed-item"
              data-testid="stage-history-item"
            >
              <Text fz="sm" style={{ flex: 1 }}>
                <b>{stageLabel(String(e.payload.from ?? ''))}</b> → <b>{stageLabel(String(e.payload.to ?? ''))}</b>
                <Text span fz="xs" c="dimmed">
                  {' '}
                  by {actorName(e, names)}
                  {typeof e.payload.daysInPreviousStage === 'number' && ` after ${e.payload.daysInPreviousStage}d`}
                </Text>
                {typeof e.payload.reason === 'string' && e.payload.reason && (
                  <Text fz="xs" c="dimmed">
                    “{e.payload.reason}”
                  </Text>
                )}
              </Text>
              <Tooltip label={formatDateTime(e.occurredAt)}>
                <Text fz="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                  {relativeTime(e.occurredAt)}
                </Text>
              </Tooltip>
            </Group>
          ))}
          {rows.length > 4 && (
            <Button size="compact-xs" variant="subtle" onClick={() => setAll((a) => !a)} mt={4}>
              {all ? 'Show fewer' : `Show all ${rows.length}`}
            </Button>
          )}
        </Stack>
      )}
    </Card>
  );
}

function ConsentCell(props: {
  person: Person;
  channel: { key: string; label: string };
  purpose: { key: string; label: string };
  state: ConsentState | undefined;
  canWrite: boolean;
  onSaved: () => void;
}) {
  const [opened, setOpened] = useState(false);
  const [source, setSource] = useState<string>('console');
  const [note, setNote] = useState('');
  const record = useMutation({
    mutationFn: (status: ConsentState) =>
      api<ConsentRecord>(`/people/${props.person.id}/consent`, {
        method: 'POST',
        body: {
          channel: props.channel.key,
          purpose: props.purpose.key,
          status,
          source,
          ...(note.trim() ? { proof: { note: note.trim() } } : {}),
        },
      }),
    onSuccess: (r) => {
      notifySuccess(`${props.channel.label} ${props.purpose.label.toLowerCase()}: ${r.status}`);
      setOpened(false);
      setNote('');
      props.onSaved();
    },
    onError: (e) => notifyError(e, 'Could not record the consent'),
  });
  const badge =
    props.state === 'granted' ? (
      <Badge size="sm" color="teal" variant="light" fullWidth tt="none">
        Granted
      </Badge>
    ) : props.state === 'withdrawn' ? (
      <Badge size="sm" color="red" variant="light" fullWidth tt="none">
        Withdrawn
      </Badge>
    ) : (
      <Badge size="sm" color="gray" variant="outline" fullWidth tt="none" style={{ opacity: 0.7 }}>
        Not asked
      </Badge>
    );
  if (!props.canWrite) return badge;
  return (
    <Popover opened={opened} onChange={setOpened} width={280} shadow="md" trapFocus position="bottom">
      <Popover.Target>
        <UnstyledButton
          w="100%"
          onClick={() => setOpened((o) => !o)}
          aria-label={`${props.channel.label} ${props.purpose.label} consent: ${props.state ?? 'not asked'}`}
          data-testid={`consent-${props.channel.key}-${props.purpose.key}`}
        >
          {badge}
        </UnstyledButton>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack gap="xs">
          <Text fz="sm" fw={600}>
            {props.channel.label} for {props.purpose.label.toLowerCase()}
          </Text>
          <Select
            size="xs"
            label="How did they say so?"
            data={consentSources.filter((s) => s.value !== 'merge')}
            value={source}
            onChange={(v) => v && setSource(v)}
            allowDeselect={false}
            comboboxProps={{ withinPortal: false }}
          />
          <TextInput
            size="xs"
            label="Proof"
            placeholder="Call on 3 March, ticket #4411"
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
            data-autofocus
          />
          <Group grow gap="xs">
            <Button
              size="xs"
              color="teal"
              loading={record.isPending && record.variables === 'granted'}
              onClick={() => record.mutate('granted')}
              disabled={props.state === 'granted'}
            >
              Grant
            </Button>
            <Button
              size="xs"
              color="red"
              variant="light"
              loading={record.isPending && record.variables === 'withdrawn'}
              onClick={() => record.mutate('withdrawn')}
              disabled={props.state === 'withdrawn'}
            >
              Withdraw
            </Button>
          </Group>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}

function ConsentSection({ person }: { person: Person }) {
  const can = useCan();
  const names = useNames();
  const qc = useQueryClient();
  const invalidate = useInvalidatePerson(person.id);
  const [showLedger, setShowLedger] = useState(false);
  const q = useQuery({
    queryKey: ['people', 'consent', person.id],
    queryFn: () =>
      api<{ current: Record<string, ConsentState>; ledger: ConsentRecord[] }>(`/people/${person.id}/consent`),
  });
  const current = q.data?.current ?? person.consent;
  const ledger = q.data?.ledger ?? [];
  return (
    <Card withBorder padding="md" data-testid="consent-section">
      <SectionTitle
        right={
          <Button
            size="compact-xs"
            variant="subtle"
            onClick={() => setShowLedger((s) => !s)}
            data-testid="toggle-ledger"
          >
            {showLedger ? 'Hide ledger' : `Ledger (${ledger.length})`}
          </Button>
        }
      >
        Consent
      </SectionTitle>
      <Table withRowBorders={false} verticalSpacing={3} horizontalSpacing={4} layout="fixed">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={64} />
            {consentPurposes.map((p) => (
              <Table.Th key={p.key} fz="xs" c="dimmed" fw={500} ta="center">
                {p.label}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {consentChannels.map((c) => (
            <Table.Tr key={c.key}>
              <Table.Td fz="sm">{c.label}</Table.Td>
              {consentPurposes.map((p) => (
                <Table.Td key={p.key}>
                  <ConsentCell
                    person={person}
                    channel={c}
                    purpose={p}
                    state={current[`${c.key}:${p.key}`]}
                    canWrite={can('customers:write')}
                    onSaved={() => {
                      void qc.invalidateQueries({ queryKey: ['people', 'consent', person.id] });
                      invalidate();
                    }}
                  />
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Collapse expanded={showLedger}>
        <Stack gap={0} mt="sm" data-testid="consent-ledger">
          {ledger.length === 0 && (
            <Text fz="xs" c="dimmed">
              Nothing recorded yet. Click a cell to record a grant or a withdrawal, with where it came from.
            </Text>
          )}
          {ledger.map((r) => (
            <Group key={r.id} gap="xs" py={4} wrap="nowrap" className="rapport-feed-item" align="flex-start">
              <Badge size="xs" variant="light" color={r.status === 'granted' ? 'teal' : 'red'} w={72} tt="none">
                {r.status}
              </Badge>
              <Text fz="xs" style={{ flex: 1 }}>
                {consentChannels.find((c) => c.key === r.channel)?.label} · {r.purpose} · {consentSourceLabel(r.source)}
                {typeof r.proof.note === 'string' && (
                  <Text span fz="xs" c="dimmed">
                    {' '}
                    — {r.proof.note}
                  </Text>
                )}
                <Text span fz="xs" c="dimmed">
                  {' '}
                  ·{' '}
                  {r.actorType === 'system'
                    ? 'Rapport'
                    : r.actorId
                      ? (names.user(r.actorId) ?? names.apiKey(r.actorId) ?? 'someone')
                      : 'the customer'}
                </Text>
              </Text>
              <Tooltip label={formatDateTime(r.recordedAt)}>
                <Text fz="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                  {relativeTime(r.recordedAt)}
                </Text>
              </Tooltip>
            </Group>
          ))}
        </Stack>
      </Collapse>
    </Card>
  );
}

function NotesSection({ person }: { person: Person }) {
  const can = useCan();
  const names = useNames();
  const qc = useQueryClient();
  const [draft, setDraft] = useState('');
  const [editing, setEditing] = useState<{ id: string; body: string } | null>(null);
  const [deleting, setDeleting] = useState<Note | null>(null);
  const key = ['people', 'notes', person.id];
  const q = useQuery({ queryKey: key, queryFn: () => api<{ data: Note[] }>(`/people/${person.id}/notes`) });
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: key });
    void qc.invalidateQueries({ queryKey: [...customerKeys.timeline, person.id] });
  };
  const add = useMutation({
    mutationFn: (body: string) => api<Note>(`/people/${person.id}/notes`, { method: 'POST', body: { body } }),
    onSuccess: () => {
      setDraft('');
      refresh();
    },
    onError: (e) => notifyError(e, 'Could not add the note'),
  });
  const edit = useMutation({
    mutationFn: (n: { id: string; body: string }) =>
      api<Note>(`/notes/${n.id}`, { method: 'PATCH', body: { body: n.body } }),
    onSuccess: () => {
      setEditing(null);
      refresh();
    },
    onError: (e) => notifyError(e, 'Could not save the note'),
  });
  const remove = useMutation({
    mutationFn: (n: Note) => api(`/notes/${n.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setDeleting(null);
      refresh();
    },
    onError: (e) => notifyError(e, 'Could not delete the note'),
  });
  const notes = q.data?.data ?? [];
  const canWrite = can('customers:write');
  return (
    <Card withBorder padding="md" data-testid="notes-section">
      <SectionTitle>Notes</SectionTitle>
      {canWrite && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (draft.trim()) add.mutate(draft.trim());
          }}
        >
          <Textarea
            placeholder="Write a note for the team…"
            autosize
            minRows={2}
            maxRows={10}
            value={draft}
            onChange={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) e.currentTarget.form?.requestSubmit();
            }}
            aria-label="New note"
          />
          <Group justify="space-between" mt={6}>
            <Text fz="xs" c="dimmed">
              <Kbd size="xs">Ctrl</Kbd> + <Kbd size="xs">Enter</Kbd> to add
            </Text>
            <Button size="xs" type="submit" disabled={!draft.trim()} loading={add.isPending}>
              Add note
            </Button>
          </Group>
        </form>
      )}
      <Stack gap={0} mt="xs">
        {notes.length === 0 && !q.isPending && (
          <Text fz="sm" c="dimmed">
            No notes yet. Notes are for what the fields cannot hold: context, promises, what they care about.
          </Text>
        )}
        {notes.map((n) => (
          <Stack key={n.id} gap={2} py={8} className="rapport-feed-item" data-testid="note">
            <Group justify="space-between" wrap="nowrap">
              <Text fz="xs" c="dimmed">
                <b>{n.authorId ? (names.user(n.authorId) ?? 'A former user') : 'Rapport'}</b> ·{' '}
                {relativeTime(n.createdAt)}
                {n.updatedAt && n.updatedAt !== n.createdAt && ' · edited'}
              </Text>
              {canWrite && (
                <Menu position="bottom-end" shadow="md">
                  <Menu.Target>
                    <ActionIcon size="sm" variant="subtle" color="gray" aria-label="Note actions">
                      <IconDots size={14} />
                    </ActionIcon>
                  </Menu.Target>
                  <Menu.Dropdown>
                    <Menu.Item
                      leftSection={<IconPencil size={14} />}
                      onClick={() => setEditing({ id: n.id, body: n.body })}
                    >
                      Edit
                    </Menu.Item>
                    <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => setDeleting(n)}>
                      Delete
                    </Menu.Item>
                  </Menu.Dropdown>
                </Menu>
              )}
            </Group>
            {editing?.id === n.id ? (
              <Stack gap={6}>
                <Textarea
                  autosize
                  minRows={2}
                  value={editing.body}
                  onChange={(e) => setEditing({ id: n.id, body: e.currentTarget.value })}
                  autoFocus
                  aria-label="Edit note"
                />
                <Group gap="xs" justify="flex-end">
                  <Button size="xs" variant="default" onClick={() => setEditing(null)}>
                    Cancel
                  </Button>
                  <Button
                    size="xs"
                    loading={edit.isPending}
                    disabled={!editing.body.trim()}
                    onClick={() => edit.mutate(editing)}
                  >
                    Save
                  </Button>
                </Group>
              </Stack>
            ) : (
              <Text fz="sm" style={{ whiteSpace: 'pre-wrap' }}>
                {n.body}
              </Text>
            )}
          </Stack>
        ))}
      </Stack>
      <ConfirmModal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title="Delete this note?"
        message="The note goes for everyone. The timeline keeps a line saying it was deleted."
        confirmLabel="Delete note"
        danger
        loading={remove.isPending}
        onConfirm={() => deleting && remove.mutate(deleting)}
      />
    </Card>
  );
}

function CompaniesSection({ person }: { person: Person }) {
  const can = useCan();
  const invalidate = useInvalidatePerson(person.id);
  const [linking, setLinking] = useState(false);
  const [search, setSearch] = useState('');
  const [companyId, setCompanyId] = useState<string | null>(null);
  const [title, setTitle] = useState('');
  const found = useQuery({
    queryKey: ['companies', 'pick', search],
    enabled: linking,
    queryFn: () =>
      api<ListPage<Company>>('/companies', { query: { q: search.trim() || undefined, limit: 20, sort: 'name' } }),
  });
  const link = useMutation({
    mutationFn: () =>
      api<Person>(`/people/${person.id}/companies/${companyId}`, {
        method: 'PUT',
        body: { title: title.trim() || null, isPrimary: person.companies.length === 0 },
      }),
    onSuccess: () => {
      setLinking(false);
      setCompanyId(null);
      setTitle('');
      invalidate();
    },
    onError: (e) => notifyError(e, 'Could not link the company'),
  });
  const unlink = useMutation({
    mutationFn: (cid: string) => api(`/people/${person.id}/companies/${cid}`, { method: 'DELETE' }),
    onSuccess: invalidate,
    onError: (e) => notifyError(e, 'Could not unlink the company'),
  });
  const canWrite = can('customers:write');
  return (
    <Card withBorder padding="md" data-testid="companies-section">
      <SectionTitle
        right={
          canWrite &&
          !linking && (
            <Button size="compact-xs" variant="subtle" onClick={() => setLinking(true)}>
              Link company
            </Button>
          )
        }
      >
        Companies
      </SectionTitle>
      {person.companies.length === 0 && !linking && (
        <Text fz="sm" c="dimmed">
          Not linked to a company yet.
        </Text>
      )}
      <Stack gap={0}>
        {person.companies.map((c) => (
          <Group key={c.companyId} gap="sm" py={6} wrap="nowrap" className="rapport-feed-item">
            <Avatar size={28} radius="sm" color="initials" name={c.name}>
              {initials(c.name)}
            </Avatar>
            <Stack gap={0} style={{ flex: 1 }} miw={0}>
              <Anchor component={Link} to={`/companies/${c.companyId}`} fz="sm" fw={500}>
                {c.name}
              </Anchor>
              <Text fz="xs" c="dimmed" truncate>
                {[c.title, c.domain].filter(Boolean).join(' · ') || 'No title'}
                {c.isPrimary && person.companies.length > 1 ? ' · primary' : ''}
              </Text>
            </Stack>
            {canWrite && (
              <Tooltip label="Unlink">
                <ActionIcon
                  size="sm"
                  variant="subtle"
                  color="gray"
                  aria-label={`Unlink ${c.name}`}
                  onClick={() => unlink.mutate(c.companyId)}
                >
                  <IconUnlink size={14} />
                </ActionIcon>
              </Tooltip>
            )}
          </Group>
        ))}
      </Stack>
      {linking && (
        <Stack gap="xs" mt="xs">
          <Select
            size="xs"
            label="Company"
            searchable
            searchValue={search}
            onSearchChange={setSearch}
            filter={({ options }) => options}
            data={(found.data?.data ?? [])
              .filter((c) => !person.companies.some((x) => x.companyId === c.id))
              .map((c) => ({ value: c.id, label: c.name }))}
            value={companyId}
            onChange={setCompanyId}
            nothingFoundMessage={
              found.isFetching ? 'Searching…' : 'No company by that name. Add it under Companies first.'
            }
            autoFocus
          />
          <TextInput
            size="xs"
            label="Title there"
            placeholder="Head of purchasing"
            value={title}
            onChange={(e) => setTitle(e.currentTarget.value)}
          />
          <Group gap="xs" justify="flex-end">
            <Button size="xs" variant="default" onClick={() => setLinking(false)}>
              Cancel
            </Button>
            <Button size="xs" disabled={!companyId} loading={link.isPending} onClick={() => link.mutate()}>
              Link
            </Button>
          </Group>
        </Stack>
      )}
    </Card>
  );
}

function Header({ person, save }: { person: Person; save: Save }) {
  const can = useCan();
  const users = useAllUsers();
  const canWrite = can('customers:write');
  const [tags, setTags] = useState(person.tags);
  useEffect(() => setTags(person.tags), [person.tags]);
  return (
    <Card withBorder padding="lg" mb="md" data-testid="person-header">
      <Group justify="space-between" align="flex-start" gap="xl">
        <Group gap="md" wrap="nowrap" align="flex-start" miw={0} style={{ flex: '1 1 280px' }}>
          <Avatar size={56} radius="xl" color="initials" name={person.name}>
            {initials(person.name)}
          </Avatar>
          <Stack gap={4} miw={0}>
            <Group gap="sm" style={{ rowGap: 4 }}>
              <Title order={1} fz={24} lh={1.2} data-testid="person-name" style={{ overflowWrap: 'anywhere' }}>
                {person.name}
              </Title>
              <StagePicker person={person} canWrite={canWrite} />
            </Group>
            <Group gap="md" fz="sm" c="dimmed">
              {person.email && (
                <Anchor href={`mailto:${person.email}`} fz="sm" c="dimmed">
                  <Group gap={4} wrap="nowrap">
                    <IconMail size={14} />
                    {person.email}
                  </Group>
                </Anchor>
              )}
              {person.phone && (
                <Anchor href={`tel:${person.phone}`} fz="sm" c="dimmed">
                  <Group gap={4} wrap="nowrap">
                    <IconPhone size={14} />
                    {person.phone}
                  </Group>
                </Anchor>
              )}
              {person.companies.slice(0, 2).map((c) => (
                <Anchor key={c.companyId} component={Link} to={`/companies/${c.companyId}`} fz="sm" c="dimmed">
                  <Group gap={4} wrap="nowrap">
                    <IconBuilding size={14} />
                    {c.title ? `${c.title} at ${c.name}` : c.name}
                  </Group>
                </Anchor>
              ))}
            </Group>
            <TagsInput
              size="xs"
              variant="unstyled"
              placeholder={canWrite ? '+ Add tag' : 'No tags'}
              value={tags}
              readOnly={!canWrite}
              onChange={(v) => {
                setTags(v);
                save({ tags: v }).catch((e: unknown) => {
                  setTags(person.tags);
                  notifyError(e, 'Could not save the tags');
                });
              }}
              aria-label="Tags"
              data-testid="tags-input"
              maw={520}
            />
          </Stack>
        </Group>
        <Stack gap={4} w={220} style={{ flexShrink: 0 }}>
          <Text fz="xs" c="dimmed" fw={600} tt="uppercase" lts={0.4}>
            Owner
          </Text>
          <Select
            size="xs"
            aria-label="Owner"
            placeholder="Nobody yet"
            leftSection={<IconUserQuestion size={14} />}
            searchable
            clearable
            disabled={!canWrite}
            data={(users.data?.data ?? []).map((u) => ({ value: u.id, label: u.name }))}
            value={person.ownerId}
            onChange={(v) =>
              void save({ ownerId: v }).catch((e: unknown) => notifyError(e, 'Could not change the owner'))
            }
            data-testid="owner-select"
          />
          <Text fz="xs" c="dimmed" mt={4}>
            Added {formatDate(person.createdAt)}
            {person.source ? ` from ${person.source}` : ''}
          </Text>
        </Stack>
      </Group>
    </Card>
  );
}

export function PersonPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const can = useCan();
  const qc = useQueryClient();
  const q = usePerson(id);
  const fields = useCustomFields('person');
  const [deleting, setDeleting] = useState(false);
  const invalidate = useInvalidatePerson(id);
  const canWrite = can('customers:write');

  const save: Save = async (body) => {
    const p = await api<Person>(`/people/${id}`, { method: 'PATCH', body });
    qc.setQueryData(customerKeys.person(id), p);
    invalidate();
    return p;
  };
  const remove = useMutation({
    mutationFn: () => api(`/people/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      notifySuccess(`${q.data?.name ?? 'The person'} is deleted`);
      void qc.invalidateQueries({ queryKey: customerKeys.people });
      navigate('/people');
    },
    onError: (e) => notifyError(e, 'Could not delete'),
  });

  if (q.isPending) return <Skeleton h={400} />;
  if (q.isError)
    return (
      <Empty
        icon={<IconUserQuestion size={22} />}
        title={
          q.error instanceof ApiError && q.error.status === 404
            ? 'This person is not here'
            : 'This record cannot be shown'
        }
        description={
          q.error instanceof ApiError && q.error.status === 404
            ? 'They may have been deleted or merged into another record.'
            : q.error.message
        }
        action={
          <Button component={Link} to="/people" variant="light">
            Back to people
          </Button>
        }
      />
    );
  const p = q.data;
  const a = p.address;
  const ro = !canWrite;

  return (
    <div data-testid="person-page">
      <Group justify="space-between" mb="xs">
        <Breadcrumbs fz="sm">
          <Anchor component={Link} to="/people" fz="sm">
            People
          </Anchor>
          <Text fz="sm" c="dimmed" truncate maw={360}>
            {p.name}
          </Text>
        </Breadcrumbs>
        {canWrite && (
          <Menu position="bottom-end" shadow="md">
            <Menu.Target>
              <ActionIcon variant="subtle" color="gray" aria-label="More actions">
                <IconDots size={18} />
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Item color="red" leftSection={<IconTrash size={16} />} onClick={() => setDeleting(true)}>
                Delete person
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        )}
      </Group>
      <Header person={p} save={save} />
      <Grid gap="md">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Stack gap="md">
            <Card withBorder padding="md" data-testid="profile-section">
              <SectionTitle>Profile</SectionTitle>
              <EditableField
                label="First name"
                problemKey="firstName"
                value={p.firstName}
                toBody={(v) => ({ firstName: v || null })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="Last name"
                problemKey="lastName"
                value={p.lastName}
                toBody={(v) => ({ lastName: v || null })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="Emails"
                problemKey="emails"
                kind="list"
                value={p.emails}
                toBody={(v) => ({ emails: v })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="Phones"
                problemKey="phones"
                kind="list"
                value={p.phones}
                toBody={(v) => ({ phones: v })}
                save={save}
                readOnly={ro}
              />
              <AddressFields address={a} save={save} readOnly={ro} />
              <EditableField
                label="Language"
                problemKey="language"
                value={p.language}
                placeholder="pt-PT"
                toBody={(v) => ({ language: v || null })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="Time zone"
                problemKey="timezone"
                value={p.timezone}
                placeholder="Europe/Lisbon"
                toBody={(v) => ({ timezone: v || null })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="Source"
                problemKey="source"
                value={p.source}
                toBody={(v) => ({ source: v || null })}
                save={save}
                readOnly={ro}
              />
              <EditableField
                label="External id"
                problemKey="externalId"
                value={p.externalId}
                toBody={(v) => ({ externalId: v || null })}
                save={save}
                readOnly={ro}
              />
            </Card>
            <Card withBorder padding="md" data-testid="custom-fields-section">
              <SectionTitle
                right={
                  can('workspace:manage') && (
                    <Button size="compact-xs" variant="subtle" component={Link} to="/settings/custom-fields">
                      Define fields
                    </Button>
                  )
                }
              >
                Custom fields
              </SectionTitle>
              {(fields.data ?? []).filter((d) => !d.archived).length === 0 ? (
                <Text fz="sm" c="dimmed">
                  No custom fields yet. Define fields such as “Plan” or “Renewal date” in Settings → Custom fields, and
                  they show up here and in the list filters.
                </Text>
              ) : (
                (fields.data ?? [])
                  .filter((d) => !d.archived)
                  .map((d) => (
                    <EditableCustomField key={d.id} def={d} value={p.custom[d.key]} save={save} readOnly={ro} />
                  ))
              )}
            </Card>
            <CompaniesSection person={p} />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="md">
            <StageHistory person={p} canWrite={canWrite} />
            {can('tickets:read') && <PersonTickets personId={p.id} />}
            <PersonOrders personId={p.id} />
            {can('analytics:read') && <PersonPredictions personId={p.id} />}
            <ConsentSection person={p} />
            <NotesSection person={p} />
            <Card withBorder padding="md">
              <Timeline path={`/people/${p.id}/timeline`} types={timelineTypes} subjectId={p.id} />
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
      <ConfirmModal
        opened={deleting}
        onClose={() => setDeleting(false)}
        title={`Delete ${p.name}?`}
        message="The record, its notes, company links, orders and subscriptions go. What happened to them stays in the activity log. This cannot be undone."
        confirmLabel="Delete person"
        danger
        loading={remove.isPending}
        onConfirm={() => remove.mutate()}
      />
    </div>
  );
}
