/**
 * Churn risk of subscribers in the product (docs/models.md, "Churn risk"). The loop:
 *   1. `churnFeatures` — one row per person with a subscription: what Rapport knows of them (tenure, plan, MRR,
 *      orders, tickets, complaints and urgent tickets in the last year, the person's custom fields) measured at the
 *      end of their relationship (the last cancellation for those who left, now for the others, so nothing after
 *      the churn leaks in), and the label `churned` (yes: no active subscription left).
 *   2. `rapport model features` writes them as CSV; `rapport model train … --label churned` fits the classifier
 *      (src/domain/churn-model.ts) on it — or on any CSV whose columns the customers' records have.
 *   3. `activateChurnModel` (CLI `rapport model activate`, API PUT /predictions/churn-model) checks the model's
 *      columns against the features, stores it as the workspace's churn model and scores every active subscriber:
 *      the calibrated probability and the columns that raise it, in words. The refit job rescores daily.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import { rowsOf } from '../../db/client.ts';
import { insertRows } from '../../db/bulk.ts';
import { newId } from '../../db/ids.ts';
import { customerChurnScores, predictionModels } from '../../db/schema/index.ts';
import {
  cellText,
  ModelInputError,
  parseChurnModel,
  scoreWithReasons,
  type CellValue,
  type ChurnModel,
} from '../../domain/churn-model.ts';
import { AppError } from '../../errors.ts';
import type { PredictionModelRow } from './predictions.repository.ts';

export const churnLabel = 'churned';
export const churnModelCurrency = 'ALL';

/** The features Rapport computes; a custom field of the same key is hidden by them. */
export const computedChurnFeatures = [
  'plan',
  'mrr',
  'subscriptions',
  'tenure_days',
  'orders',
  'tickets_365d',
  'urgent_tickets_365d',
  'complaints_365d',
  'open_tickets',
] as const;

export type ChurnFeatureRow = { personId: string; active: boolean; features: Record<string, CellValue> };

