import { useState } from 'react';
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Paper,
  Select,
  Skeleton,
  Stack,
  Switch,
  Table,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconClock, IconMoon, IconPlus, IconX } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { useMe } from '../../api/queries.ts';
import { channelLabels, ticketPriorities, useTicketTypeOptions, useWorkspaceSettings } from '../../api/tickets.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { RowActions } from '../../components/RowActions.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { browserTimeZone, timeZones } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import {
  dayNames,
  holidaysText,
  isOvernight,
  minutesOf,
  overlapProblems,
  parseHolidays,
  rowLabel,
  rowProblems,
  rowsOfWeekly,
  weeklyOfRows,
  type Holiday,
  type HoursRow,
  type WeeklyInterval,
} from './slaHours.ts';

type Calendar = {
  id: string;
  name: string;
  timeZone: string;
  weekly: WeeklyInterval[];
  holidays: Holiday[];
};
type ConditionField = 'priority' | 'type' | 'tag' | 'segment' | 'channel';
type Condition = { field: ConditionField; op: 'is' | 'is_not' | 'in'; value: string | string[] };
type Policy = {
  id: string;
  name: string;
  position: number;
  active: boolean;
  conditions: Condition[];
  targets: Record<string, number>;
  calendarId: string | null;
  pauseOn: string[];
  warnBeforeMinutes: number;
};

const keys = { calendars: ['business-calendars'] as const, policies: ['sla-policies'] as const };

function minutesLabel(m: number | undefined): string {
  if (!m) return '—';
  if (m % 1440 === 0) return `${m / 1440} d`;
  if (m % 60 === 0) return `${m / 60} h`;
  return `${m} min`;
}

// ---------------------------------------------------------------------------------------------------------------
// Conditions

/** How the form edits a condition: the field, whether the ticket must match one of the values or none, the values. */
type ConditionRow = { field: ConditionField; op: 'in' | 'is_not'; values: string[] };

const fieldLabels: Record<ConditionField, string> = {
  priority: 'Priority',
  type: 'Ticket type',
  tag: 'Ticket tag',
  segment: 'Customer segment',
  channel: 'Channel',
};
/** The words of each test: 'in' (and 'is') hold when the ticket has one of the values, 'is_not' when it has none. */
function opLabel(field: ConditionField, op: 'in' | 'is_not'): string {
  const list = field === 'tag' || field === 'segment';
  if (op === 'in') return list ? 'has one of' : 'is one of';
  return list ? 'has none of' : 'is none of';
}

const rowOfCondition = (c: Condition): ConditionRow => ({
  field: c.field,
  op: c.op === 'is_not' ? 'is_not' : 'in',
  values: [c.value].flat(),
});
const conditionOfRow = (r: ConditionRow): Condition => ({ field: r.field, op: r.op, value: r.values });
const sameConditions = (a: ConditionRow[], b: ConditionRow[]) => JSON.stringify(a) === JSON.stringify(b);

function conditionText(c: Condition, typeLabel: (key: string) => string): string {
  const r = rowOfCondition(c);
  const shown = r.values.map((v) =>
    r.field === 'type'
      ? typeLabel(v)
      : r.field === 'channel'
        ? (channelLabels[v as keyof typeof channelLabels] ?? v)
        : v,
  );
  return `${fieldLabels[r.field].toLowerCase()} ${r.values.length === 1 ? (r.op === 'in' ? 'is' : 'is not') : opLabel(r.field, r.op)} ${shown.join(', ')}`;
}

