/** The API shapes of the predictions (GET /predictions/..., /people/{id}/predictions): rows become these here only. */
import { z } from 'zod';
import type { CustomerPredictionRow, PredictionModelRow, PredictionListRow } from './predictions.repository.ts';
import { predictionLists } from './predictions.service.ts';

export const predictionModelSchema = z.object({
  id: z.string(),
  kind: z.string().describe("'purchase': BG/NBD + Gamma-Gamma on the counted orders (docs/models.md)"),
  currency: z.string(),
  version: z.number().int(),
  status: z.enum(['current', 'superseded']),
  asOf: z.string().describe('End of the observation: histories are whole UTC days before it'),
  customers: z.number().int(),
  params: z
    .record(z.string(), z.unknown())
    .describe('bgNbd {r, alpha, a, b} (days), gammaGamma {p, q, gamma}, settings'),
  summary: z
    .record(z.string(), z.unknown())
    .describe('Log-likelihoods, convergence, the frequency–spend correlation, totals, timings'),
  fitMs: z.number().int(),
  createdAt: z.string(),
});

export function presentModel(m: PredictionModelRow): z.infer<typeof predictionModelSchema> {
  return {
    id: m.id,
    kind: m.kind,
    currency: m.currency,
    version: m.version,
    status: m.status,
    asOf: m.asOf.toISOString(),
    customers: m.customers,
    params: m.params,
    summary: m.summary,
    fitMs: m.fitMs,
    createdAt: m.createdAt.toISOString(),
  };
}

export const modelsSchema = z.object({ data: z.array(predictionModelSchema) });

export const predictionSchema = z.object({
  personId: z.string(),
  currency: z.string(),
  modelId: z.string(),
  modelVersion: z.number().int().optional(),
  current: z.boolean(),
  scoredAt: z.string(),
  repeatPurchases: z.number().int().describe('Days with a counted order after the first'),
  recencyDays: z.number().int().describe('Days from the first purchase day to the last'),
  ageDays: z.number().int().describe('Days from the first purchase day to the model’s asOf'),
  historicalNetMinor: z.number(),
  probabilityAlive: z.number(),
  expectedPurchases: z.number().describe('Expected purchase days in the model’s horizon'),
  horizonDays: z.number().int().optional(),
  expectedSpendMinor: z.number().describe('Expected net per purchase, minor units'),
  clvMinor: z.number().describe('Predictive CLV over the model’s months, discounted, minor units'),
  rfm: z.object({ r: z.number().int(), f: z.number().int(), m: z.number().int(), segment: z.string() }),
});

export function presentPrediction(
  p: CustomerPredictionRow & { version?: number; params?: Record<string, unknown> },
): z.infer<typeof predictionSchema> {
  const settings = p.params?.settings as { horizonDays?: number } | undefined;
  return {
    personId: p.personId,
    currency: p.currency,
    modelId: p.modelId,
    ...(p.version === undefined ? {} : { modelVersion: p.version }),
    current: p.current,
    scoredAt: p.scoredAt.toISOString(),
    repeatPurchases: p.x,
    recencyDays: p.recencyDays,
    ageDays: p.ageDays,
    historicalNetMinor: p.historicalNet,
    probabilityAlive: p.pAlive,
    expectedPurchases: p.expectedPurchases,
    ...(settings?.horizonDays === undefined ? {} : { horizonDays: settings.horizonDays }),
    expectedSpendMinor: p.expectedSpend,
    clvMinor: p.clv,
    rfm: { r: p.rfmR, f: p.rfmF, m: p.rfmM, segment: p.rfmSegment },
  };
}

export const personPredictionsQuery = z.object({
  history: z.enum(['true', 'false']).optional().describe('true: every stored score (earlier fits too), newest first'),
});
const reasonSchema = z.object({
  column: z.string(),
  value: z.string(),
  contribution: z.number().describe('Log-odds this column adds to the average customer’s'),
  text: z.string().describe('The value in words, e.g. "plan is monthly"'),
});
export const churnSchema = z.object({
  probability: z.number().describe('Calibrated probability of cancelling (the churn model)'),
  raising: z.array(reasonSchema).describe('The columns raising the risk most'),
  lowering: z.array(reasonSchema).describe('The columns lowering it most'),
  scoredAt: z.string(),
  modelVersion: z.number().int(),
});
export const personPredictionsSchema = z.object({
  data: z.array(predictionSchema).describe('Purchase model scores, one per currency (more with history=true)'),
  churn: churnSchema.nullable().describe('Null without a churn model, or when the person is not an active subscriber'),
});
export const churnModelBody = z
  .record(z.string(), z.unknown())
  .describe('A model file written by `rapport model train` (its JSON)');
export const activatedSchema = z.object({ model: predictionModelSchema, scored: z.number().int() });

export const listParams = z.object({ list: z.enum(predictionLists) });
export const listQuery = z.object({
  currency: z.string().optional().describe('ISO 4217; default the workspace’s currency with most customers'),
  limit: z.coerce.number().int().optional(),
  cursor: z.string().optional(),
});
export const listSchema = z.object({
  list: z.enum(predictionLists),
  title: z.string(),
  definition: z.string(),
  currency: z.string(),
  model: predictionModelSchema.nullable().describe('Null until a model is fitted for the currency'),
  data: z.array(predictionSchema.extend({ name: z.string() })),
  page: z.object({ nextCursor: z.string().nullable(), limit: z.number().int() }),
});

export function presentListRow(r: PredictionListRow) {
  return { ...presentPrediction(r), name: r.name };
}

export const refitSchema = z.object({ jobId: z.string().nullable().describe('Null when a refit is already queued') });
