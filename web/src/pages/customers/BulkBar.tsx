import { useState } from 'react';
import { Button, Card, CloseButton, Group, Menu, Popover, Select, Stack, TagsInput, Text } from '@mantine/core';
import { IconTag, IconTrash, IconUser, IconStairs } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { customerKeys, useStages, type Person } from '../../api/customers.ts';
import { useAllUsers } from '../../api/queries.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

type Action =
  | { kind: 'tag'; tags: string[] }
  | { kind: 'owner'; ownerId: string | null }
  | { kind: 'stage'; stage: string }
  | { kind: 'delete' };

async function runOne(p: Person, a: Action): Promise<void> {
  if (a.kind === 'delete') await api(`/people/${p.id}`, { method: 'DELETE' });
  else if (a.kind === 'stage')
    await api(`/people/${p.id}/stage`, { method: 'POST', body: { stage: a.stage, reason: 'Bulk change' } });
  else if (a.kind === 'owner') await api(`/people/${p.id}`, { method: 'PATCH', body: { ownerId: a.ownerId } });
  else await api(`/people/${p.id}`, { method: 'PATCH', body: { tags: [...new Set([...p.tags, ...a.tags])] } });
}

/** Runs an action over the selected people, a few at a time. */
async function runAll(people: Person[], a: Action): Promise<{ ok: number; failed: number }> {
  let ok = 0;
  let failed = 0;
  const queue = [...people];
  await Promise.all(
    Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        try {
          await runOne(p, a);
          ok++;
        } catch {
          failed++;
        }
      }
    }),
  );
  return { ok, failed };
}

export function BulkBar(props: { selected: Person[]; onDone: () => void }) {
  const qc = useQueryClient();
  const stages = useStages();
  const users = useAllUsers();
  const [tags, setTags] = useState<string[]>([]);
  const [tagOpen, setTagOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const n = props.selected.length;
  const run = useMutation({
    mutationFn: (a: Action) => runAll(props.selected, a),
    onSuccess: (r, a) => {
      const verb = { tag: 'Tagged', owner: 'Changed the owner of', stage: 'Moved', delete: 'Deleted' }[a.kind];
      if (r.failed) notifyError(new Error(`${r.failed} of ${n} could not be changed`), `${verb} ${r.ok} of ${n}`);
      else notifySuccess(`${verb} ${r.ok} ${r.ok === 1 ? 'person' : 'people'}`);
      setDeleting(false);
      setTagOpen(false);
      setTags([]);
      props.onDone();
    },
    onSettled: () => void qc.invalidateQueries({ queryKey: customerKeys.people }),
  });
  if (!n) return null;
  return (
    <Card withBorder padding={6} px="sm" mb="xs" bg="var(--mantine-primary-color-light)" data-testid="bulk-bar">
      <Group justify="space-between" wrap="nowrap">
        <Group gap="xs" wrap="nowrap">
          <Text fz="sm" fw={600} data-testid="selected-count">
            {n} selected
          </Text>
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
