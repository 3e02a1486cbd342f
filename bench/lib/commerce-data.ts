/**
 * Generated commerce history for the analytics benchmark: a catalogue, orders with lines, refunds and subscriptions
 * of existing customers, as CSV lines for `COPY … (format csv)` into Rapport's own tables, and an orders CSV as a shop
 * exports it (one row per order line) for the import. Everything comes from a seeded PRNG: the same seed gives the
 * same rows.
 *
 * Buying follows the BG/NBD story that fits CDNOW (Fader, Hardie & Lee 2005): each customer places a first order when
 * they are acquired (their created_at), then buys again as a Poisson process of their own rate λ (gamma-distributed
 * across customers: most buy rarely, a few often), and after each purchase drops out for good with their own
 * probability p (beta-distributed). The rate scale is calibrated on a pilot sample so the total is close to the
 * asked number of orders.
 */
import { prng, uuidV7, type Rand } from './customers-data.ts';

const dayMs = 86_400_000;
const yearMs = 365.25 * dayMs;

export type Buyer = { id: string; createdMs: number; index: number };

/** Each customer's currency: one dominant, two others. Prices convert at fixed rates. */
export const currencyPlan = [
  { currency: 'USD', share: 0.85, rate: 1 },
  { currency: 'EUR', share: 0.1, rate: 0.92 },
  { currency: 'GBP', share: 0.05, rate: 0.79 },
] as const;

const categories = ['Music', 'Books', 'Games', 'Film', 'Audio', 'Accessories', 'Merch', 'Vinyl'];
const adjectives = ['Deluxe', 'Live', 'Classic', 'Essential', 'Remastered', 'Collected', 'Complete', 'Best of'];
const nouns = ['Sessions', 'Anthology', 'Edition', 'Box', 'Collection', 'Album', 'Tour', 'Works', 'Hits', 'Tapes'];
const channels = ['web', 'web', 'web', 'web', 'web', 'web', 'web', 'store', 'store', 'marketplace', 'phone'];

export type Product = { id: string; sku: string; name: string; category: string; priceUsd: number };

export const productCopyColumns =
  'workspace_id, id, sku, name, category, price, currency, active, created_at, updated_at';
export const orderCopyColumns =
  'workspace_id, id, external_id, person_id, placed_at, status, currency, channel, subtotal, discount, tax, ' +
  'shipping, total, refunded, created_at, updated_at';
export const lineCopyColumns =
  'workspace_id, order_id, line_number, product_id, sku, name, quantity, unit_price, amount';
export const refundCopyColumns =
  'workspace_id, id, order_id, amount, reason, refunded_at, actor_type, actor_id, created_at';
export const subscriptionCopyColumns =
  'workspace_id, id, external_id, person_id, plan, status, started_at, canceled_at, mrr, currency, created_at, updated_at';

