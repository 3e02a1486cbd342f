import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { workspaces } from './workspaces.ts';

/**
 * Predictive models and the scores they give each customer (src/modules/predictions, docs/models.md).
 *
 * A model row is one fit: its kind, currency (spend models are per currency, as the metrics are), version (counting
 * up per workspace, kind and currency), parameters and fit summary. Every fit scores its customers into
 * `customer_predictions` and becomes the current one; earlier fits and their scores stay as history (the newest ten
 * per workspace, kind and currency). No foreign key to people: scores are derived and a refit replaces them; the
 * person's deletion removes theirs through the service.
 */

const ts = (name: string) => timestamp(name, { withTimezone: true });

export type PredictionModelStatus = 'current' | 'superseded';

export const predictionModels = pgTable(
  'prediction_models',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    /** 'purchase': BG/NBD + Gamma-Gamma on the orders. */
    kind: text('kind').notNull(),
    currency: text('currency').notNull(),
    version: integer('version').notNull(),
    status: text('status').$type<PredictionModelStatus>().notNull(),
    /** The end of the observation: the histories are measured up to this instant (whole UTC days). */
    asOf: ts('as_of').notNull(),
    /** Parameters, settings (horizon, CLV periods and discount) and the fit summary; shapes in predictions.schemas.ts. */
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    summary: jsonb('summary').$type<Record<string, unknown>>().notNull(),
    customers: integer('customers').notNull(),
    fitMs: integer('fit_ms').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    uniqueIndex('prediction_models_version_idx').on(t.workspaceId, t.kind, t.currency, t.version),
  ],
);

export const customerPredictions = pgTable(
  'customer_predictions',
  {
    workspaceId: uuid('workspace_id').notNull(),
    modelId: uuid('model_id').notNull(),
    personId: uuid('person_id').notNull(),
    currency: text('currency').notNull(),
    /** Whether this row belongs to the current model of its kind and currency (the one lists and filters read). */
    current: boolean('current').notNull(),
    scoredAt: ts('scored_at').notNull(),
    /** The history the model saw: repeat purchase days, days from first to last, days observed. */
    x: integer('x').notNull(),
    recencyDays: integer('recency_days').notNull(),
    ageDays: integer('age_days').notNull(),
    /** Net spend so far (minor units) and the mean of the repeat purchase days' spend (minor units; 0 without). */
    historicalNet: bigint('historical_net', { mode: 'number' }).notNull(),
    repeatMean: doublePrecision('repeat_mean').notNull(),
    pAlive: doublePrecision('p_alive').notNull(),
    /** Expected purchase days in the model's horizon (params.horizonDays). */
    expectedPurchases: doublePrecision('expected_purchases').notNull(),
    /** Expected spend per purchase and predictive CLV, minor units. */
    expectedSpend: doublePrecision('expected_spend').notNull(),
    clv: doublePrecision('clv').notNull(),
    /** RFM scores and segment as of the model's asOf (docs/metrics.md), stored so they can filter lists. */
    rfmR: smallint('rfm_r').notNull(),
    rfmF: smallint('rfm_f').notNull(),
    rfmM: smallint('rfm_m').notNull(),
    rfmSegment: text('rfm_segment').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.modelId, t.personId] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    foreignKey({
      columns: [t.workspaceId, t.modelId],
      foreignColumns: [predictionModels.workspaceId, predictionModels.id],
    }).onDelete('cascade'),
    // A person's current scores (the 360° page, list filters).
    index('customer_predictions_person_idx')
      .on(t.workspaceId, t.personId)
      .where(sql`current`),
    // The lists: most valuable first within the current model.
    index('customer_predictions_clv_idx')
      .on(t.workspaceId, t.currency, t.clv)
      .where(sql`current`),
  ],
);

/**
 * Churn risk of subscribers from the workspace's current churn model (kind 'churn', currency 'ALL'): the calibrated
 * probability and the columns that raise it, in words. Earlier scorings stay as history, as for the purchase scores.
 */
export const customerChurnScores = pgTable(
  'customer_churn_scores',
  {
    workspaceId: uuid('workspace_id').notNull(),
    modelId: uuid('model_id').notNull(),
    personId: uuid('person_id').notNull(),
    current: boolean('current').notNull(),
    scoredAt: ts('scored_at').notNull(),
    probability: doublePrecision('probability').notNull(),
    /** The columns raising the risk most, then those lowering it most: {column, value, contribution, text}. */
    raising: jsonb('raising').$type<ChurnReason[]>().notNull(),
    lowering: jsonb('lowering').$type<ChurnReason[]>().notNull(),
  },
  (t) => [
    // Each scoring is a row: a model rescored (nightly, after imports) keeps its earlier scores as history.
    primaryKey({ columns: [t.workspaceId, t.modelId, t.personId, t.scoredAt] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    foreignKey({
      columns: [t.workspaceId, t.modelId],
      foreignColumns: [predictionModels.workspaceId, predictionModels.id],
    }).onDelete('cascade'),
    index('customer_churn_scores_person_idx')
      .on(t.workspaceId, t.personId)
      .where(sql`current`),
  ],
);

export type ChurnReason = { column: string; value: string; contribution: number; text: string };
