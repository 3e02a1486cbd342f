import { decodeHTML } from 'entities';
import { Parser } from 'htmlparser2';
import sanitizeHtml from 'sanitize-html';
import { escapeHtml } from '../../http/html-page.ts';

/**
 * Elements nested deeper than this are not read as HTML. The parser sanitize-html uses (htmlparser2) moves its whole
 * stack of open elements at each new one, so its time grows with the square of the depth: 213,000 nested `<b>` (640 KB
 * of mail) held the event loop 23 s, a 10 MB mail would hold it for an hour. No real message nests this deep.
 */
export const maxHtmlNesting = 1000;

const tooDeep = new Error('nested too deeply');

/**
 * Whether `html` nests elements deeper than `max` as the sanitiser's parser reads it (its implied closes and void
 * elements included); it stops reading at that depth, so the answer costs at most `max`² steps on top of one read.
 */
export function nestsDeeperThan(html: string, max: number = maxHtmlNesting): boolean {
  let depth = 0;
  const parser = new Parser({
    onopentag() {
      depth += 1;
      if (depth > max) throw tooDeep;
    },
    onclosetag() {
      depth -= 1;
    },
  });
  try {
    parser.end(html);
    return false;
  } catch (e) {
    if (e === tooDeep) return true;
    throw e;
  }
}

/** Elements whose content is not text. */
const nonTextElements = new Set(['script', 'style', 'head', 'title']);
/** Tags after which the text goes on on a new line. */
const lineBreakTags = new Set(['br', '/p', '/div', '/li', '/tr', '/h1', '/h2', '/h3', '/h4', '/h5', '/h6']);
const tagStart = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)/y;

/**
 * The text of HTML too deeply nested to parse (see maxHtmlNesting), in one pass: tags and comments dropped, script
 * and style content skipped, line breaks where blocks end, entities decoded. Rougher than the parser (a `>` inside an
 * attribute value ends its tag early), and only ever used for such HTML.
 */
function textOfDeepHtml(html: string): string {
  let out = '';
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, lt);
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      if (end < 0) break;
      i = end + 3;
      continue;
    }
    const gt = html.indexOf('>', lt + 1);
    if (gt < 0) break;
    i = gt + 1;
    tagStart.lastIndex = lt;
    const m = tagStart.exec(html);
    if (!m) continue;
    const name = (m[2] as string).toLowerCase();
    const closing = m[1] === '/';
    if (lineBreakTags.has(closing ? `/${name}` : name)) out += '\n';
    else if (!closing && name === 'li') out += '\n• ';
    if (!closing && nonTextElements.has(name)) {
      const close = new RegExp(`</${name}\\s*>`, 'gi');
      close.lastIndex = i;
      const end = close.exec(html);
      i = end ? end.index + end[0].length : html.length;
    }
  }
  return decodeHTML(out);
}

/**
 * What is left of an e-mail's HTML for storage and display: text formatting, links, tables and images, without
 * scripts, styles that can overlay the console, event handlers, forms, frames or javascript: URLs. Remote images
 * are kept as links only to https (trackers still load when shown; the console shows them on request).
 */
export function sanitizeMessageHtml(html: string): string {
  // Too deep to parse: kept as its text (escaped, line by line).
  if (nestsDeeperThan(html)) return `<p>${escapeHtml(tidyText(textOfDeepHtml(html))).replace(/\n/g, '<br>')}</p>`;
  return sanitizeHtml(html, {
    allowedTags: [
      ...sanitizeHtml.defaults.allowedTags.filter((t) => t !== 'style'),
      'img',
      'font',
      'center',
      'span',
      'u',
      's',
    ],
    allowedAttributes: {
      a: ['href', 'name', 'title', 'rel', 'target'],
      img: ['src', 'alt', 'title', 'width', 'height'],
      td: ['colspan', 'rowspan', 'align', 'valign'],
      th: ['colspan', 'rowspan', 'align', 'valign'],
      table: ['width', 'border', 'cellpadding', 'cellspacing'],
      font: ['color'],
      '*': ['dir', 'lang'],
    },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['https', 'cid', 'data'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    nonTextTags: ['style', 'script', 'textarea', 'option', 'noscript', 'title', 'head'],
    transformTags: {
      a: (tagName, attribs) => ({
        tagName,
        attribs: { ...attribs, rel: 'noopener noreferrer nofollow', target: '_blank' },
      }),
    },
  });
}

const textEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>' };

/** Plain text of an HTML body, for previews, search and messages that came without a text part. */
export function htmlToText(html: string): string {
  if (nestsDeeperThan(html)) return tidyText(textOfDeepHtml(html));
  // `[^<>]*`, not `[^>]*`: an unclosed tag would be scanned to the end of the body from each of its repeats (40,000
  // "<br " held the event loop 6 s). A `<` inside an attribute value only costs that tag its line break. The closing
  // tags stay (`$&`): without them 100,000 `<div>a</div>` in a row became 100,000 nested divs for the parser (2.6 s).
  const withBreaks = html
    .replace(/<(br|\/p|\/div|\/li|\/tr|\/h[1-6])\b[^<>]*>/gi, '$&\n')
    .replace(/<li\b[^<>]*>/gi, '• ');
  const text = sanitizeHtml(withBreaks, {
    allowedTags: [],
    allowedAttributes: {},
    nonTextTags: ['style', 'script', 'head', 'title'],
  });
  // sanitize-html decodes every entity of the HTML and escapes only &, < and > again: undo exactly that, in one pass,
  // so that "&amp;lt;" (the text "&lt;") is not decoded twice into "<".
  return tidyText(text.replace(/&(amp|lt|gt);/g, (_, name: string) => textEntities[name] ?? ''));
}

/** Text with no spaces before its line breaks, at most one blank line in a row, trimmed. */
function tidyText(text: string): string {
  // Spaces and tabs before each line break dropped line by line: the regular expression /[ \t]+\n/ retries a long run
  // of spaces from each of its positions (80,000 spaces held the event loop 5 s).
  return text
    .split('\n')
    .map(trimLineEnd)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function trimLineEnd(line: string): string {
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 32 || line.charCodeAt(end - 1) === 9)) end--;
  return end === line.length ? line : line.slice(0, end);
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The input with every lone UTF-16 surrogate (in strings, and in keys and values of plain objects and arrays) turned
 * into U+FFFD. Text columns get that from the driver's UTF-8 encoding, but JSON keeps the `\ud800` escape, which
 * PostgreSQL's jsonb refuses: event payloads, custom values and settings would fail with a 500.
 */
export function wellFormed<T>(value: T): T {
  if (typeof value === 'string') return value.replace(loneSurrogate, '\ufffd') as T;
  if (Array.isArray(value)) return value.map((v: unknown) => wellFormed(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), wellFormed(v)])) as T;
  return value;
}
