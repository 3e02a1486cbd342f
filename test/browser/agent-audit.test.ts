/**
 * What a hands-on audit of an agent's and a support manager's day found, checked in a real browser against a real
 * server: merging a customer's tickets and splitting a message off from the inbox, the customer's timeline saying
 * names and labels (not ids and keys) for ticket changes, a contact form that can be added, linked and embedded in
 * another site, a call logged after it ended, duplicates merged after a question with the customer's tickets on their
 * page, a help article that is not thrown away by Escape, and a home page without invalid markup.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/services.ts';
import { makeUser, makeWorkspace } from '../factories.ts';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe.skipIf(browserSkip)('an agent and a support manager at work, in a browser', () => {
  let h: BrowserApp;
  let services: Services;

  beforeAll(async () => {
    h = await startBrowserApp();
    services = h.services;
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  /** React's complaints about the markup (an element where it may not be), which a user never sees but a reader does. */
  function markupErrors(page: Page): string[] {
    const seen: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /cannot (be a descendant|contain a nested)/.test(m.text())) seen.push(m.text());
    });
    return seen;
  }

  it('merges the same customer’s tickets into one and splits a message into a new ticket, from the inbox', async () => {
    const ws = await makeWorkspace(services, { name: 'Merge Co', ownerEmail: 'merge-owner@example.com' });
    const actor = ws.ownerActor;
    const first = await services.tickets.create(actor, {
      subject: 'Tent pole snapped',
      requester: { email: 'ola@example.org', name: 'Ola Nordmann' },
      text: 'A pole of my tent snapped on the first night.',
    });
    const second = await services.tickets.create(actor, {
      subject: 'Re: tent pole',
      requester: { email: 'ola@example.org' },
      text: 'Forgot to say: it is the 2-person tent, order 10422.',
    });
    // Another customer's ticket is not offered.
    await services.tickets.create(actor, {
      subject: 'Sizing',
      requester: { email: 'someone.else@example.org' },
      text: 'Which size?',
    });
    await services.tickets.reply(actor, first.id, { text: 'Also, can I change my delivery address?', internal: true });

    const page = await h.signIn('merge-owner@example.com');
    await page.goto(`${h.base}/inbox/${first.id}`);
    await page.getByRole('textbox', { name: 'Reply' }).waitFor();
    await page.getByRole('button', { name: 'More ticket actions' }).click();
    await page.getByRole('menuitem', { name: /Merge this customer’s tickets|Merge this customer's tickets/ }).click();
    const dialog = page.getByRole('dialog', { name: `Merge into #${first.number}` });
    await dialog.getByTestId('merge-candidate').first().waitFor();
    expect(await dialog.getByTestId('merge-candidate').allInnerTexts()).toEqual([
      expect.stringContaining(`#${second.number} Re: tent pole`),
    ]);
    expect(await dialog.getByRole('button', { name: 'Merge ticket' }).isDisabled()).toBe(true);
    await dialog.getByRole('checkbox').check();
    await dialog.getByRole('button', { name: 'Merge ticket' }).click();
    await dialog.waitFor({ state: 'detached' });
    // The second ticket's message is now in the first, without reloading; the second is closed and points here.
    await page.getByText('Forgot to say: it is the 2-person tent').waitFor();
    const merged = await services.tickets.get(actor, second.id);
    expect(merged.ticket.mergedIntoId).toBe(first.id);
    expect(merged.ticket.status).toBe('closed');

    // The note asked about something else: split it into its own ticket, with a subject the agent chooses.
    const note = page.locator('[data-message-direction="note"]');
    await note.getByRole('button', { name: 'Message actions' }).click();
    await page.getByRole('menuitem', { name: 'Split into a new ticket' }).click();
    const split = page.getByRole('dialog', { name: 'Split into a new ticket' });
    expect(await split.getByLabel('Subject of the new ticket').inputValue()).toBe(
      `Split from #${first.number}: Tent pole snapped`,
    );
    await split.getByLabel('Subject of the new ticket').fill('Change of delivery address');
    await split.getByRole('button', { name: 'Split' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/inbox/') && !u.pathname.endsWith(first.id));
    await expect.poll(() => page.getByRole('heading', { level: 3 }).textContent()).toBe('Change of delivery address');
    await page.getByText('Also, can I change my delivery address?').waitFor();
    const newId = new URL(page.url()).pathname.split('/').pop() ?? '';
    const created = await services.tickets.get(actor, newId);
    expect(created.ticket.personId).toBe(merged.ticket.personId);
    const left = await services.tickets.get(actor, first.id);
    expect(left.messages.map((m) => m.bodyText)).not.toContain('Also, can I change my delivery address?');
    expect(h.pageErrors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('tells ticket changes on the customer’s timeline with names and labels, and who moved the ticket', async () => {
    const ws = await makeWorkspace(services, { name: 'Words Co', ownerEmail: 'words-owner@example.com' });
    const { user: agent } = await makeUser(services, ws, {
      role: 'agent',
      email: 'words-agent@example.com',
      name: 'Wanda Agent',
    });
    const actor = ws.ownerActor;
    const team = await services.teams.create(actor, { name: 'Returns desk' });
    await services.fields.create(actor, { entity: 'ticket', label: 'Order number', key: 'order_number', type: 'text' });
    const t = await services.tickets.create(actor, {
      subject: 'Boots too small',
      requester: { email: 'kai@example.org', name: 'Kai Lund' },
      text: 'Can I exchange them?',
    });
    await services.tickets.update(actor, t.id, {
      assigneeId: agent.id,
      teamId: team.id,
      custom: { order_number: '10599' },
    });
    await services.tickets.update(actor, t.id, { status: 'pending' });

    const page = await h.signIn('words-owner@example.com');
    await page.goto(`${h.base}/people/${t.personId}`);
    const items = page.getByTestId('timeline-item');
    await items.first().waitFor();
    const changed = items.filter({ hasText: `ticket #${t.number}` }).and(page.locator('[data-type="ticket.updated"]'));
    await expect.poll(() => changed.innerText()).toMatch(/changed .* of ticket #\d+/);
    const text = await changed.innerText();
    const said = text.split('\n')[0] ?? '';
    for (const field of ['assignee', 'team', 'Order number']) expect(said).toContain(field);
    expect(text).toContain('Wanda Agent');
    expect(text).toContain('Returns desk');
    expect(text).toContain('10599');
    expect(text).not.toMatch(uuid);
    expect(text).not.toContain('assigneeId');
    expect(text).not.toContain('custom.order_number');
    // Who moved the ticket, in the words of the inbox.
    const moved = page.locator('[data-type="ticket.status_changed"]').first();
    expect(await moved.innerText()).toContain(`${ws.owner.name} moved ticket #${t.number} from Open to Pending`);
    expect(h.pageErrors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('adds a contact form in Settings → Channels, links it, and its page works inside another site', async () => {
    await makeWorkspace(services, { name: 'Form Co', ownerEmail: 'form-owner@example.com' });
    const page = await h.signIn('form-owner@example.com');
    await page.goto(`${h.base}/settings/channels`);
    await page.getByRole('button', { name: 'Add contact form' }).click();
    const install = page.getByTestId('form-install');
    await install.waitFor();
    const link = (await install.getByTestId('form-link').textContent())?.trim() ?? '';
    expect(link).toMatch(new RegExp(`^${h.base}/forms/[0-9a-f-]{36}$`));
    expect(await install.getByTestId('form-snippet').textContent()).toContain(`<iframe src="${link}"`);
    await page.getByRole('button', { name: 'Done' }).click();
    // The channel is listed, and "Install" shows the same link again.
    const row = page.getByRole('row', { name: /Contact form/ });
    expect(await row.textContent()).toContain('Web form');
    await row.getByRole('button', { name: 'Install' }).click();
    expect((await page.getByTestId('form-link').textContent())?.trim()).toBe(link);

    // A page of the company's own site (another origin) frames the form; the customer writes to them from there.
    const site = await page.context().newPage();
    // The shop is another origin: its own little server (a real loopback address, which Chromium lets frame another).
    const shopServer = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<h1>Northwind</h1><iframe src="${link}" style="width:600px;height:700px"></iframe>`);
    });
    await new Promise<void>((done) => shopServer.listen(0, '127.0.0.1', done));
    await site.goto(`http://127.0.0.1:${(shopServer.address() as AddressInfo).port}/contact`);
    const frame = site.frameLocator('iframe');
    await frame.getByLabel('Name').fill('Rita Lopes');
    await frame.getByLabel('E-mail').fill('rita.lopes@example.pt');
    await frame.getByLabel('Subject').fill('Opening hours at Easter');
    await frame.getByLabel('Message').fill('Are you open on Easter Monday?');
    await frame.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => frame.locator('body').innerText()).toMatch(/We have your message \(reference #\d+\)/);
    await site.close();
    shopServer.close();

    // The ticket is in the inbox, from the web form, with Rita as its customer.
    await page.goto(`${h.base}/inbox`);
    await page.getByRole('navigation', { name: 'Queues' }).getByRole('button', { name: 'All open' }).click();
    await page.locator('[data-ticket-row]').filter({ hasText: 'Opening hours at Easter' }).click();
    await page.getByRole('textbox', { name: 'Reply' }).waitFor();
    expect(await page.getByTestId('conversation-pane').innerText()).toContain('Web form');
    await page.getByTestId('ticket-details').getByRole('link', { name: 'Rita Lopes' }).waitFor();
    expect(await page.getByTestId('ticket-details').innerText()).toContain('rita.lopes@example.pt');
    expect(h.pageErrors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('logs a call that just ended with its duration and outcome, without the agent setting its start', async () => {
    const ws = await makeWorkspace(services, { name: 'Phone Co', ownerEmail: 'phone-owner@example.com' });
    const page = await h.signIn('phone-owner@example.com');
    await page.goto(`${h.base}/inbox`);
    await page.getByRole('button', { name: 'New ticket' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New ticket' });
    const call = dialog.getByRole('group', { name: 'Call' });
    await dialog.getByRole('textbox', { name: 'or phone' }).fill('+49 89 7654321');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Jens Vogel');
    await dialog.getByRole('textbox', { name: 'Subject' }).fill('Stove replacement status');
    await dialog.getByRole('textbox', { name: 'What the customer said' }).fill('Asked when the new stove ships.');
    // The start is "now" as the form opened; the call is logged after it: a duration moves the start back.
    await call.getByRole('textbox', { name: 'Duration' }).fill('4:30');
    await call.getByRole('combobox', { name: 'Outcome' }).click();
    await page.getByRole('option', { name: 'Resolved on the call' }).click();
    const start = new Date(await call.getByLabel('Started at').inputValue()).getTime();
    expect(Date.now() - start).toBeGreaterThanOrEqual(270_000);
    expect(Date.now() - start).toBeLessThan(270_000 + 2 * 60_000);
    await dialog.getByRole('button', { name: 'Open ticket' }).click();
    await page.waitForURL(/\/inbox\/[0-9a-f-]{36}$/);
    const details = page.getByTestId('call-details');
    await details.waitFor();
    expect(await details.textContent()).toContain('lasted 4 min 30 s');
    expect(await details.textContent()).toContain('resolved');
    expect(await page.getByTestId('conversation-pane').innerText()).toContain('Phone');
    await page.getByTestId('ticket-details').getByRole('link', { name: 'Jens Vogel' }).waitFor();
    const [ticket] = (await services.tickets.list(ws.ownerActor, { queue: 'all' })).rows;
    expect(ticket).toMatchObject({ channel: 'phone', subject: 'Stove replacement status' });
    expect(ticket?.firstResponseAt).not.toBeNull();
    expect(h.pageErrors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('lists people with one e-mail in two cases or one phone in two formats, merges after asking, keeps every ticket', async () => {
    const ws = await makeWorkspace(services, { name: 'Twins Co', ownerEmail: 'twins-owner@example.com' });
    const actor = ws.ownerActor;
    const person = async (input: { firstName: string; lastName: string; emails?: string[]; phones?: string[] }) =>
      (await services.people.create(actor, input)).person;
    const mara = await person({ firstName: 'Mara', lastName: 'Lind', emails: ['Mara.Lind@Example.org'] });
    const maraToo = await person({ firstName: 'Mara', lastName: 'Lind-Berg', emails: ['mara.lind@example.org'] });
    await person({ firstName: 'Theo', lastName: 'Brandt', phones: ['+49 30 1234567'] });
    await person({ firstName: 'Theodor', lastName: 'Brandt', phones: ['+49 (30) 123-4567'] });
    const t1 = await services.tickets.create(actor, {
      subject: 'Where is my tent?',
      requester: { personId: mara.id },
      text: 'Ordered last week.',
    });
    const t2 = await services.tickets.create(actor, {
      subject: 'Tent pole broken',
      requester: { personId: maraToo.id },
      text: 'A pole snapped.',
    });

    const page = await h.signIn('twins-owner@example.com');
    await page.goto(`${h.base}/people/duplicates`);
    const pairs = page.getByTestId('duplicate-pair');
    await pairs.first().waitFor();
    const listed = await pairs.allInnerTexts();
    expect(listed.some((p) => p.includes('Mara Lind') && p.includes('same email mara.lind@example.org'))).toBe(true);
    expect(listed.some((p) => p.includes('Theo') && p.includes('same phone +49301234567'))).toBe(true);

    await pairs.filter({ hasText: 'Mara' }).click();
    const panel = page.getByTestId('merge-panel');
    await panel.waitFor();
    const keep = (await panel.getByTestId('merge-button').innerText()).replace('Merge into ', '').trim();
    await panel.getByTestId('merge-button').click();
    // Nothing is merged before the question is answered.
    const ask = page.getByRole('dialog', { name: /^Merge .* into .*\?$/ });
    await ask.waitFor();
    expect(await ask.innerText()).toContain('This cannot be undone');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    expect((await services.people.get(actor, mara.id)).person.lastName).toBe('Lind');
    expect((await services.people.get(actor, maraToo.id)).person.lastName).toBe('Lind-Berg');
    await panel.getByTestId('merge-button').click();
    await ask.getByRole('button', { name: 'Merge', exact: true }).click();

    // The merged person's page: both tickets, and both on the timeline.
    await page.getByTestId('person-page').waitFor();
    expect(await page.getByTestId('person-name').innerText()).toBe(keep);
    const tickets = page.getByTestId('person-ticket');
    await expect.poll(() => tickets.count()).toBe(2);
    const said = (await tickets.allInnerTexts()).join('\n');
    expect(said).toContain(`#${t1.number} Where is my tent?`);
    expect(said).toContain(`#${t2.number} Tent pole broken`);
    const timeline = page.getByTestId('timeline-item');
    await expect.poll(async () => (await timeline.allInnerTexts()).join('\n')).toContain('merged the duplicate');
    const events = (await timeline.allInnerTexts()).join('\n');
    expect(events).toContain(`Ticket #${t1.number} opened: Where is my tent?`);
    expect(events).toContain(`Ticket #${t2.number} opened: Tent pole broken`);
    // A ticket links into the inbox.
    await tickets.getByRole('link', { name: `#${t2.number} Tent pole broken` }).click();
    await page.waitForURL(`${h.base}/inbox/${t2.id}`);
    expect(h.pageErrors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it('asks before throwing away a help article being written, and the home page has valid markup', async () => {
    await makeWorkspace(services, { name: 'Help Co', ownerEmail: 'help-owner@example.com' });
    const page = await h.signIn('help-owner@example.com');
    const markup = markupErrors(page);
    await page.reload();
    await page.getByTestId('tile-team').waitFor();
    await expect.poll(() => page.getByTestId('tile-team').innerText()).toMatch(/\d/);
    expect(markup).toEqual([]);

    await page.goto(`${h.base}/kb`);
    await page
      .getByRole('button', { name: /New article|Write an article/ })
      .first()
      .click();
    const drawer = page.getByRole('dialog', { name: /(New|Edit) article/ });
    await drawer.getByRole('textbox', { name: 'Title', exact: true }).fill('Cleaning a stove burner');
    await drawer.getByRole('textbox', { name: 'Body (Markdown)' }).fill('Soak the cap in warm soapy water.');
    await page.keyboard.press('Escape');
    const ask = page.getByRole('dialog', { name: 'Discard your changes?' });
    await ask.waitFor();
    await ask.getByRole('button', { name: 'Keep editing' }).click();
    await ask.waitFor({ state: 'detached' });
    expect(await drawer.getByRole('textbox', { name: 'Title', exact: true }).inputValue()).toBe(
      'Cleaning a stove burner',
    );
    expect(await drawer.getByRole('textbox', { name: 'Body (Markdown)' }).inputValue()).toBe(
      'Soak the cap in warm soapy water.',
    );
    // Saved, it closes without a question; an untouched new article too.
    await drawer.getByRole('button', { name: 'Save draft' }).click();
    await page.getByTestId('kb-articles').getByText('Cleaning a stove burner').waitFor();
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    expect(await page.getByRole('dialog', { name: 'Discard your changes?' }).count()).toBe(0);
    await page
      .getByRole('button', { name: /New article|Write an article/ })
      .first()
      .click();
    await page.getByRole('dialog', { name: /New article/ }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: /New article/ }).waitFor({ state: 'detached' });
    // Discarding does discard.
    await page
      .getByRole('button', { name: /New article|Write an article/ })
      .first()
      .click();
    await drawer.getByRole('textbox', { name: 'Title', exact: true }).fill('Never saved');
    await page.keyboard.press('Escape');
    await ask.getByRole('button', { name: 'Discard' }).click();
    await drawer.waitFor({ state: 'detached' });
    expect(await page.getByTestId('kb-articles').innerText()).not.toContain('Never saved');
    expect(h.pageErrors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
