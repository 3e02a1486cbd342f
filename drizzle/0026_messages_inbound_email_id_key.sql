-- One stored copy of each inbound mail (see messages_inbound_email_id_key in src/db/schema/service.ts). Copies stored
-- twice before, by two deliveries at once, keep their text but give up the Message-ID, so the index can be built.
UPDATE "messages" m SET "email_message_id" = NULL
WHERE m.direction = 'inbound' AND m.email_message_id IS NOT NULL AND EXISTS (
  SELECT 1 FROM "messages" o
  WHERE o.workspace_id = m.workspace_id AND o.direction = 'inbound' AND o.email_message_id = m.email_message_id
    AND (o.created_at, o.id) < (m.created_at, m.id)
);--> statement-breakpoint
CREATE UNIQUE INDEX "messages_inbound_email_id_key" ON "messages" USING btree ("workspace_id","email_message_id") WHERE direction = 'inbound' and email_message_id is not null;