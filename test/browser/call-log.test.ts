/**
 * Logging a phone call from the console: the "New ticket" form, on the phone channel, asks for the call (start —
 * now by default —, duration, outcome, recording link), checks it before sending, shows the API's refusals next to
 * the fields they name, and the ticket it opens shows the call; the API has stored it (GET /tickets/:id).
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/services.ts';
import { makeWorkspace } from '../factories.ts';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';

type StoredTicket = {
  id: string;
  channel: string;
  firstResponseAt: string | null;
  person: { displayName: string; phones: string[] } | null;
  messages: Array<{ direction: string; bodyText: string; meta: { call?: Record<string, unknown> } }>;
};

/** The text of the error (or description) elements a field points to with aria-describedby. */
async function describedBy(field: Locator): Promise<string> {
  return field.evaluate((el) =>
    (el.getAttribute('aria-describedby') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' | '),
  );
}

/** A `datetime-local` value in the browser's time zone, `minutesAgo` minutes before now. */
function localInput(page: Page, minutesAgo: number): Promise<string> {
  return page.evaluate((m) => {
    const d = new Date(Date.now() - m * 60_000);
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }, minutesAgo);
}

describe.skipIf(browserSkip)('logging a phone call from the console', () => {
  let h: BrowserApp;
  let services: Services;
  let pageErrors: string[];

  beforeAll(async () => {
    h = await startBrowserApp();
    ({ services, pageErrors } = h);
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  it('logs an answered call with its details and a missed call without notes; the tickets show them', async () => {
    const ws = await makeWorkspace(services, { name: 'Ring Co', ownerEmail: 'call-owner@example.com' });
    const page = await h.signIn('call-owner@example.com');
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/tickets') posts.push(r.url());
    });

    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.getByRole('button', { name: 'New ticket' }).click();
    const dialog = page.getByRole('dialog', { name: 'New ticket' });
    const call = dialog.getByRole('group', { name: 'Call' });
    const startedAt = call.getByLabel('Started at');
    const duration = call.getByRole('textbox', { name: 'Duration' });
    const recording = call.getByRole('textbox', { name: 'Recording link' });
    const phone = dialog.getByRole('textbox', { name: 'or phone' });
    const subject = dialog.getByRole('textbox', { name: 'Subject' });

    // The phone channel is the default: the call's fields are there, started now.
    const openedAt = Date.now();
    const shownStart = new Date(await startedAt.inputValue()).getTime();
    expect(Math.abs(shownStart - openedAt)).toBeLessThan(2 * 60_000);
    expect(await call.getByRole('combobox', { name: 'Outcome' }).inputValue()).toBe('Answered');

    await phone.fill('+351 912 345 678');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Marta Reis');
    await subject.fill('Charged twice for order 1042');

    // Checked in the form, before anything is sent.
    await startedAt.fill(await localInput(page, -24 * 60));
    await duration.fill('4:75');
    await recording.fill('ftp://calls.example.test/1042');
    await dialog.getByRole('button', { name: 'Open ticket' }).click();
    await expect.poll(() => describedBy(startedAt)).toContain('The call cannot start in the future');
    expect(await describedBy(duration)).toContain('Write the duration as minutes:seconds (4:30) or whole minutes (5)');
    expect(await describedBy(recording)).toContain('Give a web link, starting with https://');
    expect(await startedAt.getAttribute('aria-invalid')).toBe('true');

    const start = await localInput(page, 20);
    await startedAt.fill(start);
    await duration.fill('4:30');
    await recording.fill('https://calls.example.test/rec/1042.mp3');
    // Editing a field takes its message away.
    expect(await describedBy(duration)).not.toContain('Write the duration');
    await duration.fill('30:00');
    await dialog.getByRole('button', { name: 'Open ticket' }).click();
    await expect.poll(() => describedBy(duration)).toContain('The call would end in the future');
    await duration.fill('4:30');
    expect(posts).toHaveLength(0);

    // The API's refusals appear next to the fields they name: a schema problem (path) …
    await subject.fill(`Charged twice ${'x'.repeat(300)}`);
    await dialog.getByRole('button', { name: 'Open ticket' }).click();
    await expect.poll(() => describedBy(subject), { timeout: 15_000 }).toMatch(/300/);
    expect(posts).toHaveLength(1);
    // … and a service's refusal (details.field).
    await subject.fill('Charged twice for order 1042');
    await phone.fill('12');
    await dialog.getByRole('button', { name: 'Open ticket' }).click();
    await expect.poll(() => describedBy(phone), { timeout: 15_000 }).toContain('"12" is not a phone number');
    expect(posts).toHaveLength(2);
    expect((await services.tickets.list(ws.ownerActor, { queue: 'all' })).rows).toHaveLength(0);

    await phone.fill('+351 912 345 678');
    await call.getByRole('combobox', { name: 'Outcome' }).click();
    await page.getByRole('option', { name: 'Resolved on the call' }).click();
    await dialog
      .getByRole('textbox', { name: 'What the customer said' })
      .fill('Card charged twice for order 1042. Refund promised within 3 days.');
    await dialog.getByRole('button', { name: 'Open ticket' }).click();

    // The ticket opens, its message showing the call.
    await page.waitForURL(/\/inbox\/[0-9a-f-]{36}$/, { timeout: 15_000 });
    const ticketId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    const details = page.getByTestId('call-details');
    await expect.poll(() => details.count(), { timeout: 15_000 }).toBe(1);
    const shown = (await details.textContent()) ?? '';
    expect(shown).toContain('Call from the customer');
    expect(shown).toContain('lasted 4 min 30 s');
    expect(shown).toContain('resolved');
    expect(await details.getByRole('link', { name: 'Recording' }).getAttribute('href')).toBe(
      'https://calls.example.test/rec/1042.mp3',
    );
    expect(await page.getByText('Card charged twice for order 1042.').count()).toBe(1);

    // The API stored the call.
    const res = await page.request.get(`${h.base}/api/v1/tickets/${ticketId}`);
    expect(res.status()).toBe(200);
    const stored = (await res.json()) as StoredTicket;
    const startIso = await page.evaluate((s) => new Date(s).toISOString(), start);
    expect(stored.channel).toBe('phone');
    expect(stored.person).toMatchObject({ displayName: 'Marta Reis', phones: ['+351912345678'] });
    expect(stored.firstResponseAt).not.toBeNull();
    expect(stored.messages).toHaveLength(1);
    expect(stored.messages[0]).toMatchObject({
      direction: 'inbound',
      bodyText: 'Card charged twice for order 1042. Refund promised within 3 days.',
      meta: {
        call: {
          direction: 'inbound',
          event: 'logged',
          startedAt: startIso,
          answeredAt: startIso,
          durationSeconds: 270,
          outcome: 'resolved',
          recordingUrl: 'https://calls.example.test/rec/1042.mp3',
        },
      },
    });

    // A missed call, logged as it is, started now, without notes: the ticket still shows it.
    await page.getByRole('button', { name: 'New ticket' }).click();
    const again = page.getByRole('dialog', { name: 'New ticket' });
    const againCall = again.getByRole('group', { name: 'Call' });
    // The form starts empty for the next customer.
    expect(await againCall.getByRole('textbox', { name: 'Duration' }).inputValue()).toBe('');
    expect(await again.getByRole('textbox', { name: 'Name' }).inputValue()).toBe('');
    expect(await again.getByRole('textbox', { name: 'What the customer said' }).inputValue()).toBe('');
    await again.getByRole('textbox', { name: 'or phone' }).fill('+351 912 345 679');
    await again.getByRole('textbox', { name: 'Subject' }).fill('Missed call, call back');
    await againCall.getByRole('combobox', { name: 'Outcome' }).click();
    await page.getByRole('option', { name: 'Missed (no answer)' }).click();
    const before = Date.now();
    await again.getByRole('button', { name: 'Open ticket' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/inbox/') && !url.pathname.endsWith(ticketId), {
      timeout: 15_000,
    });
    const missedId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    await expect.poll(() => page.getByTestId('call-details').textContent(), { timeout: 15_000 }).toContain('no answer');
    const missed = (await (await page.request.get(`${h.base}/api/v1/tickets/${missedId}`)).json()) as StoredTicket;
    expect(missed.firstResponseAt).toBeNull();
    expect(missed.messages).toHaveLength(1);
    expect(missed.messages[0]?.bodyText).toBe('');
    const missedCall = missed.messages[0]?.meta.call;
    expect(missedCall).toMatchObject({ outcome: 'no answer', durationSeconds: null, recordingUrl: null });
    expect(Math.abs(new Date(String(missedCall?.startedAt)).getTime() - before)).toBeLessThan(2 * 60_000);
    expect(missedCall?.answeredAt).toBeUndefined();

    expect(posts).toHaveLength(4);
    expect(pageErrors).toEqual([]);
  }, 180_000);
  it('logs calls on an existing e-mail ticket: the agent calling back answers it, the customer calling reopens it', async () => {
    const ws = await makeWorkspace(services, { name: 'Callback Co', ownerEmail: 'callback-owner@example.com' });
    const opened = await services.tickets.create(ws.ownerActor, {
      subject: 'Parcel never arrived',
      requester: { email: 'joana@callback.test', name: 'Joana Dias' },
      channel: 'email',
      text: 'My parcel from order 77 never arrived.',
    });
    const page = await h.signIn('callback-owner@example.com');
    await page.goto(`${h.base}/inbox/${opened.id}`);
    await page.getByText('My parcel from order 77 never arrived.').waitFor({ timeout: 15_000 });

    const logCall = async () => {
      await page.getByRole('button', { name: 'More ticket actions' }).click();
      await page.getByRole('menuitem', { name: 'Log a call…' }).click();
      return page.getByRole('dialog', { name: `Log a call on #${opened.number}` });
    };
    // The agent calls the customer back: three minutes, answered; then waits on the customer.
    let dialog = await logCall();
    expect(await dialog.getByRole('radio', { name: 'You called Joana Dias' }).isChecked()).toBe(true);
    const before = Date.now();
    await dialog.getByRole('textbox', { name: 'Duration' }).fill('3:00');
    await dialog.getByRole('textbox', { name: 'Notes' }).fill('Courier lost it; resending today.');
    await dialog.getByRole('combobox', { name: 'Status after the call' }).click();
    await page.getByRole('option', { name: 'Pending' }).click();
    await dialog.getByRole('button', { name: 'Log call' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
    const details = page.getByTestId('call-details');
    await expect.poll(() => details.count(), { timeout: 15_000 }).toBe(1);
    expect(await details.textContent()).toContain('Call to the customer');
    expect(await details.textContent()).toContain('lasted 3 min');
    await page.getByText('Courier lost it; resending today.').waitFor();

    type Stored = StoredTicket & { status: string; conversations: Array<{ channel: string }> };
    const stored = async () =>
      (await (await page.request.get(`${h.base}/api/v1/tickets/${opened.id}`)).json()) as Stored;
    let t = await stored();
    expect(t.status).toBe('pending');
    expect(t.firstResponseAt).not.toBeNull();
    expect(t.conversations.map((c) => c.channel).sort()).toEqual(['email', 'phone']);
    const out = t.messages.find((m) => m.meta.call);
    expect(out).toMatchObject({
      direction: 'outbound',
      bodyText: 'Courier lost it; resending today.',
      meta: { call: { direction: 'outbound', durationSeconds: 180, outcome: 'answered' } },
    });
    // Logged as the call that just ended: it started three minutes (to the minute) before.
    const startedAt = new Date(String(out?.meta.call?.startedAt)).getTime();
    expect(Math.abs(before - 180_000 - startedAt)).toBeLessThan(2 * 60_000);

    // The customer calls back and gets the voicemail: the ticket is open again.
    dialog = await logCall();
    await dialog.getByText('Joana Dias called').click();
    await dialog.getByRole('combobox', { name: 'Outcome' }).click();
    await page.getByRole('option', { name: 'Voicemail' }).click();
    await dialog.getByRole('button', { name: 'Log call' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
    await expect.poll(() => details.count(), { timeout: 15_000 }).toBe(2);
    expect(await details.nth(1).textContent()).toContain('Call from the customer');
    t = await stored();
    expect(t.status).toBe('open');
    expect(t.messages.filter((m) => m.meta.call).map((m) => m.direction)).toEqual(['outbound', 'inbound']);

    // Both calls are on Joana's timeline, in words.
    await page.goto(`${h.base}/people/${opened.personId ?? ''}`);
    await page.getByText(`called them about ticket #${opened.number} (3 min, answered)`).waitFor({ timeout: 15_000 });
    await page.getByText(`Called about ticket #${opened.number} (voicemail)`, { exact: false }).waitFor();
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
