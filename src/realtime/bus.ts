import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import { z } from 'zod';
import type { Database } from '../db/client.ts';

/**
 * What changed, in a few ids: listeners fetch the details from the database. Kept small because a PostgreSQL NOTIFY
 * payload is limited to 8,000 bytes and crosses every instance.
 */
export const realtimeEventSchema = z.discriminatedUnion('kind', [
  /** A message was stored on a ticket (a customer's, an agent's reply, a note). */
  z.object({
    kind: z.literal('message'),
    workspaceId: z.string(),
    ticketId: z.string(),
    conversationId: z.string(),
    messageId: z.string(),
    /**
     * What a chat visitor sees of the message, when it is not a note and small enough to travel in the notice: the
     * visitor's socket shows it without reading it back (the author's name aside, which it keeps for a while).
     */
    content: z
      .object({
        direction: z.enum(['inbound', 'outbound']),
        text: z.string(),
        authorType: z.string(),
        authorId: z.string().nullable(),
        createdAt: z.string(),
      })
      .optional(),
  }),
  /** A ticket's fields changed (status, assignee, merge, split…). */
  z.object({ kind: z.literal('ticket'), workspaceId: z.string(), ticketId: z.string() }),
  /** Someone is typing in a chat conversation: the visitor (shown to agents) or an agent (shown to the visitor). */
  z.object({
    kind: z.literal('typing'),
    workspaceId: z.string(),
    ticketId: z.string(),
    conversationId: z.string(),
    who: z.enum(['visitor', 'agent']),
    on: z.boolean(),
  }),
  /** The visitor read the agents' messages up to `messageId`, or an agent read the visitor's. */
  z.object({
    kind: z.literal('read'),
    workspaceId: z.string(),
    ticketId: z.string(),
    conversationId: z.string(),
    who: z.enum(['visitor', 'agent']),
    messageId: z.string(),
  }),
  /** Agents or a visitor came or went: listeners recompute who is online from realtime_presence. */
  z.object({
    kind: z.literal('presence'),
    workspaceId: z.string(),
    who: z.enum(['visitor', 'agent']),
    ticketId: z.string().nullable(),
    conversationId: z.string().nullable(),
    online: z.boolean(),
  }),
]);

export type RealtimeEvent = z.infer<typeof realtimeEventSchema>;
export type RealtimeListener = (e: RealtimeEvent) => void;

export interface RealtimeBus {
  /** Sends to every listener of every instance (this one included). Call it after the change committed. */
  publish(e: RealtimeEvent): Promise<void>;
  /**
   * An SQL expression that sends the event when the transaction it runs in commits (PostgreSQL's NOTIFY is
   * transactional, and nothing is sent on a rollback): lets a write path announce a change without a statement of its
   * own. Absent where that cannot be done (the in-process bus): `publish` after the commit then.
   */
  atCommit?: ((e: RealtimeEvent) => SQL) | undefined;
  /**
   * Call once the transaction that ran `atCommit(e)` committed: this instance's listeners get the event at once
   * rather than when its NOTIFY comes back through PostgreSQL (whichever comes first is delivered, the other dropped).
   */
  committed?: ((e: RealtimeEvent) => void) | undefined;
  /** Resolves once the listener is receiving (on PostgreSQL: once LISTEN is in place). Returns the unsubscriber. */
  subscribe(fn: RealtimeListener): Promise<() => void>;
  close(): Promise<void>;
}

export const realtimeChannel = 'rapport_realtime';

/** The largest notice payload sent (PostgreSQL refuses more than 8,000 bytes). */
export const maxNoticeBytes = 7_500;

/** One process (PGlite, or tests of one app): an in-process emitter. */
export function createLocalBus(): RealtimeBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async publish(e) {
      // Asynchronous like NOTIFY, so publishers never run listeners inside their own call stack.
      setImmediate(() => emitter.emit('event', e));
    },
    async subscribe(fn) {
      emitter.on('event', fn);
      return () => emitter.off('event', fn);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}

/**
 * Several instances on one PostgreSQL: NOTIFY through the pool, LISTEN on one dedicated connection per process
 * (opened on the first subscriber, reopened with a backoff when it drops). Events that arrive while it is down are
 * lost: the console keeps polling as the fallback, and a reconnecting chat widget reloads its history. This instance's
 * own events reach its listeners as soon as their change committed, without waiting for the round trip.
 */
