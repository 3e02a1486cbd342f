import pg from 'pg';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngines } from '../../test/db.ts';
import { createPostgresBus, maxNoticeBytes, type RealtimeBus, type RealtimeEvent } from './bus.ts';

const noPostgres = !testEngines().includes('postgres');
if (noPostgres) console.warn('Realtime bus test skipped: set TEST_DATABASE_URL to run it on PostgreSQL.');

const until = async (check: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** Lets a NOTIFY in flight arrive (or show that nothing more comes). */
const settle = () => new Promise((r) => setTimeout(r, 300));

describe.skipIf(noPostgres)('the PostgreSQL realtime bus (postgres)', () => {
  const url = process.env.TEST_DATABASE_URL ?? '';
  let pool: pg.Pool;
  let a: RealtimeBus;
  let b: RealtimeBus;
  const atA: RealtimeEvent[] = [];
  const atB: RealtimeEvent[] = [];

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: url, max: 2 });
    a = createPostgresBus(url, pool);
    b = createPostgresBus(url, pool);
    await a.subscribe((e) => atA.push(e));
    await b.subscribe((e) => atB.push(e));
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await pool?.end();
  });

  const dialect = new PgDialect();
  // The test database's notices are seen by every run using it at the same time: this run's names are its own.
  const run = Math.random().toString(36).slice(2);
  const ticketEvent = (ticketId: string): RealtimeEvent => ({ kind: 'ticket', workspaceId: `w-bus-${run}`, ticketId });
  const mine = (e: RealtimeEvent) => e.workspaceId === `w-bus-${run}`;
  const seen = (list: RealtimeEvent[], ticketId: string) =>
    list.filter((e) => mine(e) && e.kind === 'ticket' && e.ticketId === ticketId).length;

  it('delivers a published event once on each instance, on the sender as soon as it was sent', async () => {
    await a.publish(ticketEvent('t-published'));
    // The sender's listeners have it when publish returns, before its NOTIFY comes back.
    expect(seen(atA, 't-published')).toBe(1);
    await until(() => seen(atB, 't-published') === 1);
    await settle();
    expect(seen(atA, 't-published')).toBe(1);
    expect(seen(atB, 't-published')).toBe(1);
  });

  it('delivers an event sent at commit once, whether the commit report or the echo comes first', async () => {
    const client = await pool.connect();
    /** A transaction that sends `e` at its end, then commits or rolls back. */
    const run = async (e: RealtimeEvent, end: 'commit' | 'rollback' = 'commit') => {
      const q = a.atCommit?.(e);
      if (!q) throw new Error('no atCommit');
      const { sql: text, params } = dialect.sqlToQuery(q);
      await client.query('begin');
      await client.query(`select ${text}`, params);
      await client.query(end);
    };
    try {
      // Reported at once: delivered then, the echo dropped.
      const first = ticketEvent('t-reported');
      await run(first);
      a.committed?.(first);
      expect(seen(atA, 't-reported')).toBe(1);
      await until(() => seen(atB, 't-reported') === 1);
      await settle();
      expect(seen(atA, 't-reported')).toBe(1);

      // The echo first: delivered then, the late report dropped.
      const second = ticketEvent('t-echoed');
      await run(second);
      await until(() => seen(atA, 't-echoed') === 1);
      a.committed?.(second);
      await settle();
      expect(seen(atA, 't-echoed')).toBe(1);
      expect(seen(atB, 't-echoed')).toBe(1);

      // Rolled back: nobody hears of it.
      await run(ticketEvent('t-rolled-back'), 'rollback');
      await settle();
      expect(seen(atA, 't-rolled-back')).toBe(0);
      expect(seen(atB, 't-rolled-back')).toBe(0);
    } finally {
      client.release();
    }
  });

  it("carries a message's content while the notice fits, and leaves it out when it would not", async () => {
    const message = (id: string, text: string): RealtimeEvent => ({
      kind: 'message',
      workspaceId: `w-bus-${run}`,
      ticketId: 't-1',
      conversationId: 'c-1',
      messageId: id,
      content: {
        direction: 'outbound',
        text,
        authorType: 'user',
        authorId: 'u-1',
        createdAt: new Date().toISOString(),
      },
    });
    await a.publish(message('m-small', 'Hello there'));
    await a.publish(message('m-large', 'é'.repeat(maxNoticeBytes)));
    const onB = (id: string) => atB.find((e) => mine(e) && e.kind === 'message' && e.messageId === id);
    await until(() => onB('m-small') !== undefined && onB('m-large') !== undefined);
    expect(onB('m-small')).toMatchObject({ content: { text: 'Hello there', authorId: 'u-1' } });
    const large = onB('m-large');
    expect(large).toMatchObject({ messageId: 'm-large' });
    expect(large && 'content' in large ? large.content : undefined).toBeUndefined();
    // The sender's own listeners get the event as it was made.
    const own = atA.find((e) => mine(e) && e.kind === 'message' && e.messageId === 'm-large');
    expect(own && 'content' in own ? own.content?.text.length : 0).toBe(maxNoticeBytes);
  });
});
