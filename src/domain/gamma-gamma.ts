/**
 * The Gamma-Gamma spend model (Fader & Hardie, "The Gamma-Gamma model of monetary value", 2013; Fader, Hardie & Lee
 * 2005, "RFM and CLV") and predictive customer lifetime value with BG/NBD.
 *
 * A customer's repeat transactions have values z ~ Gamma(p, ν) around their own mean p/ν, with ν ~ Gamma(q, γ) across
 * customers. It is fitted on customers with at least one repeat purchase, from x (their repeat purchases) and m (the
 * mean value of those repeat purchases). It assumes spend does not depend on how often a customer buys: the
 * correlation between x and m is reported with every fit so a user can see when that does not hold.
 */
import { conditionalExpectedPurchases, dropoutOdds, expectedPurchasesIfAlive, type BgNbdParams } from './bgnbd.ts';
import { minimizeBfgs } from './optimize.ts';
import { digamma, lnGamma } from './special.ts';

export type GammaGammaParams = { p: number; q: number; gamma: number };

/** Repeat customers in columns: x ≥ 1 repeat purchases, m > 0 their mean value, optional weight. */
export type SpendHistories = { x: ArrayLike<number>; m: ArrayLike<number>; weight?: ArrayLike<number> };

export type GammaGammaFit = {
  params: GammaGammaParams;
  logLikelihood: number;
  customers: number;
  iterations: number;
  converged: boolean;
  /** The largest gradient component of the mean log-likelihood per customer at the end (≈ 0 at a maximum). */
  maxAbsGradient: number;
  /** Pearson correlation of x and m: the model assumes none (|r| well below 0.3 is usually taken as fine). */
  frequencySpendCorrelation: number;
};

function validate(h: SpendHistories): void {
  if (h.m.length !== h.x.length || (h.weight && h.weight.length !== h.x.length)) {
    throw new RangeError('x, m (and weight) must have the same length');
  }
  for (let i = 0; i < h.x.length; i++) {
    if (!(Number.isInteger(h.x[i]) && h.x[i]! >= 1))
      throw new RangeError(`customer ${i}: x must be a whole number ≥ 1`);
    if (!(h.m[i]! > 0 && Number.isFinite(h.m[i]!))) throw new RangeError(`customer ${i}: m must be > 0`);
  }
}

/** ln L of one repeat customer. */
export function gammaGammaCustomerLogLikelihood(params: GammaGammaParams, x: number, m: number): number {
  const { p, q, gamma } = params;
  return (
    lnGamma(p * x + q) -
    lnGamma(p * x) -
    lnGamma(q) +
    q * Math.log(gamma) +
    (p * x - 1) * Math.log(m) +
    p * x * Math.log(x) -
    (p * x + q) * Math.log(gamma + x * m)
  );
}

type Prepared = {
  xs: number[];
  group: Int32Array;
  /** ln m per customer, and Σ w x ln m, Σ w ln m: the parts of ln L that do not change with the parameters. */
  lnM: Float64Array;
};

function prepare(h: SpendHistories): Prepared {
  const index = new Map<number, number>();
  const xs: number[] = [];
  const group = new Int32Array(h.x.length);
  const lnM = new Float64Array(h.x.length);
  for (let i = 0; i < h.x.length; i++) {
    const x = h.x[i]!;
    let g = index.get(x);
    if (g === undefined) {
      g = xs.length;
      index.set(x, g);
      xs.push(x);
    }
    group[i] = g;
    lnM[i] = Math.log(h.m[i]!);
  }
  return { xs, group, lnM };
}

