import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Database, type Engine } from '../src/db/client.ts';

/** The engines the database-facing suites run on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export function testEngines(): Engine[] {
  return inject('postgresTemplate') ? ['pglite', 'postgres'] : ['pglite'];
}

/** A new PostgreSQL database copied from the run's migrated template (CREATE DATABASE … TEMPLATE). */
async function copyTemplateDatabase(): Promise<{ url: string; name: string; databaseUrl: string }> {
  const template = inject('postgresTemplate');
  const url = process.env.TEST_DATABASE_URL;
  if (!template || !url) throw new Error('PostgreSQL tests need TEST_DATABASE_URL');
  const name = `rapport_t_${inject('runPid')}_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database "${name}" template "${template}"`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return { url, name, databaseUrl: u.toString() };
}

async function dropDatabase(url: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.end();
}

/** A fresh, migrated database for one test file: PGlite in memory from the template, or a PostgreSQL copy. */
export async function createTestDatabase(engine: Engine): Promise<Database> {
  if (engine === 'pglite') {
    const blob = new Blob([fs.readFileSync(inject('pgliteTemplate'))]);
    return createDb({ dataDir: 'memory://', loadDataDir: blob });
  }
  const { url, name, databaseUrl } = await copyTemplateDatabase();
  const database = await createDb({ databaseUrl, poolSize: 5 });
  const close = database.close;
  database.close = async () => {
    await close();
    await dropDatabase(url, name);
  };
  return database;
}

/**
 * A database that can be closed and opened again, as a restart would: a PGlite data directory, or a PostgreSQL
 * database (copied from the template). `config` is what the server needs to open it itself.
 */
export async function createRestartableDatabase(
  engine: Engine,
): Promise<{ open(): Promise<Database>; config: { databaseUrl?: string; dataDir: string }; destroy(): Promise<void> }> {
  if (engine === 'pglite') {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-restart-'));
    return {
      config: { dataDir },
      open: () => createDb({ dataDir }),
      destroy: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const { url, name, databaseUrl } = await copyTemplateDatabase();
  return {
    config: { databaseUrl, dataDir: '/nonexistent' },
    open: () => createDb({ databaseUrl, poolSize: 5 }),
    destroy: () => dropDatabase(url, name),
  };
}
