/**
 * Monthly acquisition cohorts (docs/metrics.md, "Cohorts"). Pure code over the counted orders (metrics.ts).
 *
 * - A person's cohort is the UTC calendar month of their first counted order placed before `to`.
 * - Offset k of a cohort is the UTC month k months after the cohort month (0 = the month of acquisition).
 * - customers[c][k] = people of cohort c with at least one counted order placed in month c + k (and before `to`);
 *   retention[c][k] = customers[c][k] / size of c; revenueMinor[c][k] = the net amounts of those orders.
 * - A cell whose month has not begun by `to` (month start >= to) is null: not observed, unlike 0 (observed, nobody).
 *   The month holding `to` is observed but partial unless `to` is a month start.
 * - Rows are the months in which at least one person made a first counted order, oldest first; columns run from
 *   offset 0 to the oldest cohort's last observed month (capped by maxOffset). Offset 0 always has retention 1.
 */
import { countedOrders, instantOf, type OrderFact } from './metrics.ts';

export type CohortMatrix = {
  /** Cohort months as 'YYYY-MM' (UTC), oldest first. */
  cohorts: string[];
  /** People acquired in each cohort month. */
  sizes: number[];
  /** Number of columns: offsets 0 .. offsets − 1. */
  offsets: number;
  customers: (number | null)[][];
  retention: (number | null)[][];
  revenueMinor: (number | null)[][];
};

/** Months since year 0 of a UTC instant: year × 12 + month (0-based). */
export function utcMonthIndex(t: number): number {
  const d = new Date(t);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

export function monthLabel(index: number): string {
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
}

export function computeCohorts(orders: readonly OrderFact[], options: { to: Date; maxOffset?: number }): CohortMatrix {
  const to = instantOf(options.to, 'to');
  const maxOffset = options.maxOffset ?? Number.POSITIVE_INFINITY;
  if (maxOffset !== Number.POSITIVE_INFINITY && !(Number.isSafeInteger(maxOffset) && maxOffset >= 0)) {
    throw new RangeError('maxOffset must be an integer >= 0');
  }
  const counted = countedOrders(orders).filter((o) => o.t < to);

  const firstMonth = new Map<string, number>();
  for (const o of counted) {
    const m = utcMonthIndex(o.t);
    const f = firstMonth.get(o.personId);
    if (f === undefined || m < f) firstMonth.set(o.personId, m);
  }
  const cohortMonths = [...new Set(firstMonth.values())].sort((a, b) => a - b);
  if (cohortMonths.length === 0) {
    return { cohorts: [], sizes: [], offsets: 0, customers: [], retention: [], revenueMinor: [] };
  }
  const row = new Map(cohortMonths.map((m, i) => [m, i]));
  const lastMonth = utcMonthIndex(to - 1); // the last month that has begun before `to`
  const offsets = Math.min(lastMonth - cohortMonths[0]! + 1, maxOffset + 1);

  const sizes = cohortMonths.map(() => 0);
  for (const m of firstMonth.values()) sizes[row.get(m)!]!++;
  // Observed cells start at 0, the rest stay null.
  const grid = () =>
    cohortMonths.map((m) => Array.from({ length: offsets }, (_, k) => (m + k <= lastMonth ? 0 : null)));
  const customers = grid();
  const revenueMinor = grid();

  const seen = new Set<string>(); // person + offset, to count each person once per cell
  for (const o of counted) {
    const cohort = firstMonth.get(o.personId)!;
    const k = utcMonthIndex(o.t) - cohort;
    if (k >= offsets) continue;
    const r = row.get(cohort)!;
    revenueMinor[r]![k]! += o.amountMinor;
    const key = `${k}\u0000${o.personId}`;
    if (!seen.has(key)) {
      seen.add(key);
      customers[r]![k]! += 1;
    }
  }
  const retention = customers.map((cells, r) => cells.map((n) => (n === null ? null : n / sizes[r]!)));
  return { cohorts: cohortMonths.map(monthLabel), sizes, offsets, customers, retention, revenueMinor };
}
