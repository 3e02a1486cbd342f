import { useState } from 'react';
import { Anchor, Badge, Button, Divider, Drawer, Group, Skeleton, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, ApiError } from '../../api/client.ts';
import { commerceKeys, useOrder, type Order, type Refund } from '../../api/commerce.ts';
import { customerKeys, fieldProblems } from '../../api/customers.ts';
import { useCan } from '../../api/queries.ts';
import { formatMoney, isZero, orderName, orderStatusColors, orderStatusLabels } from '../../lib/commerce.ts';
import { formatDate, formatDateTime } from '../../lib/format.ts';
import { notifyError, notifySuccess } from '../../lib/notify.ts';

export function OrderStatusBadge({ status }: { status: Order['status'] }) {
  return (
    <Badge size="sm" variant="light" color={orderStatusColors[status]} tt="none" data-testid="order-status">
      {orderStatusLabels[status]}
    </Badge>
  );
}

/** After a change: the lists, the order and the customer's timeline show it. */
function useInvalidateOrder() {
  const qc = useQueryClient();
  return (o: Order) => {
    qc.setQueryData(commerceKeys.order(o.id), o);
    void qc.invalidateQueries({ queryKey: commerceKeys.orders });
    void qc.invalidateQueries({ queryKey: [...customerKeys.timeline, o.personId] });
  };
}

/** Money back on a paid order: what is left is the default; the form starts over after each refund (its key). */
function RefundForm({ order }: { order: Order }) {
  const digits = order.total.split('.')[1]?.length ?? 0;
  const left = (Number(order.total) - Number(order.refunded)).toFixed(digits);
  const [amount, setAmount] = useState(left);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const invalidate = useInvalidateOrder();
  const refund = useMutation({
    mutationFn: () =>
      api<{ refund: Refund; order: Order }>(`/orders/${order.id}/refunds`, {
        method: 'POST',
        body: { amount: amount.trim(), reason: reason.trim() || undefined },
      }),
    onSuccess: (r) => {
      notifySuccess(`Refunded ${formatMoney(r.refund.amount, r.refund.currency)}`);
      invalidate(r.order);
    },
    onError: (e) => {
      // Too many decimals, or more than is left: said next to the amount.
      const p = fieldProblems(e);
      const message = p.amount ?? (e instanceof ApiError && e.status === 409 ? e.message : null);
      setProblem(message);
      if (!message) notifyError(e, 'Could not refund');
    },
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        refund.mutate();
      }}
    >
      <Text fz="sm" c="dimmed" mb={6}>
        {formatMoney(left, order.currency)} left to refund.
      </Text>
      <Group align="flex-start" gap="xs" wrap="nowrap">
        <TextInput
          aria-label={`Refund amount in ${order.currency}`}
          leftSection={<Text fz="xs">{order.currency}</Text>}
          leftSectionWidth={44}
          value={amount}
          onChange={(e) => setAmount(e.currentTarget.value)}
          error={problem}
          w={180}
          inputMode="decimal"
          data-testid="refund-amount"
        />
        <TextInput
          aria-label="Reason"
          placeholder="Reason, e.g. damaged in transit"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          style={{ flex: 1 }}
        />
        <Button type="submit" color="orange" variant="light" loading={refund.isPending} data-testid="refund-submit">
          Refund
        </Button>
      </Group>
    </form>
  );
}

function StatusActions({ order }: { order: Order }) {
  const invalidate = useInvalidateOrder();
  const change = useMutation({
    mutationFn: (status: 'paid' | 'canceled') =>
      api<Order>(`/orders/${order.id}`, { method: 'PATCH', body: { status } }),
    onSuccess: (o) => {
      notifySuccess(`${orderName(o)} is ${orderStatusLabels[o.status].toLowerCase()}`);
      invalidate(o);
    },
    onError: (e) => notifyError(e, 'Could not change the order'),
  });
  return (
    <Group gap="xs">
      <Button size="xs" variant="light" loading={change.isPending} onClick={() => change.mutate('paid')}>
        Mark paid
      </Button>
      <Button
        size="xs"
        variant="subtle"
        color="red"
        loading={change.isPending}
        onClick={() => change.mutate('canceled')}
      >
        Cancel order
      </Button>
    </Group>
  );
}

function AmountRow({
  label,
  value,
  currency,
  strong,
}: {
  label: string;
  value: string;
  currency: string;
  strong?: boolean;
}) {
  return (
    <Group justify="space-between" gap="xs">
      <Text fz="sm" c={strong ? undefined : 'dimmed'} fw={strong ? 600 : undefined}>
        {label}
      </Text>
      <Text fz="sm" fw={strong ? 600 : undefined} ff="monospace">
        {formatMoney(value, currency)}
      </Text>
    </Group>
  );
}

