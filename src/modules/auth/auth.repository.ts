import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { sessions } from '../../db/schema/index.ts';

export type SessionRow = typeof sessions.$inferSelect;

export async function insertSession(db: DbOrTx, row: typeof sessions.$inferInsert): Promise<SessionRow> {
  const [r] = await db.insert(sessions).values(row).returning();
  if (!r) throw new Error('session insert returned nothing');
  return r;
}

export async function findSession(db: DbOrTx, workspaceId: string, id: string): Promise<SessionRow | null> {
  const [r] = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.workspaceId, workspaceId), eq(sessions.id, id)));
  return r ?? null;
}

export async function listLiveSessions(db: DbOrTx, workspaceId: string, userId: string | null): Promise<SessionRow[]> {
  const conds = [eq(sessions.workspaceId, workspaceId), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`)];
  if (userId) conds.push(eq(sessions.userId, userId));
  return db
    .select()
    .from(sessions)
    .where(and(...conds))
    .orderBy(desc(sessions.lastSeenAt))
    .limit(500);
}

export async function revokeSession(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const r = await db
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(sessions.workspaceId, workspaceId), eq(sessions.id, id), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return r.length > 0;
}

export async function revokeUserSessions(db: DbOrTx, workspaceId: string, userId: string): Promise<number> {
  const r = await db
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(sessions.workspaceId, workspaceId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return r.length;
}

export async function touchSession(db: DbOrTx, workspaceId: string, id: string, expiresAt: Date): Promise<void> {
  await db
    .update(sessions)
    .set({ lastSeenAt: new Date(), expiresAt })
    .where(and(eq(sessions.workspaceId, workspaceId), eq(sessions.id, id)));
}
