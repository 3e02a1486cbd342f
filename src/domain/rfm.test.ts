import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderFact, OrderStatus } from './metrics.ts';
import {
  computeRfm,
  quintileScores,
  rfmSegmentGrid,
  rfmSegmentLabels,
  rfmSegmentOf,
  rfmSegments,
  summarizeRfm,
  type RfmScore,
} from './rfm.ts';

const at = (s: string) => new Date(s.length === 10 ? `${s}T00:00:00.000Z` : `${s}Z`);
const order = (personId: string, when: string, amountMinor: number, status: OrderStatus = 'paid'): OrderFact => ({
  personId,
  placedAt: at(when),
  amountMinor,
  status,
});

describe('quintile scores', () => {
  it('score = floor(5 × (rank − 1) / n) + 1, ties sharing the lowest rank', () => {
    // ascending: 1 ×5 → rank 1; 2 ×2 → rank 6; 3 → 8; 4 → 9; 9 → 10
    expect(quintileScores([1, 1, 1, 1, 1, 2, 2, 3, 4, 9], 'higher')).toEqual([1, 1, 1, 1, 1, 3, 3, 4, 5, 5]);
  });

  it('keeps the input order and reverses for lower-is-better', () => {
    expect(quintileScores([30, 10, 50, 20, 40], 'higher')).toEqual([3, 1, 5, 2, 4]);
    expect(quintileScores([30, 10, 50, 20, 40], 'lower')).toEqual([3, 5, 1, 4, 2]);
  });

  it('all tied, or a single customer: everyone scores 1', () => {
    expect(quintileScores([7, 7, 7], 'higher')).toEqual([1, 1, 1]);
    expect(quintileScores([7], 'lower')).toEqual([1]);
    expect(quintileScores([], 'higher')).toEqual([]);
  });

  it('agrees with rank() counted by hand, and better never scores lower', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 60 }), (xs) => {
        const n = xs.length;
        const scores = quintileScores(xs, 'higher');
        xs.forEach((x, i) => {
          const rank = 1 + xs.filter((y) => y < x).length;
          expect(scores[i]).toBe(Math.floor((5 * (rank - 1)) / n) + 1);
          xs.forEach((y, j) => {
            if (y > x) expect(scores[j]).toBeGreaterThanOrEqual(scores[i]!);
            if (y === x) expect(scores[j]).toBe(scores[i]);
          });
        });
      }),
    );
  });
});

describe('computeRfm', () => {
  const asOf = at('2024-04-01');
  const orders = [
    order('a', '2024-03-31T12:00', 200), // 12 h before asOf: recency 0 days
    order('a', '2024-03-01', 100),
    order('b', '2024-03-31', 100), // exactly 1 day
    order('c', '2024-03-25', 100),
    order('c', '2024-03-10', 100),
    order('c', '2024-02-01', 100),
    order('d', '2024-03-25T18:00', 50), // 6 days 6 hours: 6
    ...['2024-01-01', '2023-12-01', '2023-11-01', '2023-10-01', '2023-09-01'].map((d) => order('e', d, 200)),
    order('f', '2024-03-31T18:00', 50),
    order('f', '2024-03-31T23:00', 500, 'refunded'), // not counted: neither recency nor money
    order('f', '2024-04-01', 900), // at asOf: after
    order('g', '2024-04-02', 900), // only after asOf: not a customer yet
  ];

  it('measures, scores with ties and segments', () => {
    const rows = computeRfm(orders, asOf);
    const brief = rows.map((r) => [r.personId, r.recencyDays, r.frequency, r.monetaryMinor, r.r, r.f, r.m, r.segment]);
    // n = 6. Recency days a0 b1 c7 d6 e91 f0 — worst first e c d b (a f): ranks 1 2 3 4 5 5 → R 1 1 2 3 4 4.
    // Frequency a2 b1 c3 d1 e5 f1 — ascending (b d f) a c e: ranks 1 1 1 4 5 6 → F 1 1 1 3 4 5.
    // Monetary a300 b100 c300 d50 e1000 f50 — ascending (d f) b (a c) e: ranks 1 1 3 4 4 6 → M 1 1 2 3 3 5.
    expect(brief).toEqual([
      ['a', 0, 2, 300, 4, 3, 3, 'potential_loyalists'],
      ['b', 1, 1, 100, 3, 1, 2, 'hibernating'],
      ['c', 7, 3, 300, 1, 4, 3, 'at_risk'],
      ['d', 6, 1, 50, 2, 1, 1, 'hibernating'],
      ['e', 91, 5, 1000, 1, 5, 5, 'cant_lose'],
      ['f', 0, 1, 50, 4, 1, 1, 'new'],
    ]);
    expect(rows[5]!.lastOrderAt).toEqual(at('2024-03-31T18:00'));
  });

  it('summarises the R×F cells and segments', () => {
    const s = summarizeRfm(computeRfm(orders, asOf));
    expect(s.customers).toBe(6);
    expect(s.cells[0]).toEqual([0, 0, 0, 1, 1]); // R1: c (F4), e (F5)
    expect(s.cells[3]).toEqual([1, 0, 1, 0, 0]); // R4: f (F1), a (F3)
    expect(s.segments).toEqual({
      champions: 0,
      loyal: 0,
      potential_loyalists: 1,
      new: 1,
      at_risk: 1,
      cant_lose: 1,
      hibernating: 2,
      lost: 0,
    });
  });

  it('nobody before the first order', () => {
    expect(computeRfm(orders, at('2023-01-01'))).toEqual([]);
  });
});

describe('segment grid', () => {
  it('maps each of the 25 R×F cells to exactly one of the eight segments, and uses all eight', () => {
    expect(rfmSegmentGrid).toHaveLength(5);
    const used = new Set<string>();
    for (let r = 1; r <= 5; r++) {
      expect(rfmSegmentGrid[r - 1]).toHaveLength(5);
      for (let f = 1; f <= 5; f++) {
        const s = rfmSegmentOf(r as RfmScore, f as RfmScore);
        expect(rfmSegments).toContain(s);
        used.add(s);
      }
    }
    expect([...used].sort()).toEqual([...rfmSegments].sort());
    expect(rfmSegmentOf(5, 5)).toBe('champions');
    expect(rfmSegmentOf(1, 1)).toBe('lost');
    expect(rfmSegmentOf(5, 1)).toBe('new');
    expect(rfmSegmentOf(1, 5)).toBe('cant_lose');
  });

  it('is the table written in docs/metrics.md', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/metrics.md'), 'utf8');
    const byLabel = new Map(Object.entries(rfmSegmentLabels).map(([k, v]) => [v, k]));
    const rows = new Map<number, string[]>();
    for (const line of doc.split('\n')) {
      const m = /^\s*\|\s*\*\*R([1-5])\*\*\s*\|(.*)\|\s*$/.exec(line);
      if (m)
        rows.set(
          Number(m[1]),
          m[2]!.split('|').map((c) => byLabel.get(c.trim()) ?? `?${c.trim()}`),
        );
    }
    expect(rows.size).toBe(5);
    for (let r = 1; r <= 5; r++) expect(rows.get(r)).toEqual(rfmSegmentGrid[r - 1]);
  });
});
