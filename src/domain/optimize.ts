/**
 * Minimising a smooth function of a few parameters: BFGS with an Armijo backtracking line search. Used to fit the
 * customer-base models by maximum likelihood (bgnbd.ts, gamma-gamma.ts) on log-parameters, where a handful of
 * parameters and an exact gradient make quasi-Newton converge in tens of iterations.
 */

export type Objective = (theta: readonly number[]) => { value: number; gradient: number[] };

export type MinimizeResult = {
  theta: number[];
  value: number;
  gradient: number[];
  iterations: number;
  evaluations: number;
  converged: boolean;
  /** The final inverse-Hessian approximation: a good start for a related problem (see fitBgNbd). */
  inverseHessian: number[][];
};

export type MinimizeOptions = {
  maxIterations?: number;
  /**
   * Converged when every gradient component is below this in absolute value. Objectives are scaled to be of order
   * one (a mean per customer), where rounding leaves gradients of about 1e-12.
   */
  gradientTolerance?: number;
  /** Starting inverse-Hessian approximation (default: the identity). */
  inverseHessian?: number[][];
};

/** See the end of minimizeBfgs. */
const stallGradientTolerance = 1e-6;

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

export function minimizeBfgs(f: Objective, start: readonly number[], options: MinimizeOptions = {}): MinimizeResult {
  const n = start.length;
  const maxIterations = options.maxIterations ?? 500;
  const gradientTolerance = options.gradientTolerance ?? 1e-8;
  let theta = [...start];
  let current = f(theta);
  let evaluations = 1;
  if (!Number.isFinite(current.value)) throw new RangeError('the objective is not finite at the starting point');
  // Inverse Hessian approximation, starting from the identity.
  let h: number[][] =
    options.inverseHessian?.map((row) => [...row]) ??
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  const converged = () => current.gradient.every((g) => Math.abs(g) < gradientTolerance);
  let iterations = 0;
  let stalled = 0;
  while (iterations < maxIterations && !converged()) {
    iterations++;
    let direction = h.map((row) => -dot(row, current.gradient));
    let slope = dot(direction, current.gradient);
    if (!(slope < 0)) {
      // Not a descent direction (the approximation went bad): restart from steepest descent.
      h = h.map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));
      direction = current.gradient.map((g) => -g);
      slope = dot(direction, current.gradient);
    }
    let step = 1;
    let next: { theta: number[]; value: number; gradient: number[] } | null = null;
    for (let tries = 0; tries < 40; tries++) {
      const candidate = theta.map((t, i) => t + step * direction[i]!);
      const result = f(candidate);
      evaluations++;
      if (Number.isFinite(result.value) && result.value <= current.value + 1e-4 * step * slope) {
        next = { theta: candidate, ...result };
        break;
      }
      step *= 0.5;
    }
    if (!next) break;
    const s = next.theta.map((t, i) => t - theta[i]!);
    const y = next.gradient.map((g, i) => g - current.gradient[i]!);
    const sy = dot(s, y);
    const improvement = current.value - next.value;
    theta = next.theta;
    current = { value: next.value, gradient: next.gradient };
    if (sy > 1e-300) {
      // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
      const rho = 1 / sy;
      const hy = h.map((row) => dot(row, y));
      const yhy = dot(y, hy);
      h = h.map((row, i) =>
        row.map((v, j) => v - rho * (hy[i]! * s[j]! + s[i]! * hy[j]!) + (rho * rho * yhy + rho) * s[i]! * s[j]!),
      );
    }
    // At the precision floor steps stop improving the value: with a gradient already small, stop at once (each
    // further try costs a line search of many evaluations); otherwise allow a few tries before giving up.
    if (improvement <= 1e-14 * Math.max(1, Math.abs(current.value))) {
      stalled++;
      if (current.gradient.every((g) => Math.abs(g) < stallGradientTolerance) || stalled >= 5) break;
    } else stalled = 0;
  }
  return {
    theta,
    value: current.value,
    gradient: current.gradient,
    iterations,
    evaluations,
    // Stalled: no step improves the value any more at double precision. On millions of customers that floor is
    // reached with gradients of about 1e-8, still a maximum for any practical purpose (relative parameter error of
    // about 1e-7), so a stall with a small gradient counts as converged.
    converged: converged() || (stalled > 0 && current.gradient.every((g) => Math.abs(g) < stallGradientTolerance)),
    inverseHessian: h,
  };
}
