import crypto from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, useTestApp } from '../../test/app.ts';
import { testEngines } from '../../test/db.ts';
import { makeUser, makeWorkspace, testPassword, type TestWorkspace } from '../../test/factories.ts';
import { apiRoutes } from '../../test/routes.ts';
import { rolePermissions, type Actor } from '../domain/permissions.ts';
import { sessionCookieName } from '../modules/auth/auth.service.ts';
import { verifyPassword } from '../modules/auth/passwords.ts';
import { findUser } from '../modules/users/users.repository.ts';
import { insertDeliveries, insertEndpoint } from '../modules/webhooks/webhooks.repository.ts';
import { insertImport, insertImportRows } from '../modules/imports/imports.repository.ts';
import { runImport } from '../modules/imports/imports.service.ts';
import { insertView } from '../modules/views/views.repository.ts';
import { enqueueJob } from '../jobs/queue.ts';
import { newId } from '../db/ids.ts';
import { rebuildMetricRollups } from '../modules/metrics/metrics.rollup.ts';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.ts';
import { saveModel } from '../modules/predictions/predictions.repository.ts';
import { saveStageRules } from '../modules/predictions/stage-rules.ts';

/**
 * Workspace isolation, route by route: a principal of workspace A (its owner's API key, and its owner's console
 * session — both hold every permission) can neither read nor change anything of workspace B. Every /api/v1 route
 * of the OpenAPI document must have a check here; a new route fails the suite until it gets one.
 */

type Headers = Record<string, string>;
type Principal = { name: 'API key' | 'session'; headers: Headers };
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Listed = { data: Array<{ id: string } & Record<string, unknown>> };
type EventList = { data: Array<{ id: string; subjectId: string }> };
type Session = { id: string; userId: string };

const uuidBytes = (u: string) => Buffer.from(u.replace(/-/g, ''), 'hex');

// Test webhooks point at the loopback interface, which deliveries refuse by default (webhooks.network.ts).
vi.stubEnv('RAPPORT_WEBHOOK_PRIVATE_NETWORKS', 'allow');
afterAll(() => {
  vi.unstubAllEnvs();
});

