/**
 * Pure rules of the commerce facts: money in minor units, order totals, refunds and the order's status. No I/O.
 *
 * Money is stored as integer minor units (cents, pence; yen have none, dinars three) in the currency's ISO 4217
 * digits, read from Intl; the API takes and gives decimal amounts ("19.99" or 19.99) and refuses more decimals than
 * the currency has, so nothing is ever rounded.
 */
import type { FieldProblem } from './customers.ts';

export const orderStatuses = ['placed', 'paid', 'refunded', 'partially_refunded', 'canceled'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** The statuses a writer may set; the refunded ones follow from refunds. */
export const settableOrderStatuses = ['placed', 'paid', 'canceled'] as const;
export type SettableOrderStatus = (typeof settableOrderStatuses)[number];

export const subscriptionStatuses = ['active', 'canceled'] as const;
export type SubscriptionStatus = (typeof subscriptionStatuses)[number];

/**
 * The largest amount in minor units any money field may hold — a price, a line, an order's subtotal, discount, tax,
 * shipping or total, a refund, an MRR: 10^12 (10,000,000,000.00 in a currency of two decimals). Far above any real
 * order, and small enough that what the metrics add up stays exact: revenue, CLV and RFM monetary are sums of these
 * read as JavaScript numbers (and SQL float8), exact up to 2^53 ≈ 9,007 such maximal orders, or 90 trillion in cents
 * of real ones. A larger amount is refused (400 naming the field), never stored.
 */
export const maxMinorUnits = 1_000_000_000_000;

/** The message for an amount beyond maxMinorUnits. */
export function tooLargeAmount(currency: string): string {
  return `is more than the largest amount Rapport keeps (${fromMinorUnits(maxMinorUnits, currency)} ${currency})`;
}

let known: Set<string> | null = null;
function knownCurrencies(): Set<string> {
  known ??= new Set(Intl.supportedValuesOf('currency'));
  return known;
}

/** The ISO 4217 code upper-cased, or null when it is not a currency Intl knows. */
export function normaliseCurrency(raw: string): string | null {
  const code = raw.trim().toUpperCase();
  return /^[A-Z]{3}$/.test(code) && knownCurrencies().has(code) ? code : null;
}

const digitsByCurrency = new Map<string, number>();

/**
 * How many decimals the currency's minor unit has (EUR 2, JPY 0, BHD 3). Remembered per code: building an
 * Intl.NumberFormat costs far more than the amount it reads (an import reads several amounts per row).
 */
export function currencyDigits(currency: string): number {
  let digits = digitsByCurrency.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsByCurrency.set(currency, digits);
  }
  return digits;
}

export type MinorResult = { ok: true; minor: number } | { ok: false; message: string };

const decimalPattern = /^([+-]?)(\d+)(?:\.(\d*))?$/;

/**
 * A decimal amount (a number, or a string like "19.99") in minor units of the currency. Refused: anything that is
 * not a plain decimal (no exponents, separators or currency signs), more decimals than the currency has, and
 * amounts beyond `maxMinorUnits`. Negative amounts are read (the caller decides whether they are allowed).
 */
export function toMinorUnits(value: number | string, currency: string): MinorResult {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, message: 'is not a finite number' };
    // The shortest text that reads back as the same number: 19.99 is "19.99", not 19.989999….
    text = String(value);
    if (/e/i.test(text)) return { ok: false, message: `${text} is too large or too small an amount` };
  } else text = value.trim();
  const m = decimalPattern.exec(text);
  if (!m) return { ok: false, message: `"${text}" is not an amount like 19.99` };
  const [, sign, whole = '0', fraction = ''] = m;
  const digits = currencyDigits(currency);
  // Trailing zeros dropped by a loop: /0+$/ reads each run of zeros to its end before failing, so "1.000…01" (a cell
  // of an orders file) took time quadratic in its length (80,000 zeros: 2 s).
  let end = fraction.length;
  while (end > 0 && fraction[end - 1] === '0') end--;
  const trimmed = fraction.slice(0, end);
  if (trimmed.length > digits)
    return {
      ok: false,
      message:
        digits === 0
          ? `${currency} has no minor unit: ${text} must be a whole amount`
          : `${currency} has ${digits} decimal${digits === 1 ? '' : 's'}: ${text} has more`,
    };
  const minor = BigInt(whole + trimmed.padEnd(digits, '0'));
  if (minor > BigInt(maxMinorUnits)) return { ok: false, message: `${text} ${tooLargeAmount(currency)}` };
  const n = Number(minor);
  return { ok: true, minor: sign === '-' && n !== 0 ? -n : n };
}

