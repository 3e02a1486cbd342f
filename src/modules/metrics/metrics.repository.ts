/**
 * All SQL of the metrics: keeping the roll-ups (metric_customer_days, metric_customers) and reading the metrics from
 * them. Definitions: docs/metrics.md; the reference implementations in src/domain/metrics.ts, cohorts.ts and rfm.ts
 * are what these queries must equal (metrics.parity.test.ts).
 *
 * Values come back cast to int, float8 (sums of minor units stay exact below 2^53) or epoch milliseconds, so both
 * engines' drivers answer plain numbers.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../../db/client.ts';
import { dayMs } from '../../domain/metrics.ts';
import type { Filter } from '../../domain/list-query.ts';
import { rfmSegmentGrid, rfmSegments, type RfmSegment } from '../../domain/rfm.ts';

/** What the roll-ups count: every order status but refunded and canceled (src/domain/metrics.ts isCountedOrder). */
const counted = sql.raw(`status not in ('refunded', 'canceled')`);

const uuidArray = (ids: readonly string[]) => sql`${`{${ids.join(',')}}`}::uuid[]`;

// ---------------------------------------------------------------------------------------------------------------
// Keeping the roll-ups

/**
 * Recomputes the roll-up rows of some customers from their orders (all currencies): their rows go, and the rows
 * their counted orders make now come back. Idempotent, whatever happened to the orders (a person deleted or merged
 * away simply has no rows left).
 */
export async function refreshCustomers(tx: DbOrTx, workspaceId: string, personIds: readonly string[]): Promise<void> {
  if (!personIds.length) return;
  const ids = uuidArray(personIds);
  const theirDays = sql`d.workspace_id = ${workspaceId} and d.person_id = any(${ids})`;
  // The workspace's day totals lose what these customers' rows gave them, and get back what their new rows give
  // (in the same transaction, so the totals always equal the sum of the customer days).
  await tx.execute(sql`
    update metric_days m set orders = m.orders - c.orders, net = m.net - c.net,
      new_customers = m.new_customers - c.new_customers, month_customers = m.month_customers - c.month_customers,
      month_repeaters = m.month_repeaters - c.month_repeaters
    from (${dayContributions(theirDays)}) c
    where m.workspace_id = ${workspaceId} and m.currency = c.currency and m.day = c.day and m.cohort = c.cohort`);
  await tx.execute(
    sql`delete from metric_customer_days where workspace_id = ${workspaceId} and person_id = any(${ids})`,
  );
  await tx.execute(insertCustomerDays(sql`workspace_id = ${workspaceId} and person_id = any(${ids})`));
  await tx.execute(sql`delete from metric_customers where workspace_id = ${workspaceId} and person_id = any(${ids})`);
  await tx.execute(sql`
    insert into metric_customers (workspace_id, currency, person_id, first_at, last_at, orders, net)
    select workspace_id, currency, person_id, min(first_at), max(last_at), sum(orders), sum(net)
    from metric_customer_days
    where workspace_id = ${workspaceId} and person_id = any(${ids})
    group by workspace_id, currency, person_id`);
  await tx.execute(sql`
    insert into metric_days (workspace_id, currency, day, cohort, orders, net, new_customers, month_customers,
      month_repeaters)
    select ${workspaceId}, c.currency, c.day, c.cohort, c.orders, c.net, c.new_customers, c.month_customers,
      c.month_repeaters
    from (${dayContributions(theirDays)}) c
    on conflict (workspace_id, currency, day, cohort) do update set orders = metric_days.orders + excluded.orders,
      net = metric_days.net + excluded.net, new_customers = metric_days.new_customers + excluded.new_customers,
      month_customers = metric_days.month_customers + excluded.month_customers,
      month_repeaters = metric_days.month_repeaters + excluded.month_repeaters`);
  // Totals nobody contributes to any more (the workspace's few thousand rows; no index needed).
  await tx.execute(sql`delete from metric_days where workspace_id = ${workspaceId} and orders = 0`);
}

/**
 * Writes the customer days of whole customers (`where` over orders selects all of a customer's orders): per currency,
 * UTC day and customer, the counted orders, their net, first and last, the customer's order days before and after
 * it and their first counted order.
 */
function insertCustomerDays(where: SQL): SQL {
  return sql`
    insert into metric_customer_days (workspace_id, currency, day, person_id, orders, net, first_at, last_at, prev_day,
      next_day, customer_first_at)
    select workspace_id, currency, day, person_id, orders, net, first_at, last_at,
      lag(day) over w, lead(day) over w, min(first_at) over (partition by workspace_id, currency, person_id)
    from (
      select workspace_id, currency, (placed_at at time zone 'UTC')::date as day, person_id, count(*) as orders,
        sum(net) as net, min(placed_at) as first_at, max(placed_at) as last_at
      from orders
      where ${where} and ${counted}
      group by workspace_id, currency, (placed_at at time zone 'UTC')::date, person_id
    ) g
    window w as (partition by workspace_id, currency, person_id order by day)`;
}

/** The month of a date column as year × 12 + month − 1. */
const monthIndex = (col: string) =>
  sql.raw(`(extract(year from ${col})::int * 12 + extract(month from ${col})::int - 1)`);

/**
 * What some customer days give the day totals (metric_days): per currency, day and cohort (the month of the
 * customer's first day), the orders, net, customers acquired that day and customers on their first day of that
 * calendar month. `where` selects whole customers (all their days in a currency), over `metric_customer_days d`.
 */