function ConditionsEditor({ rows, onChange }: { rows: ConditionRow[]; onChange: (rows: ConditionRow[]) => void }) {
  const typeOptions = useTicketTypeOptions();
  const ws = useWorkspaceSettings();
  const stages = (ws.data?.lifecycleStages ?? []).map((s) => s.key);
  const set = (i: number, patch: Partial<ConditionRow>) =>
    onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const options = (r: ConditionRow): Array<{ value: string; label: string }> => {
    const base =
      r.field === 'priority'
        ? ticketPriorities.map((p) => ({ value: p, label: p }))
        : r.field === 'type'
          ? typeOptions
          : Object.entries(channelLabels).map(([value, label]) => ({ value, label }));
    // Values stored before the list changed stay choosable (and visible).
    const extra = r.values.filter((v) => !base.some((o) => o.value === v)).map((v) => ({ value: v, label: v }));
    return [...base, ...extra];
  };
  return (
    <Stack gap={6}>
      <Text fz="sm" fw={500}>
        Applies to
      </Text>
      <Text fz="xs" c="dimmed" mt={-6}>
        {rows.length
          ? 'Tickets that meet every condition.'
          : 'Every ticket that no earlier policy took. Add a condition to narrow it.'}
      </Text>
      {rows.map((r, i) => {
        const n = i + 1;
        return (
          <Group key={i} gap="xs" align="flex-start" wrap="nowrap" data-testid="sla-condition">
            <Select
              aria-label={`Condition ${n} field`}
              w={160}
              allowDeselect={false}
              data={Object.entries(fieldLabels).map(([value, label]) => ({ value, label }))}
              value={r.field}
              onChange={(v) => v && set(i, { field: v as ConditionField, values: [] })}
            />
            <Select
              aria-label={`Condition ${n} test`}
              w={130}
              allowDeselect={false}
              data={(['in', 'is_not'] as const).map((op) => ({ value: op, label: opLabel(r.field, op) }))}
              value={r.op}
              onChange={(v) => v && set(i, { op: v as ConditionRow['op'] })}
            />
            {r.field === 'tag' || r.field === 'segment' ? (
              <TagsInput
                aria-label={`Condition ${n} values`}
                style={{ flex: 1 }}
                placeholder={r.field === 'tag' ? 'Type a tag, Enter' : 'A lifecycle stage or customer tag'}
                data={r.field === 'segment' ? stages : []}
                value={r.values}
                onChange={(values) => set(i, { values })}
                error={r.values.length ? undefined : 'Give at least one value'}
              />
            ) : (
              <MultiSelect
                aria-label={`Condition ${n} values`}
                style={{ flex: 1 }}
                data={options(r)}
                value={r.values}
                onChange={(values) => set(i, { values })}
                error={r.values.length ? undefined : 'Choose at least one'}
              />
            )}
            <ActionIcon
              variant="subtle"
              color="gray"
              mt={4}
              aria-label={`Remove condition ${n}`}
              onClick={() => onChange(rows.filter((_, j) => j !== i))}
            >
              <IconX size={16} />
            </ActionIcon>
          </Group>
        );
      })}
      <Group>
        <Button
          size="compact-sm"
          variant="light"
          leftSection={<IconPlus size={14} />}
          onClick={() => onChange([...rows, { field: 'priority', op: 'in', values: [] }])}
        >
          Add condition
        </Button>
      </Group>
    </Stack>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Policies

function PolicyModal({
  policy,
  calendars,
  onClose,
}: {
  policy: Policy | null;
  calendars: Calendar[];
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const initialRows = (policy?.conditions ?? []).map(rowOfCondition);
  const [name, setName] = useState(policy?.name ?? '');
  const [conditions, setConditions] = useState<ConditionRow[]>(initialRows);
  const [first, setFirst] = useState<number | string>(policy ? (policy.targets.first_response ?? '') : 60);
  const [next, setNext] = useState<number | string>(policy ? (policy.targets.next_response ?? '') : 240);
  const [resolution, setResolution] = useState<number | string>(policy ? (policy.targets.resolution ?? '') : 1440);
  const [calendarId, setCalendarId] = useState<string | null>(policy ? policy.calendarId : (calendars[0]?.id ?? null));
  const [pauseOnHold, setPauseOnHold] = useState(policy?.pauseOn.includes('on_hold') ?? false);
  const [warn, setWarn] = useState<number | string>(policy?.warnBeforeMinutes ?? 30);
  const num = (v: number | string) => (typeof v === 'number' && v > 0 ? v : undefined);
  const targets = { first_response: num(first), next_response: num(next), resolution: num(resolution) };
  const noTarget = Object.values(targets).every((v) => v === undefined);
  const emptyCondition = conditions.some((c) => !c.values.length);
  const pauseOn = (): string[] => {
    // The statuses the policy already pauses on (pending by default), with on hold added or taken away.
    const base = (policy?.pauseOn.length ? policy.pauseOn : ['pending']).filter((s) => s !== 'on_hold');
    return pauseOnHold ? [...base, 'on_hold'] : base;
  };
  const save = useMutation({
    mutationFn: () => {
      const full = {
        name: name.trim(),
        conditions: conditions.map(conditionOfRow),
        targets,
        calendarId,
        pauseOn: pauseOn(),
        warnBeforeMinutes: typeof warn === 'number' ? warn : 0,
      };
      if (!policy) return api<Policy>('/sla-policies', { method: 'POST', body: full });
      // Only what changed: a change to a field nobody touched must not overwrite someone else's.
      const body: Record<string, unknown> = {};
      if (full.name !== policy.name) body.name = full.name;
      if (!sameConditions(conditions, initialRows)) body.conditions = full.conditions;
      if (JSON.stringify(targets) !== JSON.stringify(pickTargets(policy.targets))) body.targets = targets;
      if (calendarId !== policy.calendarId) body.calendarId = calendarId;
      if (pauseOnHold !== policy.pauseOn.includes('on_hold')) body.pauseOn = full.pauseOn;
      if (full.warnBeforeMinutes !== policy.warnBeforeMinutes) body.warnBeforeMinutes = full.warnBeforeMinutes;
      if (!Object.keys(body).length) return Promise.resolve(policy);
      return api<Policy>(`/sla-policies/${policy.id}`, { method: 'PATCH', body });
    },
    onSuccess: () => {
      notifySuccess(policy ? 'Policy updated' : 'Policy saved');
      void qc.invalidateQueries({ queryKey: keys.policies });
      onClose();
    },
    onError: (e) => notifyError(e, 'Could not save the policy'),
  });
  return (
    <Modal opened onClose={onClose} title={policy ? `Edit policy ${policy.name}` : 'SLA policy'} size="lg">
      <Stack gap="sm">
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <ConditionsEditor rows={conditions} onChange={setConditions} />
        <Group grow align="flex-start">
          <NumberInput
            label="First response (min)"
            min={1}
            value={first}
            onChange={setFirst}
            description={num(first) ? minutesLabel(num(first)) : 'No target'}
          />
          <NumberInput
            label="Next response (min)"
            min={1}
            value={next}
            onChange={setNext}
            description={num(next) ? minutesLabel(num(next)) : 'No target'}
          />
          <NumberInput
            label="Resolution (min)"
            min={1}
            value={resolution}
            onChange={setResolution}
            description={num(resolution) ? minutesLabel(num(resolution)) : 'No target'}
          />
        </Group>
        {noTarget && (
          <Text fz="xs" c="red">
            Set at least one target.
          </Text>
        )}
        <Select
          label="Counted in"
          clearable
          placeholder="Around the clock"
          data={calendars.map((c) => ({ value: c.id, label: `${c.name} (${c.timeZone})` }))}
          value={calendarId}
          onChange={setCalendarId}
        />
        <Switch
          label="Also pause while on hold (waiting on a third party)"
          checked={pauseOnHold}
          onChange={(e) => setPauseOnHold(e.currentTarget.checked)}
        />
        <NumberInput label="Warn this many minutes before" min={0} value={warn} onChange={setWarn} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={() => save.mutate()}
            loading={save.isPending}
            disabled={!name.trim() || noTarget || emptyCondition}
          >
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** The targets as the form compares them (every metric present, undefined when not set). */
function pickTargets(t: Record<string, number>) {
  return { first_response: t.first_response, next_response: t.next_response, resolution: t.resolution };
}

// ---------------------------------------------------------------------------------------------------------------
// Calendars

function OvernightHint({ row }: { row: HoursRow }) {
  if (!isOvernight(row.start, row.end) || !row.days.length) return null;
  const end = minutesOf(row.end);
  if (end === 0)
    return (
      <Text fz="xs" c="dimmed" data-testid="overnight-hint">
        Until midnight: stored as {dayNames[row.days[0]!]} {row.start}–24:00.
      </Text>
    );
  const d = row.days[0]!;
  return (
    <Text fz="xs" c="blue" data-testid="overnight-hint">
      <IconMoon size={12} style={{ verticalAlign: -1 }} /> Overnight: ends the next day at {row.end}. Stored as{' '}
      {dayNames[d]} {row.start}–24:00 and {dayNames[(d + 1) % 7]} 00:00–{row.end}
      {row.days.length > 1 ? ', and likewise for each day' : ''}.
    </Text>
  );
}

function HoursRowEditor({
  row,
  n,
  onChange,
  onRemove,
}: {
  row: HoursRow;
  n: number;
  onChange: (r: HoursRow) => void;
  onRemove: (() => void) | null;
}) {
  const problems = rowProblems(row);
  const startBad = minutesOf(row.start) === null || minutesOf(row.start) === 1440;
  const endBad = minutesOf(row.end) === null;
  return (
    <Paper withBorder p="xs" role="group" aria-label={`Hours ${n}`} data-testid="hours-row">
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap" align="flex-end">
          <Checkbox.Group
            aria-label={`Days of hours ${n}`}
            value={row.days.map(String)}
            onChange={(v) => onChange({ ...row, days: v.map(Number).sort((a, b) => a - b) })}
          >
            <Group gap="xs">
              {dayNames.map((d, i) => (
                <Checkbox key={d} value={String(i)} label={d} />
              ))}
            </Group>
          </Checkbox.Group>
          {onRemove && (
            <ActionIcon variant="subtle" color="gray" aria-label={`Remove hours ${n}`} onClick={onRemove}>
              <IconX size={16} />
            </ActionIcon>
          )}
        </Group>
        <Group grow>
          <TextInput
            label="From"
            placeholder="09:00"
            value={row.start}
            error={startBad}
            onChange={(e) => onChange({ ...row, start: e.currentTarget.value })}
          />
          <TextInput
            label="To"
            placeholder="17:00"
            value={row.end}
            error={endBad}
            onChange={(e) => onChange({ ...row, end: e.currentTarget.value })}
          />
        </Group>
        <OvernightHint row={row} />
        {problems.map((p) => (
          <Text key={p} fz="xs" c="red">
            {p}
          </Text>
        ))}
      </Stack>
    </Paper>
  );
}

function CalendarModal({ calendar, onClose }: { calendar: Calendar | null; onClose: () => void }) {
  const qc = useQueryClient();
  const me = useMe();
  // A new calendar is in the workspace's zone (where its team works), else this browser's.
  const defaultZone = me.workspace.timezone || browserTimeZone();
  const [name, setName] = useState(calendar?.name ?? 'Office hours');
  const [timeZone, setTimeZone] = useState(calendar?.timeZone ?? defaultZone);
  const [rows, setRows] = useState<HoursRow[]>(
    calendar ? rowsOfWeekly(calendar.weekly) : [{ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }],
  );
  const [holidays, setHolidays] = useState(calendar ? holidaysText(calendar.holidays) : '');
  const parsedHolidays = parseHolidays(holidays);
  const weekly = weeklyOfRows(rows);
  const problems = [
    ...(rows.length ? [] : ['Add the hours you are open']),
    ...overlapProblems(rows),
    ...parsedHolidays.problems,
  ];
  const blocked = !name.trim() || problems.length > 0 || rows.some((r) => rowProblems(r).length > 0);
  const save = useMutation({
    mutationFn: () => {
      const full = { name: name.trim(), timeZone, weekly, holidays: parsedHolidays.holidays };
      if (!calendar) return api<Calendar>('/business-calendars', { method: 'POST', body: full });
      const body: Record<string, unknown> = {};
      if (full.name !== calendar.name) body.name = full.name;
      if (timeZone !== calendar.timeZone) body.timeZone = timeZone;
      if (JSON.stringify(weekly) !== JSON.stringify(weeklyOfRows(rowsOfWeekly(calendar.weekly)))) body.weekly = weekly;
      if (JSON.stringify(full.holidays) !== JSON.stringify(parseHolidays(holidaysText(calendar.holidays)).holidays))
        body.holidays = full.holidays;
      if (!Object.keys(body).length) return Promise.resolve(calendar);
      return api<Calendar>(`/business-calendars/${calendar.id}`, { method: 'PATCH', body });
    },
    onSuccess: () => {
      notifySuccess(calendar ? 'Calendar updated' : 'Calendar saved');
      void qc.invalidateQueries({ queryKey: keys.calendars });
      onClose();
    },
    onError: (e) => notifyError(e, 'Could not save the calendar'),
  });
  return (
    <Modal opened onClose={onClose} title={calendar ? `Edit ${calendar.name}` : 'Business hours'} size="lg">
      <Stack gap="sm">
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Select
          label="Time zone"
          searchable
          allowDeselect={false}
          data={timeZones(timeZone)}
          value={timeZone}
          onChange={(v) => v && setTimeZone(v)}
        />
        <Stack gap={6}>
          <Text fz="sm" fw={500}>
            Open hours
          </Text>
          <Text fz="xs" c="dimmed" mt={-6}>
            Local time in {timeZone}. A row whose “To” is at or before its “From” ends the next day (a night shift, such
            as 18:00–09:00); “To” 00:00 or 24:00 means until midnight.
          </Text>
          {rows.map((r, i) => (
            <HoursRowEditor
              key={i}
              row={r}
              n={i + 1}
              onChange={(next) => setRows(rows.map((x, j) => (j === i ? next : x)))}
              onRemove={rows.length > 1 ? () => setRows(rows.filter((_, j) => j !== i)) : null}
            />
          ))}
          <Group>
            <Button
              size="compact-sm"
              variant="light"
              leftSection={<IconPlus size={14} />}
              onClick={() => setRows([...rows, { days: [], start: '09:00', end: '17:00' }])}
            >
              Add hours
            </Button>
          </Group>
        </Stack>
        <Textarea
          label="Holidays"
          description="Closed all day. One per line: the date, then a name if you like (2026-12-25 Christmas Day)"
          autosize
          minRows={2}
          maxRows={8}
          value={holidays}
          onChange={(e) => setHolidays(e.currentTarget.value)}
        />
        {problems.length > 0 && (
          <Alert color="red" variant="light" p="xs" data-testid="calendar-problems">
            <Stack gap={2}>
              {problems.map((p) => (
                <Text key={p} fz="xs">
                  {p}
                </Text>
              ))}
            </Stack>
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => save.mutate()} loading={save.isPending} disabled={blocked}>
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The page

export function SlaPage() {
  const qc = useQueryClient();
  const typeOptions = useTicketTypeOptions();
  const calendars = useQuery({
    queryKey: keys.calendars,
    queryFn: () => api<{ data: Calendar[] }>('/business-calendars'),
  });
  const policies = useQuery({ queryKey: keys.policies, queryFn: () => api<{ data: Policy[] }>('/sla-policies') });
  const [editingPolicy, setEditingPolicy] = useState<Policy | 'new' | null>(null);
  const [editingCalendar, setEditingCalendar] = useState<Calendar | 'new' | null>(null);
  const [removing, setRemoving] = useState<Policy | null>(null);
  const [removingCalendar, setRemovingCalendar] = useState<Calendar | null>(null);
  const toggle = useMutation({
    mutationFn: (p: Policy) => api<Policy>(`/sla-policies/${p.id}`, { method: 'PATCH', body: { active: !p.active } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.policies }),
    onError: (e) => notifyError(e),
  });
  const remove = useMutation({
    mutationFn: (p: Policy) => api<void>(`/sla-policies/${p.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: keys.policies });
    },
    onError: (e) => notifyError(e),
  });
  const removeCalendar = useMutation({
    mutationFn: (c: Calendar) => api<void>(`/business-calendars/${c.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setRemovingCalendar(null);
      void qc.invalidateQueries({ queryKey: keys.calendars });
    },
    onError: (e) => {
      setRemovingCalendar(null);
      notifyError(e, 'Could not remove the calendar');
    },
  });
  const move = useMutation({
    mutationFn: async ({ list, from, to }: { list: Policy[]; from: number; to: number }) => {
      const order = [...list];
      const [moved] = order.splice(from, 1);
      if (!moved) return;
      order.splice(to, 0, moved);
      // Shown in the new order at once; the server's answer replaces it when the changes are in.
      qc.setQueryData<{ data: Policy[] }>(keys.policies, (old) => (old ? { ...old, data: order } : old));
      // One request: the server puts the whole list in this order at once (never half-reordered).
      await api<{ data: Policy[] }>('/sla-policies/order', { method: 'PUT', body: { ids: order.map((p) => p.id) } });
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: keys.policies }),
    onError: (e) => notifyError(e, 'Could not change the order'),
  });
  const cals = calendars.data?.data ?? [];
  const list = policies.data?.data ?? [];
  const calName = (id: string | null) => cals.find((c) => c.id === id)?.name ?? 'Around the clock';
  const typeLabel = (key: string) => typeOptions.find((t) => t.value === key)?.label ?? key;
  return (
    <>
      <PageHeader
        title="Service levels"
        description="Response and resolution targets, counted in business hours and paused while you wait on the customer."
        actions={
          <>
            <Button variant="default" onClick={() => setEditingCalendar('new')}>
              Add business hours
            </Button>
            <Button leftSection={<IconPlus size={16} />} onClick={() => setEditingPolicy('new')}>
              Add policy
            </Button>
          </>
        }
      />
      <Title order={2} fz="md" mb={4}>
        Policies
      </Title>
      {policies.isPending ? (
        <Skeleton h={80} />
      ) : !list.length ? (
        <Empty
          icon={<IconClock size={28} />}
          title="No SLA policies"
          description="Add a policy to give tickets response and resolution targets. The inbox then shows their clocks and warns before a breach."
          action={<Button onClick={() => setEditingPolicy('new')}>Add policy</Button>}
        />
      ) : (
        <>
          <Text fz="xs" c="dimmed" mb="xs">
            Tried from the top: a ticket gets the first active policy whose conditions it meets.
          </Text>
          <Table striped mb="lg" data-testid="sla-policies">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Order</Table.Th>
                <Table.Th>Policy</Table.Th>
                <Table.Th>Applies to</Table.Th>
                <Table.Th>First response</Table.Th>
                <Table.Th>Next response</Table.Th>
                <Table.Th>Resolution</Table.Th>
                <Table.Th>Counted in</Table.Th>
                <Table.Th>Active</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((p, i) => (
                <Table.Tr key={p.id} data-testid="sla-policy-row" data-policy={p.name}>
                  <Table.Td>
                    <Group gap={2} wrap="nowrap">
                      <Text fz="sm" w={18} c="dimmed">
                        {i + 1}
                      </Text>
                      <Tooltip label="Try earlier" openDelay={400}>
                        <ActionIcon
                          variant="subtle"
                          size="sm"
                          aria-label={`Move ${p.name} up`}
                          disabled={i === 0 || move.isPending}
                          onClick={() => move.mutate({ list, from: i, to: i - 1 })}
                        >
                          <IconArrowUp size={14} />
                        </ActionIcon>
                      </Tooltip>
                      <Tooltip label="Try later" openDelay={400}>
                        <ActionIcon
                          variant="subtle"
                          size="sm"
                          aria-label={`Move ${p.name} down`}
                          disabled={i === list.length - 1 || move.isPending}
                          onClick={() => move.mutate({ list, from: i, to: i + 1 })}
                        >
                          <IconArrowDown size={14} />
                        </ActionIcon>
                      </Tooltip>
                    </Group>
                  </Table.Td>
                  <Table.Td>{p.name}</Table.Td>
                  <Table.Td>
                    {p.conditions.length
                      ? p.conditions.map((c, j) => (
                          <Badge
                            key={j}
                            variant="light"
                            mr={4}
                            mb={2}
                            tt="none"
                            h="auto"
                            py={2}
                            styles={{ label: { whiteSpace: 'normal', overflow: 'visible' } }}
                          >
                            {conditionText(c, typeLabel)}
                          </Badge>
                        ))
                      : 'every other ticket'}
                  </Table.Td>
                  <Table.Td>{minutesLabel(p.targets.first_response)}</Table.Td>
                  <Table.Td>{minutesLabel(p.targets.next_response)}</Table.Td>
                  <Table.Td>{minutesLabel(p.targets.resolution)}</Table.Td>
                  <Table.Td>{calName(p.calendarId)}</Table.Td>
                  <Table.Td>
                    <Switch checked={p.active} onChange={() => toggle.mutate(p)} aria-label={`${p.name} active`} />
                  </Table.Td>
                  <Table.Td>
                    <RowActions name={p.name} onEdit={() => setEditingPolicy(p)} onRemove={() => setRemoving(p)} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      )}
      <Title order={2} fz="md" mb="xs" mt="lg">
        Business hours
      </Title>
      {calendars.isPending ? (
        <Skeleton h={60} />
      ) : cals.length === 0 ? (
        <Text c="dimmed" fz="sm">
          No calendars: policies count around the clock.
        </Text>
      ) : (
        <Stack gap="xs">
          {cals.map((c) => (
            <Card key={c.id} withBorder padding="sm" data-testid="calendar-card" data-calendar={c.name}>
              <Group justify="space-between" align="flex-start" wrap="nowrap">
                <Stack gap={2}>
                  <Text fw={600}>
                    {c.name}{' '}
                    <Text span c="dimmed" fz="sm">
                      ({c.timeZone})
                    </Text>
                  </Text>
                  <Text fz="sm" data-testid="calendar-hours">
                    {rowsOfWeekly(c.weekly).map(rowLabel).join(' · ')}
                  </Text>
                  {c.holidays.length > 0 && (
                    <Text fz="xs" c="dimmed" data-testid="calendar-holidays">
                      Closed on {c.holidays.map((h) => (h.name ? `${h.date} (${h.name})` : h.date)).join(', ')}
                    </Text>
                  )}
                </Stack>
                <RowActions
                  name={c.name}
                  onEdit={() => setEditingCalendar(c)}
                  onRemove={() => setRemovingCalendar(c)}
                />
              </Group>
            </Card>
          ))}
        </Stack>
      )}
      {editingCalendar && (
        <CalendarModal
          calendar={editingCalendar === 'new' ? null : editingCalendar}
          onClose={() => setEditingCalendar(null)}
        />
      )}
      {editingPolicy && (
        <PolicyModal
          policy={editingPolicy === 'new' ? null : editingPolicy}
          calendars={cals}
          onClose={() => setEditingPolicy(null)}
        />
      )}
      <ConfirmModal
        opened={Boolean(removing)}
        title="Remove this policy?"
        message="Tickets it applied to fall to the next matching policy, or none."
        confirmLabel="Remove"
        danger
        loading={remove.isPending}
        onConfirm={() => removing && remove.mutate(removing)}
        onClose={() => setRemoving(null)}
      />
      <ConfirmModal
        opened={Boolean(removingCalendar)}
        title="Remove these business hours?"
        message={
          list.some((p) => p.calendarId === removingCalendar?.id)
            ? `Policies count in ${removingCalendar?.name ?? 'it'}: choose other hours for them first.`
            : 'No policy counts in it.'
        }
        confirmLabel="Remove"
        danger
        loading={removeCalendar.isPending}
        onConfirm={() => removingCalendar && removeCalendar.mutate(removingCalendar)}
        onClose={() => setRemovingCalendar(null)}
      />
    </>
  );
}
