import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDir } from './spawn.ts';
import type { BenchmarkResult, MachineInfo } from './types.ts';

export const resultsDir = path.join(benchDir, 'results');

export function machineInfo(postgres: string | null): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres,
  };
}

export function writeResult(result: BenchmarkResult): string {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${result.benchmark}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function readResults(): BenchmarkResult[] {
  if (!fs.existsSync(resultsDir)) return [];
  return fs
    .readdirSync(resultsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(resultsDir, f), 'utf8')) as BenchmarkResult);
}
