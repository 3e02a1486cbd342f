import { useState } from 'react';
import { Button, Group, Modal, MultiSelect, Skeleton, Stack, Table, Text, TextInput } from '@mantine/core';
import { IconPlus, IconUsersGroup } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { useAllUsers } from '../../api/queries.ts';
import { ticketKeys, useTeams, type Team } from '../../api/tickets.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { RowActions } from '../../components/RowActions.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

function TeamModal(props: { team: Team | null; onClose: () => void }) {
  const qc = useQueryClient();
  const users = useAllUsers();
  const [name, setName] = useState(props.team?.name ?? '');
  const [description, setDescription] = useState(props.team?.description ?? '');
  const [memberIds, setMemberIds] = useState<string[]>(props.team?.memberIds ?? []);
  const save = useMutation({
    mutationFn: () =>
      api<Team>(props.team ? `/teams/${props.team.id}` : '/teams', {
        method: props.team ? 'PATCH' : 'POST',
        body: { name, description: description || null, memberIds },
      }),
    onSuccess: (t) => {
      notifySuccess(`${t.name} saved`);
      void qc.invalidateQueries({ queryKey: ticketKeys.teams });
      props.onClose();
    },
    onError: (e) => notifyError(e, 'Could not save the team'),
  });
  return (
    <Modal opened onClose={props.onClose} title={props.team ? 'Team' : 'New team'}>
      <Stack gap="sm">
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <TextInput
          label="What it handles"
          value={description}
          onChange={(e) => setDescription(e.currentTarget.value)}
        />
        <MultiSelect
          label="Members"
          searchable
          description="People who work tickets: owners, admins and agents"
          data={(users.data?.data ?? [])
            // A team is a queue of tickets: a marketer, analyst or viewer cannot answer them, nor a disabled user.
            // Members made before stay listed, with what they are, so that they can be taken out.
            .filter(
              (u) =>
                (u.status === 'active' && ['owner', 'admin', 'agent'].includes(u.role)) || memberIds.includes(u.id),
            )
            .map((u) => ({
              value: u.id,
              label:
                u.status !== 'active'
                  ? `${u.name} (disabled)`
                  : ['owner', 'admin', 'agent'].includes(u.role)
                    ? u.name
                    : `${u.name} (${u.role})`,
            }))}
          value={memberIds}
          onChange={setMemberIds}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button onClick={() => save.mutate()} loading={save.isPending} disabled={!name.trim()}>
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function TeamsPage() {
  const qc = useQueryClient();
  const teams = useTeams();
  const users = useAllUsers();
  const [editing, setEditing] = useState<Team | 'new' | null>(null);
  const [removing, setRemoving] = useState<Team | null>(null);
  const remove = useMutation({
    mutationFn: (t: Team) => api<void>(`/teams/${t.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: ticketKeys.teams });
    },
    onError: (e) => notifyError(e, 'Could not remove the team'),
  });
  const userName = (id: string) => (users.data?.data ?? []).find((u) => u.id === id)?.name ?? 'someone';
  const rows = teams.data?.data ?? [];
  return (
    <>
      <PageHeader
        title="Teams"
        description="Groups of agents. Channels route new tickets to a team; agents see their teams' queue."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
            New team
          </Button>
        }
      />
      {teams.isPending ? (
        <Skeleton h={100} />
      ) : rows.length === 0 ? (
        <Empty
          icon={<IconUsersGroup size={28} />}
          title="No teams yet"
          description="Make teams such as Billing or Returns, then route channels and escalations to them."
          action={<Button onClick={() => setEditing('new')}>New team</Button>}
        />
      ) : (
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Team</Table.Th>
              <Table.Th>Members</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td>
                  <Text fw={600} fz="sm">
                    {t.name}
                  </Text>
                  {t.description && (
                    <Text fz="xs" c="dimmed">
                      {t.description}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{t.memberIds.map(userName).join(', ') || '—'}</Table.Td>
                <Table.Td>
                  <RowActions name={t.name} onEdit={() => setEditing(t)} onRemove={() => setRemoving(t)} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {editing && (
        <TeamModal
          key={editing === 'new' ? 'new' : editing.id}
          team={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
        />
      )}
      <ConfirmModal
        opened={Boolean(removing)}
        title="Remove this team?"
        message="Its tickets keep their history but leave the team's queue."
        confirmLabel="Remove"
        danger
        loading={remove.isPending}
        onConfirm={() => removing && remove.mutate(removing)}
        onClose={() => setRemoving(null)}
      />
    </>
  );
}