describe.each(testEngines())('tenancy on %s', (engine) => {
  const ctx = useTestApp(engine);

  let a: TestWorkspace;
  let b: TestWorkspace;
  let aKey: string;
  let aKeyId: string;
  let aCookie: string;
  let bKey: string;
  let bAgentEmail: string;
  /** Every object of B, by kind. */
  const bIds = {
    users: [] as string[],
    apiKeys: [] as string[],
    sessions: [] as string[],
    workspace: '',
    people: [] as string[],
    companies: [] as string[],
    notes: [] as string[],
    customFields: [] as string[],
    tickets: [] as string[],
    conversations: [] as string[],
    messages: [] as string[],
    attachments: [] as string[],
    channels: [] as string[],
    teams: [] as string[],
    slaPolicies: [] as string[],
    calendars: [] as string[],
    rules: [] as string[],
    macros: [] as string[],
    checklistSteps: [] as string[],
  };
  /** A's own customer objects, for the control calls that must succeed. */
  const aIds = { person: '', company: '', note: '', customField: '' };
  /** Each workspace's service desk: a team with its agent, an e-mail channel, a ticket with three messages and a file. */
  type Desk = {
    team: string;
    channel: string;
    address: string;
    ticket: string;
    number: number;
    attachment: string;
    calendar: string;
    policy: string;
    rule: string;
  };
  const aDesk = {} as Desk;
  const bDesk = {} as Desk;
  let aAgentId = '';
  /** Knowledge base of both: B's category, published article, draft and ticket; A's category and article. */
  const kbIds = { bCategory: '', bArticle: '', bDraft: '', bTicket: '', aCategory: '', aArticle: '' };
  /**
   * Commerce of both: B's product, order (refunded in part) and subscription, with B's external ids; A's own, for the
   * controls. Both customers carry the same shop customer id.
   */
  const commerceIds = { bProduct: '', bOrder: '', bSubscription: '', aProduct: '', aOrder: '', aSubscription: '' };
  const bCommerceKeys = { sku: 'B-SKU-1', product: 'b-product-1', order: 'b-order-1', subscription: 'b-sub-1' };
  /** Words only B's articles contain, and their public addresses. */
  const bKbWords = 'zanzibarcrux quokkafjord';
  const bKbSlugs = ['b-secret-returns', 'b-secret-draft'];
  let principals: Principal[];

  async function signIn(email: string, workspace?: string): Promise<{ cookie: string; sessionId: string }> {
    const { token, session } = await ctx.services.auth.login({ email, password: testPassword, workspace });
    return { cookie: `${sessionCookieName}=${token}`, sessionId: session.id };
  }

  /** An API key with every permission of its user, and its id. */
  async function makeKey(actor: Actor): Promise<{ id: string; token: string }> {
    const { key, token } = await ctx.services.apiKeys.create(actor, {
      name: 'tenancy',
      scopes: [...rolePermissions[actor.role]],
    });
    return { id: key.id, token };
  }

  function call(method: Method, url: string, headers: Headers, payload?: object): Promise<LightMyRequestResponse> {
    return ctx.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  }

  async function getJson<T>(url: string, headers: Headers): Promise<T> {
    const res = await call('GET', url, headers);
    expect(res.statusCode, `GET ${url}: ${res.body}`).toBe(200);
    return res.json<T>();
  }

  /** Everything B can see of itself, read with B's own key. Key usage times are left out (reading touches them). */
  async function snapshotOfB(): Promise<unknown> {
    const h = bearer(bKey);
    const keys = await getJson<Listed>('/api/v1/api-keys?include_revoked=true', h);
    return {
      users: await getJson<unknown>('/api/v1/users?limit=200', h),
      keys: keys.data.map(({ lastUsedAt: _ignored, ...k }) => k),
      sessions: await getJson<unknown>('/api/v1/sessions?all=true', h),
      workspace: await getJson<unknown>('/api/v1/workspace', h),
      events: await getJson<unknown>('/api/v1/events?limit=200', h),
      me: await getJson<unknown>('/api/v1/me', h),
      people: await getJson<unknown>('/api/v1/people?limit=200', h),
      companies: await getJson<unknown>('/api/v1/companies?limit=200', h),
      customFields: await getJson<unknown>('/api/v1/custom-fields', h),
      tickets: await getJson<unknown>('/api/v1/tickets?limit=200&sort=number', h),
      ticketDetails: await Promise.all(bIds.tickets.map((id) => getJson<unknown>(`/api/v1/tickets/${id}`, h))),
      queues: await getJson<unknown>('/api/v1/tickets/queues', h),
      channels: await getJson<unknown>('/api/v1/channels', h),
      teams: await getJson<unknown>('/api/v1/teams', h),
      slaPolicies: await getJson<unknown>('/api/v1/sla-policies', h),
      calendars: await getJson<unknown>('/api/v1/business-calendars', h),
      rules: await getJson<unknown>('/api/v1/rules', h),
      kbCategories: await getJson<unknown>('/api/v1/kb/categories', h),
      kbArticles: await getJson<unknown>('/api/v1/kb/articles?limit=200', h),
      macros: await getJson<unknown>('/api/v1/macros', h),
      products: await getJson<unknown>('/api/v1/products?limit=200', h),
      orders: await getJson<unknown>('/api/v1/orders?limit=200', h),
      orderDetails: commerceIds.bOrder ? await getJson<unknown>(`/api/v1/orders/${commerceIds.bOrder}`, h) : null,
      subscriptions: await getJson<unknown>('/api/v1/subscriptions?limit=200', h),
      predictionModels: await getJson<unknown>('/api/v1/predictions/models', h),
      stageRules: await getJson<unknown>('/api/v1/predictions/stage-rules', h),
      sops: await getJson<unknown>('/api/v1/sop-checklists', h),
      checklists: await Promise.all(bIds.tickets.map((id) => getJson<unknown>(`/api/v1/tickets/${id}/checklist`, h))),
      personDetails: await Promise.all(
        bIds.people.map(async (id) => ({
          notes: await getJson<unknown>(`/api/v1/people/${id}/notes`, h),
          consent: await getJson<unknown>(`/api/v1/people/${id}/consent`, h),
          timeline: await getJson<unknown>(`/api/v1/people/${id}/timeline?limit=200`, h),
          predictions: await getJson<unknown>(`/api/v1/people/${id}/predictions?history=true`, h),
        })),
      ),
    };
  }

  function allIdsOfB(): string[] {
    return [
      ...bIds.users,
      ...bIds.apiKeys,
      ...bIds.sessions,
      bIds.workspace,
      ...bIds.people,
      ...bIds.companies,
      ...bIds.notes,
      ...bIds.customFields,
      ...bIds.tickets,
      ...bIds.conversations,
      // One message stands for its kind (all three are checked where messages are named: split).
      ...bIds.messages.slice(0, 1),
      ...bIds.attachments,
      ...bIds.channels,
      ...bIds.teams,
      ...bIds.slaPolicies,
      ...bIds.calendars,
      ...bIds.rules,
      ...bIds.macros,
      ...bIds.checklistSteps,
    ];
  }

  /** A's request on every object of B, whatever its kind: never found, never a 2xx. */
  async function refusedOnEveryIdOfB(
    p: Principal,
    method: Method,
    path: (id: string) => string,
    payload?: object,
  ): Promise<void> {
    for (const id of allIdsOfB()) {
      const res = await call(method, path(id), p.headers, payload);
      expect([403, 404], `${p.name}: ${method} ${path(id)} -> ${res.statusCode} ${res.body}`).toContain(res.statusCode);
      expect(res.json<{ error: { code: string } }>().error.code).toMatch(/^(not_found|forbidden)$/);
    }
  }

  beforeAll(async () => {
    a = await makeWorkspace(ctx.services);
    b = await makeWorkspace(ctx.services);
    const aOwnerKey = await makeKey(a.ownerActor);
    aKey = aOwnerKey.token;
    aKeyId = aOwnerKey.id;
    aCookie = (await signIn(a.owner.email)).cookie;
    aAgentId = (await makeUser(ctx.services, a, { role: 'agent' })).user.id;

    const bOwnerKey = await makeKey(b.ownerActor);
    bKey = bOwnerKey.token;
    const bAgent = await makeUser(ctx.services, b, { role: 'agent' });
    bAgentEmail = bAgent.user.email;
    const bAgentKey = await makeKey(bAgent.actor);
    const bOwnerSession = await signIn(b.owner.email);
    const bAgentSession = await signIn(bAgent.user.email);
    bIds.users = [b.owner.id, bAgent.user.id];
    bIds.apiKeys = [bOwnerKey.id, bAgentKey.id];
    bIds.sessions = [bOwnerSession.sessionId, bAgentSession.sessionId];
    bIds.workspace = b.workspace.id;

    // Customer data of both workspaces.
    for (const [ws, ids] of [
      [b, null],
      [a, aIds],
    ] as const) {
      const field = await ctx.services.fields.create(ws.ownerActor, {
        entity: 'person',
        label: 'Plan',
        type: 'select',
        options: ['free', 'pro'],
      });
      const company = await ctx.services.companies.create(ws.ownerActor, {
        name: `Tenancy Co ${ws.workspace.slug}`,
        domain: 'tenancy.example',
      });
      const person = await ctx.services.people.create(ws.ownerActor, {
        firstName: 'Tess',
        lastName: 'Tenant',
        emails: ['tess@tenancy.example'],
        tags: ['shared-tag'],
        custom: { plan: 'pro' },
        companies: [{ companyId: company.id, title: 'Buyer' }],
      });
      await ctx.services.people.setConsent(ws.ownerActor, person.person.id, {
        channel: 'email',
        purpose: 'marketing',
        status: 'granted',
        source: 'form',
      });
      const note = await ctx.services.people.addNote(ws.ownerActor, person.person.id, 'A note');
      if (ids)
        Object.assign(ids, { person: person.person.id, company: company.id, note: note.id, customField: field.id });
      else {
        bIds.people.push(person.person.id);
        bIds.companies.push(company.id);
        bIds.notes.push(note.id);
        bIds.customFields.push(field.id);
      }
    }

    // The service desk of both workspaces.
    for (const [ws, desk, agentId] of [
      [b, bDesk, bAgent.user.id],
      [a, aDesk, aAgentId],
    ] as const) {
      const personId = ws === b ? (bIds.people[0] ?? '') : aIds.person;
      const team = await ctx.services.teams.create(ws.ownerActor, { name: 'Tenancy team', memberIds: [agentId] });
      const address = `desk-${ws.workspace.slug}@tenancy.test`;
      const channel = await ctx.services.channels.create(ws.ownerActor, { kind: 'email', name: 'Desk', address });
      // A ticket field only B has: A can neither filter on it nor write it.
      if (ws === b) {
        const bField = await ctx.services.fields.create(b.ownerActor, {
          entity: 'ticket',
          label: 'B order',
          type: 'text',
        });
        bIds.customFields.push(bField.id);
      }
      const ticket = await ctx.services.tickets.create(ws.ownerActor, {
        subject: 'Tenancy ticket',
        requester: { personId },
        text: 'The tenancy kettle leaks.',
        channel: 'email',
        teamId: team.id,
        tags: ['shared-tag'],
        ...(ws === b ? { custom: { b_order: 'B-1' } } : {}),
      });
      const reply = await ctx.services.tickets.reply(ws.ownerActor, ticket.id, { text: 'Send us a photo.' });
      const answer = await ctx.services.tickets.receive({
        channel,
        from: { email: 'tess@tenancy.example' },
        subject: 'Re: Tenancy ticket',
        text: 'Here it is.',
        emailMessageId: `photo-${ws.workspace.slug}@mail.tenancy.example`,
        replyTo: [reply.message.emailMessageId ?? ''],
        attachments: [
          { fileName: 'leak.jpg', contentType: 'image/jpeg', content: Buffer.from(`leak of ${ws.workspace.slug}`) },
        ],
      });
      if (answer.outcome === 'ignored' || answer.ticket.id !== ticket.id) throw new Error('the answer did not thread');
      const full = await ctx.services.tickets.get(ws.ownerActor, ticket.id);
      const calendar = await ctx.services.sla.createCalendar(ws.ownerActor, {
        name: 'Tenancy hours',
        timeZone: 'Europe/Lisbon',
        weekly: [{ day: 1, start: '09:00', end: '17:00' }],
      });
      const policy = await ctx.services.sla.createPolicy(ws.ownerActor, {
        name: 'Tenancy SLA',
        calendarId: calendar.id,
        targets: { first_response: 60 },
      });
      await ctx.services.tickets.logCall(ws.ownerActor, {
        callId: 'tenancy-call',
        event: 'started',
        direction: 'inbound',
        customerPhone: '+351912000111',
      });
      const rule = await ctx.services.rules.create(ws.ownerActor, {
        name: 'Tenancy rule',
        trigger: 'ticket.created',
        conditions: [{ field: 'text', op: 'contains_any', value: ['tenancy-escalate'] }],
        actions: [{ type: 'escalate', priority: 'urgent', teamId: team.id, reason: 'tenancy' }],
      });
      Object.assign(desk, {
        rule: rule.id,
        calendar: calendar.id,
        policy: policy.id,
        team: team.id,
        channel: channel.id,
        address,
        ticket: ticket.id,
        number: ticket.number,
        attachment: full.attachments[0]?.id ?? '',
      });
      if (ws === b) {
        bIds.teams.push(team.id);
        bIds.channels.push(channel.id);
        bIds.slaPolicies.push(policy.id);
        bIds.calendars.push(calendar.id);
        bIds.rules.push(rule.id);
        bIds.tickets.push(ticket.id);
        bIds.conversations.push(...full.conversations.map((c) => c.id));
        bIds.messages.push(...full.messages.map((m) => m.id));
        bIds.attachments.push(...full.attachments.map((x) => x.id));
      }
    }
    expect(bIds.messages).toHaveLength(3);
    expect(bIds.attachments).toHaveLength(1);
    // Knowledge base of both workspaces: same slugs in each, B's with words only B has.
    const bCat = await ctx.services.kb.createCategory(b.ownerActor, { name: 'B returns' });
    const bArticle = await ctx.services.kb.create(b.ownerActor, {
      title: `Returns ${bKbWords}`,
      slug: bKbSlugs[0],
      body: `How to send back a ${bKbWords} parcel.`,
      categoryId: bCat.id,
      tags: ['zanzibarcrux'],
      status: 'published',
    });
    const bDraft = await ctx.services.kb.create(b.ownerActor, {
      title: `Draft ${bKbWords}`,
      slug: bKbSlugs[1],
      body: `Unpublished ${bKbWords} notes.`,
    });
    const bTicket = await ctx.services.tickets.create(b.ownerActor, {
      subject: `Where is my ${bKbWords}?`,
      requester: { email: 'tess@tenancy.example' },
      text: `My ${bKbWords} parcel has not arrived.`,
    });
    const aCat = await ctx.services.kb.createCategory(a.ownerActor, { name: 'A returns' });
    const aArticle = await ctx.services.kb.create(a.ownerActor, {
      title: 'Returns at A',
      slug: 'a-returns',
      body: 'How to send back a parcel to A.',
      categoryId: aCat.id,
      status: 'published',
    });
    Object.assign(kbIds, {
      bCategory: bCat.id,
      bArticle: bArticle.id,
      bDraft: bDraft.id,
      bTicket: bTicket.id,
      aCategory: aCat.id,
      aArticle: aArticle.id,
    });

    principals = [
      { name: 'API key', headers: bearer(aKey) },
      { name: 'session', headers: { cookie: aCookie } },
    ];
  });

  /**
   * Macros and SOP checklists of both workspaces: a macro each (B's assigns B's agent and team), the same ticket type
   * with an SOP in both, and each desk ticket moved to that type so it carries a checklist.
   */
  const aMacros = { macro: '', step: '' };
  beforeAll(async () => {
    for (const [ws, desk] of [
      [b, bDesk],
      [a, aDesk],
    ] as const) {
      const agentId = ws === b ? (bIds.users[1] ?? '') : aAgentId;
      const macro = await ctx.services.macros.create(ws.ownerActor, {
        name: 'Tenancy macro',
        body: 'Hello {{customer.first_name|there}}, this is {{workspace.name}}.',
        actions: { assigneeId: agentId, teamId: desk.team, addTags: ['macro'] },
      });
      await ctx.services.sops.put(ws.ownerActor, 'complaint', {
        steps: [{ text: ws === b ? 'B secret step' : 'A step', required: true }],
      });
      await ctx.services.tickets.update(ws.ownerActor, desk.ticket, { type: 'complaint' });
      const checklist = await ctx.services.sops.checklist(ws.ownerActor, desk.ticket);
      if (ws === b) {
        bIds.macros.push(macro.id);
        bIds.checklistSteps.push(...checklist.steps.map((x) => x.id));
      } else Object.assign(aMacros, { macro: macro.id, step: checklist.steps[0]?.id ?? '' });
    }
    expect(bIds.checklistSteps).toHaveLength(1);
  });

  beforeAll(async () => {
    for (const ws of [b, a]) {
      const product = await ctx.services.products.upsert(ws.ownerActor, bCommerceKeys.product, {
        sku: bCommerceKeys.sku,
        name: 'Tenancy kettle',
        price: '40.00',
        currency: 'EUR',
      });
      const order = await ctx.services.orders.upsert(ws.ownerActor, bCommerceKeys.order, {
        customer: { externalId: 'tenancy-customer', email: 'tess@tenancy.example' },
        currency: 'EUR',
        lines: [{ productId: product.product.id, quantity: 2 }],
      });
      await ctx.services.orders.refund(ws.ownerActor, order.order.id, { amount: '10' });
      const subscription = await ctx.services.subscriptions.upsert(ws.ownerActor, bCommerceKeys.subscription, {
        personId: ws === b ? bIds.people[0] : aIds.person,
        plan: 'Tenancy plan',
        mrr: '9.00',
        currency: 'EUR',
      });
      expect(order.order.personId).toBe(ws === b ? bIds.people[0] : aIds.person);
      if (ws === b)
        Object.assign(commerceIds, {
          bProduct: product.product.id,
          bOrder: order.order.id,
          bSubscription: subscription.subscription.id,
        });
      else
        Object.assign(commerceIds, {
          aProduct: product.product.id,
          aOrder: order.order.id,
          aSubscription: subscription.subscription.id,
        });
    }
  });

  /** A's request on B's product, order and subscription, and on every other object of B: refused. */
  async function refusedOnCommerceOfB(p: Principal, method: Method, path: (id: string) => string, payload?: object) {
    for (const id of [commerceIds.bProduct, commerceIds.bOrder, commerceIds.bSubscription]) {
      const res = await call(method, path(id), p.headers, payload);
      expect([403, 404], `${p.name}: ${method} ${path(id)} -> ${res.statusCode} ${res.body}`).toContain(res.statusCode);
      expect(res.json<{ error: { code: string } }>().error.code).toMatch(/^(not_found|forbidden)$/);
    }
    await refusedOnEveryIdOfB(p, method, path, payload);
  }

  /** No id of B's commerce in a list. */
  function noCommerceOfB(items: Array<{ id: string }>, what: string) {
    const ids = items.map((x) => x.id);
    for (const id of [commerceIds.bProduct, commerceIds.bOrder, commerceIds.bSubscription])
      expect(ids, what).not.toContain(id);
  }

  /** A suffix of the principal's own, for records each principal's run creates. */
  const own = (p: Principal) => (p.name === 'session' ? 's' : 'k');

  async function aUserIds(): Promise<string[]> {
    return (await getJson<Listed>('/api/v1/users?limit=200', bearer(aKey))).data.map((u) => u.id);
  }

  /** B's saved view and background job, written straight to the database (no events, so B's snapshot holds). */
  let bExtras: { view: string; job: string } | null = null;
  async function extrasOfB(): Promise<{ view: string; job: string }> {
    if (bExtras) return bExtras;
    const view = await insertView(ctx.database.db, {
      workspaceId: b.workspace.id,
      id: newId(),
      entity: 'person',
      name: 'B view',
      query: { filter: [] },
      ownerId: b.owner.id,
      shared: true,
    });
    const job = await enqueueJob(
      ctx.database.db,
      b.workspace.id,
      'tenancy.noop',
      {},
      { runAt: new Date(Date.now() + 86_400_000) },
    );
    bExtras = { view: view.id, job: job ?? '' };
    return bExtras;
  }

  /** A's request on B's view and job, and on every other object of B. */
  async function refusedOnExtrasOfB(
    p: Principal,
    method: Method,
    path: (id: string) => string,
    payload?: object,
  ): Promise<void> {
    const x = await extrasOfB();
    for (const id of [x.view, x.job]) {
      const res = await call(method, path(id), p.headers, payload);
      expect([403, 404], `${p.name}: ${method} ${path(id)} -> ${res.statusCode} ${res.body}`).toContain(res.statusCode);
    }
    await refusedOnEveryIdOfB(p, method, path, payload);
  }

  type Pair = { a: { id: string }; b: { id: string } };

  /** B's import (written straight to the database: no events, so B's snapshot holds) and A's own uploads. */
  let bImport = '';
  async function importOfB(): Promise<string> {
    if (bImport) return bImport;
    bImport = crypto.randomUUID();
    await insertImport(ctx.database.db, {
      workspaceId: b.workspace.id,
      id: bImport,
      entity: 'person',
      status: 'dry_run_done',
      mode: 'dry_run',
      fileName: 'b.csv',
      filePath: '/nonexistent/b.csv',
      fileSize: 10,
      fileSha256: 'x',
      encoding: 'utf-8',
      headers: ['email'],
      mapping: { email: 'emails' },
      matchOn: 'email',
      totalRows: 1,
      processedRows: 1,
      created: 1,
      actorType: 'system',
    });
    await insertImportRows(ctx.database.db, [
      {
        workspaceId: b.workspace.id,
        importId: bImport,
        mode: 'dry_run',
        rowNumber: 1,
        line: 2,
        action: 'create',
        summary: 'tess@tenancy.example',
      },
    ]);
    return bImport;
  }

  /** A CSV upload of A's, whose only row has the email of B's person. */
  async function uploadOfA(p: Principal): Promise<string> {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/imports?entity=person',
      headers: { ...p.headers, 'content-type': 'text/csv' },
      payload: 'email,first name\ntess@tenancy.example,Imported\n',
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  }

  async function refusedOnImportOfB(p: Principal, method: Method, path: (id: string) => string, payload?: object) {
    const res = await call(method, path(await importOfB()), p.headers, payload);
    expect([403, 404], `${p.name}: ${method} ${path(bImport)} -> ${res.statusCode} ${res.body}`).toContain(
      res.statusCode,
    );
    await refusedOnEveryIdOfB(p, method, path, payload);
  }

  /**
   * B's webhook with one delivery (written straight to the database: no events, so B's snapshot holds) and A's own
   * webhook with a delivery, for the controls. Both point at a closed loopback port: nothing leaves the machine.
   */
  let hooks: { b: string; bDelivery: string; a: string; aDelivery: string } | null = null;
  async function webhooksOfAB(): Promise<{ b: string; bDelivery: string; a: string; aDelivery: string }> {
    if (hooks) return hooks;
    const bHook = await insertEndpoint(ctx.database.db, {
      workspaceId: b.workspace.id,
      id: crypto.randomUUID(),
      url: 'http://127.0.0.1:1/b',
      secret: 'whsec_tenancy_b',
      eventTypes: ['*'],
    });
    const [bDelivery] = await insertDeliveries(ctx.database.db, [
      {
        workspaceId: b.workspace.id,
        id: crypto.randomUUID(),
        endpointId: bHook.id,
        eventId: crypto.randomUUID(),
        eventType: 'person.created',
        requestBody: '{}',
      },
    ]);
    const aHook = await ctx.services.webhooks.create(a.ownerActor, { url: 'http://127.0.0.1:1/a', eventTypes: ['*'] });
    const aDelivery = (await ctx.services.webhooks.sendTest(a.ownerActor, aHook.id)).delivery.id;
    hooks = { b: bHook.id, bDelivery: bDelivery?.id ?? '', a: aHook.id, aDelivery };
    return hooks;
  }

  /** B's webhook, its secret and its delivery with every attempt, as B sees them. */
  async function webhookStateOfB(): Promise<unknown> {
    const h = await webhooksOfAB();
    const hk = bearer(bKey);
    return {
      list: await getJson<unknown>('/api/v1/webhooks', hk),
      secret: await getJson<unknown>(`/api/v1/webhooks/${h.b}/secret`, hk),
      deliveries: await getJson<unknown>(`/api/v1/webhooks/${h.b}/deliveries`, hk),
      delivery: await getJson<unknown>(`/api/v1/webhooks/${h.b}/deliveries/${h.bDelivery}`, hk),
    };
  }

  /** A's request on B's webhook and on every other object of B: refused, and B's webhook state unchanged. */
  async function refusedOnWebhooksOfB(
    p: Principal,
    method: Method,
    path: (id: string) => string,
    payload?: object,
  ): Promise<void> {
    const h = await webhooksOfAB();
    const before = await webhookStateOfB();
    const res = await call(method, path(h.b), p.headers, payload);
    expect([403, 404], `${p.name}: ${method} ${path(h.b)} -> ${res.statusCode} ${res.body}`).toContain(res.statusCode);
    await refusedOnEveryIdOfB(p, method, path, payload);
    expect(await webhookStateOfB()).toEqual(before);
  }

  /** A's request on B's delivery, through B's webhook and through A's own: refused, B's delivery unchanged. */
  async function refusedOnDeliveryOfB(p: Principal, method: Method, suffix: string): Promise<void> {
    const h = await webhooksOfAB();
    const before = await webhookStateOfB();
    for (const hook of [h.b, h.a]) {
      const url = `/api/v1/webhooks/${hook}/deliveries/${h.bDelivery}${suffix}`;
      const res = await call(method, url, p.headers);
      expect(res.statusCode, `${p.name}: ${method} ${url} -> ${res.body}`).toBe(404);
    }
    expect(await webhookStateOfB()).toEqual(before);
  }

  /** A new ticket of A's with two messages (the customer's and a reply), for merge and split controls. */
  async function ticketOfA(): Promise<{ id: string; messages: string[] }> {
    const t = await ctx.services.tickets.create(a.ownerActor, {
      subject: 'A control ticket',
      requester: { personId: aIds.person },
      text: 'Control question.',
    });
    await ctx.services.tickets.reply(a.ownerActor, t.id, { text: 'Control answer.' });
    const full = await ctx.services.tickets.get(a.ownerActor, t.id);
    return { id: t.id, messages: full.messages.map((m) => m.id) };
  }

  /** A's request naming B's object inside the body (for every id of B): refused with 400, 404 or 409. */
  async function refusedWithIdsOfBInBody(
    p: Principal,
    method: Method,
    url: string,
    body: (id: string) => object,
    statuses: number[],
  ): Promise<void> {
    for (const id of allIdsOfB()) {
      const res = await call(method, url, p.headers, body(id));
      expect(
        statuses,
        `${p.name}: ${method} ${url} ${JSON.stringify(body(id))} -> ${res.statusCode} ${res.body}`,
      ).toContain(res.statusCode);
    }
  }

  const ticketIdsOf = async (url: string, headers: Headers) =>
    (await getJson<Listed>(url, headers)).data.map((t) => t.id);

  /** The ticket list and its summaries answer the same queries: neither reaches B's tickets. */
  const ticketListChecks = async (p: Principal, base: string) => {
    const queries = [
      '?limit=200',
      '?q=tenancy',
      `?q=%23${bDesk.number}`,
      '?filter=tag:eq:shared-tag',
      '?queue=unassigned',
      '?queue=open',
      ...bIds.people.map((id) => `?filter=person_id:eq:${id}`),
      ...bIds.users.map((id) => `?filter=assignee_id:eq:${id}`),
      ...bIds.teams.map((id) => `?filter=team_id:eq:${id}`),
    ];
    if (p.name === 'session') queries.push('?queue=mine', '?queue=my_teams');
    for (const q of queries) {
      const ids = await ticketIdsOf(`${base}${q}`, p.headers);
      for (const id of ids) expect(bIds.tickets, q).not.toContain(id);
    }
    expect(await ticketIdsOf(`${base}?q=tenancy`, p.headers)).toContain(aDesk.ticket);
    // B's ticket fields are no fields of A's list.
    expect((await call('GET', `${base}?filter=custom.b_order:eq:B-1`, p.headers)).statusCode).toBe(400);
    // B's cursor does not open B's rows either.
    const bPage = await getJson<{ page: { nextCursor: string | null } }>(`${base}?limit=1`, bearer(bKey));
    if (bPage.page.nextCursor)
      for (const id of await ticketIdsOf(`${base}?cursor=${bPage.page.nextCursor}`, p.headers))
        expect(bIds.tickets).not.toContain(id);
  };

  /** How each /api/v1 route is checked, by "METHOD path" exactly as the OpenAPI document spells it. */
  const checks: Record<string, (p: Principal) => Promise<void>> = {
    'GET /api/v1/setup': async (p) => {
      const res = await call('GET', '/api/v1/setup', p.headers);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ needed: false });
    },

    'POST /api/v1/setup': async (p) => {
      const res = await call('POST', '/api/v1/setup', p.headers, {
        workspaceName: 'Takeover',
        name: 'Mallory',
        email: `mallory-${p.name.replace(' ', '')}@example.com`,
        password: testPassword,
      });
      expect(res.statusCode).toBe(409);
    },

    'POST /api/v1/auth/login': async (p) => {
      // B's credentials cannot open a session in A, nor A's in B.
      const intoA = await call('POST', '/api/v1/auth/login', p.headers, {
        email: b.owner.email,
        password: testPassword,
        workspace: a.workspace.slug,
      });
      expect(intoA.statusCode).toBe(401);
      const intoB = await call('POST', '/api/v1/auth/login', p.headers, {
        email: a.owner.email,
        password: testPassword,
        workspace: b.workspace.slug,
      });
      expect(intoB.statusCode).toBe(401);
      expect(intoB.headers['set-cookie']).toBeUndefined();
    },

    'POST /api/v1/auth/logout': async (p) => {
      // Signing out touches only the caller's own session cookie; B's sessions stay (checked by the snapshot).
      const headers = p.name === 'session' ? { cookie: (await signIn(a.owner.email)).cookie } : p.headers;
      const res = await call('POST', '/api/v1/auth/logout', headers);
      expect(res.statusCode).toBe(204);
    },

    'GET /api/v1/me': async (p) => {
      const me = await getJson<{ workspace: { id: string }; user: { id: string } | null }>('/api/v1/me', p.headers);
      expect(me.workspace.id).toBe(a.workspace.id);
      if (me.user) expect(me.user.id).toBe(a.owner.id);
    },

    'GET /api/v1/sessions': async (p) => {
      const aUsers = await aUserIds();
      for (const q of ['', '?all=true', '?all=false']) {
        const list = await getJson<{ data: Session[] }>(`/api/v1/sessions${q}`, p.headers);
        for (const s of list.data) {
          expect(bIds.sessions).not.toContain(s.id);
          expect(aUsers).toContain(s.userId);
        }
      }
      const all = await getJson<{ data: Session[] }>('/api/v1/sessions?all=true', p.headers);
      expect(all.data.length).toBeGreaterThan(0);
    },

    'DELETE /api/v1/sessions/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/sessions/${id}`);
      // Control: the same request on a session of A works.
      const mine = await signIn(a.owner.email);
      expect((await call('DELETE', `/api/v1/sessions/${mine.sessionId}`, p.headers)).statusCode).toBe(204);
    },

    'GET /api/v1/users': async (p) => {
      const aUsers = await aUserIds();
      const list = await getJson<Listed>('/api/v1/users?limit=200', p.headers);
      expect(list.data.map((u) => u.id).sort()).toEqual([...aUsers].sort());
      for (const u of list.data) expect(bIds.users).not.toContain(u.id);
      for (const email of [b.owner.email, bAgentEmail]) {
        const q = new URLSearchParams({ filter: `email:eq:${email}` });
        const filtered = await getJson<Listed>(`/api/v1/users?${q.toString()}`, p.headers);
        expect(filtered.data.every((u) => !bIds.users.includes(u.id))).toBe(true);
      }
      // Paging with a cursor of B's list does not reveal B's rows either.
      const bPage = await getJson<{ page: { nextCursor: string | null } }>('/api/v1/users?limit=1', bearer(bKey));
      expect(bPage.page.nextCursor).not.toBeNull();
      const withB = await getJson<Listed>(`/api/v1/users?cursor=${bPage.page.nextCursor ?? ''}`, p.headers);
      for (const u of withB.data) expect(bIds.users).not.toContain(u.id);
    },

    'POST /api/v1/users': async (p) => {
      // A user with the email of one of B's lands in A (emails are unique per workspace, not across them).
      const email = p.name === 'API key' ? b.owner.email : bAgentEmail;
      const idem = `tenancy-${p.name.replace(' ', '-')}`;
      const res = await call(
        'POST',
        '/api/v1/users',
        { ...p.headers, 'idempotency-key': idem },
        { email, name: 'Twin', role: 'viewer' },
      );
      expect(res.statusCode, res.body).toBe(201);
      const created = res.json<{ user: { id: string } }>().user.id;
      expect(await aUserIds()).toContain(created);
      // The same Idempotency-Key in B is B's own: a new request, neither a replay of A's answer nor a conflict.
      const inB = await call(
        'POST',
        '/api/v1/users',
        { ...bearer(bKey), 'idempotency-key': idem },
        { email: `b-twin-${p.name.replace(' ', '')}@example.com`, name: 'B twin', role: 'viewer' },
      );
      expect(inB.statusCode).toBe(201);
      expect(inB.headers['idempotent-replayed']).toBeUndefined();
      const bUser = inB.json<{ user: { id: string } }>().user.id;
      expect(bUser).not.toBe(created);
      bIds.users.push(bUser);
    },

    'GET /api/v1/users/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/users/${id}`);
      expect((await call('GET', `/api/v1/users/${a.owner.id}`, p.headers)).statusCode).toBe(200);
    },

    'PATCH /api/v1/users/{id}': async (p) => {
      const change = { name: 'Hijacked', role: 'viewer', status: 'disabled' };
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/users/${id}`, change);
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/users/${id}`, { name: 'Hijacked' });
      const mine = await makeUser(ctx.services, a);
      expect((await call('PATCH', `/api/v1/users/${mine.user.id}`, p.headers, change)).statusCode).toBe(200);
    },

    'PUT /api/v1/users/{id}/password': async (p) => {
      const body = { currentPassword: testPassword, newPassword: 'hijacked-password-1' };
      await refusedOnEveryIdOfB(p, 'PUT', (id) => `/api/v1/users/${id}/password`, body);
      // B's people keep their own password.
      for (const id of bIds.users) {
        const u = await findUser(ctx.database.db, b.workspace.id, id);
        expect(await verifyPassword(u?.passwordHash ?? '', 'hijacked-password-1')).toBe(false);
      }
      const mine = await makeUser(ctx.services, a);
      expect((await call('PUT', `/api/v1/users/${mine.user.id}/password`, p.headers, body)).statusCode).toBe(204);
    },

    'DELETE /api/v1/users/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/users/${id}`);
      const mine = await makeUser(ctx.services, a);
      expect((await call('DELETE', `/api/v1/users/${mine.user.id}`, p.headers)).statusCode).toBe(204);
    },

    'GET /api/v1/roles': async (p) => {
      const res = await call('GET', '/api/v1/roles', p.headers);
      expect(res.statusCode).toBe(200);
      // Static data: the same for everyone, nothing of B in it.
      expect(res.json()).toEqual((await call('GET', '/api/v1/roles', bearer(bKey))).json());
    },

    'GET /api/v1/api-keys': async (p) => {
      for (const q of ['', '?include_revoked=true']) {
        const list = await getJson<Listed>(`/api/v1/api-keys${q}`, p.headers);
        expect(list.data.length).toBeGreaterThan(0);
        for (const k of list.data) expect(bIds.apiKeys).not.toContain(k.id);
      }
      expect((await getJson<Listed>('/api/v1/api-keys', p.headers)).data.map((k) => k.id)).toContain(aKeyId);
    },

    'POST /api/v1/api-keys': async (p) => {
      const res = await call('POST', '/api/v1/api-keys', p.headers, { name: 'tenancy', scopes: ['users:read'] });
      if (p.name === 'API key') {
        // Keys are made by signed-in users only.
        expect(res.statusCode).toBe(403);
        return;
      }
      expect(res.statusCode, res.body).toBe(201);
      const made = res.json<{ key: string }>().key;
      const me = await getJson<{ workspace: { id: string } }>('/api/v1/me', bearer(made));
      expect(me.workspace.id).toBe(a.workspace.id);
      const users = await getJson<Listed>('/api/v1/users', bearer(made));
      for (const u of users.data) expect(bIds.users).not.toContain(u.id);
    },

    'DELETE /api/v1/api-keys/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/api-keys/${id}`);
      // B's key still works.
      expect((await call('GET', '/api/v1/me', bearer(bKey))).statusCode).toBe(200);
      const mine = await makeKey(a.ownerActor);
      expect((await call('DELETE', `/api/v1/api-keys/${mine.id}`, p.headers)).statusCode).toBe(200);
    },

    'GET /api/v1/workspace': async (p) => {
      const w = await getJson<{ id: string; slug: string }>('/api/v1/workspace', p.headers);
      expect(w.id).toBe(a.workspace.id);
      expect(w.slug).toBe(a.workspace.slug);
    },

    'PATCH /api/v1/workspace': async (p) => {
      const name = `A renamed by ${p.name}`;
      const res = await call('PATCH', '/api/v1/workspace', p.headers, { name, timezone: 'Europe/Paris' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id: a.workspace.id, name, timezone: 'Europe/Paris' });
      const bNow = await getJson<{ name: string; timezone: string }>('/api/v1/workspace', bearer(bKey));
      expect(bNow.name).toBe(b.workspace.name);
      expect(bNow.timezone).toBe(b.workspace.timezone);
    },

    'GET /api/v1/events': async (p) => {
      const bEvents = (await getJson<EventList>('/api/v1/events?limit=200', bearer(bKey))).data;
      expect(bEvents.length).toBeGreaterThan(0);
      const bEventIds = new Set(bEvents.map((e) => e.id));
      const queries = [
        '?limit=200',
        '?type=user.*',
        '?subject_type=user',
        ...allIdsOfB().map((id) => `?subject_id=${id}`),
      ];
      for (const q of queries) {
        const list = await getJson<EventList>(`/api/v1/events${q}`, p.headers);
        for (const e of list.data) {
          expect(bEventIds.has(e.id), `${q}: event ${e.id} of B`).toBe(false);
          expect(allIdsOfB()).not.toContain(e.subjectId);
        }
      }
      const aEvents = await getJson<EventList>('/api/v1/events?limit=200', p.headers);
      expect(aEvents.data.length).toBeGreaterThan(0);
    },

    'GET /api/v1/people': async (p) => {
      for (const q of [
        '?limit=200',
        '?q=tess',
        '?filter=tag:eq:shared-tag',
        '?filter=email:eq:tess@tenancy.example',
        `?filter=company_id:eq:${bIds.companies[0]}`,
        '?filter=custom.plan:eq:pro',
      ]) {
        const list = await getJson<Listed>(`/api/v1/people${q}`, p.headers);
        for (const x of list.data) expect(bIds.people, q).not.toContain(x.id);
      }
      expect((await getJson<Listed>('/api/v1/people', p.headers)).data.map((x) => x.id)).toContain(aIds.person);
    },

    'GET /api/v1/people/names': async (p) => {
      const res = await getJson<{ data: Array<{ id: string }> }>(
        `/api/v1/people/names?ids=${[...bIds.people, aIds.person].join(',')}`,
        p.headers,
      );
      expect(res.data.map((x) => x.id)).toEqual([aIds.person]);
    },

    'GET /api/v1/people/count': async (p) => {
      const n = await getJson<{ count: number }>('/api/v1/people/count?filter=tag:eq:shared-tag', p.headers);
      expect(n.count).toBe(1);
    },

    'POST /api/v1/people': async (p) => {
      const res = await call('POST', '/api/v1/people', p.headers, {
        firstName: 'Linked',
        companies: [{ companyId: bIds.companies[0] }],
      });
      expect(res.statusCode).toBe(400);
      const ok = await call('POST', '/api/v1/people', p.headers, {
        firstName: 'Own',
        // Not Tess's address: two people sharing one make later look-ups by it ambiguous (409).
        emails: ['own@tenancy.example'],
      });
      expect(ok.statusCode).toBe(201);
    },

    'GET /api/v1/people/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/people/${id}`);
      expect((await call('GET', `/api/v1/people/${aIds.person}`, p.headers)).statusCode).toBe(200);
    },

    'PATCH /api/v1/people/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/people/${id}`, { firstName: 'Hijacked' });
      expect((await call('PATCH', `/api/v1/people/${aIds.person}`, p.headers, { lastName: 'Tenant' })).statusCode).toBe(
        200,
      );
    },

    'DELETE /api/v1/people/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/people/${id}`);
      const mine = await ctx.services.people.create(a.ownerActor, { firstName: 'Temp' });
      expect((await call('DELETE', `/api/v1/people/${mine.person.id}`, p.headers)).statusCode).toBe(204);
    },

    'POST /api/v1/people/{id}/stage': async (p) => {
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/people/${id}/stage`, { stage: 'churned', reason: 'x' });
      expect(
        (await call('POST', `/api/v1/people/${aIds.person}/stage`, p.headers, { stage: 'customer' })).statusCode,
      ).toBe(200);
    },

    'GET /api/v1/people/{id}/stage-history': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/people/${id}/stage-history`);
      expect((await call('GET', `/api/v1/people/${aIds.person}/stage-history`, p.headers)).statusCode).toBe(200);
    },

    'GET /api/v1/people/{id}/consent': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/people/${id}/consent`);
      expect((await call('GET', `/api/v1/people/${aIds.person}/consent`, p.headers)).statusCode).toBe(200);
    },

    'POST /api/v1/people/{id}/consent': async (p) => {
      const body = { channel: 'email', purpose: 'marketing', status: 'withdrawn', source: 'api' };
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/people/${id}/consent`, body);
      expect((await call('POST', `/api/v1/people/${aIds.person}/consent`, p.headers, body)).statusCode).toBe(201);
    },

    'GET /api/v1/people/{id}/notes': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/people/${id}/notes`);
      expect((await call('GET', `/api/v1/people/${aIds.person}/notes`, p.headers)).statusCode).toBe(200);
    },

    'POST /api/v1/people/{id}/notes': async (p) => {
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/people/${id}/notes`, { body: 'planted' });
      expect((await call('POST', `/api/v1/people/${aIds.person}/notes`, p.headers, { body: 'mine' })).statusCode).toBe(
        201,
      );
    },

    'PATCH /api/v1/notes/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/notes/${id}`, { body: 'rewritten' });
      expect((await call('PATCH', `/api/v1/notes/${aIds.note}`, p.headers, { body: 'edited' })).statusCode).toBe(200);
    },

    'DELETE /api/v1/notes/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/notes/${id}`);
      const mine = await ctx.services.people.addNote(a.ownerActor, aIds.person, 'temporary');
      expect((await call('DELETE', `/api/v1/notes/${mine.id}`, p.headers)).statusCode).toBe(204);
    },

    'PUT /api/v1/people/{id}/companies/{companyId}': async (p) => {
      // B's person with A's company, and A's person with B's company: both refused.
      await refusedOnEveryIdOfB(p, 'PUT', (id) => `/api/v1/people/${id}/companies/${aIds.company}`, { title: 'x' });
      await refusedOnEveryIdOfB(p, 'PUT', (id) => `/api/v1/people/${aIds.person}/companies/${id}`, { title: 'x' });
      expect(
        (await call('PUT', `/api/v1/people/${aIds.person}/companies/${aIds.company}`, p.headers, { title: 'CEO' }))
          .statusCode,
      ).toBe(200);
    },

    'DELETE /api/v1/people/{id}/companies/{companyId}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/people/${id}/companies/${bIds.companies[0]}`);
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/people/${aIds.person}/companies/${id}`);
    },

    'GET /api/v1/people/{id}/timeline': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/people/${id}/timeline`);
      expect((await call('GET', `/api/v1/people/${aIds.person}/timeline`, p.headers)).statusCode).toBe(200);
    },

    'GET /api/v1/people/{id}/unsubscribe-link': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/people/${id}/unsubscribe-link`);
      const mine = await getJson<{ url: string }>(`/api/v1/people/${aIds.person}/unsubscribe-link`, p.headers);
      expect(mine.url).toMatch(/\/u\//);
    },

    'GET /api/v1/companies': async (p) => {
      for (const q of ['?limit=200', '?q=tenancy', '?filter=domain:eq:tenancy.example']) {
        const list = await getJson<Listed>(`/api/v1/companies${q}`, p.headers);
        for (const x of list.data) expect(bIds.companies, q).not.toContain(x.id);
      }
    },

    'POST /api/v1/companies': async (p) => {
      expect(
        (await call('POST', '/api/v1/companies', p.headers, { name: 'Own Co', domain: 'tenancy.example' })).statusCode,
      ).toBe(201);
    },

    'GET /api/v1/companies/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/companies/${id}`);
      const mine = await getJson<{ people: Array<{ personId: string }> }>(
        `/api/v1/companies/${aIds.company}`,
        p.headers,
      );
      for (const x of mine.people) expect(bIds.people).not.toContain(x.personId);
    },

    'PATCH /api/v1/companies/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/companies/${id}`, { name: 'Hijacked' });
      expect(
        (await call('PATCH', `/api/v1/companies/${aIds.company}`, p.headers, { industry: 'Retail' })).statusCode,
      ).toBe(200);
    },

    'DELETE /api/v1/companies/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/companies/${id}`);
      const mine = await ctx.services.companies.create(a.ownerActor, { name: 'Temp Co' });
      expect((await call('DELETE', `/api/v1/companies/${mine.id}`, p.headers)).statusCode).toBe(204);
    },

    'GET /api/v1/companies/{id}/timeline': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/companies/${id}/timeline`);
      expect((await call('GET', `/api/v1/companies/${aIds.company}/timeline`, p.headers)).statusCode).toBe(200);
    },

    'GET /api/v1/custom-fields': async (p) => {
      const list = await getJson<Listed>('/api/v1/custom-fields', p.headers);
      for (const x of list.data) expect(bIds.customFields).not.toContain(x.id);
      expect(list.data.map((x) => x.id)).toContain(aIds.customField);
    },

    'POST /api/v1/custom-fields': async (p) => {
      const key = `f_${p.name === 'API key' ? 'k' : 's'}`;
      expect(
        (
          await call('POST', '/api/v1/custom-fields', p.headers, {
            entity: 'company',
            label: 'Tier',
            key,
            type: 'text',
          })
        ).statusCode,
      ).toBe(201);
    },

    'PATCH /api/v1/custom-fields/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/custom-fields/${id}`, {
        label: 'Hijacked',
        archived: true,
      });
      expect(
        (await call('PATCH', `/api/v1/custom-fields/${aIds.customField}`, p.headers, { label: 'Plan' })).statusCode,
      ).toBe(200);
    },

    'GET /api/v1/people/duplicates': async (p) => {
      // A and B both have a Tess with the same email: never paired across workspaces.
      for (const q of ['', '?limit=200', ...bIds.people.map((id) => `?personId=${id}`)]) {
        const list = await getJson<{ data: Pair[] }>(`/api/v1/people/duplicates${q}`, p.headers);
        for (const x of list.data) {
          expect(bIds.people, q).not.toContain(x.a.id);
          expect(bIds.people, q).not.toContain(x.b.id);
        }
        if (q.includes('personId')) expect(list.data).toEqual([]);
      }
    },

    'POST /api/v1/people/duplicates/dismissals': async (p) => {
      for (const id of allIdsOfB()) {
        const res = await call('POST', '/api/v1/people/duplicates/dismissals', p.headers, { ids: [aIds.person, id] });
        expect(res.statusCode, id).toBe(404);
      }
    },

    'POST /api/v1/people/{id}/merge': async (p) => {
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/people/${id}/merge`, { otherId: aIds.person });
      for (const id of allIdsOfB()) {
        const res = await call('POST', `/api/v1/people/${aIds.person}/merge`, p.headers, { otherId: id });
        expect(res.statusCode, id).toBe(404);
      }
      expect((await call('GET', `/api/v1/people/${aIds.person}`, p.headers)).statusCode).toBe(200);
      const x = await ctx.services.people.create(a.ownerActor, { firstName: 'Twin' });
      const y = await ctx.services.people.create(a.ownerActor, { firstName: 'Twin' });
      const ok = await call('POST', `/api/v1/people/${x.person.id}/merge`, p.headers, { otherId: y.person.id });
      expect(ok.statusCode).toBe(200);
    },

    'POST /api/v1/people/bulk': async (p) => {
      const del = await call('POST', '/api/v1/people/bulk', p.headers, {
        selection: { ids: bIds.people },
        action: 'delete',
      });
      expect(del.json()).toMatchObject({ matched: 0, changed: 0 });
      const owner = await call('POST', '/api/v1/people/bulk', p.headers, {
        selection: { all: true },
        action: 'set_owner',
        value: bIds.users[0],
      });
      expect(owner.statusCode).toBe(400);
      const tag = await call('POST', '/api/v1/people/bulk', p.headers, {
        selection: { filter: ['email:eq:tess@tenancy.example'] },
        action: 'tag',
        value: 'bulk-tenancy',
      });
      expect(tag.statusCode).toBe(200);
      expect(tag.json<{ matched: number }>().matched).toBeGreaterThan(0);
    },

    'GET /api/v1/companies/duplicates': async (p) => {
      // Both workspaces have a company on tenancy.example.
      for (const q of ['', ...bIds.companies.map((id) => `?companyId=${id}`)]) {
        const list = await getJson<{ data: Pair[] }>(`/api/v1/companies/duplicates${q}`, p.headers);
        for (const x of list.data) {
          expect(bIds.companies, q).not.toContain(x.a.id);
          expect(bIds.companies, q).not.toContain(x.b.id);
        }
        if (q) expect(list.data).toEqual([]);
      }
    },

    'POST /api/v1/companies/duplicates/dismissals': async (p) => {
      for (const id of allIdsOfB()) {
        const res = await call('POST', '/api/v1/companies/duplicates/dismissals', p.headers, {
          ids: [aIds.company, id],
        });
        expect(res.statusCode, id).toBe(404);
      }
    },

    'POST /api/v1/companies/{id}/merge': async (p) => {
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/companies/${id}/merge`, { otherId: aIds.company });
      for (const id of allIdsOfB()) {
        const res = await call('POST', `/api/v1/companies/${aIds.company}/merge`, p.headers, { otherId: id });
        expect(res.statusCode, id).toBe(404);
      }
      const x = await ctx.services.companies.create(a.ownerActor, { name: 'Twin Co' });
      const y = await ctx.services.companies.create(a.ownerActor, { name: 'Twin Co' });
      expect((await call('POST', `/api/v1/companies/${x.id}/merge`, p.headers, { otherId: y.id })).statusCode).toBe(
        200,
      );
    },

    'POST /api/v1/companies/bulk': async (p) => {
      const del = await call('POST', '/api/v1/companies/bulk', p.headers, {
        selection: { ids: bIds.companies },
        action: 'delete',
      });
      expect(del.json()).toMatchObject({ matched: 0, changed: 0 });
      const tag = await call('POST', '/api/v1/companies/bulk', p.headers, {
        selection: { filter: ['domain:eq:tenancy.example'] },
        action: 'tag',
        value: 'bulk-tenancy',
      });
      expect(tag.statusCode).toBe(200);
    },

    'GET /api/v1/views': async (p) => {
      const { view } = await extrasOfB();
      for (const q of ['', '?entity=person']) {
        const list = await getJson<Listed>(`/api/v1/views${q}`, p.headers);
        expect(list.data.map((v) => v.id)).not.toContain(view);
      }
    },

    'POST /api/v1/views': async (p) => {
      const res = await call('POST', '/api/v1/views', p.headers, {
        entity: 'person',
        name: `A view ${p.name}`,
        query: { filter: [`company_id:eq:${aIds.company}`] },
        shared: true,
      });
      expect(res.statusCode).toBe(201);
      const bViews = await getJson<Listed>('/api/v1/views', bearer(bKey));
      expect(bViews.data.map((v) => v.id)).not.toContain(res.json<{ id: string }>().id);
    },

    'GET /api/v1/views/{id}': async (p) => {
      await refusedOnExtrasOfB(p, 'GET', (id) => `/api/v1/views/${id}`);
    },

    'PATCH /api/v1/views/{id}': async (p) => {
      await refusedOnExtrasOfB(p, 'PATCH', (id) => `/api/v1/views/${id}`, { name: 'Hijacked', shared: false });
      const bView = await getJson<{ name: string }>(`/api/v1/views/${(await extrasOfB()).view}`, bearer(bKey));
      expect(bView.name).toBe('B view');
    },

    'DELETE /api/v1/views/{id}': async (p) => {
      await refusedOnExtrasOfB(p, 'DELETE', (id) => `/api/v1/views/${id}`);
      expect((await call('GET', `/api/v1/views/${(await extrasOfB()).view}`, bearer(bKey))).statusCode).toBe(200);
    },

    'GET /api/v1/jobs/{id}': async (p) => {
      await refusedOnExtrasOfB(p, 'GET', (id) => `/api/v1/jobs/${id}`);
      const mine = await enqueueJob(
        ctx.database.db,
        a.workspace.id,
        'tenancy.noop',
        {},
        { runAt: new Date(Date.now() + 86_400_000) },
      );
      expect((await call('GET', `/api/v1/jobs/${mine ?? ''}`, p.headers)).statusCode).toBe(200);
    },

    'GET /api/v1/search': async (p) => {
      for (const q of ['tess', 'tenancy', 'tess@tenancy.example', 'tenant']) {
        const hits = await getJson<Listed>(`/api/v1/search?q=${encodeURIComponent(q)}`, p.headers);
        for (const h of hits.data) expect([...bIds.people, ...bIds.companies], q).not.toContain(h.id);
      }
    },
    'POST /api/v1/imports': async (p) => {
      // An upsert by email in A, on an email B's person also has: only A changes (B is checked by the snapshot).
      const id = await uploadOfA(p);
      expect((await call('POST', `/api/v1/imports/${id}/run`, p.headers)).statusCode).toBe(202);
      await runImport(ctx.database.db, a.workspace.id, id);
      const done = await getJson<{ status: string }>(`/api/v1/imports/${id}`, p.headers);
      expect(done.status).toBe('done');
      const inB = await getJson<Listed>('/api/v1/imports', bearer(bKey));
      expect(inB.data.map((x) => x.id)).not.toContain(id);
      // Orders: B's order id, customer id, e-mail and sku all name A's own records (B's are checked by the snapshot).
      const orders = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/imports?entity=order',
        headers: { ...p.headers, 'content-type': 'text/csv' },
        payload: `order,customer id,email,currency,sku,qty\n${bCommerceKeys.order},tenancy-customer,tess@tenancy.example,EUR,${bCommerceKeys.sku},2\n`,
      });
      expect(orders.statusCode, orders.body).toBe(201);
      const ordersId = orders.json<{ id: string }>().id;
      expect((await call('POST', `/api/v1/imports/${ordersId}/run`, p.headers)).statusCode).toBe(202);
      await runImport(ctx.database.db, a.workspace.id, ordersId);
      const ran = await getJson<{ status: string; progress: { rejected: number } }>(
        `/api/v1/imports/${ordersId}`,
        p.headers,
      );
      expect(ran).toMatchObject({ status: 'done', progress: { rejected: 0 } });
      const matched = await getJson<{ data: Array<{ id: string; personId: string }> }>(
        `/api/v1/orders?filter=external_id:eq:${bCommerceKeys.order}`,
        p.headers,
      );
      expect(matched.data.map((o) => [o.id, o.personId])).toEqual([[commerceIds.aOrder, aIds.person]]);
    },

    'GET /api/v1/imports': async (p) => {
      const list = await getJson<Listed>('/api/v1/imports?limit=200', p.headers);
      expect(list.data.map((x) => x.id)).not.toContain(await importOfB());
      expect(list.data.length).toBeGreaterThan(0);
    },

    'GET /api/v1/imports/{id}': async (p) => {
      await refusedOnImportOfB(p, 'GET', (id) => `/api/v1/imports/${id}`);
      expect((await call('GET', `/api/v1/imports/${await uploadOfA(p)}`, p.headers)).statusCode).toBe(200);
    },

    'PATCH /api/v1/imports/{id}': async (p) => {
      await refusedOnImportOfB(p, 'PATCH', (id) => `/api/v1/imports/${id}`, { matchOn: 'none' });
      const mine = await uploadOfA(p);
      expect((await call('PATCH', `/api/v1/imports/${mine}`, p.headers, { matchOn: 'none' })).statusCode).toBe(200);
    },

    'POST /api/v1/imports/{id}/dry-run': async (p) => {
      await refusedOnImportOfB(p, 'POST', (id) => `/api/v1/imports/${id}/dry-run`);
      expect((await call('POST', `/api/v1/imports/${await uploadOfA(p)}/dry-run`, p.headers)).statusCode).toBe(202);
    },

    'POST /api/v1/imports/{id}/run': async (p) => {
      await refusedOnImportOfB(p, 'POST', (id) => `/api/v1/imports/${id}/run`);
      expect((await call('POST', `/api/v1/imports/${await uploadOfA(p)}/run`, p.headers)).statusCode).toBe(202);
    },

    'GET /api/v1/imports/{id}/rows': async (p) => {
      await refusedOnImportOfB(p, 'GET', (id) => `/api/v1/imports/${id}/rows`);
      expect((await call('GET', `/api/v1/imports/${await uploadOfA(p)}/rows`, p.headers)).statusCode).toBe(200);
    },

    'GET /api/v1/imports/{id}/rows.csv': async (p) => {
      await refusedOnImportOfB(p, 'GET', (id) => `/api/v1/imports/${id}/rows.csv`);
      const res = await call('GET', `/api/v1/imports/${await uploadOfA(p)}/rows.csv`, p.headers);
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('row,line,action,recordId,summary,details\r\n');
    },

    'GET /api/v1/people/export': async (p) => {
      for (const q of ['', '&filter=email:eq:tess@tenancy.example', '&q=tess', '&filter=tag:eq:shared-tag']) {
        const res = await call('GET', `/api/v1/people/export?format=json${q}`, p.headers);
        expect(res.statusCode).toBe(200);
        for (const x of JSON.parse(res.body) as Array<{ id: string }>) expect(bIds.people, q).not.toContain(x.id);
        const csv = await call('GET', `/api/v1/people/export?format=csv${q}`, p.headers);
        for (const id of bIds.people) expect(csv.body).not.toContain(id);
      }
    },

    'GET /api/v1/companies/export': async (p) => {
      const res = await call('GET', '/api/v1/companies/export?format=json', p.headers);
      expect(res.statusCode).toBe(200);
      const ids = (JSON.parse(res.body) as Array<{ id: string }>).map((x) => x.id);
      for (const id of bIds.companies) expect(ids).not.toContain(id);
      expect(ids).toContain(aIds.company);
    },

    'GET /api/v1/webhooks': async (p) => {
      const h = await webhooksOfAB();
      const ids = (await getJson<Listed>('/api/v1/webhooks', p.headers)).data.map((w) => w.id);
      expect(ids).toContain(h.a);
      expect(ids).not.toContain(h.b);
    },

    'POST /api/v1/webhooks': async (p) => {
      const h = await webhooksOfAB();
      const before = await webhookStateOfB();
      const res = await call('POST', '/api/v1/webhooks', p.headers, {
        url: 'http://127.0.0.1:1/new',
        eventTypes: ['*'],
      });
      expect(res.statusCode, res.body).toBe(201);
      const made = res.json<{ id: string }>().id;
      expect((await getJson<Listed>('/api/v1/webhooks', p.headers)).data.map((w) => w.id)).toContain(made);
      expect((await call('GET', `/api/v1/webhooks/${made}`, bearer(bKey))).statusCode).toBe(404);
      expect(made).not.toBe(h.b);
      expect(await webhookStateOfB()).toEqual(before);
    },

    'GET /api/v1/webhooks/{id}': async (p) => {
      await refusedOnWebhooksOfB(p, 'GET', (id) => `/api/v1/webhooks/${id}`);
      expect((await call('GET', `/api/v1/webhooks/${(await webhooksOfAB()).a}`, p.headers)).statusCode).toBe(200);
    },

    'PATCH /api/v1/webhooks/{id}': async (p) => {
      const change = { url: 'http://127.0.0.1:1/hijacked', eventTypes: ['*'], active: false };
      await refusedOnWebhooksOfB(p, 'PATCH', (id) => `/api/v1/webhooks/${id}`, change);
      const a = (await webhooksOfAB()).a;
      expect((await call('PATCH', `/api/v1/webhooks/${a}`, p.headers, { description: 'mine' })).statusCode).toBe(200);
    },

    'DELETE /api/v1/webhooks/{id}': async (p) => {
      await refusedOnWebhooksOfB(p, 'DELETE', (id) => `/api/v1/webhooks/${id}`);
      const mine = await ctx.services.webhooks.create(a.ownerActor, { url: 'http://127.0.0.1:1/d', eventTypes: ['*'] });
      expect((await call('DELETE', `/api/v1/webhooks/${mine.id}`, p.headers)).statusCode).toBe(204);
    },

    'GET /api/v1/webhooks/{id}/secret': async (p) => {
      await refusedOnWebhooksOfB(p, 'GET', (id) => `/api/v1/webhooks/${id}/secret`);
      const a = (await webhooksOfAB()).a;
      expect((await call('GET', `/api/v1/webhooks/${a}/secret`, p.headers)).statusCode).toBe(200);
    },

    'POST /api/v1/webhooks/{id}/rotate-secret': async (p) => {
      await refusedOnWebhooksOfB(p, 'POST', (id) => `/api/v1/webhooks/${id}/rotate-secret`);
      const a = (await webhooksOfAB()).a;
      expect((await call('POST', `/api/v1/webhooks/${a}/rotate-secret`, p.headers)).statusCode).toBe(200);
    },

    'POST /api/v1/webhooks/{id}/test': async (p) => {
      await refusedOnWebhooksOfB(p, 'POST', (id) => `/api/v1/webhooks/${id}/test`);
      const a = (await webhooksOfAB()).a;
      const res = await call('POST', `/api/v1/webhooks/${a}/test`, p.headers);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ webhookId: a, eventType: 'webhook.test' });
    },

    'GET /api/v1/webhooks/{id}/deliveries': async (p) => {
      await refusedOnWebhooksOfB(p, 'GET', (id) => `/api/v1/webhooks/${id}/deliveries`);
      const h = await webhooksOfAB();
      const mine = await getJson<Listed>(`/api/v1/webhooks/${h.a}/deliveries?limit=200`, p.headers);
      expect(mine.data.map((d) => d.id)).toContain(h.aDelivery);
      expect(mine.data.map((d) => d.id)).not.toContain(h.bDelivery);
    },

    'GET /api/v1/webhooks/{id}/deliveries/{deliveryId}': async (p) => {
      await refusedOnDeliveryOfB(p, 'GET', '');
      const h = await webhooksOfAB();
      expect((await call('GET', `/api/v1/webhooks/${h.a}/deliveries/${h.aDelivery}`, p.headers)).statusCode).toBe(200);
    },

    'POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': async (p) => {
      await refusedOnDeliveryOfB(p, 'POST', '/redeliver');
      const h = await webhooksOfAB();
      const res = await call('POST', `/api/v1/webhooks/${h.a}/deliveries/${h.aDelivery}/redeliver`, p.headers);
      expect(res.statusCode).toBe(200);
    },
    'GET /api/v1/tickets': (p) => ticketListChecks(p, '/api/v1/tickets'),
    'GET /api/v1/tickets/summaries': (p) => ticketListChecks(p, '/api/v1/tickets/summaries'),

    'GET /api/v1/tickets/queues': async (p) => {
      const counts = await getJson<{ unassigned: number; open: number; mine: number; myTeams: number }>(
        '/api/v1/tickets/queues',
        p.headers,
      );
      expect(counts.open).toBe((await ticketIdsOf('/api/v1/tickets?queue=open&limit=200', p.headers)).length);
      expect(counts.unassigned).toBe(
        (await ticketIdsOf('/api/v1/tickets?queue=unassigned&limit=200', p.headers)).length,
      );
      // A's owner is in no team: B's team ticket does not count.
      expect(counts.myTeams).toBe(0);
    },

    'POST /api/v1/tickets': async (p) => {
      const base = { subject: 'Planted', requester: { email: 'tess@tenancy.example' }, text: 'x' };
      await refusedWithIdsOfBInBody(
        p,
        'POST',
        '/api/v1/tickets',
        (id) => ({ ...base, requester: { personId: id } }),
        [400],
      );
      await refusedWithIdsOfBInBody(p, 'POST', '/api/v1/tickets', (id) => ({ ...base, assigneeId: id }), [400]);
      await refusedWithIdsOfBInBody(p, 'POST', '/api/v1/tickets', (id) => ({ ...base, teamId: id }), [400]);
      // The customer is found by e-mail in A only, though B has a Tess with the same address.
      const res = await call('POST', '/api/v1/tickets', p.headers, { ...base, subject: 'Own ticket' });
      expect(res.statusCode, res.body).toBe(201);
      const t = res.json<{ id: string; personId: string }>();
      expect(bIds.people).not.toContain(t.personId);
      expect((await call('GET', `/api/v1/people/${t.personId}`, p.headers)).statusCode).toBe(200);
      expect((await call('GET', `/api/v1/tickets/${t.id}`, bearer(bKey))).statusCode).toBe(404);
    },

    'GET /api/v1/tickets/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/tickets/${id}`);
      const mine = await getJson<{ messages: Array<{ id: string }>; person: { id: string } }>(
        `/api/v1/tickets/${aDesk.ticket}`,
        p.headers,
      );
      expect(mine.person.id).toBe(aIds.person);
      for (const m of mine.messages) expect(bIds.messages).not.toContain(m.id);
    },

    'PATCH /api/v1/tickets/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/tickets/${id}`, { status: 'solved', subject: 'Hijacked' });
      const url = `/api/v1/tickets/${aDesk.ticket}`;
      await refusedWithIdsOfBInBody(p, 'PATCH', url, (id) => ({ assigneeId: id }), [400]);
      await refusedWithIdsOfBInBody(p, 'PATCH', url, (id) => ({ teamId: id }), [400]);
      await refusedWithIdsOfBInBody(p, 'PATCH', url, (id) => ({ personId: id }), [400]);
      // A field B defined is not one of A's tickets.
      expect((await call('PATCH', url, p.headers, { custom: { b_order: 'A-1' } })).statusCode).toBe(400);
      expect((await call('PATCH', url, p.headers, { priority: 'high', assigneeId: aAgentId })).statusCode).toBe(200);
    },

    'POST /api/v1/tickets/{id}/replies': async (p) => {
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/tickets/${id}/replies`, { text: 'planted' });
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/tickets/${id}/replies`, { text: 'note', internal: true });
      const url = `/api/v1/tickets/${aDesk.ticket}/replies`;
      // A conversation of B's is no conversation of A's ticket.
      await refusedWithIdsOfBInBody(p, 'POST', url, (id) => ({ text: 'x', conversationId: id }), [400]);
      const ok = await call('POST', url, p.headers, { text: 'Own note', internal: true });
      expect(ok.statusCode, ok.body).toBe(201);
    },

    'POST /api/v1/tickets/bulk': async (p) => {
      // B's tickets are not found from A, alone or beside A's own: nothing changes.
      const url = '/api/v1/tickets/bulk';
      for (const ids of [bIds.tickets, [aDesk.ticket, ...bIds.tickets]]) {
        const res = await call('POST', url, p.headers, { ids, priority: 'urgent' });
        expect(res.statusCode, res.body).toBe(404);
      }
      expect((await getJson<{ priority: string }>(`/api/v1/tickets/${aDesk.ticket}`, p.headers)).priority).not.toBe(
        'urgent',
      );
      // B's users and teams are no assignee or team of A's tickets.
      await refusedWithIdsOfBInBody(p, 'POST', url, (id) => ({ ids: [aDesk.ticket], assigneeId: id }), [400]);
      await refusedWithIdsOfBInBody(p, 'POST', url, (id) => ({ ids: [aDesk.ticket], teamId: id }), [400]);
      const ok = await call('POST', url, p.headers, { ids: [aDesk.ticket], addTags: ['tenancy'] });
      expect(ok.json<{ updated: Array<{ id: string }> }>().updated.map((t) => t.id)).toEqual([aDesk.ticket]);
    },

    'POST /api/v1/tickets/{id}/calls': async (p) => {
      const body = { direction: 'inbound', call: { durationSeconds: 90 }, text: 'Called about it.' };
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/tickets/${id}/calls`, body);
      const ok = await call('POST', `/api/v1/tickets/${aDesk.ticket}/calls`, p.headers, body);
      expect(ok.statusCode, ok.body).toBe(201);
      // The call is on A's ticket, with A's customer.
      expect(ok.json<{ ticket: { id: string } }>().ticket.id).toBe(aDesk.ticket);
    },

    'POST /api/v1/tickets/{id}/merge': async (p) => {
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/tickets/${id}/merge`, { ticketIds: [aDesk.ticket] });
      await refusedWithIdsOfBInBody(
        p,
        'POST',
        `/api/v1/tickets/${aDesk.ticket}/merge`,
        (id) => ({ ticketIds: [id] }),
        [404],
      );
      expect(
        (await call('GET', `/api/v1/tickets/${aDesk.ticket}`, p.headers)).json<{ mergedIntoId: null }>(),
      ).toMatchObject({ mergedIntoId: null });
      const [x, y] = [await ticketOfA(), await ticketOfA()];
      const ok = await call('POST', `/api/v1/tickets/${x.id}/merge`, p.headers, { ticketIds: [y.id] });
      expect(ok.statusCode, ok.body).toBe(200);
    },

    'POST /api/v1/tickets/{id}/split': async (p) => {
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/tickets/${id}/split`, { messageIds: bIds.messages });
      const x = await ticketOfA();
      await refusedWithIdsOfBInBody(p, 'POST', `/api/v1/tickets/${x.id}/split`, (id) => ({ messageIds: [id] }), [400]);
      const ok = await call('POST', `/api/v1/tickets/${x.id}/split`, p.headers, { messageIds: x.messages.slice(1) });
      expect(ok.statusCode, ok.body).toBe(201);
    },

    'GET /api/v1/tickets/{id}/history': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/tickets/${id}/history`);
      const mine = await getJson<EventList>(`/api/v1/tickets/${aDesk.ticket}/history`, p.headers);
      expect(mine.data.length).toBeGreaterThan(0);
      for (const e of mine.data) expect(e.subjectId).toBe(aDesk.ticket);
    },

    'GET /api/v1/tickets/{id}/attachments/{attachmentId}': async (p) => {
      const url = (t: string, f: string) => `/api/v1/tickets/${t}/attachments/${f}`;
      await refusedOnEveryIdOfB(p, 'GET', (id) => url(id, bDesk.attachment));
      await refusedOnEveryIdOfB(p, 'GET', (id) => url(aDesk.ticket, id));
      await refusedOnEveryIdOfB(p, 'GET', (id) => url(id, aDesk.attachment));
      const mine = await call('GET', url(aDesk.ticket, aDesk.attachment), p.headers);
      expect(mine.statusCode).toBe(200);
      expect(mine.body).toBe(`leak of ${a.workspace.slug}`);
    },

    'GET /api/v1/channels': async (p) => {
      const ids = (await getJson<Listed>('/api/v1/channels', p.headers)).data.map((c) => c.id);
      expect(ids).toContain(aDesk.channel);
      for (const id of bIds.channels) expect(ids).not.toContain(id);
    },

    'POST /api/v1/channels': async (p) => {
      await refusedWithIdsOfBInBody(
        p,
        'POST',
        '/api/v1/channels',
        (id) => ({ kind: 'chat', name: 'x', teamId: id }),
        [400],
      );
      // Inbound mail is routed by address across workspaces: B's address cannot be taken over.
      const taken = await call('POST', '/api/v1/channels', p.headers, {
        kind: 'email',
        name: 'Steal',
        address: bDesk.address,
      });
      expect(taken.statusCode).toBe(409);
      const ok = await call('POST', '/api/v1/channels', p.headers, {
        kind: 'chat',
        name: `Chat ${p.name}`,
        teamId: aDesk.team,
      });
      expect(ok.statusCode, ok.body).toBe(201);
    },

    'GET /api/v1/channels/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/channels/${id}`);
      expect((await call('GET', `/api/v1/channels/${aDesk.channel}`, p.headers)).statusCode).toBe(200);
    },

    'PATCH /api/v1/channels/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/channels/${id}`, { name: 'Hijacked', active: false });
      const url = `/api/v1/channels/${aDesk.channel}`;
      await refusedWithIdsOfBInBody(p, 'PATCH', url, (id) => ({ teamId: id }), [400]);
      await refusedWithIdsOfBInBody(p, 'PATCH', url, () => ({ address: bDesk.address }), [409]);
      expect((await call('PATCH', url, p.headers, { name: 'Desk', teamId: aDesk.team })).statusCode).toBe(200);
    },

    'DELETE /api/v1/channels/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/channels/${id}`);
      const mine = await ctx.services.channels.create(a.ownerActor, { kind: 'phone', name: 'Temp line' });
      expect((await call('DELETE', `/api/v1/channels/${mine.id}`, p.headers)).statusCode).toBe(204);
    },

    'POST /api/v1/channels/{id}/imap/test': async (p) => {
      const imap = { host: '127.0.0.1', port: 1, security: 'none', user: 'x', password: 'y' };
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/channels/${id}/imap/test`);
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/channels/${id}/imap/test`, imap);
      // A's own channel is reached: the connection is tried (and refused by the closed port).
      const mine = await call('POST', `/api/v1/channels/${aDesk.channel}/imap/test`, p.headers, imap);
      expect(mine.statusCode, mine.body).toBe(422);
      expect(mine.json<{ error: { code: string } }>().error.code).toBe('imap_unreachable');
    },

    'POST /api/v1/channels/{id}/imap/poll': async (p) => {
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/channels/${id}/imap/poll`);
      // A's desk has no mailbox to poll: refused as such, not as unknown.
      const mine = await call('POST', `/api/v1/channels/${aDesk.channel}/imap/poll`, p.headers);
      expect(mine.statusCode, mine.body).toBe(400);
      expect(mine.json<{ error: { code: string } }>().error.code).toBe('validation_failed');
    },

    'GET /api/v1/teams': async (p) => {
      const teams = (await getJson<{ data: Array<{ id: string; memberIds: string[] }> }>('/api/v1/teams', p.headers))
        .data;
      expect(teams.map((t) => t.id)).toContain(aDesk.team);
      for (const t of teams) {
        expect(bIds.teams).not.toContain(t.id);
        for (const m of t.memberIds) expect(bIds.users).not.toContain(m);
      }
    },

    'POST /api/v1/teams': async (p) => {
      await refusedWithIdsOfBInBody(
        p,
        'POST',
        '/api/v1/teams',
        (id) => ({ name: 'Mixed', memberIds: [aAgentId, id] }),
        [400],
      );
      // A's team may only hold A's users; B's team of the same name stays as it was (checked by the snapshot).
      const ok = await call('POST', '/api/v1/teams', p.headers, { name: `Team ${p.name}`, memberIds: [aAgentId] });
      expect(ok.statusCode, ok.body).toBe(201);
    },

    'PATCH /api/v1/teams/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/teams/${id}`, { name: 'Hijacked', memberIds: [] });
      const url = `/api/v1/teams/${aDesk.team}`;
      await refusedWithIdsOfBInBody(p, 'PATCH', url, (id) => ({ memberIds: [id] }), [400]);
      expect((await call('PATCH', url, p.headers, { memberIds: [aAgentId] })).statusCode).toBe(200);
    },

    'DELETE /api/v1/teams/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/teams/${id}`);
      const mine = await ctx.services.teams.create(a.ownerActor, { name: `Temp team ${p.name}` });
      expect((await call('DELETE', `/api/v1/teams/${mine.id}`, p.headers)).statusCode).toBe(204);
    },

    'GET /api/v1/sla-policies': async (p) => {
      const ids = (await getJson<Listed>('/api/v1/sla-policies', p.headers)).data.map((x) => x.id);
      expect(ids).toContain(aDesk.policy);
      for (const id of bIds.slaPolicies) expect(ids).not.toContain(id);
    },

    'POST /api/v1/sla-policies': async (p) => {
      await refusedWithIdsOfBInBody(
        p,
        'POST',
        '/api/v1/sla-policies',
        (id) => ({ name: 'Stolen calendar', calendarId: id, targets: { first_response: 5 } }),
        [400],
      );
      const ok = await call('POST', '/api/v1/sla-policies', p.headers, {
        name: `Policy ${p.name}`,
        calendarId: aDesk.calendar,
        targets: { resolution: 600 },
      });
      expect(ok.statusCode, ok.body).toBe(201);
    },

    'PATCH /api/v1/sla-policies/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/sla-policies/${id}`, { name: 'Hijacked', active: false });
      const url = `/api/v1/sla-policies/${aDesk.policy}`;
      await refusedWithIdsOfBInBody(p, 'PATCH', url, (id) => ({ calendarId: id }), [400]);
      expect((await call('PATCH', url, p.headers, { warnBeforeMinutes: 20 })).statusCode).toBe(200);
    },

    'PUT /api/v1/sla-policies/order': async (p) => {
      const mine = (await getJson<Listed>('/api/v1/sla-policies', p.headers)).data.map((x) => x.id);
      await refusedWithIdsOfBInBody(p, 'PUT', '/api/v1/sla-policies/order', (id) => ({ ids: [...mine, id] }), [400]);
      const res = await call('PUT', '/api/v1/sla-policies/order', p.headers, { ids: [...mine].reverse() });
      expect(res.statusCode, res.body).toBe(200);
      expect((res.json() as Listed).data.map((x) => x.id)).toEqual([...mine].reverse());
    },

    'DELETE /api/v1/sla-policies/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/sla-policies/${id}`);
      const mine = await ctx.services.sla.createPolicy(a.ownerActor, { name: 'Temp', targets: { first_response: 9 } });
      expect((await call('DELETE', `/api/v1/sla-policies/${mine.id}`, p.headers)).statusCode).toBe(204);
    },

    'GET /api/v1/business-calendars': async (p) => {
      const ids = (await getJson<Listed>('/api/v1/business-calendars', p.headers)).data.map((x) => x.id);
      expect(ids).toContain(aDesk.calendar);
      for (const id of bIds.calendars) expect(ids).not.toContain(id);
    },

    'POST /api/v1/business-calendars': async (p) => {
      const ok = await call('POST', '/api/v1/business-calendars', p.headers, {
        name: `Hours ${p.name}`,
        timeZone: 'UTC',
        weekly: [{ day: 2, start: '08:00', end: '12:00' }],
      });
      expect(ok.statusCode, ok.body).toBe(201);
      expect(bIds.calendars).not.toContain(ok.json<{ id: string }>().id);
    },

    'PATCH /api/v1/business-calendars/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/business-calendars/${id}`, { name: 'Hijacked' });
      const url = `/api/v1/business-calendars/${aDesk.calendar}`;
      expect((await call('PATCH', url, p.headers, { name: 'Renamed' })).statusCode).toBe(200);
    },

    'DELETE /api/v1/business-calendars/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/business-calendars/${id}`);
      const mine = await ctx.services.sla.createCalendar(a.ownerActor, {
        name: 'Temp hours',
        timeZone: 'UTC',
        weekly: [{ day: 3, start: '08:00', end: '12:00' }],
      });
      expect((await call('DELETE', `/api/v1/business-calendars/${mine.id}`, p.headers)).statusCode).toBe(204);
    },

    'GET /api/v1/macros': async (p) => {
      const ids = (await getJson<Listed>('/api/v1/macros', p.headers)).data.map((x) => x.id);
      expect(ids).toContain(aMacros.macro);
      for (const id of bIds.macros) expect(ids).not.toContain(id);
    },

    'POST /api/v1/macros': async (p) => {
      for (const actions of [(id: string) => ({ teamId: id }), (id: string) => ({ assigneeId: id })])
        await refusedWithIdsOfBInBody(
          p,
          'POST',
          '/api/v1/macros',
          (id) => ({ name: 'Stolen', actions: actions(id) }),
          [400],
        );
      // B has a macro of this name: A's own of the same name is fine.
      const ok = await call('POST', '/api/v1/macros', p.headers, { name: `Tenancy macro ${p.name}`, body: 'Hi' });
      expect(ok.statusCode, ok.body).toBe(201);
    },

    'GET /api/v1/macros/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/macros/${id}`);
      expect((await call('GET', `/api/v1/macros/${aMacros.macro}`, p.headers)).statusCode).toBe(200);
    },

    'PATCH /api/v1/macros/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/macros/${id}`, { name: 'Hijacked', active: false });
      const url = `/api/v1/macros/${aMacros.macro}`;
      await refusedWithIdsOfBInBody(p, 'PATCH', url, (id) => ({ actions: { teamId: id } }), [400]);
      await refusedWithIdsOfBInBody(p, 'PATCH', url, (id) => ({ actions: { assigneeId: id } }), [400]);
      expect((await call('PATCH', url, p.headers, { description: 'Mine' })).statusCode).toBe(200);
    },

    'DELETE /api/v1/macros/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/macros/${id}`);
      const mine = await ctx.services.macros.create(a.ownerActor, { name: `Temp macro ${p.name}`, body: 'x' });
      expect((await call('DELETE', `/api/v1/macros/${mine.id}`, p.headers)).statusCode).toBe(204);
    },

    'POST /api/v1/tickets/{id}/macros/{macroId}/preview': async (p) => {
      // B's ticket with A's macro, and A's ticket with B's macro (or any other id of B).
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/tickets/${id}/macros/${aMacros.macro}/preview`);
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/tickets/${aDesk.ticket}/macros/${id}/preview`);
      const res = await call('POST', `/api/v1/tickets/${aDesk.ticket}/macros/${aMacros.macro}/preview`, p.headers);
      expect(res.statusCode, res.body).toBe(200);
      // A's own names fill it (A's workspace may have been renamed by an earlier check; B's name never appears).
      expect(res.json<{ body: string }>().body).toMatch(/^Hello .+, this is .+\.$/);
      expect(res.json<{ body: string }>().body).not.toContain(b.workspace.name);
    },

    'POST /api/v1/tickets/{id}/macros/{macroId}/apply': async (p) => {
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/tickets/${id}/macros/${aMacros.macro}/apply`, {});
      await refusedOnEveryIdOfB(p, 'POST', (id) => `/api/v1/tickets/${aDesk.ticket}/macros/${id}/apply`, {});
      const res = await call('POST', `/api/v1/tickets/${aDesk.ticket}/macros/${aMacros.macro}/apply`, p.headers, {});
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ ticket: { teamId: string } }>().ticket.teamId).toBe(aDesk.team);
    },

    'GET /api/v1/sop-checklists': async (p) => {
      const sops = (
        await getJson<{ data: Array<{ steps: Array<{ id: string; text: string }> }> }>(
          '/api/v1/sop-checklists',
          p.headers,
        )
      ).data;
      const texts = sops.flatMap((x) => x.steps.map((s) => s.text));
      expect(texts).toContain('A step');
      expect(texts).not.toContain('B secret step');
    },

    'PUT /api/v1/sop-checklists/{ticketType}': async (p) => {
      // B has an SOP for this type too; A's write is A's only (B's snapshot holds).
      const res = await call('PUT', '/api/v1/sop-checklists/complaint', p.headers, {
        steps: [{ text: 'A step', required: true }],
      });
      expect(res.statusCode, res.body).toBe(200);
    },

    'DELETE /api/v1/sop-checklists/{ticketType}': async (p) => {
      await ctx.services.sops.put(a.ownerActor, 'billing', { steps: [{ text: 'Temp' }] });
      expect((await call('DELETE', '/api/v1/sop-checklists/billing', p.headers)).statusCode).toBe(204);
    },

    'GET /api/v1/tickets/{id}/checklist': async (p) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/tickets/${id}/checklist`);
      const res = await call('GET', `/api/v1/tickets/${aDesk.ticket}/checklist`, p.headers);
      expect(res.json<{ steps: Array<{ id: string }> }>().steps.map((x) => x.id)).toEqual([aMacros.step]);
    },

    'PATCH /api/v1/tickets/{id}/checklist/{stepId}': async (p) => {
      const bStep = bIds.checklistSteps[0] ?? '';
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/tickets/${id}/checklist/${bStep}`, { done: true });
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/tickets/${aDesk.ticket}/checklist/${id}`, { done: true });
      const url = `/api/v1/tickets/${aDesk.ticket}/checklist/${aMacros.step}`;
      expect((await call('PATCH', url, p.headers, { done: true })).statusCode).toBe(200);
    },

    'POST /api/v1/calls': async (p) => {
      // B has a call with this id: A's call of the same id and the same number lands in A, never in B's ticket.
      const res = await call('POST', '/api/v1/calls', p.headers, {
        callId: 'tenancy-call',
        event: 'ended',
        direction: 'inbound',
        customerPhone: '+351912000111',
        durationSeconds: 30,
      });
      expect(res.statusCode, res.body).toBe(201);
      const t = res.json<{ ticket: { id: string } }>().ticket.id;
      expect(bIds.tickets).not.toContain(t);
      expect((await call('GET', `/api/v1/tickets/${t}`, bearer(bKey))).statusCode).toBe(404);
    },

    'GET /api/v1/rules': async (p) => {
      const ids = (await getJson<Listed>('/api/v1/rules', p.headers)).data.map((x) => x.id);
      expect(ids).toContain(aDesk.rule);
      for (const id of bIds.rules) expect(ids).not.toContain(id);
    },

    'POST /api/v1/rules': async (p) => {
      for (const action of [
        (id: string) => ({ type: 'set_team', teamId: id }),
        (id: string) => ({ type: 'assign', userId: id }),
      ])
        await refusedWithIdsOfBInBody(
          p,
          'POST',
          '/api/v1/rules',
          (id) => ({ name: 'Stolen', trigger: 'ticket.created', conditions: [], actions: [action(id)] }),
          [400],
        );
      const ok = await call('POST', '/api/v1/rules', p.headers, {
        name: `Rule ${p.name}`,
        trigger: 'ticket.created',
        conditions: [],
        actions: [{ type: 'set_team', teamId: aDesk.team }],
      });
      expect(ok.statusCode, ok.body).toBe(201);
    },

    'POST /api/v1/rules/recommended': async (p) => {
      await refusedWithIdsOfBInBody(p, 'POST', '/api/v1/rules/recommended', (id) => ({ teamId: id }), [400]);
      expect((await call('POST', '/api/v1/rules/recommended', p.headers, { teamId: aDesk.team })).statusCode).toBe(201);
    },

    'PATCH /api/v1/rules/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'PATCH', (id) => `/api/v1/rules/${id}`, { active: false });
      const url = `/api/v1/rules/${aDesk.rule}`;
      await refusedWithIdsOfBInBody(p, 'PATCH', url, (id) => ({ actions: [{ type: 'set_team', teamId: id }] }), [400]);
      expect((await call('PATCH', url, p.headers, { position: 3 })).statusCode).toBe(200);
    },

    'DELETE /api/v1/rules/{id}': async (p) => {
      await refusedOnEveryIdOfB(p, 'DELETE', (id) => `/api/v1/rules/${id}`);
      const mine = await ctx.services.rules.create(a.ownerActor, {
        name: 'Temp rule',
        trigger: 'ticket.created',
        conditions: [],
        actions: [{ type: 'add_tags', tags: ['t'] }],
      });
      expect((await call('DELETE', `/api/v1/rules/${mine.id}`, p.headers)).statusCode).toBe(204);
    },
  };

  /** A's request on B's knowledge-base objects and ticket, and on every other object of B: refused. */
  async function refusedOnKbOfB(p: Principal, method: Method, path: (id: string) => string, payload?: object) {
    for (const id of [kbIds.bCategory, kbIds.bArticle, kbIds.bDraft, kbIds.bTicket]) {
      const res = await call(method, path(id), p.headers, payload);
      expect([403, 404], `${p.name}: ${method} ${path(id)} -> ${res.statusCode} ${res.body}`).toContain(res.statusCode);
    }
    await refusedOnEveryIdOfB(p, method, path, payload);
  }

  /** No id of B's knowledge base in a list or hit list. */
  function noKbOfB(items: Array<{ id: string }>, what: string) {
    const ids = items.map((x) => x.id);
    for (const id of [kbIds.bCategory, kbIds.bArticle, kbIds.bDraft]) expect(ids, what).not.toContain(id);
  }

  Object.assign(checks, {
    'GET /api/v1/kb/categories': async (p: Principal) => {
      const list = await getJson<Listed>('/api/v1/kb/categories', p.headers);
      noKbOfB(list.data, 'categories');
      expect(list.data.map((x) => x.id)).toContain(kbIds.aCategory);
    },
    'POST /api/v1/kb/categories': async (p: Principal) => {
      const res = await call('POST', '/api/v1/kb/categories', p.headers, { name: `A more ${p.name}` });
      expect(res.statusCode, res.body).toBe(201);
    },
    'PATCH /api/v1/kb/categories/{id}': async (p: Principal) => {
      await refusedOnKbOfB(p, 'PATCH', (id) => `/api/v1/kb/categories/${id}`, { name: 'Hijacked' });
      const res = await call('PATCH', `/api/v1/kb/categories/${kbIds.aCategory}`, p.headers, { position: 1 });
      expect(res.statusCode, res.body).toBe(200);
    },
    'DELETE /api/v1/kb/categories/{id}': async (p: Principal) => {
      await refusedOnKbOfB(p, 'DELETE', (id) => `/api/v1/kb/categories/${id}`);
      const mine = await ctx.services.kb.createCategory(a.ownerActor, { name: `Temp ${p.name}` });
      expect((await call('DELETE', `/api/v1/kb/categories/${mine.id}`, p.headers)).statusCode).toBe(204);
    },
    'GET /api/v1/kb/articles': async (p: Principal) => {
      for (const q of [
        '?limit=200',
        `?filter=category_id:eq:${kbIds.bCategory}`,
        '?filter=tag:eq:zanzibarcrux',
        '?q=zanzibarcrux',
        '?filter=status:eq:draft',
      ]) {
        const list = await getJson<Listed>(`/api/v1/kb/articles${q}`, p.headers);
        noKbOfB(list.data, q);
      }
    },
    'POST /api/v1/kb/articles': async (p: Principal) => {
      const cross = await call('POST', '/api/v1/kb/articles', p.headers, {
        title: 'Into B',
        categoryId: kbIds.bCategory,
      });
      expect(cross.statusCode, cross.body).toBe(400);
      expect(cross.json<{ error: { details: { field: string } } }>().error.details.field).toBe('categoryId');
      // B's slug is free in A: slugs are per workspace.
      const mine = await call('POST', '/api/v1/kb/articles', p.headers, {
        title: 'Own',
        slug: `${bKbSlugs[0]}-${p.name === 'session' ? 's' : 'k'}`,
      });
      expect(mine.statusCode, mine.body).toBe(201);
    },
    'GET /api/v1/kb/articles/{id}': async (p: Principal) => {
      await refusedOnKbOfB(p, 'GET', (id) => `/api/v1/kb/articles/${id}`);
      expect((await call('GET', `/api/v1/kb/articles/${kbIds.aArticle}`, p.headers)).statusCode).toBe(200);
    },
    'PATCH /api/v1/kb/articles/{id}': async (p: Principal) => {
      await refusedOnKbOfB(p, 'PATCH', (id) => `/api/v1/kb/articles/${id}`, { title: 'Hijacked' });
      const cross = await call('PATCH', `/api/v1/kb/articles/${kbIds.aArticle}`, p.headers, {
        categoryId: kbIds.bCategory,
      });
      expect(cross.statusCode, cross.body).toBe(400);
      const ok = await call('PATCH', `/api/v1/kb/articles/${kbIds.aArticle}`, p.headers, { tags: ['a'] });
      expect(ok.statusCode, ok.body).toBe(200);
    },
    'DELETE /api/v1/kb/articles/{id}': async (p: Principal) => {
      await refusedOnKbOfB(p, 'DELETE', (id) => `/api/v1/kb/articles/${id}`);
      const mine = await ctx.services.kb.create(a.ownerActor, { title: `Temp ${p.name}` });
      expect((await call('DELETE', `/api/v1/kb/articles/${mine.id}`, p.headers)).statusCode).toBe(204);
    },
    'POST /api/v1/kb/articles/{id}/publish': async (p: Principal) => {
      await refusedOnKbOfB(p, 'POST', (id) => `/api/v1/kb/articles/${id}/publish`);
      const res = await call('POST', `/api/v1/kb/articles/${kbIds.aArticle}/publish`, p.headers);
      expect(res.statusCode, res.body).toBe(200);
    },
    'POST /api/v1/kb/articles/{id}/unpublish': async (p: Principal) => {
      await refusedOnKbOfB(p, 'POST', (id) => `/api/v1/kb/articles/${id}/unpublish`);
      const mine = await ctx.services.kb.create(a.ownerActor, {
        title: `Pub ${p.name}`,
        body: 'Text.',
        status: 'published',
      });
      const res = await call('POST', `/api/v1/kb/articles/${mine.id}/unpublish`, p.headers);
      expect(res.json<{ status: string }>().status).toBe('draft');
    },
    'POST /api/v1/kb/preview': async (p: Principal) => {
      const res = await call('POST', '/api/v1/kb/preview', p.headers, { body: '**A**' });
      expect(res.statusCode).toBe(200);
    },
    'GET /api/v1/kb/search': async (p: Principal) => {
      for (const status of ['published', 'any']) {
        const res = await getJson<Listed>(
          `/api/v1/kb/search?q=${encodeURIComponent(bKbWords)}&status=${status}`,
          p.headers,
        );
        expect(res.data, status).toEqual([]);
      }
      expect((await call('GET', `/api/v1/kb/search?q=x&categoryId=${kbIds.bCategory}`, p.headers)).json()).toEqual({
        data: [],
      });
      const own = await getJson<Listed>('/api/v1/kb/search?q=returns&status=any', p.headers);
      noKbOfB(own.data, 'returns');
      expect(own.data.map((x) => x.id)).toContain(kbIds.aArticle);
    },
    'POST /api/v1/kb/suggest': async (p: Principal) => {
      const res = await call('POST', '/api/v1/kb/suggest', p.headers, {
        text: `Where is my ${bKbWords} parcel? I want to send back my returns.`,
      });
      expect(res.statusCode).toBe(200);
      const data = res.json<Listed>().data;
      noKbOfB(data, 'suggest');
      expect(data.map((x) => x.id)).toContain(kbIds.aArticle);
    },
    'GET /api/v1/tickets/{id}/suggestions': async (p: Principal) => {
      await refusedOnKbOfB(p, 'GET', (id) => `/api/v1/tickets/${id}/suggestions`);
    },
  });

  Object.assign(checks, {
    'GET /api/v1/products': async (p: Principal) => {
      for (const q of [
        '?limit=200',
        `?filter=sku:eq:${bCommerceKeys.sku}`,
        `?filter=external_id:eq:${bCommerceKeys.product}`,
        '?filter=name:contains:tenancy',
      ]) {
        const list = await getJson<Listed>(`/api/v1/products${q}`, p.headers);
        noCommerceOfB(list.data, q);
      }
      const mine = await getJson<Listed>(`/api/v1/products?filter=sku:eq:${bCommerceKeys.sku}`, p.headers);
      expect(mine.data.map((x) => x.id)).toEqual([commerceIds.aProduct]);
    },
    'POST /api/v1/products': async (p: Principal) => {
      // Skus are per workspace: B's sku (taken in A too) is a conflict with A's product only.
      const taken = await call('POST', '/api/v1/products', p.headers, {
        sku: bCommerceKeys.sku,
        name: 'Copy',
        price: 1,
        currency: 'EUR',
      });
      expect(taken.statusCode, taken.body).toBe(409);
      expect(taken.json<{ error: { details: { productId: string } } }>().error.details.productId).toBe(
        commerceIds.aProduct,
      );
      const res = await call('POST', '/api/v1/products', p.headers, {
        sku: `A-${own(p)}`,
        name: 'Own',
        price: 1,
        currency: 'EUR',
        externalId: `${bCommerceKeys.product}-${own(p)}`,
      });
      expect(res.statusCode, res.body).toBe(201);
    },
    'GET /api/v1/products/{id}': async (p: Principal) => {
      await refusedOnCommerceOfB(p, 'GET', (id) => `/api/v1/products/${id}`);
      expect((await call('GET', `/api/v1/products/${commerceIds.aProduct}`, p.headers)).statusCode).toBe(200);
    },
    'PATCH /api/v1/products/{id}': async (p: Principal) => {
      await refusedOnCommerceOfB(p, 'PATCH', (id) => `/api/v1/products/${id}`, { name: 'Hijacked', price: 0 });
      const ok = await call('PATCH', `/api/v1/products/${commerceIds.aProduct}`, p.headers, { category: own(p) });
      expect(ok.statusCode, ok.body).toBe(200);
    },
    'DELETE /api/v1/products/{id}': async (p: Principal) => {
      await refusedOnCommerceOfB(p, 'DELETE', (id) => `/api/v1/products/${id}`);
      const mine = await ctx.services.products.create(a.ownerActor, {
        sku: `TEMP-${own(p)}`,
        name: 'Temp',
        price: 1,
        currency: 'EUR',
      });
      expect((await call('DELETE', `/api/v1/products/${mine.id}`, p.headers)).statusCode).toBe(204);
    },
    'PUT /api/v1/products/by-external-id/{externalId}': async (p: Principal) => {
      // B's external id names A's own product (made in A's setup with the same key): B's is untouched.
      const res = await call('PUT', `/api/v1/products/by-external-id/${bCommerceKeys.product}`, p.headers, {
        sku: bCommerceKeys.sku,
        name: `Renamed by ${p.name}`,
        price: '40.00',
        currency: 'EUR',
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ id: string }>().id).toBe(commerceIds.aProduct);
    },
    'GET /api/v1/orders': async (p: Principal) => {
      for (const q of [
        '?limit=200',
        `?filter=person_id:eq:${bIds.people[0]}`,
        `?filter=external_id:eq:${bCommerceKeys.order}`,
        '?filter=status:eq:partially_refunded',
        '?sort=-total',
      ]) {
        const list = await getJson<Listed>(`/api/v1/orders${q}`, p.headers);
        noCommerceOfB(list.data, q);
        for (const o of list.data) expect(bIds.people).not.toContain(o.personId);
      }
      const mine = await getJson<Listed>(`/api/v1/orders?filter=external_id:eq:${bCommerceKeys.order}`, p.headers);
      expect(mine.data.map((x) => x.id)).toEqual([commerceIds.aOrder]);
    },
    'GET /api/v1/orders/export': async (p: Principal) => {
      for (const q of [
        '',
        `&filter=person_id:eq:${bIds.people[0]}`,
        `&filter=external_id:eq:${bCommerceKeys.order}`,
        '&sort=-total',
      ]) {
        const json = await call('GET', `/api/v1/orders/export?format=json${q}`, p.headers);
        expect(json.statusCode, json.body).toBe(200);
        noCommerceOfB(JSON.parse(json.body) as Array<{ id: string }>, q);
        const csv = await call('GET', `/api/v1/orders/export?format=csv${q}`, p.headers);
        expect(csv.statusCode).toBe(200);
        expect(csv.body, q).not.toContain(commerceIds.bOrder);
      }
      const mine = await call(
        'GET',
        `/api/v1/orders/export?format=json&filter=external_id:eq:${bCommerceKeys.order}`,
        p.headers,
      );
      expect((JSON.parse(mine.body) as Array<{ id: string }>).map((x) => x.id)).toEqual([commerceIds.aOrder]);
    },
    'POST /api/v1/orders': async (p: Principal) => {
      await refusedWithIdsOfBInBody(
        p,
        'POST',
        '/api/v1/orders',
        (id) => ({ personId: id, currency: 'EUR', subtotal: 1 }),
        [400],
      );
      const bProduct = await call('POST', '/api/v1/orders', p.headers, {
        personId: aIds.person,
        currency: 'EUR',
        lines: [{ productId: commerceIds.bProduct }],
      });
      expect(bProduct.statusCode, bProduct.body).toBe(400);
      // The shop's customer id and address B also has: A's own customer.
      const res = await call('POST', '/api/v1/orders', p.headers, {
        externalId: `${bCommerceKeys.order}-${own(p)}`,
        customer: { externalId: 'tenancy-customer', email: 'tess@tenancy.example' },
        currency: 'EUR',
        lines: [{ sku: bCommerceKeys.sku, quantity: 1 }],
      });
      expect(res.statusCode, res.body).toBe(201);
      const o = res.json<{ personId: string; lines: Array<{ productId: string }> }>();
      expect(o.personId).toBe(aIds.person);
      expect(o.lines[0]?.productId).toBe(commerceIds.aProduct);
    },
    'GET /api/v1/orders/{id}': async (p: Principal) => {
      await refusedOnCommerceOfB(p, 'GET', (id) => `/api/v1/orders/${id}`);
      expect((await call('GET', `/api/v1/orders/${commerceIds.aOrder}`, p.headers)).statusCode).toBe(200);
    },
    'PATCH /api/v1/orders/{id}': async (p: Principal) => {
      await refusedOnCommerceOfB(p, 'PATCH', (id) => `/api/v1/orders/${id}`, { note: 'Hijacked' });
      const ok = await call('PATCH', `/api/v1/orders/${commerceIds.aOrder}`, p.headers, { note: own(p) });
      expect(ok.statusCode, ok.body).toBe(200);
    },
    'DELETE /api/v1/orders/{id}': async (p: Principal) => {
      await refusedOnCommerceOfB(p, 'DELETE', (id) => `/api/v1/orders/${id}`);
      const mine = await ctx.services.orders.create(a.ownerActor, {
        personId: aIds.person,
        currency: 'EUR',
        subtotal: '1.00',
      });
      expect((await call('DELETE', `/api/v1/orders/${mine.order.id}`, p.headers)).statusCode).toBe(204);
    },
    'POST /api/v1/orders/{id}/refunds': async (p: Principal) => {
      await refusedOnCommerceOfB(p, 'POST', (id) => `/api/v1/orders/${id}/refunds`, { amount: '1.00' });
      const ok = await call('POST', `/api/v1/orders/${commerceIds.aOrder}/refunds`, p.headers, { amount: '1.00' });
      expect(ok.statusCode, ok.body).toBe(201);
    },
    'PUT /api/v1/orders/by-external-id/{externalId}': async (p: Principal) => {
      const url = `/api/v1/orders/by-external-id/${bCommerceKeys.order}`;
      await refusedWithIdsOfBInBody(p, 'PUT', url, (id) => ({ personId: id, currency: 'EUR', subtotal: 80 }), [400]);
      // B's external id names A's own order: A's changes, B's stays.
      const res = await call('PUT', url, p.headers, {
        personId: aIds.person,
        currency: 'EUR',
        lines: [{ productId: commerceIds.aProduct, quantity: 2 }],
        note: `Sent by ${p.name}`,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ id: string }>().id).toBe(commerceIds.aOrder);
    },
    'GET /api/v1/subscriptions': async (p: Principal) => {
      for (const q of [
        '?limit=200',
        `?filter=person_id:eq:${bIds.people[0]}`,
        `?filter=external_id:eq:${bCommerceKeys.subscription}`,
        '?filter=plan:eq:Tenancy%20plan',
      ]) {
        const list = await getJson<Listed>(`/api/v1/subscriptions${q}`, p.headers);
        noCommerceOfB(list.data, q);
      }
    },
    'POST /api/v1/subscriptions': async (p: Principal) => {
      await refusedWithIdsOfBInBody(
        p,
        'POST',
        '/api/v1/subscriptions',
        (id) => ({ personId: id, plan: 'Stolen', mrr: 1, currency: 'EUR' }),
        [400],
      );
      const res = await call('POST', '/api/v1/subscriptions', p.headers, {
        externalId: `${bCommerceKeys.subscription}-${own(p)}`,
        customer: { email: 'tess@tenancy.example' },
        plan: 'Own',
        mrr: 1,
        currency: 'EUR',
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<{ personId: string }>().personId).toBe(aIds.person);
    },
    'GET /api/v1/subscriptions/{id}': async (p: Principal) => {
      await refusedOnCommerceOfB(p, 'GET', (id) => `/api/v1/subscriptions/${id}`);
      expect((await call('GET', `/api/v1/subscriptions/${commerceIds.aSubscription}`, p.headers)).statusCode).toBe(200);
    },
    'POST /api/v1/subscriptions/{id}/cancel': async (p: Principal) => {
      await refusedOnCommerceOfB(p, 'POST', (id) => `/api/v1/subscriptions/${id}/cancel`, { reason: 'Hijacked' });
      const mine = await ctx.services.subscriptions.create(a.ownerActor, {
        personId: aIds.person,
        plan: 'Temp',
        mrr: 1,
        currency: 'EUR',
      });
      const res = await call('POST', `/api/v1/subscriptions/${mine.subscription.id}/cancel`, p.headers, {});
      expect(res.statusCode, res.body).toBe(200);
    },
    'PUT /api/v1/subscriptions/by-external-id/{externalId}': async (p: Principal) => {
      const url = `/api/v1/subscriptions/by-external-id/${bCommerceKeys.subscription}`;
      await refusedWithIdsOfBInBody(
        p,
        'PUT',
        url,
        (id) => ({ personId: id, plan: 'Tenancy plan', mrr: '9.00', currency: 'EUR' }),
        [400],
      );
      const res = await call('PUT', url, p.headers, {
        personId: aIds.person,
        plan: 'Tenancy plan',
        mrr: p.name === 'session' ? '10.00' : '11.00',
        currency: 'EUR',
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ id: string }>().id).toBe(commerceIds.aSubscription);
    },
  });

  /**
   * Metrics: B alone sells in CHF (a currency A never uses), and both workspaces' roll-ups are rebuilt, so any of
   * B's numbers in A's answers would show.
   */
  beforeAll(async () => {
    await ctx.services.orders.create(b.ownerActor, {
      personId: bIds.people[0],
      currency: 'CHF',
      subtotal: '123.45',
      placedAt: '2024-03-10T10:00:00Z',
    });
    await rebuildMetricRollups(ctx.database.db);
    const bSees = await getJson<{ currencies: string[] }>('/api/v1/metrics/rfm?currency=CHF', bearer(bKey));
    expect(bSees.currencies).toContain('CHF');
  });

  /** A's metrics in B's own currency: nothing at all. */
  async function noMetricsOfB(p: Principal, path: string) {
    const sep = path.includes('?') ? '&' : '?';
    const body = await getJson<{ currencies: string[] } & Record<string, unknown>>(
      `${path}${sep}currency=CHF`,
      p.headers,
    );
    expect(body.currencies).not.toContain('CHF');
    expect(JSON.stringify(body)).not.toMatch(new RegExp(bIds.people.join('|')));
    return body;
  }

  Object.assign(checks, {
    'GET /api/v1/metrics/summary': async (p: Principal) => {
      const chf = await noMetricsOfB(p, '/api/v1/metrics/summary?from=2024-03-01&to=2024-04-01');
      const m = chf.metrics as Record<string, { current: { value: number | null } }>;
      expect(m.revenue?.current.value).toBe(0);
      expect(m.activeCustomers?.current.value).toBe(0);
      // B's people as a segment of A: a filter on B's person ids or company finds nobody.
      const seg = await getJson<{ metrics: typeof m }>(
        `/api/v1/metrics/summary?from=2024-01-01&to=2030-01-01&currency=EUR&filter=company_id:in:${bIds.companies.join('|')}`,
        p.headers,
      );
      expect(seg.metrics.activeCustomers?.current.value).toBe(0);
    },
    'GET /api/v1/metrics/people': async (p: Principal) => {
      const wide = 'from=2000-01-01&to=2040-01-01';
      for (const metric of ['activeCustomers', 'repeatPurchaseRate', 'retentionRate', 'churnRate'])
        for (const part of ['numerator', 'denominator']) {
          for (const currency of ['CHF', 'EUR']) {
            const page = await getJson<{ data: Array<{ personId: string }> }>(
              `/api/v1/metrics/people?${wide}&currency=${currency}&metric=${metric}&part=${part}&limit=200`,
              p.headers,
            );
            if (currency === 'CHF') expect(page.data).toEqual([]);
            for (const x of page.data) expect(bIds.people).not.toContain(x.personId);
          }
        }
      const active = await getJson<{ data: Array<{ personId: string }> }>(
        `/api/v1/metrics/people?${wide}&currency=EUR&metric=activeCustomers&limit=200`,
        p.headers,
      );
      expect(active.data.map((x) => x.personId)).toContain(aIds.person);
      const seg = await getJson<{ data: unknown[] }>(
        `/api/v1/metrics/people?${wide}&currency=EUR&metric=activeCustomers&filter=company_id:in:${bIds.companies.join('|')}`,
        p.headers,
      );
      expect(seg.data).toEqual([]);
    },
    'GET /api/v1/metrics/trend': async (p: Principal) => {
      const chf = await noMetricsOfB(p, '/api/v1/metrics/trend?to=2024-04-01&months=3');
      const months = chf.months as Array<{ orders: { value: number }; activeCustomers: { value: number } }>;
      expect(months).toHaveLength(3);
      for (const m of months) expect([m.orders.value, m.activeCustomers.value]).toEqual([0, 0]);
      const seg = await getJson<{ months: typeof months }>(
        `/api/v1/metrics/trend?to=2030-01-01&months=120&currency=EUR&filter=company_id:in:${bIds.companies.join('|')}`,
        p.headers,
      );
      expect(seg.months.every((m) => m.activeCustomers.value === 0)).toBe(true);
    },
    'GET /api/v1/metrics/cohorts': async (p: Principal) => {
      const chf = await noMetricsOfB(p, '/api/v1/metrics/cohorts');
      expect(chf.cohorts).toEqual([]);
    },
    'GET /api/v1/metrics/rfm': async (p: Principal) => {
      const chf = await noMetricsOfB(p, '/api/v1/metrics/rfm');
      expect(chf.customers).toBe(0);
      const eur = await getJson<{ customers: number }>('/api/v1/metrics/rfm?currency=EUR', p.headers);
      expect(eur.customers).toBeGreaterThanOrEqual(1);
    },
    'GET /api/v1/metrics/rfm/people': async (p: Principal) => {
      const chf = await noMetricsOfB(p, '/api/v1/metrics/rfm/people');
      expect(chf.data).toEqual([]);
      const eur = await getJson<{ data: Array<{ personId: string }> }>(
        '/api/v1/metrics/rfm/people?currency=EUR&limit=200',
        p.headers,
      );
      expect(eur.data.map((x) => x.personId)).toContain(aIds.person);
      for (const x of eur.data) expect(bIds.people).not.toContain(x.personId);
    },
    'GET /api/v1/people/{id}/rfm': async (p: Principal) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/people/${id}/rfm`);
      const mine = await getJson<{ rfm: { personId: string } | null }>(
        `/api/v1/people/${aIds.person}/rfm?currency=EUR`,
        p.headers,
      );
      expect(mine.rfm?.personId).toBe(aIds.person);
    },
  });

  /**
   * Predictions: B has a purchase model in CHF and EUR scoring every one of its people as high value, likely to buy
   * and probably gone at once (so any of B's rows in A's lists would show), and stage rules of its own; A has a EUR
   * model of its one customer. Stored as a refit stores them.
   */
  const predictionIds = { bModels: [] as string[], aModel: '' };
  beforeAll(async () => {
    const score = (personId: string) => ({
      personId,
      scoredAt: new Date(),
      x: 5,
      recencyDays: 100,
      ageDays: 400,
      historicalNet: 500_000,
      repeatMean: 100_000,
      pAlive: 0.1,
      expectedPurchases: 3,
      expectedSpend: 90_000,
      clv: 1_000_000,
      rfmR: 1,
      rfmF: 5,
      rfmM: 5,
      rfmSegment: 'cant_lose',
    });
    const model = (workspaceId: string, currency: string, customers: number) => ({
      workspaceId,
      id: newId(),
      kind: 'purchase',
      currency,
      asOf: new Date(),
      params: { r: 0.24, alpha: 4.4, a: 0.79, b: 2.43 },
      summary: {},
      customers,
      fitMs: 1,
    });
    for (const currency of ['CHF', 'EUR']) {
      const saved = await saveModel(ctx.database.db, model(b.workspace.id, currency, bIds.people.length), [
        ...bIds.people.map(score),
      ]);
      predictionIds.bModels.push(saved.id);
    }
    predictionIds.aModel = (await saveModel(ctx.database.db, model(a.workspace.id, 'EUR', 1), [score(aIds.person)])).id;
    await saveStageRules(ctx.database.db, b.ownerActor, [{ stage: 'at_risk', filter: ['p_alive:lt:0.3'] }]);
  });

  Object.assign(checks, {
    'GET /api/v1/predictions/models': async (p: Principal) => {
      const ids = (await getJson<Listed>('/api/v1/predictions/models', p.headers)).data.map((m) => m.id);
      expect(ids).toContain(predictionIds.aModel);
      for (const id of predictionIds.bModels) expect(ids).not.toContain(id);
    },
    'GET /api/v1/predictions/lists/{list}': async (p: Principal) => {
      for (const list of ['high_value_at_risk', 'likely_to_buy', 'probably_gone'])
        for (const currency of ['CHF', 'EUR']) {
          const body = await getJson<{ model: { id: string } | null; data: Array<{ personId: string }> }>(
            `/api/v1/predictions/lists/${list}?currency=${currency}&limit=200`,
            p.headers,
          );
          if (currency === 'CHF') expect([body.model, body.data]).toEqual([null, []]);
          else expect(body.model?.id).toBe(predictionIds.aModel);
          for (const x of body.data) expect(bIds.people).not.toContain(x.personId);
        }
      const high = await getJson<{ data: Array<{ personId: string }> }>(
        '/api/v1/predictions/lists/high_value_at_risk?currency=EUR',
        p.headers,
      );
      expect(high.data.map((x) => x.personId)).toEqual([aIds.person]);
    },
    'GET /api/v1/people/{id}/predictions': async (p: Principal) => {
      await refusedOnEveryIdOfB(p, 'GET', (id) => `/api/v1/people/${id}/predictions`);
      const mine = await getJson<{ data: Array<{ modelId: string }> }>(
        `/api/v1/people/${aIds.person}/predictions?history=true`,
        p.headers,
      );
      expect(mine.data.map((x) => x.modelId)).toEqual([predictionIds.aModel]);
    },
    'POST /api/v1/predictions/refit': async (p: Principal) => {
      const res = await call('POST', '/api/v1/predictions/refit', p.headers);
      expect(res.statusCode, res.body).toBe(202);
      // The refit job is A's: B's own request queues a job of its own rather than finding A's.
      const jobs = rowsOf<{ workspace_id: string }>(
        await ctx.database.db.execute(
          sql`select workspace_id from jobs where name = 'predictions.refit' and state = 'queued'`,
        ),
      );
      expect(jobs.map((j) => j.workspace_id)).toEqual([a.workspace.id]);
    },
    'GET /api/v1/predictions/stage-rules': async (p: Principal) => {
      const rules = await getJson<{ data: unknown[] }>('/api/v1/predictions/stage-rules', p.headers);
      expect(JSON.stringify(rules.data)).not.toContain('p_alive:lt:0.3');
    },
    'PUT /api/v1/predictions/stage-rules': async (p: Principal) => {
      // A's rules are A's only: B's stay (checked by the snapshot).
      const res = await call('PUT', '/api/v1/predictions/stage-rules', p.headers, {
        data: [{ stage: 'loyal', filter: ['p_alive:lt:0.2'] }],
      });
      expect(res.statusCode, res.body).toBe(200);
      const cleared = await call('PUT', '/api/v1/predictions/stage-rules', p.headers, { data: [] });
      expect(cleared.statusCode).toBe(200);
    },
    'PUT /api/v1/predictions/churn-model': async (p: Principal) => {
      // Not a model file: refused, and B's models stay as they were (the snapshot).
      const res = await call('PUT', '/api/v1/predictions/churn-model', p.headers, {
        format: 'x',
        workspace: bIds.workspace,
      });
      expect([400, 422]).toContain(res.statusCode);
      expect(res.json<{ error: { code: string } }>().error.code).toBeTruthy();
    },
  });

  it("never shows B's articles or drafts on A's public help centre", async () => {
    const home = await call('GET', `/help/${a.workspace.slug}`, {});
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('Returns at A');
    expect(home.body).not.toContain('zanzibarcrux');
    for (const slug of bKbSlugs)
      expect((await call('GET', `/help/${a.workspace.slug}/${slug}`, {})).statusCode).toBe(404);
    const search = await call('GET', `/help/${a.workspace.slug}/search?q=${encodeURIComponent(bKbWords)}`, {});
    expect(search.body).not.toContain(bKbSlugs[0]);
    expect(search.body).toContain('No article matches');
    // B's own help centre shows its published article, never its draft.
    const bHome = await call('GET', `/help/${b.workspace.slug}`, {});
    expect(bHome.body).toContain(bKbSlugs[0]);
    expect(bHome.body).not.toContain(bKbSlugs[1]);
  });

  it('has a check for every /api/v1 route of the OpenAPI document, and no other', async () => {
    const documented = (await apiRoutes(ctx.app)).filter((r) => r.path.startsWith('/api/v1/')).map((r) => r.key);
    expect([...documented].sort()).toEqual(Object.keys(checks).sort());
  });

  // The whole sweep by API key on every engine; by session on the last engine only (PostgreSQL when the run has it): a
  // session and an API key differ before any route's query (how the actor is found), and the queries each route runs
  // are swept on every engine by the API key. The session's own path (cookie, its actor and roles) is swept once.
  const sweeps = engine === testEngines().at(-1) ? (['API key', 'session'] as const) : (['API key'] as const);
  it.each(sweeps)(
    "lets A's owner %s read and change nothing of B, on every route",
    async (name) => {
      const p = principals.find((x) => x.name === name);
      if (!p) throw new Error(name);
      // B as it is before each route's check: the snapshot taken after the previous check (nothing runs in between),
      // so each check costs one snapshot, not two.
      let before = await snapshotOfB();
      for (const [route, check] of Object.entries(checks)) {
        try {
          await check(p);
        } catch (e) {
          throw new Error(`${route} (${name}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
        const after = await snapshotOfB();
        // POST /users adds a user in B on purpose (the Idempotency-Key check); everything else must leave B as it was.
        if (route !== 'POST /api/v1/users') expect(after, `${route} (${name}) changed workspace B`).toEqual(before);
        before = after;
      }
      // A's principal still works after all that.
      expect((await call('GET', '/api/v1/me', p.headers)).statusCode).toBe(200);
    },
    240_000,
  );

  it("refuses A's token rewritten to carry B's workspace id", async () => {
    for (const [prefix, token] of [
      ['rpk', aKey],
      ['rps', aCookie.slice(sessionCookieName.length + 1)],
    ] as const) {
      const raw = Buffer.from(token.slice(4), 'base64url');
      uuidBytes(b.workspace.id).copy(raw, 0);
      const forged = `${prefix}_${raw.toString('base64url')}`;
      const headers: Headers = prefix === 'rpk' ? bearer(forged) : { cookie: `${sessionCookieName}=${forged}` };
      for (const url of ['/api/v1/me', '/api/v1/users', '/api/v1/workspace']) {
        const res = await call('GET', url, headers);
        expect(res.statusCode, `${prefix} ${url}`).toBe(401);
      }
    }
  });

  // The live inbox socket (WebSocket routes are left out of the OpenAPI document by @fastify/websocket, so it is
  // checked here by name): A's principal hears A's changes only, and cannot signal into B's tickets.
  async function inboxSocketCheck(p: Principal): Promise<void> {
    const frames: Array<Record<string, unknown>> = [];
    const socket = await ctx.app.injectWS(
      '/api/v1/inbox/ws',
      { headers: p.headers },
      { onInit: (s) => s.on('message', (d) => frames.push(JSON.parse(String(d)) as Record<string, unknown>)) },
    );
    const until = async (pred: (f: Record<string, unknown>) => boolean) => {
      await expect.poll(() => frames.some(pred), { timeout: 10_000 }).toBe(true);
    };
    await until((f) => f.type === 'ready');
    const bTicket = crypto.randomUUID();
    const aTicket = crypto.randomUUID();
    await ctx.services.realtime.publish({ kind: 'ticket', workspaceId: b.workspace.id, ticketId: bTicket });
    await ctx.services.realtime.publish({ kind: 'ticket', workspaceId: a.workspace.id, ticketId: aTicket });
    await until((f) => f.ticketId === aTicket);
    expect(frames.some((f) => f.ticketId === bTicket)).toBe(false);
    for (const id of allIdsOfB()) socket.send(JSON.stringify({ type: 'typing', ticketId: id, on: true }));
    await expect
      .poll(() => frames.filter((x) => x.code === 'not_found').length, { timeout: 10_000 })
      .toBe(allIdsOfB().length);
    socket.close();
    // Without a principal the upgrade is refused.
    const res = await call('GET', '/api/v1/inbox/ws', {});
    expect(res.statusCode).toBe(401);
  }

  it.each(['API key', 'session'] as const)('the live inbox socket of A carries nothing of B (%s)', async (name) => {
    const p = principals.find((x) => x.name === name);
    if (!p) throw new Error(name);
    const before = await snapshotOfB();
    await inboxSocketCheck(p);
    expect(await snapshotOfB()).toEqual(before);
  });
});