/** Minor units as a decimal string in the currency's digits: 1999 EUR → "19.99", 500 JPY → "500", -5 → "-0.05". */
export function fromMinorUnits(minor: number, currency: string): string {
  const digits = currencyDigits(currency);
  const negative = minor < 0;
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  const body = digits ? `${s.slice(0, -digits)}.${s.slice(-digits)}` : s;
  return negative ? `-${body}` : body;
}

/**
 * Reads a money field of an input into minor units, adding a problem named after the field when it cannot be read
 * or is negative. Returns null then.
 */
export function readMoney(
  value: number | string,
  currency: string,
  field: string,
  problems: FieldProblem[],
  opts: { allowZero?: boolean } = {},
): number | null {
  const r = toMinorUnits(value, currency);
  if (!r.ok) {
    problems.push({ field, message: r.message });
    return null;
  }
  if (r.minor < 0 || (opts.allowZero === false && r.minor === 0)) {
    problems.push({ field, message: opts.allowZero === false ? 'must be more than zero' : 'must not be negative' });
    return null;
  }
  return r.minor;
}

export type LineAmounts = { quantity: number; unitPrice: number; amount?: number | undefined };

export type OrderAmountsInput = {
  lines: readonly LineAmounts[];
  subtotal?: number | undefined;
  discount: number;
  tax: number;
  shipping: number;
  total?: number | undefined;
};

export type OrderAmounts = {
  /** Each line's amount: the one given, else quantity × unit price. */
  lineAmounts: number[];
  subtotal: number;
  discount: number;
  tax: number;
  shipping: number;
  total: number;
};

/**
 * The order's amounts, all in minor units: subtotal = the lines' sum (or the subtotal given when there are no lines),
 * total = subtotal − discount + tax + shipping. A subtotal or total given as well must agree with that (so a wrong
 * sum is refused, never stored); a negative total (a discount above the rest) is refused. Problems name the field.
 */
export function computeOrderAmounts(
  input: OrderAmountsInput,
  currency: string,
): { ok: true; amounts: OrderAmounts } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const show = (minor: number) => `${fromMinorUnits(minor, currency)} ${currency}`;
  const lineAmounts = input.lines.map((l, i) => {
    const product = l.quantity * l.unitPrice;
    if (l.amount !== undefined) return l.amount;
    if (!Number.isSafeInteger(product) || product > maxMinorUnits)
      problems.push({ field: `lines[${i}].amount`, message: `quantity × unit price ${tooLargeAmount(currency)}` });
    return product;
  });
  let subtotal: number;
  if (input.lines.length) {
    subtotal = lineAmounts.reduce((a, b) => a + b, 0);
    if (input.subtotal !== undefined && input.subtotal !== subtotal)
      problems.push({
        field: 'subtotal',
        message: `${show(input.subtotal)} is not the sum of the lines (${show(subtotal)})`,
      });
  } else if (input.subtotal !== undefined) subtotal = input.subtotal;
  else if (input.total !== undefined) subtotal = input.total + input.discount - input.tax - input.shipping;
  else {
    problems.push({ field: 'lines', message: 'an order needs lines, a subtotal or a total' });
    subtotal = 0;
  }
  if (subtotal < 0) problems.push({ field: 'subtotal', message: 'must not be negative' });
  const total = subtotal - input.discount + input.tax + input.shipping;
  if (input.total !== undefined && input.total !== total && !problems.length)
    problems.push({
      field: 'total',
      message: `${show(input.total)} is not subtotal − discount + tax + shipping (${show(total)})`,
    });
  if (total < 0 && !problems.length)
    problems.push({ field: 'discount', message: `the discount is more than the order (${show(total)} total)` });
  // A line too large already says why the sums are.
  const lineTooLarge = problems.some((p) => p.field.startsWith('lines['));
  if (!lineTooLarge && (!Number.isSafeInteger(subtotal) || subtotal > maxMinorUnits))
    problems.push({ field: 'subtotal', message: `the sum of the lines ${tooLargeAmount(currency)}` });
  else if (!lineTooLarge && (!Number.isSafeInteger(total) || total > maxMinorUnits))
    problems.push({ field: 'total', message: tooLargeAmount(currency) });
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    amounts: { lineAmounts, subtotal, discount: input.discount, tax: input.tax, shipping: input.shipping, total },
  };
}

