import { msNow } from './columns.ts';
import { sql } from 'drizzle-orm';
import { bigint, jsonb, pgTable, text, timestamp, uuid, uniqueIndex } from 'drizzle-orm/pg-core';

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
    /**
     * Moves on whenever what an inbound message reads of the workspace's set-up changes — its settings, a rule, an
     * SLA policy, a business calendar, an SOP checklist (triggers, migration 0025) — so a server may keep the set-up
     * it read and ask only whether it is still the one stored (src/modules/tickets/inbound-config.ts).
     */
    setupVersion: bigint('setup_version', { mode: 'number' }).notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [uniqueIndex('workspaces_slug_key').on(t.slug)],
);
