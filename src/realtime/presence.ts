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
 * "Is an agent online in this workspace?" for every visitor socket of an instance: one query answers all the sockets
 * that ask within `maxAgeMs` of it (and all that ask while it runs), instead of one query per socket. A socket that
 * must see a change — an agent's presence event just arrived — asks for an answer begun after that moment: `mark()`
 * when the event arrives, then `get(workspace, mark)`, so one query serves every socket told of the same event.
 */
export class AgentsOnline {
  private readonly answers = new Map<string, { seq: number; startedAt: number; online: Promise<boolean> }>();
  private seq = 0;

  constructor(
    private readonly db: DbOrTx,
    private readonly maxAgeMs: number,
  ) {}

  /** A point in time to ask for an answer begun after (see `get`). */
  mark(): number {
    return this.seq;
  }

  /**
   * A shared answer: begun after `after` (a `mark()`) when given, else at most `maxAgeMs` old. `seq` orders answers:
   * two queries can finish out of order on a pool, so a socket keeps the answer with the highest `seq` it has seen.
   */
  get(workspaceId: string, after?: number): { seq: number; online: Promise<boolean> } {
    const known = this.answers.get(workspaceId);
    if (known && (after === undefined ? known.startedAt >= Date.now() - this.maxAgeMs : known.seq > after))
      return known;
    const answer = { seq: ++this.seq, startedAt: Date.now(), online: anyAgentOnline(this.db, workspaceId) };
    this.answers.set(workspaceId, answer);
    answer.online.catch(() => {
      if (this.answers.get(workspaceId) === answer) this.answers.delete(workspaceId);
    });
    return answer;
  }
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
