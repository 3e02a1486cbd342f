/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way") for non-contractual purchasing, and the
 * quantities Rapport shows from it: P(alive), expected purchases, the probability of n purchases.
 *
 * A customer is summarised by x (repeat purchases: purchases after the first), t_x (time of the last purchase,
 * measured from the first) and T (time from the first purchase to the end of observation), all in one time unit
 * (Rapport uses days; the paper weeks). While alive a customer buys at rate λ ~ Gamma(r, α); after each purchase they
 * drop out with probability p ~ Beta(a, b).
 *
 * Everything is computed in log space: the likelihood as ln of a sum of two exponentials (softplus), the gamma and
 * beta functions as their logarithms, and the hypergeometric series in its Euler-transformed form whose terms stay
 * small. Parameters are fitted by maximum likelihood on their logarithms (always positive) with BFGS and the exact
 * gradient; customers with the same x share their gamma/digamma terms, so one evaluation costs a few logarithms per
 * customer.
 */
import { minimizeBfgs } from './optimize.ts';
import { digamma, hyp2f1, lnBeta, lnGamma, sigmoid, softplus } from './special.ts';

export type BgNbdParams = { r: number; alpha: number; a: number; b: number };

/** Customers in columns (fast at millions): x repeat purchases, tx recency, T age, optional weight (a count). */
export type CustomerHistories = {
  x: ArrayLike<number>;
  tx: ArrayLike<number>;
  T: ArrayLike<number>;
  weight?: ArrayLike<number>;
};

export type BgNbdFit = {
  params: BgNbdParams;
  logLikelihood: number;
  customers: number;
  iterations: number;
  converged: boolean;
  /** The largest gradient component of the mean log-likelihood per customer at the end (≈ 0 at a maximum). */
  maxAbsGradient: number;
};

/** Checks the summaries a model can be fitted to or scored on: 0 ≤ t_x ≤ T, x a whole number ≥ 0, t_x = 0 when x = 0. */
export function validateHistories(h: CustomerHistories): void {
  const n = h.x.length;
  if (h.tx.length !== n || h.T.length !== n || (h.weight && h.weight.length !== n)) {
    throw new RangeError('x, tx, T (and weight) must have the same length');
  }
  for (let i = 0; i < n; i++) {
    const x = h.x[i]!;
    const tx = h.tx[i]!;
    const T = h.T[i]!;
    if (!(Number.isInteger(x) && x >= 0)) throw new RangeError(`customer ${i}: x must be a whole number ≥ 0`);
    if (!(tx >= 0 && T >= tx && Number.isFinite(T))) throw new RangeError(`customer ${i}: need 0 ≤ t_x ≤ T`);
    if (x === 0 && tx !== 0) throw new RangeError(`customer ${i}: t_x must be 0 when x = 0`);
  }
}

/** ln L of one customer (FHL 2005 eq. 6). */
export function bgNbdCustomerLogLikelihood(p: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const a1 = lnGamma(r + x) - lnGamma(r) + r * Math.log(alpha);
  const a2 = lnBeta(a, b + x) - lnBeta(a, b);
  const a3 = -(r + x) * Math.log(alpha + T);
  if (x === 0) return a1 + a2 + a3;
  const a4 = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
  return a1 + a2 + a3 + softplus(a4 - a3);
}

type Grouped = {
  xs: number[];
  group: Int32Array;
  groupWeight: number[];
  total: number;
};

function groupByX(h: CustomerHistories): Grouped {
  const index = new Map<number, number>();
  const xs: number[] = [];
  const groupWeight: number[] = [];
  const group = new Int32Array(h.x.length);
  let total = 0;
  for (let i = 0; i < h.x.length; i++) {
    const x = h.x[i]!;
    let g = index.get(x);
    if (g === undefined) {
      g = xs.length;
      index.set(x, g);
      xs.push(x);
      groupWeight.push(0);
    }
    group[i] = g;
    const w = h.weight ? h.weight[i]! : 1;
    groupWeight[g]! += w;
    total += w;
  }
  return { xs, group, groupWeight, total };
}

