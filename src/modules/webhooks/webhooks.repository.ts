import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { listClauses, toPage, type ListColumns } from '../../db/list.ts';
import {
  eventCursors,
  events,
  webhookDeliveries,
  webhookDeliveryAttempts,
  webhookEndpoints,
} from '../../db/schema/index.ts';
import type { FieldSpecs, ListQuery } from '../../domain/list-query.ts';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookDeliveryAttempts.$inferSelect;
export type EndpointStats = { pending: number; failed: number; lastStatus: string | null; lastAt: Date | null };

type Rows = { rows: Array<Record<string, unknown>> };
const rowsOf = (r: unknown) => (r as Rows).rows;

// ---- endpoints ----

export async function listEndpoints(db: DbOrTx, workspaceId: string): Promise<WebhookEndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.workspaceId, workspaceId))
    .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
}

export async function findEndpoint(db: DbOrTx, workspaceId: string, id: string): Promise<WebhookEndpointRow | null> {
  const [r] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)));
  return r ?? null;
}

export async function insertEndpoint(
  db: DbOrTx,
  row: typeof webhookEndpoints.$inferInsert,
): Promise<WebhookEndpointRow> {
  const [r] = await db.insert(webhookEndpoints).values(row).returning();
  if (!r) throw new Error('webhook endpoint insert returned nothing');
  return r;
}

export async function updateEndpoint(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<Pick<WebhookEndpointRow, 'url' | 'description' | 'eventTypes' | 'active' | 'secret'>>,
): Promise<WebhookEndpointRow | null> {
  const [r] = await db
    .update(webhookEndpoints)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)))
    .returning();
  return r ?? null;
}

export async function deleteEndpoint(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const r = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)))
    .returning({ id: webhookEndpoints.id });
  return r.length > 0;
}

/** Pending and failed counts and the latest delivery of each endpoint, for the settings page. */
export async function endpointStats(
  db: DbOrTx,
  workspaceId: string,
  ids: string[],
): Promise<Map<string, EndpointStats>> {
  const out = new Map<string, EndpointStats>();
  for (const id of ids) out.set(id, { pending: 0, failed: 0, lastStatus: null, lastAt: null });
  if (!ids.length) return out;
  const counts = await db
    .select({
      endpointId: webhookDeliveries.endpointId,
      status: webhookDeliveries.status,
      n: sql<number>`count(*)::int`,
    })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.workspaceId, workspaceId),
        inArray(webhookDeliveries.endpointId, ids),
        inArray(webhookDeliveries.status, ['pending', 'failed']),
      ),
    )
    .groupBy(webhookDeliveries.endpointId, webhookDeliveries.status);
  for (const c of counts) {
    const s = out.get(c.endpointId);
    if (s && c.status === 'pending') s.pending = Number(c.n);
    if (s && c.status === 'failed') s.failed = Number(c.n);
  }
  const latest = rowsOf(
    await db.execute(sql`
      select distinct on (endpoint_id) endpoint_id, status, created_at
      from ${webhookDeliveries}
      where workspace_id = ${workspaceId} and endpoint_id in (${sql.join(
        ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})
      order by endpoint_id, created_at desc, id desc`),
  );
  for (const l of latest) {
    const s = out.get(String(l.endpoint_id));
    if (!s) continue;
    s.lastStatus = String(l.status);
    s.lastAt = new Date(l.created_at as string | Date);
  }
  return out;
}

// ---- deliveries ----

export const deliveryFields: FieldSpecs = {
  status: { type: 'enum', values: ['pending', 'succeeded', 'failed'] },
  event_type: { type: 'string' },
  event_id: { type: 'string' },
  attempts: { type: 'number', integer: 'int4' },
  last_status_code: { type: 'number', integer: 'int4' },
  created_at: { type: 'datetime' },
  last_attempt_at: { type: 'datetime' },
};

