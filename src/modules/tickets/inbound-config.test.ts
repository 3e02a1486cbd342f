import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { businessCalendars, rules, slaPolicies } from '../../db/schema/index.ts';
import { useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeWorkspace } from '../../../test/factories.ts';
import { activeRules } from '../rules/rules.service.ts';
import { slaConfig } from '../sla/sla.service.ts';
import { findPeopleByEmails } from '../people/people.repository.ts';
import { findSop } from '../sops/sops.repository.ts';
import { findConversation, findMessageByEmailIds, findTicket } from './tickets.repository.ts';
import { replyContext } from './reply-context.ts';
import { findWorkspace } from '../workspaces/workspaces.repository.ts';
import { inboundConfig, keepSetup, keptSetup, type InboundSetup, type SetupCache } from './inbound-config.ts';

describe.each(testEngines())('the inbound configuration read (%s)', (engine) => {
  const ctx = useTestApp(engine);

  it('equals what the five separate reads return, rows typed as drizzle returns them', async () => {
    const { services, database } = ctx;
    const ws = await makeWorkspace(services);
    const other = await makeWorkspace(services);
    const actor = ws.ownerActor;
    await services.workspaces.update(actor, {
      defaultCountry: 'FR',
      ticketTypes: [
        { key: 'question', label: 'Question' },
        { key: 'refund', label: 'Refund' },
      ],
    });
    const cal = await services.sla.createCalendar(actor, {
      name: 'Office',
      timeZone: 'Europe/Paris',
      weekly: [{ day: 1, start: '09:00', end: '17:00' }],
      holidays: [{ date: '2026-12-25', name: 'Christmas' }],
    });
    await services.sla.createCalendar(actor, {
      name: 'Unused',
      timeZone: 'UTC',
      weekly: [{ day: 2, start: '10:00', end: '12:00' }],
    });
    await services.sla.createPolicy(actor, {
      name: 'Urgent',
      position: 0,
      conditions: [{ field: 'priority', op: 'is', value: 'urgent' }],
      targets: { first_response: 60, resolution: 240 },
      calendarId: cal.id,
      pauseOn: ['pending'],
    });
    await services.sla.createPolicy(actor, { name: 'Everything', position: 1, targets: { first_response: 480 } });
    const off = await services.sla.createPolicy(actor, { name: 'Off', position: 2, targets: { resolution: 10 } });
    await services.sla.updatePolicy(actor, off.id, { active: false });
    // Rules of both inbound triggers and of another one, one of them switched off.
    await services.rules.addRecommended(actor);
    const created = await services.rules.create(actor, {
      name: 'Tag refunds',
      trigger: 'ticket.created',
      conditions: [{ field: 'text', op: 'contains_any', value: ['refund'] }],
      actions: [{ type: 'add_tags', tags: ['refund'] }],
    });
    await services.rules.update(actor, created.id, { active: false });
    await services.rules.create(actor, {
      name: 'Reopen note',
      trigger: 'ticket.message_received',
      conditions: [],
      actions: [{ type: 'add_tags', tags: ['replied'] }],
    });
    await services.sops.put(actor, 'refund', {
      steps: [{ text: 'Check the order' }, { text: 'Refund', required: true }],
    });
    await services.sops.put(other.ownerActor, 'billing', { steps: [{ text: 'Another workspace' }] });

    const got = await inboundConfig(database.db, ws.workspace.id);
    const wsId = ws.workspace.id;
    expect(got.settings).toEqual((await findWorkspace(database.db, wsId))?.settings);
    expect(got.settings.defaultCountry).toBe('FR');
    for (const trigger of ['ticket.created', 'ticket.message_received'] as const) {
      const rules = await activeRules(database.db, wsId, trigger);
      expect(rules.length).toBeGreaterThan(0);
      expect(got.rules[trigger]).toEqual(rules);
    }
    // The reference: the policies and their calendars read as plain selects.
    const policies = await database.db
      .select()
      .from(slaPolicies)
      .where(and(eq(slaPolicies.workspaceId, wsId), eq(slaPolicies.active, true)))
      .orderBy(asc(slaPolicies.position), asc(slaPolicies.createdAt));
    const calendarRows = await database.db
      .select()
      .from(businessCalendars)
      .where(
        and(
          eq(businessCalendars.workspaceId, wsId),
          inArray(businessCalendars.id, [...new Set(policies.flatMap((p) => (p.calendarId ? [p.calendarId] : [])))]),
        ),
      );
    const sla = { policies, calendars: new Map(calendarRows.map((c) => [c.id, c])) };
    // slaConfig (one statement, shared with inboundConfig) reads the same.
    expect(await slaConfig(database.db, wsId)).toEqual(sla);
    expect(sla.policies.map((p) => p.name)).toEqual(['Urgent', 'Everything']);
    expect(got.sla.policies).toEqual(sla.policies);
    expect([...got.sla.calendars.entries()]).toEqual([...sla.calendars.entries()]);
    expect(got.sla.calendars.get(cal.id)?.createdAt).toBeInstanceOf(Date);
    expect([...got.sops.keys()]).toEqual(['refund']);
    expect(got.sops.get('refund')).toEqual(await findSop(database.db, wsId, 'refund'));

    // A workspace with nothing set up reads as empty, not as missing.
    const bare = await inboundConfig(database.db, (await makeWorkspace(services)).workspace.id);
    expect(bare.rules).toEqual({ 'ticket.created': [], 'ticket.message_received': [] });
    expect(bare.sla.policies).toEqual([]);
    expect(bare.sops.size).toBe(0);
  });

  it('keeps a set-up while its version is the stored one, and reads it again after any change to it', async () => {
    const { services, database } = ctx;
    const ws = await makeWorkspace(services);
    const actor = ws.ownerActor;
    const wsId = ws.workspace.id;
    const cache: SetupCache = new Map();
    // What a read with the cache returns must be what a read without one returns, at every step.
    const same = async () => {
      const fresh = await inboundConfig(database.db, wsId);
      const viaCache = await inboundConfig(database.db, wsId, {}, cache);
      expect({ ...viaCache, sla: { ...viaCache.sla, calendars: [...viaCache.sla.calendars] } }).toEqual({
        ...fresh,
        sla: { ...fresh.sla, calendars: [...fresh.sla.calendars] },
      });
      return viaCache;
    };
    const first = await same();
    const version = () => cache.get(wsId)?.version;
    const before = version();
    expect(before).toEqual(expect.any(Number));
    // Nothing changed: the kept set-up itself comes back (not read again).
    expect((await inboundConfig(database.db, wsId, {}, cache)).rules).toBe(first.rules);
    expect(version()).toBe(before);

    const seen: number[] = [before as number];
    const changed = async (what: string) => {
      const got = await same();
      const v = version() as number;
      expect(v, what).toBeGreaterThan(seen[seen.length - 1] as number);
      seen.push(v);
      return got;
    };
    await services.workspaces.update(actor, { defaultCountry: 'DE' });
    expect((await changed('settings')).settings.defaultCountry).toBe('DE');
    const rule = await services.rules.create(actor, {
      name: 'Tag refunds',
      trigger: 'ticket.created',
      conditions: [{ field: 'text', op: 'contains_any', value: ['refund'] }],
      actions: [{ type: 'add_tags', tags: ['refund'] }],
    });
    expect((await changed('a new rule')).rules['ticket.created'].map((r) => r.name)).toEqual(['Tag refunds']);
    await services.rules.update(actor, rule.id, { active: false });
    expect((await changed('a rule switched off')).rules['ticket.created']).toEqual([]);
    const cal = await services.sla.createCalendar(actor, {
      name: 'Office',
      timeZone: 'Europe/Paris',
      weekly: [{ day: 1, start: '09:00', end: '17:00' }],
    });
    await changed('a calendar');
    const policy = await services.sla.createPolicy(actor, {
      name: 'Everything',
      targets: { first_response: 480 },
      calendarId: cal.id,
    });
    expect((await changed('a policy')).sla.policies.map((p) => p.id)).toEqual([policy.id]);
    await services.sla.updateCalendar(actor, cal.id, { holidays: [{ date: '2026-12-25' }] });
    expect((await changed('a holiday')).sla.calendars.get(cal.id)?.holidays).toEqual([{ date: '2026-12-25' }]);
    await services.sops.put(actor, 'question', { steps: [{ text: 'Greet' }] });
    expect([...(await changed('a checklist')).sops.keys()]).toEqual(['question']);
    await services.sla.removePolicy(actor, policy.id);
    expect((await changed('a policy removed')).sla.policies).toEqual([]);

    // A time rule's progress is not set-up: the version stays.
    const kept = version();
    await database.db.execute(sql`update ${rules} set time_checked_until = now() where id = ${rule.id}`);
    await same();
    expect(version()).toBe(kept);
    // Another workspace's change leaves this one's version alone.
    const other = await makeWorkspace(services);
    await services.workspaces.update(other.ownerActor, { defaultCountry: 'IT' });
    await same();
    expect(version()).toBe(kept);
  });

  it('gives a reply the SLA configuration kept at the stored version, and reads it again once it changed', async () => {
    const { services, database } = ctx;
    const ws = await makeWorkspace(services);
    const actor = ws.ownerActor;
    const wsId = ws.workspace.id;
    const created = await services.tickets.create(actor, { subject: 'Help', requester: { email: 'ada@example.com' } });
    const ticket = await findTicket(database.db, wsId, created.id);
    if (!ticket) throw new Error('no ticket');
    const cache: SetupCache = new Map();
    const read = () => replyContext(database.db, ticket, cache);
    const fresh = async () => {
      const c = await slaConfig(database.db, wsId);
      return { policies: c.policies, calendars: [...c.calendars] };
    };
    const shape = (c: Awaited<ReturnType<typeof read>>['sla']) => ({
      policies: c.policies,
      calendars: [...c.calendars],
    });
    const first = await read();
    expect(shape(first.sla)).toEqual(await fresh());
    expect((await read()).sla).toBe(first.sla);
    // An inbound message's read of the whole set-up at the same version serves the reply too.
    const inbound = await inboundConfig(database.db, wsId, {}, cache);
    expect((await read()).sla).toBe(inbound.sla);
    const cal = await services.sla.createCalendar(actor, {
      name: 'Office',
      timeZone: 'Europe/Paris',
      weekly: [{ day: 1, start: '09:00', end: '17:00' }],
    });
    await services.sla.createPolicy(actor, { name: 'All', targets: { first_response: 60 }, calendarId: cal.id });
    const after = await read();
    expect(after.sla.policies.map((p) => p.name)).toEqual(['All']);
    expect(shape(after.sla)).toEqual(await fresh());
    await services.sla.updateCalendar(actor, cal.id, { timeZone: 'Asia/Tokyo' });
    expect((await read()).sla.calendars.get(cal.id)?.timeZone).toBe('Asia/Tokyo');
  });

  it("also reads whether the mail was stored already and who has the sender's address, as the separate reads do", async () => {
    const { services, database } = ctx;
    const ws = await makeWorkspace(services);
    const other = await makeWorkspace(services);
    const wsId = ws.workspace.id;
    const channel = await services.channels.create(ws.ownerActor, {
      kind: 'email',
      name: 'Support',
      address: `support-${ws.workspace.slug}@desk.test`,
    });
    const inbound = await services.channels.get(ws.ownerActor, channel.id);
    // Two people share an address (an import can do that), another workspace has it too.
    const first = await services.people.create(ws.ownerActor, { firstName: 'Ada', emails: ['shared@example.com'] });
    await services.people.create(ws.ownerActor, {
      firstName: 'Bea',
      emails: ['bea@example.com', 'shared@example.com'],
    });
    await services.people.create(other.ownerActor, { firstName: 'Cy', emails: ['shared@example.com'] });
    await services.tickets.receive({
      channel: inbound,
      from: { email: 'shared@example.com' },
      subject: 'Hello',
      text: 'Hi',
      emailMessageId: 'stored-once@mail.example.com',
    });

    const got = await inboundConfig(database.db, wsId, {
      emailMessageId: 'stored-once@mail.example.com',
      email: 'shared@example.com',
    });
    const separate = await findMessageByEmailIds(database.db, wsId, ['stored-once@mail.example.com']);
    expect(got.duplicateDirection).toBe('inbound');
    expect(got.duplicateDirection).toBe(separate?.direction);
    const people = await findPeopleByEmails(database.db, wsId, ['shared@example.com']);
    expect(people).toHaveLength(2);
    expect(got.peopleByEmail).toEqual({ email: 'shared@example.com', people });
    expect(got.peopleByEmail?.people[0]?.id).toBe(first.person.id);
    expect(got.peopleByEmail?.people[0]?.createdAt).toBeInstanceOf(Date);

    const none = await inboundConfig(database.db, wsId, {
      emailMessageId: 'new@mail.example.com',
      email: 'no@example.com',
    });
    expect(none.duplicateDirection).toBeNull();
    expect(none.peopleByEmail).toEqual({ email: 'no@example.com', people: [] });
    const notAsked = await inboundConfig(database.db, wsId);
    expect(notAsked.duplicateDirection).toBeNull();
    expect(notAsked.peopleByEmail).toBeNull();
    expect(notAsked.thread).toBeUndefined();

    // The thread of a reply: the conversation of the newest stored message among the ids, as the separate reads find it.
    const replyTo = ['unknown@mail.example.com', 'stored-once@mail.example.com'];
    const reply = await inboundConfig(database.db, wsId, { replyTo });
    const earlier = await findMessageByEmailIds(database.db, wsId, replyTo);
    expect(earlier).not.toBeNull();
    expect(reply.thread).toEqual(await findConversation(database.db, wsId, earlier?.conversationId ?? ''));
    expect(reply.thread?.lastMessageAt).toBeInstanceOf(Date);
    expect((await inboundConfig(database.db, wsId, { replyTo: ['unknown@mail.example.com'] })).thread).toBeNull();
    // Another workspace's message is not a thread here.
    expect((await inboundConfig(database.db, other.workspace.id, { replyTo })).thread).toBeNull();
  });
});

