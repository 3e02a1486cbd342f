import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { bearer, caller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { listEvents } from '../../events/events.ts';
import { refreshTicketSla, slaCheckJob } from './sla.service.ts';

const minute = 60_000;

describe.each(testEngines())('SLA policies on tickets (%s)', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const key = await makeApiKey(ctx.services, ws);
    const call = caller(ctx.app, bearer(key));
    return { ws, call };
  }

  it('applies the first matching policy, stores due times, and meets first response with the reply', async () => {
    const { ws, call } = await setup();
    const vip = await call('POST', '/api/v1/sla-policies', {
      name: 'Urgent',
      position: 0,
      conditions: [{ field: 'priority', op: 'is', value: 'urgent' }],
      targets: { first_response: 60, resolution: 240 },
      warnBeforeMinutes: 15,
    });
    expect(vip.statusCode, vip.body).toBe(201);
    const rest = await call('POST', '/api/v1/sla-policies', {
      name: 'Everyone else',
      position: 1,
      targets: { first_response: 480 },
    });
    expect(rest.statusCode).toBe(201);

    const urgent = await call('POST', '/api/v1/tickets', {
      subject: 'Site down',
      requester: { email: 'ops@example.com' },
      priority: 'urgent',
      text: 'Nothing loads',
    });
    expect(urgent.statusCode).toBe(201);
    const t = urgent.json();
    expect(t.slaPolicyId).toBe(vip.json().id);
    const created = new Date(t.createdAt).getTime();
    const first = t.sla.find((m: { metric: string }) => m.metric === 'first_response');
    // No calendar: the clock runs around the clock, so due = created + target exactly.
    expect(first).toMatchObject({ state: 'running', target: 60 });
    expect(new Date(first.dueAt).getTime()).toBe(created + 60 * minute);
    expect(new Date(first.warnAt).getTime()).toBe(created + 45 * minute);
    const resolution = t.sla.find((m: { metric: string }) => m.metric === 'resolution');
    expect(new Date(resolution.dueAt).getTime()).toBe(created + 240 * minute);

    const normal = await call('POST', '/api/v1/tickets', {
      subject: 'Question',
      requester: { email: 'q@example.com' },
      text: 'How do I…',
    });
    expect(normal.json().slaPolicyId).toBe(rest.json().id);
    expect(normal.json().sla.map((m: { metric: string }) => m.metric)).toEqual(['first_response']);

    const reply = await call('POST', `/api/v1/tickets/${t.id}/replies`, { text: 'On it' });
    expect(reply.statusCode).toBe(201);
    const after = (await call('GET', `/api/v1/tickets/${t.id}`)).json();
    const met = after.sla.find((m: { metric: string }) => m.metric === 'first_response');
    expect(met.state).toBe('met');
    expect(after.firstResponseBusinessMs).toBe(met.elapsedBusinessMs);
    expect(after.firstResponseBusinessMs).toBeLessThan(60 * minute);

    // Raising the priority of the other ticket moves it under the urgent policy.
    const raised = await call('PATCH', `/api/v1/tickets/${normal.json().id}`, { priority: 'urgent' });
    expect(raised.json().slaPolicyId).toBe(vip.json().id);

    // Solving meets resolution and records the resolution time.
    const solved = await call('PATCH', `/api/v1/tickets/${t.id}`, { status: 'solved' });
    expect(solved.json().sla.find((m: { metric: string }) => m.metric === 'resolution').state).toBe('met');
    expect(solved.json().resolutionBusinessMs).toBeGreaterThanOrEqual(0);
    void ws;
  });

  it('warns once and breaches once as time passes, from the scheduled check', async () => {
    const { ws, call } = await setup();
    await call('POST', '/api/v1/sla-policies', { name: 'All', targets: { first_response: 30 }, warnBeforeMinutes: 10 });
    const t = (
      await call('POST', '/api/v1/tickets', {
        subject: 'Late',
        requester: { email: 'late@example.com' },
        text: 'hello',
      })
    ).json();
    const created = new Date(t.createdAt).getTime();
    expect(new Date(t.slaNextCheckAt).getTime()).toBe(created + 20 * minute);
    const db = ctx.database.db;
    const at = (m: number) => new Date(created + m * minute);
    await db.transaction((tx) => refreshTicketSla(tx, ws.workspace.id, t.id, at(21)));
    await db.transaction((tx) => refreshTicketSla(tx, ws.workspace.id, t.id, at(22)));
    await db.transaction((tx) => refreshTicketSla(tx, ws.workspace.id, t.id, at(31)));
    await db.transaction((tx) => refreshTicketSla(tx, ws.workspace.id, t.id, at(45)));
    const evs = await listEvents(db, ws.workspace.id, { subjectType: 'ticket', subjectId: t.id, limit: 50 });
    expect(evs.filter((e) => e.type === 'ticket.sla_warning')).toHaveLength(1);
    const breaches = evs.filter((e) => e.type === 'ticket.sla_breached');
    expect(breaches).toHaveLength(1);
    expect(breaches[0]?.payload).toMatchObject({ metric: 'first_response', number: t.number });
    const now = (await call('GET', `/api/v1/tickets/${t.id}`)).json();
    expect(now.sla[0].state).toBe('breached');
    // The person's timeline shows the breach too.
    const timeline = (await call('GET', `/api/v1/people/${t.personId}/timeline?limit=50`)).json();
    expect(timeline.data.map((e: { type: string }) => e.type)).toContain('ticket.sla_breached');
    // The breaching queue lists it.
    const breaching = (await call('GET', '/api/v1/tickets?queue=breaching')).json();
    expect(breaching.data.map((x: { id: string }) => x.id)).toContain(t.id);
  });

  it('lists and counts as breaching a target due within 2 hours, not one due later, paused or met', async () => {
    const { call } = await setup();
    await call('POST', '/api/v1/sla-policies', {
      name: 'Urgent',
      position: 0,
      conditions: [{ field: 'priority', op: 'is', value: 'urgent' }],
      targets: { first_response: 60 },
    });
    await call('POST', '/api/v1/sla-policies', { name: 'Others', position: 1, targets: { first_response: 600 } });
    const open = async (subject: string, priority?: string) =>
      (
        await call('POST', '/api/v1/tickets', {
          subject,
          requester: { email: `${subject}@example.com` },
          text: 'x',
          ...(priority ? { priority } : {}),
        })
      ).json() as { id: string };
    const soon = await open('soon', 'urgent');
    const later = await open('later');
    const paused = await open('paused', 'urgent');
    expect((await call('PATCH', `/api/v1/tickets/${paused.id}`, { status: 'pending' })).json().sla[0].state).toBe(
      'paused',
    );
    const breaching = async () =>
      ((await call('GET', '/api/v1/tickets?queue=breaching')).json().data as Array<{ id: string }>).map((x) => x.id);
    expect(await breaching()).toEqual([soon.id]);
    expect((await call('GET', '/api/v1/tickets/queues')).json()).toMatchObject({ breaching: 1, open: 3 });
    // Meeting the target takes it out; the one due in 10 hours never was in.
    expect((await call('POST', `/api/v1/tickets/${soon.id}/replies`, { text: 'On it' })).statusCode).toBe(201);
    expect(await breaching()).toEqual([]);
    expect((await call('GET', '/api/v1/tickets/queues')).json()).toMatchObject({ breaching: 0, open: 3 });
    expect((await call('GET', '/api/v1/tickets?queue=open')).json().data.map((x: { id: string }) => x.id)).toContain(
      later.id,
    );
  });

  it('counts business hours of a calendar and pauses while pending', async () => {
    const { call } = await setup();
    const cal = await call('POST', '/api/v1/business-calendars', {
      name: 'Berlin office',
      timeZone: 'Europe/Berlin',
      weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '17:00' })),
      holidays: [{ date: '2026-12-25', name: 'Christmas' }],
    });
    expect(cal.statusCode, cal.body).toBe(201);
    const policy = await call('POST', '/api/v1/sla-policies', {
      name: 'Office hours',
      calendarId: cal.json().id,
      targets: { resolution: 600 },
    });
    expect(policy.statusCode).toBe(201);
    const t = (
      await call('POST', '/api/v1/tickets', { subject: 'Hours', requester: { email: 'h@example.com' }, text: 'x' })
    ).json();
    expect(t.sla[0]).toMatchObject({ metric: 'resolution', target: 600 });
    const pending = await call('PATCH', `/api/v1/tickets/${t.id}`, { status: 'pending' });
    expect(pending.json().sla[0].state).toBe('paused');
    expect(pending.json().sla[0].dueAt).toBeNull();
    expect(pending.json().slaNextCheckAt).toBeNull();

    const inUse = await call('DELETE', `/api/v1/business-calendars/${cal.json().id}`);
    expect(inUse.statusCode).toBe(409);
  });

  it('rejects bad calendars and policies with the field at fault', async () => {
    const { call } = await setup();
    const bad = await call('POST', '/api/v1/business-calendars', {
      name: 'Broken',
      timeZone: 'Mars/Olympus',
      weekly: [{ day: 1, start: '17:00', end: '09:00' }],
    });
    expect(bad.statusCode).toBe(400);
    const fields = bad.json().error.details.problems.map((p: { field: string }) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['timeZone', 'weekly[0].end']));
    const noTargets = await call('POST', '/api/v1/sla-policies', { name: 'Empty', targets: {} });
    expect(noTargets.statusCode).toBe(400);
    const badPause = await call('POST', '/api/v1/sla-policies', {
      name: 'Odd',
      targets: { first_response: 10 },
      pauseOn: ['solved'],
    });
    expect(badPause.statusCode).toBe(400);
    expect(badPause.json().error.details.field).toBe('pauseOn');
  });

  it('puts a policy made without a position after the others: it does not take over their tickets', async () => {
    const { call } = await setup();
    const make = (name: string, extra: Record<string, unknown> = {}) =>
      call('POST', '/api/v1/sla-policies', { name, targets: { first_response: 60 }, ...extra });
    const first = (await make('Standard')).json<{ position: number }>();
    const second = (await make('Another catch-all')).json<{ position: number }>();
    const placed = (await make('Placed', { position: 0 })).json<{ position: number }>();
    expect([first.position, second.position, placed.position]).toEqual([0, 1, 0]);
    const third = (await make('Third')).json<{ position: number }>();
    expect(third.position).toBe(2);
  });

  it('the scheduled job picks up tickets whose check time has come', async () => {
    const { ws, call } = await setup();
    await call('POST', '/api/v1/sla-policies', { name: 'All', targets: { first_response: 5 }, warnBeforeMinutes: 0 });
    const t = (
      await call('POST', '/api/v1/tickets', { subject: 'Job', requester: { email: 'job@example.com' }, text: 'x' })
    ).json();
    // Move the check time (and the clock's start) into the past instead of waiting.
    await ctx.database.db.execute(
      sql`update tickets set sla_next_check_at = now() - interval '1 minute', created_at = now() - interval '10 minutes' where id = ${t.id}`,
    );
    await slaCheckJob.handler({}, { db: ctx.database.db, jobId: 'x', workspaceId: ws.workspace.id, attempt: 1 });
    const after = (await call('GET', `/api/v1/tickets/${t.id}`)).json();
    expect(after.sla[0].state).toBe('breached');
    expect(after.slaNextCheckAt).toBeNull();
  });

  it('a tightened policy reaches tickets already open: the next check recomputes them and records the breach', async () => {
    const { ws, call } = await setup();
    const policy = (
      await call('POST', '/api/v1/sla-policies', { name: 'All', targets: { first_response: 480 } })
    ).json();
    const open = async (subject: string) =>
      (
        await call('POST', '/api/v1/tickets', { subject, requester: { email: `${subject}@example.com` }, text: 'x' })
      ).json();
    const a = await open('tight-a');
    const b = await open('tight-b');
    // Both were opened 30 minutes ago (the clock counts from creation); their next check is hours away.
    await ctx.database.db.execute(
      sql`update tickets set created_at = now() - interval '30 minutes' where id in (${a.id}, ${b.id})`,
    );
    const job = () =>
      slaCheckJob.handler({}, { db: ctx.database.db, jobId: 'x', workspaceId: ws.workspace.id, attempt: 1 });
    await job();
    expect((await call('GET', `/api/v1/tickets/${a.id}`)).json().sla[0].state).toBe('running');

    const tightened = await call('PATCH', `/api/v1/sla-policies/${policy.id}`, { targets: { first_response: 10 } });
    expect(tightened.statusCode, tightened.body).toBe(200);
    await job();
    for (const t of [a, b]) {
      const after = (await call('GET', `/api/v1/tickets/${t.id}`)).json();
      expect(after.sla[0]).toMatchObject({ state: 'breached', target: 10 });
      expect(after.slaNextCheckAt).toBeNull();
      const evs = await listEvents(ctx.database.db, ws.workspace.id, {
        subjectType: 'ticket',
        subjectId: t.id,
        limit: 50,
      });
      expect(evs.filter((e) => e.type === 'ticket.sla_breached')).toHaveLength(1);
    }
    const breaching = (await call('GET', '/api/v1/tickets?queue=breaching')).json();
    expect(breaching.data.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining([a.id, b.id]));

    // Deleting the policy takes the SLA off them at the next check.
    expect((await call('DELETE', `/api/v1/sla-policies/${policy.id}`)).statusCode).toBe(204);
    await job();
    expect((await call('GET', `/api/v1/tickets/${a.id}`)).json()).toMatchObject({ sla: [], slaPolicyId: null });
  });

  it('changed business hours reach tickets already open: their due time is recomputed on the new calendar', async () => {
    const { ws, call } = await setup();
    const cal = (
      await call('POST', '/api/v1/business-calendars', {
        name: 'Nights only',
        timeZone: 'UTC',
        weekly: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: '00:00', end: '00:01' })),
      })
    ).json();
    await call('POST', '/api/v1/sla-policies', { name: 'Cal', calendarId: cal.id, targets: { first_response: 60 } });
    const t = (
      await call('POST', '/api/v1/tickets', { subject: 'Hours', requester: { email: 'hours@example.com' }, text: 'x' })
    ).json();
    const dueBefore = new Date(t.sla[0].dueAt).getTime();
    expect(dueBefore).toBeGreaterThan(Date.now() + 50 * 24 * 3600_000); // one minute a day: 60 days away
    const renamed = await call('PATCH', `/api/v1/business-calendars/${cal.id}`, { name: 'Renamed' });
    expect(renamed.statusCode).toBe(200);
    expect(new Date((await call('GET', `/api/v1/tickets/${t.id}`)).json().slaNextCheckAt).getTime()).toBeGreaterThan(
      Date.now() + 3600_000,
    ); // a new name moves nothing
    const allDay = await call('PATCH', `/api/v1/business-calendars/${cal.id}`, {
      weekly: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: '00:00', end: '24:00' })),
    });
    expect(allDay.statusCode, allDay.body).toBe(200);
    await slaCheckJob.handler({}, { db: ctx.database.db, jobId: 'x', workspaceId: ws.workspace.id, attempt: 1 });
    const after = (await call('GET', `/api/v1/tickets/${t.id}`)).json();
    expect(new Date(after.sla[0].dueAt).getTime()).toBe(new Date(t.createdAt).getTime() + 60 * minute);
  });

  it('reorders every policy at once: open tickets follow the new first match, bad orders change nothing', async () => {
    const { ws, call } = await setup();
    const make = async (name: string, conditions: unknown[], first: number) =>
      (await call('POST', '/api/v1/sla-policies', { name, conditions, targets: { first_response: first } })).json()
        .id as string;
    const all = await make('Everyone', [], 480);
    const urgent = await make('Urgent', [{ field: 'priority', op: 'is', value: 'urgent' }], 60);
    const t = (
      await call('POST', '/api/v1/tickets', {
        subject: 'Down',
        requester: { email: 'down@example.com' },
        priority: 'urgent',
        text: 'x',
      })
    ).json();
    // "Everyone" comes first, so it serves the urgent ticket too.
    expect(t.slaPolicyId).toBe(all);

    const names = async () =>
      ((await call('GET', '/api/v1/sla-policies')).json().data as Array<{ name: string; position: number }>).map(
        (p) => `${p.position}:${p.name}`,
      );
    for (const [ids, code] of [
      [[urgent], 'missing'],
      [[urgent, all, urgent], 'duplicated'],
      [[urgent, all, '00000000-0000-4000-8000-000000000000'], 'unknown'],
    ] as const) {
      const bad = await call('PUT', '/api/v1/sla-policies/order', { ids });
      expect(bad.statusCode, bad.body).toBe(400);
      expect(bad.json().error.code).toBe('validation_failed');
      expect(Object.keys(bad.json().error.details)).toContain(code);
    }
    expect(await names()).toEqual(['0:Everyone', '1:Urgent']);

    const res = await call('PUT', '/api/v1/sla-policies/order', { ids: [urgent, all] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.map((p: { name: string }) => p.name)).toEqual(['Urgent', 'Everyone']);
    expect(await names()).toEqual(['0:Urgent', '1:Everyone']);
    // The open ticket is due a check now; the check gives it the policy now tried first.
    await slaCheckJob.handler({}, { db: ctx.database.db, jobId: 'x', workspaceId: ws.workspace.id, attempt: 1 });
    const after = (await call('GET', `/api/v1/tickets/${t.id}`)).json();
    expect(after.slaPolicyId).toBe(urgent);
    expect(after.sla.find((m: { metric: string }) => m.metric === 'first_response').target).toBe(60);
    const evs = await listEvents(ctx.database.db, ws.workspace.id, { type: 'sla_policy.reordered', limit: 10 });
    expect(evs.map((e) => e.payload)).toEqual([{ order: [urgent, all] }]);
  });
});
