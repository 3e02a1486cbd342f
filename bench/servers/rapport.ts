/**
 * The Rapport HTTP app as `rapport start` builds it (without the job runner), in its own process for the benchmarks.
 * Env: BENCH_DATABASE_URL (PostgreSQL) or BENCH_DATA_DIR (PGlite), BENCH_POOL_SIZE, PORT (0 = any).
 * BENCH_LOG_LEVEL (optional) turns the request logger on, to stdout, as in production; off by default.
 * Prints `READY <port>` once listening; closes cleanly on SIGTERM (so --cpu-prof gets written).
 */
import type { FastifyServerOptions } from 'fastify';
import { createDb } from '../../src/db/client.ts';
import { buildApp } from '../../src/http/app.ts';

const databaseUrl = process.env.BENCH_DATABASE_URL;
const dataDir = process.env.BENCH_DATA_DIR;
if (!databaseUrl && !dataDir) throw new Error('set BENCH_DATABASE_URL or BENCH_DATA_DIR');

const database = await createDb({ databaseUrl, dataDir, poolSize: Number(process.env.BENCH_POOL_SIZE ?? 10) });
const logLevel = process.env.BENCH_LOG_LEVEL;
const logger: FastifyServerOptions['logger'] = logLevel ? { level: logLevel } : false;
const app = await buildApp({ database, logger });
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const address = app.server.address();
process.stdout.write(`READY ${typeof address === 'object' && address ? address.port : 0}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await app.close();
    await database.close();
    process.exit(0);
  })();
});
