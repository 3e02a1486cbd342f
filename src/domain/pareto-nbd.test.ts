/**
 * Pareto/NBD checked against the published figures on the CDNOW 1/10 sample (../shared/data/cdnow/SOURCE.md: Fader &
 * Hardie's parameters as lifetimes and CLVTools reproduce them, the R BTYD walkthrough), and independently: its
 * likelihood against a direct numerical integration over the customer's unobserved lifetime, a fit recovering the
 * parameters of simulated customers, and the limits P(alive) must keep.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fitParetoNbd,
  paretoNbdConditionalExpectedPurchases,
  paretoNbdCustomerLogLikelihood,
  paretoNbdExpectedPurchases,
  paretoNbdLogLikelihood,
  paretoNbdProbabilityAlive,
  type ParetoNbdParams,
} from './pareto-nbd.ts';
import { seededRandom } from './random.ts';
import { lnGamma } from './special.ts';

const file = path.resolve(import.meta.dirname, '../../../shared/data/cdnow/cdnow_customers_summary.csv');
const hasData = fs.existsSync(file);
// Outside CI a checkout without the shared data skips with a reason; in CI (CI=true) the absence fails the run.
if (!hasData && process.env.CI !== 'true') console.warn(`Pareto/NBD CDNOW tests skipped: ${file} not found`);

function expectSignificant(actual: number, expected: number, digits = 3) {
  const scale = 10 ** (Math.floor(Math.log10(Math.abs(expected))) - digits + 1);
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(scale / 2);
}

function readSummary() {
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  expect(lines[0]).toBe('ID,frequency,recency,T');
  const rows = lines.slice(1).map((l) => l.split(',').map(Number));
  return { x: rows.map((r) => r[1]!), tx: rows.map((r) => r[2]!), T: rows.map((r) => r[3]!) };
}

describe.runIf(hasData || process.env.CI === 'true')('Pareto/NBD on the CDNOW 1/10 sample', () => {
  const h = hasData ? readSummary() : { x: [], tx: [], T: [] };
  const fit = hasData ? fitParetoNbd(h) : null;

  it('fits r, α, s, β and the log-likelihood of Fader & Hardie to 3 significant digits', () => {
    expect(fit!.converged).toBe(true);
    expectSignificant(fit!.params.r, 0.553);
    expectSignificant(fit!.params.alpha, 10.578);
    expectSignificant(fit!.params.s, 0.606);
    expectSignificant(fit!.params.beta, 11.669);
    expectSignificant(fit!.logLikelihood, -9595.0, 5);
    // and CLVTools' more precise estimates
    expect(fit!.params.r).toBeCloseTo(0.55315, 3);
    expect(fit!.logLikelihood).toBeCloseTo(-9594.976, 1);
  });

  it('reproduces the BTYD walkthrough: P(alive) and E[Y(52)] for x=26, t_x=30.86, T=31', () => {
    const p: ParetoNbdParams = { r: 0.5534, alpha: 10.5802, s: 0.6061, beta: 11.6562 };
    expectSignificant(paretoNbdProbabilityAlive(p, 26, 30.86, 31), 0.9979, 4);
    expectSignificant(paretoNbdConditionalExpectedPurchases(p, 52, 26, 30.86, 31), 25.46);
  });

  it('reproduces the expected cumulative repeat purchases of weeks 20–25', () => {
    // Each customer's first purchase is T before the end of the 38⁶⁄₇ weeks (1997-01-01 … 1997-09-30).
    const end = 272 / 7;
    const births = h.T.map((T) => end - T);
    const cumulative = (week: number) =>
      births.reduce((sum, b) => sum + (b < week ? paretoNbdExpectedPurchases(fit!.params, week - b) : 0), 0);
    const expected = [1309, 1385, 1460, 1533, 1604, 1674];
    expected.forEach((v, i) => expect(Math.abs(cumulative(20 + i) - v), `week ${20 + i}`).toBeLessThan(0.01 * v));
  });
});

describe('Pareto/NBD', () => {
  const p: ParetoNbdParams = { r: 0.55, alpha: 10.6, s: 0.61, beta: 11.7 };

  it('has the likelihood of the story: integrating over the lifetime numerically gives the same value', () => {
    // L(λ, μ) = λ^x e^{−(λ+μ)T} + λ^x μ/(λ+μ) (e^{−(λ+μ)t_x} − e^{−(λ+μ)T}), mixed over the two gammas.
    const lnGammaPdf = (v: number, shape: number, rate: number) =>
      shape * Math.log(rate) - lnGamma(shape) + (shape - 1) * Math.log(v) - rate * v;
    const mixed = (params: ParetoNbdParams, x: number, tx: number, T: number) => {
      // Integrate on log-scale grids (the gamma densities have their mass over decades).
      const grid = (lo: number, hi: number, n: number) =>
        Array.from({ length: n }, (_, i) => Math.exp(lo + ((hi - lo) * (i + 0.5)) / n));
      const width = (lo: number, hi: number, n: number) => (hi - lo) / n;
      const lambdas = grid(-40, 4, 900);
      const mus = grid(-40, 4, 900);
      const dl = width(-40, 4, 900);
      const dm = width(-40, 4, 900);
      let sum = 0;
      for (const l of lambdas) {
        const wl = Math.exp(lnGammaPdf(l, params.r, params.alpha)) * l * dl;
        for (const m of mus) {
          const wm = Math.exp(lnGammaPdf(m, params.s, params.beta)) * m * dm;
          const k = l + m;
          const lik = l ** x * (Math.exp(-k * T) + (m / k) * (Math.exp(-k * tx) - Math.exp(-k * T)));
          sum += wl * wm * lik;
        }
      }
      return Math.log(sum);
    };
    for (const [x, tx, T] of [
      [0, 0, 30],
      [2, 10, 35],
      [7, 30.5, 38.9],
    ] as const) {
      for (const params of [p, { r: 0.9, alpha: 4, s: 1.3, beta: 2 }]) {
        // both branches: α < β and α ≥ β
        expect(paretoNbdCustomerLogLikelihood(params, x, tx, T)).toBeCloseTo(mixed(params, x, tx, T), 3);
      }
    }
  });

  it('P(alive) is 1 for a purchase at the end, and falls with the silence since the last purchase', () => {
    expect(paretoNbdProbabilityAlive(p, 3, 20, 20)).toBeCloseTo(1, 12);
    const values = [20, 25, 30, 35, 40].map((T) => paretoNbdProbabilityAlive(p, 3, 20, T));
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeLessThan(values[i - 1]!);
    // A new customer's conditional expectation is the unconditional one.
    expect(paretoNbdConditionalExpectedPurchases(p, 10, 0, 0, 0)).toBeCloseTo(paretoNbdExpectedPurchases(p, 10), 10);
  });

  it('recovers the parameters that generated 20,000 simulated customers', () => {
    const truth: ParetoNbdParams = { r: 0.8, alpha: 8, s: 0.7, beta: 12 };
    const random = seededRandom(7);
    // Gamma draws (Marsaglia–Tsang, with the boost for shapes below 1) and the purchase story over 52 weeks.
    const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const gamma = (shape: number): number => {
      if (shape < 1) return gamma(shape + 1) * random() ** (1 / shape);
      const d = shape - 1 / 3;
      const c = 1 / Math.sqrt(9 * d);
      for (;;) {
        const z = normal();
        const v = (1 + c * z) ** 3;
        if (v > 0 && Math.log(1 - random()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
      }
    };
    const x: number[] = [];
    const tx: number[] = [];
    const T: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const lambda = gamma(truth.r) / truth.alpha;
      const mu = gamma(truth.s) / truth.beta;
      const age = 52 * random();
      const life = -Math.log(1 - random()) / mu;
      let t = 0;
      let n = 0;
      let last = 0;
      for (;;) {
        t += -Math.log(1 - random()) / lambda;
        if (t > Math.min(age, life)) break;
        n++;
        last = t;
      }
      x.push(n);
      tx.push(last);
      T.push(age);
    }
    const f = fitParetoNbd({ x, tx, T });
    expect(f.converged).toBe(true);
    expect(f.params.r).toBeGreaterThan(0.7);
    expect(f.params.r).toBeLessThan(0.9);
    expect(f.params.s).toBeGreaterThan(0.5);
    expect(f.params.s).toBeLessThan(0.9);
    expect(f.params.alpha / truth.alpha).toBeGreaterThan(0.8);
    expect(f.params.alpha / truth.alpha).toBeLessThan(1.25);
    expect(f.params.beta / truth.beta).toBeGreaterThan(0.7);
    expect(f.params.beta / truth.beta).toBeLessThan(1.4);
    // The fitted model beats the truth on the data it was fitted to, and only just.
    const llTruth = paretoNbdLogLikelihood(truth, { x, tx, T });
    expect(f.logLikelihood).toBeGreaterThanOrEqual(llTruth);
    expect(f.logLikelihood - llTruth).toBeLessThan(10);
  });

  it('refuses data without repeat buyers', () => {
    expect(() => fitParetoNbd({ x: [0, 0], tx: [0, 0], T: [5, 6] })).toThrow(/repeat purchase/);
  });
});
