/**
 * The console in a real browser against a real Rapport server: first-run setup, API keys end to end (the key shown
 * once works from Node and stops working once revoked), and the command palette.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { buildApp } from '../../src/http/app.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTestDatabase } from '../db.ts';
import { makeWorkspace, testPassword } from '../factories.ts';

const root = path.resolve(import.meta.dirname, '../..');
const chromiumPath = '/usr/bin/chromium';
const hasChromium = fs.existsSync(chromiumPath);
const inCi = process.env.CI === 'true';
// Outside CI a machine without Chromium skips these tests; in CI a missing browser is a failure, not a skip.
const skip = !hasChromium && !inCi;
if (skip)
  console.warn(`Browser tests skipped: no Chromium at ${chromiumPath} (install the Debian "chromium" package).`);

describe.skipIf(skip)('console in a browser', () => {
  let database: Database;
  let services: Services;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`CI=true but Chromium is missing at ${chromiumPath}`);
    execFileSync(process.execPath, [path.join(root, 'scripts/ensure-web-build.mjs')], { cwd: root, stdio: 'inherit' });
    database = await createTestDatabase('pglite');
    services = createServices(database.db);
    app = await buildApp({ database, services, webDir: path.join(root, 'web/dist'), secureCookies: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return page;
  }

  async function signIn(email: string, password: string): Promise<Page> {
    const page = await newPage();
    await page.goto(`${base}/`);
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByRole('textbox', { name: 'Password' }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('home-page').waitFor();
    return page;
  }

  it('shows first-run setup on a fresh database and lands on Home once done', async () => {
    const page = await newPage();
    await page.goto(`${base}/`);
    await page.getByTestId('setup-form').waitFor();
    await page.getByRole('textbox', { name: 'Workspace name' }).fill('Lighthouse Coffee');
    await page.getByRole('textbox', { name: 'Your name' }).fill('Ines Duarte');
    await page.getByRole('textbox', { name: 'Email' }).fill('ines@lighthouse.example');
    await page.getByRole('textbox', { name: 'Password' }).fill('a long enough password');
    await page.getByRole('button', { name: 'Create workspace' }).click();

    await page.getByTestId('home-page').waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    await expect.poll(() => page.getByTestId('workspace-name').textContent()).toBe('Lighthouse Coffee');
    // The activity feed speaks in words, with names instead of ids.
    await expect.poll(() => page.getByTestId('activity-feed').textContent()).toContain('Ines Duarte signed in');
    await expect.poll(() => page.getByTestId('role-count-owner').textContent()).toBe('1');
    expect(await services.auth.setupNeeded()).toBe(false);
    await page.context().close();
  });

  it('creates an API key that works from outside, shows it once, and revokes it', async () => {
    const ws = await makeWorkspace(services, { name: 'Keys & Co', ownerEmail: 'keys-owner@example.com' });
    const page = await signIn('keys-owner@example.com', testPassword);

    await page.getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(`${base}/settings/api-keys`);
    await page.getByRole('button', { name: 'Create API key' }).first().click();
    const form = page.getByTestId('create-api-key-form');
    await form.getByRole('textbox', { name: 'Name' }).fill('Shop integration');
    await form.getByRole('checkbox', { name: /users:read/ }).check();
    await form.getByRole('checkbox', { name: /workspace:read/ }).check();
    await form.getByRole('button', { name: 'Create key' }).click();

    const shown = page.getByTestId('new-api-key');
    await shown.waitFor();
    const key = (await shown.textContent())?.trim() ?? '';
    expect(key).toMatch(/^rpk_/);
    await expect.poll(() => page.getByTestId('api-key-created').textContent()).toContain('only time');

    const auth = { authorization: `Bearer ${key}` };
    const me = await fetch(`${base}/api/v1/me`, { headers: auth });
    expect(me.status).toBe(200);
    const meBody = (await me.json()) as { workspace: { id: string; name: string }; via: string; permissions: string[] };
    expect(meBody.workspace.id).toBe(ws.workspace.id);
    expect(meBody.workspace.name).toBe('Keys & Co');
    expect(meBody.via).toBe('apikey');
    expect([...meBody.permissions].sort()).toEqual(['users:read', 'workspace:read']);
    const users = await fetch(`${base}/api/v1/users`, { headers: auth });
    expect(users.status).toBe(200);
    const usersBody = (await users.json()) as { data: Array<{ email: string }> };
    expect(usersBody.data.map((u) => u.email)).toEqual(['keys-owner@example.com']);

    // Closing the dialog forgets the key: it is not on the page any more.
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await expect.poll(() => page.getByTestId('new-api-key').count()).toBe(0);
    expect(await page.content()).not.toContain(key);

    const row = page.locator('[data-testid="api-key-row"][data-key-name="Shop integration"]');
    await row.waitFor();
    await row.getByRole('button', { name: 'Revoke Shop integration' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await row.waitFor({ state: 'detached' });

    await expect.poll(async () => (await fetch(`${base}/api/v1/me`, { headers: auth })).status).toBe(401);
    expect((await fetch(`${base}/api/v1/users`, { headers: auth })).status).toBe(401);
    await page.context().close();
  });

  it('opens the command palette with Ctrl+K and goes to the page typed', async () => {
    await makeWorkspace(services, { name: 'Palette Inc', ownerEmail: 'palette@example.com' });
    const page = await signIn('palette@example.com', testPassword);

    await page.keyboard.press('Control+k');
    const search = page.getByRole('textbox', { name: 'Command palette search' });
    await search.waitFor();
    await search.fill('Activity log');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/settings/activity`);
    await page.getByTestId('activity-table').waitFor();

    // The palette opens again once the last one has finished closing (as for "?" below).
    await page.waitForFunction(() => !document.querySelector('[role="dialog"]'));
    await page.keyboard.press('Control+k');
    await search.fill('users');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/settings/users`);
    await page.getByTestId('users-table').waitFor();

    // "?" lists the shortcuts. Shortcuts are ignored while a dialog is open: wait until the palette has finished closing.
    await page.waitForFunction(() => !document.querySelector('[role="dialog"]'));
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('?');
    await page.getByTestId('shortcuts-list').waitFor();
    await page.context().close();
  });
});
