/**
 * Pure rules of importing orders from a CSV: which column means what, how a row is read (dates in several formats,
 * statuses as shops write them), and how the rows of one order (its lines) become one order with amounts in minor
 * units — through the commerce rules (src/domain/commerce.ts), so an imported order is what the API would store.
 * No I/O.
 */
import { instantOfLocalTime } from './business-hours.ts';
import {
  computeOrderAmounts,
  fromMinorUnits,
  momentProblem,
  normaliseCurrency,
  orderStatuses,
  statusAfterRefunds,
  toMinorUnits,
  type OrderStatus,
  type SettableOrderStatus,
} from './commerce.ts';
import { normaliseEmailAddress, type FieldProblem } from './customers.ts';

/** The currency of an order whose file has no currency column (or an empty cell). */
export const defaultImportCurrency = 'USD';

export const orderMoneyFields = ['total', 'discount', 'tax', 'shipping', 'refunded'] as const;
export type OrderMoneyField = (typeof orderMoneyFields)[number];

/**
 * Every field a column of an orders file can fill. `externalId` is the order's id in the shop: rows sharing it are
 * the lines of one order. `line.*` fields describe the row's line.
 */
export const orderTargets = [
  'externalId',
  'customer.email',
  'customer.externalId',
  'customer.name',
  'placedAt',
  'status',
  'currency',
  'total',
  'discount',
  'tax',
  'shipping',
  'refunded',
  'channel',
  'line.sku',
  'line.name',
  'line.quantity',
  'line.unitPrice',
] as const;
export type OrderTarget = (typeof orderTargets)[number];

/** Normalised headers (lower case, letters and digits) per target, in the order they are tried. */
export const orderSynonyms: Record<OrderTarget, string[]> = {
  externalId: [
    'orderid',
    'ordernumber',
    'orderno',
    'ordernr',
    'order',
    'name',
    'orderreference',
    'orderref',
    'reference',
    'transactionid',
    'invoicenumber',
    'invoiceid',
    'externalid',
    'id',
    'number',
  ],
  'customer.email': ['email', 'customeremail', 'billingemail', 'emailaddress', 'mail', 'buyeremail', 'useremail'],
  'customer.externalId': [
    'customerid',
    'customerexternalid',
    'customernumber',
    'customerno',
    'clientid',
    'userid',
    'buyerid',
    'accountid',
    'customerref',
  ],
  'customer.name': [
    'customername',
    'billingname',
    'customer',
    'fullname',
    'buyername',
    'clientname',
    'shippingname',
    'billingfullname',
  ],
  placedAt: [
    'createdat',
    'placedat',
    'orderdate',
    'date',
    'datecreated',
    'orderdatetime',
    'ordercreated',
    'orderedat',
    'purchasedate',
    'purchasedat',
    'transactiondate',
    'created',
    'datetime',
    'timestamp',
  ],
  status: ['financialstatus', 'status', 'orderstatus', 'paymentstatus', 'state'],
  currency: ['currency', 'currencycode', 'ordercurrency'],
  total: [
    'total',
    'ordertotal',
    'totalamount',
    'grandtotal',
    'totalprice',
    'amount',
    'value',
    'dollarvalue',
    'revenue',
    'ordertotalamount',
  ],
  discount: ['discountamount', 'discount', 'discounts', 'totaldiscount', 'totaldiscounts', 'cartdiscount'],
  tax: ['taxes', 'tax', 'taxamount', 'totaltax', 'ordertax', 'vat'],
  shipping: ['shipping', 'shippingamount', 'shippingcost', 'shippingtotal', 'ordershipping', 'shippingprice'],
  refunded: ['refundedamount', 'refunded', 'amountrefunded', 'totalrefunded', 'refundamount', 'refund'],
  channel: ['channel', 'saleschannel', 'source', 'sourcename', 'store'],
  'line.sku': ['lineitemsku', 'sku', 'productsku', 'itemsku', 'variantsku'],
  'line.name': ['lineitemname', 'productname', 'itemname', 'product', 'item', 'lineitem', 'producttitle'],
  'line.quantity': ['lineitemquantity', 'quantity', 'qty', 'itemquantity', 'numberofcds', 'units'],
  'line.unitPrice': ['lineitemprice', 'unitprice', 'price', 'itemprice', 'itemcost', 'productprice'],
};

