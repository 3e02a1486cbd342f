import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeWorkspace } from '../../../test/factories.ts';
import { events } from '../../db/schema/index.ts';
import { refreshTicketSla } from '../sla/sla.service.ts';
import { findTicket } from './tickets.repository.ts';

/**
 * A ticket an inbound message opens is written once with its SLA when no rule of ticket.created matches it and no
 * SLA notice is due yet; otherwise it is inserted, then changed by the rules and the SLA clock. Both must leave the
 * same ticket as recomputing its SLA from its stored history does.
 */
describe.each(testEngines())('the SLA of a ticket an inbound message opens (%s)', (engine) => {
  const ctx = useTestApp(engine);

  async function desk(opts: { warnBeforeMinutes?: number } = {}) {
    const { services } = ctx;
    const ws = await makeWorkspace(services);
    const actor = ws.ownerActor;
    const cal = await services.sla.createCalendar(actor, {
      name: 'Office',
      timeZone: 'Europe/Paris',
      weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '17:00' })),
    });
    const urgent = await services.sla.createPolicy(actor, {
      name: 'Urgent',
      position: 0,
      conditions: [{ field: 'priority', op: 'is', value: 'urgent' }],
      targets: { first_response: 30, resolution: 240 },
      calendarId: cal.id,
    });
    const normal = await services.sla.createPolicy(actor, {
      name: 'Everything else',
      position: 1,
      targets: { first_response: 480, next_response: 600, resolution: 2400 },
      calendarId: cal.id,
      warnBeforeMinutes: opts.warnBeforeMinutes ?? 60,
    });
    await services.rules.create(actor, {
      name: 'Legal threats are urgent',
      trigger: 'ticket.created',
      conditions: [{ field: 'text', op: 'contains_any', value: ['lawyer'] }],
      actions: [{ type: 'set_priority', value: 'urgent' }],
    });
    const channel = await services.channels.create(actor, {
      kind: 'email',
      name: 'Support',
      address: `support-${ws.workspace.slug}@desk.test`,
    });
    return { ws, urgent, normal, channel: await services.channels.get(actor, channel.id) };
  }

  /** The ticket's SLA as refreshTicketSla computes it from the stored history, at the same moment, not written. */
  async function recomputed(workspaceId: string, ticketId: string, now: Date) {
    const { database } = ctx;
    const got: { ticket: Awaited<ReturnType<typeof findTicket>> } = { ticket: null };
    await database.db
      .transaction(async (tx) => {
        got.ticket = await refreshTicketSla(tx, workspaceId, ticketId, now);
        throw new Error('rollback');
      })
      .catch((err: unknown) => {
        if (!(err instanceof Error) || err.message !== 'rollback') throw err;
      });
    if (!got.ticket) throw new Error('the ticket was not found again');
    return got.ticket;
  }

  it('writes a ticket no rule matches once, with the SLA its history gives', async () => {
    const d = await desk();
    const r = await ctx.services.tickets.receive({
      channel: d.channel,
      from: { email: 'once@example.com', name: 'Ona Once' },
      subject: 'Where is my parcel?',
      text: 'It has been a week.',
      emailMessageId: 'once-1@mail.example.com',
    });
    if (r.outcome !== 'created') throw new Error(`expected a new ticket, got ${r.outcome}`);
    const stored = await findTicket(ctx.database.db, d.ws.workspace.id, r.ticket.id);
    if (!stored) throw new Error('ticket not stored');
    // Written once: never updated after its insert.
    expect(stored.updatedAt.getTime()).toBe(stored.createdAt.getTime());
    expect(stored.slaPolicyId).toBe(d.normal.id);
    expect(stored.sla.map((m) => m.metric).sort()).toEqual(['first_response', 'resolution']);
    expect(stored.slaNextCheckAt).not.toBeNull();
    // What the service returned is what was stored.
    expect(r.ticket.sla).toEqual(stored.sla);

    const again = await recomputed(d.ws.workspace.id, stored.id, stored.createdAt);
    expect(again.slaPolicyId).toBe(stored.slaPolicyId);
    expect(again.sla).toEqual(stored.sla);
    expect(again.slaNextCheckAt?.getTime()).toBe(stored.slaNextCheckAt?.getTime());
    expect(again.firstResponseBusinessMs).toBe(stored.firstResponseBusinessMs);
    expect(again.resolutionBusinessMs).toBe(stored.resolutionBusinessMs);
  });

  it('lets a matching rule change the ticket first, then counts the SLA of the changed ticket', async () => {
    const d = await desk();
    const r = await ctx.services.tickets.receive({
      channel: d.channel,
      from: { email: 'legal@example.com' },
      subject: 'Refund, or my lawyer calls',
      text: 'You have a week.',
      emailMessageId: 'legal-1@mail.example.com',
    });
    if (r.outcome !== 'created') throw new Error(`expected a new ticket, got ${r.outcome}`);
    expect(r.ticket.priority).toBe('urgent');
    expect(r.ticket.slaPolicyId).toBe(d.urgent.id);
    const firstResponse = r.ticket.sla.find((m) => m.metric === 'first_response');
    expect(firstResponse?.target).toBe(30);
    const ruleEvents = await ctx.database.db
      .select({ type: events.type })
      .from(events)
      .where(and(eq(events.subjectId, r.ticket.id), eq(events.type, 'ticket.rule_applied')));
    expect(ruleEvents.length).toBeGreaterThan(0);
  });

  it('records a warning due at once through the SLA clock, as before', async () => {
    // Warned 500 minutes before a 480-minute target: due the moment the ticket opens.
    const d = await desk({ warnBeforeMinutes: 500 });
    const r = await ctx.services.tickets.receive({
      channel: d.channel,
      from: { email: 'warned@example.com' },
      subject: 'Quick question',
      text: 'Do you ship to Norway?',
      emailMessageId: 'warned-1@mail.example.com',
    });
    if (r.outcome !== 'created') throw new Error(`expected a new ticket, got ${r.outcome}`);
    const warnings = await ctx.database.db
      .select({ type: events.type })
      .from(events)
      .where(and(eq(events.subjectId, r.ticket.id), eq(events.type, 'ticket.sla_warning')));
    expect(warnings).toHaveLength(1);
    const first = r.ticket.sla.find((m) => m.metric === 'first_response') as { notified?: string[] } | undefined;
    expect(first?.notified).toEqual(['warn']);
  });
});
