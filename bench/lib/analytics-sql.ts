/**
 * The analytics dashboard's default view (web/src/pages/analytics, web/src/api/metrics.ts) and the baseline: one
 * hand-written SQL statement that computes every number the dashboard's requests answer, written from
 * docs/metrics.md's definitions rather than from Rapport's repository code.
 *
 * What the console asks on its default view (the last 90 days, no segment): first the summary of the period (which
 * names the currency), then — at once — the monthly trend of the last 12 calendar months, the cohorts before the
 * period's end (12 months after acquisition at most) and the RFM grid as of the period's end, in that currency.
 */

const dayMs = 86_400_000;
export const churnWindowDays = 90;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);
const addDays = (iso: string, n: number) => day(Date.parse(`${iso}T00:00:00Z`) + n * dayMs);

export type DayPeriod = { from: string; to: string };

/** The console's monthsEndingAt: the 12 calendar months ending with the month of the period's last day. */
export function monthsEndingAt(to: string, n: number): DayPeriod[] {
  const end = new Date(`${to}T00:00:00Z`);
  const last = new Date(end.getTime() - dayMs);
  const first = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), 1));
  const out: DayPeriod[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const a = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() - i, 1));
    const b = new Date(Date.UTC(a.getUTCFullYear(), a.getUTCMonth() + 1, 1));
    out.push({ from: day(a.getTime()), to: day((b > end && end > a ? end : b).getTime()) });
  }
  return out;
}

export type Dashboard = {
  /** The default period: the last 90 days, `to` the day after today (UTC). */
  period: DayPeriod;
  months: DayPeriod[];
  cohortsTo: string;
  cohortsMaxOffset: number;
  rfmAsOf: string;
};

/** The default view on a given day: `to` is the day after it. */
export function defaultDashboard(nowMs: number): Dashboard {
  return dashboardEndingAt(addDays(day(nowMs), 1));
}

export function dashboardEndingAt(to: string): Dashboard {
  return {
    period: { from: addDays(to, -90), to },
    months: monthsEndingAt(to, 12),
    cohortsTo: to,
    cohortsMaxOffset: 12,
    rfmAsOf: to,
  };
}

/** The periods the dashboard's summary computes: the asked one and the previous period of the same length. */
export function dashboardPeriods(d: Dashboard): Array<DayPeriod & { key: string }> {
  const len = (Date.parse(d.period.to) - Date.parse(d.period.from)) / dayMs;
  return [
    { key: 'period', ...d.period },
    { key: 'period-prev', from: addDays(d.period.from, -len), to: d.period.from },
  ];
}

/** The numbers of one period, as both sides report them (a summary's `current` or `previous`). */
export type PeriodNumbers = {
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
  clvRevenue: number;
  clvCustomers: number;
  subBase: number;
  subChurned: number;
  mrrBase: number;
  mrrChurned: number;
  firstResponseCount: number;
  firstResponseSum: number;
  firstResponseMedian: number | null;
  resolutionCount: number;
  resolutionSum: number;
  resolutionMedian: number | null;
};

export type DashboardNumbers = {
  currency: string | null;
  currencies: string[];
  periods: Record<string, PeriodNumbers>;
  /** The monthly trend: each month (year × 12 + month − 1) with orders. */
  trend: Array<{ month: number; orders: number; revenue: number; active: number; repeaters: number }>;
  cohortSizes: Array<{ cohort: number; size: number }>;
  cohortCells: Array<{ cohort: number; month: number; customers: number; revenue: number }>;
  rfm: Array<{ r: number; f: number; customers: number }>;
};

/**
 * The statement. Parameters: $1 workspace, $2 period keys, $3 period starts, $4 period ends (dates), $5 churn window
 * (days), $6 cohorts' (and the trend's) end (a date), $7 cohorts' max offset, $8 RFM's "as of" (a date), $9 the
 * trend's first month. `source` 'rollups' reads
 * metric_customer_days, metric_customers and metric_days, as Rapport does; 'orders' derives all three from the orders
 * table first (counted orders: neither refunded nor canceled, at their net amount), in the same statement.
 *
 * RFM reads each customer's whole history: the data has no order dated after the RFM day (the end of today).
 *
 * `parts` leaves out the per-period pass over the customer days (`facts`) or everything else (`rest`): the bare
 * server runs one statement without the facts and one per period with them only, side by side on its pool.
 */
