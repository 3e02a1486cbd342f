/**
 * How good a binary classifier's scores are: ROC AUC (exact, from ranks), the Brier score, log loss and a reliability
 * table (predicted against observed rates). Pure functions over parallel arrays of scores and 0/1 outcomes.
 */

export type Outcome = 0 | 1;

/**
 * Area under the ROC curve: the probability that a random positive scores above a random negative, ties counting
 * one half. Computed from mid-ranks (the Mann–Whitney U statistic), so it is exact and O(n log n):
 * AUC = (R₊ − n₊(n₊ + 1)/2) / (n₊ n₋), where R₊ is the sum of the positives' ranks and tied scores share the mean
 * of their ranks. Null when either class is absent (the AUC is undefined then).
 */
export function rocAuc(scores: ArrayLike<number>, outcomes: ArrayLike<number>): number | null {
  const n = scores.length;
  if (outcomes.length !== n) throw new Error('rocAuc: scores and outcomes differ in length');
  for (let i = 0; i < n; i++) if (Number.isNaN(scores[i])) throw new Error(`rocAuc: score ${i} is not a number`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && scores[order[end] as number] === scores[order[start] as number]) end++;
    // Ranks start..end-1 (0-based) are tied: each gets the mean 1-based rank.
    const midRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (outcomes[order[k] as number] === 1) {
        positives++;
        positiveRankSum += midRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean squared difference between the predicted probability and the outcome (0 is perfect; lower is better). */
export function brierScore(probabilities: ArrayLike<number>, outcomes: ArrayLike<number>): number {
  const n = probabilities.length;
  if (n === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = (probabilities[i] as number) - (outcomes[i] as number);
    sum += d * d;
  }
  return sum / n;
}

/** Mean negative log-likelihood in nats, with probabilities clipped to [1e-15, 1 − 1e-15] so a sure miss is finite. */
export function logLoss(probabilities: ArrayLike<number>, outcomes: ArrayLike<number>): number {
  const n = probabilities.length;
  if (n === 0) return Number.NaN;
  const eps = 1e-15;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i] as number));
    sum -= outcomes[i] === 1 ? Math.log(p) : Math.log1p(-p);
  }
  return sum / n;
}

export type ReliabilityBin = {
  /** Predicted probabilities in [from, to) (the last bin includes 1). */
  from: number;
  to: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
};

/**
 * Equal-width bins of the predicted probability with, for each bin holding predictions, the mean prediction and the
 * share of positives. A calibrated model has the two close in every well-filled bin. Empty bins are left out.
 */
export function reliabilityTable(
  probabilities: ArrayLike<number>,
  outcomes: ArrayLike<number>,
  binCount = 10,
): ReliabilityBin[] {
  const count = new Array<number>(binCount).fill(0);
  const predictedSum = new Array<number>(binCount).fill(0);
  const positiveSum = new Array<number>(binCount).fill(0);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    const bin = Math.min(binCount - 1, Math.max(0, Math.floor(p * binCount)));
    count[bin]! += 1;
    predictedSum[bin]! += p;
    positiveSum[bin]! += outcomes[i] as number;
  }
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < binCount; b++) {
    const c = count[b] as number;
    if (c === 0) continue;
    out.push({
      from: b / binCount,
      to: (b + 1) / binCount,
      count: c,
      meanPredicted: (predictedSum[b] as number) / c,
      observedRate: (positiveSum[b] as number) / c,
    });
  }
  return out;
}

/**
 * Expected calibration error of a reliability table: the count-weighted mean of |mean predicted − observed rate|.
 */
export function expectedCalibrationError(table: readonly ReliabilityBin[]): number {
  let total = 0;
  let weighted = 0;
  for (const bin of table) {
    total += bin.count;
    weighted += bin.count * Math.abs(bin.meanPredicted - bin.observedRate);
  }
  return total === 0 ? Number.NaN : weighted / total;
}

/** Share of predictions on the right side of the threshold (p ≥ threshold means positive). */
export function accuracyAt(probabilities: ArrayLike<number>, outcomes: ArrayLike<number>, threshold = 0.5): number {
  const n = probabilities.length;
  if (n === 0) return Number.NaN;
  let right = 0;
  for (let i = 0; i < n; i++) if (((probabilities[i] as number) >= threshold ? 1 : 0) === outcomes[i]) right++;
  return right / n;
}
