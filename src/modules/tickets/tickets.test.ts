import type { LightMyRequestResponse } from 'fastify';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace, testPassword } from '../../../test/factories.ts';
import { jobs, tickets } from '../../db/schema/index.ts';
import { sessionCookieName } from '../auth/auth.service.ts';
import { deliverEmailJobName } from './tickets.service.ts';
import { ticketSummarySchema } from './tickets.schemas.ts';

/**
 * The service desk through HTTP, as a help-desk user relies on it: opening tickets for customers, the inbox's lists
 * and queues, changing tickets, replies and notes (with collision detection), merge and split, history and the
 * customer's timeline, who may do what; channels and teams.
 */

type Headers = Record<string, string>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Ticket = {
  id: string;
  number: number;
  subject: string;
  type: string;
  priority: string;
  status: string;
  channel: string;
  personId: string | null;
  assigneeId: string | null;
  teamId: string | null;
  tags: string[];
  firstResponseAt: string | null;
  resolvedAt: string | null;
  mergedIntoId: string | null;
  sla: Array<{ metric: string; state: string; dueAt: string | null; warnAt: string | null }>;
  createdAt: string;
  updatedAt: string;
};
type Message = {
  id: string;
  conversationId: string;
  direction: string;
  authorType: string;
  authorId: string | null;
  bodyText: string;
  emailMessageId: string | null;
  delivery: string;
};
type TicketDetail = Ticket & {
  custom: Record<string, unknown>;
  conversations: Array<{ id: string }>;
  messages: Message[];
  person: { id: string; displayName: string; emails: string[]; phones: string[] } | null;
};
type Page<T> = { data: T[]; page: { nextCursor: string | null } };
type Event = { id: string; seq: number; type: string; subjectId: string; payload: Record<string, unknown> };
type Channel = {
  id: string;
  kind: string;
  name: string;
  address: string | null;
  teamId: string | null;
  secret: string | null;
  settings: { smtpUrl: string | null; fromName: string | null };
};
type Team = { id: string; name: string; description: string | null; memberIds: string[] };
type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> | null } };

