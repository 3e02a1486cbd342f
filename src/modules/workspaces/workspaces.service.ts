import type { Db } from '../../db/client.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import type { Actor } from '../../domain/permissions.ts';
import { assertCan } from '../auth/access.ts';
import { defaultStageDefs, isTimeZone, type StageDef } from '../../domain/customers.ts';
import { countPeopleByStage } from '../people/people.repository.ts';
import { countTicketsByType } from '../tickets/tickets.repository.ts';
import { ticketTypesOf, type TicketTypeDef } from '../../domain/tickets.ts';
import { findWorkspace, updateWorkspace, type WorkspaceRow } from './workspaces.repository.ts';

export { isTimeZone };

/** The lifecycle stages of a workspace: its own when configured, else lead → prospect → … → churned. */
export function stagesOfWorkspace(w: WorkspaceRow): StageDef[] {
  const configured = w.settings.lifecycleStages;
  return Array.isArray(configured) && configured.length ? (configured as StageDef[]) : defaultStageDefs;
}

/** The ticket types of a workspace (its own, or question, complaint, return/refund, technical, billing, other). */
export function ticketTypesOfWorkspace(w: WorkspaceRow): TicketTypeDef[] {
  return ticketTypesOf(w.settings);
}

export type WorkspacesService = ReturnType<typeof createWorkspacesService>;

export function createWorkspacesService(deps: { db: Db }) {
  const { db } = deps;
  return {
    async current(actor: Actor): Promise<WorkspaceRow> {
      assertCan(actor, 'workspace:read');
      const w = await findWorkspace(db, actor.workspaceId);
      if (!w) throw AppError.notFound('Workspace');
      return w;
    },

    async update(
      actor: Actor,
      input: {
        name?: string | undefined;
        timezone?: string | undefined;
        lifecycleStages?: StageDef[] | undefined;
        ticketTypes?: TicketTypeDef[] | undefined;
        defaultCountry?: string | null | undefined;
      },
    ): Promise<WorkspaceRow> {
      assertCan(actor, 'workspace:manage');
      if (input.timezone !== undefined && !isTimeZone(input.timezone))
        throw new AppError('validation_failed', `"${input.timezone}" is not an IANA time zone (e.g. Europe/Paris)`, {
          field: 'timezone',
        });
      return db.transaction(async (tx) => {
        // Locked: the settings written are the ones read here with this change, so two changes at once would each
        // write back the other's old value.
        const before = await findWorkspace(tx, actor.workspaceId, { lock: true });
        if (!before) throw AppError.notFound('Workspace');
        const settings = { ...before.settings };
        if (input.lifecycleStages !== undefined) {
          const keys = input.lifecycleStages.map((st) => st.key);
          const dup = keys.find((k, i) => keys.indexOf(k) !== i);
          if (dup)
            throw new AppError('validation_failed', `The stage "${dup}" is listed twice`, { field: 'lifecycleStages' });
          // A stage people are in cannot disappear under them.
          const inUse = await countPeopleByStage(tx, actor.workspaceId);
          const dropped = Object.entries(inUse).filter(([k, n]) => n > 0 && !keys.includes(k));
          if (dropped.length)
            throw new AppError(
              'conflict',
              `People are still in ${dropped.map(([k, n]) => `"${k}" (${n})`).join(', ')}: move them to another stage first`,
              { field: 'lifecycleStages', inUse: Object.fromEntries(dropped) },
            );
          settings.lifecycleStages = input.lifecycleStages;
        }
        if (input.ticketTypes !== undefined) {
          const keys = input.ticketTypes.map((t) => t.key);
          const dup = keys.find((k, i) => keys.indexOf(k) !== i);
          if (dup)
            throw new AppError('validation_failed', `The type "${dup}" is listed twice`, { field: 'ticketTypes' });
          // A type tickets have cannot disappear under them: rename it (same key, new label) instead.
          const inUse = await countTicketsByType(tx, actor.workspaceId);
          const dropped = Object.entries(inUse).filter(([k, n]) => n > 0 && !keys.includes(k));
          if (dropped.length)
            throw new AppError(
              'conflict',
              `Tickets still have the type ${dropped.map(([k, n]) => `"${k}" (${n})`).join(', ')}: rename it instead, or change those tickets first`,
              { field: 'ticketTypes', inUse: Object.fromEntries(dropped) },
            );
          settings.ticketTypes = input.ticketTypes;
        }
        if (input.defaultCountry !== undefined) settings.defaultCountry = input.defaultCountry?.toUpperCase() ?? null;
        const w = await updateWorkspace(tx, actor.workspaceId, {
          ...(input.name !== undefined ? { name: input.name.trim() } : {}),
          ...(input.timezone !== undefined ? { timezone: input.timezone } : {}),
          ...(input.lifecycleStages !== undefined ||
          input.ticketTypes !== undefined ||
          input.defaultCountry !== undefined
            ? { settings }
            : {}),
        });
        if (!w) throw AppError.notFound('Workspace');
        await appendEvent(tx, actor, {
          type: 'workspace.updated',
          subjectType: 'workspace',
          subjectId: w.id,
          payload: {
            before: { name: before.name, timezone: before.timezone },
            after: { name: w.name, timezone: w.timezone },
          },
        });
        return w;
      });
    },
  };
}
