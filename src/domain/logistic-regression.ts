/**
 * L2-regularised logistic regression fitted by Newton's method (iteratively reweighted least squares) with a
 * backtracking line search, and Platt scaling built on it. Pure and deterministic.
 *
 * Objective (minimised): Σᵢ [softplus(zᵢ) − tᵢ zᵢ] + (λ/2)‖w‖², with zᵢ = b + xᵢ·w and targets tᵢ ∈ [0, 1]. The
 * first term is the negative log-likelihood −Σ [t log p + (1 − t) log(1 − p)] written so that it never takes the
 * log of a probability that rounded to 0 or 1. The intercept b is not penalised. With λ > 0 the objective is
 * strictly convex even when classes are separable or features collinear (one-hot levels that always co-occur), so
 * the minimum is unique and finite. At the minimum the score equations hold: Σ(tᵢ − pᵢ) = 0 and
 * X'(t − p) = λw.
 *
 * Convergence: stop when half the squared Newton decrement, g'H⁻¹g / 2 (the predicted decrease of the objective
 * in nats), is below `tolerance`; Newton converges quadratically near the minimum, so a tight tolerance costs one
 * or two more iterations.
 */

/** 1 / (1 + e^−z), without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** log(1 + e^z), exact for large |z| (never log(0), never e^710). */
export function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** log(p / (1 − p)). */
export function logit(p: number): number {
  return Math.log(p) - Math.log1p(-p);
}

/** Row-major n × d matrix of features (no intercept column: the fit adds it). */
export type DesignMatrix = { rows: number; cols: number; values: Float64Array };

export type LogisticFitOptions = {
  /** λ, the L2 penalty on the weights (not on the intercept). */
  l2: number;
  maxIterations?: number;
  /** Stop when half the squared Newton decrement falls below this (nats). */
  tolerance?: number;
};

export type LogisticFit = {
  intercept: number;
  weights: Float64Array;
  iterations: number;
  converged: boolean;
  /** The objective at the solution (nats). */
  objective: number;
  /** max |∂objective/∂θ| at the solution: how closely the score equations hold. */
  maxAbsGradient: number;
};

/**
 * Solves A x = b for a symmetric positive definite A (m × m, row-major; only the lower triangle is read) by
 * Cholesky factorisation. Returns null when A is not numerically positive definite.
 */
export function choleskySolve(a: Float64Array, m: number, b: Float64Array): Float64Array | null {
  const l = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    let diag = a[j * m + j] as number;
    for (let k = 0; k < j; k++) diag -= (l[j * m + k] as number) ** 2;
    if (!(diag > 0)) return null;
    const ljj = Math.sqrt(diag);
    l[j * m + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      let s = a[i * m + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * m + k] as number) * (l[j * m + k] as number);
      l[i * m + j] = s / ljj;
    }
  }
  // L y = b, then L' x = y.
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * m + k] as number) * (y[k] as number);
    y[i] = s / (l[i * m + i] as number);
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let k = i + 1; k < m; k++) s -= (l[k * m + i] as number) * (x[k] as number);
    x[i] = s / (l[i * m + i] as number);
  }
  return x;
}

/** Solves H x = g, adding a growing ridge to the diagonal if H is numerically singular (e.g. a constant feature). */
function solveWithJitter(h: Float64Array, m: number, g: Float64Array): Float64Array {
  let maxDiag = 0;
  for (let i = 0; i < m; i++) maxDiag = Math.max(maxDiag, Math.abs(h[i * m + i] as number));
  let jitter = 0;
  for (let attempt = 0; attempt < 20; attempt++) {
    const ha = jitter === 0 ? h : h.slice();
    if (jitter > 0) for (let i = 0; i < m; i++) ha[i * m + i] = (ha[i * m + i] as number) + jitter;
    const x = choleskySolve(ha, m, g);
    if (x) return x;
    jitter = jitter === 0 ? Math.max(maxDiag, 1) * 1e-12 : jitter * 100;
  }
  throw new Error('logistic regression: the Hessian cannot be factorised');
}

