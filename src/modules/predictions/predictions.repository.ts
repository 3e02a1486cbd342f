/**
 * All SQL of the predictions: the customer histories a purchase model is fitted on (read from the metric roll-ups,
 * never the raw orders), the models, the scores, the lists.
 */
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../../db/client.ts';
import { insertRows } from '../../db/bulk.ts';
import { customerPredictions, predictionModels } from '../../db/schema/index.ts';
import { dayOf, rfmScores } from '../metrics/metrics.repository.ts';

export type PredictionModelRow = typeof predictionModels.$inferSelect;
export type CustomerPredictionRow = typeof customerPredictions.$inferSelect;

/** How many fits (with their scores) are kept per workspace, kind and currency. */
export const keptVersions = 10;

/** Currencies of the workspace's counted orders, with their customers, most customers first. */
export async function currencyCustomers(
  db: DbOrTx,
  workspaceId: string,
): Promise<Array<{ currency: string; customers: number }>> {
  const rows = rowsOf<{ currency: string; customers: number }>(
    await db.execute(sql`
      select currency, count(*)::int as customers from metric_customers
      where workspace_id = ${workspaceId} group by currency order by count(*) desc, currency`),
  );
  return rows.map((r) => ({ currency: r.currency, customers: Number(r.customers) }));
}

/** What a purchase model sees of one customer (whole UTC days before asOf) and their RFM as of then. */
export type CustomerHistoryRow = {
  personId: string;
  /** Repeat purchase days: days with a counted order after the first. */
  x: number;
  /** Days from the first purchase day to the last. */
  recencyDays: number;
  /** Days from the first purchase day to the last day observed (the day before asOf). */
  ageDays: number;
  net: number;
  /** Net of the repeat purchase days. */
  repeatNet: number;
  r: number;
  f: number;
  m: number;
};

/**
 * Every customer of a currency with a counted order before `asOf` (a day start). A purchase is a day with counted
 * orders (several orders on one day are one purchase, as in the papers' data).
 */
export async function customerHistories(
  db: DbOrTx,
  workspaceId: string,
  currency: string,
  asOf: number,
): Promise<CustomerHistoryRow[]> {
  const day = dayOf(asOf);
  const rfm = await rfmScores(db, { workspaceId, currency, segment: null }, asOf);
  const rows = rowsOf<{
    person_id: string;
    x: number;
    recency_days: number;
    age_days: number;
    net: number;
    repeat_net: number;
    r: number;
    f: number;
    m: number;
  }>(
    await db.execute(sql`
      with h as (
        select person_id, count(*)::int - 1 as x, (max(day) - min(day))::int as recency_days,
          (${day}::date - 1 - min(day))::int as age_days, sum(net)::float8 as net,
          (sum(net) - (array_agg(net order by day))[1])::float8 as repeat_net
        from metric_customer_days
        where workspace_id = ${workspaceId} and currency = ${currency} and day < ${day}::date
        group by person_id
      )
      select h.person_id, h.x, h.recency_days, h.age_days, h.net, h.repeat_net,
        s.r::int as r, s.f::int as f, s.m::int as m
      from h join (${rfm}) s on s.person_id = h.person_id`),
  );
  return rows.map((r) => ({
    personId: r.person_id,
    x: Number(r.x),
    recencyDays: Number(r.recency_days),
    ageDays: Number(r.age_days),
    net: Number(r.net),
    repeatNet: Number(r.repeat_net),
    r: Number(r.r),
    f: Number(r.f),
    m: Number(r.m),
  }));
}

/**
 * Stores a fit and its scores as the current model of its kind and currency: the previous current one becomes
 * history, and history beyond `keptVersions` is deleted. Run it in one transaction.
 */
