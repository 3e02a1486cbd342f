import { z } from 'zod';
import { normaliseCurrency } from '../../domain/commerce.ts';
import { rfmSegments } from '../../domain/rfm.ts';
import { listQuery } from '../../http/schemas.ts';
import type { RfmPerson, Summary } from './metrics.service.ts';

/** Shared pieces of the metrics contract (the console imports these too: no server code here). */

const day = z
  .string()
  .max(40)
  .describe('A UTC day, YYYY-MM-DD (or a date-time at 00:00 UTC): metrics are kept per day');

const scopeQuery = {
  currency: z
    .string()
    .max(10)
    // A typo ("EUT") would show a shop with no sales: a code that is no currency is refused, as on orders.
    .refine((c) => normaliseCurrency(c) !== null, { message: 'is not an ISO 4217 currency code' })
    .optional()
    .describe("ISO 4217 code; amounts in other currencies are left out. Default: the workspace's most ordered one"),
  filter: listQuery.shape.filter.describe(
    'A segment: people filters as on GET /people (field:op:value, repeatable), e.g. stage:eq:customer, tag:eq:vip',
  ),
};

export const summaryQuery = z.object({
  from: day.describe('First day of the period (included), YYYY-MM-DD, UTC'),
  to: day.describe('First day after the period (excluded), YYYY-MM-DD, UTC'),
  churnWindowDays: z.coerce.number().int().optional().describe('Non-contractual churn window W in days (default 90)'),
  ...scopeQuery,
});

export const periodPeopleQuery = summaryQuery.extend({
  metric: z
    .string()
    .max(40)
    .describe(
      'Whose customers to list: revenue, orders, activeCustomers, newCustomers, averageOrderValue, purchaseFrequency, repeatPurchaseRate, retentionRate, churnRate, historicalClv or tenure (totals that are not customers list the customers whose orders make them)',
    ),
  part: z
    .enum(['numerator', 'denominator', 'returned', 'lapsing'])
    .optional()
    .describe('Which side of the ratio (default numerator); churnRate also has returned and lapsing'),
  cohort: z
    .string()
    .max(10)
    .optional()
    .describe(
      'Only customers acquired in this month (YYYY-MM): a cohort cell is activeCustomers of its month, its size newCustomers of the first',
    ),
  limit: listQuery.shape.limit,
  cursor: listQuery.shape.cursor,
});

export const periodPeopleSchema = z
  .object({
    period: z.object({ from: z.string(), to: z.string() }),
    currency: z.string(),
    data: z.array(
      z.object({
        personId: z.string(),
        name: z.string(),
        orders: z.number().int().describe('Counted orders in the period'),
        netMinor: z.number().describe('Their net amount, minor units'),
        lastOrderAt: z
          .string()
          .nullable()
          .describe('Their last counted order before the period ends (churned and lapsing customers have none in it)'),
      }),
    ),
    page: z.object({ nextCursor: z.string().nullable(), limit: z.number().int() }),
  })
  .meta({ id: 'MetricPeople' });

export const trendQuery = z.object({
  to: day.optional().describe('First day after the trend (default: the end of today, UTC); its month is the last'),
  months: z.coerce.number().int().optional().describe('How many calendar months (default 12, at most 120)'),
  ...scopeQuery,
});

export const trendSchema = z
  .object({
    to: z.string(),
    currency: z.string().nullable(),
    currencies: z.array(z.string()),
    months: z.array(
      z.object({
        from: z.string().describe('First day of the month'),
        to: z.string().describe('First day after it (the last month ends at `to`)'),
        revenue: z.object({ value: z.number() }),
        orders: z.object({ value: z.number() }),
        activeCustomers: z.object({ value: z.number() }),
        repeatPurchaseRate: z.object({ value: z.number().nullable(), numerator: z.number(), denominator: z.number() }),
      }),
    ),
  })
  .meta({ id: 'MetricsTrend' });

export const cohortsQuery = z.object({
  to: day.optional().describe('Orders before this day count (default: the end of today, UTC)'),
  maxOffset: z.coerce.number().int().optional().describe('Months since the first purchase to show at most'),
  ...scopeQuery,
});

export const rfmQuery = z.object({
  asOf: day.optional().describe('Orders before this day count (default: the end of today, UTC)'),
  ...scopeQuery,
});

export const rfmPeopleQuery = rfmQuery.extend({
  segment: z
    .string()
    .max(40)
    .optional()
    .describe(`One of ${rfmSegments.join(', ')}`),
  r: z.coerce.number().int().optional().describe('Recency score 1–5 (a cell of the grid with f)'),
  f: z.coerce.number().int().optional().describe('Frequency score 1–5'),
  limit: listQuery.shape.limit,
  cursor: listQuery.shape.cursor,
});

export const personRfmQuery = z.object({
  asOf: rfmQuery.shape.asOf,
  currency: scopeQuery.currency,
});

