/**
 * Macros and SOP checklists in a real browser: the owner writes a macro in Settings → Macros (the sample preview fills
 * its placeholders as they type) and a checklist for complaints in Settings → SOP checklists; in the inbox, the macro
 * picker previews the macro on a customer's ticket and applies it — the reply appears with the customer's name and the
 * status changes — and the checklist in the side panel is ticked.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkip, startBrowserApp, type BrowserApp } from './harness.ts';
import type { Services } from '../../src/services.ts';
import { makeWorkspace } from '../factories.ts';

describe.skipIf(browserSkip)('macros and checklists in a browser', () => {
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

  const signIn = (email: string): Promise<Page> => h.signIn(email);

  it('creates a macro in settings, applies it to a ticket in the inbox, and ticks the checklist', async () => {
    const ws = await makeWorkspace(services, { name: 'Mugs & Co', ownerEmail: 'macro-owner@example.com' });
    const page = await signIn('macro-owner@example.com');

    // Settings → Macros: a reply that also sets the ticket pending.
    await page.getByRole('link', { name: 'Macros' }).click();
    await page.getByRole('button', { name: 'New macro' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Need a photo');
    await dialog
      .getByRole('textbox', { name: 'Reply to the customer' })
      .fill('Hi {{customer.first_name|there}}, could you send a photo of the mug? #{{ticket.number}}');
    await expect
      .poll(() => dialog.getByTestId('macro-sample-preview').textContent())
      .toBe('Hi Amara, could you send a photo of the mug? #1042');
    // A typo is caught before saving.
    await dialog.getByRole('textbox', { name: 'Reply to the customer' }).fill('Hi {{customer.frist_name}}');
    await expect.poll(() => dialog.getByText(/did you mean customer\.first_name/).count()).toBe(1);
    expect(await dialog.getByRole('button', { name: 'Save macro' }).isDisabled()).toBe(true);
    await dialog
      .getByRole('textbox', { name: 'Reply to the customer' })
      .fill('Hi {{customer.first_name|there}}, could you send a photo of the mug?');
    await dialog.getByRole('combobox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'Pending' }).click();
    await dialog.getByRole('button', { name: 'Save macro' }).click();
    await expect.poll(() => page.locator('[data-macro="Need a photo"]').count()).toBe(1);
    expect(await page.locator('[data-macro="Need a photo"]').textContent()).toContain('status Pending');

    // Settings → SOP checklists: one required step for complaints.
    await page.getByRole('link', { name: 'SOP checklists' }).click();
    const complaints = page.locator('[data-sop-type="complaint"]');
    await complaints.getByRole('button', { name: 'Add step' }).click();
    await complaints.getByRole('textbox', { name: 'Step 1 of Complaint' }).fill('Ask for a photo of the damage');
    await complaints.getByRole('checkbox', { name: 'required' }).check();
    await complaints.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await services.sops.list(ws.ownerActor)).length).toBe(1);

    // A customer's complaint arrives (through the API).
    const ticket = await services.tickets.create(ws.ownerActor, {
      subject: 'My mug arrived broken',
      requester: { email: 'amara@example.com', name: 'Amara Okafor' },
      text: 'The mug was in pieces when it arrived.',
      type: 'complaint',
    });

    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.locator('[data-ticket-row]').filter({ hasText: 'My mug arrived broken' }).click();
    await expect.poll(() => page.getByText('The mug was in pieces').count()).toBe(1);
    const step = page.getByRole('checkbox', { name: /Ask for a photo of the damage/ });
    await step.waitFor();

    // The macro picker: search, preview on this ticket (the customer's name filled in), apply.
    await page.getByRole('button', { name: 'Macros' }).click();
    const picker = page.getByRole('dialog', { name: 'Apply a macro' });
    await picker.getByRole('textbox', { name: 'Search macros' }).fill('photo');
    await expect
      .poll(() => picker.getByTestId('macro-preview').textContent())
      .toBe('Hi Amara, could you send a photo of the mug?');
    expect(await picker.textContent()).toContain('Status: New → Pending');
    await picker.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('[data-message-direction="outbound"]').count()).toBe(1);
    expect(await page.locator('[data-message-direction="outbound"]').textContent()).toContain(
      'Hi Amara, could you send a photo of the mug?',
    );
    await expect.poll(() => page.getByRole('combobox', { name: 'Status' }).inputValue()).toBe('Pending');
    const after = await services.tickets.get(ws.ownerActor, ticket.id);
    expect(after.ticket.status).toBe('pending');
    expect((await services.macros.list(ws.ownerActor))[0]?.usageCount).toBe(1);

    // The checklist step is ticked in the side panel and stays ticked: once the macro picker has closed (its overlay
    // takes clicks while it fades out), and the box shows ticked when the server has the step done.
    await expect.poll(() => picker.isVisible()).toBe(false);
    await step.click();
    await expect.poll(() => step.isChecked()).toBe(true);
    await expect
      .poll(async () => (await services.sops.checklist(ws.ownerActor, ticket.id)).steps[0]?.doneAt ?? null)
      .not.toBeNull();
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
