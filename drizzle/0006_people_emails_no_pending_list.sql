-- Lookups by email (imports, duplicates) scan the GIN pending list in full: without one they stay index lookups.
-- (The snapshot also records search_terms_trgm_idx's fastupdate=false, which 0005 already created but its snapshot missed.)
ALTER INDEX "people_emails_idx" SET (fastupdate = off);--> statement-breakpoint
SELECT gin_clean_pending_list('people_emails_idx'::regclass);
