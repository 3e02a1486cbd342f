import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { bearer, caller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { rowsOf } from '../../db/client.ts';
import { runTimeRules } from './time.job.ts';

const hours = (n: number) => new Date(Date.now() + n * 3_600_000);

describe.each(testEngines())('time rules (%s)', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const key = await makeApiKey(ctx.services, ws);
    const call = caller(ctx.app, bearer(key));
    const ticket = async (subject: string) =>
      (await call('POST', '/api/v1/tickets', { subject, requester: { email: 'c@example.com' }, text: 'Help' })).json();
    return { ws, call, ticket };
  }

  async function runs(ruleId: string) {
    const r = await ctx.database.db.execute(
      sql`select ticket_id, fired from rule_runs where rule_id = ${ruleId} order by created_at`,
    );
    return rowsOf<{ ticket_id: string; fired: boolean }>(r);
  }

  it('solves tickets pending for three days, once, and leaves the others alone', async () => {
    const { call, ticket } = await setup();
    const rule = await call('POST', '/api/v1/rules', {
      name: 'Pending 3 days: solve',
      trigger: 'ticket.time_elapsed',
      delay: { since: 'status_changed', hours: 72 },
      conditions: [{ field: 'status', op: 'is', value: 'pending' }],
      actions: [
        { type: 'set_status', value: 'solved' },
        { type: 'add_note', text: 'Solved after three days without an answer from the customer.' },
      ],
    });
    expect(rule.statusCode, rule.body).toBe(201);
    expect(rule.json()).toMatchObject({ delay: { since: 'status_changed', hours: 72 }, timeCheckedUntil: null });
    const waiting = await ticket('Waiting for the customer');
    const open = await ticket('Still being worked on');
    const patched = await call('PATCH', `/api/v1/tickets/${waiting.id}`, { status: 'pending' });
    expect(new Date(patched.json().statusChangedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(waiting.statusChangedAt).getTime(),
    );

    // Not yet: nothing is due before 72 hours.
    expect(await runTimeRules(ctx.database.db, hours(71))).toEqual({ looked: 0, fired: 0 });
    expect((await call('GET', `/api/v1/tickets/${waiting.id}`)).json().status).toBe('pending');

    // After 73 hours both tickets' moment has come; only the pending one matches.
    expect(await runTimeRules(ctx.database.db, hours(73))).toEqual({ looked: 2, fired: 1 });
    const solved = (await call('GET', `/api/v1/tickets/${waiting.id}`)).json();
    expect(solved.status).toBe('solved');
    expect(solved.messages.at(-1)).toMatchObject({
      direction: 'note',
      bodyText: expect.stringContaining('three days'),
    });
    const history = (await call('GET', `/api/v1/tickets/${waiting.id}/history?limit=50`)).json().data;
    const applied = history.find((e: { type: string }) => e.type === 'ticket.rule_applied');
    expect(applied.payload).toMatchObject({
      trigger: 'ticket.time_elapsed',
      rule: 'Pending 3 days: solve',
      changes: { status: { from: 'pending', to: 'solved' } },
    });
    expect((await call('GET', `/api/v1/tickets/${open.id}`)).json().status).toBe('new');
    expect((await runs(rule.json().id)).map((r) => [r.ticket_id, r.fired]).sort()).toEqual(
      [
        [waiting.id, true],
        [open.id, false],
      ].sort(),
    );

    // Looked at once: later runs find nothing new, and the watermark moved.
    expect(await runTimeRules(ctx.database.db, hours(80))).toEqual({ looked: 0, fired: 0 });
    const after = (await call('GET', '/api/v1/rules')).json().data[0];
    expect(new Date(after.timeCheckedUntil).getTime()).toBeGreaterThan(hours(79).getTime());
  });

  it('counts again from a moved moment: a new customer message restarts "no answer for a day"', async () => {
    const { call, ticket } = await setup();
    const rule = (
      await call('POST', '/api/v1/rules', {
        name: 'Unanswered for a day',
        trigger: 'ticket.time_elapsed',
        delay: { since: 'last_customer_message', hours: 24 },
        conditions: [{ field: 'priority', op: 'in', value: ['low', 'normal'] }],
        actions: [
          { type: 'add_tags', tags: ['waiting-a-day'] },
          { type: 'set_priority', value: 'high' },
        ],
      })
    ).json();
    const t = await ticket('Where is my parcel?');
    expect(await runTimeRules(ctx.database.db, hours(25))).toEqual({ looked: 1, fired: 1 });
    const first = (await call('GET', `/api/v1/tickets/${t.id}`)).json();
    expect(first).toMatchObject({ priority: 'high', tags: ['waiting-a-day'] });

    // The agent lowers the priority again, then the customer writes once more: a new moment, looked at afresh.
    await call('PATCH', `/api/v1/tickets/${t.id}`, { priority: 'normal' });
    await ctx.database.db.execute(
      sql`update tickets set last_customer_message_at = last_customer_message_at + interval '2 hours' where id = ${t.id}`,
    );
    expect(await runTimeRules(ctx.database.db, hours(25))).toEqual({ looked: 0, fired: 0 });
    expect(await runTimeRules(ctx.database.db, hours(27))).toEqual({ looked: 1, fired: 1 });
    expect((await call('GET', `/api/v1/tickets/${t.id}`)).json().priority).toBe('high');
    expect((await runs(rule.id)).length).toBe(2);
  });

  it('skips closed and merged tickets, and other workspaces', async () => {
    const { call, ticket } = await setup();
    const other = await setup();
    await call('POST', '/api/v1/rules', {
      name: 'Tag old tickets',
      trigger: 'ticket.time_elapsed',
      delay: { since: 'created', hours: 1 },
      conditions: [],
      actions: [{ type: 'add_tags', tags: ['old'] }],
    });
    const closed = await ticket('Closed one');
    await call('PATCH', `/api/v1/tickets/${closed.id}`, { status: 'closed' });
    const live = await ticket('Live one');
    const elsewhere = await other.ticket('In another workspace');
    expect(await runTimeRules(ctx.database.db, hours(2))).toEqual({ looked: 1, fired: 1 });
    expect((await call('GET', `/api/v1/tickets/${live.id}`)).json().tags).toEqual(['old']);
    expect((await call('GET', `/api/v1/tickets/${closed.id}`)).json().tags).toEqual([]);
    expect((await other.call('GET', `/api/v1/tickets/${elsewhere.id}`)).json().tags).toEqual([]);
  });

  it('refuses time rules without a delay, delays on other triggers, text conditions and too short delays', async () => {
    const { call } = await setup();
    const base = { name: 'x', conditions: [], actions: [{ type: 'add_tags', tags: ['a'] }] };
    const noDelay = await call('POST', '/api/v1/rules', { ...base, trigger: 'ticket.time_elapsed' });
    expect(noDelay.statusCode).toBe(400);
    expect(noDelay.json().error).toMatchObject({ code: 'validation_failed', details: { field: 'delay' } });
    const stray = await call('POST', '/api/v1/rules', {
      ...base,
      trigger: 'ticket.created',
      delay: { since: 'created', hours: 2 },
    });
    expect(stray.statusCode).toBe(400);
    const text = await call('POST', '/api/v1/rules', {
      ...base,
      trigger: 'ticket.time_elapsed',
      delay: { since: 'created', hours: 2 },
      conditions: [{ field: 'text', op: 'contains_any', value: ['refund'] }],
    });
    expect(text.statusCode).toBe(400);
    const short = await call('POST', '/api/v1/rules', {
      ...base,
      trigger: 'ticket.time_elapsed',
      delay: { since: 'created', hours: 0.1 },
    });
    expect(short.statusCode).toBe(400);
    const badAnchor = await call('POST', '/api/v1/rules', {
      ...base,
      trigger: 'ticket.time_elapsed',
      delay: { since: 'birthday', hours: 2 },
    });
    expect(badAnchor.statusCode).toBe(400);

    // Changing a time rule's delay starts its scan again; a delay alone on an event rule is refused.
    const ok = (
      await call('POST', '/api/v1/rules', {
        ...base,
        trigger: 'ticket.time_elapsed',
        delay: { since: 'created', hours: 2 },
      })
    ).json();
    await runTimeRules(ctx.database.db, hours(3));
    expect((await call('GET', '/api/v1/rules')).json().data[0].timeCheckedUntil).not.toBeNull();
    const moved = await call('PATCH', `/api/v1/rules/${ok.id}`, { delay: { since: 'updated', hours: 5 } });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ delay: { since: 'updated', hours: 5 }, timeCheckedUntil: null });
    const event = (await call('POST', '/api/v1/rules', { ...base, trigger: 'ticket.created' })).json();
    expect(
      (await call('PATCH', `/api/v1/rules/${event.id}`, { delay: { since: 'created', hours: 2 } })).statusCode,
    ).toBe(400);
  });
  it('a rule counting from the last update is not restarted by its own note or by the SLA clock', async () => {
    const { ws, call, ticket } = await setup();
    // Any SLA policy: the SLA job and every refresh rewrite the ticket's SLA state, which is no update.
    expect(
      (await call('POST', '/api/v1/sla-policies', { name: 'Default', targets: { resolution: 60 * 24 * 30 } }))
        .statusCode,
    ).toBe(201);
    const rule = await call('POST', '/api/v1/rules', {
      name: 'Nudge after a quiet day',
      trigger: 'ticket.time_elapsed',
      delay: { since: 'updated', hours: 24 },
      conditions: [{ field: 'status', op: 'is', value: 'pending' }],
      actions: [{ type: 'add_note', text: 'No change for a day: follow up.' }],
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const t = await ticket('Waiting');
    await call('PATCH', `/api/v1/tickets/${t.id}`, { status: 'pending' });
    const updatedAt = (await call('GET', `/api/v1/tickets/${t.id}`)).json<{ updatedAt: string }>().updatedAt;
    const fired: number[] = [];
    // 25 hours pass, four times: every stored instant of this workspace moves 25 h into the past.
    const w = ws.workspace.id;
    for (let d = 1; d <= 4; d++) {
      await ctx.database.db.execute(
        sql`update tickets set updated_at = updated_at - interval '25 hours', created_at = created_at - interval '25 hours',
          status_changed_at = status_changed_at - interval '25 hours' where workspace_id = ${w}`,
      );
      await ctx.database.db.execute(
        sql`update rules set time_checked_until = time_checked_until - interval '25 hours' where workspace_id = ${w}`,
      );
      await ctx.database.db.execute(
        sql`update rule_runs set anchor_at = anchor_at - interval '25 hours' where workspace_id = ${w}`,
      );
      fired.push((await runTimeRules(ctx.database.db, new Date())).fired);
    }
    expect(fired).toEqual([1, 0, 0, 0]);
    const after = (await call('GET', `/api/v1/tickets/${t.id}`)).json<{
      updatedAt: string;
      messages: Array<{ direction: string }>;
    }>();
    expect(after.messages.filter((m) => m.direction === 'note')).toHaveLength(1);
    // Only the test's shifting moved the last update: 4 × 25 h back, nothing forward.
    expect(new Date(updatedAt).getTime() - new Date(after.updatedAt).getTime()).toBe(4 * 25 * 3_600_000);
  });
});
