/**
 * Macros and SOP checklists in a real browser: the owner writes a macro in Settings → Macros (the sample preview fills
 * its placeholders as they type) and a checklist for complaints in Settings → SOP checklists; in the inbox, the macro
 * picker previews the macro on a customer's ticket and applies it — the reply appears with the customer's name and the
 * status changes — and the checklist in the side panel is ticked.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
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
const skip = !hasChromium && !inCi;
if (skip)
  console.warn(`Browser tests skipped: no Chromium at ${chromiumPath} (install the Debian "chromium" package).`);

describe.skipIf(skip)('macros and checklists in a browser', () => {
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
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-macros-'));
    services = createServices(database.db, { dataDir });
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

  it('creates a macro in settings, applies it to a ticket in the inbox, and ticks the checklist', async () => {
    const ws = await makeWorkspace(services, { name: 'Mugs & Co', ownerEmail: 'macro-owner@example.com' });
    const page = await signIn('macro-owner@example.com');

    // Settings → Macros: a reply that also sets the ticket pending.
    await page.getByRole('link', { name: 'Macros' }).click();
    await page.getByRole('button', { name: 'New macro' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Need a photo');
    await dialog
      .getByRole('textbox', { name: 'Reply to the customer' })
      .fill('Hi {{customer.first_name|there}}, could you send a photo of the mug? #{{ticket.number}}');
    await expect
      .poll(() => dialog.getByTestId('macro-sample-preview').textContent())
      .toBe('Hi Amara, could you send a photo of the mug? #1042');
    // A typo is caught before saving.
    await dialog.getByRole('textbox', { name: 'Reply to the customer' }).fill('Hi {{customer.frist_name}}');
    await expect.poll(() => dialog.getByText(/did you mean customer\.first_name/).count()).toBe(1);
    expect(await dialog.getByRole('button', { name: 'Save macro' }).isDisabled()).toBe(true);
    await dialog
      .getByRole('textbox', { name: 'Reply to the customer' })
      .fill('Hi {{customer.first_name|there}}, could you send a photo of the mug?');
    await dialog.getByRole('combobox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'Pending' }).click();
    await dialog.getByRole('button', { name: 'Save macro' }).click();
    await expect.poll(() => page.locator('[data-macro="Need a photo"]').count()).toBe(1);
    expect(await page.locator('[data-macro="Need a photo"]').textContent()).toContain('status Pending');

    // Settings → SOP checklists: one required step for complaints.
    await page.getByRole('link', { name: 'SOP checklists' }).click();
    const complaints = page.locator('[data-sop-type="complaint"]');
    await complaints.getByRole('button', { name: 'Add step' }).click();
    await complaints.getByRole('textbox', { name: 'Step 1 of Complaint' }).fill('Ask for a photo of the damage');
    await complaints.getByRole('checkbox', { name: 'required' }).check();
    await complaints.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await services.sops.list(ws.ownerActor)).length).toBe(1);

    // A customer's complaint arrives (through the API).
    const ticket = await services.tickets.create(ws.ownerActor, {
      subject: 'My mug arrived broken',
      requester: { email: 'amara@example.com', name: 'Amara Okafor' },
      text: 'The mug was in pieces when it arrived.',
      type: 'complaint',
    });

    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.locator('[data-ticket-row]').filter({ hasText: 'My mug arrived broken' }).click();
    await expect.poll(() => page.getByText('The mug was in pieces').count()).toBe(1);
    const step = page.getByRole('checkbox', { name: /Ask for a photo of the damage/ });
    await step.waitFor();

    // The macro picker: search, preview on this ticket (the customer's name filled in), apply.
    await page.getByRole('button', { name: 'Macros' }).click();
    const picker = page.getByRole('dialog', { name: 'Apply a macro' });
    await picker.getByRole('textbox', { name: 'Search macros' }).fill('photo');
    await expect
      .poll(() => picker.getByTestId('macro-preview').textContent())
      .toBe('Hi Amara, could you send a photo of the mug?');
    expect(await picker.textContent()).toContain('Status: New → Pending');
    await picker.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('[data-message-direction="outbound"]').count()).toBe(1);
    expect(await page.locator('[data-message-direction="outbound"]').textContent()).toContain(
      'Hi Amara, could you send a photo of the mug?',
    );
    await expect.poll(() => page.getByRole('combobox', { name: 'Status' }).inputValue()).toBe('Pending');
    const after = await services.tickets.get(ws.ownerActor, ticket.id);
    expect(after.ticket.status).toBe('pending');
    expect((await services.macros.list(ws.ownerActor))[0]?.usageCount).toBe(1);

    // The checklist step is ticked in the side panel and stays ticked.
    await step.check();
    await expect
      .poll(async () => (await services.sops.checklist(ws.ownerActor, ticket.id)).steps[0]?.doneAt ?? null)
      .not.toBeNull();
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
