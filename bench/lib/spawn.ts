import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(benchDir, '..');

export type SpawnedServer = {
  name: string;
  url: string;
  pid: number;
  /** `key=value` words after the port on the READY line (e.g. `smtp=40123`). */
  info: Record<string, string>;
  /** Asks the server to close (SIGTERM), waits for it, and kills it if it does not exit in time. */
  stop(): Promise<void>;
};

const running = new Set<ChildProcess>();

/** Kills every server still running; for the exit path of the runner. */
export function killAllSpawned(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * Starts `node --import tsx <script>` in its own process (so the load generator does not share its event loop)
 * and resolves once it prints `READY <port>` (optionally followed by `key=value` words, kept in `info`). The server
 * listens on 127.0.0.1 and a port of its choosing.
 */
export function spawnServer(opts: {
  name: string;
  script: string;
  env: Record<string, string>;
  nodeArgs?: string[];
  timeoutMs?: number;
}): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', opts.script], {
    cwd: repoDir,
    env: { ...process.env, ...opts.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));

  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<SpawnedServer>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${opts.name} did not print READY in time\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited before READY (code ${code}, signal ${signal})\n${stderr}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /READY (\d+)([^\n]*)\n/.exec(out);
      if (!m) return;
      const info = Object.fromEntries(
        (m[2] ?? '')
          .trim()
          .split(/\s+/)
          .filter((w) => w.includes('='))
          .map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
      );
      clearTimeout(timer);
      child.stdout?.removeAllListeners('data');
      child.stdout?.resume();
      resolve({ name: opts.name, url: `http://127.0.0.1:${m[1]}`, pid: child.pid ?? -1, info, stop });
    });
  });
}
