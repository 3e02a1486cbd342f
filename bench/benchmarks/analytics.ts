/**
 * `npm run bench -- analytics`: commerce and relationship analytics (issue 5) at 1M customers / ~5M orders on
 * PostgreSQL. Figure A: the analytics dashboard's default view through the whole Rapport app (HTTP, API key, the
 * requests the console makes, as concurrently as a browser makes them) against one hand-written SQL statement for
 * the same numbers on a bare Fastify + pg server, the numbers checked equal. Figure B: `rapport import orders` of a
 * generated 1M-row orders CSV end to end against raw COPY of the same file.
 *
 * Knobs: BENCH_ANALYTICS_CUSTOMERS (default 1,000,000), BENCH_ANALYTICS_ORDERS_PER_CUSTOMER (5),
 * BENCH_ANALYTICS_ROUNDS (measured dashboard rounds, 5), BENCH_ANALYTICS_WARMUP (discarded rounds, 1),
 * BENCH_ANALYTICS_RAW_RUNS (runs of the statement over the raw orders, 1; 0 skips it), BENCH_ANALYTICS_IMPORT_ROWS (1,000,000;
 * 0 skips Figure B), BENCH_ANALYTICS_DEV=1 (measure on the database bench/tools/analytics-db.ts keeps; any other value
 * names another such copy). BENCH_POOL_SIZE, BENCH_CPU_PROF as the other benchmarks.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { buildAnalyticsDatabase, customerExternalId, type AnalyticsDatabase } from '../lib/analytics-load.ts';
import {
  churnWindowDays,
  defaultDashboard,
  type Dashboard,
  type DashboardNumbers,
  type PeriodNumbers,
} from '../lib/analytics-sql.ts';
import { orderCsvRows, type OrderCsvStats } from '../lib/commerce-data.ts';
import { readBuyers } from '../lib/commerce-load.ts';
import { contentionNotes, withCpu, type CpuUse } from '../lib/measure.ts';
import { databaseUrl, dropDatabase, freshDatabase } from '../lib/pg.ts';
import { cpuProfiling, loadSettings } from '../lib/settings.ts';
import { benchDir, spawnServer, type SpawnedServer } from '../lib/spawn.ts';
import { median, percentileSorted, round } from '../lib/stats.ts';
import type { Benchmark, SummaryRow } from '../lib/types.ts';
import { cpuSecondsOf, importWithCli, type CliRun } from './import.ts';

export const analyticsCustomers = Number(process.env.BENCH_ANALYTICS_CUSTOMERS || 1_000_000);
export const analyticsOrdersPerCustomer = Number(process.env.BENCH_ANALYTICS_ORDERS_PER_CUSTOMER || 5);
export const analyticsSeed = 20_261_201;
const measuredRounds = Number(process.env.BENCH_ANALYTICS_ROUNDS || 5);
const warmupRounds = Number(process.env.BENCH_ANALYTICS_WARMUP ?? 1);
const rawRuns = Number(process.env.BENCH_ANALYTICS_RAW_RUNS ?? 1);
const importRows = Number(process.env.BENCH_ANALYTICS_IMPORT_ROWS ?? 1_000_000);
const devName = process.env.BENCH_ANALYTICS_DEV
  ? process.env.BENCH_ANALYTICS_DEV === '1'
    ? 'rapport_analytics_dev'
    : process.env.BENCH_ANALYTICS_DEV
  : null;
const benchDb = 'rapport_bench_analytics';
const importDb = 'rapport_bench_analytics_import';
const targetMs = 1000;
const targetFactor = 1.5;
const importTarget = 0.5;
/** What a browser opens to one host over HTTP/1.1 at most (Chromium, Firefox): the rest of the requests wait. */
const browserConnections = 6;

function log(msg: string): void {
  process.stderr.write(`  [analytics] ${msg}\n`);
}

const fmt = (n: number) => n.toLocaleString('en-US');
const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));

type Got = { ms: number; body: unknown };

