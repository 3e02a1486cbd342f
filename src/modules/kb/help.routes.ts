import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isAppError } from '../../errors.ts';
import { securityHeaders } from '../../http/security-headers.ts';
import type { KbService } from './kb.service.ts';
import { helpPath } from './kb.schemas.ts';
import { excerptOf } from './markdown.ts';

/**
 * The public help centre: plain server-rendered HTML (no console script), only published articles, no sign-in.
 *   GET  /help/:workspace                   categories and their articles
 *   GET  /help/:workspace/search?q=         search
 *   GET  /help/:workspace/:article          one article, with "Was this helpful?"
 *   POST /help/:workspace/:article/vote     the answer (a form post; rate-limited per address and article)
 * A page added at /help/:workspace/<word> must add <word> to reservedArticleSlugs (kb.schemas.ts): no article can then
 * take it as its slug and become unreachable behind the page.
 */

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

const styles =
  'body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2937;background:#fff;line-height:1.6}' +
  'a{color:#1d4ed8}a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}' +
  'header{background:#1e3a8a;color:#fff;padding:1.25rem 1rem}header a{color:#fff;text-decoration:none}' +
  'header .site{font-size:1.25rem;font-weight:700}header .sub{opacity:.85;font-size:.95rem}' +
  '.wrap{max-width:46rem;margin:0 auto;padding:0 1rem}main{padding:1.5rem 0 3rem}' +
  'form.search{display:flex;gap:.5rem;margin:1rem 0}form.search input{flex:1;font:inherit;padding:.55rem .7rem;border:1px solid #6b7280;border-radius:.4rem}' +
  'button{font:inherit;padding:.5rem 1rem;border-radius:.4rem;border:1px solid #374151;background:#f9fafb;color:#111827;cursor:pointer}' +
  'h1{font-size:1.7rem;line-height:1.25;margin:.5rem 0 1rem}h2{font-size:1.25rem;margin:2rem 0 .5rem}' +
  'ul.articles{list-style:none;padding:0;margin:0}ul.articles li{padding:.55rem 0;border-bottom:1px solid #e5e7eb}' +
  'ul.articles p{margin:.15rem 0 0;color:#4b5563;font-size:.92rem}.muted{color:#4b5563}' +
  'nav.crumbs{font-size:.9rem;margin-bottom:.5rem}' +
  'article img{max-width:100%}article pre{background:#f3f4f6;padding:.75rem;overflow:auto;border-radius:.4rem}' +
  'article table{border-collapse:collapse}article td,article th{border:1px solid #d1d5db;padding:.3rem .6rem}' +
  '.helpful{margin-top:2.5rem;padding:1rem;border:1px solid #e5e7eb;border-radius:.5rem}.helpful form{display:inline}' +
  '.helpful fieldset{border:0;padding:0;margin:0}.helpful legend{font-weight:600;margin-bottom:.5rem}' +
  'footer{border-top:1px solid #e5e7eb;padding:1rem 0;font-size:.85rem;color:#4b5563}';

// Articles may show https images; nothing else changes from the app's policy (no script at all here).
const helpCsp = (securityHeaders({ https: false })['content-security-policy'] ?? '')
  .replace("img-src 'self' data:", "img-src 'self' data: https:")
  .replace("script-src 'self'", "script-src 'none'");

function page(
  reply: FastifyReply,
  status: number,
  opts: { title: string; workspaceName: string; workspaceSlug: string; body: string; query?: string },
) {
  const home = helpPath(opts.workspaceSlug);
  return reply
    .status(status)
    .header('content-security-policy', helpCsp)
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${escapeHtml(opts.title)} · ${escapeHtml(opts.workspaceName)} Help Centre</title><style>${styles}</style></head><body>` +
        `<header><div class="wrap"><a class="site" href="${home}">${escapeHtml(opts.workspaceName)}</a> <span class="sub">Help Centre</span></div></header>` +
        `<main class="wrap">` +
        `<form class="search" role="search" method="get" action="${home}/search"><label for="q" class="muted" style="position:absolute;left:-10000px">Search the help centre</label>` +
        `<input id="q" name="q" type="search" placeholder="Search articles…" value="${escapeHtml(opts.query ?? '')}"><button type="submit">Search</button></form>` +
        opts.body +
        `</main><footer><div class="wrap">${escapeHtml(opts.workspaceName)} · Help Centre</div></footer></body></html>`,
    );
}

function plainPage(reply: FastifyReply, status: number, title: string, text: string) {
  return reply
    .status(status)
    .header('content-security-policy', helpCsp)
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>` +
        `<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem"><h1>${title}</h1>` +
        `<p>${text}</p></body></html>`,
    );
}

function articleItem(workspaceSlug: string, a: { slug: string; title: string; bodyText: string }): string {
  const excerpt = excerptOf(a.bodyText, 160);
  return `<li><a href="${helpPath(workspaceSlug, a.slug)}">${escapeHtml(a.title)}</a>${excerpt ? `<p>${escapeHtml(excerpt)}</p>` : ''}</li>`;
}

const wsParam = z.object({ workspace: z.string().min(1).max(100) });
const articleParam = z.object({ workspace: z.string().min(1).max(100), article: z.string().min(1).max(100) });

