/**
 * What an audit of the service desk by the manager of a support team asked for, in a real browser against a real
 * server at laptop size (1280×800): a rule can be changed after it is made (it could only be switched off or
 * removed), keeping the conditions and actions the form has no control for; a rule can assign to an agent; rules
 * can be put in the order they run; the inbox list can be narrowed to one team, one agent, a status, a priority or
 * a channel; several tickets can be moved to a team at once; a live chat, contact form, phone or API channel can be
 * renamed and routed to a team (only an e-mail channel could be edited), and an e-mail channel can go back to the
 * server's SMTP default; a team's members are chosen among the people who work tickets (marketers, viewers and
 * disabled users were offered); the close button of a dialog has a name.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/services.ts';
import { makeUser, makeWorkspace } from '../factories.ts';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';

const laptop = { width: 1280, height: 800 };

/** The numbers of the tickets the inbox list shows. */
const listedNumbers = (page: Page) =>
  page
    .getByTestId('ticket-list-pane')
    .locator('[data-ticket-row]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-ticket-row'))).sort((a, b) => a - b));

describe.skipIf(browserSkip)('a support manager setting up and running the desk, in a browser', () => {
  let h: BrowserApp;
  let services: Services;

  beforeAll(async () => {
    h = await startBrowserApp();
    services = h.services;
  }, 180_000);

  afterAll(async () => {
    await h?.close();
  });

  it('edits a rule: prefilled, keeps what the form cannot show, and can assign to an agent', async () => {
    const ws = await makeWorkspace(services, { name: 'Rules Co', ownerEmail: 'rules-owner@example.com' });
    const agent = await makeUser(services, ws, { role: 'agent', name: 'Noor Haddad' });
    const rule = await services.rules.create(ws.ownerActor, {
      name: 'Unanswered urgent',
      trigger: 'ticket.created',
      conditions: [
        { field: 'text', op: 'contains_any', value: ['refund'] },
        // No control in the form for a priority test: it must survive an edit.
        { field: 'priority', op: 'in', value: ['low', 'normal'] },
      ],
      actions: [
        { type: 'set_priority', value: 'high' },
        { type: 'add_tags', tags: ['money'] },
      ],
    });
    const page = await h.signIn('rules-owner@example.com', laptop);
    await page.goto(`${h.base}/settings/rules`);
    await page.getByRole('button', { name: 'Edit Unanswered urgent' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit rule Unanswered urgent' });
    await expect(dialog.getByLabel('Name').inputValue()).resolves.toBe('Unanswered urgent');
    await expect(dialog.getByLabel('Raise priority to', { exact: true }).inputValue()).resolves.toBe('high');
    await expect(dialog.getByTestId('rule-kept').textContent()).resolves.toContain('priority is low, normal');
    // Assign to the agent as well, and rename.
    await dialog.getByLabel('Assign to', { exact: true }).click();
    await page.getByRole('option', { name: 'Noor Haddad' }).click();
    await dialog.getByLabel('Name').fill('Refunds to Noor');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });

    await expect
      .poll(async () => (await services.rules.list(ws.ownerActor)).find((r) => r.id === rule.id)?.name)
      .toBe('Refunds to Noor');
    const saved = (await services.rules.list(ws.ownerActor)).find((r) => r.id === rule.id);
    expect(saved?.conditions).toEqual(
      expect.arrayContaining([
        { field: 'text', op: 'contains_any', value: ['refund'] },
        { field: 'priority', op: 'in', value: ['low', 'normal'] },
      ]),
    );
    expect(saved?.conditions).toHaveLength(2);
    expect(saved?.actions).toEqual(
      expect.arrayContaining([
        { type: 'set_priority', value: 'high' },
        { type: 'add_tags', tags: ['money'] },
        { type: 'assign', userId: agent.user.id },
      ]),
    );
    // The list says whom it assigns to (once it has read the saved rule again).
    await expect.poll(() => page.getByText('assign to Noor Haddad').isVisible(), { timeout: 15_000 }).toBe(true);
    // And it works: a refund request is assigned to Noor.
    const t = await services.tickets.create(ws.ownerActor, {
      subject: 'Money back',
      requester: { email: 'refund@example.org' },
      text: 'I would like a refund please.',
    });
    expect(t.assigneeId).toBe(agent.user.id);
    expect(h.pageErrors).toEqual([]);
  });

  it('reorders rules: they run from the top, and a later rule sees what an earlier one did', async () => {
    const ws = await makeWorkspace(services, { name: 'Order Co', ownerEmail: 'order-owner@example.com' });
    const [first, second] = [
      await makeUser(services, ws, { role: 'agent' }),
      await makeUser(services, ws, { role: 'agent' }),
    ];
    const rule = (name: string, userId: string) =>
      services.rules.create(ws.ownerActor, {
        name,
        trigger: 'ticket.created',
        conditions: [],
        actions: [{ type: 'assign', userId }],
      });
    await rule('To the first agent', first.user.id);
    await rule('To the second agent', second.user.id);
    const opened = () =>
      services.tickets
        .create(ws.ownerActor, { subject: 'Hi', requester: { email: 'someone@example.org' }, text: 'Hello' })
        .then((t) => t.assigneeId);
    // The later rule wins.
    expect(await opened()).toBe(second.user.id);

    const page = await h.signIn('order-owner@example.com', laptop);
    await page.goto(`${h.base}/settings/rules`);
    const names = () =>
      page.getByTestId('rule-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rule')));
    await expect.poll(names).toEqual(['To the first agent', 'To the second agent']);
    await expect.poll(() => page.getByRole('button', { name: 'Move To the first agent up' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Move To the second agent up' }).click();
    await expect.poll(names).toEqual(['To the second agent', 'To the first agent']);
    expect(await opened()).toBe(first.user.id);
    expect(h.pageErrors).toEqual([]);
  });

  it('narrows the inbox to a team, an agent or a priority, and moves tickets to a team in bulk', async () => {
    const ws = await makeWorkspace(services, { name: 'Lead Co', ownerEmail: 'lead-owner@example.com' });
    const actor = ws.ownerActor;
    const jonas = await makeUser(services, ws, { role: 'agent', name: 'Jonas Lind' });
    const billing = await services.teams.create(actor, { name: 'Billing' });
    const returns = await services.teams.create(actor, { name: 'Returns' });
    const make = (subject: string, extra: Record<string, unknown>) =>
      services.tickets
        .create(actor, { subject, requester: { email: `${subject.replace(/\W/g, '')}@example.org` }, text: subject })
        .then((t) =>
          Object.keys(extra).length ? services.tickets.update(actor, t.id, extra).then(() => t.number) : t.number,
        );
    const invoice = await make('Invoice wrong', { teamId: billing.id, assigneeId: jonas.user.id });
    const charge = await make('Charged twice', { teamId: billing.id, priority: 'urgent' });
    const parcel = await make('Parcel lost', { assigneeId: jonas.user.id });
    const size = await make('Wrong size', {});

    const page = await h.signIn('lead-owner@example.com', laptop);
    await page.goto(`${h.base}/inbox`);
    await page.locator('[data-queue="open"]').click();
    await expect.poll(() => listedNumbers(page)).toEqual([invoice, charge, parcel, size].sort((a, b) => a - b));

    const pick = async (label: string, option: string) => {
      const filters = page.getByTestId('inbox-filters');
      if (!(await filters.isVisible())) await page.getByTestId('inbox-filter-button').click();
      await filters.getByRole('combobox', { name: label }).click();
      await filters.getByRole('option', { name: option, exact: true }).click();
    };
    await pick('Team', 'Billing');
    await expect.poll(() => listedNumbers(page)).toEqual([invoice, charge].sort((a, b) => a - b));
    await pick('Priority', 'Urgent');
    await expect.poll(() => listedNumbers(page)).toEqual([charge]);
    await page.getByTestId('inbox-filters').getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => listedNumbers(page)).toHaveLength(4);
    await pick('Assignee', 'Jonas Lind');
    await expect.poll(() => listedNumbers(page)).toEqual([invoice, parcel].sort((a, b) => a - b));
    await pick('Assignee', 'Unassigned');
    await expect.poll(() => listedNumbers(page)).toEqual([charge, size].sort((a, b) => a - b));
    // The filter button says filters are on; they are kept for the next visit.
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('inbox-filter-button').getAttribute('aria-label')).resolves.toBe(
      'Filter tickets (1 on)',
    );
    await page.reload();
    await expect.poll(() => listedNumbers(page)).toEqual([charge, size].sort((a, b) => a - b));
    // Nothing matches: said so, with a way out.
    await pick('Channel', 'Chat');
    await expect.poll(() => page.getByTestId('ticket-list-pane').textContent()).toContain('with these filters');
    await page.keyboard.press('Escape');
    await page.getByTestId('ticket-list-pane').getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => listedNumbers(page)).toHaveLength(4);

    // Both unassigned tickets go to Returns in one step.
    const pane = page.getByTestId('ticket-list-pane');
    for (const n of [charge, size]) await pane.getByRole('checkbox', { name: `Select ticket #${n}` }).check();
    const bar = page.getByTestId('ticket-bulk-bar');
    await bar.getByRole('button', { name: 'Team' }).click();
    await page.getByRole('menuitem', { name: 'Returns' }).click();
    await expect
      .poll(async () => {
        const all = await services.tickets.list(actor, { queue: 'all', limit: 50 });
        return all.rows
          .filter((t) => t.teamId === returns.id)
          .map((t) => t.number)
          .sort((a, b) => a - b);
      })
      .toEqual([charge, size].sort((a, b) => a - b));
    expect(h.pageErrors).toEqual([]);
  });

  it('routes a live chat to a team and renames it; an e-mail channel goes back to the default SMTP server', async () => {
    const ws = await makeWorkspace(services, { name: 'Chan Co', ownerEmail: 'chan-owner@example.com' });
    const team = await services.teams.create(ws.ownerActor, { name: 'Chat squad' });
    const chat = await services.channels.create(ws.ownerActor, { kind: 'chat', name: 'Live chat' });
    const mail = await services.channels.create(ws.ownerActor, {
      kind: 'email',
      name: 'Help',
      address: 'help@chan.test',
      settings: { smtpUrl: 'smtps://user:secret@smtp.chan.test:465' },
    });
    const page = await h.signIn('chan-owner@example.com', laptop);
    await page.goto(`${h.base}/settings/channels`);
    // A live chat had Install and Remove only: its name and team could not be changed after it was added.
    await page.getByRole('button', { name: 'Edit Live chat' }).click();
    const dialog = page.getByRole('dialog', { name: 'Chat channel' });
    await dialog.getByLabel('Name').fill('Website chat');
    await dialog.getByRole('combobox', { name: 'New tickets go to team' }).click();
    await page.getByRole('option', { name: 'Chat squad' }).click();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect
      .poll(async () => {
        const c = await services.channels.get(ws.ownerActor, chat.id);
        return [c.name, c.teamId];
      })
      .toEqual(['Website chat', team.id]);
    // New chats land in the team's queue.
    const t = await services.tickets.create(ws.ownerActor, {
      subject: 'Hello from the site',
      channel: 'chat',
      requester: { email: 'visitor@example.org' },
      text: 'Hi!',
    });
    expect(t.teamId).toBe(team.id);

    // Once a channel had its own SMTP server, leaving the field empty kept it: there was no way back to the default.
    await page.getByRole('button', { name: 'Edit Help' }).click();
    const edit = page.getByRole('dialog', { name: 'E-mail channel' });
    await edit.getByLabel("Send through the server's default instead (RAPPORT_SMTP_URL)").check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await expect
      .poll(async () => (await services.channels.get(ws.ownerActor, mail.id)).settings.smtpUrl ?? null)
      .toBeNull();
    expect(h.pageErrors).toEqual([]);
  });

  it('offers as team members only the people who work tickets, naming an existing member who cannot', async () => {
    const ws = await makeWorkspace(services, { name: 'Team Co', ownerEmail: 'team-owner@example.com' });
    const agent = await makeUser(services, ws, { role: 'agent', name: 'Ada Agent' });
    await makeUser(services, ws, { role: 'marketer', name: 'Mark Marketer' });
    const viewer = await makeUser(services, ws, { role: 'viewer', name: 'Vera Viewer' });
    const gone = await makeUser(services, ws, { role: 'agent', name: 'Dora Disabled' });
    await services.users.update(ws.ownerActor, gone.user.id, { status: 'disabled' });
    await services.teams.create(ws.ownerActor, { name: 'Front line', memberIds: [viewer.user.id] });
    const page = await h.signIn('team-owner@example.com', laptop);
    await page.goto(`${h.base}/settings/teams`);
    await page.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog');
    // The member made before is shown for what they are, so that they can be taken out.
    await expect.poll(() => dialog.getByText('Vera Viewer (viewer)').isVisible()).toBe(true);
    await dialog.getByLabel('Members', { exact: true }).click();
    const options = await page.getByRole('option').allTextContents();
    expect(options).toContain('Ada Agent');
    expect(options.some((o) => o.includes('Mark Marketer'))).toBe(false);
    expect(options.some((o) => o.includes('Dora Disabled'))).toBe(false);
    await page.getByRole('option', { name: 'Ada Agent' }).click();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect
      .poll(async () => (await services.teams.list(ws.ownerActor))[0]?.memberIds.slice().sort())
      .toEqual([agent.user.id, viewer.user.id].sort());
    expect(h.pageErrors).toEqual([]);
  });

  it('names the close button of dialogs', async () => {
    await makeWorkspace(services, { name: 'Names Co', ownerEmail: 'names-owner@example.com' });
    const page = await h.signIn('names-owner@example.com', laptop);
    await page.goto(`${h.base}/settings/channels`);
    await page.getByRole('button', { name: 'Add support mailbox' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(h.pageErrors).toEqual([]);
  });
});
