CREATE TABLE "customer_predictions" (
	"workspace_id" uuid NOT NULL,
	"model_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"current" boolean NOT NULL,
	"scored_at" timestamp with time zone NOT NULL,
	"x" integer NOT NULL,
	"recency_days" integer NOT NULL,
	"age_days" integer NOT NULL,
	"historical_net" bigint NOT NULL,
	"repeat_mean" double precision NOT NULL,
	"p_alive" double precision NOT NULL,
	"expected_purchases" double precision NOT NULL,
	"expected_spend" double precision NOT NULL,
	"clv" double precision NOT NULL,
	"rfm_r" smallint NOT NULL,
	"rfm_f" smallint NOT NULL,
	"rfm_m" smallint NOT NULL,
	"rfm_segment" text NOT NULL,
	CONSTRAINT "customer_predictions_workspace_id_model_id_person_id_pk" PRIMARY KEY("workspace_id","model_id","person_id")
);
--> statement-breakpoint
CREATE TABLE "prediction_models" (
	"workspace_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"kind" text NOT NULL,
	"currency" text NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"params" jsonb NOT NULL,
	"summary" jsonb NOT NULL,
	"customers" integer NOT NULL,
	"fit_ms" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "prediction_models_workspace_id_id_pk" PRIMARY KEY("workspace_id","id")
);
--> statement-breakpoint
ALTER TABLE "customer_predictions" ADD CONSTRAINT "customer_predictions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_predictions" ADD CONSTRAINT "customer_predictions_workspace_id_model_id_prediction_models_workspace_id_id_fk" FOREIGN KEY ("workspace_id","model_id") REFERENCES "public"."prediction_models"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "prediction_models" ADD CONSTRAINT "prediction_models_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "customer_predictions_person_idx" ON "customer_predictions" USING btree ("workspace_id","person_id") WHERE current;--> statement-breakpoint
CREATE INDEX "customer_predictions_clv_idx" ON "customer_predictions" USING btree ("workspace_id","currency","clv") WHERE current;--> statement-breakpoint
CREATE UNIQUE INDEX "prediction_models_version_idx" ON "prediction_models" USING btree ("workspace_id","kind","currency","version");