/**
 * Pareto/NBD (Schmittlein, Morrison & Colombo 1987), the alternative to BG/NBD for non-contractual purchasing: while
 * alive a customer buys at rate λ ~ Gamma(r, α), and their lifetime is exponential with rate μ ~ Gamma(s, β) — a
 * customer may drop out at any moment, not only right after a purchase. Same customer summaries (x, t_x, T) as
 * bgnbd.ts, same time unit.
 *
 * The likelihood follows Fader & Hardie's note "A Note on Deriving the Pareto/NBD Model and Related Expressions"
 * (2005), eq. 22: with m = r + s + x,
 *
 *   L = Γ(r+x) α^r β^s / Γ(r) · { (α+T)^−(r+x) (β+T)^−s + s/m · A₀ },
 *   A₀ = F(t_x) − F(T),  F(t) = ₂F₁(m, s+1; m+1; (α−β)/(α+t)) / (α+t)^m          when α ≥ β,
 *                        F(t) = ₂F₁(m, r+x; m+1; (β−α)/(β+t)) / (β+t)^m          when α < β.
 *
 * Each ₂F₁ is summed in its Euler-transformed form, ₂F₁(a, b; c; z) = (1−z)^(c−a−b) ₂F₁(c−a, c−b; c; z), whose
 * first parameter is 1: every term is below the previous one times z, so nothing overflows. Everything else is in
 * log space. Fitted by maximum likelihood on log-parameters with BFGS and a central-difference gradient (four
 * parameters; histories with the same (x, t_x, T) count once).
 */
import { compressHistories, validateHistories, type CustomerHistories } from './bgnbd.ts';
import { minimizeBfgs } from './optimize.ts';
import { hyp2f1, lnGamma } from './special.ts';

export type ParetoNbdParams = { r: number; alpha: number; s: number; beta: number };

export type ParetoNbdFit = {
  params: ParetoNbdParams;
  logLikelihood: number;
  customers: number;
  iterations: number;
  converged: boolean;
  /** The largest gradient component of the mean log-likelihood per customer at the end (≈ 0 at a maximum). */
  maxAbsGradient: number;
};

/** ln(eᵃ + eᵇ). */
const logAddExp = (a: number, b: number) => {
  const hi = Math.max(a, b);
  return hi === -Infinity ? -Infinity : hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
};

/** ln F(t) (see the header). */
function lnF(p: ParetoNbdParams, x: number, t: number): number {
  const { r, alpha, s, beta } = p;
  const m = r + s + x;
  if (alpha >= beta) {
    const z = (alpha - beta) / (alpha + t);
    // ₂F₁(m, s+1; m+1; z) = (1−z)^(−s) ₂F₁(1, r+x; m+1; z)
    return Math.log(hyp2f1(1, r + x, m + 1, z)) - s * Math.log1p(-z) - m * Math.log(alpha + t);
  }
  const z = (beta - alpha) / (beta + t);
  // ₂F₁(m, r+x; m+1; z) = (1−z)^(1−r−x) ₂F₁(1, s+1; m+1; z)
  return Math.log(hyp2f1(1, s + 1, m + 1, z)) + (1 - r - x) * Math.log1p(-z) - m * Math.log(beta + t);
}

/** ln(s/m · A₀), and ln of the alive term (α+T)^−(r+x) (β+T)^−s. */
function parts(p: ParetoNbdParams, x: number, tx: number, T: number): { lnA: number; lnAlive: number } {
  const { r, alpha, s, beta } = p;
  const m = r + s + x;
  const a = lnF(p, x, tx);
  const b = lnF(p, x, T);
  // A₀ = F(t_x) − F(T) ≥ 0 (F falls with t); equal when t_x = T.
  const lnA0 = b - a >= 0 ? -Infinity : a + Math.log1p(-Math.exp(b - a));
  return {
    lnA: Math.log(s / m) + lnA0,
    lnAlive: -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T),
  };
}

/** ln L of one customer. */
export function paretoNbdCustomerLogLikelihood(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  const { lnA, lnAlive } = parts(p, x, tx, T);
  return lnGamma(r + x) - lnGamma(r) + r * Math.log(alpha) + s * Math.log(beta) + logAddExp(lnAlive, lnA);
}

/** Σ ln L over the customers (weighted). */
export function paretoNbdLogLikelihood(p: ParetoNbdParams, h: CustomerHistories): number {
  let ll = 0;
  for (let i = 0; i < h.x.length; i++)
    ll += (h.weight ? h.weight[i]! : 1) * paretoNbdCustomerLogLikelihood(p, h.x[i]!, h.tx[i]!, h.T[i]!);
  return ll;
}

const fromLog = (t: readonly number[]): ParetoNbdParams => ({
  r: Math.exp(t[0]!),
  alpha: Math.exp(t[1]!),
  s: Math.exp(t[2]!),
  beta: Math.exp(t[3]!),
});

/** Central-difference step on the log-parameters. */
const step = 1e-5;

