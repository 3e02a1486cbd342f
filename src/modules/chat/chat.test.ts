import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { createTestDatabase, testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace, testPassword, type TestWorkspace } from '../../../test/factories.ts';
import { openSocket, type Frame, type TestSocket } from '../../../test/ws.ts';
import { rowsOf, type Database } from '../../db/client.ts';
import { buildApp } from '../../http/app.ts';
import { createServices } from '../../services.ts';
import { sessionCookieName } from '../auth/auth.service.ts';
import { userHashOf } from './chat.service.ts';

const visitorId = () => crypto.randomBytes(16).toString('hex');

describe.each(testEngines())('live chat over WebSocket (%s)', (engine) => {
  const ctx = useTestApp(engine);
  let base: string;
  let ws: TestWorkspace;
  let key: string;
  let channel: { id: string; secret: string };
  const open: TestSocket[] = [];

  async function visitor(channelId = channel.id): Promise<TestSocket> {
    const s = await openSocket(`${base.replace('http', 'ws')}/chat/ws?channel=${channelId}`);
    open.push(s);
    return s;
  }

  async function agent(email: string): Promise<TestSocket> {
    const { token } = await ctx.services.auth.login({ email, password: testPassword });
    const s = await openSocket(`${base.replace('http', 'ws')}/api/v1/inbox/ws`, {
      cookie: `${sessionCookieName}=${token}`,
    });
    open.push(s);
    await s.next('ready');
    return s;
  }

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, token = key) =>
    ctx.app.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload }) });

  async function hello(s: TestSocket, extra: Record<string, unknown> = {}, id = visitorId()): Promise<Frame> {
    s.send({ type: 'hello', visitorId: id, ...extra });
    return s.next((f) => f.type === 'ready' || f.type === 'error');
  }

  async function ticket(id: string) {
    const res = await api('GET', `/api/v1/tickets/${id}`);
    expect(res.statusCode).toBe(200);
    return res.json<{
      personId: string | null;
      channel: string;
      messages: Array<{ id: string; direction: string; delivery: string; bodyText: string }>;
    }>();
  }

  beforeAll(async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
    ws = await makeWorkspace(ctx.services);
    key = await makeApiKey(ctx.services, ws);
    const res = await api('POST', '/api/v1/channels', { kind: 'chat', name: 'Website chat' });
    expect(res.statusCode).toBe(201);
    channel = res.json();
  });

  afterAll(async () => {
    for (const s of open) await s.close();
  });

  it('serves the widget as one small script that other sites may load', async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/widget.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.body).toContain('attachShadow');
    expect(res.body.length).toBeLessThan(20_000);
  });

  it('hello gives the history; messages open one ticket that the next session continues', async () => {
    const id = visitorId();
    const s = await visitor();
    const ready = await hello(s, { name: 'Ana' }, id);
    expect(ready).toMatchObject({ type: 'ready', conversationId: null, messages: [], agentsOnline: false });
    s.send({ type: 'message', text: 'Do you ship to Portugal?', clientId: 'c1' });
    const sent = await s.next('sent');
    expect(sent).toMatchObject({ clientId: 'c1', message: { from: 'visitor', text: 'Do you ship to Portugal?' } });
    s.send({ type: 'message', text: 'To Porto, exactly.' });
    await s.next('sent');
    await s.close();

    const again = await visitor();
    const back = await hello(again, {}, id);
    expect((back.messages as Array<{ text: string }>).map((m) => m.text)).toEqual([
      'Do you ship to Portugal?',
      'To Porto, exactly.',
    ]);
    const list = await api('GET', '/api/v1/tickets?limit=50&filter=channel:eq:chat');
    const mine = list.json<{ data: Array<{ id: string; subject: string }> }>().data;
    const t = mine.find((x) => x.subject.startsWith('Do you ship'));
    expect(t).toBeDefined();
    const detail = await ticket(t?.id ?? '');
    expect(detail.channel).toBe('chat');
    expect(detail.messages.map((m) => m.direction)).toEqual(['inbound', 'inbound']);

    // Another visitor id is another conversation: nothing of Ana's shows.
    const other = await visitor();
    expect((await hello(other)).messages).toEqual([]);
  });

  it("a signed customer is recognised, and the chat lands on that person's timeline", async () => {
    const p = await api('POST', '/api/v1/people', {
      firstName: 'Ines',
      lastName: 'Costa',
      emails: ['ines@example.pt'],
      externalId: 'cust-42',
    });
    expect(p.statusCode).toBe(201);
    const personId: string = p.json().id;
    const s = await visitor();
    const ready = await hello(s, { userId: 'cust-42', userHash: userHashOf(channel.secret, 'cust-42') });
    expect(ready).toMatchObject({ type: 'ready', verified: true, email: 'ines@example.pt' });
    s.send({ type: 'message', text: 'Where is my order 7781?' });
    const sent = await s.next('sent');
    const tl = await api('GET', `/api/v1/people/${personId}/timeline?limit=50`);
    const events = tl.json<{ data: Array<{ type: string; payload: Record<string, unknown> }> }>().data;
    const received = events.find((e) => e.type === 'ticket.message_received');
    expect(received?.payload.conversationId).toBe(sent.conversationId);
  });

  it('refuses a wrong user hash, and unsigned identities cannot borrow a signed thread', async () => {
    const s = await visitor();
    const refused = await hello(s, { userId: 'cust-42', userHash: userHashOf('not-the-secret', 'cust-42') });
    expect(refused).toMatchObject({ type: 'error', code: 'unauthenticated' });
    expect(await s.closed).toBe(4401);
  });

  it('answers bad frames with an error frame and keeps the socket working', async () => {
    const s = await visitor();
    s.sendRaw('not json');
    expect(await s.next('error')).toMatchObject({ code: 'bad_frame' });
    s.send({ type: 'message', text: 'before hello' });
    expect(await s.next('error')).toMatchObject({ code: 'hello_first' });
    s.send({ type: 'launch', target: 'moon' });
    expect(await s.next('error')).toMatchObject({ code: 'validation_failed' });
    s.send({ type: 'hello', visitorId: 'short' });
    expect(await s.next('error')).toMatchObject({ code: 'validation_failed' });
    s.send({ type: 'message', text: '' });
    expect(await s.next('error')).toMatchObject({ code: 'validation_failed' });
    expect((await hello(s)).type).toBe('ready');
    s.send({ type: 'email', email: 'not an address' });
    expect(await s.next('error')).toMatchObject({ code: 'validation_failed' });
    s.send({ type: 'message', text: 'still here' });
    expect(await s.next('sent')).toMatchObject({ message: { text: 'still here' } });
  });

  it('closes a socket that sends a frame over the size limit, and rate-limits messages', async () => {
    const big = await visitor();
    big.send({ type: 'message', text: 'x'.repeat(20_000) });
    expect(await big.closed).toBe(1009);

    const s = await visitor();
    await hello(s);
    for (let i = 0; i < 25; i++) s.send({ type: 'message', text: `spam ${i}` });
    const limited = await s.next((f) => f.type === 'error' && f.code === 'rate_limited');
    expect(limited).toBeDefined();
    s.send({ type: 'typing', on: false });
    // Wait for every frame to be answered: sent frames plus refusals add up to the 25 sent.
    await expect.poll(() => s.frames.filter((f) => f.type === 'sent' || f.code === 'rate_limited').length).toBe(25);
    expect(s.frames.filter((f) => f.type === 'sent').length).toBeLessThan(25);
  });

  it('agents see the chat live and answer; the visitor gets replies, typing and read states, never notes', async () => {
    const a = await makeUser(ctx.services, ws, { role: 'agent' });
    const inbox = await agent(a.user.email);
    const s = await visitor();
    expect(await hello(s)).toMatchObject({ agentsOnline: true });
    s.send({ type: 'message', text: 'Is the blue mug back in stock?' });
    const sent = await s.next('sent');
    const seen = await inbox.next((f) => f.type === 'message' && f.conversationId === sent.conversationId);
    const ticketId = seen.ticketId as string;

    s.send({ type: 'typing', on: true });
    expect(await inbox.next('typing')).toMatchObject({ ticketId, on: true });
    s.send({ type: 'read', messageId: (sent.message as { id: string }).id });
    expect(await inbox.next('read')).toMatchObject({ ticketId });

    inbox.send({ type: 'typing', ticketId, on: true });
    expect(await s.next('typing')).toEqual({ type: 'typing', on: true });

    const { token } = await ctx.services.auth.login({ email: a.user.email, password: testPassword });
    const cookie = { cookie: `${sessionCookieName}=${token}` };
    const note = await ctx.app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${ticketId}/replies`,
      headers: cookie,
      payload: { text: 'Internal: check the warehouse', internal: true },
    });
    expect(note.statusCode).toBe(201);
    const reply = await ctx.app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${ticketId}/replies`,
      headers: cookie,
      payload: { text: 'Yes, since Monday!' },
    });
    expect(reply.statusCode).toBe(201);
    expect(reply.json().delivery).toBe('sent');
    const got = await s.next((f) => f.type === 'message' && (f.message as { from: string }).from === 'agent');
    // The agent is named to the visitor by their first name.
    expect(got.message).toMatchObject({
      from: 'agent',
      text: 'Yes, since Monday!',
      author: a.user.name.split(/\s+/)[0],
    });
    expect(s.frames.some((f) => JSON.stringify(f).includes('Internal: check'))).toBe(false);

    inbox.send({ type: 'read', ticketId, messageId: (sent.message as { id: string }).id });
    expect(await s.next('read')).toMatchObject({ messageId: (sent.message as { id: string }).id });
    await inbox.close();
    expect(await s.next((f) => f.type === 'agents' && f.online === false)).toBeDefined();
  });

  it('offline: the visitor leaves an e-mail, and replies after they left go by e-mail', async () => {
    const s = await visitor();
    expect(await hello(s, { name: 'Rui' })).toMatchObject({ agentsOnline: false });
    s.send({ type: 'message', text: 'Can I change my delivery address?' });
    const sent = await s.next('sent');
    s.send({ type: 'email', email: 'Rui@Example.pt' });
    expect(await s.next('email_saved')).toMatchObject({ email: 'rui@example.pt' });
    const ticketId = (await api('GET', '/api/v1/tickets?limit=50&filter=channel:eq:chat'))
      .json<{ data: Array<{ id: string; subject: string; personId: string | null }> }>()
      .data.find((t) => t.subject.startsWith('Can I change'));
    expect(ticketId?.personId).toBeTruthy();
    const person = await api('GET', `/api/v1/people/${ticketId?.personId}`);
    expect(person.json().emails).toEqual(['rui@example.pt']);

    // While the visitor is connected a reply goes over the socket.
    const live = await api('POST', `/api/v1/tickets/${ticketId?.id}/replies`, { text: 'Yes — which one?' });
    expect(live.json().delivery).toBe('sent');
    await s.next('message');
    const presence = async () =>
      rowsOf<{ n: number }>(
        await ctx.database.db.execute(
          sql`select count(*)::int as n from realtime_presence
              where workspace_id = ${ws.workspace.id} and kind = 'visitor' and key = ${String(sent.conversationId)}`,
        ),
      )[0]?.n;
    expect(await presence()).toBe(1);
    await s.close();
    // The server forgets the visitor once it has seen the socket close, a moment after the client has.
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = (await presence()) === 0;
      if (!gone) await new Promise((r) => setTimeout(r, 20));
    }
    expect(gone).toBe(true);

    // After they left it goes by e-mail: queued with a delivery job.
    const later = await api('POST', `/api/v1/tickets/${ticketId?.id}/replies`, { text: 'Done, changed it.' });
    expect(later.statusCode).toBe(201);
    expect(later.json().delivery).toBe('queued');
    const jobs = rowsOf<{ payload: { messageId: string } }>(
      await ctx.database.db.execute(
        sql`select payload from jobs where workspace_id = ${ws.workspace.id} and name = 'tickets.deliver_email'`,
      ),
    );
    expect(jobs.map((j) => j.payload.messageId)).toContain(later.json().id);
    expect(sent.conversationId).toBeTruthy();
  });

  it('an unverified visitor never adds an address to a customer who has one', async () => {
    const bob = await api('POST', '/api/v1/people', { firstName: 'Bob', emails: ['bob@cust.example'] });
    const s = await visitor();
    // Claims to be Bob (no user hash), then leaves another address.
    await hello(s, { email: 'bob@cust.example', name: 'Not Bob' });
    s.send({ type: 'message', text: 'Please send my invoices elsewhere' });
    await s.next('sent');
    s.send({ type: 'email', email: 'Mallory@Evil.example' });
    expect(await s.next('email_saved')).toMatchObject({ email: 'mallory@evil.example' });
    expect((await api('GET', `/api/v1/people/${String(bob.json().id)}`)).json().emails).toEqual(['bob@cust.example']);
    // The conversation went to the address's own (new) customer: replies by e-mail reach whoever typed it, not Bob.
    const ticket = (await api('GET', '/api/v1/tickets?limit=50&filter=channel:eq:chat'))
      .json<{ data: Array<{ subject: string; personId: string | null }> }>()
      .data.find((t) => t.subject.startsWith('Please send my invoices'));
    expect(ticket?.personId).not.toBe(bob.json().id);
    const other = await api('GET', `/api/v1/people/${String(ticket?.personId)}`);
    expect(other.json().emails).toEqual(['mallory@evil.example']);
    await s.close();
  });

  it("a socket of workspace A's channel never sees or writes workspace B's conversations", async () => {
    const b = await makeWorkspace(ctx.services);
    const bKey = await makeApiKey(ctx.services, b);
    const bChannel = (await api('POST', '/api/v1/channels', { kind: 'chat', name: 'B chat' }, bKey)).json<{
      id: string;
    }>();
    const shared = visitorId();
    const bVisitor = await visitor(bChannel.id);
    await hello(bVisitor, {}, shared);
    bVisitor.send({ type: 'message', text: 'B secret message' });
    const bSent = await bVisitor.next('sent');

    const aAgent = await agent(ws.owner.email);
    const aVisitor = await visitor();
    const aReady = await hello(aVisitor, {}, shared);
    expect(aReady.messages).toEqual([]);
    expect(aReady.conversationId).toBeNull();
    aVisitor.send({ type: 'message', text: 'A hello' });
    const aSent = await aVisitor.next('sent');
    expect(aSent.conversationId).not.toBe(bSent.conversationId);

    // B's activity after A's socket opened: B's agent replies; then A's visitor writes again.
    const bTickets = (await api('GET', '/api/v1/tickets?limit=5', undefined, bKey)).json<{
      data: Array<{ id: string }>;
    }>().data;
    const bReply = await api('POST', `/api/v1/tickets/${bTickets[0]?.id}/replies`, { text: 'B answer' }, bKey);
    expect(bReply.statusCode).toBe(201);
    await bVisitor.next('message');
    aVisitor.send({ type: 'message', text: 'A again' });
    await aVisitor.next('sent');
    await aAgent.next((f) => f.type === 'message' && f.conversationId === aSent.conversationId);
    await aAgent.next((f) => f.type === 'message' && f.conversationId === aSent.conversationId);
    const leaked = [...aAgent.frames, ...aVisitor.frames].filter((f) =>
      [bSent.conversationId, bTickets[0]?.id].some((x) => JSON.stringify(f).includes(String(x))),
    );
    expect(leaked).toEqual([]);
    expect(JSON.stringify(aVisitor.frames)).not.toContain('B answer');

    // A's agent cannot type into B's ticket.
    aAgent.send({ type: 'typing', ticketId: bTickets[0]?.id, on: true });
    expect(await aAgent.next('error')).toMatchObject({ code: 'not_found' });
  });

  it('refuses the inbox socket without a session, and a visitor socket of an unknown channel', async () => {
    await expect(openSocket(`${base.replace('http', 'ws')}/api/v1/inbox/ws`)).rejects.toMatchObject({
      statusCode: 401,
    });
    const s = await visitor(crypto.randomUUID());
    expect(await s.next('error')).toMatchObject({ code: 'not_found' });
    expect(await s.closed).toBe(4404);
  });
});

describe('visitor connection rate limit', () => {
  let database: Database;
  let app: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    app = await buildApp({
      database,
      services: createServices(database.db),
      webDir: '/nonexistent',
      chatLimits: { connectionsPerMinute: 3 },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('refuses new sockets from one address over the limit with 429', async () => {
    const url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/chat/ws?channel=${crypto.randomUUID()}`;
    const sockets: TestSocket[] = [];
    for (let i = 0; i < 3; i++) sockets.push(await openSocket(url));
    await expect(openSocket(url)).rejects.toMatchObject({ statusCode: 429 });
    for (const s of sockets) await s.close();
  });
});
