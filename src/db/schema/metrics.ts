import { sql } from 'drizzle-orm';
import {
  bigint,
  date,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { workspaces } from './workspaces.ts';

/**
 * Metric roll-ups (src/modules/metrics, docs/metrics.md "How Rapport computes them"): what the relationship metrics
 * read instead of the orders. Only counted orders (status neither refunded nor canceled) are rolled up, at their net
 * amount, per currency (amounts in different currencies are never added up). Both tables are derived: the
 * `metrics.rollup` job keeps them up to date from the event log, and `rebuildMetricRollups` recomputes them from the
 * orders. No foreign key to people: a deleted or merged person's rows are removed by the job (from the event), and a
 * cascade would bypass it.
 */

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** One row per customer, currency and UTC day with at least one counted order. */
export const metricCustomerDays = pgTable(
  'metric_customer_days',
  {
    workspaceId: uuid('workspace_id').notNull(),
    currency: text('currency').notNull(),
    /** The UTC calendar day of the orders. */
    day: date('day', { mode: 'string' }).notNull(),
    personId: uuid('person_id').notNull(),
    /** Counted orders placed that day. */
    orders: integer('orders').notNull(),
    /** Their net amounts (total − refunded), minor units. */
    net: bigint('net', { mode: 'number' }).notNull(),
    /** The first and last of those orders (exact instants: recency and tenure count whole days from them). */
    firstAt: ts('first_at').notNull(),
    lastAt: ts('last_at').notNull(),
    /**
     * The customer's order days just before and after this one in the same currency (null: none), and their first
     * counted order in it (metric_customers.first_at): a period's customers are counted from their first and last day
     * in it, one pass over the period's rows without grouping them by customer. Written with the customer's days.
     */
    prevDay: date('prev_day', { mode: 'string' }),
    nextDay: date('next_day', { mode: 'string' }),
    customerFirstAt: ts('customer_first_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.currency, t.day, t.personId] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    // A customer's days (the job replaces them person by person).
    index('metric_customer_days_person_idx').on(t.workspaceId, t.personId),
    // A period's customer days with everything the period metrics read, so they come from the index alone: the rows
    // of a date range are scattered over the whole table (written customer by customer), and at 1M customers reading
    // them from the heap was most of the summary's time.
    index('metric_customer_days_period_idx').on(
      t.workspaceId,
      t.currency,
      t.day,
      t.personId,
      t.orders,
      t.net,
      t.lastAt,
      t.prevDay,
      t.nextDay,
      t.customerFirstAt,
    ),
  ],
);

/** One row per customer and currency with at least one counted order: their whole history summed up. */
export const metricCustomers = pgTable(
  'metric_customers',
  {
    workspaceId: uuid('workspace_id').notNull(),
    currency: text('currency').notNull(),
    personId: uuid('person_id').notNull(),
    firstAt: ts('first_at').notNull(),
    lastAt: ts('last_at').notNull(),
    orders: integer('orders').notNull(),
    net: bigint('net', { mode: 'number' }).notNull(),
    /**
     * The first UTC midnight at or after the last order (its day, or the next when it was not placed at midnight, to
     * the millisecond as recency counts): recency as of a day start D is D − recency_day whole days.
     */
    recencyDay: date('recency_day', { mode: 'string' }).generatedAlwaysAs(
      sql`(last_at at time zone 'UTC')::date + case when (last_at at time zone 'UTC')::time > '00:00:00.0005' then 1 else 0 end`,
    ),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.currency, t.personId] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    index('metric_customers_person_idx').on(t.workspaceId, t.personId),
    // The RFM grid: customers counted per (recency day, orders) straight from the index, in its order.
    index('metric_customers_recency_idx').on(t.workspaceId, t.currency, t.recencyDay, t.orders),
  ],
);

/**
 * One row per currency, UTC day and acquisition cohort with at least one counted order: the workspace's totals that
 * need no per-customer pass — orders and revenue of any days, customers acquired (historical CLV, cohort sizes) and
 * customers buying in a calendar month (cohort cells and the monthly trend, counted on their first day of the month,
 * with whether they bought again that month). Summed up from the
 * customer days: the job adds a refreshed customer's new rows and takes off their old ones, the rebuild recomputes
 * it. Read for the whole workspace only: a segment's metrics go through the customer days.
 */
export const metricDays = pgTable(
  'metric_days',
  {
    workspaceId: uuid('workspace_id').notNull(),
    currency: text('currency').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    /** The UTC month of the customers' first counted order in the currency, as year × 12 + month − 1. */
    cohort: integer('cohort').notNull(),
    /** Counted orders and their net amounts that day. */
    orders: integer('orders').notNull(),
    net: bigint('net', { mode: 'number' }).notNull(),
    /** Customers whose first counted order (in the currency) is that day. */
    newCustomers: integer('new_customers').notNull(),
    /** Customers whose first counted order of that calendar month is that day. */
    monthCustomers: integer('month_customers').notNull(),
    /** Of those, the ones with at least two counted orders in that calendar month (repeat buyers of the month). */
    monthRepeaters: integer('month_repeaters').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.currency, t.day, t.cohort] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
  ],
);
