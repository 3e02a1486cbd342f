import crypto from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeWorkspace } from '../../../test/factories.ts';
import { rowsOf } from '../../db/client.ts';
import { conversations, events, people, tickets } from '../../db/schema/index.ts';
import type { InboundMessage } from './tickets.service.ts';

/**
 * A customer's new e-mail that needs nothing more of the database than the workspace's set-up opens its ticket in one
 * statement, without a transaction (openInOneStatement). It must store exactly what the transaction path stores for
 * the same mail, and all of it or nothing.
 */
describe.each(testEngines())('a new ticket written in one statement (%s)', (engine) => {
  const ctx = useTestApp(engine);

  async function desk() {
    const { services } = ctx;
    const ws = await makeWorkspace(services);
    const actor = ws.ownerActor;
    const cal = await services.sla.createCalendar(actor, {
      name: 'Office',
      timeZone: 'Europe/Lisbon',
      weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '17:00' })),
    });
    await services.sla.createPolicy(actor, {
      name: 'Everyone',
      position: 0,
      targets: { first_response: 480, next_response: 600, resolution: 2400 },
      calendarId: cal.id,
    });
    await services.rules.create(actor, {
      name: 'Refunds go to billing',
      trigger: 'ticket.created',
      conditions: [{ field: 'text', op: 'contains_any', value: ['refund'] }],
      actions: [{ type: 'set_priority', value: 'high' }],
    });
    const created = await services.channels.create(actor, {
      kind: 'email',
      name: 'Support',
      address: `support-${ws.workspace.slug}@desk.test`,
    });
    return { ws, channel: await services.channels.get(actor, created.id) };
  }

  const mail = (
    channel: InboundMessage['channel'],
    from: string,
    more: Partial<InboundMessage> = {},
  ): InboundMessage => ({
    channel,
    from: { email: from, name: 'Pat Parity' },
    subject: 'My order never came',
    text: 'Order 1234 is a week late.',
    html: '<p>Order 1234 is a <b>week</b> late.<script>alert(1)</script></p>',
    emailMessageId: `${crypto.randomUUID()}@mail.example.com`,
    attachments: [{ fileName: 'receipt.txt', contentType: 'text/plain', content: Buffer.from('paid 20 EUR') }],
    ...more,
  });

  /** What a ticket and its customer look like, without ids, numbers and times. */
  async function stored(workspaceId: string, ticketId: string) {
    const db = ctx.database.db;
    const [t] = await db
      .select()
      .from(tickets)
      .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.id, ticketId)));
    if (!t?.personId) throw new Error('ticket or customer missing');
    const [p] = await db
      .select()
      .from(people)
      .where(and(eq(people.workspaceId, workspaceId), eq(people.id, t.personId)));
    const evs = await db
      .select()
      .from(events)
      .where(and(eq(events.workspaceId, workspaceId), sql`${events.subjectId} in (${t.id}, ${t.personId})`))
      .orderBy(asc(events.seq));
    const msgs = rowsOf<{ direction: string; body_text: string; body_html: string | null; files: number }>(
      await db.execute(sql`
        select m.direction, m.body_text, m.body_html,
               (select count(*)::int from attachments a where a.workspace_id = m.workspace_id and a.message_id = m.id) as files
          from messages m where m.workspace_id = ${workspaceId} and m.ticket_id = ${ticketId}`),
    );
    return {
      ticket: {
        subject: t.subject,
        type: t.type,
        priority: t.priority,
        status: t.status,
        channel: t.channel,
        tags: t.tags,
        slaPolicyId: t.slaPolicyId,
        sla: t.sla.map((x) => [x.metric, x.target, x.state, x.notified ?? []]),
      },
      person: { emails: p?.emails, name: p?.displayName, stage: p?.stage, source: p?.source, search: p?.searchText },
      events: evs.map((e) => [e.type, Object.keys(e.payload as object).sort()]),
      messages: msgs.map((mm) => [mm.direction, mm.body_text, mm.body_html, mm.files]),
    };
  }

  it('stores what the transaction path stores for the same mail', async () => {
    const d = await desk();
    // Known senders: a new address takes the transaction, where it is locked while it is looked up (resolvePerson).
    for (const email of ['fast@example.com', 'slow@example.com'])
      await ctx.services.people.create(d.ws.ownerActor, { firstName: 'Pat', lastName: 'Parity', emails: [email] });
    const transactions = vi.spyOn(ctx.database.db, 'transaction');
    const fast = await ctx.services.tickets.receive(mail(d.channel, 'fast@example.com'));
    expect(transactions).not.toHaveBeenCalled();
    // A reference to a message that was never stored sends the same mail down the transaction path.
    const slow = await ctx.services.tickets.receive(
      mail(d.channel, 'slow@example.com', { replyTo: ['never-stored@mail.example.com'] }),
    );
    expect(transactions).toHaveBeenCalledTimes(1);
    await ctx.services.tickets.receive(mail(d.channel, 'new@example.com'));
    expect(transactions).toHaveBeenCalledTimes(2);
    transactions.mockRestore();
    if (fast.outcome !== 'created' || slow.outcome !== 'created') throw new Error('expected two new tickets');
    const a = await stored(d.ws.workspace.id, fast.ticket.id);
    const b = await stored(d.ws.workspace.id, slow.ticket.id);
    expect(a.events.map((e) => e[0])).toEqual(['person.created', 'ticket.created', 'ticket.message_received']);
    expect(a.ticket.slaPolicyId).not.toBeNull();
    expect(a.messages[0]?.[2]).not.toContain('script');
    expect({ ...a, person: { ...a.person, emails: null, search: null } }).toEqual({
      ...b,
      person: { ...b.person, emails: null, search: null },
    });
    expect(a.person.emails).toEqual(['fast@example.com']);
    expect(a.person.stage).toBe('lead');
    // Numbers in order, one each.
    expect(slow.ticket.number).toBe(fast.ticket.number + 1);
  });

  it('finds a known sender, and leaves a mail a rule matches to the transaction path', async () => {
    const d = await desk();
    const first = await ctx.services.tickets.receive(mail(d.channel, 'Known@Example.com'));
    const second = await ctx.services.tickets.receive(
      mail(d.channel, 'known@example.com', { subject: 'Another thing', text: 'Please refund me.' }),
    );
    if (first.outcome !== 'created' || second.outcome !== 'created') throw new Error('expected two new tickets');
    expect(second.ticket.personId).toBe(first.ticket.personId);
    // The rule matched: its action ran (on the transaction path) and is on the ticket.
    expect(second.ticket.priority).toBe('high');
    const n = rowsOf<{ n: number }>(
      await ctx.database.db.execute(
        sql`select count(*)::int as n from people where workspace_id = ${d.ws.workspace.id}`,
      ),
    )[0]?.n;
    expect(n).toBe(1);
  });

  it('stores all of it or nothing', async () => {
    const d = await desk();
    const ws = d.ws.workspace.id;
    const counts = async () =>
      rowsOf<Record<string, number>>(
        await ctx.database.db.execute(sql`
          select (select count(*)::int from people where workspace_id = ${ws}) as people,
                 (select count(*)::int from tickets where workspace_id = ${ws}) as tickets,
                 (select count(*)::int from conversations where workspace_id = ${ws}) as conversations,
                 (select count(*)::int from messages where workspace_id = ${ws}) as messages,
                 (select count(*)::int from attachments where workspace_id = ${ws}) as attachments,
                 (select count(*)::int from events where workspace_id = ${ws}) as events`),
      )[0];
    const first = await ctx.services.tickets.receive(mail(d.channel, 'first@example.com'));
    expect(first.outcome).toBe('created');
    const before = await counts();
    // The workspace's number sequence set back: the next ticket takes #1 again, which the unique number refuses —
    // after the new customer was inserted in the same transaction.
    await ctx.database.db.execute(sql`select setval(rapport_ticket_sequence(${ws}), 1, false)`);
    await expect(ctx.services.tickets.receive(mail(d.channel, 'second@example.com'))).rejects.toThrow();
    expect(await counts()).toEqual(before);
    // With the sequence past it again, the same mail opens its ticket.
    await ctx.database.db.execute(sql`select setval(rapport_ticket_sequence(${ws}), 5, false)`);
    const again = await ctx.services.tickets.receive(mail(d.channel, 'second@example.com'));
    if (again.outcome !== 'created') throw new Error('expected a new ticket');
    expect(again.ticket.number).toBe(5);
  });

  it("a reply to it continues its conversation, and the customer's and the agent's replies move its last message time", async () => {
    const d = await desk();
    const ws = d.ws.workspace.id;
    const first = mail(d.channel, 'thread@example.com');
    const opened = await ctx.services.tickets.receive(first);
    if (opened.outcome !== 'created') throw new Error('expected a new ticket');
    const lastAt = async () =>
      (await ctx.database.db.select().from(conversations).where(eq(conversations.workspaceId, ws)))
        .map((c) => [c.id, c.lastMessageAt.toISOString()])
        .sort();
    const [[conversationId] = []] = await lastAt();
    const later = new Date(Date.now() + 60_000);
    const reply = await ctx.services.tickets.receive(
      mail(d.channel, 'thread@example.com', {
        subject: 'Re: My order never came',
        replyTo: [String(first.emailMessageId)],
        receivedAt: later,
      }),
    );
    if (reply.outcome !== 'appended') throw new Error(`expected the reply on the ticket, got ${reply.outcome}`);
    expect(reply.ticket.id).toBe(opened.ticket.id);
    expect(reply.message.conversationId).toBe(conversationId);
    expect(await lastAt()).toEqual([[conversationId, later.toISOString()]]);
    const answer = await ctx.services.tickets.reply(d.ws.ownerActor, opened.ticket.id, { text: 'On its way.' });
    expect(await lastAt()).toEqual([[conversationId, answer.message.createdAt.toISOString()]]);
  });
});