export function createPostgresBus(connectionString: string, pool: pg.Pool, log?: (msg: string) => void): RealtimeBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let client: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let closed = false;
  let retryMs = 500;

  // Events this instance sent carry its origin and a number: each is delivered here once, either when the sender
  // reports the commit (`committed`, or `publish` returning) or when its NOTIFY comes back, whichever is first.
  const origin = randomUUID();
  let sent = 0;
  const numbers = new WeakMap<RealtimeEvent, number>();
  /** Own events sent and not delivered here yet (the echo may lack what did not fit in the notice). */
  const pending = new Map<number, { e: RealtimeEvent; at: number }>();
  /** Own events delivered here whose other arrival (the echo, or the sender's report) is still to come: n → when. */
  const delivered = new Map<number, number>();
  const forgetAfterMs = 60_000;
  let sweptAt = Date.now();

  function sweep(now: number) {
    if (now - sweptAt < forgetAfterMs) return;
    sweptAt = now;
    for (const [n, at] of delivered) if (now - at > forgetAfterMs) delivered.delete(n);
    for (const [n, p] of pending) if (now - p.at > forgetAfterMs) pending.delete(n);
  }

  function deliverOwn(n: number, echo: RealtimeEvent | null) {
    if (delivered.has(n)) {
      delivered.delete(n);
      return;
    }
    const original = pending.get(n);
    pending.delete(n);
    const e = original?.e ?? echo;
    if (!e) return;
    const now = Date.now();
    delivered.set(n, now);
    sweep(now);
    emitter.emit('event', e);
  }

  function payload(e: RealtimeEvent): string {
    const n = ++sent;
    numbers.set(e, n);
    const now = Date.now();
    pending.set(n, { e, at: now });
    sweep(now);
    let text = JSON.stringify({ ...e, origin, n });
    // A message's content travels only while the notice stays within PostgreSQL's limit.
    if (Buffer.byteLength(text) > maxNoticeBytes && e.kind === 'message' && e.content) {
      const { content: _content, ...rest } = e;
      text = JSON.stringify({ ...rest, origin, n });
    }
    return text;
  }

  const onNotification = (n: pg.Notification) => {
    if (n.channel !== realtimeChannel || !n.payload) return;
    let raw: unknown;
    try {
      raw = JSON.parse(n.payload);
    } catch {
      return;
    }
    const parsed = realtimeEventSchema.safeParse(raw);
    if (!parsed.success) return;
    const own = raw as { origin?: unknown; n?: unknown };
    if (own.origin === origin && typeof own.n === 'number') deliverOwn(own.n, parsed.data);
    else emitter.emit('event', parsed.data);
  };

  function connect(): Promise<void> {
    connecting ??= (async () => {
      const c = new pg.Client({ connectionString });
      c.on('notification', onNotification);
      c.on('error', () => undefined);
      c.on('end', () => {
        if (client === c) client = null;
        connecting = null;
        if (closed) return;
        log?.(`realtime: the LISTEN connection dropped; reconnecting in ${retryMs} ms`);
        const t = setTimeout(() => void connect().catch(() => undefined), retryMs);
        t.unref();
        retryMs = Math.min(retryMs * 2, 30_000);
      });
      await c.connect();
      await c.query(`listen ${realtimeChannel}`);
      retryMs = 500;
      client = c;
    })();
    const attempt = connecting;
    attempt.catch(() => {
      if (connecting === attempt) connecting = null;
    });
    return attempt;
  }

  function committed(e: RealtimeEvent) {
    const n = numbers.get(e);
    if (n !== undefined) deliverOwn(n, null);
  }

  return {
    async publish(e) {
      await pool.query('select pg_notify($1, $2)', [realtimeChannel, payload(e)]);
      committed(e);
    },
    atCommit: (e) => sql`pg_notify(${realtimeChannel}, ${payload(e)})`,
    committed,
    async subscribe(fn) {
      emitter.on('event', fn);
      await connect();
      return () => emitter.off('event', fn);
    },
    async close() {
      closed = true;
      emitter.removeAllListeners();
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}

/** The bus that fits the database: LISTEN/NOTIFY on PostgreSQL, in-process on PGlite (one process owns it). */
export function createRealtimeBus(database: Database, log?: (msg: string) => void): RealtimeBus {
  if (database.engine === 'postgres' && database.pool) {
    const cs = (database.pool.options as { connectionString?: string }).connectionString;
    if (cs) return createPostgresBus(cs, database.pool, log);
  }
  return createLocalBus();
}
