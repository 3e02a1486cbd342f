-- Rows stored before later rules, brought under them (the rules: src/modules/kb/kb.schemas.ts reservedArticleSlugs,
-- src/domain/customers.ts canonicalTimeZone).
-- Knowledge-base articles at an address the help centre now uses for a page of its own ("search", "vote") move to the
-- first free numbered address, as a new article titled so would get ("search-2", "search-3", ...).
UPDATE "kb_articles" a SET "slug" = (
  SELECT a.slug || '-' || n FROM generate_series(2, 1000) n
  WHERE NOT EXISTS (SELECT 1 FROM "kb_articles" o WHERE o.workspace_id = a.workspace_id AND o.slug = a.slug || '-' || n)
  ORDER BY n LIMIT 1
), "updated_at" = now()
WHERE a.slug IN ('search', 'vote');--> statement-breakpoint
-- Time zones of people and companies stored in another case or with spaces ("europe/paris ") take the zone's own
-- spelling ("Europe/Paris"); a mixed-case spelling is kept as written, as canonicalTimeZone keeps it. The zone names
-- are read only when some row needs them (reading them costs PGlite a fifth of a second).
WITH c AS (
  SELECT workspace_id, id, timezone FROM "people"
  WHERE timezone IS NOT NULL AND (btrim(timezone) = lower(btrim(timezone)) OR btrim(timezone) = upper(btrim(timezone))
    OR timezone <> btrim(timezone))
), z AS (
  SELECT name FROM pg_timezone_names WHERE EXISTS (SELECT 1 FROM c) AND name NOT LIKE 'posix/%' AND name NOT LIKE 'right/%'
)
UPDATE "people" p SET "timezone" = z.name FROM c JOIN z ON lower(z.name) = lower(btrim(c.timezone))
WHERE p.workspace_id = c.workspace_id AND p.id = c.id AND p.timezone <> z.name;--> statement-breakpoint
WITH c AS (
  SELECT workspace_id, id, timezone FROM "companies"
  WHERE timezone IS NOT NULL AND (btrim(timezone) = lower(btrim(timezone)) OR btrim(timezone) = upper(btrim(timezone))
    OR timezone <> btrim(timezone))
), z AS (
  SELECT name FROM pg_timezone_names WHERE EXISTS (SELECT 1 FROM c) AND name NOT LIKE 'posix/%' AND name NOT LIKE 'right/%'
)
UPDATE "companies" t SET "timezone" = z.name FROM c JOIN z ON lower(z.name) = lower(btrim(c.timezone))
WHERE t.workspace_id = c.workspace_id AND t.id = c.id AND t.timezone <> z.name;