/** Order status words as shops write them (normalised: lower case, letters and digits only). */
const statusWords: Record<string, OrderStatus> = {
  placed: 'placed',
  pending: 'placed',
  authorized: 'placed',
  authorised: 'placed',
  onhold: 'placed',
  open: 'placed',
  unpaid: 'placed',
  paid: 'paid',
  completed: 'paid',
  complete: 'paid',
  processing: 'paid',
  fulfilled: 'paid',
  refunded: 'refunded',
  partiallyrefunded: 'partially_refunded',
  partialrefund: 'partially_refunded',
  canceled: 'canceled',
  cancelled: 'canceled',
  voided: 'canceled',
  void: 'canceled',
};

/** An order status from a file ("Paid", "partially refunded", "cancelled", Shopify's "pending"), or null. */
export function parseOrderStatus(raw: string): OrderStatus | null {
  const v = raw
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
  return statusWords[v] ?? null;
}

const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

type DateParts = { year: number; month: number; day: number };
type TimeParts = { hour: number; minute: number; second: number; ms: number; offsetMinutes: number | null };

// The spaces before am/pm belong to it (`(?:\s*(am|pm))?`): with `\s*(am|pm)?\s*`, two neighbouring `\s*` split a run
// of spaces every possible way before failing (a time, 80,000 spaces and a letter took 7 s).
const timePart =
  /^(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*(am|pm))?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;

function readTime(rest: string): TimeParts | string | null {
  const m = timePart.exec(rest);
  if (!m) return null;
  let hour = Number(m[1] ?? 0);
  const minute = Number(m[2] ?? 0);
  const second = Number(m[3] ?? 0);
  const ms = m[4] ? Number(m[4].slice(0, 3).padEnd(3, '0')) : 0;
  const ampm = m[5]?.toLowerCase();
  if (ampm) {
    if (hour < 1 || hour > 12) return 'has an hour that is not on a 12-hour clock';
    hour = (hour % 12) + (ampm === 'pm' ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 59) return 'has a time that does not exist';
  const zone = m[6]?.toUpperCase();
  let offsetMinutes: number | null = null;
  if (zone === 'Z' || zone === 'UTC' || zone === 'GMT') offsetMinutes = 0;
  else if (zone) {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!z) return null;
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  }
  return { hour, minute, second, ms, offsetMinutes };
}

/**
 * A date, or a date and time, as files write them: 2024-03-05, 2024-03-05 14:12[:09][.123] with an optional zone
 * (Z, UTC, +01:00, +0100 — Shopify's "2024-03-05 14:12:09 +0100"), ISO 8601 with T, 2024/03/05, 20240305 (CDNOW),
 * 05.03.2024 (day first), 5 Mar 2024 and Mar 5, 2024, and 3/5/2024 when it can only be read one way (a part above
 * 12); 03/04/2024 could be either and is refused rather than guessed. A time without a zone is the workspace's local
 * time; a date alone is its local midnight.
 */
export function parseOrderDate(
  raw: string,
  timeZone: string,
): { ok: true; date: Date } | { ok: false; message: string } {
  const text = raw.trim();
  const bad = (why?: string) => ({
    ok: false as const,
    message: why
      ? `"${text}" ${why}`
      : `"${text}" is not a date; write it like 2024-03-05 or 2024-03-05 14:30 (with a zone such as +01:00 if it is not the workspace's)`,
  });
  let date: DateParts | null = null;
  let rest = '';
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(.*)$/.exec(text)))
    [date, rest] = [{ year: +m[1]!, month: +m[2]!, day: +m[3]! }, m[4]!];
  else if ((m = /^(\d{4})(\d{2})(\d{2})(T.*)?$/.exec(text)))
    [date, rest] = [{ year: +m[1]!, month: +m[2]!, day: +m[3]! }, m[4] ?? ''];
  else if ((m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(.*)$/.exec(text)))
    [date, rest] = [{ year: +m[3]!, month: +m[2]!, day: +m[1]! }, m[4]!];
  else if ((m = /^(\d{1,2})[/-](\d{1,2})[/-](\d{4})(.*)$/.exec(text))) {
    const a = +m[1]!;
    const b = +m[2]!;
    if (a > 12 && b <= 12) date = { year: +m[3]!, month: b, day: a };
    else if (b > 12 && a <= 12) date = { year: +m[3]!, month: a, day: b };
    else if (a === b) date = { year: +m[3]!, month: a, day: a };
    else if (a <= 12 && b <= 12)
      return bad(
        `could be ${a} ${monthName(b)} or ${monthName(a)} ${b}: write the date as ${m[3]}-${pad(b)}-${pad(a)} or ${m[3]}-${pad(a)}-${pad(b)}`,
      );
    else return bad('is not a date: no month above 12');
    rest = m[4]!;
  } else if ((m = /^(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?,?[\s-]+(\d{4})(.*)$/.exec(text))) {
    const mo = months.indexOf(m[2]!.slice(0, 3).toLowerCase());
    if (mo >= 0) [date, rest] = [{ year: +m[3]!, month: mo + 1, day: +m[1]! }, m[4]!];
  } else if ((m = /^([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})(.*)$/.exec(text))) {
    const mo = months.indexOf(m[1]!.slice(0, 3).toLowerCase());
    if (mo >= 0) [date, rest] = [{ year: +m[3]!, month: mo + 1, day: +m[2]! }, m[4]!];
  }
  if (!date) return bad();
  if (date.month < 1 || date.month > 12 || date.day < 1 || date.day > daysIn(date.year, date.month))
    return bad('is not a date that exists');
  const time = readTime(rest.replace(/^,/, ''));
  if (time === null) return bad();
  if (typeof time === 'string') return bad(time);
  let at: Date;
  if (time.offsetMinutes !== null)
    at = new Date(
      Date.UTC(date.year, date.month - 1, date.day, time.hour, time.minute, time.second, time.ms) -
        time.offsetMinutes * 60_000,
    );
  else at = instantOfLocalTime(timeZone, { ...date, ...time });
  return { ok: true, date: at };
}

