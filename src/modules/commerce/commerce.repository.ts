import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { insertRows, updateRows } from '../../db/bulk.ts';
import type { DbOrTx } from '../../db/client.ts';
import { listClauses, toPage, type ListColumns } from '../../db/list.ts';
import { orderLines, orders, people, products, refunds, subscriptions } from '../../db/schema/index.ts';
import { orderStatuses, subscriptionStatuses } from '../../domain/commerce.ts';
import type { FieldSpecs, ListQuery } from '../../domain/list-query.ts';

export type ProductRow = typeof products.$inferSelect;
export type ProductInsert = typeof products.$inferInsert;
export type OrderRow = typeof orders.$inferSelect;
export type OrderInsert = typeof orders.$inferInsert;
export type OrderLineRow = typeof orderLines.$inferSelect;
export type OrderLineInsert = typeof orderLines.$inferInsert;
export type RefundRow = typeof refunds.$inferSelect;
export type RefundInsert = typeof refunds.$inferInsert;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type SubscriptionInsert = typeof subscriptions.$inferInsert;

/** The customer an order or subscription belongs to, as lists show them. */
export type CustomerBrief = { id: string; name: string; email: string | null };

/** A unique-key violation from either engine (a key taken between the check and the insert). */
export function isUniqueViolation(e: unknown): boolean {
  return pgCode(e) === '23505';
}

/** A foreign-key violation from either engine (a row deleted or still referenced between the check and the write). */
export function isForeignKeyViolation(e: unknown): boolean {
  return pgCode(e) === '23503';
}

function pgCode(e: unknown): string | null {
  for (let x: unknown = e; x && typeof x === 'object'; x = (x as { cause?: unknown }).cause) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && /^\d{5}$/.test(code)) return code;
  }
  return null;
}

// ---- products ----

export const productFields: FieldSpecs = {
  sku: { type: 'string' },
  name: { type: 'string' },
  category: { type: 'string' },
  currency: { type: 'string' },
  price: { type: 'number', integer: 'int8' },
  active: { type: 'boolean' },
  external_id: { type: 'string' },
  created_at: { type: 'datetime' },
  updated_at: { type: 'datetime' },
};

export const productListColumns: ListColumns = {
  id: products.id,
  specs: productFields,
  fields: {
    sku: products.sku,
    name: products.name,
    category: products.category,
    currency: products.currency,
    price: products.price,
    active: products.active,
    external_id: products.externalId,
    created_at: products.createdAt,
    updated_at: products.updatedAt,
  },
};

function productSortValue(r: ProductRow, field: string): unknown {
  const map: Record<string, unknown> = {
    sku: r.sku,
    name: r.name,
    category: r.category,
    currency: r.currency,
    price: r.price,
    active: r.active,
    external_id: r.externalId,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
  return map[field] ?? null;
}

export async function listProducts(db: DbOrTx, workspaceId: string, q: ListQuery) {
  const c = listClauses(productListColumns, q);
  const rows = await db
    .select()
    .from(products)
    .where(and(eq(products.workspaceId, workspaceId), ...c.where))
    .orderBy(...c.orderBy)
    .limit(c.limit);
  return toPage(rows, q, { id: (r) => r.id, sortValue: (r) => productSortValue(r, q.sort.field) });
}

export async function findProduct(db: DbOrTx, workspaceId: string, id: string): Promise<ProductRow | null> {
  const [r] = await db
    .select()
    .from(products)
    .where(and(eq(products.workspaceId, workspaceId), eq(products.id, id)));
  return r ?? null;
}

export async function findProductsByIds(db: DbOrTx, workspaceId: string, ids: string[]): Promise<ProductRow[]> {
  if (!ids.length) return [];
  return db
    .select()
    .from(products)
    .where(and(eq(products.workspaceId, workspaceId), inArray(products.id, ids)));
}

export async function findProductsBySkus(db: DbOrTx, workspaceId: string, skus: string[]): Promise<ProductRow[]> {
  if (!skus.length) return [];
  return db
    .select()
    .from(products)
    .where(and(eq(products.workspaceId, workspaceId), inArray(products.sku, skus)));
}

export async function findProductByExternalId(
  db: DbOrTx,
  workspaceId: string,
  externalId: string,
): Promise<ProductRow | null> {
  const [r] = await db
    .select()
    .from(products)
    .where(and(eq(products.workspaceId, workspaceId), eq(products.externalId, externalId)));
  return r ?? null;
}

export async function insertProduct(db: DbOrTx, row: ProductInsert): Promise<ProductRow> {
  const [r] = await db.insert(products).values(row).returning();
  if (!r) throw new Error('product insert returned nothing');
  return r;
}

export async function updateProduct(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<ProductInsert>,
): Promise<ProductRow | null> {
  const [r] = await db
    .update(products)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(products.workspaceId, workspaceId), eq(products.id, id)))
    .returning();
  return r ?? null;
}

