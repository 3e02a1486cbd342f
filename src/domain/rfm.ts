/**
 * RFM: recency, frequency and monetary value as of a date, their quintile scores and the named segments
 * (docs/metrics.md, "RFM"). Pure code over the counted orders (metrics.ts).
 *
 * - The customers are the people with at least one counted order placed before asOf; only those orders are used.
 * - recencyDays = whole days (floor) from the last such order to asOf; frequency = their number; monetaryMinor = the
 *   sum of their net amounts.
 * - Scores 1–5, 5 best (most recent, most frequent, highest spend), reproducible in SQL: order the customers by the
 *   measure with the best last (recencyDays descending; frequency and monetaryMinor ascending), take rank() (ties
 *   share the lowest rank, the next value skips: 1, 2, 2, 4), and score = floor(5 × (rank − 1) / n) + 1 with n the
 *   number of customers. Equal measures always get equal scores; ties are settled on the integer measures (whole
 *   days, counts, minor units), never on timestamps.
 * - The segment is a function of (R, F) only, given by `rfmSegmentGrid`: each of the 25 cells names one of eight
 *   segments.
 */
import { countedOrders, dayMs, instantOf, type OrderFact } from './metrics.ts';

export const rfmSegments = [
  'champions',
  'loyal',
  'potential_loyalists',
  'new',
  'at_risk',
  'cant_lose',
  'hibernating',
  'lost',
] as const;
export type RfmSegment = (typeof rfmSegments)[number];

export const rfmSegmentLabels: Record<RfmSegment, string> = {
  champions: 'Champions',
  loyal: 'Loyal',
  potential_loyalists: 'Potential loyalists',
  new: 'New',
  at_risk: 'At risk',
  cant_lose: "Can't lose",
  hibernating: 'Hibernating',
  lost: 'Lost',
};

/**
 * The segment of each (R, F) cell: rfmSegmentGrid[R − 1][F − 1]. Rows are recency scores 1 (longest ago) to 5 (most
 * recent), columns frequency scores 1 (fewest orders) to 5 (most). docs/metrics.md shows it as a table.
 */
export const rfmSegmentGrid: readonly (readonly RfmSegment[])[] = [
  /* R1 */ ['lost', 'lost', 'at_risk', 'at_risk', 'cant_lose'],
  /* R2 */ ['hibernating', 'hibernating', 'at_risk', 'at_risk', 'cant_lose'],
  /* R3 */ ['hibernating', 'hibernating', 'potential_loyalists', 'loyal', 'loyal'],
  /* R4 */ ['new', 'potential_loyalists', 'potential_loyalists', 'loyal', 'loyal'],
  /* R5 */ ['new', 'potential_loyalists', 'potential_loyalists', 'champions', 'champions'],
];

export type RfmScore = 1 | 2 | 3 | 4 | 5;

export function rfmSegmentOf(r: RfmScore, f: RfmScore): RfmSegment {
  return rfmSegmentGrid[r - 1]![f - 1]!;
}

export type RfmRow = {
  personId: string;
  /** The last counted order before asOf. */
  lastOrderAt: Date;
  recencyDays: number;
  frequency: number;
  monetaryMinor: number;
  r: RfmScore;
  f: RfmScore;
  m: RfmScore;
  segment: RfmSegment;
};

/**
 * Quintile scores of a list of integer measures, in input order: score = floor(5 × (rank − 1) / n) + 1 where rank
 * is SQL's rank() over the measures ordered ascending (higher is better) or descending (lower is better).
 */
export function quintileScores(measures: readonly number[], better: 'higher' | 'lower'): RfmScore[] {
  const n = measures.length;
  // Sorted worst first; a value's rank is 1 + the index of its first occurrence.
  const sorted = [...measures].sort(better === 'higher' ? (a, b) => a - b : (a, b) => b - a);
  const rankOf = new Map<number, number>();
  for (let i = 0; i < n; i++) if (!rankOf.has(sorted[i]!)) rankOf.set(sorted[i]!, i + 1);
  // Integer arithmetic: 5 × (rank − 1) is an integer, and the floor of its quotient by n is exact.
  return measures.map((x) => {
    const a = 5 * (rankOf.get(x)! - 1);
    return ((a - (a % n)) / n + 1) as RfmScore;
  });
}

/** RFM of every customer as of `asOf`, sorted by personId (code unit order). */
export function computeRfm(orders: readonly OrderFact[], asOf: Date): RfmRow[] {
  const end = instantOf(asOf, 'asOf');
  const byPerson = new Map<string, { last: number; frequency: number; monetary: number }>();
  for (const o of countedOrders(orders)) {
    if (o.t >= end) continue;
    const c = byPerson.get(o.personId);
    if (c === undefined) byPerson.set(o.personId, { last: o.t, frequency: 1, monetary: o.amountMinor });
    else {
      if (o.t > c.last) c.last = o.t;
      c.frequency++;
      c.monetary += o.amountMinor;
    }
  }
  const people = [...byPerson.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const facts = people.map((p) => byPerson.get(p)!);
  const recency = facts.map((c) => Math.floor((end - c.last) / dayMs));
  const r = quintileScores(recency, 'lower');
  const f = quintileScores(
    facts.map((c) => c.frequency),
    'higher',
  );
  const m = quintileScores(
    facts.map((c) => c.monetary),
    'higher',
  );
  return people.map((personId, i) => ({
    personId,
    lastOrderAt: new Date(facts[i]!.last),
    recencyDays: recency[i]!,
    frequency: facts[i]!.frequency,
    monetaryMinor: facts[i]!.monetary,
    r: r[i]!,
    f: f[i]!,
    m: m[i]!,
    segment: rfmSegmentOf(r[i]!, f[i]!),
  }));
}

export type RfmSummary = {
  customers: number;
  /** Customers per (R, F) cell: cells[R − 1][F − 1]. */
  cells: number[][];
  segments: Record<RfmSegment, number>;
};

/** Counts per R×F cell and per segment (for the grid heat map and the segment list). */
export function summarizeRfm(rows: readonly RfmRow[]): RfmSummary {
  const cells = Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]);
  const segments = Object.fromEntries(rfmSegments.map((s) => [s, 0])) as Record<RfmSegment, number>;
  for (const row of rows) {
    cells[row.r - 1]![row.f - 1]!++;
    segments[row.segment]++;
  }
  return { customers: rows.length, cells, segments };
}
