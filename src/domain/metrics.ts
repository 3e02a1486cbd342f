/**
 * Rapport's relationship metrics, defined exactly (docs/metrics.md has the same definitions with examples). Pure
 * code over plain arrays: it is the reference that the product's SQL roll-ups are checked against, so every metric
 * is written the simplest way that is obviously right, in one pass or one sort.
 *
 * Conventions shared by every metric:
 * - A period is half-open [from, to) in UTC instants; `previousPeriod` is the one of the same length just before.
 * - A counted order is one whose status is neither 'refunded' nor 'canceled' (placed, paid and partially refunded orders count, at their
 *   amount net of refunds). "Active in a period" means at least one counted order placed in it.
 * - Money is integer minor units (cents) and sums stay integers, so they are exact up to 2^53.
 * - A ratio is returned with its integer numerator and denominator; `value` is numerator / denominator computed as
 *   one division (so it is the correctly rounded double of the exact fraction), and null — not zero — when the
 *   denominator is 0 (no data to form it). Sums and counts are never null: an empty period has revenue 0.
 * - Shares are fractions in [0, 1] (the console shows them as percentages); NPS is in points from −100 to 100.
 * - Bad input (an invalid date, a negative or fractional amount, an unknown status, a score out of range, a period
 *   that ends before it starts) throws a RangeError: a reference implementation must not guess.
 */

export const dayMs = 86_400_000;

export type OrderStatus = 'placed' | 'paid' | 'refunded' | 'partially_refunded' | 'canceled';
export const orderStatuses: readonly OrderStatus[] = ['placed', 'paid', 'refunded', 'partially_refunded', 'canceled'];

export type OrderFact = {
  personId: string;
  placedAt: Date;
  /** Net of refunds, integer minor units (cents), >= 0. */
  amountMinor: number;
  status: OrderStatus;
};
export type SubscriptionFact = { personId: string; startedAt: Date; canceledAt: Date | null; mrrMinor: number };
export type FeedbackKind = 'nps' | 'csat';
export type FeedbackFact = { at: Date; kind: FeedbackKind; score: number };
export type TicketFact = {
  createdAt: Date;
  firstResponseSeconds: number | null;
  resolutionSeconds: number | null;
  resolvedAt: Date | null;
};
/** Half-open [from, to), UTC. */
export type Period = { from: Date; to: Date };

/** A sum or a count: 0 when there is nothing to add, never null. */
export type Total = { value: number };
/** numerator / denominator; value null when the denominator is 0. */
export type Ratio = { value: number | null; numerator: number; denominator: number };

// ---------------------------------------------------------------------------------------------------------------
// Input checking and the counted orders

/** A counted order in the form the metrics use: epoch milliseconds and the net amount. */
export type CountedOrder = { personId: string; t: number; amountMinor: number };

export function instantOf(d: Date, what: string): number {
  const t = d instanceof Date ? d.getTime() : Number.NaN;
  if (!Number.isFinite(t)) throw new RangeError(`${what} is not a valid date`);
  return t;
}

export type Span = { from: number; to: number };

export function spanOf(period: Period): Span {
  const from = instantOf(period.from, 'period.from');
  const to = instantOf(period.to, 'period.to');
  if (to < from) throw new RangeError('period.to is before period.from');
  return { from, to };
}

const inSpan = (t: number, s: Span) => t >= s.from && t < s.to;

const statusSet = new Set<string>(orderStatuses);

/** Whether an order counts as a purchase: every status but 'refunded' and 'canceled'. */
export function isCountedOrder(order: OrderFact): boolean {
  return order.status !== 'refunded' && order.status !== 'canceled';
}

