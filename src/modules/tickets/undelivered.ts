import type { Db } from '../../db/client.ts';
import { systemActor } from '../../domain/permissions.ts';
import { appendEvent } from '../../events/events.ts';
import { applyRules } from '../rules/rules.service.ts';
import { refreshTicketSla } from '../sla/sla.service.ts';
import { findMessage, findTicket, ticketEvent, updateMessage, updateTicket } from './tickets.repository.ts';

/** The statuses in which a ticket waits on the customer or is done: an undelivered reply sends it back to open. */
const reopenedBy = new Set(['pending', 'on_hold', 'solved']);

/**
 * An agent's reply could not be delivered, for good (no address, no mail server, refused, out of retries): the message
 * says why, the ticket's timeline and webhooks get `ticket.reply_undelivered`, and a ticket that waits on the customer
 * or is solved goes back to open (with that reason), so that it is in the agents' queues again — the customer has not
 * heard from us. A closed ticket stays closed (closed is final). The SLA clock is not changed: like other help desks,
 * Rapport counts an agent's public reply as the response when it is sent.
 */
export async function recordUndeliveredReply(
  db: Db,
  workspaceId: string,
  messageId: string,
  reason: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    const message = await findMessage(tx, workspaceId, messageId);
    if (!message || message.delivery === 'sent' || message.delivery === 'failed') return;
    const ticket = await findTicket(tx, workspaceId, message.ticketId, { lock: true });
    await updateMessage(tx, workspaceId, messageId, { delivery: 'failed', deliveryError: reason });
    if (!ticket) return;
    const actor = systemActor(workspaceId);
    await appendEvent(
      tx,
      actor,
      ticketEvent(ticket, 'ticket.reply_undelivered', {
        messageId,
        reason,
        preview: message.bodyText.slice(0, 140),
      }),
    );
    if (ticket.mergedIntoId || !reopenedBy.has(ticket.status)) return;
    const after =
      (await updateTicket(tx, workspaceId, ticket.id, {
        status: 'open',
        ...(ticket.status === 'solved' ? { resolvedAt: null } : {}),
      })) ?? ticket;
    await appendEvent(
      tx,
      actor,
      ticketEvent(after, 'ticket.status_changed', { from: ticket.status, to: 'open', reason: 'reply not delivered' }),
    );
    await applyRules(tx, workspaceId, ticket.id, 'ticket.updated');
    await refreshTicketSla(tx, workspaceId, ticket.id);
  });
}
