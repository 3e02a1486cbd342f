import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { macros } from '../../db/schema/index.ts';

export type MacroRow = typeof macros.$inferSelect;
export type MacroInsert = typeof macros.$inferInsert;

export async function listMacros(
  db: DbOrTx,
  workspaceId: string,
  opts: { active?: boolean | undefined; q?: string | undefined } = {},
): Promise<MacroRow[]> {
  const where = [eq(macros.workspaceId, workspaceId)];
  if (opts.active !== undefined) where.push(eq(macros.active, opts.active));
  const q = opts.q?.trim();
  if (q) {
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(sql`(${macros.name} ilike ${like} or ${macros.description} ilike ${like})`);
  }
  // Most used first: the picker shows what agents reach for.
  return db
    .select()
    .from(macros)
    .where(and(...where))
    .orderBy(sql`${macros.usageCount} desc`, asc(macros.name));
}

export async function findMacro(db: DbOrTx, workspaceId: string, id: string): Promise<MacroRow | null> {
  const [r] = await db
    .select()
    .from(macros)
    .where(and(eq(macros.workspaceId, workspaceId), eq(macros.id, id)));
  return r ?? null;
}

export async function findMacroByName(db: DbOrTx, workspaceId: string, name: string): Promise<MacroRow | null> {
  const [r] = await db
    .select()
    .from(macros)
    .where(and(eq(macros.workspaceId, workspaceId), sql`lower(${macros.name}) = lower(${name})`));
  return r ?? null;
}

export async function insertMacro(db: DbOrTx, row: MacroInsert): Promise<MacroRow> {
  const [r] = await db.insert(macros).values(row).returning();
  if (!r) throw new Error('macro insert returned nothing');
  return r;
}

export async function updateMacro(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<MacroInsert>,
): Promise<MacroRow | null> {
  const [r] = await db
    .update(macros)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(macros.workspaceId, workspaceId), eq(macros.id, id)))
    .returning();
  return r ?? null;
}

export async function countMacroUse(db: DbOrTx, workspaceId: string, id: string, at: Date): Promise<void> {
  await db
    .update(macros)
    .set({ usageCount: sql`${macros.usageCount} + 1`, lastUsedAt: at })
    .where(and(eq(macros.workspaceId, workspaceId), eq(macros.id, id)));
}

export async function deleteMacro(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const r = await db
    .delete(macros)
    .where(and(eq(macros.workspaceId, workspaceId), eq(macros.id, id)))
    .returning({ id: macros.id });
  return r.length > 0;
}
