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
  /** At most this many requests per second across all connections; absent: each connection as fast as it can. */
  overallRate?: number | undefined;
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
      ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
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
