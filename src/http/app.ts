import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyWebsocket from '@fastify/websocket';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { strictBodyCompiler } from './strict-body.ts';
import type { Database } from '../db/client.ts';
import { ping } from '../db/client.ts';
import { appliedMigrationCount } from '../db/migrate.ts';
import { eventsRoutes } from '../events/events.routes.ts';
import type { JobRunner } from '../jobs/queue.ts';
import { createServices, type Services } from '../services.ts';
import { apiKeysRoutes } from '../modules/apikeys/apikeys.routes.ts';
import { authRoutes } from '../modules/auth/auth.routes.ts';
import { usersRoutes } from '../modules/users/users.routes.ts';
import { workspacesRoutes } from '../modules/workspaces/workspaces.routes.ts';
import { peopleRoutes } from '../modules/people/people.routes.ts';
import { companiesRoutes } from '../modules/companies/companies.routes.ts';
import { fieldsRoutes } from '../modules/fields/fields.routes.ts';
import { searchRoutes } from '../modules/people/search.routes.ts';
import { webhooksRoutes } from '../modules/webhooks/webhooks.routes.ts';
import { createWebhookNudger } from '../modules/webhooks/webhooks.delivery.ts';
import { importsRoutes } from '../modules/imports/imports.routes.ts';
import { duplicatesRoutes } from '../modules/duplicates/duplicates.routes.ts';
import { viewsRoutes } from '../modules/views/views.routes.ts';
import { bulkRoutes } from '../modules/bulk/bulk.routes.ts';
import { jobsRoutes } from '../modules/jobs/jobs.routes.ts';
import { unsubscribeRoutes } from '../modules/people/unsubscribe.routes.ts';
import { ticketsRoutes } from '../modules/tickets/tickets.routes.ts';
import { channelsRoutes } from '../modules/channels/channels.routes.ts';
import { teamsRoutes } from '../modules/teams/teams.routes.ts';
import { slaRoutes } from '../modules/sla/sla.routes.ts';
import { rulesRoutes } from '../modules/rules/rules.routes.ts';
import { macrosRoutes } from '../modules/macros/macros.routes.ts';
import { sopsRoutes } from '../modules/sops/sops.routes.ts';
import { commerceRoutes } from '../modules/commerce/commerce.routes.ts';
import { metricsRoutes } from '../modules/metrics/metrics.routes.ts';
import { predictionsRoutes } from '../modules/predictions/predictions.routes.ts';
import { channelPublicRoutes } from '../modules/channels/public.routes.ts';
import { kbRoutes } from '../modules/kb/kb.routes.ts';
import { helpRoutes } from '../modules/kb/help.routes.ts';
import { chatRoutes, maxFrameBytes, type ChatLimits } from '../modules/chat/chat.routes.ts';
import { inboxRoutes } from '../modules/chat/inbox.routes.ts';
import { createRealtimeBus } from '../realtime/bus.ts';
import { RealtimeHub } from '../realtime/hub.ts';
import { PresenceTracker } from '../realtime/presence.ts';
import { registerAuth } from './auth.ts';
import { frameworkErrorHandler, registerErrorHandler, rejectNulCharacters, sendError } from './error-handler.ts';
import { registerIdempotency } from './idempotency.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { fromRoot } from '../paths.ts';

