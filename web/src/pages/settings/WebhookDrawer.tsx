import { useState } from 'react';
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Code,
  Drawer,
  Group,
  SegmentedControl,
  Skeleton,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { IconArrowLeft, IconRefresh, IconSend } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, errorMessage } from '../../api/client.ts';
import {
  useDeliveries,
  useDelivery,
  webhookKeys,
  type DeliveryStatus,
  type Webhook,
  type WebhookDeliveryDetail,
} from '../../api/webhooks.ts';
import { Empty } from '../../components/Empty.tsx';
import { formatDateTime, relativeTime } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';
import { AttemptOutcome, DeliveryStatusBadge, EventTypeChips, Excerpt } from './webhookParts.tsx';

const filters = [
  { value: 'all', label: 'All' },
  { value: 'pending', label: 'Retrying' },
  { value: 'failed', label: 'Failed' },
  { value: 'succeeded', label: 'Succeeded' },
];

function When({ iso }: { iso: string | null }) {
  if (!iso)
    return (
      <Text fz="sm" c="dimmed">
        —
      </Text>
    );
  return (
    <Tooltip label={formatDateTime(iso)}>
      <Text fz="sm" style={{ whiteSpace: 'nowrap' }}>
        {relativeTime(iso)}
      </Text>
    </Tooltip>
  );
}