const deliveryColumns: ListColumns = {
  id: webhookDeliveries.id,
  specs: deliveryFields,
  fields: {
    status: webhookDeliveries.status,
    event_type: webhookDeliveries.eventType,
    event_id: sql`${webhookDeliveries.eventId}::text`,
    attempts: webhookDeliveries.attempts,
    last_status_code: webhookDeliveries.lastStatusCode,
    created_at: webhookDeliveries.createdAt,
    last_attempt_at: webhookDeliveries.lastAttemptAt,
  },
};

export async function listDeliveries(db: DbOrTx, workspaceId: string, endpointId: string, q: ListQuery) {
  const c = listClauses(deliveryColumns, q);
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(
      and(eq(webhookDeliveries.workspaceId, workspaceId), eq(webhookDeliveries.endpointId, endpointId), ...c.where),
    )
    .orderBy(...c.orderBy)
    .limit(c.limit);
  const sortKey = deliveryColumns.fields[q.sort.field] ? q.sort.field : 'created_at';
  return toPage(rows, q, {
    id: (r) => r.id,
    sortValue: (r) =>
      ({
        status: r.status,
        event_type: r.eventType,
        event_id: r.eventId,
        attempts: r.attempts,
        last_status_code: r.lastStatusCode,
        created_at: r.createdAt,
        last_attempt_at: r.lastAttemptAt,
      })[sortKey],
  });
}

export async function findDelivery(db: DbOrTx, workspaceId: string, id: string): Promise<WebhookDeliveryRow | null> {
  const [r] = await db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.workspaceId, workspaceId), eq(webhookDeliveries.id, id)));
  return r ?? null;
}

export async function listAttempts(db: DbOrTx, workspaceId: string, deliveryId: string): Promise<WebhookAttemptRow[]> {
  return db
    .select()
    .from(webhookDeliveryAttempts)
    .where(
      and(eq(webhookDeliveryAttempts.workspaceId, workspaceId), eq(webhookDeliveryAttempts.deliveryId, deliveryId)),
    )
    .orderBy(asc(webhookDeliveryAttempts.attempt));
}

/** Inserts deliveries; those whose (endpoint, event) already exists are skipped. Returns the ids really inserted. */
export async function insertDeliveries(
  db: DbOrTx,
  rows: Array<typeof webhookDeliveries.$inferInsert>,
): Promise<Array<{ workspaceId: string; id: string }>> {
  if (!rows.length) return [];
  return db
    .insert(webhookDeliveries)
    .values(rows)
    .onConflictDoNothing({
      target: [webhookDeliveries.workspaceId, webhookDeliveries.endpointId, webhookDeliveries.eventId],
    })
    .returning({ workspaceId: webhookDeliveries.workspaceId, id: webhookDeliveries.id });
}

/** Takes the next attempt number of a delivery (atomic, so concurrent attempts never share a number). */
export async function startAttempt(db: DbOrTx, workspaceId: string, id: string): Promise<number | null> {
  const [r] = await db
    .update(webhookDeliveries)
    .set({ attempts: sql`${webhookDeliveries.attempts} + 1`, lastAttemptAt: new Date() })
    .where(and(eq(webhookDeliveries.workspaceId, workspaceId), eq(webhookDeliveries.id, id)))
    .returning({ attempts: webhookDeliveries.attempts });
  return r?.attempts ?? null;
}

export async function recordAttempt(
  db: DbOrTx,
  attempt: typeof webhookDeliveryAttempts.$inferInsert,
  delivery: Partial<
    Pick<
      WebhookDeliveryRow,
      'status' | 'lastStatusCode' | 'lastError' | 'responseExcerpt' | 'nextAttemptAt' | 'deliveredAt'
    >
  >,
): Promise<WebhookDeliveryRow | null> {
  await db.insert(webhookDeliveryAttempts).values(attempt).onConflictDoNothing();
  const [r] = await db
    .update(webhookDeliveries)
    .set(delivery)
    .where(and(eq(webhookDeliveries.workspaceId, attempt.workspaceId), eq(webhookDeliveries.id, attempt.deliveryId)))
    .returning();
  return r ?? null;
}