const pad = (n: number) => String(n).padStart(2, '0');
const monthName = (n: number) =>
  [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December',
  ][n - 1] ?? String(n);

/** One row of an orders file, read and checked; amounts stay text until the order's currency is known. */
export type OrderRowRecord = {
  externalId: string;
  customer: { email?: string; externalId?: string; name?: string };
  placedAt?: Date;
  status?: OrderStatus;
  currency?: string;
  channel?: string;
  money: Partial<Record<OrderMoneyField, string>>;
  /** Present when the row fills any line column. */
  line?: { sku?: string; name?: string; quantity?: number; unitPrice?: string };
};

export type OrderRowContext = { timeZone: string; now?: Date };

const orderLimits: Partial<Record<OrderTarget, number>> = {
  externalId: 200,
  'customer.externalId': 200,
  'customer.name': 200,
  channel: 100,
  'line.sku': 200,
  'line.name': 500,
};

/** Reads one row of an orders file: every problem of the row at once (field names are the mapping targets). */
export function transformOrderRow(
  values: readonly string[],
  columns: ReadonlyArray<{ index: number; target: string }>,
  ctx: OrderRowContext,
): { ok: true; record: OrderRowRecord } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const rec: OrderRowRecord = { externalId: '', customer: {}, money: {} };
  const line: NonNullable<OrderRowRecord['line']> = {};
  let hasLine = false;
  for (const { index, target } of columns) {
    const raw = (values[index] ?? '').trim();
    if (!raw) continue;
    const limit = orderLimits[target as OrderTarget];
    if (limit !== undefined && raw.length > limit) {
      problems.push({ field: target, message: `must be at most ${limit} characters (has ${raw.length})` });
      continue;
    }
    switch (target as OrderTarget) {
      case 'externalId':
        rec.externalId = raw;
        break;
      case 'customer.email': {
        const e = normaliseEmailAddress(raw);
        if (!e) problems.push({ field: target, message: `"${raw}" is not an e-mail address` });
        else rec.customer.email = e;
        break;
      }
      case 'customer.externalId':
        rec.customer.externalId = raw;
        break;
      case 'customer.name':
        rec.customer.name = raw;
        break;
      case 'placedAt': {
        const d = parseOrderDate(raw, ctx.timeZone);
        const why = d.ok ? momentProblem(d.date, ctx.now) : null;
        if (!d.ok) problems.push({ field: target, message: d.message });
        else if (why) problems.push({ field: target, message: `"${raw}" ${why}` });
        else rec.placedAt = d.date;
        break;
      }
      case 'status': {
        const s = parseOrderStatus(raw);
        if (!s)
          problems.push({
            field: target,
            message: `"${raw}" is not an order status; use one of ${orderStatuses.join(', ')}`,
          });
        else rec.status = s;
        break;
      }
      case 'currency': {
        const c = normaliseCurrency(raw);
        if (!c) problems.push({ field: target, message: `"${raw}" is not an ISO 4217 currency code like USD` });
        else rec.currency = c;
        break;
      }
      case 'channel':
        rec.channel = raw.toLowerCase();
        break;
      case 'total':
      case 'discount':
      case 'tax':
      case 'shipping':
      case 'refunded':
        rec.money[target as OrderMoneyField] = raw;
        break;
      case 'line.sku':
        hasLine = true;
        line.sku = raw;
        break;
      case 'line.name':
        hasLine = true;
        line.name = raw;
        break;
      case 'line.quantity': {
        hasLine = true;
        const q = /^\d+$/.test(raw) ? Number(raw) : NaN;
        if (!Number.isSafeInteger(q) || q < 1 || q > 1_000_000)
          problems.push({ field: target, message: `"${raw}" is not a quantity (a whole number from 1)` });
        else line.quantity = q;
        break;
      }
      case 'line.unitPrice':
        hasLine = true;
        line.unitPrice = raw;
        break;
    }
  }
  if (!rec.externalId)
    problems.push({ field: 'externalId', message: "every row needs its order's id (rows sharing it are one order)" });
  if (hasLine) rec.line = line;
  return problems.length ? { ok: false, problems } : { ok: true, record: rec };
}

