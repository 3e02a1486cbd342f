import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRestartableDatabase, createTestDatabase, testEngines } from '../../test/db.ts';
import type { Database } from '../db/client.ts';
import { runMigrations } from '../db/migrate.ts';
import { newId } from '../db/ids.ts';
import { jobSchedules, jobs } from '../db/schema/index.ts';
import { backoffDelayMs, defineJob, enqueueJob, JobRunner, scheduleJob } from './queue.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('backoffDelayMs', () => {
  it('doubles from the base and stops at the cap', () => {
    const b = { baseMs: 1000, maxMs: 5000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, b))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
});

describe.each(testEngines())('job queue on %s', (engine) => {
  let d: Database;
  const ws = newId();
  beforeAll(async () => {
    d = await createTestDatabase(engine);
  });
  afterAll(async () => d?.close());

  async function jobRow(id: string) {
    const [r] = await d.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.workspaceId, ws), eq(jobs.id, id)));
    return r;
  }

  it('retries a failing job with backoff until it succeeds', async () => {
    const seen: number[] = [];
    const flaky = defineJob({
      name: 'test.flaky',
      payload: z.object({ n: z.number() }),
      backoff: { baseMs: 60_000, maxMs: 10 * 60_000 },
      handler: async (p, ctx) => {
        seen.push(ctx.attempt);
        if (ctx.attempt < 3) throw new Error(`boom ${p.n}`);
      },
    });
    const runner = new JobRunner(d.db, [flaky]);
    const id = (await enqueueJob(d.db, ws, 'test.flaky', { n: 7 })) as string;
    expect(id).not.toBeNull();
    // Time passing is simulated by moving run_at, so the test does not depend on how busy the machine is.
    const makeDue = () =>
      d.db
        .update(jobs)
        .set({ runAt: new Date(Date.now() - 1) })
        .where(and(eq(jobs.workspaceId, ws), eq(jobs.id, id)));

    let before = Date.now();
    await runner.tick();
    const afterFirst = await jobRow(id);
    expect(afterFirst?.state).toBe('queued');
    expect(afterFirst?.lastError).toBe('boom 7');
    const firstDelay = (afterFirst?.runAt.getTime() ?? 0) - before;
    expect(firstDelay).toBeGreaterThan(55_000);
    expect(firstDelay).toBeLessThan(65_000 + (Date.now() - before));
    await runner.tick(); // not due yet: nothing runs
    expect(seen).toEqual([1]);

    await makeDue();
    before = Date.now();
    await runner.tick();
    const afterSecond = await jobRow(id);
    const secondDelay = (afterSecond?.runAt.getTime() ?? 0) - before;
    expect(secondDelay).toBeGreaterThan(115_000); // doubled
    expect(seen).toEqual([1, 2]);

    await makeDue();
    await runner.tick();
    expect(await jobRow(id)).toMatchObject({ state: 'succeeded', attempts: 3, lastError: null });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('gives up after maxAttempts, and fails at once on a payload that does not fit', async () => {
    const broken = defineJob({
      name: 'test.broken',
      payload: z.object({ n: z.number() }),
      maxAttempts: 2,
      backoff: { baseMs: 1, maxMs: 1 },
      handler: async () => {
        throw new Error('always');
      },
    });
    const runner = new JobRunner(d.db, [broken]);
    const a = (await enqueueJob(d.db, ws, 'test.broken', { n: 1 })) as string;
    const b = (await enqueueJob(d.db, ws, 'test.broken', { n: 'not a number' })) as string;
    const c = (await enqueueJob(d.db, ws, 'test.unknown', {})) as string;
    for (let i = 0; i < 5; i++) {
      await runner.tick();
      await sleep(5);
    }
    expect(await jobRow(a)).toMatchObject({ state: 'failed', attempts: 2, lastError: 'always' });
    expect(await jobRow(b)).toMatchObject({ state: 'failed', attempts: 1 });
    expect((await jobRow(b))?.lastError).toMatch(/invalid payload/);
    expect((await jobRow(c))?.lastError).toMatch(/no job is defined/);
  });

  it('enqueues inside the caller’s transaction: a rollback leaves no job', async () => {
    const before = await d.db.select({ n: sql<number>`count(*)::int` }).from(jobs);
    await expect(
      d.db.transaction(async (tx) => {
        await enqueueJob(tx, ws, 'test.noop', {});
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const after = await d.db.select({ n: sql<number>`count(*)::int` }).from(jobs);
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('keeps one queued job per singleton key', async () => {
    const first = await enqueueJob(d.db, ws, 'test.single', {}, { singletonKey: 'k' });
    const second = await enqueueJob(d.db, ws, 'test.single', {}, { singletonKey: 'k' });
    expect(first).not.toBeNull();
    expect(second).toBeNull();
  });

  it('takes back a job whose worker died (lock expired)', async () => {
    let ran = 0;
    const job = defineJob({ name: 'test.orphan', payload: z.object({}), handler: async () => void ran++ });
    const id = newId();
    await d.db.insert(jobs).values({
      workspaceId: ws,
      id,
      name: 'test.orphan',
      payload: {},
      state: 'running',
      attempts: 1,
      lockedBy: 'dead-worker',
      lockedUntil: new Date(Date.now() - 1000),
    });
    await new JobRunner(d.db, [job]).tick();
    expect(ran).toBe(1);
    expect(await jobRow(id)).toMatchObject({ state: 'succeeded', attempts: 2 });
  });

  it('fires a cron schedule once per slot, even with two runners', async () => {
    let ran = 0;
    const job = defineJob({ name: 'test.cron', payload: z.object({ x: z.number() }), handler: async () => void ran++ });
    const next = await scheduleJob(d.db, ws, 'test.cron', '*/5 * * * *', { x: 1 }, 'Europe/Paris');
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getUTCMinutes() % 5).toBe(0);
    await expect(scheduleJob(d.db, ws, 'test.bad', 'not a cron', {})).rejects.toThrow();
    // Make it due now.
    await d.db
      .update(jobSchedules)
      .set({ nextRunAt: new Date(Date.now() - 1000) })
      .where(and(eq(jobSchedules.workspaceId, ws), eq(jobSchedules.name, 'test.cron')));
    await Promise.all([new JobRunner(d.db, [job]).tick(), new JobRunner(d.db, [job]).tick()]);
    expect(ran).toBe(1);
    const [s] = await d.db
      .select()
      .from(jobSchedules)
      .where(and(eq(jobSchedules.workspaceId, ws), eq(jobSchedules.name, 'test.cron')));
    expect(s?.nextRunAt.getTime()).toBeGreaterThan(Date.now());
    expect(s?.lastRunAt).toBeInstanceOf(Date);
  });

  /** A job that waits for the test to let it go: slow without sleeping. */
  function gatedJob(name: string) {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    let running = 0;
    let maxRunning = 0;
    let finished = 0;
    const def = defineJob({
      name,
      payload: z.object({}),
      handler: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await gate;
        running--;
        finished++;
      },
    });
    return {
      def,
      release: () => open(),
      get running() {
        return running;
      },
      get maxRunning() {
        return maxRunning;
      },
      get finished() {
        return finished;
      },
    };
  }

  it('a slow kind of job does not hold up another (continuous pool, slots per name)', async () => {
    const wsA = newId();
    const wsB = newId();
    const slow = gatedJob('test.slow-webhook');
    let fastRanAt = 0;
    const fast = defineJob({
      name: 'test.fast',
      payload: z.object({}),
      handler: async () => void (fastRanAt = Date.now()),
    });
    for (let i = 0; i < 12; i++)
      await enqueueJob(d.db, wsA, 'test.slow-webhook', {}, { runAt: new Date(Date.now() - 60_000) });
    const runner = new JobRunner(d.db, [slow.def, fast], { pollMs: 20, concurrency: 4 });
    runner.start();
    try {
      for (let i = 0; i < 500 && slow.running < 2; i++) await sleep(10);
      expect(slow.running).toBe(2); // half the slots at most
      const enqueuedAt = Date.now();
      await enqueueJob(d.db, wsB, 'test.fast', {});
      runner.nudge();
      for (let i = 0; i < 500 && !fastRanAt; i++) await sleep(5);
      const delay = fastRanAt - enqueuedAt;
      expect(fastRanAt).toBeGreaterThan(0);
      expect(delay).toBeLessThan(1_000); // it was 10 s per batch of stuck deliveries before
      expect(slow.finished).toBe(0); // it ran while the slow ones were still stuck
      slow.release();
      for (let i = 0; i < 500 && slow.finished < 12; i++) await sleep(10);
    } finally {
      slow.release();
      await runner.stop();
    }
    expect(slow.finished).toBe(12);
    expect(slow.maxRunning).toBe(2);
    const states = await d.db
      .select({ state: jobs.state, n: sql<number>`count(*)::int` })
      .from(jobs)
      .where(eq(jobs.workspaceId, wsA))
      .groupBy(jobs.state);
    expect(states).toEqual([{ state: 'succeeded', n: 12 }]);
  });

  it('tick() refills a slot as soon as it frees and counts every job it ran', async () => {
    const slow = gatedJob('test.gated');
    const order: string[] = [];
    const quick = defineJob({
      name: 'test.quick',
      payload: z.object({ n: z.number() }),
      handler: async (p) => void order.push(`quick ${p.n}`),
    });
    await enqueueJob(d.db, ws, 'test.gated', {}, { runAt: new Date(Date.now() - 10_000) });
    for (let n = 0; n < 5; n++)
      await enqueueJob(d.db, ws, 'test.quick', { n }, { runAt: new Date(Date.now() - 5_000 + n) });
    // Two slots: the gated job holds one, the five quick ones pass one after the other through the other.
    const runner = new JobRunner(d.db, [slow.def, quick], { concurrency: 2, maxPerName: 1 });
    const ticking = runner.tick();
    for (let i = 0; i < 500 && order.length < 5; i++) await sleep(10);
    expect(order).toEqual([0, 1, 2, 3, 4].map((n) => `quick ${n}`));
    expect(slow.running).toBe(1);
    slow.release();
    expect(await ticking).toBe(6);
    expect(runner.inFlightCount).toBe(0);
  });

  it('lets workspaces take turns within a job name: a backlog does not hold up another workspace', async () => {
    const [wsA, wsB, wsC] = [newId(), newId(), newId()];
    const order: string[] = [];
    const deliver = defineJob({
      name: 'test.turns',
      payload: z.object({ w: z.string(), n: z.number() }),
      handler: async (p) => void order.push(`${p.w}${p.n}`),
    });
    const old = Date.now() - 60_000;
    // A's 30 jobs are all older than B's 3 and C's 1.
    for (let n = 1; n <= 30; n++)
      await enqueueJob(d.db, wsA, 'test.turns', { w: 'A', n }, { runAt: new Date(old + n) });
    for (let n = 1; n <= 3; n++)
      await enqueueJob(d.db, wsB, 'test.turns', { w: 'B', n }, { runAt: new Date(old + 1000 + n) });
    await enqueueJob(d.db, wsC, 'test.turns', { w: 'C', n: 1 }, { runAt: new Date(old + 2000) });
    // One slot: a job at a time, in the order claimed.
    await new JobRunner(d.db, [deliver], { concurrency: 1 }).tick();
    expect(order.slice(0, 8)).toEqual(['A1', 'B1', 'C1', 'A2', 'B2', 'A3', 'B3', 'A4']);
    expect(order).toHaveLength(34);
    // Within a workspace, oldest first.
    expect(order.filter((x) => x.startsWith('A'))).toEqual(Array.from({ length: 30 }, (_, i) => `A${i + 1}`));

    // Four slots at once: each claim takes first turns before second ones.
    order.length = 0;
    for (let n = 1; n <= 6; n++) await enqueueJob(d.db, wsA, 'test.turns', { w: 'A', n }, { runAt: new Date(old + n) });
    await enqueueJob(d.db, wsB, 'test.turns', { w: 'B', n: 1 }, { runAt: new Date(old + 1000) });
    const runner = new JobRunner(d.db, [deliver], { concurrency: 4, maxPerName: 4 });
    await runner.tick();
    expect(order.slice(0, 4).sort()).toEqual(['A1', 'A2', 'A3', 'B1']);
    expect(order).toHaveLength(7);
  });

  it('stop() waits for the jobs in flight and claims nothing more', async () => {
    const slow = gatedJob('test.stopping');
    await enqueueJob(d.db, ws, 'test.stopping', {}, { runAt: new Date(Date.now() - 10_000) });
    const runner = new JobRunner(d.db, [slow.def], { pollMs: 10 });
    runner.start();
    for (let i = 0; i < 500 && slow.running < 1; i++) await sleep(10);
    let stopped = false;
    const stopping = runner.stop().then(() => (stopped = true));
    await enqueueJob(d.db, ws, 'test.stopping', {}, { runAt: new Date(Date.now() - 10_000) });
    await sleep(50);
    expect(stopped).toBe(false);
    slow.release();
    await stopping;
    expect(slow.finished).toBe(1);
    // The second one is still queued for the next runner.
    await new JobRunner(d.db, [slow.def]).tick();
    expect(slow.finished).toBe(2);
  });

  it('the runner loop picks up work on its own and stops cleanly', async () => {
    let ran = 0;
    const job = defineJob({ name: 'test.loop', payload: z.object({}), handler: async () => void ran++ });
    const runner = new JobRunner(d.db, [job], { pollMs: 20 });
    runner.start();
    await enqueueJob(d.db, ws, 'test.loop', {});
    for (let i = 0; i < 1000 && ran === 0; i++) await sleep(20);
    await runner.stop();
    expect(ran).toBe(1);
  });
});

describe.each(testEngines())('a job survives a restart on %s', (engine) => {
  it('is run by the next process', async () => {
    const store = await createRestartableDatabase(engine);
    try {
      const ws = newId();
      const first = await store.open();
      await runMigrations(first);
      const id = await enqueueJob(first.db, ws, 'test.after-restart', { hello: 'world' });
      await first.close();

      const second = await store.open();
      const got: unknown[] = [];
      const job = defineJob({
        name: 'test.after-restart',
        payload: z.object({ hello: z.string() }),
        handler: async (p) => void got.push(p),
      });
      await new JobRunner(second.db, [job]).tick();
      const [row] = await second.db
        .select()
        .from(jobs)
        .where(and(eq(jobs.workspaceId, ws), eq(jobs.id, id as string)));
      await second.close();
      expect(got).toEqual([{ hello: 'world' }]);
      expect(row?.state).toBe('succeeded');
    } finally {
      await store.destroy();
    }
    // Every migration on a database on disk: 3 s alone, past 30 s on a machine running other suites.
  }, 120_000);
});
