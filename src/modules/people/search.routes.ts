import type { SQL } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { companies, people } from '../../db/schema/index.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses } from '../../http/schemas.ts';
import { assertCan } from '../auth/access.ts';
import { parseQuery } from '../../domain/search.ts';
import {
  bitmapOnly,
  resolveSearches,
  searchCondition,
  unresolvedSearch,
  type ResolvedSearch,
} from './people.service.ts';
import { searchCandidates, type SearchEntity, type SearchHitRow } from './search.repository.ts';

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
export const searchCandidateCap = 100;
/** How many of a phase's candidates, the best by their words, get the (costlier) whole-query similarity. */
const finalists = 40;

/**
 * exact: every word as it is (a chunk such as an e-mail address or "b2b": whole); then prefix (every word as it is or
 * the start of a word), with, for several words, oneTypo (one word anything, the others exact); then every word
 * anything (prefix, one edit away, trigram-similar).
 */
function laterPhases(s: ReturnType<typeof searchCondition>, words: number): SQL[][] {
  return [words > 1 ? [s.prefix, s.oneTypo] : [s.prefix], [s.where]];
}

/**
 * The best `limit` people and companies: both tables searched for the query as it is (one statement); then, for the
 * tables with fewer than `limit` found, the query's words looked up in their dictionaries (one statement) and the
 * later phases (one statement, see searchCandidates); always through the word index only (see bitmapOnly). A statement whose
 * every condition is one index lookup (one word or chunk, not a phone number) takes a sample of a common word's rows.
 */
async function topMatches(db: Db, workspaceId: string, q: string, limit: number) {
  const parsed = parseQuery(q);
  if (!parsed.words.length) return [];
  const conditions = (person: ResolvedSearch, company: ResolvedSearch) => [
    { entity: 'person' as const, s: searchCondition({ words: people.searchWords, text: people.searchText }, person) },
    {
      entity: 'company' as const,
      s: searchCondition({ words: companies.searchWords, text: companies.searchText }, company),
    },
  ];
  const opts = { limit, candidates: searchCandidateCap, finalists };
  // The exact phase needs no dictionary: among rows holding every word as it is, every word scores as exact.
  const bare = conditions(unresolvedSearch(parsed), unresolvedSearch(parsed));
  const exact = await bitmapOnly(
    db,
    (tx) =>
      searchCandidates(
        tx,
        workspaceId,
        parsed.folded,
        bare.map((t) => ({ entity: t.entity, phases: [[t.s.exact]], wordScore: t.s.wordScore })),
        opts,
      ),
    { sampleCommonWords: !parsed.phone && bare.every((t) => t.s.exactKeys === 1) },
  );
  const foundOf = (entity: SearchEntity) => exact.filter((r) => r.type === entity).map((r) => r.id);
  const wanted = bare.filter((t) => foundOf(t.entity).length < limit).map((t) => t.entity);
  let later: SearchHitRow[] = [];
  if (wanted.length) {
    const resolved = await resolveSearches(db, workspaceId, wanted, q);
    const tables = conditions(
      resolved.person ?? unresolvedSearch(parsed),
      resolved.company ?? unresolvedSearch(parsed),
    ).filter((t) => wanted.includes(t.entity));
    later = await bitmapOnly(
      db,
      (tx) =>
        searchCandidates(
          tx,
          workspaceId,
          parsed.folded,
          tables.map((t) => ({
            entity: t.entity,
            phases: laterPhases(t.s, parsed.words.length),
            wordScore: t.s.wordScore,
            found: foundOf(t.entity),
          })),
          opts,
        ),
      { sampleCommonWords: !parsed.phone && parsed.words.length === 1 },
    );
  }
  const seen = new Set<string>();
  return [...exact, ...later]
    .filter((r) => !seen.has(`${r.type}:${r.id}`) && seen.add(`${r.type}:${r.id}`))
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
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
        return { data: await topMatches(db, actor.workspaceId, q, limit) };
      },
    );
  };
