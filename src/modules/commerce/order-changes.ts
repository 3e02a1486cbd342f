/**
 * What writing an order means, shared by the orders service (one order per request) and the CSV import (orders in
 * batches): the events an order's creation, status change or refund appends, and the plan that brings a stored order
 * to new values (what changes, the status it ends in, or why it cannot). No I/O here: callers read and write.
 */
import {
  fromMinorUnits,
  orderStatusChange,
  statusAfterRefunds,
  type OrderStatus,
  type SettableOrderStatus,
} from '../../domain/commerce.ts';
import { diffFields } from '../../domain/customers.ts';
import type { EventInput } from '../../events/events.ts';
import type { OrderLineRow, OrderRow } from './commerce.repository.ts';

export type LineValues = Pick<OrderLineRow, 'productId' | 'sku' | 'name' | 'quantity' | 'unitPrice' | 'amount'>;

/** An order as an input describes it, checked and in minor units (the person is resolved separately). */
export type OrderValues = {
  placedAt: Date | undefined;
  status: SettableOrderStatus | undefined;
  currency: string;
  channel: string | null | undefined;
  note: string | null | undefined;
  lines: LineValues[];
  subtotal: number;
  discount: number;
  tax: number;
  shipping: number;
  total: number;
};

/** What an order event needs of the order. */
export type OrderRef = Pick<OrderRow, 'id' | 'personId' | 'externalId' | 'total' | 'currency' | 'status'>;

export function sameLines(a: readonly LineValues[], b: readonly LineValues[]): boolean {
  const key = (l: LineValues) => [l.productId, l.sku, l.name, l.quantity, l.unitPrice, l.amount];
  return JSON.stringify(a.map(key)) === JSON.stringify(b.map(key));
}

/** An event about an order, on its customer's timeline; money as decimals with the currency. */
export function orderEvent(o: OrderRef, type: string, payload: Record<string, unknown>): EventInput {
  return {
    type,
    subjectType: 'order',
    subjectId: o.id,
    personId: o.personId,
    payload: {
      externalId: o.externalId,
      total: fromMinorUnits(o.total, o.currency),
      currency: o.currency,
      ...payload,
    },
  };
}

/** The events of a status change by a write (refunds have their own). */
export function statusEvents(o: OrderRef, from: OrderStatus | null): EventInput[] {
  if (o.status === from) return [];
  if (o.status === 'paid') return [orderEvent(o, 'order.paid', {})];
  if (o.status === 'canceled') return [orderEvent(o, 'order.canceled', { from })];
  return [];
}

/**
 * The events of a new order: `order.placed`, then `order.paid` or `order.canceled` when it starts so. They happened
 * when the order was placed, not when it was recorded (a shop sending its history): their `occurredAt` is `placedAt`,
 * so the customer's timeline dates and sorts them by it.
 */
export function placedEvents(
  o: OrderRef & Pick<OrderRow, 'channel' | 'placedAt'>,
  lines: readonly Pick<LineValues, 'quantity'>[],
  extra: Record<string, unknown> = {},
): EventInput[] {
  return [
    orderEvent(o, 'order.placed', {
      status: o.status,
      channel: o.channel,
      placedAt: o.placedAt.toISOString(),
      items: lines.reduce((n, l) => n + l.quantity, 0),
      ...extra,
    }),
    ...statusEvents(o, 'placed'),
  ].map((e) => ({ ...e, occurredAt: o.placedAt }));
}

/** `order.refunded` for one refund of `amount` on the order as it is after it, dated when the money went back. */
export function refundEvent(
  o: OrderRef & Pick<OrderRow, 'refunded'>,
  refund: { id: string; amount: number; reason: string | null; refundedAt: Date },
): EventInput {
  return {
    ...orderEvent(o, 'order.refunded', {
      refundId: refund.id,
      amount: fromMinorUnits(refund.amount, o.currency),
      refunded: fromMinorUnits(o.refunded, o.currency),
      status: o.status,
      reason: refund.reason,
      refundedAt: refund.refundedAt.toISOString(),
    }),
    occurredAt: refund.refundedAt,
  };
}

