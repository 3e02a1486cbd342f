import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accuracyAt, brierScore, expectedCalibrationError, logLoss, reliabilityTable, rocAuc } from './roc.ts';

/** The definition: the share of (positive, negative) pairs the positive wins, ties counting a half. O(n²). */
function pairwiseAuc(scores: number[], outcomes: number[]): number | null {
  let wins = 0;
  let pairs = 0;
  scores.forEach((sp, i) => {
    if (outcomes[i] !== 1) return;
    scores.forEach((sn, j) => {
      if (outcomes[j] !== 0) return;
      pairs++;
      wins += sp > sn ? 1 : sp === sn ? 0.5 : 0;
    });
  });
  return pairs === 0 ? null : wins / pairs;
}

describe('ROC AUC', () => {
  it('matches a hand count on a small set', () => {
    // Positives 0.35 and 0.8; negatives 0.1 and 0.4. Pairs won: 0.35>0.1, 0.8>0.1, 0.8>0.4 → 3 of 4.
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.1], [0, 0, 1])).toBe(0);
  });

  it('counts ties as one half', () => {
    // Positives 0.5 and 0.9; negatives 0.5 and 0.5: 0.5 ties both (1), 0.9 beats both (2) → 3 of 4.
    expect(rocAuc([0.5, 0.5, 0.5, 0.9], [0, 1, 0, 1])).toBe(0.75);
    expect(rocAuc([3, 3, 3, 3], [0, 1, 1, 0])).toBe(0.5);
  });

  it('is undefined without both classes', () => {
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNull();
    expect(rocAuc([], [])).toBeNull();
    expect(() => rocAuc([Number.NaN, 1], [0, 1])).toThrow(/not a number/);
  });

  it('equals the pairwise definition (ranks with ties) on random sets', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 1 })), { maxLength: 60 }),
        (pairs) => {
          const scores = pairs.map(([s]) => s / 3);
          const outcomes = pairs.map(([, y]) => y);
          const fast = rocAuc(scores, outcomes);
          const slow = pairwiseAuc(scores, outcomes);
          if (slow === null) expect(fast).toBeNull();
          else expect(fast).toBeCloseTo(slow, 12);
        },
      ),
    );
  });

  it('depends only on the order of the scores; reversing them gives 1 − AUC', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -500, max: 500 }), fc.integer({ min: 0, max: 1 })), {
          minLength: 2,
          maxLength: 40,
        }),
        (pairs) => {
          // Scores 0.01 apart, so the transforms below cannot round two of them together.
          const scores = pairs.map(([s]) => s / 100);
          const outcomes = pairs.map(([, y]) => y);
          const auc = rocAuc(scores, outcomes);
          if (auc === null) return;
          expect(
            rocAuc(
              scores.map((s) => Math.exp(s) * 2 + 1),
              outcomes,
            ),
          ).toBeCloseTo(auc, 12);
          expect(
            rocAuc(
              scores.map((s) => -s),
              outcomes,
            ),
          ).toBeCloseTo(1 - auc, 12);
        },
      ),
    );
  });
});

describe('Brier score, log loss, accuracy', () => {
  it('match hand computations', () => {
    // (0.1−0)² + (0.9−1)² + (0.6−0)² = 0.01 + 0.01 + 0.36 → / 3
    expect(brierScore([0.1, 0.9, 0.6], [0, 1, 0])).toBeCloseTo(0.38 / 3, 15);
    expect(logLoss([0.8, 0.25], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.75)) / 2, 15);
    // A sure miss is large but finite.
    expect(logLoss([0], [1])).toBeCloseTo(-Math.log(1e-15), 6);
    expect(accuracyAt([0.2, 0.5, 0.7, 0.4], [0, 1, 0, 0])).toBe(0.75);
  });
});

describe('reliability table', () => {
  it('bins predictions and compares the mean prediction with the observed rate', () => {
    const p = [0.05, 0.07, 0.31, 0.35, 0.39, 1];
    const y = [0, 1, 0, 1, 1, 1];
    const table = reliabilityTable(p, y, 10);
    expect(table).toHaveLength(3);
    expect(table[0]).toMatchObject({ from: 0, to: 0.1, count: 2, observedRate: 0.5 });
    expect(table[0]!.meanPredicted).toBeCloseTo(0.06, 12);
    expect(table[1]).toMatchObject({ from: 0.3, count: 3 });
    expect(table[1]!.observedRate).toBeCloseTo(2 / 3, 12);
    expect(table[1]!.meanPredicted).toBeCloseTo(0.35, 12);
    // p = 1 falls in the last bin.
    expect(table[2]).toMatchObject({ from: 0.9, to: 1, count: 1, meanPredicted: 1, observedRate: 1 });
    // ECE = (2·|0.06 − 0.5| + 3·|0.35 − 2/3| + 1·0) / 6
    expect(expectedCalibrationError(table)).toBeCloseTo((2 * 0.44 + 3 * (2 / 3 - 0.35)) / 6, 12);
  });
});