export async function saveModel(
  tx: DbOrTx,
  model: Omit<PredictionModelRow, 'version' | 'status' | 'createdAt'>,
  scores: ReadonlyArray<Omit<CustomerPredictionRow, 'workspaceId' | 'modelId' | 'currency' | 'current'>>,
): Promise<PredictionModelRow> {
  const { workspaceId, kind, currency } = model;
  // Serialise fits of one workspace, kind and currency (two runners, or a refit while the schedule fires).
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`predictions:${workspaceId}:${kind}:${currency}`}))`);
  const [last] = rowsOf<{ version: number | null }>(
    await tx.execute(sql`
      select max(version)::int as version from prediction_models
      where workspace_id = ${workspaceId} and kind = ${kind} and currency = ${currency}`),
  );
  const version = Number(last?.version ?? 0) + 1;
  const previous = and(
    eq(predictionModels.workspaceId, workspaceId),
    eq(predictionModels.kind, kind),
    eq(predictionModels.currency, currency),
    eq(predictionModels.status, 'current'),
  );
  await tx.execute(sql`
    update customer_predictions p set current = false
    from prediction_models m
    where m.workspace_id = ${workspaceId} and m.kind = ${kind} and m.currency = ${currency} and m.status = 'current'
      and p.workspace_id = m.workspace_id and p.model_id = m.id and p.current`);
  await tx.update(predictionModels).set({ status: 'superseded' }).where(previous);
  const [row] = await tx
    .insert(predictionModels)
    .values({ ...model, version, status: 'current' })
    .returning();
  if (!row) throw new Error('prediction model insert returned nothing');
  await insertRows(
    tx,
    customerPredictions,
    scores.map((s) => ({ ...s, workspaceId, modelId: row.id, currency, current: true })),
  );
  await tx.execute(sql`
    delete from prediction_models
    where workspace_id = ${workspaceId} and kind = ${kind} and currency = ${currency}
      and version <= ${version - keptVersions}`);
  return row;
}

export async function listModels(db: DbOrTx, workspaceId: string, kind?: string): Promise<PredictionModelRow[]> {
  return db
    .select()
    .from(predictionModels)
    .where(and(eq(predictionModels.workspaceId, workspaceId), kind ? eq(predictionModels.kind, kind) : undefined))
    .orderBy(predictionModels.kind, predictionModels.currency, desc(predictionModels.version));
}

export async function currentModel(
  db: DbOrTx,
  workspaceId: string,
  kind: string,
  currency: string,
): Promise<PredictionModelRow | null> {
  const [row] = await db
    .select()
    .from(predictionModels)
    .where(
      and(
        eq(predictionModels.workspaceId, workspaceId),
        eq(predictionModels.kind, kind),
        eq(predictionModels.currency, currency),
        eq(predictionModels.status, 'current'),
      ),
    );
  return row ?? null;
}

/** A person's scores: the current ones per currency, or every stored one (history) newest first. */
export async function personPredictions(
  db: DbOrTx,
  workspaceId: string,
  personId: string,
  opts: { history: boolean },
): Promise<Array<CustomerPredictionRow & { version: number; params: Record<string, unknown> }>> {
  const rows = await db
    .select({ p: customerPredictions, version: predictionModels.version, params: predictionModels.params })
    .from(customerPredictions)
    .innerJoin(
      predictionModels,
      and(
        eq(predictionModels.workspaceId, customerPredictions.workspaceId),
        eq(predictionModels.id, customerPredictions.modelId),
      ),
    )
    .where(
      and(
        eq(customerPredictions.workspaceId, workspaceId),
        eq(customerPredictions.personId, personId),
        opts.history ? undefined : eq(customerPredictions.current, true),
      ),
    )
    .orderBy(customerPredictions.currency, desc(customerPredictions.scoredAt));
  return rows.map((r) => ({ ...r.p, version: r.version, params: r.params }));
}

export async function deletePersonPredictions(db: DbOrTx, workspaceId: string, personId: string): Promise<void> {
  await db
    .delete(customerPredictions)
    .where(and(eq(customerPredictions.workspaceId, workspaceId), eq(customerPredictions.personId, personId)));
}

export type PredictionListRow = CustomerPredictionRow & { name: string };

/** The current scores of a currency that meet `where`, ordered by `order` (value, then person id), a keyset page. */
export async function predictionList(
  db: DbOrTx,
  q: {
    workspaceId: string;
    currency: string;
    where: SQL;
    order: { column: 'clv' | 'expected_purchases' | 'p_alive' | 'historical_net'; direction: 'asc' | 'desc' };
    after: { v: number; id: string } | null;
    limit: number;
  },
): Promise<PredictionListRow[]> {
  const col = sql.raw(`p.${q.order.column}`);
  const cmp = q.order.direction === 'desc' ? sql`<` : sql`>`;
  const dir = sql.raw(q.order.direction);
  const after = q.after
    ? sql`and (${col} ${cmp} ${q.after.v} or (${col} = ${q.after.v} and p.person_id > ${q.after.id}))`
    : sql``;
  const rows = await db.execute(sql`
    select p.*, pe.display_name as name
    from customer_predictions p
    join people pe on pe.workspace_id = p.workspace_id and pe.id = p.person_id
    where p.workspace_id = ${q.workspaceId} and p.currency = ${q.currency} and p.current and (${q.where}) ${after}
    order by ${col} ${dir}, p.person_id
    limit ${q.limit}`);
  return rowsOf<Record<string, unknown>>(rows).map((r) => ({
    workspaceId: String(r.workspace_id),
    modelId: String(r.model_id),
    personId: String(r.person_id),
    currency: String(r.currency),
    current: Boolean(r.current),
    scoredAt: new Date(r.scored_at as string),
    x: Number(r.x),
    recencyDays: Number(r.recency_days),
    ageDays: Number(r.age_days),
    historicalNet: Number(r.historical_net),
    repeatMean: Number(r.repeat_mean),
    pAlive: Number(r.p_alive),
    expectedPurchases: Number(r.expected_purchases),
    expectedSpend: Number(r.expected_spend),
    clv: Number(r.clv),
    rfmR: Number(r.rfm_r),
    rfmF: Number(r.rfm_f),
    rfmM: Number(r.rfm_m),
    rfmSegment: String(r.rfm_segment),
    name: String(r.name),
  }));
}

/** The value of `historical_net` at a quantile of the current scores (for "high value"). */
export async function historicalNetQuantile(
  db: DbOrTx,
  workspaceId: string,
  currency: string,
  quantile: number,
): Promise<number | null> {
  const [r] = rowsOf<{ v: number | null }>(
    await db.execute(sql`
      select percentile_disc(${quantile}) within group (order by historical_net)::float8 as v
      from customer_predictions where workspace_id = ${workspaceId} and currency = ${currency} and current`),
  );
  return r?.v === null || r?.v === undefined ? null : Number(r.v);
}
