/**
 * Bulk-loads a generated commerce history (bench/lib/commerce-data.ts) for the people already in a workspace into
 * Rapport's own tables with COPY, the way customers-load.ts loads people: secondary indexes and foreign keys dropped
 * first, then the four tables copied side by side, then the indexes rebuilt from their own definitions and the
 * foreign keys added back (validated), both checked to be exactly the migrated ones, then VACUUM ANALYZE as
 * autovacuum would leave tables that are mostly history.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copy, indexDefs, rebuildIndexes } from './customers-load.ts';
import {
  calibrateRateScale,
  emptyCounts,
  generateCommerce,
  generateProducts,
  lineCopyColumns,
  orderCopyColumns,
  productCopyColumns,
  productLines,
  refundCopyColumns,
  subscriptionCopyColumns,
  type Buyer,
  type CommerceCounts,
  type Product,
} from './commerce-data.ts';

const tables = ['orders', 'order_lines', 'refunds', 'subscriptions'] as const;
type Table = (typeof tables)[number];
const columnsOf: Record<Table, string> = {
  orders: orderCopyColumns,
  order_lines: lineCopyColumns,
  refunds: refundCopyColumns,
  subscriptions: subscriptionCopyColumns,
};

/** The foreign keys of `names`' tables, with their definitions. */
async function foreignKeys(
  client: pg.Client,
  names: readonly string[],
): Promise<Array<{ table: string; name: string; def: string }>> {
  const r = await client.query<{ table: string; name: string; def: string }>(
    `select c.conrelid::regclass::text as table, c.conname as name, pg_get_constraintdef(c.oid) as def
       from pg_constraint c where c.contype = 'f' and c.conrelid::regclass::text = any($1)
      order by 1, 2`,
    [names],
  );
  return r.rows;
}

/** The people of a workspace as buyers, in the order they were created (the generator's index order). */
export async function readBuyers(client: pg.Client, workspaceId: string): Promise<Buyer[]> {
  const r = await client.query<{ id: string; ms: number }>(
    `select id, (extract(epoch from created_at) * 1000)::float8 as ms from people where workspace_id = $1
      order by created_at, id`,
    [workspaceId],
  );
  return r.rows.map((row, index) => ({ id: row.id, createdMs: Number(row.ms), index }));
}

export type LoadedCommerce = {
  counts: CommerceCounts;
  products: Product[];
  rateScale: number;
  seconds: { copy: number; indexes: number; vacuum: number; total: number };
};

export async function loadCommerce(opts: {
  databaseUrl: string;
  workspaceId: string;
  ordersPerBuyer: number;
  productCount: number;
  nowMs: number;
  seed: number;
  log: (msg: string) => void;
}): Promise<LoadedCommerce> {
  const started = Date.now();
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  const writers: pg.Client[] = [];
  try {
    const buyers = await readBuyers(client, opts.workspaceId);
    if (!buyers.length) throw new Error('load people first: orders need customers');
    const firstMs = buyers[0]?.createdMs ?? opts.nowMs;
    const rateScale = calibrateRateScale(firstMs, opts.nowMs, opts.ordersPerBuyer, opts.seed + 11);
    opts.log(`rate scale ${rateScale.toFixed(3)} for ${opts.ordersPerBuyer} orders per customer`);

    const products = generateProducts(opts.workspaceId, opts.productCount, firstMs, opts.seed + 12);
    await copy(client, 'products', productCopyColumns, productLines(opts.workspaceId, products, firstMs));

    await client.query(`set maintenance_work_mem = '1GB'`);
    const defs = await indexDefs(client, [...tables]);
    const fks = await foreignKeys(client, tables);
    for (const f of fks) await client.query(`alter table ${f.table} drop constraint "${f.name}"`);
    for (const d of defs) await client.query(`drop index "${d.name}"`);

    // One COPY per table, side by side, fed as the generator walks the customers.
    const streams = new Map<Table, Writable>();
    const buffers = new Map<Table, string>();
    for (const t of tables) {
      const c = new pg.Client({ connectionString: opts.databaseUrl });
      await c.connect();
      writers.push(c);
      streams.set(t, c.query(copyFrom(`copy ${t} (${columnsOf[t]}) from stdin with (format csv)`)));
      buffers.set(t, '');
    }
    const flush = async (t: Table) => {
      const s = streams.get(t) as Writable;
      const buf = buffers.get(t) ?? '';
      buffers.set(t, '');
      // once() rejects when the stream fails meanwhile (a COPY error), so a failed load does not hang.
      if (buf && !s.write(buf)) await once(s, 'drain');
    };
    const counts = emptyCounts();
    for (const row of generateCommerce({
      workspaceId: opts.workspaceId,
      buyers,
      products,
      nowMs: opts.nowMs,
      rateScale,
      seed: opts.seed + 13,
      counts,
    })) {
      const next = (buffers.get(row.table) ?? '') + row.line;
      buffers.set(row.table, next);
      if (next.length > 262_144) await flush(row.table);
      if (row.table === 'orders' && counts.orders % 1_000_000 === 0) opts.log(`  … ${counts.orders} orders`);
    }
    for (const t of tables) {
      await flush(t);
      const s = streams.get(t) as Writable;
      s.end();
      await finished(s);
    }
    const copied = Date.now();
    opts.log(
      `copied ${counts.orders} orders, ${counts.lines} lines, ${counts.refunds} refunds, ${counts.subscriptions} subscriptions in ${Math.round((copied - started) / 1000)} s; rebuilding ${defs.length} indexes and ${fks.length} foreign keys`,
    );
    await rebuildIndexes(opts.databaseUrl, client, defs);
    for (const f of fks) await client.query(`alter table ${f.table} add constraint "${f.name}" ${f.def}`);
    if (JSON.stringify(await indexDefs(client, [...tables])) !== JSON.stringify(defs))
      throw new Error('the rebuilt commerce indexes differ from the migrated ones');
    if (JSON.stringify(await foreignKeys(client, tables)) !== JSON.stringify(fks))
      throw new Error('the re-added foreign keys differ from the migrated ones');
    const indexed = Date.now();
    for (const t of [...tables, 'products']) await client.query(`vacuum (analyze) ${t}`);
    const done = Date.now();
    return {
      counts,
      products,
      rateScale,
      seconds: {
        copy: Math.round((copied - started) / 1000),
        indexes: Math.round((indexed - copied) / 1000),
        vacuum: Math.round((done - indexed) / 1000),
        total: Math.round((done - started) / 1000),
      },
    };
  } finally {
    await Promise.all(writers.map((w) => w.end().catch(() => undefined)));
    await client.end();
  }
}
