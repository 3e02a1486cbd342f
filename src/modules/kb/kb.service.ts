import crypto from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { kbArticles } from '../../db/schema/index.ts';
import type { KbArticleStatus } from '../../db/schema/kb.ts';
import { queryWords, rankArticles, slugify, suggestionReason } from '../../domain/kb.ts';
import { parseListQuery } from '../../domain/list-query.ts';
import type { Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { actorRef } from '../people/people.service.ts';
import { findTicket, lastMessageOfTicket } from '../tickets/tickets.repository.ts';
import { findWorkspace, findWorkspaceBySlug } from '../workspaces/workspaces.repository.ts';
import {
  articleListColumns,
  articleSlugTaken,
  countView,
  deleteArticle,
  deleteCategory,
  findArticle,
  findArticleBySlug,
  findArticlesByIds,
  findCategory,
  findCategoryBySlug,
  insertArticle,
  insertCategory,
  listArticles,
  listCategories,
  publishedArticles,
  recordVote,
  searchArticles,
  updateArticle,
  updateCategory,
  type KbArticle,
  type KbSearchScope,
} from './kb.repository.ts';
import { reservedArticleSlugs } from './kb.schemas.ts';
import { articleText, renderArticleMarkdown } from './markdown.ts';

export type KbService = ReturnType<typeof createKbService>;

/** Permissions: agents (tickets:write) write, publish and delete articles and categories; tickets:read reads them. */
const readPermission = 'tickets:read';
const writePermission = 'tickets:write';

export type ArticleHit = { article: KbArticle; score: number; matched: string[]; reason: string };

/** A unique-key violation from either engine (a slug taken between the check and the insert). */
function isUniqueViolation(e: unknown): boolean {
  for (let x: unknown = e; x && typeof x === 'object'; x = (x as { cause?: unknown }).cause)
    if ((x as { code?: unknown }).code === '23505') return true;
  return false;
}

function rendered(body: string) {
  const bodyHtml = renderArticleMarkdown(body);
  return { body, bodyHtml, bodyText: articleText(bodyHtml) };
}

/** Publishing puts the article on the public help centre: an article with no text is refused there. */
function assertPublishable(bodyText: string): void {
  if (!bodyText.trim())
    throw new AppError('validation_failed', 'Write the article before publishing it: it has no text', {
      field: 'body',
    });
}

function normaliseTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
}

