import { ActionIcon, Button, Card, Group, Stack, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

type Stage = { key: string; label: string };
type WorkspaceStages = { lifecycleStages: Stage[]; defaultCountry: string | null };

function keyFromLabel(label: string): string {
  const k = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 30);
  return /^[a-z]/.test(k) ? k : `s_${k}`.slice(0, 30);
}

/**
 * The workspace's lifecycle stages, in order: rename, reorder, add, remove. The server refuses to drop a stage
 * people are still in and says how many; that message is shown as it is.
 */
export function LifecycleStagesCard({ canManage }: { canManage: boolean }) {
  const qc = useQueryClient();
  const ws = useQuery({ queryKey: ['workspace', 'stages'], queryFn: () => api<WorkspaceStages>('/workspace') });
  const [draft, setDraft] = useState<Stage[] | null>(null);
  const stages = draft ?? ws.data?.lifecycleStages ?? [];

  const save = useMutation({
    mutationFn: (lifecycleStages: Stage[]) =>
      api<WorkspaceStages>('/workspace', { method: 'PATCH', body: { lifecycleStages } }),
    onSuccess: (w) => {
      qc.setQueryData(['workspace', 'stages'], w);
      void qc.invalidateQueries();
      setDraft(null);
      notifySuccess('Lifecycle stages saved');
    },
    onError: (e) => notifyError(e, 'Could not save the stages'),
  });

  const edit = (next: Stage[]) => setDraft(next);
  const move = (i: number, by: number) => {
    const next = [...stages];
    const [item] = next.splice(i, 1);
    if (item) next.splice(i + by, 0, item);
    edit(next);
  };

  return (
    <Card withBorder maw={640} padding="lg" mt="lg" data-testid="lifecycle-stages">
      <Stack gap="sm">
        <div>
          <Title order={4}>Lifecycle stages</Title>
          <Text fz="sm" c="dimmed">
            The stages a customer moves through, in order. Every change of stage is kept with its reason on the
            customer’s timeline. A stage people are in cannot be removed until they are moved.
          </Text>
        </div>
        {stages.map((s, i) => (
          <Group key={`${i}-${s.key}`} gap="xs" wrap="nowrap">
            <TextInput
              aria-label={`Stage ${i + 1} name`}
              value={s.label}
              disabled={!canManage}
              onChange={(e) => {
                const label = e.currentTarget.value;
                const isNew = !ws.data?.lifecycleStages.some((x) => x.key === s.key);
                edit(
                  stages.map((x, j) => (j === i ? { key: isNew ? keyFromLabel(label) || x.key : x.key, label } : x)),
                );
              }}
              style={{ flex: 1 }}
            />
            <Text fz="xs" c="dimmed" ff="monospace" w={110} truncate>
              {s.key}
            </Text>
            {canManage && (
              <>
                <Tooltip label="Move up">
                  <ActionIcon
                    variant="subtle"
                    aria-label={`Move ${s.label} up`}
                    disabled={i === 0}
                    onClick={() => move(i, -1)}
                  >
                    <IconArrowUp size={16} />
                  </ActionIcon>
                </Tooltip>
                <Tooltip label="Move down">
                  <ActionIcon
                    variant="subtle"
                    aria-label={`Move ${s.label} down`}
                    disabled={i === stages.length - 1}
                    onClick={() => move(i, 1)}
                  >
                    <IconArrowDown size={16} />
                  </ActionIcon>
                </Tooltip>
                <Tooltip label="Remove">
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    aria-label={`Remove ${s.label}`}
                    disabled={stages.length <= 2}
                    onClick={() => edit(stages.filter((_, j) => j !== i))}
                  >
                    <IconTrash size={16} />
                  </ActionIcon>
                </Tooltip>
              </>
            )}
          </Group>
        ))}
        {canManage && (
          <Group justify="space-between">
            <Button
              variant="subtle"
              leftSection={<IconPlus size={16} />}
              onClick={() =>
                edit([...stages, { key: `stage_${stages.length + 1}`, label: `Stage ${stages.length + 1}` }])
              }
            >
              Add a stage
            </Button>
            <Group gap="xs">
              <Button variant="default" disabled={!draft} onClick={() => setDraft(null)}>
                Discard
              </Button>
              <Button disabled={!draft} loading={save.isPending} onClick={() => draft && save.mutate(draft)}>
                Save stages
              </Button>
            </Group>
          </Group>
        )}
      </Stack>
    </Card>
  );
}
