import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { createDb, type Database } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { contentionNotes, medians, rounds, type RunRecord, type Target } from '../lib/measure.ts';
import { dropDatabase, freshDatabase } from '../lib/pg.ts';
import { seedWorkspace, spreadSample, type SeededWorkspace } from '../lib/seed.ts';
import { cpuProfiling, loadSettings } from '../lib/settings.ts';
import { benchDir, spawnServer, type SpawnedServer } from '../lib/spawn.ts';
import { round } from '../lib/stats.ts';
import type { Benchmark, SummaryRow } from '../lib/types.ts';

const benchDb = 'rapport_bench';
const userCount = 10_000;
const idCount = 1_000;
const targetRatio = 0.6;
const targetP99Ms = 15;

async function prepare(database: Database): Promise<SeededWorkspace> {
  await runMigrations(database);
  const seeded = await seedWorkspace(database, { userCount, scopes: ['users:read'] });
  await database.db.execute(sql`analyze`);
  return seeded;
}

/** One request by hand before the load: the right record comes back, and Rapport refuses a missing key. */
async function sanityCheck(t: Target, expectId: string, expectUnauthenticated: boolean): Promise<void> {
  const res = await fetch(`${t.server.url}${t.paths[0]}`, { headers: t.headers });
  const body = (await res.json()) as { id?: unknown };
  if (res.status !== 200 || body.id !== expectId)
    throw new Error(`${t.name}: expected 200 with id ${expectId}, got ${res.status} ${JSON.stringify(body)}`);
  if (expectUnauthenticated) {
    const anon = await fetch(`${t.server.url}${t.paths[0]}`);
    if (anon.status !== 401) throw new Error(`${t.name}: expected 401 without a key, got ${anon.status}`);
  }
}

function log(msg: string): void {
  process.stderr.write(`  [record-read] ${msg}\n`);
}

