import { ActionIcon, Button, Card, Group, Stack, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client.ts';
import { useWorkspaceSettings, workspaceSettingsKey, type WorkspaceSettings } from '../../api/tickets.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

type Stage = { key: string; label: string };
type ListField = 'lifecycleStages' | 'ticketTypes';

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

/** The workspace's lifecycle stages, in order. The server refuses to drop a stage people are still in. */
export function LifecycleStagesCard({ canManage }: { canManage: boolean }) {
  return (
    <KeyedListCard
      canManage={canManage}
      field="lifecycleStages"
      title="Lifecycle stages"
      noun="stage"
      min={2}
      testId="lifecycle-stages"
      description="The stages a customer moves through, in order. Every change of stage is kept with its reason on the customer’s timeline. A stage people are in cannot be removed until they are moved."
    />
  );
}

/** The workspace's ticket types, in order. The server refuses to drop a type tickets still have. */
export function TicketTypesCard({ canManage }: { canManage: boolean }) {
  return (
    <KeyedListCard
      canManage={canManage}
      field="ticketTypes"
      title="Ticket types"
      noun="type"
      min={1}
      testId="ticket-types"
      description="What a customer's request is about: the inbox, rules, macros, SOP checklists and service levels use this list. Renaming keeps the tickets; a type tickets have cannot be removed."
    />
  );
}

/**
 * One of the workspace's ordered lists (stages, ticket types): rename, reorder, add, remove, then save. The server
 * refuses to drop an item still in use and says how many; that message is shown as it is.
 */
function KeyedListCard(props: {
  canManage: boolean;
  field: ListField;
  title: string;
  noun: string;
  min: number;
  testId: string;
  description: string;
}) {
  const { canManage, field, noun } = props;
  const qc = useQueryClient();
  const ws = useWorkspaceSettings();
  const [draft, setDraft] = useState<Stage[] | null>(null);
  const stages = draft ?? ws.data?.[field] ?? [];
  const Noun = noun.charAt(0).toUpperCase() + noun.slice(1);

  const save = useMutation({
    mutationFn: (list: Stage[]) => api<WorkspaceSettings>('/workspace', { method: 'PATCH', body: { [field]: list } }),
    onSuccess: (w) => {
      qc.setQueryData(workspaceSettingsKey, w);
      void qc.invalidateQueries();
      setDraft(null);
      notifySuccess(`${props.title} saved`);
    },
    onError: (e) => notifyError(e, `Could not save the ${noun}s`),
  });

  const edit = (next: Stage[]) => setDraft(next);
  const move = (i: number, by: number) => {
    const next = [...stages];
    const [item] = next.splice(i, 1);
    if (item) next.splice(i + by, 0, item);
    edit(next);
  };

  return (
    <Card withBorder maw={640} padding="lg" mt="lg" data-testid={props.testId}>
      <Stack gap="sm">
        <div>
          <Title order={4}>{props.title}</Title>
          <Text fz="sm" c="dimmed">
            {props.description}
          </Text>
        </div>
        {stages.map((s, i) => (
          <Group key={`${i}-${s.key}`} gap="xs" wrap="nowrap">
            <TextInput
              aria-label={`${Noun} ${i + 1} name`}
              value={s.label}
              disabled={!canManage}
              onChange={(e) => {
                const label = e.currentTarget.value;
                const isNew = !ws.data?.[field].some((x) => x.key === s.key);
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
                    disabled={stages.length <= props.min}
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
                edit([...stages, { key: `${noun}_${stages.length + 1}`, label: `${Noun} ${stages.length + 1}` }])
              }
            >
              Add a {noun}
            </Button>
            <Group gap="xs">
              <Button variant="default" disabled={!draft} onClick={() => setDraft(null)}>
                Discard
              </Button>
              <Button disabled={!draft} loading={save.isPending} onClick={() => draft && save.mutate(draft)}>
                Save {noun}s
              </Button>
            </Group>
          </Group>
        )}
      </Stack>
    </Card>
  );
}
