import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { channels, tickets, users } from '../../db/schema/index.ts';
import type { Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEvent, appendEvents } from '../../events/events.ts';
import { actorRef } from '../people/resolve-person.ts';
import { openTicket, ticketEvent } from '../tickets/tickets.repository.ts';
import { assertCan } from '../auth/access.ts';
import { wellFormed } from '../tickets/sanitize.ts';
import {
  deleteTeam,
  findTeam,
  findTeamByName,
  insertTeam,
  listTeams,
  setTeamMembers,
  updateTeam,
} from './teams.repository.ts';

export type TeamsService = ReturnType<typeof createTeamsService>;

export function createTeamsService(deps: { db: Db }) {
  const { db } = deps;

  async function checkMembers(actor: Actor, ids: string[] | undefined): Promise<void> {
    if (!ids?.length) return;
    const found = await db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.workspaceId, actor.workspaceId), inArray(users.id, ids)));
    const missing = ids.filter((x) => !found.some((f) => f.id === x));
    if (missing.length)
      throw new AppError('validation_failed', `User ${missing[0]} was not found`, { field: 'memberIds', missing });
  }

  async function withMembers(actor: Actor, id: string) {
    const all = await listTeams(db, actor.workspaceId);
    const t = all.find((x) => x.id === id);
    if (!t) throw AppError.notFound('Team', id);
    return t;
  }

  return {
    async list(actor: Actor) {
      assertCan(actor, 'tickets:read');
      return listTeams(db, actor.workspaceId);
    },

    async create(
      actor: Actor,
      input: { name: string; description?: string | null | undefined; memberIds?: string[] | undefined },
    ) {
      assertCan(actor, 'workspace:manage');
      input = wellFormed(input);
      await checkMembers(actor, input.memberIds);
      if (await findTeamByName(db, actor.workspaceId, input.name.trim()))
        throw new AppError('conflict', `There is already a team called ${input.name.trim()}`, { field: 'name' });
      const id = newId();
      await db.transaction(async (tx) => {
        await insertTeam(tx, {
          workspaceId: actor.workspaceId,
          id,
          name: input.name.trim(),
          description: input.description?.trim() || null,
        });
        await setTeamMembers(tx, actor.workspaceId, id, input.memberIds ?? []);
        await appendEvent(tx, actor, {
          type: 'team.created',
          subjectType: 'team',
          subjectId: id,
          payload: { name: input.name },
        });
      });
      return withMembers(actor, id);
    },

    async update(
      actor: Actor,
      id: string,
      input: { name?: string | undefined; description?: string | null | undefined; memberIds?: string[] | undefined },
    ) {
      assertCan(actor, 'workspace:manage');
      input = wellFormed(input);
      if (!(await findTeam(db, actor.workspaceId, id))) throw AppError.notFound('Team', id);
      await checkMembers(actor, input.memberIds);
      if (input.name !== undefined) {
        const same = await findTeamByName(db, actor.workspaceId, input.name.trim());
        if (same && same.id !== id)
          throw new AppError('conflict', `There is already a team called ${input.name.trim()}`, { field: 'name' });
      }
      await db.transaction(async (tx) => {
        await updateTeam(tx, actor.workspaceId, id, {
          ...(input.name !== undefined ? { name: input.name.trim() } : {}),
          ...(input.description !== undefined ? { description: input.description?.trim() || null } : {}),
        });
        if (input.memberIds) await setTeamMembers(tx, actor.workspaceId, id, input.memberIds);
        await appendEvent(tx, actor, { type: 'team.updated', subjectType: 'team', subjectId: id, payload: {} });
      });
      return withMembers(actor, id);
    },

    /**
     * Deletes a team. Nothing is left pointing at it: channels that routed new tickets to it stop routing, and its
     * open tickets leave it (each with its `ticket.updated`), so they show in the unassigned and all queues instead
     * of in no one's "my teams". Solved and closed tickets keep the id as history.
     */
    async remove(actor: Actor, id: string) {
      assertCan(actor, 'workspace:manage');
      await db.transaction(async (tx) => {
        const team = await findTeam(tx, actor.workspaceId, id);
        if (!team) throw AppError.notFound('Team', id);
        const routed = await tx
          .update(channels)
          .set({ teamId: null, updatedAt: new Date() })
          .where(and(eq(channels.workspaceId, actor.workspaceId), eq(channels.teamId, id)))
          .returning({ id: channels.id });
        const moved = await tx
          .update(tickets)
          .set({ teamId: null, updatedAt: new Date(), updatedBy: actorRef(actor) })
          .where(and(eq(tickets.workspaceId, actor.workspaceId), eq(tickets.teamId, id), openTicket))
          .returning({ id: tickets.id, personId: tickets.personId, number: tickets.number, subject: tickets.subject });
        await appendEvents(
          tx,
          actor,
          moved.map((t) =>
            ticketEvent(t, 'ticket.updated', { changes: { teamId: { from: id, to: null } }, reason: 'team_deleted' }),
          ),
        );
        await deleteTeam(tx, actor.workspaceId, id);
        await appendEvent(tx, actor, {
          type: 'team.deleted',
          subjectType: 'team',
          subjectId: id,
          payload: { name: team.name, channels: routed.length, openTickets: moved.length },
        });
      });
    },
  };
}
