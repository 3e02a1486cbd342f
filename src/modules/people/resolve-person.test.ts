import { describe, expect, it } from 'vitest';
import { bearer, jsonCaller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { systemActor } from '../../domain/permissions.ts';
import { resolvePerson } from './resolve-person.ts';

type Body = Record<string, unknown> & {
  id?: string;
  error?: { code: string; message: string; details: Record<string, unknown> };
};

describe.each(testEngines())('finding the customer a write names, on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, ws));
    const call = jsonCaller<Body>(ctx.app, h, '/api/v1');
    const person = async (input: Record<string, unknown>) => {
      const r = await call('POST', '/people', input);
      expect(r.status).toBe(201);
      return String(r.body.id);
    };
    const eventCount = async (type: string) =>
      ((await call('GET', `/events?type=${type}&limit=200`)).body.data as unknown[]).length;
    return { ws, call, person, eventCount };
  }

  const order = (customer: Record<string, unknown>) => ({
    customer,
    currency: 'EUR',
    status: 'placed',
    lines: [{ sku: 'X', name: 'Lamp', quantity: 1, unitPrice: '49.00' }],
  });

  it('refuses an upsert by an e-mail address two people share (409 listing them) instead of picking one', async () => {
    const { ws, call, person, eventCount } = await setup();
    const first = await person({ firstName: 'Ana', emails: ['shared@example.com'] });
    const second = await person({ firstName: 'Ana B.', emails: ['Shared@Example.com', 'ana.b@example.com'] });
    const updatedBefore = await eventCount('person.updated');

    // The order upsert names its customer by e-mail: which of the two is it? Not a guess.
    const byEmail = await call('PUT', '/orders/by-external-id/web-1', order({ email: 'SHARED@example.com' }));
    expect(byEmail.status).toBe(409);
    expect(byEmail.body.error).toMatchObject({
      code: 'conflict',
      details: {
        reason: 'ambiguous_match',
        field: 'customer.email',
        value: 'shared@example.com',
        personIds: [first, second],
      },
    });
    // With the shop's customer id, adopting it would update one of them: refused the same way, nothing written.
    const byBoth = await call(
      'PUT',
      '/orders/by-external-id/web-1',
      order({ externalId: 'cust-1', email: 'shared@example.com' }),
    );
    expect(byBoth.status).toBe(409);
    expect(byBoth.body.error?.details).toMatchObject({ reason: 'ambiguous_match', personIds: [first, second] });
    expect(await eventCount('person.updated')).toBe(updatedBefore);
    expect(await eventCount('order.placed')).toBe(0);
    for (const id of [first, second]) expect((await call('GET', `/people/${id}`)).body.externalId).toBeNull();
    // A ticket opened through the API for that address: refused too.
    const ticket = await call('POST', '/tickets', {
      subject: 'Where is my lamp?',
      requester: { email: 'shared@example.com' },
    });
    expect(ticket.status).toBe(409);
    expect(ticket.body.error?.details).toMatchObject({ reason: 'ambiguous_match', field: 'email' });

    // Naming the person by id works; so does an address only one of them has.
    const named = await call('PUT', '/orders/by-external-id/web-1', {
      ...order({}),
      customer: undefined,
      personId: second,
    });
    expect(named.status).toBe(201);
    expect(named.body.personId).toBe(second);
    const single = await call('PUT', '/orders/by-external-id/web-2', order({ email: 'ana.b@example.com' }));
    expect(single.status).toBe(201);
    expect(single.body.personId).toBe(second);

    // A person who has another shop id is another customer of that shop, so only one candidate is left: no 409. The
    // one left takes the shop id (the oldest, who has another id, is not the customer: no new person either).
    expect((await call('PATCH', `/people/${first}`, { externalId: 'cust-0' })).status).toBe(200);
    const other = await call(
      'PUT',
      '/orders/by-external-id/web-3',
      order({ externalId: 'cust-1', email: 'shared@example.com' }),
    );
    expect(other.status).toBe(201);
    expect(other.body.personId).toBe(second);
    expect((await call('GET', `/people/${second}`)).body.externalId).toBe('cust-1');
    // Both have another shop id now: a third customer of the shop with that address is a new person.
    const third = await call(
      'PUT',
      '/orders/by-external-id/web-4',
      order({ externalId: 'cust-2', email: 'shared@example.com' }),
    );
    expect(third.status).toBe(201);
    expect([first, second]).not.toContain(third.body.personId);

    // The channel intake (system actor) never turns a customer's message away: it takes the oldest, as before.
    const found = await ctx.database.db.transaction((tx) =>
      resolvePerson(tx, systemActor(ws.workspace.id), { email: 'shared@example.com' }, 'email'),
    );
    expect(found?.id).toBe(first);
  });

  it('gives a shop id to the oldest person with the phone who has none, passing over one with another id', async () => {
    const { ws, call, person } = await setup();
    const older = await person({ firstName: 'Rui', phones: ['+351 912 000 111'], externalId: 'shop-7' });
    const younger = await person({ firstName: 'Rita', phones: ['+351912000111'] });
    // The channel intake (system actor, which takes the oldest when several may be meant) passes over the oldest too.
    const found = await ctx.database.db.transaction((tx) =>
      resolvePerson(tx, systemActor(ws.workspace.id), { externalId: 'shop-8', phone: '+351912000111' }, 'phone'),
    );
    expect(found?.id).toBe(younger);
    expect(found?.externalId).toBe('shop-8');
    expect((await call('GET', `/people/${older}`)).body.externalId).toBe('shop-7');
  });

  it('refuses a phone number two people share the same way', async () => {
    const { call, person } = await setup();
    const a = await person({ firstName: 'Rui', phones: ['+351 912 345 678'] });
    const b = await person({ firstName: 'Rita', phones: ['+351912345678'] });
    const r = await call('PUT', '/orders/by-external-id/p-1', order({ phone: '+351 912 345 678' }));
    expect(r.status).toBe(409);
    expect(r.body.error?.details).toMatchObject({
      reason: 'ambiguous_match',
      field: 'customer.phone',
      value: '+351912345678',
      personIds: [a, b],
    });
  });
});
