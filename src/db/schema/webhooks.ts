import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { msNow } from './columns.ts';
import { workspaces } from './workspaces.ts';

/** Where a workspace's events are sent: a URL, the event types it wants, and the secret deliveries are signed with. */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    url: text('url').notNull(),
    description: text('description').notNull().default(''),
    /** Kept as is: it signs every delivery, so it cannot be hashed. Shown on create, reveal and rotate only. */
    secret: text('secret').notNull(),
    /** Exact types (`person.created`), prefixes (`person.*`) or `*`. */
    eventTypes: text('event_types')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    active: boolean('active').notNull().default(true),
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
  ],
);

/**
 * One event for one endpoint. The id is the `Rapport-Delivery` header and stays the same across retries and manual
 * redeliveries; (endpoint, event) is unique, so an event is never delivered as two deliveries to one endpoint.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    endpointId: uuid('endpoint_id').notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** The exact JSON sent, so every attempt sends the same bytes. */
    requestBody: text('request_body').notNull(),
    /** pending (will be tried again) | succeeded | failed (gave up; redeliver by hand) */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    responseExcerpt: text('response_excerpt'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({
      columns: [t.workspaceId, t.endpointId],
      foreignColumns: [webhookEndpoints.workspaceId, webhookEndpoints.id],
    }).onDelete('cascade'),
    unique('webhook_deliveries_event_key').on(t.workspaceId, t.endpointId, t.eventId),
    index('webhook_deliveries_endpoint_idx').on(t.workspaceId, t.endpointId, t.createdAt),
    index('webhook_deliveries_status_idx').on(t.workspaceId, t.endpointId, t.status),
  ],
);

/** Every HTTP attempt of a delivery: when, what came back, how long it took, and what started it. */
export const webhookDeliveryAttempts = pgTable(
  'webhook_delivery_attempts',
  {
    workspaceId: uuid('workspace_id').notNull(),
    deliveryId: uuid('delivery_id').notNull(),
    attempt: integer('attempt').notNull(),
    /** automatic (the queue) | manual (redeliver) | test */
    trigger: text('trigger').notNull(),
    /** The Rapport-Timestamp sent (unix seconds); the signature was computed over it. */
    timestamp: bigint('timestamp', { mode: 'number' }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    responseExcerpt: text('response_excerpt'),
    succeeded: boolean('succeeded').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.deliveryId, t.attempt] }),
    foreignKey({
      columns: [t.workspaceId, t.deliveryId],
      foreignColumns: [webhookDeliveries.workspaceId, webhookDeliveries.id],
    }).onDelete('cascade'),
  ],
);

/**
 * How far a consumer of the event log has read, per workspace: every event with seq ≤ last_seq has been handled.
 * Advanced in the same transaction as the work it records (e.g. the deliveries it created).
 */
export const eventCursors = pgTable(
  'event_cursors',
  {
    workspaceId: uuid('workspace_id').notNull(),
    consumer: text('consumer').notNull(),
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.consumer] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
  ],
);
