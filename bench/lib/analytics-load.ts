/**
 * The analytics benchmark's database: one workspace, its customers (people with a shop's customer id, loaded by
 * customers-load.ts), their commerce history (commerce-load.ts), then the metric roll-ups built by Rapport's own
 * rebuild (`rebuildMetricRollups`, what `rapport metrics rebuild` runs), timed, and VACUUM ANALYZE of the roll-ups
 * (what autovacuum does to freshly filled tables).
 */
import pg from 'pg';
import { createDb } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { rebuildMetricRollups } from '../../src/modules/metrics/metrics.rollup.ts';
import { loadCommerce } from './commerce-load.ts';
import type { CommerceCounts, Product } from './commerce-data.ts';
import { machineBusyMs } from './cpu.ts';
import { loadCustomers } from './customers-load.ts';
import { seedWorkspace } from './seed.ts';
import { round } from './stats.ts';

export const customerExternalId = (index: number) => `cust-${index + 1}`;

export type AnalyticsDatabase = {
  url: string;
  workspaceId: string;
  apiKey: string;
  /** When the history ends (the load's "now"). */
  nowMs: number;
  counts: CommerceCounts;
  customers: number;
  products: Product[];
  rateScale: number;
  rollupRows: { customerDays: number; customers: number };
  seconds: {
    people: number;
    commerce: { copy: number; indexes: number; vacuum: number; total: number };
    rollupRebuild: number;
    rollupVacuum: number;
    total: number;
  };
  /** CPU used by everything on the machine while loading, in % of all cores (the load itself included). */
  machineBusyPct: number | null;
};

export async function buildAnalyticsDatabase(opts: {
  url: string;
  customers: number;
  ordersPerCustomer: number;
  seed: number;
  cpus: number;
  log: (msg: string) => void;
}): Promise<AnalyticsDatabase> {
  const started = Date.now();
  const busyBefore = machineBusyMs();
  const database = await createDb({ databaseUrl: opts.url, poolSize: 2 });
  let seeded: Awaited<ReturnType<typeof seedWorkspace>>;
  try {
    await runMigrations(database);
    seeded = await seedWorkspace(database, { userCount: 0, scopes: ['analytics:read'] });
  } finally {
    await database.close();
  }
  opts.log(`loading ${opts.customers} customers with COPY`);
  const people = await loadCustomers({
    databaseUrl: opts.url,
    workspaceId: seeded.workspaceId,
    people: opts.customers,
    companies: Math.max(100, Math.round(opts.customers / 50)),
    sampleSize: 0,
    seed: opts.seed,
    log: opts.log,
    externalIdOf: customerExternalId,
  });
  opts.log(`people loaded in ${people.seconds.total} s; generating and loading their orders`);
  const nowMs = Date.now();
  const commerce = await loadCommerce({
    databaseUrl: opts.url,
    workspaceId: seeded.workspaceId,
    ordersPerBuyer: opts.ordersPerCustomer,
    productCount: 2000,
    nowMs,
    seed: opts.seed + 100,
    log: opts.log,
  });
  opts.log(`commerce loaded: ${JSON.stringify(commerce.seconds)}; rebuilding the metric roll-ups (Rapport's rebuild)`);
  const rebuildStarted = Date.now();
  const db2 = await createDb({ databaseUrl: opts.url, poolSize: 1 });
  try {
    await rebuildMetricRollups(db2.db, seeded.workspaceId);
  } finally {
    await db2.close();
  }
  const rebuilt = Date.now();
  const client = new pg.Client({ connectionString: opts.url });
  await client.connect();
  let rollupRows: AnalyticsDatabase['rollupRows'];
  try {
    await client.query('vacuum (analyze) metric_customer_days');
    await client.query('vacuum (analyze) metric_customers');
    const r = await client.query<{ d: string; c: string }>(
      'select (select count(*) from metric_customer_days) as d, (select count(*) from metric_customers) as c',
    );
    rollupRows = { customerDays: Number(r.rows[0]?.d), customers: Number(r.rows[0]?.c) };
  } finally {
    await client.end();
  }
  const done = Date.now();
  const busyAfter = machineBusyMs();
  opts.log(`roll-ups rebuilt in ${Math.round((rebuilt - rebuildStarted) / 1000)} s: ${JSON.stringify(rollupRows)}`);
  return {
    url: opts.url,
    workspaceId: seeded.workspaceId,
    apiKey: seeded.apiKey,
    nowMs,
    counts: commerce.counts,
    customers: opts.customers,
    products: commerce.products,
    rateScale: commerce.rateScale,
    rollupRows,
    seconds: {
      people: people.seconds.total,
      commerce: commerce.seconds,
      rollupRebuild: round((rebuilt - rebuildStarted) / 1000, 1),
      rollupVacuum: round((done - rebuilt) / 1000, 1),
      total: Math.round((done - started) / 1000),
    },
    machineBusyPct:
      busyBefore === null || busyAfter === null
        ? null
        : round(((busyAfter - busyBefore) / ((done - started) * opts.cpus)) * 100, 1),
  };
}
