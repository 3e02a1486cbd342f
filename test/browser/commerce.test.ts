/**
 * Orders in a real browser: the Orders page lists a shop's orders with their status and totals and filters them by
 * status and date; an order opens in a drawer with its lines, where a refund too large is refused in words and a
 * partial refund moves the order to "partly refunded"; the customer's 360° page shows their orders, their
 * subscription, and the refund on the timeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';
import { makeWorkspace } from '../factories.ts';

describe.skipIf(browserSkip)('orders in a browser', () => {
  let h: BrowserApp;

  beforeAll(async () => {
    h = await startBrowserApp();
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  it('lists, filters and refunds orders, and shows them on the customer', async () => {
    const { services, pageErrors } = h;
    const ws = await makeWorkspace(services, { name: 'Trail Shop', ownerEmail: 'orders-owner@example.com' });
    const actor = ws.ownerActor;
    const tent = await services.products.create(actor, {
      sku: 'TENT-2',
      name: 'Two-person tent',
      price: '249.00',
      currency: 'EUR',
    });
    const customer = { externalId: 'c-77', email: 'ines@example.com', name: 'Inês Costa' };
    await services.orders.upsert(actor, '5001', {
      customer,
      currency: 'EUR',
      placedAt: '2025-03-10T10:00:00Z',
      lines: [{ productId: tent.id }],
    });
    await services.orders.upsert(actor, '5002', {
      customer,
      currency: 'EUR',
      placedAt: '2025-09-02T10:00:00Z',
      lines: [{ name: 'Headlamp', unitPrice: '29.90', quantity: 2 }],
      shipping: '4.90',
    });
    await services.orders.upsert(actor, '5003', {
      customer: { email: 'haruto@example.com', name: 'Haruto Sato' },
      currency: 'JPY',
      placedAt: '2025-10-01T01:00:00Z',
      status: 'placed',
      subtotal: 12800,
    });
    const ines = (await services.people.list(actor, { filter: 'email:eq:ines@example.com' })).rows[0]?.person;
    if (!ines) throw new Error('the customer was not created');
    await services.subscriptions.create(actor, { personId: ines.id, plan: 'Trail Club', mrr: '4.90', currency: 'EUR' });

    const page = await h.signIn('orders-owner@example.com');
    await page.getByRole('link', { name: 'Orders' }).click();
    const rows = page.getByTestId('order-row');
    await expect.poll(() => rows.count()).toBe(3);
    // Newest first, money in each order's currency.
    expect(await rows.first().textContent()).toContain('#5003');
    expect(await rows.first().textContent()).toMatch(/12,800/);
    expect(await rows.nth(2).textContent()).toContain('#5001');

    // Filters: placed only, then a date range.
    await page.getByRole('combobox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'Placed' }).click();
    await page.keyboard.press('Escape');
    await expect.poll(() => rows.count()).toBe(1);
    expect(page.url()).toContain('status=placed');
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByLabel('Placed from').fill('2025-09-01');
    await page.getByLabel('to', { exact: true }).fill('2025-09-30');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('#5002');

    // Export what the list shows: the filtered orders, a row per line, as the orders import reads them.
    await page.getByTestId('export-menu').click();
    const csvLink = page.getByRole('menuitem', { name: 'CSV (spreadsheets)' });
    const href = await csvLink.getAttribute('href');
    expect(href).toContain('/api/v1/orders/export?format=csv');
    const exported = await page.evaluate(async (url) => (await fetch(url)).text(), href ?? '');
    const exportedRows = exported.trimEnd().split('\r\n');
    expect(exportedRows).toHaveLength(2);
    expect(exportedRows[0]).toMatch(/^externalId,customer\.email,customer\.externalId,customer\.name,placedAt,status/);
    expect(exportedRows[1]).toMatch(
      /^5002,ines@example\.com,c-77,Inês Costa,2025-09-02T10:00:00\.000Z,paid,EUR,64\.70,/,
    );
    expect(exportedRows[1]).toContain(',Headlamp,2,29.90,');
    await page.keyboard.press('Escape');

    // The order: its lines and amounts; a refund over what is left is refused, a partial one is recorded.
    await rows.first().click();
    const drawer = page.getByRole('dialog', { name: 'Order #5002' });
    await expect.poll(() => drawer.getByTestId('order-lines').textContent()).toContain('Headlamp');
    expect(await drawer.getByTestId('order-amounts').textContent()).toMatch(/64\.70/);
    await drawer.getByRole('textbox', { name: 'Refund amount in EUR' }).fill('70');
    await drawer.getByTestId('refund-submit').click();
    await expect.poll(() => drawer.getByText(/more than what is left to refund/).count()).toBe(1);
    await drawer.getByRole('textbox', { name: 'Refund amount in EUR' }).fill('29.90');
    await drawer.getByRole('textbox', { name: 'Reason' }).fill('One lamp was broken');
    await drawer.getByTestId('refund-submit').click();
    await expect.poll(() => drawer.getByTestId('order-status').textContent()).toBe('Partly refunded');
    expect(await drawer.getByTestId('order-refunds').textContent()).toContain('One lamp was broken');
    await page.keyboard.press('Escape');
    await expect.poll(() => rows.first().textContent()).toContain('Partly refunded');

    // The customer's page: orders, subscription, and the refund on the timeline.
    await rows.first().getByRole('link', { name: 'Inês Costa' }).click();
    await page.getByTestId('person-page').waitFor();
    await expect.poll(() => page.getByTestId('person-order-row').count()).toBe(2);
    expect(await page.getByTestId('person-subscriptions').textContent()).toContain('Trail Club');
    await expect.poll(() => page.getByText(/refunded .*29\.90 of order #5002: One lamp was broken/).count()).toBe(1);
    // Recorded today, placed long ago: the timeline puts it where it happened, below today's refund.
    const timeline = (await page.getByTestId('person-page').textContent()) ?? '';
    const placed = timeline.search(/Placed order #5001 of €249\.00/);
    expect(placed).toBeGreaterThan(timeline.search(/refunded .*29\.90 of order #5002/));
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
