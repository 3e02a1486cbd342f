import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { htmlToText } from '../tickets/sanitize.ts';

// One parser with fixed options (GitHub-flavoured: tables, strikethrough, autolinks), not the shared global one.
const parser = new Marked({ gfm: true, breaks: false, async: false });

/**
 * The HTML of an article's Markdown, sanitised: whatever HTML the author typed, only formatting, headings, lists,
 * tables, code, links (http, https, mailto, tel) and https images survive; links to other sites open with
 * noopener and nofollow.
 */
export function renderArticleMarkdown(markdown: string): string {
  const raw = parser.parse(markdown, { async: false });
  return sanitizeHtml(raw, {
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
  });
}

/** The plain text of rendered article HTML: what search reads and excerpts show. */
export function articleText(html: string): string {
  return htmlToText(html);
}

/** The first sentences of a text, cut at a word boundary. */
export function excerptOf(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[,;:.\s]+$/, '')}…`;
}
