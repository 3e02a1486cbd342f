/** Shapes and queries of the relationship metrics (GET /metrics/...): definitions in docs/metrics.md. */
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api } from './client.ts';

export type Ratio = { value: number | null; numerator: number; denominator: number };
export type Total = { value: number };
export type Change = {
  current: number | null;
  previous: number | null;
  absolute: number | null;
  relative: number | null;
};
export type Compared<T> = { current: T; previous: T; change: Change };
export type Duration = {
  value: number | null;
  medianSeconds: number | null;
  meanSeconds: number | null;
  sumSeconds: number;
  count: number;
};

export type MetricsSummary = {
  period: { from: string; to: string };
  previousPeriod: { from: string; to: string };
  currency: string | null;
  currencies: string[];
  churnWindowDays: number;
  /** Mean 12-month predictive CLV (minor units) from the currency's current purchase model; null before one. */
  predictiveClv: { value: number | null; customers: number; modelVersion: number; asOf: string } | null;
  metrics: {
    revenue: Compared<Total>;
    orders: Compared<Total>;
    activeCustomers: Compared<Total>;
    averageOrderValue: Compared<Ratio>;
    purchaseFrequency: Compared<Ratio>;
    repeatPurchaseRate: Compared<Ratio>;
    retentionRate: Compared<Ratio>;
    churnRate: Compared<Ratio & { windowDays: number; returned: number; lapsing: number }>;
    subscriptionChurnRate: Compared<Ratio & { mrrBaseMinor: number; mrrChurnedMinor: number }>;
    historicalClv: Compared<Ratio>;
    tenure: Compared<Ratio>;
    firstResponseTime: Compared<Duration>;
    resolutionTime: Compared<Duration>;
    nps: Compared<Ratio & { promoters: number; passives: number; detractors: number }>;
    csat: Compared<Ratio>;
  };
};
export type MetricKey = keyof MetricsSummary['metrics'];

export type Cohorts = {
  to: string;
  currency: string;
  currencies: string[];
  cohorts: string[];
  sizes: number[];
  offsets: number;
  customers: Array<Array<number | null>>;
  retention: Array<Array<number | null>>;
  revenueMinor: Array<Array<number | null>>;
};

export { rfmSegmentGrid, rfmSegmentLabels, rfmSegments, type RfmSegment } from '../../../src/domain/rfm.ts';

export type RfmSummary = {
  asOf: string;
  currency: string;
  currencies: string[];
  customers: number;
  /** cells[R − 1][F − 1] */
  cells: number[][];
  segments: Record<string, number>;
};

export type RfmPerson = {
  personId: string;
  name: string;
  lastOrderAt: string;
  recencyDays: number;
  frequency: number;
  monetaryMinor: number;
  r: number;
  f: number;
  m: number;
  segment: string;
};

/** What every metrics request is scoped by: the currency and a segment (people filters, as on the people list). */
export type MetricsScope = { currency?: string | undefined; filter?: string[] | undefined };

export function useMetricsSummary(q: { from: string; to: string } & MetricsScope) {
  return useQuery({
    queryKey: ['metrics', 'summary', q],
    queryFn: () => api<MetricsSummary>('/metrics/summary', { query: q }),
    placeholderData: keepPreviousData,
  });
}

export type TrendMonth = {
  from: string;
  to: string;
  revenue: Total;
  orders: Total;
  activeCustomers: Total;
  repeatPurchaseRate: Ratio;
};

/** The trend lines: each of the `months` calendar months ending with the month before `to`, in one request. */
export function useMonthlyTrend(q: { to: string; months: number } & MetricsScope) {
  return useQuery({
    queryKey: ['metrics', 'trend', q],
    queryFn: () =>
      api<{ currency: string | null; currencies: string[]; months: TrendMonth[] }>('/metrics/trend', { query: q }),
    placeholderData: keepPreviousData,
  });
}

export function useCohorts(q: { to: string; maxOffset?: number } & MetricsScope) {
  return useQuery({
    queryKey: ['metrics', 'cohorts', q],
    queryFn: () => api<Cohorts>('/metrics/cohorts', { query: q }),
    placeholderData: keepPreviousData,
  });
}

export function useRfm(q: { asOf: string } & MetricsScope) {
  return useQuery({
    queryKey: ['metrics', 'rfm', q],
    queryFn: () => api<RfmSummary>('/metrics/rfm', { query: q }),
    placeholderData: keepPreviousData,
  });
}

/** The customers behind an RFM number: a segment, or a cell (r and f). */
export function useRfmPeople(q: ({ asOf: string; segment?: string; r?: number; f?: number } & MetricsScope) | null) {
  return useInfiniteQuery({
    queryKey: ['metrics', 'rfm-people', q],
    enabled: q !== null,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api<{ asOf: string; currency: string; data: RfmPerson[]; page: { nextCursor: string | null } }>(
        '/metrics/rfm/people',
        { query: { ...q, limit: 50, cursor: pageParam ?? undefined } },
      ),
    getNextPageParam: (last) => last.page.nextCursor,
  });
}

export function usePersonRfm(personId: string) {
  return useQuery({
    queryKey: ['metrics', 'person-rfm', personId],
    queryFn: () => api<{ asOf: string; currency: string; rfm: RfmPerson | null }>(`/people/${personId}/rfm`),
  });
}

export type MetricPerson = {
  personId: string;
  name: string;
  orders: number;
  netMinor: number;
  /** Their last counted order before the period ends. */
  lastOrderAt: string | null;
};

/** The customers behind a number of the summary (GET /metrics/people). */
export function useMetricPeople(
  q:
    | ({
        from: string;
        to: string;
        metric: string;
        part: 'numerator' | 'denominator' | 'returned' | 'lapsing';
        /** Only customers acquired in this month (YYYY-MM): a cohort cell or size. */
        cohort?: string | undefined;
      } & MetricsScope)
    | null,
) {
  return useInfiniteQuery({
    queryKey: ['metrics', 'people', q],
    enabled: q !== null,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api<{ currency: string; data: MetricPerson[]; page: { nextCursor: string | null } }>('/metrics/people', {
        query: { ...q, limit: 50, cursor: pageParam ?? undefined },
      }),
    getNextPageParam: (last) => last.page.nextCursor,
  });
}
