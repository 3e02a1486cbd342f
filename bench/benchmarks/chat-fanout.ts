import fs from 'node:fs';
import path from 'node:path';
import { createDb } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { ChatLoad, latencySummary, type ChatTarget, type PhaseResult } from '../lib/chat-load.ts';
import { seedDesk, type SeededDesk } from '../lib/desk-seed.ts';
import { contentionNotes, withCpu } from '../lib/measure.ts';
import { dropDatabase, freshDatabase } from '../lib/pg.ts';
import { cpuProfiling, loadSettings, serverNodeArgs } from '../lib/settings.ts';
import { benchDir, spawnServer, type SpawnedServer } from '../lib/spawn.ts';
import { round } from '../lib/stats.ts';
import type { Benchmark, SummaryRow } from '../lib/types.ts';

const benchDb = 'rapport_bench_chat';
const targetP99Ms = 50;
const seed = 20_261_125;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not "${raw}"`);
  return n;
}

const visitors = envInt('BENCH_CHAT_SOCKETS', 1_000);
const activeVisitors = Math.min(visitors, envInt('BENCH_CHAT_ACTIVE', 100));
const intervalMs = envInt('BENCH_CHAT_INTERVAL_MS', 5_000);
const agentCount = envInt('BENCH_CHAT_AGENTS', 5);
const twoInstances = process.env.BENCH_CHAT_TWO_INSTANCES !== '0';

function log(msg: string): void {
  process.stderr.write(`  [chat-fanout] ${msg}\n`);
}

/** Loopback source addresses: Rapport allows 30 visitor sockets per address and minute, as a public endpoint must. */
function loopbackAddresses(block: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.${block}.${Math.floor(i / 250)}.${(i % 250) + 1}`);
}

type ChatRunRecord = {
  name: string;
  round: number;
  seconds: number;
  visitorMessages: number;
  replies: number;
  lost: number;
  failed: number;
  errorFrames: number;
  p50Ms: number;
  p99Ms: number;
  inboxP50Ms: number;
  inboxP99Ms: number;
  replyCallP50Ms: number;
  serverCpuPct: number | null;
  postgresCpuPct: number | null;
  otherLoadPct: number | null;
};

type Measured = { name: string; runs: ChatRunRecord[]; phases: PhaseResult[]; unexpectedCloses: number };

async function measureTarget(
  target: ChatTarget,
  pids: number[],
  s: ReturnType<typeof loadSettings>,
  database: string,
): Promise<Measured> {
  const load = new ChatLoad(target, { visitors, active: activeVisitors, intervalMs, log });
  const runs: ChatRunRecord[] = [];
  const phases: PhaseResult[] = [];
  try {
    await load.connect();
    if (s.warmupSeconds > 0) {
      const w = await load.runPhase(s.warmupSeconds);
      const l = latencySummary(w.latencies);
      log(`${target.name} warm-up (discarded): ${w.replies} replies, p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms`);
    }
    for (let r = 1; r <= s.rounds; r++) {
      const out = await withCpu(pids, () => load.runPhase(s.durationSeconds), { database });
      const p = out.result;
      const wallMs = p.seconds * 1000;
      const l = latencySummary(p.latencies);
      const inbox = latencySummary(p.inboxLatencies);
      const call = latencySummary(p.replyCallMs);
      const rec: ChatRunRecord = {
        name: target.name,
        round: r,
        seconds: p.seconds,
        visitorMessages: p.visitorMessages,
        replies: p.replies,
        lost: p.lost,
        failed: p.failed,
        errorFrames: p.errorFrames,
        p50Ms: l.p50Ms,
        p99Ms: l.p99Ms,
        inboxP50Ms: inbox.p50Ms,
        inboxP99Ms: inbox.p99Ms,
        replyCallP50Ms: call.p50Ms,
        // Over the chatting time (the drain after it adds little): % of one core.
        serverCpuPct: out.serverCpuMs === null ? null : round((out.serverCpuMs / wallMs) * 100, 1),
        postgresCpuPct: out.postgresCpuMs === null ? null : round((out.postgresCpuMs / wallMs) * 100, 1),
        otherLoadPct: out.otherLoadPct,
      };
      log(
        `${target.name} round ${r}: ${p.visitorMessages} visitor messages, ${p.replies} replies ` +
          `(${p.lost} lost, ${p.failed} failed), reply→visitor p50 ${l.p50Ms} ms p99 ${l.p99Ms} ms, ` +
          `message→inbox p99 ${inbox.p99Ms} ms, server CPU ${rec.serverCpuPct}%, PostgreSQL CPU ` +
          `${rec.postgresCpuPct}%, other load ${rec.otherLoadPct}%`,
      );
      runs.push(rec);
      phases.push(p);
    }
  } finally {
    await load.close();
  }
  return { name: target.name, runs, phases, unexpectedCloses: load.unexpectedCloses };
}