/** A product of the catalogue, as an order line may name it by sku. */
export type CatalogueProduct = { id: string; sku: string; name: string; price: number; currency: string };

/** One order made of its rows, ready to write (money in minor units of `currency`). */
export type OrderDraft = {
  externalId: string;
  customer: { email: string | null; externalId: string | null; name: string | null };
  placedAt: Date | undefined;
  /** The status a write sets (placed, paid, canceled); refunds come from `refunded`. Undefined: not said. */
  status: SettableOrderStatus | undefined;
  /** What the order has been refunded in all, when the file says (a refunded status without an amount: all). */
  refunded: number | undefined;
  currency: string;
  channel: string | null | undefined;
  lines: Array<{
    productId: string | null;
    sku: string | null;
    name: string;
    quantity: number;
    unitPrice: number;
    amount: number;
  }>;
  subtotal: number;
  discount: number;
  tax: number;
  shipping: number;
  total: number;
};

export type OrderBuildContext = {
  defaultCurrency: string;
  /** The catalogue product with this sku, if any. */
  product: (sku: string) => CatalogueProduct | undefined;
};

export type OrderGroupRow = { rowNumber: number; rec: OrderRowRecord };

/**
 * The order the rows of one order id describe. Order-level cells (customer, date, status, currency, amounts) may be
 * on every row or only on the first (Shopify fills them once); a row that says something else than an earlier one is
 * refused. Each row with a line column is a line: named by its name, else its catalogue product's, else its sku;
 * priced by its unit price, else its product's price in the order's currency, else — when it is the order's only line
 * — by the order's total (its unit price then rounded, its amount exact). Amounts follow the commerce rules: no more
 * decimals than the currency has, total = lines − discount + tax + shipping. Problems are reported per row number.
 */
