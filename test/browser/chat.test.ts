/**
 * Live chat in real browsers: a host site (another origin, served by a tiny HTTP server) carries the one-tag widget; a
 * visitor chats; an agent, signed in to the console in a second browser context, sees it arrive in the inbox, sees
 * the visitor typing, answers; the visitor sees the answer. Then the same with the visitor's widget talking to one
 * server instance and the agent's console to another, both on one PostgreSQL database.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Database } from '../../src/db/client.ts';
import { buildApp } from '../../src/http/app.ts';
import { createRealtimeBus } from '../../src/realtime/bus.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTestDatabase, testEngines } from '../db.ts';
import { makeWorkspace, testPassword } from '../factories.ts';

const root = path.resolve(import.meta.dirname, '../..');
const chromiumPath = '/usr/bin/chromium';
const hasChromium = fs.existsSync(chromiumPath);
const inCi = process.env.CI === 'true';
const skip = !hasChromium && !inCi;
if (skip)
  console.warn(`Browser tests skipped: no Chromium at ${chromiumPath} (install the Debian "chromium" package).`);
const hasPostgres = testEngines().includes('postgres');
if (!hasPostgres && !skip)
  console.warn('Two-instance chat browser test skipped: set TEST_DATABASE_URL to run it on PostgreSQL.');

type Instance = { database: Database; services: Services; app: FastifyInstance; base: string };

describe.skipIf(skip)('live chat in a browser', () => {
  let browser: Browser;
  let host: http.Server;
  let hostBase: string;
  /** What the host site's page carries: set per test. */
  let snippet = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-chat-browser-'));
  const instances: Instance[] = [];
  const pageErrors: string[] = [];

  async function instance(database: Database): Promise<Instance> {
    const services = createServices(database.db, { dataDir, realtime: createRealtimeBus(database) });
    const app = await buildApp({ database, services, webDir: path.join(root, 'web/dist'), secureCookies: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const i = { database, services, app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
    instances.push(i);
    return i;
  }

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`CI=true but Chromium is missing at ${chromiumPath}`);
    execFileSync(process.execPath, [path.join(root, 'scripts/ensure-web-build.mjs')], { cwd: root, stdio: 'inherit' });
    host = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html lang="en"><head><title>Mugs &amp; Co</title>` +
          `<style>div,button,textarea{color:red!important;font-size:40px!important}</style></head>` +
          `<body><h1>Mugs &amp; Co</h1><p>Hand-made mugs.</p>${snippet}</body></html>`,
      );
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostBase = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (host ? host.close(() => resolve()) : resolve()));
    for (const i of instances) {
      await i.app.close();
      await i.services.realtime.close();
    }
    for (const i of instances) await i.database.close().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function signIn(base: string, email: string): Promise<Page> {
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

  async function visitorPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(hostBase);
    return page;
  }

  /** The visitor writes; the agent sees it live, sees typing, answers; the visitor sees the answer. */
  async function conversation(visitor: Page, agent: Page, question: string, answer: string) {
    await agent.getByRole('link', { name: 'Inbox' }).click();
    await visitor.getByRole('button', { name: 'Open chat' }).click();
    const dialog = visitor.getByRole('dialog', { name: 'Chat with us' });
    // The agent's inbox socket announces them once the console's inbox has loaded; across two instances the visitor's
    // server hears of it through NOTIFY, or at worst its 10-second recheck: generous on a loaded machine.
    await expect.poll(() => dialog.getByText("We're online").count(), { timeout: 30_000 }).toBe(1);
    // The host page's CSS does not reach into the widget.
    const size = await dialog.getByRole('textbox', { name: 'Message' }).evaluate((e) => getComputedStyle(e).fontSize);
    expect(size).toBe('14px');
    await dialog.getByRole('textbox', { name: 'Message' }).fill(question);
    await dialog.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => dialog.getByText(question).count(), { timeout: 15_000 }).toBe(1);

    // No reload: the inbox hears of it through its socket.
    const row = agent.locator('[data-ticket-row]').filter({ hasText: question.slice(0, 30) });
    await row.click();
    // Exactly one customer message with the question (the ticket's subject repeats it in the row and the header).
    const asked = agent.locator('[data-message-direction="inbound"]').filter({ hasText: question });
    await expect.poll(() => asked.count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => row.getByText('Live chat').count(), { timeout: 15_000 }).toBe(1);

    await dialog.getByRole('textbox', { name: 'Message' }).pressSequentially('and one more', { delay: 20 });
    await expect.poll(() => agent.getByText('Visitor is typing…').count(), { timeout: 15_000 }).toBe(1);

    await agent.keyboard.press('Escape');
    await agent.locator('body').click({ position: { x: 5, y: 400 } });
    await agent.keyboard.press('r');
    await agent.getByRole('textbox', { name: 'Reply' }).pressSequentially(answer.slice(0, 5), { delay: 20 });
    await expect.poll(() => dialog.getByText('Agent is typing…').count(), { timeout: 15_000 }).toBe(1);
    await agent.getByRole('textbox', { name: 'Reply' }).fill(answer);
    await agent.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => dialog.getByText(answer).count(), { timeout: 15_000 }).toBe(1);
  }

  it('a visitor chats from a host page; the agent answers from the inbox; the visitor sees it', async () => {
    const database = await createTestDatabase('pglite');
    const a = await instance(database);
    await makeWorkspace(a.services, { name: 'Mugs & Co', ownerEmail: 'chat-owner@example.com' });
    const agent = await signIn(a.base, 'chat-owner@example.com');

    // The owner adds live chat in Settings → Channels and copies the snippet.
    await agent.getByRole('link', { name: 'Channels' }).click();
    await agent.getByRole('button', { name: 'Add live chat' }).click();
    snippet = (await agent.getByTestId('chat-snippet').textContent()) ?? '';
    expect(snippet).toMatch(/^<script src="http:\/\/127\.0\.0\.1:\d+\/widget\.js" data-channel="[0-9a-f-]{36}" async>/);
    expect(await agent.getByTestId('chat-secret-example').textContent()).toContain("createHmac('sha256'");
    await agent.getByRole('button', { name: 'Done' }).click();

    const visitor = await visitorPage();
    await conversation(
      visitor,
      agent,
      'Do you make mugs with a left-handed print?',
      'We do — any design, left or right.',
    );
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it.skipIf(!hasPostgres)(
    'the same with the visitor on one instance and the agent on another (PostgreSQL)',
    { timeout: 120_000 },
    async () => {
      const shared = await createTestDatabase('postgres');
      const url = (shared.pool?.options as { connectionString?: string } | undefined)?.connectionString ?? '';
      const second = await createDb({ databaseUrl: url, poolSize: 3 });
      const a = await instance(shared);
      const b = await instance(second);
      const ws = await makeWorkspace(a.services, { name: 'Teapots Ltd', ownerEmail: 'chat-owner-pg@example.com' });
      const channel = await a.services.channels.create(ws.ownerActor, { kind: 'chat', name: 'Live chat' });
      snippet = `<script src="${a.base}/widget.js" data-channel="${channel.id}" async></script>`;
      const agent = await signIn(b.base, 'chat-owner-pg@example.com');
      const visitor = await visitorPage();
      await conversation(visitor, agent, 'Is the green teapot dishwasher safe?', 'Yes, the glaze is dishwasher safe.');
      expect(pageErrors).toEqual([]);
    },
  );
});
