import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, noContentResponses, pageOf } from '../../http/schemas.ts';
import type { ArticleHit, KbService } from './kb.service.ts';
import {
  articleCreateBody,
  articleHitSchema,
  articleListQuery,
  articlePatchBody,
  articleSchema,
  categoryBody,
  categoryPatchBody,
  categorySchema,
  helpPath,
  presentArticle,
  presentCategory,
  previewBody,
  searchQuery,
  suggestBody,
} from './kb.schemas.ts';
import { excerptOf } from './markdown.ts';

function presentHit(h: ArticleHit, workspaceSlug: string): z.infer<typeof articleHitSchema> {
  return {
    id: h.article.id,
    title: h.article.title,
    slug: h.article.slug,
    categoryId: h.article.categoryId,
    status: h.article.status,
    excerpt: excerptOf(h.article.bodyText),
    publicPath: helpPath(workspaceSlug, h.article.slug),
    score: h.score,
    matched: h.matched,
    reason: h.reason,
  };
}

const hits = z.object({ data: z.array(articleHitSchema) });

export const kbRoutes =
  (kb: KbService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Knowledge base'];

    r.get(
      '/kb/categories',
      {
        schema: {
          tags,
          summary: 'Categories of the knowledge base, in order, with article counts',
          response: { 200: z.object({ data: z.array(categorySchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await kb.listCategories(requireActor(req))).map(presentCategory) }),
    );
    r.post(
      '/kb/categories',
      {
        schema: {
          tags,
          summary: 'Add a category',
          body: categoryBody,
          response: { 201: categorySchema, ...errorResponses },
        },
      },
      async (req, reply) =>
        reply.status(201).send(presentCategory(await kb.createCategory(requireActor(req), req.body))),
    );
    r.patch(
      '/kb/categories/:id',
      {
        schema: {
          tags,
          summary: 'Rename, move or describe a category',
          params: idParam,
          body: categoryPatchBody,
          response: { 200: categorySchema, ...errorResponses },
        },
      },
      async (req) => presentCategory(await kb.updateCategory(requireActor(req), req.params.id, req.body)),
    );
    r.delete(
      '/kb/categories/:id',
      {
        schema: {
          tags,
          summary: 'Remove a category (its articles stay, uncategorised)',
          params: idParam,
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        await kb.removeCategory(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    r.get(
      '/kb/articles',
      {
        schema: {
          tags,
          summary: 'List articles, drafts included (filter, sort, cursor)',
          querystring: articleListQuery,
          response: { 200: pageOf(articleSchema), ...errorResponses },
        },
      },
      async (req) => {
        const actor = requireActor(req);
        const page = await kb.list(actor, req.query);
        const slug = await kb.workspaceSlug(actor.workspaceId);
        return {
          data: page.rows.map((a) => presentArticle(a, slug)),
          page: { nextCursor: page.nextCursor, limit: page.limit },
        };
      },
    );
    r.post(
      '/kb/articles',
      {
        schema: {
          tags,
          summary: 'Write an article (Markdown; a draft unless status is published)',
          body: articleCreateBody,
          response: { 201: articleSchema, ...errorResponses },
        },
      },
      async (req, reply) => {
        const actor = requireActor(req);
        const a = await kb.create(actor, req.body);
        return reply.status(201).send(presentArticle(a, await kb.workspaceSlug(actor.workspaceId)));
      },
    );
    r.get(
      '/kb/articles/:id',
      {
        schema: { tags, summary: 'An article', params: idParam, response: { 200: articleSchema, ...errorResponses } },
      },
      async (req) => {
        const actor = requireActor(req);
        return presentArticle(await kb.get(actor, req.params.id), await kb.workspaceSlug(actor.workspaceId));
      },
    );
    r.patch(
      '/kb/articles/:id',
      {
        schema: {
          tags,
          summary: 'Edit an article (title, address, body, category, tags)',
          params: idParam,
          body: articlePatchBody,
          response: { 200: articleSchema, ...errorResponses },
        },
      },
      async (req) => {
        const actor = requireActor(req);
        const a = await kb.update(actor, req.params.id, req.body);
        return presentArticle(a, await kb.workspaceSlug(actor.workspaceId));
      },
    );
    r.delete(
      '/kb/articles/:id',
      { schema: { tags, summary: 'Delete an article', params: idParam, response: noContentResponses } },
      async (req, reply) => {
        await kb.remove(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
    for (const action of ['publish', 'unpublish'] as const)
      r.post(
        `/kb/articles/:id/${action}`,
        {
          schema: {
            tags,
            summary:
              action === 'publish'
                ? 'Publish an article on the help centre'
                : 'Take an article off the help centre (back to draft)',
            params: idParam,
            response: { 200: articleSchema, ...errorResponses },
          },
        },
        async (req) => {
          const actor = requireActor(req);
          const a = await kb[action](actor, req.params.id);
          return presentArticle(a, await kb.workspaceSlug(actor.workspaceId));
        },
      );

    r.post(
      '/kb/preview',
      {
        schema: {
          tags,
          summary: 'Render Markdown as an article would show (sanitised HTML; nothing is stored)',
          body: previewBody,
          response: { 200: z.object({ html: z.string() }), ...errorResponses },
        },
      },
      async (req) => ({ html: kb.preview(requireActor(req), req.body.body) }),
    );

    r.get(
      '/kb/search',
      {
        schema: {
          tags,
          summary: 'Search articles (full text, English stemming, typo-tolerant titles), best first',
          querystring: searchQuery,
          response: { 200: hits, ...errorResponses },
        },
      },
      async (req) => {
        const actor = requireActor(req);
        const found = await kb.search(actor, req.query);
        const slug = await kb.workspaceSlug(actor.workspaceId);
        return { data: found.map((h) => presentHit(h, slug)) };
      },
    );

    r.post(
      '/kb/suggest',
      {
        schema: {
          tags,
          summary: "Published articles that answer a text (a ticket's message), best first, with the words matched",
          body: suggestBody,
          response: { 200: hits, ...errorResponses },
        },
      },
      async (req) => {
        const actor = requireActor(req);
        const found = await kb.suggest(actor, req.body);
        const slug = await kb.workspaceSlug(actor.workspaceId);
        return { data: found.map((h) => presentHit(h, slug)) };
      },
    );

    r.get(
      '/tickets/:id/suggestions',
      {
        schema: {
          tags: [...tags, 'Tickets'],
          summary: "Articles for a ticket, from its subject and the customer's last message",
          params: idParam,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(20).optional() }),
          response: { 200: hits, ...errorResponses },
        },
      },
      async (req) => {
        const actor = requireActor(req);
        const found = await kb.suggestForTicket(actor, req.params.id, req.query.limit ?? 5);
        const slug = await kb.workspaceSlug(actor.workspaceId);
        return { data: found.hits.map((h) => presentHit(h, slug)) };
      },
    );
  };
