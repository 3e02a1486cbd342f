import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, sendInbound, useTestApp } from '../../test/app.ts';
import { testEngines } from '../../test/db.ts';
import { workspaceRowHashes, workspaceTables } from '../../test/workspace-rows.ts';
import { makeApiKey, makeUser, makeWorkspace, testPassword, type TestWorkspace } from '../../test/factories.ts';
import { openSocket, type TestSocket } from '../../test/ws.ts';
import { rowsOf } from '../db/client.ts';
import { sessionCookieName } from '../modules/auth/auth.service.ts';
import type { ChannelRow } from '../modules/channels/channels.repository.ts';
import { userHashOf } from '../modules/chat/chat.service.ts';
import { signUnsubscribeToken } from '../modules/people/unsubscribe.ts';

/**
 * Workspace isolation of the public, unauthenticated routes: the ones registered with `schema: { hide: true }`, which
 * the OpenAPI sweep of isolation.test.ts cannot call (it lists them in its table of hidden routes, naming the test of
 * this file that covers each). Two workspaces, A and B, hold the same kinds of public things — help-centre articles
 * (one slug in both), categories, drafts, a contact form, an API channel, a chat channel, a customer with the same
 * address and external id in both, with marketing consent — and every request made with A's public handle (slug,
 * channel id, channel secret, unsubscribe token) must show nothing of B and leave every row of B as it was.
 */

const sharedEmail = 'shared@public-isolation.example';
const sharedExternalId = 'cust-shared';
const bOnlyEmail = 'only-b@public-isolation.example';
const bOnlyExternalId = 'cust-only-b';

type World = {
  tag: 'A' | 'B';
  word: string;
  ws: TestWorkspace;
  key: string;
  cookie: string;
  slug: string;
  form: ChannelRow;
  api: ChannelRow;
  chat: ChannelRow;
  /** The customer with the shared address and external id (in both workspaces). */
  shared: string;
  /** Ids of everything the world holds, for "none of these in an answer" checks. */
  ids: string[];
  articles: { returns: string; only: string; draft: string };
};