function dayContributions(where: SQL): SQL {
  return sql`
    select x.currency, x.day, x.cohort, sum(x.orders)::int as orders, sum(x.net)::bigint as net,
      (count(*) filter (where x.day = x.first_day))::int as new_customers,
      (count(*) filter (where x.month_first))::int as month_customers,
      (count(*) filter (where x.month_first and x.month_orders >= 2))::int as month_repeaters
    from (
      select y.*, ${monthIndex('y.first_day')} as cohort,
        (y.prev_day is null or ${monthIndex('y.prev_day')} <> ${monthIndex('y.day')}) as month_first
      from (
        select d.currency, d.day, d.orders, d.net,
          min(d.day) over (partition by d.person_id, d.currency) as first_day,
          lag(d.day) over (partition by d.person_id, d.currency order by d.day) as prev_day,
          sum(d.orders) over (partition by d.person_id, d.currency, ${monthIndex('d.day')}) as month_orders
        from metric_customer_days d where ${where}
      ) y
    ) x
    group by x.currency, x.day, x.cohort`;
}

/** Fresh planner statistics after a bulk change (PGlite has no autovacuum to take them). */
export async function analyzeRollups(db: DbOrTx): Promise<void> {
  await db.execute(sql`analyze metric_customer_days`);
  await db.execute(sql`analyze metric_customers`);
  await db.execute(sql`analyze metric_days`);
}

/** Recomputes every roll-up row of a workspace from its orders. */
export async function rebuildWorkspaceRollups(tx: DbOrTx, workspaceId: string): Promise<void> {
  await tx.execute(sql`delete from metric_customer_days where workspace_id = ${workspaceId}`);
  await tx.execute(sql`delete from metric_customers where workspace_id = ${workspaceId}`);
  await tx.execute(insertCustomerDays(sql`workspace_id = ${workspaceId}`));
  await tx.execute(sql`
    insert into metric_customers (workspace_id, currency, person_id, first_at, last_at, orders, net)
    select workspace_id, currency, person_id, min(first_at), max(last_at), sum(orders), sum(net)
    from metric_customer_days
    where workspace_id = ${workspaceId}
    group by workspace_id, currency, person_id`);
  await tx.execute(sql`delete from metric_days where workspace_id = ${workspaceId}`);
  await tx.execute(sql`
    insert into metric_days (workspace_id, currency, day, cohort, orders, net, new_customers, month_customers,
      month_repeaters)
    select ${workspaceId}, c.currency, c.day, c.cohort, c.orders, c.net, c.new_customers, c.month_customers,
      c.month_repeaters
    from (${dayContributions(sql`d.workspace_id = ${workspaceId}`)}) c`);
}

export const metricsConsumer = 'metrics';

/** Workspaces whose metrics cursor is missing or behind `upTo`. */
export async function workspacesBehind(
  db: DbOrTx,
  upTo: number,
): Promise<Array<{ workspaceId: string; lastSeq: number | null }>> {
  const rows = rowsOf<{ id: string; last_seq: string | number | null }>(
    await db.execute(sql`
      select w.id, c.last_seq from workspaces w
      left join event_cursors c on c.workspace_id = w.id and c.consumer = ${metricsConsumer}
      where c.last_seq is null or c.last_seq < ${upTo}`),
  );
  return rows.map((r) => ({ workspaceId: r.id, lastSeq: r.last_seq === null ? null : Number(r.last_seq) }));
}

/** Creates the workspace's cursor at `seq`; false when it exists already (another runner made it). */
export async function createCursor(tx: DbOrTx, workspaceId: string, seq: number): Promise<boolean> {
  const rows = rowsOf(
    await tx.execute(sql`
      insert into event_cursors (workspace_id, consumer, last_seq) values (${workspaceId}, ${metricsConsumer}, ${seq})
      on conflict do nothing returning 1`),
  );
  return rows.length > 0;
}

/** Locks the workspace's cursor row for the rest of the transaction and reads it. */
export async function lockCursor(tx: DbOrTx, workspaceId: string): Promise<number | null> {
  const [r] = rowsOf<{ last_seq: string | number }>(
    await tx.execute(sql`
      select last_seq from event_cursors where workspace_id = ${workspaceId} and consumer = ${metricsConsumer}
      for update`),
  );
  return r ? Number(r.last_seq) : null;
}

export async function setCursor(tx: DbOrTx, workspaceId: string, seq: number): Promise<void> {
  await tx.execute(sql`
    update event_cursors set last_seq = greatest(last_seq, ${seq}), updated_at = date_trunc('milliseconds', now())
    where workspace_id = ${workspaceId} and consumer = ${metricsConsumer}`);
}

export type RollupEvent = {
  seq: number;
  type: string;
  personId: string | null;
  subjectId: string;
  fromPerson: string | null;
  mergedId: string | null;
};

/**
 * The events after `afterSeq` (up to `upTo`) that can change a customer's counted orders: every order event, and
 * people deleted or merged (their orders went with them or to the survivor). With the person each one names and,
 * for an order moved to another customer, the one it left.
 */
