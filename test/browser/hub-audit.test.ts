/**
 * What a browser audit of the customer data hub as a marketing/sales operations user asked for, in a real browser
 * against a real server, at a laptop's 1280×800: the people list's Tags column keeps to its width (three long tags
 * pushed the table past the screen, cutting the tags and hiding the Added column behind a scroll); an address edit
 * sends only the part edited (the API merges it), so a change made meanwhile elsewhere stays, and a company's whole
 * address (street, line 2, postal code, region) can be seen and edited, not only its city and country.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/services.ts';
import { makeWorkspace } from '../factories.ts';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';

/** How far a list's table reaches past its card (0: nothing is cut off or scrolled away). */
const tableOverflow = (page: Page, testId: string) =>
  page.evaluate((id) => {
    const table = document.querySelector(`[data-testid="${id}"]`);
    const card = table?.closest('.mantine-Card-root');
    return table && card ? table.getBoundingClientRect().width - card.clientWidth : -1;
  }, testId);

describe.skipIf(browserSkip)('customer data hub audit (operations user) in a browser', () => {
  let h: BrowserApp;
  let services: Services;

  beforeAll(async () => {
    h = await startBrowserApp();
    services = h.services;
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  it('fits the people and companies lists with long tags on a 1280×800 laptop', async () => {
    const ws = await makeWorkspace(services, { name: 'Laptop Co', ownerEmail: 'laptop-owner@example.com' });
    const tags = ['newsletter-subscriber', 'vip-customer-long-tag', 'returning-buyer-2026'];
    const company = await services.companies.create(ws.ownerActor, {
      name: 'Maximilian Hardware Wholesale',
      domain: 'maximilian-hardware.example',
      industry: 'Wholesale hardware',
      size: '51-200',
      tags,
    });
    for (let i = 0; i < 5; i++)
      await services.people.create(ws.ownerActor, {
        firstName: 'Maximiliana',
        lastName: `Vasconcelos ${i}`,
        emails: [`maximiliana.vasconcelos${i}@maximilian-hardware.example`],
        tags,
        companies: [{ companyId: company.id }],
      });
    const page = await h.signIn('laptop-owner@example.com', { width: 1280, height: 800 });
    await page.goto(`${h.base}/people`);
    await page.getByTestId('person-row').first().waitFor();
    expect(await tableOverflow(page, 'people-table')).toBeLessThanOrEqual(0);
    // Every default column is on screen, the last one (Added) too.
    const added = await page.getByRole('columnheader', { name: 'Added' }).boundingBox();
    expect(added && added.x + added.width).toBeLessThanOrEqual(1280);
    // Two tags and "+1": the one left out is in the tooltip with the others.
    const row = page.getByTestId('person-row').first();
    await expect.poll(() => row.getByText('+1', { exact: true }).isVisible()).toBe(true);
    await row.getByText('newsletter-subscriber').hover();
    await expect(page.getByRole('tooltip').textContent()).resolves.toBe(tags.join(', '));

    await page.goto(`${h.base}/companies`);
    await page.getByText('Maximilian Hardware Wholesale').first().waitFor();
    expect(await tableOverflow(page, 'companies-table')).toBeLessThanOrEqual(0);
    expect(h.pageErrors).toEqual([]);
  });

  it("edits one part of an address without undoing another's change to the rest, on people and companies", async () => {
    const ws = await makeWorkspace(services, { name: 'Address Co', ownerEmail: 'address-owner@example.com' });
    const full = { line1: '12 rue de la Paix', postalCode: '75002', city: 'Paris', country: 'FR' };
    const { person } = await services.people.create(ws.ownerActor, { firstName: 'Ana', address: full });
    const company = await services.companies.create(ws.ownerActor, { name: 'Acme', address: full });
    const page = await h.signIn('address-owner@example.com', { width: 1280, height: 800 });
    for (const [path, testId] of [
      [`/people/${person.id}`, 'person-page'],
      [`/companies/${company.id}`, 'company-page'],
    ] as const) {
      await page.goto(`${h.base}${path}`);
      await page.getByTestId(testId).waitFor();
      await page.getByRole('button', { name: 'Edit Street' }).getByText('12 rue de la Paix').waitFor();
      // Someone else changes the street while this page is open.
      if (testId === 'person-page')
        await services.people.update(ws.ownerActor, person.id, { address: { line1: '1 quai Voltaire' } });
      else await services.companies.update(ws.ownerActor, company.id, { address: { line1: '1 quai Voltaire' } });
      await page.getByRole('button', { name: 'Edit City' }).click();
      await page.getByRole('textbox', { name: 'City' }).fill('Lyon');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('button', { name: 'Edit City' }).getByText('Lyon').waitFor();
      await page.getByRole('button', { name: 'Edit Street' }).getByText('1 quai Voltaire').waitFor();
      await page.getByRole('button', { name: 'Edit Address line 2' }).click();
      await page.getByRole('textbox', { name: 'Address line 2' }).fill('3rd floor');
      await page.getByRole('textbox', { name: 'Address line 2' }).press('Enter');
      await page.getByRole('button', { name: 'Edit Address line 2' }).getByText('3rd floor').waitFor();
    }
    const expected = { ...full, line1: '1 quai Voltaire', line2: '3rd floor', city: 'Lyon' };
    expect((await services.people.get(ws.ownerActor, person.id)).person.address).toEqual(expected);
    expect((await services.companies.get(ws.ownerActor, company.id)).company.address).toEqual(expected);
    expect(h.pageErrors).toEqual([]);
  });

  it('tells namesakes apart when merging them: the button, the question and each choice say which record is which', async () => {
    const ws = await makeWorkspace(services, { name: 'Namesake Co', ownerEmail: 'namesake-owner@example.com' });
    for (const phone of ['+351 912 345 678', '+351 933 222 111'])
      await services.people.create(ws.ownerActor, {
        firstName: 'Ana',
        lastName: 'Silva',
        emails: ['ana.silva@example.pt'],
        phones: [phone],
      });
    const page = await h.signIn('namesake-owner@example.com', { width: 1280, height: 800 });
    await page.goto(`${h.base}/people/duplicates`);
    await page.getByTestId('duplicate-pair').first().click();
    const panel = page.getByTestId('merge-panel');
    // Added the same day: told apart by their part in the merge ("Merge into Ana Silva" said nothing).
    await expect.poll(() => panel.getByTestId('merge-button').innerText()).toBe('Merge into Ana Silva (kept)');
    expect(await panel.getByRole('radio', { name: 'Phones: Ana Silva (kept)' }).count()).toBe(1);
    expect(await panel.getByRole('radio', { name: 'Phones: Ana Silva (merged in)' }).count()).toBe(1);
    await panel.getByTestId('merge-button').click();
    await page.getByRole('dialog', { name: 'Merge Ana Silva (merged in) into Ana Silva (kept)?' }).waitFor();
    expect(h.pageErrors).toEqual([]);
  });
});
