import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace, testPassword, type TestWorkspace } from '../../../test/factories.ts';

/**
 * Macros and SOP checklists through HTTP, as agents and admins use them: writing macros (placeholders and references
 * checked at save), previewing and applying one to a ticket in one step, and the checklist a ticket gets from its type.
 */

type Headers = Record<string, string>;
type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
type Macro = { id: string; name: string; body: string; usageCount: number; actions: Record<string, unknown> };
type Preview = { body: string; internal: boolean; changes: Array<{ field: string; from: unknown; to: unknown }> };
type Ticket = { id: string; number: number; status: string; priority: string; type: string; tags: string[] };
type TicketDetail = Ticket & {
  custom: Record<string, unknown>;
  assigneeId: string | null;
  teamId: string | null;
  messages: Array<{ id: string; direction: string; bodyText: string }>;
};
type Checklist = {
  ticketType: string;
  steps: Array<{
    id: string;
    text: string;
    required: boolean;
    done: boolean;
    doneBy: string | null;
    fromType: string | null;
  }>;
  complete: boolean;
};
type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> | null } };
type Event = { type: string; payload: Record<string, unknown> };

describe.each(testEngines())('macros and SOP checklists on %s', (engine) => {
  const ctx = useTestApp(engine);
  let ws: TestWorkspace;
  let owner: Headers;
  let agent: Headers;
  let agentId: string;
  let teamId: string;
  let personId: string;

  function call(h: Headers, method: Method, url: string, payload?: object): Promise<LightMyRequestResponse> {
    return ctx.app.inject({ method, url, headers: h, ...(payload ? { payload } : {}) });
  }
  async function ok<T>(h: Headers, method: Method, url: string, payload?: object, status = 200): Promise<T> {
    const res = await call(h, method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return (res.body ? res.json() : null) as T;
  }
  async function fails(h: Headers, method: Method, url: string, payload: object | undefined, status: number) {
    const res = await call(h, method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json<ErrorBody>().error;
  }
  async function newTicket(extra: Record<string, unknown> = {}): Promise<Ticket> {
    return ok<Ticket>(
      agent,
      'POST',
      '/api/v1/tickets',
      { subject: 'Broken kettle', requester: { personId }, text: 'It leaks.', channel: 'email', ...extra },
      201,
    );
  }
  async function historyTypes(ticketId: string): Promise<Event[]> {
    return (await ok<{ data: Event[] }>(owner, 'GET', `/api/v1/tickets/${ticketId}/history?limit=100`)).data;
  }

  beforeAll(async () => {
    ws = await makeWorkspace(ctx.services, { name: 'Acme Kitchens' });
    owner = bearer(await makeApiKey(ctx.services, ws));
    const a = await makeUser(ctx.services, ws, { role: 'agent', name: 'Sam Carter' });
    agentId = a.user.id;
    // The agent's API key: a key is not a user, so {{agent.*}} takes its fallback (a session is tested below).
    agent = bearer(await makeApiKey(ctx.services, ws, { actor: a.actor }));
    teamId = (await ctx.services.teams.create(ws.ownerActor, { name: 'Returns' })).id;
    personId = (
      await ctx.services.people.create(ws.ownerActor, {
        firstName: 'Amara',
        lastName: 'Okafor',
        emails: ['amara@example.com'],
      })
    ).person.id;
  });

  describe('macros', () => {
    it('are written by admins, listed for agents, and refused to agents who try to write them', async () => {
      const m = await ok<Macro>(
        owner,
        'POST',
        '/api/v1/macros',
        { name: 'Thanks', body: 'Thanks {{customer.first_name|there}}!' },
        201,
      );
      expect(m.usageCount).toBe(0);
      const list = await ok<{ data: Macro[] }>(agent, 'GET', '/api/v1/macros?q=than');
      expect(list.data.map((x) => x.id)).toContain(m.id);
      expect((await fails(agent, 'POST', '/api/v1/macros', { name: 'Mine', body: 'x' }, 403)).code).toBe('forbidden');
      expect((await fails(agent, 'PATCH', `/api/v1/macros/${m.id}`, { body: 'y' }, 403)).code).toBe('forbidden');
      expect((await fails(owner, 'POST', '/api/v1/macros', { name: 'thanks', body: 'z' }, 409)).code).toBe('conflict');
    });

    it('refuse unknown placeholders at save, naming the field and each placeholder', async () => {
      const e = await fails(
        owner,
        'POST',
        '/api/v1/macros',
        { name: 'Typo', body: 'Hi {{customer.frist_name}}, re #{{ticket.numbr|?}} {{ticket.number}}' },
        400,
      );
      expect(e.code).toBe('validation_failed');
      expect(e.details?.field).toBe('body');
      expect(e.message).toContain('{{customer.frist_name}}');
      expect(e.message).toContain('{{ticket.numbr|?}}');
      expect((e.details?.problems as unknown[]).length).toBe(2);
      const m = await ok<Macro>(owner, 'POST', '/api/v1/macros', { name: 'Fine', body: 'Hi' }, 201);
      const e2 = await fails(owner, 'PATCH', `/api/v1/macros/${m.id}`, { body: '{{agent.nme}}' }, 400);
      expect(e2.message).toContain('{{agent.nme}}');
    });

    it('refuse a user, team or type that is not in the workspace, naming it', async () => {
      const other = await makeWorkspace(ctx.services);
      const otherTeam = await ctx.services.teams.create(other.ownerActor, { name: 'Elsewhere' });
      const t = await fails(owner, 'POST', '/api/v1/macros', { name: 'X1', actions: { teamId: otherTeam.id } }, 400);
      expect(t.details?.field).toBe('actions.teamId');
      expect(t.message).toContain(otherTeam.id);
      const u = await fails(
        owner,
        'POST',
        '/api/v1/macros',
        { name: 'X2', actions: { assigneeId: other.owner.id } },
        400,
      );
      expect(u.details?.field).toBe('actions.assigneeId');
      expect(u.message).toContain(other.owner.id);
      const ty = await fails(owner, 'POST', '/api/v1/macros', { name: 'X3', actions: { type: 'gossip' } }, 400);
      expect(ty.message).toContain('gossip');
      expect((await fails(owner, 'POST', '/api/v1/macros', { name: 'X4' }, 400)).message).toContain('must write');
    });

    it('set ticket custom fields, checked against the fields at save and again when applied', async () => {
      const area = await ok<{ id: string }>(
        owner,
        'POST',
        '/api/v1/custom-fields',
        { entity: 'ticket', label: 'Damage', type: 'select', options: ['Transport', 'Factory'] },
        201,
      );
      await ok(
        owner,
        'POST',
        '/api/v1/custom-fields',
        { entity: 'ticket', label: 'Replacement sent', type: 'boolean' },
        201,
      );
      const bad = await fails(
        owner,
        'POST',
        '/api/v1/macros',
        { name: 'Bad fields', actions: { custom: { damage: 'Weather', colour: 'red' } } },
        400,
      );
      expect(bad.code).toBe('validation_failed');
      expect((bad.details?.problems as Array<{ field: string }>).map((p) => p.field).sort()).toEqual([
        'actions.custom.colour',
        'actions.custom.damage',
      ]);
      const macro = await ok<Macro>(
        owner,
        'POST',
        '/api/v1/macros',
        {
          name: 'Transport damage',
          body: 'A new one is on its way, {{customer.first_name|there}}.',
          actions: { custom: { damage: 'Transport', replacement_sent: 'yes' }, status: 'pending' },
        },
        201,
      );
      // Stored as the field holds it.
      expect(macro.actions.custom).toEqual({ damage: 'Transport', replacement_sent: true });
      const ticket = await newTicket();
      const url = `/api/v1/tickets/${ticket.id}/macros/${macro.id}`;
      const preview = await ok<Preview>(agent, 'POST', `${url}/preview`);
      expect(preview.changes).toContainEqual({ field: 'custom.damage', from: null, to: 'Transport' });
      await ok(agent, 'POST', `${url}/apply`);
      const after = await ok<TicketDetail>(owner, 'GET', `/api/v1/tickets/${ticket.id}`);
      expect(after.custom).toEqual({ damage: 'Transport', replacement_sent: true });
      expect(after.status).toBe('pending');
      const updated = (await historyTypes(ticket.id)).find((e) => e.type === 'ticket.updated');
      expect(updated?.payload.changes).toMatchObject({
        'custom.damage': { from: null, to: 'Transport' },
        'custom.replacement_sent': { from: null, to: true },
      });
      // A field archived since: applying refuses, naming it, and changes nothing.
      await ok(owner, 'PATCH', `/api/v1/custom-fields/${area.id}`, { archived: true });
      const other = await newTicket();
      const refused = await fails(
        agent,
        'POST',
        `/api/v1/tickets/${other.id}/macros/${macro.id}/apply`,
        undefined,
        400,
      );
      expect((refused.details?.problems as Array<{ field: string }>)[0]?.field).toBe('actions.custom.damage');
      const untouched = await ok<TicketDetail>(owner, 'GET', `/api/v1/tickets/${other.id}`);
      expect([untouched.status, untouched.custom, untouched.messages.length]).toEqual(['new', {}, 1]);
      await ok(owner, 'PATCH', `/api/v1/custom-fields/${area.id}`, { archived: false });
    });

    it('preview the rendered reply and the changes without changing anything, then apply both in one step', async () => {
      const macro = await ok<Macro>(
        owner,
        'POST',
        '/api/v1/macros',
        {
          name: 'Refund approved',
          body: 'Hi {{customer.first_name|there}},\nyour refund for #{{ticket.number}} ({{ticket.type}}) is on its way. {{agent.first_name|The team}} at {{workspace.name}}',
          actions: {
            status: 'solved',
            priority: 'high',
            type: 'return_refund',
            assigneeId: agentId,
            teamId,
            addTags: ['refund'],
            removeTags: ['new-customer'],
          },
        },
        201,
      );
      const ticket = await newTicket({ tags: ['new-customer', 'kettle'] });
      const url = `/api/v1/tickets/${ticket.id}/macros/${macro.id}`;
      const preview = await ok<Preview>(agent, 'POST', `${url}/preview`);
      expect(preview.body).toBe(
        `Hi Amara,\nyour refund for #${ticket.number} (Return / refund) is on its way. The team at Acme Kitchens`,
      );
      expect(preview.changes.map((c) => c.field).sort()).toEqual(
        ['assigneeId', 'priority', 'status', 'tags', 'teamId', 'type'].sort(),
      );
      expect(preview.changes.find((c) => c.field === 'tags')?.to).toEqual(['kettle', 'refund']);
      const untouched = await ok<TicketDetail>(owner, 'GET', `/api/v1/tickets/${ticket.id}`);
      expect([untouched.status, untouched.priority, untouched.messages.length]).toEqual(['new', 'normal', 1]);

      const applied = await ok<{ ticket: Ticket; message: { id: string; direction: string; bodyText: string } }>(
        agent,
        'POST',
        `${url}/apply`,
      );
      expect(applied.message.direction).toBe('outbound');
      expect(applied.message.bodyText).toBe(preview.body);
      const after = await ok<TicketDetail>(owner, 'GET', `/api/v1/tickets/${ticket.id}`);
      expect(after.status).toBe('solved');
      expect(after.priority).toBe('high');
      expect(after.type).toBe('return_refund');
      expect(after.assigneeId).toBe(agentId);
      expect(after.teamId).toBe(teamId);
      expect(after.tags).toEqual(['kettle', 'refund']);
      expect(after.messages.at(-1)?.bodyText).toBe(preview.body);
      expect((await ok<Macro>(owner, 'GET', `/api/v1/macros/${macro.id}`)).usageCount).toBe(1);
      const events = await historyTypes(ticket.id);
      const appliedEvent = events.find((e) => e.type === 'ticket.macro_applied');
      expect(appliedEvent?.payload.macroId).toBe(macro.id);
      expect(appliedEvent?.payload.messageId).toBe(applied.message.id);
      // One status change (new → solved), carried by the reply.
      expect(events.filter((e) => e.type === 'ticket.status_changed')).toHaveLength(1);
    });

    it('add an internal note instead of a reply, and assign to whoever applies it ("me")', async () => {
      const session = await ctx.services.auth.login({
        email: (await makeUser(ctx.services, ws)).user.email,
        password: testPassword,
      });
      const cookie = { cookie: `rapport_session=${session.token}` };
      const macro = await ok<Macro>(
        owner,
        'POST',
        '/api/v1/macros',
        {
          name: 'Escalate',
          body: 'Escalated by {{agent.name}}.',
          internal: true,
          actions: { assigneeId: 'me', priority: 'urgent' },
        },
        201,
      );
      const ticket = await newTicket();
      const out = await ok<{ ticket: TicketDetail; message: { direction: string; bodyText: string } }>(
        cookie,
        'POST',
        `/api/v1/tickets/${ticket.id}/macros/${macro.id}/apply`,
        {},
      );
      expect(out.message.direction).toBe('note');
      expect(out.message.bodyText).toBe(`Escalated by ${session.user.name}.`);
      expect(out.ticket.assigneeId).toBe(session.user.id);
      expect(out.ticket.priority).toBe('urgent');
    });

    it('with no body only change fields; a switched-off macro is refused; a team deleted since is named', async () => {
      const team = await ctx.services.teams.create(ws.ownerActor, { name: 'Temporary' });
      const macro = await ok<Macro>(
        owner,
        'POST',
        '/api/v1/macros',
        { name: 'Park', actions: { status: 'on_hold', teamId: team.id } },
        201,
      );
      const ticket = await newTicket();
      const out = await ok<{ ticket: Ticket; message: null }>(
        agent,
        'POST',
        `/api/v1/tickets/${ticket.id}/macros/${macro.id}/apply`,
      );
      expect(out.message).toBeNull();
      expect(out.ticket.status).toBe('on_hold');
      await ctx.services.teams.remove(ws.ownerActor, team.id);
      const e = await fails(agent, 'POST', `/api/v1/tickets/${ticket.id}/macros/${macro.id}/apply`, undefined, 400);
      expect(e.message).toContain(team.id);
      expect(e.details?.field).toBe('actions.teamId');
      await ok(owner, 'PATCH', `/api/v1/macros/${macro.id}`, { active: false });
      expect(
        (await fails(agent, 'POST', `/api/v1/tickets/${ticket.id}/macros/${macro.id}/apply`, undefined, 409)).code,
      ).toBe('conflict');
      await ok(owner, 'DELETE', `/api/v1/macros/${macro.id}`, undefined, 204);
      await fails(agent, 'POST', `/api/v1/tickets/${ticket.id}/macros/${macro.id}/preview`, undefined, 404);
    });

    it('undo everything when the reply is refused (a collision), and count nothing', async () => {
      const macro = await ok<Macro>(
        owner,
        'POST',
        '/api/v1/macros',
        { name: 'Pending reply', body: 'Could you send a photo?', actions: { status: 'pending', priority: 'low' } },
        201,
      );
      const ticket = await newTicket();
      const seen = (await ok<TicketDetail>(owner, 'GET', `/api/v1/tickets/${ticket.id}`)).messages.at(-1)?.id;
      // The customer writes again while the agent looks.
      await ctx.services.tickets.reply(ws.ownerActor, ticket.id, { text: 'A colleague answered first.' });
      const e = await fails(
        agent,
        'POST',
        `/api/v1/tickets/${ticket.id}/macros/${macro.id}/apply`,
        { seenMessageId: seen },
        409,
      );
      expect(e.details?.reason).toBe('collision');
      const after = await ok<TicketDetail>(owner, 'GET', `/api/v1/tickets/${ticket.id}`);
      expect(after.priority).toBe('normal');
      expect(after.messages).toHaveLength(2);
      expect((await ok<Macro>(owner, 'GET', `/api/v1/macros/${macro.id}`)).usageCount).toBe(0);
      expect((await historyTypes(ticket.id)).some((x) => x.type === 'ticket.macro_applied')).toBe(false);
    });
  });

  describe('SOP checklists', () => {
    it('attach to a ticket of the type on create, tick and untick with who, and follow type changes', async () => {
      await ok(owner, 'PUT', '/api/v1/sop-checklists/complaint', {
        steps: [
          { text: 'Apologise and acknowledge', required: true },
          { text: 'Check the order number', required: true },
          { text: 'Offer a goodwill voucher' },
        ],
      });
      await ok(owner, 'PUT', '/api/v1/sop-checklists/return_refund', {
        steps: [
          { text: 'Check the order number.', required: true },
          { text: 'Send the return label', required: true },
        ],
        blockSolve: true,
      });
      const ticket = await newTicket({ type: 'complaint' });
      let c = await ok<Checklist>(agent, 'GET', `/api/v1/tickets/${ticket.id}/checklist`);
      expect(c.ticketType).toBe('complaint');
      expect(c.steps.map((s) => s.text)).toEqual([
        'Apologise and acknowledge',
        'Check the order number',
        'Offer a goodwill voucher',
      ]);
      const check = c.steps[1]?.id ?? '';
      const sorry = c.steps[0]?.id ?? '';
      expect(
        (await ok<Checklist>(agent, 'PATCH', `/api/v1/tickets/${ticket.id}/checklist/${check}`, { done: true }))
          .steps[1]?.done,
      ).toBe(true);
      expect(
        (await ok<Checklist>(agent, 'PATCH', `/api/v1/tickets/${ticket.id}/checklist/${sorry}`, { done: true }))
          .steps[0]?.done,
      ).toBe(true);
      c = await ok<Checklist>(agent, 'PATCH', `/api/v1/tickets/${ticket.id}/checklist/${sorry}`, { done: false });
      expect(c.steps.map((s) => s.done)).toEqual([false, true, false]);
      expect(c.steps[1]?.doneBy).not.toBeNull();
      await fails(agent, 'PATCH', `/api/v1/tickets/${ticket.id}/checklist/${crypto.randomUUID()}`, { done: true }, 404);

      await ok(agent, 'PATCH', `/api/v1/tickets/${ticket.id}`, { type: 'return_refund' });
      c = await ok<Checklist>(agent, 'GET', `/api/v1/tickets/${ticket.id}/checklist`);
      expect(c.ticketType).toBe('return_refund');
      expect(c.steps.map((s) => [s.text, s.done])).toEqual([
        ['Check the order number.', true],
        ['Send the return label', false],
      ]);
      expect(c.steps[0]?.id).toBe(check);
      const types = (await historyTypes(ticket.id)).map((e) => e.type);
      expect(types.filter((t) => t === 'ticket.checklist_attached')).toHaveLength(2);
      expect(types).toContain('ticket.checklist_step_done');
      expect(types).toContain('ticket.checklist_step_undone');

      // The return SOP blocks solving: 409 with the step, until it is ticked.
      const e = await fails(agent, 'PATCH', `/api/v1/tickets/${ticket.id}`, { status: 'solved' }, 409);
      expect(e.details?.reason).toBe('checklist_incomplete');
      expect(e.details?.steps).toEqual([{ id: c.steps[1]?.id, text: 'Send the return label' }]);
      await fails(agent, 'POST', `/api/v1/tickets/${ticket.id}/replies`, { text: 'Done!', status: 'solved' }, 409);
      await ok(agent, 'PATCH', `/api/v1/tickets/${ticket.id}/checklist/${c.steps[1]?.id}`, { done: true });
      expect((await ok<Ticket>(agent, 'PATCH', `/api/v1/tickets/${ticket.id}`, { status: 'solved' })).status).toBe(
        'solved',
      );
    });

    it('give tickets of a type without an SOP no checklist; admins alone write SOPs, for known types', async () => {
      const ticket = await newTicket({ type: 'technical' });
      const c = await ok<Checklist>(agent, 'GET', `/api/v1/tickets/${ticket.id}/checklist`);
      expect(c.steps).toEqual([]);
      expect(c.complete).toBe(true);
      await fails(agent, 'PUT', '/api/v1/sop-checklists/technical', { steps: [{ text: 'x' }] }, 403);
      expect((await fails(owner, 'PUT', '/api/v1/sop-checklists/gossip', { steps: [] }, 400)).message).toContain(
        'gossip',
      );
      const dup = await fails(
        owner,
        'PUT',
        '/api/v1/sop-checklists/technical',
        { steps: [{ text: 'A' }, { text: 'a.' }] },
        400,
      );
      expect(dup.details?.field).toBe('steps.1.text');
      await ok(owner, 'PUT', '/api/v1/sop-checklists/technical', { steps: [{ text: 'Reproduce it' }] });
      expect(
        (await ok<{ data: Array<{ ticketType: string }> }>(agent, 'GET', '/api/v1/sop-checklists')).data.map(
          (s) => s.ticketType,
        ),
      ).toContain('technical');
      await ok(owner, 'DELETE', '/api/v1/sop-checklists/technical', undefined, 204);
      await fails(owner, 'DELETE', '/api/v1/sop-checklists/technical', undefined, 404);
    });

    it('a macro that changes the type attaches the new checklist, and one that solves is held by it', async () => {
      const macro = await ok<Macro>(
        owner,
        'POST',
        '/api/v1/macros',
        { name: 'Refund and close', body: 'Refunded.', actions: { type: 'return_refund', status: 'solved' } },
        201,
      );
      const ticket = await newTicket({ type: 'question' });
      const e = await fails(agent, 'POST', `/api/v1/tickets/${ticket.id}/macros/${macro.id}/apply`, undefined, 409);
      expect(e.details?.reason).toBe('checklist_incomplete');
      // All undone: still a question, no checklist, no reply.
      const after = await ok<TicketDetail>(owner, 'GET', `/api/v1/tickets/${ticket.id}`);
      expect(after.type).toBe('question');
      expect(after.messages).toHaveLength(1);
      expect((await ok<Checklist>(agent, 'GET', `/api/v1/tickets/${ticket.id}/checklist`)).steps).toEqual([]);
    });
  });
});
