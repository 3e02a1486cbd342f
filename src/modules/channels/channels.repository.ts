import { and, asc, eq, isNotNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { channels } from '../../db/schema/index.ts';

export type ChannelRow = typeof channels.$inferSelect;
export type ChannelInsert = typeof channels.$inferInsert;

export async function listChannels(db: DbOrTx, workspaceId: string): Promise<ChannelRow[]> {
  return db
    .select()
    .from(channels)
    .where(eq(channels.workspaceId, workspaceId))
    .orderBy(asc(channels.kind), asc(channels.name));
}

export async function findChannel(db: DbOrTx, workspaceId: string, id: string): Promise<ChannelRow | null> {
  const [r] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.workspaceId, workspaceId), eq(channels.id, id)));
  return r ?? null;
}

/** Active e-mail channels with this address, in any workspace (inbound mail is routed by its recipient). */
export async function findEmailChannelsByAddress(db: DbOrTx, address: string): Promise<ChannelRow[]> {
  return db
    .select()
    .from(channels)
    .where(and(eq(channels.address, address.toLowerCase()), eq(channels.kind, 'email'), eq(channels.active, true)));
}

/** The first channel of a kind, for channels every workspace has one of (forms, phone, API). */
export async function findChannelByKind(db: DbOrTx, workspaceId: string, kind: string): Promise<ChannelRow | null> {
  const [r] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.workspaceId, workspaceId), eq(channels.kind, kind as ChannelRow['kind'])))
    .orderBy(asc(channels.createdAt))
    .limit(1);
  return r ?? null;
}

export async function insertChannel(db: DbOrTx, row: ChannelInsert): Promise<ChannelRow> {
  const [r] = await db.insert(channels).values(row).returning();
  if (!r) throw new Error('channel insert returned nothing');
  return r;
}

export async function updateChannel(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<ChannelInsert>,
): Promise<ChannelRow | null> {
  const [r] = await db
    .update(channels)
    .set({ ...set, updatedAt: sql`date_trunc('milliseconds', now())` })
    .where(and(eq(channels.workspaceId, workspaceId), eq(channels.id, id)))
    .returning();
  return r ?? null;
}

export async function deleteChannel(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const r = await db
    .delete(channels)
    .where(and(eq(channels.workspaceId, workspaceId), eq(channels.id, id)))
    .returning({ id: channels.id });
  return r.length > 0;
}

/** An active channel of a kind by id alone: public endpoints (forms, the channel API) name the channel, not the workspace. */
export async function findActiveChannelById(
  db: DbOrTx,
  id: string,
  kind: ChannelRow['kind'],
): Promise<ChannelRow | null> {
  const [r] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.id, id), eq(channels.kind, kind), eq(channels.active, true)))
    .limit(1);
  return r ?? null;
}

/** The workspace's first active e-mail channel with an address: what replies on other channels are sent from. */
export async function firstEmailChannel(db: DbOrTx, workspaceId: string): Promise<ChannelRow | null> {
  const [r] = await db
    .select()
    .from(channels)
    .where(
      and(
        eq(channels.workspaceId, workspaceId),
        eq(channels.kind, 'email'),
        eq(channels.active, true),
        isNotNull(channels.address),
      ),
    )
    .orderBy(asc(channels.createdAt))
    .limit(1);
  return r ?? null;
}
