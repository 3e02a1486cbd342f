DROP INDEX "tickets_updated_idx";--> statement-breakpoint
-- When a ticket is (or will be) in breach of an SLA target: the earliest due time among its running or breached
-- metrics (null when none), for the inbox's "breaching" queue (sla_breach_at <= now() + 2 h) and its count, read from
-- an index instead of every open ticket's JSON. IMMUTABLE so it can generate a stored column: the dueAt values are
-- ISO 8601 instants with their offset (Date.toISOString), which read the same whatever the session's TimeZone.
CREATE FUNCTION rapport_sla_breach_at(sla jsonb) RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  select min((m->>'dueAt')::timestamptz)
    from jsonb_array_elements(case when jsonb_typeof(sla) = 'array' then sla else '[]'::jsonb end) m
   where m->>'state' in ('running', 'breached')
$$;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "sla_breach_at" timestamp with time zone GENERATED ALWAYS AS (rapport_sla_breach_at(sla)) STORED;--> statement-breakpoint
CREATE INDEX "tickets_open_idx" ON "tickets" USING btree ("workspace_id","updated_at","id","assignee_id","team_id","sla_breach_at") WHERE merged_into_id is null and status in ('new', 'open', 'pending', 'on_hold');--> statement-breakpoint
CREATE INDEX "tickets_open_assignee_idx" ON "tickets" USING btree ("workspace_id","assignee_id","updated_at","id") WHERE merged_into_id is null and status in ('new', 'open', 'pending', 'on_hold');--> statement-breakpoint
CREATE INDEX "tickets_open_unassigned_idx" ON "tickets" USING btree ("workspace_id","updated_at","id") WHERE merged_into_id is null and status in ('new', 'open', 'pending', 'on_hold') and assignee_id is null;--> statement-breakpoint
CREATE INDEX "tickets_open_counts_idx" ON "tickets" USING btree ("workspace_id","assignee_id","team_id","sla_breach_at") WHERE merged_into_id is null and status in ('new', 'open', 'pending', 'on_hold');--> statement-breakpoint
CREATE INDEX "tickets_updated_idx" ON "tickets" USING btree ("workspace_id","updated_at","id") WHERE merged_into_id is null;