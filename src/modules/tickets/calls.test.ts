import { describe, expect, it } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { refreshTicketSla } from '../sla/sla.service.ts';

/**
 * Phone calls logged by a phone system (CTI) or by hand through `POST /calls`: an answered inbound call is the agent
 * speaking to the customer, so it is the ticket's first response, at the time it was answered; times the phone system
 * cannot have seen are refused.
 */

type Sla = { metric: string; state: string; completedAt: string | null; dueAt: string | null };
type Ticket = { id: string; createdAt: string; firstResponseAt: string | null; sla: Sla[] };
type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> | null } };

describe.each(testEngines())('phone calls on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const key = await makeApiKey(ctx.services, ws);
    await ctx.services.sla.createPolicy(ws.ownerActor, {
      name: 'Phone',
      position: 0,
      targets: { first_response: 60, resolution: 24 * 60 },
    });
    const post = (payload: object) =>
      ctx.app.inject({ method: 'POST', url: '/api/v1/calls', headers: bearer(key), payload });
    const logged = async (payload: object) => {
      const res = await post(payload);
      expect(res.statusCode, res.body).toBe(201);
      return res.json<{
        ticket: Ticket;
        message: { id: string; createdAt: string; meta: { call: Record<string, unknown> } };
      }>();
    };
    const ticket = async (id: string) =>
      (await ctx.app.inject({ method: 'GET', url: `/api/v1/tickets/${id}`, headers: bearer(key) })).json<Ticket>();
    return { ws, post, logged, ticket };
  }

  const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);
  const metric = (t: Ticket, name: string) => t.sla.find((m) => m.metric === name);

  it('an answered inbound call is the first response, at the time it was answered', async () => {
    const { ws, logged, ticket } = await setup();
    const start = ago(10);
    const rang = await logged({
      callId: 'in-1',
      event: 'started',
      direction: 'inbound',
      customerPhone: '+351912345001',
      at: start.toISOString(),
    });
    // The ticket opened when the customer called; ringing is not an answer: the clock runs.
    expect(rang.ticket.createdAt).toBe(start.toISOString());
    expect(rang.ticket.firstResponseAt).toBeNull();
    expect(metric(rang.ticket, 'first_response')?.state).toBe('running');

    // 7 minutes of talk after a minute of ringing.
    const end = ago(2);
    const ended = await logged({
      callId: 'in-1',
      event: 'ended',
      direction: 'inbound',
      customerPhone: '+351912345001',
      at: end.toISOString(),
      durationSeconds: 420,
      outcome: 'answered',
    });
    const answered = new Date(end.getTime() - 420_000).toISOString();
    expect(ended.message.meta.call).toMatchObject({ answeredAt: answered });
    expect(ended.ticket.id).toBe(rang.ticket.id);
    expect(ended.ticket.firstResponseAt).toBe(answered);
    expect(metric(ended.ticket, 'first_response')).toMatchObject({ state: 'met', completedAt: answered });
    // The end of the call is not the customer waiting for an answer again.
    expect(metric(ended.ticket, 'next_response')).toBeUndefined();
    // The SLA clock job, recounting from the stored history, agrees.
    const stored = await ticket(rang.ticket.id);
    await ctx.database.db.transaction((tx) => refreshTicketSla(tx, ws.workspace.id, rang.ticket.id));
    const settled = (t: Ticket) => t.sla.map((m) => [m.metric, m.state, m.completedAt, m.dueAt]);
    expect(settled(await ticket(rang.ticket.id))).toEqual(settled(stored));
    // An agent's reply counts the clock in memory (clockMessages) before it writes: the same as from the database.
    await ctx.services.tickets.reply(ws.ownerActor, rang.ticket.id, { text: 'As promised, the summary of our call.' });
    const replied = await ticket(rang.ticket.id);
    expect(metric(replied, 'first_response')).toMatchObject({ state: 'met', completedAt: answered });
    await ctx.database.db.transaction((tx) => refreshTicketSla(tx, ws.workspace.id, rang.ticket.id));
    expect(settled(await ticket(rang.ticket.id))).toEqual(settled(replied));
  });

  it('a call logged once it ended answers the ticket it opens; a missed call or a voicemail does not', async () => {
    const { logged } = await setup();
    const end = ago(1);
    const whole = await logged({
      callId: 'in-2',
      event: 'ended',
      direction: 'inbound',
      customerPhone: '+351912345002',
      at: end.toISOString(),
      durationSeconds: 300,
    });
    // Answered before the ticket existed: the ticket was answered as it opened.
    expect(whole.ticket.firstResponseAt).toBe(whole.ticket.createdAt);
    expect(metric(whole.ticket, 'first_response')?.state).toBe('met');

    for (const [callId, outcome, durationSeconds] of [
      ['in-3', 'no answer', 25],
      ['in-4', 'voicemail', 40],
      ['in-5', undefined, 0],
    ] as const) {
      const missed = await logged({
        callId,
        event: 'ended',
        direction: 'inbound',
        customerPhone: `+35191234500${callId.slice(-1)}`,
        durationSeconds,
        ...(outcome ? { outcome } : {}),
      });
      expect(missed.message.meta.call.answeredAt, outcome).toBeUndefined();
      expect(missed.ticket.firstResponseAt, outcome).toBeNull();
      expect(metric(missed.ticket, 'first_response')?.state, outcome).toBe('running');
    }
  });

  it('a call logged by hand with its ticket: answered, the ticket is answered as it opens', async () => {
    const { ws, ticket } = await setup();
    const key = bearer(await makeApiKey(ctx.services, ws));
    const open = (body: object) =>
      ctx.app.inject({
        method: 'POST',
        url: '/api/v1/tickets',
        headers: key,
        payload: { subject: 'Phoned about a refund', requester: { phone: '+351912345020' }, channel: 'phone', ...body },
      });
    const answered = await open({ text: 'Wants a refund for order 8.', call: { durationSeconds: 240 } });
    expect(answered.statusCode, answered.body).toBe(201);
    const t = await ticket(answered.json<Ticket>().id);
    expect(t.firstResponseAt).toBe(t.createdAt);
    expect(metric(t, 'first_response')).toMatchObject({ state: 'met', completedAt: t.createdAt });

    const voicemail = await open({ text: 'Left a voicemail.', call: { durationSeconds: 35, outcome: 'voicemail' } });
    expect(voicemail.statusCode, voicemail.body).toBe(201);
    expect(metric(voicemail.json<Ticket>(), 'first_response')?.state).toBe('running');
    // Without call details, a ticket opened for a phone call is the customer's words, as before.
    const plain = await open({ text: 'Asked about opening hours.' });
    expect(plain.json<Ticket>().firstResponseAt).toBeNull();

    for (const [body, field] of [
      [{ channel: 'email', call: { durationSeconds: 60 } }, 'call'],
      [{ from: 'agent', call: { durationSeconds: 60 } }, 'call'],
      [{ call: { startedAt: new Date(Date.now() + 3_600_000).toISOString() } }, 'call.startedAt'],
      [{ call: { startedAt: ago(5).toISOString(), answeredAt: ago(6).toISOString() } }, 'call.answeredAt'],
    ] as const) {
      const res = await open({ text: 'x', ...body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<ErrorBody>().error.details).toMatchObject({ field });
    }
  });

  it('takes the answer time the phone system gives, and refuses times it cannot have seen (400)', async () => {
    const { logged, post } = await setup();
    const call = { direction: 'inbound', customerPhone: '+351912345009' };
    const start = ago(20);
    await logged({ ...call, callId: 'in-9', event: 'started', at: start.toISOString() });
    const after = (seconds: number) => new Date(start.getTime() + seconds * 1000).toISOString();
    const refused = async (payload: object, field: string) => {
      const res = await post({ ...call, ...payload });
      expect(res.statusCode, res.body).toBe(400);
      const e = res.json<ErrorBody>().error;
      expect(e).toMatchObject({ code: 'validation_failed', details: { field } });
      return e;
    };
    // In the future beyond the clock skew: refused; within it: taken.
    await refused({ callId: 'in-10', event: 'started', at: new Date(Date.now() + 10 * 60_000).toISOString() }, 'at');
    await refused(
      { callId: 'in-9', event: 'ended', answeredAt: new Date(Date.now() + 3_600_000).toISOString() },
      'answeredAt',
    );
    await logged({ ...call, callId: 'in-11', event: 'started', at: new Date(Date.now() + 60_000).toISOString() });
    // An end before the start, an answer before the start or after the end.
    const early = await refused({ callId: 'in-9', event: 'ended', at: after(-60) }, 'at');
    expect(early.details).toMatchObject({ startedAt: start.toISOString() });
    await refused({ callId: 'in-9', event: 'ended', at: after(120), answeredAt: after(-1) }, 'answeredAt');
    await refused({ callId: 'in-9', event: 'ended', at: after(120), answeredAt: after(121) }, 'answeredAt');

    const ended = await logged({ ...call, callId: 'in-9', event: 'ended', at: after(120), answeredAt: after(30) });
    expect(ended.ticket.firstResponseAt).toBe(after(30));
    expect(metric(ended.ticket, 'first_response')).toMatchObject({ state: 'met', completedAt: after(30) });
  });
  it('logs a call on an existing ticket: an outbound call is the reply, a customer calling back reopens it', async () => {
    const { ws, ticket } = await setup();
    const key = bearer(await makeApiKey(ctx.services, ws));
    const opened = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tickets',
      headers: key,
      payload: {
        subject: 'Parcel not delivered',
        requester: { email: 'nadia@calls.test', phone: '+351912345030' },
        channel: 'email',
        text: 'Where is my parcel?',
      },
    });
    expect(opened.statusCode, opened.body).toBe(201);
    const id = opened.json<Ticket>().id;
    const log = (payload: object) =>
      ctx.app.inject({ method: 'POST', url: `/api/v1/tickets/${id}/calls`, headers: key, payload });
    type Logged = {
      ticket: Ticket & { status: string; resolvedAt: string | null; lastCustomerMessageAt: string | null };
      message: {
        id: string;
        conversationId: string;
        direction: string;
        bodyText: string;
        createdAt: string;
        meta: { call: Record<string, unknown> };
      };
    };

    // The agent calls the customer back: their first response, at the call's start (here before the ticket was
    // opened: the call sits at its opening, its own start in its details); the new ticket opens.
    const calledAt = ago(3);
    const out = await log({
      direction: 'outbound',
      call: { startedAt: calledAt.toISOString(), durationSeconds: 150, outcome: 'answered' },
      text: 'Courier has it; delivery tomorrow.',
    });
    expect(out.statusCode, out.body).toBe(201);
    const first = out.json<Logged>();
    expect(first.ticket.firstResponseAt).toBe(
      first.ticket.createdAt > calledAt.toISOString() ? first.ticket.createdAt : calledAt.toISOString(),
    );
    expect(metric(first.ticket, 'first_response')?.state).toBe('met');
    expect(first.ticket.status).toBe('open');
    expect(first.message).toMatchObject({ direction: 'outbound', bodyText: 'Courier has it; delivery tomorrow.' });
    const detail = (await ctx.app.inject({ method: 'GET', url: `/api/v1/tickets/${id}`, headers: key })).json<{
      conversations: Array<{ id: string; channel: string }>;
      messages: Array<{ id: string; meta: { call?: Record<string, unknown> } }>;
    }>();
    // The call went into a phone conversation of its own beside the e-mail one, with its details.
    expect(detail.conversations.map((c) => c.channel).sort()).toEqual(['email', 'phone']);
    expect(detail.messages.find((m) => m.id === first.message.id)?.meta.call).toMatchObject({
      direction: 'outbound',
      event: 'logged',
      durationSeconds: 150,
      outcome: 'answered',
      startedAt: calledAt.toISOString(),
      answeredAt: calledAt.toISOString(),
    });

    // Waiting on the customer, who calls back and leaves a voicemail: the ticket opens again; no new response.
    expect(
      (
        await ctx.app.inject({
          method: 'PATCH',
          url: `/api/v1/tickets/${id}`,
          headers: key,
          payload: { status: 'pending' },
        })
      ).statusCode,
    ).toBe(200);
    const back = await log({ direction: 'inbound', call: { durationSeconds: 40, outcome: 'voicemail' } });
    expect(back.statusCode, back.body).toBe(201);
    const second = back.json<Logged>();
    expect(second.ticket.status).toBe('open');
    expect(second.ticket.firstResponseAt).toBe(first.ticket.firstResponseAt);
    // Without a start, the call is the one that just ended: it started its duration ago.
    const started = Date.parse(String(second.message.meta.call.startedAt));
    expect(Date.now() - started).toBeGreaterThanOrEqual(40_000);
    expect(Date.now() - started).toBeLessThan(100_000);
    // (It sits at the ticket's opening, a moment before the e-mail that opened it, which stays the customer's latest.)
    expect(second.message.createdAt).toBe(first.ticket.createdAt);
    expect(second.ticket.lastCustomerMessageAt! >= second.message.createdAt).toBe(true);
    expect(second.message).toMatchObject({ direction: 'inbound', conversationId: first.message.conversationId });

    // An answered call that settles it, solved on the spot.
    const solved = await log({ direction: 'inbound', call: { durationSeconds: 200 }, status: 'solved' });
    expect(solved.statusCode, solved.body).toBe(201);
    expect(solved.json<Logged>().ticket).toMatchObject({ status: 'solved' });
    expect(solved.json<Logged>().ticket.resolvedAt).not.toBeNull();

    // The customer's timeline has the calls.
    const t = await ticket(id);
    const person = (t as unknown as { personId: string }).personId;
    const timeline = (
      await ctx.app.inject({ method: 'GET', url: `/api/v1/people/${person}/timeline?limit=50`, headers: key })
    ).json<{ data: Array<{ type: string; payload: Record<string, unknown> }> }>();
    const calls = timeline.data.filter((e) => e.type === 'ticket.call_logged');
    expect(calls.map((e) => e.payload.direction)).toEqual(['inbound', 'inbound', 'outbound']);

    // Logged by an agent on a new, unassigned ticket: a missed call leaves it new and unassigned; once the agent has
    // spoken to the customer it is open and theirs.
    const fresh = await ctx.services.tickets.create(ws.ownerActor, {
      subject: 'Invoice question',
      requester: { email: 'nadia@calls.test' },
      channel: 'email',
      text: 'Why two invoices?',
    });
    const missedCall = await ctx.services.tickets.logTicketCall(ws.ownerActor, fresh.id, {
      direction: 'inbound',
      call: { outcome: 'no answer' },
    });
    expect(missedCall.ticket).toMatchObject({ status: 'new', assigneeId: null, firstResponseAt: null });
    const spoke = await ctx.services.tickets.logTicketCall(ws.ownerActor, fresh.id, {
      direction: 'inbound',
      call: { durationSeconds: 120 },
    });
    expect(spoke.ticket).toMatchObject({ status: 'open', assigneeId: ws.ownerActor.userId });
    expect(spoke.ticket.firstResponseAt).not.toBeNull();

    // Refused: times the agent cannot know yet, an answer outside the call, a closed ticket, someone else's ticket.
    for (const [payload, field] of [
      [{ direction: 'inbound', call: { startedAt: new Date(Date.now() + 3_600_000).toISOString() } }, 'call.startedAt'],
      [
        { direction: 'inbound', call: { startedAt: ago(1).toISOString(), durationSeconds: 3600 } },
        'call.durationSeconds',
      ],
      [
        {
          direction: 'outbound',
          call: { startedAt: ago(10).toISOString(), durationSeconds: 60, answeredAt: ago(5).toISOString() },
        },
        'call.answeredAt',
      ],
    ] as const) {
      const res = await log(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json<ErrorBody>().error.details).toMatchObject({ field });
    }
    expect((await log({ direction: 'sideways', call: {} })).statusCode).toBe(400);
    await ctx.app.inject({
      method: 'PATCH',
      url: `/api/v1/tickets/${id}`,
      headers: key,
      payload: { status: 'closed' },
    });
    const closed = await log({ direction: 'inbound', call: { durationSeconds: 30 } });
    expect(closed.statusCode, closed.body).toBe(409);
    expect(closed.json<ErrorBody>().error.details).toMatchObject({ reason: 'ticket_closed' });
    const missing = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tickets/00000000-0000-4000-8000-000000000000/calls',
      headers: key,
      payload: { direction: 'inbound', call: {} },
    });
    expect(missing.statusCode).toBe(404);
    // Nothing of the refused calls was stored: three calls and the e-mail.
    const end = (await ctx.app.inject({ method: 'GET', url: `/api/v1/tickets/${id}`, headers: key })).json<{
      messages: unknown[];
    }>();
    expect(end.messages).toHaveLength(4);
  });
});