const ratio = z.object({
  value: z.number().nullable().describe('numerator / denominator; null when the denominator is 0'),
  numerator: z.number(),
  denominator: z.number(),
});
const total = z.object({ value: z.number() });
const change = z.object({
  current: z.number().nullable(),
  previous: z.number().nullable(),
  absolute: z.number().nullable(),
  relative: z.number().nullable().describe('(current − previous) / |previous|; null when previous is 0 or null'),
});
const churn = ratio.extend({ windowDays: z.number().int(), returned: z.number().int(), lapsing: z.number().int() });
const subscriptionChurn = ratio.extend({
  mrrBaseMinor: z.number(),
  mrrChurnedMinor: z.number(),
  mrrChurnRate: z.number().nullable(),
});
const duration = z.object({
  value: z.number().nullable().describe('The median, seconds'),
  medianSeconds: z.number().nullable(),
  meanSeconds: z.number().nullable(),
  sumSeconds: z.number(),
  count: z.number().int(),
});
const nps = ratio.extend({ promoters: z.number().int(), passives: z.number().int(), detractors: z.number().int() });

const compared = <T extends z.ZodType>(m: T) => z.object({ current: m, previous: m, change });

const period = z.object({ from: z.string(), to: z.string() });

export const summarySchema = z
  .object({
    period,
    previousPeriod: period,
    currency: z.string().nullable(),
    currencies: z.array(z.string()).describe('Currencies with counted orders, most ordered first'),
    churnWindowDays: z.number().int(),
    predictiveClv: z
      .object({
        value: z.number().nullable().describe('Mean 12-month predictive CLV per customer, minor units'),
        customers: z.number().int(),
        modelVersion: z.number().int(),
        asOf: z.string().describe('The model’s observation end: the forecast starts here'),
      })
      .nullable()
      .describe('From the currency’s current purchase model (BG/NBD × Gamma-Gamma); null before one is fitted'),
    metrics: z.object({
      revenue: compared(total).describe('Net revenue of counted orders, minor units'),
      orders: compared(total),
      activeCustomers: compared(total),
      averageOrderValue: compared(ratio).describe('Minor units'),
      purchaseFrequency: compared(ratio),
      repeatPurchaseRate: compared(ratio),
      retentionRate: compared(ratio),
      churnRate: compared(churn),
      subscriptionChurnRate: compared(subscriptionChurn),
      historicalClv: compared(ratio).describe('Minor units per customer, as of the period end'),
      tenure: compared(ratio).describe('Days'),
      firstResponseTime: compared(duration),
      resolutionTime: compared(duration),
      nps: compared(nps).describe('Empty until feedback is collected'),
      csat: compared(ratio).describe('Empty until feedback is collected'),
    }),
  })
  .meta({ id: 'MetricsSummary' });

export function presentSummary(s: Summary): z.infer<typeof summarySchema> {
  const p = (x: { from: Date; to: Date }) => ({ from: x.from.toISOString(), to: x.to.toISOString() });
  return {
    ...s,
    period: p(s.period),
    previousPeriod: p(s.previousPeriod),
    predictiveClv: s.predictiveClv ? { ...s.predictiveClv, asOf: s.predictiveClv.asOf.toISOString() } : null,
  };
}

const cells = z.array(z.array(z.number().nullable()));

export const cohortsSchema = z
  .object({
    to: z.string(),
    currency: z.string(),
    currencies: z.array(z.string()),
    cohorts: z.array(z.string()).describe("Acquisition months 'YYYY-MM' (UTC), oldest first"),
    sizes: z.array(z.number().int()),
    offsets: z.number().int(),
    customers: cells.describe('customers[cohort][months since the first purchase]; null = not observed yet'),
    retention: cells,
    revenueMinor: cells,
  })
  .meta({ id: 'Cohorts' });

const segmentCounts = z.object(Object.fromEntries(rfmSegments.map((s) => [s, z.number().int()])));

export const rfmSummarySchema = z
  .object({
    asOf: z.string(),
    currency: z.string(),
    currencies: z.array(z.string()),
    customers: z.number().int(),
    cells: z.array(z.array(z.number().int())).describe('Customers per cell: cells[R − 1][F − 1]'),
    segments: segmentCounts,
  })
  .meta({ id: 'RfmSummary' });

export const rfmPersonSchema = z
  .object({
    personId: z.string(),
    name: z.string(),
    lastOrderAt: z.string(),
    recencyDays: z.number().int(),
    frequency: z.number().int(),
    monetaryMinor: z.number(),
    r: z.number().int(),
    f: z.number().int(),
    m: z.number().int(),
    segment: z.enum(rfmSegments),
  })
  .meta({ id: 'RfmPerson' });

export function presentRfmPerson(p: RfmPerson): z.infer<typeof rfmPersonSchema> {
  return {
    personId: p.personId,
    name: p.name,
    lastOrderAt: p.lastOrderAt.toISOString(),
    recencyDays: p.recencyDays,
    frequency: p.frequency,
    monetaryMinor: p.monetary,
    r: p.r,
    f: p.f,
    m: p.m,
    segment: p.segment,
  };
}

export const rfmPeopleSchema = z.object({
  asOf: z.string(),
  currency: z.string(),
  currencies: z.array(z.string()),
  data: z.array(rfmPersonSchema),
  page: z.object({ nextCursor: z.string().nullable(), limit: z.number().int() }),
});

export const personRfmSchema = z.object({
  asOf: z.string(),
  currency: z.string(),
  rfm: rfmPersonSchema.nullable().describe('Null when the person has no counted order before asOf'),
});