export const recordRead: Benchmark = {
  name: 'record-read',
  title: 'Record read: GET one user by id',
  async run(ctx) {
    const s = loadSettings();
    const profDir = path.join(ctx.tmpDir, 'prof');
    const nodeArgs = cpuProfiling ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    const pgliteDir = path.join(ctx.tmpDir, 'pglite-record-read');
    const runs: RunRecord[] = [];
    const servers: SpawnedServer[] = [];
    const env = { BENCH_POOL_SIZE: String(s.poolSize) };
    try {
      log(`creating ${benchDb}, migrating, seeding ${userCount} users`);
      const url = await freshDatabase(ctx.adminDatabaseUrl, benchDb);
      const pgDatabase = await createDb({ databaseUrl: url, poolSize: 2 });
      const seeded = await prepare(pgDatabase).finally(() => pgDatabase.close());
      const ids = spreadSample(seeded.userIds, idCount);

      log('seeding the PGlite data directory');
      fs.rmSync(pgliteDir, { recursive: true, force: true });
      const liteDatabase = await createDb({ dataDir: pgliteDir });
      const liteSeeded = await prepare(liteDatabase).finally(() => liteDatabase.close());
      const liteIds = spreadSample(liteSeeded.userIds, idCount);

      const bare = await spawnServer({
        name: 'bare',
        script: path.join(benchDir, 'servers/bare.ts'),
        env: { ...env, BENCH_DATABASE_URL: url, BENCH_WORKSPACE_ID: seeded.workspaceId },
      });
      servers.push(bare);
      const rapport = await spawnServer({
        name: 'rapport',
        script: path.join(benchDir, 'servers/rapport.ts'),
        env: { ...env, BENCH_DATABASE_URL: url },
        nodeArgs,
      });
      servers.push(rapport);

      const auth = { authorization: `Bearer ${seeded.apiKey}` };
      const bareTarget: Target = { name: 'bare', server: bare, paths: ids.map((id) => `/users/${id}`), headers: {} };
      const rapportTarget: Target = {
        name: 'rapport',
        server: rapport,
        paths: ids.map((id) => `/api/v1/users/${id}`),
        headers: auth,
      };
      await sanityCheck(bareTarget, ids[0] as string, false);
      await sanityCheck(rapportTarget, ids[0] as string, true);
      await rounds([bareTarget, rapportTarget], s, runs, log);
      await Promise.all([bare.stop(), rapport.stop()]);

      const lite = await spawnServer({
        name: 'rapport-pglite',
        script: path.join(benchDir, 'servers/rapport.ts'),
        env: { ...env, BENCH_DATA_DIR: pgliteDir, BENCH_DATABASE_URL: '' },
        nodeArgs,
      });
      servers.push(lite);
      const liteTarget: Target = {
        name: 'rapport-pglite',
        server: lite,
        paths: liteIds.map((id) => `/api/v1/users/${id}`),
        headers: { authorization: `Bearer ${liteSeeded.apiKey}` },
      };
      await sanityCheck(liteTarget, liteIds[0] as string, true);
      await rounds([liteTarget], s, runs, log);
      await lite.stop();
    } finally {
      await Promise.all(servers.map((srv) => srv.stop()));
      await dropDatabase(ctx.adminDatabaseUrl, benchDb);
      fs.rmSync(pgliteDir, { recursive: true, force: true });
    }

    const b = medians(runs, 'bare');
    const r = medians(runs, 'rapport');
    const l = medians(runs, 'rapport-pglite', false);
    const ratio = round(r.reqPerSec / b.reqPerSec, 3);
    const target = `≥ ${targetRatio * 100}% of bare, p99 ≤ ${targetP99Ms} ms`;
    const summary: SummaryRow[] = [
      { name: 'bare Fastify + pg (PostgreSQL)', metrics: b, baseline: null, ratio: null, target: null, pass: null },
      {
        name: 'Rapport (PostgreSQL)',
        metrics: r,
        baseline: 'bare',
        ratio,
        target,
        pass: ratio >= targetRatio && r.p99Ms <= targetP99Ms,
      },
      {
        name: 'Rapport (PGlite, informational)',
        metrics: l,
        baseline: 'bare',
        ratio: round(l.reqPerSec / b.reqPerSec, 3),
        target: null,
        pass: null,
        note: 'embedded engine, one connection; no target',
      },
    ];
    const contention = contentionNotes(runs);
    return {
      description:
        `Authenticated \`GET /api/v1/users/:id\` (API key in \`Authorization: Bearer\`, scope users:read) through the ` +
        `whole Rapport app, against a bare Fastify 5 + pg.Pool handler running \`select * from users where ` +
        `workspace_id = $1 and id = $2\` on the same database. ${userCount.toLocaleString('en-US')} seeded users; ` +
        `requests rotate through ${idCount.toLocaleString('en-US')} of them. Each server runs in its own process; ` +
        `autocannon runs in the parent. Figures are the median of the rounds; latencies are per-request timings of ` +
        `2xx responses as seen by the client.`,
      settings: {
        connections: s.connections,
        durationSeconds: s.durationSeconds,
        warmupSeconds: s.warmupSeconds,
        rounds: s.rounds,
        poolSize: s.poolSize,
        pipelining: 1,
        seededUsers: userCount,
        distinctIds: idCount,
        rapportLogger: process.env.BENCH_LOG_LEVEL || 'off',
        cpuProfiling,
      },
      columns: [
        { key: 'reqPerSec', label: 'req/s', digits: 0 },
        { key: 'p50Ms', label: 'p50 ms', digits: 2 },
        { key: 'p99Ms', label: 'p99 ms', digits: 2 },
        { key: 'serverCpuUsPerReq', label: 'server CPU µs/req', digits: 0 },
        { key: 'postgresCpuUsPerReq', label: 'PostgreSQL CPU µs/req', digits: 0 },
      ],
      summary,
      runs,
      notes: [
        ...contention,
        'The ratio compares req/s; Rapport passes when it reaches the ratio and its p99 is within the bound.',
        'CPU µs/req: CPU time (user + system, from /proc) the server process, and all PostgreSQL processes, spent ' +
          'per response during the run. Less sensitive than req/s to the load generator sharing the CPU.',
        'PGlite is embedded in the server process (one connection, queries serialised): its database work is part ' +
          'of its server CPU.',
      ],
    };
  },
};
