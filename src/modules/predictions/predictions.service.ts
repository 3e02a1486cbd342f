/**
 * Predictive customer intelligence in the product (docs/models.md): per workspace and currency, BG/NBD and
 * Gamma-Gamma fitted on the customers' purchase histories (from the metric roll-ups), every customer scored —
 * P(alive), expected purchases in the horizon, expected spend, predictive CLV — and RFM stored beside, so all of it
 * can filter lists. A refit runs as a job (daily, and after an order import), from the CLI, or on request.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { bgNbdLogLikelihood, fitBgNbd, type BgNbdFit } from '../../domain/bgnbd.ts';
import { compareWithParetoNbd, type PurchaseModelComparison } from '../../domain/pareto-nbd.ts';
import { fitGammaGamma, scoreCustomers, type GammaGammaFit } from '../../domain/gamma-gamma.ts';
import { decodeCursor, encodeCursor, maxLimit } from '../../domain/list-query.ts';
import type { Actor } from '../../domain/permissions.ts';
import { rfmSegmentOf, type RfmScore } from '../../domain/rfm.ts';
import { AppError } from '../../errors.ts';
import { enqueueJob } from '../../jobs/queue.ts';
import { assertCan } from '../auth/access.ts';
import { refitJobName } from './predictions.job-name.ts';
import { activateChurnModel, personChurn } from './churn.service.ts';
import { readStageRules, saveStageRules, type StageRule } from './stage-rules.ts';
import { dayMs } from '../../domain/metrics.ts';
import { findPerson } from '../people/people.repository.ts';
import {
  currencyCustomers,
  customerHistories,
  currentModel,
  historicalNetQuantile,
  listModels,
  personPredictions,
  predictionList,
  saveModel,
  type PredictionModelRow,
} from './predictions.repository.ts';

export const predictionsRead = 'analytics:read';
export const predictionsManage = 'workspace:manage';

/** Settings of a purchase model fit; stored with the model. Times in days. */
export type PurchaseModelSettings = {
  /** Expected purchases are given for the next `horizonDays`. */
  horizonDays: number;
  /** Predictive CLV: `clvMonths` months of 30 days, discounted by `monthlyDiscountRate` a month. */
  clvMonths: number;
  monthlyDiscountRate: number;
};

export const defaultPurchaseSettings: PurchaseModelSettings = {
  horizonDays: 90,
  clvMonths: 12,
  monthlyDiscountRate: 0.01,
};

/** Fewer repeat customers than this, and a currency is not fitted: the estimates would mean little. */
export const minRepeatCustomers = 20;

export type PurchaseModelParams = {
  bgNbd: BgNbdFit['params'];
  gammaGamma: GammaGammaFit['params'];
  settings: PurchaseModelSettings;
};

export type PurchaseModelSummary = {
  logLikelihood: number;
  converged: boolean;
  iterations: number;
  /** Largest gradient component of the mean log-likelihood per customer at the optimum. */
  maxAbsGradient: number;
  repeatCustomers: number;
  spendCustomers: number;
  gammaGammaLogLikelihood: number;
  gammaGammaConverged: boolean;
  /** Pearson correlation of repeat purchases and mean repeat spend: Gamma-Gamma assumes about none. */
  frequencySpendCorrelation: number;
  /** Over the scored customers: the mean P(alive), Σ expected purchases in the horizon, Σ CLV (minor units). */
  meanProbabilityAlive: number;
  expectedPurchases: number;
  totalClv: number;
  /** Pareto/NBD fitted to the same customers (or a sample of them) beside BG/NBD; null when it could not be fitted. */
  paretoNbdComparison?: PurchaseModelComparison | null;
  /** Time of the fits and of scoring, ms. */
  timings: { readMs: number; fitMs: number; scoreMs: number; writeMs: number };
};

