/**
 * What the browser tests share: the Chromium rule (outside CI a machine without it skips with a printed reason; with
 * CI=true its absence fails), a real Rapport server on the built console and an embedded database, one browser, and
 * signing in. Uncaught page errors are collected: a crashed React tree shows a blank page, so tests assert there are
 * none.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Database } from '../../src/db/client.ts';
import { buildApp } from '../../src/http/app.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTestDatabase } from '../db.ts';
import { testPassword } from '../factories.ts';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const chromiumPath = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(chromiumPath);
export const browserSkip = !hasChromium && process.env.CI !== 'true';
if (browserSkip)
  console.warn(`Browser tests skipped: no Chromium at ${chromiumPath} (install the Debian "chromium" package).`);

/** Debian's chromium, headless, with the flags this machine's closed network needs. */
export async function launchChromium(): Promise<Browser> {
  if (!hasChromium) throw new Error(`CI=true but Chromium is missing at ${chromiumPath}`);
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Builds web/dist when it is missing or stale (as `npm start` does). */
export function ensureConsoleBuilt(): void {
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts/ensure-web-build.mjs')], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}

export type BrowserApp = {
  database: Database;
  services: Services;
  app: FastifyInstance;
  base: string;
  dataDir: string;
  browser: Browser;
  pageErrors: string[];
  /** A new browser context signed in as this user, on the home page. */
  signIn(email: string, opts?: { password?: string; width?: number; height?: number }): Promise<Page>;
  close(): Promise<void>;
};

/** A Rapport server on 127.0.0.1 (PGlite, its own data directory) and a browser. */
export async function startBrowserApp(): Promise<BrowserApp> {
  if (!hasChromium) throw new Error(`CI=true but Chromium is missing at ${chromiumPath}`);
  ensureConsoleBuilt();
  const database = await createTestDatabase('pglite');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-browser-'));
  const services = createServices(database.db, { dataDir });
  const app = await buildApp({ database, services, webDir: path.join(repoRoot, 'web/dist'), secureCookies: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  const pageErrors: string[] = [];
  return {
    database,
    services,
    app,
    base,
    dataDir,
    browser,
    pageErrors,
    async signIn(email, opts = {}) {
      const context = await browser.newContext({ viewport: { width: opts.width ?? 1400, height: opts.height ?? 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${base}/`);
      await page.getByRole('textbox', { name: 'Email' }).fill(email);
      await page.getByRole('textbox', { name: 'Password' }).fill(opts.password ?? testPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('home-page').waitFor();
      return page;
    },
    async close() {
      await browser.close();
      await app.close();
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
