import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { createDb, type Database } from './db/client.ts';
import { runMigrations } from './db/migrate.ts';
import { buildApp } from './http/app.ts';
import { ensureSystemSchedules, jobDefinitions } from './jobs/definitions.ts';
import { JobRunner } from './jobs/queue.ts';
import { startInboundSmtp, type InboundSmtp } from './modules/channels/email.inbound.ts';
import { createServices } from './services.ts';
import { createRealtimeBus } from './realtime/bus.ts';

export type RunningServer = {
  app: FastifyInstance;
  database: Database;
  url: string;
  /** The inbound SMTP endpoint's port, or null when it is off (or its port was taken). */
  smtpPort: number | null;
  close(): Promise<void>;
};

/** Opens the database, migrates, starts the job runner and listens. Closes everything in order on SIGINT/SIGTERM. */
export async function startServer(config: Config, opts: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const database = await createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  // What is open so far is closed again when the start fails (migrations, a port in use): the embedded database's
  // files and its data-directory claim are released, and a caller that goes on (a test, a retry) leaks nothing.
  let realtime: ReturnType<typeof createRealtimeBus> | undefined;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let services: ReturnType<typeof createServices>;
  let jobs: JobRunner | null;
  try {
    await runMigrations(database);
    // Ticket changes and chat signals: LISTEN/NOTIFY across instances on PostgreSQL, in-process on PGlite.
    realtime = createRealtimeBus(database, (msg) => console.warn(msg));
    services = createServices(database.db, { dataDir: config.dataDir, realtime });
    jobs = config.runJobs ? new JobRunner(database.db, jobDefinitions({ tickets: services.tickets })) : null;
    app = await buildApp({
      services,
      database,
      jobs,
      logger: { level: config.logLevel },
      bodyLimit: config.bodyLimit,
      corsOrigins: config.corsOrigins,
      secureCookies: config.publicUrl ? config.publicUrl.startsWith('https:') : 'auto',
      https: Boolean(config.publicUrl?.startsWith('https:')),
      trustProxy: config.trustProxy,
      publicUrl: config.publicUrl,
    });
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await app?.close().catch(() => undefined);
    await realtime?.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw err;
  }
  let smtp: InboundSmtp | null = null;
  if (config.smtpPort !== null) {
    try {
      smtp = await startInboundSmtp({
        db: database.db,
        tickets: services.tickets,
        port: config.smtpPort,
        host: config.host,
        logger: app.log,
      });
    } catch (err) {
      // Mail is one channel among several: the rest of Rapport runs without it.
      app.log.warn({ err }, `inbound mail is off: could not listen on SMTP port ${config.smtpPort}`);
    }
  }
  if (jobs) {
    await ensureSystemSchedules(database.db);
    jobs.start();
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = config.publicUrl ?? `http://${shownHost}:${port}`;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      await smtp?.close();
      await app.close();
      await jobs?.stop();
      await realtime.close();
      await database.close();
    })());

  if (opts.handleSignals) {
    const onSignal = (signal: string) => {
      app.log.info({ signal }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 10_000);
      force.unref();
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { app, database, url, smtpPort: smtp?.port ?? null, close };
}
