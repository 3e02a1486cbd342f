/**
 * The knowledge base in a real browser: an agent writes and publishes an article in the console, a visitor who is not
 * signed in reads it on the public help centre, and when a customer's ticket asks about the same thing the inbox's
 * composer suggests the article and inserts a link to it into the reply.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';
import type { Services } from '../../src/services.ts';
import { makeUser, makeWorkspace } from '../factories.ts';

describe.skipIf(browserSkip)('knowledge base in a browser', () => {
  let h: BrowserApp;
  let services: Services;
  let base: string;
  let browser: Browser;
  let pageErrors: string[];

  beforeAll(async () => {
    h = await startBrowserApp();
    ({ services, base, browser, pageErrors } = h);
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  const signIn = (email: string): Promise<Page> => h.signIn(email);

  it('publishes an article from the console, shows it publicly, and suggests it in the composer', async () => {
    const ws = await makeWorkspace(services, { name: 'Mugs & Co' });
    const agent = await makeUser(services, ws, { role: 'agent', email: 'kb-agent@example.com' });
    // Another article, so the suggestion has to pick the right one.
    await services.kb.create(ws.ownerActor, {
      title: 'Delivery times',
      body: 'Parcels arrive in 2 to 3 working days anywhere in Portugal.',
      status: 'published',
    });
    const page = await signIn(agent.user.email);

    // Write and publish in the console.
    await page.getByRole('link', { name: 'Knowledge base' }).click();
    await page.getByRole('button', { name: 'New article' }).click();
    await page.getByRole('textbox', { name: 'Title', exact: true }).fill('Replacing a broken mug handle');
    await page
      .getByRole('textbox', { name: 'Body (Markdown)' })
      .fill(
        'A handle that comes off is a defect.\n\n1. Take a **photo** of the broken handle.\n2. Reply to your order e-mail.\n\nWe ship a replacement mug the same day.',
      );
    await page.getByRole('tab', { name: 'Preview' }).click();
    await expect.poll(() => page.getByTestId('kb-preview').innerHTML()).toContain('<strong>photo</strong>');
    await page.getByRole('button', { name: 'Publish' }).click();
    const publicLink = page.getByTestId('kb-public-link');
    await publicLink.waitFor();
    const href = await publicLink.getAttribute('href');
    expect(href).toBe(`/help/${ws.workspace.slug}/replacing-a-broken-mug-handle`);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('kb-articles').textContent()).toContain('Replacing a broken mug handle');

    // A visitor without a session reads it on the help centre.
    const visitor = await (await browser.newContext()).newPage();
    visitor.on('pageerror', (e) => pageErrors.push(e.message));
    await visitor.goto(`${base}/help/${ws.workspace.slug}`);
    expect(await visitor.title()).toContain('Mugs & Co');
    await visitor.getByRole('link', { name: 'Replacing a broken mug handle' }).click();
    await visitor.getByRole('heading', { name: 'Replacing a broken mug handle' }).waitFor();
    expect(await visitor.locator('article strong').textContent()).toBe('photo');
    await visitor.getByRole('button', { name: 'Yes' }).click();
    await visitor.getByText('Thank you for your feedback.').waitFor();
    await visitor.close();

    // A customer writes about a broken handle: the composer suggests the article and inserts its link.
    const ticket = await services.tickets.create(ws.ownerActor, {
      subject: 'Mug handle broke',
      requester: { email: 'lena@example.de', name: 'Lena Vogel' },
      text: 'The handle of my mug broke off after two days. Can I get a replacement?',
    });
    await page.goto(`${base}/inbox/${ticket.id}`);
    const strip = page.getByTestId('article-suggestions');
    await strip.waitFor();
    const first = strip.getByRole('link').first();
    expect(await first.textContent()).toBe('Replacing a broken mug handle');
    await page.getByRole('textbox', { name: 'Reply' }).fill('Hi Lena, so sorry!');
    await strip.getByRole('button', { name: /Insert a link to “Replacing a broken mug handle”/ }).click();
    await expect
      .poll(() => page.getByRole('textbox', { name: 'Reply' }).inputValue())
      .toBe(`Hi Lena, so sorry!\n\nReplacing a broken mug handle: ${base}${href}`);

    const article = (await services.kb.list(ws.ownerActor, { filter: 'slug:eq:replacing-a-broken-mug-handle' }))
      .rows[0];
    expect(article).toMatchObject({ status: 'published', authorId: agent.user.id, helpfulCount: 1 });
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
