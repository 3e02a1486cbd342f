import { describe, expect, it } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace } from '../../../test/factories.ts';

/**
 * Changing several tickets at once (the inbox's selection): each ticket changes as PATCH /tickets/:id would change
 * it; a value wrong for all refuses the request with nothing changed; a ticket that cannot take the change is
 * reported with its reason while the others change.
 */

type Ticket = {
  id: string;
  number: number;
  status: string;
  priority: string;
  assigneeId: string | null;
  tags: string[];
};
type Bulk = {
  updated: Array<{ id: string; number: number; status: string }>;
  failed: Array<{ id: string; number: number | null; code: string; message: string }>;
};
type ErrorBody = { error: { code: string; message: string; details: unknown } };

describe.each(testEngines())('bulk ticket changes on %s', (engine) => {
  const ctx = useTestApp(engine);

  it('changes the chosen tickets, reports the ones that cannot change, and refuses values wrong for all', async () => {
    const ws = await makeWorkspace(ctx.services);
    const other = await makeWorkspace(ctx.services);
    const key = bearer(await makeApiKey(ctx.services, ws));
    const agent = await makeUser(ctx.services, ws, { role: 'agent', name: 'Ana Agent' });
    const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
      ctx.app.inject({ method, url: `/api/v1${url}`, headers: key, ...(payload ? { payload } : {}) });
    const open = async (subject: string, tags: string[]) => {
      const res = await call('POST', '/tickets', {
        subject,
        requester: { email: `${subject.replace(/\W/g, '').toLowerCase()}@bulk.test` },
        text: 'Hello',
        tags,
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json<Ticket>();
    };
    const a = await open('Refund please', ['billing']);
    const b = await open('Where is my order', []);
    const closed = await open('Old question', []);
    expect((await call('PATCH', `/tickets/${closed.id}`, { status: 'closed' })).statusCode).toBe(200);
    const missing = '00000000-0000-4000-8000-000000000000';
    const get = async (id: string) => (await call('GET', `/tickets/${id}`)).json<Ticket>();

    // A ticket not found (another workspace's, a deleted one): nothing changes.
    const unknown = await call('POST', '/tickets/bulk', { ids: [a.id, missing], status: 'pending' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<ErrorBody>().error.details).toMatchObject({ field: 'ids', missing: [missing] });
    expect((await get(a.id)).status).toBe('new');

    const res = await call('POST', '/tickets/bulk', {
      ids: [a.id, b.id, closed.id, a.id],
      status: 'pending',
      priority: 'high',
      addTags: ['vip', 'billing'],
    });
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json<Bulk>();
    expect(out.updated.map((t) => t.id).sort()).toEqual([a.id, b.id].sort());
    expect(out.updated.every((t) => t.status === 'pending')).toBe(true);
    expect(out.failed).toEqual([expect.objectContaining({ id: closed.id, number: closed.number, code: 'conflict' })]);
    expect(await get(a.id)).toMatchObject({ status: 'pending', priority: 'high', tags: ['billing', 'vip'] });
    expect(await get(b.id)).toMatchObject({ status: 'pending', priority: 'high', tags: ['vip', 'billing'] });
    expect(await get(closed.id)).toMatchObject({ status: 'closed', priority: 'normal', tags: [] });
    // Each ticket's history says what changed, as a PATCH would.
    const history = (await call('GET', `/tickets/${b.id}/history?limit=20`)).json<{ data: Array<{ type: string }> }>();
    expect(history.data.map((e) => e.type)).toEqual(
      expect.arrayContaining(['ticket.status_changed', 'ticket.updated']),
    );

    // Removing a tag keeps the others; assigning takes new tickets to open as PATCH does.
    const fresh = await open('Cannot log in', ['login']);
    const again = await call('POST', '/tickets/bulk', {
      ids: [a.id, fresh.id],
      removeTags: ['vip'],
      assigneeId: agent.user.id,
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(await get(a.id)).toMatchObject({ tags: ['billing'], assigneeId: agent.user.id, status: 'pending' });
    expect(await get(fresh.id)).toMatchObject({ tags: ['login'], assigneeId: agent.user.id, status: 'open' });

    // Wrong for every ticket: refused before anything changes.
    const otherAgent = await makeUser(ctx.services, other, { role: 'agent' });
    for (const payload of [
      { ids: [a.id], assigneeId: otherAgent.user.id },
      { ids: [a.id], status: 'gone' },
      { ids: [a.id] },
      { ids: [a.id], addTags: [] },
      { ids: [], status: 'open' },
      { ids: Array.from({ length: 201 }, () => a.id), status: 'open' },
      { ids: ['not-a-uuid'], status: 'open' },
    ]) {
      const refused = await call('POST', '/tickets/bulk', payload);
      expect(refused.statusCode, JSON.stringify(payload)).toBe(400);
      expect(refused.json<ErrorBody>().error.code).toBe('validation_failed');
    }
    expect(await get(a.id)).toMatchObject({ assigneeId: agent.user.id, status: 'pending' });

    // A key that may only read tickets changes none.
    const viewerKey = bearer(await makeApiKey(ctx.services, ws, { scopes: ['tickets:read'] }));
    const forbidden = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/tickets/bulk',
      headers: viewerKey,
      payload: { ids: [a.id], status: 'solved' },
    });
    expect(forbidden.statusCode).toBe(403);
    expect((await get(a.id)).status).toBe('pending');
  });
});
