/**
 * What a browser audit of the customer data hub as a sales/marketing admin asked for, in a real browser against a
 * real server: on a phone (390×844) the navigation is a drawer behind a burger instead of a fixed column that left
 * the page 160 pixels, and a person's and a company's header wrap instead of breaking the name a letter per line; any
 * of a person's e-mails or phones can be made the primary (the list input could not be reordered).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/services.ts';
import { makeWorkspace } from '../factories.ts';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';

/** How far the page reaches past the viewport's right edge (0: nothing is cut off). */
/** Whether the main navigation is on screen (collapsed, Mantine slides it out to the left). */
const navOnScreen = (page: Page) =>
  page.evaluate(() => {
    const r = document.querySelector('nav[aria-label="Main"]')?.getBoundingClientRect();
    return Boolean(r && r.width > 0 && r.right > 0);
  });

const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe.skipIf(browserSkip)('customer data hub audit in a browser', () => {
  let h: BrowserApp;
  let services: Services;

  beforeAll(async () => {
    h = await startBrowserApp();
    services = h.services;
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  it('fits a phone: the navigation opens from a burger and closes on navigating; the headers wrap', async () => {
    const ws = await makeWorkspace(services, { name: 'Pocket Co', ownerEmail: 'pocket-owner@example.com' });
    const company = await services.companies.create(ws.ownerActor, { name: 'Maximilian Hardware Wholesale' });
    const { person } = await services.people.create(ws.ownerActor, {
      firstName: 'Maximiliana',
      lastName: 'Vasconcelos-Albuquerque',
      emails: ['maximiliana@pocket.example'],
      companies: [{ companyId: company.id }],
    });
    const page = await h.signIn('pocket-owner@example.com', { width: 390, height: 844 });

    // The navigation is hidden until the burger opens it; a link in it navigates and closes it again.
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await navOnScreen(page)).toBe(false);
    const burger = page.getByRole('button', { name: 'Open navigation' });
    await burger.click();
    await expect.poll(() => navOnScreen(page)).toBe(true);
    await nav.getByRole('link', { name: 'People', exact: true }).click();
    await page.getByTestId('people-page').waitFor();
    await expect.poll(() => navOnScreen(page)).toBe(false);
    await expect(page.getByRole('button', { name: 'Open navigation' }).getAttribute('aria-expanded')).resolves.toBe(
      'false',
    );
    // The list page's own width, not 390 minus a 232-pixel column.
    const mainWidth = await page.locator('main').evaluate((m) => m.getBoundingClientRect().width);
    expect(mainWidth).toBeGreaterThanOrEqual(380);
    await expect(page.getByRole('button', { name: 'Filter' }).isVisible()).resolves.toBe(true);
    const filter = await page.getByRole('button', { name: 'Filter' }).boundingBox();
    expect((filter?.x ?? 0) + (filter?.width ?? 0)).toBeLessThanOrEqual(390);

    // A person's header: the name keeps its words on a line (it was one letter per line beside the owner box).
    await page.goto(`${h.base}/people/${person.id}`);
    const name = page.getByTestId('person-name');
    await name.waitFor();
    const box = await name.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(150);
    expect(await overflow(page)).toBeLessThanOrEqual(0);

    await page.goto(`${h.base}/companies/${company.id}`);
    const cname = page.getByTestId('company-name');
    await cname.waitFor();
    expect((await cname.boundingBox())?.width ?? 0).toBeGreaterThan(150);
    expect(await overflow(page)).toBeLessThanOrEqual(0);

    // On a laptop the column is always there and there is no burger.
    const wide = await h.signIn('pocket-owner@example.com', { width: 1280, height: 800 });
    expect(await navOnScreen(wide)).toBe(true);
    await expect(wide.getByRole('button', { name: 'Open navigation' }).isVisible()).resolves.toBe(false);
    expect(h.pageErrors).toEqual([]);
  });

  it("makes another of a person's e-mails the primary from the profile", async () => {
    const ws = await makeWorkspace(services, { name: 'Primary Co', ownerEmail: 'primary-owner@example.com' });
    const { person } = await services.people.create(ws.ownerActor, {
      firstName: 'Rosa',
      emails: ['rosa@old.example', 'rosa@new.example'],
      phones: ['+351912000111', '+351912000222'],
    });
    const page = await h.signIn('primary-owner@example.com', { width: 1280, height: 800 });
    await page.goto(`${h.base}/people/${person.id}`);
    const profile = page.getByTestId('profile-section');
    await profile.getByRole('button', { name: 'Edit Emails' }).click();
    // The editor's buttons stay inside the card at 1280 wide (Cancel was cut off by a long address).
    const card = await profile.boundingBox();
    const cancel = await profile.getByRole('button', { name: 'Cancel' }).boundingBox();
    expect((cancel?.x ?? 0) + (cancel?.width ?? 0)).toBeLessThanOrEqual((card?.x ?? 0) + (card?.width ?? 0));
    await profile.getByLabel('Primary').click();
    await page.getByRole('option', { name: 'rosa@new.example' }).click();
    await profile.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(async () => (await services.people.get(ws.ownerActor, person.id)).person.emails)
      .toEqual(['rosa@new.example', 'rosa@old.example']);
    await expect(profile.getByText('rosa@new.example').isVisible()).resolves.toBe(true);
    expect(h.pageErrors).toEqual([]);
  });
});
