import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { Database } from './client.ts';
import { fromRoot } from '../paths.ts';

export const migrationsFolder = fromRoot('drizzle');

/** Applies the committed migrations in drizzle/. Safe to run from several instances at once on PostgreSQL. */
export async function runMigrations(database: Database): Promise<void> {
  if (database.pglite) {
    await database.pglite.exec('create extension if not exists pg_trgm');
    await migratePglite(drizzlePglite(database.pglite), { migrationsFolder });
    return;
  }
  if (!database.pool) throw new Error('database has neither PGlite nor a pool');
  const client = await database.pool.connect();
  try {
    // One instance migrates; the others wait here and then find nothing left to do.
    await client.query('select pg_advisory_lock(727274)');
    await client.query('create extension if not exists pg_trgm');
    await migratePg(drizzlePg(client), { migrationsFolder });
  } finally {
    await client.query('select pg_advisory_unlock(727274)').catch(() => undefined);
    client.release();
  }
}

export async function appliedMigrationCount(database: Database): Promise<number> {
  const r = await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  const row = (r as unknown as { rows: Array<{ n: number }> }).rows[0];
  return row?.n ?? 0;
}
