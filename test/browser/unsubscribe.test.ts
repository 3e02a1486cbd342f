/**
 * One-click unsubscribe in a real browser: a reader who opens the link from a marketing e-mail is unsubscribed with
 * that one click (the landing page's form submits itself under the console's content security policy), while a
 * fetch of the same link that runs no script — what a mail scanner does — changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';
import { makeApiKey, makeWorkspace } from '../factories.ts';

describe.skipIf(browserSkip)('unsubscribe link in a browser', () => {
  let h: BrowserApp;

  beforeAll(async () => {
    h = await startBrowserApp();
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  it('unsubscribes the reader in one click; a scanner fetching the link does not', async () => {
    const { services, base, browser } = h;
    const ws = await makeWorkspace(services, { name: 'Mugs & Co' });
    const { person } = await services.people.create(ws.ownerActor, { firstName: 'Rita', emails: ['rita@x.example'] });
    await services.people.setConsent(ws.ownerActor, person.id, {
      channel: 'email',
      purpose: 'marketing',
      status: 'granted',
      source: 'form',
    });
    const token = await makeApiKey(services, ws);
    const link = await fetch(`${base}/api/v1/people/${person.id}/unsubscribe-link`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(link.status).toBe(200);
    const path = new URL(((await link.json()) as { url: string }).url).pathname;

    // A scanner: fetches the link (and follows nothing), runs no script.
    const scanned = await fetch(`${base}${path}`, { headers: { 'user-agent': 'SafeLinks/1' } });
    expect(scanned.status).toBe(200);
    expect(await services.people.mayContact(ws.workspace.id, person.id, 'email', 'marketing')).toBe(true);

    // The reader: one click on the link.
    const context = await browser.newContext();
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') cspViolations.push(m.text());
    });
    await page.goto(`${base}${path}`);
    await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor({ timeout: 15_000 });
    expect(await page.textContent('body')).toContain('Mugs & Co');
    expect(cspViolations).toEqual([]);
    expect(await services.people.mayContact(ws.workspace.id, person.id, 'email', 'marketing')).toBe(false);

    // Clicked by mistake: one more click subscribes again.
    await page.getByRole('button', { name: 'Subscribe again' }).click();
    await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
    expect(await services.people.mayContact(ws.workspace.id, person.id, 'email', 'marketing')).toBe(true);
    await context.close();
  }, 60_000);
});