function logLikelihoodAndGradient(h: SpendHistories, prep: Prepared, params: GammaGammaParams) {
  const { p, q, gamma } = params;
  const lnG = Math.log(gamma);
  const psiQ = digamma(q);
  // Terms that depend on x only, per distinct x.
  const k = prep.xs.length;
  const lg = new Float64Array(k);
  const psiPxQ = new Float64Array(k);
  const psiPx = new Float64Array(k);
  const lnX = new Float64Array(k);
  const lnGammaQ = lnGamma(q);
  for (let j = 0; j < k; j++) {
    const x = prep.xs[j]!;
    const px = p * x;
    lg[j] = lnGamma(px + q) - lnGamma(px) - lnGammaQ + q * lnG + px * Math.log(x);
    psiPxQ[j] = digamma(px + q);
    psiPx[j] = digamma(px);
    lnX[j] = Math.log(x);
  }
  let ll = 0;
  let dp = 0;
  let dq = 0;
  let dg = 0;
  for (let i = 0; i < h.x.length; i++) {
    const x = h.x[i]!;
    const w = h.weight ? h.weight[i]! : 1;
    const j = prep.group[i]!;
    const px = p * x;
    const lnM = prep.lnM[i]!;
    const gxm = gamma + x * h.m[i]!;
    const lnGxm = Math.log(gxm);
    ll += w * (lg[j]! + (px - 1) * lnM - (px + q) * lnGxm);
    dp += w * x * (psiPxQ[j]! - psiPx[j]! + lnM + lnX[j]! - lnGxm);
    dq += w * (psiPxQ[j]! - psiQ + lnG - lnGxm);
    dg += w * (q / gamma - (px + q) / gxm);
  }
  return { ll, gradient: [dp * p, dq * q, dg * gamma] };
}

export function gammaGammaLogLikelihood(params: GammaGammaParams, h: SpendHistories): number {
  return logLikelihoodAndGradient(h, prepare(h), params).ll;
}

function weightedCorrelation(h: SpendHistories): number {
  let sw = 0;
  let sx = 0;
  let sm = 0;
  for (let i = 0; i < h.x.length; i++) {
    const w = h.weight ? h.weight[i]! : 1;
    sw += w;
    sx += w * h.x[i]!;
    sm += w * h.m[i]!;
  }
  const mx = sx / sw;
  const mm = sm / sw;
  let cxx = 0;
  let cmm = 0;
  let cxm = 0;
  for (let i = 0; i < h.x.length; i++) {
    const w = h.weight ? h.weight[i]! : 1;
    const dx = h.x[i]! - mx;
    const dm = h.m[i]! - mm;
    cxx += w * dx * dx;
    cmm += w * dm * dm;
    cxm += w * dx * dm;
  }
  return cxx > 0 && cmm > 0 ? cxm / Math.sqrt(cxx * cmm) : 0;
}

/** Maximum-likelihood fit on the repeat customers. */
export function fitGammaGamma(h: SpendHistories): GammaGammaFit {
  validate(h);
  let total = 0;
  let meanM = 0;
  for (let i = 0; i < h.x.length; i++) total += h.weight ? h.weight[i]! : 1;
  if (total <= 0) throw new RangeError('Gamma-Gamma needs at least one customer with a repeat purchase');
  for (let i = 0; i < h.x.length; i++) meanM += ((h.weight ? h.weight[i]! : 1) * h.m[i]!) / total;
  const fromLog = (t: readonly number[]): GammaGammaParams => ({
    p: Math.exp(t[0]!),
    q: Math.exp(t[1]!),
    gamma: Math.exp(t[2]!),
  });
  const prep = prepare(h);
  const objective = (theta: readonly number[]) => {
    const { ll, gradient } = logLikelihoodAndGradient(h, prep, fromLog(theta));
    return { value: -ll / total, gradient: gradient.map((v) => -v / total) };
  };
  // Start with p = q = 1 and γ at the scale of the spend (so E[M] = pγ/(q−1) is of the right order).
  const result = minimizeBfgs(objective, [0, 0, Math.log(meanM)], { maxIterations: 1000 });
  return {
    params: fromLog(result.theta),
    logLikelihood: -result.value * total,
    customers: total,
    iterations: result.iterations,
    converged: result.converged,
    maxAbsGradient: Math.max(...result.gradient.map(Math.abs)),
    frequencySpendCorrelation: weightedCorrelation(h),
  };
}

/**
 * E[M | x, m]: a customer's expected value per transaction, their own mean shrunk towards the population mean
 * pγ/(q − 1) (which needs q > 1). x = 0 gives the population mean.
 */
