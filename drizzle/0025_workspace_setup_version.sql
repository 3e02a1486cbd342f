-- A version of what an inbound message reads of its workspace's set-up (settings, rules, SLA policies, business
-- calendars, SOP checklists): every change to one of them moves it on, in the same transaction, so a server that
-- kept the set-up it read at some version can ask, in the statement it sends anyway, whether it is still current.
ALTER TABLE "workspaces" ADD COLUMN "setup_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE FUNCTION rapport_bump_setup_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    UPDATE workspaces SET setup_version = setup_version + 1 WHERE id = OLD.workspace_id;
  END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.workspace_id IS DISTINCT FROM OLD.workspace_id) THEN
    UPDATE workspaces SET setup_version = setup_version + 1 WHERE id = NEW.workspace_id;
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
-- A time rule's progress (time_checked_until) is not set-up: the rule job moves it on all the time.
CREATE TRIGGER rules_setup_version AFTER INSERT OR DELETE
  OR UPDATE OF workspace_id, name, "trigger", conditions, actions, delay, position, active ON rules
  FOR EACH ROW EXECUTE FUNCTION rapport_bump_setup_version();--> statement-breakpoint
CREATE TRIGGER sla_policies_setup_version AFTER INSERT OR UPDATE OR DELETE ON sla_policies
  FOR EACH ROW EXECUTE FUNCTION rapport_bump_setup_version();--> statement-breakpoint
CREATE TRIGGER business_calendars_setup_version AFTER INSERT OR UPDATE OR DELETE ON business_calendars
  FOR EACH ROW EXECUTE FUNCTION rapport_bump_setup_version();--> statement-breakpoint
CREATE TRIGGER sop_checklists_setup_version AFTER INSERT OR UPDATE OR DELETE ON sop_checklists
  FOR EACH ROW EXECUTE FUNCTION rapport_bump_setup_version();--> statement-breakpoint
CREATE FUNCTION rapport_settings_setup_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.setup_version := OLD.setup_version + 1;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER workspaces_settings_setup_version BEFORE UPDATE OF settings ON workspaces
  FOR EACH ROW WHEN (OLD.settings IS DISTINCT FROM NEW.settings)
  EXECUTE FUNCTION rapport_settings_setup_version();
