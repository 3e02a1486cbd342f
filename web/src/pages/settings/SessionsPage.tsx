import { useState } from 'react';
import { Badge, Button, Card, Group, SegmentedControl, Skeleton, Table, Text, Tooltip } from '@mantine/core';
import { IconDeviceDesktop, IconDevices } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client.ts';
import { keys, useMe } from '../../api/queries.ts';
import type { Session } from '../../api/types.ts';
import { ConfirmModal } from '../../components/ConfirmModal.tsx';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { useNames } from '../../components/useNames.ts';
import { describeUserAgent, formatDateTime, relativeTime } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

export function SessionsPage() {
  const me = useMe();
  const qc = useQueryClient();
  const names = useNames();
  const canAll = me.permissions.includes('sessions:manage');
  const [scope, setScope] = useState<'mine' | 'all'>('mine');
  const [confirm, setConfirm] = useState<Session | null>(null);
  const all = canAll && scope === 'all';
  const queryKey = [...keys.sessions, { all }];
  const sessions = useQuery({
    queryKey,
    queryFn: () => api<{ data: Session[] }>('/sessions', { query: { all: all ? 'true' : undefined } }),
  });

  const revoke = useMutation({
    mutationFn: (s: Session) => api(`/sessions/${s.id}`, { method: 'DELETE' }),
    onMutate: async (s) => {
      await qc.cancelQueries({ queryKey });
      const before = qc.getQueryData<{ data: Session[] }>(queryKey);
      qc.setQueryData<{ data: Session[] }>(queryKey, (old) =>
        old ? { data: old.data.filter((x) => x.id !== s.id) } : old,
      );
      return { before };
    },
    onError: (e, _s, ctx) => {
      if (ctx?.before) qc.setQueryData(queryKey, ctx.before);
      notifyError(e, 'Could not sign that device out');
    },
    onSuccess: (_r, s) => {
      setConfirm(null);
      if (s.current) {
        qc.clear();
        qc.setQueryData(keys.setup, { needed: false });
        qc.setQueryData(keys.me, null);
        return;
      }
      notifySuccess('That device is signed out');
      void qc.invalidateQueries({ queryKey: keys.sessions });
      void qc.invalidateQueries({ queryKey: keys.events });
    },
  });

  const rows = sessions.data?.data ?? [];
  const sorted = [...rows].sort(
    (a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt),
  );

  return (
    <>
      <PageHeader
        title="Sessions"
        description="Every browser signed in to your account. Sign out any you do not recognise."
        actions={
          canAll && (
            <SegmentedControl
              size="xs"
              aria-label="Whose sessions"
              value={scope}
              onChange={(v) => setScope(v === 'all' ? 'all' : 'mine')}
              data={[
                { value: 'mine', label: 'Mine' },
                { value: 'all', label: 'Everyone' },
              ]}
            />
          )
        }
      />
      <Card withBorder padding={0}>
        {sessions.isPending ? (
          <Skeleton h={120} m="md" />
        ) : sorted.length === 0 ? (
          <Empty
            icon={<IconDevices size={22} />}
            title="No live sessions"
            description="Sessions appear when someone signs in to the console."
          />
        ) : (
          <Table.ScrollContainer minWidth={760}>
            <Table highlightOnHover data-testid="sessions-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Device</Table.Th>
                  {all && <Table.Th>Person</Table.Th>}
                  <Table.Th>IP address</Table.Th>
                  <Table.Th>Signed in</Table.Th>
                  <Table.Th>Last active</Table.Th>
                  <Table.Th>Expires</Table.Th>
                  <Table.Th w={110} />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {sorted.map((s) => (
                  <Table.Tr key={s.id} data-testid="session-row">
                    <Table.Td>
                      <Group gap={8} wrap="nowrap">
                        <IconDeviceDesktop size={16} stroke={1.6} />
                        <Tooltip label={s.userAgent ?? 'No user agent'} multiline maw={360}>
                          <Text fz="sm">{describeUserAgent(s.userAgent)}</Text>
                        </Tooltip>
                        {s.current && (
                          <Badge size="xs" color="teal" variant="light">
                            This device
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    {all && <Table.Td>{names.user(s.userId) ?? '—'}</Table.Td>}
                    <Table.Td ff="monospace" fz="xs">
                      {s.ip ?? '—'}
                    </Table.Td>
                    <Table.Td>{formatDateTime(s.createdAt)}</Table.Td>
                    <Table.Td>{relativeTime(s.lastSeenAt)}</Table.Td>
                    <Table.Td>{relativeTime(s.expiresAt)}</Table.Td>
                    <Table.Td ta="right">
                      <Button
                        size="compact-xs"
                        variant="subtle"
                        color="red"
                        onClick={() => setConfirm(s)}
                        aria-label={s.current ? 'Sign out this device' : `Sign out ${describeUserAgent(s.userAgent)}`}
                      >
                        {s.current ? 'Sign out' : 'Revoke'}
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      <ConfirmModal
        opened={confirm !== null}
        onClose={() => setConfirm(null)}
        title={confirm?.current ? 'Sign out of this device?' : 'Sign that device out?'}
        message={
          confirm?.current
            ? 'This is the browser you are using now. You will go back to the sign-in page.'
            : `${describeUserAgent(confirm?.userAgent ?? null)} will need to sign in again.`
        }
        confirmLabel={confirm?.current ? 'Sign out' : 'Revoke session'}
        danger
        loading={revoke.isPending}
        onConfirm={() => confirm && revoke.mutate(confirm)}
      />
    </>
  );
}