export function createKbService(deps: { db: Db }) {
  const { db } = deps;

  async function workspaceSlug(workspaceId: string): Promise<string> {
    const ws = await findWorkspace(db, workspaceId);
    if (!ws) throw AppError.notFound('Workspace', workspaceId);
    return ws.slug;
  }

  async function mustFindArticle(actor: Actor, id: string): Promise<KbArticle> {
    const a = await findArticle(db, actor.workspaceId, id);
    if (!a) throw AppError.notFound('Article', id);
    return a;
  }

  async function checkCategory(actor: Actor, categoryId: string | null | undefined): Promise<void> {
    if (!categoryId) return;
    if (!(await findCategory(db, actor.workspaceId, categoryId)))
      throw new AppError('validation_failed', `Category ${categoryId} was not found`, {
        problems: [{ path: 'categoryId', message: 'no such category in this workspace' }],
        field: 'categoryId',
      });
  }

  /**
   * The slug asked for (refused when taken, or when the help centre uses it for a page of its own) or one made from
   * the title (numbered when taken or reserved).
   */
  async function chooseSlug(actor: Actor, wanted: string | undefined, title: string, exceptId?: string) {
    if (wanted) {
      if (reservedArticleSlugs.includes(wanted))
        throw new AppError('validation_failed', `The address "${wanted}" is used by the help centre itself`, {
          problems: [{ in: 'body', path: 'slug', message: `"${wanted}" is reserved; choose another address` }],
          field: 'slug',
        });
      if (await articleSlugTaken(db, actor.workspaceId, wanted, exceptId))
        throw new AppError('conflict', `Another article already has the address "${wanted}"`, { field: 'slug' });
      return wanted;
    }
    const base = slugify(title);
    for (let n = 1; n < 1000; n++) {
      const candidate = n === 1 ? base : `${base.slice(0, 75)}-${n}`;
      if (reservedArticleSlugs.includes(candidate)) continue;
      if (!(await articleSlugTaken(db, actor.workspaceId, candidate, exceptId))) return candidate;
    }
    return `${base.slice(0, 60)}-${crypto.randomBytes(4).toString('hex')}`;
  }

  async function chooseCategorySlug(actor: Actor, wanted: string | undefined, name: string, exceptId?: string) {
    const s = wanted ?? slugify(name);
    const same = await findCategoryBySlug(db, actor.workspaceId, s);
    if (same && same.id !== exceptId) {
      if (wanted)
        throw new AppError('conflict', `Another category already has the address "${wanted}"`, { field: 'slug' });
      return `${s.slice(0, 70)}-${crypto.randomBytes(2).toString('hex')}`;
    }
    return s;
  }

  async function rankedSearch(
    scope: KbSearchScope,
    text: string,
    limit: number,
    opts: { minScore: number },
  ): Promise<ArticleHit[]> {
    const words = queryWords(text);
    if (!words.length) return [];
    const titleQuery = words
      .slice(0, 12)
      .map((w) => w.word)
      .join(' ');
    const found = await searchArticles(
      db,
      scope,
      words.map((w) => w.word),
      titleQuery,
    );
    const stemOf = new Map(found.stems.map((s) => [s.word, s.stem]));
    const ranked = rankArticles({
      candidates: found.candidates,
      documentFrequency: found.documentFrequency,
      documents: found.documents,
      words: words.map((w) => ({ ...w, stem: stemOf.get(w.word) ?? null })),
      minScore: opts.minScore,
    }).slice(0, limit);
    const rows = await findArticlesByIds(
      db,
      scope.workspaceId,
      ranked.map((r) => r.id),
    );
    const similarity = new Map(found.candidates.map((c) => [c.id, c.titleSimilarity]));
    return ranked.flatMap((r) => {
      const article = rows.find((a) => a.id === r.id);
      return article
        ? [
            {
              article,
              score: r.score,
              matched: r.matched,
              reason: suggestionReason(r.matched, similarity.get(r.id) ?? 0),
            },
          ]
        : [];
    });
  }

  async function setStatus(actor: Actor, id: string, status: KbArticleStatus): Promise<KbArticle> {
    assertCan(actor, writePermission);
    return db.transaction(async (tx) => {
      const a = await findArticle(tx, actor.workspaceId, id);
      if (!a) throw AppError.notFound('Article', id);
      if (a.status === status) return a;
      if (status === 'published') assertPublishable(a.bodyText);
      const updated = await updateArticle(tx, actor.workspaceId, id, {
        status,
        ...(status === 'published' ? { publishedAt: new Date() } : {}),
        updatedBy: actorRef(actor),
      });
      if (!updated) throw AppError.notFound('Article', id);
      await appendEvent(tx, actor, {
        type: status === 'published' ? 'kb_article.published' : 'kb_article.unpublished',
        subjectType: 'kb_article',
        subjectId: id,
        payload: { title: a.title, slug: a.slug },
      });
      return updated;
    });
  }

  /** A workspace of the public help centre, by its slug. */
  async function publicWorkspace(slug: string) {
    const ws = await findWorkspaceBySlug(db, slug);
    if (!ws) throw AppError.notFound('Help centre');
    return ws;
  }

  return {
    workspaceSlug,

    // ---- categories

    async listCategories(actor: Actor) {
      assertCan(actor, readPermission);
      return listCategories(db, actor.workspaceId);
    },

    async createCategory(
      actor: Actor,
      input: { name: string; slug?: string | undefined; description?: string | null | undefined; position?: number },
    ) {
      assertCan(actor, writePermission);
      const slug = await chooseCategorySlug(actor, input.slug, input.name);
      const id = newId();
      try {
        return await db.transaction(async (tx) => {
          const c = await insertCategory(tx, {
            workspaceId: actor.workspaceId,
            id,
            name: input.name,
            slug,
            description: input.description || null,
            position: input.position ?? 0,
          });
          await appendEvent(tx, actor, {
            type: 'kb_category.created',
            subjectType: 'kb_category',
            subjectId: id,
            payload: { name: c.name, slug: c.slug },
          });
          return c;
        });
      } catch (e) {
        if (isUniqueViolation(e))
          throw new AppError('conflict', `Another category already has the address "${slug}"`, { field: 'slug' });
        throw e;
      }
    },

    async updateCategory(
      actor: Actor,
      id: string,
      input: {
        name?: string | undefined;
        slug?: string | undefined;
        description?: string | null | undefined;
        position?: number | undefined;
      },
    ) {
      assertCan(actor, writePermission);
      const before = await findCategory(db, actor.workspaceId, id);
      if (!before) throw AppError.notFound('Category', id);
      const slug = input.slug !== undefined ? await chooseCategorySlug(actor, input.slug, before.name, id) : undefined;
      return db.transaction(async (tx) => {
        const c = await updateCategory(tx, actor.workspaceId, id, {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(slug !== undefined ? { slug } : {}),
          ...(input.description !== undefined ? { description: input.description || null } : {}),
          ...(input.position !== undefined ? { position: input.position } : {}),
        });
        if (!c) throw AppError.notFound('Category', id);
        await appendEvent(tx, actor, {
          type: 'kb_category.updated',
          subjectType: 'kb_category',
          subjectId: id,
          payload: { changed: Object.keys(input) },
        });
        return c;
      });
    },

    async removeCategory(actor: Actor, id: string) {
      assertCan(actor, writePermission);
      await db.transaction(async (tx) => {
        const c = await findCategory(tx, actor.workspaceId, id);
        if (!c || !(await deleteCategory(tx, actor.workspaceId, id))) throw AppError.notFound('Category', id);
        await appendEvent(tx, actor, {
          type: 'kb_category.deleted',
          subjectType: 'kb_category',
          subjectId: id,
          payload: { name: c.name },
        });
      });
    },

    // ---- articles

    async list(
      actor: Actor,
      params: {
        limit?: number | undefined;
        cursor?: string | undefined;
        sort?: string | undefined;
        filter?: string | string[] | undefined;
        q?: string | undefined;
      },
    ) {
      assertCan(actor, readPermission);
      const q = parseListQuery(params, articleListColumns().specs, { field: 'updated_at', direction: 'desc' });
      const extra: SQL[] = [];
      const text = params.q?.trim();
      if (text) extra.push(sql`${kbArticles.title} ilike ${`%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`);
      const page = await listArticles(db, actor.workspaceId, q, extra);
      return { rows: page.rows, nextCursor: page.nextCursor, limit: q.limit };
    },

    async get(actor: Actor, id: string) {
      assertCan(actor, readPermission);
      return mustFindArticle(actor, id);
    },

    async create(
      actor: Actor,
      input: {
        title: string;
        slug?: string | undefined;
        body?: string | undefined;
        categoryId?: string | null | undefined;
        tags?: string[] | undefined;
        status?: KbArticleStatus | undefined;
      },
    ) {
      assertCan(actor, writePermission);
      await checkCategory(actor, input.categoryId);
      const slug = await chooseSlug(actor, input.slug, input.title);
      const status = input.status ?? 'draft';
      const body = rendered(input.body ?? '');
      if (status === 'published') assertPublishable(body.bodyText);
      const id = newId();
      try {
        return await db.transaction(async (tx) => {
          const a = await insertArticle(tx, {
            workspaceId: actor.workspaceId,
            id,
            title: input.title,
            slug,
            ...body,
            categoryId: input.categoryId ?? null,
            tags: normaliseTags(input.tags ?? []),
            status,
            authorId: actor.userId,
            publishedAt: status === 'published' ? new Date() : null,
            createdBy: actorRef(actor),
            updatedBy: actorRef(actor),
          });
          await appendEvent(tx, actor, {
            type: 'kb_article.created',
            subjectType: 'kb_article',
            subjectId: id,
            payload: { title: a.title, slug: a.slug, status },
          });
          if (status === 'published')
            await appendEvent(tx, actor, {
              type: 'kb_article.published',
              subjectType: 'kb_article',
              subjectId: id,
              payload: { title: a.title, slug: a.slug },
            });
          return a;
        });
      } catch (e) {
        if (isUniqueViolation(e))
          throw new AppError('conflict', `Another article already has the address "${slug}"`, { field: 'slug' });
        throw e;
      }
    },

    async update(
      actor: Actor,
      id: string,
      input: {
        title?: string | undefined;
        slug?: string | undefined;
        body?: string | undefined;
        categoryId?: string | null | undefined;
        tags?: string[] | undefined;
      },
    ) {
      assertCan(actor, writePermission);
      const before = await mustFindArticle(actor, id);
      const body = input.body !== undefined ? rendered(input.body) : undefined;
      // A published article stays readable: emptying it means unpublishing it first.
      if (body && before.status === 'published') assertPublishable(body.bodyText);
      if (input.categoryId !== undefined) await checkCategory(actor, input.categoryId);
      const slug =
        input.slug !== undefined && input.slug !== before.slug
          ? await chooseSlug(actor, input.slug, before.title, id)
          : undefined;
      const changed = Object.keys(input).filter(
        (k) => JSON.stringify(input[k as keyof typeof input]) !== JSON.stringify(before[k as keyof KbArticle]),
      );
      try {
        return await db.transaction(async (tx) => {
          const a = await updateArticle(tx, actor.workspaceId, id, {
            ...(input.title !== undefined ? { title: input.title } : {}),
            ...(slug !== undefined ? { slug } : {}),
            ...(body ?? {}),
            ...(input.categoryId !== undefined ? { categoryId: input.categoryId } : {}),
            ...(input.tags !== undefined ? { tags: normaliseTags(input.tags) } : {}),
            updatedBy: actorRef(actor),
          });
          if (!a) throw AppError.notFound('Article', id);
          await appendEvent(tx, actor, {
            type: 'kb_article.updated',
            subjectType: 'kb_article',
            subjectId: id,
            payload: { title: a.title, changed },
          });
          return a;
        });
      } catch (e) {
        if (isUniqueViolation(e))
          throw new AppError('conflict', `Another article already has the address "${input.slug}"`, {
            field: 'slug',
          });
        throw e;
      }
    },

    publish: (actor: Actor, id: string) => setStatus(actor, id, 'published'),
    unpublish: (actor: Actor, id: string) => setStatus(actor, id, 'draft'),

    async remove(actor: Actor, id: string) {
      assertCan(actor, writePermission);
      await db.transaction(async (tx) => {
        const a = await findArticle(tx, actor.workspaceId, id);
        if (!a || !(await deleteArticle(tx, actor.workspaceId, id))) throw AppError.notFound('Article', id);
        await appendEvent(tx, actor, {
          type: 'kb_article.deleted',
          subjectType: 'kb_article',
          subjectId: id,
          payload: { title: a.title, slug: a.slug },
        });
      });
    },

    /** The HTML an article body would have, for the editor's preview (nothing is stored). */
    preview(actor: Actor, body: string): string {
      assertCan(actor, readPermission);
      return renderArticleMarkdown(body);
    },

    /** Articles for words typed by an agent: published only unless `status` is any. */
    async search(
      actor: Actor,
      input: { q: string; status?: 'published' | 'any' | undefined; categoryId?: string | undefined; limit?: number },
    ): Promise<ArticleHit[]> {
      assertCan(actor, readPermission);
      return rankedSearch(
        {
          workspaceId: actor.workspaceId,
          publishedOnly: (input.status ?? 'published') === 'published',
          categoryId: input.categoryId,
        },
        input.q,
        input.limit ?? 20,
        { minScore: 0 },
      );
    },

    /** The published articles that best answer a ticket's text, each with the words that matched. */
    async suggest(actor: Actor, input: { text: string; limit?: number | undefined }): Promise<ArticleHit[]> {
      assertCan(actor, readPermission);
      return rankedSearch({ workspaceId: actor.workspaceId, publishedOnly: true }, input.text, input.limit ?? 5, {
        minScore: 1,
      });
    },

    /** Suggestions for a ticket, from its subject and the customer's last message. */
    async suggestForTicket(actor: Actor, ticketId: string, limit = 5) {
      assertCan(actor, readPermission);
      const ticket = await findTicket(db, actor.workspaceId, ticketId);
      if (!ticket) throw AppError.notFound('Ticket', ticketId);
      // Only the last inbound message is read: a ticket may hold thousands.
      const last = await lastMessageOfTicket(db, actor.workspaceId, ticketId, 'inbound');
      const text = `${ticket.subject}\n${last?.bodyText ?? ''}`;
      return {
        text,
        hits: await rankedSearch({ workspaceId: actor.workspaceId, publishedOnly: true }, text, limit, { minScore: 1 }),
      };
    },

    // ---- the public help centre (no actor: only published articles, found by the workspace's slug)

    async helpCentre(workspaceSlugValue: string) {
      const ws = await publicWorkspace(workspaceSlugValue);
      const [categories, articles] = await Promise.all([listCategories(db, ws.id), publishedArticles(db, ws.id)]);
      return { workspace: ws, categories, articles };
    },

    /** A published article; counts a view. Drafts and unknown slugs are not found. */
    async helpArticle(workspaceSlugValue: string, articleSlug: string, opts: { countView: boolean }) {
      const ws = await publicWorkspace(workspaceSlugValue);
      const article = await findArticleBySlug(db, ws.id, articleSlug);
      if (!article || article.status !== 'published') throw AppError.notFound('Article');
      if (opts.countView) await countView(db, ws.id, article.id);
      const category = article.categoryId ? await findCategory(db, ws.id, article.categoryId) : null;
      return { workspace: ws, article, category };
    },

    async helpSearch(workspaceSlugValue: string, q: string) {
      const ws = await publicWorkspace(workspaceSlugValue);
      const hits = await rankedSearch({ workspaceId: ws.id, publishedOnly: true }, q, 20, { minScore: 0 });
      return { workspace: ws, hits };
    },

    /**
     * A reader's "Was this helpful?" answer. The voter is a keyed hash of their address (no address is stored); the
     * same voter answering again changes their answer rather than adding one.
     */
    async vote(workspaceSlugValue: string, articleSlug: string, voterAddress: string, helpful: boolean) {
      const ws = await publicWorkspace(workspaceSlugValue);
      const article = await findArticleBySlug(db, ws.id, articleSlug);
      if (!article || article.status !== 'published') throw AppError.notFound('Article');
      const voter = crypto.createHmac('sha256', ws.secret).update(`kb-vote|${voterAddress}`).digest('base64url');
      return db.transaction(async (tx: DbOrTx) => {
        const r = await recordVote(tx, ws.id, article.id, voter.slice(0, 32), helpful);
        return { workspace: ws, article, ...r };
      });
    },
  };
}
