CREATE TABLE "metric_customer_days" (
	"workspace_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"day" date NOT NULL,
	"person_id" uuid NOT NULL,
	"orders" integer NOT NULL,
	"net" bigint NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "metric_customer_days_workspace_id_currency_day_person_id_pk" PRIMARY KEY("workspace_id","currency","day","person_id")
);
--> statement-breakpoint
CREATE TABLE "metric_customers" (
	"workspace_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"person_id" uuid NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	"orders" integer NOT NULL,
	"net" bigint NOT NULL,
	CONSTRAINT "metric_customers_workspace_id_currency_person_id_pk" PRIMARY KEY("workspace_id","currency","person_id")
);
--> statement-breakpoint
ALTER TABLE "metric_customer_days" ADD CONSTRAINT "metric_customer_days_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_customers" ADD CONSTRAINT "metric_customers_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "metric_customer_days_person_idx" ON "metric_customer_days" USING btree ("workspace_id","person_id");--> statement-breakpoint
CREATE INDEX "metric_customers_person_idx" ON "metric_customers" USING btree ("workspace_id","person_id");--> statement-breakpoint
CREATE INDEX "tickets_resolved_idx" ON "tickets" USING btree ("workspace_id","resolved_at") WHERE resolved_at is not null;