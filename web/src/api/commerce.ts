/** Shapes and queries of the commerce facts: orders with lines and refunds, subscriptions, products. */
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api } from './client.ts';
import type { ListPage } from './customers.ts';

export const orderStatuses = ['placed', 'paid', 'partially_refunded', 'refunded', 'canceled'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export type CustomerBrief = { id: string; name: string; email: string | null };

export type OrderLine = {
  lineNumber: number;
  productId: string | null;
  sku: string | null;
  name: string;
  quantity: number;
  unitPrice: string;
  amount: string;
};

export type Refund = {
  id: string;
  orderId: string;
  amount: string;
  currency: string;
  reason: string | null;
  refundedAt: string;
  actorType: string;
  actorId: string | null;
  createdAt: string;
};

/** Money fields are decimal strings in the order's currency ("19.99"). */
export type Order = {
  id: string;
  externalId: string | null;
  personId: string;
  customer: CustomerBrief;
  placedAt: string;
  status: OrderStatus;
  currency: string;
  channel: string | null;
  subtotal: string;
  discount: string;
  tax: string;
  shipping: string;
  total: string;
  refunded: string;
  net: string;
  note: string | null;
  lines?: OrderLine[];
  refunds?: Refund[];
  createdAt: string;
  updatedAt: string;
};

export type Subscription = {
  id: string;
  externalId: string | null;
  personId: string;
  customer: CustomerBrief;
  plan: string;
  status: 'active' | 'canceled';
  startedAt: string;
  canceledAt: string | null;
  mrr: string;
  currency: string;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
};

export const commerceKeys = {
  orders: ['orders'] as const,
  order: (id: string) => ['orders', 'one', id] as const,
  subscriptions: ['subscriptions'] as const,
};

/** A page-by-page list of orders for a list query (filters as `field:op:value`). */
export function useOrders(query: { filter: string[]; sort: string }, pageSize = 50) {
  return useInfiniteQuery({
    queryKey: [...commerceKeys.orders, 'list', query, pageSize],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      api<ListPage<Order>>('/orders', {
        query: { filter: query.filter, sort: query.sort, limit: pageSize, cursor: pageParam },
      }),
    getNextPageParam: (last) => last.page.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

export function useOrder(id: string | null) {
  return useQuery({
    queryKey: commerceKeys.order(id ?? ''),
    enabled: Boolean(id),
    queryFn: () => api<Order>(`/orders/${id ?? ''}`),
  });
}

export function useSubscriptionsOf(personId: string) {
  return useQuery({
    queryKey: [...commerceKeys.subscriptions, 'person', personId],
    queryFn: () =>
      api<ListPage<Subscription>>('/subscriptions', {
        query: { filter: [`person_id:eq:${personId}`], limit: 50 },
      }),
  });
}
