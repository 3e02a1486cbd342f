import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
  durationStats,
  previousPeriod,
  type FeedbackFact,
  type OrderFact,
  type OrderStatus,
  type Period,
  type SubscriptionFact,
  type TicketFact,
} from './metrics.ts';

/** '2024-03-05' or '2024-03-05T12:00' → a UTC instant. */
const at = (s: string) => new Date(s.length === 10 ? `${s}T00:00:00.000Z` : `${s}Z`);
const period = (from: string, to: string): Period => ({ from: at(from), to: at(to) });
const order = (personId: string, when: string, amountMinor: number, status: OrderStatus = 'paid'): OrderFact => ({
  personId,
  placedAt: at(when),
  amountMinor,
  status,
});

// March 2024; its previous period is the 31 days before it: [2024-01-30, 2024-03-01).
const march = period('2024-03-01', '2024-04-01');
const empty = period('2025-01-01', '2025-02-01');
const orders: OrderFact[] = [
  order('ann', '2024-02-10', 1000),
  order('ann', '2024-03-02', 2000),
  order('ann', '2024-03-20', 500, 'partially_refunded'), // counts, at its net amount
  order('bob', '2024-02-15', 3000),
  order('cat', '2024-03-10', 4000, 'placed'),
  order('cat', '2024-03-11', 9999, 'refunded'), // not a purchase
  order('dan', '2024-03-31T23:59:59.999', 100), // last instant of March
  order('eve', '2024-04-01', 7000), // first instant after March
  order('fay', '2024-03-15', 5000, 'refunded'), // only a refunded order: never a customer
  order('gus', '2024-01-29', 800), // a day before the previous period
  order('gus', '2024-03-05', 1200),
];

describe('periods', () => {
  it('the previous period has the same length and ends where this one starts', () => {
    expect(previousPeriod(march)).toEqual(period('2024-01-30', '2024-03-01'));
    expect(previousPeriod(period('2024-03-01T06:00', '2024-03-01T18:00'))).toEqual(
      period('2024-02-29T18:00', '2024-03-01T06:00'),
    );
  });

  it('refuses a period that ends before it starts, or an invalid date', () => {
    expect(() => computeRevenue(orders, period('2024-04-01', '2024-03-01'))).toThrow(RangeError);
    expect(() => computeRevenue(orders, { from: new Date('nope'), to: at('2024-03-01') })).toThrow(/period.from/);
  });

  it('a zero-length period holds nothing', () => {
    const instant = period('2024-03-02', '2024-03-02');
    expect(computeRevenue(orders, instant)).toEqual({ value: 0 });
    expect(computeAverageOrderValue(orders, instant)).toEqual({ value: null, numerator: 0, denominator: 0 });
  });
});

describe('checking orders', () => {
  it('refuses fractional or negative amounts, unknown statuses, empty people and invalid dates', () => {
    expect(() => computeRevenue([order('a', '2024-03-02', 10.5)], march)).toThrow(/amountMinor/);
    expect(() => computeRevenue([order('a', '2024-03-02', -1)], march)).toThrow(/amountMinor/);
    expect(() => computeRevenue([order('a', '2024-03-02', 1, 'void' as OrderStatus)], march)).toThrow(/status/);
    expect(() => computeRevenue([order('', '2024-03-02', 1)], march)).toThrow(/personId/);
    expect(() => computeRevenue([{ ...order('a', '2024-03-02', 1), placedAt: new Date(NaN) }], march)).toThrow(
      /orders\[0\].placedAt/,
    );
  });
});

