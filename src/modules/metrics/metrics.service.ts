import { and, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { listClauses } from '../../db/list.ts';
import { monthLabel, type CohortMatrix } from '../../domain/cohorts.ts';
import { decodeCursor, encodeCursor, maxLimit, parseListQuery, type ListQuery } from '../../domain/list-query.ts';
import {
  compareValues,
  dayMs,
  defaultChurnWindowDays,
  ratio,
  type Change,
  type ChurnRate,
  type DurationStats,
  type Nps,
  type Ratio,
  type SubscriptionChurnRate,
  type Total,
} from '../../domain/metrics.ts';
import type { Actor } from '../../domain/permissions.ts';
import {
  rfmSegmentGrid,
  rfmSegmentOf,
  rfmSegments,
  type RfmScore,
  type RfmSegment,
  type RfmSummary,
} from '../../domain/rfm.ts';
import { AppError } from '../../errors.ts';
import { assertCan } from '../auth/access.ts';
import { listCustomFields } from '../fields/fields.repository.ts';
import { findPerson, personListColumns } from '../people/people.repository.ts';
import { workspaceStages } from '../people/people.service.ts';
import {
  cohortFacts,
  currencies,
  historicalClv,
  predictiveClv,
  periodFacts,
  periodPeople,
  type PeriodPart,
  rfmCells,
  rfmPeople,
  subscriptionFacts,
  ticketDurations,
  trendFacts,
  type DurationFacts,
  type MetricScope,
  type RfmPersonRow,
} from './metrics.repository.ts';

export const metricsRead = 'analytics:read';

/** The segment and currency every metrics request may name (query parameters). */
export type ScopeParams = { currency?: string | undefined; filter?: string | string[] | undefined };
export type PeriodParams = ScopeParams & { from: string; to: string; churnWindowDays?: number | undefined };

export type Compared<T> = { current: T; previous: T; change: Change };

export type Summary = {
  period: { from: Date; to: Date };
  previousPeriod: { from: Date; to: Date };
  currency: string | null;
  currencies: string[];
  churnWindowDays: number;
  /** Mean predictive CLV of the segment's customers from the currency's current purchase model (docs/models.md). */
  predictiveClv: { value: number | null; customers: number; modelVersion: number; asOf: Date } | null;
  metrics: {
    revenue: Compared<Total>;
    orders: Compared<Total>;
    activeCustomers: Compared<Total>;
    averageOrderValue: Compared<Ratio>;
    purchaseFrequency: Compared<Ratio>;
    repeatPurchaseRate: Compared<Ratio>;
    retentionRate: Compared<Ratio>;
    churnRate: Compared<ChurnRate>;
    subscriptionChurnRate: Compared<SubscriptionChurnRate>;
    historicalClv: Compared<Ratio>;
    tenure: Compared<Ratio>;
    firstResponseTime: Compared<DurationStats>;
    resolutionTime: Compared<DurationStats>;
    nps: Compared<Nps>;
    csat: Compared<Ratio>;
  };
};

export type RfmPerson = Omit<RfmPersonRow, 'lastOrderAt' | 'r' | 'f' | 'm'> & {
  lastOrderAt: Date;
  r: RfmScore;
  f: RfmScore;
  m: RfmScore;
  segment: RfmSegment;
};

/** Earliest instant a period (or what it looks back at) may reach: the roll-ups' dates stay ordinary. */
const earliest = Date.UTC(1900, 0, 1);
const latest = Date.UTC(9999, 0, 1);

type Problem = { param: string; message: string };

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function invalid(problems: Problem[]): AppError {
  return new AppError('validation_failed', problems.map((p) => `${p.param}: ${p.message}`).join('; '), { problems });
}

/**
 * A period bound: a UTC day, as 'YYYY-MM-DD' or an ISO date-time at 00:00 UTC. The roll-ups are per UTC day, so
 * periods are whole days (half-open: `to` is the first day after the period).
 */
export function parseDayStart(raw: string | undefined, param: string, problems: Problem[]): number | null {
  if (raw === undefined || raw === '') {
    problems.push({ param, message: 'is required (a UTC day, YYYY-MM-DD)' });
    return null;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T00:00(?::00(?:\.0{1,3})?)?(?:Z|[+-]00:?00))?$/.exec(raw);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || !Number.isFinite(t) || dayOfUtc(t) !== `${m[1]}-${m[2]}-${m[3]}`) {
    problems.push({
      param,
      message: `"${raw}" is not a UTC day (YYYY-MM-DD, or a date-time at 00:00 UTC): metrics are kept per day`,
    });
    return null;
  }
  if (t < earliest || t > latest) {
    problems.push({ param, message: 'must be between 1900-01-01 and 9999-01-01' });
    return null;
  }
  return t;
}

