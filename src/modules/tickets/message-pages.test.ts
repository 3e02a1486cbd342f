import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it, vi } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { deliverEmail } from '../channels/email.outbound.ts';

/**
 * A ticket can hold any number of messages (a mail loop, a chat left open for months). Reading it must not load them
 * all: the detail comes a page at a time, and what needs one message reads that one.
 */

type Message = { id: string; bodyText: string; direction: string };
type Detail = { id: string; conversations: Array<{ id: string }>; messages: Message[]; olderMessages: boolean };

describe.each(testEngines())('ticket messages, a page at a time (%s)', (engine) => {
  const ctx = useTestApp(engine);

  /**
   * A ticket with its first message and `count` more (inbound, numbered 1..count in time order, after the first one
   * or, `earlier`, the day before it, each with an e-mail Message-ID m<n>@example.com).
   */
  async function ticketWithMessages(
    count: number,
    opts: { earlier?: boolean; before?: (key: string, slug: string) => Promise<void> } = {},
  ) {
    const ws = await makeWorkspace(ctx.services);
    const key = await makeApiKey(ctx.services, ws);
    const call = (url: string) => ctx.app.inject({ method: 'GET', url, headers: bearer(key) });
    await opts.before?.(key, ws.workspace.slug);
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tickets',
      headers: bearer(key),
      payload: {
        subject: 'Charged twice',
        channel: 'email',
        requester: { email: 'kim@example.com' },
        text: 'first',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    const detail = (await call(`/api/v1/tickets/${id}`)).json<Detail>();
    const conversationId = detail.conversations[0]?.id;
    await ctx.database.db.execute(sql`
      insert into messages (workspace_id, id, conversation_id, ticket_id, direction, author_type, body_text,
                            email_message_id, created_at)
      select ${ws.workspace.id}, gen_random_uuid(), ${conversationId}, ${id}, 'inbound', 'person', 'message ' || g,
             'm' || g || '@example.com', now() + ${opts.earlier ? sql`interval '-1 day'` : sql`interval '0'`} + g * interval '1 second'
        from generate_series(1, ${count}) g`);
    return { ws, key, id, call };
  }

  it('returns the newest 500 messages, oldest first, and the older ones page by page with ?before=', async () => {
    const { id, call } = await ticketWithMessages(1_100);
    const first = await call(`/api/v1/tickets/${id}`);
    expect(first.statusCode, first.body).toBe(200);
    const newest = first.json<Detail>();
    expect(newest.messages).toHaveLength(500);
    expect(newest.olderMessages).toBe(true);
    expect(newest.messages[0]?.bodyText).toBe('message 601');
    expect(newest.messages.at(-1)?.bodyText).toBe('message 1100');

    const second = (await call(`/api/v1/tickets/${id}?before=${newest.messages[0]?.id}`)).json<Detail>();
    expect(second.messages.map((m) => m.bodyText)).toEqual(Array.from({ length: 500 }, (_, i) => `message ${i + 101}`));
    expect(second.olderMessages).toBe(true);
    const last = (await call(`/api/v1/tickets/${id}?before=${second.messages[0]?.id}`)).json<Detail>();
    expect(last.messages).toHaveLength(101);
    expect(last.messages[0]?.bodyText).toBe('first');
    expect(last.olderMessages).toBe(false);

    // A message of another ticket (or none) is not a place in this one.
    const other = await ticketWithMessages(0);
    const otherMessage = (await other.call(`/api/v1/tickets/${other.id}`)).json<Detail>().messages[0]?.id;
    const refused = await call(`/api/v1/tickets/${id}?before=${otherMessage}`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: { code: 'validation_failed', details: { field: 'before' } } });
  });

  /**
   * The largest number of rows one statement returns to the app while `f` runs, counted through PGlite's query
   * function: the tests that use it are defined for PGlite only (the statements are the same on PostgreSQL).
   */
  async function mostRowsRead(f: () => Promise<void>): Promise<number> {
    return (await mostRead(f)).rows;
  }

  /**
   * As mostRowsRead, with the largest result's size too (its rows as JSON text, in characters). Statements in a
   * transaction go through the transaction's own query function: it is counted as well.
   */
  async function mostRead(f: () => Promise<void>): Promise<{ rows: number; chars: number }> {
    const pglite = ctx.database.pglite;
    if (!pglite) throw new Error('PGlite expected');
    const most = { rows: 0, chars: 0 };
    const counted =
      <Q extends (...args: never[]) => Promise<{ rows: unknown[] }>>(query: Q) =>
      async (...args: Parameters<Q>) => {
        const result = await query(...args);
        most.rows = Math.max(most.rows, result.rows.length);
        most.chars = Math.max(most.chars, JSON.stringify(result.rows).length);
        return result;
      };
    // Both originals are taken before either is replaced.
    const read = counted(pglite.query.bind(pglite));
    const begin = pglite.transaction.bind(pglite);
    const query = vi.spyOn(pglite, 'query').mockImplementation(read as never);
    const transaction = vi.spyOn(pglite, 'transaction').mockImplementation(((
      work: (tx: Parameters<Parameters<typeof begin>[0]>[0]) => Promise<unknown>,
    ) =>
      begin(async (tx) => {
        tx.query = counted(tx.query.bind(tx)) as typeof tx.query;
        return work(tx);
      })) as never);
    try {
      await f();
    } finally {
      query.mockRestore();
      transaction.mockRestore();
    }
    return most;
  }

  if (engine === 'pglite')
    it('threads an e-mail reply without reading the whole conversation', async () => {
      const mails: string[] = [];
      const sink = new SMTPServer({
        authOptional: true,
        disabledCommands: ['AUTH', 'STARTTLS'],
        logger: false,
        onData(stream, _session, callback) {
          let raw = '';
          stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
          stream.on('end', () => {
            mails.push(raw);
            callback();
          });
        },
      });
      await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
      try {
        const port = (sink.server.address() as AddressInfo).port;
        const { ws, key, id } = await ticketWithMessages(2_000, {
          earlier: true,
          // The workspace's e-mail channel, sending to the sink (before the ticket: it would make one without).
          before: async (apiKey, slug) => {
            const channel = await ctx.app.inject({
              method: 'POST',
              url: '/api/v1/channels',
              headers: bearer(apiKey),
              payload: {
                kind: 'email',
                name: 'Support',
                address: `support-${slug}@acme.test`,
                settings: { smtpUrl: `smtp://127.0.0.1:${port}?ignoreTLS=true` },
              },
            });
            expect(channel.statusCode, channel.body).toBe(201);
          },
        });
        const reply = await ctx.app.inject({
          method: 'POST',
          url: `/api/v1/tickets/${id}/replies`,
          headers: bearer(key),
          payload: { text: 'On its way.' },
        });
        expect(reply.statusCode, reply.body).toBe(201);
        const rows = await mostRowsRead(() =>
          deliverEmail(ctx.database.db, ws.workspace.id, reply.json<{ id: string }>().id, 1, ctx.dataDir),
        );
        const sent = await ctx.services.tickets.get(ws.ownerActor, id);
        expect(sent.messages.at(-1)).toMatchObject({ delivery: 'sent', deliveryError: null });
        expect(mails).toHaveLength(1);
        const headers = (mails[0] ?? '').split('\r\n\r\n')[0]?.replace(/\r\n\s+/g, ' ') ?? '';
        // The ticket's first message has no Message-ID: the reply answers the newest one that has.
        expect(headers).toContain('In-Reply-To: <m2000@example.com>');
        const references = /^References: (.*)$/m.exec(headers)?.[1]?.split(' ');
        expect(references).toEqual(Array.from({ length: 20 }, (_, i) => `<m${i + 1981}@example.com>`));
        expect(rows).toBeLessThan(100);
      } finally {
        await new Promise<void>((resolve) => sink.close(() => resolve()));
      }
    });

  if (engine === 'pglite')
    it('splits messages off without reading the others', async () => {
      const { ws, key, id, call } = await ticketWithMessages(2_000);
      const newest = (await call(`/api/v1/tickets/${id}`)).json<Detail>().messages;
      const chosen = newest.slice(-3).map((m) => m.id);
      let made: { statusCode: number; body: string } | undefined;
      const rows = await mostRowsRead(async () => {
        made = await ctx.app.inject({
          method: 'POST',
          url: `/api/v1/tickets/${id}/split`,
          headers: bearer(key),
          payload: { messageIds: chosen },
        });
      });
      expect(made?.statusCode, made?.body).toBe(201);
      expect(rows).toBeLessThan(100);
      const split = (await call(`/api/v1/tickets/${JSON.parse(made?.body ?? '{}').id}`)).json<Detail>();
      expect(split.messages.map((m) => m.bodyText)).toEqual(['message 1998', 'message 1999', 'message 2000']);
      const left = await ctx.services.tickets.get(ws.ownerActor, id);
      expect(left.messages.at(-1)?.bodyText).toBe('message 1997');
      // The ticket's last customer message is now the newest one left.
      expect(left.ticket.lastCustomerMessageAt).toEqual(left.messages.at(-1)?.createdAt);
    });

  if (engine === 'pglite')
    it('suggests articles from the last inbound message without reading the others', async () => {
      const { id, call } = await ticketWithMessages(2_000);
      const rows = await mostRowsRead(async () => {
        const res = await call(`/api/v1/tickets/${id}/suggestions`);
        expect(res.statusCode, res.body).toBe(200);
      });
      expect(rows).toBeLessThan(100);
    });

  if (engine === 'pglite')
    it("replies and adds notes without reading the messages' text", async () => {
      const { ws, key, id, call } = await ticketWithMessages(2_000, { earlier: true });
      // 2,000 messages of 5,000 characters each: 10 MB of text the reply has no use for.
      await ctx.database.db.execute(
        sql`update messages set body_text = repeat('x', 5000) where workspace_id = ${ws.workspace.id} and ticket_id = ${id}`,
      );
      for (const payload of [{ text: 'Looking into it', internal: true }, { text: 'Refunded' }]) {
        let res: { statusCode: number; body: string } | undefined;
        const read = await mostRead(async () => {
          res = await ctx.app.inject({
            method: 'POST',
            url: `/api/v1/tickets/${id}/replies`,
            headers: bearer(key),
            payload,
          });
        });
        expect(res?.statusCode, res?.body).toBe(201);
        expect(read.chars).toBeLessThan(1_000_000);
      }
      const newest = (await call(`/api/v1/tickets/${id}`)).json<Detail>().messages;
      expect(newest.slice(-2).map((m) => [m.bodyText.slice(0, 20), m.direction])).toEqual([
        ['Looking into it', 'note'],
        ['Refunded', 'outbound'],
      ]);
    });

  it('counts every message that arrived since the one seen and lists the oldest 100 (409 collision)', async () => {
    const { key, id, call } = await ticketWithMessages(300);
    const seen = (await call(`/api/v1/tickets/${id}`)).json<Detail>().messages[49];
    expect(seen?.bodyText).toBe('message 49');
    const reply = (payload: Record<string, unknown>) =>
      ctx.app.inject({ method: 'POST', url: `/api/v1/tickets/${id}/replies`, headers: bearer(key), payload });
    const res = await reply({ text: 'Refunded', seenMessageId: seen?.id });
    expect(res.statusCode, res.body).toBe(409);
    const details = res.json<{ error: { details: { count: number; newMessages: Array<{ preview: string }> } } }>().error
      .details;
    expect(details.count).toBe(251);
    expect(details.newMessages.map((m) => m.preview)).toEqual(
      Array.from({ length: 100 }, (_, i) => `message ${i + 50}`),
    );
    expect(res.json().error.message).toMatch(/^251 new messages arrived/);
    // Having seen the newest, the reply goes; a message id of another ticket is no collision.
    const newest = (await call(`/api/v1/tickets/${id}`)).json<Detail>().messages.at(-1);
    expect((await reply({ text: 'Refunded', seenMessageId: newest?.id })).statusCode).toBe(201);
    expect((await reply({ text: 'Again', seenMessageId: seen?.id, force: true })).statusCode).toBe(201);
  });
});