function summarise(m: Measured) {
  const all = (f: (p: PhaseResult) => number[]) => m.phases.flatMap(f);
  const l = latencySummary(all((p) => p.latencies));
  const inbox = latencySummary(all((p) => p.inboxLatencies));
  const seconds = m.phases.reduce((a, p) => a + p.seconds, 0);
  const cpu = (f: (r: ChatRunRecord) => number | null) => {
    const v = m.runs.map(f).filter((x): x is number => x !== null);
    return v.length ? round(v.reduce((a, b) => a + b, 0) / v.length, 1) : Number.NaN;
  };
  const sum = (f: (p: PhaseResult) => number) => m.phases.reduce((a, p) => a + f(p), 0);
  const metrics: Record<string, number> = {
    p50Ms: l.p50Ms,
    p99Ms: l.p99Ms,
    inboxP99Ms: inbox.p99Ms,
    repliesPerSec: round(sum((p) => p.replies) / seconds, 1),
    serverCpuPct: cpu((r) => r.serverCpuPct),
    postgresCpuPct: cpu((r) => r.postgresCpuPct),
    lost: sum((p) => p.lost + p.failed),
  };
  // Nothing measured (no reply arrived, no /proc): left out rather than NaN, which JSON cannot hold.
  for (const [k, v] of Object.entries(metrics)) if (!Number.isFinite(v)) delete metrics[k];
  return {
    metrics,
    clean: sum((p) => p.lost + p.failed + p.errorFrames) === 0 && m.unexpectedCloses === 0 && l.count > 0,
    samples: l.count,
    /** Each measured round's reply p99, in ms. */
    roundP99s: m.phases.map((p) => latencySummary(p.latencies).p99Ms),
    problems:
      `${sum((p) => p.visitorMessages)} messages, ${sum((p) => p.lost)} lost, ${sum((p) => p.failed)} replies ` +
      `refused, ${sum((p) => p.errorFrames)} error frames, ${m.unexpectedCloses} sockets closed`,
  };
}

/** Bare p99 ÷ this p99 (higher is better); null when either is missing. */
function ratioOf(bare: Record<string, number>, other: Record<string, number>): number | null {
  const a = bare.p99Ms;
  const b = other.p99Ms;
  return a === undefined || b === undefined || !b ? null : round(a / b, 3);
}