/** Checks every order and returns the counted ones (input order kept). */
export function countedOrders(orders: readonly OrderFact[]): CountedOrder[] {
  const out: CountedOrder[] = [];
  for (let i = 0; i < orders.length; i++) {
    const o = orders[i]!;
    if (typeof o.personId !== 'string' || o.personId === '') throw new RangeError(`orders[${i}].personId is empty`);
    const t = instantOf(o.placedAt, `orders[${i}].placedAt`);
    if (!Number.isSafeInteger(o.amountMinor) || o.amountMinor < 0) {
      throw new RangeError(`orders[${i}].amountMinor must be an integer >= 0 (minor units)`);
    }
    if (!statusSet.has(o.status)) throw new RangeError(`orders[${i}].status "${String(o.status)}" is unknown`);
    if (isCountedOrder(o)) out.push({ personId: o.personId, t, amountMinor: o.amountMinor });
  }
  return out;
}

function countedIn(orders: readonly OrderFact[], period: Period): CountedOrder[] {
  const s = spanOf(period);
  return countedOrders(orders).filter((o) => inSpan(o.t, s));
}

/** Orders per person among the given counted orders. */
function ordersPerPerson(orders: readonly CountedOrder[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const o of orders) n.set(o.personId, (n.get(o.personId) ?? 0) + 1);
  return n;
}

export function ratio(numerator: number, denominator: number): Ratio {
  return { value: denominator === 0 ? null : numerator / denominator, numerator, denominator };
}

// ---------------------------------------------------------------------------------------------------------------
// Periods

