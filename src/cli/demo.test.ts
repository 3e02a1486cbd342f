import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.ts';
import { rowsOf } from '../db/client.ts';
import { testEngines } from '../../test/db.ts';
import { workspaceTables } from '../../test/workspace-rows.ts';
import { userActor } from '../modules/auth/auth.service.ts';
import { findUserByEmail } from '../modules/users/users.repository.ts';
import { createDemoWorkspace } from './demo.ts';
import { seededRandom } from './demo-customers.ts';

describe('seeded random', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(seededRandom(8)()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});

describe.each(testEngines())('demo data on %s', (engine) => {
  const ctx = useTestApp(engine);

  it('creates ~300 people and ~40 companies with history, consent and duplicates', async () => {
    const demo = await createDemoWorkspace(ctx.database.db, ctx.services, { slug: `demo-${engine}` });
    expect(demo.customers.people).toBeGreaterThanOrEqual(300);
    expect(demo.customers.companies).toBeGreaterThanOrEqual(40);
    const owner = await findUserByEmail(ctx.database.db, demo.workspace.id, 'amara@northwind.example');
    if (!owner) throw new Error('no demo owner');
    const actor = userActor(owner);

    expect(await ctx.services.people.count(actor, {})).toBe(demo.customers.people);
    // The dashboard's roll-ups are built and the purchase models fitted before the first visit.
    const rolled = rowsOf<{ n: number }>(
      await ctx.database.db.execute(
        sql`select count(*)::int as n from metric_customers where workspace_id = ${demo.workspace.id}`,
      ),
    );
    expect(rolled[0]?.n).toBeGreaterThan(100);
    const models = rowsOf<{ n: number }>(
      await ctx.database.db.execute(
        sql`select count(*)::int as n from prediction_models where workspace_id = ${demo.workspace.id}`,
      ),
    );
    expect(models[0]?.n).toBeGreaterThan(0);
    // Varied: several countries, stages, owners; every phone is E.164.
    const page = await ctx.services.people.list(actor, { limit: 200 });
    const rows = page.rows.map((r) => r.person);
    expect(new Set(rows.map((p) => p.address.country)).size).toBeGreaterThanOrEqual(6);
    expect(new Set(rows.map((p) => p.stage)).size).toBeGreaterThanOrEqual(5);
    expect(new Set(rows.map((p) => p.ownerId)).size).toBeGreaterThanOrEqual(4);
    for (const p of rows) for (const ph of p.phones) expect(ph).toMatch(/^\+[1-9]\d{6,14}$/);
    expect(await ctx.services.people.count(actor, { filter: 'custom.plan_tier:eq:enterprise' })).toBeGreaterThan(0);
    expect(await ctx.services.people.count(actor, { filter: 'consent.email.marketing:eq:withdrawn' })).toBeGreaterThan(
      0,
    );

    // A customer's history: stage changes in time order with reasons, backdated, on the timeline.
    const loyal = (await ctx.services.people.list(actor, { filter: 'stage:eq:loyal', limit: 1 })).rows[0]?.person;
    if (!loyal) throw new Error('no loyal customer in the demo');
    const history = await ctx.services.people.stageHistory(actor, loyal.id);
    expect(history.map((e) => e.payload.to)).toEqual(['loyal', 'customer', 'prospect']);
    expect(history.every((e) => typeof e.payload.reason === 'string')).toBe(true);
    expect(history[2]?.occurredAt.getTime()).toBeLessThan(Date.now() - 86_400_000);
    expect(loyal.stageChangedAt.getTime()).toBe(history[0]?.occurredAt.getTime());
    // Consent state agrees with the ledger.
    const c = await ctx.services.people.consent(actor, loyal.id);
    for (const [key, state] of Object.entries(c.current)) {
      const latest = c.ledger.find((r) => `${r.channel}:${r.purpose}` === key);
      expect(latest?.status).toBe(state);
    }

    const dupes = await ctx.services.duplicates.personPairs(actor, { limit: 200 });
    expect(dupes.data.length).toBeGreaterThanOrEqual(5);
    expect(new Set(dupes.data.flatMap((d) => d.reasons.map((r) => r.kind)))).toEqual(
      new Set(['email', 'phone', 'name']),
    );
    const companyDupes = await ctx.services.duplicates.companyPairs(actor, { limit: 200 });
    expect(companyDupes.data.length).toBeGreaterThanOrEqual(2);

    // The service desk: tickets across channels, in every state, under SLA policies, on customers' timelines.
    expect(demo.desk.tickets).toBeGreaterThanOrEqual(30);
    const all = (await ctx.services.tickets.list(actor, { queue: 'all', limit: 200 })).rows;
    expect(all).toHaveLength(demo.desk.tickets);
    expect(new Set(all.map((t) => t.channel))).toEqual(new Set(['email', 'phone']));
    for (const st of ['new', 'open', 'solved'])
      expect(
        all.some((t) => t.status === st),
        st,
      ).toBe(true);
    expect(all.every((t) => t.slaPolicyId !== null)).toBe(true);
    const threaded = all.find((t) => t.status === 'open' && t.lastAgentReplyAt);
    if (!threaded) throw new Error('no ticket answered and re-opened by the customer');
    const thread = await ctx.services.tickets.get(actor, threaded.id);
    expect(thread.messages.map((m) => m.direction)).toEqual(expect.arrayContaining(['inbound', 'outbound']));
    expect(thread.messages.filter((m) => m.direction === 'inbound').length).toBeGreaterThanOrEqual(2);
    // "Charged twice" is a billing dispute: the recommended escalation rules raised it.
    const twice = all.find((t) => t.subject === 'Charged twice for one order');
    expect(twice?.tags).toContain('escalated');

    // Macros to apply and SOP checklists on the tickets of those types, some steps ticked.
    expect((await ctx.services.macros.list(actor)).length).toBe(demo.desk.macros);
    expect((await ctx.services.sops.list(actor)).map((x) => x.ticketType).sort()).toEqual(
      ['billing', 'complaint', 'return_refund', 'technical'].sort(),
    );
    const complaint = all.find((t) => t.type === 'complaint');
    if (!complaint) throw new Error('no complaint');
    const checklists = await Promise.all(all.map((t) => ctx.services.sops.checklist(actor, t.id)));
    expect(checklists.filter((c) => c.steps.length).length).toBeGreaterThan(all.length / 2);
    expect(checklists.some((c) => c.steps.some((x) => x.doneAt))).toBe(true);
    const preview = await ctx.services.macros.preview(
      actor,
      complaint.id,
      (await ctx.services.macros.list(actor, { q: 'order number' }))[0]?.id ?? '',
    );
    expect(preview.body).not.toContain('{{');

    // Two ticket fields, filled in on most tickets and usable in the list query language.
    const fields = await ctx.services.fields.list(actor, 'ticket');
    expect(fields.map((f) => [f.key, f.type])).toEqual([
      ['order_number', 'text'],
      ['product_area', 'select'],
    ]);
    expect(demo.desk.ticketFields).toBe(2);
    expect(all.filter((t) => t.custom.product_area).length).toBeGreaterThan(all.length / 2);
    expect(all.some((t) => typeof t.custom.order_number === 'string')).toBe(true);
    const clothing = await ctx.services.tickets.list(actor, {
      queue: 'all',
      limit: 200,
      filter: 'custom.product_area:eq:Clothing',
      sort: 'custom.order_number',
    });
    expect(clothing.rows.length).toBeGreaterThan(0);
    expect(clothing.rows.every((t) => t.custom.product_area === 'Clothing')).toBe(true);

    // Commerce: a catalogue, 18 months of orders from the customers who buy, refunds in full and in part, a few
    // cancellations, and subscriptions, some canceled.
    const commerce = demo.customers.commerce;
    if (!commerce) throw new Error('no demo commerce');
    expect(commerce.products).toBeGreaterThanOrEqual(15);
    expect(commerce.orders).toBeGreaterThanOrEqual(200);
    expect(commerce.refunded).toBeGreaterThan(0);
    expect(commerce.partiallyRefunded).toBeGreaterThan(0);
    expect(commerce.canceled).toBeGreaterThan(0);
    expect(commerce.subscriptions).toBeGreaterThanOrEqual(5);
    const catalogue = await ctx.services.products.list(actor, { limit: 200 });
    expect(catalogue.rows).toHaveLength(commerce.products);
    expect(catalogue.rows.some((p) => !p.active)).toBe(true);
    // Every order adds up and its refunds match what it says was refunded; none is older than 18 months.
    let seen = 0;
    let cursor: string | undefined;
    const statuses = new Set<string>();
    const currencies = new Set<string>();
    const eighteenMonths = Date.now() - 549 * 86_400_000;
    do {
      const page = await ctx.services.orders.list(actor, { limit: 200, cursor });
      for (const o of page.rows) {
        expect(o.total).toBe(o.subtotal - o.discount + o.tax + o.shipping);
        expect(o.net).toBe(o.total - o.refunded);
        expect(o.placedAt.getTime()).toBeGreaterThan(eighteenMonths);
        expect(o.placedAt.getTime()).toBeLessThan(Date.now());
        statuses.add(o.status);
        currencies.add(o.currency);
      }
      seen += page.rows.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toBe(commerce.orders);
    expect(statuses).toEqual(new Set(['paid', 'refunded', 'partially_refunded', 'canceled', ...statuses]));
    expect(currencies.size).toBeGreaterThanOrEqual(3);
    const partial = (await ctx.services.orders.list(actor, { filter: 'status:eq:partially_refunded', limit: 1 }))
      .rows[0];
    if (!partial) throw new Error('no partly refunded order');
    const detail = await ctx.services.orders.get(actor, partial.id);
    expect(detail.refunds.reduce((s, x) => s + x.amount, 0)).toBe(partial.refunded);
    expect(detail.lines.reduce((s, l) => s + l.amount, 0)).toBe(partial.subtotal);
    expect(detail.lines.every((l) => l.productId !== null)).toBe(true);
    // Those who churned or are at risk stopped buying before they were marked so, and months ago.
    const gone = (await ctx.services.people.list(actor, { filter: 'stage:in:churned|at_risk', limit: 200 })).rows;
    let withOrders = 0;
    for (const { person } of gone) {
      const last = (await ctx.services.orders.list(actor, { filter: `person_id:eq:${person.id}`, limit: 1 })).rows[0];
      if (!last) continue;
      withOrders++;
      expect(last.placedAt.getTime()).toBeLessThan(person.stageChangedAt.getTime());
      expect(last.placedAt.getTime()).toBeLessThan(Date.now() - 90 * 86_400_000);
    }
    expect(withOrders).toBeGreaterThan(0);
    // Only people who became customers bought.
    const leads = (await ctx.services.people.list(actor, { filter: 'stage:in:lead|prospect', limit: 200 })).rows;
    for (const { person } of leads.slice(0, 20))
      expect((await ctx.services.orders.list(actor, { filter: `person_id:eq:${person.id}`, limit: 1 })).rows).toEqual(
        [],
      );
    const subs = await ctx.services.subscriptions.list(actor, { limit: 200 });
    expect(subs.rows).toHaveLength(commerce.subscriptions);
    expect(new Set(subs.rows.map((x) => x.status))).toEqual(new Set(['active', 'canceled']));
    // The loyal customer's timeline shows their purchases among their history, newest first.
    const buyer = (await ctx.services.orders.list(actor, { filter: 'status:eq:refunded', limit: 1 })).rows[0];
    if (!buyer) throw new Error('no refunded order');
    const timeline = await ctx.services.people.timeline(actor, buyer.personId, { limit: 200 });
    const types = timeline.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['order.placed', 'order.paid', 'order.refunded', 'person.created']));
    const times = timeline.map((e) => e.occurredAt.getTime());
    expect(times.slice(0, types.indexOf('person.created') + 1)).toEqual(
      [...times.slice(0, types.indexOf('person.created') + 1)].sort((a, b) => b - a),
    );
  }, 60_000);

  it('refuses a bad slug before making anything, and removes a workspace whose filling failed', async () => {
    const db = ctx.database.db;
    const count = async () =>
      rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from workspaces`))[0]?.n ?? 0;
    const before = await count();
    await expect(createDemoWorkspace(db, ctx.services, { slug: 'Bad Slug' })).rejects.toThrow(
      '"Bad Slug" is not a slug: use lowercase letters, digits and dashes, at most 40 (e.g. "bad-slug")',
    );
    expect(await count()).toBe(before);

    // Halfway: the team and some people are made, then something fails.
    const slug = `half-${engine}`;
    let made = '';
    await expect(
      createDemoWorkspace(db, ctx.services, {
        slug,
        fill: async (_db, services, workspace, owner) => {
          made = workspace.id;
          const actor = userActor(owner);
          await services.users.create(actor, { email: 'x@half.example', name: 'X', role: 'agent' });
          await services.people.create(actor, { firstName: 'Half', emails: ['half@half.example'] });
          throw new Error('boom halfway');
        },
      }),
    ).rejects.toThrow('boom halfway');
    expect(await count()).toBe(before);
    for (const table of await workspaceTables(db)) {
      const left = rowsOf<{ n: number }>(
        await db.execute(sql`select count(*)::int as n from ${sql.identifier(table)} where workspace_id = ${made}`),
      );
      expect(left[0]?.n, table).toBe(0);
    }
    // The same command again works.
    const again = await createDemoWorkspace(db, ctx.services, {
      slug,
      fill: async (_db, _s, workspace) => ({ workspace }) as never,
    });
    expect(again.workspace.slug).toBe(slug);
  });
});
