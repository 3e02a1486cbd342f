/**
 * What each predicted number means, in a sentence, and how it is written. The model is BG/NBD (how often a customer
 * buys and whether they still do) with Gamma-Gamma (how much they spend per purchase), fitted per currency on
 * whole purchase days (src/domain/bgnbd.ts, gamma-gamma.ts).
 */
import type { PredictionListName, PurchaseModelParams } from '../../api/predictions.ts';

export type Settings = PurchaseModelParams['settings'];

/** What the server uses when a model does not say (src/modules/predictions: defaultPurchaseSettings). */
export const defaultSettings: Settings = { horizonDays: 90, clvMonths: 12, monthlyDiscountRate: 0.01 };

const plainDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const percentRate = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 2 });
const sig = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 4 });

/** Expected purchases: "1.27", "0.05". */
export function formatExpected(n: number): string {
  return plainDecimal.format(n);
}

/** A fitted parameter: four significant digits ("0.2426", "4.414"). */
export function formatParam(n: number): string {
  return sig.format(n);
}

export function formatRate(r: number): string {
  return percentRate.format(r);
}

/** P(alive) in plain words; the cut-offs are the lists' (50%: at risk, 20%: probably gone). */
export function aliveMeaning(p: number): { label: string; color: string } {
  if (p >= 0.8) return { label: 'Very likely still buying', color: 'teal' };
  if (p >= 0.5) return { label: 'Probably still buying', color: 'green' };
  if (p >= 0.2) return { label: 'May have stopped buying', color: 'orange' };
  return { label: 'Probably gone', color: 'red' };
}

export const predictionDefs = {
  clv: (s: Settings) =>
    `Predictive CLV: the expected net of this customer's future purchases over the next ${s.clvMonths} months, discounted ${formatRate(s.monthlyDiscountRate)} a month (BG/NBD for how many purchases × Gamma-Gamma for how much each).`,
  probabilityAlive:
    'P(alive): the probability that the customer is still buying — has not quietly left — given how often they bought and how long they have been silent since (BG/NBD).',
  expectedPurchases: (s: Settings) =>
    `The number of days with a purchase BG/NBD expects from this customer in the ${s.horizonDays} days after the model's data ends, from their own rhythm and P(alive).`,
  expectedSpend:
    "Expected net of each future purchase: the customer's own average repeat purchase, pulled toward the average customer's the fewer times they have bought (Gamma-Gamma).",
  historicalNet: "Net of refunds of the customer's counted orders up to the end of the model's data.",
  rfm: "Recency, frequency and monetary scores (1–5) among the currency's customers, and the segment recency and frequency place them in.",
  quiet: "Days from the customer's last purchase to the end of the model's data.",
} as const;

/** The lists' one-line pitch, for the empty state (the API gives each list's exact definition). */
export const listPitches: Record<PredictionListName, { label: string; pitch: string }> = {
  high_value_at_risk: {
    label: 'High value at risk',
    pitch: 'your most valuable customers who have probably stopped buying — worth a personal call or an offer',
  },
  likely_to_buy: {
    label: 'Likely to buy',
    pitch: 'customers the model expects to buy again soon — the audience for a launch or a reminder',
  },
  probably_gone: {
    label: 'Probably gone',
    pitch: 'repeat customers whose silence is long for how often they used to buy — win them back or stop mailing',
  },
};

/** Above this |r| between purchase frequency and spend, Gamma-Gamma's assumption of independence is doubtful. */
export const correlationWarning = 0.3;
