/**
 * `npm run bench -- inbox`: the service desk's inbox queues (issue 4: queue query p99 ≤ 20 ms at 1M tickets on
 * PostgreSQL) beside a bare Fastify + pg server running the same SQL. Knobs: BENCH_INBOX_TICKETS (default 1,000,000;
 * e.g. 100000 while developing), BENCH_INBOX_PEOPLE (default tickets / 5, at most 200,000), BENCH_INBOX_LIMIT (page
 * size, default 100 as the console asks), BENCH_INBOX_DEV=1 (measure on the database bench/tools/inbox-db.ts keeps).
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createDb } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { sessionCookieName } from '../../src/modules/auth/auth.service.ts';
import { prng } from '../lib/customers-data.ts';
import { machineBusyMs, processCpuMs } from '../lib/cpu.ts';
import { openGroupsSql, queueCountsSql, queuePageSql } from '../lib/inbox-sql.ts';
import { loadCustomers } from '../lib/customers-load.ts';
import { contentionNotes, medians, rounds, type RunRecord, type Target } from '../lib/measure.ts';
import { dropDatabase, freshDatabase } from '../lib/pg.ts';
import { seedWorkspace } from '../lib/seed.ts';
import { cpuProfiling, loadSettings } from '../lib/settings.ts';
import { benchDir, spawnServer, type SpawnedServer } from '../lib/spawn.ts';
import { median, percentileSorted, round } from '../lib/stats.ts';
import { loadTickets, seedDesk, type Desk } from '../lib/tickets-load.ts';
import type { Benchmark, SummaryRow } from '../lib/types.ts';

export const inboxTicketCount = Number(process.env.BENCH_INBOX_TICKETS || 1_000_000);
export const inboxPeopleCount = Number(
  process.env.BENCH_INBOX_PEOPLE || Math.min(200_000, Math.max(10_000, Math.round(inboxTicketCount / 5))),
);
export const inboxSeed = 20_260_401;
const benchDb = 'rapport_bench_inbox';
/** BENCH_INBOX_DEV=1: measure on the database bench/tools/inbox-db.ts keeps, instead of building one. */
const devDatabase = process.env.BENCH_INBOX_DEV === '1';
const agentCount = 50;
/** How many times each statement runs when measuring what it costs PostgreSQL alone. */
const statementRuns = 100;
const targetP99Ms = 20;
/** What the console's inbox asks for (web/src/api/tickets.ts useTickets: limit 100, the queue, no q/filter/sort). */
const pageLimit = Number(process.env.BENCH_INBOX_LIMIT || 100);
export const queues = ['mine', 'unassigned', 'my_teams', 'breaching', 'open', 'all'] as const;
export type Queue = (typeof queues)[number];
const openList = `('new', 'open', 'pending', 'on_hold')`;

function log(msg: string): void {
  process.stderr.write(`  [inbox] ${msg}\n`);
}

/** The queue's condition as the reference for the checks: written from the API's description, not the product's SQL. */
function queueCondition(queue: Queue): string {
  switch (queue) {
    case 'all':
      return 'true';
    case 'open':
      return `status in ${openList}`;
    case 'mine':
      return `status in ${openList} and assignee_id = $2`;
    case 'unassigned':
      return `status in ${openList} and assignee_id is null`;
    case 'my_teams':
      return `status in ${openList} and team_id in (select team_id from team_members where workspace_id = $1 and user_id = $2)`;
    case 'breaching':
      return (
        `status in ${openList} and exists (select 1 from jsonb_array_elements(sla) m where m->>'state' in ` +
        `('running', 'breached') and (m->>'dueAt')::timestamptz <= now() + interval '2 hours')`
      );
  }
}

/** The ids of a queue page straight from the database: newest update first, id as tie-breaker. */
async function expectedIds(
  client: pg.Client,
  workspaceId: string,
  userId: string,
  queue: Queue,
  offset: number,
): Promise<string[]> {
  const usesUser = queue === 'mine' || queue === 'my_teams';
  const r = await client.query<{ id: string }>(
    `select id from tickets where workspace_id = $1 and merged_into_id is null and ${queueCondition(queue)}
      order by updated_at desc, id desc limit ${pageLimit} offset ${offset}`,
    usesUser ? [workspaceId, userId] : [workspaceId],
  );
  return r.rows.map((x) => x.id);
}