const dayOfUtc = (t: number) => new Date(t).toISOString().slice(0, 10);

export function parsePeriod(p: { from: string; to: string; churnWindowDays?: number | undefined }): {
  from: number;
  to: number;
  churnWindowDays: number;
} {
  const problems: Problem[] = [];
  const from = parseDayStart(p.from, 'from', problems);
  const to = parseDayStart(p.to, 'to', problems);
  const w = p.churnWindowDays ?? defaultChurnWindowDays;
  if (!Number.isSafeInteger(w) || w < 1 || w > 3660)
    problems.push({ param: 'churnWindowDays', message: 'must be a whole number of days from 1 to 3660' });
  if (from !== null && to !== null) {
    if (to <= from) problems.push({ param: 'to', message: 'must be after from (the period is [from, to))' });
    else if (from - (to - from) < earliest || from - w * dayMs < earliest)
      problems.push({
        param: 'from',
        message: 'the previous period or the churn window would start before 1900-01-01',
      });
  }
  if (problems.length || from === null || to === null) throw invalid(problems);
  return { from, to, churnWindowDays: w };
}

function durationStatsOf(d: DurationFacts): DurationStats {
  return {
    value: d.medianSeconds,
    medianSeconds: d.medianSeconds,
    meanSeconds: d.count === 0 ? null : d.sumSeconds / d.count,
    sumSeconds: d.sumSeconds,
    count: d.count,
  };
}

const emptyNps = (): Nps => ({ value: null, numerator: 0, denominator: 0, promoters: 0, passives: 0, detractors: 0 });

/**
 * The `n` calendar months (UTC) ending with the month of the day before `to`, each [from, to), the last one cut at
 * `to`: the monthly trend's months.
 */
export function monthsEndingAt(to: number, n: number): Array<{ from: number; to: number }> {
  const last = new Date(to - dayMs);
  const out: Array<{ from: number; to: number }> = [];
  for (let i = n - 1; i >= 0; i--) {
    const a = Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - i, 1);
    const b = Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - i + 1, 1);
    out.push({ from: a, to: Math.min(b, to) });
  }
  return out;
}

export type TrendMonth = {
  from: Date;
  to: Date;
  revenue: Total;
  orders: Total;
  activeCustomers: Total;
  repeatPurchaseRate: Ratio;
};

/** The start of the next UTC day: the default "as of" of RFM (today's orders count). */
export function endOfTodayUtc(now = Date.now()): number {
  return Math.floor(now / dayMs) * dayMs + dayMs;
}

export type DrillPartName = 'numerator' | 'denominator' | 'returned' | 'lapsing';

/**
 * The customers behind each number of the summary that is, or is made of, a set of customers (GET /metrics/people):
 * per metric, the set of each part (a total's is `numerator`, and `denominator` is the same). Totals that are not
 * customers (revenue, orders, average order value, purchase frequency, tenure) list the customers whose counted
 * orders in the period make them (the active customers); historical CLV lists every customer before `to`; churn
 * also lists the base's customers who returned and those still lapsing.
 */
export const drillParts: Record<string, Partial<Record<DrillPartName, PeriodPart>>> = {
  revenue: { numerator: 'active', denominator: 'active' },
  orders: { numerator: 'active', denominator: 'active' },
  activeCustomers: { numerator: 'active', denominator: 'active' },
  newCustomers: { numerator: 'new', denominator: 'new' },
  averageOrderValue: { numerator: 'active', denominator: 'active' },
  purchaseFrequency: { numerator: 'active', denominator: 'active' },
  repeatPurchaseRate: { numerator: 'repeaters', denominator: 'active' },
  retentionRate: { numerator: 'retained', denominator: 'retentionBase' },
  churnRate: { numerator: 'churned', denominator: 'churnBase', returned: 'returned', lapsing: 'lapsing' },
  historicalClv: { numerator: 'customersBefore', denominator: 'customersBefore' },
  tenure: { numerator: 'active', denominator: 'active' },
};

