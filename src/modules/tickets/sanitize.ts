import sanitizeHtml from 'sanitize-html';

/**
 * What is left of an e-mail's HTML for storage and display: text formatting, links, tables and images, without
 * scripts, styles that can overlay the console, event handlers, forms, frames or javascript: URLs. Remote images
 * are kept as links only to https (trackers still load when shown; the console shows them on request).
 */
export function sanitizeMessageHtml(html: string): string {
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
  // `[^<>]*`, not `[^>]*`: an unclosed tag would be scanned to the end of the body from each of its repeats (40,000
  // "<br " held the event loop 6 s). A `<` inside an attribute value only costs that tag its line break.
  const withBreaks = html
    .replace(/<(br|\/p|\/div|\/li|\/tr|\/h[1-6])\b[^<>]*>/gi, '\n')
    .replace(/<li\b[^<>]*>/gi, '• ');
  const text = sanitizeHtml(withBreaks, {
    allowedTags: [],
    allowedAttributes: {},
    nonTextTags: ['style', 'script', 'head', 'title'],
  });
  // sanitize-html decodes every entity of the HTML and escapes only &, < and > again: undo exactly that, in one pass,
  // so that "&amp;lt;" (the text "&lt;") is not decoded twice into "<".
  const decoded = text.replace(/&(amp|lt|gt);/g, (_, name: string) => textEntities[name] ?? '');
  // Spaces and tabs before each line break dropped line by line: the regular expression /[ \t]+\n/ retries a long run
  // of spaces from each of its positions (80,000 spaces held the event loop 5 s).
  return decoded
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
