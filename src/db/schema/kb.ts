import { msNow } from './columns.ts';
import { sql } from 'drizzle-orm';
import {
  boolean,
  customType,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { workspaces } from './workspaces.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** PostgreSQL's full-text document type; read back as its text form (never needed by the code). */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** Sections of the help centre (Billing, Shipping, Your account…), in `position` order. */
export const kbCategories = pgTable(
  'kb_categories',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    /** Part of public URLs; unique per workspace. */
    slug: text('slug').notNull(),
    description: text('description'),
    position: integer('position').notNull().default(0),
    createdAt: ts('created_at').notNull().default(msNow),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    unique('kb_categories_workspace_slug_key').on(t.workspaceId, t.slug),
  ],
);

export const kbArticleStatuses = ['draft', 'published'] as const;
export type KbArticleStatus = (typeof kbArticleStatuses)[number];

/**
 * A help article: Markdown as written, the sanitised HTML rendered from it on save, and its plain text (for search
 * and previews). `search_vector` is generated from title (weight A), tags (B) and text (C) by the immutable function
 * rapport_kb_vector (see the knowledge_base migration).
 */
export const kbArticles = pgTable(
  'kb_articles',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    categoryId: uuid('category_id'),
    title: text('title').notNull(),
    /** Part of public URLs; unique per workspace. */
    slug: text('slug').notNull(),
    body: text('body').notNull().default(''),
    bodyHtml: text('body_html').notNull().default(''),
    bodyText: text('body_text').notNull().default(''),
    status: text('status').$type<KbArticleStatus>().notNull().default('draft'),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    authorId: uuid('author_id'),
    publishedAt: ts('published_at'),
    viewCount: integer('view_count').notNull().default(0),
    helpfulCount: integer('helpful_count').notNull().default(0),
    notHelpfulCount: integer('not_helpful_count').notNull().default(0),
    searchVector: tsvector('search_vector')
      .notNull()
      .generatedAlwaysAs(sql`rapport_kb_vector(title, tags, body_text)`),
    createdBy: text('created_by'),
    updatedBy: text('updated_by'),
    createdAt: ts('created_at').notNull().default(msNow),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    foreignKey({
      columns: [t.workspaceId, t.categoryId],
      foreignColumns: [kbCategories.workspaceId, kbCategories.id],
    }),
    unique('kb_articles_workspace_slug_key').on(t.workspaceId, t.slug),
    index('kb_articles_status_idx').on(t.workspaceId, t.status, t.updatedAt),
    index('kb_articles_category_idx').on(t.workspaceId, t.categoryId),
    index('kb_articles_search_idx').using('gin', t.searchVector),
    index('kb_articles_title_trgm_idx').using('gin', sql`${t.title} gin_trgm_ops`),
  ],
);

/**
 * "Was this helpful?" answers from the public help centre: one per article and voter (a keyed hash of the address,
 * so no address is stored); answering again changes the vote instead of adding one.
 */
export const kbVotes = pgTable(
  'kb_votes',
  {
    workspaceId: uuid('workspace_id').notNull(),
    articleId: uuid('article_id').notNull(),
    voter: text('voter').notNull(),
    helpful: boolean('helpful').notNull(),
    createdAt: ts('created_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.articleId, t.voter] }),
    foreignKey({
      columns: [t.workspaceId, t.articleId],
      foreignColumns: [kbArticles.workspaceId, kbArticles.id],
    }).onDelete('cascade'),
  ],
);
