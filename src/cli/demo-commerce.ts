/**
 * Demo commerce: Northwind Outfitters' catalogue (clothing, footwear, camping gear, accessories), orders over the
 * last 18 months from the demo customers who buy (customers and loyal ones often; those at risk or churned stopped
 * months ago), some refunded in full or in part, a few canceled, and a few Trail Club subscriptions. Seeded and pure:
 * it returns rows and backdated events for src/cli/demo-customers.ts to write with the customers, so the event log's
 * order follows time across both. Amounts come from the same domain rules as the API (computeOrderAmounts,
 * applyRefund), so every order adds up.
 */
import { newId } from '../db/ids.ts';
import type { events, orderLines, orders, products, refunds, subscriptions } from '../db/schema/index.ts';
import { applyRefund, computeOrderAmounts, currencyDigits, fromMinorUnits } from '../domain/commerce.ts';
import { seededRandom } from './demo-customers.ts';

type EventRow = typeof events.$inferInsert;

export type DemoCommerceCounts = {
  products: number;
  orders: number;
  refunded: number;
  partiallyRefunded: number;
  canceled: number;
  subscriptions: number;
};

export type DemoCommerceRows = {
  products: Array<typeof products.$inferInsert>;
  orders: Array<typeof orders.$inferInsert>;
  lines: Array<typeof orderLines.$inferInsert>;
  refunds: Array<typeof refunds.$inferInsert>;
  subscriptions: Array<typeof subscriptions.$inferInsert>;
  events: EventRow[];
  counts: DemoCommerceCounts;
};

/** The demo customers as commerce needs them. */
export type DemoBuyer = { id: string; stage: string; createdAt: Date; stageChangedAt: Date; country: string | null };

const day = 86_400_000;

/** name, sku, category, price in euro cents; the last one is no longer sold. */
const catalogue: Array<[string, string, string, number]> = [
  ['Trail jacket', 'CL-JKT-01', 'Clothing', 12990],
  ['Merino base layer', 'CL-BAS-02', 'Clothing', 5990],
  ['Fleece pullover', 'CL-FLC-03', 'Clothing', 7990],
  ['Rain trousers', 'CL-RTR-04', 'Clothing', 8900],
  ['Hiking socks, 3 pairs', 'CL-SCK-05', 'Clothing', 1990],
  ['Softshell vest', 'CL-VST-06', 'Clothing', 6990],
  ['Trail runners', 'FW-RUN-01', 'Footwear', 11900],
  ['Hiking boots', 'FW-BOT-02', 'Footwear', 16900],
  ['Camp sandals', 'FW-SND-03', 'Footwear', 4490],
  ['Two-person tent', 'CG-TNT-01', 'Camping gear', 24900],
  ['Sleeping bag −5 °C', 'CG-SLB-02', 'Camping gear', 13900],
  ['Sleeping mat', 'CG-MAT-03', 'Camping gear', 5900],
  ['Camping stove', 'CG-STV-04', 'Camping gear', 4990],
  ['Cookset for two', 'CG-CKS-05', 'Camping gear', 3490],
  ['Headlamp', 'CG-HLP-06', 'Camping gear', 2990],
  ['Daypack 25 L', 'AC-DPK-01', 'Accessories', 7900],
  ['Water bottle 1 L', 'AC-BTL-02', 'Accessories', 1990],
  ['Trekking poles', 'AC-PLS-03', 'Accessories', 8990],
  ['Dry bags, set of 3', 'AC-DRY-04', 'Accessories', 2490],
  ['Map case', 'AC-MAP-05', 'Accessories', 1490],
];

/** The shop's storefronts: the customer's country decides the currency (euro for the rest). */
const currencyOf: Record<string, string> = {
  PT: 'EUR',
  DE: 'EUR',
  FR: 'EUR',
  JP: 'JPY',
  US: 'USD',
  MX: 'USD',
  SE: 'SEK',
};
const rates: Record<string, number> = { EUR: 1, USD: 1.08, JPY: 160, SEK: 11.5 };

