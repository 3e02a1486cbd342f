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
        const ps = searchCondition(people.searchText, q);
        const cs = searchCondition(companies.searchText, q);
        const [pRows, cRows] = await Promise.all([
          db
            .select({ id: people.id, title: people.displayName, emails: people.emails, score: ps.rank })
            .from(people)
            .where(and(eq(people.workspaceId, actor.workspaceId), ps.where))
            .orderBy(desc(ps.rank))
            .limit(limit),
          db
            .select({ id: companies.id, title: companies.name, domain: companies.domain, score: cs.rank })
            .from(companies)
            .where(and(eq(companies.workspaceId, actor.workspaceId), cs.where))
            .orderBy(desc(cs.rank))
            .limit(limit),
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
