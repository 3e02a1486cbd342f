import { describe, expect, it } from 'vitest';
import { bearer, caller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace } from '../../../test/factories.ts';
import { refreshTicketSla } from '../sla/sla.service.ts';

describe.each(testEngines())('rules and escalation (%s)', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const key = await makeApiKey(ctx.services, ws);
    const call = caller(ctx.app, bearer(key));
    return { ws, call };
  }

  it('escalates sensitive mail to a named team with the reason logged, and leaves ordinary mail alone', async () => {
    const { ws, call } = await setup();
    const team = (await call('POST', '/api/v1/teams', { name: 'Escalations' })).json();
    const added = await call('POST', '/api/v1/rules/recommended', { teamId: team.id });
    expect(added.statusCode, added.body).toBe(201);
    expect(added.json().data.length).toBe(6);
    // Twice is harmless.
    expect((await call('POST', '/api/v1/rules/recommended', { teamId: team.id })).json().data).toEqual([]);

    const legal = (
      await call('POST', '/api/v1/tickets', {
        subject: 'Still no refund',
        requester: { email: 'angry@example.com' },
        text: 'If I do not hear back by Friday my lawyer will take this to court.',
      })
    ).json();
    expect(legal.priority).toBe('urgent');
    expect(legal.teamId).toBe(team.id);
    expect(legal.tags).toContain('escalated');
    const history = (await call('GET', `/api/v1/tickets/${legal.id}/history?limit=50`)).json().data;
    const escalated = history.find((e: { type: string }) => e.type === 'ticket.escalated');
    expect(escalated.payload).toMatchObject({
      rule: 'Legal threat',
      reason: 'The customer mentions legal action or a regulator',
      teamId: team.id,
      priority: 'urgent',
    });
    expect(escalated.payload.reasons).toEqual(['text mentions "lawyer", "court"']);
    // On the customer's timeline too.
    const timeline = (await call('GET', `/api/v1/people/${legal.personId}/timeline?limit=50`)).json().data;
    expect(timeline.map((e: { type: string }) => e.type)).toContain('ticket.escalated');

    const ordinary = (
      await call('POST', '/api/v1/tickets', {
        subject: 'Courtyard chair',
        requester: { email: 'calm@example.com' },
        text: 'There is an issue with the courtyard chair I bought.',
      })
    ).json();
    expect(ordinary.priority).toBe('normal');
    expect(ordinary.tags).not.toContain('escalated');

    // A later message on an ordinary ticket escalates it then (and never lowers an urgent priority).
    const channel = (await call('POST', '/api/v1/channels', { kind: 'api', name: 'Bridge' })).json();
    const row = await ctx.services.channels.get(ws.ownerActor, channel.id);
    await ctx.services.tickets.receive({
      channel: row,
      from: { email: 'calm@example.com' },
      text: 'first',
      externalThreadId: 'th-1',
    });
    const second = await ctx.services.tickets.receive({
      channel: row,
      from: { email: 'calm@example.com' },
      text: 'You charged twice for the chair and I want it back.',
      externalThreadId: 'th-1',
    });
    if (second.outcome === 'ignored') throw new Error('ignored');
    expect(second.ticket.priority).toBe('high');
    expect(second.ticket.tags).toContain('escalated');
  });

  it('assigns only to someone who may work tickets: refused when saved, skipped once their role changed', async () => {
    const { ws, call } = await setup();
    const marketer = await makeUser(ctx.services, ws, { role: 'marketer' });
    const agent = await makeUser(ctx.services, ws, { role: 'agent' });
    const rule = (userId: string) => ({
      name: 'Everything to one person',
      trigger: 'ticket.created',
      conditions: [],
      actions: [{ type: 'assign', userId }],
    });
    // A marketer cannot answer tickets: a rule assigning to them would hide tickets where nobody works.
    const toMarketer = await call('POST', '/api/v1/rules', rule(marketer.user.id));
    expect(toMarketer.statusCode).toBe(400);
    expect(toMarketer.json().error).toMatchObject({ code: 'validation_failed', details: { field: 'actions' } });
    expect(toMarketer.json().error.message).toMatch(/may not work on tickets/);

    const made = await call('POST', '/api/v1/rules', rule(agent.user.id));
    expect(made.statusCode, made.body).toBe(201);
    // Changing the rule to a disabled agent is refused too.
    const disabled = await makeUser(ctx.services, ws, { role: 'agent' });
    await ctx.services.users.update(ws.ownerActor, disabled.user.id, { status: 'disabled' });
    const toDisabled = await call('PATCH', `/api/v1/rules/${made.json().id}`, {
      actions: [{ type: 'assign', userId: disabled.user.id }],
    });
    expect(toDisabled.statusCode).toBe(400);
    expect(toDisabled.json().error.message).toMatch(/not active/);

    const first = (
      await call('POST', '/api/v1/tickets', { subject: 'One', requester: { email: 'one@example.com' }, text: 'hi' })
    ).json();
    expect(first.assigneeId).toBe(agent.user.id);
    // The agent became a marketer: the rule's assignment is skipped, the ticket stays in the unassigned queue.
    await ctx.services.users.update(ws.ownerActor, agent.user.id, { role: 'marketer' });
    const second = (
      await call('POST', '/api/v1/tickets', { subject: 'Two', requester: { email: 'two@example.com' }, text: 'hi' })
    ).json();
    expect(second.assigneeId).toBeNull();
  });

  it('runs custom rules on updates and SLA breaches, skipping actions whose team is gone', async () => {
    const { ws, call } = await setup();
    const agent = await makeUser(ctx.services, ws, { role: 'agent' });
    const vip = await call('POST', '/api/v1/rules', {
      name: 'VIP complaints to the lead',
      trigger: 'ticket.updated',
      conditions: [
        { field: 'type', op: 'is', value: 'complaint' },
        { field: 'customer.tag', op: 'is', value: 'vip' },
      ],
      actions: [
        { type: 'assign', userId: agent.user.id },
        { type: 'add_note', text: 'VIP complaint: call the customer today.' },
      ],
    });
    expect(vip.statusCode, vip.body).toBe(201);
    const person = (await call('POST', '/api/v1/people', { emails: ['vip@example.com'], tags: ['vip'] })).json();
    const t = (
      await call('POST', '/api/v1/tickets', { subject: 'Broken', requester: { personId: person.id }, text: 'It broke' })
    ).json();
    const changed = (await call('PATCH', `/api/v1/tickets/${t.id}`, { type: 'complaint' })).json();
    expect(changed.assigneeId).toBe(agent.user.id);
    const detail = (await call('GET', `/api/v1/tickets/${t.id}`)).json();
    expect(detail.messages.at(-1)).toMatchObject({
      direction: 'note',
      bodyText: 'VIP complaint: call the customer today.',
    });

    await call('POST', '/api/v1/sla-policies', { name: 'All', targets: { first_response: 5 }, warnBeforeMinutes: 0 });
    const team = (await call('POST', '/api/v1/teams', { name: 'Supervisors' })).json();
    await call('POST', '/api/v1/rules', {
      name: 'Breach to supervisors',
      trigger: 'ticket.sla_breached',
      conditions: [],
      actions: [{ type: 'escalate', priority: 'high', teamId: team.id, reason: 'First response target missed' }],
    });
    const late = (
      await call('POST', '/api/v1/tickets', { subject: 'Slow', requester: { email: 'slow@example.com' }, text: 'hi' })
    ).json();
    await ctx.database.db.transaction((tx) =>
      refreshTicketSla(tx, ws.workspace.id, late.id, new Date(new Date(late.createdAt).getTime() + 10 * 60_000)),
    );
    const after = (await call('GET', `/api/v1/tickets/${late.id}`)).json();
    expect(after).toMatchObject({ priority: 'high', teamId: team.id });

    // A rule naming a deleted team skips that action instead of failing the ticket change.
    await call('DELETE', `/api/v1/teams/${team.id}`);
    const again = (
      await call('POST', '/api/v1/tickets', { subject: 'Slow 2', requester: { email: 'slow@example.com' }, text: 'hi' })
    ).json();
    await ctx.database.db.transaction((tx) =>
      refreshTicketSla(tx, ws.workspace.id, again.id, new Date(new Date(again.createdAt).getTime() + 10 * 60_000)),
    );
    const a2 = (await call('GET', `/api/v1/tickets/${again.id}`)).json();
    expect(a2.priority).toBe('high');
    expect(a2.teamId).toBeNull();
  });

  it('tests and sets ticket custom fields, checked against the fields when the rule is saved', async () => {
    const { call } = await setup();
    const field = (body: object) => call('POST', '/api/v1/custom-fields', { entity: 'ticket', ...body });
    await field({ label: 'Product area', type: 'select', options: ['Stoves', 'Tents'] });
    await field({ label: 'Items', type: 'number' });
    const safety = (await field({ label: 'Safety check', type: 'boolean' })).json();
    await field({ label: 'Order number', type: 'text' });
    const rule = (body: object) =>
      call('POST', '/api/v1/rules', { name: 'Stoves are safety cases', trigger: 'ticket.created', ...body });

    // Unknown fields, values the field cannot hold and ops that do not fit are refused, each named.
    const bad = await rule({
      conditions: [
        { field: 'custom.colour', op: 'is', value: 'red' },
        { field: 'custom.product_area', op: 'in', value: ['Stoves', 'Bikes'] },
        { field: 'custom.items', op: 'is', value: 'many' },
        { field: 'custom.product_area', op: 'contains_any', value: ['stove'] },
      ],
      actions: [
        { type: 'set_custom', key: 'safety_check', value: 'perhaps' },
        { type: 'set_custom', key: 'nope', value: 1 },
      ],
    });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json().error.details.problems.map((p: { field: string }) => p.field)).toEqual([
      'conditions[0].field',
      'conditions[1].value[1]',
      'conditions[2].value',
      'conditions[3].op',
      'actions[0].value',
      'actions[1].key',
    ]);
    expect((await rule({ conditions: [{ field: 'custom.Bad-Key', op: 'set' }], actions: [] })).statusCode).toBe(400);

    const ok = await rule({
      conditions: [
        { field: 'custom.product_area', op: 'is', value: 'Stoves' },
        { field: 'custom.items', op: 'in', value: ['1', '2.0'] },
      ],
      actions: [
        { type: 'set_custom', key: 'safety_check', value: 'yes' },
        { type: 'set_priority', value: 'high' },
      ],
    });
    expect(ok.statusCode, ok.body).toBe(201);
    // Values are stored as the condition compares them and as the field holds them.
    expect(ok.json().conditions[1].value).toEqual(['1', '2']);
    expect(ok.json().actions[0]).toEqual({ type: 'set_custom', key: 'safety_check', value: true });

    const open = (custom: object) =>
      call('POST', '/api/v1/tickets', { subject: 'Stove', requester: { email: 's@example.com' }, text: 'hi', custom });
    const stove = (await open({ product_area: 'Stoves', items: 2 })).json();
    expect(stove).toMatchObject({ priority: 'high', custom: { product_area: 'Stoves', items: 2, safety_check: true } });
    const history = (await call('GET', `/api/v1/tickets/${stove.id}/history?limit=50`)).json().data;
    const applied = history.find((e: { type: string }) => e.type === 'ticket.rule_applied');
    expect(applied.payload.reasons).toEqual(['custom.product_area is Stoves', 'custom.items is 2']);
    expect(applied.payload.changes).toMatchObject({ 'custom.safety_check': { from: null, to: true } });
    const tent = (await open({ product_area: 'Tents', items: 2 })).json();
    expect(tent).toMatchObject({ priority: 'normal', custom: { product_area: 'Tents', items: 2 } });
    const many = (await open({ product_area: 'Stoves', items: 5 })).json();
    expect(many.custom.safety_check).toBeUndefined();

    // A field archived since the rule was saved: the action setting it is skipped, the others still apply.
    await call('PATCH', `/api/v1/custom-fields/${safety.id}`, { archived: true });
    const later = (await open({ product_area: 'Stoves', items: 1 })).json();
    expect(later).toMatchObject({ priority: 'high', custom: { product_area: 'Stoves', items: 1 } });
    expect(later.custom.safety_check).toBeUndefined();
  });

  it('may not solve what an agent may not: required fields, a blocking checklist; nor change a closed ticket', async () => {
    const ws = await makeWorkspace(ctx.services);
    const key = await makeApiKey(ctx.services, ws);
    const call = caller(ctx.app, bearer(key));
    expect(
      (
        await call('PUT', '/api/v1/sop-checklists/question', {
          steps: [{ text: 'Verify identity', required: true }],
          blockSolve: true,
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await call('POST', '/api/v1/custom-fields', {
          entity: 'ticket',
          key: 'root_cause',
          label: 'Root cause',
          type: 'text',
          required: true,
        })
      ).statusCode,
    ).toBe(201);
    const rule = await call('POST', '/api/v1/rules', {
      name: 'Low priority: solve',
      trigger: 'ticket.updated',
      conditions: [{ field: 'priority', op: 'is', value: 'low' }],
      actions: [
        { type: 'set_status', value: 'solved' },
        { type: 'add_tags', tags: ['auto'] },
      ],
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const created = await call('POST', '/api/v1/tickets', {
      subject: 'Q',
      type: 'question',
      requester: { email: 'gate@example.com' },
      text: 'Help',
    });
    const t = created.json<{ id: string }>();
    expect((await call('PATCH', `/api/v1/tickets/${t.id}`, { status: 'solved' })).statusCode).toBe(400);

    // The rule fires on an ordinary edit: its other actions apply, the status does not move, and it says why.
    expect((await call('PATCH', `/api/v1/tickets/${t.id}`, { priority: 'low' })).statusCode).toBe(200);
    let after = (await call('GET', `/api/v1/tickets/${t.id}`)).json<{ status: string; tags: string[] }>();
    expect(after.status).not.toBe('solved');
    expect(after.tags).toContain('auto');
    const log = (await call('GET', `/api/v1/events?subject_id=${t.id}&type=ticket.rule_applied`)).json<{
      data: Array<{ payload: { skipped?: Array<{ action: string; reason: string }> } }>;
    }>();
    expect(log.data[0]?.payload.skipped?.[0]?.reason).toMatch(/Root cause must be filled in/);

    // With the field filled but the checklist open, the checklist is the reason.
    expect((await call('PATCH', `/api/v1/tickets/${t.id}`, { custom: { root_cause: 'user error' } })).statusCode).toBe(
      200,
    );
    after = (await call('GET', `/api/v1/tickets/${t.id}`)).json<{ status: string; tags: string[] }>();
    expect(after.status).not.toBe('solved');
    const log2 = (await call('GET', `/api/v1/events?subject_id=${t.id}&type=ticket.rule_applied`)).json<{
      data: Array<{ payload: { skipped?: Array<{ action: string; reason: string }> } }>;
    }>();
    expect(log2.data[0]?.payload.skipped?.[0]?.reason).toMatch(/checklist/);

    // A closed ticket stays closed.
    const other = (
      await call('POST', '/api/v1/tickets', {
        subject: 'Done',
        type: 'other',
        requester: { email: 'gate@example.com' },
        text: 'Thanks',
        custom: { root_cause: 'none' },
      })
    ).json<{ id: string }>();
    expect((await call('PATCH', `/api/v1/tickets/${other.id}`, { status: 'closed' })).statusCode).toBe(200);
    expect((await call('PATCH', `/api/v1/tickets/${other.id}`, { priority: 'low' })).statusCode).toBe(200);
    expect((await call('GET', `/api/v1/tickets/${other.id}`)).json<{ status: string }>().status).toBe('closed');
  });

  it('rejects rules that name unknown teams or users, or conditions without a value', async () => {
    const { call } = await setup();
    const badTeam = await call('POST', '/api/v1/rules', {
      name: 'x',
      trigger: 'ticket.created',
      conditions: [],
      actions: [{ type: 'set_team', teamId: '00000000-0000-4000-8000-000000000000' }],
    });
    expect(badTeam.statusCode).toBe(400);
    expect(badTeam.json().error.message).toContain('Team');
    const noValue = await call('POST', '/api/v1/rules', {
      name: 'x',
      trigger: 'ticket.created',
      conditions: [{ field: 'text', op: 'contains_any' }],
      actions: [{ type: 'add_tags', tags: ['t'] }],
    });
    expect(noValue.statusCode).toBe(400);
    const noActions = await call('POST', '/api/v1/rules', {
      name: 'x',
      trigger: 'ticket.created',
      conditions: [],
      actions: [],
    });
    expect(noActions.statusCode).toBe(400);
    const badTrigger = await call('POST', '/api/v1/rules', {
      name: 'x',
      trigger: 'ticket.deleted',
      conditions: [],
      actions: [{ type: 'add_tags', tags: ['t'] }],
    });
    expect(badTrigger.statusCode).toBe(400);
  });
});