describe.each(testEngines())('public routes keep workspaces apart (%s)', (engine) => {
  const ctx = useTestApp(engine);
  let a: World;
  let b: World;
  /** B's things made through its own public routes: a form ticket, an API thread, a chat visitor. */
  let bTicketNumber: number;
  let bTicketId: string;
  const bThreadId = 'thread-b-1';
  const bMessageId = 'msg-b-1';
  const bVisitorId = crypto.randomBytes(16).toString('hex');
  let bTicketField: string;
  let bOnlyPerson: string;
  /** A second agent of B, signed in. */
  let bAgentCookie: string;
  let tables: string[] = [];
  /** The app listens: the visitor socket's rate limit needs a real connection (inject has no address). */
  let base = '';

  const db = () => ctx.database.db;

  async function buildWorld(tag: 'A' | 'B', word: string): Promise<World> {
    const ws = await makeWorkspace(ctx.services, { name: `Public ${tag} ${word}` });
    const actor = ws.ownerActor;
    const s = ctx.services;
    const key = await makeApiKey(ctx.services, ws);
    const { token } = await s.auth.login({ email: ws.owner.email, password: testPassword });
    const { person } = await s.people.create(actor, {
      firstName: `Shared ${word}`,
      emails: [sharedEmail],
      externalId: sharedExternalId,
    });
    await s.people.setConsent(actor, person.id, {
      channel: 'email',
      purpose: 'marketing',
      status: 'granted',
      source: 'form',
    });
    const shared = await s.kb.createCategory(actor, { name: `Shared topic ${word}`, slug: 'shared-topic' });
    const own = await s.kb.createCategory(actor, { name: `Own topic ${word}`, slug: `${tag.toLowerCase()}-topic` });
    const returns = await s.kb.create(actor, {
      title: `Returns ${word}`,
      slug: 'returns',
      body: `Send the ${word} parcel back within 30 days.`,
      categoryId: shared.id,
      status: 'published',
    });
    const only = await s.kb.create(actor, {
      title: `Only ${word}`,
      slug: `${tag.toLowerCase()}-only`,
      body: `Things only ${word} customers read about parcels.`,
      categoryId: own.id,
      status: 'published',
    });
    const draft = await s.kb.create(actor, {
      title: `Draft ${word}`,
      slug: `${tag.toLowerCase()}-draft`,
      body: `Unpublished ${word} parcel secrets.`,
      categoryId: shared.id,
    });
    const form = await s.channels.create(actor, { kind: 'form', name: `Form ${word}` });
    const api = await s.channels.create(actor, { kind: 'api', name: `Integration ${word}` });
    const chat = await s.channels.create(actor, { kind: 'chat', name: `Chat ${word}` });
    return {
      tag,
      word,
      ws,
      key,
      cookie: `${sessionCookieName}=${token}`,
      slug: ws.workspace.slug,
      form,
      api,
      chat,
      shared: person.id,
      ids: [ws.workspace.id, person.id, shared.id, own.id, returns.id, only.id, draft.id, form.id, api.id, chat.id],
      articles: { returns: returns.id, only: only.id, draft: draft.id },
    };
  }

  /** A hash of every row of a workspace, table by table (test/workspace-rows.ts). */
  const rowsOfWorkspace = (workspaceId: string) => workspaceRowHashes(db(), tables, workspaceId);

  async function count(table: 'tickets' | 'people' | 'messages' | 'kb_votes', workspaceId: string): Promise<number> {
    const [r] = rowsOf<{ n: number }>(
      await db().execute(
        sql`select count(*)::int as n from ${sql.identifier(table)} where workspace_id = ${workspaceId}`,
      ),
    );
    return Number(r?.n ?? -1);
  }

  /** Every secret either workspace holds: none may ever be in a public answer. */
  function secrets(): string[] {
    return [a, b].flatMap((w) => [w.ws.workspace.secret, w.form.secret, w.api.secret, w.chat.secret]);
  }

  /** Nothing of B (its word, name, slug, ids, the B-only customer) and no secret of anyone in a text. */
  function expectNothingOfB(text: string, what: string): void {
    expect(text, `${what}: B's text`).not.toContain(b.word);
    expect(text, `${what}: B's slug`).not.toContain(b.slug);
    expect(text, `${what}: B's B-only customer`).not.toContain(bOnlyPerson);
    for (const id of b.ids) expect(text, `${what}: B's record ${id}`).not.toContain(id);
    for (const s of secrets()) expect(text, `${what}: a secret`).not.toContain(s);
  }

  beforeAll(async () => {
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
    tables = await workspaceTables(db());
    a = await buildWorld('A', 'amberfox');
    b = await buildWorld('B', 'bluewhale');
    const bActor = b.ws.ownerActor;
    bOnlyPerson = (
      await ctx.services.people.create(bActor, {
        firstName: 'Only B',
        emails: [bOnlyEmail],
        externalId: bOnlyExternalId,
      })
    ).person.id;
    const bAgent = await makeUser(ctx.services, b.ws, { role: 'agent' });
    bAgentCookie = `${sessionCookieName}=${(await ctx.services.auth.login({ email: bAgent.user.email, password: testPassword })).token}`;
    bTicketField = (
      await ctx.services.fields.create(bActor, { entity: 'ticket', label: 'Bluewhale order', type: 'text' })
    ).key;
    // B's customer writes through B's form, B's integration and B's chat.
    const posted = await ctx.app.inject({
      method: 'POST',
      url: `/forms/${b.form.id}`,
      payload: { email: bOnlyEmail, subject: 'Bluewhale question', message: 'Where is my bluewhale parcel?' },
    });
    expect(posted.statusCode).toBe(201);
    bTicketNumber = posted.json<{ ticketNumber: number }>().ticketNumber;
    const viaApi = await inbound(b.api, b.api.secret, {
      threadId: bThreadId,
      from: { email: bOnlyEmail },
      text: 'Bluewhale thread opening',
      messageId: bMessageId,
    });
    expect(viaApi.statusCode).toBe(201);
    bTicketId = viaApi.json<{ ticketId: string }>().ticketId;
    await ctx.services.chat.send(
      b.chat,
      { threadKey: bVisitorId, verified: false, personId: null, email: null, name: null },
      'Bluewhale chat hello',
    );
    b.ids.push(bTicketId);
  }, 120_000);

  const inbound = (
    channel: { id: string },
    secret: string,
    body: object,
    alter?: (sig: string) => string,
  ): Promise<LightMyRequestResponse> => sendInbound(ctx.app, channel.id, secret, body, alter ? { alter } : {});

  const get = (url: string, headers: Record<string, string> = {}) => ctx.app.inject({ method: 'GET', url, headers });

  // ---- help centre

  it("help centre: A's slug lists, finds and shows only A's published articles and categories", async () => {
    const before = await rowsOfWorkspace(b.ws.workspace.id);
    const home = await get(`/help/${a.slug}`);
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain(`Shared topic ${a.word}`);
    expect(home.body).toContain(`Own topic ${a.word}`);
    expect(home.body).toContain(`href="/help/${a.slug}/returns"`);
    expect(home.body).toContain(`href="/help/${a.slug}/a-only"`);
    expect(home.body).not.toContain('b-only');
    expect(home.body).not.toContain('b-topic');
    expect(home.body, "A's draft").not.toContain('a-draft');
    expect(home.body, "A's draft").not.toContain(`Draft ${a.word}`);
    expectNothingOfB(home.body, 'home');

    // The same slug in both workspaces: A's article under A's slug.
    const returns = await get(`/help/${a.slug}/returns`);
    expect(returns.statusCode).toBe(200);
    expect(returns.body).toContain(`<h1>Returns ${a.word}</h1>`);
    expect(returns.body).toContain(`Shared topic ${a.word}`);
    expectNothingOfB(returns.body, 'returns');
    // B's published articles and A's own draft are not under A's slug; B's article ids are no slugs either.
    for (const slug of ['b-only', 'b-draft', 'a-draft', b.articles.only, b.articles.returns]) {
      const res = await get(`/help/${a.slug}/${slug}`);
      expect(res.statusCode, slug).toBe(404);
      expectNothingOfB(res.body, slug);
      expect(res.body).not.toContain(a.word);
    }
    // A workspace's id is not its slug.
    expect((await get(`/help/${b.ws.workspace.id}`)).statusCode).toBe(404);
    expect((await get(`/help/${b.ws.workspace.id}/returns`)).statusCode).toBe(404);

    // Search: words only B's articles (or A's draft) hold find nothing; a word both hold finds A's article only.
    for (const q of [b.word, `${b.word} ${b.word}`, 'unpublished secrets', 'draft']) {
      const res = await get(`/help/${a.slug}/search?q=${encodeURIComponent(q)}`);
      expect(res.statusCode, q).toBe(200);
      expect(res.body, q).toContain('No article matches');
      // The page repeats the words searched for; nothing else of B.
      expectNothingOfB(res.body.split(q).join(''), `search ${q}`);
      expect(res.body, q).toContain('0 articles found');
      expect(res.body, q).not.toContain('a-draft');
    }
    const both = await get(`/help/${a.slug}/search?q=parcel`);
    expect(both.statusCode).toBe(200);
    expect(both.body).toContain('2 articles found');
    expect(both.body).toContain(`href="/help/${a.slug}/returns"`);
    expect(both.body).toContain(`href="/help/${a.slug}/a-only"`);
    expectNothingOfB(both.body, 'search parcel');

    // Only A's article counted the view.
    const views = rowsOf<{ workspace_id: string; view_count: number }>(
      await db().execute(
        sql`select workspace_id, view_count from kb_articles where slug = 'returns' and workspace_id in (${a.ws.workspace.id}, ${b.ws.workspace.id})`,
      ),
    );
    expect(views.find((v) => v.workspace_id === a.ws.workspace.id)?.view_count).toBe(1);
    expect(views.find((v) => v.workspace_id === b.ws.workspace.id)?.view_count).toBe(0);
    expect(await rowsOfWorkspace(b.ws.workspace.id)).toEqual(before);
  });

  it("help centre votes: an answer under A's slug counts for A's article only; B's articles and A's drafts are 404", async () => {
    const before = await rowsOfWorkspace(b.ws.workspace.id);
    const aVotes = await count('kb_votes', a.ws.workspace.id);
    const vote = (ws: string, slug: string) =>
      ctx.app.inject({
        method: 'POST',
        url: `/help/${ws}/${slug}/vote`,
        remoteAddress: '203.0.113.9',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'helpful=yes',
      });
    for (const slug of ['b-only', 'b-draft', 'a-draft', b.articles.returns]) {
      const res = await vote(a.slug, slug);
      expect(res.statusCode, slug).toBe(404);
      expectNothingOfB(res.body, slug);
    }
    expect((await vote(b.ws.workspace.id, 'returns')).statusCode).toBe(404);
    expect(await count('kb_votes', a.ws.workspace.id)).toBe(aVotes);

    const ok = await vote(a.slug, 'returns');
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/help/${a.slug}/returns?voted=yes`);
    expect(await count('kb_votes', a.ws.workspace.id)).toBe(aVotes + 1);
    const counts = rowsOf<{ id: string; helpful_count: number }>(
      await db().execute(
        sql`select id, helpful_count from kb_articles where id in (${a.articles.returns}, ${b.articles.returns})`,
      ),
    );
    expect(counts.find((r) => r.id === a.articles.returns)?.helpful_count).toBe(1);
    expect(counts.find((r) => r.id === b.articles.returns)?.helpful_count).toBe(0);
    expect(await count('kb_votes', b.ws.workspace.id)).toBe(0);
    expect(await rowsOfWorkspace(b.ws.workspace.id)).toEqual(before);
  });

  // ---- contact forms and the channel API

  it("contact forms: A's form opens tickets in A only, for A's customers, and other channels' ids are no forms", async () => {
    const before = await rowsOfWorkspace(b.ws.workspace.id);
    const page = await get(`/forms/${a.form.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`Form ${a.word}`);
    expect(page.body).toContain(`action="/forms/${a.form.id}"`);
    expectNothingOfB(page.body, 'form page');

    // Ids of A's other channels, of A's workspace and of B's records: not forms.
    for (const id of [a.api.id, a.chat.id, a.ws.workspace.id, a.shared, b.api.id, b.chat.id, bTicketId]) {
      const shown = await get(`/forms/${id}`);
      expect(shown.statusCode, id).toBe(404);
      expectNothingOfB(shown.body, `GET /forms/${id}`);
      const sent = await ctx.app.inject({
        method: 'POST',
        url: `/forms/${id}`,
        payload: { email: sharedEmail, message: 'Hello?' },
      });
      expect(sent.statusCode, id).toBe(404);
      expect(sent.json<{ error: { code: string } }>().error.code).toBe('not_found');
    }

    const aTickets = await count('tickets', a.ws.workspace.id);
    const aPeople = await count('people', a.ws.workspace.id);
    // The customer both workspaces know: A's record. (Opened in one statement: an existing address, no thread.)
    const first = await ctx.app.inject({
      method: 'POST',
      url: `/forms/${a.form.id}`,
      payload: { email: sharedEmail, subject: 'Amberfox question', message: 'Is the amberfox in stock?' },
    });
    expect(first.statusCode).toBe(201);
    // B's customer only, naming B's ticket number in the subject (url-encoded, as a browser posts it).
    const second = await ctx.app.inject({
      method: 'POST',
      url: `/forms/${a.form.id}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        email: bOnlyEmail,
        subject: `Re: [#${bTicketNumber}] Bluewhale question`,
        message: 'Any news?',
        website: '',
      }).toString(),
    });
    expect(second.statusCode).toBe(201);
    expectNothingOfB(second.body.replace(`[#${bTicketNumber}]`, ''), 'form thanks');
    expect(await count('tickets', a.ws.workspace.id)).toBe(aTickets + 2);
    // A new customer in A for B's address; none for the shared one.
    expect(await count('people', a.ws.workspace.id)).toBe(aPeople + 1);
    const made = rowsOf<{ person_id: string; subject: string; workspace_id: string }>(
      await db().execute(
        sql`select person_id, subject, workspace_id from tickets where channel_id = ${a.form.id} order by created_at`,
      ),
    );
    expect(made.map((t) => t.workspace_id)).toEqual([a.ws.workspace.id, a.ws.workspace.id]);
    expect(made[0]?.person_id).toBe(a.shared);
    expect(made[1]?.person_id).not.toBe(bOnlyPerson);
    expect(made[1]?.person_id).not.toBe(a.shared);
    expect(await rowsOfWorkspace(b.ws.workspace.id)).toEqual(before);
  });

  it("channel API: A's signature opens threads in A only; B's channel, other secrets and altered signatures are refused", async () => {
    const before = await rowsOfWorkspace(b.ws.workspace.id);
    const aTickets = await count('tickets', a.ws.workspace.id);
    const aMessages = await count('messages', a.ws.workspace.id);
    const body = {
      threadId: bThreadId,
      from: { email: bOnlyEmail },
      text: 'Amberfox follow-up',
      messageId: bMessageId,
    };

    // B's channel with A's secret, A's channel with B's secret or with another channel's of A: unauthenticated.
    for (const [channel, secret] of [
      [b.api, a.api.secret],
      [a.api, b.api.secret],
      [a.api, a.chat.secret],
      [a.api, a.ws.workspace.secret],
    ] as const) {
      const res = await inbound(channel, secret, body);
      expect(res.statusCode).toBe(401);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('unauthenticated');
    }
    // A's own signature with one character changed.
    const flip = (sig: string) => `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`;
    expect((await inbound(a.api, a.api.secret, body, flip)).statusCode).toBe(401);
    // Channels of other kinds (and B's) are no API channels, whatever they are signed with.
    for (const channel of [a.form, a.chat, b.form, b.chat])
      expect((await inbound(channel, channel.secret, body)).statusCode).toBe(404);
    // Custom values of a ticket field only B has: refused, nothing stored.
    const custom = await inbound(a.api, a.api.secret, { ...body, custom: { [bTicketField]: 'x' } });
    expect(custom.statusCode).toBe(400);
    expect(await count('tickets', a.ws.workspace.id)).toBe(aTickets);
    expect(await count('messages', a.ws.workspace.id)).toBe(aMessages);

    // B's thread id and message id, B's customer's address: a new thread, ticket and customer of A.
    const ok = await inbound(a.api, a.api.secret, body);
    expect(ok.statusCode).toBe(201);
    const r = ok.json<{ ticketId: string; messageId: string }>();
    expect(r.ticketId).not.toBe(bTicketId);
    expectNothingOfB(ok.body, 'inbound');
    const [t] = rowsOf<{ workspace_id: string; person_id: string }>(
      await db().execute(sql`select workspace_id, person_id from tickets where id = ${r.ticketId}`),
    );
    expect(t?.workspace_id).toBe(a.ws.workspace.id);
    expect(t?.person_id).not.toBe(bOnlyPerson);
    expect(await count('tickets', a.ws.workspace.id)).toBe(aTickets + 1);
    // The same message again is A's duplicate, not B's.
    const again = await inbound(a.api, a.api.secret, body);
    expect(again.json()).toEqual({ received: true, duplicate: true });
    expect(await rowsOfWorkspace(b.ws.workspace.id)).toEqual(before);
  });

  // ---- unsubscribe

  it("unsubscribe links: A's token changes A's customer only; forged, re-pointed and altered tokens are refused", async () => {
    const before = await rowsOfWorkspace(b.ws.workspace.id);
    const bConsent = await ctx.services.people.consent(b.ws.ownerActor, b.shared);
    const link = await get(`/api/v1/people/${a.shared}/unsubscribe-link`, bearer(a.key));
    expect(link.statusCode).toBe(200);
    const token = link.json<{ token: string }>().token;
    const consentOfA = async () => (await ctx.services.people.consent(a.ws.ownerActor, a.shared)).current;
    const post = (url: string) =>
      ctx.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });

    const landing = await get(`/u/${token}`);
    expect(landing.statusCode).toBe(200);
    expect(landing.body).toContain(`Public A ${a.word}`);
    expectNothingOfB(landing.body, 'landing');

    // A token that names B's customer under A's workspace, signed with A's secret (what A's admins could make): the
    // customer is looked up in A, and is not there.
    const intoB = signUnsubscribeToken(a.ws.workspace.secret, {
      workspaceId: a.ws.workspace.id,
      personId: b.shared,
      channel: 'email',
      purpose: 'marketing',
    });
    const shown = await get(`/u/${intoB}`);
    expectNothingOfB(shown.body, 'forged landing');
    const gone = await post(`/u/${intoB}/confirm`);
    expect(gone.statusCode).toBe(404);
    expect(gone.body).toContain('Nothing to unsubscribe');
    expectNothingOfB(gone.body, 'forged confirm');
    // Subscribing again through it changes nothing of B and says nothing of B.
    const re = await post(`/u/${intoB}/resubscribe`);
    expect(re.statusCode).toBe(404);
    expectNothingOfB(re.body, 'forged resubscribe');
    // The one-click endpoint answers alike whatever happened (a mail client learns nothing), and changes nothing.
    const oneClick = await post(`/u/${intoB}`);
    expect(oneClick.statusCode).toBe(200);
    expect(oneClick.body).toBe('unsubscribed');

    // B's workspace and customer, signed with A's secret; A's token re-pointed at B (its MAC kept): invalid.
    const signedByA = signUnsubscribeToken(a.ws.workspace.secret, {
      workspaceId: b.ws.workspace.id,
      personId: b.shared,
      channel: 'email',
      purpose: 'marketing',
    });
    const [payload, mac] = token.split('.') as [string, string];
    const raw = Buffer.from(payload, 'base64url');
    const repoint = (at: number, id: string) => {
      const copy = Buffer.from(raw);
      Buffer.from(id.replace(/-/g, ''), 'hex').copy(copy, at);
      return `${copy.toString('base64url')}.${mac}`;
    };
    const invalid = [
      signedByA,
      repoint(0, b.ws.workspace.id),
      repoint(16, b.shared),
      repoint(0, b.ws.workspace.id).replace(/^[^.]+/, (p) => {
        const copy = Buffer.from(p, 'base64url');
        Buffer.from(b.shared.replace(/-/g, ''), 'hex').copy(copy, 16);
        return copy.toString('base64url');
      }),
    ];
    // Every one-character change of A's genuine token, each flipping the high bit of its 6-bit group (so the decoded
    // bytes change: a change of only the unused low bits of either part's last character would decode to the same
    // bytes, which is the same token, and is left out).
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const bytesOf = (t: string) => t.split('.').map((p) => Buffer.from(p, 'base64url').toString('hex'));
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '.') continue;
      const c = alphabet[(alphabet.indexOf(token[i] ?? 'A') + 32) % 64] ?? 'A';
      const altered = `${token.slice(0, i)}${c}${token.slice(i + 1)}`;
      if (JSON.stringify(bytesOf(altered)) !== JSON.stringify(bytesOf(token))) invalid.push(altered);
    }
    expect(invalid.length).toBeGreaterThan(60);
    for (const t of invalid) {
      const what = `token ${t}`;
      const res = await get(`/u/${t}`);
      expect(res.statusCode, what).toBe(400);
      expect(res.body, what).toContain('This link does not work');
      expect((await post(`/u/${t}/confirm`)).statusCode, what).toBe(400);
      expect((await post(`/u/${t}/resubscribe`)).statusCode, what).toBe(400);
      const click = await post(`/u/${t}`);
      expect(click.statusCode, what).toBe(400);
      expect(click.body).toBe('invalid unsubscribe link');
    }
    expect((await consentOfA())['email:marketing']).toBe('granted');

    // A's genuine token: A's customer withdrawn and granted again; B's customer with the same address untouched.
    const done = await post(`/u/${token}/confirm`);
    expect(done.statusCode).toBe(200);
    expectNothingOfB(done.body, 'confirm');
    expect((await consentOfA())['email:marketing']).toBe('withdrawn');
    expect((await post(`/u/${token}/resubscribe`)).statusCode).toBe(200);
    expect((await consentOfA())['email:marketing']).toBe('granted');
    expect(await ctx.services.people.consent(b.ws.ownerActor, b.shared)).toEqual(bConsent);
    expect(await rowsOfWorkspace(b.ws.workspace.id)).toEqual(before);
  });

  it('unsubscribe resubscribe: a token naming a customer its workspace does not have is refused, not welcomed back', async () => {
    const intoB = signUnsubscribeToken(a.ws.workspace.secret, {
      workspaceId: a.ws.workspace.id,
      personId: b.shared,
      channel: 'email',
      purpose: 'marketing',
    });
    const res = await ctx.app.inject({ method: 'POST', url: `/u/${intoB}/resubscribe` });
    expect(res.body).not.toContain('You are subscribed again');
    expect(res.statusCode).toBe(404);
  });

  it('unsubscribe resubscribe: undoing its own unsubscribe answers the welcome-back page', async () => {
    const { person } = await ctx.services.people.create(a.ws.ownerActor, { firstName: 'Undo', emails: [] });
    const link = await get(`/api/v1/people/${person.id}/unsubscribe-link`, bearer(a.key));
    const token = link.json<{ token: string }>().token;
    expect((await ctx.app.inject({ method: 'POST', url: `/u/${token}/confirm` })).statusCode).toBe(200);
    const res = await ctx.app.inject({ method: 'POST', url: `/u/${token}/resubscribe` });
    expect(res.statusCode).toBe(200);
    expect((await ctx.services.people.consent(a.ws.ownerActor, person.id)).current['email:marketing']).toBe('granted');
    expect(String(res.headers['content-type'] ?? '')).toContain('text/html');
    expect(res.body).toContain('Welcome back');
  });

  it('unsubscribe script: one static script, the same for everyone, with nothing of any workspace', async () => {
    const anonymous = await get('/u/submit.js');
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.headers['content-type']).toMatch(/javascript/);
    expect((await get('/u/submit.js', { cookie: a.cookie })).body).toBe(anonymous.body);
    expect((await get('/u/submit.js', bearer(b.key))).body).toBe(anonymous.body);
    expectNothingOfB(anonymous.body, 'submit.js');
    expect(anonymous.body).not.toContain(a.word);
    expect(anonymous.body.length).toBeLessThan(200);
  });

  // ---- live chat

  /** A visitor's or agent's socket on the listening app (the chat route's rate limit needs a real connection). */
  const socket = (path: string, headers: Record<string, string> = {}) =>
    openSocket(`${base.replace('http', 'ws')}${path}`, headers);

  it('chat widget script: one static script, the same for everyone, with nothing of any workspace', async () => {
    const anonymous = await get('/widget.js');
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.headers['content-type']).toContain('javascript');
    expect((await get('/widget.js', { cookie: a.cookie })).body).toBe(anonymous.body);
    expect((await get('/widget.js', bearer(b.key))).body).toBe(anonymous.body);
    expectNothingOfB(anonymous.body, 'widget.js');
    for (const id of a.ids) expect(anonymous.body).not.toContain(id);
    expect(anonymous.body).not.toContain(a.word);
  });

  it("chat socket: A's channel shows and links nothing of B (same visitor id, B's identity hash, B's agents)", async () => {
    const before = await rowsOfWorkspace(b.ws.workspace.id);
    const open: TestSocket[] = [];
    const visitor = async (channelId: string) => {
      const s = await socket(`/chat/ws?channel=${channelId}`);
      open.push(s);
      return s;
    };
    try {
      // Ids that are not A's live chat channel: no socket.
      for (const id of [a.form.id, a.api.id, a.ws.workspace.id, b.ws.workspace.id, bTicketId]) {
        const s = await visitor(id);
        expect(await s.next('error')).toMatchObject({ code: 'not_found' });
        expect(await s.closed).toBe(4404);
      }
      // An id that is no UUID at all is no channel either (not an internal error).
      const junk = await visitor('not-a-uuid');
      expect(await junk.next('error')).toMatchObject({ code: 'not_found' });
      expect(await junk.closed).toBe(4404);
      expect(junk.frames.map((f) => f.type)).toEqual(['error']);
      // B's agent is online: A's visitors are not told so.
      const bInbox = await socket('/api/v1/inbox/ws', { cookie: b.cookie });
      open.push(bInbox);
      await bInbox.next('ready');

      // The visitor id B's visitor uses: a new conversation of A's channel, with nothing of B's.
      const same = await visitor(a.chat.id);
      same.send({ type: 'hello', visitorId: bVisitorId });
      const ready = await same.next('ready');
      expect(ready).toMatchObject({ conversationId: null, messages: [], agentsOnline: false, verified: false });
      expectNothingOfB(JSON.stringify(ready), 'ready');
      expect(await rowsOfWorkspace(b.ws.workspace.id)).toEqual(before);
      // B's visitor (a positive control) hears B's agent answer; A's visitor of the same id hears nothing.
      const bVisitor = await visitor(b.chat.id);
      bVisitor.send({ type: 'hello', visitorId: bVisitorId });
      expect(((await bVisitor.next('ready')).messages as unknown[]).length).toBe(1);
      const [bChatTicket] = rowsOf<{ id: string }>(
        await db().execute(
          sql`select ticket_id as id from conversations where channel_id = ${b.chat.id} and external_id = ${bVisitorId}`,
        ),
      );
      const answer = await ctx.app.inject({
        method: 'POST',
        url: `/api/v1/tickets/${bChatTicket?.id ?? ''}/replies`,
        headers: bearer(b.key),
        payload: { text: 'Bluewhale agent answer' },
      });
      expect(answer.statusCode).toBe(201);
      await bVisitor.next('message');
      // Another agent of B comes online (B's presence changes).
      const bInbox2 = await socket('/api/v1/inbox/ws', { cookie: bAgentCookie });
      open.push(bInbox2);
      await bInbox2.next('ready');
      const bAfterReply = await rowsOfWorkspace(b.ws.workspace.id);
      await new Promise((r) => setTimeout(r, 300));
      // Nothing of it reached A's visitor: no message, no "agents online".
      expect(same.frames.map((f) => f.type)).toEqual(['ready']);
      // A positive control: A's own agent coming online is told to A's visitor.
      const aInbox = await socket('/api/v1/inbox/ws', { cookie: a.cookie });
      open.push(aInbox);
      await aInbox.next('ready');
      expect(await same.next('agents')).toMatchObject({ online: true });
      same.send({ type: 'message', text: 'Amberfox visitor asks', clientId: 'c1' });
      const sent = await same.next('sent');
      expectNothingOfB(JSON.stringify(sent), 'sent');
      // Its own message may come back to it (as its conversation's notice); no other message does.
      await new Promise((r) => setTimeout(r, 200));
      for (const f of same.frames.filter((x) => x.type === 'message'))
        expect(f).toMatchObject({ message: { text: 'Amberfox visitor asks' } });
      for (const f of same.frames) expectNothingOfB(JSON.stringify(f), `frame ${f.type}`);
      const [aConv] = rowsOf<{ workspace_id: string }>(
        await db().execute(sql`select workspace_id from conversations where id = ${String(sent.conversationId)}`),
      );
      expect(aConv?.workspace_id).toBe(a.ws.workspace.id);

      // An identity signed with B's channel secret is not accepted on A's channel.
      const forged = await visitor(a.chat.id);
      forged.send({
        type: 'hello',
        visitorId: crypto.randomBytes(16).toString('hex'),
        userId: sharedExternalId,
        userHash: userHashOf(b.chat.secret, sharedExternalId),
      });
      expect(await forged.next('error')).toMatchObject({ code: 'unauthenticated' });
      expect(await forged.closed).toBe(4401);

      // Signed with A's secret: the external id both know is A's customer; one only B knows is no one's.
      for (const [userId, personId] of [
        [sharedExternalId, a.shared],
        [bOnlyExternalId, null],
      ] as const) {
        const s = await visitor(a.chat.id);
        s.send({
          type: 'hello',
          visitorId: crypto.randomBytes(16).toString('hex'),
          userId,
          userHash: userHashOf(a.chat.secret, userId),
        });
        const r = await s.next('ready');
        expect(r).toMatchObject({ verified: true, conversationId: null, messages: [] });
        expectNothingOfB(JSON.stringify(r), `ready ${userId}`);
        s.send({ type: 'message', text: `Amberfox ${userId}` });
        const m = await s.next('sent');
        const [t] = rowsOf<{ workspace_id: string; person_id: string | null }>(
          await db().execute(
            sql`select t.workspace_id, t.person_id from conversations c join tickets t on t.workspace_id = c.workspace_id and t.id = c.ticket_id where c.id = ${String(m.conversationId)}`,
          ),
        );
        expect(t?.workspace_id).toBe(a.ws.workspace.id);
        if (personId) expect(t?.person_id).toBe(personId);
        else expect([b.shared, bOnlyPerson, a.shared]).not.toContain(t?.person_id);
        // Leaving an address B's customer has: A's records only.
        s.send({ type: 'email', email: bOnlyEmail });
        await s.next('email_saved');
      }
      expect(await rowsOfWorkspace(b.ws.workspace.id)).toEqual(bAfterReply);
    } finally {
      for (const s of open) await s.close();
    }
  });

  // ---- the API description

  it('API description: the OpenAPI document and its viewer are the same for everyone and hold no workspace data', async () => {
    const urls = [
      '/api/openapi.json',
      '/api/docs',
      '/api/docs/',
      '/api/docs/json',
      '/api/docs/yaml',
      '/api/docs/static/index.html',
      '/api/docs/static/swagger-initializer.js',
      '/api/docs/static/swagger-ui.css',
    ];
    for (const url of urls) {
      const anonymous = await get(url);
      expect(anonymous.statusCode, url).toBeLessThan(400);
      for (const headers of [{ cookie: a.cookie }, bearer(a.key), bearer(b.key)]) {
        const res = await get(url, headers);
        expect(res.statusCode, url).toBe(anonymous.statusCode);
        expect(res.body, url).toBe(anonymous.body);
      }
      expectNothingOfB(anonymous.body, url);
      for (const id of a.ids) expect(anonymous.body, url).not.toContain(id);
      expect(anonymous.body, url).not.toContain(a.word);
    }
    expect((await get('/api/docs/json')).json()).toEqual((await get('/api/openapi.json')).json());
  });
});
