import { useEffect, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Group,
  Loader,
  Modal,
  NavLink,
  Paper,
  ScrollArea,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { IconBolt, IconSearch } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { useCustomFields } from '../../api/customers.ts';
import { useAllUsers } from '../../api/queries.ts';
import { changeLabels, macroKeys, useMacros, type MacroChange, type MacroPreview } from '../../api/macros.ts';
import { statusLabels, ticketKeys, useTeams, type TicketDetail, type TicketStatus } from '../../api/tickets.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

/**
 * The Composer's macro picker: search active macros by name, preview one on this ticket (the reply with placeholders
 * filled in, and the field changes), then apply it in one step or only insert its text into the reply box.
 */
export function MacroPicker(props: {
  ticket: TicketDetail;
  seenMessageId: string | undefined;
  onInsert: (text: string) => void;
  onApplied: () => void;
}) {
  const [opened, setOpened] = useState(false);
  const [q, setQ] = useState('');
  const [chosen, setChosen] = useState<string | null>(null);
  const qc = useQueryClient();
  const macros = useMacros({ active: true }, opened);
  const users = useAllUsers();
  const teams = useTeams();
  const fields = useCustomFields('ticket');
  const label = (field: string) =>
    changeLabels[field] ??
    fields.data?.find((f) => `custom.${f.key}` === field)?.label ??
    field.replace(/^custom\./, '');
  const list = (macros.data?.data ?? []).filter((m) =>
    `${m.name} ${m.description ?? ''}`.toLowerCase().includes(q.trim().toLowerCase()),
  );
  const selected = chosen ?? list[0]?.id ?? null;
  useEffect(() => setChosen(null), [q]);
  const preview = useQuery({
    queryKey: ['macros', 'preview', props.ticket.id, selected, props.ticket.updatedAt],
    enabled: opened && Boolean(selected),
    queryFn: () => api<MacroPreview>(`/tickets/${props.ticket.id}/macros/${selected}/preview`, { method: 'POST' }),
    retry: false,
  });
  const apply = useMutation({
    mutationFn: () =>
      api<unknown>(`/tickets/${props.ticket.id}/macros/${selected}/apply`, {
        method: 'POST',
        body: props.seenMessageId ? { seenMessageId: props.seenMessageId } : {},
      }),
    onSuccess: () => {
      notifySuccess('Macro applied');
      setOpened(false);
      void qc.invalidateQueries({ queryKey: ticketKeys.all });
      void qc.invalidateQueries({ queryKey: macroKeys.all });
      props.onApplied();
    },
    onError: (e) => notifyError(e, 'Could not apply the macro'),
  });
  const value = (c: MacroChange, v: unknown): string => {
    if (v === null || v === undefined) return c.field === 'assigneeId' ? 'nobody' : 'none';
    if (c.field === 'status') return statusLabels[v as TicketStatus] ?? String(v);
    if (c.field === 'assigneeId') return (users.data?.data ?? []).find((u) => u.id === v)?.name ?? 'someone';
    if (c.field === 'teamId') return (teams.data?.data ?? []).find((t) => t.id === v)?.name ?? 'a team';
    if (Array.isArray(v)) return v.join(', ') || 'none';
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    return String(v);
  };
  return (
    <>
      <Button size="xs" variant="default" leftSection={<IconBolt size={14} />} onClick={() => setOpened(true)}>
        Macros
      </Button>
      <Modal opened={opened} onClose={() => setOpened(false)} title="Apply a macro" size="lg">
        <Group align="stretch" wrap="nowrap" gap="md">
          <Stack gap="xs" w={220} style={{ flexShrink: 0 }}>
            <TextInput
              size="xs"
              data-autofocus
              placeholder="Search macros"
              aria-label="Search macros"
              leftSection={<IconSearch size={14} />}
              value={q}
              onChange={(e) => setQ(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && selected && !apply.isPending) apply.mutate();
              }}
            />
            <ScrollArea h={300}>
              {macros.isPending ? (
                <Loader size="sm" m="sm" />
              ) : list.length ? (
                list.map((m) => (
                  <NavLink
                    key={m.id}
                    label={m.name}
                    description={m.description ?? undefined}
                    active={m.id === selected}
                    onClick={() => setChosen(m.id)}
                    rightSection={
                      m.internal ? (
                        <Badge size="xs" color="yellow" variant="light">
                          note
                        </Badge>
                      ) : null
                    }
                  />
                ))
              ) : (
                <Text fz="xs" c="dimmed" p="sm">
                  {q ? 'No macro matches.' : 'No macros yet: add them in Settings → Macros.'}
                </Text>
              )}
            </ScrollArea>
          </Stack>
          <Stack gap="xs" style={{ flex: 1, minWidth: 0 }}>
            {!selected ? null : preview.isPending ? (
              <Loader size="sm" />
            ) : preview.isError ? (
              <Alert color="red">{(preview.error as Error).message}</Alert>
            ) : (
              <>
                <Paper
                  withBorder
                  p="sm"
                  radius="md"
                  bg={preview.data.internal ? 'var(--mantine-color-yellow-light)' : undefined}
                >
                  <Text fz="xs" fw={600} c="dimmed" tt="uppercase" mb={4}>
                    {preview.data.body ? (preview.data.internal ? 'Internal note' : 'Reply') : 'No message'}
                  </Text>
                  <Text
                    fz="sm"
                    style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
                    data-testid="macro-preview"
                  >
                    {preview.data.body || 'This macro only changes fields.'}
                  </Text>
                </Paper>
                {preview.data.changes.length > 0 && (
                  <Stack gap={2}>
                    {preview.data.changes.map((c) => (
                      <Text key={c.field} fz="xs">
                        {label(c.field)}: {value(c, c.from)} → <b>{value(c, c.to)}</b>
                      </Text>
                    ))}
                  </Stack>
                )}
                <Group justify="flex-end" mt="xs">
                  <Button
                    size="xs"
                    variant="default"
                    disabled={!preview.data.body}
                    onClick={() => {
                      props.onInsert(preview.data.body);
                      setOpened(false);
                    }}
                  >
                    Insert text only
                  </Button>
                  <Button size="xs" onClick={() => apply.mutate()} loading={apply.isPending}>
                    Apply
                  </Button>
                </Group>
              </>
            )}
          </Stack>
        </Group>
      </Modal>
    </>
  );
}
