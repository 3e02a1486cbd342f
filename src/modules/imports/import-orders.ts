/**
 * The orders part of the CSV import: rows grouped into orders (rows sharing an order id, one after the other, are its
 * lines), and one batch of orders written set-based in the batch's transaction — customers found or created by the
 * resolver's rule (`choosePerson`), orders created or brought up to date by the commerce rules (`buildOrder`,
 * `planOrderUpdate`, `applyRefund`) with the same events as the orders service, so they are on the timeline.
 */
import { inTurn, type DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import type { ImportMode } from '../../db/schema/index.ts';
import { applyRefund, fromMinorUnits, statusAfterRefunds, type OrderStatus } from '../../domain/commerce.ts';
import { buildSearchText, personDisplayName, type FieldProblem } from '../../domain/customers.ts';
import { nulCellProblems } from '../../domain/imports.ts';
import {
  buildOrder,
  transformOrderRow,
  type CatalogueProduct,
  type OrderDraft,
  type OrderRowContext,
  type OrderRowRecord,
} from '../../domain/order-imports.ts';
import type { Actor } from '../../domain/permissions.ts';
import { appendEvents, type EventInput } from '../../events/events.ts';
import {
  findOrdersByExternalIds,
  findProductsBySkus,
  insertOrdersInBulk,
  linesOfOrders,
  updateOrdersInBulk,
  type OrderInsert,
  type OrderLineInsert,
  type OrderRow,
  type RefundInsert,
} from '../commerce/commerce.repository.ts';
import {
  orderEvent,
  placedEvents,
  planOrderUpdate,
  refundEvent,
  statusEvents,
  type OrderValues,
} from '../commerce/order-changes.ts';
import { ambiguousEmailRejection, columnsOfFields, describeRowProblems, isListed } from './import-report.ts';
import { companiesOfPeople, type PersonInsert, type PersonRow } from '../people/people.repository.ts';
import { actorRef, choosePerson, contactMatch, splitName } from '../people/resolve-person.ts';
import {
  dryRunCreatedKeys,
  findPeopleByAnyEmail,
  findPeopleByExternalIds,
  insertPeople,
  updatePeople,
  type BatchCounts,
  type ImportRow,
  type ImportRowInsert,
} from './imports.repository.ts';

export type OrderItem = { rowNumber: number; line: number; values: string[] };
type ReadItem = OrderItem & ({ rec: OrderRowRecord } | { problems: FieldProblem[] });

/** The rows of one order as read, or why the group cannot be an order before anything is looked up. */
export type OrderGroup = { key: string; items: ReadItem[]; repeatOf: number | null };

export type OrderRun = {
  imp: ImportRow;
  mode: ImportMode;
  actor: Actor;
  rowContext: OrderRowContext;
  defaultCurrency: string;
  columns: ReadonlyArray<{ index: number; target: string }>;
  /** Order id → the first row of the file that gave it: a later, separate group with it is refused. */
  seen: Map<string, number>;
};

/** The column holding the order id, to keep an order's rows in one batch. */
export function orderKeyIndex(columns: ReadonlyArray<{ index: number; target: string }>): number | undefined {
  return columns.find((c) => c.target === 'externalId')?.index;
}

/** Remembers the order ids of rows already imported (before a checkpoint), so repeats after it are still caught. */
export function noteOrderRow(run: OrderRun, rowNumber: number, values: readonly string[]): void {
  const i = orderKeyIndex(run.columns);
  const key = i === undefined ? '' : (values[i] ?? '').trim();
  if (key && !run.seen.has(key)) run.seen.set(key, rowNumber);
}

/**
 * Reads the rows of a batch and groups them into orders: consecutive rows with the same order id. An order id that
 * came before, in another group, is refused (the lines of an order are written together, so they must be together
 * in the file); a row without an order id is a group of its own (and refused).
 */
export function groupOrderRows(run: OrderRun, items: readonly OrderItem[]): OrderGroup[] {
  const groups: OrderGroup[] = [];
  let current: OrderGroup | null = null;
  const keyAt = orderKeyIndex(run.columns);
  for (const it of items) {
    const nul = nulCellProblems(it.values, run.columns, run.imp.headers);
    const r = nul.length ? null : transformOrderRow(it.values, run.columns, run.rowContext);
    const item: ReadItem = r?.ok ? { ...it, rec: r.record } : { ...it, problems: r ? r.problems : nul };
    const key = keyAt === undefined ? '' : (it.values[keyAt] ?? '').trim();
    if (key && current && current.key === key) {
      current.items.push(item);
      continue;
    }
    const earlier: number | undefined = key ? run.seen.get(key) : undefined;
    current = { key, items: [item], repeatOf: earlier ?? null };
    if (key && earlier === undefined) run.seen.set(key, it.rowNumber);
    groups.push(current);
  }
  return groups;
}

/** Who an order belongs to while a batch is worked out: a stored person, or one this batch (or dry run) makes. */
type Customer = { id: string; externalId: string | null; stored: PersonRow | null; createdAtRow: number | null };

const customerKeys = (c: OrderDraft['customer']) => [
  ...(c.externalId ? [`customer.externalId:${c.externalId}`] : []),
  ...(c.email ? [`customer.email:${c.email}`] : []),
];

/**
 * Writes one batch of orders (or, in a dry run, reports what it would do): every statement is set-based — orders,
 * products, customers and existing lines looked up once each; people, orders, lines, refunds and events inserted by
 * COPY; updates one statement per set of columns. Counts are per order.
 */
export async function flushOrders(
  tx: DbOrTx,
  run: OrderRun,
  groups: readonly OrderGroup[],
  counts: BatchCounts,
  report: ImportRowInsert[],
): Promise<void> {
  const { imp, actor } = run;
  const ws = imp.workspaceId;
  const dry = run.mode === 'dry_run';
  const ref = actorRef(actor);
  const now = new Date();

  const values = (it: OrderItem) => {
    const out: Record<string, string> = {};
    imp.headers.slice(0, 30).forEach((h, i) => {
      const v = it.values[i];
      if (v) out[h] = v.slice(0, 200);
    });
    return out;
  };
  const columnsOfField = columnsOfFields(run.columns, imp.headers);
  const rejectGroup = (g: OrderGroup, byRow: Map<number, FieldProblem[]>, extra: Record<string, unknown> = {}) => {
    counts.rejected++;
    const firstBad = [...byRow.keys()].sort((a, b) => a - b)[0];
    for (const it of g.items) {
      const problems = byRow.get(it.rowNumber) ?? [
        {
          field: 'order',
          message: `row ${firstBad} of this order was refused, so none of its rows is imported`,
        },
      ];
      const described = describeRowProblems(problems, columnsOfField);
      report.push({
        workspaceId: ws,
        importId: imp.id,
        mode: run.mode,
        rowNumber: it.rowNumber,
        line: it.line,
        action: 'reject',
        summary: described.summary,
        details: {
          problems: described.problems,
          values: values(it),
          order: g.key || null,
          ...(byRow.has(it.rowNumber) ? extra : {}),
        },
      });
    }
  };

  // Rows that cannot be read, and orders that come back after other orders, are refused before any lookup.
  const readable: Array<{ g: OrderGroup; rows: Array<OrderItem & { rec: OrderRowRecord }> }> = [];
  for (const g of groups) {
    const byRow = new Map<number, FieldProblem[]>();
    for (const it of g.items) if ('problems' in it) byRow.set(it.rowNumber, it.problems);
    if (g.repeatOf !== null)
      for (const it of g.items)
        byRow.set(it.rowNumber, [
          ...(byRow.get(it.rowNumber) ?? []),
          {
            field: 'externalId',
            message: `order "${g.key}" already came at row ${g.repeatOf}: the rows of an order must follow each other`,
          },
        ]);
    if (byRow.size) rejectGroup(g, byRow);
    else readable.push({ g, rows: g.items as Array<OrderItem & { rec: OrderRowRecord }> });
  }

  const skus = [...new Set(readable.flatMap((r) => r.rows.flatMap((x) => (x.rec.line?.sku ? [x.rec.line.sku] : []))))];
  const [products, existing] = await inTurn([
    () => findProductsBySkus(tx, ws, skus),
    () =>
      findOrdersByExternalIds(
        tx,
        ws,
        readable.map((r) => r.g.key),
        { lock: !dry },
      ),
  ]);
  const bySku = new Map<string, CatalogueProduct>(products.map((p) => [p.sku, p]));
  const existingByKey = new Map(existing.map((o) => [o.externalId ?? '', o]));

  const drafts: Array<{ g: OrderGroup; draft: OrderDraft }> = [];
  for (const r of readable) {
    const built = buildOrder(
      r.rows.map((x) => ({ rowNumber: x.rowNumber, rec: x.rec })),
      { defaultCurrency: run.defaultCurrency, product: (sku) => bySku.get(sku) },
    );
    if (built.ok) drafts.push({ g: r.g, draft: built.order });
    else rejectGroup(r.g, built.problems);
  }

  const [byExtRows, byEmailRows, storedLines, dryCreated] = await inTurn([
    () =>
      findPeopleByExternalIds(
        tx,
        ws,
        drafts.flatMap((d) => (d.draft.customer.externalId ? [d.draft.customer.externalId] : [])),
      ),
    () =>
      findPeopleByAnyEmail(
        tx,
        ws,
        drafts.flatMap((d) => (d.draft.customer.email ? [d.draft.customer.email] : [])),
      ),
    () =>
      linesOfOrders(
        tx,
        ws,
        existing.map((o) => o.id),
      ),
    () =>
      dry
        ? dryRunCreatedKeys(
            tx,
            ws,
            imp.id,
            drafts.flatMap((d) => customerKeys(d.draft.customer)),
          )
        : Promise.resolve(new Map<string, number>()),
  ]);
  const asCustomer = (p: PersonRow): Customer => ({
    id: p.id,
    externalId: p.externalId,
    stored: p,
    createdAtRow: null,
  });
  const byExt = new Map<string, Customer>();
  for (const p of byExtRows) if (p.externalId) byExt.set(p.externalId, asCustomer(p));
  // Everyone with an address, oldest first: which of several people an order is for is never guessed.
  const byEmail = new Map<string, Customer[]>();
  for (const p of byEmailRows)
    for (const e of p.emails) {
      const customer = byExt.get(p.externalId ?? '') ?? asCustomer(p);
      const list = byEmail.get(e);
      if (!list) byEmail.set(e, [customer]);
      else if (!list.some((x) => x.id === customer.id)) list.push(customer);
    }

  const newPeople: PersonInsert[] = [];
  const adopted: Array<{ person: PersonRow; externalId: string }> = [];
  const newOrders: OrderInsert[] = [];
  const newLines: OrderLineInsert[] = [];
  const newRefunds: RefundInsert[] = [];
  const updates: Array<{ id: string; set: Partial<OrderInsert> }> = [];
  const replaceLinesOf: string[] = [];
  const events: EventInput[] = [];

  for (const { g, draft } of drafts) {
    const firstRow = g.items[0] as OrderItem;
    // The customer, by the resolver's rule: external id, else e-mail (taking the external id), else a new person.
    const c = draft.customer;
    const byId = c.externalId ? (byExt.get(c.externalId) ?? null) : null;
    const byAddress = c.email ? (byEmail.get(c.email) ?? []) : [];
    // As `resolvePerson` refuses it: an address several people have, when no person has the customer id. People with
    // another customer id are other customers of the shop, so they make no ambiguity.
    const eligible = byId ? [] : c.externalId ? byAddress.filter((p) => !p.externalId) : byAddress;
    if (c.email && eligible.length > 1) {
      const why = ambiguousEmailRejection('customer.email', c.email, eligible);
      rejectGroup(g, new Map([[firstRow.rowNumber, [why.problem]]]), why.details);
      continue;
    }
    const choice = choosePerson(c.externalId, byId, contactMatch(c.externalId, byAddress));
    let customer: Customer;
    let customerNote: string;
    const personEvents: EventInput[] = [];
    if (choice.kind === 'found') {
      customer = choice.person;
      customerNote = customer.createdAtRow !== null ? `new (row ${customer.createdAtRow} of this file)` : 'existing';
    } else if (choice.kind === 'adopt') {
      customer = choice.person;
      customer.externalId = c.externalId;
      if (c.externalId) byExt.set(c.externalId, customer);
      customerNote = `existing; gets the customer id ${c.externalId}`;
      if (customer.stored && c.externalId) {
        adopted.push({ person: customer.stored, externalId: c.externalId });
        personEvents.push({
          type: 'person.updated',
          subjectType: 'person',
          subjectId: customer.id,
          payload: { changes: { externalId: { from: null, to: c.externalId } }, importId: imp.id },
        });
      } else {
        const mine = newPeople.find((p) => p.id === customer.id);
        if (mine) {
          mine.externalId = c.externalId;
          mine.searchText = buildSearchText([mine.displayName, mine.emails, c.externalId]);
        }
      }
    } else {
      const earlier = customerKeys(c)
        .map((k) => dryCreated.get(k))
        .find((x) => x !== undefined);
      if (earlier !== undefined) {
        customer = { id: '', externalId: c.externalId, stored: null, createdAtRow: earlier };
        customerNote = `new (row ${earlier} of this file)`;
      } else {
        const { firstName, lastName } = splitName(c.name);
        const emails = c.email ? [c.email] : [];
        const displayName = personDisplayName(firstName, lastName, emails);
        const id = newId();
        newPeople.push({
          workspaceId: ws,
          id,
          firstName,
          lastName,
          displayName,
          emails,
          phones: [],
          source: 'order',
          externalId: c.externalId,
          searchText: buildSearchText([displayName, emails, c.externalId]),
          createdBy: ref,
          updatedBy: ref,
        });
        personEvents.push({
          type: 'person.created',
          subjectType: 'person',
          subjectId: id,
          payload: { name: displayName, emails, stage: 'lead', source: 'order', importId: imp.id },
        });
        customer = { id, externalId: c.externalId, stored: null, createdAtRow: firstRow.rowNumber };
        customerNote = 'new';
      }
      if (c.externalId) byExt.set(c.externalId, customer);
      if (c.email && !byEmail.has(c.email)) byEmail.set(c.email, [customer]);
    }

    const label = c.name ?? c.email ?? c.externalId ?? '';
    const summary = `Order ${draft.externalId} · ${fromMinorUnits(draft.total, draft.currency)} ${draft.currency} · ${label}`;
    const reportAll = (
      action: 'create' | 'update' | 'unchanged',
      recordId: string | null,
      details: Record<string, unknown>,
    ) => {
      g.items.forEach((it, i) => {
        if (!isListed(run.mode, it.rowNumber)) return;
        report.push({
          workspaceId: ws,
          importId: imp.id,
          mode: run.mode,
          rowNumber: it.rowNumber,
          line: it.line,
          action,
          recordId,
          matchKeys: dry && i === 0 && action === 'create' && customerNote === 'new' ? customerKeys(c) : null,
          summary: i === 0 ? summary : `Order ${draft.externalId} · line ${i + 1}`,
          details: i === 0 ? details : { order: draft.externalId, firstRow: firstRow.rowNumber },
        });
      });
    };

    const before = existingByKey.get(draft.externalId);
    if (!before) {
      const id = newId();
      const written: OrderStatus = draft.status ?? 'paid';
      const refunded = draft.refunded ?? 0;
      const status: OrderStatus = refunded > 0 ? statusAfterRefunds(draft.total, refunded) : written;
      const row = {
        workspaceId: ws,
        id,
        externalId: draft.externalId,
        personId: customer.id,
        placedAt: draft.placedAt ?? now,
        status,
        currency: draft.currency,
        channel: draft.channel ?? null,
        subtotal: draft.subtotal,
        discount: draft.discount,
        tax: draft.tax,
        shipping: draft.shipping,
        total: draft.total,
        refunded,
        note: null,
        createdBy: ref,
        updatedBy: ref,
      } satisfies OrderInsert;
      counts.created++;
      reportAll('create', dry ? null : id, {
        customer: customerNote,
        status,
        lines: draft.lines.length,
        placedAt: row.placedAt.toISOString(),
      });
      if (dry) continue;
      newOrders.push(row);
      draft.lines.forEach((l, i) => newLines.push({ ...l, workspaceId: ws, orderId: id, lineNumber: i + 1 }));
      events.push(...personEvents, ...placedEvents({ ...row, status: written }, draft.lines, { importId: imp.id }));
      if (refunded > 0) {
        const refund = refundRow(run, id, refunded, row.placedAt, now);
        newRefunds.push(refund);
        events.push(refundEvent(row, refund));
      }
      continue;
    }

    // An order already there: brought up to what the rows say, as the orders service's upsert does.
    const v: OrderValues = {
      placedAt: draft.placedAt,
      status: draft.status,
      currency: draft.currency,
      channel: draft.channel,
      note: undefined,
      lines: draft.lines,
      subtotal: draft.subtotal,
      discount: draft.discount,
      tax: draft.tax,
      shipping: draft.shipping,
      total: draft.total,
    };
    const plan = planOrderUpdate(before, storedLines.get(before.id) ?? [], v, customer.id);
    if (!plan.ok) {
      const field = typeof plan.details.field === 'string' ? plan.details.field : 'order';
      rejectGroup(g, new Map([[firstRow.rowNumber, [{ field, message: plan.message }]]]));
      continue;
    }
    let status = plan.status;
    let refunded = before.refunded;
    const target = draft.refunded;
    if (target !== undefined && target < before.refunded) {
      rejectGroup(
        g,
        new Map([
          [
            firstRow.rowNumber,
            [
              {
                field: 'refunded',
                message: `the order has ${fromMinorUnits(before.refunded, before.currency)} ${before.currency} refunded already; refunds are not undone`,
              },
            ],
          ],
        ]),
      );
      continue;
    }
    if (target !== undefined && target > before.refunded) {
      const r = applyRefund(
        { status, total: draft.total, refunded: before.refunded, currency: draft.currency },
        target - before.refunded,
      );
      if (!r.ok) {
        rejectGroup(g, new Map([[firstRow.rowNumber, [{ field: 'refunded', message: r.message }]]]));
        continue;
      }
      refunded = r.refunded;
      status = r.status;
    }
    if (plan.unchanged && refunded === before.refunded) {
      counts.unchanged++;
      reportAll('unchanged', before.id, { customer: customerNote });
      continue;
    }
    counts.updated++;
    reportAll('update', before.id, {
      changes: plan.changes,
      customer: customerNote,
      ...(status !== before.status ? { status: { from: before.status, to: status } } : {}),
      ...(refunded !== before.refunded
        ? {
            refunded: {
              from: fromMinorUnits(before.refunded, before.currency),
              to: fromMinorUnits(refunded, draft.currency),
            },
          }
        : {}),
    });
    if (dry) continue;
    const after: OrderRow = { ...before, ...plan.set, status, refunded };
    updates.push({ id: before.id, set: { ...plan.set, status, refunded, updatedBy: ref } });
    if (plan.linesChanged) {
      replaceLinesOf.push(before.id);
      draft.lines.forEach((l, i) => newLines.push({ ...l, workspaceId: ws, orderId: before.id, lineNumber: i + 1 }));
    }
    events.push(...personEvents);
    if (Object.keys(plan.changes).length)
      events.push(orderEvent(after, 'order.updated', { changes: plan.changes, importId: imp.id }));
    events.push(...statusEvents({ ...after, status: plan.status }, before.status));
    if (refunded > before.refunded) {
      const refund = refundRow(run, before.id, refunded - before.refunded, after.placedAt, now);
      newRefunds.push(refund);
      events.push(refundEvent(after, refund));
    }
  }
  if (dry) return;

  await insertPeople(tx, newPeople);
  if (adopted.length) {
    const companies = await companiesOfPeople(
      tx,
      ws,
      adopted.map((a) => a.person.id),
    );
    await updatePeople(
      tx,
      ws,
      adopted.map(({ person: p, externalId }) => ({
        id: p.id,
        set: {
          externalId,
          updatedBy: ref,
          searchText: buildSearchText([
            p.displayName,
            p.emails,
            p.phones,
            p.tags,
            (companies.get(p.id) ?? []).map((x) => x.name),
            externalId,
          ]),
        },
      })),
    );
  }
  await updateOrdersInBulk(tx, ws, updates, replaceLinesOf);
  await insertOrdersInBulk(tx, { orders: newOrders, lines: newLines, refunds: newRefunds });
  await appendEvents(tx, actor, events);
}

/** The refund an imported refunded amount stands for: dated now (when Rapport learnt of it), never before the order. */
function refundRow(
  run: OrderRun,
  orderId: string,
  amount: number,
  placedAt: Date,
  now: Date,
): RefundInsert & { id: string; reason: string; refundedAt: Date } {
  return {
    workspaceId: run.imp.workspaceId,
    id: newId(),
    orderId,
    amount,
    reason: `import ${run.imp.fileName}`.slice(0, 500),
    refundedAt: placedAt > now ? placedAt : now,
    actorType: run.actor.kind,
    actorId: actorRef(run.actor),
  };
}
