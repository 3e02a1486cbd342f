import type { Db, DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import type { MacroActions } from '../../db/schema/index.ts';
import {
  placeholderProblems,
  placeholderValues,
  planMacroChanges,
  renderMacroBody,
  type FieldChange,
} from '../../domain/macros.ts';
import type { Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { actorRef } from '../people/people.service.ts';
import { findPerson } from '../people/people.repository.ts';
import { findTeam } from '../teams/teams.repository.ts';
import { findUser } from '../users/users.repository.ts';
import { findWorkspace } from '../workspaces/workspaces.repository.ts';
import { checkCustomAssignments } from '../../domain/customers.ts';
import { listCustomFields } from '../fields/fields.repository.ts';
import { invalidFields } from '../fields/record-fields.ts';
import { findTicket, type MessageRow, type TicketRow } from '../tickets/tickets.repository.ts';
import { wellFormed } from '../tickets/sanitize.ts';
import { ticketTypesOf } from '../../domain/tickets.ts';
import { createTicketsService, type TicketPatch } from '../tickets/tickets.service.ts';
import {
  countMacroUse,
  deleteMacro,
  findMacro,
  findMacroByName,
  insertMacro,
  listMacros,
  updateMacro,
  type MacroRow,
} from './macros.repository.ts';

export type MacrosService = ReturnType<typeof createMacrosService>;

export type MacroInput = {
  name: string;
  description?: string | null | undefined;
  body?: string | undefined;
  internal?: boolean | undefined;
  actions?: MacroActions | undefined;
  active?: boolean | undefined;
};

export type MacroPreview = {
  body: string;
  internal: boolean;
  /** What applying it would change, field by field (only real changes). */
  changes: FieldChange[];
};

/**
 * Macros: canned replies with placeholders and field changes, applied to a ticket in one step. Writing macros needs
 * `workspace:manage` (they are shared by every agent and change tickets in bulk, so admins curate them); previewing
 * needs `tickets:read`, applying `tickets:write`.
 */
export function createMacrosService(deps: { db: Db; dataDir: string }) {
  const { db, dataDir } = deps;

  async function mustFind(tx: DbOrTx, actor: Actor, id: string): Promise<MacroRow> {
    const m = await findMacro(tx, actor.workspaceId, id);
    if (!m) throw AppError.notFound('Macro', id);
    return m;
  }

  /**
   * Placeholders, ticket type, assignee, team and custom fields must exist here; each problem names the field and the
   * value. Returns the actions with the custom values converted as they are stored (e.g. "42" for a number is 42).
   */
  async function checkMacro(tx: DbOrTx, actor: Actor, body: string, actions: MacroActions): Promise<MacroActions> {
    const problems = placeholderProblems(body);
    if (problems.length)
      throw new AppError(
        'validation_failed',
        `Unknown placeholder${problems.length > 1 ? 's' : ''} in the body: ${problems.map((p) => p.placeholder).join(', ')}`,
        { field: 'body', problems },
      );
    return checkActions(tx, actor, actions);
  }

  async function checkActions(tx: DbOrTx, actor: Actor, actions: MacroActions): Promise<MacroActions> {
    if (actions.type !== undefined) {
      const ws = await findWorkspace(tx, actor.workspaceId);
      const types = ticketTypesOf(ws?.settings ?? {}).map((t) => t.key);
      if (!types.includes(actions.type))
        throw new AppError('validation_failed', `"${actions.type}" is not a ticket type here (${types.join(', ')})`, {
          field: 'actions.type',
          value: actions.type,
        });
    }
    if (actions.assigneeId && actions.assigneeId !== 'me') {
      const u = await findUser(tx, actor.workspaceId, actions.assigneeId);
      if (!u)
        throw new AppError('validation_failed', `The macro assigns to user ${actions.assigneeId}, who is not here`, {
          field: 'actions.assigneeId',
          value: actions.assigneeId,
        });
    }
    if (actions.teamId && !(await findTeam(tx, actor.workspaceId, actions.teamId)))
      throw new AppError('validation_failed', `The macro moves tickets to team ${actions.teamId}, which is not here`, {
        field: 'actions.teamId',
        value: actions.teamId,
      });
    if (!actions.custom) return actions;
    // Checked against the ticket fields as they are now: at save, and again at preview and apply.
    const r = checkCustomAssignments(await listCustomFields(tx, actor.workspaceId, 'ticket'), actions.custom);
    if (r.problems.length)
      throw invalidFields(
        r.problems.map((p) => ({ ...p, field: `actions.${p.field}` })),
        `The macro sets ${r.problems[0]?.field}: ${r.problems[0]?.message}`,
      );
    return { ...actions, custom: r.values };
  }

  function cleanActions(a: MacroActions | undefined): MacroActions {
    if (!a) return {};
    const out: MacroActions = {};
    if (a.status !== undefined) out.status = a.status;
    if (a.priority !== undefined) out.priority = a.priority;
    if (a.type !== undefined) out.type = a.type;
    if (a.assigneeId !== undefined) out.assigneeId = a.assigneeId;
    if (a.teamId !== undefined) out.teamId = a.teamId;
    const tags = (xs: string[] | undefined) => [...new Set((xs ?? []).map((t) => t.trim()).filter(Boolean))];
    if (tags(a.addTags).length) out.addTags = tags(a.addTags);
    if (tags(a.removeTags).length) out.removeTags = tags(a.removeTags);
    if (a.custom && Object.keys(a.custom).length) out.custom = { ...a.custom };
    return out;
  }

  function mustDoSomething(body: string, actions: MacroActions) {
    if (!body.trim() && !Object.keys(actions).length)
      throw new AppError('validation_failed', 'A macro must write a reply or change at least one field', {
        field: 'body',
      });
  }

  async function nameIsFree(actor: Actor, name: string, exceptId?: string) {
    const same = await findMacroByName(db, actor.workspaceId, name);
    if (same && same.id !== exceptId)
      throw new AppError('conflict', `There is already a macro called ${name}`, { field: 'name' });
  }

  /** The rendered body and planned changes of a macro on a ticket, read inside `tx`. */
  async function plan(tx: DbOrTx, actor: Actor, macro: MacroRow, ticket: TicketRow): Promise<MacroPreview> {
    const actions = await checkActions(tx, actor, macro.actions);
    const [ws, person, agent] = [
      await findWorkspace(tx, actor.workspaceId),
      ticket.personId ? await findPerson(tx, actor.workspaceId, ticket.personId) : null,
      actor.userId ? await findUser(tx, actor.workspaceId, actor.userId) : null,
    ];
    // The reply describes the ticket as the macro leaves it (a macro that sets the type names the new type).
    const changes = planMacroChanges(ticket, actions, actor.userId);
    const next = (field: 'type' | 'priority') =>
      (changes.find((c) => c.field === field)?.to as string) ?? ticket[field];
    const typeLabel = ticketTypesOf(ws?.settings ?? {}).find((t) => t.key === next('type'))?.label ?? next('type');
    const values = placeholderValues({
      customer: {
        firstName: person?.firstName ?? null,
        lastName: person?.lastName ?? null,
        displayName: person?.displayName ?? null,
        email: person?.emails[0] ?? null,
      },
      ticket: { number: ticket.number, subject: ticket.subject, typeLabel, priority: next('priority') },
      agent: { name: agent?.name ?? null },
      workspace: { name: ws?.name ?? '' },
    });
    return {
      body: renderMacroBody(macro.body, values),
      internal: macro.internal,
      changes,
    };
  }

  return {
    async list(actor: Actor, opts: { active?: boolean | undefined; q?: string | undefined } = {}) {
      assertCan(actor, 'tickets:read');
      return listMacros(db, actor.workspaceId, opts);
    },

    async get(actor: Actor, id: string) {
      assertCan(actor, 'tickets:read');
      return mustFind(db, actor, id);
    },

    async create(actor: Actor, input: MacroInput): Promise<MacroRow> {
      assertCan(actor, 'workspace:manage');
      input = wellFormed(input);
      const name = input.name.trim();
      const body = input.body ?? '';
      const actions = await checkMacro(db, actor, body, cleanActions(input.actions));
      mustDoSomething(body, actions);
      await nameIsFree(actor, name);
      return db.transaction(async (tx) => {
        const m = await insertMacro(tx, {
          workspaceId: actor.workspaceId,
          id: newId(),
          name,
          description: input.description?.trim() || null,
          body,
          internal: input.internal ?? false,
          actions,
          active: input.active ?? true,
          createdBy: actorRef(actor),
        });
        await appendEvent(tx, actor, {
          type: 'macro.created',
          subjectType: 'macro',
          subjectId: m.id,
          payload: { name, internal: m.internal, actions },
        });
        return m;
      });
    },

    async update(actor: Actor, id: string, input: Partial<MacroInput>): Promise<MacroRow> {
      assertCan(actor, 'workspace:manage');
      input = wellFormed(input);
      const before = await mustFind(db, actor, id);
      const body = input.body ?? before.body;
      // Only what changes is checked again: switching off a macro whose team was deleted since must still work.
      const checked = await checkMacro(
        db,
        actor,
        input.body ?? '',
        input.actions !== undefined ? cleanActions(input.actions) : {},
      );
      const actions = input.actions !== undefined ? checked : before.actions;
      mustDoSomething(body, actions);
      const name = input.name?.trim();
      if (name !== undefined) await nameIsFree(actor, name, id);
      return db.transaction(async (tx) => {
        const m = await updateMacro(tx, actor.workspaceId, id, {
          ...(name !== undefined ? { name } : {}),
          ...(input.description !== undefined ? { description: input.description?.trim() || null } : {}),
          ...(input.body !== undefined ? { body } : {}),
          ...(input.internal !== undefined ? { internal: input.internal } : {}),
          ...(input.actions !== undefined ? { actions } : {}),
          ...(input.active !== undefined ? { active: input.active } : {}),
        });
        if (!m) throw AppError.notFound('Macro', id);
        await appendEvent(tx, actor, {
          type: 'macro.updated',
          subjectType: 'macro',
          subjectId: id,
          payload: { name: m.name, fields: Object.keys(input) },
        });
        return m;
      });
    },

    async remove(actor: Actor, id: string): Promise<void> {
      assertCan(actor, 'workspace:manage');
      await db.transaction(async (tx) => {
        const m = await findMacro(tx, actor.workspaceId, id);
        if (!m || !(await deleteMacro(tx, actor.workspaceId, id))) throw AppError.notFound('Macro', id);
        await appendEvent(tx, actor, {
          type: 'macro.deleted',
          subjectType: 'macro',
          subjectId: id,
          payload: { name: m.name },
        });
      });
    },

    /** What applying the macro to the ticket would write and change; nothing is changed. */
    async preview(actor: Actor, ticketId: string, macroId: string): Promise<MacroPreview> {
      assertCan(actor, 'tickets:read');
      const ticket = await findTicket(db, actor.workspaceId, ticketId);
      if (!ticket) throw AppError.notFound('Ticket', ticketId);
      return plan(db, actor, await mustFind(db, actor, macroId), ticket);
    },

    /**
     * Applies the macro in one transaction, through the tickets service: the field changes (update), then the reply
     * or note with the rendered body; counts the use
     * and appends `ticket.macro_applied`. Anything refused (a collision, a checklist that blocks solving) undoes all.
     */
    async apply(
      actor: Actor,
      ticketId: string,
      macroId: string,
      opts: { seenMessageId?: string | undefined; force?: boolean | undefined } = {},
    ): Promise<{ ticket: TicketRow; message: MessageRow | null; preview: MacroPreview }> {
      assertCan(actor, 'tickets:write');
      return db.transaction(async (tx) => {
        const macro = await mustFind(tx, actor, macroId);
        if (!macro.active) throw new AppError('conflict', `The macro ${macro.name} is switched off`, { macroId });
        const ticket = await findTicket(tx, actor.workspaceId, ticketId, { lock: true });
        if (!ticket) throw AppError.notFound('Ticket', ticketId);
        const preview = await plan(tx, actor, macro, ticket);
        // The tickets service on this transaction: its own transactions become savepoints inside this one.
        const tickets = createTicketsService({ db: tx as unknown as Db, dataDir });
        const patch: TicketPatch = {};
        for (const c of preview.changes) {
          if (c.field === 'tags') patch.tags = c.to as string[];
          else if (c.field.startsWith('custom.')) patch.custom = { ...patch.custom, [c.field.slice(7)]: c.to };
          else patch[c.field as 'status' | 'priority' | 'type' | 'assigneeId' | 'teamId'] = c.to as string & null;
        }
        let after = ticket;
        if (Object.keys(patch).length) after = await tickets.update(actor, ticketId, patch);
        let message: MessageRow | null = null;
        if (preview.body) {
          const out = await tickets.reply(actor, ticketId, {
            text: preview.body,
            internal: macro.internal,
            // The status the macro set stays (a reply would otherwise turn a new ticket open).
            ...(patch.status ? { status: patch.status } : {}),
            seenMessageId: opts.seenMessageId,
            force: opts.force,
          });
          after = out.ticket;
          message = out.message;
        }
        await countMacroUse(tx, actor.workspaceId, macroId, new Date());
        await appendEvent(tx, actor, {
          type: 'ticket.macro_applied',
          subjectType: 'ticket',
          subjectId: ticketId,
          personId: ticket.personId,
          payload: {
            number: ticket.number,
            subject: ticket.subject,
            macroId,
            macro: macro.name,
            changes: preview.changes,
            messageId: message?.id ?? null,
            internal: macro.internal,
          },
        });
        return { ticket: after, message, preview };
      });
    },
  };
}
