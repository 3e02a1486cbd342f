CREATE TABLE "channel_imap_state" (
	"workspace_id" uuid NOT NULL,
	"channel_id" uuid NOT NULL,
	"uid_validity" text,
	"last_uid" bigint,
	"polling_until" timestamp with time zone,
	"last_poll_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"last_error_code" text,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"last_imported" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT date_trunc('milliseconds', now()) NOT NULL,
	CONSTRAINT "channel_imap_state_workspace_id_channel_id_pk" PRIMARY KEY("workspace_id","channel_id")
);
--> statement-breakpoint
ALTER TABLE "channel_imap_state" ADD CONSTRAINT "channel_imap_state_workspace_id_channel_id_channels_workspace_id_id_fk" FOREIGN KEY ("workspace_id","channel_id") REFERENCES "public"."channels"("workspace_id","id") ON DELETE cascade ON UPDATE no action;