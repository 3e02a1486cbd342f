import { foreignKey, index, primaryKey, text, timestamp, uuid, pgTable } from 'drizzle-orm/pg-core';
import { workspaces } from './workspaces.ts';

/**
 * Who is connected right now, across every server instance: one row per (kind, key, instance) while that instance
 * holds at least one socket for it. `agent` rows are keyed by user id (the inbox socket), `visitor` rows by chat
 * conversation id. Each instance extends its rows' `expires_at` by a heartbeat, so a crashed instance's rows lapse.
 */
export const realtimePresence = pgTable(
  'realtime_presence',
  {
    workspaceId: uuid('workspace_id').notNull(),
    kind: text('kind').$type<'agent' | 'visitor'>().notNull(),
    key: text('key').notNull(),
    instanceId: text('instance_id').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.kind, t.key, t.instanceId] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    index('realtime_presence_instance_idx').on(t.instanceId),
  ],
);
