import { and, asc, eq, ne, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../../db/client.ts';
import { listClauses, toPage, type ListColumns } from '../../db/list.ts';
import { kbArticles, kbCategories, kbVotes } from '../../db/schema/index.ts';
import { kbArticleStatuses } from '../../db/schema/kb.ts';
import type { FieldSpecs, ListQuery } from '../../domain/list-query.ts';
import type { KbCandidate } from '../../domain/kb.ts';
import { textArrayFilter, textArrayLiteral } from '../people/people.repository.ts';

export type KbCategoryRow = typeof kbCategories.$inferSelect;
export type KbArticleRow = typeof kbArticles.$inferSelect;
export type KbArticleInsert = typeof kbArticles.$inferInsert;

/** Every column but the search vector (nobody reads it back). */
const articleColumns = {
  workspaceId: kbArticles.workspaceId,
  id: kbArticles.id,
  categoryId: kbArticles.categoryId,
  title: kbArticles.title,
  slug: kbArticles.slug,
  body: kbArticles.body,
  bodyHtml: kbArticles.bodyHtml,
  bodyText: kbArticles.bodyText,
  status: kbArticles.status,
  tags: kbArticles.tags,
  authorId: kbArticles.authorId,
  publishedAt: kbArticles.publishedAt,
  viewCount: kbArticles.viewCount,
  helpfulCount: kbArticles.helpfulCount,
  notHelpfulCount: kbArticles.notHelpfulCount,
  createdBy: kbArticles.createdBy,
  updatedBy: kbArticles.updatedBy,
  createdAt: kbArticles.createdAt,
  updatedAt: kbArticles.updatedAt,
};

export type KbArticle = Omit<KbArticleRow, 'searchVector'>;

// ---- categories

export async function listCategories(
  db: DbOrTx,
  workspaceId: string,
): Promise<Array<KbCategoryRow & { articleCount: number; publishedCount: number }>> {
  const rows = await db
    // The subqueries name the outer table: drizzle leaves columns of a one-table select unqualified.
    .select({
      category: kbCategories,
      articleCount: sql<number>`(select count(*) from ${kbArticles} a where a.workspace_id = kb_categories.workspace_id and a.category_id = kb_categories.id)::int`,
      publishedCount: sql<number>`(select count(*) from ${kbArticles} a where a.workspace_id = kb_categories.workspace_id and a.category_id = kb_categories.id and a.status = 'published')::int`,
    })
    .from(kbCategories)
    .where(eq(kbCategories.workspaceId, workspaceId))
    .orderBy(asc(kbCategories.position), asc(kbCategories.name), asc(kbCategories.id));
  return rows.map((r) => ({ ...r.category, articleCount: r.articleCount, publishedCount: r.publishedCount }));
}

export async function findCategory(db: DbOrTx, workspaceId: string, id: string): Promise<KbCategoryRow | null> {
  const [r] = await db
    .select()
    .from(kbCategories)
    .where(and(eq(kbCategories.workspaceId, workspaceId), eq(kbCategories.id, id)));
  return r ?? null;
}

export async function findCategoryBySlug(db: DbOrTx, workspaceId: string, slug: string): Promise<KbCategoryRow | null> {
  const [r] = await db
    .select()
    .from(kbCategories)
    .where(and(eq(kbCategories.workspaceId, workspaceId), eq(kbCategories.slug, slug)));
  return r ?? null;
}

export async function insertCategory(db: DbOrTx, row: typeof kbCategories.$inferInsert): Promise<KbCategoryRow> {
  const [r] = await db.insert(kbCategories).values(row).returning();
  if (!r) throw new Error('category insert returned nothing');
  return r;
}

export async function updateCategory(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<typeof kbCategories.$inferInsert>,
): Promise<KbCategoryRow | null> {
  const [r] = await db
    .update(kbCategories)
    .set({ ...set, updatedAt: sql`date_trunc('milliseconds', now())` })
    .where(and(eq(kbCategories.workspaceId, workspaceId), eq(kbCategories.id, id)))
    .returning();
  return r ?? null;
}

/** Deletes a category; its articles stay, without a category. */
export async function deleteCategory(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  await db
    .update(kbArticles)
    .set({ categoryId: null })
    .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.categoryId, id)));
  const r = await db
    .delete(kbCategories)
    .where(and(eq(kbCategories.workspaceId, workspaceId), eq(kbCategories.id, id)))
    .returning({ id: kbCategories.id });
  return r.length > 0;
}

