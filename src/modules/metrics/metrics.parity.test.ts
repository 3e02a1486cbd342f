/**
 * The product's metrics (roll-ups read through the API) against the reference functions of src/domain on a generated
 * history: every numerator, denominator and value equal, for several periods, a segment, two currencies, cohorts and
 * RFM row by row.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace, type TestWorkspace } from '../../../test/factories.ts';
import { computeCohorts } from '../../domain/cohorts.ts';
import {
  compareValues,
  computeActiveCustomers,
  computeAverageOrderValue,
  computeChurnRate,
  computeCsat,
  computeFirstResponseTime,
  computeHistoricalClv,
  computeNps,
  computeOrderCount,
  computePurchaseFrequency,
  computeRepeatPurchaseRate,
  computeResolutionTime,
  computeRetentionRate,
  computeRevenue,
  computeSubscriptionChurnRate,
  computeTenure,
  dayMs,
  previousPeriod,
  type OrderFact,
  type Period,
  type SubscriptionFact,
  type TicketFact,
} from '../../domain/metrics.ts';
import { computeRfm, summarizeRfm, type RfmRow } from '../../domain/rfm.ts';
import { writeFixture, type Fixture } from './metrics.fixture.ts';
import { rebuildMetricRollups } from './metrics.rollup.ts';
import { endOfTodayUtc } from './metrics.service.ts';

type Json = Record<string, unknown>;
type Metric = { current: Json; previous: Json; change: Json };
type SummaryBody = { currency: string; currencies: string[]; metrics: Record<string, Metric> };
type RfmPersonBody = {
  personId: string;
  lastOrderAt: string;
  recencyDays: number;
  frequency: number;
  monetaryMinor: number;
  r: number;
  f: number;
  m: number;
  segment: string;
};

const day = (s: string) => new Date(`${s}T00:00:00Z`);

/** Every metric of the summary, as the reference computes it. */
function reference(
  orders: OrderFact[],
  subs: SubscriptionFact[],
  tickets: TicketFact[],
  period: Period,
  windowDays: number,
): Record<string, unknown> {
  return {
    revenue: computeRevenue(orders, period),
    orders: computeOrderCount(orders, period),
    activeCustomers: computeActiveCustomers(orders, period),
    averageOrderValue: computeAverageOrderValue(orders, period),
    purchaseFrequency: computePurchaseFrequency(orders, period),
    repeatPurchaseRate: computeRepeatPurchaseRate(orders, period),
    retentionRate: computeRetentionRate(orders, period),
    churnRate: computeChurnRate(orders, period, { windowDays }),
    subscriptionChurnRate: computeSubscriptionChurnRate(subs, period),
    historicalClv: computeHistoricalClv(orders, period.to),
    tenure: computeTenure(orders, period),
    firstResponseTime: computeFirstResponseTime(tickets, period),
    resolutionTime: computeResolutionTime(tickets, period),
    nps: computeNps([], period),
    csat: computeCsat([], period),
  };
}