export const helpRoutes =
  (deps: { kb: KbService; voteLimit?: { max: number; timeWindow: number } }): FastifyPluginAsync =>
  async (app) => {
    const { kb } = deps;
    // The vote buttons post a small form.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_r, b, d) =>
      d(null, Object.fromEntries(new URLSearchParams(String(b)))),
    );
    app.setErrorHandler((err: unknown, _req, reply) => {
      if (isAppError(err) && err.code === 'not_found')
        return plainPage(reply, 404, 'Not found', 'There is no such page in this help centre.');
      // @fastify/rate-limit throws the body its errorResponseBuilder made (not an Error).
      if (typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === 429)
        return plainPage(reply, 429, 'Thank you', 'We already have your answer. Please try again in a minute.');
      throw err;
    });
    const r = app.withTypeProvider<ZodTypeProvider>();
    const config = { public: true };
    const hide = { hide: true };

    r.get('/help/:workspace', { config, schema: { ...hide, params: wsParam } }, async (req, reply) => {
      const { workspace, categories, articles } = await kb.helpCentre(req.params.workspace);
      const sections: string[] = [];
      for (const c of categories) {
        const of = articles.filter((a) => a.categoryId === c.id);
        if (!of.length) continue;
        sections.push(
          `<section aria-labelledby="c-${escapeHtml(c.slug)}"><h2 id="c-${escapeHtml(c.slug)}">${escapeHtml(c.name)}</h2>` +
            (c.description ? `<p class="muted">${escapeHtml(c.description)}</p>` : '') +
            `<ul class="articles">${of.map((a) => articleItem(workspace.slug, a)).join('')}</ul></section>`,
        );
      }
      const loose = articles.filter((a) => !a.categoryId || !categories.some((c) => c.id === a.categoryId));
      if (loose.length)
        sections.push(
          `<section aria-labelledby="c-other"><h2 id="c-other">${sections.length ? 'More articles' : 'Articles'}</h2>` +
            `<ul class="articles">${loose.map((a) => articleItem(workspace.slug, a)).join('')}</ul></section>`,
        );
      return page(reply, 200, {
        title: 'How can we help?',
        workspaceName: workspace.name,
        workspaceSlug: workspace.slug,
        body:
          `<h1>How can we help?</h1>` +
          (sections.length ? sections.join('') : '<p class="muted">No articles have been published yet.</p>'),
      });
    });

    r.get(
      '/help/:workspace/search',
      { config, schema: { ...hide, params: wsParam, querystring: z.object({ q: z.string().max(500).optional() }) } },
      async (req, reply) => {
        const q = (req.query.q ?? '').trim();
        const { workspace, hits } = q
          ? await kb.helpSearch(req.params.workspace, q)
          : { ...(await kb.helpCentre(req.params.workspace)), hits: [] };
        const list = hits.length
          ? `<ul class="articles">${hits.map((h) => articleItem(workspace.slug, h.article)).join('')}</ul>`
          : `<p>${q ? 'No article matches these words. Try other words, or contact us.' : 'Type some words to search.'}</p>`;
        return page(reply, 200, {
          title: q ? `Search: ${q}` : 'Search',
          workspaceName: workspace.name,
          workspaceSlug: workspace.slug,
          query: q,
          body:
            `<h1>${q ? `Results for “${escapeHtml(q)}”` : 'Search'}</h1>` +
            (q
              ? `<p class="muted" role="status">${hits.length} article${hits.length === 1 ? '' : 's'} found</p>`
              : '') +
            list,
        });
      },
    );

    r.get(
      '/help/:workspace/:article',
      {
        config,
        schema: { ...hide, params: articleParam, querystring: z.object({ voted: z.string().max(10).optional() }) },
      },
      async (req, reply) => {
        const voted = req.query.voted;
        const { workspace, article, category } = await kb.helpArticle(req.params.workspace, req.params.article, {
          countView: !voted,
        });
        const action = `${helpPath(workspace.slug, article.slug)}/vote`;
        const feedback = voted
          ? `<p role="status">Thank you for your feedback.</p>`
          : `<form method="post" action="${action}"><fieldset><legend>Was this article helpful?</legend>` +
            `<button type="submit" name="helpful" value="yes">Yes</button> ` +
            `<button type="submit" name="helpful" value="no">No</button></fieldset></form>`;
        const updated = article.updatedAt.toISOString().slice(0, 10);
        return page(reply, 200, {
          title: article.title,
          workspaceName: workspace.name,
          workspaceSlug: workspace.slug,
          body:
            `<nav class="crumbs" aria-label="Breadcrumb"><a href="${helpPath(workspace.slug)}">Help Centre</a>` +
            (category ? ` › ${escapeHtml(category.name)}` : '') +
            `</nav><article><h1>${escapeHtml(article.title)}</h1>` +
            `<p class="muted">Updated <time datetime="${updated}">${updated}</time></p>` +
            // bodyHtml was sanitised when the article was saved.
            `${article.bodyHtml}</article><div class="helpful">${feedback}</div>`,
        });
      },
    );

    r.post(
      '/help/:workspace/:article/vote',
      {
        config: {
          ...config,
          rateLimit: {
            max: deps.voteLimit?.max ?? 5,
            timeWindow: deps.voteLimit?.timeWindow ?? 60_000,
            keyGenerator: (req) => {
              const p = req.params as { workspace?: string; article?: string };
              return `kb-vote|${req.ip}|${p.workspace ?? ''}|${p.article ?? ''}`;
            },
          },
        },
        schema: {
          ...hide,
          params: articleParam,
          body: z.object({ helpful: z.enum(['yes', 'no']) }),
        },
      },
      async (req, reply) => {
        const { workspace, article } = await kb.vote(
          req.params.workspace,
          req.params.article,
          req.ip,
          req.body.helpful === 'yes',
        );
        return reply.redirect(`${helpPath(workspace.slug, article.slug)}?voted=${req.body.helpful}`, 303);
      },
    );
  };
