import crypto from 'node:crypto';
import { and, eq, gt, lt, or, sql } from 'drizzle-orm';
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

type PresenceKey = { workspaceId: string; kind: PresenceKind; key: string };

/** Rows per statement when many keys are written at once (a heartbeat with a thousand visitor sockets). */
const writeChunk = 500;

/**
 * This instance's share of realtime_presence: counts its own sockets per (workspace, kind, key), writes a row when the
 * first opens and deletes it when the last closes; a heartbeat extends its rows, restores any that went missing and
 * sweeps lapsed ones.
 *
 * The writes go to the database one flush at a time, each writing the current state (row or no row) of every key that
 * changed before it began. Sent independently on a pool, a socket's "left" delete could run after the next socket's
 * "joined" insert for the same key, leaving no row while a socket is open — an agent shown offline for good.
 */
export class PresenceTracker {
  readonly instanceId = crypto.randomUUID();
  private readonly counts = new Map<string, { key: PresenceKey; n: number }>();
  private readonly dirty = new Map<string, PresenceKey>();
  /** The next flush, not yet begun: changes made now are written by it. */
  private queued: Promise<void> | null = null;
  /** Every flush begun so far, settled. */
  private tail: Promise<void> = Promise.resolve();
  private full = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Db) {}

  private static id(ws: string, kind: PresenceKind, key: string) {
    return `${ws}|${kind}|${key}`;
  }

  /** Returns true when this is the first socket for the key on this instance (once its row is written). */
  async join(workspaceId: string, kind: PresenceKind, key: string): Promise<boolean> {
    const id = PresenceTracker.id(workspaceId, kind, key);
    const known = this.counts.get(id);
    if (known) known.n += 1;
    else this.counts.set(id, { key: { workspaceId, kind, key }, n: 1 });
    this.startHeartbeat();
    await this.write(id, { workspaceId, kind, key });
    return !known;
  }

  /** Returns true when that was the last socket for the key on this instance (once its row is deleted). */
  async leave(workspaceId: string, kind: PresenceKind, key: string): Promise<boolean> {
    const id = PresenceTracker.id(workspaceId, kind, key);
    const known = this.counts.get(id);
    if (!known) return false;
    if (known.n > 1) {
      known.n -= 1;
      return false;
    }
    this.counts.delete(id);
    await this.write(id, { workspaceId, kind, key });
    return true;
  }

  /** Has the next flush write the key's state; resolves when it has. */
  private write(id: string, key: PresenceKey | null): Promise<void> {
    if (key) this.dirty.set(id, key);
    if (!this.queued) {
      const run = this.tail.then(() => {
        this.queued = null;
        return this.flush();
      });
      this.queued = run;
      this.tail = run.catch(() => undefined);
    }
    return this.queued;
  }

  private async flush(): Promise<void> {
    const full = this.full;
    this.full = false;
    const changed = [...this.dirty.entries()];
    this.dirty.clear();
    const live = full ? [...this.counts.values()].map((c) => c.key) : [];
    const gone: PresenceKey[] = [];
    for (const [id, key] of changed) {
      if (!this.counts.has(id)) gone.push(key);
      else if (!full) live.push(key);
    }
    const expiresAt = this.expiry();
    for (let i = 0; i < live.length; i += writeChunk) await this.upsert(live.slice(i, i + writeChunk), expiresAt);
    if (full)
      // Every live row now carries this expiry: an older one of this instance belongs to no open socket.
      await this.db
        .delete(realtimePresence)
        .where(and(eq(realtimePresence.instanceId, this.instanceId), lt(realtimePresence.expiresAt, expiresAt)));
    else
      for (let i = 0; i < gone.length; i += writeChunk)
        await this.db
          .delete(realtimePresence)
          .where(
            and(
              eq(realtimePresence.instanceId, this.instanceId),
              or(
                ...gone
                  .slice(i, i + writeChunk)
                  .map((g) =>
                    and(
                      eq(realtimePresence.workspaceId, g.workspaceId),
                      eq(realtimePresence.kind, g.kind),
                      eq(realtimePresence.key, g.key),
                    ),
                  ),
              ),
            ),
          );
  }

  /** Writes the keys' rows (a workspace deleted meanwhile is skipped). */
  private async upsert(keys: PresenceKey[], expiresAt: Date): Promise<void> {
    if (!keys.length) return;
    const values = sql.join(
      keys.map((k) => sql`(${k.workspaceId}::uuid, ${k.kind}, ${k.key})`),
      sql`, `,
    );
    await this.db.execute(sql`
      insert into realtime_presence (workspace_id, kind, key, instance_id, expires_at)
      select w.id, v.kind, v.key, ${this.instanceId}, ${expiresAt.toISOString()}::timestamptz
      from (values ${values}) as v(workspace_id, kind, key)
      join workspaces w on w.id = v.workspace_id
      on conflict (workspace_id, kind, key, instance_id) do update set expires_at = excluded.expires_at`);
  }

  private expiry(): Date {
    return new Date(Date.now() + presenceTtlMs);
  }

  private startHeartbeat() {
    if (this.timer) return;
    this.timer = setInterval(() => void this.heartbeat().catch(() => undefined), presenceHeartbeatMs);
    this.timer.unref();
  }

  /** Rewrites this instance's rows with a new expiry (restoring any missing), then sweeps every lapsed row. */
  async heartbeat(): Promise<void> {
    this.full = true;
    await this.write('', null);
    await this.db.delete(realtimePresence).where(lt(realtimePresence.expiresAt, sql`now()`));
  }

  /** Removes this instance's rows (graceful shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.counts.clear();
    this.dirty.clear();
    await this.tail;
    await this.db
      .delete(realtimePresence)
      .where(eq(realtimePresence.instanceId, this.instanceId))
      .catch(() => undefined);
  }
}
