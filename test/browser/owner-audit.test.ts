/**
 * What a shop owner runs into on the commerce and analytics pages, in a real browser: an address with a day that is
 * not one, a date range the wrong way round, a phone, a cohort cell reached by keyboard, a trend before the first order.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';
import { makeWorkspace } from '../factories.ts';
import { rebuildMetricRollups } from '../../src/modules/metrics/metrics.rollup.ts';

describe.skipIf(browserSkip)('a shop owner in a browser', () => {
  let h: BrowserApp;

  beforeAll(async () => {
    h = await startBrowserApp();
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  it('the orders list survives a day that is not one in its address and says when the range is reversed', async () => {
    const { services, pageErrors } = h;
    const ws = await makeWorkspace(services, { name: 'Dune Shop', ownerEmail: 'audit-orders@example.com' });
    const customer = { externalId: 'd-1', email: 'rosa@example.com', name: 'Rosa Lima' };
    for (const [id, day] of [
      ['7001', '2025-03-10'],
      ['7002', '2025-06-15'],
    ] as const) {
      await services.orders.upsert(ws.ownerActor, id, {
        customer,
        currency: 'EUR',
        placedAt: `${day}T12:00:00Z`,
        lines: [{ name: 'Sandals', unitPrice: '39.00' }],
      });
    }
    const page = await h.signIn('audit-orders@example.com');
    const rows = page.getByTestId('order-row');

    // An edited or cut-off address: the filter is left out instead of "This page could not be shown".
    for (const q of ['from=garbage', 'from=2025-02-30&to=2025-13-01']) {
      await page.goto(`${h.base}/orders?${q}`);
      await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
      expect(await page.getByText('This page could not be shown').count()).toBe(0);
    }

    // A range the wrong way round is named at the field, not only "No order matches".
    await page.goto(`${h.base}/orders?from=2025-06-01&to=2025-03-01`);
    await page.getByText('before "Placed from": no order can match').waitFor();
    await page.getByTestId('orders-to').fill('2025-06-30');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await page.getByText('before "Placed from"').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('on a phone (390 × 844) the pages get the width and the navigation opens from the header', async () => {
    const { services, pageErrors } = h;
    await makeWorkspace(services, { name: 'Phone Shop', ownerEmail: 'audit-phone@example.com' });
    const page = await h.signIn('audit-phone@example.com', { width: 390, height: 844 });
    await page.goto(`${h.base}/analytics`);
    const box = await page.getByTestId('analytics-page').boundingBox();
    // The navigation stayed open beside every page: 232 of the 390 pixels, the page a column of about 130.
    expect(box!.width).toBeGreaterThan(320);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const orders = page.locator('nav').getByRole('link', { name: 'Orders', exact: true });
    expect(await orders.evaluate((e) => e.getBoundingClientRect().right)).toBeLessThanOrEqual(0);
    await page.getByRole('button', { name: 'Open navigation' }).click();
    await expect.poll(() => orders.evaluate((e) => e.getBoundingClientRect().left)).toBeGreaterThanOrEqual(0);
    await orders.click();
    await page.getByTestId('orders-page').waitFor();
    await expect.poll(() => orders.evaluate((e) => e.getBoundingClientRect().right)).toBeLessThanOrEqual(0);
    expect(pageErrors).toEqual([]);
  });

  it('a cohort cell is a button: reached by keyboard, named, and opens the customers behind it', async () => {
    const { services, pageErrors } = h;
    const ws = await makeWorkspace(services, { name: 'Cohort Shop', ownerEmail: 'audit-cohorts@example.com' });
    const buy = (id: string, who: string, at: string) =>
      services.orders.upsert(ws.ownerActor, id, {
        customer: { externalId: who, email: `${who}@example.com`, name: who },
        currency: 'EUR',
        placedAt: at,
        lines: [{ name: 'Kite', unitPrice: '80.00' }],
      });
    await buy('k1', 'ana', '2025-01-05T10:00:00Z');
    await buy('k2', 'ben', '2025-01-20T10:00:00Z');
    await buy('k3', 'ana', '2025-02-11T10:00:00Z');
    await rebuildMetricRollups(h.database.db, ws.workspace.id);

    const page = await h.signIn('audit-cohorts@example.com');
    await page.goto(`${h.base}/analytics?from=2025-02-01&to=2025-03-01&currency=EUR`);
    const cell = page.getByRole('button', { name: 'Cohort 2025-01, month 1: 1 of 2 customers bought (50%)' });
    await cell.focus();
    await page.keyboard.press('Enter');
    const people = page.getByTestId('drill-person');
    await expect.poll(() => people.count(), { timeout: 15_000 }).toBe(1);
    expect(await people.first().textContent()).toContain('ana');
    await page.keyboard.press('Escape');

    // The trend starts at the first order's month: the ten months before it are no data, not a revenue of 0.
    await page.getByText('since the first order (2025-01)').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download Monthly trend as CSV' }).click(),
    ]);
    const file = path.join(h.dataDir, 'owner-trend.csv');
    await download.saveAs(file);
    const months = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((l) => l.split(',').slice(0, 3).join(','));
    expect(months).toEqual(['2025-01,EUR,160.00', '2025-02,EUR,80.00']);

    // A currency the shop never sold in (an old link): the zeros come with the reason and the currencies there are.
    await page.goto(`${h.base}/analytics?from=2025-02-01&to=2025-03-01&currency=GBP`);
    await expect
      .poll(() => page.getByTestId('currency-without-orders').textContent(), { timeout: 15_000 })
      .toBe("No orders in GBP: this workspace's orders are in EUR.");
    expect(await page.getByLabel('Currency', { exact: true }).first().inputValue()).toBe('GBP');
    expect(pageErrors).toEqual([]);
  });

  it('a rate up from nothing says so, and the churned customers are listed by their last order', async () => {
    const { services, pageErrors } = h;
    const ws = await makeWorkspace(services, { name: 'Lapse Shop', ownerEmail: 'audit-churn@example.com' });
    const buy = (id: string, who: string, at: string) =>
      services.orders.upsert(ws.ownerActor, id, {
        customer: { externalId: who, email: `${who}@example.com`, name: who },
        currency: 'EUR',
        placedAt: `${at}T10:00:00Z`,
        lines: [{ name: 'Kite', unitPrice: '80.00' }],
      });
    // February 2025 against January, churn window 90 days: cleo last bought in the window but long enough ago
    // (churned), eve bought in January (lapsing), dan came back and bought twice (the only repeat buyer).
    await buy('c1', 'cleo', '2024-11-10');
    await buy('d1', 'dan', '2024-12-20');
    await buy('e1', 'eve', '2025-01-15');
    await buy('d2', 'dan', '2025-02-10');
    await buy('d3', 'dan', '2025-02-20');
    await buy('f1', 'fay', '2025-02-15');
    await rebuildMetricRollups(h.database.db, ws.workspace.id);

    const page = await h.signIn('audit-churn@example.com', { width: 1280, height: 800 });
    await page.goto(`${h.base}/analytics?from=2025-02-01&to=2025-03-01&currency=EUR`);
    // 0 % of January's one buyer, 50 % of February's two: up from 0, not "no earlier value" beside "before: 0 %".
    const repeat = page.locator('[data-metric="repeatPurchaseRate"]');
    await expect
      .poll(() => repeat.getByTestId('metric-repeatPurchaseRate').textContent(), { timeout: 15_000 })
      .toBe('50%');
    expect(await repeat.getByText('up from 0').count()).toBe(1);
    expect(await repeat.getByText('no earlier value').count()).toBe(0);
    // At 1280 pixels no tile's badge is cut short.
    const cut = await page
      .locator('[aria-label="Key figures"] .mantine-Badge-label')
      .evaluateAll((labels) => labels.filter((l) => l.scrollWidth > l.clientWidth).map((l) => l.textContent));
    expect(cut).toEqual([]);

    // The churned: their last order, not an "orders in the period" of 0 on every row.
    const churn = page.locator('[data-metric="churnRate"]');
    await churn.getByRole('button', { name: '1', exact: true }).first().click();
    const drawer = page.getByRole('dialog', { name: /Churn rate: counted/ });
    await expect.poll(() => drawer.getByTestId('drill-person').count(), { timeout: 15_000 }).toBe(1);
    const headers = await drawer.getByRole('columnheader').allTextContents();
    expect(headers).toEqual(['Customer', 'Last order']);
    const row = await drawer.getByTestId('drill-person').first().textContent();
    expect(row).toContain('cleo');
    expect(row).toMatch(/Nov.*10.*2024|10.*Nov.*2024/);
    await page.keyboard.press('Escape');
    // The repeat buyers keep the period's columns, with their last order.
    await repeat.getByRole('button', { name: '1', exact: true }).first().click();
    const repeaters = page.getByRole('dialog', { name: /Repeat purchase rate: counted/ });
    await expect.poll(() => repeaters.getByTestId('drill-person').count(), { timeout: 15_000 }).toBe(1);
    expect(await repeaters.getByRole('columnheader').allTextContents()).toEqual([
      'Customer',
      'Orders in the period',
      'Net in the period',
      'Last order',
    ]);
    expect(await repeaters.getByTestId('drill-person').first().textContent()).toMatch(/dan2€160\.00.*Feb.*20.*2025/);
    expect(pageErrors).toEqual([]);
  });
});