export function dashboardSql(
  source: 'rollups' | 'orders',
  parts: { facts: boolean; rest: boolean } = { facts: true, rest: true },
): string {
  const month = (col: string) => `(extract(year from ${col})::int * 12 + extract(month from ${col})::int - 1)`;
  const derived =
    source === 'orders'
      ? `d0 as materialized (
           select currency, (placed_at at time zone 'UTC')::date as day, person_id, count(*)::int as orders,
             sum(net) as net, min(placed_at) as first_at, max(placed_at) as last_at
           from orders where workspace_id = $1 and status not in ('refunded', 'canceled')
           group by currency, (placed_at at time zone 'UTC')::date, person_id),
         mc0 as materialized (
           select currency, person_id, min(first_at) as first_at, max(last_at) as last_at, sum(orders)::int as orders,
             sum(net) as net
           from d0 group by currency, person_id),
         t0 as materialized (
           select x.currency, x.day, ${month('x.first_day')} as cohort, sum(x.orders) as orders, sum(x.net) as net,
             count(*) filter (where x.day = x.first_day) as new_customers,
             count(*) filter (where x.month_first) as month_customers,
             count(*) filter (where x.month_first and x.month_orders >= 2) as month_repeaters
           from (select y.*, (y.prev_day is null or ${month('y.prev_day')} <> ${month('y.day')}) as month_first
                 from (select d0.*, min(day) over (partition by person_id, currency) as first_day,
                         lag(day) over (partition by person_id, currency order by day) as prev_day,
                         sum(orders) over (partition by person_id, currency, ${month('day')}) as month_orders
                       from d0) y) x
           group by 1, 2, 3),`
      : '';
  const D = source === 'orders' ? 'd0' : 'metric_customer_days';
  const MC = source === 'orders' ? 'mc0' : 'metric_customers';
  const T = source === 'orders' ? 't0' : 'metric_days';
  const ws = (alias: string) => (source === 'orders' ? 'true' : `${alias}.workspace_id = $1`);
  return `
with ${derived}
cur_list as (
  select currency, sum(orders) as n from ${T} t where ${ws('t')} group by currency
),
cur as (select currency from cur_list order by n desc, currency limit 1),
per as (
  select k, f, t, f - (t - f) as prev_f, f - $5::int as window_f,
    (f::timestamp at time zone 'UTC') as f_ts, (t::timestamp at time zone 'UTC') as t_ts
  from unnest($2::text[], $3::date[], $4::date[]) as x(k, f, t)
),
facts as (
  select per.k,
    coalesce(sum(c.n), 0)::float8 as orders,
    coalesce(sum(c.net), 0)::float8 as revenue,
    count(*) filter (where c.n > 0) as active,
    count(*) filter (where c.n >= 2) as repeaters,
    count(*) filter (where c.prev) as retention_base,
    count(*) filter (where c.prev and c.n > 0) as retained,
    count(*) filter (where c.last_before is not null) as churn_base,
    count(*) filter (where c.last_before is not null and c.n = 0
                       and c.last_before <= per.t_ts - make_interval(days => $5::int)) as churned,
    count(*) filter (where c.last_before is not null and c.n > 0) as returned,
    coalesce(sum((extract(epoch from (per.t_ts - m.first_at)) * 1000)::bigint / ${dayMs}) filter (where c.n > 0), 0)::float8
      as tenure_days
  from per
  cross join lateral (
    select d.person_id,
      coalesce(sum(d.orders) filter (where d.day >= per.f), 0) as n,
      coalesce(sum(d.net) filter (where d.day >= per.f), 0) as net,
      bool_or(d.day >= per.prev_f and d.day < per.f) as prev,
      max(d.last_at) filter (where d.day >= per.window_f and d.day < per.f) as last_before
    from ${D} d
    where ${ws('d')} and d.currency = (select currency from cur)
      and d.day >= least(per.prev_f, per.window_f) and d.day < per.t
    group by d.person_id
  ) c
  left join ${MC} m on ${ws('m')} and m.currency = (select currency from cur) and m.person_id = c.person_id and c.n > 0
  where ${parts.facts}
  group by per.k
),
daily as materialized (
  select t.day, sum(t.net) as net, sum(t.new_customers) as new_customers
  from ${T} t where ${ws('t')} and t.currency = (select currency from cur) group by t.day
),
clv as (
  select per.k,
    (select coalesce(sum(net), 0) from daily where daily.day < per.t)::float8 as revenue,
    (select coalesce(sum(new_customers), 0) from daily where daily.day < per.t)::float8 as customers
  from per
),
subs as (
  select per.k, count(s.id) as base,
    count(s.id) filter (where s.canceled_at < per.t_ts) as churned,
    coalesce(sum(s.mrr), 0)::float8 as mrr_base,
    coalesce(sum(s.mrr) filter (where s.canceled_at < per.t_ts), 0)::float8 as mrr_churned
  from per left join subscriptions s on s.workspace_id = $1 and s.currency = (select currency from cur)
    and s.started_at < per.f_ts and (s.canceled_at is null or s.canceled_at >= per.f_ts)
  group by per.k
),
ticket_times as (
  select per.k,
    count(fr.s) as fr_count, coalesce(sum(fr.s), 0)::float8 as fr_sum,
    percentile_cont(0.5) within group (order by fr.s) as fr_median
  from per left join lateral (
    select coalesce(t.first_response_business_ms, case when t.first_response_at is not null then
      greatest(0, (extract(epoch from (t.first_response_at - t.created_at)) * 1000)::bigint) end) / 1000 as s
    from tickets t where t.workspace_id = $1 and t.merged_into_id is null
      and t.created_at >= per.f_ts and t.created_at < per.t_ts
  ) fr on fr.s is not null
  group by per.k
),
ticket_resolutions as (
  select per.k,
    count(rs.s) as res_count, coalesce(sum(rs.s), 0)::float8 as res_sum,
    percentile_cont(0.5) within group (order by rs.s) as res_median
  from per left join lateral (
    select coalesce(t.resolution_business_ms, case when t.resolved_at is not null then
      greatest(0, (extract(epoch from (t.resolved_at - t.created_at)) * 1000)::bigint) end) / 1000 as s
    from tickets t where t.workspace_id = $1 and t.merged_into_id is null
      and t.resolved_at >= per.f_ts and t.resolved_at < per.t_ts
  ) rs on rs.s is not null
  group by per.k
),
cohort_sizes as (
  select t.cohort, sum(t.new_customers) as size from ${T} t
  where ${parts.rest} and ${ws('t')} and t.currency = (select currency from cur) and t.day < $6::date
  group by t.cohort having sum(t.new_customers) > 0
),
-- A customer is in a (cohort, month) cell once: on their first day of that month.
cohort_cells as (
  select t.cohort, ${month('t.day')} as month, sum(t.month_customers) as customers, sum(t.net)::float8 as revenue
  from ${T} t
  where ${parts.rest} and ${ws('t')} and t.currency = (select currency from cur) and t.day < $6::date
    and ${month('t.day')} - t.cohort <= $7::int
  group by 1, 2
),
-- The trend: per calendar month, customers counted on their first day of it (and whether they ordered twice or more in
-- it), from the start of the first month to the period's end (no order is dated after it).
trend as (
  select ${month('t.day')} as month, sum(t.orders)::float8 as orders, sum(t.net)::float8 as revenue,
    sum(t.month_customers) as active, sum(t.month_repeaters) as repeaters
  from ${T} t
  where ${parts.rest} and ${ws('t')} and t.currency = (select currency from cur) and t.day >= $9::date
    and t.day < $6::date
  group by 1
),
rfm_base as (
  select ((extract(epoch from (($8::date::timestamp at time zone 'UTC') - m.last_at)) * 1000)::bigint / ${dayMs}) as rec,
    m.orders::bigint as freq
  from ${MC} m where ${parts.rest} and ${ws('m')} and m.currency = (select currency from cur)
),
rfm_n as (select count(*) as n from rfm_base),
rfm_groups as (select rec, freq, count(*) as c from rfm_base group by rec, freq),
-- rank() - 1 is the number of customers ordered before: more days since their last order (R), fewer orders (F).
r_scores as (
  select rec, (5 * coalesce(sum(sum(c)) over (order by rec desc rows between unbounded preceding and 1 preceding), 0))::bigint
    / (select n from rfm_n) + 1 as r
  from rfm_groups group by rec
),
f_scores as (
  select freq, (5 * coalesce(sum(sum(c)) over (order by freq asc rows between unbounded preceding and 1 preceding), 0))::bigint
    / (select n from rfm_n) + 1 as f
  from rfm_groups group by freq
),
rfm_cells as (
  select r_scores.r, f_scores.f, sum(g.c) as customers
  from rfm_groups g join r_scores using (rec) join f_scores using (freq)
  group by 1, 2
)
select json_build_object(
  'currency', (select currency from cur),
  'currencies', (select coalesce(json_agg(currency order by n desc, currency), '[]') from cur_list),
  'periods', (select json_object_agg(per.k, json_build_object(
      'orders', coalesce(facts.orders, 0), 'revenue', coalesce(facts.revenue, 0), 'active', coalesce(facts.active, 0),
      'repeaters', coalesce(facts.repeaters, 0), 'retentionBase', coalesce(facts.retention_base, 0),
      'retained', coalesce(facts.retained, 0), 'churnBase', coalesce(facts.churn_base, 0),
      'churned', coalesce(facts.churned, 0), 'returned', coalesce(facts.returned, 0),
      'tenureDays', coalesce(facts.tenure_days, 0), 'clvRevenue', clv.revenue, 'clvCustomers', clv.customers,
      'subBase', subs.base, 'subChurned', subs.churned, 'mrrBase', subs.mrr_base, 'mrrChurned', subs.mrr_churned,
      'firstResponseCount', tt.fr_count, 'firstResponseSum', tt.fr_sum, 'firstResponseMedian', tt.fr_median,
      'resolutionCount', tr.res_count, 'resolutionSum', tr.res_sum, 'resolutionMedian', tr.res_median))
    from per left join facts using (k) join clv using (k) join subs using (k)
      join ticket_times tt using (k) join ticket_resolutions tr using (k)),
  'trend', (select coalesce(json_agg(json_build_object('month', month, 'orders', orders, 'revenue', revenue,
      'active', active, 'repeaters', repeaters) order by month), '[]') from trend),
  'cohortSizes', (select coalesce(json_agg(json_build_object('cohort', cohort, 'size', size) order by cohort), '[]')
    from cohort_sizes),
  'cohortCells', (select coalesce(json_agg(json_build_object('cohort', cohort, 'month', month,
      'customers', customers, 'revenue', revenue) order by cohort, month), '[]') from cohort_cells),
  'rfm', (select coalesce(json_agg(json_build_object('r', r, 'f', f, 'customers', customers) order by r, f), '[]')
    from rfm_cells)
)::text as dashboard`;
}

/** The statement's parameters for a dashboard (or for some of its periods). */
export function dashboardParams(
  workspaceId: string,
  d: Dashboard,
  periods: Array<DayPeriod & { key: string }> = dashboardPeriods(d),
): unknown[] {
  return [
    workspaceId,
    periods.map((p) => p.key),
    periods.map((p) => p.from),
    periods.map((p) => p.to),
    churnWindowDays,
    d.cohortsTo,
    d.cohortsMaxOffset,
    d.rfmAsOf,
    d.months[0]?.from ?? d.period.from,
  ];
}