function DeliveryLog({ webhook, onOpen }: { webhook: Webhook; onOpen: (id: string) => void }) {
  const [filter, setFilter] = useState('all');
  const list = useDeliveries(webhook.id, filter === 'all' ? null : (filter as DeliveryStatus));
  const rows = list.data?.pages.flatMap((p) => p.data) ?? [];
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Title order={3} fz="md">
          Delivery log
        </Title>
        <Group gap="xs">
          <SegmentedControl
            size="xs"
            data={filters}
            value={filter}
            onChange={setFilter}
            aria-label="Filter by status"
          />
          <Tooltip label="Refresh">
            <Button
              size="compact-sm"
              variant="default"
              onClick={() => void list.refetch()}
              loading={list.isRefetching && !list.isFetchingNextPage}
              aria-label="Refresh delivery log"
            >
              <IconRefresh size={16} />
            </Button>
          </Tooltip>
        </Group>
      </Group>
      <Card withBorder padding={0}>
        {list.isPending ? (
          <Skeleton h={120} m="md" />
        ) : list.isError ? (
          <Alert color="red" m="md">
            {errorMessage(list.error)}
          </Alert>
        ) : rows.length === 0 ? (
          <Text fz="sm" c="dimmed" p="md" ta="center" data-testid="deliveries-empty">
            {filter === 'all'
              ? 'No deliveries yet. Events of the subscribed types appear here as they are sent.'
              : 'No deliveries with this status.'}
          </Text>
        ) : (
          <Table highlightOnHover verticalSpacing={6} fz="sm" data-testid="deliveries-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                <Table.Th>Event</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">Attempts</Table.Th>
                <Table.Th>Last answer</Table.Th>
                <Table.Th>Next attempt</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((d) => (
                <Table.Tr
                  key={d.id}
                  onClick={() => onOpen(d.id)}
                  style={{ cursor: 'pointer' }}
                  data-testid="delivery-row"
                  data-event-type={d.eventType}
                >
                  <Table.Td>
                    <When iso={d.createdAt} />
                  </Table.Td>
                  <Table.Td>
                    <Anchor component="button" fz="sm" ff="monospace" onClick={() => onOpen(d.id)}>
                      {d.eventType}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <DeliveryStatusBadge status={d.status} attempts={d.attempts} />
                  </Table.Td>
                  <Table.Td ta="right" data-testid="delivery-attempts">
                    {d.attempts}
                  </Table.Td>
                  <Table.Td maw={200}>
                    {d.lastStatusCode !== null ? (
                      <Code>HTTP {d.lastStatusCode}</Code>
                    ) : d.lastError ? (
                      <Text fz="xs" c="red" truncate title={d.lastError}>
                        {d.lastError}
                      </Text>
                    ) : (
                      <Text fz="sm" c="dimmed">
                        —
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {d.nextAttemptAt ? (
                      <Tooltip label={formatDateTime(d.nextAttemptAt)}>
                        <Text fz="sm" style={{ whiteSpace: 'nowrap' }}>
                          {relativeTime(d.nextAttemptAt)}
                        </Text>
                      </Tooltip>
                    ) : (
                      <Text fz="sm" c="dimmed">
                        —
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Card>
      {list.hasNextPage && (
        <Group justify="center">
          <Button
            variant="default"
            size="xs"
            onClick={() => void list.fetchNextPage()}
            loading={list.isFetchingNextPage}
          >
            Load more
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function DeliveryDetail({ webhook, deliveryId, onBack }: { webhook: Webhook; deliveryId: string; onBack: () => void }) {
  const qc = useQueryClient();
  const detail = useDelivery(webhook.id, deliveryId);
  const redeliver = useMutation({
    mutationFn: () =>
      api<WebhookDeliveryDetail>(`/webhooks/${webhook.id}/deliveries/${deliveryId}/redeliver`, { method: 'POST' }),
    onSuccess: (d) => {
      qc.setQueryData(webhookKeys.delivery(webhook.id, deliveryId), d);
      const last = d.attemptLog[d.attemptLog.length - 1];
      if (last?.succeeded) notifySuccess(`Delivered again: the endpoint answered HTTP ${last.statusCode}.`);
      else
        notifyError(
          new Error(last?.error ?? (last?.statusCode ? `The endpoint answered HTTP ${last.statusCode}.` : 'No answer')),
          'The redelivery failed',
        );
    },
    onError: (e) => notifyError(e, 'Could not redeliver'),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: webhookKeys.all });
    },
  });

  const d = detail.data;
  return (
    <Stack gap="md" data-testid="delivery-detail">
      <Group justify="space-between">
        <Button variant="subtle" size="compact-sm" leftSection={<IconArrowLeft size={16} />} onClick={onBack}>
          Delivery log
        </Button>
        <Button
          leftSection={<IconSend size={16} />}
          size="xs"
          onClick={() => redeliver.mutate()}
          loading={redeliver.isPending}
          disabled={!d}
        >
          Redeliver
        </Button>
      </Group>
      {detail.isPending ? (
        <Skeleton h={200} />
      ) : detail.isError || !d ? (
        <Alert color="red">{errorMessage(detail.error)}</Alert>
      ) : (
        <>
          <Group gap="sm">
            <Text ff="monospace" fw={600}>
              {d.eventType}
            </Text>
            <DeliveryStatusBadge status={d.status} attempts={d.attempts} />
            <Text fz="xs" c="dimmed">
              Created {formatDateTime(d.createdAt)}
              {d.nextAttemptAt ? ` · next automatic attempt ${relativeTime(d.nextAttemptAt)}` : ''}
            </Text>
          </Group>
          <Stack gap={6}>
            <Text fz="sm" fw={600}>
              Attempts ({d.attemptLog.length})
            </Text>
            {d.attemptLog.length === 0 ? (
              <Text fz="sm" c="dimmed">
                Not attempted yet.
              </Text>
            ) : (
              <Card withBorder padding={0}>
                <Table verticalSpacing={6} fz="sm" data-testid="attempts-table">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th w={40}>#</Table.Th>
                      <Table.Th>Time</Table.Th>
                      <Table.Th>Trigger</Table.Th>
                      <Table.Th>Outcome</Table.Th>
                      <Table.Th>Error or response</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {d.attemptLog.map((a) => (
                      <Table.Tr
                        key={a.attempt}
                        data-testid="attempt-row"
                        data-succeeded={a.succeeded}
                        style={{ verticalAlign: 'top' }}
                      >
                        <Table.Td>{a.attempt}</Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(a.startedAt)}</Table.Td>
                        <Table.Td>
                          <Badge size="xs" variant="default" tt="none">
                            {a.trigger}
                          </Badge>
                        </Table.Td>
                        <Table.Td>
                          <AttemptOutcome a={a} />
                        </Table.Td>
                        <Table.Td maw={260}>
                          {a.error && (
                            <Text fz="xs" c="red" mb={4}>
                              {a.error}
                            </Text>
                          )}
                          <Excerpt text={a.responseExcerpt} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Card>
            )}
          </Stack>
          <Stack gap={6}>
            <Text fz="sm" fw={600}>
              Request
            </Text>
            <Code block fz="xs">
              {`POST ${webhook.url}\n` +
                Object.entries(d.request.headers)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join('\n') +
                '\nRapport-Timestamp: …\nRapport-Signature: v1=…'}
            </Code>
            <Code block fz="xs" mah={360} style={{ overflow: 'auto' }} data-testid="delivery-body">
              {JSON.stringify(d.request.body, null, 2)}
            </Code>
          </Stack>
        </>
      )}
    </Stack>
  );
}

/** One endpoint: its subscription and delivery log, or one delivery's request and attempts. */
export function WebhookDrawer(props: { webhook: Webhook | null; onClose: () => void; actions: React.ReactNode }) {
  const [deliveryId, setDeliveryId] = useState<string | null>(null);
  const w = props.webhook;
  return (
    <Drawer
      opened={w !== null}
      onClose={() => {
        props.onClose();
        setDeliveryId(null);
      }}
      position="right"
      size={880}
      title={
        <Text fw={600} ff="monospace" fz="sm" truncate maw={700}>
          {w?.url}
        </Text>
      }
      data-testid="webhook-drawer"
    >
      {w && (
        <Stack gap="lg">
          {deliveryId ? (
            <DeliveryDetail webhook={w} deliveryId={deliveryId} onBack={() => setDeliveryId(null)} />
          ) : (
            <>
              <Stack gap="xs">
                {w.description && <Text fz="sm">{w.description}</Text>}
                <EventTypeChips types={w.eventTypes} max={12} />
                <Group gap="xs" mt={4}>
                  {props.actions}
                </Group>
              </Stack>
              <DeliveryLog webhook={w} onOpen={setDeliveryId} />
            </>
          )}
        </Stack>
      )}
    </Drawer>
  );
}

export function NoWebhooks({ onAdd }: { onAdd: React.ReactNode }) {
  return (
    <Empty
      icon={<IconSend size={22} />}
      title="No webhooks yet"
      description="Send Rapport's events to your systems as they happen: a person created, a stage changed, consent withdrawn. Each request is signed, and failed deliveries are retried for a day."
      action={onAdd}
    />
  );
}
