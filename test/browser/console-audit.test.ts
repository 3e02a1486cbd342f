/**
 * What a browser audit of the console asked for, in a real browser against a real server: the shortcuts dialog lists
 * the inbox's keys (and the keys do what it says), a page one's role may not see says so instead of silently sending
 * one home, People filter by company, the trend CSV names its currency, and the inbox fits a 1366×768 laptop screen.
 *
 * Set RAPPORT_SCREENSHOTS=<dir> to keep screenshots of the inbox at 1366×768 and 1920×1080.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processMetricEvents } from '../../src/modules/metrics/metrics.rollup.ts';
import { SafeSeqTracker } from '../../src/modules/webhooks/webhooks.delivery.ts';
import type { Services } from '../../src/services.ts';
import { permissionInfo } from '../../web/src/lib/permissions.ts';
import { makeUser, makeWorkspace } from '../factories.ts';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';

const screenshots = process.env.RAPPORT_SCREENSHOTS;

async function shot(page: Page, name: string): Promise<void> {
  if (!screenshots) return;
  fs.mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, `${name}.png`) });
}

describe.skipIf(browserSkip)('console audit in a browser', () => {
  let h: BrowserApp;
  let services: Services;

  beforeAll(async () => {
    h = await startBrowserApp();
    services = h.services;
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  /** Waits until no dialog is open (shortcuts are ignored while one is, and it closes with an animation). */
  const noDialog = (page: Page) => page.waitForFunction(() => !document.querySelector('[role="dialog"]'));

  it('lists the inbox keys in the shortcuts dialog, and they do what it says', async () => {
    const ws = await makeWorkspace(services, { name: 'Keys Co', ownerEmail: 'keys-owner@example.com' });
    const made = [];
    for (const subject of ['Kettle whistles', 'Lid is loose', 'Spout drips'])
      made.push(
        await services.tickets.create(ws.ownerActor, {
          subject,
          requester: { email: `${subject.split(' ')[0]?.toLowerCase()}@example.org` },
          text: `About: ${subject}`,
        }),
      );
    const byNumber = new Map(made.map((t) => [String(t.number), t.id]));
    const page = await h.signIn('keys-owner@example.com');
    await page.goto(`${h.base}/inbox`);
    await page.locator('[data-ticket-row]').first().waitFor();

    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    const inbox = dialog.getByTestId('shortcuts-inbox');
    expect(await inbox.getByRole('heading').textContent()).toBe('Inbox');
    // Every key the inbox handles, each with what it does.
    const rows = await inbox
      .locator('[data-shortcut]')
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-shortcut'), tr.textContent ?? '']));
    const said = new Map(rows as Array<[string, string]>);
    expect([...said.keys()]).toEqual(['j', 'k', 'r', 'Ctrl Enter', 'a', 'e', 'x']);
    expect(said.get('j')).toContain('Open the next ticket in the list');
    expect(said.get('k')).toContain('Open the previous ticket in the list');
    expect(said.get('r')).toContain('Write a reply');
    expect(said.get('Ctrl Enter')).toContain('Send the reply');
    expect(said.get('a')).toContain('Assign the open ticket to me');
    expect(said.get('e')).toContain('Solve the open ticket');
    expect(said.get('x')).toContain('Tick the open ticket');
    // The console-wide keys and the jumps are in their own groups.
    expect(await dialog.getByTestId('shortcuts-global').textContent()).toContain('Open the command palette');
    expect(await dialog.getByTestId('shortcuts-go').textContent()).toContain('Inbox');
    expect(await dialog.getByTestId('shortcuts-lists').textContent()).toContain('Select the row');
    await page.keyboard.press('Escape');
    await noDialog(page);

    // j opens the first ticket of the list, then the next one; k goes back.
    const numbers = await page
      .locator('[data-ticket-row]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-ticket-row') ?? ''));
    expect(numbers).toHaveLength(3);
    const opened = async (n: string | undefined) => {
      await page.waitForURL(`${h.base}/inbox/${byNumber.get(n ?? '')}`);
      await page.locator(`[data-ticket-row="${n}"][aria-current="true"]`).waitFor();
    };
    await page.keyboard.press('j');
    await opened(numbers[0]);
    await page.keyboard.press('j');
    await opened(numbers[1]);
    await page.keyboard.press('k');
    await opened(numbers[0]);
    const openId = byNumber.get(numbers[0] ?? '') ?? '';
    await page.getByRole('textbox', { name: 'Reply' }).waitFor();

    // "g a" is the jump to the activity log: it must not also take the open ticket ("a" alone does).
    await page.keyboard.press('g');
    await page.keyboard.press('a');
    await page.waitForURL(`${h.base}/settings/activity`);
    expect((await services.tickets.get(ws.ownerActor, openId)).ticket.assigneeId).toBeNull();
    await page.goBack();
    await page.getByRole('textbox', { name: 'Reply' }).waitFor();
    await page.keyboard.press('a');
    await expect
      .poll(async () => (await services.tickets.get(ws.ownerActor, openId)).ticket.assigneeId)
      .toBe(ws.owner.id);

    // r puts the cursor in the reply box.
    await page.keyboard.press('r');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Reply');
    expect(h.pageErrors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('tells someone without the permission that they may not see the page they were sent to', async () => {
    const ws = await makeWorkspace(services, { name: 'Guard Co', ownerEmail: 'guard-owner@example.com' });
    await makeUser(services, ws, { role: 'agent', email: 'guard-agent@example.com', name: 'Gus Agent' });
    const page = await h.signIn('guard-agent@example.com');
    // Agents may not read analytics: the navigation does not offer it…
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Analytics' }).count()).toBe(
      0,
    );
    // …and a link to it (a colleague's, a bookmark) says why, where it was opened.
    await page.goto(`${h.base}/analytics`);
    const notice = page.getByTestId('no-access');
    await notice.waitFor();
    expect(await notice.getByRole('heading').textContent()).toBe("You don't have permission to view Analytics");
    expect(await notice.textContent()).toContain(`“${permissionInfo['analytics:read'].label}” permission`);
    expect(await notice.textContent()).toContain('your role, Agent, does not have');
    expect(new URL(page.url()).pathname).toBe('/analytics');
    expect(await page.getByTestId('analytics-page').count()).toBe(0);
    expect(await page.getByTestId('home-page').count()).toBe(0);

    // A settings page too, and "Go home" goes home.
    await page.goto(`${h.base}/settings/webhooks`);
    await notice.waitFor();
    expect(await notice.getByRole('heading').textContent()).toBe("You don't have permission to view Webhooks");
    expect(await notice.textContent()).toContain(`“${permissionInfo['workspace:manage'].label}” permission`);
    await notice.getByRole('link', { name: 'Go home' }).click();
    await page.getByTestId('home-page').waitFor();

    // What the agent may see shows as before.
    await page.goto(`${h.base}/people`);
    await page.getByTestId('people-page').waitFor();
    expect(await page.getByTestId('no-access').count()).toBe(0);
    expect(h.pageErrors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('filters People by a company: exactly its people, named in the chip and kept in the address', async () => {
    const ws = await makeWorkspace(services, { name: 'Firms Co', ownerEmail: 'firms-owner@example.com' });
    const actor = ws.ownerActor;
    const acme = await services.companies.create(actor, { name: 'Acme Roasters', domain: 'acme.example' });
    const globex = await services.companies.create(actor, { name: 'Globex Beans', domain: 'globex.example' });
    const person = async (firstName: string, lastName: string) =>
      (await services.people.create(actor, { firstName, lastName })).person;
    const ada = await person('Ada', 'Acme');
    const bea = await person('Bea', 'Both');
    const cy = await person('Cy', 'Globex');
    await person('Dee', 'Nobody');
    await services.people.linkCompany(actor, ada.id, acme.id, 'Buyer', true);
    // Bea works for both; Acme is not her primary company, and she still counts as Acme's.
    await services.people.linkCompany(actor, bea.id, globex.id, null, true);
    await services.people.linkCompany(actor, bea.id, acme.id, 'Adviser', false);
    await services.people.linkCompany(actor, cy.id, globex.id, null, true);
    // Another workspace's company of the same name and its person stay out.
    const other = await makeWorkspace(services, { name: 'Elsewhere' });
    const otherAcme = await services.companies.create(other.ownerActor, { name: 'Acme Roasters' });
    const stranger = (await services.people.create(other.ownerActor, { firstName: 'Sam', lastName: 'Stranger' }))
      .person;
    await services.people.linkCompany(other.ownerActor, stranger.id, otherAcme.id, null, true);

    const page = await h.signIn('firms-owner@example.com');
    await page.goto(`${h.base}/people`);
    await expect.poll(() => page.getByTestId('person-row').count()).toBe(4);

    await page.getByTestId('add-filter').click();
    await page.getByTestId('filter-field').click();
    await page.getByRole('option', { name: 'Company', exact: true }).click();
    await page.getByTestId('filter-value').fill('acme');
    await page.getByRole('option', { name: 'Acme Roasters (acme.example)' }).click();
    await page.getByTestId('apply-filter').click();

    await expect.poll(() => decodeURIComponent(page.url())).toContain(`filter=company_id:eq:${acme.id}`);
    await expect.poll(() => page.getByTestId('filter-chip').textContent()).toBe('Company is Acme Roasters');
    const names = () =>
      page
        .getByTestId('person-row')
        .locator('a')
        .evaluateAll((as) => as.map((a) => a.textContent ?? '').sort());
    await expect.poll(names).toEqual(['Ada Acme', 'Bea Both']);
    expect(await page.getByTestId('people-page').textContent()).toContain('2 people match');

    // "is not": everyone else of this workspace.
    await page.goto(`${h.base}/people?filter=${encodeURIComponent(`company_id:ne:${acme.id}`)}`);
    await expect.poll(() => page.getByTestId('filter-chip').textContent()).toBe('Company is not Acme Roasters');
    await expect.poll(names).toEqual(['Cy Globex', 'Dee Nobody']);

    // The company's page opens its people in the list, filtered the same way.
    await page.goto(`${h.base}/companies/${globex.id}`);
    await page.getByTestId('company-people-list').click();
    await expect.poll(() => page.getByTestId('filter-chip').textContent()).toBe('Company is Globex Beans');
    await expect.poll(names).toEqual(['Bea Both', 'Cy Globex']);
    expect(h.pageErrors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('names the currency in the monthly trend CSV', async () => {
    const ws = await makeWorkspace(services, { name: 'Trend Co', ownerEmail: 'trend-owner@example.com' });
    const actor = ws.ownerActor;
    const day = 24 * 3600 * 1000;
    const ago = (n: number) => new Date(Date.now() - n * day).toISOString();
    const { person: ana } = await services.people.create(actor, { firstName: 'Ana', lastName: 'Orders' });
    const { person: ben } = await services.people.create(actor, { firstName: 'Ben', lastName: 'Orders' });
    await services.orders.create(actor, { personId: ana.id, currency: 'USD', placedAt: ago(40), subtotal: '19.99' });
    await services.orders.create(actor, { personId: ana.id, currency: 'USD', placedAt: ago(5), subtotal: '5.51' });
    await services.orders.create(actor, { personId: ben.id, currency: 'USD', placedAt: ago(3), subtotal: '100.00' });
    await processMetricEvents(h.database.db, new SafeSeqTracker());

    const page = await h.signIn('trend-owner@example.com');
    await page.goto(`${h.base}/analytics`);
    await page.getByTestId('analytics-page').waitFor();
    const button = page.getByRole('button', { name: 'Download Monthly trend as CSV' });
    await expect.poll(() => button.isEnabled()).toBe(true);
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toBe('monthly-trend-USD.csv');
    const file = path.join(h.dataDir, 'trend.csv');
    await download.saveAs(file);
    const lines = fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
    expect(lines[0]).toBe('month,currency,revenue (USD),active customers,repeat purchase rate');
    const body = lines.slice(1).map((l) => l.split(','));
    expect(body.length).toBeGreaterThanOrEqual(2);
    // Every month names its currency, and the amounts are in dollars with cents, adding up to the orders.
    expect(new Set(body.map((r) => r[1]))).toEqual(new Set(['USD']));
    for (const r of body) expect(r[2]).toMatch(/^\d+\.\d{2}$/);
    const cents = body.reduce((sum, r) => sum + Math.round(Number(r[2]) * 100), 0);
    expect(cents).toBe(1999 + 551 + 10000);
    expect(body.some((r) => r[2] === '19.99' || r[2] === '125.50' || r[2] === '105.51')).toBe(true);
    expect(h.pageErrors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('fits the three-pane inbox on a 1366×768 screen without scrolling sideways, and uses a wide one', async () => {
    const ws = await makeWorkspace(services, { name: 'Laptop Co', ownerEmail: 'laptop-owner@example.com' });
    const t = await services.tickets.create(ws.ownerActor, {
      subject: 'My order arrived with a cracked saucer and the replacement is the wrong colour entirely',
      requester: { email: 'lina.longname@example.org', name: 'Lina Longname-Okonkwo' },
      text: 'Hello! The saucer was cracked. '.repeat(30),
    });
    for (let i = 0; i < 6; i++)
      await services.tickets.reply(ws.ownerActor, t.id, { text: `We are on it (${i}).`, internal: i % 2 === 0 });

    const page = await h.signIn('laptop-owner@example.com', { width: 1366, height: 768 });
    await page.goto(`${h.base}/inbox/${t.id}`);
    await page.getByRole('textbox', { name: 'Reply' }).waitFor();
    await page.getByRole('link', { name: 'Lina Longname-Okonkwo' }).waitFor();
    await shot(page, 'inbox-1366x768');
    const measure = () =>
      page.evaluate(() => {
        const box = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.getBoundingClientRect() ?? null;
        const reply = document.querySelector('textarea[aria-label="Reply"]')?.getBoundingClientRect();
        return {
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
          innerHeight: window.innerHeight,
          conversation: box('conversation-pane')?.width ?? 0,
          details: box('ticket-details')?.width ?? 0,
          detailsRight: box('ticket-details')?.right ?? 0,
          list: box('ticket-list-pane')?.width ?? 0,
          replyBottom: reply?.bottom ?? Infinity,
          layout: document.querySelector('[data-testid="inbox-page"]')?.getAttribute('data-layout'),
        };
      });
    const small = await measure();
    expect(small.scrollWidth).toBeLessThanOrEqual(small.innerWidth);
    // The conversation keeps a comfortable width beside the customer's details, both in view.
    expect(small.conversation).toBeGreaterThanOrEqual(480);
    expect(small.details).toBeGreaterThan(200);
    expect(small.detailsRight).toBeLessThanOrEqual(small.innerWidth);
    expect(small.layout).toBe('compact');
    // The reply box is on screen without scrolling the page, below a long conversation.
    expect(small.replyBottom).toBeLessThanOrEqual(small.innerHeight);
    // The queues are a rail of icons there, each still named and usable.
    await page.getByRole('navigation', { name: 'Queues' }).getByRole('button', { name: 'All tickets' }).click();
    await expect.poll(() => page.getByTestId('current-queue').textContent()).toBe('All tickets');

    // The details pane folds away for more room, and stays folded.
    await page.getByRole('button', { name: 'Hide ticket details' }).click();
    await expect.poll(() => page.getByTestId('ticket-details').count()).toBe(0);
    const folded = await measure();
    expect(folded.conversation).toBeGreaterThan(small.conversation + 200);
    expect(folded.scrollWidth).toBeLessThanOrEqual(folded.innerWidth);
    await page.reload();
    await page.getByRole('textbox', { name: 'Reply' }).waitFor();
    expect(await page.getByTestId('ticket-details').count()).toBe(0);
    await page.getByRole('button', { name: 'Show ticket details' }).click();
    await page.getByTestId('ticket-details').waitFor();
    await page.context().close();

    // On a 1920×1080 screen: the queues listed with their names, everything side by side and roomy.
    const wide = await h.signIn('laptop-owner@example.com', { width: 1920, height: 1080 });
    await wide.goto(`${h.base}/inbox/${t.id}`);
    await wide.getByRole('textbox', { name: 'Reply' }).waitFor();
    await wide.getByRole('link', { name: 'Lina Longname-Okonkwo' }).waitFor();
    await shot(wide, 'inbox-1920x1080');
    const big = await wide.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      conversation: document.querySelector('[data-testid="conversation-pane"]')?.getBoundingClientRect().width ?? 0,
      layout: document.querySelector('[data-testid="inbox-page"]')?.getAttribute('data-layout'),
    }));
    expect(big.scrollWidth).toBeLessThanOrEqual(big.innerWidth);
    expect(big.layout).toBe('wide');
    expect(big.conversation).toBeGreaterThanOrEqual(800);
    expect(await wide.getByRole('navigation', { name: 'Queues' }).textContent()).toContain('Assigned to me');
    expect(h.pageErrors).toEqual([]);
    await wide.context().close();
  }, 120_000);
});
