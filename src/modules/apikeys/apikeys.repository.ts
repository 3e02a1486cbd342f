import { and, desc, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { apiKeys } from '../../db/schema/index.ts';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export async function insertApiKey(db: DbOrTx, row: typeof apiKeys.$inferInsert): Promise<ApiKeyRow> {
  const [r] = await db.insert(apiKeys).values(row).returning();
  if (!r) throw new Error('api key insert returned nothing');
  return r;
}

export async function findApiKey(db: DbOrTx, workspaceId: string, id: string): Promise<ApiKeyRow | null> {
  const [r] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id)));
  return r ?? null;
}

export async function listApiKeys(db: DbOrTx, workspaceId: string, includeRevoked: boolean): Promise<ApiKeyRow[]> {
  const conds = [eq(apiKeys.workspaceId, workspaceId)];
  if (!includeRevoked) conds.push(isNull(apiKeys.revokedAt));
  return db
    .select()
    .from(apiKeys)
    .where(and(...conds))
    .orderBy(desc(apiKeys.createdAt))
    .limit(1000);
}

export async function revokeApiKey(db: DbOrTx, workspaceId: string, id: string): Promise<ApiKeyRow | null> {
  const [r] = await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning();
  return r ?? null;
}

export async function touchApiKey(db: DbOrTx, workspaceId: string, id: string, at: Date): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id)));
}