/** Net revenue of an order: what the customer paid and kept paid. */
export function netOfOrder(o: { total: number; refunded: number }): number {
  return o.total - o.refunded;
}

/** The status after refunds add up to `refunded` of `total`: fully refunded, partly, or still paid. */
export function statusAfterRefunds(total: number, refunded: number): 'paid' | 'partially_refunded' | 'refunded' {
  if (refunded <= 0) return 'paid';
  return refunded >= total ? 'refunded' : 'partially_refunded';
}

export type RefundOutcome =
  | { ok: true; refunded: number; status: 'partially_refunded' | 'refunded' }
  | { ok: false; code: 'conflict' | 'validation_failed'; message: string };

/**
 * One more refund of `amount` (minor units) on an order: refunds accumulate up to the total. Only a paid (or partly
 * refunded) order can be refunded; more than what is left is refused, naming what is left.
 */
export function applyRefund(
  order: { status: OrderStatus; total: number; refunded: number; currency: string },
  amount: number,
): RefundOutcome {
  const show = (minor: number) => `${fromMinorUnits(minor, order.currency)} ${order.currency}`;
  if (amount <= 0) return { ok: false, code: 'validation_failed', message: 'amount: must be more than zero' };
  if (order.status === 'placed')
    return { ok: false, code: 'conflict', message: 'The order is not paid: there is nothing to refund' };
  if (order.status === 'canceled')
    return { ok: false, code: 'conflict', message: 'The order is canceled: there is nothing to refund' };
  const left = order.total - order.refunded;
  if (left <= 0) return { ok: false, code: 'conflict', message: 'The order is already refunded in full' };
  if (amount > left)
    return {
      ok: false,
      code: 'conflict',
      message: `A refund of ${show(amount)} is more than what is left to refund (${show(left)} of ${show(order.total)})`,
    };
  const refunded = order.refunded + amount;
  return { ok: true, refunded, status: refunded >= order.total ? 'refunded' : 'partially_refunded' };
}

export type StatusChange = { ok: true; changed: boolean } | { ok: false; message: string };

/**
 * Whether an order may move from one status to another by a write (refunds move it to the refunded ones):
 * placed → paid | canceled; the same status is no change. A paid order is refunded, not canceled; a canceled one
 * stays canceled. A refunded or partly refunded order written as "paid" (what a shop that records refunds apart
 * sends again) keeps its status.
 */
export function orderStatusChange(from: OrderStatus, to: SettableOrderStatus): StatusChange {
  if (from === to) return { ok: true, changed: false };
  if ((from === 'refunded' || from === 'partially_refunded') && to === 'paid') return { ok: true, changed: false };
  if (from === 'placed') return { ok: true, changed: true };
  if (from === 'canceled')
    return { ok: false, message: 'The order is canceled; a canceled order does not change status' };
  if (to === 'canceled')
    return { ok: false, message: 'A paid order is not canceled: refund it instead (POST /orders/{id}/refunds)' };
  return { ok: false, message: `A ${from.replace('_', ' ')} order cannot go back to ${to}` };
}

const dayMs = 86_400_000;

/**
 * What is wrong with the moment an order, refund or subscription carries, or null: it must be a real date, after
 * 1900, and not more than a day ahead of `now` (clocks differ; orders are not placed in the future).
 */
export function momentProblem(d: Date, now: Date = new Date()): string | null {
  if (Number.isNaN(d.getTime())) return 'is not a valid date';
  if (d.getUTCFullYear() < 1900) return 'must be after 1900';
  if (d.getTime() > now.getTime() + dayMs) return 'must not be in the future';
  return null;
}