type Counts = { mine: number; unassigned: number; myTeams: number; breaching: number; open: number };

async function expectedCounts(client: pg.Client, workspaceId: string, userId: string): Promise<Counts> {
  const n = async (queue: Queue) => {
    const usesUser = queue === 'mine' || queue === 'my_teams';
    const r = await client.query<{ n: string }>(
      `select count(*) as n from tickets where workspace_id = $1 and merged_into_id is null and ${queueCondition(queue)}`,
      usesUser ? [workspaceId, userId] : [workspaceId],
    );
    return Number(r.rows[0]?.n);
  };
  return {
    mine: await n('mine'),
    unassigned: await n('unassigned'),
    myTeams: await n('my_teams'),
    breaching: await n('breaching'),
    open: await n('open'),
  };
}

const cookie = (desk: Desk, agent: number) => ({ cookie: `${sessionCookieName}=${desk.sessions[agent]}` });
const listPath = (queue: Queue) => `/api/v1/tickets/summaries?limit=${pageLimit}&queue=${queue}`;

async function getJson<T>(url: string, headers: Record<string, string>): Promise<{ ms: number; body: T }> {
  const started = performance.now();
  const res = await fetch(url, { headers });
  const body = (await res.json()) as T;
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  return { ms, body };
}

type ListBody = { data: Array<{ id: string }>; page: { nextCursor: string | null } };
const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Every agent's every queue through Rapport (and the bare server), compared with the database: the same tickets in
 * the same order, the second page through the cursor for some agents, and the side bar's counts. Also the latency of
 * each queue, one request at a time (for information).
 */
async function correctness(rapport: SpawnedServer, bare: SpawnedServer, url: string, desk: Desk) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const mismatches: string[] = [];
  const sizes = new Map<Queue, number[]>();
  const latency = new Map<Queue, number[]>();
  const countMs: number[] = [];
  let pages = 0;
  let secondPages = 0;
  let countChecks = 0;
  try {
    for (let a = 0; a < desk.agentIds.length; a++) {
      const userId = desk.agentIds[a] as string;
      for (const queue of queues) {
        const got = await getJson<ListBody>(`${rapport.url}${listPath(queue)}`, cookie(desk, a));
        const ids = got.body.data.map((t) => t.id);
        let want = await expectedIds(client, desk.workspaceId, userId, queue, 0);
        // A ticket can cross the "due within 2 h" line between the two reads: read both once more before failing.
        if (!same(ids, want) && queue === 'breaching') {
          const again = await getJson<ListBody>(`${rapport.url}${listPath(queue)}`, cookie(desk, a));
          want = await expectedIds(client, desk.workspaceId, userId, queue, 0);
          ids.splice(0, ids.length, ...again.body.data.map((t) => t.id));
        }
        if (!same(ids, want))
          mismatches.push(`agent ${a} ${queue}: Rapport ${ids.length} rows, database ${want.length}`);
        const bareBody = (
          await getJson<{ data: Array<{ id: string }> }>(`${bare.url}/tickets?queue=${queue}&user=${userId}`, {})
        ).body;
        if (
          !same(
            bareBody.data.map((t) => t.id),
            want,
          )
        )
          mismatches.push(`agent ${a} ${queue}: bare server differs from the database`);
        pages++;
        latency.set(queue, [...(latency.get(queue) ?? []), got.ms]);
        if (a % 10 === 0 && got.body.page.nextCursor) {
          const next = await getJson<ListBody>(
            `${rapport.url}${listPath(queue)}&cursor=${encodeURIComponent(got.body.page.nextCursor)}`,
            cookie(desk, a),
          );
          const want2 = await expectedIds(client, desk.workspaceId, userId, queue, pageLimit);
          if (
            !same(
              next.body.data.map((t) => t.id),
              want2,
            )
          )
            mismatches.push(`agent ${a} ${queue}: second page differs`);
          secondPages++;
        }
      }
      const counts = await getJson<Counts>(`${rapport.url}/api/v1/tickets/queues`, cookie(desk, a));
      countMs.push(counts.ms);
      const want = await expectedCounts(client, desk.workspaceId, userId);
      const bareCounts = (await getJson<Counts>(`${bare.url}/tickets/queues?user=${userId}`, {})).body;
      // Breaching counts may move by a ticket or two crossing the "due within 2 h" line between the reads.
      const slack = (k: keyof Counts) => (k === 'breaching' ? 2 : 0);
      for (const k of Object.keys(want) as Array<keyof Counts>) {
        if (Math.abs(counts.body[k] - want[k]) > slack(k))
          mismatches.push(`agent ${a} count ${k}: Rapport ${counts.body[k]}, database ${want[k]}`);
        if (Math.abs(Number(bareCounts[k]) - want[k]) > slack(k))
          mismatches.push(`agent ${a} count ${k}: bare ${bareCounts[k]}, database ${want[k]}`);
      }
      for (const queue of queues) {
        if (queue === 'all') continue;
        const key = queue === 'my_teams' ? 'myTeams' : queue;
        sizes.set(queue, [...(sizes.get(queue) ?? []), want[key as keyof Counts]]);
      }
      countChecks++;
    }
    const anon = await fetch(`${rapport.url}${listPath('open')}`);
    if (anon.status !== 401) mismatches.push(`Rapport answered ${anon.status} without a session`);
  } finally {
    await client.end();
  }
  const stat = (xs: number[]) => {
    const s = Float64Array.from(xs).sort();
    return { p50Ms: round(percentileSorted(s, 50), 1), maxMs: round(s[s.length - 1] ?? Number.NaN, 1) };
  };
  return {
    pages,
    secondPages,
    countChecks,
    mismatches,
    queueSizes: Object.fromEntries(
      [...sizes.entries()].map(([q, xs]) => [q, { min: Math.min(...xs), median: median(xs), max: Math.max(...xs) }]),
    ),
    latencyByQueue: Object.fromEntries([...latency.entries()].map(([q, xs]) => [q, stat(xs)])),
    countsLatency: stat(countMs),
  };
}

