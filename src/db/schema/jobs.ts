import { msNow } from './columns.ts';
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Durable job queue. Jobs are rows, so they survive restarts and can be enqueued inside the same transaction as
 * the change that caused them. Jobs that belong to no workspace use the nil UUID as workspace_id.
 */
export const jobs = pgTable(
  'jobs',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
    /** queued | running | succeeded | failed (retries exhausted) | cancelled */
    state: text('state').notNull().default('queued'),
    runAt: timestamp('run_at', { withTimezone: true }).notNull().default(msNow),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    /** When set, only one queued/running job with this key exists per workspace and name. */
    singletonKey: text('singleton_key'),
    lockedBy: text('locked_by'),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastError: text('last_error'),
    /** What a long job has done so far (e.g. { total, done, changed }), for progress bars; null when it reports none. */
    progress: jsonb('progress').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    index('jobs_due_idx').on(t.state, t.runAt),
    /** Queued jobs by name and workspace, oldest first: the runner takes turns between workspaces (JobRunner.claim). */
    index('jobs_queued_turns_idx')
      .on(t.name, t.workspaceId, t.runAt)
      .where(sql`state = 'queued'`),
    uniqueIndex('jobs_singleton_key')
      .on(t.workspaceId, t.name, t.singletonKey)
      .where(sql`state in ('queued', 'running')`),
  ],
);

export const jobSchedules = pgTable(
  'job_schedules',
  {
    workspaceId: uuid('workspace_id').notNull(),
    name: text('name').notNull(),
    cron: text('cron').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    payload: jsonb('payload').$type<unknown>().notNull(),
    nextRunAt: timestamp('next_run_at', { withTimezone: true }).notNull(),
    lastRunAt: timestamp('last_run_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.name] })],
);
