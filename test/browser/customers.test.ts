/**
 * The customer data hub in a real browser against a real Rapport server (with its job runner): import a CSV in the
 * wizard and watch its progress and report, find someone with a typo, open their 360° page with the keyboard, move
 * them to another stage and see that on their timeline.
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
import { allJobs } from '../../src/jobs/definitions.ts';
import { JobRunner } from '../../src/jobs/queue.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTestDatabase } from '../db.ts';
import { makeWorkspace, testPassword, type TestWorkspace } from '../factories.ts';

const root = path.resolve(import.meta.dirname, '../..');
const chromiumPath = '/usr/bin/chromium';
const hasChromium = fs.existsSync(chromiumPath);
const inCi = process.env.CI === 'true';
const skip = !hasChromium && !inCi;
if (skip)
  console.warn(`Browser tests skipped: no Chromium at ${chromiumPath} (install the Debian "chromium" package).`);

const firstNames = ['Ana', 'Bruno', 'Carla', 'Diogo', 'Eva', 'Filipe', 'Gita', 'Hugo', 'Iris', 'João'];
const lastNames = ['Almeida', 'Barros', 'Costa', 'Dias', 'Esteves', 'Faria', 'Gomes', 'Henriques', 'Lopes', 'Moura'];

/** 120 good rows, one that must be rejected (no name, email or phone), and Ines Duarte whom the test looks for. */
function peopleCsv(): string {
  const lines = ['First name,Last name,E-mail,Phone,Tags'];
  for (let i = 0; i < 120; i++) {
    const f = firstNames[i % 10] ?? 'Ana';
    const l = lastNames[Math.floor(i / 10) % 10] ?? 'Almeida';
    lines.push(
      `${f},${l},${f
        .toLowerCase()
        .normalize('NFKD')
        .replace(/[^a-z]/g, '')}.${l.toLowerCase()}${i}@example.com,,csv`,
    );
  }
  lines.push(',,not-an-email,,');
  lines.push('Ines,Duarte,ines.duarte@lighthouse.example,+351 912 345 678,vip;csv');
  return `${lines.join('\n')}\n`;
}

