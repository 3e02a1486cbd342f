import { msNow } from './columns.ts';
import { sql } from 'drizzle-orm';
import { jsonb, pgTable, text, timestamp, uuid, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The tenancy root. Every other table carries `workspace_id` in its keys; this one is the distribution
 * root (a Citus reference table), so it is the one table keyed by its own id.
 */
export const workspaces = pgTable(
  'workspaces',
  {
    id: uuid('id').primaryKey(),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    /** Signs one-click unsubscribe links and other tokens of this workspace. */
    secret: text('secret')
      .notNull()
      .default(sql`replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')`),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [uniqueIndex('workspaces_slug_key').on(t.slug)],
);
