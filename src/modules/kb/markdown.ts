import MarkdownIt from 'markdown-it';
import type { StateCore, Token } from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { AppError } from '../../errors.ts';
import { htmlToText } from '../tickets/sanitize.ts';

/**
 * GitHub-flavoured task lists, which markdown-it lacks: a list item whose paragraph starts with `[ ]` or `[x]` and a
 * space begins with a checkbox, ticked or not (the sanitiser makes it disabled).
 */
function taskListItems(state: StateCore): void {
  const tokens = state.tokens;
  for (let i = 2; i < tokens.length; i++) {
    const inline = tokens[i] as Token;
    if (inline.type !== 'inline' || tokens[i - 1]?.type !== 'paragraph_open') continue;
    if (tokens[i - 2]?.type !== 'list_item_open') continue;
    const first = inline.children?.[0];
    const marker = first?.type === 'text' ? /^\[([ xX])\](?=[ \t])/.exec(first.content) : null;
    if (!first || !marker || !inline.children) continue;
    first.content = first.content.slice(marker[0].length);
    const box = new state.Token('html_inline', '', 0);
    box.content = marker[1] === ' ' ? '<input type="checkbox" disabled>' : '<input type="checkbox" checked disabled>';
    inline.children.unshift(box);
  }
}

/**
 * What markdown-it writes differently from GitHub, written GitHub's way: struck-out text is `<del>`, and a table
 * column's alignment is an `align` attribute (the sanitiser drops `style`).
 */
function githubMarkup(state: StateCore): void {
  const visit = (tokens: Token[]) => {
    for (const t of tokens) {
      if (t.type === 's_open' || t.type === 's_close') t.tag = 'del';
      if (t.type === 'th_open' || t.type === 'td_open') {
        const align = /text-align:\s*(left|center|right)/.exec(String(t.attrGet('style') ?? ''))?.[1];
        t.attrs = align ? [['align', align]] : null;
      }
      if (t.children) visit(t.children);
    }
  };
  visit(state.tokens);
}

/**
 * One parser with fixed options, GitHub-flavoured: tables, strikethrough, autolinks (http, https, www. and e-mail
 * addresses, not bare domain names), task lists, fenced code with a `language-xxx` class; raw HTML is let through to
 * the sanitiser. markdown-it rather than marked: its emphasis and link parsing stay near-linear on hostile input
 * (marked took seconds on 40 KB of `_a`), and `maxNesting` cuts deep nesting short instead of overflowing the stack.
 */
const parser = new MarkdownIt('default', {
  html: true,
  linkify: true,
  typographer: false,
  breaks: false,
  langPrefix: 'language-',
  maxNesting: 100,
});
// Autolinks as GitHub makes them: http(s)://…, www.… and e-mail addresses; not ftp:// nor //host, not bare domains.
parser.linkify
  .set({ fuzzyLink: false, fuzzyEmail: true })
  .add('ftp:', null)
  .add('//', null)
  .add('www.', {
    validate: (text, pos, self) => {
      const host = self.re.get_relative_proto_validator();
      host.lastIndex = pos;
      return host.exec(text)?.[0].length ?? 0;
    },
    normalize: (match) => {
      match.url = `http://${match.url}`;
    },
  });
parser.core.ruler.push('task_list_items', taskListItems);
parser.core.ruler.push('github_markup', githubMarkup);

/** Deeper than this, rendered HTML is refused: far beyond any article, and far below what makes parsing slow. */
const maxHtmlDepth = 1000;
const voidTags = new Set('area base br col embed hr img input keygen link meta param source track wbr'.split(' '));

/**
 * Whether HTML opens more than `maxHtmlDepth` elements inside each other, counted as the HTML parser of the sanitiser
 * (htmlparser2) keeps them, or more. Raw HTML typed in an article passes through Markdown unchanged, and that parser's
 * cost grows with the depth of open elements at every tag: 70,000 unclosed `<b>` took it seconds. Linear: a tag is
 * read up to the next `<` or `>`, and the stack searched is never longer than the limit.
 */
