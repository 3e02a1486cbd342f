ALTER TABLE "metric_customer_days" ADD COLUMN "prev_day" date;--> statement-breakpoint
ALTER TABLE "metric_customer_days" ADD COLUMN "next_day" date;--> statement-breakpoint
ALTER TABLE "metric_customer_days" ADD COLUMN "customer_first_at" timestamp with time zone;--> statement-breakpoint
-- The rows already there get their neighbours and the customer's first order, as the roll-ups now write them.
UPDATE "metric_customer_days" d SET "prev_day" = x.prev_day, "next_day" = x.next_day, "customer_first_at" = x.customer_first_at
FROM (
  SELECT workspace_id, currency, day, person_id,
    lag(day) OVER w AS prev_day, lead(day) OVER w AS next_day,
    min(first_at) OVER (PARTITION BY workspace_id, currency, person_id) AS customer_first_at
  FROM "metric_customer_days"
  WINDOW w AS (PARTITION BY workspace_id, currency, person_id ORDER BY day)
) x
WHERE d.workspace_id = x.workspace_id AND d.currency = x.currency AND d.day = x.day AND d.person_id = x.person_id;--> statement-breakpoint
ALTER TABLE "metric_customer_days" ALTER COLUMN "customer_first_at" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "metric_customer_days_period_idx" ON "metric_customer_days" USING btree ("workspace_id","currency","day","person_id","orders","net","last_at","prev_day","next_day","customer_first_at");