describe('the kept set-up', () => {
  const setup = (n: number): InboundSetup => ({
    settings: { n },
    rules: { 'ticket.created': [], 'ticket.message_received': [] },
    sla: { policies: [], calendars: new Map() },
    sops: new Map(),
  });

  it('answers a read with what was kept when it started, whatever another read keeps meanwhile', () => {
    const cache: SetupCache = new Map();
    expect(keptSetup(cache, 'w', ['sla'])).toEqual({ version: -1, parts: {} });
    keepSetup(cache, 'w', 5, setup(5));
    const inFlight = keptSetup(cache, 'w', ['settings', 'rules', 'sla', 'sops']);
    expect(inFlight.version).toBe(5);
    // A reply reads only the SLA configuration, at a newer version, while the inbound read runs.
    keepSetup(cache, 'w', 6, { sla: setup(6).sla });
    expect(inFlight.parts).toEqual(setup(5));
    // The newer version now asks for what it lacks; an older read does not replace it.
    expect(keptSetup(cache, 'w', ['settings', 'sla']).version).toBe(-1);
    expect(keptSetup(cache, 'w', ['sla']).version).toBe(6);
    keepSetup(cache, 'w', 5, setup(5));
    expect(keptSetup(cache, 'w', ['sla']).version).toBe(6);
    // Parts read later at the same version join the others.
    keepSetup(cache, 'w', 6, setup(6));
    expect(keptSetup(cache, 'w', ['settings', 'rules', 'sla', 'sops'])).toEqual({ version: 6, parts: setup(6) });
  });
});
