import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../test/app.ts';
import { testEngines } from '../../test/db.ts';
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
  }, 60_000);
});