describe.skipIf(skip)('customer data hub in a browser', () => {
  let database: Database;
  let services: Services;
  let jobs: JobRunner;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  let ws: TestWorkspace;

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`CI=true but Chromium is missing at ${chromiumPath}`);
    execFileSync(process.execPath, [path.join(root, 'scripts/ensure-web-build.mjs')], { cwd: root, stdio: 'inherit' });
    database = await createTestDatabase('pglite');
    services = createServices(database.db);
    jobs = new JobRunner(database.db, allJobs, { pollMs: 100 });
    app = await buildApp({ database, services, jobs, webDir: path.join(root, 'web/dist'), secureCookies: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    jobs.start();
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    ws = await makeWorkspace(services, { name: 'Lighthouse Coffee', ownerEmail: 'hub-owner@example.com' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await jobs?.stop();
    await database?.close();
  });

  async function signIn(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${base}/`);
    await page.getByRole('textbox', { name: 'Email' }).fill('hub-owner@example.com');
    await page.getByRole('textbox', { name: 'Password' }).fill(testPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('home-page').waitFor();
    return page;
  }

  it('imports a CSV in the wizard, finds a person with a typo, changes their stage and shows it on the timeline', async () => {
    const page = await signIn();

    // An empty workspace teaches the next step.
    await page.getByRole('link', { name: 'People' }).click();
    await page.waitForURL(`${base}/people`);
    await expect.poll(() => page.getByTestId('empty-state').textContent()).toContain('No people yet');
    await page.getByTestId('empty-state').getByRole('link', { name: 'Import a CSV' }).click();
    await page.waitForURL(`${base}/people/import`);

    // Upload: the mapping comes back suggested from the headers.
    await page.getByTestId('import-file').setInputFiles({
      name: 'lighthouse-customers.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(peopleCsv(), 'utf8'),
    });
    await page.getByTestId('import-mapping').waitFor();
    const emailRow = page.locator('[data-testid="mapping-row"][data-header="E-mail"]');
    await expect.poll(() => emailRow.locator('input[aria-label="Field for column E-mail"]').inputValue()).toBe('Email');
    expect(await emailRow.textContent()).toContain('suggested');

    // Dry run: row by row, nothing written yet.
    await page.getByRole('button', { name: 'Dry run: show what would happen' }).click();
    await page.getByTestId('dry-run-report').waitFor();
    await expect.poll(() => page.getByTestId('count-create').textContent()).toBe('121');
    expect(await page.getByTestId('count-reject').textContent()).toBe('1');
    expect(await services.people.count(ws.ownerActor, {})).toBe(0);
    await page.getByTestId('report-row').first().waitFor();
    await page.getByTestId('row-report').getByText('Rejected', { exact: true }).click();
    const rejected = page.locator('[data-testid="report-row"][data-action="reject"]');
    await expect.poll(() => rejected.count()).toBe(1);
    expect(await rejected.textContent()).toMatch(/not an email|name, an email or a phone/);

    // The run: the progress bar shows, then the final report.
    // A small file imports in well under a second, so record whether the progress bar was ever on the page.
    await page.evaluate(() => {
      const w = window as unknown as { sawProgress?: string };
      new MutationObserver(() => {
        const bar = document.querySelector('[data-testid="import-progress"]');
        if (bar && !w.sawProgress) w.sawProgress = bar.textContent ?? '';
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.getByRole('button', { name: 'Import 121 rows' }).click();
    await page.getByTestId('import-done').waitFor({ timeout: 30_000 });
    const sawProgress = await page.evaluate(() => (window as unknown as { sawProgress?: string }).sawProgress);
    expect(sawProgress).toMatch(/Importing.*of 122 rows/);
    expect(await page.getByTestId('count-create').textContent()).toBe('121');
    expect(await page.getByTestId('count-reject').textContent()).toBe('1');
    expect(await services.people.count(ws.ownerActor, {})).toBe(121);

    // Search tolerates the typo and the list follows the keyboard: j moves, Enter opens.
    await page.getByRole('link', { name: 'See the people' }).click();
    await page.waitForURL(`${base}/people`);
    await page.getByTestId('person-row').first().waitFor();
    await page.keyboard.press('/');
    await page.keyboard.type('Duatre');
    await page.waitForURL(/q=Duatre/);
    await expect.poll(() => page.getByTestId('person-row').first().textContent()).toContain('Ines Duarte');
    // The search saves as a view, with the columns the list shows.
    await page.getByTestId('save-view').click();
    await page.getByRole('textbox', { name: 'Name' }).fill('Duarte family');
    const saving = page.waitForResponse((r) => r.url().endsWith('/api/v1/views') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const savedView = await saving;
    expect(savedView.status(), await savedView.text()).toBe(201);
    expect((await services.views.list(ws.ownerActor, 'person')).map((v) => v.name)).toContain('Duarte family');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await page.keyboard.press('Escape');
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/people\/[0-9a-f-]{36}$/);

    // The 360° page, at a glance.
    await page.getByTestId('person-page').waitFor();
    expect(await page.getByTestId('person-name').textContent()).toBe('Ines Duarte');
    const header = page.getByTestId('person-header');
    await expect.poll(() => header.textContent()).toContain('ines.duarte@lighthouse.example');
    expect(await header.textContent()).toContain('+351912345678');
    expect(await page.getByTestId('stage-badge').first().textContent()).toContain('Lead');

    // Move them to Customer with a reason.
    await page.getByTestId('stage-button').click();
    await page.getByTestId('stage-select').click();
    await page.getByRole('option', { name: 'Customer' }).click();
    await page.getByRole('textbox', { name: 'Why?' }).fill('Signed the annual plan');
    await page.getByTestId('stage-form').getByRole('button', { name: 'Move to Customer' }).click();
    await expect.poll(() => page.getByTestId('stage-badge').first().textContent()).toContain('Customer');

    // The timeline says so, in words, with the reason; the stage history too.
    const stageItem = page.locator('[data-testid="timeline-item"][data-type="person.stage_changed"]');
    await expect.poll(() => stageItem.count()).toBe(1);
    expect(await stageItem.textContent()).toContain('moved them from Lead to Customer');
    expect(await stageItem.textContent()).toContain('Signed the annual plan');
    await expect.poll(() => page.getByTestId('stage-history-item').count()).toBe(1);
    const id = new URL(page.url()).pathname.split('/').pop() ?? '';
    const stored = await services.people.get(ws.ownerActor, id);
    expect(stored.person.stage).toBe('customer');

    // An address that holds no id (an old link to the export) is a person who is not here, not a blank console.
    await page.goto(`${base}/people/export`);
    await expect.poll(() => page.getByText('This person is not here').count()).toBe(1);
    expect(await page.getByRole('link', { name: 'People' }).count()).toBeGreaterThan(0);
    await page.context().close();
  }, 60_000);
});
