import { useMemo, useState } from 'react';
import { Button, Card, Center, Group, MultiSelect, Skeleton, Table, Text, TextInput } from '@mantine/core';
import { IconFileImport, IconReceipt, IconSearch } from '@tabler/icons-react';
import { Link, useSearchParams } from 'react-router';
import { useCan } from '../../api/queries.ts';
import { orderStatuses, useOrders, type OrderStatus } from '../../api/commerce.ts';
import { Empty } from '../../components/Empty.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { formatMoney, isZero, orderName, orderStatusLabels } from '../../lib/commerce.ts';
import { formatDate } from '../../lib/format.ts';
import { Dim, RecordLink } from '../customers/cells.tsx';
import { ExportMenu, SortableTh } from '../customers/list.tsx';
import { OrderDrawer, OrderStatusBadge } from './OrderDrawer.tsx';

const pageSize = 50;

/** The start of a YYYY-MM-DD day in the reader's time zone; null for anything else (empty, garbage, 2026-02-30). */
function localDayStart(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(y, mo - 1, d);
  return date.getFullYear() === y && date.getMonth() === mo - 1 && date.getDate() === d ? date : null;
}

/** The list's filters live in the address (?status=paid,refunded&from=2025-01-01&to=2025-12-31&sort=-total). */
function useOrderFilters() {
  const [params, setParams] = useSearchParams();
  const statuses = (params.get('status') ?? '')
    .split(',')
    .filter((s): s is OrderStatus => (orderStatuses as readonly string[]).includes(s));
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const sort = params.get('sort') ?? '-placed_at';
  const set = (k: string, v: string) => {
    // From the address itself: two changes before a render (both dates typed at once) must not lose the first.
    const next = new URLSearchParams(window.location.search);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  const filter = useMemo(() => {
    const f: string[] = [];
    if (statuses.length) f.push(`status:in:${statuses.join('|')}`);
    // Whole days in the reader's time zone: from the start of "from" to the end of "to". A day that is not one (an
    // edited or truncated address: ?from=2026-13-01) filters nothing rather than failing the page.
    const start = localDayStart(from);
    const end = localDayStart(to);
    if (start) f.push(`placed_at:gte:${start.toISOString()}`);
    if (end) f.push(`placed_at:lt:${new Date(end.getTime() + 86_400_000).toISOString()}`);
    return f;
  }, [statuses, from, to]);
  return {
    statuses,
    from,
    to,
    // Both are YYYY-MM-DD, so the strings compare as the days do.
    reversed: localDayStart(from) !== null && localDayStart(to) !== null && to < from,
    sort,
    filter,
    setStatuses: (s: string[]) => set('status', s.join(',')),
    setFrom: (v: string) => set('from', v),
    setTo: (v: string) => set('to', v),
    setSort: (v: string) => set('sort', v === '-placed_at' ? '' : v),
    clear: () => setParams(new URLSearchParams(), { replace: true }),
  };
}

/** Every order of every customer: status, totals and refunds, newest first; a row opens the order. */
export function OrdersPage() {
  const f = useOrderFilters();
  const list = useOrders({ filter: f.filter, sort: f.sort }, pageSize);
  const rows = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);
  const [open, setOpen] = useState<string | null>(null);
  const filtered = f.filter.length > 0;
  const can = useCan();

  return (
    <div data-testid="orders-page">
      <PageHeader
        title="Orders"
        description="What your customers bought, paid and got back, newest first."
        actions={
          <Group gap="xs">
            {can('customers:write') && (
              <Button
                variant="default"
                leftSection={<IconFileImport size={16} />}
                component={Link}
                to="/orders/import"
                data-testid="orders-import"
              >
                Import CSV
              </Button>
            )}
            {/* The filtered list as CSV (a row per line, as the import reads it) or JSON. */}
            <ExportMenu path="/orders/export" query={{ filter: f.filter, sort: f.sort }} />
          </Group>
        }
      />
      <Group gap="sm" mb="md" align="flex-end" wrap="wrap">
        <MultiSelect
          label="Status"
          placeholder={f.statuses.length ? undefined : 'Any status'}
          data={orderStatuses.map((s) => ({ value: s, label: orderStatusLabels[s] }))}
          value={f.statuses}
          onChange={f.setStatuses}
          clearable
          w={320}
          data-testid="orders-status-filter"
        />
        <TextInput
          type="date"
          label="Placed from"
          value={f.from}
          onChange={(e) => f.setFrom(e.currentTarget.value)}
          w={170}
          data-testid="orders-from"
        />
        <TextInput
          type="date"
          label="to"
          value={f.to}
          onChange={(e) => f.setTo(e.currentTarget.value)}
          error={f.reversed ? 'before "Placed from": no order can match' : undefined}
          w={170}
          data-testid="orders-to"
        />
        {filtered && (
          <Button variant="subtle" onClick={f.clear}>
            Clear filters
          </Button>
        )}
      </Group>
      <Card withBorder padding={0}>
        {list.isPending ? (
          <Skeleton h={240} m="md" />
        ) : list.isError ? (
          <Empty icon={<IconSearch size={22} />} title="This list cannot be shown" description={list.error.message} />
        ) : rows.length === 0 ? (
          filtered ? (
            <Empty
              icon={<IconSearch size={22} />}
              title="No order matches"
              description="Try another status or a wider date range."
              action={
                <Button variant="light" onClick={f.clear}>
                  Clear filters
                </Button>
              }
            />
          ) : (
            <Empty
              icon={<IconReceipt size={22} />}
              title="No orders yet"
              description="Orders arrive from your shop through the API (PUT /api/v1/orders/by-external-id/{id}) or a CSV export of it, or load the demo data with `rapport demo` (or `rapport demo cdnow`)."
              action={
                can('customers:write') ? (
                  <Button component={Link} to="/orders/import" leftSection={<IconFileImport size={16} />}>
                    Import orders from a CSV
                  </Button>
                ) : undefined
              }
            />
          )
        ) : (
          <Table.ScrollContainer minWidth={860}>
            <Table
              highlightOnHover
              className="rapport-dense"
              data-testid="orders-table"
              opacity={list.isPlaceholderData ? 0.6 : 1}
            >
              <Table.Thead>
                <Table.Tr>
                  <SortableTh label="Placed" field="placed_at" sort={f.sort} onSort={f.setSort} w={130} />
                  <Table.Th>Order</Table.Th>
                  <Table.Th>Customer</Table.Th>
                  <Table.Th>Channel</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <SortableTh label="Total" field="total" sort={f.sort} onSort={f.setSort} w={130} />
                  <Table.Th ta="right" w={130}>
                    Refunded
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((o) => (
                  <Table.Tr
                    key={o.id}
                    data-testid="order-row"
                    style={{ cursor: 'pointer' }}
                    onClick={(e) => {
                      // The customer's link goes to their page; anywhere else opens the order.
                      if ((e.target as HTMLElement).closest('a')) return;
                      setOpen(o.id);
                    }}
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
                      <RecordLink to={`/people/${o.personId}`}>
                        {o.customer.name || o.customer.email || 'Unnamed'}
                      </RecordLink>
                    </Table.Td>
                    <Table.Td>{o.channel ? <Text fz="sm">{o.channel}</Text> : <Dim>—</Dim>}</Table.Td>
                    <Table.Td>
                      <OrderStatusBadge status={o.status} />
                    </Table.Td>
                    <Table.Td ta="right">
                      <Text fz="sm" fw={500} style={{ whiteSpace: 'nowrap' }}>
                        {formatMoney(o.total, o.currency)}
                      </Text>
                    </Table.Td>
                    <Table.Td ta="right">
                      {isZero(o.refunded) ? (
                        <Dim>—</Dim>
                      ) : (
                        <Text fz="sm" c="orange" style={{ whiteSpace: 'nowrap' }}>
                          {formatMoney(o.refunded, o.currency)}
                        </Text>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      {rows.length > 0 && (
        <Center mt="md">
          {list.hasNextPage ? (
            <Button variant="default" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
              Load {pageSize} more
            </Button>
          ) : (
            <Text fz="xs" c="dimmed">
              That is every order{filtered ? ' that matches' : ''}.
            </Text>
          )}
        </Center>
      )}
      <OrderDrawer orderId={open} onClose={() => setOpen(null)} />
    </div>
  );
}
