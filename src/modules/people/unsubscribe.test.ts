import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { signUnsubscribeToken, verifyUnsubscribeToken } from './unsubscribe.ts';

describe('unsubscribe tokens', () => {
  const claim = {
    workspaceId: '01a204e2-dfdc-716b-a3d4-f323458e3a5f',
    personId: '01a204e2-e034-75d0-809d-0f60c91d6fc7',
    channel: 'sms',
    purpose: 'research',
  } as const;
  it('verify under the secret that signed them, and under no other', () => {
    const t = signUnsubscribeToken('secret-a', claim);
    expect(verifyUnsubscribeToken('secret-a', t)).toEqual(claim);
    expect(verifyUnsubscribeToken('secret-b', t)).toBeNull();
    const [p, m] = t.split('.');
    const flipped = Buffer.from(p ?? '', 'base64url');
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    expect(verifyUnsubscribeToken('secret-a', `${flipped.toString('base64url')}.${m}`)).toBeNull();
    for (const junk of ['', '.', 'abc.def', `${p}`, `${t}.x`])
      expect(verifyUnsubscribeToken('secret-a', junk)).toBeNull();
  });
});

describe.each(testEngines())('one-click unsubscribe on %s', (engine) => {
  const ctx = useTestApp(engine);

  it('withdraws marketing consent from the link, once, with proof; can be undone', async () => {
    const ws = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, ws));
    const person = await ctx.services.people.create(ws.ownerActor, { firstName: 'Una', emails: ['una@x.example'] });
    const id = person.person.id;
    await ctx.services.people.setConsent(ws.ownerActor, id, {
      channel: 'email',
      purpose: 'marketing',
      status: 'granted',
      source: 'form',
    });
    const link = await ctx.app.inject({ url: `/api/v1/people/${id}/unsubscribe-link`, headers: h });
    expect(link.statusCode).toBe(200);
    const url = new URL(link.json<{ url: string }>().url);
    expect(url.pathname).toMatch(/^\/u\/[\w-]+\.[\w-]+$/);

    // A link scanner's GET changes nothing: the page's form (submitted by its script) does the withdrawing.
    const landing = await ctx.app.inject({ url: url.pathname, headers: { 'user-agent': 'LinkScanner/1' } });
    expect(landing.statusCode).toBe(200);
    expect(landing.body).toContain(`<form id="unsubscribe" method="post" action="${url.pathname}/confirm">`);
    expect(landing.body).toContain('<script src="/u/submit.js"></script>');
    expect(landing.body).toContain(ws.workspace.name);
    expect((await ctx.services.people.consent(ws.ownerActor, id)).current['email:marketing']).toBe('granted');
    const script = await ctx.app.inject({ url: '/u/submit.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.body).toContain("getElementById('unsubscribe').submit()");

    const first = await ctx.app.inject({
      method: 'POST',
      url: `${url.pathname}/confirm`,
      headers: { 'user-agent': 'MailClient/1', 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
      remoteAddress: '203.0.113.9',
    });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('You are unsubscribed');
    expect(first.body).toContain(ws.workspace.name);
    const again = await ctx.app.inject({ method: 'POST', url: `${url.pathname}/confirm` });
    expect(again.statusCode).toBe(200);
    const consent = await ctx.services.people.consent(ws.ownerActor, id);
    expect(consent.current['email:marketing']).toBe('withdrawn');
    expect(consent.ledger.map((r) => [r.status, r.source])).toEqual([
      ['withdrawn', 'unsubscribe_link'],
      ['granted', 'form'],
    ]);
    expect(consent.ledger[0]?.proof).toMatchObject({
      method: 'unsubscribe page',
      ip: '203.0.113.9',
      userAgent: 'MailClient/1',
    });
    expect(await ctx.services.people.mayContact(ws.workspace.id, id, 'email', 'marketing')).toBe(false);

    const back = await ctx.app.inject({ method: 'POST', url: `${url.pathname}/resubscribe` });
    expect(back.statusCode).toBe(200);
    expect((await ctx.services.people.consent(ws.ownerActor, id)).current['email:marketing']).toBe('granted');

    const oneClick = await ctx.app.inject({
      method: 'POST',
      url: url.pathname,
      payload: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(oneClick.statusCode).toBe(200);
    expect((await ctx.services.people.consent(ws.ownerActor, id)).current['email:marketing']).toBe('withdrawn');
  });

  it('refuses a forged or foreign token with a readable page', async () => {
    const a = await makeWorkspace(ctx.services);
    const b = await makeWorkspace(ctx.services);
    const pb = await ctx.services.people.create(b.ownerActor, { firstName: 'Bea' });
    // Signed with A's secret but naming B's person: refused.
    const forged = signUnsubscribeToken(a.workspace.secret, {
      workspaceId: b.workspace.id,
      personId: pb.person.id,
      channel: 'email',
      purpose: 'marketing',
    });
    const res = await ctx.app.inject({ url: `/u/${forged}` });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('This link does not work');
    expect((await ctx.services.people.consent(b.ownerActor, pb.person.id)).ledger).toEqual([]);
    expect((await ctx.app.inject({ url: '/u/nonsense' })).statusCode).toBe(400);
    const confirmForged = await ctx.app.inject({ method: 'POST', url: `/u/${forged}/confirm` });
    expect(confirmForged.statusCode).toBe(400);
    expect((await ctx.services.people.consent(b.ownerActor, pb.person.id)).ledger).toEqual([]);
  });

  it('subscribes again only to undo its own unsubscribe of the last 7 days: a forwarded link grants nothing', async () => {
    const ws = await makeWorkspace(ctx.services);
    const h = bearer(await makeApiKey(ctx.services, ws));
    const make = async (name: string) => {
      const id = (await ctx.services.people.create(ws.ownerActor, { firstName: name })).person.id;
      const link = await ctx.app.inject({ url: `/api/v1/people/${id}/unsubscribe-link`, headers: h });
      return { id, path: new URL(link.json<{ url: string }>().url).pathname };
    };
    const current = async (id: string) =>
      (await ctx.services.people.consent(ws.ownerActor, id)).current['email:marketing'] ?? null;
    const resubscribe = (path: string) => ctx.app.inject({ method: 'POST', url: `${path}/resubscribe` });

    // Never asked: the link does not opt anyone in.
    const never = await make('Nia');
    const refused = await resubscribe(never.path);
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('This link cannot subscribe you');
    expect(await current(never.id)).toBeNull();
    expect((await ctx.services.people.consent(ws.ownerActor, never.id)).ledger).toEqual([]);

    // Withdrawn another way (told an agent): the link cannot undo that.
    const told = await make('Tom');
    await ctx.services.people.setConsent(ws.ownerActor, told.id, {
      channel: 'email',
      purpose: 'marketing',
      status: 'withdrawn',
      source: 'console',
    });
    expect((await resubscribe(told.path)).statusCode).toBe(403);
    expect(await current(told.id)).toBe('withdrawn');

    // Unsubscribed by the link: undone within 7 days, not after.
    const una = await make('Una');
    expect((await ctx.app.inject({ method: 'POST', url: `${una.path}/confirm` })).statusCode).toBe(200);
    const undone = await resubscribe(una.path);
    expect(undone.statusCode).toBe(200);
    expect(undone.headers['content-type']).toMatch(/text\/html/);
    expect(undone.body).toContain('You are subscribed again to marketing email');
    expect(await current(una.id)).toBe('granted');
    // Already subscribed: nothing to change, nothing recorded.
    const again = await resubscribe(una.path);
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('You are subscribed again');
    expect((await ctx.services.people.consent(ws.ownerActor, una.id)).ledger).toHaveLength(2);
    expect((await ctx.app.inject({ method: 'POST', url: una.path })).statusCode).toBe(200);
    await ctx.database.db.execute(
      sql`update consent_records set recorded_at = now() - interval '8 days' where workspace_id = ${ws.workspace.id} and person_id = ${una.id}`,
    );
    expect((await resubscribe(una.path)).statusCode).toBe(403);
    expect(await current(una.id)).toBe('withdrawn');
  });
});