/** A euro price in another currency's minor units, rounded to a shop-like step (10 yen, 10 öre, 10 cents). */
function priceIn(currency: string, euroCents: number): number {
  const minor = (euroCents / 100) * (rates[currency] ?? 1) * 10 ** currencyDigits(currency);
  return currency === 'EUR' ? euroCents : Math.max(10, Math.round(minor / 10) * 10);
}

const channels: Array<[string, number]> = [
  ['web', 0.6],
  ['store', 0.2],
  ['phone', 0.1],
  ['marketplace', 0.1],
];
const refundReasons = [
  'Did not fit',
  'Damaged in transit',
  'Changed my mind',
  'Arrived too late for the trip',
  'Wrong colour sent',
];
const cancelReasons = ['Too expensive', 'Not using it enough', 'Moved abroad', 'Joined another club'];

export function demoCommerce(opts: {
  workspaceId: string;
  buyers: readonly DemoBuyer[];
  /** The shop integration's API key: orders and subscriptions arrive through it. */
  integrationKeyId: string | null;
  /** Who added the catalogue. */
  ownerUserId: string;
  /** Who records refunds (agents, the owner). */
  staffIds: readonly string[];
  now: number;
  seed?: number;
}): DemoCommerceRows {
  const r = seededRandom(opts.seed ?? 20260505);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const chance = (p: number) => r() < p;
  const between = (a: number, b: number) => a + Math.floor(r() * Math.max(1, b - a));
  const ws = opts.workspaceId;
  const { now } = opts;
  const out: DemoCommerceRows = {
    products: [],
    orders: [],
    lines: [],
    refunds: [],
    subscriptions: [],
    events: [],
    counts: { products: 0, orders: 0, refunded: 0, partiallyRefunded: 0, canceled: 0, subscriptions: 0 },
  };
  const shop = { actorType: opts.integrationKeyId ? 'apikey' : 'system', actorId: opts.integrationKeyId };
  const event = (
    type: string,
    subjectType: string,
    subjectId: string,
    personId: string | null,
    at: number,
    payload: Record<string, unknown>,
    actor: { actorType: string; actorId: string | null } = shop,
  ) =>
    out.events.push({
      workspaceId: ws,
      id: newId(),
      type,
      subjectType,
      subjectId,
      personId,
      ...actor,
      payload,
      occurredAt: new Date(at),
    });

  // The catalogue, listed long before the first order here.
  const listedAt = now - 600 * day;
  for (const [i, [name, sku, category, cents]] of catalogue.entries()) {
    const id = newId();
    const active = i < catalogue.length - 1;
    out.products.push({
      workspaceId: ws,
      id,
      sku,
      name,
      category,
      price: cents,
      currency: 'EUR',
      active,
      externalId: `shop-product-${101 + i}`,
      createdBy: opts.ownerUserId,
      updatedBy: opts.ownerUserId,
      createdAt: new Date(listedAt + i * 60_000),
      updatedAt: new Date(listedAt + i * 60_000),
    });
    event(
      'product.created',
      'product',
      id,
      null,
      listedAt + i * 60_000,
      { sku, name, price: fromMinorUnits(cents, 'EUR'), currency: 'EUR' },
      { actorType: 'user', actorId: opts.ownerUserId },
    );
  }
  const forSale = out.products.filter((p) => p.active);

  // Each buyer's orders, in time: how many and until when depends on where they are in their lifecycle.
  type Draft = { buyer: DemoBuyer; at: number; currency: string };
  const drafts: Draft[] = [];
  const windowStart = now - 548 * day;
  for (const b of opts.buyers) {
    const counts: Record<string, [number, number, number]> = {
      // [fewest, most, days since the last one at least]
      customer: [1, 4, 0],
      loyal: [4, 9, 0],
      at_risk: [2, 5, 100],
      churned: [1, 4, 200],
    };
    const plan = counts[b.stage];
    if (!plan) continue;
    const [fewest, most, quiet] = plan;
    const created = b.createdAt.getTime();
    // Those at risk or gone stopped buying a while before they were marked so (and `quiet` days ago at least).
    const end = quiet
      ? Math.min(now - quiet * day, b.stageChangedAt.getTime() - 7 * day)
      : Math.max(created + day, now - 3_600_000);
    const start = Math.min(Math.max(created + day, windowStart), end - day);
    if (start <= created) continue;
    const n = between(fewest, most + 1);
    const currency = currencyOf[b.country ?? ''] ?? 'EUR';
    for (let k = 0; k < n; k++) drafts.push({ buyer: b, at: Math.min(between(start, end), now - 3_600_000), currency });
  }
  // Shop order numbers follow time.
  drafts.sort((a, b) => a.at - b.at);

  for (const [i, d] of drafts.entries()) {
    const id = newId();
    const externalId = String(10001 + i);
    const chosen = new Set<number>();
    const nLines = chance(0.55) ? 1 : chance(0.7) ? 2 : 3;
    while (chosen.size < nLines) chosen.add(Math.floor(r() * forSale.length));
    const lineInputs = [...chosen].map((k) => {
      const p = forSale[k];
      if (!p) throw new Error('demo catalogue is empty');
      return { product: p, quantity: chance(0.8) ? 1 : 2, unitPrice: priceIn(d.currency, p.price) };
    });
    const subtotal = lineInputs.reduce((s, l) => s + l.quantity * l.unitPrice, 0);
    const discount = chance(0.12) ? Math.round(subtotal / 10) : 0;
    // US storefront prices are before sales tax; the others include VAT.
    const tax = d.currency === 'USD' ? Math.round((subtotal - discount) * 0.08) : 0;
    const shipping = subtotal < priceIn(d.currency, 6000) ? priceIn(d.currency, 490) : 0;
    const amounts = computeOrderAmounts(
      { lines: lineInputs.map((l) => ({ quantity: l.quantity, unitPrice: l.unitPrice })), discount, tax, shipping },
      d.currency,
    );
    if (!amounts.ok) throw new Error(`demo order does not add up: ${JSON.stringify(amounts.problems)}`);
    const a = amounts.amounts;
    const channel = (() => {
      let x = r();
      for (const [c, p] of channels) if ((x -= p) < 0) return c;
      return 'web';
    })();
    const recent = now - d.at < 2 * day;
    const canceled = !recent && chance(0.03);
    const placedOnly = recent && chance(0.5);
    let status: 'placed' | 'paid' | 'canceled' | 'partially_refunded' | 'refunded' = canceled
      ? 'canceled'
      : placedOnly
        ? 'placed'
        : 'paid';
    let refunded = 0;
    const money = (minor: number) => fromMinorUnits(minor, d.currency);
    const base = { externalId, total: money(a.total), currency: d.currency };
    event('order.placed', 'order', id, d.buyer.id, d.at, {
      ...base,
      status: canceled || placedOnly ? 'placed' : 'paid',
      channel,
      placedAt: new Date(d.at).toISOString(),
      items: lineInputs.reduce((s, l) => s + l.quantity, 0),
    });
    if (status === 'paid') event('order.paid', 'order', id, d.buyer.id, d.at + 120_000, base);
    if (canceled) {
      event('order.canceled', 'order', id, d.buyer.id, d.at + between(1, 20) * 3_600_000, { ...base, from: 'placed' });
      out.counts.canceled++;
    }
    // Refunds, a few days after the order and before now: some in full, some in part.
    const refundAt = d.at + between(3, 21) * day;
    if (status === 'paid' && refundAt < now && a.total > 0 && chance(0.13)) {
      const full = chance(0.4);
      const first = full ? a.total : Math.max(1, Math.min(a.total - 1, Math.round(a.total * (0.2 + r() * 0.3))));
      const outcome = applyRefund({ status, total: a.total, refunded, currency: d.currency }, first);
      if (outcome.ok) {
        const refundId = newId();
        const staff = pick(opts.staffIds.length ? opts.staffIds : [opts.ownerUserId]);
        const reason = pick(refundReasons);
        out.refunds.push({
          workspaceId: ws,
          id: refundId,
          orderId: id,
          amount: first,
          reason,
          refundedAt: new Date(refundAt),
          actorType: 'user',
          actorId: staff,
          createdAt: new Date(refundAt),
        });
        refunded = outcome.refunded;
        status = outcome.status;
        event(
          'order.refunded',
          'order',
          id,
          d.buyer.id,
          refundAt,
          {
            ...base,
            refundId,
            amount: money(first),
            refunded: money(refunded),
            status,
            reason,
            refundedAt: new Date(refundAt).toISOString(),
          },
          { actorType: 'user', actorId: staff },
        );
        if (status === 'refunded') out.counts.refunded++;
        else out.counts.partiallyRefunded++;
      }
    }
    out.orders.push({
      workspaceId: ws,
      id,
      externalId,
      personId: d.buyer.id,
      placedAt: new Date(d.at),
      status,
      currency: d.currency,
      channel,
      subtotal: a.subtotal,
      discount: a.discount,
      tax: a.tax,
      shipping: a.shipping,
      total: a.total,
      refunded,
      createdBy: opts.integrationKeyId,
      updatedBy: opts.integrationKeyId,
      createdAt: new Date(d.at),
      updatedAt: new Date(Math.max(d.at, refunded ? refundAt : d.at)),
    });
    lineInputs.forEach((l, k) =>
      out.lines.push({
        workspaceId: ws,
        orderId: id,
        lineNumber: k + 1,
        productId: l.product.id,
        sku: l.product.sku,
        name: l.product.name,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        amount: a.lineAmounts[k] ?? 0,
      }),
    );
  }
  out.counts.products = out.products.length;
  out.counts.orders = out.orders.length;

  // The Trail Club: a monthly membership some loyal customers (and a few others) took; some left again.
  const members = opts.buyers.filter(
    (b) =>
      (b.stage === 'loyal' && chance(0.35)) ||
      (b.stage === 'customer' && chance(0.08)) ||
      (b.stage === 'churned' && chance(0.3)),
  );
  for (const [i, b] of members.entries()) {
    const id = newId();
    const currency = currencyOf[b.country ?? ''] ?? 'EUR';
    const plus = chance(0.35);
    const plan = plus ? 'Trail Club Plus' : 'Trail Club';
    const mrr = priceIn(currency, plus ? 990 : 490);
    const startedAt = between(Math.max(b.createdAt.getTime() + day, windowStart), now - 30 * day);
    const cancel = b.stage === 'churned' || chance(0.25);
    const canceledAt = cancel
      ? Math.max(startedAt, Math.min(between(startedAt + 30 * day, now - day), now - day))
      : null;
    const reason = cancel ? pick(cancelReasons) : null;
    const externalId = `club-${2001 + i}`;
    out.subscriptions.push({
      workspaceId: ws,
      id,
      externalId,
      personId: b.id,
      plan,
      status: cancel ? 'canceled' : 'active',
      startedAt: new Date(startedAt),
      canceledAt: canceledAt === null ? null : new Date(canceledAt),
      mrr,
      currency,
      cancelReason: reason,
      createdBy: opts.integrationKeyId,
      updatedBy: opts.integrationKeyId,
      createdAt: new Date(startedAt),
      updatedAt: new Date(canceledAt ?? startedAt),
    });
    const base = { externalId, plan, mrr: fromMinorUnits(mrr, currency), currency };
    event('subscription.started', 'subscription', id, b.id, startedAt, {
      ...base,
      startedAt: new Date(startedAt).toISOString(),
    });
    if (canceledAt !== null)
      event('subscription.canceled', 'subscription', id, b.id, canceledAt, {
        ...base,
        canceledAt: new Date(canceledAt).toISOString(),
        reason,
      });
  }
  out.counts.subscriptions = out.subscriptions.length;
  return out;
}
