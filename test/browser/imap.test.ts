/**
 * Fetching a support mailbox over IMAP, set up from the console against a real Dovecot: the owner fills in the IMAP
 * section of the e-mail channel, tests the connection, checks mail now and sees the ticket; a wrong password shows
 * the server's refusal as the last check's error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dovecotSkip, startDovecot, type Dovecot } from '../dovecot.ts';
import { makeWorkspace } from '../factories.ts';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';

const mailbox = { user: 'help', password: 'imap-pass-77' };

describe.skipIf(browserSkip || dovecotSkip)('IMAP mailbox set up in the console', () => {
  let h: BrowserApp;
  let dovecot: Dovecot;

  beforeAll(async () => {
    dovecot = await startDovecot([mailbox]);
    h = await startBrowserApp();
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    await dovecot?.stop();
  });

  it('configures, tests and polls the mailbox, and shows a failed login', async () => {
    const ws = await makeWorkspace(h.services, { ownerEmail: 'imap-owner@example.com' });
    await h.services.channels.create(ws.ownerActor, { kind: 'email', name: 'Help', address: 'help@imap.test' });
    await dovecot.append(
      mailbox,
      [
        'From: "Noor Haddad" <noor@example.org>',
        'To: help@imap.test',
        'Subject: Where is my parcel?',
        'Message-ID: <noor-1@example.org>',
        '',
        'It was due on Monday.',
        '',
      ].join('\r\n'),
    );
    const page = await h.signIn('imap-owner@example.com');
    await page.getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    const section = page.getByTestId('imap-section');
    await section.getByRole('switch', { name: 'Fetch from an IMAP mailbox' }).check({ force: true });
    await section.getByRole('textbox', { name: 'IMAP server' }).fill(dovecot.host);
    await section.getByText('None', { exact: true }).click();
    await section.getByRole('textbox', { name: 'Port' }).fill(String(dovecot.port));
    await section.getByRole('textbox', { name: 'User name' }).fill(mailbox.user);
    await section.getByRole('textbox', { name: 'Password' }).fill(mailbox.password);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('table').textContent(), { timeout: 15_000 }).toContain('IMAP');

    const [channel] = await h.services.channels.list(ws.ownerActor);
    expect(channel?.settings.imap).toMatchObject({ host: dovecot.host, port: dovecot.port, security: 'none' });

    // Reopened: the password is not shown, only that one is stored; testing uses it.
    await page.getByRole('button', { name: 'Edit' }).click();
    await expect
      .poll(() => section.getByRole('textbox', { name: 'Password' }).getAttribute('placeholder'), { timeout: 15_000 })
      .toMatch(/Stored/);
    await section.getByRole('button', { name: 'Test connection' }).click();
    await expect
      .poll(() => section.getByTestId('imap-test-result').textContent(), { timeout: 15_000 })
      .toMatch(/Connected\. INBOX holds 1 message \(1 unread\)/);

    await section.getByRole('button', { name: 'Check mail now' }).click();
    await expect
      .poll(() => section.getByTestId('imap-status').textContent(), { timeout: 15_000 })
      .toContain('1 message imported');
    const tickets = (await h.services.tickets.list(ws.ownerActor, { queue: 'all' })).rows;
    expect(tickets.map((t) => t.subject)).toEqual(['Where is my parcel?']);
    await page.keyboard.press('Escape');

    // A wrong password: saved, the next check fails and says why.
    await page.getByRole('button', { name: 'Edit' }).click();
    await section.getByRole('textbox', { name: 'Password' }).fill('not-the-password');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Edit' }).click();
    await section.getByRole('button', { name: 'Check mail now' }).click();
    await expect
      .poll(() => section.getByTestId('imap-status').textContent(), { timeout: 15_000 })
      .toContain('refused the user name or password');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('table').textContent(), { timeout: 15_000 }).toContain('IMAP error');
    expect(h.pageErrors).toEqual([]);
  }, 120_000);
});
