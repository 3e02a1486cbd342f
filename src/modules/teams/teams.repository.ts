import { and, asc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { teamMembers, teams } from '../../db/schema/index.ts';

export type TeamRow = typeof teams.$inferSelect;

export async function listTeams(db: DbOrTx, workspaceId: string): Promise<Array<TeamRow & { memberIds: string[] }>> {
  const rows = await db.select().from(teams).where(eq(teams.workspaceId, workspaceId)).orderBy(asc(teams.name));
  const members = rows.length
    ? await db
        .select()
        .from(teamMembers)
        .where(
          and(
            eq(teamMembers.workspaceId, workspaceId),
            inArray(
              teamMembers.teamId,
              rows.map((r) => r.id),
            ),
          ),
        )
    : [];
  return rows.map((r) => ({ ...r, memberIds: members.filter((m) => m.teamId === r.id).map((m) => m.userId) }));
}

export async function findTeam(db: DbOrTx, workspaceId: string, id: string): Promise<TeamRow | null> {
  const [r] = await db
    .select()
    .from(teams)
    .where(and(eq(teams.workspaceId, workspaceId), eq(teams.id, id)));
  return r ?? null;
}

export async function findTeamByName(db: DbOrTx, workspaceId: string, name: string): Promise<TeamRow | null> {
  const [r] = await db
    .select()
    .from(teams)
    .where(and(eq(teams.workspaceId, workspaceId), eq(teams.name, name)));
  return r ?? null;
}

export async function insertTeam(db: DbOrTx, row: typeof teams.$inferInsert): Promise<TeamRow> {
  const [r] = await db.insert(teams).values(row).returning();
  if (!r) throw new Error('team insert returned nothing');
  return r;
}

export async function updateTeam(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<typeof teams.$inferInsert>,
): Promise<TeamRow | null> {
  const [r] = await db
    .update(teams)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(teams.workspaceId, workspaceId), eq(teams.id, id)))
    .returning();
  return r ?? null;
}

export async function deleteTeam(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const r = await db
    .delete(teams)
    .where(and(eq(teams.workspaceId, workspaceId), eq(teams.id, id)))
    .returning({ id: teams.id });
  return r.length > 0;
}

export async function setTeamMembers(
  db: DbOrTx,
  workspaceId: string,
  teamId: string,
  userIds: string[],
): Promise<void> {
  await db.delete(teamMembers).where(and(eq(teamMembers.workspaceId, workspaceId), eq(teamMembers.teamId, teamId)));
  if (userIds.length)
    await db.insert(teamMembers).values([...new Set(userIds)].map((userId) => ({ workspaceId, teamId, userId })));
}

export async function teamIdsOfUser(db: DbOrTx, workspaceId: string, userId: string): Promise<string[]> {
  const r = await db
    .select({ teamId: teamMembers.teamId })
    .from(teamMembers)
    .where(and(eq(teamMembers.workspaceId, workspaceId), eq(teamMembers.userId, userId)));
  return r.map((x) => x.teamId);
}
