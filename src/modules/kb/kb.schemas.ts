import { z } from 'zod';
import { kbArticleStatuses } from '../../db/schema/kb.ts';
import { iso, isoDate, listQuery } from '../../http/schemas.ts';
import { slugPattern } from '../../domain/kb.ts';
import type { KbArticle, KbCategoryRow } from './kb.repository.ts';
import { excerptOf } from './markdown.ts';

const slug = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .regex(slugPattern, 'use lower-case letters, digits and single dashes (e.g. reset-your-password)');

export const categorySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    slug: z.string(),
    description: z.string().nullable(),
    position: z.number().int(),
    articleCount: z.number().int(),
    publishedCount: z.number().int(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'KbCategory' });

export function presentCategory(
  c: KbCategoryRow & { articleCount?: number; publishedCount?: number },
): z.infer<typeof categorySchema> {
  return {
    id: c.id,
    name: c.name,
    slug: c.slug,
    description: c.description,
    position: c.position,
    articleCount: c.articleCount ?? 0,
    publishedCount: c.publishedCount ?? 0,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export const categoryBody = z.object({
  name: z.string().trim().min(1, 'a category needs a name').max(100),
  slug: slug.optional().describe('Made from the name when left out'),
  description: z.string().trim().max(500).nullish(),
  position: z.number().int().min(0).max(10_000).optional(),
});

export const categoryPatchBody = categoryBody
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'change at least one field' });

export const articleSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    slug: z.string(),
    categoryId: z.string().nullable(),
    status: z.enum(kbArticleStatuses),
    tags: z.array(z.string()),
    body: z.string().describe('Markdown, as written'),
    bodyHtml: z.string().describe('Sanitised HTML rendered from body'),
    excerpt: z.string(),
    authorId: z.string().nullable(),
    publishedAt: isoDate.nullable(),
    viewCount: z.number().int(),
    helpfulCount: z.number().int(),
    notHelpfulCount: z.number().int(),
    publicPath: z.string().describe('Where the help centre shows it (once published): /help/<workspace>/<slug>'),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'KbArticle' });

export function presentArticle(a: KbArticle, workspaceSlug: string): z.infer<typeof articleSchema> {
  return {
    id: a.id,
    title: a.title,
    slug: a.slug,
    categoryId: a.categoryId,
    status: a.status,
    tags: a.tags,
    body: a.body,
    bodyHtml: a.bodyHtml,
    excerpt: excerptOf(a.bodyText),
    authorId: a.authorId,
    publishedAt: iso(a.publishedAt),
    viewCount: a.viewCount,
    helpfulCount: a.helpfulCount,
    notHelpfulCount: a.notHelpfulCount,
    publicPath: helpPath(workspaceSlug, a.slug),
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

/**
 * Segments the public help centre serves itself under /help/<workspace>/ (help.routes.ts): its search page, and `vote`,
 * kept for a page at that level. An article with one of them as its slug could not be reached there.
 */
export const reservedArticleSlugs: readonly string[] = ['search', 'vote'];

export function helpPath(workspaceSlug: string, articleSlug?: string): string {
  const base = `/help/${encodeURIComponent(workspaceSlug)}`;
  return articleSlug ? `${base}/${encodeURIComponent(articleSlug)}` : base;
}

const tags = z.array(z.string().trim().min(1).max(50)).max(30);

export const articleCreateBody = z.object({
  title: z.string().trim().min(1, 'an article needs a title').max(200),
  slug: slug.optional().describe('Made from the title when left out'),
  body: z.string().max(200_000).optional().describe('Markdown'),
  categoryId: z.uuid().nullish(),
  tags: tags.optional(),
  status: z.enum(kbArticleStatuses).optional().describe('draft (default) or published'),
});

export const articlePatchBody = z
  .object({
    title: z.string().trim().min(1, 'an article needs a title').max(200),
    slug,
    body: z.string().max(200_000),
    categoryId: z.uuid().nullable(),
    tags,
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'change at least one field' });

export const articleListQuery = listQuery.extend({
  q: z.string().max(200).optional().describe('Words of the title'),
});

export const searchQuery = z.object({
  q: z.string().trim().min(1).max(500),
  status: z.enum(['published', 'any']).optional().describe('published (default) or any (drafts too)'),
  categoryId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(50).optional(),
});

export const suggestBody = z.object({
  text: z.string().max(100_000).describe("The ticket's text: what the customer wrote"),
  limit: z.number().int().min(1).max(20).optional().describe('How many (default 5)'),
});

export const articleHitSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    slug: z.string(),
    categoryId: z.string().nullable(),
    status: z.enum(kbArticleStatuses),
    excerpt: z.string(),
    publicPath: z.string(),
    score: z.number(),
    matched: z.array(z.string()).describe('The words of the query or text that the article contains'),
    reason: z.string(),
  })
  .meta({ id: 'KbArticleHit' });

export const previewBody = z.object({ body: z.string().max(200_000) });
