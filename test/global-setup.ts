import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createDb } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string | null;
    runPid: number;
  }
}

const root = path.resolve(import.meta.dirname, '..');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

type Templates = { file: string; templateName: string | null; url: string | undefined };

/**
 * Prepared once per `npm test`: one migrated PGlite data directory dumped to a file (each test file loads it in
 * about a second instead of running initdb and migrations), and, with TEST_DATABASE_URL, one migrated PostgreSQL
 * template database that each test file copies with CREATE DATABASE ... TEMPLATE. Each project of the run (the
 * server and browser groups) calls `setup`; they share the one preparation, and the last to finish removes it.
 */
async function prepareTemplates(): Promise<Templates> {
  const inCi = process.env.CI === 'true';
  const url = process.env.TEST_DATABASE_URL;
  if (inCi && !url) throw new Error('CI=true but TEST_DATABASE_URL is not set: the PostgreSQL suites must run in CI');

  const dir = path.join(root, '.tmp');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `pglite-template-${process.pid}.tar`);
  const database = await createDb({ dataDir: 'memory://' });
  await runMigrations(database);
  const dump = await database.pglite?.dumpDataDir('none');
  await database.close();
  if (!dump) throw new Error('PGlite dump failed');
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));

  let templateName: string | null = null;
  if (url) {
    templateName = `rapport_tpl_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    // Leftovers of runs that were killed: names carry the run's pid; a live pid is another run, left alone.
    const old = await admin.query<{ datname: string }>(
      "select datname from pg_database where datname ~ '^rapport_(tpl|t)_[0-9]+(_|$)'",
    );
    for (const r of old.rows) {
      const pid = Number(/^rapport_(?:tpl|t)_(\d+)/.exec(r.datname)?.[1]);
      if (!isAlive(pid)) await admin.query(`drop database if exists "${r.datname}" with (force)`);
    }
    await admin.query(`create database "${templateName}"`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${templateName}`;
    const tpl = await createDb({ databaseUrl: u.toString(), poolSize: 2 });
    await runMigrations(tpl);
    await tpl.close();
  }
  return { file, templateName, url };
}

async function removeTemplates(t: Templates): Promise<void> {
  fs.rmSync(t.file, { force: true });
  if (t.url && t.templateName) {
    const admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
    await admin.query(`drop database if exists "${t.templateName}" with (force)`);
    await admin.end();
  }
}

// On globalThis rather than in this module: each project may load the module anew.
const shared = globalThis as typeof globalThis & {
  rapportTestTemplates?: { ready: Promise<Templates>; users: number };
};

export default async function setup(project: TestProject) {
  shared.rapportTestTemplates ??= { ready: prepareTemplates(), users: 0 };
  const state = shared.rapportTestTemplates;
  state.users++;
  const t = await state.ready;
  project.provide('pgliteTemplate', t.file);
  project.provide('postgresTemplate', t.templateName);
  project.provide('runPid', process.pid);

  return async () => {
    if (--state.users === 0) {
      shared.rapportTestTemplates = undefined;
      await removeTemplates(t);
    }
  };
}
