CREATE TABLE "customer_churn_scores" (
	"workspace_id" uuid NOT NULL,
	"model_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"current" boolean NOT NULL,
	"scored_at" timestamp with time zone NOT NULL,
	"probability" double precision NOT NULL,
	"raising" jsonb NOT NULL,
	"lowering" jsonb NOT NULL,
	CONSTRAINT "customer_churn_scores_workspace_id_model_id_person_id_pk" PRIMARY KEY("workspace_id","model_id","person_id")
);
--> statement-breakpoint
ALTER TABLE "customer_churn_scores" ADD CONSTRAINT "customer_churn_scores_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_churn_scores" ADD CONSTRAINT "customer_churn_scores_workspace_id_model_id_prediction_models_workspace_id_id_fk" FOREIGN KEY ("workspace_id","model_id") REFERENCES "public"."prediction_models"("workspace_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "customer_churn_scores_person_idx" ON "customer_churn_scores" USING btree ("workspace_id","person_id") WHERE current;