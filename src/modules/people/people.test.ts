import { describe, expect, it } from 'vitest';
import { bearer, jsonCaller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { searchWalkBudget } from './people.service.ts';

type Body = Record<string, unknown> & { data?: Array<Record<string, unknown>> };

describe.each(testEngines())('people and companies on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, ws));
    const call = jsonCaller<Body>(ctx.app, h, '/api/v1');
    return { ws, call };
  }

  it('normalises contact points and refuses bad ones with every problem listed', async () => {
    const { call } = await setup();
    const ok = await call('POST', '/people', {
      firstName: 'Zoë',
      lastName: 'Almeida',
      emails: [' Zoe.Almeida@Example.COM ', 'zoe@home.example'],
      phones: ['+351 912 345 678'],
      address: { city: 'Lisboa', country: 'pt' },
      tags: ['VIP', 'newsletter reader'],
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      name: 'Zoë Almeida',
      email: 'zoe.almeida@example.com',
      phones: ['+351912345678'],
      address: { city: 'Lisboa', country: 'PT' },
      tags: ['vip', 'newsletter-reader'],
      stage: 'lead',
      daysInStage: 0,
    });
    const bad = await call('POST', '/people', {
      emails: ['nope'],
      phones: ['12'],
      timezone: 'Mars/Base',
      stage: 'emperor',
    });
    expect(bad.status).toBe(400);
    const problems = (bad.body.error as { details: { problems: Array<{ field: string }> } }).details.problems.map(
      (p) => p.field,
    );
    expect(problems).toEqual(expect.arrayContaining(['emails[0]', 'phones[0]', 'timezone', 'stage']));
    expect((await call('POST', '/people', {})).status).toBe(400);

    // Filters read their value as the record stores it: the same person however the value is written.
    const count = async (filter: string) =>
      (await call('GET', `/people/count?filter=${encodeURIComponent(filter)}`)).body.count;
    for (const filter of [
      'email:eq:Zoe.Almeida@EXAMPLE.com',
      'email:in:nobody@example.com|ZOE@home.example',
      'phone:eq:+351 912 345 678',
      'tag:eq:Newsletter Reader',
      'tag:in:VIP',
    ])
      expect(await count(filter), filter).toBe(1);
    expect(await count('email:ne:ZOE@HOME.EXAMPLE')).toBe(0);
  });

  it('takes email and phone (the primary, as the record reads) on create and update instead of dropping them', async () => {
    const { call } = await setup();
    const made = await call('POST', '/people', {
      firstName: 'Api',
      email: 'Api.User@Example.com',
      phone: '+351 912 000 111',
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      email: 'api.user@example.com',
      emails: ['api.user@example.com'],
      phone: '+351912000111',
    });
    const id = String(made.body.id);
    await call('PATCH', `/people/${id}`, { emails: ['api.user@example.com', 'work@example.com'] });
    // Making another address the primary keeps the first one, second.
    const primary = await call('PATCH', `/people/${id}`, { email: 'WORK@example.com' });
    expect(primary.status).toBe(200);
    expect(primary.body.emails).toEqual(['work@example.com', 'api.user@example.com']);
    // A new one goes first; null removes the primary.
    expect((await call('PATCH', `/people/${id}`, { email: 'new@example.com' })).body.emails).toEqual([
      'new@example.com',
      'work@example.com',
      'api.user@example.com',
    ]);
    expect((await call('PATCH', `/people/${id}`, { email: null })).body.emails).toEqual([
      'work@example.com',
      'api.user@example.com',
    ]);
    expect((await call('PATCH', `/people/${id}`, { phone: '+351912000222' })).body.phones).toEqual([
      '+351912000222',
      '+351912000111',
    ]);
    // A bad one is a 400 naming the field sent.
    const bad = await call('PATCH', `/people/${id}`, { email: 'not an email' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { details: { problems: [{ field: 'email' }] } } });
  });

  it('merges a PATCHed address into the stored one (null or blank clears a key), on people and companies', async () => {
    const { call } = await setup();
    const full = { line1: '12 rue de la Paix', postalCode: '75002', city: 'Paris', country: 'FR' };
    for (const kind of ['people', 'companies']) {
      const made = await call('POST', `/${kind}`, {
        ...(kind === 'people' ? { firstName: 'Ana' } : { name: 'Acme' }),
        address: full,
      });
      const id = String(made.body.id);
      // The city alone: the street, postcode and country stay.
      const moved = await call('PATCH', `/${kind}/${id}`, { address: { city: 'Lyon' } });
      expect(moved.status, JSON.stringify(moved.body)).toBe(200);
      expect(moved.body.address, kind).toEqual({ ...full, city: 'Lyon' });
      // null and "" clear their key; a country code is upper-cased.
      const cleared = await call('PATCH', `/${kind}/${id}`, {
        address: { line1: null, postalCode: '', country: 'be' },
      });
      expect(cleared.body.address, kind).toEqual({ city: 'Lyon', country: 'BE' });
      // The timeline names only the keys that changed.
      const path = kind === 'people' ? 'person' : 'company';
      const timeline = await call('GET', `/${kind}/${id}/timeline?type=${path}.updated`);
      const changes = timeline.body.data?.map((e) => (e.payload as { changes: object }).changes);
      expect(changes, kind).toEqual([
        { address: { from: { ...full, city: 'Lyon' }, to: { city: 'Lyon', country: 'BE' } } },
        { address: { from: full, to: { ...full, city: 'Lyon' } } },
      ]);
      // The address as it is, sent again (keys in another order): no change, no event.
      await call('PATCH', `/${kind}/${id}`, { address: { country: 'BE', city: 'Lyon' } });
      expect((await call('GET', `/${kind}/${id}/timeline?type=${path}.updated`)).body.data, kind).toHaveLength(2);
    }
  });

  it('refuses a filter operator a field does not take (it matched everyone, so a bulk delete took the workspace)', async () => {
    const { call } = await setup();
    expect(
      (
        await call('POST', '/custom-fields', {
          entity: 'person',
          label: 'Interests',
          type: 'multiselect',
          options: ['a', 'b'],
        })
      ).status,
    ).toBe(201);
    await call('POST', '/people', { firstName: 'Ann', tags: ['vip'], custom: { interests: ['a'] } });
    await call('POST', '/people', { firstName: 'Bob', emails: ['bob@example.com'] });
    for (const filter of ['tag:gt:a', 'email:lt:m', 'custom.interests:lte:b', 'company_id:gt:x']) {
      const list = await call('GET', `/people?filter=${encodeURIComponent(filter)}`);
      expect(list.status, filter).toBe(400);
      expect(JSON.stringify(list.body), filter).toContain('does not work on');
      expect((await call('GET', `/people/count?filter=${encodeURIComponent(filter)}`)).status, filter).toBe(400);
    }
    const bulk = await call('POST', '/people/bulk', { action: 'delete', selection: { filter: ['tag:gt:a'] } });
    expect(bulk.status).toBe(400);
    expect((await call('GET', '/people/count')).body.count).toBe(2);
    expect((await call('GET', '/people/export?format=json&filter=tag:gt:a')).status).toBe(400);
    // The operators these fields take still work.
    expect((await call('GET', '/people/count?filter=tag:eq:vip')).body.count).toBe(1);
    expect((await call('GET', '/people/count?filter=custom.interests:ne:a')).body.count).toBe(1);
  });

  it('names the company on the timeline when a person is unlinked from it', async () => {
    const { call } = await setup();
    const company = await call('POST', '/companies', { name: 'Acme Anvils' });
    const person = await call('POST', '/people', {
      firstName: 'Wile',
      companies: [{ companyId: company.body.id }],
    });
    const gone = await call('DELETE', `/people/${String(person.body.id)}/companies/${String(company.body.id)}`);
    expect(gone.status).toBeLessThan(300);
    const timeline = await call('GET', `/people/${String(person.body.id)}/timeline?type=person.company_unlinked`);
    expect(timeline.body.data?.[0]?.payload).toEqual({ companyId: company.body.id, company: 'Acme Anvils' });
  });

  it("gives people's names by id, only of the caller's workspace, and refuses bad ids", async () => {
    const { call } = await setup();
    const other = await setup();
    const ann = (await call('POST', '/people', { firstName: 'Ann', lastName: 'Lee' })).body as { id: string };
    const bo = (await call('POST', '/people', { emails: ['bo@example.com'] })).body as { id: string; name: string };
    const stranger = (await other.call('POST', '/people', { firstName: 'Cy' })).body as { id: string };
    const res = await call('GET', `/people/names?ids=${ann.id},${bo.id},${stranger.id},${ann.id}`);
    expect(res.status).toBe(200);
    const names = (res.body as { data: Array<{ id: string; name: string }> }).data;
    expect(new Map(names.map((p) => [p.id, p.name]))).toEqual(
      new Map([
        [ann.id, 'Ann Lee'],
        [bo.id, bo.name],
      ]),
    );
    for (const bad of ['', 'nope', Array.from({ length: 201 }, () => ann.id).join(',')]) {
      const r = await call('GET', `/people/names?ids=${bad}`);
      expect(r.status, bad.slice(0, 20)).toBe(400);
      expect((r.body as { error: { code: string } }).error.code).toBe('validation_failed');
    }
  });

  it('validates, filters and sorts custom fields like built-in ones', async () => {
    const { call } = await setup();
    expect(
      (
        await call('POST', '/custom-fields', {
          entity: 'person',
          label: 'Plan tier',
          type: 'select',
          options: ['free', 'pro', 'enterprise'],
        })
      ).status,
    ).toBe(201);
    expect((await call('POST', '/custom-fields', { entity: 'person', label: 'Seats', type: 'number' })).status).toBe(
      201,
    );
    expect((await call('POST', '/custom-fields', { entity: 'person', label: 'Renewal', type: 'date' })).status).toBe(
      201,
    );
    const bad = await call('POST', '/people', {
      firstName: 'A',
      custom: { plan_tier: 'gold', seats: 'many', renewal: '2026-02-30', nope: 1 },
    });
    expect(bad.status).toBe(400);
    expect(
      (bad.body.error as { details: { problems: Array<{ field: string }> } }).details.problems
        .map((p) => p.field)
        .sort(),
    ).toEqual(['custom.nope', 'custom.plan_tier', 'custom.renewal', 'custom.seats']);
    for (const [name, tier, seats] of [
      ['Ann', 'pro', 5],
      ['Bob', 'free', 1],
      ['Cy', 'pro', 40],
      ['Di', 'enterprise', 12],
    ] as const)
      expect((await call('POST', '/people', { firstName: name, custom: { plan_tier: tier, seats } })).status).toBe(201);
    const pro = await call('GET', '/people?filter=custom.plan_tier:eq:pro&sort=-custom.seats');
    expect(pro.body.data?.map((p) => p.name)).toEqual(['Cy', 'Ann']);
    const big = await call('GET', '/people?filter=custom.seats:gte:10&sort=custom.seats');
    expect(big.body.data?.map((p) => p.name)).toEqual(['Di', 'Cy']);
    expect((await call('GET', '/people?filter=custom.plan_tier:eq:gold')).status).toBe(400);
    // A date field compares dates: a value not written YYYY-MM-DD is refused, not compared as text ("2026-2-1"
    // sorted after "2026-10-01" and a segment silently held the wrong people).
    await call('POST', '/people', { firstName: 'Eve', custom: { renewal: '2026-10-01' } });
    await call('POST', '/people', { firstName: 'Fay', custom: { renewal: '2026-01-15' } });
    const due = await call('GET', '/people?filter=custom.renewal:lt:2026-02-01');
    expect(due.body.data?.map((p) => p.name)).toEqual(['Fay']);
    for (const value of ['2026-2-1', 'soon', '2026-02-30', '2026-02-01|x']) {
      const op = value.includes('|') ? 'in' : 'lt';
      const r = await call('GET', `/people?filter=${encodeURIComponent(`custom.renewal:${op}:${value}`)}`);
      expect(r.status, value).toBe(400);
      expect(JSON.stringify(r.body), value).toContain('is not a date like 2026-03-31');
    }
    // A link filters as it is stored (the URL parser's spelling), whichever way it is written.
    expect((await call('POST', '/custom-fields', { entity: 'person', label: 'Website', type: 'url' })).status).toBe(
      201,
    );
    await call('POST', '/people', { firstName: 'Gus', custom: { website: 'https://Gus.example' } });
    for (const filter of ['custom.website:eq:https://gus.example', 'custom.website:in:https://GUS.example/|x'])
      expect(
        (await call('GET', `/people?filter=${encodeURIComponent(filter)}`)).body.data?.map((p) => p.name),
        filter,
      ).toEqual(['Gus']);
    expect(
      (await call('GET', `/people/count?filter=${encodeURIComponent('custom.website:ne:https://gus.example')}`)).body
        .count,
    ).toBe(6);
    // A filter on a field archived since (a saved view's) says so in the message, which is all the console shows.
    const fields = (await call('GET', '/custom-fields?entity=person')).body.data ?? [];
    const website = fields.find((f) => f.key === 'website');
    expect((await call('PATCH', `/custom-fields/${String(website?.id)}`, { archived: true })).status).toBe(200);
    const archived = await call('GET', `/people?filter=${encodeURIComponent('custom.website:eq:https://gus.example')}`);
    expect(archived.status).toBe(400);
    expect((archived.body.error as { message: string }).message).toBe(
      'The list parameters are not valid: filter=custom.website:eq:https://gus.example: no custom field "website" (archived, or never defined)',
    );
    // Partial update keeps other custom values.
    const ann = (await call('GET', '/people?filter=name:eq:Ann')).body.data?.[0];
    const upd = await call('PATCH', `/people/${String(ann?.id)}`, { custom: { seats: 6 } });
    expect(upd.body.custom).toEqual({ plan_tier: 'pro', seats: 6 });
  });

  it('keeps stage history with reason and shows it on the timeline', async () => {
    const { call } = await setup();
    const p = await call('POST', '/people', { firstName: 'Sam', emails: ['sam@x.example'] });
    const id = String(p.body.id);
    expect((await call('POST', `/people/${id}/stage`, { stage: 'customer', reason: 'first order' })).body.stage).toBe(
      'customer',
    );
    expect((await call('POST', `/people/${id}/stage`, { stage: 'nope' })).status).toBe(400);
    const hist = await call('GET', `/people/${id}/stage-history`);
    expect(hist.body.data?.[0]?.payload).toMatchObject({ from: 'lead', to: 'customer', reason: 'first order' });
    await call('PATCH', `/people/${id}`, { lastName: 'Jones' });
    await call('POST', `/people/${id}/notes`, { body: 'Called about the invoice' });
    const tl = await call('GET', `/people/${id}/timeline`);
    expect(tl.body.data?.map((e) => e.type)).toEqual([
      'person.note_added',
      'person.updated',
      'person.stage_changed',
      'person.created',
    ]);
    expect(tl.body.data?.[1]?.payload).toEqual({ changes: { lastName: { from: null, to: 'Jones' } } });
    const onlyStage = await call('GET', `/people/${id}/timeline?type=person.stage_changed`);
    expect(onlyStage.body.data).toHaveLength(1);
  });

  it('records consent in a ledger, keeps the current state, and filters on it', async () => {
    const { call } = await setup();
    const a = String((await call('POST', '/people', { firstName: 'Ana', emails: ['ana@x.example'] })).body.id);
    const b = String((await call('POST', '/people', { firstName: 'Ben', emails: ['ben@x.example'] })).body.id);
    expect(
      (
        await call('POST', `/people/${a}/consent`, {
          channel: 'email',
          purpose: 'marketing',
          status: 'granted',
          source: 'form',
          proof: { form: 'newsletter' },
        })
      ).status,
    ).toBe(201);
    await call('POST', `/people/${b}/consent`, {
      channel: 'email',
      purpose: 'marketing',
      status: 'granted',
      source: 'import',
    });
    await call('POST', `/people/${b}/consent`, {
      channel: 'email',
      purpose: 'marketing',
      status: 'withdrawn',
      source: 'unsubscribe_link',
    });
    const cb = await call('GET', `/people/${b}/consent`);
    expect(cb.body.current).toEqual({ 'email:marketing': 'withdrawn' });
    expect((cb.body.ledger as Array<{ status: string }>).map((r) => r.status)).toEqual(['withdrawn', 'granted']);
    // The timeline's type filter takes a prefix ending in * ("_" in it is a letter, not LIKE's any character).
    const types = async (type: string) =>
      (await call('GET', `/people/${b}/timeline?type=${type}`)).body.data?.map((e) => e.type);
    expect(await types('person.consent_*')).toEqual(['person.consent_withdrawn', 'person.consent_granted']);
    expect(await types('person.consent_w*')).toEqual(['person.consent_withdrawn']);
    expect(await types('person_*')).toEqual([]);
    const granted = await call('GET', '/people?filter=consent.email.marketing:eq:granted');
    expect(granted.body.data?.map((p) => p.id)).toEqual([a]);
    expect(
      await ctx.services.people.mayContact(
        (await call('GET', '/workspace')).body.id as string,
        b,
        'email',
        'marketing',
      ),
    ).toBe(false);
  });

  it('links people and companies, lists both sides, filters by company and tag', async () => {
    const { call } = await setup();
    const acme = await call('POST', '/companies', { name: 'Acme Corp', domain: 'https://www.Acme.com/about' });
    expect(acme.body.domain).toBe('acme.com');
    const cid = String(acme.body.id);
    const p = await call('POST', '/people', {
      firstName: 'Lea',
      tags: ['vip'],
      companies: [{ companyId: cid, title: 'CTO', isPrimary: true }],
    });
    expect(p.body.companies).toEqual([
      { companyId: cid, name: 'Acme Corp', domain: 'acme.com', title: 'CTO', isPrimary: true },
    ]);
    await call('POST', '/people', { firstName: 'Max' });
    expect((await call('GET', `/people?filter=company_id:eq:${cid}`)).body.data?.map((x) => x.name)).toEqual(['Lea']);
    expect((await call('GET', '/people?filter=tag:eq:vip')).body.data?.map((x) => x.name)).toEqual(['Lea']);
    const company = await call('GET', `/companies/${cid}`);
    expect((company.body.people as Array<{ name: string; title: string }>)[0]).toMatchObject({
      name: 'Lea',
      title: 'CTO',
    });
    expect((await call('POST', '/companies', { domain: 'x.com' })).status).toBe(400);
    // Lea is found by her company's name while she works there, and not once the company is deleted.
    const byCompany = async () => (await call('GET', '/people?q=acme')).body.data?.map((x) => x.name);
    expect(await byCompany()).toEqual(['Lea']);
    expect((await call('DELETE', `/companies/${cid}`)).status).toBe(204);
    expect(await byCompany()).toEqual([]);
    expect((await call('GET', '/search?q=acme')).body.data).toEqual([]);
  });

  it('finds people and companies by typo-tolerant search', async () => {
    const { call } = await setup();
    await call('POST', '/companies', { name: 'Globex Industries' });
    await call('POST', '/people', {
      firstName: 'Margaret',
      lastName: 'Hamilton',
      emails: ['mh@nasa.example'],
      phones: ['+1 415 555 0100'],
    });
    await call('POST', '/people', { firstName: 'Alan', lastName: 'Turing' });
    const typo = await call('GET', '/search?q=margret%20hamiltn');
    expect(typo.body.data?.[0]).toMatchObject({ type: 'person', title: 'Margaret Hamilton' });
    expect((await call('GET', '/search?q=globx')).body.data?.[0]).toMatchObject({
      type: 'company',
      title: 'Globex Industries',
    });
    expect((await call('GET', '/search?q=mh@nasa')).body.data?.[0]).toMatchObject({ title: 'Margaret Hamilton' });
    expect((await call('GET', '/search?q=4155550100')).body.data?.[0]).toMatchObject({ title: 'Margaret Hamilton' });
    expect((await call('GET', '/people?q=turng')).body.data?.map((p) => p.name)).toEqual(['Alan Turing']);
  });

  it('search ranks literal matches above typo matches, in any word order; the list needs every word', async () => {
    const { call } = await setup();
    await call('POST', '/people', { firstName: 'Catherine', lastName: 'Johnson' });
    await call('POST', '/people', { firstName: 'Katherine', lastName: 'Johnson' });
    const names = async (q: string) =>
      (await call('GET', `/search?q=${encodeURIComponent(q)}`)).body.data?.map((h) => h.title);
    expect(await names('katherine johnson')).toEqual(['Katherine Johnson', 'Catherine Johnson']);
    expect(await names('Johnson  Katherine')).toEqual(['Katherine Johnson', 'Catherine Johnson']);
    expect((await call('GET', '/people?q=katherine%20turing')).body.data).toEqual([]);
    expect(await names('kath')).toEqual(['Katherine Johnson']);
    expect((await call('GET', '/people?q=johnson%20katherine')).body.data?.map((p) => p.name).sort()).toEqual([
      'Catherine Johnson',
      'Katherine Johnson',
    ]);
  });

  it('search looks words up exactly, by prefix and one typo away, also after an update; phone suffixes match', async () => {
    const { call } = await setup();
    const paul = await call('POST', '/people', {
      firstName: 'Paul',
      lastName: 'Reddy',
      emails: ['pr@example.org'],
      phones: ['+44 20 7946 0958'],
    });
    await call('POST', '/people', { firstName: 'Paula', lastName: 'Reed' });
    const names = async (q: string) =>
      (await call('GET', `/search?q=${encodeURIComponent(q)}`)).body.data?.map((h) => h.title);
    // Two letters swapped in a four-letter word: one edit away, which trigrams miss.
    expect((await names('pual reddy'))?.[0]).toBe('Paul Reddy');
    // A prefix first, then (fewer than 10 found) words one edit away: "reed".
    expect(await names('redd')).toEqual(['Paul Reddy', 'Paula Reed']);
    expect(await names('7946 0958')).toEqual(['Paul Reddy']);
    expect(await names('pr@example')).toEqual(['Paul Reddy']);
    expect(await names('zzyzx')).toEqual([]);
    // Two mistakes (no spelling one edit away is anyone's word): the trigram-similar words.
    expect(await names('reddyyy')).toEqual(['Paul Reddy']);
    // A renamed person is found by the new name (the dictionary learns it in the same transaction), not the old one.
    await call('PATCH', `/people/${String(paul.body.id)}`, { lastName: 'Quarshie' });
    expect(await names('quarshei')).toEqual(['Paul Quarshie']);
    expect((await call('GET', '/people?q=reddy')).body.data).toEqual([]);
    expect((await call('GET', '/people?q=quarsh')).body.data?.map((p) => p.name)).toEqual(['Paul Quarshie']);
  });

  it('a list filtered by a search pages newest first alike whichever way it reads (the newest rows, or the index)', async () => {
    const { call } = await setup();
    await call('POST', '/people', { firstName: 'Zebediah', lastName: 'Oldest', tags: ['walkers'] });
    for (let i = 1; i <= 9; i++)
      await call('POST', '/people', {
        firstName: ['Anna', 'Bruno', 'Carla', 'Dmitri', 'Elif', 'Fumiko', 'Goran', 'Hana', 'Ines'][i - 1],
        lastName: 'Tester',
        // "walk" begins ten words: a list checks rows for that many through a hash of them (whereChecked).
        tags: [`walk${'abcdefghi'[i - 1]}`, ...(i % 3 ? [] : ['walkers'])],
      });
    await call('POST', '/people', { firstName: 'Quentin', lastName: 'Newest', tags: ['quartz'] });
    const pages = async (q: string) => {
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const res = await call('GET', `/people?q=${q}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        seen.push(...(res.body.data?.map((p) => p.name) ?? []));
        cursor = (res.body.page as { nextCursor: string | null }).nextCursor;
      } while (cursor);
      return seen;
    };
    const expected = {
      walkers: ['Ines Tester', 'Fumiko Tester', 'Carla Tester', 'Zebediah Oldest'],
      zebediah: ['Zebediah Oldest'],
      walk: ['Ines', 'Hana', 'Goran', 'Fumiko', 'Elif', 'Dmitri', 'Carla', 'Bruno', 'Anna', 'Zebediah'].map(
        (n) => `${n} ${n === 'Zebediah' ? 'Oldest' : 'Tester'}`,
      ),
      tester: ['Ines', 'Hana', 'Goran', 'Fumiko', 'Elif', 'Dmitri', 'Carla', 'Bruno', 'Anna'].map((n) => `${n} Tester`),
    };
    // A record's word that begins with the query word counts even when a shorter word does too ("walke").
    const found = await call('GET', '/search?q=walk');
    expect(found.body.data?.map((h) => h.title)).toContain('Zebediah Oldest');
    // As the lists run: everything within the first look.
    for (const [q, names] of Object.entries(expected)) expect(await pages(q)).toEqual(names);
    // A first look of 2 rows: "tester" finds its pages there, "walkers" walks on, "zebediah" goes to the word index;
    // then a walk of at most 3 rows: "walkers" falls short and goes to the word index too.
    const kept = { ...searchWalkBudget };
    searchWalkBudget.firstRows = 2;
    searchWalkBudget.minFound = 1;
    try {
      for (const [q, names] of Object.entries(expected)) expect(await pages(q)).toEqual(names);
      searchWalkBudget.maxRows = 3;
      for (const [q, names] of Object.entries(expected)) expect(await pages(q)).toEqual(names);
    } finally {
      Object.assign(searchWalkBudget, kept);
    }
  });

  it('search finds a tag or an e-mail address whole, and its start by prefix', async () => {
    const { call } = await setup();
    await call('POST', '/people', { firstName: 'Ada', lastName: 'Byron', tags: ['b2b', 'churn-risk'] });
    await call('POST', '/people', { firstName: 'Bob', lastName: 'Two', emails: ['b.2b@example.org'] });
    await call('POST', '/people', { firstName: 'Cy', lastName: 'Young', emails: ['cy.young@example.org'] });
    const names = async (q: string) =>
      (await call('GET', `/search?q=${encodeURIComponent(q)}`)).body.data?.map((h) => h.title);
    // The tag as it is ranks first; the e-mail with the same letters and digits in other pieces follows.
    expect(await names('b2b')).toEqual(['Ada Byron', 'Bob Two']);
    expect(await names('churn-ris')).toEqual(['Ada Byron']);
    expect(await names('cy.young@example.org')).toEqual(['Cy Young']);
    expect(await names('cy.you')).toEqual(['Cy Young']);
    expect(await names('yuong')).toEqual(['Cy Young']);
  });

  it('stores time zones and language tags in their canonical spelling, on people and companies', async () => {
    const { call } = await setup();
    const p = await call('POST', '/people', { firstName: 'Inês', timezone: 'europe/lisbon', language: 'PT-br' });
    expect(p.status).toBe(201);
    expect(p.body).toMatchObject({ timezone: 'Europe/Lisbon', language: 'pt-BR' });
    const changed = await call('PATCH', `/people/${String(p.body.id)}`, {
      timezone: ' AMERICA/SAO_PAULO ',
      language: 'zh-hant-tw',
    });
    expect(changed.body).toMatchObject({ timezone: 'America/Sao_Paulo', language: 'zh-Hant-TW' });
    expect(
      (await call('PATCH', `/people/${String(p.body.id)}`, { timezone: 'utc', language: 'EN' })).body,
    ).toMatchObject({ timezone: 'UTC', language: 'en' });
    // Filters on the stored spelling find them.
    const count = async (filter: string) =>
      (await call('GET', `/people/count?filter=${encodeURIComponent(filter)}`)).body.count;
    expect(await count('timezone:eq:UTC')).toBe(1);
    expect(await count('language:eq:en')).toBe(1);
    // Unknown zones and tags are refused, each named.
    const bad = await call('POST', '/people', { firstName: 'X', timezone: 'Europe/Atlantis', language: 'en_US' });
    expect(bad.status).toBe(400);
    expect(
      (bad.body.error as { details: { problems: Array<{ field: string }> } }).details.problems.map((x) => x.field),
    ).toEqual(expect.arrayContaining(['timezone', 'language']));
    // Cleared with null or ''.
    expect((await call('PATCH', `/people/${String(p.body.id)}`, { timezone: '', language: null })).body).toMatchObject({
      timezone: null,
      language: null,
    });

    const c = await call('POST', '/companies', { name: 'Lisboa Lda', timezone: 'EUROPE/LISBON', language: 'pt-pt' });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ timezone: 'Europe/Lisbon', language: 'pt-PT' });
    const c2 = await call('PATCH', `/companies/${String(c.body.id)}`, { timezone: 'asia/tokyo', language: 'JA-jp' });
    expect(c2.body).toMatchObject({ timezone: 'Asia/Tokyo', language: 'ja-JP' });
    expect((await call('PATCH', `/companies/${String(c.body.id)}`, { timezone: 'Nowhere/City' })).status).toBe(400);
  });

  it('uses the workspace’s own stage names, and will not drop a stage people are in', async () => {
    const { call } = await setup();
    const stages = [
      { key: 'trial', label: 'Trial' },
      { key: 'paying', label: 'Paying' },
      { key: 'lapsed', label: 'Lapsed' },
    ];
    const p = await call('POST', '/people', { firstName: 'Kit' });
    // Kit is in the default "lead" stage: a list without it is refused, with the count.
    const refused = await call('PATCH', '/workspace', { lifecycleStages: stages });
    expect(refused.status).toBe(409);
    expect((refused.body.error as { details: { inUse: Record<string, number> } }).details.inUse).toEqual({ lead: 1 });
    const withLead = [{ key: 'lead', label: 'New lead' }, ...stages];
    const ok = await call('PATCH', '/workspace', { lifecycleStages: withLead, defaultCountry: 'pt' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ lifecycleStages: withLead, defaultCountry: 'PT' });
    expect(
      (await call('POST', `/people/${String(p.body.id)}/stage`, { stage: 'paying', reason: 'converted' })).body.stage,
    ).toBe('paying');
    expect((await call('POST', `/people/${String(p.body.id)}/stage`, { stage: 'customer' })).status).toBe(400);
    // National numbers now read as Portuguese.
    expect((await call('POST', '/people', { firstName: 'Rui', phones: ['912 345 678'] })).body.phones).toEqual([
      '+351912345678',
    ]);
    expect(
      (
        await call('PATCH', '/workspace', {
          lifecycleStages: [
            { key: 'a', label: 'A' },
            { key: 'a', label: 'B' },
          ],
        })
      ).status,
    ).toBe(400);
  });
});