function customCell(v: unknown): CellValue {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(String).join('|');
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

/** Every person with a subscription (or those given), their features and whether they still subscribe. */
export async function churnFeatures(
  db: DbOrTx,
  workspaceId: string,
  opts: { now?: Date; onlyActive?: boolean } = {},
): Promise<ChurnFeatureRow[]> {
  const now = (opts.now ?? new Date()).toISOString();
  const rows = rowsOf<{
    person_id: string;
    custom: Record<string, unknown>;
    active: boolean;
    plan: string;
    mrr: number;
    subscriptions: number;
    tenure_days: number;
    orders: number;
    tickets_365d: number;
    urgent_tickets_365d: number;
    complaints_365d: number;
    open_tickets: number;
  }>(
    await db.execute(sql`
      with subs as (
        select person_id, bool_or(status = 'active') as active, min(started_at) as first_start,
          max(canceled_at) as last_cancel, (array_agg(plan order by started_at desc, id))[1] as plan,
          (array_agg(mrr order by started_at desc, id))[1] as mrr, count(*)::int as subscriptions
        from subscriptions where workspace_id = ${workspaceId}
        group by person_id
      ), base as (
        select s.*, case when s.active then ${now}::timestamptz else s.last_cancel end as end_at from subs s
        ${opts.onlyActive ? sql`where s.active` : sql``}
      )
      select b.person_id, p.custom, b.active, b.plan, b.mrr::float8 as mrr, b.subscriptions,
        floor(extract(epoch from (b.end_at - b.first_start)) / 86400)::int as tenure_days,
        (select count(*)::int from orders o where o.workspace_id = b_ws.ws and o.person_id = b.person_id
          and o.placed_at < b.end_at and o.status not in ('canceled', 'refunded')) as orders,
        t.tickets_365d, t.urgent_tickets_365d, t.complaints_365d, t.open_tickets
      from base b
      cross join (select ${workspaceId}::uuid as ws) b_ws
      join people p on p.workspace_id = b_ws.ws and p.id = b.person_id
      cross join lateral (
        select
          count(*) filter (where tk.created_at >= b.end_at - interval '365 days')::int as tickets_365d,
          count(*) filter (where tk.created_at >= b.end_at - interval '365 days'
            and tk.priority in ('high', 'urgent'))::int as urgent_tickets_365d,
          count(*) filter (where tk.created_at >= b.end_at - interval '365 days' and tk.type = 'complaint')::int
            as complaints_365d,
          count(*) filter (where tk.status not in ('solved', 'closed'))::int as open_tickets
        from tickets tk
        where tk.workspace_id = b_ws.ws and tk.person_id = b.person_id and tk.created_at < b.end_at
      ) t
      order by b.person_id`),
  );
  return rows.map((r) => {
    const features: Record<string, CellValue> = {};
    for (const [k, v] of Object.entries(r.custom ?? {})) features[k] = customCell(v);
    Object.assign(features, {
      plan: r.plan,
      mrr: Number(r.mrr),
      subscriptions: Number(r.subscriptions),
      tenure_days: Number(r.tenure_days),
      orders: Number(r.orders),
      tickets_365d: Number(r.tickets_365d),
      urgent_tickets_365d: Number(r.urgent_tickets_365d),
      complaints_365d: Number(r.complaints_365d),
      open_tickets: Number(r.open_tickets),
    });
    return { personId: r.person_id, active: Boolean(r.active), features };
  });
}

/** The feature table as CSV columns: person_id, the computed features, the custom fields seen, then `churned`. */
export function churnFeatureTable(rows: readonly ChurnFeatureRow[]): { columns: string[]; rows: string[][] } {
  const custom = new Set<string>();
  for (const r of rows)
    for (const k of Object.keys(r.features))
      if (!(computedChurnFeatures as readonly string[]).includes(k)) custom.add(k);
  const names = [...computedChurnFeatures, ...[...custom].sort()];
  return {
    columns: ['person_id', ...names, churnLabel],
    rows: rows.map((r) => [r.personId, ...names.map((n) => cellText(r.features[n])), r.active ? 'no' : 'yes']),
  };
}

/** Which of the model's used columns the customers' records lack (custom fields defined or computed features). */
function missingColumns(model: ChurnModel, available: ReadonlySet<string>): string[] {
  return model.columns.filter((c) => c.kind !== 'ignored' && !available.has(c.name)).map((c) => c.name);
}

export type ChurnScoring = { model: PredictionModelRow; scored: number };

/** Scores every active subscriber with the given stored model, in one transaction; earlier scores become history. */
async function scoreSubscribers(db: Db, model: PredictionModelRow, parsed: ChurnModel): Promise<number> {
  const rows = await churnFeatures(db, model.workspaceId, { onlyActive: true });
  const scoredAt = new Date();
  const scores = rows.map((r) => {
    const s = scoreWithReasons(parsed, r.features, { limit: 3 });
    const words = (x: (typeof s.raising)[number]) => ({
      column: x.column,
      value: x.value,
      contribution: x.contribution,
      text: x.text,
    });
    return {
      workspaceId: model.workspaceId,
      modelId: model.id,
      personId: r.personId,
      current: true,
      scoredAt,
      probability: s.probability,
      raising: s.raising.map(words),
      lowering: s.lowering.map(words),
    };
  });
  await db.transaction(async (tx) => {
    await tx
      .update(customerChurnScores)
      .set({ current: false })
      .where(and(eq(customerChurnScores.workspaceId, model.workspaceId), eq(customerChurnScores.current, true)));
    await tx.execute(sql`
      delete from customer_churn_scores
      where workspace_id = ${model.workspaceId} and scored_at < now() - interval '400 days'`);
    await insertRows(tx, customerChurnScores, scores);
  });
  return scores.length;
}

/**
 * Makes a model file (its text) the workspace's churn model and scores the active subscribers. A file that is not
 * a Rapport churn model, or needs columns the customers' records do not have, is refused with what is wrong.
 */
export async function activateChurnModel(db: Db, workspaceId: string, text: string): Promise<ChurnScoring> {
  let parsed: ChurnModel;
  try {
    parsed = parseChurnModel(text);
  } catch (e) {
    if (e instanceof ModelInputError) throw new AppError('validation_failed', e.message, { code: e.code });
    throw e;
  }
  const defs = rowsOf<{ key: string }>(
    await db.execute(sql`select key from custom_fields where workspace_id = ${workspaceId} and entity = 'person'`),
  );
  const available = new Set<string>([...computedChurnFeatures, ...defs.map((d) => d.key)]);
  const missing = missingColumns(parsed, available);
  if (missing.length)
    throw new AppError(
      'validation_failed',
      `The model needs columns the customers' records do not have: ${missing.join(', ')}. Train it on \`rapport model features\` output, or add person custom fields with these keys.`,
      { missing, available: [...available].sort() },
    );
  const model = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`predictions:${workspaceId}:churn`}))`);
    const [last] = rowsOf<{ version: number | null }>(
      await tx.execute(sql`
        select max(version)::int as version from prediction_models
        where workspace_id = ${workspaceId} and kind = 'churn'`),
    );
    await tx
      .update(predictionModels)
      .set({ status: 'superseded' })
      .where(and(eq(predictionModels.workspaceId, workspaceId), eq(predictionModels.kind, 'churn')));
    const cv = parsed.training.crossValidation;
    const [row] = await tx
      .insert(predictionModels)
      .values({
        workspaceId,
        id: newId(),
        kind: 'churn',
        currency: churnModelCurrency,
        version: Number(last?.version ?? 0) + 1,
        status: 'current',
        asOf: new Date(),
        params: parsed as unknown as Record<string, unknown>,
        summary: {
          trainedAt: parsed.createdAt,
          trainingRows: parsed.training.rows,
          positives: parsed.training.positives,
          meanAuc: cv.meanAuc,
          sdAuc: cv.sdAuc,
          brier: cv.brier,
          brierBaseRate: cv.brierBaseRate,
          folds: cv.folds,
        },
        customers: 0,
        fitMs: Math.round(parsed.training.durationMs),
      })
      .returning();
    if (!row) throw new Error('prediction model insert returned nothing');
    return row;
  });
  const scored = await scoreSubscribers(db, model, parsed);
  await db
    .update(predictionModels)
    .set({ customers: scored })
    .where(and(eq(predictionModels.workspaceId, workspaceId), eq(predictionModels.id, model.id)));
  return { model: { ...model, customers: scored }, scored };
}

/** Rescores with the current churn model, if the workspace has one (the refit job). */
export async function rescoreChurn(db: Db, workspaceId: string): Promise<ChurnScoring | null> {
  const [model] = await db
    .select()
    .from(predictionModels)
    .where(
      and(
        eq(predictionModels.workspaceId, workspaceId),
        eq(predictionModels.kind, 'churn'),
        eq(predictionModels.status, 'current'),
      ),
    );
  if (!model) return null;
  const parsed = parseChurnModel(JSON.stringify(model.params));
  const scored = await scoreSubscribers(db, model, parsed);
  return { model, scored };
}

export type PersonChurn = {
  probability: number;
  raising: Array<{ column: string; value: string; contribution: number; text: string }>;
  lowering: Array<{ column: string; value: string; contribution: number; text: string }>;
  scoredAt: Date;
  modelVersion: number;
};

/** A person's current churn risk, or null (no churn model, or not an active subscriber when last scored). */
export async function personChurn(db: DbOrTx, workspaceId: string, personId: string): Promise<PersonChurn | null> {
  const [r] = await db
    .select({ s: customerChurnScores, version: predictionModels.version })
    .from(customerChurnScores)
    .innerJoin(
      predictionModels,
      and(
        eq(predictionModels.workspaceId, customerChurnScores.workspaceId),
        eq(predictionModels.id, customerChurnScores.modelId),
      ),
    )
    .where(
      and(
        eq(customerChurnScores.workspaceId, workspaceId),
        eq(customerChurnScores.personId, personId),
        eq(customerChurnScores.current, true),
      ),
    );
  if (!r) return null;
  return {
    probability: r.s.probability,
    raising: r.s.raising,
    lowering: r.s.lowering,
    scoredAt: r.s.scoredAt,
    modelVersion: r.version,
  };
}
