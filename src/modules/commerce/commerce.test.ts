import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { bearer, caller, useTestApp, type Method } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace } from '../../../test/factories.ts';
import { isErrorBody } from '../../../test/routes.ts';

type Json = Record<string, unknown>;
type Order = {
  id: string;
  externalId: string | null;
  personId: string;
  customer: { id: string; name: string; email: string | null };
  status: string;
  currency: string;
  placedAt: string;
  subtotal: string;
  discount: string;
  tax: string;
  shipping: string;
  total: string;
  refunded: string;
  net: string;
  channel: string | null;
  lines?: Array<{
    lineNumber: number;
    productId: string | null;
    sku: string | null;
    name: string;
    quantity: number;
    unitPrice: string;
    amount: string;
  }>;
  refunds?: Array<{ id: string; amount: string; reason: string | null }>;
};
type Problems = {
  error: {
    code: string;
    message: string;
    details: { problems?: Array<{ field: string; message: string }>; field?: string };
  };
};
type Page<T> = { data: T[]; page: { nextCursor: string | null; limit: number } };

describe.each(testEngines())('commerce on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, ws));
    const send = caller(ctx.app, h, '/api/v1');
    const call = async <T = Json>(method: Method, url: string, payload?: object) => {
      const res = await send(method, url, payload);
      const body = res.body ? (res.json() as T) : ({} as T);
      if (res.statusCode >= 400) expect(isErrorBody(body), res.body).toBe(true);
      return { status: res.statusCode, body };
    };
    const person = await ctx.services.people.create(ws.ownerActor, {
      firstName: 'Ada',
      lastName: 'Buyer',
      emails: ['ada@shop.example'],
    });
    /** How many events of these types the workspace has. */
    const eventCount = async (type: string) =>
      (await call<Page<Json>>('GET', `/events?limit=200&type=${encodeURIComponent(type)}`)).body.data.length;
    return { ws, call, personId: person.person.id, eventCount };
  }

  const fields = (b: unknown) => ((b as Problems).error.details.problems ?? []).map((p) => p.field);

  it('refuses bad orders with 400 and every problem named', async () => {
    const { call, personId } = await setup();
    const tooPrecise = await call<Problems>('POST', '/orders', {
      personId,
      currency: 'EUR',
      lines: [{ name: 'Kettle', unitPrice: '19.999' }],
      shipping: 'free',
    });
    expect(tooPrecise.status).toBe(400);
    expect(tooPrecise.body.error.code).toBe('validation_failed');
    expect(tooPrecise.body.error.details.problems).toEqual(
      expect.arrayContaining([
        { field: 'lines[0].unitPrice', message: 'EUR has 2 decimals: 19.999 has more' },
        { field: 'shipping', message: '"free" is not an amount like 19.99' },
      ]),
    );
    const yen = await call('POST', '/orders', { personId, currency: 'jpy', lines: [{ name: 'Tea', unitPrice: 10.5 }] });
    expect(yen.status).toBe(400);
    expect(fields(yen.body)).toEqual(['lines[0].unitPrice']);
    const currency = await call('POST', '/orders', { personId, currency: 'EURO', subtotal: 1 });
    expect(fields(currency.body)).toEqual(['currency']);
    const nobody = await call('POST', '/orders', { currency: 'EUR', subtotal: 1 });
    expect(fields(nobody.body)).toEqual(['personId']);
    const both = await call('POST', '/orders', {
      personId,
      customer: { email: 'x@y.example' },
      currency: 'EUR',
      subtotal: 1,
    });
    expect(fields(both.body)).toEqual(['customer']);
    const sum = await call<Problems>('POST', '/orders', {
      personId,
      currency: 'EUR',
      lines: [{ name: 'A', quantity: 2, unitPrice: '5.00' }],
      subtotal: '9.00',
    });
    expect(sum.body.error.message).toBe('subtotal: 9.00 EUR is not the sum of the lines (10.00 EUR)');
    const future = await call('POST', '/orders', {
      personId,
      currency: 'EUR',
      subtotal: 1,
      placedAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
    expect(fields(future.body)).toEqual(['placedAt']);
    const noProduct = await call('POST', '/orders', {
      personId,
      currency: 'EUR',
      lines: [{ productId: '0190a000-0000-7000-8000-000000000000' }],
    });
    expect(fields(noProduct.body)).toEqual(['lines[0].productId', 'lines[0].name', 'lines[0].unitPrice']);
    const unknownPerson = await call<Problems>('POST', '/orders', {
      personId: '0190a000-0000-7000-8000-000000000000',
      currency: 'EUR',
      subtotal: 1,
    });
    expect(unknownPerson.status).toBe(400);
    expect(unknownPerson.body.error.details.field).toBe('personId');
    // Schema-level problems have the same shape.
    const schema = await call<Problems>('POST', '/orders', {
      personId: 'nope',
      currency: 'EUR',
      lines: [{ quantity: 0 }],
    });
    expect(schema.status).toBe(400);
    expect(schema.body.error.code).toBe('validation_failed');
    // Nothing was stored by any of these.
    expect((await call<Page<Order>>('GET', '/orders')).body.data).toEqual([]);
  });

  it('keeps a catalogue: sku unique, prices in the currency, sold products kept', async () => {
    const { call, personId, eventCount } = await setup();
    const kettle = await call<Json>('POST', '/products', {
      sku: 'KET-1',
      name: 'Kettle',
      category: 'Kitchen',
      price: '39.90',
      currency: 'eur',
    });
    expect(kettle.status).toBe(201);
    expect(kettle.body).toMatchObject({ sku: 'KET-1', price: '39.90', currency: 'EUR', active: true });
    const dup = await call<Problems>('POST', '/products', { sku: 'KET-1', name: 'Other', price: 1, currency: 'EUR' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details.field).toBe('sku');
    const id = String(kettle.body.id);
    expect((await call('PATCH', `/products/${id}`, { currency: 'JPY' })).status).toBe(400);
    expect((await call<Json>('PATCH', `/products/${id}`, { currency: 'JPY', price: 6000 })).body).toMatchObject({
      price: '6000',
      currency: 'JPY',
    });
    expect((await call<Json>('PATCH', `/products/${id}`, { price: '5990' })).body.price).toBe('5990');
    const mug = await call<Json>('POST', '/products', { sku: 'MUG', name: 'Mug', price: 8, currency: 'EUR' });
    expect(mug.body.price).toBe('8.00');
    // Paging by name: two pages of one, then the end.
    const first = await call<Page<Json>>('GET', '/products?limit=1');
    expect(first.body.data.map((p) => p.name)).toEqual(['Kettle']);
    const second = await call<Page<Json>>('GET', `/products?limit=1&cursor=${first.body.page.nextCursor ?? ''}`);
    expect(second.body.data.map((p) => p.name)).toEqual(['Mug']);
    expect(second.body.page.nextCursor).toBeNull();
    expect((await call<Page<Json>>('GET', '/products?filter=category:eq:Kitchen')).body.data).toHaveLength(1);
    // A sold product cannot be deleted; an unsold one can.
    expect(
      (await call('POST', '/orders', { personId, currency: 'EUR', lines: [{ productId: String(mug.body.id) }] }))
        .status,
    ).toBe(201);
    const sold = await call<Problems>('DELETE', `/products/${String(mug.body.id)}`);
    expect(sold.status).toBe(409);
    expect(sold.body.error.message).toMatch(/deactivate/);
    expect((await call('DELETE', `/products/${id}`)).status).toBe(204);
    expect((await call('GET', `/products/${id}`)).status).toBe(404);
    // Created twice, changed twice (the refused currency change made none), deleted once.
    expect(await eventCount('product.*')).toBe(5);
  });

  it('upserts products by external id: the same body twice is one product and one event', async () => {
    const { call, eventCount } = await setup();
    const body = { sku: 'TENT-2', name: 'Tent for two', price: '199', currency: 'EUR' };
    const a = await call<Json>('PUT', '/products/by-external-id/shop-77', body);
    const b = await call<Json>('PUT', '/products/by-external-id/shop-77', body);
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.body.id).toBe(a.body.id);
    expect(b.body.externalId).toBe('shop-77');
    expect(await eventCount('product.*')).toBe(1);
    const c = await call<Json>('PUT', '/products/by-external-id/shop-77', { ...body, price: '189.00' });
    expect(c.body).toMatchObject({ id: a.body.id, price: '189.00' });
    expect(await eventCount('product.updated')).toBe(1);
  });

  it('prices lines from the catalogue and adds up the order', async () => {
    const { call, personId } = await setup();
    const kettle = await call<Json>('POST', '/products', {
      sku: 'KET',
      name: 'Kettle',
      price: '39.90',
      currency: 'EUR',
    });
    const created = await call<Order>('POST', '/orders', {
      personId,
      currency: 'EUR',
      channel: 'Web',
      lines: [
        { productId: String(kettle.body.id), quantity: 2 },
        { sku: 'KET', name: 'Kettle (gift)', unitPrice: '39.90', amount: '35.00' },
        { name: 'Gift wrap', unitPrice: 2.5 },
      ],
      discount: '5',
      tax: '10.26',
      shipping: 4.9,
      total: '127.46',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      status: 'paid',
      channel: 'web',
      subtotal: '117.30',
      discount: '5.00',
      tax: '10.26',
      shipping: '4.90',
      total: '127.46',
      refunded: '0.00',
      net: '127.46',
      customer: { id: personId, name: 'Ada Buyer', email: 'ada@shop.example' },
    });
    expect(created.body.lines).toEqual([
      {
        lineNumber: 1,
        productId: kettle.body.id,
        sku: 'KET',
        name: 'Kettle',
        quantity: 2,
        unitPrice: '39.90',
        amount: '79.80',
      },
      {
        lineNumber: 2,
        productId: kettle.body.id,
        sku: 'KET',
        name: 'Kettle (gift)',
        quantity: 1,
        unitPrice: '39.90',
        amount: '35.00',
      },
      { lineNumber: 3, productId: null, sku: null, name: 'Gift wrap', quantity: 1, unitPrice: '2.50', amount: '2.50' },
    ]);
    const got = await call<Order>('GET', `/orders/${created.body.id}`);
    expect(got.body).toEqual(created.body);
    // A product priced in another currency needs the line's own price.
    const usd = await call('POST', '/orders', {
      personId,
      currency: 'USD',
      lines: [{ productId: String(kettle.body.id) }],
    });
    expect(fields(usd.body)).toEqual(['lines[0].unitPrice']);
  });

  it('accumulates refunds, moves the status and refuses more than is left', async () => {
    const { call, personId, eventCount } = await setup();
    const o = (await call<Order>('POST', '/orders', { personId, currency: 'EUR', subtotal: '100.00' })).body;
    const r1 = await call<{ refund: Json; order: Order }>('POST', `/orders/${o.id}/refunds`, {
      amount: '30.50',
      reason: 'Damaged lid',
    });
    expect(r1.status).toBe(201);
    expect(r1.body.refund).toMatchObject({ amount: '30.50', reason: 'Damaged lid', currency: 'EUR' });
    expect(r1.body.order).toMatchObject({ status: 'partially_refunded', refunded: '30.50', net: '69.50' });
    const over = await call<Problems>('POST', `/orders/${o.id}/refunds`, { amount: '69.51' });
    expect(over.status).toBe(409);
    expect(over.body.error.message).toBe(
      'A refund of 69.51 EUR is more than what is left to refund (69.50 EUR of 100.00 EUR)',
    );
    const bad = await call('POST', `/orders/${o.id}/refunds`, { amount: '1.001' });
    expect(fields(bad.body)).toEqual(['amount']);
    expect(fields((await call('POST', `/orders/${o.id}/refunds`, { amount: 0 })).body)).toEqual(['amount']);
    const early = await call('POST', `/orders/${o.id}/refunds`, { amount: 1, refundedAt: '2001-01-01T00:00:00Z' });
    expect(fields(early.body)).toEqual(['refundedAt']);
    const r2 = await call<{ order: Order }>('POST', `/orders/${o.id}/refunds`, { amount: 69.5 });
    expect(r2.body.order).toMatchObject({ status: 'refunded', refunded: '100.00', net: '0.00' });
    expect(r2.body.order.refunds?.map((r) => r.amount)).toEqual(['30.50', '69.50']);
    const again = await call<Problems>('POST', `/orders/${o.id}/refunds`, { amount: 1 });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe('The order is already refunded in full');
    expect(await eventCount('order.refunded')).toBe(2);
    // A refunded order is not canceled nor set back to placed.
    expect((await call('PATCH', `/orders/${o.id}`, { status: 'canceled' })).status).toBe(409);
    expect((await call('PATCH', `/orders/${o.id}`, { status: 'placed' })).status).toBe(409);
    // An unpaid order has nothing to refund.
    const placed = (await call<Order>('POST', '/orders', { personId, currency: 'EUR', subtotal: 5, status: 'placed' }))
      .body;
    expect((await call('POST', `/orders/${placed.id}/refunds`, { amount: 1 })).status).toBe(409);
  });

  it('moves the status by the rules, with an event for each move', async () => {
    const { call, personId, eventCount } = await setup();
    const o = (await call<Order>('POST', '/orders', { personId, currency: 'EUR', subtotal: 10, status: 'placed' }))
      .body;
    expect(o.status).toBe('placed');
    expect(await eventCount('order.paid')).toBe(0);
    expect((await call<Order>('PATCH', `/orders/${o.id}`, { status: 'paid', note: 'Paid by card' })).body.status).toBe(
      'paid',
    );
    expect(await eventCount('order.paid')).toBe(1);
    expect(await eventCount('order.updated')).toBe(1);
    // The same status again changes nothing.
    expect((await call('PATCH', `/orders/${o.id}`, { status: 'paid' })).status).toBe(200);
    expect(await eventCount('order.paid')).toBe(1);
    const cancel = await call<Problems>('PATCH', `/orders/${o.id}`, { status: 'canceled' });
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.message).toMatch(/refund it instead/);
    const other = (await call<Order>('POST', '/orders', { personId, currency: 'EUR', subtotal: 10, status: 'placed' }))
      .body;
    expect((await call<Order>('PATCH', `/orders/${other.id}`, { status: 'canceled' })).body.status).toBe('canceled');
    expect(await eventCount('order.canceled')).toBe(1);
    expect((await call('PATCH', `/orders/${other.id}`, { status: 'paid' })).status).toBe(409);
  });

  it('upserts orders by external id: the same body twice is one order and one set of events', async () => {
    const { call, eventCount } = await setup();
    const body = {
      customer: { externalId: 'cust-9', email: 'Nina@Shop.example', name: 'Nina Rossi' },
      currency: 'EUR',
      placedAt: '2025-06-01T10:00:00.000Z',
      status: 'placed',
      lines: [{ sku: 'X', name: 'Lamp', quantity: 1, unitPrice: '49.00' }],
      shipping: '5.00',
    };
    const a = await call<Order>('PUT', '/orders/by-external-id/web-1001', body);
    const b = await call<Order>('PUT', '/orders/by-external-id/web-1001', body);
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.body).toEqual(a.body);
    expect(a.body).toMatchObject({ externalId: 'web-1001', status: 'placed', total: '54.00' });
    expect(await eventCount('order.*')).toBe(1);
    // The customer was made once, with the shop's id and address, and found the second time.
    expect(await eventCount('person.created')).toBe(2); // Ada from setup, and Nina
    const nina = await call<Json>('GET', `/people/${a.body.personId}`);
    expect(nina.body).toMatchObject({
      name: 'Nina Rossi',
      email: 'nina@shop.example',
      externalId: 'cust-9',
      source: 'order',
    });
    // Paid, with one more line: an update and a payment, then nothing again.
    const paid = { ...body, status: 'paid', lines: [...body.lines, { name: 'Bulb', unitPrice: '3.50' }] };
    const c = await call<Order>('PUT', '/orders/by-external-id/web-1001', paid);
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ id: a.body.id, status: 'paid', subtotal: '52.50', total: '57.50' });
    expect(c.body.lines).toHaveLength(2);
    expect(await eventCount('order.updated')).toBe(1);
    expect(await eventCount('order.paid')).toBe(1);
    await call('PUT', '/orders/by-external-id/web-1001', paid);
    expect(await eventCount('order.*')).toBe(3);
    // A refunded order sent again as paid stays refunded; a total below the refunds is refused.
    await call('POST', `/orders/${a.body.id}/refunds`, { amount: '20' });
    const resent = await call<Order>('PUT', '/orders/by-external-id/web-1001', paid);
    expect(resent.body.status).toBe('partially_refunded');
    expect(await eventCount('order.updated')).toBe(1);
    const below = await call('PUT', '/orders/by-external-id/web-1001', {
      ...paid,
      lines: [{ name: 'Bulb', unitPrice: 10 }],
    });
    expect(below.status).toBe(409);
    // POST with a taken external id points at the upsert.
    const taken = await call<Problems>('POST', '/orders', { ...body, externalId: 'web-1001' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toMatch(/by-external-id/);
  });

  it('makes one order and one customer when the same upsert arrives several times at once', async () => {
    const { call, eventCount } = await setup();
    const body = { customer: { externalId: 'race-1', email: 'race@shop.example' }, currency: 'EUR', subtotal: '7.00' };
    const results = await Promise.all(
      [1, 2, 3].map(() => call<Order>('PUT', '/orders/by-external-id/race-order', body)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(new Set(results.map((r) => r.body.personId)).size).toBe(1);
    expect(await eventCount('order.placed')).toBe(1);
    expect(await eventCount('person.created')).toBe(2); // Ada from setup, and the racing customer once
  });

  it('finds the customer by e-mail or external id, and links the external id to a known person', async () => {
    const { call, personId } = await setup();
    // Ada is known by e-mail (as the service desk would have made her): the order is hers and she gets the shop's id.
    const byEmail = await call<Order>('POST', '/orders', {
      customer: { email: 'ADA@shop.example', externalId: 'c-ada' },
      currency: 'EUR',
      subtotal: 12,
    });
    expect(byEmail.body.personId).toBe(personId);
    expect((await call<Json>('GET', `/people/${personId}`)).body.externalId).toBe('c-ada');
    const byExternal = await call<Order>('POST', '/orders', {
      customer: { externalId: 'c-ada' },
      currency: 'EUR',
      subtotal: 3,
    });
    expect(byExternal.body.personId).toBe(personId);
    // Another shop customer with the same address is another person.
    const other = await call<Order>('POST', '/orders', {
      customer: { email: 'ada@shop.example', externalId: 'c-other' },
      currency: 'EUR',
      subtotal: 4,
    });
    expect(other.body.personId).not.toBe(personId);
    const badEmail = await call<Problems>('POST', '/orders', {
      customer: { email: 'nope' },
      currency: 'EUR',
      subtotal: 1,
    });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.error.details.field).toBe('customer.email');
  });

  it('lists orders by person, status, channel and date, page by page in a stable order', async () => {
    const { call, personId } = await setup();
    const bob = (await call<Json>('POST', '/people', { firstName: 'Bob', emails: ['bob@shop.example'] })).body
      .id as string;
    const made: Order[] = [];
    for (let i = 0; i < 7; i++) {
      const o = await call<Order>('POST', '/orders', {
        personId: i % 2 ? bob : personId,
        currency: 'EUR',
        subtotal: 10 + i,
        channel: i < 4 ? 'web' : 'store',
        // Two orders share a moment: the id breaks the tie.
        placedAt: new Date(Date.UTC(2025, 0, 1 + Math.min(i, 5))).toISOString(),
      });
      made.push(o.body);
    }
    const all = await call<Page<Order>>('GET', '/orders?limit=200');
    expect(all.body.data.map((o) => o.id)).toEqual(
      [...made].sort((a, b) => b.placedAt.localeCompare(a.placedAt) || b.id.localeCompare(a.id)).map((o) => o.id),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Page<Order> } = await call<Page<Order>>(
        'GET',
        `/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.data.map((o) => o.id));
      cursor = page.body.page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.data.map((o) => o.id));
    const ids = async (q: string) => (await call<Page<Order>>('GET', `/orders?${q}`)).body.data.map((o) => o.id).sort();
    expect(await ids(`filter=person_id:eq:${bob}`)).toEqual(
      made
        .filter((_, i) => i % 2)
        .map((o) => o.id)
        .sort(),
    );
    expect(await ids('filter=channel:eq:store')).toEqual(
      made
        .slice(4)
        .map((o) => o.id)
        .sort(),
    );
    expect(await ids('filter=placed_at:gte:2025-01-02&filter=placed_at:lt:2025-01-04')).toEqual(
      made
        .slice(1, 3)
        .map((o) => o.id)
        .sort(),
    );
    await call('POST', `/orders/${made[0]?.id ?? ''}/refunds`, { amount: 1 });
    expect(await ids('filter=status:in:partially_refunded|refunded')).toEqual([made[0]?.id]);
    const byTotal = await call<Page<Order>>('GET', '/orders?sort=-total&limit=1');
    expect(byTotal.body.data[0]?.total).toBe('16.00');
    const bad = await call<Problems>('GET', '/orders?filter=status:eq:lost&sort=colour');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.problems).toHaveLength(2);
    expect(await ids('filter=person_id:eq:not-a-uuid')).toEqual([]);
  });

  it("shows orders, refunds and subscriptions on the customer's timeline", async () => {
    const { call, personId } = await setup();
    const o = (await call<Order>('POST', '/orders', { personId, currency: 'EUR', subtotal: '20' })).body;
    await call('POST', `/orders/${o.id}/refunds`, { amount: '5' });
    const s = await call<Json>('POST', '/subscriptions', {
      personId,
      plan: 'Coffee club',
      mrr: '14.90',
      currency: 'EUR',
    });
    await call('POST', `/subscriptions/${String(s.body.id)}/cancel`, { reason: 'Moving abroad' });
    const timeline = await call<Page<{ type: string; subjectId: string; payload: Json }>>(
      'GET',
      `/people/${personId}/timeline?limit=50`,
    );
    const types = timeline.body.data.map((e) => e.type);
    expect(types.slice(0, 5)).toEqual([
      'subscription.canceled',
      'subscription.started',
      'order.refunded',
      'order.paid',
      'order.placed',
    ]);
    const refunded = timeline.body.data.find((e) => e.type === 'order.refunded');
    expect(refunded?.subjectId).toBe(o.id);
    expect(refunded?.payload).toMatchObject({
      amount: '5.00',
      refunded: '5.00',
      status: 'partially_refunded',
      currency: 'EUR',
    });
    const canceled = timeline.body.data.find((e) => e.type === 'subscription.canceled');
    expect(canceled?.payload).toMatchObject({ plan: 'Coffee club', mrr: '14.90', reason: 'Moving abroad' });
  });

  it('deletes an order with its lines and refunds, on the timeline; unknown or foreign ids are 404s', async () => {
    const { call, personId } = await setup();
    const o = (
      await call<Order>('POST', '/orders', {
        personId,
        currency: 'EUR',
        externalId: 'del-1',
        lines: [
          { name: 'Mug', unitPrice: '8.00', quantity: 2 },
          { name: 'Tea', unitPrice: '4.00' },
        ],
      })
    ).body;
    await call('POST', `/orders/${o.id}/refunds`, { amount: '4.00', reason: 'Broken mug' });
    const kept = (await call<Order>('POST', '/orders', { personId, currency: 'EUR', subtotal: '3' })).body;
    const del = await call('DELETE', `/orders/${o.id}`);
    expect(del.status).toBe(204);
    expect((await call('GET', `/orders/${o.id}`)).status).toBe(404);
    expect((await call('DELETE', `/orders/${o.id}`)).status).toBe(404);
    expect((await call<Order>('GET', `/orders/${kept.id}`)).status).toBe(200);
    const count = async (table: string) => {
      const r = (await ctx.database.db.execute(
        sql`select count(*)::int as n from ${sql.identifier(table)} where order_id = ${o.id}`,
      )) as unknown as { rows: Array<{ n: number }> };
      return r.rows[0]?.n;
    };
    expect([await count('order_lines'), await count('refunds')]).toEqual([0, 0]);
    const timeline = await call<Page<{ type: string; subjectId: string; payload: Json }>>(
      'GET',
      `/people/${personId}/timeline?type=order.deleted`,
    );
    expect(timeline.body.data).toHaveLength(1);
    expect(timeline.body.data[0]).toMatchObject({
      subjectId: o.id,
      payload: {
        externalId: 'del-1',
        total: '20.00',
        refunded: '4.00',
        currency: 'EUR',
        status: 'partially_refunded',
        lines: 2,
        refunds: 1,
      },
    });
    // The external id is free again.
    expect(
      (await call('POST', '/orders', { personId, currency: 'EUR', subtotal: '1', externalId: 'del-1' })).status,
    ).toBe(201);
    const unknown = await call<Problems>('DELETE', '/orders/0190a0a0-0000-7000-8000-000000000000');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found']);
    expect((await call<Problems>('DELETE', '/orders/not-a-uuid')).status).toBe(400);
    // Another workspace's order is not found from here, and stays.
    const other = await setup();
    const theirs = (
      await other.call<Order>('POST', '/orders', { personId: other.personId, currency: 'EUR', subtotal: 2 })
    ).body;
    expect((await call<Problems>('DELETE', `/orders/${theirs.id}`)).status).toBe(404);
    expect((await other.call('GET', `/orders/${theirs.id}`)).status).toBe(200);
  });

  it('dates order events by when they happened, and the timeline sorts them so', async () => {
    const { call, personId } = await setup();
    const day = 86_400_000;
    const yearAgo = new Date(Date.now() - 365 * day).toISOString();
    const halfYearAgo = new Date(Date.now() - 180 * day).toISOString();
    // A shop sends its history today: an order placed a year ago, refunded in part half a year ago.
    const old = (
      await call<Order>('PUT', '/orders/by-external-id/hist-1', {
        personId,
        currency: 'EUR',
        subtotal: '30',
        status: 'paid',
        placedAt: yearAgo,
      })
    ).body;
    await call('POST', `/orders/${old.id}/refunds`, { amount: '5', refundedAt: halfYearAgo });
    const recent = (await call<Order>('POST', '/orders', { personId, currency: 'EUR', subtotal: '9' })).body;
    await call('POST', `/people/${personId}/notes`, { body: 'Called about the refund' });
    type Ev = { type: string; subjectId: string; occurredAt: string };
    const timeline = (await call<{ data: Ev[] }>('GET', `/people/${personId}/timeline?limit=50`)).body.data;
    const at = (type: string, id: string) => timeline.find((e) => e.type === type && e.subjectId === id)?.occurredAt;
    expect(at('order.placed', old.id)).toBe(yearAgo);
    expect(at('order.paid', old.id)).toBe(yearAgo);
    expect(at('order.refunded', old.id)).toBe(halfYearAgo);
    expect(at('order.placed', recent.id)).toBe(recent.placedAt);
    // Newest first by when it happened: the old order's events last, whatever order they were written in.
    const times = timeline.map((e) => Date.parse(e.occurredAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(timeline.slice(-3).map((e) => [e.type, e.subjectId])).toEqual([
      ['order.refunded', old.id],
      ['order.paid', old.id],
      ['order.placed', old.id],
    ]);
    // Pages follow the same order.
    const paged: Ev[] = [];
    let before: number | null = null;
    do {
      const page: { data: Ev[]; page: { nextBefore: number | null } } = (
        await call<{ data: Ev[]; page: { nextBefore: number | null } }>(
          'GET',
          `/people/${personId}/timeline?limit=2${before ? `&before=${before}` : ''}`,
        )
      ).body;
      paged.push(...page.data);
      before = page.page.nextBefore;
    } while (before);
    expect(paged.map((e) => [e.type, e.subjectId])).toEqual(timeline.map((e) => [e.type, e.subjectId]));
    // Changes made today stay today: a later status change or deletion is dated when it was made.
    await call('DELETE', `/orders/${old.id}`);
    const deleted = (await call<{ data: Ev[] }>('GET', `/people/${personId}/timeline?limit=1`)).body.data[0];
    expect(deleted?.type).toBe('order.deleted');
    expect(Date.now() - Date.parse(deleted?.occurredAt ?? '')).toBeLessThan(60_000);
  });

  it('keeps subscriptions: start, cancel once, upsert by external id', async () => {
    const { call, personId, eventCount } = await setup();
    const s = await call<Json>('POST', '/subscriptions', {
      personId,
      plan: 'Pro',
      mrr: 29,
      currency: 'usd',
      startedAt: '2025-03-01T00:00:00Z',
    });
    expect(s.status).toBe(201);
    expect(s.body).toMatchObject({ status: 'active', mrr: '29.00', currency: 'USD', canceledAt: null });
    const early = await call('POST', `/subscriptions/${String(s.body.id)}/cancel`, {
      canceledAt: '2025-01-01T00:00:00Z',
    });
    expect(fields(early.body)).toEqual(['canceledAt']);
    const c = await call<Json>('POST', `/subscriptions/${String(s.body.id)}/cancel`, { reason: 'Too expensive' });
    expect(c.body).toMatchObject({ status: 'canceled', cancelReason: 'Too expensive' });
    expect((await call('POST', `/subscriptions/${String(s.body.id)}/cancel`, {})).status).toBe(409);
    expect((await call<Page<Json>>('GET', '/subscriptions?filter=status:eq:canceled')).body.data).toHaveLength(1);
    expect((await call('POST', '/subscriptions', { personId, plan: 'X', mrr: '1.001', currency: 'EUR' })).status).toBe(
      400,
    );

    const body = { customer: { email: 'sub@shop.example' }, plan: 'Basic', mrr: '9.90', currency: 'EUR' };
    const a = await call<Json>('PUT', '/subscriptions/by-external-id/sub-1', body);
    const b = await call<Json>('PUT', '/subscriptions/by-external-id/sub-1', body);
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.body).toEqual(a.body);
    expect(await eventCount('subscription.started')).toBe(2);
    const up = await call<Json>('PUT', '/subscriptions/by-external-id/sub-1', { ...body, plan: 'Plus', mrr: '19.90' });
    expect(up.body).toMatchObject({ plan: 'Plus', mrr: '19.90', status: 'active' });
    expect(await eventCount('subscription.updated')).toBe(1);
    const gone = { ...body, plan: 'Plus', mrr: '19.90', status: 'canceled', cancelReason: 'Churned' };
    const g = await call<Json>('PUT', '/subscriptions/by-external-id/sub-1', gone);
    expect(g.body).toMatchObject({ status: 'canceled', cancelReason: 'Churned' });
    await call('PUT', '/subscriptions/by-external-id/sub-1', gone);
    expect(await eventCount('subscription.canceled')).toBe(2);
    expect(await eventCount('subscription.updated')).toBe(1);
    const back = await call<Problems>('PUT', '/subscriptions/by-external-id/sub-1', { ...body, status: 'active' });
    expect(back.status).toBe(409);
  });

  it('lets readers read and only writers write', async () => {
    const { ws, call, personId } = await setup();
    const o = (await call<Order>('POST', '/orders', { personId, currency: 'EUR', subtotal: 1 })).body;
    // An analyst reads everything and changes nothing.
    const viewer = await makeUser(ctx.services, ws, { role: 'analyst' });
    const vh = bearer(await makeApiKey(ctx.services, ws, { actor: viewer.actor }));
    const get = await ctx.app.inject({ method: 'GET', url: `/api/v1/orders/${o.id}`, headers: vh });
    expect(get.statusCode).toBe(200);
    for (const [method, url, payload] of [
      ['POST', '/api/v1/orders', { personId, currency: 'EUR', subtotal: 1 }],
      ['POST', `/api/v1/orders/${o.id}/refunds`, { amount: 1 }],
      ['PUT', '/api/v1/orders/by-external-id/x', { personId, currency: 'EUR', subtotal: 1 }],
      ['DELETE', `/api/v1/orders/${o.id}`, undefined],
      ['POST', '/api/v1/products', { sku: 'a', name: 'a', price: 1, currency: 'EUR' }],
      ['POST', '/api/v1/subscriptions', { personId, plan: 'a', mrr: 1, currency: 'EUR' }],
    ] as const) {
      const res = await ctx.app.inject({ method, url, headers: vh, payload });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
  });

  it("moves a person's orders and subscriptions on a merge, and deletes them with the person only when forced", async () => {
    const { ws, call, personId } = await setup();
    const twin = (
      await call<Json>('POST', '/people', { firstName: 'Ada', lastName: 'Buyer', emails: ['ada2@shop.example'] })
    ).body.id as string;
    const o = (await call<Order>('POST', '/orders', { personId: twin, currency: 'EUR', subtotal: 1 })).body;
    await call('POST', '/subscriptions', { personId: twin, plan: 'a', mrr: 1, currency: 'EUR' });
    await ctx.services.duplicates.mergePeople(ws.ownerActor, personId, { otherId: twin });
    expect((await call<Order>('GET', `/orders/${o.id}`)).body.personId).toBe(personId);
    expect((await call<Page<Json>>('GET', `/subscriptions?filter=person_id:eq:${personId}`)).body.data).toHaveLength(1);
    // A customer with orders is not deleted by accident: the orders would go too.
    const refused = await call<Json>('DELETE', `/people/${personId}`);
    expect(refused.status).toBe(409);
    expect((refused.body.error as Json).details).toEqual({ orders: 1, subscriptions: 1, tickets: 0 });
    expect((await call<Order>('GET', `/orders/${o.id}`)).status).toBe(200);
    // A bulk delete leaves such a person out, even as the only one selected.
    const bulk = await call<Json>('POST', '/people/bulk', { selection: { ids: [personId] }, action: 'delete' });
    expect(bulk.body).toMatchObject({ matched: 1, changed: 0, unchanged: 1 });
    expect((await call<Order>('GET', `/orders/${o.id}`)).status).toBe(200);
    expect((await call('DELETE', `/people/${personId}?force=true`)).status).toBe(204);
    expect((await call('GET', `/orders/${o.id}`)).status).toBe(404);
    expect((await call<Page<Json>>('GET', '/subscriptions')).body.data).toEqual([]);
  });
});
