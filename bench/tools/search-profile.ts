/**
 * Times Rapport's search statement by statement on the database bench/tools/search-db.ts built: every benchmark
 * query once, one at a time, through the real route (in-process), grouped by query kind. Not part of `npm run bench`.
 * Usage: npx tsx bench/tools/search-profile.ts [search|list] [kind...]
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createDb } from '../../src/db/client.ts';
import { buildApp } from '../../src/http/app.ts';
import type { Query } from '../benchmarks/search.ts';
import { benchDir } from '../lib/spawn.ts';

type Info = { url: string; apiKey: string; load: Query[]; typos: Query[] };
const info = JSON.parse(fs.readFileSync(path.join(benchDir, 'tmp', 'search-dev.json'), 'utf8')) as Info;
const mode = process.argv[2] ?? 'search';
const kinds = process.argv.slice(3);

const cpuOf = (pid: number) => {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
};
type Stmt = { text: string; ms: number };
let current: Stmt[] = [];
const original = pg.Client.prototype.query as (...a: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (
  this: pg.Client,
  ...args: unknown[]
) {
  const first = args[0] as string | { text: string };
  const text = typeof first === 'string' ? first : first.text;
  const pid = (this as unknown as { processID: number }).processID;
  const before = cpuOf(pid);
  const last = args[args.length - 1];
  if (typeof last === 'function')
    args[args.length - 1] = (...cb: unknown[]) => {
      current.push({ text, ms: (cpuOf(pid) - before) / 1e6 });
      return (last as (...a: unknown[]) => unknown)(...cb);
    };
  const r = original.apply(this, args);
  if (r && typeof (r as Promise<unknown>).then === 'function')
    void (r as Promise<unknown>).then(
      () => current.push({ text, ms: (cpuOf(pid) - before) / 1e6 }),
      () => undefined,
    );
  return r;
};

const database = await createDb({ databaseUrl: info.url, poolSize: 10 });
const app = await buildApp({ database, logger: false });
const url = (q: string) =>
  mode === 'list'
    ? `/api/v1/people?q=${encodeURIComponent(q)}&limit=50`
    : `/api/v1/search?q=${encodeURIComponent(q)}&limit=10`;
/** CPU time (ns, from schedstat) of this database's backends, summed. */
const backendPids = async () =>
  (
    await database.pool!.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`,
    )
  ).rows.map((r) => r.pid);
let pids: number[] = [];
const pgCpuNs = () =>
  pids.reduce((sum, pid) => {
    try {
      return sum + Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      return sum;
    }
  }, 0);
const run = async (q: Query) => {
  current = [];
  const pgBefore = pgCpuNs();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const res = await app.inject({ method: 'GET', url: url(q.q), headers: { authorization: `Bearer ${info.apiKey}` } });
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const nodeMs = (cpu.user + cpu.system) / 1000;
  const pgMs = (pgCpuNs() - pgBefore) / 1e6;
  if (res.statusCode !== 200) throw new Error(`${q.q}: ${res.statusCode} ${res.body}`);
  const ids = (res.json() as { data: Array<{ id: string }> }).data.map((d) => d.id);
  return { ms, nodeMs, pgMs, stmts: current, found: q.personId ? ids.includes(q.personId) : null };
};
// Warm the caches once.
for (const q of info.load.slice(0, 50)) await run(q);
pids = await backendPids();
if (pids.length > 10) throw new Error(`other connections to the database: ${pids.length}`);
type KindStats = {
  ms: number[];
  pg: number[];
  node: number[];
  found: number;
  targets: number;
  stmt: Map<string, number[]>;
};
const byKind = new Map<string, KindStats>();
const slow: Array<{ kind: string; q: string; ms: number }> = [];
for (const q of info.load) {
  if (kinds.length && !kinds.includes(q.kind)) continue;
  const r = await run(q);
  const k: KindStats = byKind.get(q.kind) ?? { ms: [], pg: [], node: [], found: 0, targets: 0, stmt: new Map() };
  k.ms.push(r.ms);
  k.pg.push(r.pgMs);
  k.node.push(r.nodeMs);
  if (r.found !== null) {
    k.targets++;
    if (r.found) k.found++;
  }
  const shapes = new Map<string, number>();
  for (const s of r.stmts) {
    const shape = s.text.replace(/\s+/g, ' ').replace(/\$\d+/g, '$').slice(0, 60);
    shapes.set(shape, (shapes.get(shape) ?? 0) + s.ms);
  }
  for (const [shape, ms] of shapes) k.stmt.set(shape, [...(k.stmt.get(shape) ?? []), ms]);
  slow.push({ kind: q.kind, q: q.q, ms: r.pgMs });
  byKind.set(q.kind, k);
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const all: number[] = [];
const allPg: number[] = [];
const allNode: number[] = [];
for (const [kind, k] of byKind) {
  all.push(...k.ms);
  allPg.push(...k.pg);
  allNode.push(...k.node);
  console.log(
    `${kind} (${k.ms.length}): mean ${mean(k.ms).toFixed(1)} p50 ${pct(k.ms, 50).toFixed(1)} p99 ${pct(k.ms, 99).toFixed(1)} ms` +
      `; PG CPU mean ${mean(k.pg).toFixed(1)} p99 ${pct(k.pg, 99).toFixed(1)} ms; node CPU mean ${mean(k.node).toFixed(1)} ms` +
      (k.targets ? `, found ${((100 * k.found) / k.targets).toFixed(1)}%` : ''),
  );
  for (const [shape, ms] of [...k.stmt].sort((a, b) => mean(b[1]) * b[1].length - mean(a[1]) * a[1].length).slice(0, 6))
    console.log(`    ${(mean(ms) * (ms.length / k.ms.length)).toFixed(2)} ms PG CPU/q  (${ms.length}×) ${shape}`);
}
console.log(
  `all (${all.length}): mean ${mean(all).toFixed(1)} p50 ${pct(all, 50).toFixed(1)} p99 ${pct(all, 99).toFixed(1)} ms; PG CPU mean ${mean(allPg).toFixed(2)} p99 ${pct(allPg, 99).toFixed(1)}; node CPU mean ${mean(allNode).toFixed(2)} ms`,
);
for (const s of slow.sort((a, b) => b.ms - a.ms).slice(0, 12))
  console.log(`  PG-heavy ${s.ms.toFixed(1)} ${s.kind} "${s.q}"`);
await app.close();
await database.close();