/** Maximum-likelihood fit. Needs at least one customer with a repeat purchase. */
export function fitParetoNbd(histories: CustomerHistories): ParetoNbdFit {
  validateHistories(histories);
  const h = compressHistories(histories);
  let total = 0;
  let meanT = 0;
  let repeat = false;
  for (let i = 0; i < h.x.length; i++) {
    const w = h.weight ? h.weight[i]! : 1;
    total += w;
    meanT += w * h.T[i]!;
    if (h.x[i]! > 0) repeat = true;
  }
  if (total <= 0) throw new RangeError('no customers to fit');
  if (!repeat) throw new RangeError('Pareto/NBD needs at least one customer with a repeat purchase');
  meanT /= total;
  const value = (theta: readonly number[]) => -paretoNbdLogLikelihood(fromLog(theta), h) / total;
  const objective = (theta: readonly number[]) => {
    const v = value(theta);
    const gradient = theta.map((_, k) => {
      const up = [...theta];
      const down = [...theta];
      up[k]! += step;
      down[k]! -= step;
      return (value(up) - value(down)) / (2 * step);
    });
    return { value: v, gradient };
  };
  // Start: one purchase per mean age and lifetimes of about the mean age, shapes of order one.
  const lnT = Math.log(Math.max(meanT, 1e-6));
  const result = minimizeBfgs(objective, [0, lnT, 0, lnT], { maxIterations: 1000, gradientTolerance: 1e-7 });
  return {
    params: fromLog(result.theta),
    logLikelihood: -result.value * total,
    customers: total,
    iterations: result.iterations,
    converged: result.converged,
    maxAbsGradient: Math.max(...result.gradient.map(Math.abs)),
  };
}

/** P(alive | x, t_x, T) = 1 / (1 + s/m · A₀ · (α+T)^(r+x) (β+T)^s). */
export function paretoNbdProbabilityAlive(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { lnA, lnAlive } = parts(p, x, tx, T);
  return 1 / (1 + Math.exp(lnA - lnAlive));
}

/** [1 − q^(s−1)] / (s − 1) for q in (0, 1], and its limit −ln q at s = 1. */
function lifetimeFactor(s: number, q: number): number {
  const lnQ = Math.log(q);
  return Math.abs(s - 1) < 1e-10 ? -lnQ : -Math.expm1((s - 1) * lnQ) / (s - 1);
}

/** E[X(t)]: expected purchases of a new customer in (0, t]. */
export function paretoNbdExpectedPurchases(p: ParetoNbdParams, t: number): number {
  const { r, alpha, s, beta } = p;
  return ((r * beta) / alpha) * lifetimeFactor(s, beta / (beta + t));
}

/** E[Y(t) | x, t_x, T]: expected purchases in the next t periods. */
export function paretoNbdConditionalExpectedPurchases(
  p: ParetoNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  const { r, alpha, s, beta } = p;
  const ifAlive = (((r + x) * (beta + T)) / (alpha + T)) * lifetimeFactor(s, (beta + T) / (beta + T + t));
  return ifAlive * paretoNbdProbabilityAlive(p, x, tx, T);
}

/** How many customers the comparison with BG/NBD reads at most (an evenly spread sample beyond). */
export const comparisonSampleSize = 20_000;

export type PurchaseModelComparison = {
  /** Customers both models were scored on: all of them, or an evenly spread sample of `comparisonSampleSize`. */
  customers: number;
  paretoNbd: ParetoNbdParams;
  paretoNbdConverged: boolean;
  /** Mean log-likelihood per customer of each model on those customers (Pareto/NBD fitted to them). */
  paretoNbdMeanLogLikelihood: number;
  bgNbdMeanLogLikelihood: number;
};

/**
 * Pareto/NBD beside a fitted BG/NBD: both have four parameters, so the one with the higher likelihood on the same
 * customers fits the purchase histories better. Pareto/NBD's fit (finite-difference gradient, two series per
 * history) is costlier, so beyond `comparisonSampleSize` customers it runs on an evenly spread sample, and BG/NBD's
 * fitted parameters are scored on the same sample.
 */
export function compareWithParetoNbd(
  h: CustomerHistories,
  bgNbdLogLikelihoodOf: (sample: CustomerHistories) => number,
): PurchaseModelComparison | null {
  const n = h.x.length;
  const step = Math.max(1, Math.floor(n / comparisonSampleSize));
  const size = Math.min(n, comparisonSampleSize);
  const pick = (a: ArrayLike<number>) => Array.from({ length: size }, (_, i) => a[i * step]!);
  const sample: CustomerHistories = n > comparisonSampleSize ? { x: pick(h.x), tx: pick(h.tx), T: pick(h.T) } : h;
  if (!Array.from(sample.x).some((x) => x > 0)) return null;
  let fit: ParetoNbdFit;
  try {
    fit = fitParetoNbd(sample);
  } catch (e) {
    // A series that does not converge (parameters far off during the search) leaves the comparison out.
    if (e instanceof RangeError) return null;
    throw e;
  }
  return {
    customers: fit.customers,
    paretoNbd: fit.params,
    paretoNbdConverged: fit.converged,
    paretoNbdMeanLogLikelihood: fit.logLikelihood / fit.customers,
    bgNbdMeanLogLikelihood: bgNbdLogLikelihoodOf(sample) / fit.customers,
  };
}