/** θ = [b, w₁…w_d]: linear predictor of every row. */
function linearPredictor(x: DesignMatrix, theta: Float64Array): Float64Array {
  const { rows, cols, values } = x;
  const z = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = theta[0] as number;
    const base = i * cols;
    for (let j = 0; j < cols; j++) s += (values[base + j] as number) * (theta[j + 1] as number);
    z[i] = s;
  }
  return z;
}

function objectiveAt(z: Float64Array, targets: ArrayLike<number>, theta: Float64Array, l2: number): number {
  let f = 0;
  for (let i = 0; i < z.length; i++) f += softplus(z[i] as number) - (targets[i] as number) * (z[i] as number);
  let penalty = 0;
  for (let j = 1; j < theta.length; j++) penalty += (theta[j] as number) ** 2;
  return f + (l2 / 2) * penalty;
}

function gradientAt(
  x: DesignMatrix,
  z: Float64Array,
  targets: ArrayLike<number>,
  theta: Float64Array,
  l2: number,
): Float64Array {
  const { rows, cols, values } = x;
  const g = new Float64Array(cols + 1);
  for (let i = 0; i < rows; i++) {
    const r = sigmoid(z[i] as number) - (targets[i] as number);
    g[0] = (g[0] as number) + r;
    const base = i * cols;
    for (let j = 0; j < cols; j++) g[j + 1] = (g[j + 1] as number) + r * (values[base + j] as number);
  }
  for (let j = 1; j <= cols; j++) g[j] = (g[j] as number) + l2 * (theta[j] as number);
  return g;
}