export function conditionalExpectedSpend(params: GammaGammaParams, x: number, m: number): number {
  const { p, q, gamma } = params;
  if (x === 0) return (p * gamma) / (q - 1);
  return (p * (gamma + x * m)) / (p * x + q - 1);
}

export type ClvOptions = {
  /** Number of periods ahead (e.g. 12 months). */
  periods: number;
  /** Length of one period in the model's time unit (e.g. 30 for months when the unit is days). */
  periodLength: number;
  /** Discount rate per period (e.g. 0.01 a month). */
  discountRate: number;
};

/**
 * Predictive CLV: Σ over the next `periods` periods of the purchases BG/NBD expects in each (the difference of
 * E[Y(t)] at its end and start) times the expected value per purchase, discounted per period.
 */
export function predictiveClv(
  bg: BgNbdParams,
  gg: GammaGammaParams,
  customer: { x: number; tx: number; T: number; m: number },
  options: ClvOptions,
): number {
  const spend = conditionalExpectedSpend(gg, customer.x, customer.m);
  let clv = 0;
  let previous = 0;
  for (let i = 1; i <= options.periods; i++) {
    const expected = conditionalExpectedPurchases(bg, i * options.periodLength, customer.x, customer.tx, customer.T);
    clv += (spend * (expected - previous)) / (1 + options.discountRate) ** i;
    previous = expected;
  }
  return clv;
}

export type CustomerScores = {
  /** P(alive) now. */
  probabilityAlive: Float64Array;
  /** Expected purchases in the next `horizon` time units. */
  expectedPurchases: Float64Array;
  /** Expected value per purchase (Gamma-Gamma). */
  expectedSpend: Float64Array;
  /** Predictive CLV over the options' periods. */
  clv: Float64Array;
};

/**
 * Scores every customer: P(alive), expected purchases in the horizon, expected spend and predictive CLV. E[Y(t)] is
 * (a part that depends on x and T only) / (1 + drop-out odds): the first part, with its discounted sum over the CLV
 * periods, is computed once per distinct (x, T) — few with whole-day times — and each customer costs one odds.
 */
export function scoreCustomers(
  bg: BgNbdParams,
  gg: GammaGammaParams,
  customers: { x: ArrayLike<number>; tx: ArrayLike<number>; T: ArrayLike<number>; m: ArrayLike<number> },
  horizon: number,
  clv: ClvOptions,
): CustomerScores {
  const n = customers.x.length;
  const out: CustomerScores = {
    probabilityAlive: new Float64Array(n),
    expectedPurchases: new Float64Array(n),
    expectedSpend: new Float64Array(n),
    clv: new Float64Array(n),
  };
  const discount = Array.from({ length: clv.periods + 1 }, (_, i) => (1 + clv.discountRate) ** -i);
  const cache = new Map<string | number, [number, number]>();
  for (let i = 0; i < n; i++) {
    const x = customers.x[i]!;
    const tx = customers.tx[i]!;
    const T = customers.T[i]!;
    const key = Number.isInteger(T) && T < 2 ** 26 && x < 2 ** 26 ? x * 2 ** 26 + T : `${x}:${T}`;
    let parts = cache.get(key);
    if (!parts) {
      let discounted = 0;
      let previous = 0;
      for (let k = 1; k <= clv.periods; k++) {
        const expected = expectedPurchasesIfAlive(bg, k * clv.periodLength, x, T);
        discounted += (expected - previous) * discount[k]!;
        previous = expected;
      }
      parts = [expectedPurchasesIfAlive(bg, horizon, x, T), discounted];
      cache.set(key, parts);
    }
    const alive = 1 / (1 + dropoutOdds(bg, x, tx, T));
    const spend = conditionalExpectedSpend(gg, x, customers.m[i]!);
    out.probabilityAlive[i] = alive;
    out.expectedPurchases[i] = parts[0] * alive;
    out.expectedSpend[i] = spend;
    out.clv[i] = spend * parts[1] * alive;
  }
  return out;
}
