/**
 * Rapport as `rapport start` runs it (startServer: the HTTP app with its realtime bus, the inbound SMTP endpoint and
 * the job runner), in its own process for the service-desk benchmarks.
 * Env: BENCH_DATABASE_URL (PostgreSQL), BENCH_DATA_DIR (attachments), BENCH_LOG_LEVEL (default silent),
 * BENCH_SMTP (on/off, default on: any free port), BENCH_JOBS (on/off, default on).
 * Prints `READY <http port> smtp=<port>` once listening; closes cleanly on SIGTERM (so --cpu-prof gets written).
 */
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/server.ts';

const databaseUrl = process.env.BENCH_DATABASE_URL;
const dataDir = process.env.BENCH_DATA_DIR;
if (!databaseUrl || !dataDir) throw new Error('set BENCH_DATABASE_URL and BENCH_DATA_DIR');

const config = loadConfig({
  DATABASE_URL: databaseUrl,
  RAPPORT_DATA_DIR: dataDir,
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'silent',
  RAPPORT_SMTP_PORT: process.env.BENCH_SMTP === 'off' ? 'off' : '0',
  RAPPORT_JOBS: process.env.BENCH_JOBS === 'off' ? 'off' : 'on',
});
const server = await startServer(config);
const address = server.app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
process.stdout.write(`READY ${port} smtp=${server.smtpPort ?? 'off'}\n`);

process.once('SIGTERM', () => {
  void server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
