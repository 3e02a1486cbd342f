import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { companies, people } from '../../db/schema/index.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses } from '../../http/schemas.ts';
import { assertCan } from '../auth/access.ts';
import { bitmapOnly, resolveSearch, searchCondition } from './people.service.ts';

export const searchHitSchema = z
  .object({
    type: z.enum(['person', 'company']),
    id: z.string(),
    title: z.string(),
    subtitle: z.string().nullable(),
    score: z.number(),
  })
  .meta({ id: 'SearchHit' });

/** How many matching rows one search ranks at most, per table and phase: a common word costs a bounded amount. */
export const searchCandidateCap = 300;

type Ranked = { id: string; score: unknown };
type Search = ReturnType<typeof searchCondition>;
/** How many of a phase's candidates, the best by their words, get the (costlier) whole-query similarity. */
const finalists = 40;

/**
 * exact: every word as it is (and the query's e-mail-like chunks as substrings); then prefix (every word as it is
 * or the start of a word), with, for several words, oneTypo (one word anything, the others exact); then every word
 * anything (prefix, one edit away, trigram-similar).
 */
function phasesOf(words: number): Array<Array<(s: Search) => SQL>> {
  return [[(s) => s.exact], words > 1 ? [(s) => s.prefix, (s) => s.oneTypo] : [(s) => s.prefix], [(s) => s.where]];
}

/**
 * The best `limit` rows: phase by phase (see phasesOf) until `limit` rows are found. Each condition takes at most
 * `searchCandidateCap` candidates (the first the index finds, so a word that matches 100,000 people stays fast),
 * keeps the `finalists` best by their words and ranks those by the whole query's similarity. The word lookups are
 * precise (GIN on search_words), so a typo'd name narrows to its few namesakes.
 */
async function topMatches<T extends Ranked>(
  limit: number,
  words: number,
  run: (cond: (s: Search) => SQL) => Promise<T[]>,
): Promise<T[]> {
  const byId = new Map<string, T>();
  for (const phase of phasesOf(words)) {
    for (const rows of await Promise.all(phase.map(run))) for (const r of rows) if (!byId.has(r.id)) byId.set(r.id, r);
    if (byId.size >= limit) break;
  }
  return [...byId.values()].sort((a, b) => Number(b.score) - Number(a.score)).slice(0, limit);
}

async function topPeople(db: Db, workspaceId: string, q: string, limit: number) {
  const resolved = await resolveSearch(db, workspaceId, 'person', q);
  if (!resolved.words.length) return [];
  const s = searchCondition({ words: people.searchWords, text: people.searchText }, resolved);
  return topMatches(limit, resolved.words.length, (cond) =>
    bitmapOnly(db, async (db) => {
      const c = db
        .select({
          id: people.id,
          title: people.displayName,
          emails: people.emails,
          text: people.searchText,
          words: people.searchWords,
        })
        .from(people)
        .where(and(eq(people.workspaceId, workspaceId), cond(s)))
        .limit(searchCandidateCap)
        .as('c');
      const cheap = searchCondition({ words: c.words, text: c.text }, resolved).wordScore;
      const f = db
        .select({ id: c.id, title: c.title, emails: c.emails, text: c.text, cheap: cheap.as('cheap') })
        .from(c)
        .orderBy(desc(cheap))
        .limit(finalists)
        .as('f');
      const rank = sql<number>`${f.cheap} + word_similarity(${resolved.folded}, ${f.text})`;
      return db
        .select({ id: f.id, title: f.title, emails: f.emails, score: rank })
        .from(f)
        .orderBy(desc(rank))
        .limit(limit);
    }),
  );
}

async function topCompanies(db: Db, workspaceId: string, q: string, limit: number) {
  const resolved = await resolveSearch(db, workspaceId, 'company', q);
  if (!resolved.words.length) return [];
  const s = searchCondition({ words: companies.searchWords, text: companies.searchText }, resolved);
  return topMatches(limit, resolved.words.length, (cond) =>
    bitmapOnly(db, async (db) => {
      const c = db
        .select({
          id: companies.id,
          title: companies.name,
          domain: companies.domain,
          text: companies.searchText,
          words: companies.searchWords,
        })
        .from(companies)
        .where(and(eq(companies.workspaceId, workspaceId), cond(s)))
        .limit(searchCandidateCap)
        .as('c');
      const cheap = searchCondition({ words: c.words, text: c.text }, resolved).wordScore;
      const f = db
        .select({ id: c.id, title: c.title, domain: c.domain, text: c.text, cheap: cheap.as('cheap') })
        .from(c)
        .orderBy(desc(cheap))
        .limit(finalists)
        .as('f');
      const rank = sql<number>`${f.cheap} + word_similarity(${resolved.folded}, ${f.text})`;
      return db
        .select({ id: f.id, title: f.title, domain: f.domain, score: rank })
        .from(f)
        .orderBy(desc(rank))
        .limit(limit);
    }),
  );
}

/** One search box over people and companies: exact words first, then prefixes and typos (see topMatches). */
export const searchRoutes =
  (db: Db): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/search',
      {
        schema: {
          tags: ['Search'],
          summary: 'Search people and companies by name, email, phone, company, tag (typos tolerated)',
          querystring: z.object({
            q: z.string().trim().min(1, 'type something to search for').max(200),
            limit: z.coerce.number().int().min(1).max(50).default(10),
          }),
          response: { 200: z.object({ data: z.array(searchHitSchema) }), ...errorResponses },
        },
      },
      async (req) => {
        const actor = requireActor(req);
        assertCan(actor, 'customers:read');
        const { q, limit } = req.query;
        const [pRows, cRows] = await Promise.all([
          topPeople(db, actor.workspaceId, q, limit),
          topCompanies(db, actor.workspaceId, q, limit),
        ]);
        const hits = [
          ...pRows.map((p) => ({
            type: 'person' as const,
            id: p.id,
            title: p.title,
            subtitle: p.emails[0] ?? null,
            score: Number(p.score),
          })),
          ...cRows.map((c) => ({
            type: 'company' as const,
            id: c.id,
            title: c.title,
            subtitle: c.domain,
            score: Number(c.score),
          })),
        ];
        hits.sort((a, b) => b.score - a.score);
        return { data: hits.slice(0, limit) };
      },
    );
  };
