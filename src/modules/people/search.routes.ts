import { and, desc, eq } from 'drizzle-orm';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { companies, people } from '../../db/schema/index.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses } from '../../http/schemas.ts';
import { assertCan } from '../auth/access.ts';
import { searchCondition } from './people.service.ts';

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
export const searchCandidateCap = 500;

type Ranked = { id: string; score: unknown };
/** exact: every word as a substring; words: every word, typos allowed; phrase: the whole query, typos allowed. */
type Phase = 'exact' | 'words' | 'phrase';
const phaseCondition = (s: ReturnType<typeof searchCondition>, which: Phase) =>
  which === 'exact' ? s.exact : which === 'words' ? s.where : s.phrase;

/**
 * The best `limit` rows: first the rows that have every word as a substring (when there are `limit` of them they
 * outrank any typo match, and the query is answered), else also the rows matching every word with typos allowed,
 * and if still short, the rows within the typo threshold of the whole query (a short word with a typo, or two
 * letters swapped, fails its own word's threshold but not the whole name's). Each phase ranks at most
 * `searchCandidateCap` candidates (the first the index finds), so a word that matches 100,000 people stays fast; the
 * ranking is then among those candidates.
 */
async function topMatches<T extends Ranked>(limit: number, phase: (which: Phase) => Promise<T[]>): Promise<T[]> {
  const byId = new Map<string, T>();
  for (const which of ['exact', 'words', 'phrase'] as const) {
    for (const r of await phase(which)) if (!byId.has(r.id)) byId.set(r.id, r);
    if (byId.size >= limit) break;
  }
  return [...byId.values()].sort((a, b) => Number(b.score) - Number(a.score)).slice(0, limit);
}

function topPeople(db: Db, workspaceId: string, q: string, limit: number) {
  return topMatches(limit, async (which) => {
    const s = searchCondition(people.searchText, q);
    const c = db
      .select({ id: people.id, title: people.displayName, emails: people.emails, text: people.searchText })
      .from(people)
      .where(and(eq(people.workspaceId, workspaceId), phaseCondition(s, which)))
      .limit(searchCandidateCap)
      .as('c');
    const rank = searchCondition(c.text, q).rank;
    return db
      .select({ id: c.id, title: c.title, emails: c.emails, score: rank })
      .from(c)
      .orderBy(desc(rank))
      .limit(limit);
  });
}

function topCompanies(db: Db, workspaceId: string, q: string, limit: number) {
  return topMatches(limit, async (which) => {
    const s = searchCondition(companies.searchText, q);
    const c = db
      .select({ id: companies.id, title: companies.name, domain: companies.domain, text: companies.searchText })
      .from(companies)
      .where(and(eq(companies.workspaceId, workspaceId), phaseCondition(s, which)))
      .limit(searchCandidateCap)
      .as('c');
    const rank = searchCondition(c.text, q).rank;
    return db
      .select({ id: c.id, title: c.title, domain: c.domain, score: rank })
      .from(c)
      .orderBy(desc(rank))
      .limit(limit);
  });
}

/** One search box over people and companies: substring and prefix matches first, then typo-tolerant trigram matches. */
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
