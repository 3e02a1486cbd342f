/**
 * Importing orders in a real browser: from the empty Orders page to the wizard, a Shopify-like export whose headers
 * are mapped by themselves (order, customer and line fields), the dry run order by order with the reasons of the
 * refused rows, the run with its progress, and the orders on the Orders page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allJobs } from '../../src/jobs/definitions.ts';
import { JobRunner } from '../../src/jobs/queue.ts';
import { makeWorkspace } from '../factories.ts';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';

const csv = [
  'Name,Email,Financial Status,Currency,Shipping,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Billing Name',
  '#1001,ann@shop.example,paid,EUR,5.00,35.00,2024-03-05 14:12:09 +0100,2,Socks,10.00,SOCK-1,Ann Lee',
  '#1001,,,,,,,1,Hat,10.00,HAT-1,',
  '#1002,bob@shop.example,pending,EUR,0,20.00,2024-03-06 10:00,1,Scarf,20.00,SC-1,Bob Stone',
  '#1003,cy@shop.example,paid,EUR,0,10.00,2024-31-12,1,Cap,10.00,CAP,Cy',
  '#1004,,paid,EUR,0,10.00,2024-03-07,1,Cap,10.00,CAP,Di',
].join('\n');

describe.skipIf(browserSkip)('orders import in a browser', () => {
  let h: BrowserApp;
  let jobs: JobRunner;

  beforeAll(async () => {
    h = await startBrowserApp();
    jobs = new JobRunner(h.database.db, allJobs, { pollMs: 100 });
    jobs.start();
  }, 180_000);

  afterAll(async () => {
    await jobs?.stop();
    await h?.close();
  });

  it('maps a shop export, dry-runs it order by order, imports it and lists the orders', async () => {
    const ws = await makeWorkspace(h.services, { name: 'Trail Shop', ownerEmail: 'import-owner@example.com' });
    const page = await h.signIn('import-owner@example.com');
    await page.getByRole('link', { name: 'Orders' }).click();
    await page.getByTestId('empty-state').getByRole('link', { name: 'Import orders from a CSV' }).click();
    await page.waitForURL(`${h.base}/orders/import`);
    expect(await page.getByTestId('orders-hint').textContent()).toContain('without a time zone');

    await page.getByTestId('import-file').setInputFiles({
      name: 'shopify-orders.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv, 'utf8'),
    });
    await page.getByTestId('import-mapping').waitFor();
    const field = (header: string) =>
      page
        .locator(`[data-testid="mapping-row"][data-header="${header}"]`)
        .locator(`input[aria-label="Field for column ${header}"]`)
        .inputValue();
    await expect.poll(() => field('Name')).toBe('Order id');
    expect(await field('Email')).toBe('Customer e-mail');
    expect(await field('Lineitem sku')).toBe('SKU');
    expect(await field('Lineitem price')).toBe('Unit price');
    expect(await field('Created at')).toBe('Placed at (date or date and time)');

    await page.getByRole('button', { name: 'Dry run: show what would happen' }).click();
    await page.getByTestId('dry-run-report').waitFor();
    await expect.poll(() => page.getByTestId('count-create').textContent()).toBe('2');
    expect(await page.getByTestId('count-reject').textContent()).toBe('2');
    expect(await page.getByTestId('import-counts').textContent()).toContain('orders would be created');
    await page.getByTestId('report-row').first().waitFor();
    expect(await page.getByTestId('report-row').first().textContent()).toContain('Order #1001 · 35.00 EUR · Ann Lee');
    await page.getByTestId('row-report').getByText('Rejected', { exact: true }).click();
    const rejected = page.locator('[data-testid="report-row"][data-action="reject"]');
    await expect.poll(() => rejected.count()).toBe(2);
    expect(await rejected.allTextContents()).toEqual([
      expect.stringContaining('"2024-31-12" is not a date that exists'),
      expect.stringContaining('an order needs its customer'),
    ]);

    await page.getByRole('button', { name: 'Import 2 orders' }).click();
    await page.getByTestId('import-done').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('count-create').textContent()).toBe('2');
    await page.getByRole('link', { name: 'See the orders' }).click();
    await page.waitForURL(`${h.base}/orders`);
    await expect.poll(() => page.getByTestId('orders-page').textContent()).toContain('Ann Lee');
    const listed = await h.services.orders.list(ws.ownerActor, { limit: 10 });
    expect(listed.rows.map((o) => [o.externalId, o.status, o.total]).sort()).toEqual([
      ['#1001', 'paid', 3500],
      ['#1002', 'placed', 2000],
    ]);
    expect(h.pageErrors).toEqual([]);
  });
});
