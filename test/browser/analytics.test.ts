/**
 * The analytics dashboard in a real browser, on CDNOW: the first purchases of the CDNOW log are imported as orders
 * through the CSV import (`rapport demo cdnow`'s path), the roll-up job catches up from the event log, and the
 * owner opens Analytics for the log's 18 months: the KPI tiles with their definitions, the trend charts, the cohort
 * heat map and the RFM grid; from repeat purchase rate they open the customers behind it — as many as the tile
 * counts — and from there a customer's page.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCdnowFile, importCdnow } from '../../src/cli/demo-cdnow.ts';
import { demoPassword } from '../../src/cli/demo.ts';
import { processMetricEvents } from '../../src/modules/metrics/metrics.rollup.ts';
import { SafeSeqTracker } from '../../src/modules/webhooks/webhooks.delivery.ts';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';

const hasData = fs.existsSync(defaultCdnowFile);
const inCi = process.env.CI === 'true';
if (!hasData && !inCi) console.warn(`Analytics browser test skipped: no CDNOW log at ${defaultCdnowFile}`);

/** The log's first purchases (the whole log takes a minute on PGlite; these cover all three cohorts). */
const purchases = 6000;

describe.skipIf(browserSkip || (!hasData && !inCi))('analytics dashboard in a browser', () => {
  let h: BrowserApp;

  beforeAll(async () => {
    h = await startBrowserApp();
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  it('imports CDNOW orders, shows the dashboard, and drills from repeat purchase rate to the customers', async () => {
    expect(hasData, `the CDNOW log at ${defaultCdnowFile}`).toBe(true);
    const slice = path.join(h.dataDir, 'cdnow-slice.txt');
    const lines = fs.readFileSync(defaultCdnowFile, 'utf8').split(/\r?\n/);
    fs.writeFileSync(slice, lines.slice(0, purchases + 1).join('\r\n') + '\r\n');
    const result = await importCdnow(h.database, h.services, {
      file: slice,
      slug: 'cdnow',
      fail: (m) => new Error(m),
    });
    expect(result.import.created).toBe(purchases);
    // What the per-minute job does: the roll-ups catch up from the orders' events.
    const r = await processMetricEvents(h.database.db, new SafeSeqTracker());
    expect(r.rebuilt + r.customers).toBeGreaterThan(0);

    const page = await h.signIn('analyst@cdnow.example', { password: demoPassword });
    await page.getByRole('link', { name: 'Analytics' }).click();
    await page.getByTestId('analytics-page').waitFor();
    // The log's 18 months, typed as a custom period.
    // The tiles keep showing the last answer while the next loads (a half-typed period's too): the numbers below are
    // read once the summary of the whole period has come and is on the page.
    const periodSummary = page.waitForResponse((r) => {
      const u = decodeURIComponent(r.url());
      return u.includes('/metrics/summary?') && u.includes('from=1997-01-01') && u.includes('to=1998-07-01');
    });
    await page.getByRole('textbox', { name: 'From' }).fill('1997-01-01');
    await page.getByRole('textbox', { name: 'Until (excluded)' }).fill('1998-07-01');
    await expect.poll(() => decodeURIComponent(page.url())).toContain('from=1997-01-01');
    const summary = (await (await periodSummary).json()) as {
      metrics: { repeatPurchaseRate: { current: { numerator: number } } };
    };
    const repeaters = summary.metrics.repeatPurchaseRate.current.numerator;

    const tile = page.locator('[data-metric="repeatPurchaseRate"]');
    await expect.poll(() => tile.getByTestId('metric-repeatPurchaseRate').textContent()).toMatch(/%$/);
    // Each number has its definition beside it.
    await expect.poll(() => tile.getByText('bought at least twice', { exact: false }).count()).toBe(1);
    await expect.poll(() => page.locator('[data-metric="revenue"]').getByText('$').count()).toBeGreaterThan(0);

    // Charts: the trend lines (SVG), the cohort heat map and the RFM grid.
    await expect.poll(() => page.getByTestId('cohort-heatmap').getByRole('row').count()).toBeGreaterThan(3);
    await expect.poll(() => page.getByTestId('cohort-heatmap').getByText('1997-01').count()).toBe(1);
    await expect.poll(() => page.getByTestId('rfm-grid').getByRole('row').count()).toBe(6);
    await expect.poll(() => page.locator('.recharts-line').count()).toBeGreaterThan(0);

    // Drill down: the customers who bought at least twice, as many as the tile counts.
    const numerator = tile
      .getByRole('button')
      .filter({ hasText: /^\d[\d,. ]*$/ })
      .first();
    await expect.poll(async () => Number(((await numerator.textContent()) ?? '').replace(/\D/g, ''))).toBe(repeaters);
    const counted = repeaters;
    expect(counted).toBeGreaterThan(50);
    await numerator.click();
    const drawer = page.getByRole('dialog', { name: /Repeat purchase rate/ });
    await expect.poll(() => drawer.getByTestId('drill-person').count()).toBe(50);
    // Page after page (the More button is not there while a page loads): until every one of them is listed.
    await expect
      .poll(
        async () => {
          const more = drawer.getByRole('button', { name: 'More' });
          if ((await more.count()) > 0 && (await more.isEnabled())) await more.click({ timeout: 5_000 });
          return drawer.getByTestId('drill-person').count();
        },
        { timeout: 90_000 },
      )
      .toBe(counted);
    // Every one of them bought at least twice in the period.
    const orders = await drawer
      .getByTestId('drill-person')
      .evaluateAll((rows) => rows.map((r) => Number(r.children[1]?.textContent?.replace(/\D/g, ''))));
    expect(orders.every((n) => n >= 2)).toBe(true);
    await drawer.getByTestId('drill-person').first().getByRole('link').click();
    await expect.poll(() => page.url()).toMatch(/\/people\/[0-9a-f-]{36}$/);
    // The customer's page says where they stand: their RFM scores and segment.
    await expect.poll(() => page.getByTestId('person-rfm').textContent()).toMatch(/RFM [1-5]·[1-5]·[1-5]/);
    expect(h.pageErrors).toEqual([]);
  }, 240_000);
});