export function buildOrder(
  rows: readonly OrderGroupRow[],
  ctx: OrderBuildContext,
): { ok: true; order: OrderDraft } | { ok: false; problems: Map<number, FieldProblem[]> } {
  const problems = new Map<number, FieldProblem[]>();
  const first = rows[0];
  if (!first) throw new Error('buildOrder: no rows');
  const add = (row: number, p: FieldProblem) => {
    const list = problems.get(row) ?? [];
    list.push(p);
    problems.set(row, list);
  };
  /** The first value the rows give for a field; a later, different one is a problem of its row. */
  function pick<T>(
    field: string,
    get: (r: OrderRowRecord) => T | undefined,
    same: (a: T, b: T) => boolean = (a, b) => a === b,
    show: (v: T) => string = String,
  ): { value: T | undefined; row: number } {
    let value: T | undefined;
    let at = first!.rowNumber;
    for (const r of rows) {
      const v = get(r.rec);
      if (v === undefined) continue;
      if (value === undefined) {
        value = v;
        at = r.rowNumber;
      } else if (!same(value, v))
        add(r.rowNumber, {
          field,
          message: `"${show(v)}" differs from row ${at} of this order ("${show(value)}")`,
        });
    }
    return { value, row: at };
  }
  const email = pick('customer.email', (r) => r.customer.email);
  const customerId = pick('customer.externalId', (r) => r.customer.externalId);
  const name = pick('customer.name', (r) => r.customer.name);
  const placedAt = pick(
    'placedAt',
    (r) => r.placedAt,
    (a, b) => a.getTime() === b.getTime(),
    (d) => d.toISOString(),
  );
  const status = pick('status', (r) => r.status);
  const currencyPick = pick('currency', (r) => r.currency);
  const channel = pick('channel', (r) => r.channel);
  if (!email.value && !customerId.value)
    add(first.rowNumber, {
      field: 'customer',
      message: 'an order needs its customer: an e-mail or a customer id (neither is on any row of this order)',
    });
  const currency = currencyPick.value ?? ctx.defaultCurrency;

  const readAmount = (row: number, field: string, raw: string): number | undefined => {
    const r = toMinorUnits(raw, currency);
    if (!r.ok) {
      add(row, { field, message: r.message });
      return undefined;
    }
    if (r.minor < 0) {
      add(row, { field, message: `${raw} is negative` });
      return undefined;
    }
    return r.minor;
  };
  const money: Partial<Record<OrderMoneyField, number>> = {};
  for (const f of orderMoneyFields) {
    let at = 0;
    for (const r of rows) {
      const raw = r.rec.money[f];
      if (raw === undefined) continue;
      const v = readAmount(r.rowNumber, f, raw);
      if (v === undefined) continue;
      if (money[f] === undefined) {
        money[f] = v;
        at = r.rowNumber;
      } else if (money[f] !== v)
        add(r.rowNumber, {
          field: f,
          message: `${raw} differs from row ${at} of this order (${fromMinorUnits(money[f], currency)})`,
        });
    }
  }

  type Line = OrderDraft['lines'][number] & { row: number; priced: boolean };
  const lines: Line[] = [];
  for (const r of rows) {
    const l = r.rec.line;
    if (!l) continue;
    const product = l.sku ? ctx.product(l.sku) : undefined;
    const lineName = l.name ?? product?.name ?? l.sku;
    if (!lineName) add(r.rowNumber, { field: 'line.name', message: 'a line needs a product name or a sku' });
    let unitPrice = l.unitPrice === undefined ? undefined : readAmount(r.rowNumber, 'line.unitPrice', l.unitPrice);
    if (l.unitPrice === undefined && product && product.currency === currency) unitPrice = product.price;
    lines.push({
      row: r.rowNumber,
      productId: product?.id ?? null,
      sku: l.sku ?? null,
      name: lineName ?? '',
      quantity: l.quantity ?? 1,
      unitPrice: unitPrice ?? 0,
      amount: 0,
      priced: unitPrice !== undefined || l.unitPrice !== undefined,
    });
  }
  const discount = money.discount ?? 0;
  const tax = money.tax ?? 0;
  const shipping = money.shipping ?? 0;
  const unpriced = lines.filter((l) => !l.priced);
  let derived: number | undefined;
  if (unpriced.length) {
    const only = lines.length === 1 ? lines[0] : undefined;
    if (only && money.total !== undefined) {
      // The order's only line is what the order cost before discount, tax and shipping.
      derived = money.total + discount - tax - shipping;
      if (derived < 0) add(only.row, { field: 'total', message: 'is less than its tax and shipping' });
      else {
        only.amount = derived;
        only.unitPrice = Math.round(derived / only.quantity);
      }
    } else
      for (const l of unpriced)
        add(l.row, {
          field: 'line.unitPrice',
          message: l.sku
            ? `no unit price, and "${l.sku}" is not a product priced in ${currency}`
            : lines.length > 1
              ? 'a line needs a unit price when the order has several lines'
              : 'a line needs a unit price (or the order its total)',
        });
  }
  if (!lines.length && rows.every((r) => r.rec.money.total === undefined))
    add(first.rowNumber, { field: 'total', message: 'an order needs a total, or lines with unit prices' });
  if (problems.size) return { ok: false, problems };

  const amounts = computeOrderAmounts(
    {
      lines: lines.map((l) => ({
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        amount: derived !== undefined ? l.amount : undefined,
      })),
      discount,
      tax,
      shipping,
      total: money.total,
    },
    currency,
  );
  if (!amounts.ok) {
    for (const p of amounts.problems) {
      const i = /^lines\[(\d+)\]/.exec(p.field);
      const line = i ? lines[Number(i[1])] : undefined;
      add(line?.row ?? first.rowNumber, line ? { field: 'line.unitPrice', message: p.message } : p);
    }
    return { ok: false, problems };
  }
  const total = amounts.amounts.total;
  const show = (minor: number) => `${fromMinorUnits(minor, currency)} ${currency}`;

  // Status and refunds: a refunded status without an amount means all of it; an amount decides between refunded in
  // part and in full, and must agree with a refunded status given alongside.
  const given = status.value;
  let refunded = money.refunded ?? (given === 'refunded' ? total : undefined);
  const refundRow = money.refunded !== undefined ? rows.find((r) => r.rec.money.refunded)!.rowNumber : status.row;
  if (given === 'partially_refunded' && refunded === undefined)
    add(status.row, { field: 'status', message: 'a partially refunded order needs the refunded amount' });
  if (refunded !== undefined && refunded > total) {
    add(refundRow, { field: 'refunded', message: `${show(refunded)} is more than the order's total (${show(total)})` });
    refunded = undefined;
  }
  if (refunded && (given === 'placed' || given === 'canceled'))
    add(refundRow, {
      field: 'refunded',
      message: `a ${given} order was not paid, so nothing of it can be refunded (${show(refunded)})`,
    });
  if (refunded !== undefined && (given === 'refunded' || given === 'partially_refunded')) {
    const follows = statusAfterRefunds(total, refunded);
    if (follows !== given)
      add(status.row, {
        field: 'status',
        message: `is ${given.replace('_', ' ')}, but ${show(refunded)} of ${show(total)} is refunded`,
      });
  }
  if (problems.size) return { ok: false, problems };
  const writeStatus: SettableOrderStatus | undefined =
    given === 'refunded' || given === 'partially_refunded' || (refunded && given === undefined) ? 'paid' : given;
  return {
    ok: true,
    order: {
      externalId: first.rec.externalId,
      customer: { email: email.value ?? null, externalId: customerId.value ?? null, name: name.value ?? null },
      placedAt: placedAt.value,
      status: writeStatus,
      refunded,
      currency,
      channel: channel.value,
      lines: lines.map((l, i) => ({
        productId: l.productId,
        sku: l.sku,
        name: l.name,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        amount: amounts.amounts.lineAmounts[i] ?? 0,
      })),
      subtotal: amounts.amounts.subtotal,
      discount: amounts.amounts.discount,
      tax: amounts.amounts.tax,
      shipping: amounts.amounts.shipping,
      total,
    },
  };
}

