import { describe, expect, it } from 'vitest';
import { computeCohorts, monthLabel, utcMonthIndex } from './cohorts.ts';
import type { OrderFact, OrderStatus } from './metrics.ts';

const at = (s: string) => new Date(s.length === 10 ? `${s}T00:00:00.000Z` : `${s}Z`);
const order = (personId: string, when: string, amountMinor: number, status: OrderStatus = 'paid'): OrderFact => ({
  personId,
  placedAt: at(when),
  amountMinor,
  status,
});

const orders: OrderFact[] = [
  order('ann', '2024-01-15', 100),
  order('ann', '2024-01-20', 50),
  order('ann', '2024-03-02', 200),
  order('bob', '2024-01-31T23:59:59.999', 300), // still January in UTC
  order('bob', '2024-02-01', 400),
  order('cat', '2024-01-05', 999, 'refunded'), // does not make cat a January customer
  order('cat', '2024-02-10', 500),
  order('dan', '2024-02-29', 50),
  order('dan', '2024-04-15', 70),
  order('eve', '2024-05-01', 10),
];

describe('utc months', () => {
  it('indexes and labels UTC calendar months', () => {
    expect(utcMonthIndex(at('2024-01-31T23:59:59.999').getTime())).toBe(2024 * 12);
    expect(utcMonthIndex(at('2024-02-01').getTime())).toBe(2024 * 12 + 1);
    expect(monthLabel(2024 * 12 + 11)).toBe('2024-12');
    expect(monthLabel(1997 * 12)).toBe('1997-01');
  });
});

describe('monthly acquisition cohorts', () => {
  it('cohort = month of the first counted order; cells = people buying k months later, and their revenue', () => {
    // to = 03-15: March is observed (partially), April is not. dan's April and eve's May orders are after `to`.
    const c = computeCohorts(orders, { to: at('2024-03-15') });
    expect(c.cohorts).toEqual(['2024-01', '2024-02']);
    expect(c.sizes).toEqual([2, 2]); // ann, bob | cat, dan
    expect(c.offsets).toBe(3);
    expect(c.customers).toEqual([
      [2, 1, 1], // Jan: ann+bob; Feb: bob; Mar: ann
      [2, 0, null], // Feb: cat+dan; Mar: nobody (0, observed); Apr: not begun (null)
    ]);
    expect(c.retention).toEqual([
      [1, 0.5, 0.5],
      [1, 0, null],
    ]);
    expect(c.revenueMinor).toEqual([
      [450, 400, 200],
      [550, 0, null],
    ]);
  });

  it('`to` at a month start leaves that month unobserved; orders at `to` are out', () => {
    const c = computeCohorts([...orders, order('ann', '2024-04-01', 5)], { to: at('2024-04-01') });
    expect(c.offsets).toBe(3);
    expect(c.customers[0]).toEqual([2, 1, 1]);
  });

  it('later months fill in, each person once per cell however many orders', () => {
    const c = computeCohorts([...orders, order('dan', '2024-04-20', 30)], { to: at('2024-05-01') });
    expect(c.offsets).toBe(4);
    expect(c.customers).toEqual([
      [2, 1, 1, 0],
      [2, 0, 1, null],
    ]);
    expect(c.revenueMinor[1]).toEqual([550, 0, 100, null]);
  });

  it('rows are only the months in which somebody was acquired', () => {
    const c = computeCohorts([order('a', '2024-01-10', 1), order('b', '2024-03-10', 2), order('a', '2024-03-11', 3)], {
      to: at('2024-04-01'),
    });
    expect(c.cohorts).toEqual(['2024-01', '2024-03']);
    expect(c.customers).toEqual([
      [1, 0, 1],
      [1, null, null],
    ]);
  });

  it('maxOffset caps the columns', () => {
    const c = computeCohorts(orders, { to: at('2024-06-01'), maxOffset: 1 });
    expect(c.offsets).toBe(2);
    expect(c.cohorts).toEqual(['2024-01', '2024-02', '2024-05']);
    expect(c.customers).toEqual([
      [2, 1],
      [2, 0],
      [1, null],
    ]);
    expect(() => computeCohorts(orders, { to: at('2024-06-01'), maxOffset: -1 })).toThrow(RangeError);
  });

  it('no counted orders: an empty matrix', () => {
    expect(computeCohorts([order('x', '2024-01-01', 1, 'refunded')], { to: at('2024-06-01') })).toEqual({
      cohorts: [],
      sizes: [],
      offsets: 0,
      customers: [],
      retention: [],
      revenueMinor: [],
    });
  });
});
