import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { bearer, jsonCaller, useTestApp } from '../../test/app.ts';
import { testEngines } from '../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../test/factories.ts';
import { rowsOf } from '../db/client.ts';
import { slaCheckJob } from './sla/sla.service.ts';
import type { InboundMessage } from './tickets/tickets.service.ts';

/**
 * Requests that race each other on one record. On PGlite (one connection) they run one after the other; on
 * PostgreSQL they overlap, which is what these tests are about.
 */
describe.each(testEngines())('concurrent writes on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, ws));
    const call = jsonCaller(ctx.app, h, '/api/v1');
    return { ws, call };
  }

  it('answers a second person or company with the same external id, made at the same time, with 400, not 500', async () => {
    const { call } = await setup();
    for (let pass = 0; pass < 10; pass++) {
      const person = { firstName: 'Same', externalId: `cus_${pass}` };
      const company = { name: 'Same', externalId: `org_${pass}` };
      const results = await Promise.all([
        call('POST', '/people', person),
        call('POST', '/people', person),
        call('POST', '/companies', company),
        call('POST', '/companies', company),
      ]);
      // The second is refused as when they come one after the other: externalId already used.
      expect(results.map((r) => r.status).sort()).toEqual([201, 201, 400, 400]);
    }
  });

  it('keeps both custom values when two updates of one person set different fields at once', async () => {
    const { call } = await setup();
    for (const label of ['Alpha', 'Beta'])
      expect((await call('POST', '/custom-fields', { entity: 'person', label, type: 'text' })).status).toBe(201);
    for (let pass = 0; pass < 10; pass++) {
      const made = await call('POST', '/people', { firstName: `P${pass}` });
      expect(made.status).toBe(201);
      const id = made.body.id as string;
      const [a, b] = await Promise.all([
        call('PATCH', `/people/${id}`, { custom: { alpha: 'a' } }),
        call('PATCH', `/people/${id}`, { custom: { beta: 'b' } }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const after = await call('GET', `/people/${id}`);
      expect(after.body.custom).toEqual({ alpha: 'a', beta: 'b' });
    }
  });

  it('keeps both custom values when two updates of one company set different fields at once', async () => {
    const { call } = await setup();
    for (const label of ['Alpha', 'Beta'])
      expect((await call('POST', '/custom-fields', { entity: 'company', label, type: 'text' })).status).toBe(201);
    for (let pass = 0; pass < 10; pass++) {
      const made = await call('POST', '/companies', { name: `C${pass}` });
      expect(made.status).toBe(201);
      const id = made.body.id as string;
      const [a, b] = await Promise.all([
        call('PATCH', `/companies/${id}`, { custom: { alpha: 'a' } }),
        call('PATCH', `/companies/${id}`, { custom: { beta: 'b' } }),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const after = await call('GET', `/companies/${id}`);
      expect(after.body.custom).toEqual({ alpha: 'a', beta: 'b' });
    }
  });

  it("keeps every setting when the workspace's settings are changed twice at once", async () => {
    const { call } = await setup();
    for (let pass = 0; pass < 10; pass++) {
      const country = pass % 2 ? 'PT' : 'ES';
      const types = [
        { key: 'question', label: 'Question' },
        { key: `kind${pass}`, label: `Kind ${pass}` },
      ];
      const rules = [{ stage: 'customer', filter: [`tag:eq:t${pass}`] }];
      const results = await Promise.all([
        call('PATCH', '/workspace', { defaultCountry: country }),
        call('PATCH', '/workspace', { ticketTypes: types }),
        call('PUT', '/predictions/stage-rules', { data: rules }),
      ]);
      expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
      const after = await call('GET', '/workspace');
      expect(after.body.defaultCountry).toBe(country);
      expect(after.body.ticketTypes).toEqual(types);
      expect((await call('GET', '/predictions/stage-rules')).body.data).toEqual(rules);
    }
  });

  it('merges one of two tickets into the other when both merges are asked at once', async () => {
    const { call } = await setup();
    for (let pass = 0; pass < 10; pass++) {
      const open = async () => {
        const r = await call('POST', '/tickets', {
          subject: `Order ${pass}`,
          requester: { email: `casey${pass}@example.com` },
          text: 'Where is it?',
        });
        expect(r.status).toBe(201);
        return r.body.id as string;
      };
      const x = await open();
      const y = await open();
      const [a, b] = await Promise.all([
        call('POST', `/tickets/${x}/merge`, { ticketIds: [y] }),
        call('POST', `/tickets/${y}/merge`, { ticketIds: [x] }),
      ]);
      // One merge wins; the other finds its target merged away (409), never a 500 or a cycle.
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const tx = await call('GET', `/tickets/${x}`);
      const ty = await call('GET', `/tickets/${y}`);
      const pointers = [tx.body.mergedIntoId, ty.body.mergedIntoId].filter((v) => v);
      expect(pointers).toHaveLength(1);
    }
  });
});

describe.each(testEngines())('concurrent inbound mail on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function desk() {
    const ws = await makeWorkspace(ctx.services);
    const created = await ctx.services.channels.create(ws.ownerActor, {
      kind: 'email',
      name: 'Support',
      address: `support-${ws.workspace.slug}@desk.test`,
    });
    return { ws, channel: await ctx.services.channels.get(ws.ownerActor, created.id) };
  }

  const mail = (
    channel: InboundMessage['channel'],
    from: string,
    more: Partial<InboundMessage> = {},
  ): InboundMessage => ({
    channel,
    from: { email: from, name: 'Pat' },
    subject: 'My order never came',
    text: 'Order 1234 is a week late.',
    emailMessageId: `${crypto.randomUUID()}@mail.example.com`,
    ...more,
  });

  it('stores a mail delivered twice at once one time', async () => {
    const { ws, channel } = await desk();
    for (let pass = 0; pass < 10; pass++) {
      const m = mail(channel, `dup${pass}@example.com`);
      const results = await Promise.all([ctx.services.tickets.receive(m), ctx.services.tickets.receive({ ...m })]);
      expect(results.map((r) => r.outcome).sort()).toEqual(['created', 'ignored']);
      const stored = rowsOf<{ n: number }>(
        await ctx.database.db.execute(
          sql`select count(*)::int as n from messages where workspace_id = ${ws.workspace.id} and email_message_id = ${m.emailMessageId ?? ''}`,
        ),
      );
      expect(stored[0]?.n).toBe(1);
    }
  });

  it("keeps the SLA an agent's reply met when the SLA job runs at the same time", async () => {
    const { ws, channel } = await desk();
    await ctx.services.sla.createPolicy(ws.ownerActor, {
      name: 'Everyone',
      position: 0,
      targets: { first_response: 60, resolution: 2400 },
    });
    for (let pass = 0; pass < 10; pass++) {
      const r = await ctx.services.tickets.receive(mail(channel, `sla${pass}@example.com`));
      if (r.outcome !== 'created') throw new Error('expected a new ticket');
      const id = r.ticket.id;
      await ctx.database.db.execute(
        sql`update tickets set sla_next_check_at = now() - interval '1 second' where workspace_id = ${ws.workspace.id} and id = ${id}`,
      );
      await Promise.all([
        slaCheckJob.handler({}, { db: ctx.database.db, jobId: 'x', workspaceId: ws.workspace.id, attempt: 1 }),
        ctx.services.tickets.reply(ws.ownerActor, id, { text: 'On it.' }),
      ]);
      const stored = rowsOf<{ sla: Array<{ metric: string; state: string }> }>(
        await ctx.database.db.execute(
          sql`select sla from tickets where workspace_id = ${ws.workspace.id} and id = ${id}`,
        ),
      )[0];
      expect(stored?.sla.find((x) => x.metric === 'first_response')?.state).toBe('met');
    }
  });

  it('makes one person of a new address that writes twice at once', async () => {
    const { ws, channel } = await desk();
    for (let pass = 0; pass < 10; pass++) {
      const from = `new${pass}@example.com`;
      await Promise.all([
        ctx.services.tickets.receive(mail(channel, from)),
        ctx.services.tickets.receive(mail(channel, from, { subject: 'And another thing' })),
      ]);
      const found = rowsOf<{ n: number }>(
        await ctx.database.db.execute(
          sql`select count(*)::int as n from people where workspace_id = ${ws.workspace.id} and emails @> array[${from}]::text[]`,
        ),
      );
      expect(found[0]?.n).toBe(1);
    }
  });
});

describe.each(testEngines())('concurrent chat messages on %s', (engine) => {
  const ctx = useTestApp(engine);

  it('opens one ticket for a chat thread whose first two messages come at once', async () => {
    const ws = await makeWorkspace(ctx.services);
    const created = await ctx.services.channels.create(ws.ownerActor, { kind: 'chat', name: 'Website chat' });
    const channel = await ctx.services.channels.get(ws.ownerActor, created.id);
    for (let pass = 0; pass < 10; pass++) {
      const threadKey = crypto.randomUUID();
      const say = (text: string) =>
        ctx.services.tickets.receive({ channel, from: { name: 'Visitor' }, text, externalThreadId: threadKey });
      await Promise.all([say('Hello?'), say('Anyone there?')]);
      const found = rowsOf<{ n: number }>(
        await ctx.database.db.execute(
          sql`select count(distinct ticket_id)::int as n from conversations where workspace_id = ${ws.workspace.id} and external_id = ${threadKey}`,
        ),
      );
      expect(found[0]?.n).toBe(1);
    }
  });
});
