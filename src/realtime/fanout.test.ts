import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../../test/db.ts';
import { makeUser, makeWorkspace, testPassword } from '../../test/factories.ts';
import { openSocket, type TestSocket } from '../../test/ws.ts';
import { createDb, type Database } from '../db/client.ts';
import { buildApp } from '../http/app.ts';
import { sessionCookieName } from '../modules/auth/auth.service.ts';
import { createServices, type Services } from '../services.ts';
import { insertTogether } from '../db/insert-together.ts';
import { events } from '../db/schema/index.ts';
import { createRealtimeBus, maxNoticeBytes, type RealtimeEvent } from './bus.ts';
import { isOnline } from './presence.ts';

const noPostgres = !testEngines().includes('postgres');
if (noPostgres) console.warn('Chat fan-out test skipped: set TEST_DATABASE_URL to run two instances on PostgreSQL.');

type Instance = { database: Database; services: Services; app: FastifyInstance; base: string };

/**
 * Two server instances on one PostgreSQL database, each with its own pool and LISTEN connection: a visitor on
 * instance A, an agent on instance B. Everything the one does reaches the other through NOTIFY.
 */
describe.skipIf(noPostgres)('chat fan-out across two instances (postgres)', () => {
  let shared: Database;
  let second: Database;
  let a: Instance;
  let b: Instance;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-fanout-'));
  const sockets: TestSocket[] = [];
  const more: Instance[] = [];

  async function instance(database: Database): Promise<Instance> {
    const services = createServices(database.db, { dataDir, realtime: createRealtimeBus(database) });
    const app = await buildApp({ database, services, webDir: '/nonexistent', secureCookies: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { database, services, app, base: `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
  }

  beforeAll(async () => {
    shared = await createTestDatabase('postgres');
    const url = (shared.pool?.options as { connectionString?: string } | undefined)?.connectionString;
    if (!url) throw new Error('no connection string');
    second = await createDb({ databaseUrl: url, poolSize: 3 });
    a = await instance(shared);
    b = await instance(second);
  });

  afterAll(async () => {
    for (const s of sockets) await s.close();
    for (const i of [a, b, ...more]) {
      await i?.app.close();
      await i?.services.realtime.close();
    }
    await second?.close();
    await shared?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a visitor on A and an agent on B talk in real time', async () => {
    const ws = await makeWorkspace(a.services);
    const agentUser = await makeUser(a.services, ws, { role: 'agent' });
    const channel = await a.services.channels.create(ws.ownerActor, { kind: 'chat', name: 'Site' });

    const { token } = await b.services.auth.login({ email: agentUser.user.email, password: testPassword });
    const cookie = `${sessionCookieName}=${token}`;
    const inbox = await openSocket(`${b.base}/api/v1/inbox/ws`, { cookie });
    sockets.push(inbox);
    await inbox.next('ready');

    const visitor = await openSocket(`${a.base}/chat/ws?channel=${channel.id}`);
    sockets.push(visitor);
    visitor.send({ type: 'hello', visitorId: 'fanout-visitor-0001' });
    // The agent is connected to B only; A knows it from the shared presence table.
    expect(await visitor.next('ready')).toMatchObject({ agentsOnline: true });

    visitor.send({ type: 'message', text: 'Hello from instance A' });
    const sent = await visitor.next('sent');
    const arrived = await inbox.next((f) => f.type === 'message' && f.conversationId === sent.conversationId);
    const ticketId = arrived.ticketId as string;

    visitor.send({ type: 'typing', on: true });
    expect(await inbox.next('typing')).toMatchObject({ ticketId, on: true });
    inbox.send({ type: 'typing', ticketId, on: true });
    expect(await visitor.next('typing')).toEqual({ type: 'typing', on: true });

    // The reply goes through B's API; the visitor, connected to A, is online for B, so it is not sent by e-mail.
    const reply = await b.app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${ticketId}/replies`,
      headers: { cookie },
      payload: { text: 'Hello from instance B' },
    });
    expect(reply.statusCode).toBe(201);
    expect(reply.json().delivery).toBe('sent');
    const got = await visitor.next((f) => f.type === 'message' && (f.message as { from: string }).from === 'agent');
    expect(got.message).toMatchObject({ text: 'Hello from instance B', author: agentUser.user.name.split(/\s+/)[0] });

    // A reply too long to travel in the notice: the visitor's instance reads it back.
    const long = `Here is everything: ${'ünïcode '.repeat(1_200)}`.trim();
    expect(Buffer.byteLength(long)).toBeGreaterThan(maxNoticeBytes);
    const longReply = await b.app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${ticketId}/replies`,
      headers: { cookie },
      payload: { text: long },
    });
    expect(longReply.statusCode).toBe(201);
    const gotLong = await visitor.next(
      (f) => f.type === 'message' && (f.message as { text: string }).text.startsWith('Here is everything'),
    );
    expect(gotLong.message).toMatchObject({ text: long, author: agentUser.user.name.split(/\s+/)[0] });

    // The agent leaves B: the visitor on A is told nobody is online.
    await inbox.close();
    expect(await visitor.next((f) => f.type === 'agents' && f.online === false)).toBeDefined();
  });

  it("an inbox socket closed before it was ready leaves the agent's other socket online", async () => {
    // A new instance, its LISTEN connection not up yet; the console's first socket closes at once (the inbox page
    // mounting twice) and a second replaces it. The first socket's close must not take away the second's presence.
    const c = await instance(second);
    more.push(c);
    const ws = await makeWorkspace(a.services);
    const agentUser = await makeUser(a.services, ws, { role: 'agent' });
    const { token } = await c.services.auth.login({ email: agentUser.user.email, password: testPassword });
    const cookie = `${sessionCookieName}=${token}`;
    const early = await openSocket(`${c.base}/api/v1/inbox/ws`, { cookie });
    const kept = await openSocket(`${c.base}/api/v1/inbox/ws`, { cookie });
    sockets.push(kept);
    await early.close();
    await kept.next('ready');
    const online = () => isOnline(shared.db, ws.workspace.id, 'agent', agentUser.user.id);
    // The early socket's close is handled after its start gave up: time for it, then the agent is still online.
    await new Promise((r) => setTimeout(r, 500));
    expect(await online()).toBe(true);
    await kept.close();
    await expect.poll(online, { timeout: 5000 }).toBe(false);
  });

  it('a notice sent with a write (atCommit) arrives when its transaction commits, never after a rollback', async () => {
    const bus = createRealtimeBus(second);
    const got: RealtimeEvent[] = [];
    const unsubscribe = await bus.subscribe((e) => got.push(e));
    try {
      const atCommit = bus.atCommit;
      if (!atCommit) throw new Error('the PostgreSQL bus sends notices at commit');
      const ws = (await makeWorkspace(a.services)).workspace.id;
      const notice = (n: string): RealtimeEvent => ({ kind: 'ticket', workspaceId: ws, ticketId: n });
      const write = (n: string) =>
        insertTogether(second.db, [{ table: events, rows: [] }] as const, { also: [atCommit(notice(n))] });
      await shared.db
        .transaction(async (tx) => {
          await insertTogether(tx, [{ table: events, rows: [] }] as const, { also: [atCommit(notice('rolled-back'))] });
          throw new Error('rollback');
        })
        .catch(() => undefined);
      await write('committed');
      await expect
        .poll(() => got.map((e) => (e.kind === 'ticket' ? e.ticketId : '')), { timeout: 5000 })
        .toContain('committed');
      await new Promise((r) => setTimeout(r, 300));
      expect(got.map((e) => (e.kind === 'ticket' ? e.ticketId : ''))).toEqual(['committed']);
    } finally {
      unsubscribe();
      await bus.close();
    }
  });
});
