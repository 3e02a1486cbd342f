import { msNow } from './columns.ts';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { workspaces } from './workspaces.ts';
import { people } from './customers.ts';
import type { OrderStatus, SubscriptionStatus } from '../../domain/commerce.ts';

/**
 * Commerce facts: products, orders with their lines and refunds, subscriptions — what retention and value are
 * computed from. Money is integer minor units (bigint, read as JS numbers: exact up to 2^53) in the row's currency
 * (ISO 4217, upper case); see src/domain/commerce.ts.
 */

const ts = (name: string) => timestamp(name, { withTimezone: true });
const money = (name: string) => bigint(name, { mode: 'number' });

const audit = {
  createdBy: text('created_by'),
  updatedBy: text('updated_by'),
  createdAt: ts('created_at').notNull().default(msNow),
  updatedAt: ts('updated_at').notNull().default(msNow),
};

export const products = pgTable(
  'products',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    category: text('category'),
    price: money('price').notNull(),
    currency: text('currency').notNull(),
    active: boolean('active').notNull().default(true),
    externalId: text('external_id'),
    ...audit,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    uniqueIndex('products_sku_key').on(t.workspaceId, t.sku),
    uniqueIndex('products_external_id_key')
      .on(t.workspaceId, t.externalId)
      .where(sql`external_id is not null`),
    index('products_name_idx').on(t.workspaceId, t.name, t.id),
    check('products_price_check', sql`${t.price} >= 0`),
    check('products_currency_check', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

export const orders = pgTable(
  'orders',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    externalId: text('external_id'),
    personId: uuid('person_id').notNull(),
    placedAt: ts('placed_at').notNull(),
    status: text('status').$type<OrderStatus>().notNull(),
    currency: text('currency').notNull(),
    /** Where it was sold: web, store, phone, marketplace… (free text, lower case). */
    channel: text('channel'),
    subtotal: money('subtotal').notNull(),
    discount: money('discount').notNull().default(0),
    tax: money('tax').notNull().default(0),
    shipping: money('shipping').notNull().default(0),
    /** subtotal − discount + tax + shipping. */
    total: money('total').notNull(),
    /** The sum of the order's refunds. */
    refunded: money('refunded').notNull().default(0),
    /** What the customer paid and kept paid: what revenue and value metrics add up. */
    net: money('net')
      .notNull()
      .generatedAlwaysAs(sql`total - refunded`),
    note: text('note'),
    ...audit,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId, t.personId], foreignColumns: [people.workspaceId, people.id] }).onDelete(
      'cascade',
    ),
    uniqueIndex('orders_external_id_key')
      .on(t.workspaceId, t.externalId)
      .where(sql`external_id is not null`),
    // A customer's orders in time (their history, recency and frequency); the workspace's orders in time (lists,
    // cohorts, revenue over a period). The id makes both serve keyset pages.
    index('orders_person_placed_idx').on(t.workspaceId, t.personId, t.placedAt, t.id),
    index('orders_placed_idx').on(t.workspaceId, t.placedAt, t.id),
    check('orders_status_check', sql`${t.status} in ('placed', 'paid', 'refunded', 'partially_refunded', 'canceled')`),
    check('orders_currency_check', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check(
      'orders_amounts_check',
      sql`${t.subtotal} >= 0 and ${t.discount} >= 0 and ${t.tax} >= 0 and ${t.shipping} >= 0 and ${t.total} >= 0 and ${t.refunded} >= 0 and ${t.refunded} <= ${t.total}`,
    ),
  ],
);

export const orderLines = pgTable(
  'order_lines',
  {
    workspaceId: uuid('workspace_id').notNull(),
    orderId: uuid('order_id').notNull(),
    lineNumber: integer('line_number').notNull(),
    productId: uuid('product_id'),
    sku: text('sku'),
    name: text('name').notNull(),
    quantity: integer('quantity').notNull(),
    unitPrice: money('unit_price').notNull(),
    amount: money('amount').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.orderId, t.lineNumber] }),
    foreignKey({ columns: [t.workspaceId, t.orderId], foreignColumns: [orders.workspaceId, orders.id] }).onDelete(
      'cascade',
    ),
    // No cascade: a product that was sold is deactivated, not deleted (the service says so).
    foreignKey({ columns: [t.workspaceId, t.productId], foreignColumns: [products.workspaceId, products.id] }),
    index('order_lines_product_idx').on(t.workspaceId, t.productId),
    check('order_lines_amounts_check', sql`${t.quantity} > 0 and ${t.unitPrice} >= 0 and ${t.amount} >= 0`),
  ],
);

export const refunds = pgTable(
  'refunds',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    orderId: uuid('order_id').notNull(),
    amount: money('amount').notNull(),
    reason: text('reason'),
    refundedAt: ts('refunded_at').notNull().default(msNow),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    createdAt: ts('created_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId, t.orderId], foreignColumns: [orders.workspaceId, orders.id] }).onDelete(
      'cascade',
    ),
    index('refunds_order_idx').on(t.workspaceId, t.orderId, t.refundedAt),
    check('refunds_amount_check', sql`${t.amount} > 0`),
  ],
);

export const subscriptions = pgTable(
  'subscriptions',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    externalId: text('external_id'),
    personId: uuid('person_id').notNull(),
    plan: text('plan').notNull(),
    status: text('status').$type<SubscriptionStatus>().notNull(),
    startedAt: ts('started_at').notNull(),
    canceledAt: ts('canceled_at'),
    /** Monthly recurring revenue in minor units. */
    mrr: money('mrr').notNull(),
    currency: text('currency').notNull(),
    cancelReason: text('cancel_reason'),
    ...audit,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId, t.personId], foreignColumns: [people.workspaceId, people.id] }).onDelete(
      'cascade',
    ),
    uniqueIndex('subscriptions_external_id_key')
      .on(t.workspaceId, t.externalId)
      .where(sql`external_id is not null`),
    index('subscriptions_person_idx').on(t.workspaceId, t.personId, t.startedAt),
    index('subscriptions_started_idx').on(t.workspaceId, t.startedAt, t.id),
    check('subscriptions_status_check', sql`${t.status} in ('active', 'canceled')`),
    check('subscriptions_currency_check', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check('subscriptions_mrr_check', sql`${t.mrr} >= 0`),
    check(
      'subscriptions_canceled_check',
      sql`(${t.status} = 'canceled') = (${t.canceledAt} is not null) and (${t.canceledAt} is null or ${t.canceledAt} >= ${t.startedAt})`,
    ),
  ],
);