/** Σ ln L and its gradient with respect to (ln r, ln α, ln a, ln b). */
function logLikelihoodAndGradient(h: CustomerHistories, g: Grouped, p: BgNbdParams) {
  const { r, alpha, a, b } = p;
  const k = g.xs.length;
  // Per-x constants: the terms that depend on x and the parameters only.
  const c4 = new Float64Array(k); // ln a − ln(b + x − 1)
  const invBx = new Float64Array(k); // 1 / (b + x − 1)
  let ll = 0;
  let dr = 0;
  let dAlpha = 0;
  let da = 0;
  let db = 0;
  const lnAlpha = Math.log(alpha);
  const psiR = digamma(r);
  const psiAB = digamma(a + b);
  const psiB = digamma(b);
  const lnBetaAB = lnBeta(a, b);
  const lnGammaR = lnGamma(r);
  for (let j = 0; j < k; j++) {
    const x = g.xs[j]!;
    const w = g.groupWeight[j]!;
    ll += w * (lnGamma(r + x) - lnGammaR + r * lnAlpha + lnBeta(a, b + x) - lnBetaAB);
    dr += w * (digamma(r + x) - psiR + lnAlpha);
    dAlpha += (w * r) / alpha;
    const psiABX = digamma(a + b + x);
    da += w * (psiAB - psiABX);
    db += w * (psiAB + digamma(b + x) - psiB - psiABX);
    if (x > 0) {
      c4[j] = Math.log(a) - Math.log(b + x - 1);
      invBx[j] = 1 / (b + x - 1);
    }
  }
  const n = h.x.length;
  for (let i = 0; i < n; i++) {
    const x = h.x[i]!;
    const w = h.weight ? h.weight[i]! : 1;
    const T = h.T[i]!;
    const lnAT = Math.log(alpha + T);
    const rx = r + x;
    const a3 = -rx * lnAT;
    if (x === 0) {
      ll += w * a3;
      dr -= w * lnAT;
      dAlpha -= (w * rx) / (alpha + T);
      continue;
    }
    const j = g.group[i]!;
    const tx = h.tx[i]!;
    const lnAtx = Math.log(alpha + tx);
    const a4 = c4[j]! - rx * lnAtx;
    const d = a4 - a3;
    ll += w * (a3 + softplus(d));
    const s = sigmoid(d); // the weight of the second term: the customer died right after the last purchase
    dr -= w * ((1 - s) * lnAT + s * lnAtx);
    dAlpha -= w * rx * ((1 - s) / (alpha + T) + s / (alpha + tx));
    da += (w * s) / a;
    db -= w * s * invBx[j]!;
  }
  // Chain rule to log-parameters.
  return { ll, gradient: [dr * r, dAlpha * alpha, da * a, db * b] };
}

/** Σ ln L over the customers (weighted). */
export function bgNbdLogLikelihood(p: BgNbdParams, h: CustomerHistories): number {
  return logLikelihoodAndGradient(h, groupByX(h), p).ll;
}

const fromLog = (t: readonly number[]): BgNbdParams => ({
  r: Math.exp(t[0]!),
  alpha: Math.exp(t[1]!),
  a: Math.exp(t[2]!),
  b: Math.exp(t[3]!),
});

/** Packs (x, t_x, T) into one exact number when all three are whole numbers below 2¹⁷ (days do), else null. */
export function historyKey(x: number, tx: number, T: number): number | null {
  if (!(Number.isInteger(tx) && Number.isInteger(T) && T < 131072 && x < 131072)) return null;
  return (x * 131072 + tx) * 131072 + T;
}

/**
 * Customers with the same (x, t_x, T) contribute the same likelihood: with whole-day times a million customers
 * reduce to far fewer distinct histories, each with a weight. Histories with fractional times stay as they are.
 */
export function compressHistories(h: CustomerHistories): CustomerHistories {
  const n = h.x.length;
  const index = new Map<number, number>();
  const x: number[] = [];
  const tx: number[] = [];
  const T: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = historyKey(h.x[i]!, h.tx[i]!, h.T[i]!);
    if (key === null) return h;
    const w = h.weight ? h.weight[i]! : 1;
    const j = index.get(key);
    if (j === undefined) {
      index.set(key, x.length);
      x.push(h.x[i]!);
      tx.push(h.tx[i]!);
      T.push(h.T[i]!);
      weight.push(w);
    } else {
      weight[j]! += w;
    }
  }
  return x.length < n ? { x, tx, T, weight } : h;
}

const sampleSize = 20_000;

/** The mean negative log-likelihood per customer, on log-parameters: tolerances do not depend on the size. */
function bgNbdObjective(h: CustomerHistories, g = groupByX(h)) {
  return (theta: readonly number[]) => {
    const { ll, gradient } = logLikelihoodAndGradient(h, g, fromLog(theta));
    return { value: -ll / g.total, gradient: gradient.map((v) => -v / g.total) };
  };
}

