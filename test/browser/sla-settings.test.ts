/**
 * Settings → Service levels in a real browser: an owner edits an SLA policy (name, a target, a condition) and moves
 * it up so that it is tried first — both kept after a reload and as the API reads them —; adds business hours without
 * touching the time zone (it is the workspace's) with a Friday night shift 18:00–09:00 (stored as Fri 18:00–24:00 and
 * Sat 00:00–09:00), edits them again (the night shift shown as one row, a Saturday night wrapping into Sunday, an
 * overlap refused before saving, a holiday with its name); and reads the API-key scopes named for what they grant.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';
import type { Services } from '../../src/services.ts';
import { makeApiKey, makeWorkspace, type TestWorkspace } from '../factories.ts';

type ApiPolicy = { id: string; name: string; position: number; conditions: unknown[]; targets: Record<string, number> };
type ApiCalendar = {
  id: string;
  name: string;
  timeZone: string;
  weekly: Array<{ day: number; start: string; end: string }>;
  holidays: Array<{ date: string; name?: string }>;
};

describe.skipIf(browserSkip)('SLA settings in a browser', () => {
  let h: BrowserApp;
  let services: Services;
  let pageErrors: string[];
  let ws: TestWorkspace;
  let key: string;
  let page: Page;

  beforeAll(async () => {
    h = await startBrowserApp();
    ({ services, pageErrors } = h);
    ws = await makeWorkspace(services, { name: 'Night Owls', ownerEmail: 'sla-owner@example.com' });
    // The workspace works in Tokyo; the browser (and the machine) in another zone.
    await services.workspaces.update(ws.ownerActor, { timezone: 'Asia/Tokyo' });
    await services.sla.createPolicy(ws.ownerActor, {
      name: 'Urgent tickets',
      conditions: [{ field: 'priority', op: 'in', value: ['urgent'] }],
      targets: { first_response: 30, resolution: 480 },
    });
    await services.sla.createPolicy(ws.ownerActor, {
      name: 'Everyone else',
      targets: { first_response: 240, next_response: 480, resolution: 2880 },
    });
    key = await makeApiKey(services, ws);
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  // Each test in a browser context of its own, so that one failing leaves no dialog open for the next.
  beforeEach(async () => {
    page = await h.signIn('sla-owner@example.com');
  }, 60_000);

  afterEach(async () => {
    await page?.context().close();
  });

  async function get<T>(path: string): Promise<T> {
    const res = await fetch(`${h.base}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }
  const policyOrder = () =>
    page
      .getByTestId('sla-policy-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-policy') ?? ''))
      .catch(() => []);
  const policyRow = (name: string): Locator => page.locator(`[data-testid="sla-policy-row"][data-policy="${name}"]`);
  const calendarCard = (name: string): Locator =>
    page.locator(`[data-testid="calendar-card"][data-calendar="${name}"]`);
  /** Reloads the page and waits for the policies to be shown again. */
  async function reload() {
    await page.reload();
    await page.getByTestId('sla-policies').waitFor();
  }

  it('edits a policy and reorders the policies, kept after a reload and in the API', async () => {
    await page.getByRole('link', { name: 'Service levels' }).click();
    await page.getByTestId('sla-policies').waitFor();
    await expect.poll(policyOrder).toEqual(['Urgent tickets', 'Everyone else']);
    expect(await policyRow('Urgent tickets').textContent()).toContain('priority is urgent');

    // The catch-all gets a new name and a shorter first response; its other targets stay.
    await page.getByRole('button', { name: 'Edit Everyone else' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.getByRole('textbox', { name: 'Name' }).inputValue()).toBe('Everyone else');
    expect(await dialog.getByRole('textbox', { name: 'First response (min)' }).inputValue()).toBe('240');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Standard support');
    await dialog.getByRole('textbox', { name: 'First response (min)' }).fill('120');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await expect.poll(() => policyRow('Standard support').textContent()).toContain('2 h');
    expect(await policyRow('Standard support').textContent()).toContain('every other ticket');

    // The urgent policy also takes high-priority tickets.
    await page.getByRole('button', { name: 'Edit Urgent tickets' }).click();
    await dialog.getByLabel('Condition 1 values').click({ force: true });
    await page.getByRole('option', { name: 'high' }).click();
    await dialog.getByRole('textbox', { name: 'Name' }).click();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await expect.poll(() => policyRow('Urgent tickets').textContent()).toContain('priority is one of urgent, high');

    await reload();
    await expect.poll(policyOrder).toEqual(['Urgent tickets', 'Standard support']);
    const standard = await policyRow('Standard support').textContent();
    expect(standard).toContain('2 h'); // first response
    expect(standard).toContain('8 h'); // next response, untouched
    expect(standard).toContain('2 d'); // resolution, untouched
    expect(await policyRow('Urgent tickets').textContent()).toContain('priority is one of urgent, high');
    const edited = (await get<{ data: ApiPolicy[] }>('/sla-policies')).data;
    expect(edited.find((p) => p.name === 'Standard support')?.targets).toEqual({
      first_response: 120,
      next_response: 480,
      resolution: 2880,
    });
    expect(edited.find((p) => p.name === 'Urgent tickets')?.conditions).toEqual([
      { field: 'priority', op: 'in', value: ['urgent', 'high'] },
    ]);

    // Moved up, the catch-all is tried first.
    expect(await page.getByRole('button', { name: 'Move Urgent tickets up' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Move Standard support up' }).click();
    await expect.poll(policyOrder).toEqual(['Standard support', 'Urgent tickets']);
    await expect
      .poll(async () => (await get<{ data: ApiPolicy[] }>('/sla-policies')).data.map((p) => p.name))
      .toEqual(['Standard support', 'Urgent tickets']);
    await reload();
    await expect.poll(policyOrder).toEqual(['Standard support', 'Urgent tickets']);
    expect(await page.getByRole('button', { name: 'Move Standard support up' }).isDisabled()).toBe(true);
    const reordered = (await get<{ data: ApiPolicy[] }>('/sla-policies')).data;
    expect(reordered[0]!.position).toBeLessThan(reordered[1]!.position);

    // And back down again.
    await page.getByRole('button', { name: 'Move Standard support down' }).click();
    await expect
      .poll(async () => (await get<{ data: ApiPolicy[] }>('/sla-policies')).data.map((p) => p.name))
      .toEqual(['Urgent tickets', 'Standard support']);
    await expect.poll(policyOrder).toEqual(['Urgent tickets', 'Standard support']);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('adds business hours in the workspace zone with a night shift, then edits them', async () => {
    await page.getByRole('link', { name: 'Service levels' }).click();
    await page.getByTestId('sla-policies').waitFor();
    await page.getByRole('button', { name: 'Add business hours' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Night desk');
    // The zone is the workspace's, untouched.
    expect(await dialog.getByLabel('Time zone').inputValue()).toBe('Asia/Tokyo');
    const first = dialog.getByRole('group', { name: 'Hours 1', exact: true });
    expect(await first.getByRole('textbox', { name: 'From' }).inputValue()).toBe('09:00');
    expect(await first.getByRole('textbox', { name: 'To' }).inputValue()).toBe('17:00');

    // Friday night, 18:00 until 09:00 on Saturday.
    await dialog.getByRole('button', { name: 'Add hours' }).click();
    const night = dialog.getByRole('group', { name: 'Hours 2', exact: true });
    await night.getByRole('checkbox', { name: 'Fri' }).check();
    await night.getByRole('textbox', { name: 'From' }).fill('18:00');
    await night.getByRole('textbox', { name: 'To' }).fill('09:00');
    await expect.poll(() => night.getByTestId('overnight-hint').textContent()).toContain('ends the next day at 09:00');
    expect(await night.getByTestId('overnight-hint').textContent()).toContain('Fri 18:00–24:00 and Sat 00:00–09:00');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.count()).toBe(0);

    const card = calendarCard('Night desk');
    await expect.poll(() => card.textContent()).toContain('(Asia/Tokyo)');
    expect(await card.getByTestId('calendar-hours').textContent()).toBe(
      'Mon–Fri 09:00–17:00 · Fri 18:00–09:00 (ends the next day)',
    );
    const created = (await get<{ data: ApiCalendar[] }>('/business-calendars')).data.find(
      (c) => c.name === 'Night desk',
    );
    expect(created?.timeZone).toBe('Asia/Tokyo');
    expect(created?.weekly).toEqual([
      { day: 1, start: '09:00', end: '17:00' },
      { day: 2, start: '09:00', end: '17:00' },
      { day: 3, start: '09:00', end: '17:00' },
      { day: 4, start: '09:00', end: '17:00' },
      { day: 5, start: '09:00', end: '17:00' },
      { day: 5, start: '18:00', end: '24:00' },
      { day: 6, start: '00:00', end: '09:00' },
    ]);

    // Editing: the night shift reads back as one row.
    await page.getByRole('button', { name: 'Edit Night desk' }).click();
    const again = dialog.getByRole('group', { name: 'Hours 2', exact: true });
    expect(await again.getByRole('textbox', { name: 'From' }).inputValue()).toBe('18:00');
    expect(await again.getByRole('textbox', { name: 'To' }).inputValue()).toBe('09:00');
    expect(await again.getByRole('checkbox', { name: 'Fri' }).isChecked()).toBe(true);
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Night shift');
    await dialog.getByLabel('Time zone').fill('Europe/Lisb');
    await page.getByRole('option', { name: 'Europe/Lisbon' }).click();

    // Saturday morning overlapping Friday's night is refused before saving…
    await dialog.getByRole('button', { name: 'Add hours' }).click();
    const sat = dialog.getByRole('group', { name: 'Hours 3', exact: true });
    await sat.getByRole('checkbox', { name: 'Sat' }).check();
    await sat.getByRole('textbox', { name: 'From' }).fill('08:00');
    await sat.getByRole('textbox', { name: 'To' }).fill('12:00');
    await expect
      .poll(() => dialog.getByTestId('calendar-problems').textContent())
      .toContain('Sat 00:00–09:00 (Fri’s overnight hours) overlaps Sat 08:00–12:00');
    expect(await dialog.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    // …Saturday night into Sunday morning is not.
    await sat.getByRole('textbox', { name: 'From' }).fill('22:00');
    await sat.getByRole('textbox', { name: 'To' }).fill('06:00');
    await expect.poll(() => dialog.getByTestId('calendar-problems').count()).toBe(0);
    expect(await sat.getByTestId('overnight-hint').textContent()).toContain('Sat 22:00–24:00 and Sun 00:00–06:00');
    await dialog.getByRole('textbox', { name: 'Holidays' }).fill('2026-12-25 Christmas Day');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.count()).toBe(0);

    await expect.poll(() => calendarCard('Night shift').count()).toBe(1);
    await reload();
    const shift = calendarCard('Night shift');
    await expect.poll(() => shift.textContent()).toContain('(Europe/Lisbon)');
    expect(await shift.getByTestId('calendar-hours').textContent()).toBe(
      'Mon–Fri 09:00–17:00 · Fri 18:00–09:00 (ends the next day) · Sat 22:00–06:00 (ends the next day)',
    );
    expect(await shift.getByTestId('calendar-holidays').textContent()).toBe('Closed on 2026-12-25 (Christmas Day)');
    const edited = (await get<{ data: ApiCalendar[] }>('/business-calendars')).data.find((c) => c.id === created?.id);
    expect(edited).toMatchObject({
      name: 'Night shift',
      timeZone: 'Europe/Lisbon',
      holidays: [{ date: '2026-12-25', name: 'Christmas Day' }],
    });
    expect(edited?.weekly).toEqual([
      { day: 0, start: '00:00', end: '06:00' },
      ...created!.weekly,
      { day: 6, start: '22:00', end: '24:00' },
    ]);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('names the API-key scopes for what they grant', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Create API key' }).first().click();
    const form = page.getByTestId('create-api-key-form');
    await form.waitFor();
    const text = (await form.textContent()) ?? '';
    expect(text).toContain('See team members');
    expect(text).toContain('Manage team members');
    expect(text).toContain("List the workspace's users (who signs in to Rapport)");
    expect(text).toContain('See customers');
    // "People" are customers elsewhere in the product: no scope of the team is called so.
    expect(text).not.toMatch(/\bpeople\b/i);
    expect(await form.getByRole('checkbox', { name: /See team members/ }).count()).toBe(1);
    expect(await form.getByRole('checkbox', { name: /See team members users:read/ }).count()).toBe(1);
    expect(await form.getByRole('checkbox', { name: /Manage team members users:manage/ }).count()).toBe(1);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
