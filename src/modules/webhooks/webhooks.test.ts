import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { bearer, jsonCaller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace } from '../../../test/factories.ts';
import { eventCursors, jobs, webhookDeliveries } from '../../db/schema/index.ts';
import { newId } from '../../db/ids.ts';
import { defaultRetrySchedule, retryDelayMs, type RetrySchedule } from '../../domain/webhooks.ts';
import { backoffDelayMs, JobRunner } from '../../jobs/queue.ts';
import { fanOutEvents, SafeSeqTracker, webhookJobs, fanOutJobName } from './webhooks.delivery.ts';
import { enqueueJob } from '../../jobs/queue.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Received = { headers: http.IncomingHttpHeaders; body: string };
type Receiver = { url: string; received: Received[]; close(): Promise<void> };

/** A real HTTP receiver on the loopback interface. `respond` picks the status of the n-th request (0-based). */
async function startReceiver(respond: (n: number) => number = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = received.length;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = respond(n);
      res.end(res.statusCode < 300 ? 'thanks' : `no: ${'x'.repeat(3000)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/rapport`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port nobody listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** The verification of docs/webhooks.md, written out independently of the server's code. */
function verifyLikeTheDocs(secret: string, r: Received, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const timestamp = String(r.headers['rapport-timestamp']);
  const signature = String(r.headers['rapport-signature']);
  if (Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = 'v1=' + crypto.createHmac('sha256', secret).update(`${timestamp}.${r.body}`).digest('hex');
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

const fast: RetrySchedule = { baseMs: 20, maxMs: 80, minSpanMs: 2_000 };

// The receivers here listen on the loopback interface, which deliveries refuse by default (webhooks.network.ts).
vi.stubEnv('RAPPORT_WEBHOOK_PRIVATE_NETWORKS', 'allow');
afterAll(() => {
  vi.unstubAllEnvs();
});

describe.each(testEngines())('webhooks on %s', (engine) => {
  const ctx = useTestApp(engine);
  const receivers: Receiver[] = [];
  afterAll(async () => {
    for (const r of receivers) await r.close();
  });

  async function receiver(respond?: (n: number) => number): Promise<Receiver> {
    const r = await startReceiver(respond);
    receivers.push(r);
    return r;
  }

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, ws));
    const call = jsonCaller(ctx.app, h, '/api/v1');
    const addHook = async (url: string, eventTypes: string[]) => {
      const res = await call('POST', '/webhooks', { url, eventTypes, description: 'test' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return { id: String(res.body.id), secret: String(res.body.secret) };
    };
    return { ws, call, addHook };
  }

  /** A job runner with the webhook jobs; `tick()` runs every due job until none is left. */
  function runner(schedule: RetrySchedule = fast) {
    const r = new JobRunner(ctx.database.db, webhookJobs({ schedule }));
    return {
      async tick() {
        // A runner that was never started runs one batch per tick(): repeat until nothing is due.
        for (let i = 0; i < 50 && (await r.tick()) > 0; i++);
      },
    };
  }

  async function deliveriesOf(workspaceId: string) {
    return ctx.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.workspaceId, workspaceId));
  }

  it('manages endpoints: http(s) only, secrets shown on create, reveal and rotate only', async () => {
    const { call, addHook } = await setup();
    const ftp = await call('POST', '/webhooks', { url: 'ftp://example.com/x', eventTypes: ['*'] });
    expect(ftp.status).toBe(400);
    expect(JSON.stringify(ftp.body)).toMatch(/must be an http or https URL/);
    expect((await call('POST', '/webhooks', { url: 'file:///etc/passwd', eventTypes: ['*'] })).status).toBe(400);
    expect(
      (await call('POST', '/webhooks', { url: 'http://127.0.0.1:1/x', eventTypes: ['Person created'] })).status,
    ).toBe(400);
    expect((await call('POST', '/webhooks', { url: 'http://127.0.0.1:1/x', eventTypes: [] })).status).toBe(400);

    const hook = await addHook('http://127.0.0.1:1/x', ['person.*', 'company.created']);
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const got = await call('GET', `/webhooks/${hook.id}`);
    expect(got.body).toMatchObject({
      url: 'http://127.0.0.1:1/x',
      eventTypes: ['person.*', 'company.created'],
      active: true,
    });
    expect(got.body.secretHint).toBe(hook.secret.slice(-4));
    expect(JSON.stringify(got.body)).not.toContain(hook.secret);
    expect(JSON.stringify((await call('GET', '/webhooks')).body)).not.toContain(hook.secret);
    expect((await call('GET', `/webhooks/${hook.id}/secret`)).body).toEqual({ secret: hook.secret });

    const rotated = await call('POST', `/webhooks/${hook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect((await call('GET', `/webhooks/${hook.id}/secret`)).body).toEqual({ secret: rotated.body.secret });

    const patched = await call('PATCH', `/webhooks/${hook.id}`, { active: false, eventTypes: ['*'] });
    expect(patched.body).toMatchObject({ active: false, eventTypes: ['*'] });
    expect((await call('PATCH', `/webhooks/${hook.id}`, { url: 'gopher://x' })).status).toBe(400);

    const events = (await call('GET', `/events?subject_id=${hook.id}`)).body.data as Array<{ type: string }>;
    expect(events.map((e) => e.type)).toEqual(['webhook.updated', 'webhook.secret_rotated', 'webhook.created']);
    expect(JSON.stringify(events)).not.toContain(hook.secret);

    expect((await call('DELETE', `/webhooks/${hook.id}`)).status).toBe(204);
    expect((await call('GET', `/webhooks/${hook.id}`)).status).toBe(404);
    expect((await call('DELETE', `/webhooks/${hook.id}`)).status).toBe(404);
  });

  it('refuses internal network addresses unless the server allows them, on save and on every delivery', async () => {
    const { call, addHook } = await setup();
    // An "internal" service that must stay unreadable: the test endpoint would show its answer.
    const internal = await startReceiver();
    const hook = await addHook(internal.url, ['*']); // saved while private networks are allowed (this file's default)
    const byName = await addHook(internal.url.replace('127.0.0.1', 'localhost'), ['*']);
    vi.stubEnv('RAPPORT_WEBHOOK_PRIVATE_NETWORKS', 'deny');
    try {
      for (const url of [
        'http://127.0.0.1:8080/x',
        'http://localhost/x',
        'http://localhost./x',
        'http://api.localhost/x',
        'http://169.254.169.254/latest/meta-data/',
        'http://10.1.2.3/x',
        'http://192.168.0.10/x',
        'http://0.0.0.0:9/x',
        'http://2130706433/x', // 127.0.0.1 in decimal
        'http://[::1]:5432/',
        'http://[::ffff:127.0.0.1]/x',
        'http://[fd00::1]/x',
      ]) {
        const r = await call('POST', '/webhooks', { url, eventTypes: ['*'] });
        expect(r.status, url).toBe(400);
        expect(JSON.stringify(r.body), url).toMatch(/internal network address/);
      }
      expect((await call('PATCH', `/webhooks/${hook.id}`, { url: 'http://[::1]/x' })).status).toBe(400);
      expect((await call('POST', '/webhooks', { url: 'https://hooks.example.com/in', eventTypes: ['*'] })).status).toBe(
        201,
      );
      // Saved earlier: delivering is refused all the same, by address and by a name that resolves to one.
      for (const h of [hook, byName]) {
        const test = await call('POST', `/webhooks/${h.id}/test`);
        expect(test.status).toBe(200);
        expect(test.body.status).toBe('failed');
        expect(test.body.lastError).toMatch(/internal network address/);
        expect(JSON.stringify(test.body)).not.toContain('thanks');
      }
      expect(internal.received).toHaveLength(0);
    } finally {
      vi.stubEnv('RAPPORT_WEBHOOK_PRIVATE_NETWORKS', 'allow');
      await internal.close();
    }
  });

  it('refuses a URL with a user name or password (it could never be delivered, and would show the secret)', async () => {
    const { call } = await setup();
    const r = await call('POST', '/webhooks', { url: 'https://hook:s3cret@hooks.example.com/in', eventTypes: ['*'] });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/user name or password/);
    expect(JSON.stringify(r.body)).not.toContain('s3cret');
  });

  it('needs workspace:manage', async () => {
    const { ws } = await setup();
    const agent = await makeUser(ctx.services, ws, { role: 'agent' });
    const h = bearer(await makeApiKey(ctx.services, ws, { actor: agent.actor }));
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: h });
    expect(res.statusCode).toBe(403);
    const create = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: h,
      payload: { url: 'http://127.0.0.1:1/', eventTypes: ['*'] },
    });
    expect(create.statusCode).toBe(403);
  });

  it('delivers subscribed events, signed so that the documented verification accepts them', async () => {
    const { ws, call, addHook } = await setup();
    const rx = await receiver();
    const hook = await addHook(rx.url, ['person.*']);
    const person = await call('POST', '/people', { firstName: 'Ines', emails: ['ines@example.com'] });
    await call('POST', '/companies', { name: 'Not subscribed Ltd' });
    // Through the job, as the server runs it: the fan-out job creates the delivery, the same tick delivers it.
    await enqueueJob(ctx.database.db, ws.workspace.id, fanOutJobName, {});
    await runner().tick();
    expect(rx.received).toHaveLength(1);
    const r = rx.received[0] as Received;
    expect(verifyLikeTheDocs(hook.secret, r)).toBe(true);
    expect(verifyLikeTheDocs('whsec_wrong', r)).toBe(false);
    expect(verifyLikeTheDocs(hook.secret, { ...r, body: r.body.replace('Ines', 'Inez') })).toBe(false);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['user-agent']).toBe('Rapport-Webhooks/1');
    expect(r.headers['rapport-event']).toBe('person.created');
    const body = JSON.parse(r.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'person.created',
      workspaceId: ws.workspace.id,
      subject: { type: 'person', id: person.body.id },
      actor: { type: 'apikey' },
    });
    expect(Object.keys(body).sort()).toEqual(['actor', 'data', 'id', 'occurredAt', 'subject', 'type', 'workspaceId']);
    const [delivery] = await deliveriesOf(ws.workspace.id);
    expect(r.headers['rapport-delivery']).toBe(delivery?.id);
    expect(body.id).toBe(delivery?.eventId);
    expect(delivery).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      lastStatusCode: 200,
      responseExcerpt: 'thanks',
    });

    const log = await call('GET', `/webhooks/${hook.id}/deliveries`);
    expect(log.body.data).toMatchObject([{ id: delivery?.id, status: 'succeeded', eventType: 'person.created' }]);
    const detail = await call('GET', `/webhooks/${hook.id}/deliveries/${String(delivery?.id)}`);
    expect(detail.body).toMatchObject({
      request: { headers: { 'Rapport-Delivery': delivery?.id }, body: { type: 'person.created' } },
      attemptLog: [{ attempt: 1, trigger: 'automatic', statusCode: 200, succeeded: true }],
    });
    expect((await call('GET', `/webhooks/${hook.id}`)).body.stats).toMatchObject({
      pending: 0,
      failed: 0,
      lastDeliveryStatus: 'succeeded',
    });
  });

  it('retries a receiver that fails 3 times and delivers on the 4th try, keeping the delivery id', async () => {
    const { ws, call, addHook } = await setup();
    const rx = await receiver((n) => (n < 3 ? 500 : 204));
    const hook = await addHook(rx.url, ['person.created']);
    await call('POST', '/people', { firstName: 'Retry', emails: ['retry@example.com'] });
    // Retries a second apart: the first tick (which runs whatever falls due while it runs) ends long before the first
    // retry is due, even on a busy machine; at 150 ms a slow tick sometimes made the retry too.
    const slower: RetrySchedule = { baseMs: 1_000, maxMs: 1_000, minSpanMs: 10_000 };
    const r = runner(slower);
    await fanOutEvents(ctx.database.db, new SafeSeqTracker(), { schedule: slower });
    await r.tick();
    expect(rx.received).toHaveLength(1);
    const [pending] = await deliveriesOf(ws.workspace.id);
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500 });
    expect(pending?.lastError).toMatch(/HTTP 500/);
    expect(pending?.responseExcerpt?.length).toBeLessThanOrEqual(1025);
    expect(pending?.nextAttemptAt?.getTime()).toBeGreaterThanOrEqual((pending?.lastAttemptAt?.getTime() ?? 0) + 1_000);

    for (let i = 0; i < 300 && rx.received.length < 4; i++) {
      await sleep(50);
      await r.tick();
    }
    expect(rx.received.map((x) => x.headers['rapport-delivery'])).toEqual(Array(4).fill(pending?.id));
    for (const x of rx.received) expect(verifyLikeTheDocs(hook.secret, x)).toBe(true);
    expect(new Set(rx.received.map((x) => x.body)).size).toBe(1);
    const detail = await call('GET', `/webhooks/${hook.id}/deliveries/${String(pending?.id)}`);
    expect(detail.body).toMatchObject({ status: 'succeeded', attempts: 4, lastStatusCode: 204, lastError: null });
    expect((detail.body.attemptLog as Array<{ statusCode: number }>).map((a) => a.statusCode)).toEqual([
      500, 500, 500, 204,
    ]);
    // And nothing more is sent once it succeeded.
    await sleep(100);
    await r.tick();
    expect(rx.received).toHaveLength(4);
  });

  it('gives up after the schedule, shows the failure, and redelivers by hand with a fresh signature', async () => {
    const { ws, call, addHook } = await setup();
    let up = false;
    const rx = await receiver(() => (up ? 200 : 503));
    const hook = await addHook(rx.url, ['*']);
    await call('POST', '/people', { firstName: 'Down' });
    const short: RetrySchedule = { baseMs: 5, maxMs: 10, minSpanMs: 30 }; // waits 5, 10, 10, 10: five attempts
    const r = runner(short);
    await fanOutEvents(ctx.database.db, new SafeSeqTracker(), { schedule: short });
    for (let i = 0; i < 100; i++) {
      await r.tick();
      const [d] = await deliveriesOf(ws.workspace.id);
      if (d?.status === 'failed') break;
      await sleep(12);
    }
    const [failed] = await deliveriesOf(ws.workspace.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 5, lastStatusCode: 503, nextAttemptAt: null });
    const [job] = await ctx.database.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.workspaceId, ws.workspace.id), eq(jobs.singletonKey, String(failed?.id))));
    expect(job?.state).toBe('failed');
    expect((await call('GET', `/webhooks/${hook.id}`)).body.stats).toMatchObject({ failed: 1, pending: 0 });
    const onlyFailed = await call('GET', `/webhooks/${hook.id}/deliveries?filter=status:eq:failed`);
    expect((onlyFailed.body.data as unknown[]).length).toBe(1);
    expect(
      ((await call('GET', `/webhooks/${hook.id}/deliveries?filter=status:eq:succeeded`)).body.data as unknown[]).length,
    ).toBe(0);
    expect((await call('GET', `/webhooks/${hook.id}/deliveries?filter=status:eq:lost`)).status).toBe(400);

    up = true;
    await sleep(1100); // a new second, so the new timestamp differs
    const again = await call('POST', `/webhooks/${hook.id}/deliveries/${String(failed?.id)}/redeliver`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: failed?.id, status: 'succeeded', attempts: 6 });
    expect((again.body.attemptLog as Array<{ trigger: string }>).at(-1)).toMatchObject({
      trigger: 'manual',
      statusCode: 200,
    });
    const last = rx.received.at(-1) as Received;
    const first = rx.received[0] as Received;
    expect(last.headers['rapport-delivery']).toBe(failed?.id);
    expect(last.body).toBe(first.body);
    expect(last.headers['rapport-timestamp']).not.toBe(first.headers['rapport-timestamp']);
    expect(verifyLikeTheDocs(hook.secret, last)).toBe(true);
    const other = await addHook(rx.url, ['*']);
    expect((await call('POST', `/webhooks/${other.id}/deliveries/${String(failed?.id)}/redeliver`)).status).toBe(404);
    expect((await call('GET', `/webhooks/${other.id}/deliveries/${String(failed?.id)}`)).status).toBe(404);
  });

  it('never makes two deliveries of one event for one endpoint, even with two consumers at once', async () => {
    const { ws, call, addHook } = await setup();
    const rx1 = await receiver();
    const rx2 = await receiver();
    const h1 = await addHook(rx1.url, ['person.created']);
    const h2 = await addHook(rx2.url, ['person.*', 'company.*']);
    for (let i = 0; i < 12; i++) await call('POST', '/people', { firstName: `P${i}` });
    await call('POST', '/companies', { name: 'Acme' });
    // Two consumers (two processes: each its own marks), small batches so they interleave.
    // Each consumer holds back while the other's transaction is older than its mark (nothing is lost, only later):
    // on a loaded machine a pass of both may create nothing, so pairs of passes run until the events are through.
    let created = 0;
    for (let pass = 0; pass < 10 && created < 25; pass++) {
      const [a, b] = await Promise.all([
        fanOutEvents(ctx.database.db, new SafeSeqTracker(), { batchSize: 3 }),
        fanOutEvents(ctx.database.db, new SafeSeqTracker(), { batchSize: 3 }),
      ]);
      created += a.created + b.created;
    }
    expect(created).toBeGreaterThanOrEqual(25); // other tests' workspaces may have had events too
    await Promise.all([
      fanOutEvents(ctx.database.db, new SafeSeqTracker()),
      fanOutEvents(ctx.database.db, new SafeSeqTracker()),
    ]);
    const rows = await deliveriesOf(ws.workspace.id);
    expect(rows).toHaveLength(25);
    expect(new Set(rows.map((d) => `${d.endpointId}/${d.eventId}`)).size).toBe(25);
    expect(rows.filter((d) => d.endpointId === h1.id)).toHaveLength(12);
    expect(rows.filter((d) => d.endpointId === h2.id)).toHaveLength(13);
    // Two runners deliver them: each delivery arrives once, under its own id.
    await Promise.all([runner().tick(), runner().tick()]);
    for (const [rx, n] of [
      [rx1, 12],
      [rx2, 13],
    ] as const) {
      const ids = rx.received.map((x) => String(x.headers['rapport-delivery']));
      const eventIds = rx.received.map((x) => (JSON.parse(x.body) as { id: string }).id);
      expect(ids).toHaveLength(n);
      expect(new Set(ids).size).toBe(n);
      expect(new Set(eventIds).size).toBe(n);
    }
  });

  it('does not skip an event whose transaction commits after a later one was read', async () => {
    const { ws, call, addHook } = await setup();
    const rx = await receiver();
    await addHook(rx.url, ['*']);
    const cursor = async () =>
      (await ctx.database.db.select().from(eventCursors).where(eq(eventCursors.workspaceId, ws.workspace.id)))[0]
        ?.lastSeq ?? 0;
    if (engine === 'postgres') {
      const pool = ctx.database.pool;
      if (!pool) throw new Error('no pool');
      const slow = await pool.connect();
      try {
        // A transaction takes a seq and stays open; a later event commits with a higher seq meanwhile.
        await slow.query('begin');
        const held = await slow.query<{ seq: number }>(
          `insert into events (workspace_id, id, type, subject_type, subject_id, actor_type) values ($1, $2, 'person.slow', 'person', 'x', 'system') returning seq`,
          [ws.workspace.id, newId()],
        );
        await call('POST', '/people', { firstName: 'Quick' });
        await fanOutEvents(ctx.database.db, new SafeSeqTracker());
        expect(await cursor()).toBeLessThan(Number(held.rows[0]?.seq));
        expect(await deliveriesOf(ws.workspace.id)).toHaveLength(0);
        await slow.query('commit');
      } finally {
        slow.release();
      }
    } else {
      // One connection: transactions cannot overlap, so every event is committed before the fan-out reads.
      await call('POST', '/people', { firstName: 'Quick' });
    }
    const tracker = new SafeSeqTracker();
    await fanOutEvents(ctx.database.db, tracker);
    const types = (await deliveriesOf(ws.workspace.id)).map((d) => d.eventType).sort();
    expect(types).toEqual(engine === 'postgres' ? ['person.created', 'person.slow'] : ['person.created']);
    expect(await cursor()).toBeGreaterThan(0);
  });

  it('sends nothing to disabled endpoints, and test events only to the endpoint asked', async () => {
    const { ws, call, addHook } = await setup();
    const rx = await receiver();
    const rxOther = await receiver();
    const hook = await addHook(rx.url, ['*']);
    await addHook(rxOther.url, ['*']);
    await call('PATCH', `/webhooks/${hook.id}`, { active: false });
    await call('POST', '/people', { firstName: 'Quiet' });
    await fanOutEvents(ctx.database.db, new SafeSeqTracker());
    const rows = await deliveriesOf(ws.workspace.id);
    expect(rows.filter((d) => d.endpointId === hook.id)).toHaveLength(0);

    const test = await call('POST', `/webhooks/${hook.id}/test`);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ eventType: 'webhook.test', status: 'succeeded', attempts: 1 });
    expect(rx.received).toHaveLength(1);
    expect(JSON.parse((rx.received[0] as Received).body)).toMatchObject({ type: 'webhook.test' });
    const secret = String((await call('GET', `/webhooks/${hook.id}/secret`)).body.secret);
    expect(verifyLikeTheDocs(secret, rx.received[0] as Received)).toBe(true);
    await fanOutEvents(ctx.database.db, new SafeSeqTracker());
    await runner().tick();
    // The other endpoint (subscribed to *) got the workspace's events, and not the test.
    expect(rxOther.received.map((x) => x.headers['rapport-event']).sort()).toEqual([
      'person.created',
      'webhook.created',
      'webhook.updated',
    ]);

    const refused = await addHook(`http://127.0.0.1:${await closedPort()}/x`, ['*']);
    const failed = await call('POST', `/webhooks/${refused.id}/test`);
    expect(failed.body).toMatchObject({ status: 'failed', lastStatusCode: null });
    expect(String(failed.body.lastError)).toMatch(/ECONNREFUSED/);
  });

  it('pages the delivery log', async () => {
    const { call, addHook } = await setup();
    const rx = await receiver();
    const hook = await addHook(rx.url, ['*']);
    for (let i = 0; i < 3; i++) await call('POST', `/webhooks/${hook.id}/test`);
    const first = await call('GET', `/webhooks/${hook.id}/deliveries?limit=2`);
    const page = first.body.page as { nextCursor: string | null };
    expect((first.body.data as unknown[]).length).toBe(2);
    expect(page.nextCursor).not.toBeNull();
    const second = await call('GET', `/webhooks/${hook.id}/deliveries?limit=2&cursor=${String(page.nextCursor)}`);
    expect((second.body.data as unknown[]).length).toBe(1);
    const ids = [...(first.body.data as Array<{ id: string }>), ...(second.body.data as Array<{ id: string }>)].map(
      (d) => d.id,
    );
    expect(new Set(ids).size).toBe(3);
  });

  it('uses the job runner backoff formula for its retry schedule', () => {
    for (let a = 1; a <= 25; a++)
      expect(retryDelayMs(a)).toBe(
        backoffDelayMs(a, { baseMs: defaultRetrySchedule.baseMs, maxMs: defaultRetrySchedule.maxMs }),
      );
  });
});
