import { Badge, Button, Group, Popover, Select, Stack } from '@mantine/core';
import { IconFilter } from '@tabler/icons-react';
import { useAllUsers } from '../../api/queries.ts';
import {
  channelLabels,
  statusLabels,
  ticketPriorities,
  ticketStatuses,
  useTeams,
  type ChannelKind,
} from '../../api/tickets.ts';

/** What the inbox list is narrowed to within its queue; `none` stands for "no team" and "unassigned". */
export type InboxFilterValues = {
  teamId?: string | undefined;
  assigneeId?: string | undefined;
  status?: string | undefined;
  priority?: string | undefined;
  channel?: string | undefined;
};

export const noneValue = 'none';

/** The list API's `filter` parameters for the chosen values. */
export function inboxFilterParams(f: InboxFilterValues): string[] {
  const out: string[] = [];
  if (f.teamId) out.push(f.teamId === noneValue ? 'team_id:exists:false' : `team_id:eq:${f.teamId}`);
  if (f.assigneeId)
    out.push(f.assigneeId === noneValue ? 'assignee_id:exists:false' : `assignee_id:eq:${f.assigneeId}`);
  if (f.status) out.push(`status:eq:${f.status}`);
  if (f.priority) out.push(`priority:eq:${f.priority}`);
  if (f.channel) out.push(`channel:eq:${f.channel}`);
  return out;
}

export function activeFilterCount(f: InboxFilterValues): number {
  return Object.values(f).filter(Boolean).length;
}

/**
 * Narrows the inbox list by team, assignee, status, priority and channel — what a lead needs to look at one agent's
 * or one team's tickets, or the urgent ones, within a queue.
 */
export function InboxFilters(props: { value: InboxFilterValues; onChange: (v: InboxFilterValues) => void }) {
  const teams = useTeams();
  const users = useAllUsers();
  const v = props.value;
  const n = activeFilterCount(v);
  const set = (k: keyof InboxFilterValues) => (x: string | null) => props.onChange({ ...v, [k]: x ?? undefined });
  // Anyone who works tickets, and whoever is chosen now (a person disabled since keeps their tickets findable).
  const people = (users.data?.data ?? []).filter(
    (u) => (u.status === 'active' && ['owner', 'admin', 'agent'].includes(u.role)) || u.id === v.assigneeId,
  );
  return (
    <Popover position="bottom-start" withinPortal trapFocus shadow="md">
      <Popover.Target>
        <Button
          size="compact-xs"
          variant={n ? 'light' : 'subtle'}
          leftSection={<IconFilter size={12} />}
          rightSection={n ? <Badge size="xs">{n}</Badge> : null}
          aria-label={n ? `Filter tickets (${n} on)` : 'Filter tickets'}
          data-testid="inbox-filter-button"
        >
          Filter
        </Button>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack gap="xs" w={240} data-testid="inbox-filters">
          <Select
            size="xs"
            label="Team"
            clearable
            placeholder="Any team"
            data={[
              { value: noneValue, label: 'No team' },
              ...(teams.data?.data ?? []).map((t) => ({ value: t.id, label: t.name })),
            ]}
            value={v.teamId ?? null}
            onChange={set('teamId')}
            comboboxProps={{ withinPortal: false }}
          />
          <Select
            size="xs"
            label="Assignee"
            clearable
            searchable
            placeholder="Anyone"
            data={[{ value: noneValue, label: 'Unassigned' }, ...people.map((u) => ({ value: u.id, label: u.name }))]}
            value={v.assigneeId ?? null}
            onChange={set('assigneeId')}
            comboboxProps={{ withinPortal: false }}
          />
          <Select
            size="xs"
            label="Status"
            clearable
            placeholder="Any status"
            data={ticketStatuses.map((s) => ({ value: s, label: statusLabels[s] }))}
            value={v.status ?? null}
            onChange={set('status')}
            comboboxProps={{ withinPortal: false }}
          />
          <Select
            size="xs"
            label="Priority"
            clearable
            placeholder="Any priority"
            data={ticketPriorities.map((p) => ({ value: p, label: p[0]?.toUpperCase() + p.slice(1) }))}
            value={v.priority ?? null}
            onChange={set('priority')}
            comboboxProps={{ withinPortal: false }}
          />
          <Select
            size="xs"
            label="Channel"
            clearable
            placeholder="Any channel"
            data={(Object.keys(channelLabels) as ChannelKind[]).map((c) => ({ value: c, label: channelLabels[c] }))}
            value={v.channel ?? null}
            onChange={set('channel')}
            comboboxProps={{ withinPortal: false }}
          />
          <Group justify="flex-end">
            <Button size="compact-xs" variant="default" disabled={!n} onClick={() => props.onChange({})}>
              Clear filters
            </Button>
          </Group>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}