export async function setDeliveryStatus(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<Pick<WebhookDeliveryRow, 'status' | 'lastError' | 'nextAttemptAt'>>,
): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set(set)
    .where(and(eq(webhookDeliveries.workspaceId, workspaceId), eq(webhookDeliveries.id, id)));
}

// ---- fan-out from the event log ----

/** The newest seq handed out so far, committed or not (reading a sequence ignores transactions). */
export async function eventSeqHighWater(db: DbOrTx): Promise<number> {
  // events.seq is a bigserial: its sequence is events_seq_seq.
  const [r] = rowsOf(await db.execute(sql`select last_value, is_called from events_seq_seq`));
  if (!r) return 0;
  return r.is_called ? Number(r.last_value) : Number(r.last_value) - 1;
}

export async function clockNow(db: DbOrTx): Promise<Date> {
  const [r] = rowsOf(await db.execute(sql`select clock_timestamp() as now`));
  return new Date(r?.now as string | Date);
}

/**
 * The start of the oldest other transaction of this database that may hold an event seq it has not committed yet:
 * one that has written (has an xid) or is running a statement (an insert between nextval and its xid). Read in a
 * statement of its own: pg_stat_activity is cached for the rest of a transaction. Null when there is none (always
 * on PGlite, which has one connection).
 */
export async function oldestWritingTransactionStart(db: DbOrTx): Promise<Date | null> {
  const [r] = rowsOf(
    await db.execute(sql`
      select min(xact_start) as oldest from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null
        and (backend_xid is not null or state = 'active')`),
  );
  return r?.oldest ? new Date(r.oldest as string | Date) : null;
}

export const fanOutConsumer = 'webhooks';

/** Starts a workspace's cursor at the given seq, unless it has one (events before a first endpoint are not sent). */
export async function ensureCursor(db: DbOrTx, workspaceId: string, seq: number): Promise<void> {
  await db.insert(eventCursors).values({ workspaceId, consumer: fanOutConsumer, lastSeq: seq }).onConflictDoNothing();
}

/** Workspaces whose cursor is behind `upTo`, with whether they have an active endpoint. */
export async function laggingCursors(
  db: DbOrTx,
  upTo: number,
): Promise<Array<{ workspaceId: string; lastSeq: number; hasActive: boolean }>> {
  const rows = rowsOf(
    await db.execute(sql`
      select c.workspace_id, c.last_seq,
        exists (select 1 from ${webhookEndpoints} e where e.workspace_id = c.workspace_id and e.active) as has_active
      from ${eventCursors} c
      where c.consumer = ${fanOutConsumer} and c.last_seq < ${upTo}`),
  );
  return rows.map((r) => ({
    workspaceId: String(r.workspace_id),
    lastSeq: Number(r.last_seq),
    hasActive: Boolean(r.has_active),
  }));
}

/** Locks a workspace's cursor row for the rest of the transaction (so two consumers take turns) and reads it. */
export async function lockCursor(db: DbOrTx, workspaceId: string): Promise<number | null> {
  const [r] = await db
    .select({ lastSeq: eventCursors.lastSeq })
    .from(eventCursors)
    .where(and(eq(eventCursors.workspaceId, workspaceId), eq(eventCursors.consumer, fanOutConsumer)))
    .for('update');
  return r?.lastSeq ?? null;
}

export async function advanceCursor(db: DbOrTx, workspaceId: string, seq: number): Promise<void> {
  await db
    .update(eventCursors)
    .set({ lastSeq: sql`greatest(${eventCursors.lastSeq}, ${seq})`, updatedAt: new Date() })
    .where(and(eq(eventCursors.workspaceId, workspaceId), eq(eventCursors.consumer, fanOutConsumer)));
}

export async function eventsAfter(db: DbOrTx, workspaceId: string, afterSeq: number, upTo: number, limit: number) {
  return db
    .select()
    .from(events)
    .where(and(eq(events.workspaceId, workspaceId), gt(events.seq, afterSeq), lte(events.seq, upTo)))
    .orderBy(asc(events.seq))
    .limit(limit);
}

export async function activeEndpoints(db: DbOrTx, workspaceId: string): Promise<WebhookEndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.active, true)));
}