describe.each(testEngines())('metrics equal the reference functions on %s', (engine) => {
  const ctx = useTestApp(engine);
  let ws: TestWorkspace;
  let h: Record<string, string>;
  let fx: Fixture;

  beforeAll(async () => {
    ws = await makeWorkspace(ctx.services);
    h = bearer(await makeApiKey(ctx.services, ws));
    fx = await writeFixture(ctx.database.db, ws.workspace.id);
    await rebuildMetricRollups(ctx.database.db, ws.workspace.id);
  }, 120_000);

  async function get<T>(url: string): Promise<T> {
    const res = await ctx.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: h });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json<T>();
  }

  /** The facts of a segment: its people's orders, subscriptions and tickets. */
  function facts(currency: string, keep: (p: Fixture['people'][number]) => boolean = () => true) {
    const ids = new Set(fx.people.filter(keep).map((p) => p.id));
    return {
      orders: fx.orders[currency]!.filter((o) => ids.has(o.personId)),
      subs: fx.subscriptions[currency]!.filter((s) => ids.has(s.personId)),
      tickets: fx.tickets.filter((t) => (t.personId === null ? ids.size === fx.people.length : ids.has(t.personId))),
    };
  }

  const periods: Array<[string, string]> = [
    ['2024-03-01', '2024-04-01'],
    ['2024-01-01', '2024-07-01'],
    ['2023-12-25', '2024-01-08'],
    ['2023-01-01', '2025-01-01'],
    ['2024-02-29', '2024-03-01'],
    ['2031-01-01', '2031-02-01'],
  ];

  it('has a history worth testing', () => {
    const eur = fx.orders.EUR!;
    expect(eur.length).toBeGreaterThan(2000);
    expect(eur.some((o) => o.status === 'refunded')).toBe(true);
    expect(eur.some((o) => o.status === 'canceled')).toBe(true);
    expect(eur.some((o) => o.status === 'partially_refunded')).toBe(true);
    expect(eur.some((o) => o.placedAt.getTime() % 86_400_000 === 0)).toBe(true);
    expect(eur.some((o) => o.placedAt.getTime() % 86_400_000 === 86_399_999)).toBe(true);
    const sameInstant = new Set<string>();
    let repeats = 0;
    for (const o of eur) {
      const k = `${o.personId}@${o.placedAt.getTime()}`;
      if (sameInstant.has(k)) repeats++;
      sameInstant.add(k);
    }
    expect(repeats).toBeGreaterThan(10);
  });

  it.each(periods)('every summary metric, [%s, %s), all customers, in euros', async (from, to) => {
    const body = await get<SummaryBody>(`/metrics/summary?from=${from}&to=${to}&currency=EUR`);
    const f = facts('EUR');
    const period = { from: day(from), to: day(to) };
    const cur = reference(f.orders, f.subs, f.tickets, period, 90);
    const prev = reference(f.orders, f.subs, f.tickets, previousPeriod(period), 90);
    expect(Object.keys(body.metrics).sort()).toEqual(Object.keys(cur).sort());
    for (const k of Object.keys(cur)) {
      expect(body.metrics[k]!.current, `${k} current`).toEqual(cur[k]);
      expect(body.metrics[k]!.previous, `${k} previous`).toEqual(prev[k]);
      expect(body.metrics[k]!.change, `${k} change`).toEqual(
        compareValues(cur[k] as { value: number | null }, prev[k] as { value: number | null }),
      );
    }
    expect(body.currency).toBe('EUR');
    expect(body.currencies).toEqual(['EUR', 'USD']);
  });

  it('a segment (loyal or vip, by the people filter language), another currency and churn window', async () => {
    for (const [from, to] of periods.slice(0, 4)) {
      const seg = await get<SummaryBody>(
        `/metrics/summary?from=${from}&to=${to}&currency=EUR&filter=stage:in:loyal|at_risk&filter=tag:eq:vip&churnWindowDays=30`,
      );
      const keep = (p: Fixture['people'][number]) => ['loyal', 'at_risk'].includes(p.stage) && p.tags.includes('vip');
      const f = facts('EUR', keep);
      const period = { from: day(from), to: day(to) };
      const cur = reference(f.orders, f.subs, f.tickets, period, 30);
      for (const k of Object.keys(cur))
        expect(seg.metrics[k]!.current, `segment ${k} [${from}, ${to})`).toEqual(cur[k]);
      expect((cur.activeCustomers as { value: number }).value).toBeLessThan(
        computeActiveCustomers(fx.orders.EUR!, period).value || 1,
      );

      const usd = await get<SummaryBody>(`/metrics/summary?from=${from}&to=${to}&currency=usd`);
      const u = facts('USD');
      const curUsd = reference(u.orders, u.subs, u.tickets, period, 90);
      for (const k of Object.keys(curUsd)) expect(usd.metrics[k]!.current, `USD ${k}`).toEqual(curUsd[k]);
    }
  });

  it('defaults to the most ordered currency', async () => {
    const body = await get<SummaryBody>('/metrics/summary?from=2024-01-01&to=2024-02-01');
    expect(body.currency).toBe('EUR');
  });

  it('cohorts, with and without a month cap and a segment', async () => {
    type CohortBody = ReturnType<typeof computeCohorts> & { to: string };
    for (const to of ['2024-03-15', '2025-01-01', '2023-01-01']) {
      const body = await get<CohortBody>(`/metrics/cohorts?to=${to}&currency=EUR`);
      const { to: _to, currency: _c, currencies: _cs, ...matrix } = body as CohortBody & Json;
      expect(matrix, `to ${to}`).toEqual(computeCohorts(fx.orders.EUR!, { to: day(to) }));
    }
    const capped = await get<CohortBody & Json>('/metrics/cohorts?to=2025-01-01&currency=EUR&maxOffset=5');
    const { to: _t, currency: _c, currencies: _cs, ...m } = capped;
    expect(m).toEqual(computeCohorts(fx.orders.EUR!, { to: day('2025-01-01'), maxOffset: 5 }));
    expect(m.offsets).toBe(6);
    const seg = await get<CohortBody & Json>('/metrics/cohorts?to=2024-07-01&currency=EUR&filter=tag:eq:vip');
    const { to: _t2, currency: _c2, currencies: _cs2, ...s } = seg;
    expect(s).toEqual(computeCohorts(facts('EUR', (p) => p.tags.includes('vip')).orders, { to: day('2024-07-01') }));
  });

  it("the monthly trend: each month as that month's summary has it, for the workspace, a segment, another currency", async () => {
    type TrendBody = {
      currency: string;
      months: Array<{ from: string; to: string } & Record<string, unknown>>;
    };
    const cases: Array<[string, string, number]> = [
      ['to=2024-07-01', 'currency=EUR', 12],
      // Cut mid-month with later orders in that month: the repeat buyers of the last month count its days only.
      ['to=2024-03-15&months=15', 'currency=EUR', 15],
      ['to=2024-07-01&months=6', 'currency=EUR&filter=tag:eq:vip', 6],
      ['to=2025-01-01&months=3', 'currency=USD', 3],
    ];
    for (const [range, scope, n] of cases) {
      const t = await get<TrendBody>(`/metrics/trend?${range}&${scope}`);
      expect(t.months).toHaveLength(n);
      expect(t.months.at(-1)!.to.slice(0, 10)).toBe(range.slice(3, 13));
      let active = 0;
      for (const m of t.months) {
        const s = await get<SummaryBody>(
          `/metrics/summary?from=${m.from.slice(0, 10)}&to=${m.to.slice(0, 10)}&${scope}`,
        );
        for (const k of ['revenue', 'orders', 'activeCustomers', 'repeatPurchaseRate'])
          expect(m[k], `${range} ${scope} ${m.from} ${k}`).toEqual(s.metrics[k]!.current);
        active += (m.activeCustomers as { value: number }).value;
      }
      expect(active).toBeGreaterThan(0);
    }
    // Another workspace's trend has none of these orders.
    const other = await makeWorkspace(ctx.services);
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/metrics/trend?to=2024-07-01',
      headers: bearer(await makeApiKey(ctx.services, other)),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<TrendBody & { currencies: string[] }>();
    expect(body.currencies).toEqual([]);
    expect(body.months.every((m) => (m.orders as { value: number }).value === 0)).toBe(true);
  });

  async function allRfmPeople(query: string): Promise<RfmPersonBody[]> {
    const rows: RfmPersonBody[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: RfmPersonBody[]; page: { nextCursor: string | null } } = await get(
        `/metrics/rfm/people?${query}&limit=37${cursor ? `&cursor=${cursor}` : ''}`,
      );
      rows.push(...page.data);
      cursor = page.page.nextCursor;
    } while (cursor);
    return rows;
  }

  const asRow = (x: RfmRow) => ({
    personId: x.personId,
    lastOrderAt: x.lastOrderAt.toISOString(),
    recencyDays: x.recencyDays,
    frequency: x.frequency,
    monetaryMinor: x.monetaryMinor,
    r: x.r,
    f: x.f,
    m: x.m,
    segment: x.segment,
  });
  const withoutName = (x: RfmPersonBody) => {
    const { name: _n, ...rest } = x as RfmPersonBody & { name?: string };
    return rest;
  };
  const byId = (a: { personId: string }, b: { personId: string }) => (a.personId < b.personId ? -1 : 1);

  it('RFM: the grid, segment counts and every customer row, as of several days', async () => {
    // 2024-06-01: orders come after it (summed from the customer days); 2025-01-02: none (straight from customers).
    for (const asOf of ['2024-06-01', '2025-01-02', '2023-01-02']) {
      const expected = computeRfm(fx.orders.EUR!, day(asOf));
      const summary = await get<Json>(`/metrics/rfm?asOf=${asOf}&currency=EUR`);
      const { asOf: _a, currency: _c, currencies: _cs, ...rest } = summary;
      expect(rest, `as of ${asOf}`).toEqual(summarizeRfm(expected));
      const rows = await allRfmPeople(`asOf=${asOf}&currency=EUR`);
      expect(rows.map(withoutName).sort(byId), `rows as of ${asOf}`).toEqual(expected.map(asRow));
      // Highest spend first, then by id.
      for (let i = 1; i < rows.length; i++) {
        const a = rows[i - 1]!;
        const b = rows[i]!;
        expect(
          a.monetaryMinor > b.monetaryMinor || (a.monetaryMinor === b.monetaryMinor && a.personId < b.personId),
        ).toBe(true);
      }
    }
    // Today's end by default.
    const now = await get<Json>('/metrics/rfm?currency=EUR');
    expect(now.asOf).toBe(new Date(endOfTodayUtc()).toISOString());
    const { asOf: _a, currency: _c, currencies: _cs, ...rest } = now;
    expect(rest).toEqual(summarizeRfm(computeRfm(fx.orders.EUR!, new Date(endOfTodayUtc()))));
  });

  it('RFM drill-down by segment and by cell, within a people segment', async () => {
    const asOf = '2024-10-01';
    const vip = facts('EUR', (p) => p.tags.includes('vip')).orders;
    const expected = computeRfm(vip, day(asOf));
    for (const segment of ['champions', 'lost', 'at_risk', 'new']) {
      const rows = await allRfmPeople(`asOf=${asOf}&currency=EUR&filter=tag:eq:vip&segment=${segment}`);
      expect(rows.map(withoutName).sort(byId), segment).toEqual(
        expected.filter((x) => x.segment === segment).map(asRow),
      );
    }
    const cell = await allRfmPeople(`asOf=${asOf}&currency=EUR&filter=tag:eq:vip&r=5&f=1`);
    expect(cell.map((x) => x.personId).sort()).toEqual(
      expected.filter((x) => x.r === 5 && x.f === 1).map((x) => x.personId),
    );
    expect(expected.filter((x) => x.segment === 'champions').length).toBeGreaterThan(0);
  });

  it('lists the customers behind each number: the same people it counts, each once across pages', async () => {
    const counted = facts('EUR').orders.filter((o) => o.status !== 'refunded' && o.status !== 'canceled');
    const buyers = (from: Date, to: Date) => {
      const n = new Map<string, number>();
      for (const o of counted)
        if (o.placedAt >= from && o.placedAt < to) n.set(o.personId, (n.get(o.personId) ?? 0) + 1);
      return n;
    };
    /** The last counted order before `to` of each customer, independently. */
    const lastBefore = (to: Date) => {
      const last = new Map<string, number>();
      for (const o of counted)
        if (o.placedAt < to) last.set(o.personId, Math.max(last.get(o.personId) ?? 0, o.placedAt.getTime()));
      return last;
    };
    let lastChecked = 0;
    async function allPeople(query: string, to: Date): Promise<string[]> {
      const ids: string[] = [];
      const last = lastBefore(to);
      let cursor: string | null = null;
      do {
        const page: {
          data: Array<{ personId: string; orders: number; lastOrderAt: string | null }>;
          page: { nextCursor: string | null };
        } = await get(`/metrics/people?${query}&limit=37${cursor ? `&cursor=${cursor}` : ''}`);
        ids.push(...page.data.map((x) => x.personId));
        // Every listed customer has a last order before the period ends: the churned ones' only date.
        for (const x of page.data) {
          expect(x.lastOrderAt, `${query} ${x.personId}`).toBe(new Date(last.get(x.personId) ?? NaN).toISOString());
          lastChecked++;
        }
        cursor = page.page.nextCursor;
      } while (cursor);
      return ids;
    }
    for (const [from, to] of periods.slice(0, 4)) {
      const period = { from: day(from), to: day(to) };
      const prev = previousPeriod(period);
      const now = buyers(period.from, period.to);
      const before = buyers(prev.from, prev.to);
      const expected: Record<string, string[]> = {
        'activeCustomers.numerator': [...now.keys()],
        'repeatPurchaseRate.numerator': [...now].filter(([, n]) => n >= 2).map(([id]) => id),
        'repeatPurchaseRate.denominator': [...now.keys()],
        'retentionRate.numerator': [...before.keys()].filter((id) => now.has(id)),
        'retentionRate.denominator': [...before.keys()],
      };
      for (const [k, ids] of Object.entries(expected)) {
        const [metric, part] = k.split('.');
        const got = await allPeople(`from=${from}&to=${to}&currency=EUR&metric=${metric}&part=${part}`, period.to);
        expect(new Set(got).size, k).toBe(got.length);
        expect([...got].sort(), `${k} [${from}, ${to})`).toEqual([...ids].sort());
      }
      const summary = await get<SummaryBody>(`/metrics/summary?from=${from}&to=${to}&currency=EUR`);
      const churn = summary.metrics.churnRate!.current as { numerator: number; denominator: number };
      for (const part of ['numerator', 'denominator'] as const)
        expect(
          (await allPeople(`from=${from}&to=${to}&currency=EUR&metric=churnRate&part=${part}`, period.to)).length,
          `churn ${part}`,
        ).toBe(churn[part]);
    }
    expect(lastChecked).toBeGreaterThan(100);
    for (const q of ['metric=nps', 'metric=revenue&part=lapsing', 'metric=activeCustomers&cohort=2024-13']) {
      const bad = await ctx.app.inject({
        method: 'GET',
        url: `/api/v1/metrics/people?from=2024-01-01&to=2024-02-01&${q}`,
        headers: h,
      });
      expect(bad.statusCode, q).toBe(400);
      expect(bad.json<{ error: { code: string } }>().error.code).toBe('validation_failed');
    }
    // A code that is no currency is refused, not answered with a shop of no sales.
    for (const currency of ['XYZ', 'EURO'])
      expect(
        (
          await ctx.app.inject({
            method: 'GET',
            url: `/api/v1/metrics/summary?from=2024-01-01&to=2024-02-01&currency=${currency}`,
            headers: h,
          })
        ).statusCode,
        currency,
      ).toBe(400);
    expect(
      (
        await ctx.app.inject({
          method: 'GET',
          url: '/api/v1/metrics/summary?from=2024-01-01&to=2024-02-01&currency=EUR',
          headers: h,
        })
      ).statusCode,
    ).toBe(200);
  });

  it('drills every customer-based number of the summary, each trend month and cohort cell to its customers', async () => {
    const W = 90;
    const counted = facts('EUR').orders.filter((o) => o.status !== 'refunded' && o.status !== 'canceled');
    const firstOrder = new Map<string, number>();
    for (const o of counted)
      firstOrder.set(o.personId, Math.min(firstOrder.get(o.personId) ?? Infinity, o.placedAt.getTime()));
    /** Counted orders per person in [from, to). */
    const buyers = (from: number, to: number) => {
      const n = new Map<string, number>();
      for (const o of counted) {
        const t = o.placedAt.getTime();
        if (t >= from && t < to) n.set(o.personId, (n.get(o.personId) ?? 0) + 1);
      }
      return n;
    };
    const lastBefore = (at: number) => {
      const last = new Map<string, number>();
      for (const o of counted) {
        const t = o.placedAt.getTime();
        if (t < at) last.set(o.personId, Math.max(last.get(o.personId) ?? -Infinity, t));
      }
      return last;
    };
    async function allPeople(query: string): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: Array<{ personId: string }>; page: { nextCursor: string | null } } = await get(
          `/metrics/people?${query}&currency=EUR&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
        );
        ids.push(...page.data.map((x) => x.personId));
        cursor = page.page.nextCursor;
      } while (cursor);
      expect(new Set(ids).size, query).toBe(ids.length);
      return ids.sort();
    }
    const sorted = (ids: Iterable<string>) => [...ids].sort();
    for (const [fromDay, toDay] of periods.slice(0, 4)) {
      const [from, to] = [day(fromDay).getTime(), day(toDay).getTime()];
      const now = buyers(from, to);
      const before = buyers(from - (to - from), from);
      const last = lastBefore(from);
      const base = [...last].filter(([, t]) => t >= from - W * dayMs).map(([id]) => id);
      const churned = base.filter((id) => !now.has(id) && last.get(id)! + W * dayMs <= to);
      const returned = base.filter((id) => now.has(id));
      const active = [...now.keys()];
      const expected: Record<string, string[]> = {
        'revenue.numerator': active,
        'orders.numerator': active,
        'activeCustomers.numerator': active,
        'averageOrderValue.numerator': active,
        'purchaseFrequency.denominator': active,
        'tenure.denominator': active,
        'newCustomers.numerator': active.filter((id) => firstOrder.get(id)! >= from),
        'repeatPurchaseRate.numerator': active.filter((id) => now.get(id)! >= 2),
        'retentionRate.numerator': [...before.keys()].filter((id) => now.has(id)),
        'retentionRate.denominator': [...before.keys()],
        'churnRate.numerator': churned,
        'churnRate.denominator': base,
        'churnRate.returned': returned,
        'churnRate.lapsing': base.filter((id) => !churned.includes(id) && !returned.includes(id)),
        'historicalClv.denominator': [...lastBefore(to).keys()],
      };
      const got: Record<string, string[]> = {};
      for (const [k, ids] of Object.entries(expected)) {
        const [metric, part] = k.split('.');
        got[k] = await allPeople(`from=${fromDay}&to=${toDay}&metric=${metric}&part=${part}`);
        expect(got[k], `${k} [${fromDay}, ${toDay})`).toEqual(sorted(ids));
      }
      // And as many as the summary counts.
      const m = (await get<SummaryBody>(`/metrics/summary?from=${fromDay}&to=${toDay}&currency=EUR`)).metrics;
      const cur = (k: string) => m[k]!.current as Record<string, number>;
      expect(got['activeCustomers.numerator']!.length).toBe(cur('activeCustomers').value);
      expect(got['tenure.denominator']!.length).toBe(cur('tenure').denominator);
      expect(got['historicalClv.denominator']!.length).toBe(cur('historicalClv').denominator);
      expect(got['churnRate.returned']!.length).toBe(cur('churnRate').returned);
      expect(got['churnRate.lapsing']!.length).toBe(cur('churnRate').lapsing);
    }
    // The monthly trend: each month's active customers and repeat buyers.
    const trend = await get<{
      months: Array<{
        from: string;
        to: string;
        activeCustomers: { value: number };
        repeatPurchaseRate: { numerator: number };
      }>;
    }>('/metrics/trend?to=2024-07-01&months=3&currency=EUR');
    for (const month of trend.months) {
      const [f, t] = [month.from.slice(0, 10), month.to.slice(0, 10)];
      const now = buyers(Date.parse(month.from), Date.parse(month.to));
      expect(await allPeople(`from=${f}&to=${t}&metric=activeCustomers`)).toEqual(sorted(now.keys()));
      const repeaters = await allPeople(`from=${f}&to=${t}&metric=repeatPurchaseRate`);
      expect(repeaters).toEqual(sorted([...now].filter(([, n]) => n >= 2).map(([id]) => id)));
      expect(repeaters.length).toBe(month.repeatPurchaseRate.numerator);
    }
    // Cohort cells: the customers acquired in month c who bought in month c + k, and each cohort's size.
    const cohorts = await get<{ cohorts: string[]; sizes: number[]; customers: Array<Array<number | null>> }>(
      '/metrics/cohorts?to=2025-01-01&currency=EUR',
    );
    const monthStart = (label: string, plus = 0) => {
      const [y, mo] = label.split('-').map(Number);
      return Date.UTC(y!, mo! - 1 + plus, 1);
    };
    const dayText = (t: number) => new Date(t).toISOString().slice(0, 10);
    for (const [r, label] of cohorts.cohorts.slice(0, 3).entries()) {
      const acquired = new Set(
        [...firstOrder].filter(([, t]) => t >= monthStart(label) && t < monthStart(label, 1)).map(([id]) => id),
      );
      const size = await allPeople(
        `from=${dayText(monthStart(label))}&to=${dayText(monthStart(label, 1))}&metric=newCustomers&cohort=${label}`,
      );
      expect(size, `size of ${label}`).toEqual(sorted(acquired));
      expect(size.length).toBe(cohorts.sizes[r]);
      for (let k = 0; k < 4; k++) {
        const [f, t] = [monthStart(label, k), monthStart(label, k + 1)];
        const cell = await allPeople(`from=${dayText(f)}&to=${dayText(t)}&metric=activeCustomers&cohort=${label}`);
        expect(cell, `${label} + ${k}`).toEqual(sorted([...buyers(f, t).keys()].filter((id) => acquired.has(id))));
        expect(cell.length, `${label} + ${k}`).toBe(cohorts.customers[r]![k]);
      }
    }
  });

  it("a person's RFM among all customers, and none for someone who never bought", async () => {
    const asOf = '2024-10-01';
    const expected = computeRfm(fx.orders.EUR!, day(asOf));
    for (const x of expected.slice(0, 5)) {
      const body = await get<{ rfm: RfmPersonBody | null }>(`/people/${x.personId}/rfm?asOf=${asOf}&currency=EUR`);
      const { name: _n, ...rfm } = body.rfm as RfmPersonBody & { name: string };
      expect(rfm).toEqual(asRow(x));
    }
    const buyers = new Set(expected.map((x) => x.personId));
    const never = fx.people.find((p) => !buyers.has(p.id));
    expect(never).toBeDefined();
    const body = await get<{ rfm: unknown }>(`/people/${never!.id}/rfm?asOf=${asOf}&currency=EUR`);
    expect(body.rfm).toBeNull();
  });

  it('refuses bad periods, segments and parameters with a 400 that names them', async () => {
    const bad: Array<[string, string]> = [
      ['/metrics/summary?from=2024-03-01', 'to'],
      ['/metrics/summary?from=2024-03-01&to=2024-02-01', 'to'],
      ['/metrics/summary?from=2024-03-01&to=2024-03-01', 'to'],
      ['/metrics/summary?from=2024-02-30&to=2024-03-01', 'from'],
      ['/metrics/summary?from=2024-03-01T12:00:00Z&to=2024-04-01', 'from'],
      ['/metrics/summary?from=yesterday&to=2024-04-01', 'from'],
      ['/metrics/summary?from=1900-01-02&to=2024-04-01', 'from'],
      ['/metrics/summary?from=2024-03-01&to=2024-04-01&churnWindowDays=0', 'churnWindowDays'],
      ['/metrics/summary?from=2024-03-01&to=2024-04-01&currency=euro', 'currency'],
      ['/metrics/summary?from=2024-03-01&to=2024-04-01&filter=nope:eq:1', 'filter'],
      ['/metrics/summary?from=2024-03-01&to=2024-04-01&filter=stage:eq:nonexistent', 'filter'],
      ['/metrics/summary?from=2024-03-01&to=2024-04-01&filter=stage', 'filter'],
      ['/metrics/cohorts?to=2024-13-01', 'to'],
      ['/metrics/trend?months=0', 'months'],
      ['/metrics/trend?to=2024-02-30', 'to'],
      ['/metrics/trend?to=1901-01-01&months=24', 'months'],
      ['/metrics/cohorts?maxOffset=-1', 'maxOffset'],
      ['/metrics/rfm?asOf=2024-01-01T01:00:00Z', 'asOf'],
      ['/metrics/rfm/people?segment=whales', 'segment'],
      ['/metrics/rfm/people?r=6', 'r'],
      ['/metrics/rfm/people?cursor=abc', 'cursor'],
    ];
    for (const [url, param] of bad) {
      const res = await ctx.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: h });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      const err = res.json<{ error: { code: string; message: string; details: unknown } }>().error;
      expect(err.code).toBe('validation_failed');
      expect(JSON.stringify(err.details), url).toContain(param);
    }
    const unknown = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/people/00000000-0000-7000-8000-000000000000/rfm',
      headers: h,
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('analysts and marketers read the metrics; agents and viewers do not', async () => {
    for (const role of ['analyst', 'marketer', 'agent', 'viewer'] as const) {
      const { actor } = await makeUser(ctx.services, ws, { role });
      const m = ctx.services.metrics;
      const calls = [
        () => m.summary(actor, { from: '2024-01-01', to: '2024-02-01' }),
        () => m.cohorts(actor, {}),
        () => m.trend(actor, {}),
        () => m.rfm(actor, {}),
        () => m.rfmPeople(actor, { segment: 'lost' }),
        () => m.personRfm(actor, fx.people[0]!.id, {}),
      ];
      for (const call of calls) {
        if (role === 'analyst' || role === 'marketer') await expect(call()).resolves.toBeDefined();
        else await expect(call()).rejects.toMatchObject({ code: 'forbidden' });
      }
    }
    const { actor } = await makeUser(ctx.services, ws, { role: 'analyst' });
    const key = bearer(await makeApiKey(ctx.services, ws, { actor }));
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/metrics/rfm', headers: key });
    expect(res.statusCode).toBe(200);
  });
});
