import { describe, expect, it } from 'vitest';
import { bearer, jsonCaller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';

type Json = Record<string, unknown> & { data?: Array<Record<string, unknown>> };
type Event = { id: string; type: string; subjectId: string; payload: Record<string, unknown> };

describe.each(testEngines())('duplicates and merge on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, ws));
    const call = jsonCaller<Json>(ctx.app, h, '/api/v1');
    const make = async (url: string, payload: object): Promise<string> => {
      const r = await call('POST', url, payload);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return String(r.body.id);
    };
    return { ws, call, make };
  }

  async function allEvents(call: Awaited<ReturnType<typeof setup>>['call'], id: string, kind = 'people') {
    const out: Event[] = [];
    let before: number | null = null;
    for (;;) {
      const r = await call('GET', `/${kind}/${id}/timeline?limit=200${before ? `&before=${before}` : ''}`);
      expect(r.status).toBe(200);
      out.push(...((r.body.data ?? []) as unknown as Event[]));
      before = (r.body.page as { nextBefore: number | null }).nextBefore;
      if (!before) return out;
    }
  }

  it('lists likely duplicate people with reasons and scores, and forgets dismissed pairs', async () => {
    const { call, make } = await setup();
    const acme = await make('/companies', { name: 'Acme', domain: 'acme.example' });
    const a = await make('/people', { firstName: 'Ana', lastName: 'Silva', emails: ['ana@acme.example'] });
    const b = await make('/people', { firstName: 'Anna', lastName: 'Silva', emails: ['ANA@acme.example'] });
    const c = await make('/people', { firstName: 'Carl', phones: ['+351912345678'] });
    const d = await make('/people', { firstName: 'Karl', phones: ['+351 912 345 678'] });
    const e = await make('/people', {
      firstName: 'Jonathan',
      lastName: 'Meyer',
      companies: [{ companyId: acme }],
    });
    const f = await make('/people', { firstName: 'Jon', lastName: 'Meyer', companies: [{ companyId: acme }] });
    // Not duplicates: a similar name at another company, or no shared anything.
    await make('/people', { firstName: 'Jon', lastName: 'Meyer' });
    await make('/people', { firstName: 'Zed', emails: ['zed@x.example'] });

    const list = await call('GET', '/people/duplicates');
    expect(list.status).toBe(200);
    const pairs = (list.body.data ?? []) as Array<{
      a: { id: string };
      b: { id: string };
      score: number;
      reasons: Array<{ kind: string; value?: string }>;
    }>;
    const key = (x: string, y: string) => [x, y].sort().join('|');
    const found = new Map(pairs.map((p) => [key(p.a.id, p.b.id), p]));
    expect([...found.keys()].sort()).toEqual([key(a, b), key(c, d), key(e, f)].sort());
    expect(found.get(key(a, b))?.reasons[0]).toEqual({ kind: 'email', value: 'ana@acme.example' });
    expect(found.get(key(c, d))?.reasons).toEqual([{ kind: 'phone', value: '+351912345678' }]);
    expect(found.get(key(e, f))?.reasons[0]?.kind).toBe('name');
    expect(found.get(key(a, b))?.score).toBeGreaterThan(found.get(key(e, f))?.score ?? 1);
    for (const p of pairs) expect(p.a.id < p.b.id).toBe(true);

    // Paging one pair at a time visits the same pairs.
    const paged: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const r = await call('GET', `/people/duplicates?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      for (const p of (r.body.data ?? []) as typeof pairs) paged.push(key(p.a.id, p.b.id));
      cursor = (r.body.page as { nextCursor: string | null }).nextCursor;
      if (!cursor) break;
    }
    expect(paged.sort()).toEqual([...found.keys()].sort());
    expect((await call('GET', '/people/duplicates?cursor=bm9wZQ')).status).toBe(400);

    // Of one person only.
    const ofA = await call('GET', `/people/duplicates?personId=${a}`);
    expect(ofA.body.data).toHaveLength(1);

    expect((await call('POST', '/people/duplicates/dismissals', { ids: [d, c] })).status).toBe(204);
    expect((await call('POST', '/people/duplicates/dismissals', { ids: [c, c] })).status).toBe(400);
    const after = await call('GET', '/people/duplicates');
    expect(after.body.data?.map((p) => key((p.a as { id: string }).id, (p.b as { id: string }).id)).sort()).toEqual(
      [key(a, b), key(e, f)].sort(),
    );
  });

  it('lists likely duplicate companies by domain and name', async () => {
    const { call, make } = await setup();
    const x = await make('/companies', { name: 'Globex', domain: 'globex.example' });
    const y = await make('/companies', { name: 'Globex Holding', domain: 'globex.example' });
    const z = await make('/companies', { name: 'Initech Software GmbH' });
    const w = await make('/companies', { name: 'Initech Software' });
    await make('/companies', { name: 'Umbrella' });
    const list = await call('GET', '/companies/duplicates');
    const got = (list.body.data ?? []).map((p) => {
      const ids = [(p.a as { id: string }).id, (p.b as { id: string }).id].sort().join('|');
      return [ids, (p.reasons as Array<{ kind: string }>).map((r) => r.kind)];
    });
    expect(Object.fromEntries(got)).toEqual({
      [[x, y].sort().join('|')]: ['domain'],
      [[z, w].sort().join('|')]: ['name'],
    });
  });

  it('merges two people keeping every event and relation of both', async () => {
    const { ws, call, make } = await setup();
    for (const f of [
      { entity: 'person', label: 'Plan tier', type: 'select', options: ['free', 'pro', 'enterprise'] },
      { entity: 'person', label: 'Seats', type: 'number' },
      { entity: 'person', label: 'Renewal', type: 'date' },
    ])
      expect((await call('POST', '/custom-fields', f)).status).toBe(201);
    const acme = await make('/companies', { name: 'Acme', domain: 'acme.example' });
    const globex = await make('/companies', { name: 'Globex' });
    const initech = await make('/companies', { name: 'Initech' });

    const keep = await make('/people', {
      firstName: 'Ana',
      emails: ['ana@acme.example'],
      phones: ['+351912345678'],
      tags: ['vip'],
      source: 'web',
      custom: { plan_tier: 'pro', seats: 5 },
      companies: [
        { companyId: acme, title: null, isPrimary: true },
        { companyId: globex, title: 'Advisor' },
      ],
    });
    const gone = await make('/people', {
      firstName: 'Anna',
      lastName: 'Silva',
      emails: ['anna.silva@home.example', 'ana@acme.example'],
      phones: ['+14155550123'],
      tags: ['newsletter'],
      address: { city: 'Porto', country: 'PT' },
      externalId: 'crm-42',
      custom: { plan_tier: 'enterprise', renewal: '2026-09-01' },
      companies: [
        { companyId: acme, title: 'CTO', isPrimary: true },
        { companyId: initech, title: 'Board member' },
      ],
    });
    // History on both.
    expect((await call('POST', `/people/${keep}/stage`, { stage: 'prospect', reason: 'demo booked' })).status).toBe(
      200,
    );
    expect((await call('POST', `/people/${gone}/stage`, { stage: 'customer', reason: 'first order' })).status).toBe(
      200,
    );
    const consent = (id: string, channel: string, purpose: string, status: string, source: string) =>
      call('POST', `/people/${id}/consent`, { channel, purpose, status, source });
    await consent(keep, 'email', 'marketing', 'granted', 'form');
    await consent(gone, 'email', 'marketing', 'withdrawn', 'unsubscribe_link'); // later: wins
    await consent(gone, 'sms', 'service', 'granted', 'import');
    await consent(keep, 'sms', 'service', 'withdrawn', 'console'); // later: wins
    const noteKeep = await make(`/people/${keep}/notes`, { body: 'Met at the fair' });
    const noteGone = await make(`/people/${gone}/notes`, { body: 'Asked for a discount' });
    expect((await call('PATCH', `/people/${gone}`, { tags: ['newsletter', 'beta'] })).status).toBe(200);

    const eventsBefore = [...(await allEvents(call, keep)), ...(await allEvents(call, gone))];
    const ledgerBefore = [
      ...((await call('GET', `/people/${keep}/consent`)).body.ledger as Array<{ id: string }>),
      ...((await call('GET', `/people/${gone}/consent`)).body.ledger as Array<{ id: string }>),
    ];
    expect(eventsBefore).toHaveLength(11);
    expect(ledgerBefore).toHaveLength(4);

    // Refusals first: itself, an unknown field, another workspace's person.
    expect((await call('POST', `/people/${keep}/merge`, { otherId: keep })).status).toBe(400);
    expect((await call('POST', `/people/${keep}/merge`, { otherId: gone, fields: { nope: 'other' } })).status).toBe(
      400,
    );
    const otherWs = await makeWorkspace(ctx.services);
    const stranger = await ctx.services.people.create(otherWs.ownerActor, { firstName: 'Eve' });
    expect((await call('POST', `/people/${keep}/merge`, { otherId: stranger.person.id })).status).toBe(404);
    expect((await call('POST', `/people/${stranger.person.id}/merge`, { otherId: keep })).status).toBe(404);
    expect((await ctx.services.people.get(otherWs.ownerActor, stranger.person.id)).person.firstName).toBe('Eve');

    const merged = await call('POST', `/people/${keep}/merge`, {
      otherId: gone,
      fields: { firstName: 'other', stage: 'other', phones: 'this', plan_tier: 'other' },
    });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(merged.body).toMatchObject({
      id: keep,
      firstName: 'Anna',
      lastName: 'Silva', // blank here: filled from the other
      name: 'Anna Silva',
      emails: ['ana@acme.example', 'anna.silva@home.example'],
      phones: ['+351912345678'],
      tags: ['vip', 'newsletter', 'beta'],
      source: 'web',
      externalId: 'crm-42',
      stage: 'customer',
      address: { city: 'Porto', country: 'PT' },
      custom: { plan_tier: 'enterprise', seats: 5, renewal: '2026-09-01' },
      consent: { 'email:marketing': 'withdrawn', 'sms:service': 'withdrawn' },
    });
    const links = merged.body.companies as Array<{ companyId: string; title: string | null; isPrimary: boolean }>;
    expect(links.map((l) => l.companyId).sort()).toEqual([acme, globex, initech].sort());
    expect(links.find((l) => l.companyId === acme)).toMatchObject({ title: 'CTO', isPrimary: true });
    expect(links.filter((l) => l.isPrimary)).toHaveLength(1);

    // The other is gone, everywhere.
    expect((await call('GET', `/people/${gone}`)).status).toBe(404);
    expect((await call('GET', `/people/${gone}/timeline`)).status).toBe(404);
    expect((await call('POST', `/people/${keep}/merge`, { otherId: gone })).status).toBe(404);

    // Every event of both is on the survivor's timeline, plus the merge.
    const eventsAfter = await allEvents(call, keep);
    expect(eventsAfter).toHaveLength(eventsBefore.length + 1);
    expect(eventsAfter.map((e) => e.id).sort()).toEqual(
      [...eventsBefore.map((e) => e.id), eventsAfter[0]?.id ?? ''].sort(),
    );
    expect(eventsAfter.every((e) => e.subjectId === keep)).toBe(true);
    // The duplicate's events say whose they were: its creation is not a second "added this person".
    const goneIds = new Set(eventsBefore.filter((e) => e.subjectId === gone).map((e) => e.id));
    for (const e of eventsAfter.slice(1))
      expect(e.payload.mergedFrom, e.type).toEqual(goneIds.has(e.id) ? { id: gone, name: 'Anna Silva' } : undefined);
    const created = eventsAfter.filter((e) => e.type === 'person.created');
    expect(created.map((e) => e.payload.mergedFrom ?? null)).toEqual([{ id: gone, name: 'Anna Silva' }, null]);
    const mergeEvent = eventsAfter[0];
    expect(mergeEvent?.type).toBe('person.merged');
    expect(mergeEvent?.payload).toMatchObject({
      mergedId: gone,
      merged: { id: gone, firstName: 'Anna', externalId: 'crm-42' },
      choices: { firstName: 'other', stage: 'other', phones: 'this', plan_tier: 'other', lastName: 'other' },
    });
    const movedIds = (mergeEvent?.payload.movedEvents as { ids: string[] }).ids;
    expect(movedIds.sort()).toEqual(
      eventsBefore
        .filter((e) => e.subjectId === gone)
        .map((e) => e.id)
        .sort(),
    );

    // Notes, the consent ledger, the stage history: all here.
    const notes = await call('GET', `/people/${keep}/notes`);
    expect(notes.body.data?.map((n) => n.id).sort()).toEqual([noteKeep, noteGone].sort());
    const ledger = (await call('GET', `/people/${keep}/consent`)).body.ledger as Array<{ id: string }>;
    expect(ledger.map((r) => r.id).sort()).toEqual(ledgerBefore.map((r) => r.id).sort());
    const history = await call('GET', `/people/${keep}/stage-history`);
    expect(history.body.data?.map((e) => (e.payload as { reason: string }).reason).sort()).toEqual([
      'demo booked',
      'first order',
    ]);
    // The companies list the survivor once, with the other's title where it had none.
    const acmeNow = await call('GET', `/companies/${acme}`);
    expect(acmeNow.body.people).toEqual([expect.objectContaining({ personId: keep, title: 'CTO' })]);
    // Search finds the survivor by the other's email, and the other's id is no duplicate candidate any more.
    const search = await call('GET', '/people?q=anna.silva');
    expect(search.body.data?.map((p) => p.id)).toEqual([keep]);
    expect(await ctx.services.people.mayContact(ws.workspace.id, keep, 'email', 'marketing')).toBe(false);
  });

  it('merges two companies, moving their people (once each), notes and events', async () => {
    const { call, make } = await setup();
    const keep = await make('/companies', { name: 'Initech', tags: ['partner'] });
    const gone = await make('/companies', {
      name: 'Initech Ltd',
      domain: 'initech.example',
      industry: 'Software',
      tags: ['reseller'],
    });
    const p1 = await make('/people', { firstName: 'Peter', companies: [{ companyId: keep }] });
    const p2 = await make('/people', {
      firstName: 'Milton',
      companies: [
        { companyId: keep, title: null },
        { companyId: gone, title: 'Stapler keeper' },
      ],
    });
    const p3 = await make('/people', { firstName: 'Joanna', companies: [{ companyId: gone, title: 'Waitress' }] });
    await call('PATCH', `/companies/${gone}`, { size: '51-200' });
    const before = [...(await allEvents(call, keep, 'companies')), ...(await allEvents(call, gone, 'companies'))];

    expect((await call('POST', `/companies/${keep}/merge`, { otherId: keep })).status).toBe(400);
    const merged = await call('POST', `/companies/${keep}/merge`, { otherId: gone, fields: { name: 'other' } });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(merged.body).toMatchObject({
      id: keep,
      name: 'Initech Ltd',
      domain: 'initech.example',
      industry: 'Software',
      size: '51-200',
      tags: ['partner', 'reseller'],
    });
    const ppl = merged.body.people as Array<{ personId: string; title: string | null }>;
    expect(ppl.map((p) => p.personId).sort()).toEqual([p1, p2, p3].sort());
    expect(ppl.find((p) => p.personId === p2)?.title).toBe('Stapler keeper');
    expect((await call('GET', `/companies/${gone}`)).status).toBe(404);
    const after = await allEvents(call, keep, 'companies');
    expect(after.map((e) => e.id).sort()).toEqual([...before.map((e) => e.id), after[0]?.id ?? ''].sort());
    expect(after[0]?.type).toBe('company.merged');
    const goneEvents = new Set(before.filter((e) => e.subjectId === gone).map((e) => e.id));
    for (const e of after.slice(1))
      expect(e.payload.mergedFrom, e.type).toEqual(
        goneEvents.has(e.id) ? { id: gone, name: 'Initech Ltd' } : undefined,
      );
    // People's search text follows the new company name.
    expect((await call('GET', '/people?q=initech ltd')).body.data?.map((p) => p.id).sort()).toEqual(
      [p1, p2, p3].sort(),
    );
  });
});