// ---- articles

export const articleFields: FieldSpecs = {
  title: { type: 'string' },
  slug: { type: 'string' },
  status: { type: 'enum', values: kbArticleStatuses },
  category_id: { type: 'string' },
  author_id: { type: 'string' },
  tag: { type: 'string', sortable: false },
  view_count: { type: 'number', integer: 'int4' },
  helpful_count: { type: 'number', integer: 'int4' },
  not_helpful_count: { type: 'number', integer: 'int4' },
  published_at: { type: 'datetime' },
  created_at: { type: 'datetime' },
  updated_at: { type: 'datetime' },
};

export function articleListColumns(): ListColumns {
  return {
    id: kbArticles.id,
    fields: {
      title: kbArticles.title,
      slug: kbArticles.slug,
      status: kbArticles.status,
      category_id: sql`${kbArticles.categoryId}::text`,
      author_id: sql`${kbArticles.authorId}::text`,
      view_count: kbArticles.viewCount,
      helpful_count: kbArticles.helpfulCount,
      not_helpful_count: kbArticles.notHelpfulCount,
      published_at: kbArticles.publishedAt,
      created_at: kbArticles.createdAt,
      updated_at: kbArticles.updatedAt,
    },
    specs: articleFields,
    filters: { tag: (f) => textArrayFilter(kbArticles.tags, f) },
  };
}

function articleSortValue(r: KbArticle, field: string): unknown {
  const map: Record<string, unknown> = {
    title: r.title,
    slug: r.slug,
    status: r.status,
    category_id: r.categoryId,
    author_id: r.authorId,
    view_count: r.viewCount,
    helpful_count: r.helpfulCount,
    not_helpful_count: r.notHelpfulCount,
    published_at: r.publishedAt,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
  return map[field];
}

export async function listArticles(db: DbOrTx, workspaceId: string, q: ListQuery, extra: SQL[] = []) {
  const cols = articleListColumns();
  const c = listClauses(cols, q);
  const rows = await db
    .select(articleColumns)
    .from(kbArticles)
    .where(and(eq(kbArticles.workspaceId, workspaceId), ...c.where, ...extra))
    .orderBy(...c.orderBy)
    .limit(c.limit);
  return toPage(rows, q, { id: (r) => r.id, sortValue: (r) => articleSortValue(r, q.sort.field) });
}

/** Published articles of a workspace for the help centre, by title. */
export async function publishedArticles(db: DbOrTx, workspaceId: string): Promise<KbArticle[]> {
  return db
    .select(articleColumns)
    .from(kbArticles)
    .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.status, 'published')))
    .orderBy(asc(kbArticles.title), asc(kbArticles.id));
}

export async function findArticle(db: DbOrTx, workspaceId: string, id: string): Promise<KbArticle | null> {
  const [r] = await db
    .select(articleColumns)
    .from(kbArticles)
    .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.id, id)));
  return r ?? null;
}

export async function findArticlesByIds(db: DbOrTx, workspaceId: string, ids: string[]): Promise<KbArticle[]> {
  if (!ids.length) return [];
  return db
    .select(articleColumns)
    .from(kbArticles)
    .where(and(eq(kbArticles.workspaceId, workspaceId), sql`${kbArticles.id} = any(${textArrayLiteral(ids)}::uuid[])`));
}

export async function findArticleBySlug(db: DbOrTx, workspaceId: string, slug: string): Promise<KbArticle | null> {
  const [r] = await db
    .select(articleColumns)
    .from(kbArticles)
    .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.slug, slug)));
  return r ?? null;
}

