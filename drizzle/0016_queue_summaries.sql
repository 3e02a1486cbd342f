-- The running or breached SLA metric due first (ties: the earlier in the list), as the inbox's queues show it:
-- {metric, state, dueAt, warnAt}, or null when none. Generated and stored so a queue page of summaries
-- (GET /api/v1/tickets/summaries) reads one small value per ticket instead of expanding every ticket's metrics.
-- IMMUTABLE for the same reason as rapport_sla_breach_at (0015): the dueAt values carry their offset.
CREATE FUNCTION rapport_sla_due(sla jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  select jsonb_build_object('metric', m->>'metric', 'state', m->>'state', 'dueAt', m->>'dueAt', 'warnAt', m->>'warnAt')
    from jsonb_array_elements(case when jsonb_typeof(sla) = 'array' then sla else '[]'::jsonb end) with ordinality as e(m, i)
   where m->>'state' in ('running', 'breached') and m->>'dueAt' is not null
   order by (m->>'dueAt')::timestamptz, i
   limit 1
$$;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "sla_due" jsonb GENERATED ALWAYS AS (rapport_sla_due(sla)) STORED;