/** X̃' diag(p(1 − p)) X̃ + λ diag(0, 1, …, 1), X̃ = [1 X]; full symmetric matrix. */
function hessianAt(x: DesignMatrix, z: Float64Array, l2: number): Float64Array {
  const { rows, cols, values } = x;
  const m = cols + 1;
  const h = new Float64Array(m * m);
  // One-hot rows are mostly zeros: accumulate over each row's non-zero entries only.
  const at = new Int32Array(m);
  const value = new Float64Array(m);
  for (let i = 0; i < rows; i++) {
    const zi = z[i] as number;
    // p(1 − p) = σ(z)σ(−z): no cancellation when p is near 1.
    const weight = sigmoid(zi) * sigmoid(-zi);
    if (weight === 0) continue;
    const base = i * cols;
    at[0] = 0;
    value[0] = 1;
    let nonZero = 1;
    for (let j = 0; j < cols; j++) {
      const v = values[base + j] as number;
      if (v === 0) continue;
      at[nonZero] = j + 1;
      value[nonZero] = v;
      nonZero++;
    }
    for (let a = 0; a < nonZero; a++) {
      const wa = weight * (value[a] as number);
      const hj = (at[a] as number) * m;
      for (let b = 0; b <= a; b++)
        h[hj + (at[b] as number)] = (h[hj + (at[b] as number)] as number) + wa * (value[b] as number);
    }
  }
  for (let j = 1; j < m; j++) h[j * m + j] = (h[j * m + j] as number) + l2;
  for (let j = 0; j < m; j++) for (let k = 0; k < j; k++) h[k * m + j] = h[j * m + k] as number;
  return h;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

/** Fits the model; targets are outcomes in [0, 1] (0/1 labels, or smoothed targets for Platt scaling). */
export function fitLogisticRegression(
  x: DesignMatrix,
  targets: ArrayLike<number>,
  opts: LogisticFitOptions,
): LogisticFit {
  const { rows, cols } = x;
  if (targets.length !== rows) throw new Error('logistic regression: targets and rows differ in length');
  if (rows === 0) throw new Error('logistic regression: no rows');
  if (!(opts.l2 >= 0)) throw new Error('logistic regression: the L2 penalty must be ≥ 0');
  const maxIterations = opts.maxIterations ?? 100;
  const tolerance = opts.tolerance ?? 1e-12;
  const m = cols + 1;

  // Start from the intercept-only solution (the base rate), weights 0.
  let mean = 0;
  for (let i = 0; i < rows; i++) mean += targets[i] as number;
  mean /= rows;
  const theta = new Float64Array(m);
  theta[0] = logit(Math.min(1 - 1e-9, Math.max(1e-9, mean)));

  let z = linearPredictor(x, theta);
  let f = objectiveAt(z, targets, theta, opts.l2);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const g = gradientAt(x, z, targets, theta, opts.l2);
    const h = hessianAt(x, z, opts.l2);
    const step = solveWithJitter(h, m, g);
    let decrement = 0;
    for (let j = 0; j < m; j++) decrement += (g[j] as number) * (step[j] as number);
    if (decrement / 2 < tolerance) {
      // Close enough that the full step is safe; take it and stop.
      for (let j = 0; j < m; j++) theta[j] = (theta[j] as number) - (step[j] as number);
      z = linearPredictor(x, theta);
      f = objectiveAt(z, targets, theta, opts.l2);
      converged = true;
      break;
    }
    // Backtracking (Armijo): halve the step until the objective falls by a quarter of the predicted decrease.
    let t = 1;
    let accepted = false;
    for (let halvings = 0; halvings < 60; halvings++) {
      const candidate = theta.map((v, j) => v - t * (step[j] as number));
      const zc = linearPredictor(x, candidate);
      const fc = objectiveAt(zc, targets, candidate, opts.l2);
      if (fc <= f - 0.25 * t * decrement) {
        theta.set(candidate);
        z = zc;
        f = fc;
        accepted = true;
        break;
      }
      t /= 2;
    }
    // No decrease possible at floating-point resolution: this is the minimum as far as doubles can tell.
    if (!accepted) {
      converged = decrement / 2 < 1e-6 * Math.max(1, Math.abs(f));
      break;
    }
  }
  const g = gradientAt(x, z, targets, theta, opts.l2);
  return {
    intercept: theta[0] as number,
    weights: theta.slice(1),
    iterations,
    converged,
    objective: f,
    maxAbsGradient: maxAbs(g),
  };
}

/** p = σ(slope · score + intercept): the map from a model's log-odds to a calibrated probability. */
export type PlattScaling = { slope: number; intercept: number };

export function applyPlatt(c: PlattScaling, score: number): number {
  return sigmoid(c.slope * score + c.intercept);
}

/**
 * Platt scaling (Platt 1999): a one-feature logistic regression of the outcomes on out-of-sample scores, with
 * Platt's smoothed targets (N₊ + 1)/(N₊ + 2) and 1/(N₋ + 2) instead of 1 and 0, which keeps a perfectly separated
 * fold from sending the slope to infinity. The slope is kept ≥ 0: a negative one would reverse the model's
 * ranking, and means the scores carry no usable signal, so it becomes 0 (every probability the base rate).
 */
export function fitPlatt(scores: ArrayLike<number>, outcomes: ArrayLike<number>): PlattScaling {
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += outcomes[i] === 1 ? 1 : 0;
  const negatives = n - positives;
  const high = (positives + 1) / (positives + 2);
  const low = 1 / (negatives + 2);
  const targets = new Float64Array(n);
  for (let i = 0; i < n; i++) targets[i] = outcomes[i] === 1 ? high : low;
  const fit = fitLogisticRegression({ rows: n, cols: 1, values: Float64Array.from(scores) }, targets, { l2: 0 });
  const slope = fit.weights[0] as number;
  if (slope > 0) return { slope, intercept: fit.intercept };
  let mean = 0;
  for (const t of targets) mean += t;
  return { slope: 0, intercept: logit(mean / n) };
}
