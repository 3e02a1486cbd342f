-- The words search looks up, from search_text (already lower-cased and accent-folded by buildSearchText): every
-- space-separated chunk whole (an e-mail, a phone number, "o'sullivan"), every run of letters or of digits in it
-- ("mh", "nasa", "gov"), and the last 7+ digits of long digit chunks (phone numbers typed without their country code).
-- src/domain/search.ts splits a query the same way.
CREATE FUNCTION rapport_search_words(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  select coalesce(array_agg(distinct w order by w), '{}'::text[]) from (
    select c as w from regexp_split_to_table(t, ' ') c
    union all
    select m[1] from regexp_matches(t, '([0-9]+|[a-z\u00c0-\u1fff\u2070-\U0010ffff]+)', 'g') m
    union all
    select substr(c, i) from regexp_split_to_table(t, ' ') c, generate_series(2, length(c) - 6) i
     where c ~ '^[0-9]{8,}$'
  ) s where w <> '' and length(w) <= 200
$$;--> statement-breakpoint
CREATE TABLE "search_terms" (
	"workspace_id" uuid NOT NULL,
	"entity" text NOT NULL,
	"term" text NOT NULL,
	CONSTRAINT "search_terms_workspace_id_entity_term_pk" PRIMARY KEY("workspace_id","entity","term")
);
--> statement-breakpoint
ALTER TABLE "companies" ADD COLUMN "search_words" text[] GENERATED ALWAYS AS (rapport_search_words(search_text)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "search_words" text[] GENERATED ALWAYS AS (rapport_search_words(search_text)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "search_terms" ADD CONSTRAINT "search_terms_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "search_terms_prefix_idx" ON "search_terms" USING btree ("workspace_id","entity","term" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "search_terms_trgm_idx" ON "search_terms" USING gin ("term" gin_trgm_ops) WITH (fastupdate=false);--> statement-breakpoint
CREATE INDEX "companies_search_words_idx" ON "companies" USING gin ("search_words");--> statement-breakpoint
CREATE INDEX "people_search_words_idx" ON "people" USING gin ("search_words");--> statement-breakpoint
-- The dictionary: every letters-only word of the rows a statement inserted or updated, once per workspace and entity.
CREATE FUNCTION rapport_collect_search_terms() RETURNS trigger LANGUAGE plpgsql AS $$
begin
  insert into search_terms (workspace_id, entity, term)
  select distinct n.workspace_id, tg_argv[0], w from rapport_new_rows n, unnest(n.search_words) w
   where w ~ '^[a-z\u00c0-\u1fff\u2070-\U0010ffff]+$'
  on conflict do nothing;
  return null;
end
$$;--> statement-breakpoint
CREATE TRIGGER people_search_terms_insert AFTER INSERT ON people REFERENCING NEW TABLE AS rapport_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_collect_search_terms('person');--> statement-breakpoint
CREATE TRIGGER people_search_terms_update AFTER UPDATE ON people REFERENCING NEW TABLE AS rapport_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_collect_search_terms('person');--> statement-breakpoint
CREATE TRIGGER companies_search_terms_insert AFTER INSERT ON companies REFERENCING NEW TABLE AS rapport_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_collect_search_terms('company');--> statement-breakpoint
CREATE TRIGGER companies_search_terms_update AFTER UPDATE ON companies REFERENCING NEW TABLE AS rapport_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_collect_search_terms('company');--> statement-breakpoint
-- Existing rows (search_words itself was computed when the column was added).
INSERT INTO search_terms (workspace_id, entity, term)
SELECT DISTINCT workspace_id, 'person', w FROM people, unnest(search_words) w
 WHERE w ~ '^[a-z\u00c0-\u1fff\u2070-\U0010ffff]+$'
ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO search_terms (workspace_id, entity, term)
SELECT DISTINCT workspace_id, 'company', w FROM companies, unnest(search_words) w
 WHERE w ~ '^[a-z\u00c0-\u1fff\u2070-\U0010ffff]+$'
ON CONFLICT DO NOTHING;
