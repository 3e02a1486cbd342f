import { useState } from 'react';
import {
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Select,
  Skeleton,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { IconClock, IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { ticketPriorities } from '../../api/tickets.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { timeZones } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

type Calendar = {
  id: string;
  name: string;
  timeZone: string;
  weekly: Array<{ day: number; start: string; end: string }>;
  holidays: Array<{ date: string; name?: string }>;
};
type Policy = {
  id: string;
  name: string;
  position: number;
  active: boolean;
  conditions: Array<{ field: string; op: string; value: string | string[] }>;
  targets: Record<string, number>;
  calendarId: string | null;
  pauseOn: string[];
  warnBeforeMinutes: number;
};

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const keys = { calendars: ['business-calendars'] as const, policies: ['sla-policies'] as const };

function minutesLabel(m: number | undefined): string {
  if (!m) return '—';
  if (m % 1440 === 0) return `${m / 1440} d`;
  if (m % 60 === 0) return `${m / 60} h`;
  return `${m} min`;
}

function CalendarModal({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('Office hours');
  const [timeZone, setTimeZone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [open, setOpen] = useState<number[]>([1, 2, 3, 4, 5]);
  const [start, setStart] = useState('09:00');
  const [end, setEnd] = useState('17:00');
  const [holidays, setHolidays] = useState('');
  const save = useMutation({
    mutationFn: () =>
      api<Calendar>('/business-calendars', {
        method: 'POST',
        body: {
          name,
          timeZone,
          weekly: open.map((day) => ({ day, start, end })),
          holidays: holidays
            .split(/[\n,]+/)
            .map((h) => h.trim())
            .filter(Boolean)
            .map((date) => ({ date })),
        },
      }),
    onSuccess: () => {
      notifySuccess('Calendar saved');
      void qc.invalidateQueries({ queryKey: keys.calendars });
      onClose();
    },
    onError: (e) => notifyError(e, 'Could not save the calendar'),
  });
  return (
    <Modal opened onClose={onClose} title="Business hours">
      <Stack gap="sm">
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Select
          label="Time zone"
          searchable
          data={timeZones(timeZone)}
          value={timeZone}
          onChange={(v) => v && setTimeZone(v)}
        />
        <Checkbox.Group
          label="Open on"
          value={open.map(String)}
          onChange={(v) => setOpen(v.map(Number).sort((a, b) => a - b))}
        >
          <Group gap="xs" mt={4}>
            {days.map((d, i) => (
              <Checkbox key={d} value={String(i)} label={d} />
            ))}
          </Group>
        </Checkbox.Group>
        <Group grow>
          <TextInput label="From" value={start} onChange={(e) => setStart(e.currentTarget.value)} />
          <TextInput label="To" value={end} onChange={(e) => setEnd(e.currentTarget.value)} />
        </Group>
        <TextInput
          label="Holidays"
          description="Dates YYYY-MM-DD, separated by commas"
          value={holidays}
          onChange={(e) => setHolidays(e.currentTarget.value)}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => save.mutate()} loading={save.isPending}>
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function PolicyModal({ calendars, onClose }: { calendars: Calendar[]; onClose: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [priorities, setPriorities] = useState<string[]>([]);
  const [first, setFirst] = useState<number | string>(60);
  const [next, setNext] = useState<number | string>(240);
  const [resolution, setResolution] = useState<number | string>(1440);
  const [calendarId, setCalendarId] = useState<string | null>(calendars[0]?.id ?? null);
  const [pauseOnHold, setPauseOnHold] = useState(false);
  const [warn, setWarn] = useState<number | string>(30);
  const num = (v: number | string) => (typeof v === 'number' && v > 0 ? v : undefined);
  const save = useMutation({
    mutationFn: () =>
      api<Policy>('/sla-policies', {
        method: 'POST',
        body: {
          name,
          conditions: priorities.length ? [{ field: 'priority', op: 'in', value: priorities }] : [],
          targets: { first_response: num(first), next_response: num(next), resolution: num(resolution) },
          calendarId,
          pauseOn: pauseOnHold ? ['pending', 'on_hold'] : ['pending'],
          warnBeforeMinutes: typeof warn === 'number' ? warn : 0,
        },
      }),
    onSuccess: () => {
      notifySuccess('Policy saved');
      void qc.invalidateQueries({ queryKey: keys.policies });
      onClose();
    },
    onError: (e) => notifyError(e, 'Could not save the policy'),
  });
  return (
    <Modal opened onClose={onClose} title="SLA policy">
      <Stack gap="sm">
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <MultiSelect
          label="For priorities"
          description="Empty: every ticket that no earlier policy took"
          data={[...ticketPriorities]}
          value={priorities}
          onChange={setPriorities}
        />
        <Group grow>
          <NumberInput label="First response (min)" min={1} value={first} onChange={setFirst} />
          <NumberInput label="Next response (min)" min={1} value={next} onChange={setNext} />
          <NumberInput label="Resolution (min)" min={1} value={resolution} onChange={setResolution} />
        </Group>
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
          <Button onClick={() => save.mutate()} loading={save.isPending} disabled={!name.trim()}>
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function SlaPage() {
  const qc = useQueryClient();
  const calendars = useQuery({
    queryKey: keys.calendars,
    queryFn: () => api<{ data: Calendar[] }>('/business-calendars'),
  });
  const policies = useQuery({ queryKey: keys.policies, queryFn: () => api<{ data: Policy[] }>('/sla-policies') });
  const [adding, setAdding] = useState<'calendar' | 'policy' | null>(null);
  const [removing, setRemoving] = useState<Policy | null>(null);
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
  const cals = calendars.data?.data ?? [];
  const calName = (id: string | null) => cals.find((c) => c.id === id)?.name ?? 'Around the clock';
  return (
    <>
      <PageHeader
        title="Service levels"
        description="Response and resolution targets, counted in business hours and paused while you wait on the customer."
        actions={
          <>
            <Button variant="default" onClick={() => setAdding('calendar')}>
              Add business hours
            </Button>
            <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding('policy')}>
              Add policy
            </Button>
          </>
        }
      />
      <Title order={2} fz="md" mb="xs">
        Policies
      </Title>
      {policies.isPending ? (
        <Skeleton h={80} />
      ) : !policies.data?.data.length ? (
        <Empty
          icon={<IconClock size={28} />}
          title="No SLA policies"
          description="Add a policy to give tickets response and resolution targets. The inbox then shows their clocks and warns before a breach."
          action={<Button onClick={() => setAdding('policy')}>Add policy</Button>}
        />
      ) : (
        <Table striped mb="lg">
          <Table.Thead>
            <Table.Tr>
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
            {policies.data.data.map((p) => (
              <Table.Tr key={p.id}>
                <Table.Td>{p.name}</Table.Td>
                <Table.Td>
                  {p.conditions.length
                    ? p.conditions.map((c) => (
                        <Badge key={c.field} variant="light" mr={4}>
                          {c.field}: {[c.value].flat().join(', ')}
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
                  <Button size="xs" variant="subtle" color="red" onClick={() => setRemoving(p)}>
                    Remove
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Title order={2} fz="md" mb="xs" mt="lg">
        Business hours
      </Title>
      {cals.length === 0 ? (
        <Text c="dimmed" fz="sm">
          No calendars: policies count around the clock.
        </Text>
      ) : (
        <Stack gap="xs">
          {cals.map((c) => (
            <Card key={c.id} withBorder padding="sm">
              <Text fw={600}>
                {c.name}{' '}
                <Text span c="dimmed" fz="sm">
                  ({c.timeZone})
                </Text>
              </Text>
              <Text fz="sm">{c.weekly.map((w) => `${days[w.day]} ${w.start}–${w.end}`).join(' · ')}</Text>
              {c.holidays.length > 0 && (
                <Text fz="xs" c="dimmed">
                  Closed on {c.holidays.map((h) => h.date).join(', ')}
                </Text>
              )}
            </Card>
          ))}
        </Stack>
      )}
      {adding === 'calendar' && <CalendarModal onClose={() => setAdding(null)} />}
      {adding === 'policy' && <PolicyModal calendars={cals} onClose={() => setAdding(null)} />}
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
    </>
  );
}