export const version = (JSON.parse(fs.readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version;

export const defaultWebDir = fromRoot('web', 'dist');

export type AppOptions = {
  database: Database;
  logger?: FastifyServerOptions['logger'];
  bodyLimit?: number;
  corsOrigins?: string[];
  /** Built console (web/dist). When missing, / explains how to build it. */
  webDir?: string;
  secureCookies?: boolean | 'auto';
  /** Served over HTTPS (RAPPORT_PUBLIC_URL is https): adds HSTS and upgrade-insecure-requests. */
  https?: boolean;
  /** The URL people reach Rapport at, for links sent out (unsubscribe…). */
  publicUrl?: string | undefined;
  /** Trust X-Forwarded-* headers (only behind a proxy you run). */
  trustProxy?: boolean;
  jobs?: JobRunner | null;
  /** Made with createServices(db, { realtime: createRealtimeBus(database) }) so ticket changes reach other instances. */
  services?: Services;
  /** Visitor socket limits (tests lower them). */
  chatLimits?: Partial<ChatLimits>;
};

/** Builds the whole HTTP application without listening: used by the server, the CLI and the tests. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { database } = opts;
  const services = opts.services ?? createServices(database.db, { realtime: createRealtimeBus(database) });
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    trustProxy: opts.trustProxy ?? false,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    routerOptions: { maxParamLength: 200 },
    ajv: { customOptions: { coerceTypes: false } },
    frameworkErrors: frameworkErrorHandler,
  });
  app.setValidatorCompiler(strictBodyCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', req.id);
    return payload;
  });

  registerSecurityHeaders(app, { https: opts.https ?? false });
  if (opts.corsOrigins?.length) await app.register(fastifyCors, { origin: opts.corsOrigins, credentials: true });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      code: 'rate_limited',
      message: `Too many attempts; try again in ${Math.ceil(ctx.ttl / 1000)} s`,
    }),
  });

  await app.register(fastifyWebsocket, { options: { maxPayload: maxFrameBytes } });
  // This instance's sockets and presence rows; the bus belongs to the services (its creator closes it).
  const hub = new RealtimeHub(services.realtime);
  const presence = new PresenceTracker(database.db);
  app.addHook('onClose', async () => {
    await hub.close();
    await presence.close();
    if (!opts.services) await services.realtime.close();
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Rapport API',
        version,
        description:
          'The Rapport customer relations API. Authenticate with `Authorization: Bearer <API key>` (create keys in ' +
          'Settings → API keys) or the console session cookie. Lists share one shape: `limit`, `cursor`, `sort`, ' +
          '`filter=field:op:value`. POSTs honour `Idempotency-Key`. Errors: `{"error":{"code","message","details"}}`.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: rpk_...' },
          session: { type: 'apiKey', in: 'cookie', name: 'rapport_session' },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  registerAuth(app, services.auth);
  rejectNulCharacters(app);
  registerIdempotency(app, database.db);

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  r.get(
    '/health',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Liveness: the process answers',
        response: { 200: z.object({ status: z.literal('ok'), version: z.string() }) },
      },
    },
    async () => ({ status: 'ok' as const, version }),
  );

  r.get(
    '/ready',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Readiness: the database answers and is migrated',
        response: { 200: z.object({ status: z.literal('ready'), engine: z.string(), migrations: z.number() }) },
      },
    },
    async (_req, reply) => {
      try {
        await ping(database.db);
        const migrations = await appliedMigrationCount(database);
        return { status: 'ready' as const, engine: database.engine, migrations };
      } catch {
        return sendError(reply, 503, 'unavailable', 'The database does not answer');
      }
    },
  );

  if (opts.jobs) {
    // A write through the API has probably appended events: let the webhook fan-out run soon.
    const nudger = createWebhookNudger(database.db, opts.jobs);
    app.addHook('onResponse', async (req, reply) => {
      if (req.method !== 'GET' && req.method !== 'HEAD' && reply.statusCode < 400) nudger.poke();
    });
  }

  await app.register(
    async (api) => {
      await api.register(
        authRoutes({ auth: services.auth, db: database.db, secureCookies: opts.secureCookies ?? 'auto' }),
      );
      await api.register(usersRoutes(services.users));
      await api.register(apiKeysRoutes(services.apiKeys));
      await api.register(workspacesRoutes(services.workspaces));
      await api.register(eventsRoutes(database.db));
      await api.register(peopleRoutes(services.people));
      await api.register(companiesRoutes(services.companies));
      await api.register(fieldsRoutes(services.fields));
      await api.register(searchRoutes(database.db));
      await api.register(webhooksRoutes(services.webhooks));
      await api.register(importsRoutes({ imports: services.imports, exports: services.exports }));
      await api.register(duplicatesRoutes(services.duplicates));
      await api.register(viewsRoutes(services.views));
      await api.register(bulkRoutes(services.bulk));
      await api.register(jobsRoutes(services.jobs));
      await api.register(ticketsRoutes({ tickets: services.tickets, db: database.db, dataDir: services.dataDir }));
      await api.register(channelsRoutes(services.channels));
      await api.register(teamsRoutes(services.teams));
      await api.register(slaRoutes(services.sla));
      await api.register(rulesRoutes(services.rules));
      await api.register(kbRoutes(services.kb));
      await api.register(
        inboxRoutes({ db: database.db, chat: services.chat, hub, presence, corsOrigins: opts.corsOrigins }),
      );
      await api.register(macrosRoutes(services.macros));
      await api.register(sopsRoutes(services.sops));
      await api.register(
        commerceRoutes({
          products: services.products,
          orders: services.orders,
          subscriptions: services.subscriptions,
        }),
      );
      await api.register(metricsRoutes(services.metrics));
      await api.register(predictionsRoutes(services.predictions));
    },
    { prefix: '/api/v1' },
  );

  await app.register(channelPublicRoutes({ db: database.db, tickets: services.tickets }));
  await app.register(helpRoutes({ kb: services.kb }));
  await app.register(chatRoutes({ db: database.db, chat: services.chat, hub, presence, limits: opts.chatLimits }));
  await app.register(unsubscribeRoutes({ db: database.db, people: services.people, publicUrl: opts.publicUrl }));

  const webDir = opts.webDir ?? defaultWebDir;
  const hasConsole = fs.existsSync(path.join(webDir, 'index.html'));
  if (hasConsole) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/', wildcard: false, index: ['index.html'] });
  }
  app.setNotFoundHandler((req, reply) => {
    const url = req.url.split('?')[0] ?? '';
    if (url.startsWith('/api/') || req.method !== 'GET')
      return sendError(reply, 404, 'not_found', `No route ${req.method} ${url}`);
    if (!hasConsole)
      return reply
        .status(503)
        .type('text/html')
        .send(
          '<!doctype html><html><body><h1>Rapport</h1><p>The console is not built. Run <code>npm run build:web</code>.</p></body></html>',
        );
    // Client-side routes of the console all load the same page.
    return reply.type('text/html').sendFile('index.html');
  });

  return app;
}
