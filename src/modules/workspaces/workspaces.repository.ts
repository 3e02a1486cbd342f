import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { workspaces } from '../../db/schema/index.ts';

export type WorkspaceRow = typeof workspaces.$inferSelect;

export async function countWorkspaces(db: DbOrTx): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(workspaces);
  return r?.n ?? 0;
}

export async function findWorkspace(
  db: DbOrTx,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<WorkspaceRow | null> {
  const q = db.select().from(workspaces).where(eq(workspaces.id, id));
  const [r] = opts.lock ? await q.for('update') : await q;
  return r ?? null;
}

export async function findWorkspaceBySlug(db: DbOrTx, slug: string): Promise<WorkspaceRow | null> {
  const [r] = await db.select().from(workspaces).where(eq(workspaces.slug, slug));
  return r ?? null;
}

export async function insertWorkspace(db: DbOrTx, row: typeof workspaces.$inferInsert): Promise<WorkspaceRow> {
  const [r] = await db.insert(workspaces).values(row).returning();
  if (!r) throw new Error('workspace insert returned nothing');
  // Its ticket numbers' sequence, created now rather than by its first ticket (migration 0024).
  await db.execute(sql`select rapport_ticket_sequence(${r.id})`);
  return r;
}

export async function updateWorkspace(
  db: DbOrTx,
  id: string,
  set: Partial<Pick<WorkspaceRow, 'name' | 'timezone' | 'settings'>>,
): Promise<WorkspaceRow | null> {
  const [r] = await db
    .update(workspaces)
    .set({ ...set, updatedAt: new Date() })
    .where(eq(workspaces.id, id))
    .returning();
  return r ?? null;
}