/** GET through `agent` (its socket limit is the browser's), the JSON body parsed; anything but 200 throws. */
function getJson(agent: http.Agent, base: string, pathAndQuery: string, headers: Record<string, string>): Promise<Got> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${pathAndQuery}`, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${pathAndQuery}: ${res.statusCode} ${text.slice(0, 500)}`));
          return;
        }
        try {
          resolve({ ms: performance.now() - started, body: JSON.parse(text) as unknown });
        } catch (e) {
          reject(e as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const query = (q: Record<string, string | number | undefined>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.append(k, String(v));
  return p.toString();
};

type MetricBody = { current: Record<string, number | null>; previous: Record<string, number | null> };
type SummaryBody = { currency: string | null; currencies: string[]; metrics: Record<string, MetricBody> };
type CohortsBody = {
  cohorts: string[];
  sizes: number[];
  offsets: number;
  customers: Array<Array<number | null>>;
  revenueMinor: Array<Array<number | null>>;
};
type RfmBody = { customers: number; cells: number[][] };
type TrendBody = {
  months: Array<{
    from: string;
    revenue: { value: number };
    orders: { value: number };
    activeCustomers: { value: number };
    repeatPurchaseRate: { numerator: number };
  }>;
};

/** The requests of the dashboard's default view, in the console's order, with their query strings. */
function dashboardRequests(d: Dashboard, currency: string | null) {
  const scope = { currency: currency ?? undefined };
  return {
    summary: `/api/v1/metrics/summary?${query({ from: d.period.from, to: d.period.to })}`,
    trend: `/api/v1/metrics/trend?${query({ to: d.period.to, months: d.months.length, ...scope })}`,
    cohorts: `/api/v1/metrics/cohorts?${query({ to: d.cohortsTo, maxOffset: d.cohortsMaxOffset, ...scope })}`,
    rfm: `/api/v1/metrics/rfm?${query({ asOf: d.rfmAsOf, ...scope })}`,
  };
}

type RapportRound = {
  ms: number;
  /** Each request's own time (from its send to its last byte), by name. */
  requestMs: Record<string, number>;
  summary: SummaryBody;
  trend: TrendBody;
  cohorts: CohortsBody;
  rfm: RfmBody;
};

/**
 * The dashboard as the console loads it: the period's summary, the monthly trend, the cohorts and the RFM grid all at
 * once (no currency chosen: each takes the workspace's most ordered one, and says which), over at most
 * `browserConnections` connections. The time is from the first request to the last answer.
 */
async function rapportDashboard(
  agent: http.Agent,
  server: SpawnedServer,
  apiKey: string,
  d: Dashboard,
): Promise<RapportRound> {
  const headers = { authorization: `Bearer ${apiKey}` };
  const started = performance.now();
  const reqs = dashboardRequests(d, null);
  const [first, trend, cohorts, rfm] = await Promise.all([
    getJson(agent, server.url, reqs.summary, headers),
    getJson(agent, server.url, reqs.trend, headers),
    getJson(agent, server.url, reqs.cohorts, headers),
    getJson(agent, server.url, reqs.rfm, headers),
  ]);
  const ms = performance.now() - started;
  const summary = first.body as SummaryBody;
  for (const [name, r] of Object.entries({ trend, cohorts, rfm }))
    if ((r.body as { currency?: string | null }).currency !== summary.currency)
      throw new Error(`the ${name} answer is in another currency than the summary's`);
  return {
    ms,
    requestMs: { summary: first.ms, trend: trend.ms, cohorts: cohorts.ms, rfm: rfm.ms },
    summary,
    trend: trend.body as TrendBody,
    cohorts: cohorts.body as CohortsBody,
    rfm: rfm.body as RfmBody,
  };
}

/** Rapport's answers as the baseline's numbers (the parts of each metric the dashboard shows or derives from). */
function rapportNumbers(r: RapportRound, d: Dashboard): DashboardNumbers {
  const periods: Record<string, PeriodNumbers> = {};
  for (const { key, body } of [{ key: 'period', body: r.summary }])
    for (const side of ['current', 'previous'] as const) {
      const m = (name: string) => (body.metrics[name] as MetricBody)[side];
      const n = (name: string, part: string) => Number(m(name)[part]);
      periods[side === 'current' ? key : `${key}-prev`] = {
        orders: n('orders', 'value'),
        revenue: n('revenue', 'value'),
        active: n('activeCustomers', 'value'),
        repeaters: n('repeatPurchaseRate', 'numerator'),
        retentionBase: n('retentionRate', 'denominator'),
        retained: n('retentionRate', 'numerator'),
        churnBase: n('churnRate', 'denominator'),
        churned: n('churnRate', 'numerator'),
        returned: n('churnRate', 'returned'),
        tenureDays: n('tenure', 'numerator'),
        clvRevenue: n('historicalClv', 'numerator'),
        clvCustomers: n('historicalClv', 'denominator'),
        subBase: n('subscriptionChurnRate', 'denominator'),
        subChurned: n('subscriptionChurnRate', 'numerator'),
        mrrBase: n('subscriptionChurnRate', 'mrrBaseMinor'),
        mrrChurned: n('subscriptionChurnRate', 'mrrChurnedMinor'),
        firstResponseCount: n('firstResponseTime', 'count'),
        firstResponseSum: n('firstResponseTime', 'sumSeconds'),
        firstResponseMedian: m('firstResponseTime').medianSeconds ?? null,
        resolutionCount: n('resolutionTime', 'count'),
        resolutionSum: n('resolutionTime', 'sumSeconds'),
        resolutionMedian: m('resolutionTime').medianSeconds ?? null,
      };
    }
  const c = r.cohorts;
  const cohortMonth = (labelText: string) => Number(labelText.slice(0, 4)) * 12 + Number(labelText.slice(5, 7)) - 1;
  const cohortCells: DashboardNumbers['cohortCells'] = [];
  c.cohorts.forEach((lab, row) => {
    const cm = cohortMonth(lab);
    for (let k = 0; k < c.offsets; k++) {
      const customers = c.customers[row]?.[k];
      if (customers === null || customers === undefined || customers === 0) continue;
      cohortCells.push({ cohort: cm, month: cm + k, customers, revenue: Number(c.revenueMinor[row]?.[k]) });
    }
  });
  const rfm: DashboardNumbers['rfm'] = [];
  r.rfm.cells.forEach((row, ri) =>
    row.forEach((customers, fi) => {
      if (customers) rfm.push({ r: ri + 1, f: fi + 1, customers });
    }),
  );
  void d;
  return {
    currency: r.summary.currency,
    currencies: r.summary.currencies,
    periods,
    trend: r.trend.months
      .map((m) => ({
        month: Number(m.from.slice(0, 4)) * 12 + Number(m.from.slice(5, 7)) - 1,
        orders: m.orders.value,
        revenue: m.revenue.value,
        active: m.activeCustomers.value,
        repeaters: m.repeatPurchaseRate.numerator,
      }))
      .filter((m) => m.orders > 0),
    cohortSizes: c.cohorts.map((lab, i) => ({ cohort: cohortMonth(lab), size: c.sizes[i] as number })),
    cohortCells,
    rfm,
  };
}

/** The baseline's cells within the dashboard's grid (the months up to the cohorts' end; empty cells left out). */
function normaliseBaseline(b: DashboardNumbers, d: Dashboard): DashboardNumbers {
  const last = new Date(Date.parse(`${d.cohortsTo}T00:00:00Z`) - 1);
  const lastMonth = last.getUTCFullYear() * 12 + last.getUTCMonth();
  return {
    ...b,
    cohortCells: b.cohortCells.filter((c) => c.month <= lastMonth && c.customers > 0),
    rfm: b.rfm.filter((c) => c.customers > 0),
  };
}

/** Where two sets of numbers differ (at most 20 places), exactly: both sides compute integers or exact sums. */
function differences(a: DashboardNumbers, b: DashboardNumbers, names: [string, string]): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, at: string) => {
    if (out.length >= 20) return;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) out.push(`${at}: ${names[0]} ${x}, ${names[1]} ${y}`);
      return;
    }
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') {
      if (x !== y) out.push(`${at}: ${names[0]} ${JSON.stringify(x)}, ${names[1]} ${JSON.stringify(y)}`);
      return;
    }
    const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
    for (const k of keys) walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${at}.${k}`);
  };
  walk(a, b, 'dashboard');
  return out;
}

type Timed = { ms: number } & CpuUse;

function stat(xs: Timed[]) {
  const ms = Float64Array.from(xs.map((x) => x.ms)).sort();
  const cpu = xs.map((x) => x.serverCpuMs).filter((v): v is number => v !== null);
  const pgCpu = xs.map((x) => x.postgresCpuMs).filter((v): v is number => v !== null);
  return {
    medianMs: round(median([...ms]), 0),
    p95Ms: round(percentileSorted(ms, 95), 0),
    ...(cpu.length ? { serverCpuMs: round(median(cpu), 0) } : {}),
    ...(pgCpu.length ? { postgresCpuMs: round(median(pgCpu), 0) } : {}),
  };
}

/** Figure B's file: order lines of existing customers (by their shop customer id), as a shop exports them. */
async function writeOrdersCsv(
  file: string,
  db: AnalyticsDatabase,
  buyers: Awaited<ReturnType<typeof readBuyers>>,
): Promise<OrderCsvStats> {
  const stats: OrderCsvStats = { rows: 0, orders: 0, refunded: 0, customers: 0, bytes: 0, byStatus: {} };
  const lines = orderCsvRows({
    buyers,
    products: db.products,
    nowMs: db.nowMs,
    rateScale: db.rateScale,
    rows: importRows,
    seed: analyticsSeed + 500,
    externalIdOf: (b) => customerExternalId(b.index),
    stats,
  });
  await pipeline(
    Readable.from(
      (function* () {
        let buf = '';
        for (const l of lines) {
          buf += l;
          if (buf.length > 262_144) {
            yield buf;
            buf = '';
          }
        }
        if (buf) yield buf;
      })(),
    ),
    fs.createWriteStream(file),
  );
  return stats;
}

const orderCsvColumns =
  'order_id text, customer_id text, date text, sku text, product text, quantity text, unit_price text, discount text, ' +
  'shipping text, total text, currency text, status text, refunded text';

/** Raw COPY of the file into a table of text columns: what PostgreSQL can take in. Twice; the faster counts. */
async function copyBaseline(url: string, file: string, rows: number) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const runs: Array<{ seconds: number; rowsPerSec: number }> = [];
  try {
    for (let i = 0; i < 2; i++) {
      await client.query('drop table if exists bare_orders');
      await client.query(`create table bare_orders (${orderCsvColumns})`);
      const started = performance.now();
      await pipeline(
        fs.createReadStream(file, { highWaterMark: 256 * 1024 }),
        client.query(copyFrom('copy bare_orders from stdin with (format csv, header)')),
      );
      const seconds = (performance.now() - started) / 1000;
      const n = Number((await client.query<{ n: string }>('select count(*) as n from bare_orders')).rows[0]?.n);
      if (n !== rows) throw new Error(`COPY loaded ${n} rows, expected ${rows}`);
      runs.push({ seconds: round(seconds, 2), rowsPerSec: round(n / seconds, 0) });
      log(`COPY ${i + 1}: ${round(seconds, 1)} s, ${fmt(round(n / seconds, 0))} rows/s`);
    }
    await client.query('drop table bare_orders');
  } finally {
    await client.end();
  }
  return runs.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a));
}

/**
 * The database's share alone: the orders and lines the import wrote, exported and COPYed in one statement each into
 * copies of the real tables (their indexes, checks and the generated net column), no lookup, event or validation.
 */
async function indexedCopyFloor(url: string, dir: string, rows: number) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const files = { orders: path.join(dir, 'orders.copy'), order_lines: path.join(dir, 'lines.copy') };
  try {
    const pid = (await client.query<{ p: number }>('select pg_backend_pid() as p')).rows[0]?.p ?? 0;
    const cols = async (table: string) =>
      (
        await client.query<{ c: string }>(
          `select string_agg(quote_ident(column_name), ', ' order by ordinal_position) as c
             from information_schema.columns where table_name = $1 and is_generated = 'NEVER'`,
          [table],
        )
      ).rows[0]?.c ?? '';
    const orderCols = await cols('orders');
    const lineCols = await cols('order_lines');
    await pipeline(
      client.query(copyTo(`copy (select ${orderCols} from orders where external_id like 'imp-%') to stdout`)),
      fs.createWriteStream(files.orders),
    );
    await pipeline(
      client.query(
        copyTo(`copy (select ${lineCols.replace(/"?(\w+)"?/g, 'l.$1')} from order_lines l join orders o
          on o.workspace_id = l.workspace_id and o.id = l.order_id where o.external_id like 'imp-%') to stdout`),
      ),
      fs.createWriteStream(files.order_lines),
    );
    await client.query('drop table if exists orders_floor, order_lines_floor');
    await client.query('create table orders_floor (like orders including all)');
    await client.query('create table order_lines_floor (like order_lines including all)');
    await client.query('checkpoint');
    const cpu0 = cpuSecondsOf(pid);
    const started = performance.now();
    await pipeline(
      fs.createReadStream(files.orders),
      client.query(copyFrom(`copy orders_floor (${orderCols}) from stdin`)),
    );
    await pipeline(
      fs.createReadStream(files.order_lines),
      client.query(copyFrom(`copy order_lines_floor (${lineCols}) from stdin`)),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu1 = cpuSecondsOf(pid);
    return {
      seconds: round(seconds, 1),
      rowsPerSec: round(rows / seconds, 0),
      dbCpuSeconds: cpu0 === null || cpu1 === null ? null : round(cpu1 - cpu0, 1),
    };
  } finally {
    await client.query('drop table if exists orders_floor, order_lines_floor').catch(() => undefined);
    await client.end();
    for (const f of Object.values(files)) fs.rmSync(f, { force: true });
  }
}

/** Figure B's checks: every order and line of the file is in the database, with its events; nothing else changed. */
async function importChecks(url: string, db: AnalyticsDatabase, s: OrderCsvStats) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const one = async (text: string, params: unknown[] = [db.workspaceId]) =>
      Number((await client.query<{ n: string }>(text, params)).rows[0]?.n);
    const imp = (
      await client.query<{ created: number; updated: number; unchanged: number; rejected: number; secs: number }>(
        `select created, updated, unchanged, rejected, extract(epoch from finished_at - started_at)::float8 as secs
           from imports where workspace_id = $1 order by created_at desc limit 1`,
        [db.workspaceId],
      )
    ).rows[0];
    const events = Object.fromEntries(
      (
        await client.query<{ type: string; n: string }>(
          `select type, count(*) as n from events where workspace_id = $1 and type like 'order.%' group by type`,
          [db.workspaceId],
        )
      ).rows.map((r) => [r.type, Number(r.n)]),
    );
    const got = {
      created: Number(imp?.created),
      rejected: Number(imp?.rejected),
      orders: await one(`select count(*) as n from orders where workspace_id = $1 and external_id like 'imp-%'`),
      lines: await one(
        `select count(*) as n from order_lines l join orders o on o.workspace_id = l.workspace_id and o.id = l.order_id
          where o.workspace_id = $1 and o.external_id like 'imp-%'`,
      ),
      refunds: await one(
        `select count(*) as n from refunds r join orders o on o.workspace_id = r.workspace_id and o.id = r.order_id
          where o.workspace_id = $1 and o.external_id like 'imp-%'`,
      ),
      people: await one(`select count(*) as n from people where workspace_id = $1`),
      placedEvents: events['order.placed'] ?? 0,
    };
    const want = {
      created: s.orders,
      rejected: 0,
      orders: s.orders,
      lines: s.rows,
      refunds: s.refunded,
      people: db.customers,
      placedEvents: s.orders,
    };
    const wrong = (Object.keys(want) as Array<keyof typeof want>).filter((k) => got[k] !== want[k]);
    if (wrong.length)
      throw new Error(`after the import: ${wrong.map((k) => `${k} ${got[k]}, expected ${want[k]}`).join('; ')}`);
    return { ...got, events, jobSeconds: Number(imp?.secs) };
  } finally {
    await client.end();
  }
}

export const analytics: Benchmark = {
  name: 'analytics',
  title: `Analytics dashboard and order import at ${fmt(analyticsCustomers)} customers`,
  async run(ctx) {
    const s = loadSettings();
    const profDir = path.join(ctx.tmpDir, 'prof');
    const nodeArgs = cpuProfiling ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    const servers: SpawnedServer[] = [];
    const runs: unknown[] = [];
    const summary: SummaryRow[] = [];
    const notes: string[] = [];
    const dir = path.join(ctx.tmpDir, 'analytics');
    fs.mkdirSync(dir, { recursive: true });
    let db: AnalyticsDatabase;
    let dbName: string;
    if (devName) {
      db = JSON.parse(fs.readFileSync(path.join(ctx.tmpDir, `${devName}.json`), 'utf8')) as AnalyticsDatabase;
      dbName = devName;
      log(`using ${db.url} as bench/tools/analytics-db.ts built it`);
    } else {
      dbName = benchDb;
      const url = await freshDatabase(ctx.adminDatabaseUrl, benchDb);
      db = await buildAnalyticsDatabase({
        url,
        customers: analyticsCustomers,
        ordersPerCustomer: analyticsOrdersPerCustomer,
        seed: analyticsSeed,
        cpus: ctx.machine.cpus,
        log,
      });
    }
    runs.push({ load: { ...db, products: db.products.length, apiKey: undefined } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: browserConnections });
    const bareAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // The dashboard of the last day of the history (the day it was loaded): its default view then.
    const d = defaultDashboard(db.nowMs);
    const rapportRuns: Timed[] = [];
    const bareRuns: Timed[] = [];
    const rawRunsTimed: Timed[] = [];
    const requestMs: Record<string, number[]> = {};
    let alone: Record<string, number>;
    let rawChecked = false;
    let csv: OrderCsvStats | null = null;
    let copyRun: { seconds: number; rowsPerSec: number } | null = null;
    let importRun: CliRun | null = null;
    let checks: Awaited<ReturnType<typeof importChecks>> | null = null;
    let floor: Awaited<ReturnType<typeof indexedCopyFloor>> | null = null;
    try {
      const env = { BENCH_POOL_SIZE: String(s.poolSize) };
      const bare = await spawnServer({
        name: 'bare',
        script: path.join(benchDir, 'servers/bare.ts'),
        env: { ...env, BENCH_DATABASE_URL: db.url, BENCH_WORKSPACE_ID: db.workspaceId },
      });
      servers.push(bare);
      const rapport = await spawnServer({
        name: 'rapport',
        script: path.join(benchDir, 'servers/rapport.ts'),
        env: { ...env, BENCH_DATABASE_URL: db.url },
        nodeArgs,
      });
      servers.push(rapport);
      const bareDashboard = async (source: 'rollups' | 'orders') =>
        getJson(bareAgent, bare.url, `/analytics/dashboard?${query({ to: d.period.to, source })}`, {});

      // Warm-up (discarded), then the numbers checked, then the measured rounds in alternation.
      for (let i = 0; i < Math.max(1, warmupRounds); i++) {
        const r = await rapportDashboard(agent, rapport, db.apiKey, d);
        const b = await bareDashboard('rollups');
        log(`warm-up ${i + 1}: Rapport ${Math.round(r.ms)} ms, baseline ${Math.round(b.ms)} ms`);
        if (i === 0) {
          const mine = rapportNumbers(r, d);
          const theirs = normaliseBaseline(b.body as DashboardNumbers, d);
          const diff = differences(mine, theirs, ['Rapport', 'baseline']);
          if (diff.length) throw new Error(`Rapport's dashboard differs from the baseline's: ${diff.join('; ')}`);
          log(
            `numbers match: ${Object.keys(mine.periods).length} periods, ${mine.cohortCells.length} cohort cells, ${mine.rfm.length} RFM cells`,
          );
          runs.push({ numbers: mine });
        }
      }
      for (let i = 0; i < measuredRounds; i++) {
        const r = await withCpu([rapport.pid], () => rapportDashboard(agent, rapport, db.apiKey, d), {
          database: dbName,
        });
        const b = await withCpu([bare.pid], () => bareDashboard('rollups'), { database: dbName });
        rapportRuns.push({ ...r, ms: r.result.ms });
        bareRuns.push({ ...b, ms: b.result.ms });
        for (const [k, v] of Object.entries(r.result.requestMs)) (requestMs[k] ??= []).push(v);
        log(
          `round ${i + 1}: Rapport ${Math.round(r.result.ms)} ms (server CPU ${r.serverCpuMs} ms, PostgreSQL ${r.postgresCpuMs} ms), baseline ${Math.round(b.result.ms)} ms (PostgreSQL ${b.postgresCpuMs} ms), other load ${r.otherLoadPct}%`,
        );
      }
      // Each request alone, one at a time (informative: no request waits for another).
      const reqs = dashboardRequests(
        d,
        rapportNumbers(await rapportDashboard(agent, rapport, db.apiKey, d), d).currency,
      );
      const headers = { authorization: `Bearer ${db.apiKey}` };
      const one = async (p: string) => (await getJson(agent, rapport.url, p, headers)).ms;
      alone = { summary: await one(reqs.summary) };
      alone.trend = await one(reqs.trend);
      alone.cohorts = await one(reqs.cohorts);
      alone.rfm = await one(reqs.rfm);
      alone = Object.fromEntries(Object.entries(alone).map(([k, v]) => [k, round(v, 0)]));
      log(`each request alone: ${JSON.stringify(alone)}`);

      // Informative: the same numbers straight from the orders table, no roll-ups.
      for (let i = 0; i < rawRuns; i++) {
        const r = await withCpu([bare.pid], () => bareDashboard('orders'), { database: dbName });
        if (!rawChecked) {
          const diff = differences(
            normaliseBaseline(r.result.body as DashboardNumbers, d),
            normaliseBaseline((await bareDashboard('rollups')).body as DashboardNumbers, d),
            ['orders', 'roll-ups'],
          );
          if (diff.length) throw new Error(`the numbers from the orders differ from the roll-ups': ${diff.join('; ')}`);
          rawChecked = true;
        }
        log(`over the orders ${i + 1}: ${Math.round(r.result.ms)} ms`);
        rawRunsTimed.push({ ...r, ms: r.result.ms });
      }
      await Promise.all(servers.splice(0).map((srv) => srv.stop()));

      // Figure B: the orders CSV through `rapport import orders`, against COPY of the same file.
      if (importRows > 0) {
        const url = devName
          ? await (async () => {
              // Keep the kept database as it is: import into a copy of it.
              const admin = new pg.Client({ connectionString: ctx.adminDatabaseUrl });
              await admin.connect();
              try {
                await admin.query(`drop database if exists ${importDb} with (force)`);
                await admin.query(`create database ${importDb} template ${dbName}`);
              } finally {
                await admin.end();
              }
              return databaseUrl(ctx.adminDatabaseUrl, importDb);
            })()
          : db.url;
        const file = path.join(dir, `orders-${label(importRows)}.csv`);
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        const buyers = await readBuyers(client, db.workspaceId).finally(() => client.end());
        csv = await writeOrdersCsv(file, db, buyers);
        log(
          `orders CSV: ${fmt(csv.rows)} rows, ${fmt(csv.orders)} orders of ${fmt(csv.customers)} customers, ${round(csv.bytes / 1024 ** 2, 1)} MB`,
        );
        copyRun = await copyBaseline(url, file, csv.rows);
        importRun = await importWithCli(
          { DATABASE_URL: url, RAPPORT_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn' },
          file,
          'orders',
          url,
          'orders',
        );
        log(
          `rapport import orders: ${round(importRun.seconds, 1)} s, peak RSS ${round(importRun.peakRssKb / 1024, 0)} MB — ${importRun.summary}`,
        );
        checks = await importChecks(url, db, csv);
        importRun.runSeconds = checks.jobSeconds;
        floor = await indexedCopyFloor(url, dir, csv.rows);
        log(`floor: COPY into the indexed orders and lines tables ${floor.seconds} s, ${fmt(floor.rowsPerSec)} rows/s`);
        runs.push({ import: { csv, copy: copyRun, rapport: importRun, checks, floor } });
        fs.rmSync(file, { force: true });
      }
    } finally {
      await Promise.all(servers.map((srv) => srv.stop()));
      agent.destroy();
      bareAgent.destroy();
      if (devName) await dropDatabase(ctx.adminDatabaseUrl, importDb).catch(() => undefined);
      else await dropDatabase(ctx.adminDatabaseUrl, benchDb).catch(() => undefined);
      fs.rmSync(path.join(dir, 'data'), { recursive: true, force: true });
    }

    const rs = stat(rapportRuns);
    const bs = stat(bareRuns);
    const raw = stat(rawRunsTimed);
    runs.push({ rapportRounds: rapportRuns, baselineRounds: bareRuns, rawRounds: rawRunsTimed, requestMs, alone });
    const baseName = 'dashboard baseline: hand-written SQL over the roll-ups, bare Fastify + pg';
    const ratio = round(bs.medianMs / rs.medianMs, 3);
    summary.push(
      { name: baseName, metrics: bs, baseline: null, ratio: null, target: null, pass: null },
      {
        name: `dashboard: Rapport, the console's 4 requests (PostgreSQL)`,
        metrics: rs,
        baseline: 'dashboard baseline',
        ratio,
        target: `median ≤ ${targetMs / 1000} s and ≤ ${targetFactor}× the baseline's (ratio ≥ ${round(100 / targetFactor, 1)}%)`,
        pass: rs.medianMs <= targetMs && ratio >= 1 / targetFactor,
      },
      ...(rawRunsTimed.length
        ? [
            {
              name: 'dashboard from the orders table: one SQL statement, no roll-ups, bare Fastify + pg',
              metrics: raw,
              baseline: 'dashboard baseline',
              ratio: round(bs.medianMs / raw.medianMs, 3),
              target: null,
              pass: null,
            },
          ]
        : []),
      {
        name: `roll-up rebuild (Rapport's rebuildMetricRollups) over ${fmt(db.counts.orders)} orders`,
        metrics: { seconds: db.seconds.rollupRebuild },
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
    );
    if (csv && copyRun && importRun && checks && floor) {
      const copyName = `COPY of the orders CSV into a bare table, ${label(csv.rows)} rows`;
      const importRatio = round(csv.rows / importRun.seconds / copyRun.rowsPerSec, 3);
      summary.push(
        {
          name: copyName,
          metrics: { rowsPerSec: copyRun.rowsPerSec, seconds: copyRun.seconds },
          baseline: null,
          ratio: null,
          target: null,
          pass: null,
        },
        {
          name: `rapport import orders, PostgreSQL, ${label(csv.rows)} rows`,
          metrics: {
            rowsPerSec: round(csv.rows / importRun.seconds, 0),
            seconds: round(importRun.seconds, 1),
            jobRowsPerSec: round(csv.rows / importRun.runSeconds, 0),
            peakRssMb: round(importRun.peakRssKb / 1024, 0),
            ...(importRun.cpuSeconds !== null ? { cpuSeconds: importRun.cpuSeconds } : {}),
            ...(importRun.dbCpuSeconds !== null ? { dbCpuSeconds: importRun.dbCpuSeconds } : {}),
          },
          baseline: copyName,
          ratio: importRatio,
          target: `≥ ${importTarget * 100}% of COPY`,
          pass: importRatio >= importTarget,
        },
        {
          name: `Floor: COPY of the imported orders and lines into copies of the indexed tables`,
          metrics: {
            rowsPerSec: floor.rowsPerSec,
            seconds: floor.seconds,
            ...(floor.dbCpuSeconds !== null ? { dbCpuSeconds: floor.dbCpuSeconds } : {}),
          },
          baseline: copyName,
          ratio: round(floor.rowsPerSec / copyRun.rowsPerSec, 3),
          target: null,
          pass: null,
        },
      );
    }

    const c = db.counts;
    const share = (n: number) => `${round((n / c.orders) * 100, 1)}%`;
    const buyersBy = Object.entries(c.byOrders)
      .map(([k, v]) => `${k}: ${round((v / c.buyers) * 100, 0)}%`)
      .join(', ');
    const perRequest = Object.entries(requestMs)
      .map(([k, v]) => `${k} ${round(median(v), 0)} ms`)
      .join(', ');
    notes.push(
      ...contentionNotes([...rapportRuns, ...bareRuns], { disturbed: 'the times', robust: 'CPU ms' }),
      `The data: ${fmt(db.customers)} customers (people with a shop customer id, names, e-mails, phones, tags, a third at one of ${fmt(Math.round(db.customers / 50))} companies) created evenly over 3 years, and ${fmt(c.orders)} orders with ${fmt(c.lines)} lines of a ${fmt(db.products.length)}-product catalogue, ${fmt(c.refunds)} refunds and ${fmt(c.subscriptions)} subscriptions, loaded with COPY into Rapport's own tables. Buying is CDNOW-like (BG/NBD): a first order at acquisition, then each customer's own Poisson rate (gamma across customers) until they drop out (after each purchase with their own beta-distributed probability); customers by orders — ${buyersBy}. Currencies: USD ${share(c.byCurrency.USD ?? 0)}, EUR ${share(c.byCurrency.EUR ?? 0)}, GBP ${share(c.byCurrency.GBP ?? 0)} of orders; statuses: ${Object.entries(
        c.byStatus,
      )
        .map(([k, v]) => `${k} ${share(v)}`)
        .join(
          ', ',
        )}. Roll-ups (Rapport's rebuild): ${fmt(db.rollupRows.customerDays)} customer days, ${fmt(db.rollupRows.customers)} customer rows. No events for the loaded history (the dashboard does not read them). Generated with a seeded PRNG (bench/lib/commerce-data.ts).`,
      `Figure A, what is measured: the console's analytics page on its default view (last 90 days, no segment), as web/src/pages/analytics asks: GET /api/v1/metrics/summary for the period, /metrics/trend (the last 12 calendar months), /metrics/cohorts (maxOffset 12) and /metrics/rfm all at once, none naming a currency (each answer names the workspace's most ordered one, checked equal), over at most ${browserConnections} keep-alive connections (a browser's limit per host). Time: from the first request to the last answer, through the whole Rapport app (API key, validation, serialisation) in its own process (the HTTP app as \`rapport start\` builds it, without the job runner), ${s.poolSize} pool connections. Median and p95 over ${measuredRounds} rounds after ${warmupRounds} warm-up rounds (with ${measuredRounds} rounds the p95 is the slowest but one); Rapport and the baseline alternate.`,
      `The baseline reads the same roll-up tables Rapport reads (metric_customer_days, metric_customers, metric_days; subscriptions and tickets as Rapport does): hand-written SQL (bench/lib/analytics-sql.ts) computing every number of the summary's two periods (the 90 days and the 90 before: orders, revenue, active customers, repeat buyers, retention, churn with W = ${churnWindowDays} days, tenure, historical CLV, subscription churn, ticket times), the trend's 12 months (orders, revenue, active customers, repeat buyers), the cohort sizes and cells, and the RFM grid, returned as one JSON document by a bare Fastify + pg handler, one request: one statement for everything but the per-period pass over the customer days, and that pass as one statement per period (the same statement text with its period), all side by side on its ${s.poolSize}-connection pool as Rapport's requests run theirs. Written from docs/metrics.md rather than from Rapport's queries. The trend and RFM read whole histories: the data has no order dated after today. Both sides' connections run with JIT and parallel workers off (Rapport's settings); everything else is the server's default.`,
      `Checked before measuring: every number Rapport's 4 answers carry (both periods of the summary; every month of the trend; every cohort size and cell; every RFM cell; the currency and the currency list) equals the baseline's; a difference fails the run.${rawChecked ? ' The statement over the orders table gives the same numbers too (checked).' : ''}`,
      `Rapport's requests within a round (median): ${perRequest} (all four side by side on 2 cores). Each alone, one at a time: summary ${alone.summary} ms, trend ${alone.trend} ms, cohorts ${alone.cohorts} ms, RFM ${alone.rfm} ms.`,
      `CPU ms: CPU time (user + system, from /proc) of the server process, and of the PostgreSQL processes serving the benchmark's database, per dashboard (median over the rounds).`,
      `Loading: people ${db.seconds.people} s, commerce ${db.seconds.commerce.total} s (COPY ${db.seconds.commerce.copy} s with secondary indexes and foreign keys dropped, rebuilding them ${db.seconds.commerce.indexes} s, VACUUM ANALYZE ${db.seconds.commerce.vacuum} s), roll-ups ${db.seconds.rollupRebuild} s (Rapport's rebuildMetricRollups, one transaction; then VACUUM ANALYZE ${db.seconds.rollupVacuum} s, as autovacuum would)${db.machineBusyPct === null ? '' : `; the machine was ${db.machineBusyPct}% busy meanwhile (the load included)`}.`,
    );
    if (csv && copyRun && importRun && checks && floor)
      notes.push(
        `Figure B, the file: ${fmt(csv.rows)} order lines (${round(csv.bytes / 1024 ** 2, 0)} MB) — ${fmt(csv.orders)} orders of ${fmt(csv.customers)} existing customers (named by their shop customer id), another shop's history of the same years: order id, customer id, date, SKU, product, quantity, unit price, discount, shipping, total, currency, status, refunded (CDNOW's customer, date, quantity and amount, plus what a shop's export has); ${fmt(csv.refunded)} orders refunded in full or in part. Generated with the same PRNG.`,
        `COPY: \`copy bare_orders from stdin with (format csv, header)\` of the same file into a table of 13 text columns with no index; twice, the faster counts. Rapport: \`rapport import orders <file>\` in its own process with DATABASE_URL set, end to end (hashing, upload into the data directory, analysis, suggested mapping, then the job: each batch read, grouped into orders, validated by the commerce rules, customers and products looked up, existing orders looked up, then orders, lines, refunds and events written by COPY in the batch's transaction with its checkpoint). "job rows/s" is over the job alone. Peak RSS: the importing process's VmHWM, sampled every 200 ms.`,
        `Checked after the import: the import created ${fmt(checks.created)} orders and rejected none; ${fmt(checks.orders)} orders, ${fmt(checks.lines)} lines and ${fmt(checks.refunds)} refunds of the file are in the database, ${fmt(checks.placedEvents)} order.placed events (events by type: ${Object.entries(
          checks.events,
        )
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join(', ')}); no person was created (${fmt(checks.people)} people).`,
        `Floor (informative): the orders and lines the import wrote, exported and COPYed in one statement each into copies of the orders and order_lines tables (their indexes, checks and generated column; no foreign keys, events, lookups or validation): ${fmt(floor.rowsPerSec)} rows/s, ${floor.dbCpuSeconds ?? '?'} s of backend CPU — ${round((floor.rowsPerSec / copyRun.rowsPerSec) * 100, 1)}% of bare COPY.`,
      );
    return {
      description:
        `Figure A: the analytics dashboard's default view (the console's 4 requests: the 90-day summary, then the 12-month trend, cohorts and RFM) through the whole Rapport app on PostgreSQL with ${fmt(db.customers)} customers and ${fmt(db.counts.orders)} orders over 3 years, warm, against hand-written SQL computing the same numbers from the same roll-up tables on a bare Fastify + pg server (numbers checked equal); informative: the same statement over the orders table. ` +
        (csv
          ? `Figure B: \`rapport import orders\` of a generated ${label(csv.rows)}-row orders CSV for existing customers, end to end in its own process, against raw \`COPY\` of the same file; peak RSS; a floor.`
          : 'Figure B skipped (BENCH_ANALYTICS_IMPORT_ROWS=0).'),
      settings: {
        customers: db.customers,
        orders: db.counts.orders,
        rounds: measuredRounds,
        warmupRounds,
        browserConnections,
        poolSize: s.poolSize,
        importRows: csv?.rows ?? 0,
        seed: analyticsSeed,
        reusedDatabase: devName !== null,
        cpuProfiling,
      },
      columns: [
        { key: 'medianMs', label: 'median ms', digits: 0 },
        { key: 'p95Ms', label: 'p95 ms', digits: 0 },
        { key: 'serverCpuMs', label: 'server CPU ms', digits: 0 },
        { key: 'postgresCpuMs', label: 'PostgreSQL CPU ms', digits: 0 },
        { key: 'rowsPerSec', label: 'rows/s', digits: 0 },
        { key: 'seconds', label: 'seconds', digits: 1 },
        { key: 'jobRowsPerSec', label: 'job rows/s', digits: 0 },
        { key: 'peakRssMb', label: 'peak RSS MB', digits: 0 },
        { key: 'cpuSeconds', label: 'Node CPU s', digits: 1 },
        { key: 'dbCpuSeconds', label: 'PostgreSQL CPU s', digits: 1 },
      ],
      summary,
      runs,
      notes,
    };
  },
};
