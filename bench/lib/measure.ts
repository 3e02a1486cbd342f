/** Measured autocannon runs of spawned servers, with the CPU they and PostgreSQL used and the machine's other load. */
import os from 'node:os';
import { machineBusyMs, postgresCpuByPid, postgresCpuDeltaMs, processCpuMs } from './cpu.ts';
import { assertClean, runLoad, runPaced, type LoadRun } from './load.ts';
import type { LoadSettings } from './settings.ts';
import type { SpawnedServer } from './spawn.ts';
import { median, round } from './stats.ts';

export type Target = {
  name: string;
  server: SpawnedServer;
  paths: string[];
  headers: Record<string, string>;
  /** Headers of each path (same index), on top of `headers`. */
  requestHeaders?: Array<Record<string, string>>;
};
/** CPU time per 2xx response, in µs, of the server process and of all PostgreSQL processes (null without /proc). */
export type CpuPerRequest = { serverCpuUsPerReq: number | null; postgresCpuUsPerReq: number | null };
/**
 * otherLoadPct: CPU used during the run by everything except the server, PostgreSQL and this process (the load
 * generator), in % of all cores. Other work on the machine makes req/s and latencies unreliable.
 */
export type Contention = { otherLoadPct: number | null };
export type Measured = LoadRun & CpuPerRequest & Contention;
export type RunRecord = Measured & { name: string; round: number };

function perRequest(before: number | null, after: number | null, requests: number): number | null {
  return before === null || after === null || !requests ? null : round(((after - before) * 1000) / requests, 1);
}

export async function measure(t: Target, s: LoadSettings, durationSeconds: number): Promise<Measured> {
  const serverBefore = processCpuMs(t.server.pid);
  const pgBefore = postgresCpuByPid();
  const machineBefore = machineBusyMs();
  const selfBefore = process.cpuUsage();
  const started = Date.now();
  const load = {
    url: t.server.url,
    paths: t.paths,
    headers: t.headers,
    ...(t.requestHeaders ? { requestHeaders: t.requestHeaders } : {}),
    connections: s.connections,
    durationSeconds,
  };
  const run = s.pacedRate ? await runPaced({ ...load, rate: s.pacedRate }) : await runLoad(load);
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

/** CPU used while `fn` ran: by the server processes (ms, summed), by PostgreSQL (ms), and the machine's other load. */
export type CpuUse = { serverCpuMs: number | null; postgresCpuMs: number | null } & Contention;

/**
 * Runs `fn` (a load of any kind) and measures the CPU the given server processes and PostgreSQL used meanwhile, and
 * what everything else on the machine used (this process, the load generator, is counted as ours).
 */
export async function withCpu<T>(
  pids: number[],
  fn: () => Promise<T>,
  opts: { database?: string } = {},
): Promise<{ result: T } & CpuUse> {
  const sum = () => {
    let total = 0;
    for (const pid of pids) {
      const ms = processCpuMs(pid);
      if (ms === null) return null;
      total += ms;
    }
    return total;
  };
  const serverBefore = sum();
  const pgBefore = postgresCpuByPid(opts.database);
  const machineBefore = machineBusyMs();
  const selfBefore = process.cpuUsage();
  const started = Date.now();
  const result = await fn();
  const wallMs = Date.now() - started;
  const self = process.cpuUsage(selfBefore);
  const serverAfter = sum();
  const pgMs = postgresCpuDeltaMs(pgBefore, postgresCpuByPid(opts.database));
  const machineAfter = machineBusyMs();
  const serverCpuMs = serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore;
  let otherLoadPct: number | null = null;
  if (machineBefore !== null && machineAfter !== null && serverCpuMs !== null && pgMs !== null) {
    const ours = serverCpuMs + pgMs + (self.user + self.system) / 1000;
    const other = Math.max(0, machineAfter - machineBefore - ours);
    otherLoadPct = round((other / (wallMs * os.availableParallelism())) * 100, 1);
  }
  return { result, serverCpuMs, postgresCpuMs: pgMs, otherLoadPct };
}

export function describeRun(r: Measured): string {
  const cpu = r.serverCpuUsPerReq === null ? '' : `, server CPU ${r.serverCpuUsPerReq} µs/req`;
  const pg = r.postgresCpuUsPerReq === null ? '' : `, PostgreSQL CPU ${r.postgresCpuUsPerReq} µs/req`;
  const other = r.otherLoadPct === null ? '' : `, other load on the machine ${r.otherLoadPct}%`;
  return `${r.reqPerSec} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms${cpu}${pg}${other}`;
}

/** Warms every target up (discarded), then measures them in alternation, `rounds` times. */
export async function rounds(
  targets: Target[],
  s: LoadSettings,
  runs: RunRecord[],
  log: (msg: string) => void,
): Promise<void> {
  for (const t of targets) {
    if (s.warmupSeconds > 0) {
      const w = await measure(t, s, s.warmupSeconds);
      log(`${t.name} warm-up (discarded): ${describeRun(w)}`);
    }
  }
  for (let round = 1; round <= s.rounds; round++) {
    for (const t of targets) {
      const r = await measure(t, s, s.durationSeconds);
      log(`${t.name} round ${round}: ${describeRun(r)}`);
      runs.push({ name: t.name, round, ...r });
    }
  }
}

/** The median of each figure over a target's rounds. */
export function medians(runs: RunRecord[], name: string, withPostgres = true) {
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

/** A note for the result when other processes used much of the machine during the measured runs; else none. */
export function contentionNotes(
  runs: Array<Pick<RunRecord, 'otherLoadPct'>>,
  words: { disturbed: string; robust: string } = { disturbed: 'req/s, latencies', robust: 'CPU µs/req' },
): string[] {
  const otherLoads = runs.map((x) => x.otherLoadPct).filter((v): v is number => v !== null);
  const maxOther = otherLoads.length ? Math.max(...otherLoads) : null;
  return maxOther !== null && maxOther > 10
    ? [
        `Other processes used up to ${maxOther}% of the machine's CPU during the measured runs (median ` +
          `${round(median(otherLoads), 1)}%): ${words.disturbed} and the ratio are disturbed; the ${words.robust} ` +
          'figures much less. Re-run on a quiet machine for clean figures.',
      ]
    : [];
}
