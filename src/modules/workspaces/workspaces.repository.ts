import { eq, sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../../db/client.ts';
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

/**
 * Removes a workspace and everything in it: the rows that reference it (cascading), any other row of a table with a
 * workspace_id, and its ticket-number sequence. For undoing a workspace made moments ago whose filling failed
 * (`rapport demo`), in one transaction.
 */
export async function removeWorkspace(db: DbOrTx, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(workspaces).where(eq(workspaces.id, id));
    const tables = await tx.execute<{ table_name: string }>(sql`
      select c.table_name from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = current_schema() and c.column_name = 'workspace_id' and t.table_type = 'BASE TABLE'`);
    for (const { table_name } of rowsOf<{ table_name: string }>(tables))
      await tx.execute(sql`delete from ${sql.identifier(table_name)} where workspace_id = ${id}`);
    await tx.execute(sql.raw(`drop sequence if exists "ticket_numbers_${id.replace(/[^0-9a-f]/gi, '')}"`));
  });
}