function nestedTooDeeply(html: string): boolean {
  const open: string[] = [];
  // `(?![a-zA-Z0-9-])`: the whole name or nothing. Otherwise a name with no `>` after it is tried again at every
  // shorter length, each read to the next `<` (a raw-HTML comment holding "<a" and 200,000 letters took 15 s).
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(?![a-zA-Z0-9-])[^<>]*>/g)) {
    const name = (m[2] as string).toLowerCase();
    if (!m[1]) {
      if (voidTags.has(name)) continue;
      open.push(name);
      if (open.length > maxHtmlDepth) return true;
    } else {
      const at = open.lastIndexOf(name);
      if (at >= 0) open.length = at;
    }
  }
  return false;
}

/** A body the parser (or the sanitiser) cannot handle is refused as invalid input, never a 500. */
function unrenderable(e: unknown): AppError {
  const reason = e instanceof RangeError ? 'it is nested too deeply' : 'its Markdown could not be read';
  return new AppError('validation_failed', `This article body cannot be shown: ${reason}`, {
    problems: [{ in: 'body', path: 'body', message: reason }],
    field: 'body',
  });
}

const articleHtml: sanitizeHtml.IOptions = {
  allowedTags: [
    ...sanitizeHtml.defaults.allowedTags.filter((t) => t !== 'style'),
    'img',
    'del',
    's',
    'input',
    'h1',
    'h2',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    code: ['class'],
    td: ['align'],
    th: ['align'],
    ol: ['start'],
    // Task-list checkboxes of GitHub-flavoured Markdown, shown ticked or not, never editable.
    input: ['type', 'checked', 'disabled'],
    '*': ['dir', 'lang'],
  },
  allowedClasses: { code: [/^language-[\w+-]+$/] },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['https'] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  nonTextTags: ['style', 'script', 'textarea', 'option', 'noscript', 'title', 'head'],
  exclusiveFilter: (frame) => frame.tag === 'input' && frame.attribs.type !== 'checkbox',
  transformTags: {
    a: (tagName, attribs) => {
      const external = /^https?:/i.test(attribs.href ?? '');
      return {
        tagName,
        attribs: external ? { ...attribs, rel: 'noopener noreferrer nofollow', target: '_blank' } : attribs,
      };
    },
    input: (tagName, attribs) => ({ tagName, attribs: { ...attribs, disabled: '' } }),
  },
};

/**
 * The HTML of an article's Markdown, sanitised: whatever HTML the author typed, only formatting, headings, lists,
 * tables, code, links (http, https, mailto, tel) and https images survive; links to other sites open with
 * noopener and nofollow.
 */
export function renderArticleMarkdown(markdown: string): string {
  try {
    const raw = parser.render(markdown);
    if (nestedTooDeeply(raw)) throw new RangeError(`HTML nested deeper than ${maxHtmlDepth} elements`);
    return sanitizeHtml(raw, articleHtml);
  } catch (e) {
    throw unrenderable(e);
  }
}

/**
 * The plain text of rendered article HTML: what search reads and excerpts show. It is made cheap for the text-search
 * parser of PostgreSQL, which takes time quadratic in the length of some words (40 KB of `_a_a…` took 15 s on
 * PostgreSQL 15 and 38 s on PGlite, blocking the server): a run of more than 100 characters without a space is cut
 * into pieces of 100, which no word of an article needs.
 */
export function articleText(html: string): string {
  // No long runs of spaces either (nor spaces between tags, which join into runs once tags are gone): they say
  // nothing to search or excerpts, and htmlToText takes time quadratic in their length.
  const text = htmlToText(html.replace(/[ \t]+/g, ' ').replace(/> </g, '>\n<'));
  return text.replace(/\S{100}(?=\S)/gu, '$& ');
}

/** The first sentences of a text, cut at a word boundary. */
export function excerptOf(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[,;:.\s]+$/, '')}…`;
}
