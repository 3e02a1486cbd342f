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
-- spelling ("Europe/Paris"); a mixed-case spelling is kept as written, as canonicalTimeZone keeps it.
UPDATE "people" p SET "timezone" = z.name FROM pg_timezone_names z
WHERE p.timezone IS NOT NULL AND p.timezone <> z.name AND lower(btrim(p.timezone)) = lower(z.name)
  AND z.name NOT LIKE 'posix/%' AND z.name NOT LIKE 'right/%'
  AND (btrim(p.timezone) = lower(btrim(p.timezone)) OR btrim(p.timezone) = upper(btrim(p.timezone)) OR p.timezone <> btrim(p.timezone));--> statement-breakpoint
UPDATE "companies" c SET "timezone" = z.name FROM pg_timezone_names z
WHERE c.timezone IS NOT NULL AND c.timezone <> z.name AND lower(btrim(c.timezone)) = lower(z.name)
  AND z.name NOT LIKE 'posix/%' AND z.name NOT LIKE 'right/%'
  AND (btrim(c.timezone) = lower(btrim(c.timezone)) OR btrim(c.timezone) = upper(btrim(c.timezone)) OR c.timezone <> btrim(c.timezone));