describe('sales', () => {
  it('revenue sums the counted orders of the period at their net amounts', () => {
    // ann 2000 + 500, cat 4000, dan 100, gus 1200; not cat's refunded 9999, fay's 5000 or eve's April order.
    expect(computeRevenue(orders, march)).toEqual({ value: 7800 });
    expect(computeOrderCount(orders, march)).toEqual({ value: 5 });
    expect(computeActiveCustomers(orders, march)).toEqual({ value: 4 });
  });

  it('average order value is revenue / orders and purchase frequency orders / active customers', () => {
    expect(computeAverageOrderValue(orders, march)).toEqual({ value: 1560, numerator: 7800, denominator: 5 });
    expect(computePurchaseFrequency(orders, march)).toEqual({ value: 1.25, numerator: 5, denominator: 4 });
  });

  it('an empty period has revenue 0 but no average', () => {
    expect(computeRevenue(orders, empty)).toEqual({ value: 0 });
    expect(computeOrderCount(orders, empty)).toEqual({ value: 0 });
    expect(computeActiveCustomers(orders, empty)).toEqual({ value: 0 });
    expect(computeAverageOrderValue(orders, empty)).toEqual({ value: null, numerator: 0, denominator: 0 });
    expect(computePurchaseFrequency(orders, empty)).toEqual({ value: null, numerator: 0, denominator: 0 });
  });

  it('a period containing only refunded orders has no customers', () => {
    const refunds = [order('a', '2024-03-02', 100, 'refunded'), order('b', '2024-03-03', 200, 'refunded')];
    expect(computeRevenue(refunds, march)).toEqual({ value: 0 });
    expect(computeActiveCustomers(refunds, march)).toEqual({ value: 0 });
  });

  it('a canceled order is no purchase either', () => {
    const mixed = [order('a', '2024-03-02', 100, 'canceled'), order('b', '2024-03-03', 200, 'paid')];
    expect(computeRevenue(mixed, march)).toEqual({ value: 200 });
    expect(computeOrderCount(mixed, march)).toEqual({ value: 1 });
    expect(computeActiveCustomers(mixed, march)).toEqual({ value: 1 });
  });

  it('an order of amount 0 (fully discounted, or refunded to nothing but not marked refunded) still counts', () => {
    const zero = [order('a', '2024-03-02', 0, 'partially_refunded')];
    expect(computeOrderCount(zero, march)).toEqual({ value: 1 });
    expect(computeAverageOrderValue(zero, march)).toEqual({ value: 0, numerator: 0, denominator: 1 });
  });

  it('the previous period and the change against it', () => {
    const prev = previousPeriod(march); // ann 1000 (02-10), bob 3000 (02-15); gus's 01-29 is a day too early
    expect(computeRevenue(orders, prev)).toEqual({ value: 4000 });
    expect(compareValues(computeRevenue(orders, march), computeRevenue(orders, prev))).toEqual({
      current: 7800,
      previous: 4000,
      absolute: 3800,
      relative: 0.95,
    });
  });
});

describe('repeat purchase rate', () => {
  it('the share of the period’s customers with two or more counted orders in it', () => {
    // ann (2 orders) of ann, cat (the refund does not make a second order), dan, gus (one order in March)
    expect(computeRepeatPurchaseRate(orders, march)).toEqual({ value: 0.25, numerator: 1, denominator: 4 });
  });

  it('all time: customers with two or more counted orders / all customers', () => {
    // ann 3, bob 1, cat 1, dan 1, eve 1, gus 2; fay never bought
    expect(computeRepeatPurchaseRate(orders, 'all_time')).toEqual({ value: 2 / 6, numerator: 2, denominator: 6 });
  });

  it('null without customers', () => {
    expect(computeRepeatPurchaseRate(orders, empty)).toEqual({ value: null, numerator: 0, denominator: 0 });
    expect(computeRepeatPurchaseRate([], 'all_time').value).toBeNull();
  });

  it('agrees with a count per person on random orders', () => {
    const arbOrder = fc.record({
      personId: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      placedAt: fc.date({ min: at('2024-01-01'), max: at('2024-06-01'), noInvalidDate: true }),
      amountMinor: fc.nat(10_000),
      status: fc.constantFrom<OrderStatus>('placed', 'paid', 'refunded', 'partially_refunded'),
    });
    fc.assert(
      fc.property(fc.array(arbOrder, { maxLength: 40 }), (os) => {
        const counts: Record<string, number> = {};
        for (const o of os) {
          const t = o.placedAt.getTime();
          if (o.status !== 'refunded' && t >= march.from.getTime() && t < march.to.getTime()) {
            counts[o.personId] = (counts[o.personId] ?? 0) + 1;
          }
        }
        const people = Object.values(counts);
        const got = computeRepeatPurchaseRate(os, march);
        expect(got.denominator).toBe(people.length);
        expect(got.numerator).toBe(people.filter((n) => n > 1).length);
      }),
    );
  });
});

