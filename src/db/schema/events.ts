import { msNow } from './columns.ts';
import { bigserial, foreignKey, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { workspaces } from './workspaces.ts';

/**
 * Append-only event log, written in the same transaction as the change it records (the outbox).
 * `seq` gives consumers (timeline, webhooks, roll-ups) a total order to resume from.
 */
export const events = pgTable(
  'events',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    seq: bigserial('seq', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    /** The customer the event concerns (their timeline): the subject itself for person events, else e.g. a ticket's. */
    personId: uuid('person_id'),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    index('events_subject_idx').on(t.workspaceId, t.subjectType, t.subjectId, t.seq),
    index('events_seq_idx').on(t.workspaceId, t.seq),
    index('events_type_idx').on(t.workspaceId, t.type, t.seq),
    index('events_person_idx').on(t.workspaceId, t.personId, t.seq),
  ],
);