function gammaSample(rand: Rand, shape: number): number {
  if (shape < 1) return gammaSample(rand, shape + 1) * rand() ** (1 / shape);
  // Marsaglia & Tsang.
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      const u1 = rand() || 1e-12;
      const u2 = rand();
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rand();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function betaSample(rand: Rand, a: number, b: number): number {
  const x = gammaSample(rand, a);
  return x / (x + gammaSample(rand, b));
}

/** BG/NBD parameters: λ ~ Gamma(r, scale), p ~ Beta(a, b). */
const rateShape = 0.6;
const dropA = 0.7;
const dropB = 2.8;

/** The instants of a customer's orders: the first at acquisition, then repeats until dropout or `endMs`. */
function purchaseTimes(rand: Rand, startMs: number, endMs: number, rateScale: number): number[] {
  const lambda = gammaSample(rand, rateShape) * rateScale;
  const p = betaSample(rand, dropA, dropB);
  const out = [startMs];
  let t = startMs;
  for (;;) {
    if (rand() < p || lambda <= 0) break;
    t += (-Math.log(1 - rand()) / lambda) * yearMs;
    if (t >= endMs) break;
    // Shops sell more before the holidays: a purchase in November or December is kept, others 80% of the time.
    const month = new Date(t).getUTCMonth();
    if (month < 10 && rand() < 0.2) continue;
    out.push(Math.floor(t));
  }
  return out;
}

/** The rate scale that gives `ordersPerBuyer` orders per customer on average (a pilot of evenly spread buyers). */
export function calibrateRateScale(fromMs: number, endMs: number, ordersPerBuyer: number, seed: number): number {
  const pilot = 30_000;
  const mean = (scale: number) => {
    const rand = prng(seed);
    let n = 0;
    for (let i = 0; i < pilot; i++) {
      const start = fromMs + ((endMs - fromMs) * (i + 0.5)) / pilot;
      n += purchaseTimes(rand, start, endMs, scale).length;
    }
    return n / pilot;
  };
  let lo = 0.01;
  let hi = 200;
  for (let i = 0; i < 40; i++) {
    const mid = Math.sqrt(lo * hi);
    if (mean(mid) < ordersPerBuyer) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(lo * hi);
}

export function generateProducts(workspaceId: string, count: number, createdMs: number, seed: number): Product[] {
  const rand = prng(seed);
  const out: Product[] = [];
  for (let i = 0; i < count; i++) {
    const category = categories[i % categories.length] as string;
    const name = `${adjectives[Math.floor(rand() * adjectives.length)]} ${nouns[Math.floor(rand() * nouns.length)]} ${i + 1}`;
    // Log-normal prices around 20 USD, from about 3 to 300.
    const z = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
    const priceUsd = Math.max(299, Math.min(29_999, Math.round(Math.exp(Math.log(2000) + 0.8 * z) / 10) * 10 - 1));
    out.push({
      id: uuidV7(createdMs + i, rand),
      sku: `SKU-${String(i + 1).padStart(5, '0')}`,
      name,
      category,
      priceUsd,
    });
  }
  void workspaceId;
  return out;
}

export function productLines(workspaceId: string, products: readonly Product[], createdMs: number): string[] {
  const at = new Date(createdMs).toISOString();
  return products.map(
    (p) => `${[workspaceId, p.id, p.sku, p.name, p.category, p.priceUsd, 'USD', 'true', at, at].join(',')}\n`,
  );
}

export type CommerceCounts = {
  buyers: number;
  orders: number;
  lines: number;
  refunds: number;
  subscriptions: number;
  byStatus: Record<string, number>;
  byCurrency: Record<string, number>;
  /** Customers by how many orders they placed: 1, 2, 3–5, 6–10, 11+. */
  byOrders: Record<string, number>;
};

export const emptyCounts = (): CommerceCounts => ({
  buyers: 0,
  orders: 0,
  lines: 0,
  refunds: 0,
  subscriptions: 0,
  byStatus: {},
  byCurrency: {},
  byOrders: {},
});

const bump = (m: Record<string, number>, k: string, n = 1) => (m[k] = (m[k] ?? 0) + n);
const bucketOf = (n: number) => (n === 1 ? '1' : n === 2 ? '2' : n <= 5 ? '3-5' : n <= 10 ? '6-10' : '11+');

type Order = {
  id: string;
  externalId: string;
  placedMs: number;
  status: 'placed' | 'paid' | 'refunded' | 'partially_refunded' | 'canceled';
  currency: string;
  channel: string;
  lines: Array<{ product: Product; quantity: number; unitPrice: number; amount: number }>;
  subtotal: number;
  discount: number;
  shipping: number;
  total: number;
  refunded: number;
  refundedMs: number | null;
};

/** One order of a customer in their currency: lines from a skewed catalogue, discount, shipping, status, refund. */
function makeOrder(
  rand: Rand,
  products: readonly Product[],
  c: { currency: string; rate: number },
  placedMs: number,
  nowMs: number,
  externalId: string,
): Order {
  const nLines = 1 + (rand() < 0.45 ? 0 : rand() < 0.55 ? 1 : rand() < 0.6 ? 2 : 3);
  const lines: Order['lines'] = [];
  const used = new Set<number>();
  for (let l = 0; l < nLines; l++) {
    // Popular products sell most: the index is skewed towards the start of the catalogue.
    const k = Math.floor(products.length * rand() ** 2.2);
    if (used.has(k)) continue;
    used.add(k);
    const product = products[k] as Product;
    const quantity = rand() < 0.8 ? 1 : rand() < 0.7 ? 2 : 3;
    const unitPrice = Math.round(product.priceUsd * c.rate);
    lines.push({ product, quantity, unitPrice, amount: quantity * unitPrice });
  }
  const subtotal = lines.reduce((a, l) => a + l.amount, 0);
  const discount = rand() < 0.12 ? Math.round(subtotal * 0.1) : 0;
  const shipping = subtotal - discount < Math.round(5000 * c.rate) ? Math.round(499 * c.rate) : 0;
  const total = subtotal - discount + shipping;
  const u = rand();
  const age = nowMs - placedMs;
  let status: Order['status'] =
    u < 0.02 ? 'canceled' : u < 0.035 ? 'refunded' : u < 0.055 ? 'partially_refunded' : 'paid';
  if (status === 'paid' && age < 3 * dayMs && rand() < 0.4) status = 'placed';
  let refunded = 0;
  let refundedMs: number | null = null;
  if (status === 'refunded' || status === 'partially_refunded') {
    refunded =
      status === 'refunded'
        ? total
        : Math.max(1, Math.min(total - 1, (lines[lines.length - 1]?.amount ?? 1) - (lines.length === 1 ? 1 : 0)));
    if (refunded >= total) {
      status = 'refunded';
      refunded = total;
    }
    refundedMs = Math.min(nowMs, placedMs + Math.floor((1 + rand() * 20) * dayMs));
  }
  return {
    id: uuidV7(placedMs, rand),
    externalId,
    placedMs,
    status,
    currency: c.currency,
    channel: channels[Math.floor(rand() * channels.length)] as string,
    lines,
    subtotal,
    discount,
    shipping,
    total,
    refunded,
    refundedMs,
  };
}

function currencyOf(rand: Rand): { currency: string; rate: number } {
  let u = rand();
  for (const c of currencyPlan) {
    u -= c.share;
    if (u < 0) return c;
  }
  return currencyPlan[0];
}

/**
 * Every customer's orders (and their lines and refunds) and some subscriptions, as COPY lines by table. Each
 * customer is acquired at created_at (their first order then, or up to two days later).
 */
export function* generateCommerce(opts: {
  workspaceId: string;
  buyers: readonly Buyer[];
  products: readonly Product[];
  nowMs: number;
  rateScale: number;
  seed: number;
  counts: CommerceCounts;
}): Generator<{ table: 'orders' | 'order_lines' | 'refunds' | 'subscriptions'; line: string }> {
  const rand = prng(opts.seed);
  const ws = opts.workspaceId;
  const iso = (ms: number) => new Date(ms).toISOString();
  let orderNo = 0;
  for (const b of opts.buyers) {
    const c = currencyOf(rand);
    const start = Math.min(opts.nowMs - 1000, b.createdMs + Math.floor(rand() * 2 * dayMs));
    const times = purchaseTimes(rand, start, opts.nowMs, opts.rateScale);
    opts.counts.buyers++;
    bump(opts.counts.byOrders, bucketOf(times.length));
    for (const t of times) {
      const o = makeOrder(rand, opts.products, c, t, opts.nowMs, `ord-${++orderNo}`);
      opts.counts.orders++;
      bump(opts.counts.byStatus, o.status);
      bump(opts.counts.byCurrency, o.currency);
      const placed = iso(o.placedMs);
      const updated = o.refundedMs ? iso(o.refundedMs) : placed;
      yield {
        table: 'orders',
        line: `${[ws, o.id, o.externalId, b.id, placed, o.status, o.currency, o.channel, o.subtotal, o.discount, 0, o.shipping, o.total, o.refunded, placed, updated].join(',')}\n`,
      };
      for (const [i, l] of o.lines.entries()) {
        opts.counts.lines++;
        yield {
          table: 'order_lines',
          line: `${[ws, o.id, i + 1, l.product.id, l.product.sku, l.product.name, l.quantity, l.unitPrice, l.amount].join(',')}\n`,
        };
      }
      if (o.refundedMs !== null) {
        opts.counts.refunds++;
        const at = iso(o.refundedMs);
        yield {
          table: 'refunds',
          line: `${[ws, uuidV7(o.refundedMs, rand), o.id, o.refunded, 'Returned', at, 'user', '', at].join(',')}\n`,
        };
      }
    }
    // About 3% subscribe to a monthly plan soon after their first order; half of those cancel some months later.
    if (rand() < 0.03) {
      const started = Math.min(opts.nowMs - 1000, start + Math.floor(rand() * 60 * dayMs));
      const life = -Math.log(1 - rand()) * 10 * 30 * dayMs;
      const canceled = rand() < 0.6 && started + life < opts.nowMs ? Math.floor(started + life) : null;
      const plan = rand() < 0.6 ? { name: 'Record club', mrr: 1500 } : { name: 'Collector box', mrr: 2900 };
      opts.counts.subscriptions++;
      const updated = iso(canceled ?? started);
      yield {
        table: 'subscriptions',
        line: `${[ws, uuidV7(started, rand), `sub-${b.index + 1}`, b.id, plan.name, canceled ? 'canceled' : 'active', iso(started), canceled ? iso(canceled) : '', Math.round(plan.mrr * c.rate), c.currency, iso(started), updated].join(',')}\n`,
      };
    }
  }
}

/** The header of the orders CSV (one row per order line), as a shop exports it; CDNOW's columns and a few more. */
export const orderCsvHeader = [
  'Order ID',
  'Customer ID',
  'Date',
  'SKU',
  'Product',
  'Quantity',
  'Unit Price',
  'Discount',
  'Shipping',
  'Total',
  'Currency',
  'Status',
  'Refunded',
];

export type OrderCsvStats = {
  rows: number;
  orders: number;
  refunded: number;
  customers: number;
  bytes: number;
  byStatus: Record<string, number>;
};

const money = (minor: number) => (minor / 100).toFixed(2);

/**
 * Rows of the orders CSV for existing customers (customer ids `externalIdOf(buyer)`), until `rows` rows: a history
 * of orders from another shop of the same customers, over the same years. Order ids `imp-<n>`, not in the database.
 */
export function* orderCsvRows(opts: {
  buyers: readonly Buyer[];
  products: readonly Product[];
  nowMs: number;
  rateScale: number;
  rows: number;
  seed: number;
  externalIdOf: (b: Buyer) => string;
  stats: OrderCsvStats;
}): Generator<string> {
  const rand = prng(opts.seed);
  const s = opts.stats;
  yield `${orderCsvHeader.join(',')}\n`;
  let n = 0;
  const seen = new Set<number>();
  while (s.rows < opts.rows) {
    const b = opts.buyers[Math.floor(rand() * opts.buyers.length)] as Buyer;
    if (seen.has(b.index)) continue;
    seen.add(b.index);
    s.customers++;
    const c = currencyOf(rand);
    const start = Math.min(opts.nowMs - 1000, b.createdMs + Math.floor(rand() * 30 * dayMs));
    for (const t of purchaseTimes(rand, start, opts.nowMs, opts.rateScale)) {
      const o = makeOrder(rand, opts.products, c, t, opts.nowMs, `imp-${++n}`);
      if (s.rows + o.lines.length > opts.rows) break;
      s.orders++;
      s.rows += o.lines.length;
      if (o.refunded) s.refunded++;
      s.byStatus[o.status] = (s.byStatus[o.status] ?? 0) + 1;
      const status = o.status === 'partially_refunded' ? 'partially refunded' : o.status;
      const date = new Date(o.placedMs).toISOString();
      for (const l of o.lines) {
        const row = [
          o.externalId,
          opts.externalIdOf(b),
          date,
          l.product.sku,
          l.product.name,
          l.quantity,
          money(l.unitPrice),
          money(o.discount),
          money(o.shipping),
          money(o.total),
          o.currency,
          status,
          o.refunded ? money(o.refunded) : '',
        ].join(',');
        s.bytes += row.length + 1;
        yield `${row}\n`;
      }
    }
  }
}
