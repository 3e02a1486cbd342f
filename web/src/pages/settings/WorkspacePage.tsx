import { Alert, Button, Card, Group, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconLock } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { keys, useMe } from '../../api/queries.ts';
import type { Me, Workspace } from '../../api/types.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { LifecycleStagesCard, TicketTypesCard } from './ListCards.tsx';
import { formatDate, timeZones } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

export function WorkspacePage() {
  const me = useMe();
  // Remounting the form when the saved values change resets it to them.
  return <WorkspaceForm key={`${me.workspace.name}|${me.workspace.timezone}`} />;
}

function WorkspaceForm() {
  const me = useMe();
  const qc = useQueryClient();
  const canManage = me.permissions.includes('workspace:manage');
  const ws = me.workspace;
  const form = useForm({
    initialValues: { name: ws.name, timezone: ws.timezone },
    validate: { name: (v) => (v.trim() ? null : 'The workspace needs a name') },
  });

  const save = useMutation({
    mutationFn: (body: { name?: string; timezone?: string }) => api<Workspace>('/workspace', { method: 'PATCH', body }),
    onSuccess: (w) => {
      qc.setQueryData<Me | null>(keys.me, (old) => (old ? { ...old, workspace: w } : old));
      void qc.invalidateQueries({ queryKey: keys.events });
      notifySuccess('Workspace settings saved');
    },
    onError: (e) => notifyError(e, 'Could not save the workspace'),
  });

  const submit = form.onSubmit((v) => {
    const body: { name?: string; timezone?: string } = {};
    if (v.name.trim() !== ws.name) body.name = v.name.trim();
    if (v.timezone !== ws.timezone) body.timezone = v.timezone;
    if (Object.keys(body).length) save.mutate(body);
  });

  return (
    <>
      <PageHeader
        title="Workspace"
        description="The name your team sees and the time zone reports and schedules use."
      />
      <Card withBorder maw={640} padding="lg">
        <form onSubmit={submit} data-testid="workspace-form">
          <Stack gap="md">
            {!canManage && (
              <Alert icon={<IconLock size={18} />} color="gray">
                Only owners and admins can change these settings.
              </Alert>
            )}
            <TextInput label="Workspace name" disabled={!canManage} {...form.getInputProps('name')} />
            <Select
              label="Time zone"
              description="Used for reports, schedules and “today”."
              data={timeZones(ws.timezone)}
              searchable
              allowDeselect={false}
              disabled={!canManage}
              nothingFoundMessage="No time zone by that name"
              {...form.getInputProps('timezone')}
            />
            <Group gap="xl">
              <Stack gap={0}>
                <Text fz="xs" c="dimmed">
                  Workspace ID (slug)
                </Text>
                <Text fz="sm" ff="monospace">
                  {ws.slug}
                </Text>
              </Stack>
              <Stack gap={0}>
                <Text fz="xs" c="dimmed">
                  Created
                </Text>
                <Text fz="sm">{formatDate(ws.createdAt)}</Text>
              </Stack>
            </Group>
            {canManage && (
              <Group justify="flex-end" gap="xs">
                <Button variant="default" onClick={() => form.reset()} disabled={!form.isDirty()}>
                  Discard
                </Button>
                <Button type="submit" loading={save.isPending} disabled={!form.isDirty()}>
                  Save changes
                </Button>
              </Group>
            )}
          </Stack>
        </form>
      </Card>
      <LifecycleStagesCard canManage={canManage} />
      <TicketTypesCard canManage={canManage} />
    </>
  );
}
