import { describe, expect, it } from 'vitest';
import { bearer, jsonCaller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';

type Body = Record<string, unknown> & {
  id?: string;
  error?: { code: string; message: string; details: Record<string, unknown> };
};

describe.each(testEngines())('custom field definitions on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, ws));
    const call = jsonCaller<Body>(ctx.app, h, '/api/v1');
    return { call };
  }

  it('will not remove a select option that people or companies hold; renaming the field and adding options is fine', async () => {
    const { call } = await setup();
    const plan = await call('POST', '/custom-fields', {
      entity: 'person',
      label: 'Plan',
      type: 'select',
      options: ['free', 'pro', 'team'],
    });
    const interests = await call('POST', '/custom-fields', {
      entity: 'person',
      label: 'Interests',
      type: 'multiselect',
      options: ['bikes', 'books', 'boats'],
    });
    const tier = await call('POST', '/custom-fields', {
      entity: 'company',
      label: 'Tier',
      type: 'select',
      options: ['gold', 'silver', 'bronze'],
    });
    expect([plan.status, interests.status, tier.status]).toEqual([201, 201, 201]);
    for (const custom of [
      { plan: 'pro', interests: ['bikes', 'books'] },
      { plan: 'pro', interests: ['books'] },
      { plan: 'free' },
    ])
      expect((await call('POST', '/people', { firstName: 'P', custom })).status).toBe(201);
    expect((await call('POST', '/companies', { name: 'Acme', custom: { tier: 'gold' } })).status).toBe(201);

    // A select option in use: 409 naming it and how many people hold it; nothing changed.
    const dropPro = await call('PATCH', `/custom-fields/${plan.body.id}`, { options: ['free', 'team'] });
    expect(dropPro.status).toBe(409);
    expect(dropPro.body.error).toMatchObject({
      code: 'conflict',
      details: { field: 'options', entity: 'person', key: 'plan', inUse: { pro: 2 } },
    });
    expect(dropPro.body.error?.message).toMatch(/"pro" \(2\)/);
    // Several at once: each named with its count; an unused one among them is not.
    const dropAll = await call('PATCH', `/custom-fields/${plan.body.id}`, { options: ['enterprise'] });
    expect(dropAll.status).toBe(409);
    expect(dropAll.body.error?.details.inUse).toEqual({ free: 1, pro: 2 });
    // A multiselect value counts for each option it holds.
    const dropBooks = await call('PATCH', `/custom-fields/${interests.body.id}`, { options: ['bikes', 'boats'] });
    expect(dropBooks.status).toBe(409);
    expect(dropBooks.body.error?.details).toMatchObject({ inUse: { books: 2 } });
    // Company fields count companies.
    const dropGold = await call('PATCH', `/custom-fields/${tier.body.id}`, { options: ['silver', 'bronze'] });
    expect(dropGold.status).toBe(409);
    expect(dropGold.body.error?.details).toMatchObject({ entity: 'company', inUse: { gold: 1 } });
    expect(dropGold.body.error?.message).toMatch(/^Companies still have "gold" \(1\)/);

    const fields = await call('GET', '/custom-fields?entity=person');
    expect((fields.body.data as Body[]).find((f) => f.key === 'plan')?.options).toEqual(['free', 'pro', 'team']);
    // The stored values still filter.
    const count = await call('GET', `/people/count?filter=${encodeURIComponent('custom.plan:eq:pro')}`);
    expect(count.body.count).toBe(2);

    // Unused options go; the label changes; options are added; the key and values stay.
    const ok = await call('PATCH', `/custom-fields/${plan.body.id}`, {
      label: 'Subscription plan',
      options: ['free', 'pro', 'enterprise'],
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ key: 'plan', label: 'Subscription plan', options: ['free', 'pro', 'enterprise'] });
    expect((await call('PATCH', `/custom-fields/${interests.body.id}`, { options: ['books', 'bikes'] })).status).toBe(
      200,
    );
    expect((await call('PATCH', `/custom-fields/${tier.body.id}`, { options: ['gold'] })).status).toBe(200);

    // Once nobody holds it any more, the option may go.
    const people = await call('GET', `/people?filter=${encodeURIComponent('custom.plan:eq:free')}`);
    const free = (people.body.data as Body[])[0];
    expect((await call('PATCH', `/people/${free?.id}`, { custom: { plan: 'pro' } })).status).toBe(200);
    expect((await call('PATCH', `/custom-fields/${plan.body.id}`, { options: ['pro', 'enterprise'] })).status).toBe(
      200,
    );
  });

  it('"is not" includes the records without a value, for custom fields as for tags (count, list, bulk agree)', async () => {
    const { call } = await setup();
    await call('POST', '/custom-fields', { entity: 'person', label: 'Plan', type: 'select', options: ['free', 'pro'] });
    await call('POST', '/custom-fields', { entity: 'person', label: 'Seats', type: 'number' });
    const made: Record<string, string> = {};
    for (const [name, custom, tags] of [
      ['Pro', { plan: 'pro', seats: 10 }, ['vip']],
      ['Free', { plan: 'free', seats: 3 }, []],
      ['Blank', {}, []],
    ] as const) {
      const r = await call('POST', '/people', { firstName: name, custom, tags });
      made[name] = String(r.body.id);
    }
    const names = async (filter: string) => {
      const r = await call('GET', `/people?filter=${encodeURIComponent(filter)}`);
      return (r.body.data as Body[]).map((p) => p.firstName).sort();
    };
    expect(await names('custom.plan:ne:pro')).toEqual(['Blank', 'Free']);
    expect(await names('custom.seats:ne:10')).toEqual(['Blank', 'Free']);
    expect(await names('tag:ne:vip')).toEqual(['Blank', 'Free']);
    expect((await call('GET', `/people/count?filter=${encodeURIComponent('custom.plan:ne:pro')}`)).body.count).toBe(2);
    // A bulk action on that filter reaches the same people the list shows.
    const bulk = await call('POST', '/people/bulk', {
      action: 'tag',
      value: 'not-pro',
      selection: { filter: 'custom.plan:ne:pro' },
    });
    expect(bulk.body).toMatchObject({ status: 'done', matched: 2, changed: 2 });
    expect(await names('tag:eq:not-pro')).toEqual(['Blank', 'Free']);
  });

  it('counts tickets for a ticket select field', async () => {
    const { call } = await setup();
    const area = await call('POST', '/custom-fields', {
      entity: 'ticket',
      label: 'Area',
      type: 'select',
      options: ['stoves', 'tents'],
    });
    const t = await call('POST', '/tickets', {
      subject: 'Broken pole',
      requester: { email: 'camper@example.com' },
      custom: { area: 'tents' },
    });
    expect(t.status).toBe(201);
    const refused = await call('PATCH', `/custom-fields/${area.body.id}`, { options: ['stoves'] });
    expect(refused.status).toBe(409);
    expect(refused.body.error?.details).toMatchObject({ entity: 'ticket', inUse: { tents: 1 } });
    expect((await call('PATCH', `/custom-fields/${area.body.id}`, { options: ['tents'] })).status).toBe(200);
  });

  it('refuses a custom field key that is a built-in field name of the entity (400)', async () => {
    const { call } = await setup();
    for (const [entity, key] of [
      ['person', 'email'],
      ['person', 'first_name'],
      ['person', 'firstname'],
      ['person', 'stage'],
      ['person', 'owner'],
      ['person', 'owner_id'],
      ['person', 'tags'],
      ['person', 'created_at'],
      ['person', 'external_id'],
      ['person', 'job_title'],
      ['person', 'p_alive'],
      ['company', 'domain'],
      ['company', 'industry'],
      ['company', 'created_at'],
      ['ticket', 'status'],
      ['ticket', 'priority'],
    ] as const) {
      const r = await call('POST', '/custom-fields', { entity, label: 'Anything', key, type: 'text' });
      expect(r.status, `${entity} ${key}`).toBe(400);
      expect(r.body.error, `${entity} ${key}`).toMatchObject({
        code: 'validation_failed',
        details: { field: 'key', reserved: expect.arrayContaining(['created_at']) as unknown },
      });
    }
    // A key derived from the label is checked too.
    const fromLabel = await call('POST', '/custom-fields', { entity: 'person', label: 'E-mail', type: 'text' });
    expect(fromLabel.status).toBe(400);
    expect(fromLabel.body.error?.message).toMatch(/"e_mail" is the name of a built-in person field \(email\)/);
    // What is reserved depends on the entity; other keys are fine.
    for (const [entity, key] of [
      ['company', 'stage'],
      ['person', 'industry'],
      ['person', 'plan_tier'],
      ['ticket', 'email'],
    ] as const)
      expect((await call('POST', '/custom-fields', { entity, label: key, key, type: 'text' })).status).toBe(201);
  });
});
