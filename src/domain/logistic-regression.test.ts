import { describe, expect, it } from 'vitest';
import { seededRandom } from './churn-model.ts';
import {
  applyPlatt,
  choleskySolve,
  fitLogisticRegression,
  fitPlatt,
  logit,
  sigmoid,
  softplus,
  type DesignMatrix,
} from './logistic-regression.ts';

const matrix = (rows: number[][]): DesignMatrix => ({
  rows: rows.length,
  cols: rows[0]?.length ?? 0,
  values: Float64Array.from(rows.flat()),
});

/** Residuals of the score equations: [Σ(t − p), X'(t − p) − λw]; all zero at the penalised maximum likelihood. */
function scoreResiduals(x: DesignMatrix, t: number[], intercept: number, w: Float64Array, l2: number): number[] {
  const res = new Array<number>(x.cols + 1).fill(0);
  for (let i = 0; i < x.rows; i++) {
    let z = intercept;
    for (let j = 0; j < x.cols; j++) z += x.values[i * x.cols + j]! * w[j]!;
    const r = t[i]! - sigmoid(z);
    res[0]! += r;
    for (let j = 0; j < x.cols; j++) res[j + 1]! += x.values[i * x.cols + j]! * r;
  }
  for (let j = 0; j < x.cols; j++) res[j + 1]! -= l2 * w[j]!;
  return res;
}

describe('numerically safe pieces', () => {
  it('sigmoid, softplus and logit stay finite at the extremes', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(-30)).toBeCloseTo(Math.exp(-30), 25);
    expect(softplus(0)).toBeCloseTo(Math.LN2, 15);
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    expect(softplus(-40)).toBeCloseTo(Math.exp(-40), 30);
    expect(logit(0.5)).toBe(0);
    expect(logit(sigmoid(3.7))).toBeCloseTo(3.7, 12);
  });

  it('Cholesky solves a positive definite system and refuses an indefinite one', () => {
    // A = [[4,2,0],[2,5,1],[0,1,3]], x = [1,−1,2] → b = A x = [2,−1,5]
    const a = Float64Array.from([4, 2, 0, 2, 5, 1, 0, 1, 3]);
    const x = choleskySolve(a, 3, Float64Array.from([2, -1, 5]));
    expect(x).not.toBeNull();
    expect([...x!].map((v) => Number(v.toFixed(12)))).toEqual([1, -1, 2]);
    expect(choleskySolve(Float64Array.from([1, 2, 2, 1]), 2, Float64Array.from([1, 1]))).toBeNull();
  });
});

