/**
 * The knowledge base in a real browser: an agent writes and publishes an article in the console, a visitor who is not
 * signed in reads it on the public help centre, and when a customer's ticket asks about the same thing the inbox's
 * composer suggests the article and inserts a link to it into the reply.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { buildApp } from '../../src/http/app.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTestDatabase } from '../db.ts';
import { makeUser, makeWorkspace, testPassword } from '../factories.ts';

const root = path.resolve(import.meta.dirname, '../..');
const chromiumPath = '/usr/bin/chromium';
const hasChromium = fs.existsSync(chromiumPath);
const inCi = process.env.CI === 'true';
const skip = !hasChromium && !inCi;
if (skip)
  console.warn(`Browser tests skipped: no Chromium at ${chromiumPath} (install the Debian "chromium" package).`);

describe.skipIf(skip)('knowledge base in a browser', () => {
  let database: Database;
  let services: Services;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  let dataDir: string;
  /** Uncaught errors in the console: any is a failure (a crashed React tree shows a blank page). */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`CI=true but Chromium is missing at ${chromiumPath}`);
    execFileSync(process.execPath, [path.join(root, 'scripts/ensure-web-build.mjs')], { cwd: root, stdio: 'inherit' });
    database = await createTestDatabase('pglite');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-kb-'));
    services = createServices(database.db, { dataDir });
    app = await buildApp({ database, services, webDir: path.join(root, 'web/dist'), secureCookies: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function signIn(email: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${base}/`);
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByRole('textbox', { name: 'Password' }).fill(testPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('home-page').waitFor();
    return page;
  }

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
