/**
 * A persistent copy of the analytics benchmark's database, for working on the metric queries by hand and for
 * `BENCH_ANALYTICS_DEV=1 npm run bench -- analytics` (not for published figures). `npx tsx bench/tools/analytics-db.ts
 * build` creates `rapport_analytics_dev` with the benchmark's customers and orders (BENCH_ANALYTICS_CUSTOMERS,
 * BENCH_ANALYTICS_ORDERS_PER_CUSTOMER as the benchmark) and writes bench/tmp/rapport_analytics_dev.json (BENCH_ANALYTICS_DEV_DB=<name>: another copy, <name>.json); `… migrate` applies
 * newer migrations to it; `… rebuild` rebuilds its roll-ups (after a change to them), timed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDb } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { rebuildMetricRollups } from '../../src/modules/metrics/metrics.rollup.ts';
import { analyticsCustomers, analyticsOrdersPerCustomer, analyticsSeed } from '../benchmarks/analytics.ts';
import { buildAnalyticsDatabase, type AnalyticsDatabase } from '../lib/analytics-load.ts';
import { databaseUrl, defaultAdminUrl, freshDatabase } from '../lib/pg.ts';
import { benchDir } from '../lib/spawn.ts';

/** BENCH_ANALYTICS_DEV_DB names another copy (e.g. a small one for trying things out). */
const name = process.env.BENCH_ANALYTICS_DEV_DB || 'rapport_analytics_dev';
const adminUrl = process.env.BENCH_DATABASE_URL || defaultAdminUrl;
const analyticsDevFile = path.join(benchDir, 'tmp', `${name}.json`);
const log = (m: string) => process.stderr.write(`${m}\n`);

const mode = process.argv[2];
if (mode === 'build') {
  const url = await freshDatabase(adminUrl, name);
  const built = await buildAnalyticsDatabase({
    url,
    customers: analyticsCustomers,
    ordersPerCustomer: analyticsOrdersPerCustomer,
    seed: analyticsSeed,
    cpus: os.availableParallelism(),
    log,
  });
  fs.mkdirSync(path.dirname(analyticsDevFile), { recursive: true });
  fs.writeFileSync(analyticsDevFile, JSON.stringify(built));
  log(`built: ${JSON.stringify({ ...built, products: built.products.length })}; ${analyticsDevFile}`);
} else if (mode === 'migrate') {
  const database = await createDb({ databaseUrl: databaseUrl(adminUrl, name), poolSize: 1 });
  await runMigrations(database).finally(() => database.close());
  log('migrated');
} else if (mode === 'rebuild') {
  const dev = JSON.parse(fs.readFileSync(analyticsDevFile, 'utf8')) as AnalyticsDatabase;
  const database = await createDb({ databaseUrl: dev.url, poolSize: 1 });
  const started = Date.now();
  await rebuildMetricRollups(database.db, dev.workspaceId).finally(() => database.close());
  const client = new pg.Client({ connectionString: dev.url });
  await client.connect();
  await client.query('vacuum (analyze) metric_customer_days');
  await client.query('vacuum (analyze) metric_customers');
  await client.end();
  log(`rebuilt in ${Math.round((Date.now() - started) / 1000)} s`);
} else if (mode) {
  log('usage: analytics-db.ts build | migrate | rebuild');
  process.exit(2);
}
