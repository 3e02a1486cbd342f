import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { insertRows } from '../db/bulk.ts';
import type { DbOrTx } from '../db/client.ts';
import { newId } from '../db/ids.ts';
import { events } from '../db/schema/index.ts';
import type { Actor } from '../domain/permissions.ts';

export type EventInput = {
  type: string;
  subjectType: string;
  subjectId: string;
  /** Whose timeline shows it; person events default to their subject. */
  personId?: string | null | undefined;
  payload?: Record<string, unknown>;
  /** When it happened, when the caller must know it (the SLA clock of the same write); else the statement's time. */
  occurredAt?: Date | undefined;
};

function personOf(input: EventInput): string | null {
  return input.personId ?? (input.subjectType === 'person' ? input.subjectId : null);
}

export type EventRow = typeof events.$inferSelect;

/** The row of one event the actor records. */
export function eventRow(actor: Actor, input: EventInput): typeof events.$inferInsert {
  return {
    workspaceId: actor.workspaceId,
    id: newId(),
    type: input.type,
    subjectType: input.subjectType,
    subjectId: input.subjectId,
    personId: personOf(input),
    actorType: actor.kind,
    actorId: actor.userId ?? actor.apiKeyId,
    payload: input.payload ?? {},
    ...(input.occurredAt ? { occurredAt: input.occurredAt } : {}),
  };
}

/**
 * Appends one event. Call it with the transaction that makes the change, so the change and its event are
 * committed together or not at all.
 */
export async function appendEvent(tx: DbOrTx, actor: Actor, input: EventInput): Promise<EventRow> {
  const [row] = await tx.insert(events).values(eventRow(actor, input)).returning();
  if (!row) throw new Error('event insert returned nothing');
  return row;
}

/**
 * Appends a few events with one INSERT, in the given order (their `seq` follows it), inside the caller's transaction:
 * one round trip where a change records several events at once.
 */
export async function appendEventsTogether(tx: DbOrTx, actor: Actor, inputs: readonly EventInput[]): Promise<void> {
  if (!inputs.length) return;
  await tx.insert(events).values(inputs.map((input) => eventRow(actor, input)));
}

/**
 * Appends many events in few statements (bulk paths such as imports), in the given order, inside the caller's
 * transaction. All are the actor's.
 */
export async function appendEvents(tx: DbOrTx, actor: Actor, inputs: readonly EventInput[]): Promise<void> {
  await insertRows(
    tx,
    events,
    inputs.map((input) => eventRow(actor, input)),
  );
}

export type EventQuery = {
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  personId?: string | undefined;
  type?: string | undefined;
  /** Types beginning with any of these are left out (what the reader may not see: "ticket."). */
  hidePrefixes?: readonly string[] | undefined;
  beforeSeq?: number | undefined;
  /**
   * `seq` (default): in the order they were recorded. `occurred`: by when they happened (`occurred_at`, then seq) —
   * a timeline, where an order imported today that was placed a year ago belongs a year back. `beforeSeq` is still
   * the last seen event's seq: the page goes on after that event's place in this order.
   */
  order?: 'seq' | 'occurred' | undefined;
  limit: number;
};

/** A LIKE pattern for what begins with `prefix` (LIKE's own wildcards in it taken literally). */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Newest first; page with `beforeSeq` (the last seen seq). */
export async function listEvents(db: DbOrTx, workspaceId: string, q: EventQuery): Promise<EventRow[]> {
  const conds = [eq(events.workspaceId, workspaceId)];
  if (q.subjectType) conds.push(eq(events.subjectType, q.subjectType));
  if (q.subjectId) conds.push(eq(events.subjectId, q.subjectId));
  if (q.personId) conds.push(eq(events.personId, q.personId));
  if (q.type)
    // A type ending in * is a prefix: "person.*", "person.consent_*" (LIKE's own wildcards in it taken literally).
    conds.push(
      q.type.endsWith('*') ? sql`${events.type} like ${likePrefix(q.type.slice(0, -1))}` : eq(events.type, q.type),
    );
  for (const prefix of q.hidePrefixes ?? []) conds.push(sql`${events.type} not like ${likePrefix(prefix)}`);
  const byTime = q.order === 'occurred';
  if (q.beforeSeq !== undefined)
    conds.push(
      byTime
        ? // After the last seen event in (occurred_at, seq) order; a cursor whose event is gone ends the list.
          sql`(${events.occurredAt}, ${events.seq}) < (select b.occurred_at, b.seq from events b where b.workspace_id = ${workspaceId} and b.seq = ${q.beforeSeq})`
        : lt(events.seq, q.beforeSeq),
    );
  return db
    .select()
    .from(events)
    .where(and(...conds))
    .orderBy(...(byTime ? [desc(events.occurredAt), desc(events.seq)] : [desc(events.seq)]))
    .limit(q.limit);
}