export type RefitOutcome =
  | { currency: string; status: 'fitted'; model: PredictionModelRow }
  | { currency: string; status: 'skipped'; reason: string };

const dayStart = (t: number) => Math.floor(t / dayMs) * dayMs;

/** The observation's end for a currency: the day after its latest counted order (today, for a shop still selling). */
async function defaultAsOf(db: Db, workspaceId: string, currency: string): Promise<number> {
  const r = (await db.execute(sql`
    select max(day)::text as last from metric_customer_days
    where workspace_id = ${workspaceId} and currency = ${currency}`)) as unknown as {
    rows: Array<{ last: string | null }>;
  };
  const last = r.rows[0]?.last;
  const today = dayStart(Date.now()) + dayMs;
  return last ? Math.min(Date.parse(`${last}T00:00:00Z`) + dayMs, today) : today;
}

/**
 * Fits and scores the purchase model of every currency of a workspace (or one). Each currency's model and scores
 * are written in one transaction.
 */
export async function refitPurchaseModels(
  db: Db,
  workspaceId: string,
  opts: { currency?: string; asOf?: number; settings?: Partial<PurchaseModelSettings> } = {},
): Promise<RefitOutcome[]> {
  const settings = { ...defaultPurchaseSettings, ...opts.settings };
  const currencies = (await currencyCustomers(db, workspaceId))
    .map((c) => c.currency)
    .filter((c) => !opts.currency || c === opts.currency);
  const out: RefitOutcome[] = [];
  for (const currency of currencies) {
    const t0 = performance.now();
    const asOf = opts.asOf === undefined ? await defaultAsOf(db, workspaceId, currency) : dayStart(opts.asOf);
    const hs = await customerHistories(db, workspaceId, currency, asOf);
    const t1 = performance.now();
    const n = hs.length;
    const x = new Float64Array(n);
    const tx = new Float64Array(n);
    const T = new Float64Array(n);
    const m = new Float64Array(n);
    const sx: number[] = [];
    const sm: number[] = [];
    for (let i = 0; i < n; i++) {
      const h = hs[i]!;
      x[i] = h.x;
      tx[i] = h.recencyDays;
      T[i] = h.ageDays;
      m[i] = h.x > 0 ? h.repeatNet / h.x : 0;
      if (h.x > 0 && m[i]! > 0) {
        sx.push(h.x);
        sm.push(m[i]!);
      }
    }
    const repeat = hs.filter((h) => h.x > 0).length;
    if (repeat < minRepeatCustomers || sx.length < minRepeatCustomers) {
      out.push({
        currency,
        status: 'skipped',
        reason: `${repeat} customers bought on two or more days before ${new Date(asOf).toISOString().slice(0, 10)}; at least ${minRepeatCustomers} are needed`,
      });
      continue;
    }
    const bg = fitBgNbd({ x, tx, T });
    const gg = fitGammaGamma({ x: sx, m: sm });
    const comparison = compareWithParetoNbd({ x, tx, T }, (sample) => bgNbdLogLikelihood(bg.params, sample));
    const t2 = performance.now();
    const scores = scoreCustomers(bg.params, gg.params, { x, tx, T, m }, settings.horizonDays, {
      periods: settings.clvMonths,
      periodLength: 30,
      discountRate: settings.monthlyDiscountRate,
    });
    const t3 = performance.now();
    const scoredAt = new Date();
    let sumAlive = 0;
    let sumExpected = 0;
    let sumClv = 0;
    const rows = hs.map((h, i) => {
      sumAlive += scores.probabilityAlive[i]!;
      sumExpected += scores.expectedPurchases[i]!;
      sumClv += scores.clv[i]!;
      return {
        personId: h.personId,
        scoredAt,
        x: h.x,
        recencyDays: h.recencyDays,
        ageDays: h.ageDays,
        historicalNet: h.net,
        repeatMean: m[i]!,
        pAlive: scores.probabilityAlive[i]!,
        expectedPurchases: scores.expectedPurchases[i]!,
        expectedSpend: scores.expectedSpend[i]!,
        clv: scores.clv[i]!,
        rfmR: h.r,
        rfmF: h.f,
        rfmM: h.m,
        rfmSegment: rfmSegmentOf(h.r as RfmScore, h.f as RfmScore),
      };
    });
    const params: PurchaseModelParams = { bgNbd: bg.params, gammaGamma: gg.params, settings };
    const summary: Omit<PurchaseModelSummary, 'timings'> = {
      logLikelihood: bg.logLikelihood,
      converged: bg.converged,
      iterations: bg.iterations,
      maxAbsGradient: bg.maxAbsGradient,
      repeatCustomers: repeat,
      spendCustomers: sx.length,
      gammaGammaLogLikelihood: gg.logLikelihood,
      gammaGammaConverged: gg.converged,
      frequencySpendCorrelation: gg.frequencySpendCorrelation,
      meanProbabilityAlive: sumAlive / n,
      expectedPurchases: sumExpected,
      totalClv: sumClv,
      paretoNbdComparison: comparison,
    };
    const model = await db.transaction(async (txn) => {
      const t4 = performance.now();
      const timings = { readMs: t1 - t0, fitMs: t2 - t1, scoreMs: t3 - t2, writeMs: 0 };
      const saved = await saveModel(
        txn,
        {
          workspaceId,
          id: newId(),
          kind: 'purchase',
          currency,
          asOf: new Date(asOf),
          params,
          summary: { ...summary, timings },
          customers: n,
          fitMs: Math.round(t2 - t1),
        },
        rows,
      );
      timings.writeMs = performance.now() - t4;
      return saved;
    });
    out.push({ currency, status: 'fitted', model });
  }
  return out;
}

