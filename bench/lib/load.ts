import http from 'node:http';
import autocannon from 'autocannon';
import { percentileSorted, round } from './stats.ts';

export type LoadOptions = {
  url: string;
  /** Paths to cycle through, one per request, shared by all connections. */
  paths: string[];
  headers?: Record<string, string>;
  /** Headers of each path (same index), on top of `headers`: e.g. a different signed-in user per request. */
  requestHeaders?: Array<Record<string, string>>;
  connections: number;
  durationSeconds: number;
  pipelining?: number;
};

export type LoadRun = {
  requests: number;
  reqPerSec: number;
  /** Latency percentiles in ms, from every 2xx response's own timing (autocannon's histogram rounds to 1 ms). */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** autocannon's own figures, for reference. */
  autocannon: { reqPerSecMean: number; latencyP50: number; latencyP99: number };
};

/** One autocannon run; throws when the server answers anything but 2xx, so a broken setup cannot pass for fast. */
export async function runLoad(opts: LoadOptions): Promise<LoadRun> {
  const { paths } = opts;
  if (!paths.length) throw new Error('runLoad needs at least one path');
  let next = 0;
  const latencies: number[] = [];
  let resolveRun: (r: autocannon.Result) => void = () => undefined;
  let rejectRun: (e: Error) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    resolveRun = resolve;
    rejectRun = reject;
  });
  const instance = autocannon(
    {
      url: opts.url,
      connections: opts.connections,
      duration: opts.durationSeconds,
      pipelining: opts.pipelining ?? 1,
      headers: opts.headers ?? {},
      requests: [
        {
          method: 'GET',
          setupRequest: (req) => {
            const i = next++ % paths.length;
            const extra = opts.requestHeaders?.[i];
            return extra
              ? { ...req, path: paths[i] as string, headers: { ...req.headers, ...extra } }
              : { ...req, path: paths[i] as string };
          },
        },
      ],
    },
    (err: Error | null, result) => (err ? rejectRun(err) : resolveRun(result)),
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await done;
  const sorted = Float64Array.from(latencies).sort();
  const total = sorted.reduce((a, b) => a + b, 0);
  return {
    requests: result['2xx'],
    reqPerSec: round(result['2xx'] / result.duration, 1),
    p50Ms: round(percentileSorted(sorted, 50), 3),
    p90Ms: round(percentileSorted(sorted, 90), 3),
    p99Ms: round(percentileSorted(sorted, 99), 3),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 3),
    meanMs: round(total / Math.max(1, sorted.length), 3),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    autocannon: {
      reqPerSecMean: result.requests.mean,
      latencyP50: result.latency.p50,
      latencyP99: result.latency.p99,
    },
  };
}

export function assertClean(name: string, run: LoadRun): void {
  if (run.non2xx || run.errors || run.timeouts)
    throw new Error(`${name}: ${run.non2xx} non-2xx responses, ${run.errors} errors, ${run.timeouts} timeouts`);
}

/**
 * Requests at a steady rate (`rate` per second, evenly spaced, not in bursts) over at most `connections` keep-alive
 * connections, for `durationSeconds`. Each latency runs from the moment the request was due, so one that waited for
 * a free connection counts its wait (no coordinated omission). Throws when the server answers anything but 2xx.
 */
export async function runPaced(opts: LoadOptions & { rate: number }): Promise<LoadRun> {
  const { paths } = opts;
  if (!paths.length) throw new Error('runPaced needs at least one path');
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const base = new URL(opts.url);
  const intervalMs = 1000 / opts.rate;
  const total = Math.round(opts.rate * opts.durationSeconds);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const pending = new Set<Promise<void>>();
  const send = (i: number, dueAt: number) => {
    const k = i % paths.length;
    const done = new Promise<void>((resolve) => {
      const req = http.request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          path: paths[k],
          method: 'GET',
          headers: { ...opts.headers, ...opts.requestHeaders?.[k] },
        },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) latencies.push(performance.now() - dueAt);
            else non2xx++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  };
  const started = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      // Every request due by now goes out (a late timer catches up rather than dropping the rate).
      while (next < total && started + next * intervalMs <= now) {
        send(next, started + next * intervalMs);
        next++;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, started + next * intervalMs - performance.now()));
    };
    tick();
  });
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  const p = (q: number) => round(percentileSorted(sorted, q), 3);
  return {
    requests: latencies.length,
    reqPerSec: round(latencies.length / seconds, 1),
    p50Ms: p(50),
    p90Ms: p(90),
    p99Ms: p(99),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 3),
    meanMs: round(sum / Math.max(1, sorted.length), 3),
    non2xx,
    errors,
    timeouts: 0,
    autocannon: { reqPerSecMean: round(latencies.length / seconds, 1), latencyP50: p(50), latencyP99: p(99) },
  };
}
