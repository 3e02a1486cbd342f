import { describe, expect, it } from 'vitest';
import { bearer, caller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { createDemoKb, demoKbArticles, demoKbDraft } from '../../cli/demo-kb.ts';
import { slugify } from '../../domain/kb.ts';
import { reservedArticleSlugs } from './kb.schemas.ts';

describe.each(testEngines())('public help centre (%s)', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services, { name: `Trail & <Co> ${Math.random().toString(36).slice(2, 6)}` });
    const { ids } = await createDemoKb(ctx.services, ws.ownerActor);
    const slug = ws.workspace.slug;
    const get = (url: string) => ctx.app.inject({ method: 'GET', url });
    const vote = (article: string, helpful: 'yes' | 'no', ip = '203.0.113.7') =>
      ctx.app.inject({
        method: 'POST',
        url: `/help/${slug}/${article}/vote`,
        remoteAddress: ip,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `helpful=${helpful}`,
      });
    return { ws, ids, slug, get, vote };
  }

  it('shows published articles by category with the workspace name, never drafts, without signing in', async () => {
    const { ws, slug, get, ids } = await setup();
    const home = await get(`/help/${slug}`);
    expect(home.statusCode).toBe(200);
    expect(home.headers['content-type']).toContain('text/html');
    expect(home.headers['content-security-policy']).toContain("script-src 'none'");
    expect(home.body).toContain(ws.workspace.name.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;'));
    expect(home.body).not.toContain('<Co>');
    expect(home.body).toContain('<h2 id="c-returns-refunds">Returns and refunds</h2>');
    for (const a of demoKbArticles) expect(home.body).toContain(`href="/help/${slug}/${slugify(a.title)}"`);
    expect(home.body).not.toContain(demoKbDraft.title);
    expect(home.body).not.toContain('<script');

    const draftSlug = slugify(demoKbDraft.title);
    expect((await get(`/help/${slug}/${draftSlug}`)).statusCode).toBe(404);
    const searchDraft = await get(`/help/${slug}/search?q=${encodeURIComponent('gift cards')}`);
    expect(searchDraft.statusCode).toBe(200);
    expect(searchDraft.body).not.toContain(demoKbDraft.title);
    expect((await get(`/help/${slug}/search?q=zebra+quokka`)).body).toContain('No article matches');

    // Unpublishing takes an article off at once.
    const returnsSlug = slugify(demoKbArticles[0]?.title ?? '');
    expect((await get(`/help/${slug}/${returnsSlug}`)).statusCode).toBe(200);
    await ctx.services.kb.unpublish(ws.ownerActor, ids.returns ?? '');
    expect((await get(`/help/${slug}/${returnsSlug}`)).statusCode).toBe(404);
    expect((await get(`/help/${slug}`)).body).not.toContain(`/help/${slug}/${returnsSlug}"`);

    expect((await get('/help/no-such-workspace')).statusCode).toBe(404);
  });

  it('renders an article, counts views, and finds articles by search', async () => {
    const { ws, slug, get, ids } = await setup();
    const page = await get(`/help/${slug}/${slugify('Where do you ship and how long does delivery take?')}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Where do you ship and how long does delivery take?</h1>');
    expect(page.body).toContain('<table>');
    expect(page.body).toContain('Was this article helpful?');
    expect(page.body).toContain('Orders and shipping');
    const article = await ctx.services.kb.get(ws.ownerActor, ids['shipping-destinations'] ?? '');
    expect(article.viewCount).toBe(1);

    const found = await get(`/help/${slug}/search?q=${encodeURIComponent('reset my password')}`);
    expect(found.statusCode).toBe(200);
    const first = /<ul class="articles"><li><a href="([^"]+)"/.exec(found.body)?.[1];
    expect(first).toBe(`/help/${slug}/${slugify('Reset your password or fix sign-in problems')}`);
    expect(found.body).toContain('value="reset my password"');
    const xss = await get(`/help/${slug}/search?q=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(xss.body).not.toContain('<script>alert');
  });

  it('never gives an article the address of a help-centre page, so every article can be reached', async () => {
    const { ws, slug, get } = await setup();
    const owner = ws.ownerActor;
    // Made from the title: numbered like a taken address.
    const search = await ctx.services.kb.create(owner, {
      title: 'Search',
      body: 'How to **search**.',
      status: 'published',
    });
    const vote = await ctx.services.kb.create(owner, { title: 'Vote!', body: 'Votes.', status: 'published' });
    expect([search.slug, vote.slug]).toEqual(['search-2', 'vote-2']);
    const page = await get(`/help/${slug}/search-2`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Search</h1>');
    expect(page.body).toContain('<strong>search</strong>');
    expect((await get(`/help/${slug}/search`)).body).toContain('Type some words to search.');

    // Asked for: refused with a 400 naming the field, on create and on edit.
    const key = await makeApiKey(ctx.services, ws);
    const call = caller(ctx.app, bearer(key));
    for (const reserved of reservedArticleSlugs) {
      const created = await call('POST', '/api/v1/kb/articles', { title: 'Anything', slug: reserved });
      expect(created.statusCode, created.body).toBe(400);
      expect(created.json().error).toMatchObject({
        code: 'validation_failed',
        details: { field: 'slug', problems: [{ path: 'slug' }] },
      });
      const edited = await call('PATCH', `/api/v1/kb/articles/${vote.id}`, { slug: reserved });
      expect(edited.statusCode, edited.body).toBe(400);
      expect(edited.json().error.details).toMatchObject({ field: 'slug' });
    }
    expect((await ctx.services.kb.get(owner, vote.id)).slug).toBe('vote-2');
  });

  it('counts "Was this helpful?" once per reader, lets them change it, and rate-limits', async () => {
    const { ws, slug, vote, ids } = await setup();
    const article = slugify('Tracking your parcel');
    const yes = await vote(article, 'yes');
    expect(yes.statusCode).toBe(303);
    expect(yes.headers.location).toBe(`/help/${slug}/${article}?voted=yes`);
    const counts = async () => {
      const a = await ctx.services.kb.get(ws.ownerActor, ids.tracking ?? '');
      return [a.helpfulCount, a.notHelpfulCount];
    };
    expect(await counts()).toEqual([1, 0]);
    await vote(article, 'yes');
    expect(await counts()).toEqual([1, 0]);
    await vote(article, 'no');
    expect(await counts()).toEqual([0, 1]);
    await vote(article, 'yes', '198.51.100.20');
    expect(await counts()).toEqual([1, 1]);
    // The fourth and fifth from the first address pass; the sixth within the minute is refused.
    await vote(article, 'no');
    await vote(article, 'no');
    const limited = await vote(article, 'no');
    expect(limited.statusCode, limited.body).toBe(429);
    // Drafts take no votes.
    expect((await vote(slugify(demoKbDraft.title), 'yes', '192.0.2.1')).statusCode).toBe(404);
    // Nothing about voters' addresses is stored in the clear.
    const rows = await ctx.database.db.execute(
      `select voter from kb_votes where workspace_id = '${ws.workspace.id}'` as unknown as never,
    );
    const voters = (rows as unknown as { rows: Array<{ voter: string }> }).rows.map((r) => r.voter);
    expect(voters).toHaveLength(2);
    for (const v of voters) expect(v).not.toMatch(/\d+\.\d+\.\d+\.\d+/);
  });
});
