-- Ticket numbers come from one sequence per workspace instead of the counters row, which stayed locked from a new
-- ticket's number to its commit: a workspace's new tickets committed one at a time. A sequence hands out numbers
-- without a lock; a ticket whose transaction rolls back leaves its number unused.
CREATE FUNCTION rapport_ticket_sequence(ws uuid) RETURNS regclass LANGUAGE plpgsql AS $$
DECLARE
  seq text := 'ticket_numbers_' || replace(ws::text, '-', '');
  found regclass := to_regclass(seq);
BEGIN
  IF found IS NULL THEN
    -- One transaction creates it, starting after the last number the counter gave; a concurrent one waits.
    PERFORM pg_advisory_xact_lock(727276, hashtext(seq));
    found := to_regclass(seq);
    IF found IS NULL THEN
      EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I AS integer START WITH %s', seq,
        coalesce((SELECT value FROM counters WHERE workspace_id = ws AND name = 'ticket'), 0) + 1);
      found := to_regclass(seq);
    END IF;
  END IF;
  RETURN found;
END $$;--> statement-breakpoint
CREATE FUNCTION rapport_next_ticket_number(ws uuid) RETURNS integer LANGUAGE sql AS $$
  select nextval(rapport_ticket_sequence(ws))::integer
$$;--> statement-breakpoint
SELECT rapport_ticket_sequence(id) FROM workspaces;
