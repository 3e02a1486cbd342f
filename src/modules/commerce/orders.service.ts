import type { Db, DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import {
  applyRefund,
  computeOrderAmounts,
  fromMinorUnits,
  momentProblem,
  normaliseCurrency,
  orderStatusChange,
  readMoney,
} from '../../domain/commerce.ts';
import { diffFields, type FieldProblem } from '../../domain/customers.ts';
import { parseListQuery } from '../../domain/list-query.ts';
import type { Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEventsTogether } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { invalidFields } from '../fields/record-fields.ts';
import { actorRef } from '../people/resolve-person.ts';
import {
  customerOf,
  deleteOrder,
  findOrder,
  findOrderByExternalId,
  findProductsByIds,
  findProductsBySkus,
  insertOrder,
  insertRefund,
  isUniqueViolation,
  linesOfOrder,
  listOrders,
  orderListColumns,
  refundsOfOrder,
  replaceLines,
  updateOrder,
  type CustomerBrief,
  type OrderLineRow,
  type OrderRow,
  type RefundRow,
} from './commerce.repository.ts';
import type { OrderInput, OrderPatch, RefundInput } from './commerce.schemas.ts';
import { customerProblems, resolveCustomer } from './customer.ts';
import { commerceRead, commerceWrite } from './products.service.ts';
import {
  deletedEvent,
  orderEvent,
  placedEvents,
  planOrderUpdate,
  refundEvent,
  statusEvents,
  type LineValues,
  type OrderValues,
} from './order-changes.ts';

export type OrdersService = ReturnType<typeof createOrdersService>;

export type OrderDetail = { order: OrderRow; customer: CustomerBrief; lines: OrderLineRow[]; refunds: RefundRow[] };

export function createOrdersService(deps: { db: Db }) {
  const { db } = deps;

  async function mustFind(tx: DbOrTx, actor: Actor, id: string, lock = false): Promise<OrderRow> {
    const o = await findOrder(tx, actor.workspaceId, id, { lock });
    if (!o) throw AppError.notFound('Order', id);
    return o;
  }

  async function detailOf(tx: DbOrTx, o: OrderRow): Promise<OrderDetail> {
    return {
      order: o,
      customer: await customerOf(tx, o.workspaceId, o.personId),
      lines: await linesOfOrder(tx, o.workspaceId, o.id),
      refunds: await refundsOfOrder(tx, o.workspaceId, o.id),
    };
  }

  /** Checks the input and turns it into values (money in minor units, lines priced from the catalogue). */
  async function valuesOf(tx: DbOrTx, actor: Actor, input: Omit<OrderInput, 'externalId'>): Promise<OrderValues> {
    const problems: FieldProblem[] = [...customerProblems(input)];
    const currency = normaliseCurrency(input.currency);
    if (!currency)
      problems.push({ field: 'currency', message: `"${input.currency}" is not an ISO 4217 currency code` });
    const placedAt = input.placedAt ? new Date(input.placedAt) : undefined;
    const placedProblem = placedAt && momentProblem(placedAt);
    if (placedProblem) problems.push({ field: 'placedAt', message: placedProblem });
    if (!currency) throw invalidFields(problems);

    const money = (v: number | string | undefined, field: string) =>
      v === undefined ? undefined : (readMoney(v, currency, field, problems) ?? 0);
    const inputs = input.lines ?? [];
    const byId = new Map(
      (
        await findProductsByIds(
          tx,
          actor.workspaceId,
          inputs.flatMap((l) => (l.productId ? [l.productId] : [])),
        )
      ).map((p) => [p.id, p]),
    );
    const bySku = new Map(
      (
        await findProductsBySkus(
          tx,
          actor.workspaceId,
          inputs.flatMap((l) => (!l.productId && l.sku ? [l.sku] : [])),
        )
      ).map((p) => [p.sku, p]),
    );
    const lines: Array<LineValues & { given: boolean }> = inputs.map((l, i) => {
      const at = `lines[${i}]`;
      const product = l.productId ? byId.get(l.productId) : l.sku ? bySku.get(l.sku) : undefined;
      if (l.productId && !product)
        problems.push({ field: `${at}.productId`, message: `${l.productId} is not a product of this workspace` });
      const name = l.name || product?.name || '';
      if (!name) problems.push({ field: `${at}.name`, message: 'a line needs a name (or a productId)' });
      let unitPrice = money(l.unitPrice, `${at}.unitPrice`);
      if (unitPrice === undefined) {
        if (product && product.currency === currency) unitPrice = product.price;
        else if (product)
          problems.push({
            field: `${at}.unitPrice`,
            message: `the product's price is in ${product.currency}: give the unit price in ${currency}`,
          });
        else problems.push({ field: `${at}.unitPrice`, message: 'a line needs a unit price (or a productId)' });
      }
      const amount = money(l.amount, `${at}.amount`);
      return {
        productId: product?.id ?? null,
        sku: l.sku || product?.sku || null,
        name,
        quantity: l.quantity ?? 1,
        unitPrice: unitPrice ?? 0,
        amount: amount ?? 0,
        given: amount !== undefined,
      };
    });
    const discount = money(input.discount, 'discount') ?? 0;
    const tax = money(input.tax, 'tax') ?? 0;
    const shipping = money(input.shipping, 'shipping') ?? 0;
    const subtotal = money(input.subtotal, 'subtotal');
    const total = money(input.total, 'total');
    if (problems.length) throw invalidFields(problems);

    const r = computeOrderAmounts(
      {
        lines: lines.map((l) => ({
          quantity: l.quantity,
          unitPrice: l.unitPrice,
          amount: l.given ? l.amount : undefined,
        })),
        subtotal,
        discount,
        tax,
        shipping,
        total,
      },
      currency,
    );
    if (!r.ok) throw invalidFields(r.problems);
    return {
      placedAt,
      status: input.status,
      currency,
      channel: input.channel === undefined ? undefined : input.channel?.toLowerCase() || null,
      note: input.note === undefined ? undefined : input.note || null,
      lines: lines.map(({ given: _given, ...l }, i) => ({ ...l, amount: r.amounts.lineAmounts[i] ?? 0 })),
      subtotal: r.amounts.subtotal,
      discount: r.amounts.discount,
      tax: r.amounts.tax,
      shipping: r.amounts.shipping,
      total: r.amounts.total,
    };
  }

  async function insertNew(
    tx: DbOrTx,
    actor: Actor,
    input: Omit<OrderInput, 'externalId'>,
    externalId: string | null,
  ): Promise<OrderRow> {
    const v = await valuesOf(tx, actor, input);
    const person = await resolveCustomer(tx, actor, input, 'order');
    const id = newId();
    const row = await insertOrder(tx, {
      workspaceId: actor.workspaceId,
      id,
      externalId,
      personId: person.id,
      placedAt: v.placedAt ?? new Date(),
      status: v.status ?? 'paid',
      currency: v.currency,
      channel: v.channel ?? null,
      subtotal: v.subtotal,
      discount: v.discount,
      tax: v.tax,
      shipping: v.shipping,
      total: v.total,
      note: v.note ?? null,
      createdBy: actorRef(actor),
      updatedBy: actorRef(actor),
    });
    await replaceLines(tx, actor.workspaceId, id, v.lines);
    await appendEventsTogether(tx, actor, placedEvents(row, v.lines));
    return row;
  }

  /**
   * Brings an existing order to what the input says: content (lines, amounts, customer, dates), then status by the
   * status rules. Nothing written and no event when nothing changes.
   */
  async function bringUpToDate(
    tx: DbOrTx,
    actor: Actor,
    before: OrderRow,
    input: Omit<OrderInput, 'externalId'>,
  ): Promise<OrderRow> {
    const v = await valuesOf(tx, actor, input);
    const person = await resolveCustomer(tx, actor, input, 'order');
    const lines = await linesOfOrder(tx, actor.workspaceId, before.id);
    const plan = planOrderUpdate(before, lines, v, person.id);
    if (!plan.ok) throw new AppError('conflict', plan.message, plan.details);
    if (plan.unchanged) return before;
    const { set, status, changes, linesChanged } = plan;
    const row = await updateOrder(tx, actor.workspaceId, before.id, { ...set, status, updatedBy: actorRef(actor) });
    if (!row) throw AppError.notFound('Order', before.id);
    if (linesChanged) await replaceLines(tx, actor.workspaceId, row.id, v.lines);
    await appendEventsTogether(tx, actor, [
      ...(Object.keys(changes).length ? [orderEvent(row, 'order.updated', { changes })] : []),
      ...statusEvents(row, before.status),
    ]);
    return row;
  }

  return {
    async list(
      actor: Actor,
      params: {
        limit?: number | undefined;
        cursor?: string | undefined;
        sort?: string | undefined;
        filter?: string | string[] | undefined;
      },
    ) {
      assertCan(actor, commerceRead);
      const q = parseListQuery(params, orderListColumns.specs, { field: 'placed_at', direction: 'desc' });
      const page = await listOrders(db, actor.workspaceId, q);
      return { rows: page.rows, nextCursor: page.nextCursor, limit: q.limit };
    },

    async get(actor: Actor, id: string): Promise<OrderDetail> {
      assertCan(actor, commerceRead);
      return detailOf(db, await mustFind(db, actor, id));
    },

    async create(actor: Actor, input: OrderInput): Promise<OrderDetail> {
      assertCan(actor, commerceWrite);
      const externalId = input.externalId ?? null;
      const taken = () =>
        new AppError(
          'conflict',
          `An order with the external id "${externalId}" exists: PUT /api/v1/orders/by-external-id/{externalId} changes it`,
          { field: 'externalId' },
        );
      const run = () =>
        db.transaction(async (tx) => {
          if (externalId && (await findOrderByExternalId(tx, actor.workspaceId, externalId))) throw taken();
          return detailOf(tx, await insertNew(tx, actor, input, externalId));
        });
      try {
        return await run();
      } catch (e) {
        // A concurrent write took the order's external id (the retry says so) or made the same new customer (the
        // retry finds them).
        if (isUniqueViolation(e)) return run();
        throw e;
      }
    },

    /**
     * Creates the order with this external id, or brings it up to date: the same body twice is one order and one set
     * of events. A status left out keeps the order's; refunds are recorded apart (POST /orders/{id}/refunds).
     */
    async upsert(
      actor: Actor,
      externalId: string,
      input: Omit<OrderInput, 'externalId'>,
    ): Promise<OrderDetail & { created: boolean }> {
      assertCan(actor, commerceWrite);
      const run = () =>
        db.transaction(async (tx) => {
          const before = await findOrderByExternalId(tx, actor.workspaceId, externalId, { lock: true });
          const row = before
            ? await bringUpToDate(tx, actor, before, input)
            : await insertNew(tx, actor, input, externalId);
          return { ...(await detailOf(tx, row)), created: !before };
        });
      try {
        return await run();
      } catch (e) {
        // A concurrent upsert inserted the same external id first: this one is now a change (or nothing).
        if (isUniqueViolation(e)) return run();
        throw e;
      }
    },

    /** Status (placed → paid | canceled), channel and note. */
    async update(actor: Actor, id: string, patch: OrderPatch): Promise<OrderDetail> {
      assertCan(actor, commerceWrite);
      return db.transaction(async (tx) => {
        const before = await mustFind(tx, actor, id, true);
        let status = before.status;
        if (patch.status) {
          const c = orderStatusChange(before.status, patch.status);
          if (!c.ok)
            throw new AppError('conflict', c.message, { field: 'status', from: before.status, to: patch.status });
          if (c.changed) status = patch.status;
        }
        const set = {
          channel: patch.channel === undefined ? before.channel : patch.channel?.toLowerCase() || null,
          note: patch.note === undefined ? before.note : patch.note || null,
        };
        const changes = diffFields({ ...before }, set);
        if (!Object.keys(changes).length && status === before.status) return detailOf(tx, before);
        const row = await updateOrder(tx, actor.workspaceId, id, { ...set, status, updatedBy: actorRef(actor) });
        if (!row) throw AppError.notFound('Order', id);
        await appendEventsTogether(tx, actor, [
          ...(Object.keys(changes).length ? [orderEvent(row, 'order.updated', { changes })] : []),
          ...statusEvents(row, before.status),
        ]);
        return detailOf(tx, row);
      });
    },

    /**
     * Deletes an order with its lines and refunds (a mistaken or test order; a real one is canceled or refunded).
     * `order.deleted` on the customer's timeline says what it was, and makes the metrics job recompute the customer.
     */
    async remove(actor: Actor, id: string): Promise<void> {
      assertCan(actor, commerceWrite);
      await db.transaction(async (tx) => {
        const o = await mustFind(tx, actor, id, true);
        const [lines, refunds] = [
          await linesOfOrder(tx, actor.workspaceId, id),
          await refundsOfOrder(tx, actor.workspaceId, id),
        ];
        if (!(await deleteOrder(tx, actor.workspaceId, id))) throw AppError.notFound('Order', id);
        await appendEventsTogether(tx, actor, [deletedEvent(o, { lines: lines.length, refunds: refunds.length })]);
      });
    },

    /**
     * Records money given back: refunds add up on the order (its refunded amount and net), which becomes partially
     * refunded, then refunded when nothing is left. More than what is left is a 409 that says how much is left.
     */
    async refund(actor: Actor, id: string, input: RefundInput): Promise<OrderDetail & { refund: RefundRow }> {
      assertCan(actor, commerceWrite);
      return db.transaction(async (tx) => {
        const before = await mustFind(tx, actor, id, true);
        const problems: FieldProblem[] = [];
        const amount = readMoney(input.amount, before.currency, 'amount', problems, { allowZero: false });
        const at = input.refundedAt ? new Date(input.refundedAt) : new Date();
        const atProblem = momentProblem(at);
        if (atProblem) problems.push({ field: 'refundedAt', message: atProblem });
        else if (at < before.placedAt)
          problems.push({ field: 'refundedAt', message: 'must not be before the order was placed' });
        if (problems.length || amount === null) throw invalidFields(problems);
        const r = applyRefund(before, amount);
        if (!r.ok)
          throw new AppError(r.code, r.message, {
            field: 'amount',
            left: fromMinorUnits(before.total - before.refunded, before.currency),
          });
        const refund = await insertRefund(tx, {
          workspaceId: actor.workspaceId,
          id: newId(),
          orderId: id,
          amount,
          reason: input.reason || null,
          refundedAt: at,
          actorType: actor.kind,
          actorId: actorRef(actor),
        });
        const row = await updateOrder(tx, actor.workspaceId, id, {
          refunded: r.refunded,
          status: r.status,
          updatedBy: actorRef(actor),
        });
        if (!row) throw AppError.notFound('Order', id);
        await appendEventsTogether(tx, actor, [refundEvent(row, refund)]);
        return { ...(await detailOf(tx, row)), refund };
      });
    },
  };
}
