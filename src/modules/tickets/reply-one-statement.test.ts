import crypto from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeWorkspace } from '../../../test/factories.ts';
import { conversations, events, tickets } from '../../db/schema/index.ts';
import { refreshTicketSla } from '../sla/sla.service.ts';
import type { InboundMessage } from './tickets.service.ts';

/**
 * An agent's reply counts the ticket's SLA before writing, so that the ticket's change, its SLA, the message, the
 * events and the conversation's time go in one statement. What it stores must be what the SLA clock computes from
 * the stored history afterwards, and a warning or breach due at the reply must still be recorded once.
 */
describe.each(testEngines())('an agent reply written in one statement (%s)', (engine) => {
  const ctx = useTestApp(engine);

  async function desk(policy: 'before' | 'after' = 'before') {
    const { services } = ctx;
    const ws = await makeWorkspace(services);
    const actor = ws.ownerActor;
    const addPolicy = async () => {
      const cal = await services.sla.createCalendar(actor, {
        name: 'Office',
        timeZone: 'America/New_York',
        weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '17:00' })),
        holidays: [],
      });
      await services.sla.createPolicy(actor, {
        name: 'Everyone',
        position: 0,
        targets: { first_response: 480, next_response: 600, resolution: 2400 },
        calendarId: cal.id,
      });
    };
    if (policy === 'before') await addPolicy();
    const created = await services.channels.create(actor, {
      kind: 'email',
      name: 'Support',
      address: `support-${ws.workspace.slug}@desk.test`,
    });
    const channel = await services.channels.get(actor, created.id);
    const mail: InboundMessage = {
      channel,
      from: { email: 'pat@example.com', name: 'Pat' },
      subject: 'Where is my parcel?',
      text: 'It has been two weeks.',
      emailMessageId: `${crypto.randomUUID()}@mail.example.com`,
    };
    const opened = await services.tickets.receive(mail);
    if (opened.outcome !== 'created') throw new Error('expected a new ticket');
    return { ws, ticketId: opened.ticket.id, addPolicy, mail };
  }

  const ticketOf = async (workspaceId: string, id: string) => {
    const [t] = await ctx.database.db
      .select()
      .from(tickets)
      .where(and(eq(tickets.workspaceId, workspaceId), eq(tickets.id, id)));
    if (!t) throw new Error('ticket missing');
    return t;
  };
  const eventsOf = async (workspaceId: string, id: string) =>
    ctx.database.db
      .select()
      .from(events)
      .where(and(eq(events.workspaceId, workspaceId), eq(events.subjectId, id)))
      .orderBy(asc(events.seq));

  it('stores the change and the SLA that the clock computes from the stored history at the reply', async () => {
    const d = await desk();
    const ws = d.ws.workspace.id;
    const before = await ticketOf(ws, d.ticketId);
    const { message } = await ctx.services.tickets.reply(d.ws.ownerActor, d.ticketId, {
      text: 'It left today.',
      status: 'pending',
    });
    const at = message.createdAt;
    const t = await ticketOf(ws, d.ticketId);
    expect([before.status, t.status]).toEqual(['new', 'pending']);
    expect([t.statusChangedAt, t.firstResponseAt, t.lastAgentReplyAt]).toEqual([at, at, at]);
    expect(t.assigneeId).toBe(d.ws.owner.id);
    const first = t.sla.find((m) => m.metric === 'first_response');
    expect(first?.state).toBe('met');
    expect(first?.completedAt).toBe(at.toISOString());
    // Pending on the customer: the resolution clock stopped at the reply.
    expect(t.sla.find((m) => m.metric === 'resolution')?.state).toBe('paused');
    const evs = await eventsOf(ws, d.ticketId);
    const changed = evs.filter((e) => e.type === 'ticket.status_changed');
    expect(changed.map((e) => [e.payload, e.occurredAt])).toEqual([
      [expect.objectContaining({ from: before.status, to: t.status }), at],
    ]);
    expect(evs.filter((e) => e.type === 'ticket.replied')).toHaveLength(1);
    const [conv] = await ctx.database.db.select().from(conversations).where(eq(conversations.workspaceId, ws));
    expect(conv?.lastMessageAt).toEqual(at);
    // The SLA clock, reading everything back from the database at the reply's time, stores the same.
    const sla = (x: typeof t) => [
      x.slaPolicyId,
      x.sla,
      x.slaNextCheckAt,
      x.firstResponseBusinessMs,
      x.resolutionBusinessMs,
    ];
    await ctx.database.db.transaction((tx) => refreshTicketSla(tx, ws, d.ticketId, at));
    expect(sla(await ticketOf(ws, d.ticketId))).toEqual(sla(t));
  });

  it('records a warning due at the reply once, through the SLA clock', async () => {
    const d = await desk('after');
    const ws = d.ws.workspace.id;
    // A policy that warns as soon as its clock starts, added after the ticket opened (which so has no SLA yet).
    await ctx.services.sla.createPolicy(d.ws.ownerActor, {
      name: 'Warn at once',
      position: 0,
      targets: { resolution: 60 },
      warnBeforeMinutes: 120,
    });
    expect((await ticketOf(ws, d.ticketId)).sla).toEqual([]);
    await ctx.services.tickets.reply(d.ws.ownerActor, d.ticketId, { text: 'Looking into it.' });
    await ctx.services.tickets.reply(d.ws.ownerActor, d.ticketId, { text: 'Still looking.' });
    const t = await ticketOf(ws, d.ticketId);
    expect(t.sla.map((m) => [m.metric, m.state, m.notified])).toEqual([['resolution', 'running', ['warn']]]);
    const warnings = (await eventsOf(ws, d.ticketId)).filter((e) => e.type === 'ticket.sla_warning');
    expect(warnings.map((e) => (e.payload as { metric: string }).metric)).toEqual(['resolution']);
  });

  it("stores a customer's follow-up with the ticket's change and the SLA the clock computes from the stored history", async () => {
    const d = await desk();
    const ws = d.ws.workspace.id;
    await ctx.services.tickets.reply(d.ws.ownerActor, d.ticketId, { text: 'Which order?', status: 'pending' });
    const follow = await ctx.services.tickets.receive({
      ...d.mail,
      subject: 'Re: Where is my parcel?',
      text: 'Order 42.',
      emailMessageId: `${crypto.randomUUID()}@mail.example.com`,
      replyTo: [String(d.mail.emailMessageId)],
    });
    if (follow.outcome !== 'appended') throw new Error(`expected the follow-up on the ticket, got ${follow.outcome}`);
    const t = await ticketOf(ws, d.ticketId);
    const changedAt = t.statusChangedAt;
    expect(t.status).toBe('open');
    expect(t.lastCustomerMessageAt).toEqual(follow.message.createdAt);
    const next = t.sla.find((m) => m.metric === 'next_response');
    expect([next?.state, next?.startedAt]).toEqual(['running', follow.message.createdAt.toISOString()]);
    expect(t.sla.find((m) => m.metric === 'resolution')?.state).toBe('running');
    const changed = (await eventsOf(ws, d.ticketId)).filter((e) => e.type === 'ticket.status_changed');
    expect(changed.map((e) => [(e.payload as { to: string }).to, e.occurredAt])).toEqual([
      ['pending', expect.any(Date)],
      ['open', changedAt],
    ]);
    const sla = (x: typeof t) => [x.slaPolicyId, x.sla, x.slaNextCheckAt, x.firstResponseBusinessMs];
    await ctx.database.db.transaction((tx) => refreshTicketSla(tx, ws, d.ticketId, changedAt));
    expect(sla(await ticketOf(ws, d.ticketId))).toEqual(sla(t));
  });
});