/** The period of the same length that ends where this one starts: [from − (to − from), from). */
export function previousPeriod(period: Period): Period {
  const s = spanOf(period);
  return { from: new Date(s.from - (s.to - s.from)), to: new Date(s.from) };
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Sales

/** Revenue: the sum of the net amounts (minor units) of the counted orders placed in the period. */
export function computeRevenue(orders: readonly OrderFact[], period: Period): Total {
  let sum = 0;
  for (const o of countedIn(orders, period)) sum += o.amountMinor;
  return { value: sum };
}

/** Orders: the number of counted orders placed in the period. */
export function computeOrderCount(orders: readonly OrderFact[], period: Period): Total {
  return { value: countedIn(orders, period).length };
}

/** Active customers: the number of distinct people with at least one counted order placed in the period. */
export function computeActiveCustomers(orders: readonly OrderFact[], period: Period): Total {
  return { value: new Set(countedIn(orders, period).map((o) => o.personId)).size };
}

/** Average order value: revenue / orders of the period (minor units); null without orders. */
export function computeAverageOrderValue(orders: readonly OrderFact[], period: Period): Ratio {
  const counted = countedIn(orders, period);
  let sum = 0;
  for (const o of counted) sum += o.amountMinor;
  return ratio(sum, counted.length);
}

/** Purchase frequency: orders / active customers of the period; null without orders. */
export function computePurchaseFrequency(orders: readonly OrderFact[], period: Period): Ratio {
  const counted = countedIn(orders, period);
  return ratio(counted.length, new Set(counted.map((o) => o.personId)).size);
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Repeat purchase rate

/**
 * Repeat purchase rate: of the people with at least one counted order in the period, the share with at least two
 * counted orders in the period. 'all_time' takes every counted order whatever its date (customers with two or more
 * orders / all customers). Null when nobody bought.
 */
export function computeRepeatPurchaseRate(orders: readonly OrderFact[], period: Period | 'all_time'): Ratio {
  const counted = period === 'all_time' ? countedOrders(orders) : countedIn(orders, period);
  let repeaters = 0;
  const perPerson = ordersPerPerson(counted);
  for (const n of perPerson.values()) if (n >= 2) repeaters++;
  return ratio(repeaters, perPerson.size);
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Retention (non-contractual)

/**
 * Retention rate: of the people active in the previous period, the share also active in this period. Null when
 * nobody was active in the previous period.
 */
export function computeRetentionRate(orders: readonly OrderFact[], period: Period): Ratio {
  const s = spanOf(period);
  const prev = spanOf(previousPeriod(period));
  const before = new Set<string>();
  const now = new Set<string>();
  for (const o of countedOrders(orders)) {
    if (inSpan(o.t, prev)) before.add(o.personId);
    if (inSpan(o.t, s)) now.add(o.personId);
  }
  let kept = 0;
  for (const p of before) if (now.has(p)) kept++;
  return ratio(kept, before.size);
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Churn

export const defaultChurnWindowDays = 90;

export type ChurnRate = Ratio & {
  windowDays: number;
  /** Base customers with a counted order in the period. */
  returned: number;
  /** Base customers with no order in the period whose window had not run out by `to` (neither churned nor back). */
  lapsing: number;
};

/**
 * Non-contractual churn rate with a window of W whole days (default 90).
 * - base: people whose last counted order before `from` lies in [from − W days, from) (they were "live" at `from`);
 * - churned: base people with no counted order in [from, to) whose last order + W days <= to (their W days without
 *   a purchase ran out by the end of the period).
 * value = churned / base; null when the base is empty. Base people who are neither churned nor returned are
 * `lapsing`: silent in the period but still inside their window at `to`.
 */
export function computeChurnRate(
  orders: readonly OrderFact[],
  period: Period,
  options: { windowDays?: number } = {},
): ChurnRate {
  const windowDays = options.windowDays ?? defaultChurnWindowDays;
  if (!Number.isSafeInteger(windowDays) || windowDays < 1) throw new RangeError('windowDays must be an integer >= 1');
  const w = windowDays * dayMs;
  const s = spanOf(period);
  const lastBefore = new Map<string, number>();
  const activeNow = new Set<string>();
  for (const o of countedOrders(orders)) {
    if (o.t < s.from) {
      const last = lastBefore.get(o.personId);
      if (last === undefined || o.t > last) lastBefore.set(o.personId, o.t);
    } else if (o.t < s.to) activeNow.add(o.personId);
  }
  let base = 0;
  let churned = 0;
  let returned = 0;
  for (const [person, last] of lastBefore) {
    if (last < s.from - w) continue;
    base++;
    if (activeNow.has(person)) returned++;
    else if (last + w <= s.to) churned++;
  }
  return { ...ratio(churned, base), windowDays, returned, lapsing: base - churned - returned };
}

export type SubscriptionChurnRate = Ratio & {
  /** Monthly recurring revenue of the base, and of the churned part (minor units). */
  mrrBaseMinor: number;
  mrrChurnedMinor: number;
  /** mrrChurnedMinor / mrrBaseMinor; null when the base MRR is 0. */
  mrrChurnRate: number | null;
};

/**
 * Contractual churn rate: the subscriptions active at `from` (startedAt < from and not canceled before from, i.e.
 * canceledAt null or >= from) are the base; churned = base subscriptions with canceledAt in [from, to).
 * value = churned / base (subscriptions, not people); null when no subscription was active at `from`. The same
 * split of MRR gives the gross MRR churn rate.
 */
export function computeSubscriptionChurnRate(
  subscriptions: readonly SubscriptionFact[],
  period: Period,
): SubscriptionChurnRate {
  const s = spanOf(period);
  let base = 0;
  let churned = 0;
  let mrrBase = 0;
  let mrrChurned = 0;
  for (let i = 0; i < subscriptions.length; i++) {
    const sub = subscriptions[i]!;
    const started = instantOf(sub.startedAt, `subscriptions[${i}].startedAt`);
    const canceled = sub.canceledAt === null ? null : instantOf(sub.canceledAt, `subscriptions[${i}].canceledAt`);
    if (!Number.isSafeInteger(sub.mrrMinor) || sub.mrrMinor < 0) {
      throw new RangeError(`subscriptions[${i}].mrrMinor must be an integer >= 0 (minor units)`);
    }
    if (canceled !== null && canceled < started) {
      throw new RangeError(`subscriptions[${i}].canceledAt is before startedAt`);
    }
    if (!(started < s.from && (canceled === null || canceled >= s.from))) continue;
    base++;
    mrrBase += sub.mrrMinor;
    if (canceled !== null && canceled < s.to) {
      churned++;
      mrrChurned += sub.mrrMinor;
    }
  }
  return {
    ...ratio(churned, base),
    mrrBaseMinor: mrrBase,
    mrrChurnedMinor: mrrChurned,
    mrrChurnRate: mrrBase === 0 ? null : mrrChurned / mrrBase,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 5. NPS and CSAT

function checkFeedback(feedback: readonly FeedbackFact[]): { t: number; kind: FeedbackKind; score: number }[] {
  return feedback.map((f, i) => {
    const t = instantOf(f.at, `feedback[${i}].at`);
    if (f.kind === 'nps') {
      if (!Number.isInteger(f.score) || f.score < 0 || f.score > 10) {
        throw new RangeError(`feedback[${i}].score must be an integer from 0 to 10 (NPS)`);
      }
    } else if (f.kind === 'csat') {
      if (!Number.isInteger(f.score) || f.score < 1 || f.score > 5) {
        throw new RangeError(`feedback[${i}].score must be an integer from 1 to 5 (CSAT)`);
      }
    } else throw new RangeError(`feedback[${i}].kind "${String(f.kind)}" is unknown`);
    return { t, kind: f.kind, score: f.score };
  });
}

export type Nps = Ratio & { promoters: number; passives: number; detractors: number };

/**
 * Net Promoter Score of the NPS responses given in the period: promoters score 9–10, passives 7–8, detractors 0–6;
 * numerator = promoters − detractors, denominator = responses, value = 100 × numerator / denominator (points, −100 to
 * 100); null without responses.
 */
export function computeNps(feedback: readonly FeedbackFact[], period: Period): Nps {
  const s = spanOf(period);
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  for (const f of checkFeedback(feedback)) {
    if (f.kind !== 'nps' || !inSpan(f.t, s)) continue;
    if (f.score >= 9) promoters++;
    else if (f.score >= 7) passives++;
    else detractors++;
  }
  const responses = promoters + passives + detractors;
  const numerator = promoters - detractors;
  return {
    value: responses === 0 ? null : (100 * numerator) / responses,
    numerator,
    denominator: responses,
    promoters,
    passives,
    detractors,
  };
}

/**
 * Customer satisfaction: of the CSAT responses (1–5) given in the period, the share scoring 4 or 5; null without
 * responses.
 */
export function computeCsat(feedback: readonly FeedbackFact[], period: Period): Ratio {
  const s = spanOf(period);
  let satisfied = 0;
  let responses = 0;
  for (const f of checkFeedback(feedback)) {
    if (f.kind !== 'csat' || !inSpan(f.t, s)) continue;
    responses++;
    if (f.score >= 4) satisfied++;
  }
  return ratio(satisfied, responses);
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Response and resolution times

export type DurationStats = {
  /** The headline figure: the median. */
  value: number | null;
  medianSeconds: number | null;
  meanSeconds: number | null;
  sumSeconds: number;
  count: number;
};

/**
 * Median (the middle value; the mean of the two middle values for an even count, as SQL's percentile_cont(0.5)) and
 * mean (sum / count) of a list of durations; nulls when the list is empty.
 */
export function durationStats(seconds: readonly number[]): DurationStats {
  const sorted = [...seconds].sort((a, b) => a - b);
  const n = sorted.length;
  let sum = 0;
  for (const x of sorted) sum += x;
  const median = n === 0 ? null : n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { value: median, medianSeconds: median, meanSeconds: n === 0 ? null : sum / n, sumSeconds: sum, count: n };
}

function checkSeconds(x: number | null, what: string): void {
  if (x !== null && !(Number.isFinite(x) && x >= 0)) throw new RangeError(`${what} must be a number of seconds >= 0`);
}

function checkTickets(tickets: readonly TicketFact[]) {
  return tickets.map((tk, i) => {
    checkSeconds(tk.firstResponseSeconds, `tickets[${i}].firstResponseSeconds`);
    checkSeconds(tk.resolutionSeconds, `tickets[${i}].resolutionSeconds`);
    return {
      created: instantOf(tk.createdAt, `tickets[${i}].createdAt`),
      resolved: tk.resolvedAt === null ? null : instantOf(tk.resolvedAt, `tickets[${i}].resolvedAt`),
      firstResponseSeconds: tk.firstResponseSeconds,
      resolutionSeconds: tk.resolutionSeconds,
    };
  });
}

/**
 * First response time over the tickets created in the period that have a first response (firstResponseSeconds not
 * null); tickets still waiting for one are left out. Median, mean, sum and count in seconds.
 */
export function computeFirstResponseTime(tickets: readonly TicketFact[], period: Period): DurationStats {
  const s = spanOf(period);
  const xs: number[] = [];
  for (const tk of checkTickets(tickets)) {
    if (inSpan(tk.created, s) && tk.firstResponseSeconds !== null) xs.push(tk.firstResponseSeconds);
  }
  return durationStats(xs);
}

/**
 * Resolution time over the tickets resolved in the period (resolvedAt in [from, to)) that have a resolutionSeconds;
 * unresolved tickets are left out. Median, mean, sum and count in seconds.
 */
export function computeResolutionTime(tickets: readonly TicketFact[], period: Period): DurationStats {
  const s = spanOf(period);
  const xs: number[] = [];
  for (const tk of checkTickets(tickets)) {
    if (tk.resolved !== null && inSpan(tk.resolved, s) && tk.resolutionSeconds !== null) xs.push(tk.resolutionSeconds);
  }
  return durationStats(xs);
}

// ---------------------------------------------------------------------------------------------------------------
// 7. Customer lifetime value (historical)

/**
 * Historical customer lifetime value as of `asOf` (a period's `to`): the total net revenue of all counted orders
 * placed before asOf, divided by the number of distinct people who placed them (minor units per customer); null when
 * nobody has bought yet.
 */
export function computeHistoricalClv(orders: readonly OrderFact[], asOf: Date): Ratio {
  const end = instantOf(asOf, 'asOf');
  let revenue = 0;
  const people = new Set<string>();
  for (const o of countedOrders(orders)) {
    if (o.t >= end) continue;
    revenue += o.amountMinor;
    people.add(o.personId);
  }
  return ratio(revenue, people.size);
}

// ---------------------------------------------------------------------------------------------------------------
// 8. Tenure

/** Whole days from `from` to `to` (floor of the difference in days; both epoch ms). */
export function wholeDaysBetween(from: number, to: number): number {
  return Math.floor((to - from) / dayMs);
}

/**
 * Mean tenure in days of the people active in the period: for each, the whole days (floor) from their first counted
 * order ever to `to`; numerator = the sum of those days, denominator = active people; null when nobody was active.
 */
export function computeTenure(orders: readonly OrderFact[], period: Period): Ratio {
  const s = spanOf(period);
  const first = new Map<string, number>();
  const active = new Set<string>();
  for (const o of countedOrders(orders)) {
    const f = first.get(o.personId);
    if (f === undefined || o.t < f) first.set(o.personId, o.t);
    if (inSpan(o.t, s)) active.add(o.personId);
  }
  let days = 0;
  for (const p of active) days += wholeDaysBetween(first.get(p)!, s.to);
  return ratio(days, active.size);
}

// ---------------------------------------------------------------------------------------------------------------
// 9. Comparison with the previous period

export type Change = {
  current: number | null;
  previous: number | null;
  /** current − previous; null when either is null. */
  absolute: number | null;
  /** (current − previous) / |previous|; null when either is null or previous is 0. */
  relative: number | null;
};

type Comparable = number | null | { value: number | null };
const valueOf = (x: Comparable): number | null => (x === null || typeof x === 'number' ? x : x.value);

/** How a metric moved from the previous period to this one. */
export function compareValues(current: Comparable, previous: Comparable): Change {
  const c = valueOf(current);
  const p = valueOf(previous);
  if (c === null || p === null) return { current: c, previous: p, absolute: null, relative: null };
  const absolute = c - p;
  return { current: c, previous: p, absolute, relative: p === 0 ? null : absolute / Math.abs(p) };
}
