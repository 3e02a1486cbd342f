import { describe, expect, it } from 'vitest';
import { bearer, jsonCaller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace } from '../../../test/factories.ts';
import { sessionCookieName } from '../auth/auth.service.ts';
import { bulkJob } from './bulk.job.ts';
import { JobRunner } from '../../jobs/queue.ts';
import { people } from '../../db/schema/index.ts';

type Json = Record<string, unknown> & { data?: Array<Record<string, unknown>> };

describe.each(testEngines())('saved views and bulk actions on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, ws));
    const as = (headers: Record<string, string>) => jsonCaller<Json>(ctx.app, headers, '/api/v1');
    const cookieOf = async (email: string) => {
      const { token } = await ctx.services.auth.login({ email, password: 'correct-horse-battery' });
      return { cookie: `${sessionCookieName}=${token}` };
    };
    return { ws, call: as(h), as, cookieOf };
  }

  it('saves views checked against the list fields; private ones stay private', async () => {
    const { ws, call, as, cookieOf } = await setup();
    const owner = as(await cookieOf(ws.owner.email));
    const agent = await makeUser(ctx.services, ws, { role: 'agent' });
    const other = as(await cookieOf(agent.user.email));
    await call('POST', '/custom-fields', { entity: 'person', label: 'Seats', type: 'number' });

    const mine = await owner('POST', '/views', {
      entity: 'person',
      name: 'Big customers',
      query: { filter: ['stage:eq:customer', 'custom.seats:gte:10'], sort: '-created_at', columns: ['name', 'stage'] },
    });
    expect(mine.status, JSON.stringify(mine.body)).toBe(201);
    expect(mine.body).toMatchObject({ shared: false, ownerId: ws.owner.id, query: { sort: '-created_at' } });
    const bad = await owner('POST', '/views', {
      entity: 'person',
      name: 'Broken',
      query: { filter: ['stage:eq:emperor', 'nope:eq:1'], sort: 'tag', columns: ['name', 'shoe_size'] },
    });
    expect(bad.status).toBe(400);
    const params = (bad.body.error as { details: { problems: Array<{ param: string }> } }).details.problems.map(
      (p) => p.param,
    );
    expect(params).toEqual(expect.arrayContaining(['query.sort', 'query.columns[1]']));
    expect(params.length).toBeGreaterThanOrEqual(4);
    // The console's columns, as its lists show them (web/src/pages/customers/*ListPage.tsx), custom ones too.
    const consoleColumns = {
      person: [
        'email',
        'phone',
        'company',
        'stage',
        'owner',
        'tags',
        'source',
        'city',
        'country',
        'created',
        'updated',
      ],
      company: ['domain', 'industry', 'size', 'owner', 'tags', 'city', 'country', 'created', 'updated'],
    };
    for (const entity of ['person', 'company'] as const) {
      const columns = [...consoleColumns[entity], ...(entity === 'person' ? ['custom.seats'] : [])];
      const saved = await owner('POST', '/views', { entity, name: `All ${entity} columns`, query: { columns } });
      expect(saved.status, JSON.stringify(saved.body)).toBe(201);
      expect(saved.body).toMatchObject({ query: { columns } });
      expect((await owner('DELETE', `/views/${String(saved.body.id)}`)).status).toBe(204);
    }
    // A company view checks company fields.
    expect(
      (await owner('POST', '/views', { entity: 'company', name: 'x', query: { filter: ['stage:eq:lead'] } })).status,
    ).toBe(400);
    const shared = await other('POST', '/views', {
      entity: 'person',
      name: 'My leads',
      query: { filter: [`owner_id:eq:${agent.user.id}`] },
      shared: true,
    });
    expect(shared.status).toBe(201);
    const secret = await other('POST', '/views', { entity: 'person', name: 'Secret', query: { filter: [] } });

    const ownerSees = await owner('GET', '/views?entity=person');
    expect(ownerSees.body.data?.map((v) => v.name)).toEqual(['Big customers', 'My leads']);
    expect((await owner('GET', `/views/${String(secret.body.id)}`)).status).toBe(404);
    expect((await owner('GET', '/views?entity=company')).body.data).toEqual([]);
    // Others' shared views: visible, changeable by an admin (the owner) but not by another agent.
    const third = as(await cookieOf((await makeUser(ctx.services, ws, { role: 'agent' })).user.email));
    expect((await third('PATCH', `/views/${String(shared.body.id)}`, { name: 'Mine now' })).status).toBe(403);
    expect((await third('DELETE', `/views/${String(shared.body.id)}`)).status).toBe(403);
    const renamed = await owner('PATCH', `/views/${String(mine.body.id)}`, {
      name: 'Large customers',
      shared: true,
      query: { filter: ['custom.seats:gte:20'] },
    });
    expect(renamed.body).toMatchObject({
      name: 'Large customers',
      shared: true,
      query: { filter: ['custom.seats:gte:20'] },
    });
    expect((await owner('PATCH', `/views/${String(mine.body.id)}`, { query: { filter: ['x:eq:1'] } })).status).toBe(
      400,
    );
    expect((await other('DELETE', `/views/${String(secret.body.id)}`)).status).toBe(204);
    expect((await other('GET', `/views/${String(secret.body.id)}`)).status).toBe(404);
    // A viewer may keep private views but not share them.
    const viewer = as(await cookieOf((await makeUser(ctx.services, ws, { role: 'viewer' })).user.email));
    expect((await viewer('POST', '/views', { entity: 'company', name: 'v', query: { filter: [] } })).status).toBe(201);
    expect(
      (await viewer('POST', '/views', { entity: 'company', name: 'v', query: { filter: [] }, shared: true })).status,
    ).toBe(403);
  });

  it('tags, sets owner and stage of, and deletes a filtered selection, with an event per change', async () => {
    const { ws, call } = await setup();
    const agent = await makeUser(ctx.services, ws, { role: 'agent' });
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await call('POST', '/people', {
        firstName: `P${i}`,
        tags: i < 4 ? ['vip'] : [],
        source: i % 2 ? 'web' : 'import',
      });
      ids.push(String(r.body.id));
    }
    const tag = await call('POST', '/people/bulk', {
      selection: { filter: ['source:eq:web'] },
      action: 'tag',
      value: 'Spring Promo',
    });
    expect(tag.status, JSON.stringify(tag.body)).toBe(200);
    expect(tag.body).toEqual({ status: 'done', jobId: null, matched: 6, changed: 6, unchanged: 0 });
    expect((await call('GET', '/people/count?filter=tag:eq:spring-promo')).body.count).toBe(6);
    const again = await call('POST', '/people/bulk', {
      selection: { filter: 'source:eq:web' },
      action: 'tag',
      value: 'spring-promo',
    });
    expect(again.body).toMatchObject({ matched: 6, changed: 0, unchanged: 6 });
    // Search sees the new tag.
    expect((await call('GET', '/people/count?q=spring-promo')).body.count).toBe(6);

    const owner = await call('POST', '/people/bulk', {
      selection: { ids: ids.slice(0, 3) },
      action: 'set_owner',
      value: agent.user.id,
    });
    expect(owner.body).toMatchObject({ matched: 3, changed: 3 });
    expect((await call('GET', `/people/count?filter=owner_id:eq:${agent.user.id}`)).body.count).toBe(3);
    const stage = await call('POST', '/people/bulk', {
      selection: { filter: ['tag:eq:vip'] },
      action: 'set_stage',
      value: 'customer',
      reason: 'signed in bulk',
    });
    expect(stage.body).toMatchObject({ matched: 4, changed: 4 });
    const hist = await call('GET', `/people/${ids[0]}/stage-history`);
    expect(hist.body.data?.[0]?.payload).toMatchObject({ from: 'lead', to: 'customer', reason: 'signed in bulk' });
    const tl = await call('GET', `/people/${ids[1]}/timeline`);
    expect(tl.body.data?.map((e) => e.type)).toEqual([
      'person.stage_changed',
      'person.updated',
      'person.updated',
      'person.created',
    ]);

    // Refusals: a bad value, a bad filter, a stage for companies, no selection.
    expect(
      (await call('POST', '/people/bulk', { selection: { all: true }, action: 'set_stage', value: 'x' })).status,
    ).toBe(400);
    expect((await call('POST', '/people/bulk', { selection: { filter: ['x:eq:1'] }, action: 'delete' })).status).toBe(
      400,
    );
    expect((await call('POST', '/people/bulk', { selection: {}, action: 'delete' })).status).toBe(400);
    // An empty filter list or a blank search narrows nothing: every record takes all: true, said on purpose.
    for (const selection of [{ filter: [] }, { filter: ['  '] }, { q: '   ' }, { filter: [], q: '' }]) {
      const res = await call('POST', '/people/bulk', { selection, action: 'delete' });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain('all: true');
      expect((await call('POST', '/companies/bulk', { selection, action: 'tag', value: 'x' })).status).toBe(400);
    }
    expect((await call('GET', '/people/count')).body.count).toBe(12);
    expect(
      (await call('POST', '/companies/bulk', { selection: { all: true }, action: 'set_stage', value: 'lead' })).status,
    ).toBe(400);

    const del = await call('POST', '/people/bulk', { selection: { q: 'spring-promo' }, action: 'delete' });
    expect(del.body).toMatchObject({ matched: 6, changed: 6 });
    expect((await call('GET', '/people/count')).body.count).toBe(6);
    expect((await call('GET', `/people/${ids[1]}`)).status).toBe(404);

    const c = await call('POST', '/companies', { name: 'Acme' });
    const cb = await call('POST', '/companies/bulk', { selection: { all: true }, action: 'tag', value: 'partner' });
    expect(cb.body).toMatchObject({ matched: 1, changed: 1 });
    expect((await call('GET', `/companies/${String(c.body.id)}`)).body.tags).toEqual(['partner']);
  });

  it('runs a large selection as a job with progress', async () => {
    const { ws, call } = await setup();
    // 620 people, written directly (fast).
    await ctx.database.db.insert(people).values(
      Array.from({ length: 620 }, (_, i) => ({
        workspaceId: ws.workspace.id,
        id: `0190aaaa-0000-7000-8000-${String(i).padStart(12, '0')}`,
        firstName: `Bulk${i}`,
        displayName: `Bulk${i}`,
        source: 'seed',
      })),
    );
    const res = await call('POST', '/people/bulk', {
      selection: { filter: ['source:eq:seed'] },
      action: 'tag',
      value: 'mass',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', matched: 620 });
    const jobId = String(res.body.jobId);
    const queued = await call('GET', `/jobs/${jobId}`);
    expect(queued.body).toMatchObject({
      id: jobId,
      name: 'customers.bulk',
      state: 'queued',
      progress: { total: 620, done: 0 },
    });
    const runner = new JobRunner(ctx.database.db, [bulkJob], { pollMs: 20 });
    expect(await runner.tick()).toBeGreaterThanOrEqual(1);
    const done = await call('GET', `/jobs/${jobId}`);
    expect(done.body).toMatchObject({
      state: 'succeeded',
      progress: { total: 620, done: 620, changed: 620, unchanged: 0 },
    });
    expect((await call('GET', '/people/count?filter=tag:eq:mass')).body.count).toBe(620);
    const events = await call('GET', '/events?type=person.updated&limit=200');
    expect(events.body.data).toHaveLength(200);
    // Another workspace cannot see the job.
    const other = await makeWorkspace(ctx.services);
    const otherCall = bearer(await makeApiKey(ctx.services, other));
    expect((await ctx.app.inject({ method: 'GET', url: `/api/v1/jobs/${jobId}`, headers: otherCall })).statusCode).toBe(
      404,
    );
  });
});
