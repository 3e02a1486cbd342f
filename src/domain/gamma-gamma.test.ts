/**
 * Gamma-Gamma and predictive CLV checked against the published figures on the CDNOW 1/10 sample (Fader & Hardie;
 * Hardie's spreadsheet via lifetimes; ../shared/data/cdnow/SOURCE.md), and against simulated customers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitBgNbd } from './bgnbd.ts';
import { seededRandom, simulateCustomer } from './customer-base-simulation.ts';
import {
  conditionalExpectedSpend,
  fitGammaGamma,
  gammaGammaLogLikelihood,
  predictiveClv,
  type GammaGammaParams,
} from './gamma-gamma.ts';

const file = path.resolve(
  import.meta.dirname,
  '../../../shared/data/cdnow/cdnow_customers_summary_with_transactions.csv',
);
const hasData = fs.existsSync(file);
if (!hasData && process.env.CI !== 'true') console.warn(`Gamma-Gamma CDNOW tests skipped: ${file} not found`);

function expectSignificant(actual: number, expected: number, digits = 3) {
  const scale = 10 ** (Math.floor(Math.log10(Math.abs(expected))) - digits + 1);
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(scale / 2);
}

function readRows() {
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
  expect(lines[0]).toBe('ID,x,t_x,T,zbar');
  return lines.slice(1).map((l) => {
    const [, x, tx, T, m] = l.split(',').map(Number);
    return { x: x!, tx: tx!, T: T!, m: m! };
  });
}

describe.runIf(hasData || process.env.CI === 'true')('Gamma-Gamma on the CDNOW 1/10 sample', () => {
  const rows = hasData ? readRows() : [];
  const repeat = rows.filter((r) => r.x > 0);
  const spend = { x: repeat.map((r) => r.x), m: repeat.map((r) => r.m) };
  const fit = hasData ? fitGammaGamma(spend) : null;

  it('uses the 946 repeat customers with mean spend 35.0786', () => {
    expect(repeat.length).toBe(946);
    expect(repeat.reduce((s, r) => s + r.m, 0) / repeat.length).toBeCloseTo(35.0786, 4);
  });

  it('fits p, q, γ of Fader & Hardie to 3 significant digits and CLVTools’ log-likelihood', () => {
    expect(fit!.converged).toBe(true);
    expectSignificant(fit!.params.p, 6.25);
    expectSignificant(fit!.params.q, 3.74);
    expectSignificant(fit!.params.gamma, 15.4); // published 15.44 (Fader & Hardie) and 15.45 (lifetimes)
    expect(Math.abs(fit!.params.gamma - 15.44)).toBeLessThan(0.01);
    expect(fit!.logLikelihood).toBeCloseTo(-4055.92, 1);
    expect(gammaGammaLogLikelihood({ p: 6.25, q: 3.74, gamma: 15.44 }, spend)).toBeCloseTo(-4055.925, 2);
  });

  it('reports the frequency–spend correlation the model assumes away (0.113884)', () => {
    expect(fit!.frequencySpendCorrelation).toBeCloseTo(0.113884, 5);
  });

  it('reproduces the spreadsheet’s conditional expected spend of the first ten customers', () => {
    const expected = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17];
    rows.slice(0, 10).forEach((r, i) => {
      expect(Math.abs(conditionalExpectedSpend(fit!.params, r.x, r.m) - expected[i]!)).toBeLessThan(0.01);
    });
    const mean = rows.reduce((s, r) => s + conditionalExpectedSpend(fit!.params, r.x, r.m), 0) / rows.length;
    expect(mean).toBeCloseTo(35.2529588256, 3);
  });

  it('reproduces lifetimes’ 12-period CLV (discount 0.01, periods of 30 time units) of the first ten', () => {
    const bg = fitBgNbd({ x: rows.map((r) => r.x), tx: rows.map((r) => r.tx), T: rows.map((r) => r.T) }).params;
    const expected = [
      140.096211, 18.943467, 38.180574, 38.180574, 38.180574, 1003.868107, 28.109683, 38.180574, 167.418216, 38.180574,
    ];
    rows.slice(0, 10).forEach((r, i) => {
      expectSignificant(
        predictiveClv(bg, fit!.params, r, { periods: 12, periodLength: 30, discountRate: 0.01 }),
        expected[i]!,
        5,
      );
    });
  });
});

describe('Gamma-Gamma', () => {
  const params: GammaGammaParams = { p: 6, q: 4, gamma: 15 };

  it('shrinks a customer’s mean towards the population mean, less the more they bought', () => {
    const population = conditionalExpectedSpend(params, 0, 0);
    expect(population).toBeCloseTo((6 * 15) / 3, 12);
    const one = conditionalExpectedSpend(params, 1, 100);
    const many = conditionalExpectedSpend(params, 50, 100);
    expect(one).toBeGreaterThan(population);
    expect(many).toBeGreaterThan(one);
    expect(many).toBeLessThan(100);
  });

  it('recovers the parameters that generated 30,000 simulated repeat customers', () => {
    const random = seededRandom(99);
    const cs = Array.from({ length: 60_000 }, () =>
      simulateCustomer(random, { r: 1, alpha: 5, a: 0.5, b: 3 }, params, 52),
    ).filter((c) => c.x > 0);
    expect(cs.length).toBeGreaterThan(30_000);
    const fit = fitGammaGamma({ x: cs.map((c) => c.x), m: cs.map((c) => c.m) });
    expect(fit.params.p / params.p).toBeGreaterThan(0.9);
    expect(fit.params.p / params.p).toBeLessThan(1.1);
    // q and γ trade off against each other; their population mean spend pγ/(q−1) is what is well determined.
    const mean = (fit.params.p * fit.params.gamma) / (fit.params.q - 1);
    expect(mean / 30).toBeGreaterThan(0.95);
    expect(mean / 30).toBeLessThan(1.05);
    expect(Math.abs(fit.frequencySpendCorrelation)).toBeLessThan(0.05);
  });

  it('CLV grows with the horizon and shrinks with the discount rate', () => {
    const bg = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    const c = { x: 4, tx: 30, T: 38, m: 40 };
    const year = predictiveClv(bg, params, c, { periods: 12, periodLength: 4.345, discountRate: 0.01 });
    const twoYears = predictiveClv(bg, params, c, { periods: 24, periodLength: 4.345, discountRate: 0.01 });
    const undiscounted = predictiveClv(bg, params, c, { periods: 12, periodLength: 4.345, discountRate: 0 });
    expect(twoYears).toBeGreaterThan(year);
    expect(undiscounted).toBeGreaterThan(year);
    expect(year).toBeGreaterThan(0);
  });

  it('refuses customers without repeat purchases or with no spend', () => {
    expect(() => fitGammaGamma({ x: [0], m: [10] })).toThrow(/x must be/);
    expect(() => fitGammaGamma({ x: [2], m: [0] })).toThrow(/m must be/);
    expect(() => fitGammaGamma({ x: [], m: [] })).toThrow(/at least one/);
  });
});
