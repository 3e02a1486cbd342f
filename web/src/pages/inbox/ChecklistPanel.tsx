import { Badge, Box, Checkbox, Group, Progress, Stack, Text, Tooltip } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { useAllUsers, useCan } from '../../api/queries.ts';
import { macroKeys, useTicketChecklist, type TicketChecklist } from '../../api/macros.ts';
import { formatDateTime } from '../../lib/format.ts';
import { notifyError } from '../../lib/notify.ts';

/**
 * The ticket's SOP checklist in the inbox's side panel: tick steps as they are done. Its query key lives under
 * ['tickets'], so whatever refreshes the ticket (a type change, a macro) reads the checklist again too.
 */
export function ChecklistPanel({ ticketId }: { ticketId: string }) {
  const qc = useQueryClient();
  const can = useCan();
  const users = useAllUsers();
  const checklist = useTicketChecklist(ticketId);
  const key = macroKeys.checklist(ticketId);
  const tick = useMutation({
    mutationFn: (v: { stepId: string; done: boolean }) =>
      api<TicketChecklist>(`/tickets/${ticketId}/checklist/${v.stepId}`, { method: 'PATCH', body: { done: v.done } }),
    onMutate: async (v) => {
      // Optimistic: the box ticks at once; the server's answer replaces it.
      await qc.cancelQueries({ queryKey: key });
      const before = qc.getQueryData<TicketChecklist>(key);
      if (before)
        qc.setQueryData<TicketChecklist>(key, {
          ...before,
          steps: before.steps.map((s) => (s.id === v.stepId ? { ...s, done: v.done } : s)),
        });
      return { before };
    },
    onSuccess: (c) => qc.setQueryData(key, c),
    onError: (e, _v, context) => {
      if (context?.before) qc.setQueryData(key, context.before);
      notifyError(e, 'Could not change the checklist');
    },
  });
  const c = checklist.data;
  if (!c || c.steps.length === 0) return null;
  const done = c.steps.filter((s) => s.done).length;
  const who = (id: string | null) => (users.data?.data ?? []).find((u) => u.id === id)?.name ?? 'an integration';
  return (
    <Box>
      <Group justify="space-between" mb={4}>
        <Text fz="xs" fw={600} c="dimmed" tt="uppercase">
          Checklist
        </Text>
        <Text fz="xs" c="dimmed">
          {done}/{c.steps.length}
        </Text>
      </Group>
      <Progress value={(done / c.steps.length) * 100} size="xs" mb="xs" color={c.complete ? 'teal' : 'blue'} />
      <Stack gap={6}>
        {c.steps.map((s) => (
          <Tooltip
            key={s.id}
            disabled={!s.doneAt}
            label={s.doneAt ? `Done by ${who(s.doneBy)}, ${formatDateTime(s.doneAt)}` : ''}
            position="left"
          >
            <Checkbox
              size="xs"
              checked={s.done}
              disabled={!can('tickets:write')}
              onChange={(e) => tick.mutate({ stepId: s.id, done: e.currentTarget.checked })}
              label={
                <Group gap={4} wrap="nowrap">
                  <Text fz="xs" td={s.done ? 'line-through' : undefined}>
                    {s.text}
                  </Text>
                  {s.required && !s.done && (
                    <Badge size="xs" variant="light" color={c.blockSolve ? 'red' : 'gray'}>
                      required
                    </Badge>
                  )}
                </Group>
              }
            />
          </Tooltip>
        ))}
      </Stack>
    </Box>
  );
}
