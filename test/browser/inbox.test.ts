/**
 * The inbox in a real browser, with real mail both ways: a customer's e-mail reaches Rapport's SMTP endpoint, the agent
 * sees it in the inbox, answers from the composer, the answer leaves through SMTP to a sink threaded into the
 * customer's mail, the customer's reply appears in the same ticket, and the agent solves it with a keystroke.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type { Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { startInboundSmtp, type InboundSmtp } from '../../src/modules/channels/email.inbound.ts';
import { deliverEmail } from '../../src/modules/channels/email.outbound.ts';
import { ticketMessagePage } from '../../src/modules/tickets/tickets.service.ts';
import type { Services } from '../../src/services.ts';
import { makeWorkspace } from '../factories.ts';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';

describe.skipIf(browserSkip)('inbox in a browser', () => {
  let h: BrowserApp;
  let database: Database;
  let services: Services;
  let dataDir: string;
  let pageErrors: string[];
  let inbound: InboundSmtp;
  let sink: SMTPServer;
  let sinkPort: number;
  const sent: ParsedMail[] = [];

  async function mail(m: Mail.Options): Promise<void> {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: inbound.port, secure: false, ignoreTLS: true });
    try {
      await t.sendMail(m);
    } finally {
      t.close();
    }
  }

  beforeAll(async () => {
    h = await startBrowserApp();
    ({ database, services, dataDir, pageErrors } = h);
    inbound = await startInboundSmtp({ db: database.db, tickets: services.tickets, port: 0, host: '127.0.0.1' });
    // A real SMTP server standing in for the outside world: it keeps what Rapport sends.
    sink = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData(stream, _s, cb) {
        simpleParser(stream).then(
          (m) => {
            sent.push(m);
            cb();
          },
          (e: Error) => cb(e),
        );
      },
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    sinkPort = (sink.server.address() as AddressInfo).port;
  }, 180_000);

  afterAll(async () => {
    await inbound?.close();
    await new Promise<void>((resolve) => (sink ? sink.close(() => resolve()) : resolve()));
    await h?.close();
  });

  const signIn = (email: string): Promise<Page> => h.signIn(email);

  it('receives a mail, answers it threaded, gets the reply in the same ticket, and solves it', async () => {
    const ws = await makeWorkspace(services, { name: 'Mugs & Co', ownerEmail: 'desk-owner@example.com' });
    const page = await signIn('desk-owner@example.com');

    // The owner adds the support mailbox in Settings → Channels.
    await page.getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('button', { name: 'Add support mailbox' }).first().click();
    await page.getByRole('textbox', { name: 'Address customers write to' }).fill('help@mugs.test');
    await page
      .getByRole('textbox', { name: /Outgoing mail server/ })
      .fill(`smtp://127.0.0.1:${sinkPort}?ignoreTLS=true`);
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('table').textContent(), { timeout: 15_000 }).toContain('help@mugs.test');

    await mail({
      from: '"Lena Vogel" <lena@example.de>',
      to: 'help@mugs.test',
      subject: 'Handle came off my mug',
      messageId: '<lena-1@example.de>',
      text: 'The handle came off after two days. Can I get a replacement?',
    });

    await page.getByRole('link', { name: 'Inbox' }).click();
    const row = page.locator('[data-ticket-row]').filter({ hasText: 'Handle came off my mug' });
    // The queue names the customer on each ticket.
    await expect
      .poll(() => row.getByTestId('ticket-row-customer').textContent(), { timeout: 15_000 })
      .toBe('Lena Vogel');
    await row.click();
    await expect.poll(() => page.getByText('The handle came off after two days').count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => page.getByRole('link', { name: 'Lena Vogel' }).count(), { timeout: 15_000 }).toBe(1);

    // The workspace's own ticket types: add one in Settings → Workspace, then file the ticket under it.
    await page.getByRole('link', { name: 'Workspace' }).click();
    const typesCard = page.getByTestId('ticket-types');
    await typesCard.getByRole('button', { name: 'Add a type' }).click();
    await typesCard.getByRole('textbox', { name: 'Type 7 name' }).fill('Breakage');
    await typesCard.getByRole('button', { name: 'Save types' }).click();
    await expect
      .poll(async () => (await services.workspaces.current(ws.ownerActor)).settings.ticketTypes, { timeout: 15_000 })
      .toContainEqual({ key: 'breakage', label: 'Breakage' });
    await page.getByRole('link', { name: 'Inbox' }).click();
    await row.click();
    await page.getByRole('combobox', { name: 'Type' }).click();
    await page.getByRole('option', { name: 'Breakage' }).click();
    await expect
      .poll(async () => (await services.tickets.list(ws.ownerActor, { queue: 'all' })).rows[0]?.type, {
        timeout: 15_000,
      })
      .toBe('breakage');

    await page.keyboard.press('r');
    await page.getByRole('textbox', { name: 'Reply' }).fill('So sorry, Lena! A new mug ships today.');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => page.locator('[data-message-direction="outbound"]').count(), { timeout: 15_000 }).toBe(1);

    // The reply job sends it (the job runner's handler, called here so the test needs no clock).
    const [ticket] = (await services.tickets.list(ws.ownerActor, { queue: 'all' })).rows;
    if (!ticket) throw new Error('no ticket');
    const detail = await services.tickets.get(ws.ownerActor, ticket.id);
    const reply = detail.messages.find((m) => m.direction === 'outbound');
    if (!reply) throw new Error('no reply stored');
    await deliverEmail(database.db, ws.workspace.id, reply.id, 1, dataDir);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.inReplyTo).toBe('<lena-1@example.de>');
    expect(sent[0]?.subject).toBe(`Re: Handle came off my mug [#${ticket.number}]`);

    await mail({
      from: 'lena@example.de',
      to: 'help@mugs.test',
      subject: sent[0]?.subject ?? '',
      inReplyTo: sent[0]?.messageId ?? '',
      references: ['<lena-1@example.de>', sent[0]?.messageId ?? ''],
      text: 'Wonderful, thank you!',
    });
    // The open ticket refreshes itself.
    await expect.poll(() => page.getByText('Wonderful, thank you!').count(), { timeout: 15_000 }).toBe(1);

    await page.locator('body').click({ position: { x: 5, y: 400 } });
    await page.keyboard.press('e');
    await expect
      .poll(async () => (await services.tickets.get(ws.ownerActor, ticket.id)).ticket.status, { timeout: 15_000 })
      .toBe('solved');
    expect((await services.tickets.list(ws.ownerActor, { queue: 'all' })).rows).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('defines ticket fields in Settings, then fills them in the ticket side panel and on a new ticket; they stay after a reload', async () => {
    const ws = await makeWorkspace(services, { name: 'Field Co', ownerEmail: 'fields-owner@example.com' });
    const page = await signIn('fields-owner@example.com');

    // Settings → Custom fields: Tickets, two fields.
    await page.getByRole('link', { name: 'Custom fields' }).click();
    await page
      .locator('label')
      .filter({ hasText: /^Tickets$/ })
      .click();
    await page.getByRole('button', { name: 'New field' }).click();
    await page.getByRole('textbox', { name: 'Label' }).fill('Order number');
    await page.getByRole('button', { name: 'Add field' }).click();
    await expect
      .poll(() => page.getByTestId('custom-fields-table').textContent(), { timeout: 15_000 })
      .toContain('custom.order_number');
    await page.getByRole('button', { name: 'New field' }).click();
    await page.getByRole('textbox', { name: 'Label' }).fill('Product area');
    await page.getByRole('combobox', { name: 'Type' }).click();
    await page.getByRole('option', { name: 'Single choice' }).click();
    const options = page.getByRole('combobox', { name: 'Options' });
    for (const o of ['Mugs', 'Teapots']) {
      await options.fill(o);
      await options.press('Enter');
    }
    await page.getByRole('button', { name: 'Add field' }).click();
    await expect
      .poll(() => page.getByTestId('custom-fields-table').textContent(), { timeout: 15_000 })
      .toContain('custom.product_area');
    const fields = await services.fields.list(ws.ownerActor, 'ticket');
    expect(fields.map((f) => [f.key, f.type])).toEqual([
      ['order_number', 'text'],
      ['product_area', 'select'],
    ]);

    const t = await services.tickets.create(ws.ownerActor, {
      subject: 'Chipped teapot',
      requester: { email: 'kim@example.org', name: 'Kim Lee' },
      text: 'The spout arrived chipped.',
    });
    await page.goto(`${h.base}/inbox/${t.id}`);
    await page.getByRole('button', { name: 'Edit Order number' }).click();
    await page.getByRole('textbox', { name: 'Order number' }).fill('M-2041');
    await page.getByRole('textbox', { name: 'Order number' }).press('Enter');
    await expect
      .poll(async () => (await services.tickets.get(ws.ownerActor, t.id)).ticket.custom, { timeout: 15_000 })
      .toEqual({ order_number: 'M-2041' });
    await page.getByRole('button', { name: 'Edit Product area' }).click();
    await page.getByRole('combobox', { name: 'Product area' }).click();
    await page.getByRole('option', { name: 'Teapots' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(async () => (await services.tickets.get(ws.ownerActor, t.id)).ticket.custom, { timeout: 15_000 })
      .toEqual({ order_number: 'M-2041', product_area: 'Teapots' });

    // After a reload the side panel shows what is stored.
    await page.reload();
    await expect
      .poll(() => page.getByRole('button', { name: 'Edit Order number' }).textContent(), { timeout: 15_000 })
      .toContain('M-2041');
    await expect
      .poll(() => page.getByRole('button', { name: 'Edit Product area' }).textContent(), { timeout: 15_000 })
      .toContain('Teapots');
    const history = await services.tickets.history(ws.ownerActor, t.id, { limit: 20, type: 'ticket.updated' });
    expect(history.map((e) => e.payload.changes)).toContainEqual({
      'custom.product_area': { from: null, to: 'Teapots' },
    });

    // The "new ticket" form asks for the ticket fields too.
    await page.getByRole('button', { name: 'New ticket' }).click();
    const dialog = page.getByRole('dialog', { name: 'New ticket' });
    await dialog.getByRole('textbox', { name: 'Customer e-mail' }).fill('ray@example.org');
    await dialog.getByRole('textbox', { name: 'Subject' }).fill('Lid does not fit');
    await dialog.getByRole('textbox', { name: 'Order number' }).fill('M-3000');
    await dialog.getByRole('button', { name: 'Open ticket' }).click();
    await expect
      .poll(
        async () =>
          (await services.tickets.list(ws.ownerActor, { queue: 'all', filter: 'custom.order_number:eq:M-3000' })).rows
            .length,
        { timeout: 15_000 },
      )
      .toBe(1);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('shows a long ticket’s newest messages, and the earlier ones a page at a time on request', async () => {
    const ws = await makeWorkspace(services, { name: 'Long Co', ownerEmail: 'long-owner@example.com' });
    const t = await services.tickets.create(ws.ownerActor, {
      subject: 'A long story',
      requester: { email: 'long@example.org', name: 'Lou Long' },
      text: 'Note 0',
    });
    // The ticket comes with its newest ticketMessagePage messages: 30 more than that leaves 31 earlier ones.
    for (let i = 1; i <= ticketMessagePage + 30; i++)
      await services.tickets.reply(ws.ownerActor, t.id, { text: `Note ${i}`, internal: true });
    const page = await signIn('long-owner@example.com');
    await page.goto(`${h.base}/inbox/${t.id}`);
    const newest = `Note ${ticketMessagePage + 30}`;
    await expect.poll(() => page.getByText(newest, { exact: true }).count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByText('Note 30', { exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Show earlier messages' }).click();
    await expect.poll(() => page.getByText('Note 0', { exact: true }).count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByText('Note 30', { exact: true }).count()).toBe(1);
    // Every message once, and nothing more to show.
    expect(await page.getByText(/^Note \d+$/).count()).toBe(ticketMessagePage + 31);
    expect(await page.getByRole('button', { name: 'Show earlier messages' }).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('sets up an SLA policy and the recommended escalations, then shows a legal threat escalated with its clock', async () => {
    const ws = await makeWorkspace(services, { name: 'Escalation Co', ownerEmail: 'esc-owner@example.com' });
    await services.channels.create(ws.ownerActor, { kind: 'email', name: 'Help', address: 'help@escalation.test' });
    const page = await signIn('esc-owner@example.com');

    await page.getByRole('link', { name: 'Service levels' }).click();
    await page.getByRole('button', { name: 'Add policy' }).first().click();
    await page.getByRole('textbox', { name: 'Name' }).fill('Everyone');
    await page.getByRole('textbox', { name: 'First response (min)' }).fill('120');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('table').textContent(), { timeout: 15_000 }).toContain('2 h');

    await page.getByRole('link', { name: 'Rules & escalation' }).click();
    await page.getByRole('button', { name: 'Add recommended escalations' }).first().click();
    await expect.poll(() => page.locator('table').textContent(), { timeout: 15_000 }).toContain('Legal threat');

    // A time rule: pending for three days → solved.
    await page.getByRole('button', { name: 'New rule' }).click();
    const modal = page.getByRole('dialog');
    await modal.getByRole('textbox', { name: 'Name' }).fill('Pending three days');
    await modal.getByRole('combobox', { name: 'When' }).click();
    await page.getByRole('option', { name: 'Time has passed since…' }).click();
    await modal.getByRole('textbox', { name: 'Hours' }).fill('72');
    await modal.getByRole('combobox', { name: 'after' }).click();
    await page.getByRole('option', { name: 'the status last changed' }).click();
    await modal.getByLabel('and the status is one of').click({ force: true });
    await page.getByRole('option', { name: 'Pending' }).click();
    await page.keyboard.press('Escape');
    // A time rule starts with no action (no priority change): it cannot be saved until one is chosen.
    expect(await modal.getByTestId('rule-no-actions').textContent()).toContain('Choose at least one action');
    expect(await modal.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await modal.getByRole('combobox', { name: 'Set status to' }).click();
    await page.getByRole('option', { name: 'Solved' }).click();
    expect(await modal.getByTestId('rule-no-actions').count()).toBe(0);
    await modal.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(() => page.locator('table').textContent(), { timeout: 15_000 })
      .toContain('3 days after the status last changed');
    const timeRule = (await services.rules.list(ws.ownerActor)).find((r) => r.name === 'Pending three days');
    expect(timeRule).toMatchObject({
      trigger: 'ticket.time_elapsed',
      delay: { since: 'status_changed', hours: 72 },
      conditions: [{ field: 'status', op: 'in', value: ['pending'] }],
      actions: [{ type: 'set_status', value: 'solved' }],
    });

    await mail({
      from: 'furious@example.org',
      to: 'help@escalation.test',
      subject: 'Final warning',
      text: 'My solicitor is preparing the papers.',
    });
    await page.getByRole('link', { name: 'Inbox' }).click();
    const row = page.locator('[data-ticket-row]').filter({ hasText: 'Final warning' });
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('urgent');
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toMatch(/in \d+ (min|h)/);
    const [t] = (await services.tickets.list(ws.ownerActor, { queue: 'all' })).rows;
    expect(t?.priority).toBe('urgent');
    expect(t?.tags).toContain('escalated');
    expect(pageErrors).toEqual([]);
  }, 120_000);
  it('changes several tickets at once from the list: assigns, sets a status, adds a tag; a closed one is named', async () => {
    const ws = await makeWorkspace(services, { name: 'Bulk Desk', ownerEmail: 'bulk-owner@example.com' });
    const open = (subject: string) =>
      services.tickets.create(ws.ownerActor, {
        subject,
        requester: { email: `${subject.split(' ')[0]?.toLowerCase()}@bulk.test` },
        channel: 'email',
        text: subject,
      });
    const a = await open('Spam offer one');
    const b = await open('Spam offer two');
    const c = await open('Spam offer three');
    const keep = await open('Real question');
    const page = await h.signIn('bulk-owner@example.com');
    await page.goto(`${h.base}/inbox`);
    const queues = page.getByRole('navigation', { name: 'Queues' });
    await queues.getByLabel('All tickets').or(queues.getByText('All tickets')).first().click();
    await page.getByLabel(`Select ticket #${a.number}`).waitFor({ timeout: 15_000 });
    // The third one gets closed elsewhere meanwhile: it cannot be reopened, and says so.
    await services.tickets.update(ws.ownerActor, c.id, { status: 'closed' });
    for (const t of [a, b, c]) await page.getByLabel(`Select ticket #${t.number}`).check();
    const bar = page.getByTestId('ticket-bulk-bar');
    await expect.poll(() => bar.textContent()).toContain('3 selected');

    await bar.getByRole('button', { name: 'Tags' }).click();
    const tagsInput = page.getByPlaceholder('Type a tag, press Enter');
    await tagsInput.fill('spam');
    await tagsInput.press('Enter');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    // Done, the selection goes; tags go on closed tickets too.
    await bar.waitFor({ state: 'hidden', timeout: 15_000 });
    const stored = async (id: string) => (await services.tickets.get(ws.ownerActor, id)).ticket;
    await expect.poll(async () => (await stored(c.id)).tags, { timeout: 15_000 }).toEqual(['spam']);
    expect((await stored(a.id)).tags).toEqual(['spam']);
    expect((await stored(b.id)).tags).toEqual(['spam']);

    // Pending for all three: the closed one stays closed and is named with the reason.
    for (const t of [a, b, c]) await page.getByLabel(`Select ticket #${t.number}`).check();
    await bar.getByRole('button', { name: 'Status' }).click();
    await page.getByRole('menuitem', { name: 'Pending' }).click();
    await page.getByText('1 ticket not changed').waitFor({ timeout: 15_000 });
    expect(await page.getByText(`#${c.number}: Ticket #${c.number} is closed`).count()).toBe(1);
    expect((await stored(c.id)).status).toBe('closed');

    // Assign the two to me.
    for (const t of [a, b]) await page.getByLabel(`Select ticket #${t.number}`).check();
    await bar.getByRole('button', { name: 'Assign' }).click();
    await page.getByRole('menuitem', { name: 'To me' }).click();
    await bar.waitFor({ state: 'hidden', timeout: 15_000 });
    await expect.poll(async () => (await stored(b.id)).assigneeId, { timeout: 15_000 }).toBe(ws.owner.id);
    for (const t of [a, b]) expect(await stored(t.id)).toMatchObject({ status: 'pending', assigneeId: ws.owner.id });
    // x ticks the open ticket, and again unticks it.
    await page.goto(`${h.base}/inbox/${keep.id}`);
    await page.getByText('Real question', { exact: true }).first().waitFor({ timeout: 15_000 });
    await page.getByLabel(`Select ticket #${keep.number}`).waitFor({ timeout: 15_000 });
    await page.keyboard.press('x');
    await expect.poll(() => bar.textContent()).toContain('1 selected');
    expect(await page.getByLabel(`Select ticket #${keep.number}`).isChecked()).toBe(true);
    await page.keyboard.press('x');
    await bar.waitFor({ state: 'hidden' });
    // The ticket that was not ticked is untouched.
    expect(await stored(keep.id)).toMatchObject({ status: 'new', assigneeId: null, tags: [] });
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