/** One order: its lines, amounts and refunds; paying, canceling and refunding for those who may. */
export function OrderDrawer({ orderId, onClose }: { orderId: string | null; onClose: () => void }) {
  const q = useOrder(orderId);
  const can = useCan();
  const o = q.data;
  return (
    <Drawer
      opened={Boolean(orderId)}
      onClose={onClose}
      position="right"
      size="lg"
      title={o ? `Order ${orderName(o)}` : 'Order'}
      data-testid="order-drawer"
    >
      {!o ? (
        <Skeleton h={300} />
      ) : (
        <Stack gap="md">
          <Group justify="space-between">
            <Stack gap={2}>
              <Group gap="xs">
                <OrderStatusBadge status={o.status} />
                {o.channel && (
                  <Badge size="sm" variant="outline" color="gray" tt="none">
                    {o.channel}
                  </Badge>
                )}
              </Group>
              <Text fz="sm" c="dimmed">
                Placed {formatDateTime(o.placedAt)} by{' '}
                <Anchor component={Link} to={`/people/${o.personId}`} fz="sm" onClick={onClose}>
                  {o.customer.name || o.customer.email || 'the customer'}
                </Anchor>
              </Text>
            </Stack>
            {can('customers:write') && o.status === 'placed' && <StatusActions order={o} />}
          </Group>
          <Table className="rapport-dense" data-testid="order-lines">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Item</Table.Th>
                <Table.Th ta="right">Qty</Table.Th>
                <Table.Th ta="right">Price</Table.Th>
                <Table.Th ta="right">Amount</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(o.lines ?? []).length === 0 ? (
                <Table.Tr>
                  <Table.Td colSpan={4}>
                    <Text fz="sm" c="dimmed">
                      No lines: the order was recorded with its amounts only.
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ) : (
                (o.lines ?? []).map((l) => (
                  <Table.Tr key={l.lineNumber}>
                    <Table.Td>
                      <Text fz="sm">{l.name}</Text>
                      {l.sku && (
                        <Text fz="xs" c="dimmed">
                          {l.sku}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td ta="right">{l.quantity}</Table.Td>
                    <Table.Td ta="right">{formatMoney(l.unitPrice, o.currency)}</Table.Td>
                    <Table.Td ta="right">{formatMoney(l.amount, o.currency)}</Table.Td>
                  </Table.Tr>
                ))
              )}
            </Table.Tbody>
          </Table>
          <Stack gap={4} maw={320} ml="auto" w="100%" data-testid="order-amounts">
            <AmountRow label="Subtotal" value={o.subtotal} currency={o.currency} />
            {!isZero(o.discount) && <AmountRow label="Discount" value={`-${o.discount}`} currency={o.currency} />}
            {!isZero(o.tax) && <AmountRow label="Tax" value={o.tax} currency={o.currency} />}
            {!isZero(o.shipping) && <AmountRow label="Shipping" value={o.shipping} currency={o.currency} />}
            <AmountRow label="Total" value={o.total} currency={o.currency} strong />
            {!isZero(o.refunded) && (
              <>
                <AmountRow label="Refunded" value={`-${o.refunded}`} currency={o.currency} />
                <AmountRow label="Net" value={o.net} currency={o.currency} strong />
              </>
            )}
          </Stack>
          {o.note && (
            <Text fz="sm" c="dimmed">
              “{o.note}”
            </Text>
          )}
          {(o.refunds ?? []).length > 0 && (
            <>
              <Divider label="Refunds" labelPosition="left" />
              <Stack gap={4} data-testid="order-refunds">
                {(o.refunds ?? []).map((r) => (
                  <Group key={r.id} justify="space-between" wrap="nowrap">
                    <Text fz="sm">
                      {formatMoney(r.amount, r.currency)}
                      {r.reason && (
                        <Text span fz="sm" c="dimmed">
                          {' '}
                          — {r.reason}
                        </Text>
                      )}
                    </Text>
                    <Text fz="xs" c="dimmed">
                      {formatDate(r.refundedAt)}
                    </Text>
                  </Group>
                ))}
              </Stack>
            </>
          )}
          {can('customers:write') && (o.status === 'paid' || o.status === 'partially_refunded') && (
            <>
              <Divider />
              <RefundForm key={`${o.id}-${o.refunded}`} order={o} />
            </>
          )}
        </Stack>
      )}
    </Drawer>
  );
}
