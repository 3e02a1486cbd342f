import { useMemo, useState } from 'react';
import { Badge, Button, Card, Group, Skeleton, Stack, Table, Text } from '@mantine/core';
import { useOrders, useSubscriptionsOf } from '../../api/commerce.ts';
import { rfmSegmentLabels, usePersonRfm } from '../../api/metrics.ts';
import { useCan } from '../../api/queries.ts';
import { formatMoney, isZero, orderName } from '../../lib/commerce.ts';
import { formatDate } from '../../lib/format.ts';
import { SectionTitle } from '../customers/fields.tsx';
import { OrderDrawer, OrderStatusBadge } from './OrderDrawer.tsx';

const pageSize = 10;

/** The customer's orders (newest first, ten at a time) and subscriptions, on their 360° page. */
export function PersonOrders({ personId }: { personId: string }) {
  const orders = useOrders({ filter: [`person_id:eq:${personId}`], sort: '-placed_at' }, pageSize);
  const subs = useSubscriptionsOf(personId);
  const rows = useMemo(() => orders.data?.pages.flatMap((p) => p.data) ?? [], [orders.data]);
  const [open, setOpen] = useState<string | null>(null);
  const subscriptions = subs.data?.data ?? [];
  const can = useCan();

  return (
    <Card withBorder padding="md" data-testid="orders-section">
      <SectionTitle>Orders</SectionTitle>
      {can('analytics:read') && <PersonRfm personId={personId} />}
      {orders.isPending ? (
        <Skeleton h={80} />
      ) : rows.length === 0 ? (
        <Text fz="sm" c="dimmed" mb="xs">
          No orders yet. Orders your shop sends through the API show up here and on the timeline.
        </Text>
      ) : (
        <>
          <Table className="rapport-dense" highlightOnHover data-testid="person-orders">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Placed</Table.Th>
                <Table.Th>Order</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">Total</Table.Th>
                <Table.Th ta="right">Refunded</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((o) => (
                <Table.Tr
                  key={o.id}
                  style={{ cursor: 'pointer' }}
                  onClick={() => setOpen(o.id)}
                  data-testid="person-order-row"
                >
                  <Table.Td>
                    <Text fz="sm" style={{ whiteSpace: 'nowrap' }}>
                      {formatDate(o.placedAt)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text fz="sm" ff="monospace">
                      {orderName(o)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <OrderStatusBadge status={o.status} />
                  </Table.Td>
                  <Table.Td ta="right">
                    <Text fz="sm" style={{ whiteSpace: 'nowrap' }}>
                      {formatMoney(o.total, o.currency)}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right">
                    <Text fz="sm" c={isZero(o.refunded) ? 'dimmed' : 'orange'} style={{ whiteSpace: 'nowrap' }}>
                      {isZero(o.refunded) ? '—' : formatMoney(o.refunded, o.currency)}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {orders.hasNextPage && (
            <Button
              size="compact-xs"
              variant="subtle"
              mt={4}
              loading={orders.isFetchingNextPage}
              onClick={() => void orders.fetchNextPage()}
            >
              Show {pageSize} older orders
            </Button>
          )}
        </>
      )}
      <Text fz="xs" fw={700} c="dimmed" tt="uppercase" lts={0.5} mt="md" mb={6}>
        Subscriptions
      </Text>
      {subs.isPending ? (
        <Skeleton h={30} />
      ) : subscriptions.length === 0 ? (
        <Text fz="sm" c="dimmed">
          No subscriptions.
        </Text>
      ) : (
        <Stack gap={6} data-testid="person-subscriptions">
          {subscriptions.map((s) => (
            <Group key={s.id} justify="space-between" wrap="nowrap" data-testid="person-subscription">
              <Group gap="xs" wrap="nowrap" miw={0}>
                <Text fz="sm" fw={500} truncate>
                  {s.plan}
                </Text>
                <Badge size="sm" variant="light" color={s.status === 'active' ? 'teal' : 'gray'} tt="none">
                  {s.status === 'active' ? 'Active' : 'Canceled'}
                </Badge>
              </Group>
              <Text fz="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                {formatMoney(s.mrr, s.currency)}/month · since {formatDate(s.startedAt)}
                {s.canceledAt && ` · ended ${formatDate(s.canceledAt)}`}
                {s.cancelReason && ` (${s.cancelReason})`}
              </Text>
            </Group>
          ))}
        </Stack>
      )}
      <OrderDrawer orderId={open} onClose={() => setOpen(null)} />
    </Card>
  );
}

/** Where the customer stands among all customers: RFM scores (1–5) and their segment (docs/metrics.md). */
function PersonRfm({ personId }: { personId: string }) {
  const q = usePersonRfm(personId);
  const rfm = q.data?.rfm;
  if (!rfm) return null;
  return (
    <Group gap={6} mb="xs" data-testid="person-rfm">
      <Badge variant="light" color="grape">
        {rfmSegmentLabels[rfm.segment as keyof typeof rfmSegmentLabels] ?? rfm.segment}
      </Badge>
      <Text fz="xs" c="dimmed">
        RFM {rfm.r}·{rfm.f}·{rfm.m} — last order {rfm.recencyDays} days ago, {rfm.frequency} order
        {rfm.frequency === 1 ? '' : 's'} in {q.data?.currency}
      </Text>
    </Group>
  );
}
