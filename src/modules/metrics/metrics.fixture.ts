/**
 * A generated commerce and service-desk history for the metrics parity tests: written straight into the tables (the
 * roll-ups are then rebuilt), and returned as the plain facts the reference functions take.
 */
import type { DbOrTx } from '../../db/client.ts';
import { insertRows } from '../../db/bulk.ts';
import { newId } from '../../db/ids.ts';
import { orders, people, subscriptions, tickets } from '../../db/schema/index.ts';
import {
  dayMs,
  type OrderFact,
  type OrderStatus,
  type SubscriptionFact,
  type TicketFact,
} from '../../domain/metrics.ts';
import { seededRandom } from '../../domain/random.ts';

/** A small deterministic generator (mulberry32) with helpers. */
export function rng(seed: number) {
  const next = seededRandom(seed);
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

export type FixturePerson = { id: string; stage: string; tags: string[] };
export type Fixture = {
  people: FixturePerson[];
  /** Orders of each currency as the domain sees them. */
  orders: Record<string, OrderFact[]>;
  subscriptions: Record<string, SubscriptionFact[]>;
  /** Tickets with the person they belong to (null: no customer). */
  tickets: Array<TicketFact & { personId: string | null }>;
};

const start = Date.UTC(2023, 0, 1);
const end = Date.UTC(2025, 0, 1);

/** An instant in [start, end), often on a day's edge: midnight exactly, the last millisecond of a day, month starts. */
function instant(r: ReturnType<typeof rng>): number {
  const day = start + r.int(0, (end - start) / dayMs - 1) * dayMs;
  const kind = r.int(0, 9);
  if (kind === 0) return day;
  if (kind === 1) return day + dayMs - 1;
  if (kind === 2) {
    const d = new Date(day);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) + r.pick([0, 1, dayMs - 1]);
  }
  return day + r.int(0, dayMs - 1);
}

export async function writeFixture(
  db: DbOrTx,
  workspaceId: string,
  opts: { seed?: number; people?: number; orders?: number; tickets?: number } = {},
): Promise<Fixture> {
  const r = rng(opts.seed ?? 42);
  const nPeople = opts.people ?? 300;
  const fx: Fixture = { people: [], orders: { EUR: [], USD: [] }, subscriptions: { EUR: [], USD: [] }, tickets: [] };
  const personRows: Array<typeof people.$inferInsert> = [];
  for (let i = 0; i < nPeople; i++) {
    const p = {
      id: newId(),
      stage: r.pick(['customer', 'customer', 'loyal', 'at_risk', 'lead']),
      tags: r.next() < 0.3 ? ['vip'] : [],
    };
    fx.people.push(p);
    personRows.push({ workspaceId, id: p.id, displayName: `Customer ${i}`, stage: p.stage, tags: p.tags });
  }
  // Buyers: most people; a few never buy.
  const buyers = fx.people.filter(() => r.next() < 0.9);
  const orderRows: Array<typeof orders.$inferInsert> = [];
  const nOrders = opts.orders ?? 3000;
  for (let i = 0; i < nOrders; i++) {
    // Some customers buy again the same day, often at the same instant.
    const prev = orderRows[orderRows.length - 1];
    const again = prev !== undefined && r.next() < 0.12;
    const personId = again ? prev.personId : r.pick(buyers).id;
    const when = again
      ? new Date((prev.placedAt as Date).getTime() + r.pick([0, 0, 3_600_000, 7_200_000]))
      : new Date(instant(r));
    const currency = again ? prev.currency : r.next() < 0.9 ? 'EUR' : 'USD';
    const total = r.next() < 0.03 ? 0 : r.int(100, 50_000);
    const status: OrderStatus = r.pick([
      'paid',
      'paid',
      'paid',
      'paid',
      'placed',
      'refunded',
      'partially_refunded',
      'canceled',
    ]);
    const refunded =
      status === 'refunded' ? total : status === 'partially_refunded' && total > 1 ? r.int(1, total - 1) : 0;
    const st: OrderStatus = status === 'partially_refunded' && refunded === 0 ? 'paid' : status;
    orderRows.push({
      workspaceId,
      id: newId(),
      personId,
      placedAt: when,
      status: st,
      currency,
      subtotal: total,
      total,
      refunded,
    });
    fx.orders[currency]!.push({ personId, placedAt: when, amountMinor: total - refunded, status: st });
  }
  const subRows: Array<typeof subscriptions.$inferInsert> = [];
  for (let i = 0; i < 60; i++) {
    const person = r.pick(fx.people);
    const currency = r.next() < 0.85 ? 'EUR' : 'USD';
    const started = instant(r);
    const canceled = r.next() < 0.5 ? Math.min(started + r.int(0, 400) * dayMs + r.int(0, dayMs), end) : null;
    const mrr = r.int(0, 5000);
    subRows.push({
      workspaceId,
      id: newId(),
      personId: person.id,
      plan: 'Plan',
      status: canceled === null ? 'active' : 'canceled',
      startedAt: new Date(started),
      canceledAt: canceled === null ? null : new Date(canceled),
      mrr,
      currency,
    });
    fx.subscriptions[currency]!.push({
      personId: person.id,
      startedAt: new Date(started),
      canceledAt: canceled === null ? null : new Date(canceled),
      mrrMinor: mrr,
    });
  }
  const ticketRows: Array<typeof tickets.$inferInsert> = [];
  for (let i = 0; i < (opts.tickets ?? 400); i++) {
    const person = r.next() < 0.9 ? r.pick(fx.people) : null;
    const created = instant(r);
    const answered = r.next() < 0.85;
    const firstAt = answered ? created + r.int(0, 3 * dayMs) : null;
    const firstBiz = answered && r.next() < 0.6 ? r.int(0, 2 * dayMs) : null;
    const resolved = r.next() < 0.7;
    const resolvedAt = resolved ? Math.min(created + r.int(0, 40 * dayMs), end + 30 * dayMs) : null;
    const resolutionBiz = resolved && r.next() < 0.6 ? r.int(0, 20 * dayMs) : null;
    ticketRows.push({
      workspaceId,
      id: newId(),
      number: i + 1,
      subject: `Ticket ${i}`,
      channel: 'email',
      status: resolved ? 'solved' : 'open',
      personId: person?.id ?? null,
      createdAt: new Date(created),
      updatedAt: new Date(created),
      firstResponseAt: firstAt === null ? null : new Date(firstAt),
      firstResponseBusinessMs: firstBiz,
      resolvedAt: resolvedAt === null ? null : new Date(resolvedAt),
      resolutionBusinessMs: resolutionBiz,
    });
    // The product's rule (docs/metrics.md): business time when an SLA policy measured it, else wall-clock time;
    // whole seconds, rounded down.
    fx.tickets.push({
      personId: person?.id ?? null,
      createdAt: new Date(created),
      firstResponseSeconds: firstAt === null ? null : Math.floor((firstBiz ?? firstAt - created) / 1000),
      resolvedAt: resolvedAt === null ? null : new Date(resolvedAt),
      resolutionSeconds: resolvedAt === null ? null : Math.floor((resolutionBiz ?? resolvedAt - created) / 1000),
    });
  }
  await insertRows(db, people, personRows);
  await insertRows(db, orders, orderRows);
  await insertRows(db, subscriptions, subRows);
  await insertRows(db, tickets, ticketRows);
  return fx;
}
