import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, sendInbound, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace, type TestWorkspace } from '../../../test/factories.ts';

/**
 * Ticket custom fields through HTTP: defined like people's (GET/POST/PATCH /custom-fields with entity "ticket"),
 * checked on every ticket write (400 naming custom.<key>), filtered and sorted in the ticket list like built-in
 * fields, recorded field by field in the ticket's history, required ones needed to solve, archived ones refused.
 */

type Headers = Record<string, string>;
type Method = 'GET' | 'POST' | 'PATCH';
type Ticket = { id: string; number: number; status: string; custom: Record<string, unknown> };
type Field = { id: string; entity: string; key: string; label: string; archived: boolean };
type Problem = { field: string; message: string };
type ErrorBody = { error: { code: string; message: string; details: { problems?: Problem[] } | null } };
type Event = { type: string; payload: Record<string, unknown> };

describe.each(testEngines())('ticket custom fields on %s', (engine) => {
  const ctx = useTestApp(engine);
  let ws: TestWorkspace;
  let owner: Headers;
  let agent: Headers;

  function call(h: Headers, method: Method, url: string, payload?: object): Promise<LightMyRequestResponse> {
    return ctx.app.inject({ method, url, headers: h, ...(payload ? { payload } : {}) });
  }
  async function ok<T>(h: Headers, method: Method, url: string, payload?: object, status = 200): Promise<T> {
    const res = await call(h, method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json<T>();
  }
  async function problems(h: Headers, method: Method, url: string, payload: object): Promise<Problem[]> {
    const res = await call(h, method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
    const e = res.json<ErrorBody>().error;
    expect(e.code).toBe('validation_failed');
    return e.details?.problems ?? [];
  }
  const field = (body: Record<string, unknown>) =>
    ok<Field>(owner, 'POST', '/api/v1/custom-fields', { entity: 'ticket', ...body }, 201);
  const open = (body: Record<string, unknown> = {}) =>
    ok<Ticket>(
      agent,
      'POST',
      '/api/v1/tickets',
      { subject: 'Order question', requester: { email: 'rosa@example.com', name: 'Rosa' }, text: 'Hi', ...body },
      201,
    );
  const list = async (query: string) =>
    ok<{ data: Ticket[]; page: { nextCursor: string | null } }>(owner, 'GET', `/api/v1/tickets?queue=all&${query}`);

  beforeAll(async () => {
    ws = await makeWorkspace(ctx.services);
    owner = bearer(await makeApiKey(ctx.services, ws));
    const a = await makeUser(ctx.services, ws, { role: 'agent' });
    agent = bearer(await makeApiKey(ctx.services, ws, { actor: a.actor }));
    await field({ label: 'Order number', type: 'text' });
    await field({ label: 'Product area', type: 'select', options: ['Shoes', 'Tents', 'Stoves'] });
    await field({ label: 'Items', type: 'number' });
    await field({ label: 'Gift', type: 'boolean' });
    await field({ label: 'Ordered on', type: 'date' });
    await field({ label: 'Channels', type: 'multiselect', options: ['web', 'app', 'shop'] });
    await field({ label: 'Tracking link', type: 'url' });
  });

  it('are defined through the custom fields API, next to (not mixed with) people fields', async () => {
    await ok(owner, 'POST', '/api/v1/custom-fields', { entity: 'person', label: 'Order number', type: 'text' }, 201);
    const tickets = await ok<{ data: Field[] }>(owner, 'GET', '/api/v1/custom-fields?entity=ticket');
    expect(tickets.data.map((f) => f.key)).toEqual([
      'order_number',
      'product_area',
      'items',
      'gift',
      'ordered_on',
      'channels',
      'tracking_link',
    ]);
    expect(tickets.data.every((f) => f.entity === 'ticket')).toBe(true);
    // The same key on another entity is another field; twice on tickets is a conflict.
    expect(
      (await call(owner, 'POST', '/api/v1/custom-fields', { entity: 'ticket', label: 'Order number', type: 'text' }))
        .statusCode,
    ).toBe(409);
    // Agents read ticket fields but do not define them.
    expect((await call(agent, 'GET', '/api/v1/custom-fields?entity=ticket')).statusCode).toBe(200);
    expect(
      (await call(agent, 'POST', '/api/v1/custom-fields', { entity: 'ticket', label: 'X', type: 'text' })).statusCode,
    ).toBe(403);
    // A key that may read tickets but not customers sees the ticket fields only.
    const ticketsOnly = bearer(await makeApiKey(ctx.services, ws, { scopes: ['tickets:read'] }));
    expect((await call(ticketsOnly, 'GET', '/api/v1/custom-fields?entity=person')).statusCode).toBe(403);
    const all = await ok<{ data: Field[] }>(ticketsOnly, 'GET', '/api/v1/custom-fields');
    expect(new Set(all.data.map((f) => f.entity))).toEqual(new Set(['ticket']));
  });

  it('checks values on create and update: unknown keys and wrong types are a 400 naming each field', async () => {
    const bad = await problems(agent, 'POST', '/api/v1/tickets', {
      subject: 'Bad',
      requester: { email: 'rosa@example.com' },
      custom: { nope: 1, product_area: 'Bikes', items: 'many', ordered_on: '2026-02-30', tracking_link: 'ftp://x' },
    });
    expect(bad.map((p) => p.field).sort()).toEqual([
      'custom.items',
      'custom.nope',
      'custom.ordered_on',
      'custom.product_area',
      'custom.tracking_link',
    ]);
    expect(bad.find((p) => p.field === 'custom.product_area')?.message).toBe('must be one of: Shoes, Tents, Stoves');
    // Nothing was stored.
    expect((await list('filter=subject:eq:Bad')).data).toEqual([]);

    const t = await open({
      custom: { order_number: 10482, product_area: 'Tents', items: '3', gift: 'yes', channels: ['app', 'web', 'app'] },
    });
    expect(t.custom).toEqual({
      order_number: '10482',
      product_area: 'Tents',
      items: 3,
      gift: true,
      channels: ['app', 'web'],
    });

    expect((await problems(agent, 'PATCH', `/api/v1/tickets/${t.id}`, { custom: { gift: 'perhaps' } }))[0]).toEqual({
      field: 'custom.gift',
      message: 'must be true or false',
    });
    expect((await problems(agent, 'PATCH', `/api/v1/tickets/${t.id}`, { custom: { colour: 'red' } }))[0]?.field).toBe(
      'custom.colour',
    );
    // An update merges: other values stay; null clears one.
    const u = await ok<Ticket>(agent, 'PATCH', `/api/v1/tickets/${t.id}`, {
      custom: { product_area: 'Stoves', items: null, ordered_on: '2026-03-01' },
    });
    expect(u.custom).toEqual({
      order_number: '10482',
      product_area: 'Stoves',
      gift: true,
      channels: ['app', 'web'],
      ordered_on: '2026-03-01',
    });

    // The history records each custom field change with before and after, like other ticket fields.
    const history = (await ok<{ data: Event[] }>(owner, 'GET', `/api/v1/tickets/${t.id}/history?limit=50`)).data;
    const updated = history.find((e) => e.type === 'ticket.updated');
    expect(updated?.payload.changes).toEqual({
      'custom.product_area': { from: 'Tents', to: 'Stoves' },
      'custom.items': { from: 3, to: null },
      'custom.ordered_on': { from: null, to: '2026-03-01' },
    });
    const created = history.find((e) => e.type === 'ticket.created');
    expect(created?.payload.custom).toMatchObject({ order_number: '10482', product_area: 'Tents' });
  });

  it('filters and sorts the ticket list by custom fields, with the list query language of people', async () => {
    const w = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, w));
    for (const [label, type, options] of [
      ['Product area', 'select', ['Shoes', 'Tents', 'Stoves']],
      ['Items', 'number', []],
      ['Gift', 'boolean', []],
      ['Channels', 'multiselect', ['web', 'app', 'shop']],
      ['Order number', 'text', []],
    ] as const)
      await ok(h, 'POST', '/api/v1/custom-fields', { entity: 'ticket', label, type, options }, 201);
    const rows: Array<[string, Record<string, unknown>]> = [
      ['A', { product_area: 'Tents', items: 12, gift: true, channels: ['web'], order_number: '10001' }],
      ['B', { product_area: 'Shoes', items: 2, channels: ['app', 'shop'], order_number: '10002' }],
      ['C', { product_area: 'Tents', items: 5, gift: false, order_number: '20003' }],
      ['D', { product_area: 'Tents', items: 30, channels: ['shop'] }],
      ['E', {}],
    ];
    for (const [subject, custom] of rows)
      await ok(h, 'POST', '/api/v1/tickets', { subject, requester: { email: 'f@example.com' }, custom }, 201);
    const subjects = async (q: string) =>
      (await ok<{ data: Array<{ subject: string }> }>(h, 'GET', `/api/v1/tickets?queue=all&${q}`)).data.map(
        (t) => t.subject,
      );

    expect(await subjects('filter=custom.product_area:eq:Tents&sort=-custom.items')).toEqual(['D', 'A', 'C']);
    expect(await subjects('filter=custom.items:gte:5&sort=custom.items')).toEqual(['C', 'A', 'D']);
    expect(await subjects('filter=custom.gift:eq:true')).toEqual(['A']);
    expect(await subjects('filter=custom.channels:eq:shop&sort=subject')).toEqual(['B', 'D']);
    expect(await subjects('filter=custom.channels:exists:false&sort=subject')).toEqual(['C', 'E']);
    expect(await subjects('filter=custom.order_number:contains:1000&sort=-custom.order_number')).toEqual(['B', 'A']);
    expect(await subjects('filter=custom.product_area:in:Shoes|Stoves')).toEqual(['B']);
    expect(await subjects('filter=custom.order_number:exists:false&sort=subject')).toEqual(['D', 'E']);

    // Pages by a custom field follow each other without repeats or gaps, rows without a value included (last going
    // up, first going down, as PostgreSQL orders them).
    const pages = async (sort: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: Array<{ subject: string }>; page: { nextCursor: string | null } } = await ok(
          h,
          'GET',
          `/api/v1/tickets?queue=all&sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.data.map((t) => t.subject));
        cursor = page.page.nextCursor;
      } while (cursor);
      return seen;
    };
    expect(await pages('custom.items')).toEqual(['B', 'C', 'A', 'D', 'E']);
    expect(await pages('-custom.items')).toEqual(['E', 'D', 'A', 'C', 'B']);
    expect(await pages('custom.order_number')).toHaveLength(5);
    expect(new Set(await pages('-custom.order_number')).size).toBe(5);

    // The language refuses what the fields cannot be: an option that is not one, a number that is not, an unknown field.
    for (const q of [
      'filter=custom.product_area:eq:Bikes',
      'filter=custom.items:gt:lots',
      'filter=custom.colour:eq:red',
      'sort=custom.channels',
    ]) {
      const res = await call(h, 'GET', `/api/v1/tickets?${q}`);
      expect(res.statusCode, `${q}: ${res.body}`).toBe(400);
    }
  });

  it('makes required fields what solving a ticket needs', async () => {
    const w = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, w));
    await ok(
      h,
      'POST',
      '/api/v1/custom-fields',
      { entity: 'ticket', label: 'Resolution', type: 'select', options: ['Fixed', 'Refunded'], required: true },
      201,
    );
    // Opening and working on a ticket does not need it (customers' mail cannot fill it in).
    const t = await ok<Ticket>(
      h,
      'POST',
      '/api/v1/tickets',
      { subject: 'Q', requester: { email: 'q@example.com' } },
      201,
    );
    await ok(h, 'PATCH', `/api/v1/tickets/${t.id}`, { status: 'open' });
    const solve = await call(h, 'PATCH', `/api/v1/tickets/${t.id}`, { status: 'solved' });
    expect(solve.statusCode, solve.body).toBe(400);
    expect(solve.json<ErrorBody>().error).toMatchObject({
      message: 'Fill in Resolution before solving the ticket',
      details: { problems: [{ field: 'custom.resolution', message: 'Resolution is required to solve a ticket' }] },
    });
    expect(
      (await call(h, 'POST', `/api/v1/tickets/${t.id}/replies`, { text: 'Done!', status: 'solved' })).statusCode,
    ).toBe(400);
    // Giving the value in the same change solves it; clearing it on a solved ticket is refused.
    const solved = await ok<Ticket>(h, 'PATCH', `/api/v1/tickets/${t.id}`, {
      status: 'solved',
      custom: { resolution: 'Fixed' },
    });
    expect(solved).toMatchObject({ status: 'solved', custom: { resolution: 'Fixed' } });
    expect((await call(h, 'PATCH', `/api/v1/tickets/${t.id}`, { custom: { resolution: null } })).statusCode).toBe(400);
    await ok(h, 'PATCH', `/api/v1/tickets/${t.id}`, { status: 'open', custom: { resolution: null } });
  });

  it('archiving a field keeps its values but refuses new ones and its filter, as for people', async () => {
    const w = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, w));
    const f = await ok<Field>(
      h,
      'POST',
      '/api/v1/custom-fields',
      { entity: 'ticket', label: 'Batch', type: 'text' },
      201,
    );
    const t = await ok<Ticket>(
      h,
      'POST',
      '/api/v1/tickets',
      { subject: 'Stove', requester: { email: 'b@example.com' }, custom: { batch: 'B-77' } },
      201,
    );
    await ok(h, 'PATCH', `/api/v1/custom-fields/${f.id}`, { archived: true });
    expect((await call(h, 'PATCH', `/api/v1/tickets/${t.id}`, { custom: { batch: 'B-78' } })).statusCode).toBe(400);
    expect((await call(h, 'GET', '/api/v1/tickets?filter=custom.batch:eq:B-77')).statusCode).toBe(400);
    expect((await ok<Ticket>(h, 'GET', `/api/v1/tickets/${t.id}`)).custom).toEqual({ batch: 'B-77' });
    // Other writes keep the archived value.
    expect((await ok<Ticket>(h, 'PATCH', `/api/v1/tickets/${t.id}`, { priority: 'high' })).custom).toEqual({
      batch: 'B-77',
    });
    await ok(h, 'PATCH', `/api/v1/custom-fields/${f.id}`, { archived: false });
    expect((await ok<{ data: Ticket[] }>(h, 'GET', '/api/v1/tickets?filter=custom.batch:eq:B-77')).data).toHaveLength(
      1,
    );
  });

  it('takes custom values from a signed integration for a new ticket, and refuses bad ones', async () => {
    const channel = await ok<{ id: string; secret: string }>(
      owner,
      'POST',
      '/api/v1/channels',
      { kind: 'api', name: 'Shop bridge' },
      201,
    );
    const send = (body: object) => sendInbound(ctx.app, channel.id, channel.secret, body);
    const bad = await send({
      threadId: 'shop-1',
      from: { email: 'lu@example.com' },
      text: 'Where is it?',
      custom: { product_area: 'Bikes' },
    });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json<ErrorBody>().error.details?.problems?.[0]?.field).toBe('custom.product_area');
    const good = await send({
      threadId: 'shop-1',
      from: { email: 'lu@example.com' },
      text: 'Where is it?',
      custom: { order_number: 'W-9', product_area: 'Shoes' },
    });
    expect(good.statusCode, good.body).toBe(201);
    const t = await ok<Ticket>(owner, 'GET', `/api/v1/tickets/${good.json<{ ticketId: string }>().ticketId}`);
    expect(t.custom).toEqual({ order_number: 'W-9', product_area: 'Shoes' });
  });

  it('merging fills in the values the target lacks; splitting copies them', async () => {
    const a = await open({ custom: { order_number: 'A-1' } });
    const b = await open({ custom: { order_number: 'B-2', product_area: 'Shoes' } });
    const merged = await ok<Ticket>(owner, 'POST', `/api/v1/tickets/${a.id}/merge`, { ticketIds: [b.id] });
    expect(merged.custom).toEqual({ order_number: 'A-1', product_area: 'Shoes' });
    const history = (await ok<{ data: Event[] }>(owner, 'GET', `/api/v1/tickets/${a.id}/history?limit=50`)).data;
    expect(history.find((e) => e.type === 'ticket.merged_in')?.payload.changes).toEqual({
      'custom.product_area': { from: null, to: 'Shoes' },
    });

    const c = await open({ text: 'First question', custom: { order_number: 'C-3', gift: true } });
    await ok(agent, 'POST', `/api/v1/tickets/${c.id}/replies`, { text: 'A note', internal: true }, 201);
    const detail = await ok<{ messages: Array<{ id: string }> }>(owner, 'GET', `/api/v1/tickets/${c.id}`);
    const split = await ok<Ticket>(
      agent,
      'POST',
      `/api/v1/tickets/${c.id}/split`,
      { messageIds: [detail.messages[1]?.id] },
      201,
    );
    expect(split.custom).toEqual({ order_number: 'C-3', gift: true });
  });
});
