import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Load settings shared by the HTTP benchmarks; override with the environment for quick or longer runs. */
export type LoadSettings = {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  poolSize: number;
  /** Requests per second, evenly spaced, over the connections (runPaced); absent: each as fast as answers come. */
  pacedRate?: number;
};

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not "${raw}"`);
  return n;
}

export function loadSettings(): LoadSettings {
  return {
    connections: envInt('BENCH_CONNECTIONS', 10),
    durationSeconds: envInt('BENCH_DURATION', 10),
    warmupSeconds: envInt('BENCH_WARMUP', 3),
    rounds: Math.max(1, envInt('BENCH_ROUNDS', 3)),
    poolSize: envInt('BENCH_POOL_SIZE', 10),
  };
}

export const cpuProfiling = process.env.BENCH_CPU_PROF === '1';

/** BENCH_PG_COUNT=1: the servers count their PostgreSQL statements into bench/tmp/pg-count/<pid>.txt. */
export const pgCounting = process.env.BENCH_PG_COUNT === '1';

/** Node flags for a benchmark's Rapport servers: CPU profiles (BENCH_CPU_PROF) and statement counts (BENCH_PG_COUNT). */
export function serverNodeArgs(tmpDir: string): string[] {
  return [
    ...(cpuProfiling ? ['--cpu-prof', `--cpu-prof-dir=${path.join(tmpDir, 'prof')}`] : []),
    ...(pgCounting
      ? ['--import', path.join(path.dirname(fileURLToPath(import.meta.url)), '../tools/pg-count.mjs')]
      : []),
  ];
}