export async function deleteProduct(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const r = await db
    .delete(products)
    .where(and(eq(products.workspaceId, workspaceId), eq(products.id, id)))
    .returning({ id: products.id });
  return r.length > 0;
}

/** How many order lines name the product (a sold product is not deleted). */
export async function countProductLines(db: DbOrTx, workspaceId: string, productId: string): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(orderLines)
    .where(and(eq(orderLines.workspaceId, workspaceId), eq(orderLines.productId, productId)));
  return r?.n ?? 0;
}

// ---- orders ----

export const orderFields: FieldSpecs = {
  person_id: { type: 'string', sortable: false },
  status: { type: 'enum', values: orderStatuses, sortable: false },
  channel: { type: 'string', sortable: false },
  currency: { type: 'string', sortable: false },
  external_id: { type: 'string', sortable: false },
  placed_at: { type: 'datetime' },
  total: { type: 'number', integer: 'int8' },
  created_at: { type: 'datetime' },
  updated_at: { type: 'datetime' },
};

export const orderListColumns: ListColumns = {
  id: orders.id,
  specs: orderFields,
  fields: {
    person_id: sql`${orders.personId}::text`,
    status: orders.status,
    channel: orders.channel,
    currency: orders.currency,
    external_id: orders.externalId,
    placed_at: orders.placedAt,
    total: orders.total,
    created_at: orders.createdAt,
    updated_at: orders.updatedAt,
  },
  filters: {
    // The uuid column itself (not its text), so orders_person_placed_idx serves a customer's orders.
    person_id: (f) => uuidFilter(orders.personId, f.op, f.value),
  },
};