/**
 * What each statement costs PostgreSQL alone: run on one connection, `statementRuns` times (agents in turn), the
 * CPU its backend process used (from /proc, so other work on the machine does not count), per statement.
 */
async function statementCosts(url: string, desk: Desk) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const pid = Number((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid);
    const cost = async (text: string, usesAgent: boolean) => {
      const run = (i: number) =>
        client.query(
          text,
          usesAgent ? [desk.workspaceId, desk.agentIds[i % desk.agentIds.length]] : [desk.workspaceId],
        );
      for (let i = 0; i < 5; i++) await run(i);
      const before = processCpuMs(pid);
      const started = performance.now();
      for (let i = 0; i < statementRuns; i++) await run(i);
      const wallMs = (performance.now() - started) / statementRuns;
      const after = processCpuMs(pid);
      return {
        cpuUs: before === null || after === null ? null : round(((after - before) * 1000) / statementRuns, 0),
        wallMs: round(wallMs, 2),
      };
    };
    const out: Record<string, { cpuUs: number | null; wallMs: number }> = {};
    for (const queue of queues) {
      const page = queuePageSql(queue, pageLimit);
      out[queue] = await cost(page.text, page.usesAgent);
    }
    out.counts = await cost(queueCountsSql, true);
    out.openGroups = await cost(openGroupsSql, false);
    return out;
  } finally {
    await client.end();
  }
}

/** Every agent × queue once, in a fixed shuffled order: the page each agent's console asks for. */
function requestMix(desk: Desk) {
  const rand = prng(inboxSeed + 7);
  const mix: Array<{ agent: number; queue: Queue }> = [];
  for (let a = 0; a < desk.agentIds.length; a++) for (const queue of queues) mix.push({ agent: a, queue });
  for (let i = mix.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [mix[i], mix[j]] = [mix[j] as (typeof mix)[number], mix[i] as (typeof mix)[number]];
  }
  return mix;
}

