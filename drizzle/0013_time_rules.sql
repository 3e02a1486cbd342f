CREATE TABLE "rule_runs" (
	"workspace_id" uuid NOT NULL,
	"rule_id" uuid NOT NULL,
	"ticket_id" uuid NOT NULL,
	"anchor_at" timestamp with time zone NOT NULL,
	"fired" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	CONSTRAINT "rule_runs_workspace_id_rule_id_ticket_id_anchor_at_pk" PRIMARY KEY("workspace_id","rule_id","ticket_id","anchor_at")
);
--> statement-breakpoint
ALTER TABLE "rules" ADD COLUMN "delay" jsonb;--> statement-breakpoint
ALTER TABLE "rules" ADD COLUMN "time_checked_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "status_changed_at" timestamp with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL;--> statement-breakpoint
-- Existing tickets: the last change is the best known moment of their status.
UPDATE "tickets" SET "status_changed_at" = "updated_at";--> statement-breakpoint
ALTER TABLE "rule_runs" ADD CONSTRAINT "rule_runs_workspace_id_rule_id_rules_workspace_id_id_fk" FOREIGN KEY ("workspace_id","rule_id") REFERENCES "public"."rules"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_runs" ADD CONSTRAINT "rule_runs_workspace_id_ticket_id_tickets_workspace_id_id_fk" FOREIGN KEY ("workspace_id","ticket_id") REFERENCES "public"."tickets"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tickets_updated_idx" ON "tickets" USING btree ("workspace_id","updated_at");--> statement-breakpoint
CREATE INDEX "tickets_status_changed_idx" ON "tickets" USING btree ("workspace_id","status_changed_at");--> statement-breakpoint
CREATE INDEX "tickets_last_customer_idx" ON "tickets" USING btree ("workspace_id","last_customer_message_at");--> statement-breakpoint
CREATE INDEX "tickets_last_agent_idx" ON "tickets" USING btree ("workspace_id","last_agent_reply_at");