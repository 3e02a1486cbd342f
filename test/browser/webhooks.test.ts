/**
 * Webhooks in a real browser against a real Rapport server and a real receiver: add an endpoint, read the signing
 * secret shown once, send a test event, watch a person.created delivery fail, redeliver it from the delivery log, and
 * check the receiver got a body signed with that secret.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { buildApp } from '../../src/http/app.ts';
import { allJobs } from '../../src/jobs/definitions.ts';
import { enqueueJob, JobRunner } from '../../src/jobs/queue.ts';
import { fanOutJobName } from '../../src/modules/webhooks/webhooks.delivery.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTestDatabase } from '../db.ts';
import { makeWorkspace, testPassword } from '../factories.ts';

const root = path.resolve(import.meta.dirname, '../..');
const chromiumPath = '/usr/bin/chromium';
const hasChromium = fs.existsSync(chromiumPath);
const inCi = process.env.CI === 'true';
// Outside CI a machine without Chromium skips these tests; in CI a missing browser is a failure, not a skip.
const skip = !hasChromium && !inCi;
if (skip)
  console.warn(`Browser tests skipped: no Chromium at ${chromiumPath} (install the Debian "chromium" package).`);

type Received = { headers: http.IncomingHttpHeaders; body: string; answered: number };

/** A webhook receiver on 127.0.0.1 that answers with the queued statuses first, then 200. */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  failNext: number[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const failNext: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = failNext.shift() ?? 200;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'receiver is down');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/rapport`,
    received,
    failNext,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function validSignature(secret: string, r: Received): boolean {
  const timestamp = String(r.headers['rapport-timestamp']);
  const expected = 'v1=' + crypto.createHmac('sha256', secret).update(`${timestamp}.${r.body}`).digest('hex');
  return String(r.headers['rapport-signature'])
    .split(',')
    .some((s) => s.trim() === expected);
}

// The receivers here listen on the loopback interface, which deliveries refuse by default (webhooks.network.ts).
vi.stubEnv('RAPPORT_WEBHOOK_PRIVATE_NETWORKS', 'allow');
afterAll(() => {
  vi.unstubAllEnvs();
});

describe.skipIf(skip)('webhooks in a browser', () => {
  let database: Database;
  let services: Services;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`CI=true but Chromium is missing at ${chromiumPath}`);
    execFileSync(process.execPath, [path.join(root, 'scripts/ensure-web-build.mjs')], { cwd: root, stdio: 'inherit' });
    database = await createTestDatabase('pglite');
    services = createServices(database.db);
    app = await buildApp({ database, services, webDir: path.join(root, 'web/dist'), secureCookies: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    receiver = await startReceiver();
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await receiver?.close();
    await database?.close();
  });

  async function signIn(email: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${base}/`);
    await page.getByRole('textbox', { name: 'Email' }).fill(email);
    await page.getByRole('textbox', { name: 'Password' }).fill(testPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('home-page').waitFor();
    return page;
  }

  it('adds an endpoint, shows its secret once, and logs a failed then redelivered, signed delivery', async () => {
    const ws = await makeWorkspace(services, { name: 'Hooks & Co', ownerEmail: 'hooks-owner@example.com' });
    const page = await signIn('hooks-owner@example.com');

    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL(`${base}/settings/webhooks`);
    await expect.poll(() => page.getByTestId('empty-state').textContent()).toContain("Send Rapport's events");
    await page.getByRole('button', { name: 'Add your first webhook' }).click();

    const form = page.getByTestId('webhook-form');
    // The API's own words for a bad URL appear under the field.
    await form.getByRole('textbox', { name: 'Endpoint URL' }).fill('ftp://example.com/hooks');
    const types = form.getByRole('combobox', { name: 'Event types' });
    await types.fill('person.*');
    await types.press('Enter');
    await form.getByRole('textbox', { name: 'Description' }).fill('CRM sync');
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await expect.poll(() => form.textContent()).toContain('must be an http or https URL');

    await form.getByRole('textbox', { name: 'Endpoint URL' }).fill(receiver.url);
    await form.getByRole('button', { name: 'Add webhook' }).click();
    const shown = page.getByTestId('webhook-secret');
    await shown.waitFor();
    const secret = (await shown.textContent())?.trim() ?? '';
    expect(secret).toMatch(/^whsec_/);
    const created = page.getByTestId('webhook-created');
    expect(await created.textContent()).toContain('Rapport-Signature');
    await created.getByRole('button', { name: 'I have copied it' }).click();
    await created.waitFor({ state: 'detached' });

    const endpoints = await services.webhooks.list(ws.ownerActor);
    expect(endpoints.map((x) => [x.endpoint.url, x.endpoint.eventTypes, x.endpoint.description])).toEqual([
      [receiver.url, ['person.*'], 'CRM sync'],
    ]);
    const row = page.getByTestId('webhook-row');
    await expect.poll(() => row.textContent()).toContain('person.*');

    // A test event goes out at once, and its outcome is shown.
    await row.click();
    const drawer = page.getByRole('dialog');
    await drawer.getByRole('button', { name: 'Send test event' }).click();
    const result = page.getByTestId('webhook-test-result');
    await expect.poll(() => result.textContent()).toContain('HTTP 200');
    expect(receiver.received).toHaveLength(1);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ type: 'webhook.test' });
    expect(validSignature(secret, receiver.received[0]!)).toBe(true);
    await result.getByRole('button', { name: 'Close' }).click();
    await result.waitFor({ state: 'detached' });

    // A person is created; the receiver is down for the first attempt.
    receiver.failNext.push(500);
    const { person } = await services.people.create(ws.ownerActor, {
      firstName: 'Wanda',
      emails: ['wanda@example.com'],
    });
    const runner = new JobRunner(database.db, allJobs);
    await enqueueJob(database.db, ws.workspace.id, fanOutJobName, {});
    for (let i = 0; i < 3 && receiver.received.length < 2; i++) await runner.tick();
    expect(receiver.received.map((r) => r.answered)).toEqual([200, 500]);

    await drawer.getByRole('button', { name: 'Refresh delivery log' }).click();
    const delivery = page.getByTestId('delivery-row').filter({ hasText: 'person.created' });
    await expect.poll(() => delivery.getByTestId('delivery-status').getAttribute('data-status')).toBe('pending');
    expect(await delivery.getByTestId('delivery-attempts').textContent()).toBe('1');
    expect(await delivery.textContent()).toContain('HTTP 500');

    // Open it, read the request, redeliver.
    await delivery.getByRole('button', { name: 'person.created' }).click();
    const detail = page.getByTestId('delivery-detail');
    await expect.poll(() => detail.getByTestId('delivery-body').textContent()).toContain(person.id);
    await expect.poll(() => detail.getByTestId('attempt-row').count()).toBe(1);
    expect(await detail.getByTestId('attempt-row').first().textContent()).toContain('HTTP 500');
    await detail.getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => detail.getByTestId('attempt-row').count()).toBe(2);
    const attempts = detail.getByTestId('attempt-row');
    expect(await attempts.nth(0).getAttribute('data-succeeded')).toBe('false');
    expect(await attempts.nth(1).getAttribute('data-succeeded')).toBe('true');
    expect(await attempts.nth(1).textContent()).toContain('HTTP 200');
    expect(await attempts.nth(1).textContent()).toContain('manual');
    expect(await detail.getByTestId('delivery-status').getAttribute('data-status')).toBe('succeeded');

    await detail.getByRole('button', { name: 'Delivery log' }).click();
    await expect.poll(() => delivery.getByTestId('delivery-status').getAttribute('data-status')).toBe('succeeded');
    expect(await delivery.getByTestId('delivery-attempts').textContent()).toBe('2');

    // Both attempts carried the same delivery id and body, each signed with the secret shown once.
    const [failed, redelivered] = receiver.received.slice(1);
    expect(failed!.headers['rapport-delivery']).toBe(redelivered!.headers['rapport-delivery']);
    expect(redelivered!.headers['rapport-event']).toBe('person.created');
    expect(redelivered!.body).toBe(failed!.body);
    const event = JSON.parse(redelivered!.body) as { type: string; subject: { id: string } };
    expect(event.type).toBe('person.created');
    expect(event.subject.id).toBe(person.id);
    expect(validSignature(secret, failed!)).toBe(true);
    expect(validSignature(secret, redelivered!)).toBe(true);
    expect(validSignature('whsec_wrong', redelivered!)).toBe(false);

    // Rotating the secret (after a warning) shows the new one, which signs the next delivery at once.
    await drawer.getByRole('button', { name: 'Rotate secret' }).click();
    await expect.poll(() => page.getByRole('dialog').last().textContent()).toContain('signed with the new secret');
    await page.getByRole('button', { name: 'Rotate secret' }).last().click();
    const rotatedBox = page.getByTestId('webhook-secret-modal').getByTestId('webhook-secret');
    await rotatedBox.waitFor();
    const rotated = (await rotatedBox.textContent())?.trim() ?? '';
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await page.getByRole('button', { name: 'Done' }).click();
    await drawer.getByRole('button', { name: 'Send test event' }).click();
    await expect.poll(() => page.getByTestId('webhook-test-result').textContent()).toContain('HTTP 200');
    await page.getByTestId('webhook-test-result').getByRole('button', { name: 'Close' }).click();
    const afterRotation = receiver.received[receiver.received.length - 1]!;
    expect(validSignature(rotated, afterRotation)).toBe(true);
    expect(validSignature(secret, afterRotation)).toBe(false);

    // Delete, after confirming.
    await drawer.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Delete webhook' }).click();
    await page.getByTestId('empty-state').waitFor();
    expect(await services.webhooks.list(ws.ownerActor)).toEqual([]);
    await page.context().close();
  }, 60_000);
});