/** The three lists of issue-level interest: who is worth saving, who will buy, who is gone. */
export const predictionLists = ['high_value_at_risk', 'likely_to_buy', 'probably_gone'] as const;
export type PredictionListName = (typeof predictionLists)[number];

export const predictionListDefinitions: Record<PredictionListName, { title: string; definition: string }> = {
  high_value_at_risk: {
    title: 'High value at risk',
    definition:
      'Customers whose net spend so far is in the top 20% of the currency’s customers and whose probability of still being a customer (P(alive), BG/NBD) is below 50%. Most valuable first.',
  },
  likely_to_buy: {
    title: 'Likely to buy again soon',
    definition:
      'Customers BG/NBD expects to buy on at least 0.5 days in the model’s horizon (90 days by default) and who are probably still customers (P(alive) ≥ 50%). Most expected purchases first.',
  },
  probably_gone: {
    title: 'Probably gone',
    definition:
      'Customers with a repeat purchase whose P(alive) is below 20%: their silence since the last purchase is long for how often they used to buy. Most valuable first.',
  },
};

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type PredictionsService = ReturnType<typeof createPredictionsService>;

export function createPredictionsService(deps: { db: Db }) {
  const { db } = deps;

  async function currencyOf(actor: Actor, raw: string | undefined): Promise<string> {
    const currency = raw?.trim().toUpperCase();
    if (currency !== undefined && !/^[A-Z]{3}$/.test(currency))
      throw new AppError('validation_failed', 'Invalid query', [
        { param: 'currency', message: `"${raw}" is not an ISO 4217 currency code` },
      ]);
    return currency ?? (await currencyCustomers(db, actor.workspaceId))[0]?.currency ?? 'USD';
  }

  return {
    /** Every stored fit, current first within each kind and currency. */
    async models(actor: Actor) {
      assertCan(actor, predictionsRead);
      return listModels(db, actor.workspaceId);
    },

    /** Queues a refit of the workspace's purchase models (returns the job id, or null when one is already queued). */
    async requestRefit(actor: Actor): Promise<{ jobId: string | null }> {
      assertCan(actor, predictionsManage);
      const jobId = await enqueueJob(db, actor.workspaceId, refitJobName, {}, { singletonKey: refitJobName });
      return { jobId };
    },

    /** A person's current scores (per currency), or with `history` every stored score; and their churn risk. */
    async person(actor: Actor, personId: string, opts: { history?: boolean | undefined } = {}) {
      assertCan(actor, predictionsRead);
      if (!uuidPattern.test(personId) || !(await findPerson(db, actor.workspaceId, personId)))
        throw AppError.notFound('Person', personId);
      return {
        purchase: await personPredictions(db, actor.workspaceId, personId, { history: opts.history ?? false }),
        churn: await personChurn(db, actor.workspaceId, personId),
      };
    },

    async stageRules(actor: Actor) {
      assertCan(actor, predictionsRead);
      return readStageRules(db, actor.workspaceId);
    },

    async setStageRules(actor: Actor, rules: StageRule[]) {
      return saveStageRules(db, actor, rules);
    },

    /** Makes a trained churn model (the file's JSON) the workspace's own and scores its active subscribers. */
    async activateChurnModel(actor: Actor, model: unknown) {
      assertCan(actor, predictionsManage);
      return activateChurnModel(db, actor.workspaceId, JSON.stringify(model));
    },

    /** One of the lists, a keyset page. */
    async list(
      actor: Actor,
      params: { list: string; currency?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
    ) {
      assertCan(actor, predictionsRead);
      const problems: Array<{ param: string; message: string }> = [];
      const name = params.list as PredictionListName;
      if (!predictionLists.includes(name))
        problems.push({ param: 'list', message: `is one of ${predictionLists.join(', ')}` });
      const limit = params.limit ?? 50;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > maxLimit)
        problems.push({ param: 'limit', message: `must be a whole number from 1 to ${maxLimit}` });
      let after: { v: number; id: string } | null = null;
      if (params.cursor) {
        const c = decodeCursor(params.cursor);
        if (!c || typeof c.v !== 'number' || !Number.isFinite(c.v) || !uuidPattern.test(c.id))
          problems.push({ param: 'cursor', message: 'is not a cursor of this list' });
        else after = { v: c.v, id: c.id };
      }
      if (problems.length) throw new AppError('validation_failed', 'Invalid query', problems);
      const currency = await currencyOf(actor, params.currency);
      const model = await currentModel(db, actor.workspaceId, 'purchase', currency);
      const base = { list: name, ...predictionListDefinitions[name], currency, model };
      if (!model) return { ...base, rows: [], nextCursor: null, limit };
      let where;
      let order: Parameters<typeof predictionList>[1]['order'];
      if (name === 'high_value_at_risk') {
        const cut = (await historicalNetQuantile(db, actor.workspaceId, currency, 0.8)) ?? 0;
        where = sql`p.historical_net >= ${cut} and p.p_alive < 0.5`;
        order = { column: 'historical_net', direction: 'desc' };
      } else if (name === 'likely_to_buy') {
        where = sql`p.expected_purchases >= 0.5 and p.p_alive >= 0.5`;
        order = { column: 'expected_purchases', direction: 'desc' };
      } else {
        where = sql`p.x > 0 and p.p_alive < 0.2`;
        order = { column: 'historical_net', direction: 'desc' };
      }
      const rows = await predictionList(db, {
        workspaceId: actor.workspaceId,
        currency,
        where,
        order,
        after,
        limit: limit + 1,
      });
      const kept = rows.slice(0, limit);
      const last = kept[kept.length - 1];
      const value = (r: (typeof rows)[number]) =>
        order.column === 'historical_net' ? r.historicalNet : r.expectedPurchases;
      return {
        ...base,
        rows: kept,
        nextCursor: rows.length > limit && last ? encodeCursor({ v: value(last), id: last.personId }) : null,
        limit,
      };
    },
  };
}