export const chatFanout: Benchmark = {
  name: 'chat-fanout',
  title: 'Live chat: agent reply to visitor socket with 1,000 open sockets',
  async run(ctx) {
    const s = loadSettings();
    const nodeArgs = serverNodeArgs(ctx.tmpDir);
    const dataDir = path.join(ctx.tmpDir, 'chat-fanout-data');
    const servers: SpawnedServer[] = [];
    const measured: Measured[] = [];
    let desk: SeededDesk;
    try {
      log(`creating ${benchDb}, migrating, setting up the service desk`);
      const url = await freshDatabase(ctx.adminDatabaseUrl, benchDb);
      const database = await createDb({ databaseUrl: url, poolSize: 2 });
      try {
        await runMigrations(database);
        desk = await seedDesk(database, { databaseUrl: url, agents: agentCount, people: 2_000, seed, log });
      } finally {
        await database.close();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
      const addressCount = Math.ceil(visitors / 25);

      const bare = await spawnServer({ name: 'bare-ws', script: path.join(benchDir, 'servers/bare-ws.ts'), env: {} });
      servers.push(bare);
      const bareWs = bare.url.replace('http:', 'ws:');
      measured.push(
        await measureTarget(
          {
            name: 'bare',
            visitorUrl: `${bareWs}/chat/ws`,
            agents: desk.agents.map(() => ({ url: `${bareWs}/inbox/ws`, headers: {} })),
            localAddresses: loopbackAddresses(1, addressCount),
            reply: async (_agent, socket, at, text) =>
              socket.send(JSON.stringify({ type: 'reply', conversationId: at.conversationId, text })),
          },
          [bare.pid],
          s,
          benchDb,
        ),
      );
      await bare.stop();

      const env = { BENCH_DATABASE_URL: url, BENCH_DATA_DIR: dataDir, BENCH_SMTP: 'off' };
      const rapportTarget = (name: string, visitorBase: string, agentBase: string, block: number): ChatTarget => ({
        name,
        visitorUrl: `${visitorBase.replace('http:', 'ws:')}/chat/ws?channel=${desk.chatChannelId}`,
        agents: desk.agents.map((a) => ({
          url: `${agentBase.replace('http:', 'ws:')}/api/v1/inbox/ws`,
          headers: { authorization: `Bearer ${a.apiKey}` },
        })),
        localAddresses: loopbackAddresses(block, addressCount),
        reply: async (agent, _socket, at, text) => {
          const res = await fetch(`${agentBase}/api/v1/tickets/${at.ticketId}/replies`, {
            method: 'POST',
            headers: { authorization: `Bearer ${desk.agents[agent]?.apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ text }),
          });
          if (res.status !== 201) throw new Error(`reply: HTTP ${res.status} ${await res.text()}`);
          await res.arrayBuffer().catch(() => undefined);
        },
      });

      const rapport = await spawnServer({
        name: 'rapport',
        script: path.join(benchDir, 'servers/rapport-start.ts'),
        env,
        nodeArgs,
      });
      servers.push(rapport);
      measured.push(
        await measureTarget(rapportTarget('rapport', rapport.url, rapport.url, 2), [rapport.pid], s, benchDb),
      );

      if (twoInstances) {
        const second = await spawnServer({
          name: 'rapport-2',
          script: path.join(benchDir, 'servers/rapport-start.ts'),
          env,
          nodeArgs,
        });
        servers.push(second);
        measured.push(
          await measureTarget(
            rapportTarget('rapport-two', rapport.url, second.url, 3),
            [rapport.pid, second.pid],
            s,
            benchDb,
          ),
        );
        await second.stop();
      }
      await rapport.stop();
    } finally {
      await Promise.all(servers.map((srv) => srv.stop()));
      await dropDatabase(ctx.adminDatabaseUrl, benchDb);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }

    const [b, r, two] = measured.map(summarise);
    if (!b || !r) throw new Error('chat-fanout: a target was not measured');
    const bareName = 'bare ws relay';
    const summary: SummaryRow[] = [
      { name: bareName, metrics: b.metrics, baseline: null, ratio: null, target: null, pass: null },
      {
        name: 'Rapport (one instance, PostgreSQL)',
        metrics: r.metrics,
        baseline: bareName,
        ratio: ratioOf(b.metrics, r.metrics),
        target: `p99 ≤ ${targetP99Ms} ms (absolute), no reply lost`,
        pass: (r.metrics.p99Ms ?? Infinity) <= targetP99Ms && r.clean,
      },
      ...(two
        ? [
            {
              name: 'Rapport, two instances (visitors on one, agents on the other; LISTEN/NOTIFY)',
              metrics: two.metrics,
              baseline: bareName,
              ratio: ratioOf(b.metrics, two.metrics),
              target: null,
              pass: null,
              note: 'informative',
            } satisfies SummaryRow,
          ]
        : []),
    ];
    const runs = measured.flatMap((m) => m.runs);
    return {
      description:
        `${visitors.toLocaleString('en-US')} visitor WebSockets (the widget's \`/chat/ws\`, each after its hello) and ` +
        `${agentCount} agent inbox sockets (\`/api/v1/inbox/ws\`, API keys of agents) held open on Rapport, running ` +
        `as \`rapport start\` runs it on PostgreSQL in its own process; ${activeVisitors} of the visitors chat: each ` +
        `sends a typing frame and a message about every ${intervalMs / 1000} s (± 20 %), the message opens or ` +
        `continues the visitor's ticket, and the agent whose inbox socket announces it first replies at once ` +
        `(\`POST /api/v1/tickets/:id/replies\`). Figure: from the reply's request being sent to the visitor's socket ` +
        `receiving the message, on one clock (the load generator, in the parent process). Baseline in the same run: ` +
        `a bare \`ws\` server speaking the same frames that relays the agent's reply (a socket frame) to the one ` +
        `visitor's socket, with the same sockets and the same chatting; the ratio is its p99 divided by Rapport's.`,
      settings: {
        visitorSockets: visitors,
        activeVisitors,
        messageIntervalMs: intervalMs,
        agents: agentCount,
        durationSeconds: s.durationSeconds,
        warmupSeconds: s.warmupSeconds,
        rounds: s.rounds,
        twoInstances,
        rapportLogger: process.env.BENCH_LOG_LEVEL || 'silent',
        cpuProfiling,
      },
      columns: [
        { key: 'p50Ms', label: 'reply p50 ms', digits: 2 },
        { key: 'p99Ms', label: 'reply p99 ms', digits: 2 },
        { key: 'inboxP99Ms', label: 'message → inbox p99 ms', digits: 2 },
        { key: 'repliesPerSec', label: 'replies/s', digits: 1 },
        { key: 'serverCpuPct', label: 'server CPU %', digits: 1 },
        { key: 'postgresCpuPct', label: 'PostgreSQL CPU %', digits: 1 },
        { key: 'lost', label: 'lost', digits: 0 },
      ],
      summary,
      runs,
      notes: [
        ...contentionNotes(runs, { disturbed: 'latencies', robust: 'CPU' }),
        `The target is absolute (p99 ≤ ${targetP99Ms} ms on this machine); the ratio (bare p99 ÷ Rapport p99, so ` +
          'higher is better) is shown beside it.',
        `Percentiles are over every reply of the measured rounds (${r.samples} for Rapport, ${b.samples} for the ` +
          "baseline); the warm-up is left out. Each round chats for the round's duration, then waits up to 15 s for " +
          'the rest: a visitor message not acknowledged, not announced on an inbox socket or not answered on the ' +
          "visitor's socket by then is lost; a lost message, a refused reply, an error frame or a socket closed by the " +
          'server fails the run. ' +
          `Rapport: ${r.problems}${two ? `; two instances: ${two.problems}` : ''}; baseline: ${b.problems}.`,
        'What a reply goes through in Rapport: authentication of the API key, the reply transaction of prepared ' +
          "statements (BEGIN; the ticket locked; one read of what the reply needs — the ticket's messages for the " +
          'collision check and the SLA clock, its conversations and channels, visitors online, customers, status ' +
          "history, SLA policies; one statement writing the ticket's change with its SLA, the message, events, the " +
          "conversation's time and the NOTIFY; COMMIT); then, on the instance that wrote it, the event handed to " +
          'the hub as soon as the COMMIT returned (the NOTIFY, sent at commit, reaches the other instances through ' +
          'their LISTEN connection, and its echo here is dropped), the hub handing it to every socket of the ' +
          'workspace (each keeps its own conversation), the message as the visitor sees it built from the content ' +
          "the event carries (a chat message's text, direction, author and time; the agent's name kept 30 s), the " +
          'frame. "message → inbox": from a ' +
          "visitor's message frame to the first inbox socket announcing it (the message through tickets.receive, " +
          'then the same fan-out).',
        `Each round's reply p99 (ms; the figure is over the replies of all rounds together): Rapport ` +
          `${r.roundP99s.join(', ')}${two ? `; two instances ${two.roundP99s.join(', ')}` : ''}; the bare relay ` +
          `${b.roundP99s.join(', ')}. A round's p99 is its two or three slowest replies: on this machine they come in ` +
          'clusters, several replies in flight at the same moment all slow, while the median moves little.',
        'Visitor sockets come from several loopback addresses (25 per address), as Rapport limits new visitor ' +
          'sockets to 30 per address and minute.',
        'CPU %: CPU time (user + system, from /proc) of the server process(es), and of the PostgreSQL processes ' +
          `serving the benchmark's database (plus the server's own background writers), over the chatting time, ` +
          'in % of one core: it includes the cost of holding the idle sockets.',
      ],
    };
  },
};