/** eq / ne / in / exists on a uuid column; a value that is no uuid matches nothing (instead of a cast error). */
function uuidFilter(col: PgColumn, op: string, value: unknown): SQL | undefined {
  const isUuid = (v: unknown): v is string =>
    typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
  if (op === 'exists') return value ? sql`${col} is not null` : sql`${col} is null`;
  if (op === 'eq') return isUuid(value) ? eq(col, value) : sql`false`;
  if (op === 'ne') return isUuid(value) ? sql`${col} <> ${value}` : sql`true`;
  if (op === 'in') {
    const ids = (Array.isArray(value) ? value : []).filter(isUuid);
    return ids.length ? inArray(col, ids) : sql`false`;
  }
  // Ordering comparisons and contains on an id compare its text.
  const text = sql`${col}::text`;
  const v = String(value);
  if (op === 'contains') return sql`${text} ilike ${`%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`;
  if (op === 'lt') return sql`${text} < ${v}`;
  if (op === 'lte') return sql`${text} <= ${v}`;
  if (op === 'gt') return sql`${text} > ${v}`;
  if (op === 'gte') return sql`${text} >= ${v}`;
  return sql`false`;
}

function orderSortValue(r: OrderRow, field: string): unknown {
  const map: Record<string, unknown> = {
    placed_at: r.placedAt,
    total: r.total,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
  return map[field] ?? null;
}

const customerColumns = { customerName: people.displayName, customerEmails: people.emails };

function withCustomer<T extends { personId: string }>(
  row: T,
  extra: { customerName: string | null; customerEmails: string[] | null },
): T & { customer: CustomerBrief } {
  return {
    ...row,
    customer: { id: row.personId, name: extra.customerName ?? '', email: extra.customerEmails?.[0] ?? null },
  };
}

export type OrderWithCustomer = OrderRow & { customer: CustomerBrief };

export async function listOrders(db: DbOrTx, workspaceId: string, q: ListQuery) {
  const c = listClauses(orderListColumns, q);
  const rows = await db
    .select({ order: orders, ...customerColumns })
    .from(orders)
    .leftJoin(people, and(eq(people.workspaceId, orders.workspaceId), eq(people.id, orders.personId)))
    .where(and(eq(orders.workspaceId, workspaceId), ...c.where))
    .orderBy(...c.orderBy)
    .limit(c.limit);
  const page = toPage(rows, q, { id: (r) => r.order.id, sortValue: (r) => orderSortValue(r.order, q.sort.field) });
  return { rows: page.rows.map((r) => withCustomer(r.order, r)), nextCursor: page.nextCursor };
}

export async function findOrder(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<OrderRow | null> {
  const q = db
    .select()
    .from(orders)
    .where(and(eq(orders.workspaceId, workspaceId), eq(orders.id, id)));
  const [r] = opts.lock ? await q.for('update') : await q;
  return r ?? null;
}

export async function findOrderByExternalId(
  db: DbOrTx,
  workspaceId: string,
  externalId: string,
  opts: { lock?: boolean } = {},
): Promise<OrderRow | null> {
  const q = db
    .select()
    .from(orders)
    .where(and(eq(orders.workspaceId, workspaceId), eq(orders.externalId, externalId)));
  const [r] = opts.lock ? await q.for('update') : await q;
  return r ?? null;
}

/** Deletes an order; its lines and refunds go with it (foreign keys on delete cascade). */
export async function deleteOrder(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const r = await db
    .delete(orders)
    .where(and(eq(orders.workspaceId, workspaceId), eq(orders.id, id)))
    .returning({ id: orders.id });
  return r.length > 0;
}

export async function customerOf(db: DbOrTx, workspaceId: string, personId: string): Promise<CustomerBrief> {
  const [p] = await db
    .select({ name: people.displayName, emails: people.emails })
    .from(people)
    .where(and(eq(people.workspaceId, workspaceId), eq(people.id, personId)));
  return { id: personId, name: p?.name ?? '', email: p?.emails[0] ?? null };
}

export async function insertOrder(db: DbOrTx, row: OrderInsert): Promise<OrderRow> {
  const [r] = await db.insert(orders).values(row).returning();
  if (!r) throw new Error('order insert returned nothing');
  return r;
}

export async function updateOrder(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<OrderInsert>,
): Promise<OrderRow | null> {
  const [r] = await db
    .update(orders)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(orders.workspaceId, workspaceId), eq(orders.id, id)))
    .returning();
  return r ?? null;
}

export async function linesOfOrder(db: DbOrTx, workspaceId: string, orderId: string): Promise<OrderLineRow[]> {
  return db
    .select()
    .from(orderLines)
    .where(and(eq(orderLines.workspaceId, workspaceId), eq(orderLines.orderId, orderId)))
    .orderBy(asc(orderLines.lineNumber));
}

/** Replaces the order's lines with these (numbered from 1 in the given order). */
export async function replaceLines(
  db: DbOrTx,
  workspaceId: string,
  orderId: string,
  lines: Array<Omit<OrderLineInsert, 'workspaceId' | 'orderId' | 'lineNumber'>>,
): Promise<OrderLineRow[]> {
  await db.delete(orderLines).where(and(eq(orderLines.workspaceId, workspaceId), eq(orderLines.orderId, orderId)));
  if (!lines.length) return [];
  return db
    .insert(orderLines)
    .values(lines.map((l, i) => ({ ...l, workspaceId, orderId, lineNumber: i + 1 })))
    .returning();
}

export async function refundsOfOrder(db: DbOrTx, workspaceId: string, orderId: string): Promise<RefundRow[]> {
  return db
    .select()
    .from(refunds)
    .where(and(eq(refunds.workspaceId, workspaceId), eq(refunds.orderId, orderId)))
    .orderBy(asc(refunds.refundedAt), asc(refunds.id));
}

export async function insertRefund(db: DbOrTx, row: RefundInsert): Promise<RefundRow> {
  const [r] = await db.insert(refunds).values(row).returning();
  if (!r) throw new Error('refund insert returned nothing');
  return r;
}

// ---- subscriptions ----

export const subscriptionFields: FieldSpecs = {
  person_id: { type: 'string', sortable: false },
  status: { type: 'enum', values: subscriptionStatuses, sortable: false },
  plan: { type: 'string' },
  currency: { type: 'string', sortable: false },
  external_id: { type: 'string', sortable: false },
  mrr: { type: 'number', integer: 'int8' },
  started_at: { type: 'datetime' },
  canceled_at: { type: 'datetime' },
  created_at: { type: 'datetime' },
  updated_at: { type: 'datetime' },
};

export const subscriptionListColumns: ListColumns = {
  id: subscriptions.id,
  specs: subscriptionFields,
  fields: {
    person_id: sql`${subscriptions.personId}::text`,
    status: subscriptions.status,
    plan: subscriptions.plan,
    currency: subscriptions.currency,
    external_id: subscriptions.externalId,
    mrr: subscriptions.mrr,
    started_at: subscriptions.startedAt,
    canceled_at: subscriptions.canceledAt,
    created_at: subscriptions.createdAt,
    updated_at: subscriptions.updatedAt,
  },
  filters: {
    person_id: (f) => uuidFilter(subscriptions.personId, f.op, f.value),
  },
};

function subscriptionSortValue(r: SubscriptionRow, field: string): unknown {
  const map: Record<string, unknown> = {
    plan: r.plan,
    mrr: r.mrr,
    started_at: r.startedAt,
    canceled_at: r.canceledAt,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
  return map[field] ?? null;
}

export type SubscriptionWithCustomer = SubscriptionRow & { customer: CustomerBrief };

export async function listSubscriptions(db: DbOrTx, workspaceId: string, q: ListQuery) {
  const c = listClauses(subscriptionListColumns, q);
  const rows = await db
    .select({ subscription: subscriptions, ...customerColumns })
    .from(subscriptions)
    .leftJoin(people, and(eq(people.workspaceId, subscriptions.workspaceId), eq(people.id, subscriptions.personId)))
    .where(and(eq(subscriptions.workspaceId, workspaceId), ...c.where))
    .orderBy(...c.orderBy)
    .limit(c.limit);
  const page = toPage(rows, q, {
    id: (r) => r.subscription.id,
    sortValue: (r) => subscriptionSortValue(r.subscription, q.sort.field),
  });
  return { rows: page.rows.map((r) => withCustomer(r.subscription, r)), nextCursor: page.nextCursor };
}

export async function findSubscription(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<SubscriptionRow | null> {
  const q = db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.workspaceId, workspaceId), eq(subscriptions.id, id)));
  const [r] = opts.lock ? await q.for('update') : await q;
  return r ?? null;
}

export async function findSubscriptionByExternalId(
  db: DbOrTx,
  workspaceId: string,
  externalId: string,
  opts: { lock?: boolean } = {},
): Promise<SubscriptionRow | null> {
  const q = db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.workspaceId, workspaceId), eq(subscriptions.externalId, externalId)));
  const [r] = opts.lock ? await q.for('update') : await q;
  return r ?? null;
}

export async function insertSubscription(db: DbOrTx, row: SubscriptionInsert): Promise<SubscriptionRow> {
  const [r] = await db.insert(subscriptions).values(row).returning();
  if (!r) throw new Error('subscription insert returned nothing');
  return r;
}

export async function updateSubscription(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<SubscriptionInsert>,
): Promise<SubscriptionRow | null> {
  const [r] = await db
    .update(subscriptions)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(subscriptions.workspaceId, workspaceId), eq(subscriptions.id, id)))
    .returning();
  return r ?? null;
}

// ---- orders in bulk (the CSV import) ----

/** The orders with these external ids (locked for the batch's transaction when asked). */
export async function findOrdersByExternalIds(
  db: DbOrTx,
  workspaceId: string,
  externalIds: readonly string[],
  opts: { lock?: boolean } = {},
): Promise<OrderRow[]> {
  if (!externalIds.length) return [];
  const q = db
    .select()
    .from(orders)
    .where(and(eq(orders.workspaceId, workspaceId), inArray(orders.externalId, [...externalIds])));
  return opts.lock ? q.for('update') : q;
}

/** The lines of these orders, by order id, in line order. */
export async function linesOfOrders(
  db: DbOrTx,
  workspaceId: string,
  orderIds: readonly string[],
): Promise<Map<string, OrderLineRow[]>> {
  const out = new Map<string, OrderLineRow[]>();
  if (!orderIds.length) return out;
  const rows = await db
    .select()
    .from(orderLines)
    .where(and(eq(orderLines.workspaceId, workspaceId), inArray(orderLines.orderId, [...orderIds])))
    .orderBy(asc(orderLines.orderId), asc(orderLines.lineNumber));
  for (const r of rows) {
    const list = out.get(r.orderId) ?? [];
    list.push(r);
    out.set(r.orderId, list);
  }
  return out;
}

/** New orders, their lines and refunds by COPY (src/db/bulk.ts), in that order (the lines point at the orders). */
export async function insertOrdersInBulk(
  tx: DbOrTx,
  rows: { orders: readonly OrderInsert[]; lines: readonly OrderLineInsert[]; refunds: readonly RefundInsert[] },
): Promise<void> {
  await insertRows(tx, orders, rows.orders);
  await insertRows(tx, orderLines, rows.lines);
  await insertRows(tx, refunds, rows.refunds);
}

/** Orders brought up to date by id, set-based; the lines of `replaceLinesOf` are deleted first (then inserted). */
export async function updateOrdersInBulk(
  tx: DbOrTx,
  workspaceId: string,
  updates: ReadonlyArray<{ id: string; set: Partial<OrderInsert> }>,
  replaceLinesOf: readonly string[],
): Promise<void> {
  const now = new Date();
  await updateRows(
    tx,
    orders,
    workspaceId,
    updates.map((u) => ({ id: u.id, set: { ...u.set, updatedAt: now } })),
  );
  if (replaceLinesOf.length)
    await tx
      .delete(orderLines)
      .where(and(eq(orderLines.workspaceId, workspaceId), inArray(orderLines.orderId, [...replaceLinesOf])));
}
