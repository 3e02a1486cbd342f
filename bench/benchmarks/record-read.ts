import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { createDb, type Database } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { machineBusyMs, postgresCpuByPid, postgresCpuDeltaMs, processCpuMs } from '../lib/cpu.ts';
import { assertClean, runLoad, type LoadRun } from '../lib/load.ts';
import { dropDatabase, freshDatabase } from '../lib/pg.ts';
import { seedWorkspace, spreadSample, type SeededWorkspace } from '../lib/seed.ts';
import { cpuProfiling, loadSettings, type LoadSettings } from '../lib/settings.ts';
import { benchDir, spawnServer, type SpawnedServer } from '../lib/spawn.ts';
import { median, round } from '../lib/stats.ts';
import type { Benchmark, SummaryRow } from '../lib/types.ts';

const benchDb = 'rapport_bench';
const userCount = 10_000;
const idCount = 1_000;
const targetRatio = 0.6;
const targetP99Ms = 15;

type Target = { name: string; server: SpawnedServer; paths: string[]; headers: Record<string, string> };
/** CPU time per 2xx response, in µs, of the server process and of all PostgreSQL processes (null without /proc). */
type CpuPerRequest = { serverCpuUsPerReq: number | null; postgresCpuUsPerReq: number | null };
/**
 * otherLoadPct: CPU used during the run by everything except the server, PostgreSQL and this process (the load
 * generator), in % of all cores. Other work on the machine makes req/s and latencies unreliable.
 */
type Contention = { otherLoadPct: number | null };
type Measured = LoadRun & CpuPerRequest & Contention;
type RunRecord = Measured & { name: string; round: number };

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

function perRequest(before: number | null, after: number | null, requests: number): number | null {
  return before === null || after === null || !requests ? null : round(((after - before) * 1000) / requests, 1);
}

async function measure(t: Target, s: LoadSettings, durationSeconds: number): Promise<Measured> {
  const serverBefore = processCpuMs(t.server.pid);
  const pgBefore = postgresCpuByPid();
  const machineBefore = machineBusyMs();
  const selfBefore = process.cpuUsage();
  const started = Date.now();
  const run = await runLoad({
    url: t.server.url,
    paths: t.paths,
    headers: t.headers,
    connections: s.connections,
    durationSeconds,
  });
  const wallMs = Date.now() - started;
  const self = process.cpuUsage(selfBefore);
  const serverAfter = processCpuMs(t.server.pid);
  const pgMs = postgresCpuDeltaMs(pgBefore, postgresCpuByPid());
  const machineAfter = machineBusyMs();
  assertClean(t.name, run);
  let otherLoadPct: number | null = null;
  if (
    machineBefore !== null &&
    machineAfter !== null &&
    serverBefore !== null &&
    serverAfter !== null &&
    pgMs !== null
  ) {
    const ours = serverAfter - serverBefore + pgMs + (self.user + self.system) / 1000;
    const other = Math.max(0, machineAfter - machineBefore - ours);
    otherLoadPct = round((other / (wallMs * os.availableParallelism())) * 100, 1);
  }
  return {
    ...run,
    serverCpuUsPerReq: perRequest(serverBefore, serverAfter, run.requests),
    postgresCpuUsPerReq: perRequest(0, pgMs, run.requests),
    otherLoadPct,
  };
}

function log(msg: string): void {
  process.stderr.write(`  [record-read] ${msg}\n`);
}

function describe(r: Measured): string {
  const cpu = r.serverCpuUsPerReq === null ? '' : `, server CPU ${r.serverCpuUsPerReq} µs/req`;
  const pg = r.postgresCpuUsPerReq === null ? '' : `, PostgreSQL CPU ${r.postgresCpuUsPerReq} µs/req`;
  const other = r.otherLoadPct === null ? '' : `, other load on the machine ${r.otherLoadPct}%`;
  return `${r.reqPerSec} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms${cpu}${pg}${other}`;
}

/** Warms every target up (discarded), then measures them in alternation, `rounds` times. */
async function rounds(targets: Target[], s: LoadSettings, runs: RunRecord[]): Promise<void> {
  for (const t of targets) {
    if (s.warmupSeconds > 0) {
      const w = await measure(t, s, s.warmupSeconds);
      log(`${t.name} warm-up (discarded): ${describe(w)}`);
    }
  }
  for (let round = 1; round <= s.rounds; round++) {
    for (const t of targets) {
      const r = await measure(t, s, s.durationSeconds);
      log(`${t.name} round ${round}: ${describe(r)}`);
      runs.push({ name: t.name, round, ...r });
    }
  }
}

function medians(runs: RunRecord[], name: string, withPostgres = true) {
  const mine = runs.filter((r) => r.name === name);
  const cpu = mine.map((r) => r.serverCpuUsPerReq).filter((v): v is number => v !== null);
  const pgCpu = mine.map((r) => r.postgresCpuUsPerReq).filter((v): v is number => v !== null);
  return {
    reqPerSec: round(median(mine.map((r) => r.reqPerSec)), 1),
    p50Ms: round(median(mine.map((r) => r.p50Ms)), 2),
    p99Ms: round(median(mine.map((r) => r.p99Ms)), 2),
    ...(cpu.length ? { serverCpuUsPerReq: round(median(cpu), 0) } : {}),
    ...(withPostgres && pgCpu.length ? { postgresCpuUsPerReq: round(median(pgCpu), 0) } : {}),
  };
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
      await rounds([bareTarget, rapportTarget], s, runs);
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
      await rounds([liteTarget], s, runs);
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
    const otherLoads = runs.map((x) => x.otherLoadPct).filter((v): v is number => v !== null);
    const maxOther = otherLoads.length ? Math.max(...otherLoads) : null;
    const contention =
      maxOther !== null && maxOther > 10
        ? [
            `Other processes used up to ${maxOther}% of the machine's CPU during the measured runs (median ` +
              `${round(median(otherLoads), 1)}%): req/s, latencies and the ratio are disturbed; the CPU µs/req ` +
              'figures much less. Re-run on a quiet machine for clean figures.',
          ]
        : [];
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