export type MetricsService = ReturnType<typeof createMetricsService>;

export function createMetricsService(deps: { db: Db }) {
  const { db } = deps;

  /** The people filter of a segment (`filter=field:op:value`, the people list's language) as SQL over people. */
  async function segmentOf(actor: Actor, filter: ScopeParams['filter']): Promise<SQL | null> {
    const filters = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
    if (!filters.length) return null;
    const [defs, stages] = await Promise.all([
      listCustomFields(db, actor.workspaceId, 'person'),
      workspaceStages(db, actor.workspaceId),
    ]);
    const cols = personListColumns(
      defs,
      stages.map((s) => s.key),
      actor.workspaceId,
    );
    const q: ListQuery = parseListQuery({ filter: filters }, cols.specs, { field: 'created_at', direction: 'desc' });
    const where = listClauses(cols, q).where;
    return where.length ? (and(...where) ?? null) : null;
  }

  /** The currency the metrics are in: the one asked for, else the workspace's most ordered one. */
  async function scopeOf(actor: Actor, params: ScopeParams): Promise<{ scope: MetricScope; currencies: string[] }> {
    const problems: Problem[] = [];
    let currency = params.currency?.trim().toUpperCase();
    if (currency !== undefined && !/^[A-Z]{3}$/.test(currency))
      problems.push({ param: 'currency', message: `"${params.currency}" is not an ISO 4217 currency code` });
    if (problems.length) throw invalid(problems);
    const segment = await segmentOf(actor, params.filter);
    const known = (await currencies(db, actor.workspaceId)).map((c) => c.currency);
    currency ??= known[0] ?? 'USD';
    return { scope: { workspaceId: actor.workspaceId, currency, segment }, currencies: known };
  }

  async function periodMetrics(scope: MetricScope, p: { from: number; to: number; churnWindowDays: number }) {
    const [facts, clv, subs, firstResponse, resolution] = [
      await periodFacts(db, scope, p),
      await historicalClv(db, scope, p.to),
      await subscriptionFacts(db, scope, p),
      await ticketDurations(db, scope, 'first_response', p),
      await ticketDurations(db, scope, 'resolution', p),
    ];
    const churn = ratio(facts.churned, facts.churnBase);
    return {
      revenue: { value: facts.revenue } as Total,
      orders: { value: facts.orders } as Total,
      activeCustomers: { value: facts.active } as Total,
      averageOrderValue: ratio(facts.revenue, facts.orders),
      purchaseFrequency: ratio(facts.orders, facts.active),
      repeatPurchaseRate: ratio(facts.repeaters, facts.active),
      retentionRate: ratio(facts.retained, facts.retentionBase),
      churnRate: {
        ...churn,
        windowDays: p.churnWindowDays,
        returned: facts.returned,
        lapsing: facts.churnBase - facts.churned - facts.returned,
      } as ChurnRate,
      subscriptionChurnRate: {
        ...ratio(subs.churned, subs.base),
        mrrBaseMinor: subs.mrrBase,
        mrrChurnedMinor: subs.mrrChurned,
        mrrChurnRate: subs.mrrBase === 0 ? null : subs.mrrChurned / subs.mrrBase,
      } as SubscriptionChurnRate,
      historicalClv: ratio(clv.revenue, clv.customers),
      tenure: ratio(facts.tenureDays, facts.active),
      firstResponseTime: durationStatsOf(firstResponse),
      resolutionTime: durationStatsOf(resolution),
      // No feedback is collected yet: empty, never zero.
      nps: emptyNps(),
      csat: ratio(0, 0),
    };
  }

  function rfmPersonOf(row: RfmPersonRow): RfmPerson {
    const r = row.r as RfmScore;
    const f = row.f as RfmScore;
    return { ...row, lastOrderAt: new Date(row.lastOrderAt), r, f, m: row.m as RfmScore, segment: rfmSegmentOf(r, f) };
  }

  function asOfOf(raw: string | undefined): number {
    if (raw === undefined || raw === '') return endOfTodayUtc();
    const problems: Problem[] = [];
    const t = parseDayStart(raw, 'asOf', problems);
    if (t === null) throw invalid(problems);
    return t;
  }

  return {
    async summary(actor: Actor, params: PeriodParams): Promise<Summary> {
      assertCan(actor, metricsRead);
      const p = parsePeriod(params);
      const { scope, currencies: known } = await scopeOf(actor, params);
      const prev = { from: p.from - (p.to - p.from), to: p.from, churnWindowDays: p.churnWindowDays };
      // Side by side on PostgreSQL (two pool connections); the embedded engine takes them in turn.
      const [current, previous] = await Promise.all([periodMetrics(scope, p), periodMetrics(scope, prev)]);
      const metrics = Object.fromEntries(
        (Object.keys(current) as Array<keyof typeof current>).map((k) => [
          k,
          { current: current[k], previous: previous[k], change: compareValues(current[k], previous[k]) },
        ]),
      ) as Summary['metrics'];
      return {
        period: { from: new Date(p.from), to: new Date(p.to) },
        previousPeriod: { from: new Date(prev.from), to: new Date(prev.to) },
        currency: known.length ? scope.currency : (params.currency?.toUpperCase() ?? null),
        currencies: known,
        churnWindowDays: p.churnWindowDays,
        predictiveClv: known.length ? await predictiveClv(db, scope) : null,
        metrics,
      };
    },

    /**
     * The monthly trend: revenue, orders, active customers and the repeat purchase rate of each of the `months`
     * calendar months ending with the month of the day before `to` (default: the end of today), the last one cut at
     * `to` — what the summary of each month says of it, in one read.
     */
    async trend(
      actor: Actor,
      params: ScopeParams & { to?: string | undefined; months?: number | undefined },
    ): Promise<{ to: Date; currency: string | null; currencies: string[]; months: TrendMonth[] }> {
      assertCan(actor, metricsRead);
      const problems: Problem[] = [];
      const to = params.to ? parseDayStart(params.to, 'to', problems) : endOfTodayUtc();
      const n = params.months ?? 12;
      if (!(Number.isSafeInteger(n) && n >= 1 && n <= 120))
        problems.push({ param: 'months', message: 'must be a whole number from 1 to 120' });
      if (to !== null && !problems.length && (monthsEndingAt(to, n)[0]?.from ?? to) < earliest)
        problems.push({ param: 'months', message: 'the first month would start before 1900-01-01' });
      if (problems.length || to === null) throw invalid(problems);
      const { scope, currencies: known } = await scopeOf(actor, params);
      const months = monthsEndingAt(to, n);
      const facts = new Map(
        (await trendFacts(db, scope, { from: months[0]!.from, to })).map((f) => [f.month, f] as const),
      );
      return {
        to: new Date(to),
        currency: known.length ? scope.currency : (params.currency?.toUpperCase() ?? null),
        currencies: known,
        months: months.map((m) => {
          const d = new Date(m.from);
          const f = facts.get(d.getUTCFullYear() * 12 + d.getUTCMonth());
          return {
            from: new Date(m.from),
            to: new Date(m.to),
            revenue: { value: f?.revenue ?? 0 },
            orders: { value: f?.orders ?? 0 },
            activeCustomers: { value: f?.active ?? 0 },
            repeatPurchaseRate: ratio(f?.repeaters ?? 0, f?.active ?? 0),
          };
        }),
      };
    },

    /** Monthly acquisition cohorts before `to` (default: the end of today), as computeCohorts shapes them. */
    async cohorts(
      actor: Actor,
      params: ScopeParams & { to?: string | undefined; maxOffset?: number | undefined },
    ): Promise<CohortMatrix & { to: Date; currency: string; currencies: string[] }> {
      assertCan(actor, metricsRead);
      const problems: Problem[] = [];
      const to = params.to ? parseDayStart(params.to, 'to', problems) : endOfTodayUtc();
      const maxOffset = params.maxOffset ?? null;
      if (maxOffset !== null && !(Number.isSafeInteger(maxOffset) && maxOffset >= 0 && maxOffset <= 1200))
        problems.push({ param: 'maxOffset', message: 'must be a whole number from 0 to 1200' });
      if (problems.length || to === null) throw invalid(problems);
      const { scope, currencies: known } = await scopeOf(actor, params);
      const facts = await cohortFacts(db, scope, { to, maxOffset });
      const base = { to: new Date(to), currency: scope.currency, currencies: known };
      if (!facts.sizes.length)
        return { ...base, cohorts: [], sizes: [], offsets: 0, customers: [], retention: [], revenueMinor: [] };
      const months = facts.sizes.map((s) => s.cohort);
      const row = new Map(months.map((m, i) => [m, i]));
      const d = new Date(to - 1);
      const lastMonth = d.getUTCFullYear() * 12 + d.getUTCMonth();
      const offsets = Math.min(lastMonth - months[0]! + 1, (maxOffset ?? Number.POSITIVE_INFINITY) + 1);
      const grid = () => months.map((m) => Array.from({ length: offsets }, (_, k) => (m + k <= lastMonth ? 0 : null)));
      const customers: (number | null)[][] = grid();
      const revenueMinor: (number | null)[][] = grid();
      for (const c of facts.cells) {
        const k = c.month - c.cohort;
        const r = row.get(c.cohort);
        if (r === undefined || k < 0 || k >= offsets) continue;
        customers[r]![k] = c.customers;
        revenueMinor[r]![k] = c.revenue;
      }
      const sizes = facts.sizes.map((s) => s.size);
      return {
        ...base,
        cohorts: months.map(monthLabel),
        sizes,
        offsets,
        customers,
        retention: customers.map((cells, r) => cells.map((n) => (n === null ? null : n / sizes[r]!))),
        revenueMinor,
      };
    },

    /** Customers per R×F cell and per segment as of a day (default: the end of today). */
    async rfm(
      actor: Actor,
      params: ScopeParams & { asOf?: string | undefined },
    ): Promise<RfmSummary & { asOf: Date; currency: string; currencies: string[] }> {
      assertCan(actor, metricsRead);
      const asOf = asOfOf(params.asOf);
      const { scope, currencies: known } = await scopeOf(actor, params);
      const cells = Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]);
      const segments = Object.fromEntries(rfmSegments.map((s) => [s, 0])) as Record<RfmSegment, number>;
      let customers = 0;
      for (const c of await rfmCells(db, scope, asOf)) {
        cells[c.r - 1]![c.f - 1] = c.customers;
        segments[rfmSegmentOf(c.r as RfmScore, c.f as RfmScore)] += c.customers;
        customers += c.customers;
      }
      return { asOf: new Date(asOf), currency: scope.currency, currencies: known, customers, cells, segments };
    },

    /**
     * The customers behind a number of the summary (or of a trend month or cohort cell, given as a period):
     * `metric` and `part` name them (drillParts) — highest net in the period first (historical CLV: in all history
     * before `to`), a page at a time. `cohort` (YYYY-MM) keeps the customers acquired in that month: a cohort cell
     * is the active customers of its month, a cohort's size the new customers of its first month.
     */
    async periodPeople(
      actor: Actor,
      params: PeriodParams & {
        metric: string;
        part?: DrillPartName | undefined;
        cohort?: string | undefined;
        limit?: number | undefined;
        cursor?: string | undefined;
      },
    ) {
      assertCan(actor, metricsRead);
      const problems: Problem[] = [];
      const part = params.part ?? 'numerator';
      const parts = drillParts[params.metric];
      const chosen = parts?.[part];
      if (!parts)
        problems.push({
          param: 'metric',
          message: `lists the customers of ${Object.keys(drillParts).join(', ')}, not "${params.metric}"`,
        });
      else if (!chosen)
        problems.push({
          param: 'part',
          message: `${params.metric} has the parts ${Object.keys(parts).join(', ')}, not "${part}"`,
        });
      let cohort: number | null = null;
      if (params.cohort !== undefined) {
        const m = /^(\d{4})-(\d{2})$/.exec(params.cohort);
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 12 || Number(m[1]) < 1900)
          problems.push({ param: 'cohort', message: `"${params.cohort}" is not a month (YYYY-MM)` });
        else cohort = Number(m[1]) * 12 + Number(m[2]) - 1;
      }
      const limit = params.limit ?? 50;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxLimit)
        problems.push({ param: 'limit', message: `must be a whole number from 1 to ${maxLimit}` });
      let after: { net: number; personId: string } | null = null;
      if (params.cursor) {
        const c = decodeCursor(params.cursor);
        if (!c || typeof c.v !== 'number' || !Number.isSafeInteger(c.v) || !uuidPattern.test(c.id))
          problems.push({ param: 'cursor', message: 'is not a cursor of this list' });
        else after = { net: c.v, personId: c.id };
      }
      if (problems.length || !chosen) throw invalid(problems);
      const p = parsePeriod(params);
      const { scope } = await scopeOf(actor, params);
      const rows = await periodPeople(db, scope, p, chosen, { after, limit: limit + 1, cohort });
      const kept = rows.slice(0, limit);
      const last = kept[kept.length - 1];
      return {
        period: { from: new Date(p.from), to: new Date(p.to) },
        currency: scope.currency,
        rows: kept,
        nextCursor: rows.length > limit && last ? encodeCursor({ v: last.net, id: last.personId }) : null,
        limit,
      };
    },

    /**
     * The customers behind an RFM number: those of a segment, or of one R×F cell (r and f), highest spend first,
     * a page at a time.
     */
    async rfmPeople(
      actor: Actor,
      params: ScopeParams & {
        asOf?: string | undefined;
        segment?: string | undefined;
        r?: number | undefined;
        f?: number | undefined;
        limit?: number | undefined;
        cursor?: string | undefined;
      },
    ): Promise<{
      asOf: Date;
      currency: string;
      currencies: string[];
      rows: RfmPerson[];
      nextCursor: string | null;
      limit: number;
    }> {
      assertCan(actor, metricsRead);
      const problems: Problem[] = [];
      const limit = params.limit ?? 50;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxLimit)
        problems.push({ param: 'limit', message: `must be a whole number from 1 to ${maxLimit}` });
      let cells: Array<readonly [number, number]> | undefined;
      if (params.segment !== undefined) {
        if (!(rfmSegments as readonly string[]).includes(params.segment))
          problems.push({ param: 'segment', message: `"${params.segment}" is not one of ${rfmSegments.join(', ')}` });
        else
          cells = rfmSegmentGrid.flatMap((row, ri) =>
            row.flatMap((s, fi) => (s === params.segment ? [[ri + 1, fi + 1] as const] : [])),
          );
      }
      const score = (x: number | undefined, param: string) => {
        if (x !== undefined && !(Number.isInteger(x) && x >= 1 && x <= 5))
          problems.push({ param, message: 'must be a score from 1 to 5' });
      };
      score(params.r, 'r');
      score(params.f, 'f');
      if (params.r !== undefined || params.f !== undefined) {
        const rs = params.r === undefined ? [1, 2, 3, 4, 5] : [params.r];
        const fs = params.f === undefined ? [1, 2, 3, 4, 5] : [params.f];
        const asked = rs.flatMap((r) => fs.map((f) => [r, f] as const));
        cells = cells ? cells.filter(([r, f]) => asked.some(([r2, f2]) => r === r2 && f === f2)) : asked;
      }
      let after: { monetary: number; personId: string } | null = null;
      if (params.cursor) {
        const c = decodeCursor(params.cursor);
        if (!c || typeof c.v !== 'number' || !Number.isSafeInteger(c.v) || !uuidPattern.test(c.id))
          problems.push({ param: 'cursor', message: 'is not a cursor of this list' });
        else after = { monetary: c.v, personId: c.id };
      }
      const asOf = asOfOf(params.asOf);
      if (problems.length) throw invalid(problems);
      const { scope, currencies: known } = await scopeOf(actor, params);
      const rows = await rfmPeople(db, scope, asOf, { ...(cells ? { cells } : {}), after, limit: limit + 1 });
      const kept = rows.slice(0, limit);
      const last = kept[kept.length - 1];
      return {
        asOf: new Date(asOf),
        currency: scope.currency,
        currencies: known,
        rows: kept.map(rfmPersonOf),
        nextCursor: rows.length > limit && last ? encodeCursor({ v: last.monetary, id: last.personId }) : null,
        limit,
      };
    },

    /** One person's RFM among all the workspace's customers (the 360° page); null scores when they never bought. */
    async personRfm(
      actor: Actor,
      personId: string,
      params: { currency?: string | undefined; asOf?: string | undefined },
    ): Promise<{ asOf: Date; currency: string; rfm: RfmPerson | null }> {
      assertCan(actor, metricsRead);
      const asOf = asOfOf(params.asOf);
      if (!(await findPerson(db, actor.workspaceId, personId))) throw AppError.notFound('Person', personId);
      const { scope } = await scopeOf(actor, { currency: params.currency });
      const [row] = await rfmPeople(db, scope, asOf, { personId, limit: 1 });
      return { asOf: new Date(asOf), currency: scope.currency, rfm: row ? rfmPersonOf(row) : null };
    },
  };
}
