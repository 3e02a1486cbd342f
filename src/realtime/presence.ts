import crypto from 'node:crypto';
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../db/client.ts';
import { realtimePresence } from '../db/schema/index.ts';

export type PresenceKind = 'agent' | 'visitor';

/** How long a presence row lives without a heartbeat (a crashed instance's sockets count as gone after this). */
export const presenceTtlMs = 90_000;
export const presenceHeartbeatMs = 30_000;

export async function isOnline(db: DbOrTx, workspaceId: string, kind: PresenceKind, key: string): Promise<boolean> {
  const rows = await db
    .select({ key: realtimePresence.key })
    .from(realtimePresence)
    .where(
      and(
        eq(realtimePresence.workspaceId, workspaceId),
        eq(realtimePresence.kind, kind),
        eq(realtimePresence.key, key),
        gt(realtimePresence.expiresAt, sql`now()`),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

export async function anyAgentOnline(db: DbOrTx, workspaceId: string): Promise<boolean> {
  const rows = await db
    .select({ key: realtimePresence.key })
    .from(realtimePresence)
    .where(
      and(
        eq(realtimePresence.workspaceId, workspaceId),
        eq(realtimePresence.kind, 'agent'),
        gt(realtimePresence.expiresAt, sql`now()`),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

/**
 * This instance's share of realtime_presence: counts its own sockets per (workspace, kind, key), writes a row when the
 * first opens and deletes it when the last closes; a heartbeat extends its rows and sweeps lapsed ones.
 */
export class PresenceTracker {
  readonly instanceId = crypto.randomUUID();
  private readonly counts = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Db) {}

  private static id(ws: string, kind: PresenceKind, key: string) {
    return `${ws}|${kind}|${key}`;
  }

  /** Returns true when this is the first socket for the key on this instance. */
  async join(workspaceId: string, kind: PresenceKind, key: string): Promise<boolean> {
    const id = PresenceTracker.id(workspaceId, kind, key);
    const n = (this.counts.get(id) ?? 0) + 1;
    this.counts.set(id, n);
    this.startHeartbeat();
    await this.db
      .insert(realtimePresence)
      .values({ workspaceId, kind, key, instanceId: this.instanceId, expiresAt: this.expiry() })
      .onConflictDoUpdate({
        target: [
          realtimePresence.workspaceId,
          realtimePresence.kind,
          realtimePresence.key,
          realtimePresence.instanceId,
        ],
        set: { expiresAt: this.expiry() },
      });
    return n === 1;
  }

  /** Returns true when that was the last socket for the key on this instance. */
  async leave(workspaceId: string, kind: PresenceKind, key: string): Promise<boolean> {
    const id = PresenceTracker.id(workspaceId, kind, key);
    const n = (this.counts.get(id) ?? 1) - 1;
    if (n > 0) {
      this.counts.set(id, n);
      return false;
    }
    this.counts.delete(id);
    await this.db
      .delete(realtimePresence)
      .where(
        and(
          eq(realtimePresence.workspaceId, workspaceId),
          eq(realtimePresence.kind, kind),
          eq(realtimePresence.key, key),
          eq(realtimePresence.instanceId, this.instanceId),
        ),
      );
    return true;
  }

  private expiry(): Date {
    return new Date(Date.now() + presenceTtlMs);
  }

  private startHeartbeat() {
    if (this.timer) return;
    this.timer = setInterval(() => void this.heartbeat().catch(() => undefined), presenceHeartbeatMs);
    this.timer.unref();
  }

  async heartbeat(): Promise<void> {
    await this.db
      .update(realtimePresence)
      .set({ expiresAt: this.expiry() })
      .where(eq(realtimePresence.instanceId, this.instanceId));
    await this.db.delete(realtimePresence).where(lt(realtimePresence.expiresAt, sql`now()`));
  }

  /** Removes this instance's rows (graceful shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.counts.clear();
    await this.db
      .delete(realtimePresence)
      .where(eq(realtimePresence.instanceId, this.instanceId))
      .catch(() => undefined);
  }
}
