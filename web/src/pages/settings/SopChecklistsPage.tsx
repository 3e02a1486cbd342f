import { useState } from 'react';
import { ActionIcon, Button, Checkbox, Group, Paper, Skeleton, Stack, Switch, Text, TextInput } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { macroKeys, useSops, type SopChecklist } from '../../api/macros.ts';
import { useTicketTypeOptions } from '../../api/tickets.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

type DraftStep = { id?: string; text: string; required: boolean };

function SopEditor(props: { type: { value: string; label: string }; sop: SopChecklist | undefined }) {
  const qc = useQueryClient();
  const [steps, setSteps] = useState<DraftStep[]>(props.sop?.steps ?? []);
  const [blockSolve, setBlockSolve] = useState(props.sop?.blockSolve ?? false);
  const [dirty, setDirty] = useState(false);
  const change = (next: DraftStep[]) => {
    setSteps(next);
    setDirty(true);
  };
  const save = useMutation({
    mutationFn: async (): Promise<void> => {
      const kept = steps.filter((s) => s.text.trim());
      if (kept.length || !props.sop)
        await api<SopChecklist>(`/sop-checklists/${props.type.value}`, {
          method: 'PUT',
          body: { steps: kept.map((s) => ({ ...s, text: s.text.trim() })), blockSolve },
        });
      else await api<void>(`/sop-checklists/${props.type.value}`, { method: 'DELETE' });
    },
    onSuccess: () => {
      notifySuccess(`${props.type.label} checklist saved`);
      setDirty(false);
      void qc.invalidateQueries({ queryKey: macroKeys.sops });
    },
    onError: (e) => notifyError(e, 'Could not save the checklist'),
  });
  const move = (i: number, by: number) => {
    const next = [...steps];
    const [s] = next.splice(i, 1);
    if (s) next.splice(i + by, 0, s);
    change(next);
  };
  return (
    <Paper withBorder p="md" radius="md" data-sop-type={props.type.value}>
      <Group justify="space-between" mb="xs">
        <Text fw={600}>{props.type.label}</Text>
        <Switch
          size="xs"
          label="Required steps must be done before solving"
          checked={blockSolve}
          onChange={(e) => {
            setBlockSolve(e.currentTarget.checked);
            setDirty(true);
          }}
        />
      </Group>
      <Stack gap={6}>
        {steps.length === 0 && (
          <Text fz="xs" c="dimmed">
            No steps: tickets of this type get no checklist.
          </Text>
        )}
        {steps.map((s, i) => (
          <Group key={s.id ?? `new-${i}`} gap="xs" wrap="nowrap">
            <Text fz="xs" c="dimmed" w={18}>
              {i + 1}.
            </Text>
            <TextInput
              size="xs"
              style={{ flex: 1 }}
              aria-label={`Step ${i + 1} of ${props.type.label}`}
              value={s.text}
              onChange={(e) => {
                const text = e.currentTarget.value;
                change(steps.map((x, j) => (j === i ? { ...x, text } : x)));
              }}
            />
            <Checkbox
              size="xs"
              label="required"
              checked={s.required}
              onChange={(e) => {
                const required = e.currentTarget.checked;
                change(steps.map((x, j) => (j === i ? { ...x, required } : x)));
              }}
            />
            <ActionIcon variant="subtle" size="sm" aria-label="Move up" disabled={i === 0} onClick={() => move(i, -1)}>
              <IconArrowUp size={14} />
            </ActionIcon>
            <ActionIcon
              variant="subtle"
              size="sm"
              aria-label="Move down"
              disabled={i === steps.length - 1}
              onClick={() => move(i, 1)}
            >
              <IconArrowDown size={14} />
            </ActionIcon>
            <ActionIcon
              variant="subtle"
              color="red"
              size="sm"
              aria-label="Remove step"
              onClick={() => change(steps.filter((_, j) => j !== i))}
            >
              <IconTrash size={14} />
            </ActionIcon>
          </Group>
        ))}
      </Stack>
      <Group justify="space-between" mt="sm">
        <Button
          size="xs"
          variant="subtle"
          leftSection={<IconPlus size={14} />}
          onClick={() => change([...steps, { text: '', required: false }])}
        >
          Add step
        </Button>
        <Button size="xs" onClick={() => save.mutate()} loading={save.isPending} disabled={!dirty}>
          Save
        </Button>
      </Group>
    </Paper>
  );
}

export function SopChecklistsPage() {
  const ticketTypeOptions = useTicketTypeOptions();
  const sops = useSops();
  const byType = new Map((sops.data?.data ?? []).map((s) => [s.ticketType, s]));
  return (
    <>
      <PageHeader
        title="SOP checklists"
        description="The steps every ticket of a type must go through. A ticket gets its type's checklist when it is opened or changes type; steps already ticked stay ticked when the new type has them too."
      />
      {sops.isPending ? (
        <Skeleton h={200} />
      ) : (
        <Stack gap="md">
          {ticketTypeOptions.map((t) => (
            <SopEditor key={`${t.value}-${byType.get(t.value)?.updatedAt ?? ''}`} type={t} sop={byType.get(t.value)} />
          ))}
        </Stack>
      )}
    </>
  );
}
