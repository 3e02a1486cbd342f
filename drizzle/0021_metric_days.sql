CREATE TABLE "metric_days" (
	"workspace_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"day" date NOT NULL,
	"cohort" integer NOT NULL,
	"orders" integer NOT NULL,
	"net" bigint NOT NULL,
	"new_customers" integer NOT NULL,
	"month_customers" integer NOT NULL,
	"month_repeaters" integer NOT NULL,
	CONSTRAINT "metric_days_workspace_id_currency_day_cohort_pk" PRIMARY KEY("workspace_id","currency","day","cohort")
);
--> statement-breakpoint
ALTER TABLE "metric_days" ADD CONSTRAINT "metric_days_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- The day totals of the roll-ups already there (what rebuildWorkspaceRollups computes): per customer, the month of
-- their first day is their cohort, their first day counts them as acquired, and their first day in each calendar
-- month counts them in that month (and as a repeat buyer of the month when they ordered twice or more in it).
INSERT INTO "metric_days" ("workspace_id", "currency", "day", "cohort", "orders", "net", "new_customers", "month_customers", "month_repeaters")
SELECT x.workspace_id, x.currency, x.day, x.cohort, sum(x.orders)::int, sum(x.net)::bigint,
  (count(*) FILTER (WHERE x.day = x.first_day))::int,
  (count(*) FILTER (WHERE x.month_first))::int,
  (count(*) FILTER (WHERE x.month_first AND x.month_orders >= 2))::int
FROM (
  SELECT y.*, extract(year from y.first_day)::int * 12 + extract(month from y.first_day)::int - 1 AS cohort,
    (y.prev_day IS NULL OR extract(year from y.prev_day)::int * 12 + extract(month from y.prev_day)::int
      <> extract(year from y.day)::int * 12 + extract(month from y.day)::int) AS month_first
  FROM (
    SELECT d.workspace_id, d.currency, d.day, d.orders, d.net,
      min(d.day) OVER (PARTITION BY d.workspace_id, d.person_id, d.currency) AS first_day,
      lag(d.day) OVER (PARTITION BY d.workspace_id, d.person_id, d.currency ORDER BY d.day) AS prev_day,
      sum(d.orders) OVER (PARTITION BY d.workspace_id, d.person_id, d.currency, date_trunc('month', d.day)) AS month_orders
    FROM "metric_customer_days" d
  ) y
) x
GROUP BY x.workspace_id, x.currency, x.day, x.cohort;