describe('retention rate', () => {
  it('of the previous period’s customers, the share active again in this period', () => {
    // previous period: ann, bob; March: ann again. gus (01-29) was not active in the previous period.
    expect(computeRetentionRate(orders, march)).toEqual({ value: 0.5, numerator: 1, denominator: 2 });
  });

  it('null when nobody bought in the previous period, 0 when nobody came back', () => {
    expect(computeRetentionRate(orders, period('2024-01-01', '2024-01-15'))).toEqual({
      value: null,
      numerator: 0,
      denominator: 0,
    });
    // previous of [04-01, 05-02) is [03-01, 04-01): ann, cat, dan, gus; only eve bought in April
    expect(computeRetentionRate(orders, period('2024-04-01', '2024-05-02'))).toEqual({
      value: 0,
      numerator: 0,
      denominator: 4,
    });
  });

  it('a refunded order does not make a customer active in either period', () => {
    const os = [order('a', '2024-02-10', 100), order('a', '2024-03-10', 100, 'refunded')];
    expect(computeRetentionRate(os, march)).toEqual({ value: 0, numerator: 0, denominator: 1 });
  });
});

describe('churn rate, non-contractual', () => {
  it('default window 90 days: base = last order before from within 90 days; nobody has lapsed by to', () => {
    // base: ann (02-10), bob (02-15), gus (01-29) — all within [2023-12-02, 03-01); ann and gus bought again.
    // bob's 90 days run to 05-15, after 04-01: lapsing, not churned.
    expect(computeChurnRate(orders, march)).toEqual({
      value: 0,
      numerator: 0,
      denominator: 3,
      windowDays: 90,
      returned: 2,
      lapsing: 1,
    });
  });

  it('a 30-day window: gus is out of the base, bob has churned', () => {
    // window [01-31, 03-01): ann, bob. bob's last order + 30 days = 03-16 <= 04-01.
    expect(computeChurnRate(orders, march, { windowDays: 30 })).toEqual({
      value: 0.5,
      numerator: 1,
      denominator: 2,
      windowDays: 30,
      returned: 1,
      lapsing: 0,
    });
  });

  it('boundaries: last order exactly W days before from is in the base; last + W exactly at to is churned', () => {
    const p = period('2024-03-01', '2024-03-11');
    const os = [
      order('edge_in', '2024-02-20', 1), // from − 10 days: in the base; + 10 days = 03-01 <= to: churned
      order('edge_out', '2024-02-19T23:59:59.999', 1), // just before from − W: not in the base
      order('at_to', '2024-03-01T00:00', 1, 'paid'), // buys at from: not in the base (no order before from)
    ];
    expect(computeChurnRate(os, p, { windowDays: 10 })).toMatchObject({ numerator: 1, denominator: 1 });
    const q = period('2024-03-01', '2024-03-05');
    const os2 = [order('x', '2024-02-24', 1)]; // + 10 days = 03-05 = to: churned exactly at the end
    expect(computeChurnRate(os2, q, { windowDays: 10 })).toMatchObject({ value: 1, lapsing: 0 });
    const os3 = [order('x', '2024-02-24T00:00:00.001', 1)]; // 1 ms later: still inside its window at to
    expect(computeChurnRate(os3, q, { windowDays: 10 })).toMatchObject({ value: 0, lapsing: 1 });
  });

  it('the last order before from decides, not an earlier one; refunds do not count', () => {
    const os = [
      order('a', '2023-01-01', 1),
      order('a', '2024-02-20', 1, 'refunded'), // would put a in the base if it counted
    ];
    expect(computeChurnRate(os, march, { windowDays: 30 })).toMatchObject({ value: null, denominator: 0 });
  });

  it('refuses a window that is not a whole number of days >= 1', () => {
    expect(() => computeChurnRate(orders, march, { windowDays: 0 })).toThrow(RangeError);
    expect(() => computeChurnRate(orders, march, { windowDays: 1.5 })).toThrow(RangeError);
  });
});