/**
 * `order.deleted`: what the order was (status, dates, amounts, lines and refunds), on its customer's timeline. The
 * metric roll-ups recompute the customer from their remaining orders (it is an `order.*` event naming them).
 */
export function deletedEvent(
  o: OrderRef & Pick<OrderRow, 'refunded' | 'placedAt' | 'channel'>,
  counts: { lines: number; refunds: number },
): EventInput {
  return orderEvent(o, 'order.deleted', {
    status: o.status,
    placedAt: o.placedAt.toISOString(),
    channel: o.channel,
    refunded: fromMinorUnits(o.refunded, o.currency),
    lines: counts.lines,
    refunds: counts.refunds,
  });
}

export type OrderSet = {
  personId: string;
  placedAt: Date;
  currency: string;
  channel: string | null;
  note: string | null;
  subtotal: number;
  discount: number;
  tax: number;
  shipping: number;
  total: number;
};

export type OrderUpdatePlan =
  | {
      ok: true;
      /** Nothing differs: no write and no event. */
      unchanged: boolean;
      set: OrderSet;
      status: OrderStatus;
      /** Field → {from, to}, money as decimals; `lines` as counts. */
      changes: Record<string, { from: unknown; to: unknown }>;
      linesChanged: boolean;
    }
  | { ok: false; message: string; details: Record<string, unknown> };

/**
 * How a stored order becomes what the input says: content (lines, amounts, customer, dates), then status by the
 * status rules (a refunded order written as paid keeps its refunded status). Refused (a conflict): a currency change
 * on an order with refunds, a total below what was refunded, a status the order cannot move to.
 */
export function planOrderUpdate(
  before: OrderRow,
  beforeLines: readonly LineValues[],
  v: OrderValues,
  personId: string,
): OrderUpdatePlan {
  if (v.currency !== before.currency && before.refunded > 0)
    return {
      ok: false,
      message: `The order has refunds in ${before.currency}: its currency cannot change`,
      details: { field: 'currency' },
    };
  if (v.total < before.refunded)
    return {
      ok: false,
      message: `The new total (${fromMinorUnits(v.total, v.currency)} ${v.currency}) is less than what was refunded (${fromMinorUnits(before.refunded, before.currency)} ${before.currency})`,
      details: { field: 'total' },
    };
  let status: OrderStatus = before.status;
  if (v.status) {
    const c = orderStatusChange(before.status, v.status);
    if (!c.ok)
      return { ok: false, message: c.message, details: { field: 'status', from: before.status, to: v.status } };
    if (c.changed) status = v.status;
  }
  if (status === 'refunded' || status === 'partially_refunded') status = statusAfterRefunds(v.total, before.refunded);
  const set: OrderSet = {
    personId,
    placedAt: v.placedAt ?? before.placedAt,
    currency: v.currency,
    channel: v.channel === undefined ? before.channel : v.channel,
    note: v.note === undefined ? before.note : v.note,
    subtotal: v.subtotal,
    discount: v.discount,
    tax: v.tax,
    shipping: v.shipping,
    total: v.total,
  };
  const changes = diffFields({ ...before }, set);
  for (const k of ['subtotal', 'discount', 'tax', 'shipping', 'total'] as const)
    if (changes[k])
      changes[k] = { from: fromMinorUnits(before[k], before.currency), to: fromMinorUnits(set[k], set.currency) };
  if (changes.placedAt) changes.placedAt = { from: before.placedAt.toISOString(), to: set.placedAt.toISOString() };
  const linesChanged = !sameLines(beforeLines, v.lines);
  if (linesChanged) changes.lines = { from: beforeLines.length, to: v.lines.length };
  return {
    ok: true,
    unchanged: !Object.keys(changes).length && status === before.status,
    set,
    status,
    changes,
    linesChanged,
  };
}
