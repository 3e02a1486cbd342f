import { useState } from 'react';
import { Button, Card, CloseButton, Group, Menu, Popover, Select, Stack, TagsInput, Text } from '@mantine/core';
import { IconTag, IconTrash, IconUser, IconStairs } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { customerKeys, useStages } from '../../api/customers.ts';
import { useAllUsers } from '../../api/queries.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

type Action =
  | { kind: 'tag'; tags: string[] }
  | { kind: 'owner'; ownerId: string | null }
  | { kind: 'stage'; stage: string }
  | { kind: 'delete' };

/** Which records: the ones ticked, or everything the list's filters and search match. */
export type Selection = { ids: string[] } | { filter: string[]; q?: string | undefined } | { all: true };

type BulkResult = {
  status: 'done' | 'queued';
  jobId: string | null;
  matched: number;
  changed: number;
  unchanged: number;
};

/** One request per action; several tags are several requests. Large selections run as a job on the server. */
async function runAll(selection: Selection, a: Action): Promise<BulkResult> {
  const post = (action: string, value?: string | null, reason?: string) =>
    api<BulkResult>('/people/bulk', { method: 'POST', body: { selection, action, value, reason } });
  if (a.kind === 'delete') return post('delete');
  if (a.kind === 'stage') return post('set_stage', a.stage, 'Bulk change');
  if (a.kind === 'owner') return post('set_owner', a.ownerId);
  let last: BulkResult = { status: 'done', jobId: null, matched: 0, changed: 0, unchanged: 0 };
  for (const t of a.tags) last = await post('tag', t);
  return last;
}

export function BulkBar(props: {
  count: number;
  selection: Selection | null;
  onDone: () => void;
  extra?: React.ReactNode;
}) {
  const qc = useQueryClient();
  const stages = useStages();
  const users = useAllUsers();
  const [tags, setTags] = useState<string[]>([]);
  const [tagOpen, setTagOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const n = props.count;
  const run = useMutation({
    mutationFn: (a: Action) => runAll(props.selection ?? { ids: [] }, a),
    onSuccess: (r, a) => {
      const verb = { tag: 'Tagged', owner: 'Changed the owner of', stage: 'Moved', delete: 'Deleted' }[a.kind];
      if (r.status === 'queued')
        notifySuccess(
          `Working on ${r.matched.toLocaleString()} records in the background; the list updates as it goes.`,
        );
      else
        notifySuccess(
          `${verb} ${r.changed.toLocaleString()} ${r.changed === 1 ? 'person' : 'people'}${r.unchanged ? ` (${r.unchanged} already were)` : ''}`,
        );
      setDeleting(false);
      setTagOpen(false);
      setTags([]);
      props.onDone();
    },
    onError: (e) => notifyError(e, 'The bulk change did not work'),
    onSettled: () => void qc.invalidateQueries({ queryKey: customerKeys.people }),
  });
  if (!n) return null;
  return (
    <Card withBorder padding={6} px="sm" mb="xs" bg="var(--mantine-primary-color-light)" data-testid="bulk-bar">
      <Group justify="space-between" wrap="nowrap">
        <Group gap="xs" wrap="nowrap">
          <Text fz="sm" fw={600} data-testid="selected-count">
            {n.toLocaleString()} selected
          </Text>
          {props.extra}
          <Popover opened={tagOpen} onChange={setTagOpen} width={280} shadow="md" trapFocus>
            <Popover.Target>
              <Button
                size="compact-sm"
                variant="default"
                leftSection={<IconTag size={14} />}
                onClick={() => setTagOpen((o) => !o)}
              >
                Tag
              </Button>
            </Popover.Target>
            <Popover.Dropdown>
              <Stack gap="xs">
                <TagsInput
                  size="xs"
                  label="Add tags"
                  value={tags}
                  onChange={setTags}
                  data-autofocus
                  comboboxProps={{ withinPortal: false }}
                />
                <Button
                  size="xs"
                  disabled={!tags.length}
                  loading={run.isPending}
                  onClick={() => run.mutate({ kind: 'tag', tags })}
                >
                  Add to {n}
                </Button>
              </Stack>
            </Popover.Dropdown>
          </Popover>
          <Menu shadow="md" position="bottom-start">
            <Menu.Target>
              <Button
                size="compact-sm"
                variant="default"
                leftSection={<IconStairs size={14} />}
                loading={run.isPending}
              >
                Stage
              </Button>
            </Menu.Target>
            <Menu.Dropdown>
              {stages.map((s) => (
                <Menu.Item key={s.key} onClick={() => run.mutate({ kind: 'stage', stage: s.key })}>
                  {s.label}
                </Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
          <Select
            size="xs"
            w={170}
            placeholder="Set owner…"
            leftSection={<IconUser size={14} />}
            searchable
            data={[
              { value: '', label: 'Nobody' },
              ...(users.data?.data ?? []).map((u) => ({ value: u.id, label: u.name })),
            ]}
            value={null}
            onChange={(v) => v !== null && run.mutate({ kind: 'owner', ownerId: v || null })}
            aria-label="Set owner of the selected people"
          />
          <Button
            size="compact-sm"
            variant="subtle"
            color="red"
            leftSection={<IconTrash size={14} />}
            onClick={() => setDeleting(true)}
          >
            Delete
          </Button>
        </Group>
        <CloseButton aria-label="Clear selection" onClick={props.onDone} />
      </Group>
      <ConfirmModal
        opened={deleting}
        onClose={() => setDeleting(false)}
        title={`Delete ${n} ${n === 1 ? 'person' : 'people'}?`}
        message="Their records, notes and links go. What happened to them stays in the activity log. This cannot be undone."
        confirmLabel={`Delete ${n}`}
        danger
        loading={run.isPending}
        onConfirm={() => run.mutate({ kind: 'delete' })}
      />
    </Card>
  );
}