describe('churn rate, contractual', () => {
  const sub = (id: string, started: string, canceled: string | null, mrrMinor: number): SubscriptionFact => ({
    personId: id,
    startedAt: at(started),
    canceledAt: canceled === null ? null : at(canceled),
    mrrMinor,
  });
  const subs = [
    sub('s1', '2024-01-01', null, 1000), // active throughout
    sub('s2', '2024-02-01', '2024-03-10', 2000), // churned
    sub('s3', '2024-02-01', '2024-03-01', 500), // canceled at from: active at from, churned in the period
    sub('s4', '2024-02-01', '2024-02-28', 9000), // gone before from
    sub('s5', '2024-03-01', null, 9000), // starts at from: new, not in the base
    sub('s6', '2024-01-15', '2024-04-01', 700), // canceled at to: after the period
  ];

  it('of the subscriptions active at from, the share canceled within the period; the MRR split alike', () => {
    expect(computeSubscriptionChurnRate(subs, march)).toEqual({
      value: 0.5,
      numerator: 2,
      denominator: 4,
      mrrBaseMinor: 4200,
      mrrChurnedMinor: 2500,
      mrrChurnRate: 2500 / 4200,
    });
  });

  it('null without subscriptions active at from', () => {
    expect(computeSubscriptionChurnRate([], march)).toEqual({
      value: null,
      numerator: 0,
      denominator: 0,
      mrrBaseMinor: 0,
      mrrChurnedMinor: 0,
      mrrChurnRate: null,
    });
    expect(computeSubscriptionChurnRate([sub('free', '2024-01-01', null, 0)], march)).toMatchObject({
      value: 0,
      mrrChurnRate: null,
    });
  });

  it('refuses a cancellation before the start', () => {
    expect(() => computeSubscriptionChurnRate([sub('x', '2024-02-01', '2024-01-01', 1)], march)).toThrow(/canceledAt/);
  });
});

describe('NPS and CSAT', () => {
  const fb = (when: string, kind: 'nps' | 'csat', score: number): FeedbackFact => ({ at: at(when), kind, score });
  const feedback = [
    ...[10, 9, 8, 7, 6, 0, 9].map((s) => fb('2024-03-10', 'nps', s)),
    fb('2024-04-01', 'nps', 0), // after the period
    fb('2024-02-29T23:59:59.999', 'nps', 0), // before it
    ...[5, 4, 3, 1, 4].map((s) => fb('2024-03-12', 'csat', s)),
    fb('2024-04-01', 'csat', 1),
  ];

  it('NPS = 100 × (promoters − detractors) / responses', () => {
    // promoters 10, 9, 9; passives 8, 7; detractors 6, 0
    expect(computeNps(feedback, march)).toEqual({
      value: 100 / 7,
      numerator: 1,
      denominator: 7,
      promoters: 3,
      passives: 2,
      detractors: 2,
    });
  });

  it('NPS spans −100 to 100', () => {
    expect(computeNps([fb('2024-03-02', 'nps', 6), fb('2024-03-03', 'nps', 0)], march).value).toBe(-100);
    expect(computeNps([fb('2024-03-02', 'nps', 9), fb('2024-03-03', 'nps', 10)], march).value).toBe(100);
    expect(computeNps([fb('2024-03-02', 'nps', 7), fb('2024-03-03', 'nps', 8)], march).value).toBe(0);
  });

  it('CSAT = share of responses scoring 4 or 5', () => {
    expect(computeCsat(feedback, march)).toEqual({ value: 0.6, numerator: 3, denominator: 5 });
  });

  it('before any feedback both are null, not zero', () => {
    expect(computeCsat([], march)).toEqual({ value: null, numerator: 0, denominator: 0 });
    expect(computeNps([], march).value).toBeNull();
    // CSAT responses only: NPS has no responses
    expect(computeNps([fb('2024-03-12', 'csat', 5)], march).value).toBeNull();
  });

  it('refuses scores out of range or fractional', () => {
    expect(() => computeNps([fb('2024-03-02', 'nps', 11)], march)).toThrow(/0 to 10/);
    expect(() => computeNps([fb('2024-03-02', 'nps', 9.5)], march)).toThrow(/0 to 10/);
    expect(() => computeCsat([fb('2024-03-02', 'csat', 0)], march)).toThrow(/1 to 5/);
    expect(() => computeCsat([fb('2024-03-02', 'csat', 6)], march)).toThrow(/1 to 5/);
  });
});

