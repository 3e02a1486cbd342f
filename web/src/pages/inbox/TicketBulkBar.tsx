import { useState } from 'react';
import { Button, Checkbox, CloseButton, Group, Menu, Popover, Stack, TagsInput, Text } from '@mantine/core';
import { IconChevronDown, IconTag } from '@tabler/icons-react';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { useAllUsers, useMe } from '../../api/queries.ts';
import { statusLabels, ticketKeys, ticketPriorities, ticketStatuses, useTeams } from '../../api/tickets.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

/** What POST /tickets/bulk changes on every chosen ticket. */
type Change = {
  status?: string;
  priority?: string;
  assigneeId?: string | null;
  teamId?: string | null;
  addTags?: string[];
  removeTags?: string[];
};

type BulkResult = {
  updated: Array<{ id: string; number: number; status: string }>;
  failed: Array<{ id: string; number: number | null; code: string; message: string }>;
};

/**
 * The inbox's selection: the tickets ticked in the list, changed together — assignee, team, status, priority, tags. Each
 * ticket changes as if changed on its own; the ones that cannot (a closed ticket, one missing what solving needs)
 * are named with the reason.
 */
export function TicketBulkBar(props: {
  chosen: string[];
  pageIds: string[];
  onChoose: (ids: string[]) => void;
  onDone: () => void;
}) {
  const qc = useQueryClient();
  const users = useAllUsers();
  const teams = useTeams();
  const me = useMe();
  const [tags, setTags] = useState<string[]>([]);
  const [tagOpen, setTagOpen] = useState(false);
  const n = props.chosen.length;
  const all = props.pageIds.length > 0 && props.pageIds.every((id) => props.chosen.includes(id));
  const run = useMutation({
    mutationFn: (change: Change) =>
      api<BulkResult>('/tickets/bulk', { method: 'POST', body: { ids: props.chosen, ...change } }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ticketKeys.all });
      if (r.updated.length) notifySuccess(`Changed ${r.updated.length} ticket${r.updated.length === 1 ? '' : 's'}`);
      if (r.failed.length)
        notifications.show({
          color: 'orange',
          autoClose: 12_000,
          title: `${r.failed.length} ticket${r.failed.length === 1 ? '' : 's'} not changed`,
          message: r.failed
            .slice(0, 5)
            .map((f) => `${f.number !== null ? `#${f.number}: ` : ''}${f.message}`)
            .join('\n'),
          style: { whiteSpace: 'pre-line' },
        });
      setTags([]);
      setTagOpen(false);
      props.onDone();
    },
    onError: (e) => notifyError(e, 'Could not change the tickets'),
  });
  const menu = (label: string, items: Array<{ key: string; label: string; change: Change }>) => (
    <Menu position="bottom-start" withinPortal>
      <Menu.Target>
        <Button
          size="compact-xs"
          variant="default"
          rightSection={<IconChevronDown size={12} />}
          disabled={run.isPending}
        >
          {label}
        </Button>
      </Menu.Target>
      <Menu.Dropdown mah={320} style={{ overflowY: 'auto' }}>
        {items.map((i) => (
          <Menu.Item key={i.key} onClick={() => run.mutate(i.change)}>
            {i.label}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
  const agents = (users.data?.data ?? []).filter(
    (u) => u.status === 'active' && ['owner', 'admin', 'agent'].includes(u.role),
  );
  return (
    <Stack gap={6} p="xs" data-testid="ticket-bulk-bar" style={{ background: 'var(--mantine-color-default-hover)' }}>
      <Group justify="space-between" wrap="nowrap" gap={4}>
        <Checkbox
          size="xs"
          label={`${n} selected`}
          checked={all}
          indeterminate={!all && n > 0}
          onChange={() => props.onChoose(all ? [] : props.pageIds)}
          aria-label={all ? 'Clear the selection' : 'Select every ticket in the list'}
        />
        <CloseButton size="sm" aria-label="Clear the selection" onClick={() => props.onChoose([])} />
      </Group>
      <Group gap={4}>
        {menu('Assign', [
          ...(me.user ? [{ key: 'me', label: 'To me', change: { assigneeId: me.user.id } }] : []),
          ...agents
            .filter((u) => u.id !== me.user?.id)
            .map((u) => ({ key: u.id, label: u.name, change: { assigneeId: u.id } })),
          { key: 'none', label: 'Unassign', change: { assigneeId: null } },
        ])}
        {menu('Team', [
          ...(teams.data?.data ?? []).map((t) => ({ key: t.id, label: t.name, change: { teamId: t.id } })),
          { key: 'none', label: 'No team', change: { teamId: null } },
        ])}
        {menu(
          'Status',
          ticketStatuses
            .filter((s) => s !== 'new')
            .map((s) => ({ key: s, label: statusLabels[s], change: { status: s } })),
        )}
        {menu(
          'Priority',
          ticketPriorities.map((p) => ({ key: p, label: p[0]?.toUpperCase() + p.slice(1), change: { priority: p } })),
        )}
        <Popover opened={tagOpen} onChange={setTagOpen} position="bottom-start" withinPortal trapFocus>
          <Popover.Target>
            <Button
              size="compact-xs"
              variant="default"
              leftSection={<IconTag size={12} />}
              onClick={() => setTagOpen((o) => !o)}
              disabled={run.isPending}
            >
              Tags
            </Button>
          </Popover.Target>
          <Popover.Dropdown>
            <Stack gap="xs" w={240}>
              <TagsInput
                size="xs"
                label="Tags"
                placeholder="Type a tag, press Enter"
                value={tags}
                onChange={setTags}
                maxTags={50}
              />
              <Group gap={6} justify="flex-end">
                <Button
                  size="compact-xs"
                  variant="default"
                  disabled={!tags.length}
                  onClick={() => run.mutate({ removeTags: tags })}
                >
                  Remove
                </Button>
                <Button size="compact-xs" disabled={!tags.length} onClick={() => run.mutate({ addTags: tags })}>
                  Add
                </Button>
              </Group>
            </Stack>
          </Popover.Dropdown>
        </Popover>
      </Group>
      {run.isPending && (
        <Text fz="xs" c="dimmed">
          Changing {n} ticket{n === 1 ? '' : 's'}…
        </Text>
      )}
    </Stack>
  );
}