/** Maximum-likelihood fit. Needs at least one customer with a repeat purchase. */
export function fitBgNbd(histories: CustomerHistories): BgNbdFit {
  validateHistories(histories);
  const h = compressHistories(histories);
  const g = groupByX(h);
  if (g.total <= 0) throw new RangeError('no customers to fit');
  if (!g.xs.some((x) => x > 0)) throw new RangeError('BG/NBD needs at least one customer with a repeat purchase');
  let meanT = 0;
  for (let i = 0; i < h.T.length; i++) meanT += (h.T[i]! * (h.weight ? h.weight[i]! : 1)) / g.total;
  const objective = bgNbdObjective(h, g);
  // Start: one purchase per mean age, a, b of order one; α scales with the time unit. On many customers, first fit
  // an evenly spread sample of them: its optimum is close, so the full data needs only a few iterations.
  let start = [0, Math.log(Math.max(meanT, 1e-6)), 0, 0];
  let inverseHessian: number[][] | undefined;
  const n = h.x.length;
  if (n > 4 * sampleSize) {
    const step = Math.floor(n / sampleSize);
    const pick = <T extends ArrayLike<number>>(a: T) => Array.from({ length: sampleSize }, (_, i) => a[i * step]!);
    const sample = { x: pick(h.x), tx: pick(h.tx), T: pick(h.T), weight: h.weight ? pick(h.weight) : undefined };
    if (sample.x.some((x) => x > 0)) {
      const warm = minimizeBfgs(bgNbdObjective(sample), start, { maxIterations: 1000 });
      start = warm.theta;
      // The objective is a mean per customer, so the sample's curvature is the full data's, roughly.
      inverseHessian = warm.inverseHessian;
    }
  }
  const result = minimizeBfgs(objective, start, { maxIterations: 1000, inverseHessian });
  return {
    params: fromLog(result.theta),
    logLikelihood: -result.value * g.total,
    customers: g.total,
    iterations: result.iterations,
    converged: result.converged,
    maxAbsGradient: Math.max(...result.gradient.map(Math.abs)),
  };
}

/**
 * The odds that a customer with a repeat purchase dropped out right after it, against being alive:
 * (a / (b + x − 1)) ((α + T) / (α + t_x))^(r + x); 0 without a repeat purchase.
 */
export function dropoutOdds(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 0;
  const { r, alpha, a, b } = p;
  return Math.exp(Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx)));
}

/** P(alive | x, t_x, T) = 1 / (1 + odds): 1 for a customer with no repeat purchase (drop-out follows a purchase). */
export function probabilityAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  return 1 / (1 + dropoutOdds(p, x, tx, T));
}

// (a − 1) appears as a divisor; at a = 1 the expressions have a finite limit, approached from a nearby value.
const awayFromOne = (a: number) => (Math.abs(a - 1) < 1e-8 ? 1 + 1e-8 : a);

/**
 * The numerator of E[Y(t) | x, t_x, T] (FHL 2005 eq. 10), which does not depend on t_x:
 * (a+b+x−1)/(a−1) · [1 − (1 − z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)], z = t/(α+T+t), computed through Euler's
 * transformation (1 − z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z) = (1 − z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z), whose
 * terms stay small.
 */
export function expectedPurchasesIfAlive(p: BgNbdParams, t: number, x: number, T: number): number {
  if (t <= 0) return 0;
  const { r, alpha, b } = p;
  const a = awayFromOne(p.a);
  const z = t / (alpha + T + t);
  return ((a + b + x - 1) / (a - 1)) * (1 - purchaseTail(r, a, b, x, z));
}

/**
 * (1 − z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z), in whichever of its two forms has the smaller terms: Euler's transform
 * (1 − z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z) for the usual a and b near 1 and a large x, the series itself when a
 * fit runs off to a very large a and b (no sign of drop-out: a few customers, all buying), where the transform's
 * terms overflow to ∞ and (1 − z)^(a−1) to 0 (their product NaN).
 */
function purchaseTail(r: number, a: number, b: number, x: number, z: number): number {
  const c = a + b + x - 1;
  if (Math.abs((a + b - 1 - r) * (a - 1)) <= Math.abs((r + x) * (b + x))) {
    return Math.exp((a - 1) * Math.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, c, z);
  }
  return Math.exp((r + x) * Math.log1p(-z)) * hyp2f1(r + x, b + x, c, z);
}

/** E[Y(t) | x, t_x, T]: expected purchases in the next t (FHL 2005 eq. 10). */
export function conditionalExpectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  return expectedPurchasesIfAlive(p, t, x, T) / (1 + dropoutOdds(p, x, tx, T));
}

/** E[X(t)]: expected purchases in a period of length t for a customer just acquired (FHL 2005 eq. 9). */
export function expectedPurchases(p: BgNbdParams, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, b } = p;
  const a = awayFromOne(p.a);
  const z = t / (alpha + t);
  return ((a + b - 1) / (a - 1)) * (1 - purchaseTail(r, a, b, 0, z));
}

/** P(X(t) = n) for a customer just acquired (FHL 2005 eq. 8), in log space. */
export function probabilityOfPurchases(p: BgNbdParams, t: number, n: number): number {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError('n must be a whole number ≥ 0');
  const { r, alpha, a, b } = p;
  const lnA = Math.log(alpha / (alpha + t));
  const lnZ = Math.log(t / (alpha + t));
  const lnBetaAB = lnBeta(a, b);
  const nbd = (j: number) => lnGamma(r + j) - lnGamma(r) - lnGamma(j + 1) + r * lnA + (j > 0 ? j * lnZ : 0);
  const first = Math.exp(lnBeta(a, b + n) - lnBetaAB + nbd(n));
  if (n === 0) return first;
  let cumulative = 0;
  for (let j = 0; j < n; j++) cumulative += Math.exp(nbd(j));
  return first + Math.exp(lnBeta(a + 1, b + n - 1) - lnBetaAB) * (1 - cumulative);
}