/** Whether another article (not `exceptId`) of the workspace has this slug. */
export async function articleSlugTaken(
  db: DbOrTx,
  workspaceId: string,
  slug: string,
  exceptId?: string,
): Promise<boolean> {
  const [r] = await db
    .select({ id: kbArticles.id })
    .from(kbArticles)
    .where(
      and(
        eq(kbArticles.workspaceId, workspaceId),
        eq(kbArticles.slug, slug),
        ...(exceptId ? [ne(kbArticles.id, exceptId)] : []),
      ),
    );
  return Boolean(r);
}

export async function insertArticle(db: DbOrTx, row: KbArticleInsert): Promise<KbArticle> {
  const [r] = await db.insert(kbArticles).values(row).returning(articleColumns);
  if (!r) throw new Error('article insert returned nothing');
  return r;
}

export async function updateArticle(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<KbArticleInsert>,
): Promise<KbArticle | null> {
  const [r] = await db
    .update(kbArticles)
    .set({ ...set, updatedAt: sql`date_trunc('milliseconds', now())` })
    .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.id, id)))
    .returning(articleColumns);
  return r ?? null;
}

export async function deleteArticle(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const r = await db
    .delete(kbArticles)
    .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.id, id)))
    .returning({ id: kbArticles.id });
  return r.length > 0;
}

/** One more public view (not an edit: updated_at stays). */
export async function countView(db: DbOrTx, workspaceId: string, id: string): Promise<void> {
  await db
    .update(kbArticles)
    .set({ viewCount: sql`${kbArticles.viewCount} + 1` })
    .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.id, id)));
}

/**
 * Records (or changes) one voter's answer and recounts the article's votes, in the caller's transaction. Returns
 * whether anything changed (the same answer twice changes nothing).
 */
export async function recordVote(
  db: DbOrTx,
  workspaceId: string,
  articleId: string,
  voter: string,
  helpful: boolean,
): Promise<{ changed: boolean; helpfulCount: number; notHelpfulCount: number }> {
  const r = await db
    .insert(kbVotes)
    .values({ workspaceId, articleId, voter, helpful })
    .onConflictDoUpdate({
      target: [kbVotes.workspaceId, kbVotes.articleId, kbVotes.voter],
      set: { helpful, createdAt: sql`date_trunc('milliseconds', now())` },
      setWhere: sql`${kbVotes.helpful} <> excluded.helpful`,
    })
    .returning({ voter: kbVotes.voter });
  const [counts] = await db
    .update(kbArticles)
    .set({
      helpfulCount: sql`(select count(*) from ${kbVotes} v where v.workspace_id = ${workspaceId} and v.article_id = ${articleId} and v.helpful)::int`,
      notHelpfulCount: sql`(select count(*) from ${kbVotes} v where v.workspace_id = ${workspaceId} and v.article_id = ${articleId} and not v.helpful)::int`,
    })
    .where(and(eq(kbArticles.workspaceId, workspaceId), eq(kbArticles.id, articleId)))
    .returning({ helpfulCount: kbArticles.helpfulCount, notHelpfulCount: kbArticles.notHelpfulCount });
  return {
    changed: r.length > 0,
    helpfulCount: counts?.helpfulCount ?? 0,
    notHelpfulCount: counts?.notHelpfulCount ?? 0,
  };
}

// ---- search

/**
 * How close (pg_trgm word_similarity) a query must be to a title to find it without a common word: 0.45 lets one
 * typo through ("warrenty" → "Warranty and repairs") where the operator's default 0.6 does not. Computed for the
 * workspace's articles only (a knowledge base has hundreds of articles, not millions).
 */
export const titleSimilarityMin = 0.45;

export type KbSearchScope = { workspaceId: string; publishedOnly: boolean; categoryId?: string | undefined };

export type KbSearchResult = {
  /** Each query word with its English stem (null for a stop word). */
  stems: Array<{ word: string; stem: string | null }>;
  /** How many articles the search covered, and how many contain each stem. */
  documents: number;
  documentFrequency: Map<string, number>;
  candidates: KbCandidate[];
};

