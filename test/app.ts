import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { Database, Engine } from '../src/db/client.ts';
import { signWebhook } from '../src/domain/webhooks.ts';
import { buildApp } from '../src/http/app.ts';
import { createServices, type Services } from '../src/services.ts';
import { createRealtimeBus } from '../src/realtime/bus.ts';
import { createTestDatabase } from './db.ts';

export type TestContext = { database: Database; services: Services; app: FastifyInstance; dataDir: string };

/**
 * One database and one app per describe block (per engine). Tests isolate themselves by making their own
 * workspaces, so they can share it.
 */
export function useTestApp(engine: Engine, opts: { webDir?: string } = {}): TestContext {
  const ctx = {} as TestContext;
  beforeAll(async () => {
    ctx.database = await createTestDatabase(engine);
    // Files (uploads, attachments) go to a directory of this test's own, removed afterwards.
    ctx.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-test-'));
    ctx.services = createServices(ctx.database.db, {
      dataDir: ctx.dataDir,
      realtime: createRealtimeBus(ctx.database),
    });
    ctx.app = await buildApp({
      database: ctx.database,
      services: ctx.services,
      webDir: opts.webDir ?? '/nonexistent',
      secureCookies: false,
    });
    await ctx.app.ready();
  });
  afterAll(async () => {
    await ctx.app?.close();
    await ctx.services?.realtime.close();
    await ctx.database?.close();
    if (ctx.dataDir) fs.rmSync(ctx.dataDir, { recursive: true, force: true });
  });
  return ctx;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * A request function with the same headers every time (and `base` before every url, e.g. '/api/v1'); the payload,
 * when given, is sent as JSON. Answers the raw response.
 */
export function caller(app: FastifyInstance, headers: Record<string, string>, base = '') {
  return (method: Method, url: string, payload?: object) =>
    app.inject({ method, url: base + url, headers, ...(payload === undefined ? {} : { payload }) });
}

/** As `caller`, answering the status and the parsed JSON body (`{}` when the body is empty). */
export function jsonCaller<B = Record<string, unknown>>(
  app: FastifyInstance,
  headers: Record<string, string>,
  base = '',
) {
  const call = caller(app, headers, base);
  return async (method: Method, url: string, payload?: object) => {
    const res = await call(method, url, payload);
    return { status: res.statusCode, body: (res.body ? res.json() : {}) as B };
  };
}

/**
 * POST /inbound/:channelId as an API channel's integration sends it: the JSON body signed with `secret` at `ts` (now
 * by default); `alter` changes the signature before it is sent (a forged one).
 */
export function sendInbound(
  app: FastifyInstance,
  channelId: string,
  secret: string,
  body: object,
  opts: { ts?: number; alter?: (signature: string) => string } = {},
) {
  const raw = JSON.stringify(body);
  const ts = opts.ts ?? Math.floor(Date.now() / 1000);
  const signature = signWebhook(secret, ts, raw);
  return app.inject({
    method: 'POST',
    url: `/inbound/${channelId}`,
    headers: {
      'content-type': 'application/json',
      'rapport-timestamp': String(ts),
      'rapport-signature': opts.alter ? opts.alter(signature) : signature,
    },
    payload: raw,
  });
}
