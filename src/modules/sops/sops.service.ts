import { sql } from 'drizzle-orm';
import { rowsOf, type Db, type DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import type { ChecklistStep } from '../../db/schema/index.ts';
import { stepKey, unfinishedRequired } from '../../domain/macros.ts';
import type { Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { actorRef } from '../people/people.service.ts';
import { findTicket } from '../tickets/tickets.repository.ts';
import { wellFormed } from '../tickets/sanitize.ts';
import { ticketTypesOf } from '../../domain/tickets.ts';
import {
  deleteSop,
  findSop,
  findTicketChecklist,
  listSops,
  saveTicketChecklist,
  upsertSop,
  type SopRow,
} from './sops.repository.ts';

export type SopsService = ReturnType<typeof createSopsService>;

export type SopInput = {
  steps: Array<{ id?: string | undefined; text: string; required?: boolean | undefined }>;
  blockSolve?: boolean | undefined;
};

export type TicketChecklist = {
  ticketId: string;
  ticketType: string;
  steps: ChecklistStep[];
  blockSolve: boolean;
  complete: boolean;
};

async function ticketTypes(tx: DbOrTx, workspaceId: string) {
  const r = await tx.execute(sql`select settings from workspaces where id = ${workspaceId}`);
  return ticketTypesOf(rowsOf<{ settings: Record<string, unknown> }>(r)[0]?.settings ?? {});
}

export function createSopsService(deps: { db: Db }) {
  const { db } = deps;

  async function checklistOf(tx: DbOrTx, actor: Actor, ticketId: string, lock = false): Promise<TicketChecklist> {
    const ticket = await findTicket(tx, actor.workspaceId, ticketId, { lock });
    if (!ticket) throw AppError.notFound('Ticket', ticketId);
    const [row, sop] = [
      await findTicketChecklist(tx, actor.workspaceId, ticketId, { lock }),
      await findSop(tx, actor.workspaceId, ticket.type),
    ];
    const steps = row?.steps ?? [];
    return {
      ticketId,
      ticketType: row?.ticketType ?? ticket.type,
      steps,
      blockSolve: sop?.blockSolve ?? false,
      complete: unfinishedRequired(steps).length === 0,
    };
  }

  return {
    /** Every ticket type's SOP (types without one are absent). */
    async list(actor: Actor): Promise<SopRow[]> {
      assertCan(actor, 'tickets:read');
      return listSops(db, actor.workspaceId);
    },

    async get(actor: Actor, ticketType: string): Promise<SopRow> {
      assertCan(actor, 'tickets:read');
      const sop = await findSop(db, actor.workspaceId, ticketType);
      if (!sop) throw AppError.notFound('SOP checklist of type', ticketType);
      return sop;
    },

    /**
     * Sets the steps of a ticket type's SOP. Tickets get it when they take the type (created or changed); tickets that
     * already have the type keep the checklist they got.
     */
    async put(actor: Actor, ticketType: string, input: SopInput): Promise<SopRow> {
      assertCan(actor, 'workspace:manage');
      input = wellFormed(input);
      return db.transaction(async (tx) => {
        const types = (await ticketTypes(tx, actor.workspaceId)).map((t) => t.key);
        if (!types.includes(ticketType))
          throw new AppError('validation_failed', `"${ticketType}" is not a ticket type here (${types.join(', ')})`, {
            field: 'ticketType',
            allowed: types,
          });
        const seen = new Map<string, number>();
        const steps = input.steps.map((s, i) => {
          const text = s.text.trim();
          const k = stepKey(text);
          if (!k) throw new AppError('validation_failed', `Step ${i + 1} is empty`, { field: `steps.${i}.text` });
          const twin = seen.get(k);
          if (twin !== undefined)
            throw new AppError('validation_failed', `Steps ${twin + 1} and ${i + 1} say the same thing: "${text}"`, {
              field: `steps.${i}.text`,
            });
          seen.set(k, i);
          return { id: s.id ?? newId(), text, required: s.required ?? false };
        });
        const before = await findSop(tx, actor.workspaceId, ticketType);
        const sop = await upsertSop(tx, {
          workspaceId: actor.workspaceId,
          ticketType,
          steps,
          blockSolve: input.blockSolve ?? before?.blockSolve ?? false,
          updatedBy: actorRef(actor),
        });
        await appendEvent(tx, actor, {
          type: before ? 'sop.updated' : 'sop.created',
          subjectType: 'sop',
          subjectId: actor.workspaceId,
          payload: { ticketType, steps: steps.map((s) => s.text), blockSolve: sop.blockSolve },
        });
        return sop;
      });
    },

    async remove(actor: Actor, ticketType: string): Promise<void> {
      assertCan(actor, 'workspace:manage');
      await db.transaction(async (tx) => {
        if (!(await deleteSop(tx, actor.workspaceId, ticketType)))
          throw AppError.notFound('SOP checklist of type', ticketType);
        await appendEvent(tx, actor, {
          type: 'sop.deleted',
          subjectType: 'sop',
          subjectId: actor.workspaceId,
          payload: { ticketType },
        });
      });
    },

    async checklist(actor: Actor, ticketId: string): Promise<TicketChecklist> {
      assertCan(actor, 'tickets:read');
      return checklistOf(db, actor, ticketId);
    },

    /** Ticks or unticks one step of the ticket's checklist (who and when are recorded). */
    async setStep(actor: Actor, ticketId: string, stepId: string, done: boolean): Promise<TicketChecklist> {
      assertCan(actor, 'tickets:write');
      return db.transaction(async (tx) => {
        const list = await checklistOf(tx, actor, ticketId, true);
        const step = list.steps.find((s) => s.id === stepId);
        if (!step) throw AppError.notFound('Checklist step', stepId);
        if (Boolean(step.doneAt) === done) return list;
        const steps = list.steps.map((s) =>
          s.id === stepId
            ? { ...s, doneAt: done ? new Date().toISOString() : null, doneBy: done ? actorRef(actor) : null }
            : s,
        );
        await saveTicketChecklist(tx, {
          workspaceId: actor.workspaceId,
          ticketId,
          ticketType: list.ticketType,
          steps,
        });
        const ticket = await findTicket(tx, actor.workspaceId, ticketId);
        await appendEvent(tx, actor, {
          type: done ? 'ticket.checklist_step_done' : 'ticket.checklist_step_undone',
          subjectType: 'ticket',
          subjectId: ticketId,
          personId: ticket?.personId ?? null,
          payload: { number: ticket?.number, subject: ticket?.subject, stepId, text: step.text },
        });
        return { ...list, steps, complete: unfinishedRequired(steps).length === 0 };
      });
    },
  };
}
