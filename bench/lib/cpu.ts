import fs from 'node:fs';

/** Linux clock ticks per second (`getconf CLK_TCK`); 100 on every mainstream kernel. */
const ticksPerSecond = 100;

function statOf(pid: number): { comm: string; cpuMs: number } | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = raw.lastIndexOf(')');
    const comm = raw.slice(raw.indexOf('(') + 1, close);
    const fields = raw.slice(close + 2).split(' ');
    // After "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based), i.e. indexes 11 and 12 here.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { comm, cpuMs: (ticks * 1000) / ticksPerSecond };
  } catch {
    return null;
  }
}

/** CPU time (user + system, ms) a process has used so far; null where /proc is not available. */
export function processCpuMs(pid: number): number | null {
  return statOf(pid)?.cpuMs ?? null;
}

/**
 * CPU time used so far by each `postgres` process (server and backends), by pid; null without /proc. With
 * `database`, backends (and autovacuum workers) of other databases are left out — other work on a shared server —
 * while the server's own processes (checkpointer, WAL writer…) stay in.
 */
export function postgresCpuByPid(database?: string): Map<number, number> | null {
  if (!fs.existsSync('/proc/self/stat')) return null;
  const byPid = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = statOf(Number(entry));
    if (s?.comm !== 'postgres') continue;
    if (database && !servesDatabase(Number(entry), database)) continue;
    byPid.set(Number(entry), s.cpuMs);
  }
  return byPid;
}

/** From the process title ("postgres: 15/main: <user> <database> <host>(port) <state>"): false for another database. */
function servesDatabase(pid: number, database: string): boolean {
  let title: string;
  try {
    title = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return false;
  }
  const m = /^postgres: [^:]*: (.*)$/.exec(title);
  if (!m) return true;
  const words = (m[1] ?? '').split(/\s+/);
  if (words[0] === 'autovacuum' && words[1] === 'worker') return words[2] === undefined || words[2] === database;
  // A backend names its user and database first and its client address after them.
  if (words.length >= 3 && /\(\d+\)$|\[local\]/.test(words[2] ?? '')) return words[1] === database;
  return true;
}

/**
 * CPU time PostgreSQL used between two snapshots: per process, so backends that exit meanwhile (idle pool
 * connections of another server closing) do not subtract their whole history; new ones count in full.
 */
export function postgresCpuDeltaMs(
  before: Map<number, number> | null,
  after: Map<number, number> | null,
): number | null {
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** Busy CPU time of the whole machine so far (all cores, ms), from /proc/stat; null without /proc. */
export function machineBusyMs(): number | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((a, b) => a + (b ?? 0), 0);
    return (ticks * 1000) / ticksPerSecond;
  } catch {
    return null;
  }
}