export const inbox: Benchmark = {
  name: 'inbox',
  title: `Inbox queues at ${inboxTicketCount.toLocaleString('en-US')} tickets`,
  async run(ctx) {
    const s = loadSettings();
    const profDir = path.join(ctx.tmpDir, 'prof');
    const nodeArgs = cpuProfiling ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    const runs: RunRecord[] = [];
    const servers: SpawnedServer[] = [];
    const env = { BENCH_POOL_SIZE: String(s.poolSize) };
    let loadInfo: Record<string, unknown>;
    let checks: Awaited<ReturnType<typeof correctness>>;
    let costs: Awaited<ReturnType<typeof statementCosts>>;
    let desk: Desk;
    let byStatus: Record<string, number>;
    let pacedRate: number;
    try {
      let url: string;
      if (devDatabase) {
        // The database bench/tools/inbox-db.ts built (for working on the queries; not for published figures).
        const dev = JSON.parse(fs.readFileSync(path.join(ctx.tmpDir, 'inbox-dev.json'), 'utf8')) as {
          url: string;
          desk: Desk;
          counts: { byStatus: Record<string, number> };
        };
        log(`using ${dev.url} as bench/tools/inbox-db.ts built it`);
        url = dev.url;
        desk = dev.desk;
        byStatus = dev.counts.byStatus;
        loadInfo = { reused: dev.url };
      } else {
        log(`creating ${benchDb}, migrating, one workspace with ${agentCount} agents in teams, SLA policies`);
        url = await freshDatabase(ctx.adminDatabaseUrl, benchDb);
        const database = await createDb({ databaseUrl: url, poolSize: 2 });
        const seeded = await (async () => {
          await runMigrations(database);
          const w = await seedWorkspace(database, { userCount: 0, scopes: ['tickets:read'] });
          const d = await seedDesk(database, {
            workspaceId: w.workspaceId,
            ownerId: w.ownerId,
            agents: agentCount,
            seed: inboxSeed,
          });
          return { ...w, desk: d };
        })().finally(() => database.close());
        desk = seeded.desk;

        const busyBefore = machineBusyMs();
        const loadStarted = Date.now();
        log(`loading ${inboxPeopleCount} people with COPY`);
        const people = await loadCustomers({
          databaseUrl: url,
          workspaceId: seeded.workspaceId,
          people: inboxPeopleCount,
          companies: Math.round(inboxPeopleCount / 20),
          sampleSize: 0,
          seed: inboxSeed,
          log,
        });
        log(`loading ${inboxTicketCount} tickets with COPY`);
        const tickets = await loadTickets({
          databaseUrl: url,
          desk,
          count: inboxTicketCount,
          seed: inboxSeed + 1,
          log,
        });
        byStatus = tickets.counts.byStatus;
        const busyAfter = machineBusyMs();
        const wall = Date.now() - loadStarted;
        loadInfo = {
          peopleSeconds: people.seconds,
          ticketSeconds: tickets.seconds,
          byStatus,
          otherLoadPct:
            busyBefore === null || busyAfter === null
              ? null
              : round(((busyAfter - busyBefore) / (wall * ctx.machine.cpus)) * 100, 1),
        };
        log(`loaded: ${JSON.stringify(loadInfo)}`);
      }

      const bare = await spawnServer({
        name: 'bare',
        script: path.join(benchDir, 'servers/bare.ts'),
        env: { ...env, BENCH_DATABASE_URL: url, BENCH_WORKSPACE_ID: desk.workspaceId },
      });
      servers.push(bare);
      const rapport = await spawnServer({
        name: 'rapport',
        script: path.join(benchDir, 'servers/rapport.ts'),
        env: { ...env, BENCH_DATABASE_URL: url },
        nodeArgs,
      });
      servers.push(rapport);

      log(`checking every agent's queues against the database, one request at a time`);
      checks = await correctness(rapport, bare, url, desk);
      log(`  ${JSON.stringify(checks)}`);
      if (checks.mismatches.length) throw new Error(`queues differ from the database: ${checks.mismatches.join('; ')}`);

      log(`each statement alone, ${statementRuns} times on one connection`);
      costs = await statementCosts(url, desk);
      log(`  ${JSON.stringify(costs)}`);

      const mix = requestMix(desk);
      const agentCookies = desk.agentIds.map((_, a) => cookie(desk, a));
      const targets: Target[] = [
        {
          name: 'bare-list',
          server: bare,
          paths: mix.map((m) => `/tickets?queue=${m.queue}&user=${desk.agentIds[m.agent]}&limit=${pageLimit}`),
          headers: {},
        },
        {
          name: 'rapport-list',
          server: rapport,
          paths: mix.map((m) => listPath(m.queue)),
          headers: {},
          requestHeaders: mix.map((m) => agentCookies[m.agent] as Record<string, string>),
        },
        {
          name: 'bare-counts',
          server: bare,
          paths: desk.agentIds.map((id) => `/tickets/queues?user=${id}`),
          headers: {},
        },
        {
          name: 'rapport-counts',
          server: rapport,
          paths: desk.agentIds.map(() => '/api/v1/tickets/queues'),
          headers: {},
          requestHeaders: agentCookies,
        },
      ];
      await rounds(targets, s, runs, log);
      // Paced (for information): the same requests at half the rate the bare server reached at saturation in these
      // rounds, over the same connections — the latency an agent sees on a desk that is busy but not overloaded.
      pacedRate = Math.max(1, Math.round(medians(runs, 'bare-list').reqPerSec / 2));
      await rounds(
        [
          { ...(targets[0] as Target), name: 'bare-list-paced' },
          { ...(targets[1] as Target), name: 'rapport-list-paced' },
        ],
        { ...s, pacedRate },
        runs,
        log,
      );
      // One agent at a time (for information): no waiting on the others, and no counts shared between requests.
      await rounds(
        [
          { ...(targets[1] as Target), name: 'rapport-list-c1' },
          { ...(targets[3] as Target), name: 'rapport-counts-c1' },
        ],
        { ...s, connections: 1 },
        runs,
        log,
      );
    } finally {
      await Promise.all(servers.map((srv) => srv.stop()));
      if (!devDatabase) await dropDatabase(ctx.adminDatabaseUrl, benchDb);
    }

    const bl = medians(runs, 'bare-list');
    const rl = medians(runs, 'rapport-list');
    const bc = medians(runs, 'bare-counts');
    const rc = medians(runs, 'rapport-counts');
    const rl1 = medians(runs, 'rapport-list-c1');
    const blp = medians(runs, 'bare-list-paced');
    const rlp = medians(runs, 'rapport-list-paced');
    const rc1 = medians(runs, 'rapport-counts-c1');
    const target = `p99 ≤ ${targetP99Ms} ms`;
    const summary: SummaryRow[] = [
      {
        name: 'queue page: one SQL query, bare Fastify + pg',
        metrics: bl,
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
      {
        name: `queue page: Rapport GET /api/v1/tickets/summaries?limit=${pageLimit}&queue=…`,
        metrics: rl,
        baseline: 'bare queue page',
        ratio: round(rl.reqPerSec / bl.reqPerSec, 3),
        target,
        pass: rl.p99Ms <= targetP99Ms,
      },
      {
        name: `queue page: bare Fastify + pg, paced at ${pacedRate} req/s (half the bare server's saturated rate)`,
        metrics: blp,
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
      {
        name: `queue page: Rapport, paced at ${pacedRate} req/s`,
        metrics: rlp,
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
      {
        name: 'queue page: Rapport, 1 connection',
        metrics: rl1,
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
      {
        name: 'queue counts: one SQL query, bare Fastify + pg',
        metrics: bc,
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
      {
        name: 'queue counts: Rapport GET /api/v1/tickets/queues',
        metrics: rc,
        baseline: 'bare queue counts',
        ratio: round(rc.reqPerSec / bc.reqPerSec, 3),
        target,
        pass: rc.p99Ms <= targetP99Ms,
      },
      {
        name: 'queue counts: Rapport, 1 connection',
        metrics: rc1,
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
    ];
    const open = ['new', 'open', 'pending', 'on_hold'].reduce((a, k) => a + (byStatus[k] ?? 0), 0);
    const sizes = Object.entries(checks.queueSizes)
      .map(
        ([q, v]) =>
          `${q} ${v.min.toLocaleString('en-US')}–${v.max.toLocaleString('en-US')} (median ${v.median.toLocaleString('en-US')})`,
      )
      .join(', ');
    const perQueue = Object.entries(checks.latencyByQueue)
      .map(([q, v]) => `${q} p50 ${v.p50Ms} / max ${v.maxMs} ms`)
      .join('; ');
    const costText = queues.map((q) => `${q} ${costs[q]?.cpuUs?.toLocaleString('en-US')} µs`).join(', ');
    const statusText = Object.entries(byStatus)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
      .join(', ');
    const li = loadInfo as {
      peopleSeconds?: { total: number };
      ticketSeconds?: { copy: number; order: number; indexes: number; vacuum: number; total: number };
      otherLoadPct?: number | null;
    };
    return {
      description:
        `${inboxTicketCount.toLocaleString('en-US')} generated tickets over two years in one workspace (${statusText}; ` +
        `${open.toLocaleString('en-US')} open in all), ${agentCount} agents in ${desk.teamIds.length} teams (one to ` +
        `three each), two SLA policies, for ${inboxPeopleCount.toLocaleString('en-US')} generated people, loaded with ` +
        `COPY. Each agent signs in through the real login; requests rotate over every agent × queue (mine, ` +
        `unassigned, my teams, breaching, open, all: ${agentCount * queues.length} in a fixed shuffled order) with ` +
        `that agent's session cookie, exactly as the console's inbox asks: \`GET /api/v1/tickets/summaries?limit=${pageLimit}` +
        `&queue=…\` (newest update first) and, on every load and refresh, \`GET /api/v1/tickets/queues\` (the side ` +
        `bar's counts) — through the whole Rapport app in its own process, each against a bare Fastify + pg handler ` +
        `running the same hand-written SQL on the same database, ${s.connections} concurrent connections. Figures are ` +
        `the median of the rounds; latencies are per-request timings of 2xx responses as seen by the client.`,
      settings: {
        tickets: inboxTicketCount,
        people: inboxPeopleCount,
        agents: agentCount,
        pageLimit,
        connections: s.connections,
        durationSeconds: s.durationSeconds,
        warmupSeconds: s.warmupSeconds,
        rounds: s.rounds,
        poolSize: s.poolSize,
        pacedRate,
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
      runs: [...runs, { load: loadInfo }, { checks }, { statementCosts: costs }],
      notes: [
        ...contentionNotes(runs),
        `Concurrency ${s.connections} connections. The target is on Rapport's p99; the ratio compares req/s with ` +
          'the bare query (higher is better). The target is judged at saturation, as this benchmark always has: each ' +
          'of the 10 connections sends its next request as soon as the last is answered, so the machine runs flat ' +
          'out and a request waits for the others. The "paced" rows (informative) send the same requests ' +
          `over the same ${s.connections} connections at ${pacedRate} req/s in all — half what the bare server ` +
          'reached in the saturated rounds, evenly spaced (bench/lib/load.ts runPaced), each timed from the moment ' +
          'it was due, so one that waits for a free connection counts its wait — and the "1 connection" rows one ' +
          'request at a time.',
        (() => {
          // PostgreSQL's part from the statements measured alone: the run's own figure counts other work's queries.
          const pgUs = queues.reduce((a, q) => a + (costs[q]?.cpuUs ?? 0), 0) / queues.length;
          const cpuUs = (rl.serverCpuUsPerReq ?? 0) + pgUs;
          const capacity = (ctx.machine.cpus * 1e6) / cpuUs;
          const budgetUs = (ctx.machine.cpus * 1e6 * targetP99Ms) / (s.connections * 1000);
          return (
            `What the target asks: with ${s.connections} requests in flight on ${ctx.machine.cpus} cores, a request ` +
            `waits for the others, so a p99 of ${targetP99Ms} ms needs well under ` +
            `${Math.round(budgetUs).toLocaleString('en-US')} µs of CPU per request in all. A Rapport queue page ` +
            `costs ${Math.round(rl.serverCpuUsPerReq ?? 0).toLocaleString('en-US')} µs in the server here (the ` +
            `bare server ${Math.round(bl.serverCpuUsPerReq ?? 0).toLocaleString('en-US')}) and about ` +
            `${Math.round(pgUs).toLocaleString('en-US')} µs in PostgreSQL (the statement alone, below): at most ` +
            `~${Math.round(capacity)} req/s with nothing else running, ~` +
            `${round((s.connections / capacity) * 1000, 1)} ms per request at ${s.connections} in flight.`
          );
        })(),
        `Queue sizes across the ${agentCount} agents: ${sizes}; all: every ticket. Tickets carry SLA metrics as the ` +
          'SLA clock stores them (JSON), so breaching is a mix of breached targets and targets due within 2 hours. ' +
          'No conversations or messages: the queue requests do not read them. The table is in the physical order ' +
          "of each ticket's last update (a live table's rows are where their last update wrote them).",
        'How each side answers. Queue page: Rapport runs one statement (open statuses as literals, newest update ' +
          'first, one row more than the page for the cursor; each ticket as the inbox lists it — its fields ' +
          'without the SLA detail but with the metric due first: its columns as stored, written as JSON by the server), ' +
          'served by partial indexes on open tickets (by update ' +
          'time with assignee, team and SLA breach time as trailing columns; by assignee; unassigned; by assignee ' +
          'and team with the breach time, for the counts) or, for "all", by an index on update time; "breaching" ' +
          "reads `sla_breach_at`, a column generated from the SLA metrics' JSON. The bare server runs the same " +
          "statement and answers with its rows as objects (pg's types, Fastify's serialiser). Counts: the bare server runs one " +
          'statement per request (count(*) FILTER … over the open tickets); Rapport reads the open tickets counted ' +
          'by assignee and team once for all the requests of a workspace that arrive while such a read runs (each ' +
          "request still gets a read that started after it arrived), plus the agent's teams, and adds up. The " +
          '"1 connection" rows show each request alone (no sharing, no waiting on the others).',
        `Checks before the load: for every agent and queue (${checks.pages} pages), Rapport and the bare server ` +
          'return the same tickets in the same order as a direct SQL query written from the API description (the ' +
          "breaching condition read from the stored SLA metrics' JSON); the second page through the cursor matches " +
          `OFFSET ${pageLimit} (${checks.secondPages} pages); the side bar's counts match direct counts ` +
          `(${checks.countChecks} agents); without a session Rapport answers 401.`,
        `PostgreSQL CPU of each statement alone (${statementRuns} runs on one connection, its backend's CPU from ` +
          `/proc, so other work does not count): queue pages ${costText}; the counts in one statement per agent ` +
          `${costs.counts?.cpuUs?.toLocaleString('en-US')} µs; the open tickets by assignee and team (what ` +
          `Rapport reads for the counts) ` +
          `${costs.openGroups?.cpuUs?.toLocaleString('en-US')} µs.`,
        `One request at a time (during the checks), by queue: ${perQueue}; counts p50 ${checks.countsLatency.p50Ms} / ` +
          `max ${checks.countsLatency.maxMs} ms.`,
        li.ticketSeconds
          ? `Loading: people ${li.peopleSeconds?.total} s; tickets ${li.ticketSeconds.total} s (COPY ` +
            `${li.ticketSeconds.copy} s with secondary indexes dropped, rewriting the table in the order of last ` +
            `update ${li.ticketSeconds.order} s, rebuilding the indexes ${li.ticketSeconds.indexes} s, VACUUM ` +
            `ANALYZE ${li.ticketSeconds.vacuum} s)` +
            (li.otherLoadPct === null || li.otherLoadPct === undefined
              ? '.'
              : `; the machine was ${li.otherLoadPct}% busy meanwhile (the load included).`)
          : `Measured on the database bench/tools/inbox-db.ts built (BENCH_INBOX_DEV=1), not a fresh one.`,
        'CPU µs/req: CPU time (user + system, from /proc) the server process, and all PostgreSQL processes, spent ' +
          'per response during the run; less sensitive than req/s and latency to other work on the machine, but the ' +
          "PostgreSQL figure includes other work's queries on the same server while it runs.",
      ],
    };
  },
};