describe('response and resolution times', () => {
  const tk = (created: string, frs: number | null, resolved: string | null, res: number | null): TicketFact => ({
    createdAt: at(created),
    firstResponseSeconds: frs,
    resolvedAt: resolved === null ? null : at(resolved),
    resolutionSeconds: res,
  });
  const tickets = [
    tk('2024-03-01', 60, '2024-03-02', 3600),
    tk('2024-03-05', 120, '2024-04-02', 999_999), // resolved after March
    tk('2024-03-10', null, null, null), // no response yet
    tk('2024-02-25', 10, '2024-03-03', 7200), // created before March, resolved in it
    tk('2024-03-20', 30, '2024-03-21', 1800),
    tk('2024-04-01', 5, null, null), // created after March
    tk('2024-03-25', null, '2024-03-31T23:59:59', 2400), // solved without a reply
  ];

  it('first response: tickets created in the period with a response; odd count', () => {
    expect(computeFirstResponseTime(tickets, march)).toEqual({
      value: 60,
      medianSeconds: 60,
      meanSeconds: 70,
      sumSeconds: 210,
      count: 3,
    });
  });

  it('resolution: tickets resolved in the period; even count takes the mean of the middle two', () => {
    // 1800, 2400, 3600, 7200
    expect(computeResolutionTime(tickets, march)).toEqual({
      value: 3000,
      medianSeconds: 3000,
      meanSeconds: 3750,
      sumSeconds: 15_000,
      count: 4,
    });
  });

  it('an empty period has count 0 and no median or mean', () => {
    expect(computeFirstResponseTime(tickets, empty)).toEqual({
      value: null,
      medianSeconds: null,
      meanSeconds: null,
      sumSeconds: 0,
      count: 0,
    });
  });

  it('a response time of 0 is a value, not a missing one', () => {
    expect(durationStats([0])).toMatchObject({ value: 0, meanSeconds: 0, count: 1 });
  });

  it('sorts numerically, not as text', () => {
    expect(durationStats([100, 9, 20]).medianSeconds).toBe(20);
  });

  it('refuses negative durations', () => {
    expect(() => computeFirstResponseTime([tk('2024-03-01', -1, null, null)], march)).toThrow(/firstResponseSeconds/);
  });
});

describe('customer lifetime value, historical', () => {
  it('net revenue of all counted orders before asOf / the people who placed them', () => {
    // ann 3500, bob 3000, cat 4000, dan 100, gus 2000; eve's order is at asOf (excluded), fay only refunded
    expect(computeHistoricalClv(orders, march.to)).toEqual({ value: 2520, numerator: 12_600, denominator: 5 });
    expect(computeHistoricalClv(orders, at('2024-04-01T00:00:00.001'))).toEqual({
      value: 19_600 / 6,
      numerator: 19_600,
      denominator: 6,
    });
  });

  it('null before the first order', () => {
    expect(computeHistoricalClv(orders, at('2024-01-01'))).toEqual({ value: null, numerator: 0, denominator: 0 });
  });
});

describe('tenure', () => {
  it('mean whole days from the first counted order ever to `to`, over the period’s customers', () => {
    // ann 02-10 → 04-01: 51 days (2024 is a leap year); cat 03-10: 22; dan 03-31T23:59:59.999: 0; gus 01-29: 63
    expect(computeTenure(orders, march)).toEqual({ value: 34, numerator: 136, denominator: 4 });
  });

  it('a refunded first order does not start the tenure', () => {
    const os = [order('a', '2024-01-01', 1, 'refunded'), order('a', '2024-03-30', 1)];
    expect(computeTenure(os, march)).toEqual({ value: 2, numerator: 2, denominator: 1 });
  });

  it('null when nobody was active', () => {
    expect(computeTenure(orders, empty).value).toBeNull();
  });
});

describe('compareValues', () => {
  it('absolute and relative change', () => {
    expect(compareValues(10, 8)).toEqual({ current: 10, previous: 8, absolute: 2, relative: 0.25 });
    expect(compareValues(6, 8)).toEqual({ current: 6, previous: 8, absolute: -2, relative: -0.25 });
  });

  it('relative to the size of a negative previous value, so the sign says which way it went', () => {
    expect(compareValues(-10, -20)).toEqual({ current: -10, previous: -20, absolute: 10, relative: 0.5 });
  });

  it('no relative change from 0, no change at all from or to nothing', () => {
    expect(compareValues(10, 0)).toEqual({ current: 10, previous: 0, absolute: 10, relative: null });
    expect(compareValues(5, null)).toEqual({ current: 5, previous: null, absolute: null, relative: null });
    expect(compareValues(null, 5)).toEqual({ current: null, previous: 5, absolute: null, relative: null });
  });

  it('takes metric results as they are', () => {
    expect(compareValues({ value: 0.6 }, { value: null }).relative).toBeNull();
    expect(compareValues(computeCsat([], march), computeCsat([], previousPeriod(march))).current).toBeNull();
  });
});
