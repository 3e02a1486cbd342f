import { and, asc, eq, or, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { savedViews } from '../../db/schema/index.ts';

export type ViewRow = typeof savedViews.$inferSelect;
export type ViewInsert = typeof savedViews.$inferInsert;

/** The views a user sees: their own and the shared ones (an API key, with no user, sees the shared ones). */
function visibleTo(ownerId: string | null): SQL | undefined {
  return ownerId ? or(eq(savedViews.shared, true), eq(savedViews.ownerId, ownerId)) : eq(savedViews.shared, true);
}

export async function listViews(
  db: DbOrTx,
  workspaceId: string,
  ownerId: string | null,
  entity?: string,
): Promise<ViewRow[]> {
  return db
    .select()
    .from(savedViews)
    .where(
      and(
        eq(savedViews.workspaceId, workspaceId),
        visibleTo(ownerId),
        entity ? eq(savedViews.entity, entity) : undefined,
      ),
    )
    .orderBy(asc(savedViews.entity), sql`lower(${savedViews.name})`, asc(savedViews.id))
    .limit(500);
}

export async function findView(db: DbOrTx, workspaceId: string, id: string): Promise<ViewRow | null> {
  const [r] = await db
    .select()
    .from(savedViews)
    .where(and(eq(savedViews.workspaceId, workspaceId), eq(savedViews.id, id)));
  return r ?? null;
}

export async function insertView(db: DbOrTx, row: ViewInsert): Promise<ViewRow> {
  const [r] = await db.insert(savedViews).values(row).returning();
  if (!r) throw new Error('view insert returned nothing');
  return r;
}

export async function updateView(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<ViewInsert>,
): Promise<ViewRow | null> {
  const [r] = await db
    .update(savedViews)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(savedViews.workspaceId, workspaceId), eq(savedViews.id, id)))
    .returning();
  return r ?? null;
}

export async function deleteView(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const r = await db
    .delete(savedViews)
    .where(and(eq(savedViews.workspaceId, workspaceId), eq(savedViews.id, id)))
    .returning({ id: savedViews.id });
  return r.length > 0;
}
