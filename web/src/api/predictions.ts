/**
 * Shapes and queries of the predictive models (GET /predictions/..., GET /people/{id}/predictions, POST
 * /predictions/refit): BG/NBD + Gamma-Gamma fitted per currency on the customers' purchase days
 * (src/modules/predictions). Money is in minor units of the currency; times in days.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './client.ts';

export const predictionListNames = ['high_value_at_risk', 'likely_to_buy', 'probably_gone'] as const;
export type PredictionListName = (typeof predictionListNames)[number];

export type PurchaseModelParams = {
  bgNbd: { r: number; alpha: number; a: number; b: number };
  gammaGamma: { p: number; q: number; gamma: number };
  settings: { horizonDays: number; clvMonths: number; monthlyDiscountRate: number };
};

export type PurchaseModelSummary = {
  logLikelihood: number;
  converged: boolean;
  iterations: number;
  repeatCustomers: number;
  spendCustomers: number;
  gammaGammaLogLikelihood: number;
  gammaGammaConverged: boolean;
  /** Pearson r of repeat purchases and mean repeat spend: Gamma-Gamma assumes about none. */
  frequencySpendCorrelation: number;
  meanProbabilityAlive: number;
  expectedPurchases: number;
  totalClv: number;
  /** Pareto/NBD beside BG/NBD on the same customers (absent on fits made before it was added). */
  paretoNbdComparison?: {
    customers: number;
    paretoNbd: { r: number; alpha: number; s: number; beta: number };
    paretoNbdConverged: boolean;
    paretoNbdMeanLogLikelihood: number;
    bgNbdMeanLogLikelihood: number;
  } | null;
  timings: { readMs: number; fitMs: number; scoreMs: number; writeMs: number };
};

/**
 * A stored fit. The API declares `params` and `summary` as open records (they are the model kind's own); the console
 * only ever asks for `kind: 'purchase'` models, whose shapes these are.
 */
export type PredictionModel = {
  id: string;
  kind: string;
  currency: string;
  version: number;
  status: 'current' | 'superseded';
  /** End of the observation: histories are whole UTC days before it. */
  asOf: string;
  customers: number;
  params: PurchaseModelParams;
  summary: PurchaseModelSummary;
  fitMs: number;
  createdAt: string;
};

/** A customer's scores in one currency. */
export type Prediction = {
  personId: string;
  currency: string;
  modelId: string;
  modelVersion?: number;
  current: boolean;
  scoredAt: string;
  /** Days with a counted order after the first. */
  repeatPurchases: number;
  /** Days from the first purchase day to the last. */
  recencyDays: number;
  /** Days from the first purchase day to the last day observed (the day before the model's asOf). */
  ageDays: number;
  historicalNetMinor: number;
  probabilityAlive: number;
  /** Expected purchase days in the `horizonDays` after the model's asOf. */
  expectedPurchases: number;
  horizonDays?: number;
  /** Expected net per future purchase. */
  expectedSpendMinor: number;
  /** Predictive CLV over the model's months, discounted. */
  clvMinor: number;
  rfm: { r: number; f: number; m: number; segment: string };
};

/** A column's part in a customer's churn risk, in words ("plan is monthly"). */
export type ChurnReason = { column: string; value: string; contribution: number; text: string };

/** An active subscriber's churn risk from the workspace's churn model (docs/models.md, "Churn risk in the product"). */
export type PersonChurn = {
  probability: number;
  raising: ChurnReason[];
  lowering: ChurnReason[];
  scoredAt: string;
  modelVersion: number;
};

export type PredictionListRow = Prediction & { name: string };

export type PredictionListPage = {
  list: PredictionListName;
  title: string;
  definition: string;
  currency: string;
  /** Null until a model is fitted for the currency. */
  model: PredictionModel | null;
  data: PredictionListRow[];
  page: { nextCursor: string | null; limit: number };
};

export const predictionKeys = {
  all: ['predictions'] as const,
  models: ['predictions', 'models'] as const,
  list: (list: PredictionListName, currency: string | undefined) => ['predictions', 'list', list, currency] as const,
  person: (personId: string) => ['predictions', 'person', personId] as const,
};

/** Every stored fit, the current one first within each currency. */
export function usePredictionModels(enabled = true) {
  return useQuery({
    queryKey: predictionKeys.models,
    enabled,
    queryFn: () => api<{ data: PredictionModel[] }>('/predictions/models'),
  });
}

/** One list, a keyset page at a time ("Load more"). */
export function usePredictionList(list: PredictionListName, currency: string | undefined, pageSize = 50) {
  return useInfiniteQuery({
    queryKey: predictionKeys.list(list, currency),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api<PredictionListPage>(`/predictions/lists/${list}`, {
        query: { currency, limit: pageSize, cursor: pageParam ?? undefined },
      }),
    getNextPageParam: (last) => last.page.nextCursor,
    // Another currency of the same list keeps the rows on screen while it loads; another list never shows this one's.
    placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[2] === list ? previous : undefined),
  });
}

/** A person's current scores, one per currency they bought in. */
export function usePersonPredictions(personId: string, enabled = true) {
  return useQuery({
    queryKey: predictionKeys.person(personId),
    enabled,
    queryFn: () => api<{ data: Prediction[]; churn: PersonChurn | null }>(`/people/${personId}/predictions`),
  });
}

/** Queues a refit of every currency's purchase model; `jobId` is null when one is already queued. */
export function useRefitPredictions() {
  return useMutation({
    mutationFn: () => api<{ jobId: string | null }>('/predictions/refit', { method: 'POST' }),
  });
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type Job = {
  id: string;
  name: string;
  state: JobState;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
};

/**
 * A background job, polled every 2 s until it ends; when it succeeds, every prediction query is refetched (the refit
 * has written a new model and new scores).
 */
export function useRefitJob(jobId: string | null) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: ['jobs', jobId],
    enabled: jobId !== null,
    queryFn: async () => {
      const job = await api<Job>(`/jobs/${jobId}`);
      if (job.state === 'succeeded') await qc.invalidateQueries({ queryKey: predictionKeys.all });
      return job;
    },
    refetchInterval: (q) => (q.state.data && !['queued', 'running'].includes(q.state.data.state) ? false : 2000),
  });
}
