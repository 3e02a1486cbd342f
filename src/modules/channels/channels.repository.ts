import { and, asc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { channelImapState, channels } from '../../db/schema/index.ts';

export type ChannelRow = typeof channels.$inferSelect;
export type ChannelInsert = typeof channels.$inferInsert;
export type ChannelImapStateRow = typeof channelImapState.$inferSelect;

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

// ---- IMAP polling state (one row per e-mail channel that has polled) ----

export async function imapStatesOf(
  db: DbOrTx,
  workspaceId: string,
  channelIds?: string[],
): Promise<ChannelImapStateRow[]> {
  if (channelIds && !channelIds.length) return [];
  return db
    .select()
    .from(channelImapState)
    .where(
      and(
        eq(channelImapState.workspaceId, workspaceId),
        channelIds ? inArray(channelImapState.channelId, channelIds) : undefined,
      ),
    );
}

export async function findImapState(
  db: DbOrTx,
  workspaceId: string,
  channelId: string,
): Promise<ChannelImapStateRow | null> {
  const [r] = await imapStatesOf(db, workspaceId, [channelId]);
  return r ?? null;
}

/** Active e-mail channels whose IMAP polling is on, in every workspace, with where their polls stand. */
export async function imapChannelsToPoll(
  db: DbOrTx,
): Promise<Array<{ channel: ChannelRow; state: ChannelImapStateRow | null }>> {
  return db
    .select({ channel: channels, state: channelImapState })
    .from(channels)
    .leftJoin(
      channelImapState,
      and(eq(channelImapState.workspaceId, channels.workspaceId), eq(channelImapState.channelId, channels.id)),
    )
    .where(
      and(
        eq(channels.kind, 'email'),
        eq(channels.active, true),
        sql`${channels.settings} -> 'imap' ->> 'enabled' = 'true'`,
      ),
    );
}

/**
 * Takes the channel's poll lease until now + leaseMs, unless another poll holds an unexpired one (then null).
 * Also stamps the poll's start. Database time, so instances with skewed clocks agree.
 */
export async function claimImapPoll(
  db: DbOrTx,
  workspaceId: string,
  channelId: string,
  leaseMs: number,
): Promise<ChannelImapStateRow | null> {
  const until = sql`date_trunc('milliseconds', now()) + make_interval(secs => ${leaseMs / 1000})`;
  const now = sql`date_trunc('milliseconds', now())`;
  const [r] = await db
    .insert(channelImapState)
    .values({ workspaceId, channelId, pollingUntil: until, lastPollAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [channelImapState.workspaceId, channelImapState.channelId],
      set: { pollingUntil: until, lastPollAt: now, updatedAt: now },
      setWhere: sql`${channelImapState.pollingUntil} is null or ${channelImapState.pollingUntil} <= now()`,
    })
    .returning();
  return r ?? null;
}

export type ImapStatePatch = Partial<
  Pick<
    ChannelImapStateRow,
    'uidValidity' | 'lastUid' | 'lastSuccessAt' | 'lastErrorCode' | 'lastError' | 'lastErrorAt' | 'lastImported'
  >
> & { release?: boolean };

/** Records what a poll found (cursor, outcome); `release` gives the lease back. */
export async function updateImapState(
  db: DbOrTx,
  workspaceId: string,
  channelId: string,
  patch: ImapStatePatch,
): Promise<void> {
  const { release, ...set } = patch;
  await db
    .update(channelImapState)
    .set({
      ...set,
      ...(release ? { pollingUntil: null } : {}),
      updatedAt: sql`date_trunc('milliseconds', now())`,
    })
    .where(and(eq(channelImapState.workspaceId, workspaceId), eq(channelImapState.channelId, channelId)));
}

/** The settings now name another mailbox (or none): its cursor and last error no longer apply. */
export async function resetImapCursor(db: DbOrTx, workspaceId: string, channelId: string): Promise<void> {
  await updateImapState(db, workspaceId, channelId, {
    uidValidity: null,
    lastUid: null,
    lastErrorCode: null,
    lastError: null,
    lastErrorAt: null,
  });
}