export async function rollupEventsAfter(
  tx: DbOrTx,
  workspaceId: string,
  afterSeq: number,
  upTo: number,
  limit: number,
): Promise<RollupEvent[]> {
  const rows = rowsOf<{
    seq: string | number;
    type: string;
    person_id: string | null;
    subject_id: string;
    from_person: string | null;
    merged_id: string | null;
  }>(
    await tx.execute(sql`
      select seq, type, person_id, subject_id,
        payload->'changes'->'personId'->>'from' as from_person, payload->>'mergedId' as merged_id
      from events
      where workspace_id = ${workspaceId} and seq > ${afterSeq} and seq <= ${upTo}
        and (type like 'order.%' or type in ('person.deleted', 'person.merged'))
      order by seq
      limit ${limit}`),
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    type: r.type,
    personId: r.person_id,
    subjectId: r.subject_id,
    fromPerson: r.from_person,
    mergedId: r.merged_id,
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the metrics

/** A UTC day as 'YYYY-MM-DD' (the roll-ups' day column). */
export const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);
const tsOf = (t: number) => sql`${new Date(t).toISOString()}::timestamptz`;
/** Whole days from an instant column to `to` (both exact; floor, as the domain's wholeDaysBetween). */
const wholeDaysTo = (to: number, col: SQL) =>
  sql`((extract(epoch from (${tsOf(to)} - ${col})) * 1000)::bigint / ${dayMs})`;

/**
 * The people a segment keeps, as a join on `alias.person_id`: the segment's conditions are over the people table
 * (the people list's filter language, src/modules/people/people.repository.ts personListColumns).
 */
export function segmentJoin(alias: string, segment: SQL | null): SQL {
  if (!segment) return sql``;
  const a = sql.raw(alias);
  return sql`join people on people.workspace_id = ${a}.workspace_id and people.id = ${a}.person_id and (${segment})`;
}

export type MetricScope = { workspaceId: string; currency: string; segment: SQL | null };

/** Counted orders per currency in the workspace (to choose a default currency and list the others). */
export async function currencies(
  db: DbOrTx,
  workspaceId: string,
): Promise<Array<{ currency: string; orders: number }>> {
  return rowsOf<{ currency: string; orders: number }>(
    await db.execute(sql`
      select currency, sum(orders)::float8 as orders from metric_days where workspace_id = ${workspaceId}
      group by currency order by sum(orders) desc, currency`),
  );
}

export type PeriodFacts = {
  orders: number;
  revenue: number;
  active: number;
  repeaters: number;
  retentionBase: number;
  retained: number;
  churnBase: number;
  churned: number;
  returned: number;
  tenureDays: number;
};

/**
 * What a period's metrics look at before it: the previous period (retention) and the churn window, from their
 * earliest day (`lo`, a UTC date).
 */
function periodBounds(p: { from: number; to: number; churnWindowDays: number }) {
  const prevFrom = p.from - (p.to - p.from);
  const windowFrom = p.from - p.churnWindowDays * dayMs;
  return { prevFrom, windowFrom, lo: dayOf(Math.min(prevFrom, windowFrom)) };
}

/**
 * Each customer of the scope with a counted order in the period, the previous period or the churn window before it
 * (a `p` CTE): orders `n` and net in [from, to), whether active in the previous period, the last order before
 * `from` within the window. periodPeople lists these rows; periodFacts counts the same customers without grouping.
 */
function periodCustomersCte(
  scope: MetricScope,
  p: { from: number; to: number; churnWindowDays: number },
  opts: { allHistory?: boolean; cohort?: number | null } = {},
): SQL {
  const { prevFrom, windowFrom, lo } = periodBounds(p);
  const F = dayOf(p.from);
  // Historical CLV's customers are everyone with a counted order before `to`: all their days, not the period's.
  const since = opts.allHistory ? sql`` : sql`and d.day >= ${lo}::date`;
  // A cohort: customers whose first counted order (in the currency) is in that month (year × 12 + month − 1).
  const cohort =
    opts.cohort === undefined || opts.cohort === null
      ? sql``
      : sql`and ${monthIndex("(d.customer_first_at at time zone 'UTC')")} = ${opts.cohort}`;
  return sql`
      with p as (
        select d.person_id,
          coalesce(sum(d.orders) filter (where d.day >= ${F}::date), 0) as n,
          coalesce(sum(d.net) filter (where d.day >= ${F}::date), 0) as net,
          coalesce(sum(d.net), 0) as net_all,
          coalesce(bool_or(d.day >= ${dayOf(prevFrom)}::date and d.day < ${F}::date), false) as prev_active,
          max(d.last_at) filter (where d.day >= ${dayOf(windowFrom)}::date and d.day < ${F}::date) as last_before,
          min(d.customer_first_at) as first_at,
          max(d.last_at) as last_at
        from metric_customer_days d ${segmentJoin('d', scope.segment)}
        where d.workspace_id = ${scope.workspaceId} and d.currency = ${scope.currency}
          ${since} and d.day < ${dayOf(p.to)}::date ${cohort}
        group by d.person_id
      )`;
}

/**
 * Which customers of the period a number counts (periodFacts' filters, by name), and the sets behind the other
 * numbers: `returned` and `lapsing` (the churn base's other parts), `new` (first counted order ever in the period:
 * a cohort's size) and `customersBefore` (everyone with a counted order before `to`: historical CLV's customers).
 */
export const periodParts = [
  'active',
  'repeaters',
  'retentionBase',
  'retained',
  'churnBase',
  'churned',
  'returned',
  'lapsing',
  'new',
  'customersBefore',
] as const;
export type PeriodPart = (typeof periodParts)[number];

function partCondition(part: PeriodPart, p: { from: number; to: number; churnWindowDays: number }): SQL {
  const churned = sql`p.last_before is not null and p.n = 0 and p.last_before <= ${tsOf(p.to - p.churnWindowDays * dayMs)}`;
  switch (part) {
    case 'active':
      return sql`p.n > 0`;
    case 'repeaters':
      return sql`p.n >= 2`;
    case 'retentionBase':
      return sql`p.prev_active`;
    case 'retained':
      return sql`p.prev_active and p.n > 0`;
    case 'churnBase':
      return sql`p.last_before is not null`;
    case 'churned':
      return churned;
    case 'returned':
      return sql`p.last_before is not null and p.n > 0`;
    case 'lapsing':
      return sql`p.last_before is not null and p.n = 0 and not (${churned})`;
    case 'new':
      return sql`p.n > 0 and p.first_at >= ${tsOf(p.from)}`;
    case 'customersBefore':
      return sql`true`;
  }
}

/**
 * `lastOrderAt`: their last counted order before the period ends (every listed customer has a day in the range read,
 * and the days before it are earlier): what a churned or lapsing customer's row is about, their period being empty.
 */
export type PeriodPersonRow = { personId: string; name: string; orders: number; net: number; lastOrderAt: Date | null };

/** The customers behind a period's number, highest net in the period first (then by id), a page at a time. */
export async function periodPeople(
  db: DbOrTx,
  scope: MetricScope,
  p: { from: number; to: number; churnWindowDays: number },
  part: PeriodPart,
  q: { after: { net: number; personId: string } | null; limit: number; cohort?: number | null },
): Promise<PeriodPersonRow[]> {
  const allHistory = part === 'customersBefore';
  // Historical CLV's customers are listed by what they spent before `to`; the others by their net in the period.
  const net = allHistory ? sql`p.net_all` : sql`p.net`;
  const after = q.after
    ? sql`and (${net} < ${q.after.net} or (${net} = ${q.after.net} and p.person_id > ${q.after.personId}))`
    : sql``;
  const rows = rowsOf<{ person_id: string; name: string | null; orders: number; net: number; last_at: unknown }>(
    await db.execute(sql`
      ${periodCustomersCte(scope, p, { allHistory, cohort: q.cohort ?? null })}
      select p.person_id, pp.display_name as name, p.n::int as orders, ${net}::float8 as net, p.last_at
      from p join people pp on pp.workspace_id = ${scope.workspaceId} and pp.id = p.person_id
      where ${partCondition(part, p)} ${after}
      order by ${net} desc, p.person_id
      limit ${q.limit}`),
  );
  return rows.map((r) => ({
    personId: r.person_id,
    name: r.name ?? '',
    orders: Number(r.orders),
    net: Number(r.net),
    lastOrderAt: r.last_at === null || r.last_at === undefined ? null : new Date(r.last_at as string | Date),
  }));
}

/**
 * The order metrics of one period [from, to) in one pass over the customer days from the earliest day any of them
 * looks at (the previous period, for retention, or the churn window before `from`), without grouping them by customer:
 * each customer is counted once, on their first day in a range (no order day before it in the range: `prev_day`) or
 * their last (`next_day`), and what happens after a day is read from `next_day`. The same numbers as grouping the
 * customer days by customer (periodCustomersCte, which periodPeople lists), at a fraction of the cost.
 */
export async function periodFacts(
  db: DbOrTx,
  scope: MetricScope,
  p: { from: number; to: number; churnWindowDays: number },
): Promise<PeriodFacts> {
  const { prevFrom, windowFrom, lo } = periodBounds(p);
  const [F, T] = [dayOf(p.from), dayOf(p.to)];
  // A day in [from, to), and the first of its customer there; the last day of a customer in the previous period, and
  // in the churn window.
  const inPeriod = sql`d.day >= ${F}::date`;
  const firstInPeriod = sql`${inPeriod} and (d.prev_day is null or d.prev_day < ${F}::date)`;
  const orderedAgain = sql`d.next_day < ${T}::date`;
  const lastBeforeFrom = (start: number) =>
    sql`d.day >= ${dayOf(start)}::date and d.day < ${F}::date and (d.next_day is null or d.next_day >= ${F}::date)`;
  const lastInPrevious = lastBeforeFrom(prevFrom);
  const lastInWindow = lastBeforeFrom(windowFrom);
  const [r] = rowsOf<Record<keyof PeriodFacts, number>>(
    await db.execute(sql`
      select
        coalesce(sum(d.orders) filter (where ${inPeriod}), 0)::float8 as "orders",
        coalesce(sum(d.net) filter (where ${inPeriod}), 0)::float8 as "revenue",
        (count(*) filter (where ${firstInPeriod}))::int as "active",
        (count(*) filter (where ${firstInPeriod} and (d.orders >= 2 or ${orderedAgain})))::int as "repeaters",
        (count(*) filter (where d.day >= ${dayOf(prevFrom)}::date and d.day < ${F}::date
          and (d.prev_day is null or d.prev_day < ${dayOf(prevFrom)}::date)))::int as "retentionBase",
        (count(*) filter (where ${lastInPrevious} and ${orderedAgain}))::int as "retained",
        (count(*) filter (where ${lastInWindow}))::int as "churnBase",
        (count(*) filter (where ${lastInWindow} and (d.next_day is null or d.next_day >= ${T}::date)
          and d.last_at <= ${tsOf(p.to - p.churnWindowDays * dayMs)}))::int as "churned",
        (count(*) filter (where ${lastInWindow} and ${orderedAgain}))::int as "returned",
        coalesce(sum(${wholeDaysTo(p.to, sql`d.customer_first_at`)}) filter (where ${firstInPeriod}), 0)::float8
          as "tenureDays"
      from metric_customer_days d ${segmentJoin('d', scope.segment)}
      where d.workspace_id = ${scope.workspaceId} and d.currency = ${scope.currency}
        and d.day >= ${lo}::date and d.day < ${T}::date`),
  );
  if (!r) throw new Error('period facts returned nothing');
  return {
    orders: Number(r.orders),
    revenue: Number(r.revenue),
    active: Number(r.active),
    repeaters: Number(r.repeaters),
    retentionBase: Number(r.retentionBase),
    retained: Number(r.retained),
    churnBase: Number(r.churnBase),
    churned: Number(r.churned),
    returned: Number(r.returned),
    tenureDays: Number(r.tenureDays),
  };
}

/** Whether some counted order of the scope's currency was placed on or after `at`'s day (a future-dated one). */
async function anyOrderFrom(db: DbOrTx, scope: MetricScope, at: number): Promise<boolean> {
  const rows = rowsOf(
    await db.execute(sql`
      select 1 from metric_customer_days
      where workspace_id = ${scope.workspaceId} and currency = ${scope.currency} and day >= ${dayOf(at)}::date
      limit 1`),
  );
  return rows.length > 0;
}

/**
 * Each customer's last counted order, order count and net amount before `asOf` (a day start), as a subquery
 * (person_id, last_at, frequency, monetary): straight from metric_customers when no order is dated on or after
 * asOf (the usual case: asOf is today's end), else summed from the customer days before it.
 */
async function customersAsOf(db: DbOrTx, scope: MetricScope, asOf: number): Promise<SQL> {
  if (!(await anyOrderFrom(db, scope, asOf)))
    return sql`
      select c.person_id, c.last_at, c.orders::bigint as frequency, c.net as monetary
      from metric_customers c ${segmentJoin('c', scope.segment)}
      where c.workspace_id = ${scope.workspaceId} and c.currency = ${scope.currency}`;
  return sql`
    select d.person_id, max(d.last_at) as last_at, sum(d.orders)::bigint as frequency, sum(d.net)::bigint as monetary
    from metric_customer_days d ${segmentJoin('d', scope.segment)}
    where d.workspace_id = ${scope.workspaceId} and d.currency = ${scope.currency} and d.day < ${dayOf(asOf)}::date
    group by d.person_id`;
}

/** Historical CLV as of a day start: net revenue and customers of every counted order before it. */
export async function historicalClv(
  db: DbOrTx,
  scope: MetricScope,
  asOf: number,
): Promise<{ revenue: number; customers: number }> {
  if (!scope.segment) {
    // The whole workspace: the day totals before asOf (revenue, and customers counted on the day they were acquired).
    const [t] = rowsOf<{ revenue: number; customers: number }>(
      await db.execute(sql`
        select coalesce(sum(net), 0)::float8 as revenue, coalesce(sum(new_customers), 0)::int as customers
        from metric_days
        where workspace_id = ${scope.workspaceId} and currency = ${scope.currency} and day < ${dayOf(asOf)}::date`),
    );
    return { revenue: Number(t?.revenue ?? 0), customers: Number(t?.customers ?? 0) };
  }
  const base = await customersAsOf(db, scope, asOf);
  const [r] = rowsOf<{ revenue: number; customers: number }>(
    await db.execute(
      sql`select coalesce(sum(monetary), 0)::float8 as revenue, count(*)::int as customers from (${base}) b`,
    ),
  );
  return { revenue: Number(r?.revenue ?? 0), customers: Number(r?.customers ?? 0) };
}

export type MonthFacts = { month: number; orders: number; revenue: number; active: number; repeaters: number };

/**
 * Orders, revenue, active customers and repeat buyers (two counted orders or more) of consecutive calendar months,
 * the last one possibly cut at `to` (a day start): month index year × 12 + month − 1. For the whole workspace from
 * the day totals, which count a customer in a month on their first day of it — exact unless some order is dated on or
 * after `to` within its month (it would count towards that month's repeat buyers); then, and for a segment, from the
 * customer days grouped by month and person.
 */
export async function trendFacts(
  db: DbOrTx,
  scope: MetricScope,
  p: { from: number; to: number },
): Promise<MonthFacts[]> {
  const range = (col: string) =>
    sql`${sql.raw(col)} >= ${dayOf(p.from)}::date and ${sql.raw(col)} < ${dayOf(p.to)}::date`;
  const toIsMonthStart = new Date(p.to).getUTCDate() === 1;
  const rows =
    !scope.segment && (toIsMonthStart || !(await anyOrderFrom(db, scope, p.to)))
      ? rowsOf<MonthFacts>(
          await db.execute(sql`
            select ${monthIndex('day')} as month, sum(orders)::float8 as orders, sum(net)::float8 as revenue,
              sum(month_customers)::int as active, sum(month_repeaters)::int as repeaters
            from metric_days
            where workspace_id = ${scope.workspaceId} and currency = ${scope.currency} and ${range('day')}
            group by ${monthIndex('day')}`),
        )
      : rowsOf<MonthFacts>(
          await db.execute(sql`
            select x.month, sum(x.n)::float8 as orders, sum(x.net)::float8 as revenue, count(*)::int as active,
              (count(*) filter (where x.n >= 2))::int as repeaters
            from (
              select ${monthIndex('d.day')} as month, d.person_id, sum(d.orders) as n, sum(d.net) as net
              from metric_customer_days d ${segmentJoin('d', scope.segment)}
              where d.workspace_id = ${scope.workspaceId} and d.currency = ${scope.currency} and ${range('d.day')}
              group by 1, 2
            ) x
            group by x.month`),
        );
  return rows.map((r) => ({
    month: Number(r.month),
    orders: Number(r.orders),
    revenue: Number(r.revenue),
    active: Number(r.active),
    repeaters: Number(r.repeaters),
  }));
}

export type SubscriptionFacts = { base: number; churned: number; mrrBase: number; mrrChurned: number };

/** Contractual churn of the subscriptions in the scope's currency (read from subscriptions: there are few). */
export async function subscriptionFacts(
  db: DbOrTx,
  scope: MetricScope,
  p: { from: number; to: number },
): Promise<SubscriptionFacts> {
  const F = tsOf(p.from);
  const [r] = rowsOf<SubscriptionFacts>(
    await db.execute(sql`
      select count(*)::int as "base",
        (count(*) filter (where s.canceled_at < ${tsOf(p.to)}))::int as "churned",
        coalesce(sum(s.mrr), 0)::float8 as "mrrBase",
        coalesce(sum(s.mrr) filter (where s.canceled_at < ${tsOf(p.to)}), 0)::float8 as "mrrChurned"
      from subscriptions s ${segmentJoin('s', scope.segment)}
      where s.workspace_id = ${scope.workspaceId} and s.currency = ${scope.currency}
        and s.started_at < ${F} and (s.canceled_at is null or s.canceled_at >= ${F})`),
  );
  return {
    base: Number(r?.base ?? 0),
    churned: Number(r?.churned ?? 0),
    mrrBase: Number(r?.mrrBase ?? 0),
    mrrChurned: Number(r?.mrrChurned ?? 0),
  };
}

export type DurationFacts = { count: number; sumSeconds: number; medianSeconds: number | null };

/**
 * A ticket's first response and resolution in whole seconds (floor): its business time when an SLA policy measured
 * it (first_response_business_ms, resolution_business_ms), else the wall-clock time from creation.
 */
export const firstResponseSecondsSql = sql.raw(
  `(coalesce(t.first_response_business_ms, case when t.first_response_at is not null then greatest(0, (extract(epoch from (t.first_response_at - t.created_at)) * 1000)::bigint) end) / 1000)`,
);
export const resolutionSecondsSql = sql.raw(
  `(coalesce(t.resolution_business_ms, case when t.resolved_at is not null then greatest(0, (extract(epoch from (t.resolved_at - t.created_at)) * 1000)::bigint) end) / 1000)`,
);

/** First response (tickets created in the period) or resolution (tickets resolved in it) times. */
export async function ticketDurations(
  db: DbOrTx,
  scope: Omit<MetricScope, 'currency'>,
  which: 'first_response' | 'resolution',
  p: { from: number; to: number },
): Promise<DurationFacts> {
  const seconds = which === 'first_response' ? firstResponseSecondsSql : resolutionSecondsSql;
  const at = which === 'first_response' ? sql`t.created_at` : sql`t.resolved_at`;
  const [r] = rowsOf<{ count: number; sum: number; median: number | null }>(
    await db.execute(sql`
      select count(x.s)::int as count, coalesce(sum(x.s), 0)::float8 as sum,
        percentile_cont(0.5) within group (order by x.s) as median
      from (
        select ${seconds} as s from tickets t ${segmentJoin('t', scope.segment)}
        where t.workspace_id = ${scope.workspaceId} and t.merged_into_id is null
          and ${at} >= ${tsOf(p.from)} and ${at} < ${tsOf(p.to)}
      ) x
      where x.s is not null`),
  );
  return {
    count: Number(r?.count ?? 0),
    sumSeconds: Number(r?.sum ?? 0),
    medianSeconds: r?.median === null || r?.median === undefined ? null : Number(r.median),
  };
}

export type CohortCell = { cohort: number; month: number; customers: number; revenue: number };

/**
 * Monthly acquisition cohorts before `to` (a day start): each cohort's size (by the UTC month of the first counted
 * order) and, per (cohort month, order month), distinct customers and net revenue. Months are year × 12 + month − 1.
 */
export async function cohortFacts(
  db: DbOrTx,
  scope: MetricScope,
  p: { to: number; maxOffset: number | null },
): Promise<{ sizes: Array<{ cohort: number; size: number }>; cells: CohortCell[] }> {
  const monthOfTs = (col: string) =>
    sql.raw(
      `(extract(year from (${col} at time zone 'UTC'))::int * 12 + extract(month from (${col} at time zone 'UTC'))::int - 1)`,
    );
  const monthOfDay = (col: string) =>
    sql.raw(`(extract(year from ${col})::int * 12 + extract(month from ${col})::int - 1)`);
  if (!scope.segment) {
    // The whole workspace: from the day totals (a customer counts in a month's cell on their first day of it).
    const where = sql`workspace_id = ${scope.workspaceId} and currency = ${scope.currency} and day < ${dayOf(p.to)}::date`;
    const totalSizes = rowsOf<{ cohort: number; size: number }>(
      await db.execute(sql`
        select cohort, sum(new_customers)::int as size from metric_days where ${where}
        group by cohort having sum(new_customers) > 0 order by cohort`),
    );
    const totalCells = rowsOf<CohortCell>(
      await db.execute(sql`
        select cohort, ${monthIndex('day')} as month, sum(month_customers)::int as customers, sum(net)::float8 as revenue
        from metric_days where ${where}
          ${p.maxOffset === null ? sql`` : sql`and ${monthIndex('day')} - cohort <= ${p.maxOffset}`}
        group by cohort, ${monthIndex('day')}`),
    );
    return {
      sizes: totalSizes.map((x) => ({ cohort: Number(x.cohort), size: Number(x.size) })),
      cells: totalCells.map((c) => ({
        cohort: Number(c.cohort),
        month: Number(c.month),
        customers: Number(c.customers),
        revenue: Number(c.revenue),
      })),
    };
  }
  const to = tsOf(p.to);
  const acquired = sql`
    select c.person_id, ${monthOfTs('c.first_at')} as cohort
    from metric_customers c ${segmentJoin('c', scope.segment)}
    where c.workspace_id = ${scope.workspaceId} and c.currency = ${scope.currency} and c.first_at < ${to}`;
  const sizes = rowsOf<{ cohort: number; size: number }>(
    await db.execute(sql`select cohort, count(*)::int as size from (${acquired}) a group by cohort order by cohort`),
  );
  // Each customer day finds its customer's cohort by primary key (a plan that needs no statistics: the embedded
  // engine has no autovacuum to gather them).
  const cells = rowsOf<CohortCell>(
    await db.execute(sql`
      select x.cohort, x.month, count(distinct x.person_id)::int as customers, sum(x.net)::float8 as revenue
      from (
        select d.person_id, d.net, ${monthOfDay('d.day')} as month,
          (select ${monthOfTs('c.first_at')} from metric_customers c
            where c.workspace_id = ${scope.workspaceId} and c.currency = ${scope.currency} and c.person_id = d.person_id)
            as cohort
        from metric_customer_days d ${segmentJoin('d', scope.segment)}
        where d.workspace_id = ${scope.workspaceId} and d.currency = ${scope.currency} and d.day < ${dayOf(p.to)}::date
      ) x
      ${p.maxOffset === null ? sql`` : sql`where x.month - x.cohort <= ${p.maxOffset}`}
      group by x.cohort, x.month`),
  );
  return {
    sizes: sizes.map((s) => ({ cohort: Number(s.cohort), size: Number(s.size) })),
    cells: cells.map((c) => ({
      cohort: Number(c.cohort),
      month: Number(c.month),
      customers: Number(c.customers),
      revenue: Number(c.revenue),
    })),
  };
}

/**
 * Every customer's RFM as of `asOf` (a day start), as a subquery: measures and scores by SQL rank() exactly as
 * docs/metrics.md writes them (person_id, last_at, recency_days, frequency, monetary, r, f, m).
 */
export async function rfmScores(db: DbOrTx, scope: MetricScope, asOf: number): Promise<SQL> {
  const base = await customersAsOf(db, scope, asOf);
  return sql`
    select person_id, last_at, recency_days, frequency, monetary,
      5 * (rank() over (order by recency_days desc) - 1) / count(*) over () + 1 as r,
      5 * (rank() over (order by frequency asc) - 1) / count(*) over () + 1 as f,
      5 * (rank() over (order by monetary asc) - 1) / count(*) over () + 1 as m
    from (
      select person_id, last_at, ${wholeDaysTo(asOf, sql`last_at`)} as recency_days, frequency, monetary
      from (${base}) b
    ) x`;
}

/**
 * Customers per (R, F) cell: the same scores as rfmScores without ranking each customer — customers are counted per
 * (recency, frequency) pair, and a pair's rank − 1 is the number of customers ordered before it (longer since their
 * last order for R, fewer orders for F), a running sum over a few thousand pairs instead of sorting every customer.
 */
export async function rfmCells(
  db: DbOrTx,
  scope: MetricScope,
  asOf: number,
): Promise<Array<{ r: number; f: number; customers: number }>> {
  // Straight from metric_customers when no order is dated on or after asOf (the usual case): counted per stored
  // recency day and order count, in the order of their index. Else from the customer days before asOf.
  const g = (await anyOrderFrom(db, scope, asOf))
    ? sql`select ${wholeDaysTo(asOf, sql`b.last_at`)} as rec, b.frequency as freq, count(*) as c
        from (${await customersAsOf(db, scope, asOf)}) b group by 1, 2`
    : sql`select ${dayOf(asOf)}::date - c.recency_day as rec, c.orders::bigint as freq, count(*) as c
        from metric_customers c ${segmentJoin('c', scope.segment)}
        where c.workspace_id = ${scope.workspaceId} and c.currency = ${scope.currency}
        group by c.recency_day, c.orders`;
  const rows = rowsOf<{ r: number; f: number; customers: number }>(
    await db.execute(sql`
      with g as (${g}),
      n as (select sum(c) as n from g),
      rs as (
        select rec, (5 * coalesce(sum(sum(c)) over (order by rec desc rows between unbounded preceding and 1 preceding), 0))::bigint
          / (select n from n)::bigint + 1 as r
        from g group by rec
      ),
      fs as (
        select freq, (5 * coalesce(sum(sum(c)) over (order by freq rows between unbounded preceding and 1 preceding), 0))::bigint
          / (select n from n)::bigint + 1 as f
        from g group by freq
      )
      select rs.r::int as r, fs.f::int as f, sum(g.c)::int as customers
      from g join rs on rs.rec = g.rec join fs on fs.freq = g.freq
      group by rs.r, fs.f`),
  );
  return rows.map((x) => ({ r: Number(x.r), f: Number(x.f), customers: Number(x.customers) }));
}

/**
 * The people in some RFM segments as of `asOf` (a day start), as a subquery of (workspace_id, person_id) for the
 * people list's `rfm_segment` filter: the same scores as the RFM grid (rfmCells, rfmScores) — each currency's
 * customers ranked among themselves by rank() — for every workspace at once, partitioned by workspace and currency,
 * so it needs no workspace id: the list's `people.workspace_id = …` reaches it through the join (a person matches
 * when they are in the segment in one of their currencies, as for the predictive filters). A customer's measures
 * come from metric_customers unless they have an order dated on or after asOf; then from their customer days
 * before it (customersAsOf, per customer).
 */
export function rfmSegmentMembers(segments: readonly RfmSegment[], asOf: number, workspaceId: string): SQL {
  const cells = rfmSegmentGrid.flatMap((row, ri) =>
    row.flatMap((seg, fi) => (segments.includes(seg) ? [sql`(${ri + 1}, ${fi + 1})`] : [])),
  );
  if (!cells.length) return sql`select null::uuid as workspace_id, null::uuid as person_id where false`;
  const A = dayOf(asOf);
  return sql`
    select s.workspace_id, s.person_id from (
      select x.workspace_id, x.person_id,
        5 * (rank() over (partition by x.workspace_id, x.currency order by x.recency_days desc) - 1)
          / count(*) over (partition by x.workspace_id, x.currency) + 1 as r,
        5 * (rank() over (partition by x.workspace_id, x.currency order by x.frequency asc) - 1)
          / count(*) over (partition by x.workspace_id, x.currency) + 1 as f
      from (
        select c.workspace_id, c.currency, c.person_id, ${A}::date - c.recency_day as recency_days,
          c.orders::bigint as frequency
        from metric_customers c where c.workspace_id = ${workspaceId} and c.last_at < ${tsOf(asOf)}
        union all
        select d.workspace_id, d.currency, d.person_id, ${A}::date - max(d.day) as recency_days,
          sum(d.orders)::bigint as frequency
        from metric_customers c
        join metric_customer_days d on d.workspace_id = c.workspace_id and d.currency = c.currency
          and d.person_id = c.person_id and d.day < ${A}::date
        where c.workspace_id = ${workspaceId} and c.last_at >= ${tsOf(asOf)}
        group by d.workspace_id, d.currency, d.person_id
      ) x
    ) s
    where (s.r, s.f) in (${sql.join(cells, sql`, `)})`;
}

/**
 * The people list's `rfm_segment` filter (eq, ne, in, exists) over `person` = (workspace_id, id) of people: RFM as
 * of the end of today (UTC), the RFM grid's default, computed from the roll-ups when the list is read, so it agrees
 * with `GET /metrics/rfm` as soon as the roll-ups have the orders. `ne` means in another segment (a customer);
 * `exists` whether they are a customer at all (a counted order before the end of today).
 */
export function rfmSegmentFilter(workspaceId: string, person: SQL, f: Filter, now = Date.now()): SQL | undefined {
  const asOf = Math.floor(now / dayMs) * dayMs + dayMs;
  const member = (segs: readonly RfmSegment[]) => sql`${person} in (${rfmSegmentMembers(segs, asOf, workspaceId)})`;
  const known = (v: unknown): v is RfmSegment => (rfmSegments as readonly unknown[]).includes(v);
  switch (f.op) {
    case 'eq':
      return member(known(f.value) ? [f.value] : []);
    case 'in':
      return member(Array.isArray(f.value) ? f.value.filter(known) : []);
    case 'ne':
      return member(rfmSegments.filter((x) => x !== f.value));
    case 'exists':
      return f.value ? member(rfmSegments) : sql`not ${member(rfmSegments)}`;
    default:
      return undefined;
  }
}

export type RfmPersonRow = {
  personId: string;
  name: string;
  lastOrderAt: number;
  recencyDays: number;
  frequency: number;
  monetary: number;
  r: number;
  f: number;
  m: number;
};

/**
 * The customers of some (R, F) cells, highest spend first (then by id), a page after a keyset cursor; or one person
 * (`personId`).
 */
export async function rfmPeople(
  db: DbOrTx,
  scope: MetricScope,
  asOf: number,
  q: {
    cells?: ReadonlyArray<readonly [number, number]>;
    personId?: string;
    after?: { monetary: number; personId: string } | null;
    limit: number;
  },
): Promise<RfmPersonRow[]> {
  const scores = await rfmScores(db, scope, asOf);
  const conds: SQL[] = [sql`true`];
  if (q.cells)
    conds.push(
      q.cells.length
        ? sql`(${sql.join(
            q.cells.map(([r, f]) => sql`(s.r = ${r} and s.f = ${f})`),
            sql` or `,
          )})`
        : sql`false`,
    );
  if (q.personId) conds.push(sql`s.person_id = ${q.personId}`);
  if (q.after)
    conds.push(
      sql`(s.monetary < ${q.after.monetary} or (s.monetary = ${q.after.monetary} and s.person_id > ${q.after.personId}))`,
    );
  const rows = rowsOf<{
    person_id: string;
    name: string | null;
    last_at_ms: number;
    recency_days: number;
    frequency: number;
    monetary: number;
    r: number;
    f: number;
    m: number;
  }>(
    await db.execute(sql`
      select s.person_id, pp.display_name as name, (extract(epoch from s.last_at) * 1000)::float8 as last_at_ms,
        s.recency_days::int as recency_days, s.frequency::int as frequency, s.monetary::float8 as monetary,
        s.r::int as r, s.f::int as f, s.m::int as m
      from (${scores}) s
      join people pp on pp.workspace_id = ${scope.workspaceId} and pp.id = s.person_id
      where ${sql.join(conds, sql` and `)}
      order by s.monetary desc, s.person_id
      limit ${q.limit}`),
  );
  return rows.map((x) => ({
    personId: x.person_id,
    name: x.name ?? '',
    lastOrderAt: Number(x.last_at_ms),
    recencyDays: Number(x.recency_days),
    frequency: Number(x.frequency),
    monetary: Number(x.monetary),
    r: Number(x.r),
    f: Number(x.f),
    m: Number(x.m),
  }));
}

/**
 * Predictive CLV of the segment's customers: the mean 12-month CLV (minor units) of their current scores from the
 * currency's current purchase model (src/modules/predictions), with that model's version and asOf; null before the
 * currency has a model. A forecast from the model's asOf, so it is not compared between periods.
 */
export async function predictiveClv(
  db: DbOrTx,
  scope: MetricScope,
): Promise<{ value: number | null; customers: number; modelVersion: number; asOf: Date } | null> {
  const [model] = rowsOf<{ version: number; as_of: string | Date }>(
    await db.execute(sql`
      select version, as_of from prediction_models
      where workspace_id = ${scope.workspaceId} and kind = 'purchase' and currency = ${scope.currency}
        and status = 'current'`),
  );
  if (!model) return null;
  const [r] = rowsOf<{ value: number | null; customers: number }>(
    await db.execute(sql`
      select avg(p.clv)::float8 as value, count(*)::int as customers
      from customer_predictions p ${segmentJoin('p', scope.segment)}
      where p.workspace_id = ${scope.workspaceId} and p.currency = ${scope.currency} and p.current`),
  );
  // A score stored as NaN (a fit that overflowed, before bgnbd.ts chose the series by its terms) makes the mean NaN:
  // no number rather than a response the schema refuses (a 500 for the whole summary).
  const value = r?.value === null || r?.value === undefined ? null : Number(r.value);
  return {
    value: value !== null && Number.isFinite(value) ? value : null,
    customers: Number(r?.customers ?? 0),
    modelVersion: Number(model.version),
    asOf: new Date(model.as_of),
  };
}