/**
 * The mapping suggested for an orders file's headers: exact target names first, then common shop headers, the best
 * match winning (a file with "Order ID" and "Name" takes its order id from "Order ID").
 */
export function suggestOrderMapping(headers: readonly string[]): Record<string, string | null> {
  const norm = (h: string) =>
    h
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
  const out: Record<string, string | null> = Object.fromEntries(headers.map((h) => [h, null]));
  const candidates: Array<{ header: string; target: OrderTarget; rank: number; at: number }> = [];
  headers.forEach((h, at) => {
    const n = norm(h);
    for (const t of orderTargets) {
      if (norm(t) === n) candidates.push({ header: h, target: t, rank: -1, at });
      const rank = orderSynonyms[t].indexOf(n);
      if (rank >= 0) candidates.push({ header: h, target: t, rank, at });
    }
  });
  candidates.sort((x, y) => x.rank - y.rank || x.at - y.at);
  const used = new Set<string>();
  const mapped = new Set<string>();
  for (const c of candidates) {
    if (used.has(c.target) || mapped.has(c.header)) continue;
    out[c.header] = c.target;
    used.add(c.target);
    mapped.add(c.header);
  }
  return out;
}

/** What is wrong with an orders mapping beyond unknown or doubled fields: the columns every order needs. */
export function checkOrderMapping(mapped: ReadonlySet<string>, matchOn: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!mapped.has('externalId'))
    problems.push({
      field: 'mapping',
      message: "no column gives the order's id, which every order needs (rows sharing it are the lines of one order)",
    });
  if (!mapped.has('customer.email') && !mapped.has('customer.externalId'))
    problems.push({
      field: 'mapping',
      message: "no column gives the customer's e-mail or customer id: an order needs one of them",
    });
  if (!mapped.has('total') && !mapped.has('line.unitPrice') && !mapped.has('line.sku'))
    problems.push({
      field: 'mapping',
      message: "no column gives the order's total or its lines' prices",
    });
  if (matchOn !== 'externalId')
    problems.push({
      field: 'matchOn',
      message: 'orders are matched on their id (externalId): re-importing updates them',
    });
  return problems;
}
