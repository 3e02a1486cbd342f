/**
 * The roll-ups kept from the event log equal a rebuild from the orders, row for row, after random order writes
 * through the services: new orders, upserts that move an order to another customer or another day, payments,
 * cancellations, refunds in part and in full, orders deleted, people deleted and merged.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { caller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { rowsOf } from '../../db/client.ts';
import { SafeSeqTracker } from '../webhooks/webhooks.delivery.ts';
import { rng } from './metrics.fixture.ts';
import { endOfTodayUtc } from './metrics.service.ts';
import { computeRfm, rfmSegments } from '../../domain/rfm.ts';
import type { OrderFact } from '../../domain/metrics.ts';
import { affectedPeople, processMetricEvents, rebuildMetricRollups, rollupJobName } from './metrics.rollup.ts';
import { ensureSystemSchedules, jobDefinitions } from '../../jobs/definitions.ts';
import { enqueueJob, JobRunner } from '../../jobs/queue.ts';
import { nilWorkspaceId } from '../../db/ids.ts';

describe('affectedPeople', () => {
  it('takes the person of each event, the one an order left, and both people of a merge', () => {
    const a = '0190a0a0-0000-7000-8000-00000000000a';
    const b = '0190a0a0-0000-7000-8000-00000000000b';
    const c = '0190a0a0-0000-7000-8000-00000000000c';
    expect(
      affectedPeople([
        { seq: 1, type: 'order.updated', personId: a, subjectId: 'o1', fromPerson: b, mergedId: null },
        { seq: 2, type: 'person.merged', personId: a, subjectId: a, fromPerson: null, mergedId: c },
        { seq: 3, type: 'order.placed', personId: null, subjectId: 'o2', fromPerson: 'not-a-uuid', mergedId: null },
      ]).sort(),
    ).toEqual([a, b, c]);
  });
});

describe.each(testEngines())('metric roll-ups on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function snapshot(workspaceId: string) {
    const db = ctx.database.db;
    const days = rowsOf(
      await db.execute(sql`
        select currency, day::text as day, person_id, orders, net::text as net,
          (extract(epoch from first_at) * 1000)::float8 as first_at, (extract(epoch from last_at) * 1000)::float8 as last_at,
          prev_day::text as prev_day, next_day::text as next_day,
          (extract(epoch from customer_first_at) * 1000)::float8 as customer_first_at
        from metric_customer_days where workspace_id = ${workspaceId} order by currency, day, person_id`),
    );
    const customers = rowsOf(
      await db.execute(sql`
        select currency, person_id, orders, net::text as net,
          (extract(epoch from first_at) * 1000)::float8 as first_at, (extract(epoch from last_at) * 1000)::float8 as last_at
        from metric_customers where workspace_id = ${workspaceId} order by currency, person_id`),
    );
    const totals = rowsOf(
      await db.execute(sql`
        select currency, day::text as day, cohort, orders, net::text as net, new_customers, month_customers, month_repeaters
        from metric_days where workspace_id = ${workspaceId} order by currency, day, cohort`),
    );
    return { days, customers, totals };
  }

  it('the job from the event log equals a rebuild after random writes, refunds, cancellations, order and person deletes and merges', async () => {
    const { services, database } = ctx;
    const db = database.db;
    const ws = await makeWorkspace(services);
    const actor = ws.ownerActor;
    const tracker = new SafeSeqTracker();
    // The job's first pass makes the workspace's cursor (rebuilding its empty roll-ups): all that follows is
    // incremental.
    const first = await processMetricEvents(db, tracker);
    expect(first.rebuilt).toBeGreaterThanOrEqual(1);

    const r = rng(7);
    const people: string[] = [];
    for (let i = 0; i < 24; i++)
      people.push((await services.people.create(actor, { firstName: `P${i}`, emails: [`p${i}@x.example`] })).person.id);
    const live = () => people.filter((p) => p !== '');
    const orders: Array<{ id: string; ext: string; status: string; total: number; refunded: number }> = [];
    const day0 = Date.UTC(2024, 0, 1);
    const when = () =>
      new Date(day0 + r.int(0, 120) * 86_400_000 + r.pick([0, 86_399_999, r.int(0, 86_399_999)])).toISOString();
    let events = 0;

    for (let step = 0; step < 260; step++) {
      const k = r.next();
      const o = orders.length ? r.pick(orders) : null;
      try {
        if (!o || k < 0.35) {
          const ext = `o${step}`;
          const total = r.int(100, 9_000);
          const row = await services.orders.upsert(actor, ext, {
            personId: r.pick(live()),
            placedAt: when(),
            status: r.pick(['placed', 'paid'] as const),
            currency: r.next() < 0.85 ? 'EUR' : 'USD',
            subtotal: (total / 100).toFixed(2),
          });
          orders.push({ id: row.order.id, ext, status: row.order.status, total, refunded: 0 });
        } else if (k < 0.5) {
          // Moved to another customer, another day and another amount.
          const total = Math.max(o.refunded, r.int(100, 9_000));
          const row = await services.orders.upsert(actor, o.ext, {
            personId: r.pick(live()),
            placedAt: when(),
            currency: (await services.orders.get(actor, o.id)).order.currency,
            subtotal: (total / 100).toFixed(2),
          });
          o.total = row.order.total;
        } else if (k < 0.6) {
          const row = await services.orders.update(actor, o.id, { status: 'paid' });
          o.status = row.order.status;
        } else if (k < 0.7) {
          const row = await services.orders.update(actor, o.id, { status: 'canceled' });
          o.status = row.order.status;
        } else if (k < 0.73) {
          // Deleted with its lines and refunds (DELETE /orders/{id}): the customer is recomputed without it.
          await services.orders.remove(actor, o.id);
          orders.splice(orders.indexOf(o), 1);
        } else if (k < 0.85) {
          const left = o.total - o.refunded;
          const amount = r.next() < 0.4 ? left : r.int(1, Math.max(1, left));
          const row = await services.orders.refund(actor, o.id, { amount: (amount / 100).toFixed(2) });
          o.refunded = row.order.refunded;
          o.status = row.order.status;
        } else if (k < 0.9 && live().length > 10) {
          const i = people.indexOf(r.pick(live()));
          await services.people.remove(actor, [people[i]!], { force: true });
          people[i] = '';
          for (let j = orders.length - 1; j >= 0; j--)
            if (!(await services.orders.get(actor, orders[j]!.id).catch(() => null))) orders.splice(j, 1);
        } else if (k < 0.95 && live().length > 10) {
          const [a, b] = [r.pick(live()), r.pick(live())];
          if (a !== b) {
            await services.duplicates.mergePeople(actor, a, { otherId: b });
            people[people.indexOf(b)] = '';
          }
        }
      } catch (e) {
        // Refused writes (cancel a paid order, refund a canceled one…) are part of the game; nothing else is.
        const code = (e as { code?: string }).code;
        if (code !== 'conflict' && code !== 'validation_failed') throw e;
      }
      if (step % 40 === 39) events += (await processMetricEvents(db, tracker)).events;
    }
    events += (await processMetricEvents(db, tracker)).events;
    expect(events).toBeGreaterThan(200);

    const incremental = await snapshot(ws.workspace.id);
    expect(incremental.days.length).toBeGreaterThan(50);
    await rebuildMetricRollups(db, ws.workspace.id);
    const rebuilt = await snapshot(ws.workspace.id);
    expect(incremental).toEqual(rebuilt);

    // The events again (a replay after a crash): nothing changes.
    await db.execute(
      sql`update event_cursors set last_seq = 0 where workspace_id = ${ws.workspace.id} and consumer = 'metrics'`,
    );
    await processMetricEvents(db, tracker);
    expect(await snapshot(ws.workspace.id)).toEqual(rebuilt);

    // And the rebuild sees exactly the counted orders.
    const [check] = rowsOf<{ n: number; net: string }>(
      await db.execute(sql`
        select count(*)::int as n, coalesce(sum(net), 0)::text as net from orders
        where workspace_id = ${ws.workspace.id} and status not in ('refunded', 'canceled')`),
    );
    const [sum] = rowsOf<{ n: number; net: string }>(
      await db.execute(sql`
        select coalesce(sum(orders), 0)::int as n, coalesce(sum(net), 0)::text as net from metric_customers
        where workspace_id = ${ws.workspace.id}`),
    );
    expect(sum).toEqual(check);
    expect(check!.n).toBeGreaterThan(20);
  }, 180_000);

  it('an order deleted through the API leaves the roll-ups equal to a rebuild', async () => {
    const { services, database, app } = ctx;
    const db = database.db;
    const ws = await makeWorkspace(services);
    const tracker = new SafeSeqTracker();
    await processMetricEvents(db, tracker);
    const { person } = await services.people.create(ws.ownerActor, { firstName: 'Deleted' });
    const { person: other } = await services.people.create(ws.ownerActor, { firstName: 'Kept' });
    const make = (personId: string, placedAt: string, subtotal: string) =>
      services.orders.create(ws.ownerActor, { personId, currency: 'EUR', placedAt, subtotal });
    const first = await make(person.id, '2024-03-01T10:00:00Z', '10.00');
    const second = await make(person.id, '2024-03-01T18:00:00Z', '5.00');
    await services.orders.refund(ws.ownerActor, second.order.id, { amount: '1.00' });
    await make(other.id, '2024-03-01T12:00:00Z', '7.00');
    await processMetricEvents(db, tracker);
    expect((await snapshot(ws.workspace.id)).totals).toEqual([
      expect.objectContaining({ day: '2024-03-01', orders: 3, net: '2100', new_customers: 2 }),
    ]);
    const key = await makeApiKey(services, ws);
    const res = await app.inject({
      method: 'DELETE',
      url: `/api/v1/orders/${first.order.id}`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.statusCode, res.body).toBe(204);
    await processMetricEvents(db, tracker);
    const incremental = await snapshot(ws.workspace.id);
    const byPerson = new Map(incremental.customers.map((c) => [(c as { person_id: string }).person_id, c]));
    expect(byPerson.get(person.id)).toMatchObject({ orders: 1, net: '400' });
    expect(byPerson.get(other.id)).toMatchObject({ orders: 1, net: '700' });
    expect(incremental.totals).toEqual([
      expect.objectContaining({ day: '2024-03-01', orders: 2, net: '1100', new_customers: 2 }),
    ]);
    await rebuildMetricRollups(db, ws.workspace.id);
    expect(await snapshot(ws.workspace.id)).toEqual(incremental);
  });

  it("the people list filtered by an RFM segment is exactly the RFM grid's customers of it, once the job ran", async () => {
    const { services, database, app } = ctx;
    const db = database.db;
    const ws = await makeWorkspace(services);
    const tracker = new SafeSeqTracker();
    await processMetricEvents(db, tracker);
    const h = { authorization: `Bearer ${await makeApiKey(services, ws)}` };
    const get = async <T>(url: string): Promise<T> => {
      const res = await app.inject({ method: 'GET', url: `/api/v1${url}`, headers: h });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      return res.json<T>();
    };
    const all = async (url: string, id: (x: Record<string, unknown>) => string) => {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: Array<Record<string, unknown>>; page: { nextCursor: string | null } } = await get(
          `${url}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        out.push(...page.data.map(id));
        cursor = page.page.nextCursor;
      } while (cursor);
      return out.sort();
    };
    // A shop imports two years of history: orders upserted by external id, placed in the past.
    const r = rng(11);
    const now = Date.now();
    const facts: OrderFact[] = [];
    const people: string[] = [];
    for (let i = 0; i < 60; i++) {
      const n = r.next() < 0.4 ? 1 : r.int(2, 9);
      for (let k = 0; k < n; k++) {
        const placedAt = new Date(now - r.int(1, 730) * 86_400_000 - r.int(0, 86_399_999));
        const cents = r.int(100, 20_000);
        const status = r.pick(['paid', 'paid', 'paid', 'placed', 'canceled'] as const);
        const o = await services.orders.upsert(ws.ownerActor, `imp-${i}-${k}`, {
          customer: { externalId: `c-${i}`, email: `c${i}@shop.example` },
          placedAt: placedAt.toISOString(),
          currency: 'EUR',
          status,
          subtotal: (cents / 100).toFixed(2),
        });
        if (k === 0) people.push(o.order.personId);
        facts.push({ personId: o.order.personId, placedAt, amountMinor: cents, status });
      }
    }
    // Before the job ran the grid and the filter both know nothing yet; after it, both know everything.
    expect((await get<{ customers: number }>('/metrics/rfm')).customers).toBe(0);
    expect(await all('/people?filter=rfm_segment:exists:true', (p) => String(p.id))).toEqual([]);
    await processMetricEvents(db, tracker);
    const grid = await get<{ customers: number; segments: Record<string, number> }>('/metrics/rfm');
    const expected = computeRfm(facts, new Date(endOfTodayUtc()));
    expect(grid.customers).toBe(expected.length);
    let nonEmpty = 0;
    for (const segment of rfmSegments) {
      const listed = await all(`/people?filter=rfm_segment:eq:${segment}`, (p) => String(p.id));
      const behindGrid = await all(`/metrics/rfm/people?segment=${segment}`, (p) => String(p.personId));
      const reference = expected
        .filter((x) => x.segment === segment)
        .map((x) => x.personId)
        .sort();
      expect(listed, segment).toEqual(behindGrid);
      expect(listed, segment).toEqual(reference);
      expect(listed.length, segment).toBe(grid.segments[segment]);
      if (listed.length) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThanOrEqual(4);
    // in, ne and exists say the same.
    const champions = await all('/people?filter=rfm_segment:eq:champions', (p) => String(p.id));
    const loyal = await all('/people?filter=rfm_segment:eq:loyal', (p) => String(p.id));
    expect(await all('/people?filter=rfm_segment:in:champions|loyal', (p) => String(p.id))).toEqual(
      [...champions, ...loyal].sort(),
    );
    const customers = expected.map((x) => x.personId).sort();
    expect(await all('/people?filter=rfm_segment:exists:true', (p) => String(p.id))).toEqual(customers);
    expect(await all('/people?filter=rfm_segment:ne:champions', (p) => String(p.id))).toEqual(
      customers.filter((id) => !champions.includes(id)),
    );
    expect(people.length).toBe(60);
  });

  it('adds the largest amounts up exactly, and refuses larger ones with a 400 naming the field', async () => {
    const { services, database, app } = ctx;
    const db = database.db;
    const ws = await makeWorkspace(services);
    const tracker = new SafeSeqTracker();
    await processMetricEvents(db, tracker);
    const h = { authorization: `Bearer ${await makeApiKey(services, ws)}` };
    const call = caller(app, h, '/api/v1');
    const { person } = await services.people.create(ws.ownerActor, { firstName: 'Whale' });
    const amounts = ['10000000000.00', '9999999999.99', '9999999999.97', '0.01', '0.03'];
    for (const [i, subtotal] of amounts.entries()) {
      const res = await call('POST', '/orders', {
        personId: person.id,
        currency: 'EUR',
        subtotal,
        placedAt: `2024-05-0${i + 1}T12:00:00Z`,
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    for (const body of [
      { subtotal: '10000000000.01' },
      { lines: [{ name: 'Yacht', unitPrice: '6000000000.00', quantity: 2 }] },
      { subtotal: '9999999999.99', shipping: '0.02' },
    ]) {
      const res = await call('POST', '/orders', { personId: person.id, currency: 'EUR', ...body });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('validation_failed');
      expect(res.body).toMatch(/largest amount/);
    }
    await processMetricEvents(db, tracker);
    const summary = await call('GET', '/metrics/summary?from=2024-05-01&to=2024-06-01&currency=EUR');
    expect(summary.statusCode, summary.body).toBe(200);
    const exact = amounts.reduce((a, x) => a + BigInt(x.replace('.', '')), 0n);
    const m = summary.json<{ metrics: Record<string, { current: { value: number } }> }>().metrics;
    expect(BigInt(m.revenue!.current.value)).toBe(exact);
    expect(m.revenue!.current.value).toBe(Number(exact));
    const rfm = await call('GET', `/people/${person.id}/rfm?currency=EUR`);
    expect(BigInt(rfm.json<{ rfm: { monetaryMinor: number } }>().rfm.monetaryMinor)).toBe(exact);
  });

  it('runs as the metrics.rollup job of the job runner, scheduled with the system schedules', async () => {
    const { services, database } = ctx;
    const db = database.db;
    const ws = await makeWorkspace(services);
    const { person } = await services.people.create(ws.ownerActor, { firstName: 'Queued' });
    await services.orders.create(ws.ownerActor, { personId: person.id, currency: 'EUR', subtotal: '7.00' });
    await ensureSystemSchedules(db);
    const [schedule] = rowsOf<{ cron: string }>(
      await db.execute(sql`select cron from job_schedules where name = ${rollupJobName}`),
    );
    expect(schedule?.cron).toBe('* * * * *');
    const runner = new JobRunner(db, jobDefinitions());
    // A pass holds back while another job's transaction is older than its mark (the system schedules run beside it),
    // and the next pass catches up: a few passes, as the per-minute schedule would make.
    let rows = await snapshot(ws.workspace.id);
    for (let pass = 0; pass < 5 && !rows.customers.length; pass++) {
      await enqueueJob(db, nilWorkspaceId, rollupJobName, {});
      await runner.tick();
      rows = await snapshot(ws.workspace.id);
    }
    expect(rows.customers).toEqual([
      expect.objectContaining({ person_id: person.id, currency: 'EUR', orders: 1, net: '700' }),
    ]);
  });

  it('a new order reaches the roll-ups at the next pass of the job, not before', async () => {
    const { services, database } = ctx;
    const db = database.db;
    const ws = await makeWorkspace(services);
    const tracker = new SafeSeqTracker();
    await processMetricEvents(db, tracker);
    const { person } = await services.people.create(ws.ownerActor, { firstName: 'Stale' });
    await services.orders.create(ws.ownerActor, { personId: person.id, currency: 'EUR', subtotal: '12.00' });
    expect((await snapshot(ws.workspace.id)).customers).toEqual([]);
    await processMetricEvents(db, tracker);
    const after = await snapshot(ws.workspace.id);
    expect(after.customers).toHaveLength(1);
    expect(after.customers[0]).toMatchObject({ person_id: person.id, orders: 1, net: '1200' });
  });
});
