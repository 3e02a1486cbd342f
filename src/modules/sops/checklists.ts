/**
 * The two points where the service desk meets SOP checklists, called inside the ticket's own transaction: a ticket
 * taking a type gets that type's checklist, and solving checks it.
 */
import type { DbOrTx } from '../../db/client.ts';
import type { Actor } from '../../domain/permissions.ts';
import { checklistForType, unfinishedRequired } from '../../domain/macros.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { ticketEvent } from '../tickets/tickets.repository.ts';
import {
  deleteTicketChecklist,
  findSop,
  findTicketChecklist,
  saveTicketChecklist,
  type SopRow,
} from './sops.repository.ts';

type TicketRef = { id: string; number: number; subject: string; type: string; personId: string | null };

/**
 * Gives the ticket the checklist of its (new) type, keeping steps ticked earlier whose text the new SOP also has (and
 * ticked steps it lacks, at the end). Nothing happens when neither the type nor the ticket has a checklist.
 * `known` spares lookups the caller has already made: the SOP of the ticket's type (read earlier in the same
 * transaction), and `fresh` for a ticket inserted by this transaction (it cannot have a checklist yet).
 */
export async function syncTicketChecklist(
  tx: DbOrTx,
  actor: Actor,
  ticket: TicketRef,
  known: { sop?: SopRow | null; fresh?: boolean } = {},
): Promise<void> {
  const ws = actor.workspaceId;
  const sop = known.sop !== undefined ? known.sop : await findSop(tx, ws, ticket.type);
  const current = known.fresh ? null : await findTicketChecklist(tx, ws, ticket.id, { lock: true });
  if (!sop?.steps.length && !current) return;
  if (current && current.ticketType === ticket.type) return;
  const steps = checklistForType(current?.steps ?? [], sop?.steps ?? [], current?.ticketType ?? null);
  if (!steps.length) {
    if (current) await deleteTicketChecklist(tx, ws, ticket.id);
  } else await saveTicketChecklist(tx, { workspaceId: ws, ticketId: ticket.id, ticketType: ticket.type, steps });
  await appendEvent(
    tx,
    actor,
    ticketEvent(ticket, 'ticket.checklist_attached', {
      ticketType: ticket.type,
      previousType: current?.ticketType ?? null,
      steps: steps.length,
      done: steps.filter((s) => s.doneAt).length,
    }),
  );
}

/** 409 with the unticked required steps when the ticket's type forbids solving before its SOP is done. */
export async function assertChecklistAllowsSolve(
  tx: DbOrTx,
  workspaceId: string,
  ticket: { id: string; number: number; type: string },
): Promise<void> {
  const sop = await findSop(tx, workspaceId, ticket.type);
  if (!sop?.blockSolve) return;
  const checklist = await findTicketChecklist(tx, workspaceId, ticket.id);
  const open = unfinishedRequired(checklist?.steps ?? []);
  if (!open.length) return;
  throw new AppError(
    'conflict',
    `Ticket #${ticket.number} cannot be solved yet: ${open.length} required step${open.length > 1 ? 's' : ''} of its checklist ${open.length > 1 ? 'are' : 'is'} not done`,
    { reason: 'checklist_incomplete', steps: open.map((s) => ({ id: s.id, text: s.text })) },
  );
}