describe('logistic regression', () => {
  it('without a penalty, a single 0/1 feature gives the two groups’ log-odds exactly', () => {
    // Group x = 0: 2 positives of 10 (rate 0.2); group x = 1: 7 of 10 (rate 0.7).
    const rows: number[][] = [];
    const t: number[] = [];
    for (let i = 0; i < 10; i++) {
      rows.push([0]);
      t.push(i < 2 ? 1 : 0);
      rows.push([1]);
      t.push(i < 7 ? 1 : 0);
    }
    const fit = fitLogisticRegression(matrix(rows), t, { l2: 0 });
    expect(fit.converged).toBe(true);
    expect(fit.intercept).toBeCloseTo(Math.log(0.2 / 0.8), 10);
    expect(fit.weights[0]).toBeCloseTo(Math.log(0.7 / 0.3) - Math.log(0.2 / 0.8), 10);
  });

  it('on separable data the penalty keeps the solution finite, where w = 2σ(−w) ≈ 0.6748 (hand-derived)', () => {
    // x = −1 → 0, x = +1 → 1. By symmetry the intercept is 0; the score equation for w is
    // (−1)(0 − σ(−w)) + (1)(1 − σ(w)) = λw, i.e. 2σ(−w) = w with λ = 1. Solve it by bisection.
    let lo = 0;
    let hi = 2;
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (2 * sigmoid(-mid) > mid) lo = mid;
      else hi = mid;
    }
    const fit = fitLogisticRegression(matrix([[-1], [1]]), [0, 1], { l2: 1 });
    expect(fit.converged).toBe(true);
    expect(fit.intercept).toBeCloseTo(0, 12);
    expect(fit.weights[0]).toBeCloseTo(lo, 12);
    expect(lo).toBeCloseTo(0.6748, 4); // 2σ(−0.6748) = 2 × 0.3374
  });

  it('satisfies the score equations X′(t − p) = λw on random data, for several penalties', () => {
    const random = seededRandom(42);
    const n = 400;
    const d = 5;
    const rows: number[][] = [];
    const t: number[] = [];
    const truth = [1.5, -2, 0.5, 0, 0.8];
    for (let i = 0; i < n; i++) {
      const row = Array.from({ length: d }, () => random() * 2 - 1);
      // A 0/1 column, like a one-hot level.
      row[4] = random() < 0.3 ? 1 : 0;
      rows.push(row);
      const z = -0.4 + row.reduce((s, v, j) => s + v * truth[j]!, 0);
      t.push(random() < sigmoid(z) ? 1 : 0);
    }
    const x = matrix(rows);
    for (const l2 of [0, 0.1, 1, 25]) {
      const fit = fitLogisticRegression(x, t, { l2 });
      expect(fit.converged).toBe(true);
      expect(fit.iterations).toBeLessThan(20);
      for (const r of scoreResiduals(x, t, fit.intercept, fit.weights, l2)) expect(Math.abs(r)).toBeLessThan(1e-8);
      expect(fit.maxAbsGradient).toBeLessThan(1e-8);
    }
    // More penalty, smaller weights.
    const norm = (l2: number) => Math.hypot(...fitLogisticRegression(x, t, { l2 }).weights);
    expect(norm(25)).toBeLessThan(norm(1));
    expect(norm(1)).toBeLessThan(norm(0));
  });

  it('splits the weight equally between two identical columns (collinear one-hot levels) when penalised', () => {
    const random = seededRandom(7);
    const rows: number[][] = [];
    const t: number[] = [];
    for (let i = 0; i < 200; i++) {
      const v = random() < 0.5 ? 1 : 0;
      rows.push([v, v]);
      t.push(random() < (v ? 0.8 : 0.3) ? 1 : 0);
    }
    const fit = fitLogisticRegression(matrix(rows), t, { l2: 1 });
    expect(fit.converged).toBe(true);
    expect(fit.weights[0]).toBeCloseTo(fit.weights[1]!, 10);
    expect(fit.weights[0]).toBeGreaterThan(0);
  });

  it('survives a constant column and rows whose log-odds are huge', () => {
    const fit = fitLogisticRegression(
      matrix([
        [0, 50],
        [0, -50],
        [0, 49],
        [0, -48],
        [0, 1],
        [0, -1],
      ]),
      [1, 0, 1, 0, 0, 1],
      { l2: 0.01 },
    );
    expect(Number.isFinite(fit.intercept)).toBe(true);
    expect(Number.isFinite(fit.objective)).toBe(true);
    expect(fit.weights[0]).toBeCloseTo(0, 8);
  });
});

describe('Platt scaling', () => {
  it('recovers slope 1 and intercept 0 for scores that are already true log-odds', () => {
    const random = seededRandom(3);
    const scores: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const s = random() * 8 - 4;
      scores.push(s);
      y.push(random() < sigmoid(s) ? 1 : 0);
    }
    const c = fitPlatt(scores, y);
    expect(c.slope).toBeGreaterThan(0.9);
    expect(c.slope).toBeLessThan(1.1);
    expect(Math.abs(c.intercept)).toBeLessThan(0.1);
  });

  it('shrinks over-confident scores (slope < 1) and is monotone', () => {
    const random = seededRandom(5);
    const scores: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const s = random() * 4 - 2;
      scores.push(3 * s); // three times too confident
      y.push(random() < sigmoid(s) ? 1 : 0);
    }
    const c = fitPlatt(scores, y);
    expect(c.slope).toBeGreaterThan(0.25);
    expect(c.slope).toBeLessThan(0.42);
    let previous = -Infinity;
    for (let s = -10; s <= 10; s += 0.5) {
      const p = applyPlatt(c, s);
      expect(p).toBeGreaterThan(previous);
      previous = p;
    }
  });

  it('never reverses a ranking: scores that point the wrong way give the base rate', () => {
    const scores = [3, 2, 1, -1, -2, -3];
    const y = [0, 0, 0, 1, 1, 0];
    const c = fitPlatt(scores, y);
    expect(c.slope).toBe(0);
    // Platt's targets: positives (2 + 1)/(2 + 2), negatives 1/(4 + 2); their mean.
    expect(applyPlatt(c, 100)).toBeCloseTo((2 * 0.75 + 4 * (1 / 6)) / 6, 12);
  });
});