describe.each(testEngines())('service desk API on %s', (engine) => {
  const ctx = useTestApp(engine);

  function call(h: Headers, method: Method, url: string, payload?: object): Promise<LightMyRequestResponse> {
    return ctx.app.inject({ method, url, headers: h, ...(payload ? { payload } : {}) });
  }

  async function ok<T>(h: Headers, method: Method, url: string, payload?: object, status?: number): Promise<T> {
    const res = await call(h, method, url, payload);
    const want = status ?? (method === 'POST' ? 201 : method === 'DELETE' ? 204 : 200);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(want);
    return (res.body ? res.json() : null) as T;
  }

  async function fails(h: Headers, method: Method, url: string, payload: object | undefined, status: number) {
    const res = await call(h, method, url, payload);
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    return res.json<ErrorBody>().error;
  }

  async function session(email: string): Promise<Headers> {
    const { token } = await ctx.services.auth.login({ email, password: testPassword });
    return { cookie: `${sessionCookieName}=${token}` };
  }

  /** A workspace with an owner key, two agents and a viewer (signed in), a read-only key and an analyst key. */
  async function desk() {
    const ws = await makeWorkspace(ctx.services);
    const owner = bearer(await makeApiKey(ctx.services, ws));
    const ann = await makeUser(ctx.services, ws, { role: 'agent', name: 'Ann Agent' });
    const bob = await makeUser(ctx.services, ws, { role: 'agent', name: 'Bob Agent' });
    const viewer = await makeUser(ctx.services, ws, { role: 'viewer' });
    const analyst = await makeUser(ctx.services, ws, { role: 'analyst' });
    return {
      ws,
      owner,
      ann: { id: ann.user.id, h: await session(ann.user.email) },
      bob: { id: bob.user.id, h: await session(bob.user.email) },
      viewer: {
        id: viewer.user.id,
        h: await session(viewer.user.email),
        key: bearer(
          await makeApiKey(ctx.services, ws, { scopes: ['tickets:read', 'customers:read', 'workspace:read'] }),
        ),
      },
      analyst: { id: analyst.user.id, key: bearer(await makeApiKey(ctx.services, ws, { actor: analyst.actor })) },
    };
  }
  type Desk = Awaited<ReturnType<typeof desk>>;

  async function openTicket(h: Headers, body: Record<string, unknown>): Promise<Ticket> {
    return ok<Ticket>(h, 'POST', '/api/v1/tickets', {
      subject: 'Where is my order?',
      requester: { email: 'casey@example.com', name: 'Casey Customer' },
      text: 'It has been two weeks.',
      ...body,
    });
  }

  const detail = (h: Headers, id: string) => ok<TicketDetail>(h, 'GET', `/api/v1/tickets/${id}`);
  const history = async (h: Headers, id: string) =>
    (await ok<{ data: Event[] }>(h, 'GET', `/api/v1/tickets/${id}/history?limit=200`)).data;

  /** An e-mail channel of the workspace, as the inbound side gets it. */
  async function emailChannel(d: Desk) {
    const c = await ok<Channel>(d.owner, 'POST', '/api/v1/channels', {
      kind: 'email',
      name: 'Support',
      address: `support-${d.ws.workspace.slug}@desk.test`,
    });
    return ctx.services.channels.get(d.ws.ownerActor, c.id);
  }

  async function deliveryJobs(workspaceId: string, messageIds: string[]): Promise<number> {
    const rows = await ctx.database.db
      .select({ payload: jobs.payload })
      .from(jobs)
      .where(and(eq(jobs.workspaceId, workspaceId), eq(jobs.name, deliverEmailJobName)));
    return rows.filter((r) => messageIds.includes((r.payload as { messageId: string }).messageId)).length;
  }

  let d: Desk;
  beforeAll(async () => {
    d = await desk();
  });

  it('keeps the ticket types configurable: renamed, added, refused when unknown or still in use', async () => {
    const { owner } = await desk();
    const ws = await ok<{ ticketTypes: Array<{ key: string; label: string }> }>(owner, 'GET', '/api/v1/workspace');
    expect(ws.ticketTypes.map((t) => t.key)).toEqual([
      'question',
      'complaint',
      'return_refund',
      'technical',
      'billing',
      'other',
    ]);
    const types = [
      { key: 'question', label: 'How do I…' },
      { key: 'warranty', label: 'Warranty claim' },
      { key: 'complaint', label: 'Complaint' },
    ];
    const saved = await ok<{ ticketTypes: unknown }>(owner, 'PATCH', '/api/v1/workspace', { ticketTypes: types });
    expect(saved.ticketTypes).toEqual(types);
    const t = await ok<{ id: string; type: string }>(owner, 'POST', '/api/v1/tickets', {
      subject: 'Cracked screen',
      type: 'warranty',
      requester: { email: 'w@example.com' },
      text: 'It cracked after a week',
    });
    expect(t.type).toBe('warranty');
    // A type that is no longer listed is refused.
    const body = { subject: 'x', type: 'billing', requester: { email: 'w@example.com' }, text: 'x' };
    expect((await fails(owner, 'POST', '/api/v1/tickets', body, 400)).message).toMatch(/billing/);
    // A type tickets have cannot be removed; the count says why.
    const only = { ticketTypes: [{ key: 'question', label: 'Q' }] };
    const inUse = await fails(owner, 'PATCH', '/api/v1/workspace', only, 409);
    expect(inUse.details).toMatchObject({ field: 'ticketTypes', inUse: { warranty: 1 } });
    await fails(owner, 'PATCH', '/api/v1/workspace', { ticketTypes: [types[0], types[0]] }, 400);
    await fails(owner, 'PATCH', '/api/v1/workspace', { ticketTypes: [] }, 400);
    await fails(owner, 'PATCH', '/api/v1/workspace', { ticketTypes: [{ key: 'Bad Key', label: 'x' }] }, 400);
  });
  describe('opening tickets', () => {
    it('opens a ticket for a new customer, creating the person from the e-mail and name', async () => {
      const t = await openTicket(d.owner, {
        subject: '  Parcel never arrived ',
        requester: { email: ' Nia.Newcomer@Example.COM ', name: 'Nia Newcomer' },
        text: 'Tracking says delivered.',
        priority: 'high',
        tags: ['shipping', 'shipping'],
      });
      expect(t).toMatchObject({
        subject: 'Parcel never arrived',
        status: 'new',
        priority: 'high',
        type: 'question',
        channel: 'api',
        assigneeId: null,
        tags: ['shipping'],
      });
      const person = await ok<{ firstName: string; lastName: string; emails: string[]; source: string }>(
        d.owner,
        'GET',
        `/api/v1/people/${t.personId}`,
      );
      expect(person).toMatchObject({
        firstName: 'Nia',
        lastName: 'Newcomer',
        emails: ['nia.newcomer@example.com'],
        source: 'api',
      });
      const full = await detail(d.owner, t.id);
      expect(full.person?.id).toBe(t.personId);
      expect(full.conversations).toHaveLength(1);
      expect(full.messages).toMatchObject([
        { direction: 'inbound', authorType: 'person', authorId: t.personId, bodyText: 'Tracking says delivered.' },
      ]);
      // Ticket numbers follow each other within the workspace.
      const next = await openTicket(d.owner, { requester: { email: 'nia.newcomer@example.com' } });
      expect(next.number).toBe(t.number + 1);
      expect(next.personId).toBe(t.personId);
    });

    it('finds an existing customer by e-mail, and by a national phone number read with the default country', async () => {
      const ws = await makeWorkspace(ctx.services);
      const h = bearer(await makeApiKey(ctx.services, ws));
      await ok(h, 'PATCH', '/api/v1/workspace', { defaultCountry: 'GB' }, 200);
      const p = await ok<{ id: string; phones: string[] }>(h, 'POST', '/api/v1/people', {
        firstName: 'Pat',
        emails: ['pat@example.co.uk'],
        phones: ['+44 20 7946 0018'],
      });
      expect(p.phones).toEqual(['+442079460018']);
      const byEmail = await openTicket(h, { requester: { email: 'PAT@example.co.uk' } });
      const byPhone = await openTicket(h, { requester: { phone: '020 7946 0018' }, channel: 'phone' });
      const byId = await openTicket(h, { requester: { personId: p.id } });
      expect([byEmail.personId, byPhone.personId, byId.personId]).toEqual([p.id, p.id, p.id]);
      expect(byPhone.channel).toBe('phone');
      const people = await ok<Page<{ id: string }>>(h, 'GET', '/api/v1/people?limit=200');
      expect(people.data.map((x) => x.id)).toEqual([p.id]);

      // Without a default country a national number means nothing.
      const other = bearer(await makeApiKey(ctx.services, await makeWorkspace(ctx.services)));
      const e = await fails(
        other,
        'POST',
        '/api/v1/tickets',
        { subject: 'x', requester: { phone: '020 7946 0018' } },
        400,
      );
      expect(e).toMatchObject({ code: 'validation_failed', details: { field: 'phone' } });
    });

    it('refuses a requester that is nobody, an unknown person, a bad e-mail, an assignee who may not work tickets, or an unknown team', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ requester: {} }, 'requester'],
        [{ requester: { personId: crypto.randomUUID() } }, 'personId'],
        [{ requester: { email: 'not-an-email' } }, 'email'],
        [{ assigneeId: crypto.randomUUID() }, 'assigneeId'],
        // A viewer may read tickets but not work them.
        [{ assigneeId: d.viewer.id }, 'assigneeId'],
        [{ teamId: crypto.randomUUID() }, 'teamId'],
        [{ type: 'gossip' }, 'type'],
      ];
      const before = (await ok<Page<Ticket>>(d.owner, 'GET', '/api/v1/tickets?limit=200')).data.length;
      for (const [body, field] of cases) {
        const e = await fails(
          d.owner,
          'POST',
          '/api/v1/tickets',
          { subject: 'Bad', requester: { email: 'x@example.com' }, ...body },
          400,
        );
        expect(e.code, field).toBe('validation_failed');
        expect(JSON.stringify(e.details), field).toContain(field);
      }
      expect((await ok<Page<Ticket>>(d.owner, 'GET', '/api/v1/tickets?limit=200')).data).toHaveLength(before);
    });
  });

  describe('lists and queues', () => {
    let w: Desk;
    let all: Ticket[];
    let team: Team;

    beforeAll(async () => {
      w = await desk();
      team = await ok<Team>(w.owner, 'POST', '/api/v1/teams', { name: 'Returns', memberIds: [w.ann.id] });
      const specs: Array<Record<string, unknown>> = [
        { subject: 'Refund for blue kettle', priority: 'urgent', tags: ['refund', 'vip'] },
        { subject: 'Kettle lid broken', priority: 'high', assigneeId: w.ann.id, tags: ['damage'] },
        { subject: 'Change delivery address', priority: 'low', assigneeId: w.bob.id },
        { subject: 'Invoice copy please', priority: 'normal', teamId: team.id, tags: ['vip'] },
        { subject: 'Password reset', priority: 'normal', teamId: team.id, assigneeId: w.bob.id },
        { subject: 'Thanks for the kettle', priority: 'low' },
      ];
      all = [];
      for (const [i, s] of specs.entries())
        all.push(await openTicket(w.owner, { ...s, requester: { email: `buyer${i}@example.com` } }));
      // The last one is solved: out of every queue.
      await ok(w.owner, 'PATCH', `/api/v1/tickets/${all[5]?.id}`, { status: 'solved' });
      // Creation dates a day apart, oldest first, so date ranges have something to cut.
      for (const [i, t] of all.entries())
        await ctx.database.db
          .update(tickets)
          .set({ createdAt: new Date(Date.UTC(2026, 0, 10 + i, 12)) })
          .where(and(eq(tickets.workspaceId, w.ws.workspace.id), eq(tickets.id, t.id)));
    });

    const numbersOf = async (h: Headers, query: string) =>
      (await ok<Page<Ticket>>(h, 'GET', `/api/v1/tickets?${query}`)).data.map((t) => t.number);
    const n = (i: number) => all[i]?.number ?? -1;

    it('filters by status, priority, assignee, tag and creation date', async () => {
      expect(await numbersOf(w.owner, 'filter=status:eq:solved')).toEqual([n(5)]);
      expect((await numbersOf(w.owner, 'filter=status:in:new|open&sort=number')).sort()).toEqual(
        [n(0), n(1), n(2), n(3), n(4)].sort(),
      );
      expect(await numbersOf(w.owner, 'filter=priority:in:urgent|high&sort=number')).toEqual([n(0), n(1)]);
      expect(await numbersOf(w.owner, `filter=assignee_id:eq:${w.bob.id}&sort=number`)).toEqual([n(2), n(4)]);
      expect(await numbersOf(w.owner, 'filter=tag:eq:vip&sort=number')).toEqual([n(0), n(3)]);
      expect(
        await numbersOf(
          w.owner,
          'filter=created_at:gte:2026-01-11T00:00:00Z&filter=created_at:lt:2026-01-13&sort=number',
        ),
      ).toEqual([n(1), n(2)]);
      const bad = await fails(w.owner, 'GET', '/api/v1/tickets?filter=priority:eq:critical', undefined, 400);
      expect(bad.code).toBe('validation_failed');
    });

    it('sorts, and pages with cursors without losing or repeating a ticket', async () => {
      const asc = all.map((t) => t.number).sort((a, b) => a - b);
      expect(await numbersOf(w.owner, 'sort=number&limit=200')).toEqual(asc);
      expect(await numbersOf(w.owner, 'sort=-created_at&limit=200')).toEqual([...asc].reverse());
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Page<Ticket> = await ok<Page<Ticket>>(
          w.owner,
          'GET',
          `/api/v1/tickets?sort=-number&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.data.map((t) => t.number));
        cursor = page.page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(2);
      expect(seen).toEqual([...asc].reverse());
    });

    it('serves the queues: mine, unassigned, my teams, and their counts', async () => {
      expect(await numbersOf(w.ann.h, 'queue=mine&sort=number')).toEqual([n(1)]);
      expect(await numbersOf(w.bob.h, 'queue=mine&sort=number')).toEqual([n(2), n(4)]);
      expect(await numbersOf(w.ann.h, 'queue=unassigned&sort=number')).toEqual([n(0), n(3)]);
      expect(await numbersOf(w.ann.h, 'queue=my_teams&sort=number')).toEqual([n(3), n(4)]);
      expect(await numbersOf(w.bob.h, 'queue=my_teams')).toEqual([]);
      expect(await numbersOf(w.ann.h, 'queue=open&sort=number')).toEqual([n(0), n(1), n(2), n(3), n(4)]);
      expect(await ok(w.ann.h, 'GET', '/api/v1/tickets/queues')).toEqual({
        mine: 1,
        unassigned: 2,
        myTeams: 2,
        breaching: 0,
        open: 5,
      });
      expect(await ok(w.bob.h, 'GET', '/api/v1/tickets/queues')).toMatchObject({ mine: 2, myTeams: 0, open: 5 });
      // Bob joins the team: his queue has its tickets at once, his side bar's count within 2 s (it keeps his teams
      // that long); then he leaves it again.
      const members = async (memberIds: string[], expected: number) => {
        await ok(w.owner, 'PATCH', `/api/v1/teams/${team.id}`, { memberIds });
        await expect
          .poll(async () => (await ok<{ myTeams: number }>(w.bob.h, 'GET', '/api/v1/tickets/queues')).myTeams, {
            timeout: 4_000,
            interval: 200,
          })
          .toBe(expected);
      };
      await members([w.ann.id, w.bob.id], 2);
      expect(await numbersOf(w.bob.h, 'queue=my_teams&sort=number')).toEqual([n(3), n(4)]);
      await members([w.ann.id], 0);
      expect(await numbersOf(w.bob.h, 'queue=my_teams')).toEqual([]);
      // An API key is nobody's: "mine" means nothing for it.
      const e = await fails(w.owner, 'GET', '/api/v1/tickets?queue=mine', undefined, 400);
      expect(e.code).toBe('bad_request');
    });

    it('serves the same lists as summaries: the same tickets, order and cursors, and the SLA metric due first', async () => {
      const metric = (name: string, state: string, dueAt: string | null) => ({
        metric: name,
        target: 60,
        state,
        startedAt: '2026-01-10T12:00:00.000Z',
        dueAt,
        warnAt: dueAt ? new Date(new Date(dueAt).getTime() - 600_000).toISOString() : null,
        breachedAt: null,
        completedAt: null,
        elapsedBusinessMs: 0,
        remainingBusinessMs: 0,
      });
      await ctx.database.db
        .update(tickets)
        .set({
          sla: [
            metric('first_response', 'met', '2026-01-10T13:00:00.000Z'),
            metric('resolution', 'running', '2026-01-12T12:00:00.000Z'),
            metric('next_response', 'breached', '2026-01-11T09:30:00.000Z'),
          ],
        })
        .where(and(eq(tickets.workspaceId, w.ws.workspace.id), eq(tickets.id, all[1]?.id ?? '')));

      type Summary = Pick<Ticket, 'id' | 'number' | 'subject' | 'status' | 'priority' | 'tags' | 'assigneeId'> & {
        slaDue: { metric: string; state: string; dueAt: string; warnAt: string | null } | null;
        updatedAt: string;
        createdAt: string;
      };
      for (const [h, query] of [
        [w.owner, 'limit=200'],
        [w.owner, 'sort=number&filter=tag:eq:vip'],
        [w.ann.h, 'queue=my_teams'],
        [w.ann.h, 'queue=open&sort=-created_at'],
        [w.owner, 'q=kettle'],
      ] as const) {
        const full = (await ok<Page<Ticket>>(h, 'GET', `/api/v1/tickets?${query}`)).data;
        const brief = (await ok<Page<Summary>>(h, 'GET', `/api/v1/tickets/summaries?${query}`)).data;
        expect(
          brief.map((t) => t.id),
          query,
        ).toEqual(full.map((t) => t.id));
        for (const [i, t] of full.entries()) {
          const s = brief[i];
          expect(s).toMatchObject({
            number: t.number,
            subject: t.subject,
            status: t.status,
            priority: t.priority,
            tags: t.tags,
            assigneeId: t.assigneeId,
            createdAt: t.createdAt,
            updatedAt: t.updatedAt,
          });
          const due = t.sla
            .filter((m) => (m.state === 'running' || m.state === 'breached') && m.dueAt)
            .sort((a, b) => Date.parse(a.dueAt ?? '') - Date.parse(b.dueAt ?? ''))[0];
          expect(s?.slaDue ?? null).toEqual(
            due ? { metric: due.metric, state: due.state, dueAt: due.dueAt, warnAt: due.warnAt } : null,
          );
        }
      }
      // The answer is PostgreSQL's JSON text as it is: it must be exactly the documented TicketSummary, no key more.
      const every = (await ok<Page<Summary>>(w.owner, 'GET', '/api/v1/tickets/summaries?limit=200')).data;
      expect(every.length).toBeGreaterThan(5);
      for (const s of every) {
        expect(Object.keys(s).sort()).toEqual(Object.keys(ticketSummarySchema.shape).sort());
        expect(ticketSummarySchema.safeParse(s).success, JSON.stringify(s)).toBe(true);
        if (s.slaDue) expect(Object.keys(s.slaDue).sort()).toEqual(['dueAt', 'metric', 'state', 'warnAt']);
      }
      expect(every.some((s) => s.slaDue !== null)).toBe(true);
      const one = (await ok<Page<Summary>>(w.owner, 'GET', `/api/v1/tickets/summaries?q=${n(1)}`)).data[0];
      expect(one?.slaDue).toEqual({
        metric: 'next_response',
        state: 'breached',
        dueAt: '2026-01-11T09:30:00.000Z',
        warnAt: '2026-01-11T09:20:00.000Z',
      });

      // Paging through summaries by any sort visits every ticket once, as the full list does.
      for (const sort of ['-number', 'created_at', '-updated_at', 'subject']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: Page<Summary> = await ok<Page<Summary>>(
            w.owner,
            'GET',
            `/api/v1/tickets/summaries?sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          );
          seen.push(...page.data.map((t) => t.id));
          cursor = page.page.nextCursor;
          pages++;
        } while (cursor && pages < 10);
        const full = (await ok<Page<Ticket>>(w.owner, 'GET', `/api/v1/tickets?sort=${sort}&limit=200`)).data;
        expect(seen, sort).toEqual(full.map((t) => t.id));
      }
    });

    it('finds tickets by #number and by words of the subject', async () => {
      expect(await numbersOf(w.owner, `q=%23${n(3)}`)).toEqual([n(3)]);
      expect(await numbersOf(w.owner, `q=${n(3)}`)).toEqual([n(3)]);
      expect(await numbersOf(w.owner, 'q=kettle&sort=number')).toEqual([n(0), n(1), n(5)]);
      expect(await numbersOf(w.owner, 'q=KETTLE%20LID')).toEqual([n(1)]);
      expect(await numbersOf(w.owner, 'q=buyer2%40example.com')).toEqual([n(2)]);
      expect(await numbersOf(w.owner, 'q=100%25')).toEqual([]);
    });
  });

  describe('changing a ticket', () => {
    it('solving sets resolvedAt, reopening clears it; each change is an event with before and after', async () => {
      const t = await openTicket(d.owner, {});
      const solved = await ok<Ticket>(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { status: 'solved' });
      expect(solved.status).toBe('solved');
      expect(solved.resolvedAt).not.toBeNull();
      const reopened = await ok<Ticket>(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { status: 'open' });
      expect(reopened.resolvedAt).toBeNull();
      const changed = await ok<Ticket>(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, {
        priority: 'urgent',
        type: 'billing',
        tags: ['late', ' late ', 'refund'],
      });
      expect(changed).toMatchObject({ priority: 'urgent', type: 'billing', tags: ['late', 'refund'] });

      const events = await history(d.owner, t.id);
      const statusChanges = events.filter((e) => e.type === 'ticket.status_changed').map((e) => e.payload);
      expect(statusChanges).toEqual([
        expect.objectContaining({ from: 'solved', to: 'open' }),
        expect.objectContaining({ from: 'new', to: 'solved' }),
      ]);
      const updated = events.find((e) => e.type === 'ticket.updated');
      expect(updated?.payload.changes).toEqual({
        priority: { from: 'normal', to: 'urgent' },
        type: { from: 'question', to: 'billing' },
        tags: { from: [], to: ['late', 'refund'] },
      });
      // A patch that changes nothing records nothing.
      await ok(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { priority: 'urgent' });
      expect(await history(d.owner, t.id)).toHaveLength(events.length);
    });

    it('refuses an unknown type with the allowed list, and assignees who are not users of this workspace', async () => {
      const t = await openTicket(d.owner, {});
      const e = await fails(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { type: 'gossip' }, 400);
      expect(e.details).toMatchObject({ field: 'type', allowed: expect.arrayContaining(['question', 'billing']) });
      expect(e.message).toContain('gossip');
      const stranger = await makeWorkspace(ctx.services);
      for (const assigneeId of [crypto.randomUUID(), stranger.owner.id]) {
        const a = await fails(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { assigneeId }, 400);
        expect(a).toMatchObject({ code: 'validation_failed', details: { field: 'assigneeId' } });
      }
      expect((await detail(d.owner, t.id)).assigneeId).toBeNull();
      // Assigning a new ticket opens it; unassigning leaves the status alone.
      const assigned = await ok<Ticket>(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { assigneeId: d.ann.id });
      expect(assigned).toMatchObject({ assigneeId: d.ann.id, status: 'open' });
      const unassigned = await ok<Ticket>(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { assigneeId: null });
      expect(unassigned).toMatchObject({ assigneeId: null, status: 'open' });
      await fails(d.owner, 'PATCH', `/api/v1/tickets/${crypto.randomUUID()}`, { priority: 'low' }, 404);
    });
  });

  describe('replies and notes', () => {
    it('a note is stored, never queued; a reply by a user assigns the ticket to them and sets firstResponseAt once', async () => {
      const t = await openTicket(d.owner, { channel: 'email', requester: { email: 'replies@example.com' } });
      const note = await ok<Message>(d.ann.h, 'POST', `/api/v1/tickets/${t.id}/replies`, {
        text: 'Customer called too, asked for a refund.',
        internal: true,
      });
      expect(note).toMatchObject({ direction: 'note', delivery: 'stored', emailMessageId: null, authorId: d.ann.id });
      let now = await detail(d.owner, t.id);
      expect(now).toMatchObject({ status: 'new', assigneeId: null, firstResponseAt: null });
      expect(await deliveryJobs(d.ws.workspace.id, [note.id])).toBe(0);

      const reply = await ok<Message>(d.ann.h, 'POST', `/api/v1/tickets/${t.id}/replies`, { text: 'On it!' });
      expect(reply).toMatchObject({ direction: 'outbound', delivery: 'queued', authorType: 'user' });
      expect(reply.emailMessageId).toMatch(/@/);
      expect(await deliveryJobs(d.ws.workspace.id, [reply.id])).toBe(1);
      now = await detail(d.owner, t.id);
      expect(now).toMatchObject({ status: 'open', assigneeId: d.ann.id });
      expect(now.firstResponseAt).not.toBeNull();

      // Move the first response into the past: a later reply (by someone else) must leave it and the assignee alone.
      const past = new Date('2026-01-01T09:00:00.000Z');
      await ctx.database.db
        .update(tickets)
        .set({ firstResponseAt: past })
        .where(and(eq(tickets.workspaceId, d.ws.workspace.id), eq(tickets.id, t.id)));
      await ok(d.bob.h, 'POST', `/api/v1/tickets/${t.id}/replies`, { text: 'Following up.', status: 'pending' });
      now = await detail(d.owner, t.id);
      expect(now).toMatchObject({ firstResponseAt: past.toISOString(), assigneeId: d.ann.id, status: 'pending' });
      expect(now.messages.map((m) => m.direction)).toEqual(['inbound', 'note', 'outbound', 'outbound']);

      const types = (await history(d.owner, t.id)).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['ticket.note_added', 'ticket.replied', 'ticket.status_changed']));
      const empty = await fails(d.ann.h, 'POST', `/api/v1/tickets/${t.id}/replies`, { text: '   ' }, 400);
      expect(empty.details).toMatchObject({ field: 'text' });
    });

    it('a reply on an API ticket is sent at once, and the chosen status applies (solving sets resolvedAt)', async () => {
      const t = await openTicket(d.owner, {});
      const reply = await ok<Message>(d.bob.h, 'POST', `/api/v1/tickets/${t.id}/replies`, {
        html: '<p>Done <script>alert(1)</script><b>now</b></p>',
        status: 'solved',
      });
      expect(reply.delivery).toBe('sent');
      expect(reply.bodyText).toContain('Done');
      expect(reply.bodyText).not.toContain('alert');
      expect(await deliveryJobs(d.ws.workspace.id, [reply.id])).toBe(0);
      const now = await detail(d.owner, t.id);
      expect(now.status).toBe('solved');
      expect(now.resolvedAt).not.toBeNull();
      const bad = await fails(
        d.bob.h,
        'POST',
        `/api/v1/tickets/${t.id}/replies`,
        {
          text: 'x',
          conversationId: crypto.randomUUID(),
        },
        400,
      );
      expect(bad.details).toMatchObject({ field: 'conversationId' });
    });

    it('refuses a reply written before a customer message arrived (409 collision), unless forced', async () => {
      const channel = await emailChannel(d);
      const t = await openTicket(d.owner, { channel: 'email', requester: { email: 'collide@example.com' } });
      const first = await ok<Message>(d.ann.h, 'POST', `/api/v1/tickets/${t.id}/replies`, { text: 'Which size?' });
      // The agent's own note after what they saw is no collision.
      await ok(d.ann.h, 'POST', `/api/v1/tickets/${t.id}/replies`, { text: 'asked for size', internal: true });
      await ok(d.ann.h, 'POST', `/api/v1/tickets/${t.id}/replies`, { text: 'Also colour?', seenMessageId: first.id });

      const incoming = await ctx.services.tickets.receive({
        channel,
        from: { email: 'collide@example.com' },
        subject: 'Re: Where is my order?',
        text: 'Size M please.',
        emailMessageId: 'size-m@mail.example.com',
        replyTo: [first.emailMessageId ?? ''],
      });
      expect(incoming).toMatchObject({ outcome: 'appended', ticket: { id: t.id } });
      const incomingId = incoming.outcome === 'ignored' ? '' : incoming.message.id;
      const seen = (await detail(d.owner, t.id)).messages.at(-2)?.id ?? '';
      const e = await fails(
        d.bob.h,
        'POST',
        `/api/v1/tickets/${t.id}/replies`,
        { text: 'Size?', seenMessageId: seen },
        409,
      );
      expect(e.code).toBe('conflict');
      expect(e.details).toMatchObject({
        reason: 'collision',
        newMessages: [expect.objectContaining({ id: incomingId, direction: 'inbound', preview: 'Size M please.' })],
      });
      expect((await detail(d.owner, t.id)).messages).toHaveLength(5);
      const forced = await ok<Message>(d.bob.h, 'POST', `/api/v1/tickets/${t.id}/replies`, {
        text: 'M it is.',
        seenMessageId: seen,
        force: true,
      });
      expect(forced.direction).toBe('outbound');
      expect((await detail(d.owner, t.id)).messages.map((m) => m.id).slice(-2)).toEqual([incomingId, forced.id]);
    });
  });

  describe('merge and split', () => {
    it('merges: conversations and messages move, sources close and point at the target, and stay closed to writes', async () => {
      const d2 = await desk();
      const channel = await emailChannel(d2);
      const h = d2.owner;
      const target = await openTicket(h, { channel: 'email', requester: { email: 'dup@example.com' }, tags: ['a'] });
      const source = await openTicket(h, {
        channel: 'email',
        requester: { email: 'dup@example.com' },
        subject: 'Same problem again',
        text: 'Did you see my first mail?',
        tags: ['b'],
      });
      const outOfSource = await ok<Message>(h, 'POST', `/api/v1/tickets/${source.id}/replies`, { text: 'Yes!' });
      const sourceMessages = (await detail(h, source.id)).messages.map((m) => m.id);

      const merged = await ok<Ticket>(
        h,
        'POST',
        `/api/v1/tickets/${target.id}/merge`,
        { ticketIds: [source.id, target.id] },
        200,
      );
      expect(merged.id).toBe(target.id);
      expect([...merged.tags].sort()).toEqual(['a', 'b']);
      const t = await detail(h, target.id);
      expect(t.conversations).toHaveLength(2);
      expect(t.messages.map((m) => m.id)).toEqual(expect.arrayContaining(sourceMessages));
      expect(t.messages).toHaveLength(3);
      const s = await detail(h, source.id);
      expect(s).toMatchObject({ mergedIntoId: target.id, status: 'closed', messages: [], conversations: [] });
      expect(s.resolvedAt).not.toBeNull();
      const listed = (await ok<Page<Ticket>>(h, 'GET', '/api/v1/tickets?limit=200')).data.map((x) => x.id);
      expect(listed).toContain(target.id);
      expect(listed).not.toContain(source.id);

      const r = await fails(h, 'POST', `/api/v1/tickets/${source.id}/replies`, { text: 'hello?' }, 409);
      expect(r.details).toMatchObject({ mergedIntoId: target.id });
      await fails(h, 'PATCH', `/api/v1/tickets/${source.id}`, { status: 'open' }, 409);
      await fails(h, 'POST', `/api/v1/tickets/${target.id}/merge`, { ticketIds: [source.id] }, 409);
      await fails(h, 'POST', `/api/v1/tickets/${source.id}/merge`, { ticketIds: [target.id] }, 409);
      await fails(h, 'POST', `/api/v1/tickets/${target.id}/merge`, { ticketIds: [target.id] }, 400);
      await fails(h, 'POST', `/api/v1/tickets/${target.id}/merge`, { ticketIds: [crypto.randomUUID()] }, 404);
      // Not into a closed ticket: the open one's messages would leave every queue.
      const closed = await openTicket(h, { requester: { email: 'other@example.com' } });
      await ok(h, 'PATCH', `/api/v1/tickets/${closed.id}`, { status: 'closed' });
      const open = await openTicket(h, { requester: { email: 'other@example.com' }, subject: 'Still waiting' });
      await fails(h, 'POST', `/api/v1/tickets/${closed.id}/merge`, { ticketIds: [open.id] }, 409);
      expect((await detail(h, open.id)).mergedIntoId).toBeNull();

      // The customer answers the merged-away ticket's mail: it lands on the target.
      const answer = await ctx.services.tickets.receive({
        channel,
        from: { email: 'dup@example.com' },
        subject: 'Re: Same problem again',
        text: 'Great, thanks.',
        emailMessageId: 'thanks@mail.example.com',
        replyTo: [outOfSource.emailMessageId ?? ''],
      });
      expect(answer).toMatchObject({ outcome: 'appended', ticket: { id: target.id } });
      expect((await detail(h, target.id)).messages).toHaveLength(4);
      expect((await detail(h, source.id)).messages).toHaveLength(0);

      expect((await history(h, target.id)).map((e) => e.type)).toContain('ticket.merged_in');
      const mergedEvent = (await history(h, source.id)).find((e) => e.type === 'ticket.merged');
      expect(mergedEvent?.payload).toMatchObject({ into: target.id, intoNumber: target.number, conversations: 1 });
    });

    it('splits chosen messages into a new ticket of the same customer; never all of them', async () => {
      const t = await openTicket(d.owner, { requester: { email: 'split@example.com' }, text: 'Order 1 is late.' });
      const second = await ok<Message>(d.ann.h, 'POST', `/api/v1/tickets/${t.id}/replies`, { text: 'Checking.' });
      const third = await ok<Message>(d.ann.h, 'POST', `/api/v1/tickets/${t.id}/replies`, {
        text: 'Also: order 2 question noted.',
        internal: true,
      });
      const before = await detail(d.owner, t.id);
      const firstId = before.messages[0]?.id ?? '';

      const all = await fails(
        d.owner,
        'POST',
        `/api/v1/tickets/${t.id}/split`,
        {
          messageIds: [firstId, second.id, third.id],
        },
        400,
      );
      expect(all.details).toMatchObject({ field: 'messageIds' });
      const other = await openTicket(d.owner, { requester: { email: 'split@example.com' } });
      const foreign = (await detail(d.owner, other.id)).messages[0]?.id ?? '';
      const e = await fails(d.owner, 'POST', `/api/v1/tickets/${t.id}/split`, { messageIds: [third.id, foreign] }, 400);
      expect(e.details).toMatchObject({ unknown: [foreign] });

      const made = await ok<Ticket>(d.owner, 'POST', `/api/v1/tickets/${t.id}/split`, {
        messageIds: [second.id, third.id],
      });
      expect(made.id).not.toBe(t.id);
      expect(made).toMatchObject({
        personId: t.personId,
        status: 'open',
        subject: `Split from #${t.number}: ${t.subject}`,
      });
      const moved = await detail(d.owner, made.id);
      expect(moved.messages.map((m) => m.id)).toEqual([second.id, third.id]);
      expect(moved.conversations).toHaveLength(1);
      expect(moved.messages.every((m) => m.conversationId === moved.conversations[0]?.id)).toBe(true);
      expect((await detail(d.owner, t.id)).messages.map((m) => m.id)).toEqual([firstId]);
      const splitEvent = (await history(d.owner, t.id)).find((x) => x.type === 'ticket.split');
      expect(splitEvent?.payload).toMatchObject({ to: made.id, toNumber: made.number, messages: 2 });
    });
  });

  describe('where a reply goes after a split or merge', () => {
    it('a split leaves no emptied conversation: the next reply on either ticket goes where its messages are', async () => {
      const d2 = await desk();
      const channel = await emailChannel(d2);
      const h = d2.owner;
      const customer = { email: 'two-threads@example.com' };
      const a = await openTicket(h, { channel: 'email', requester: customer, text: 'Order 1 is late.' });
      const b = await openTicket(h, {
        channel: 'email',
        requester: customer,
        subject: 'Refund',
        text: 'Refund order 2.',
      });
      await ok(h, 'POST', `/api/v1/tickets/${a.id}/merge`, { ticketIds: [b.id] }, 200);
      const merged = await detail(h, a.id);
      expect(merged.conversations).toHaveLength(2);
      const [first, refund] = merged.messages;
      if (!first || !refund) throw new Error('expected both messages on the merged ticket');

      // The refund thread (the conversation touched last) goes whole to a new ticket.
      const made = await ok<Ticket>(h, 'POST', `/api/v1/tickets/${a.id}/split`, { messageIds: [refund.id] });
      const left = await detail(h, a.id);
      const split = await detail(h, made.id);
      expect(left.conversations.map((c) => c.id)).toEqual([first.conversationId]);
      expect(split.conversations.map((c) => c.id)).toEqual([refund.conversationId]);

      const onOriginal = await ok<Message>(h, 'POST', `/api/v1/tickets/${a.id}/replies`, {
        text: 'Order 1 ships today.',
      });
      expect(onOriginal.conversationId).toBe(first.conversationId);
      const onSplit = await ok<Message>(h, 'POST', `/api/v1/tickets/${made.id}/replies`, { text: 'Refund sent.' });
      expect(onSplit.conversationId).toBe(refund.conversationId);
      // The customer's answer to the refund mail lands on the split ticket, in its thread.
      const answer = await ctx.services.tickets.receive({
        channel,
        from: customer,
        subject: 'Re: Refund',
        text: 'Got it, thanks.',
        emailMessageId: `refund-thanks-${made.id}@mail.example.com`,
        replyTo: [onSplit.emailMessageId ?? ''],
      });
      expect(answer).toMatchObject({ outcome: 'appended', ticket: { id: made.id } });
    });

    it('splitting part of a thread: each ticket replies in its own conversation, the original in the first', async () => {
      const d2 = await desk();
      const channel = await emailChannel(d2);
      const h = d2.owner;
      const customer = { email: 'one-thread@example.com' };
      const t = await openTicket(h, { channel: 'email', requester: customer, text: 'Order 1 is late.' });
      const asked = await ok<Message>(h, 'POST', `/api/v1/tickets/${t.id}/replies`, { text: 'Which order?' });
      const second = await ctx.services.tickets.receive({
        channel,
        from: customer,
        subject: `Re: ${t.subject}`,
        text: 'Order 1. Also, can I change the address of order 2?',
        emailMessageId: `second-${t.id}@mail.example.com`,
        replyTo: [asked.emailMessageId ?? ''],
      });
      if (second.outcome === 'ignored') throw new Error('the answer was ignored');
      const made = await ok<Ticket>(h, 'POST', `/api/v1/tickets/${t.id}/split`, {
        messageIds: [second.message.id],
        subject: 'Address change for order 2',
      });
      const split = await detail(h, made.id);
      expect(split.conversations).toHaveLength(1);
      expect(split.conversations[0]?.id).not.toBe(asked.conversationId);
      const onSplit = await ok<Message>(h, 'POST', `/api/v1/tickets/${made.id}/replies`, { text: 'Address changed.' });
      expect(onSplit.conversationId).toBe(split.conversations[0]?.id);
      const onOriginal = await ok<Message>(h, 'POST', `/api/v1/tickets/${t.id}/replies`, { text: 'Order 1 ships.' });
      expect(onOriginal.conversationId).toBe(asked.conversationId);
    });

    it("replies in the conversation of the customer's newest message, not the one an agent touched last", async () => {
      const d2 = await desk();
      const h = d2.owner;
      const customer = { email: 'newest@example.com' };
      const a = await openTicket(h, { channel: 'email', requester: customer, text: 'First thread.' });
      const b = await openTicket(h, {
        channel: 'email',
        requester: customer,
        subject: 'Other',
        text: 'Second thread.',
      });
      await ok(h, 'POST', `/api/v1/tickets/${a.id}/merge`, { ticketIds: [b.id] }, 200);
      const [first, other] = (await detail(h, a.id)).messages;
      if (!first || !other) throw new Error('expected both messages');
      const channel = await emailChannel(d2);
      const asked = await ok<Message>(h, 'POST', `/api/v1/tickets/${a.id}/replies`, {
        text: 'Which one?',
        conversationId: first.conversationId,
      });
      const answer = await ctx.services.tickets.receive({
        channel,
        from: customer,
        subject: 'Re: Where is my order?',
        text: 'The first one.',
        emailMessageId: `answer-${a.id}@mail.example.com`,
        replyTo: [asked.emailMessageId ?? ''],
      });
      expect(answer).toMatchObject({ outcome: 'appended', ticket: { id: a.id } });
      // A note on the other thread makes it the conversation touched last.
      await ok(h, 'POST', `/api/v1/tickets/${a.id}/replies`, {
        text: 'Checked the second one too.',
        internal: true,
        conversationId: other.conversationId,
      });
      const reply = await ok<Message>(h, 'POST', `/api/v1/tickets/${a.id}/replies`, { text: 'On its way.' });
      expect(reply.conversationId).toBe(first.conversationId);
    });
  });

  describe('closed is final', () => {
    it('refuses to change the status of a closed ticket (409); solved reopens', async () => {
      const t = await openTicket(d.owner, { requester: { email: 'final@example.com' } });
      await ok(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { status: 'solved' });
      expect((await ok<Ticket>(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { status: 'open' })).status).toBe('open');
      await ok(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { status: 'closed' });
      for (const status of ['open', 'solved', 'pending', 'new']) {
        const e = await fails(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { status }, 409);
        expect(e).toMatchObject({ code: 'conflict', details: { reason: 'ticket_closed', field: 'status' } });
      }
      const viaReply = await fails(
        d.ann.h,
        'POST',
        `/api/v1/tickets/${t.id}/replies`,
        { text: 'Reopening.', status: 'open' },
        409,
      );
      expect(viaReply.details).toMatchObject({ reason: 'ticket_closed' });
      // Other fields may still change, and closed → closed is no change.
      expect(
        (await ok<Ticket>(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { status: 'closed', tags: ['archived'] })).tags,
      ).toEqual(['archived']);
      expect((await detail(d.owner, t.id)).status).toBe('closed');
    });

    it("a customer's new message on a closed ticket's thread opens a follow-up ticket linked to it", async () => {
      const d2 = await desk();
      const channel = await emailChannel(d2);
      const h = d2.owner;
      const customer = { email: 'after-close@example.com' };
      const t = await openTicket(h, { channel: 'email', requester: customer });
      const answered = await ok<Message>(h, 'POST', `/api/v1/tickets/${t.id}/replies`, {
        text: 'Delivered yesterday.',
        status: 'closed',
      });
      const again = await ctx.services.tickets.receive({
        channel,
        from: customer,
        subject: `Re: ${t.subject} [#${t.number}]`,
        text: 'It was not, actually.',
        emailMessageId: `again-${t.id}@mail.example.com`,
        replyTo: [answered.emailMessageId ?? ''],
      });
      if (again.outcome === 'ignored') throw new Error('the message was ignored');
      expect(again.outcome).toBe('created');
      expect(again.ticket.id).not.toBe(t.id);
      expect(again.ticket.personId).toBe(t.personId);
      const old = await detail(h, t.id);
      expect(old.status).toBe('closed');
      expect(old.messages).toHaveLength(2);
      const created = (await history(h, again.ticket.id)).find((e) => e.type === 'ticket.created');
      expect(created?.payload).toMatchObject({ followUpOf: t.id, followUpOfNumber: t.number });
    });
  });

  describe('history and timeline', () => {
    it("pages the ticket's history newest first, and shows the ticket on the customer's timeline", async () => {
      const t = await openTicket(d.owner, { requester: { email: 'timeline@example.com' } });
      await ok(d.ann.h, 'POST', `/api/v1/tickets/${t.id}/replies`, { text: 'Hello!' });
      await ok(d.owner, 'PATCH', `/api/v1/tickets/${t.id}`, { status: 'solved' });
      const events = await history(d.owner, t.id);
      expect(events.map((e) => e.type)).toEqual([
        'ticket.status_changed',
        'ticket.status_changed',
        'ticket.replied',
        'ticket.message_received',
        'ticket.created',
      ]);
      expect(events.every((e) => e.subjectId === t.id)).toBe(true);
      const seqs = events.map((e) => e.seq);
      expect([...seqs].sort((a, b) => b - a)).toEqual(seqs);
      const p1 = await ok<{ data: Event[]; page: { nextBefore: number | null } }>(
        d.owner,
        'GET',
        `/api/v1/tickets/${t.id}/history?limit=2`,
      );
      expect(p1.data.map((e) => e.id)).toEqual(events.slice(0, 2).map((e) => e.id));
      const p2 = await ok<{ data: Event[] }>(
        d.owner,
        'GET',
        `/api/v1/tickets/${t.id}/history?limit=2&before=${p1.page.nextBefore}`,
      );
      expect(p2.data.map((e) => e.id)).toEqual(events.slice(2, 4).map((e) => e.id));
      await fails(d.owner, 'GET', `/api/v1/tickets/${crypto.randomUUID()}/history`, undefined, 404);
      const onlyStatus = await ok<{ data: Event[] }>(
        d.owner,
        'GET',
        `/api/v1/tickets/${t.id}/history?type=ticket.status_changed`,
      );
      expect(onlyStatus.data.map((e) => e.id)).toEqual(events.slice(0, 2).map((e) => e.id));

      const timeline = await ok<{ data: Event[] }>(d.owner, 'GET', `/api/v1/people/${t.personId}/timeline?limit=200`);
      const ticketEvents = timeline.data.filter((e) => e.subjectId === t.id).map((e) => e.type);
      expect(ticketEvents).toEqual(events.map((e) => e.type));
      expect(timeline.data.map((e) => e.type)).toContain('person.created');
      // A key that may read customers but not tickets sees the customer's own events, not the desk's.
      const customersOnly = bearer(await makeApiKey(ctx.services, d.ws, { scopes: ['customers:read'] }));
      await fails(customersOnly, 'GET', `/api/v1/tickets/${t.id}`, undefined, 403);
      const theirs = await ok<{ data: Event[] }>(
        customersOnly,
        'GET',
        `/api/v1/people/${t.personId}/timeline?limit=200`,
      );
      expect(theirs.data.map((e) => e.type)).toContain('person.created');
      expect(theirs.data.filter((e) => e.type.startsWith('ticket.'))).toEqual([]);
      const asked = await ok<{ data: Event[] }>(
        customersOnly,
        'GET',
        `/api/v1/people/${t.personId}/timeline?type=ticket.*`,
      );
      expect(asked.data).toEqual([]);
    });
  });

  describe('odd input', () => {
    it('reads the text of an HTML-only message with each entity decoded once (&amp;lt; is the text &lt;)', async () => {
      const t = await openTicket(d.owner, {
        requester: { email: 'entities@example.com' },
        text: undefined,
        html: '<p>Write &amp;lt;b&amp;gt; for &lt;b&gt;, &amp;amp; for &amp;; &quot;quoted&quot; &#39;single&#39;</p>',
      });
      const first = (await detail(d.owner, t.id)).messages[0];
      expect(first?.bodyText).toBe('Write &lt;b&gt; for <b>, &amp; for &; "quoted" \'single\'');
      const reply = await ok<Message>(d.ann.h, 'POST', `/api/v1/tickets/${t.id}/replies`, {
        html: '<p>Type &amp;nbsp; to get&nbsp;a space</p>',
      });
      expect(reply.bodyText).toBe('Type &nbsp; to get\u00a0a space');
    });

    it('stores text with lone UTF-16 surrogates as U+FFFD instead of failing (tickets, notes, fields, channels, teams)', async () => {
      const w = await desk();
      const h = { ...w.owner, 'content-type': 'application/json' };
      const send = (method: Method, url: string, json: string) =>
        ctx.app.inject({ method, url, headers: h, payload: json });
      const created = await send(
        'POST',
        '/api/v1/tickets',
        '{"subject":"a\\ud800","text":"b\\udc00","requester":{"email":"s@example.com"}}',
      );
      expect(created.statusCode, created.body).toBe(201);
      const t = created.json<Ticket>();
      expect(t.subject).toBe('a\ufffd');
      await ok(w.owner, 'POST', '/api/v1/custom-fields', { entity: 'ticket', label: 'K', key: 'k', type: 'text' });
      const steps: Array<[Method, string, string]> = [
        ['POST', `/api/v1/tickets/${t.id}/replies`, '{"text":"\\ud800 reply"}'],
        ['POST', `/api/v1/tickets/${t.id}/replies`, '{"text":"\\ud800 note","internal":true}'],
        ['PATCH', `/api/v1/tickets/${t.id}`, '{"subject":"x\\ud800","tags":["\\ud800"],"custom":{"k":"\\ud800v"}}'],
        ['POST', '/api/v1/channels', '{"kind":"chat","name":"\\ud800","settings":{"fromName":"\\ud800"}}'],
        ['POST', '/api/v1/teams', '{"name":"t\\ud800"}'],
      ];
      for (const [method, url, json] of steps) {
        const res = await send(method, url, json);
        expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
      }
      const now = await detail(w.owner, t.id);
      expect(now).toMatchObject({ subject: 'x\ufffd', tags: ['\ufffd'], custom: { k: '\ufffdv' } });
      expect(now.messages.map((m) => m.bodyText)).toEqual(['b\ufffd', '\ufffd reply', '\ufffd note']);
      const teams = await ok<{ data: Team[] }>(w.owner, 'GET', '/api/v1/teams');
      expect(teams.data.map((x) => x.name)).toEqual(['t\ufffd']);
    });
  });

  describe('permissions', () => {
    it('viewers and analysts read tickets but change nothing', async () => {
      const t = await openTicket(d.owner, { requester: { email: 'perm@example.com' } });
      for (const h of [d.viewer.h, d.viewer.key, d.analyst.key]) {
        expect((await call(h, 'GET', '/api/v1/tickets')).statusCode).toBe(200);
        expect((await call(h, 'GET', `/api/v1/tickets/${t.id}`)).statusCode).toBe(200);
        expect((await call(h, 'GET', `/api/v1/tickets/${t.id}/history`)).statusCode).toBe(200);
        expect((await call(h, 'GET', '/api/v1/tickets/queues')).statusCode).toBe(200);
        const writes: Array<[Method, string, object]> = [
          ['POST', `/api/v1/tickets/${t.id}/replies`, { text: 'hi' }],
          ['POST', `/api/v1/tickets/${t.id}/replies`, { text: 'hi', internal: true }],
          ['PATCH', `/api/v1/tickets/${t.id}`, { status: 'solved' }],
          ['POST', '/api/v1/tickets', { subject: 'x', requester: { email: 'perm@example.com' } }],
          ['POST', `/api/v1/tickets/${t.id}/merge`, { ticketIds: [crypto.randomUUID()] }],
          ['POST', `/api/v1/tickets/${t.id}/split`, { messageIds: [crypto.randomUUID()] }],
          ['POST', '/api/v1/channels', { kind: 'chat', name: 'x' }],
          ['POST', '/api/v1/teams', { name: 'x' }],
        ];
        for (const [method, url, body] of writes) {
          const e = await fails(h, method, url, body, 403);
          expect(e.code).toBe('forbidden');
        }
      }
      const after = await detail(d.owner, t.id);
      expect(after).toMatchObject({ status: 'new', messages: [expect.objectContaining({ direction: 'inbound' })] });
      expect(after.messages).toHaveLength(1);
      // Agents work tickets but do not set up channels or teams.
      await fails(d.ann.h, 'POST', '/api/v1/channels', { kind: 'chat', name: 'x' }, 403);
      await fails(d.ann.h, 'POST', '/api/v1/teams', { name: 'x' }, 403);
    });
  });

  describe('channels', () => {
    it('creates each kind; e-mail needs an address, which is normalised and unique; other kinds have none', async () => {
      const w = await desk();
      for (const kind of ['chat', 'form', 'phone', 'api']) {
        const c = await ok<Channel>(w.owner, 'POST', '/api/v1/channels', { kind, name: `My ${kind}` });
        expect(c).toMatchObject({ kind, name: `My ${kind}`, address: null });
      }
      const noAddress = await fails(w.owner, 'POST', '/api/v1/channels', { kind: 'email', name: 'Mail' }, 400);
      expect(noAddress.details).toMatchObject({ field: 'address' });
      await fails(w.owner, 'POST', '/api/v1/channels', { kind: 'email', name: 'Mail', address: 'nope' }, 400);
      await fails(w.owner, 'POST', '/api/v1/channels', { kind: 'chat', name: 'Chat', address: 'a@b.test' }, 400);
      const address = `Help.${w.ws.workspace.slug}@Desk.TEST`;
      const mail = await ok<Channel>(w.owner, 'POST', '/api/v1/channels', {
        kind: 'email',
        name: 'Mail',
        address: ` ${address} `,
      });
      expect(mail.address).toBe(address.toLowerCase());
      const taken = await fails(
        w.owner,
        'POST',
        '/api/v1/channels',
        {
          kind: 'email',
          name: 'Again',
          address: address.toUpperCase(),
        },
        409,
      );
      expect(taken.code).toBe('conflict');
      // Renaming keeps its own address; moving it onto a taken one is refused.
      const other = await ok<Channel>(w.owner, 'POST', '/api/v1/channels', {
        kind: 'email',
        name: 'Other',
        address: `other.${w.ws.workspace.slug}@desk.test`,
      });
      expect((await ok<Channel>(w.owner, 'PATCH', `/api/v1/channels/${mail.id}`, { name: 'Help', address })).name).toBe(
        'Help',
      );
      await fails(w.owner, 'PATCH', `/api/v1/channels/${other.id}`, { address }, 409);
      const unknownTeam = await fails(
        w.owner,
        'POST',
        '/api/v1/channels',
        {
          kind: 'chat',
          name: 'Team chat',
          teamId: crypto.randomUUID(),
        },
        400,
      );
      expect(unknownTeam.details).toMatchObject({ field: 'teamId' });
      const list = await ok<{ data: Channel[] }>(w.owner, 'GET', '/api/v1/channels');
      expect(list.data.map((c) => c.kind).sort()).toEqual(['api', 'chat', 'email', 'email', 'form', 'phone']);
      await ok(w.owner, 'DELETE', `/api/v1/channels/${other.id}`);
      await fails(w.owner, 'GET', `/api/v1/channels/${other.id}`, undefined, 404);
      await fails(w.owner, 'DELETE', `/api/v1/channels/${other.id}`, undefined, 404);
    });

    it('shows the secret to owners and admins only, and never the SMTP password', async () => {
      const w = await desk();
      const c = await ok<Channel>(w.owner, 'POST', '/api/v1/channels', {
        kind: 'email',
        name: 'Mail',
        address: `secret-${w.ws.workspace.slug}@desk.test`,
        settings: { smtpUrl: 'smtps://mailer:hunter2-secret@smtp.example.com:465', fromName: ' Acme ' },
      });
      expect(c.secret).toMatch(/^[0-9a-f]{64}$/);
      expect(c.settings).toEqual({ smtpUrl: 'smtps://mailer:****@smtp.example.com:465', fromName: 'Acme', imap: null });
      const admin = await makeUser(ctx.services, w.ws, { role: 'admin' });
      const adminH = await session(admin.user.email);
      expect((await ok<Channel>(adminH, 'GET', `/api/v1/channels/${c.id}`)).secret).toBe(c.secret);
      for (const h of [w.ann.h, w.viewer.key]) {
        const one = await call(h, 'GET', `/api/v1/channels/${c.id}`);
        expect(one.statusCode).toBe(200);
        expect(one.json<Channel>().secret).toBeNull();
        const list = await call(h, 'GET', '/api/v1/channels');
        expect(list.json<{ data: Channel[] }>().data.map((x) => x.secret)).toEqual([null]);
        expect(one.body + list.body).not.toContain('hunter2');
        expect(one.body + list.body).not.toContain(c.secret ?? 'x');
      }
      const patched = await call(w.owner, 'PATCH', `/api/v1/channels/${c.id}`, { settings: { fromName: 'Acme Help' } });
      expect(patched.statusCode).toBe(200);
      expect(patched.body).not.toContain('hunter2');
      expect(patched.json<Channel>().settings.smtpUrl).toBe('smtps://mailer:****@smtp.example.com:465');
      // The real password is still there for sending.
      expect((await ctx.services.channels.get(w.ws.ownerActor, c.id)).settings.smtpUrl).toContain('hunter2-secret');
      const bad = await fails(w.owner, 'PATCH', `/api/v1/channels/${c.id}`, { settings: { smtpUrl: 'http://x' } }, 400);
      expect(bad.details).toMatchObject({ field: 'settings.smtpUrl' });
    });
  });

  describe('teams', () => {
    it('creates, renames, sets members (of this workspace only) and removes teams', async () => {
      const w = await desk();
      const team = await ok<Team>(w.owner, 'POST', '/api/v1/teams', {
        name: ' Billing ',
        description: 'Invoices',
        memberIds: [w.ann.id, w.bob.id, w.ann.id],
      });
      expect(team).toMatchObject({ name: 'Billing', description: 'Invoices' });
      expect([...team.memberIds].sort()).toEqual([w.ann.id, w.bob.id].sort());
      const stranger = await makeWorkspace(ctx.services);
      for (const memberIds of [[stranger.owner.id], [w.ann.id, crypto.randomUUID()]]) {
        const e = await fails(w.owner, 'POST', '/api/v1/teams', { name: 'Mixed', memberIds }, 400);
        expect(e.details).toMatchObject({ field: 'memberIds' });
        const p = await fails(w.owner, 'PATCH', `/api/v1/teams/${team.id}`, { memberIds }, 400);
        expect(p.details).toMatchObject({ field: 'memberIds' });
      }
      await fails(w.owner, 'POST', '/api/v1/teams', { name: 'Billing' }, 409);
      const other = await ok<Team>(w.owner, 'POST', '/api/v1/teams', { name: 'Returns' });
      await fails(w.owner, 'PATCH', `/api/v1/teams/${other.id}`, { name: 'Billing' }, 409);
      const changed = await ok<Team>(w.owner, 'PATCH', `/api/v1/teams/${team.id}`, {
        name: 'Billing EU',
        memberIds: [w.bob.id],
      });
      expect(changed).toMatchObject({ name: 'Billing EU', description: 'Invoices', memberIds: [w.bob.id] });
      const list = await ok<{ data: Team[] }>(w.ann.h, 'GET', '/api/v1/teams');
      expect(list.data.map((t) => [t.name, t.memberIds])).toEqual([
        ['Billing EU', [w.bob.id]],
        ['Returns', []],
      ]);
      // A ticket routed to the team shows in its members' queue.
      const t = await openTicket(w.owner, { teamId: team.id });
      expect((await ok<Page<Ticket>>(w.bob.h, 'GET', '/api/v1/tickets?queue=my_teams')).data.map((x) => x.id)).toEqual([
        t.id,
      ]);
      expect((await ok<Page<Ticket>>(w.ann.h, 'GET', '/api/v1/tickets?queue=my_teams')).data).toEqual([]);
      // Deleting a team leaves nothing pointing at it: its channel stops routing, its open ticket leaves it (to the
      // unassigned queue); a solved ticket keeps the id as history.
      const routing = await ok<{ id: string }>(w.owner, 'POST', '/api/v1/channels', {
        kind: 'api',
        name: 'Returns bridge',
        teamId: other.id,
      });
      const open = await openTicket(w.owner, { teamId: other.id });
      const solved = await openTicket(w.owner, { teamId: other.id });
      expect((await ok<Ticket>(w.owner, 'PATCH', `/api/v1/tickets/${solved.id}`, { status: 'solved' })).teamId).toBe(
        other.id,
      );
      await ok(w.owner, 'DELETE', `/api/v1/teams/${other.id}`);
      expect((await ok<{ teamId: string | null }>(w.owner, 'GET', `/api/v1/channels/${routing.id}`)).teamId).toBeNull();
      expect((await ok<Ticket>(w.owner, 'GET', `/api/v1/tickets/${open.id}`)).teamId).toBeNull();
      expect((await ok<Ticket>(w.owner, 'GET', `/api/v1/tickets/${solved.id}`)).teamId).toBe(other.id);
      const updates = await ok<{ data: Event[] }>(w.owner, 'GET', '/api/v1/events?type=ticket.updated&limit=50');
      expect(updates.data.find((e) => e.payload.reason === 'team_deleted')?.payload).toMatchObject({
        changes: { teamId: { from: other.id, to: null } },
      });
      await fails(w.owner, 'DELETE', `/api/v1/teams/${other.id}`, undefined, 404);
      await fails(w.owner, 'PATCH', `/api/v1/teams/${other.id}`, { name: 'Gone' }, 404);
      expect((await ok<{ data: Team[] }>(w.owner, 'GET', '/api/v1/teams')).data.map((x) => x.id)).toEqual([team.id]);
      const events = await ok<{ data: Event[] }>(w.owner, 'GET', '/api/v1/events?type=team.*&limit=50');
      expect(events.data.map((e) => e.type).reverse()).toEqual([
        'team.created',
        'team.created',
        'team.updated',
        'team.deleted',
      ]);
    });
  });
});
