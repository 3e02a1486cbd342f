import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.ts';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Repositories take either: they run inside the caller's transaction when given one. */
export type DbOrTx = Db | Tx;

export type Engine = 'pglite' | 'postgres';

/** The rows of a raw `db.execute(sql…)` result (both engines answer `{ rows }`). */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/** A statement compiled to its text and parameters (drizzle's `toSQL()` / `sqlToQuery` shape). */
export type CompiledQuery = { sql: string; params: unknown[] };

/** What of drizzle's database object the helpers below use (both engines have it; not in drizzle's public types). */
type DrizzleInternals = {
  dialect: { sqlToQuery(query: SQL): CompiledQuery };
  session: {
    prepareQuery(
      query: CompiledQuery,
      fields: undefined,
      name: string | undefined,
      arrayMode: false,
    ): { execute(): Promise<unknown> };
  };
};

/** `query` compiled once, to key, name or run it without compiling it again (each compilation walks every chunk). */
export function compile(db: DbOrTx, query: SQL): CompiledQuery {
  return (db as unknown as DrizzleInternals).dialect.sqlToQuery(query);
}

/**
 * Runs a compiled statement as `db.execute` runs one (the rows as objects by column name, timestamps as PostgreSQL
 * writes them); `name` prepares it once per connection on PostgreSQL (a statement of this text must have this name).
 */
export async function executeCompiled<T>(db: DbOrTx, query: CompiledQuery, name?: string): Promise<T[]> {
  const { session } = db as unknown as DrizzleInternals;
  return rowsOf<T>(await session.prepareQuery(query, undefined, name, false).execute());
}

export const searchSimilarityThreshold = 0.4;

export type Database = {
  db: Db;
  engine: Engine;
  /** Where the data lives, for messages: a directory or a redacted URL. */
  location: string;
  /** PGlite's client, for dump/load and COPY; null on PostgreSQL. */
  pglite: PGlite | null;
  /** node-postgres pool; null on PGlite. */
  pool: pg.Pool | null;
  close(): Promise<void>;
};

export type DbOptions = {
  databaseUrl?: string | undefined;
  /** PGlite data directory; 'memory://' keeps it in memory (tests). */
  dataDir?: string | undefined;
  /** Start PGlite from a dumped data directory (a migrated template in tests). */
  loadDataDir?: Blob | undefined;
  poolSize?: number | undefined;
};

// Timestamps and big integers come back as JS values both engines agree on.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/** Set while `withPreparedStatements` runs: the PostgreSQL statements sent meanwhile are prepared and kept. */
const preparing = new AsyncLocalStorage<true>();

/** How many statements one connection keeps prepared; past that, new texts run unprepared. */
const preparedPerConnection = 256;

/**
 * Runs `fn` with its parameterised PostgreSQL statements prepared once per connection and reused (no parse, rewrite
 * and, once PostgreSQL settles on a generic plan, no planning on each run). For short statements on a hot write path
 * (an inbound message, a reply) these steps cost about as much as running them. Not for statements whose best plan
 * depends on their parameters (a date range, a search term): a generic plan may then be a poor one, so analytics,
 * lists and search run outside. No effect on PGlite.
 */
export function withPreparedStatements<T>(fn: () => Promise<T>): Promise<T> {
  return preparing.run(true, fn);
}

/** Statement names by text, so a repeated text is not hashed again. */
const statementNames = new Map<string, string>();

/**
 * A name for a prepared statement, from its text: the driver prepares a name once per connection and refuses the
 * same name for another text, so statements of the same text share one and every other text gets its own.
 */
export function statementName(text: string, prefix = 'r'): string {
  const key = `${prefix}\u0000${text}`;
  let name = statementNames.get(key);
  if (name === undefined) {
    name = `${prefix}_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
    if (statementNames.size >= 4096) statementNames.clear();
    statementNames.set(key, name);
  }
  return name;
}

type QueryConfigLike = { text?: unknown; name?: unknown; values?: unknown; submit?: unknown };

/** A pg client that names (so prepares) the statements sent under `withPreparedStatements`. */
class PreparingClient extends pg.Client {
  readonly #names = new Set<string>();

  // pg's query() has many overloads; this one only adds a name to a parameterised config object and passes on.
  override query(...args: unknown[]): never {
    const [config, values] = args as [QueryConfigLike | string, unknown];
    if (preparing.getStore() && config && typeof config === 'object' && typeof config.text === 'string') {
      const params = Array.isArray(values) ? values : config.values;
      if (config.name === undefined && typeof config.submit !== 'function' && Array.isArray(params) && params.length) {
        const name = statementName(config.text);
        if (this.#names.has(name) || this.#names.size < preparedPerConnection) {
          this.#names.add(name);
          args[0] = { ...config, name };
        }
      }
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

/** PGlite when no DATABASE_URL is given (embedded, data in a directory), PostgreSQL when it is. */
export async function createDb(opts: DbOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      Client: PreparingClient,
      // Search tolerates a typo or two in a word (pg_trgm's default 0.6 misses "turng" for "turing"). No JIT: Rapport's
      // statements run for milliseconds to a second or two, and compiling one (whenever its estimated cost passes
      // jit_above_cost, as the analytics' aggregates over roll-ups do) took 0.3-0.5 s more than it saved. No parallel
      // workers: Rapport's statements run side by side (a dashboard's, many users'), and on the measured 2 cores a
      // period's metrics at 1M customers took 1.4 s with two workers and 0.4 s without.
      options: `-c pg_trgm.word_similarity_threshold=${searchSimilarityThreshold} -c jit=off -c max_parallel_workers_per_gather=0`,
    });
    // A dropped idle connection must not crash the process; the next query gets a fresh one.
    pool.on('error', () => undefined);
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return {
      db,
      engine: 'postgres',
      location: redactUrl(opts.databaseUrl),
      pglite: null,
      pool,
      close: () => pool.end(),
    };
  }
  const dataDir = opts.dataDir ?? './data';
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) fs.mkdirSync(path.resolve(dataDir), { recursive: true });
  // One process per data directory: a second one would silently lose its writes (data-dir-lock.ts).
  const release = inMemory ? () => undefined : lockDataDir(path.resolve(dataDir));
  let client: PGlite;
  try {
    client = await PGlite.create(inMemory ? undefined : path.resolve(dataDir), {
      extensions: { pg_trgm },
      ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    });
  } catch (err) {
    release();
    throw err;
  }
  await client.exec(`set pg_trgm.word_similarity_threshold = ${searchSimilarityThreshold}`);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    engine: 'pglite',
    location: inMemory ? 'in memory' : path.resolve(dataDir),
    pglite: client,
    pool: null,
    close: async () => {
      try {
        await client.close();
      } finally {
        release();
      }
    },
  };
}

export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}

/**
 * Runs the steps one after the other and returns their results in order: what `Promise.all` gives, for statements on
 * one connection (a transaction's), which runs one statement at a time anyway — pg queues a second query sent while
 * one runs, a use it deprecates (pg 9 refuses it).
 */
export async function inTurn<const T extends readonly (() => Promise<unknown>)[]>(
  steps: T,
): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const out: unknown[] = [];
  for (const step of steps) out.push(await step());
  return out as { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };
}
