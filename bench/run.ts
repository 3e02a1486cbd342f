/**
 * `npm run bench [-- name ...]`: runs the listed benchmarks (all by default), writes bench/results/<name>.json for
 * each, prints its table, and regenerates BENCHMARKS.md from every result file. Never part of `npm test`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { analytics } from './benchmarks/analytics.ts';
import { chatFanout } from './benchmarks/chat-fanout.ts';
import { importBenchmark } from './benchmarks/import.ts';
import { mailIn } from './benchmarks/mail-in.ts';
import { inbox } from './benchmarks/inbox.ts';
import { recordRead } from './benchmarks/record-read.ts';
import { search } from './benchmarks/search.ts';
import { predict } from './benchmarks/predict.ts';
import { writeBenchmarksMd } from './lib/markdown.ts';
import { defaultAdminUrl, postgresVersion } from './lib/pg.ts';
import { machineInfo, writeResult } from './lib/results.ts';
import { benchDir, killAllSpawned, repoDir } from './lib/spawn.ts';
import { summaryCells, textTable } from './lib/table.ts';
import type { Benchmark, BenchmarkResult } from './lib/types.ts';

/** Every benchmark, in the order `npm run bench` runs them. Add new ones here. */
const benchmarks: Benchmark[] = [recordRead, search, importBenchmark, mailIn, chatFanout, inbox, analytics, predict];

process.once('SIGINT', () => {
  killAllSpawned();
  process.exit(130);
});

if (process.argv.includes('--markdown-only')) {
  console.log(`BENCHMARKS.md regenerated: ${path.relative(repoDir, writeBenchmarksMd())}`);
  process.exit(0);
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((w) => !benchmarks.some((b) => b.name === w));
if (unknown.length) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${benchmarks.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length ? benchmarks.filter((b) => wanted.includes(b.name)) : benchmarks;

const adminDatabaseUrl = process.env.BENCH_DATABASE_URL || defaultAdminUrl;
const tmpDir = path.join(benchDir, 'tmp');
fs.mkdirSync(tmpDir, { recursive: true });
const machine = machineInfo(await postgresVersion(adminDatabaseUrl));
console.log(
  `Rapport benchmarks on ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, ${machine.postgres ?? 'no PostgreSQL'}\n`,
);

let failed = false;
try {
  for (const b of selected) {
    console.log(`▶ ${b.name}: ${b.title}`);
    const started = Date.now();
    const partial = await b.run({ adminDatabaseUrl, tmpDir, machine });
    const result: BenchmarkResult = {
      benchmark: b.name,
      title: b.title,
      date: new Date().toISOString(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      machine,
      ...partial,
    };
    const file = writeResult(result);
    console.log(`\n${textTable(summaryCells(result))}\n`);
    console.log(`  → ${path.relative(repoDir, file)}\n`);
    if (result.summary.some((r) => r.pass === false)) failed = true;
  }
} finally {
  killAllSpawned();
}
console.log(`BENCHMARKS.md regenerated: ${path.relative(repoDir, writeBenchmarksMd())}`);
if (failed) console.log('At least one target is not met (see FAIL above).');
