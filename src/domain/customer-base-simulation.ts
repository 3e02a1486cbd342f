/**
 * Customers drawn from the BG/NBD and Gamma-Gamma stories themselves: used to check that fitting recovers the
 * parameters that generated the data (an independent check of the likelihood code) and by the benchmark to make
 * millions of realistic customers. Pure: the caller passes the random source.
 */
import type { BgNbdParams } from './bgnbd.ts';
import type { GammaGammaParams } from './gamma-gamma.ts';
import { seededRandom } from './random.ts';

export { seededRandom };

function normal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, rate) by Marsaglia & Tsang (shape < 1 through the u^(1/shape) boost). */
export function sampleGamma(random: () => number, shape: number, rate: number): number {
  if (shape < 1) return sampleGamma(random, shape + 1, rate) * (1 - random()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

export function sampleBeta(random: () => number, a: number, b: number): number {
  const x = sampleGamma(random, a, 1);
  const y = sampleGamma(random, b, 1);
  return x / (x + y);
}

export type SimulatedCustomer = { x: number; tx: number; T: number; m: number };

/**
 * One customer observed for T after their first purchase: purchases at rate λ while alive, dropping out after each
 * with probability p; repeat purchase values Gamma(p_s, ν) with ν ~ Gamma(q, γ) (m = their mean, 0 when x = 0).
 */
export function simulateCustomer(
  random: () => number,
  bg: BgNbdParams,
  gg: GammaGammaParams,
  T: number,
): SimulatedCustomer {
  const lambda = sampleGamma(random, bg.r, bg.alpha);
  const dropout = sampleBeta(random, bg.a, bg.b);
  const nu = sampleGamma(random, gg.q, gg.gamma);
  let t = 0;
  let x = 0;
  let tx = 0;
  let spend = 0;
  for (;;) {
    t += -Math.log(1 - random()) / lambda;
    if (t > T) break;
    x++;
    tx = t;
    spend += sampleGamma(random, gg.p, nu);
    if (random() < dropout) break;
  }
  return { x, tx, T, m: x > 0 ? spend / x : 0 };
}
