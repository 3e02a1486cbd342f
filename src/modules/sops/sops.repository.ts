import { and, asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { sopChecklists, ticketChecklists } from '../../db/schema/index.ts';

export type SopRow = typeof sopChecklists.$inferSelect;
export type TicketChecklistRow = typeof ticketChecklists.$inferSelect;

export async function listSops(db: DbOrTx, workspaceId: string): Promise<SopRow[]> {
  return db
    .select()
    .from(sopChecklists)
    .where(eq(sopChecklists.workspaceId, workspaceId))
    .orderBy(asc(sopChecklists.ticketType));
}

export async function findSop(db: DbOrTx, workspaceId: string, ticketType: string): Promise<SopRow | null> {
  const [r] = await db
    .select()
    .from(sopChecklists)
    .where(and(eq(sopChecklists.workspaceId, workspaceId), eq(sopChecklists.ticketType, ticketType)));
  return r ?? null;
}

export async function upsertSop(db: DbOrTx, row: typeof sopChecklists.$inferInsert): Promise<SopRow> {
  const [r] = await db
    .insert(sopChecklists)
    .values(row)
    .onConflictDoUpdate({
      target: [sopChecklists.workspaceId, sopChecklists.ticketType],
      set: { steps: row.steps, blockSolve: row.blockSolve, updatedBy: row.updatedBy, updatedAt: new Date() },
    })
    .returning();
  if (!r) throw new Error('SOP upsert returned nothing');
  return r;
}

export async function deleteSop(db: DbOrTx, workspaceId: string, ticketType: string): Promise<boolean> {
  const r = await db
    .delete(sopChecklists)
    .where(and(eq(sopChecklists.workspaceId, workspaceId), eq(sopChecklists.ticketType, ticketType)))
    .returning({ t: sopChecklists.ticketType });
  return r.length > 0;
}

export async function findTicketChecklist(
  db: DbOrTx,
  workspaceId: string,
  ticketId: string,
  opts: { lock?: boolean } = {},
): Promise<TicketChecklistRow | null> {
  const q = db
    .select()
    .from(ticketChecklists)
    .where(and(eq(ticketChecklists.workspaceId, workspaceId), eq(ticketChecklists.ticketId, ticketId)));
  const [r] = opts.lock ? await q.for('update') : await q;
  return r ?? null;
}

export async function saveTicketChecklist(
  db: DbOrTx,
  row: typeof ticketChecklists.$inferInsert,
): Promise<TicketChecklistRow> {
  const [r] = await db
    .insert(ticketChecklists)
    .values({ ...row, updatedAt: new Date() })
    .onConflictDoUpdate({
      target: [ticketChecklists.workspaceId, ticketChecklists.ticketId],
      set: { ticketType: row.ticketType, steps: row.steps, updatedAt: new Date() },
    })
    .returning();
  if (!r) throw new Error('checklist save returned nothing');
  return r;
}

export async function deleteTicketChecklist(db: DbOrTx, workspaceId: string, ticketId: string): Promise<void> {
  await db
    .delete(ticketChecklists)
    .where(and(eq(ticketChecklists.workspaceId, workspaceId), eq(ticketChecklists.ticketId, ticketId)));
}