/**
 * Finds the articles that contain any stem of the query's words (full-text, GIN index) or whose title is
 * trigram-close to the query (GIN trigram index), with the query stems each contains and where (weights A/B/C), in
 * one statement. At most `candidateLimit` candidates, the best by ts_rank; the caller ranks them (src/domain/kb.ts).
 */
export async function searchArticles(
  db: DbOrTx,
  scope: KbSearchScope,
  words: string[],
  titleQuery: string,
  candidateLimit = 100,
): Promise<KbSearchResult> {
  const scopeCond = sql.join(
    [
      sql`a.workspace_id = ${scope.workspaceId}`,
      ...(scope.publishedOnly ? [sql`a.status = 'published'`] : []),
      ...(scope.categoryId ? [sql`a.category_id = ${scope.categoryId}`] : []),
    ],
    sql` and `,
  );
  // The stems quoted as tsquery lexemes: '' doubles a quote, \\ a backslash.
  const quoted = sql`'''' || replace(replace(l.stem, '\\', '\\\\'), '''', '''''') || ''''`;
  const r = await db.execute(sql`
    with words as (
      select u.w as word, u.n, (tsvector_to_array(to_tsvector('english'::regconfig, u.w)))[1] as stem
      from unnest(${textArrayLiteral(words)}::text[]) with ordinality as u(w, n)
    ),
    stems as (select distinct stem from words where stem is not null),
    q as (
      select case when exists (select 1 from stems)
        then (select string_agg(${quoted}, ' | ') from stems l)::tsquery end as tsq,
        (select coalesce(array_agg(stem), '{}') from stems) as list
    ),
    cand as (
      select a.id, a.search_vector,
        case when q.tsq is null then 0 else ts_rank(a.search_vector, q.tsq, 1) end as r,
        word_similarity(${titleQuery}, a.title) as title_similarity
      from kb_articles a, q
      where ${scopeCond}
        and ((q.tsq is not null and a.search_vector @@ q.tsq) or word_similarity(${titleQuery}, a.title) >= ${titleSimilarityMin})
      order by r desc, title_similarity desc, a.id
      limit ${candidateLimit}
    )
    select 'word' as kind, w.word as id, w.stem as stem, null::text[] as weights, null::float8 as value
      from words w
    union all
    select 'docs', null, null, null, (select count(*) from kb_articles a where ${scopeCond})::float8
    union all
    select 'df', null, l.stem, null,
      (select count(*) from kb_articles a where ${scopeCond}
        and a.search_vector @@ (${quoted})::tsquery)::float8
      from stems l
    union all
    select 'cand', c.id::text, null, null, c.title_similarity::float8 from cand c
    union all
    select 'hit', c.id::text, u.lexeme, u.weights::text[], null
      from cand c, q, unnest(c.search_vector) u
      where u.lexeme = any(q.list)
  `);
  const rows = rowsOf<{
    kind: string;
    id: string | null;
    stem: string | null;
    weights: string[] | null;
    value: number | string | null;
  }>(r);
  const out: KbSearchResult = { stems: [], documents: 0, documentFrequency: new Map(), candidates: [] };
  const byId = new Map<string, KbCandidate>();
  for (const row of rows) {
    if (row.kind === 'word') out.stems.push({ word: row.id ?? '', stem: row.stem });
    else if (row.kind === 'docs') out.documents = Number(row.value ?? 0);
    else if (row.kind === 'df' && row.stem) out.documentFrequency.set(row.stem, Number(row.value ?? 0));
    else if (row.kind === 'cand' && row.id) {
      const c: KbCandidate = { id: row.id, titleSimilarity: Number(row.value ?? 0), hits: [] };
      byId.set(row.id, c);
      out.candidates.push(c);
    } else if (row.kind === 'hit' && row.id && row.stem) {
      byId.get(row.id)?.hits.push({ stem: row.stem, weights: row.weights ?? [] });
    }
  }
  return out;
}
