import { describe, expect, it } from 'vitest';
import { articleText, renderArticleMarkdown } from './markdown.ts';

/**
 * The processor time a call takes, in milliseconds (its wall-clock time on a shared 2-core machine is mostly other
 * processes' work), and what it returned or threw.
 */
function timed<T>(f: () => T): { ms: number; value?: T; error?: unknown } {
  const start = process.cpuUsage();
  const ms = () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
  try {
    const value = f();
    return { ms: ms(), value };
  } catch (error) {
    return { ms: ms(), error };
  }
}

describe('article Markdown', () => {
  it('renders GitHub-flavoured tables with their alignment, and strikethrough', () => {
    const html = renderArticleMarkdown('| Size | Chest | Price |\n|:--|:-:|--:|\n| M | 96 | €89 |\n\n~~€99~~ now €89');
    expect(html).toContain('<th align="left">Size</th>');
    expect(html).toContain('<th align="center">Chest</th>');
    expect(html).toContain('<td align="right">€89</td>');
    expect(html).not.toContain('style=');
    expect(html).toContain('<p><del>€99</del> now €89</p>');
  });

  it('links web and e-mail addresses as GitHub does, and external links open apart', () => {
    const html = renderArticleMarkdown(
      'See https://example.com/returns?x=1, www.example.org or write to help@example.com. Not README.md nor ftp://x.org.',
    );
    expect(html).toContain(
      '<a href="https://example.com/returns?x=1" rel="noopener noreferrer nofollow" target="_blank">https://example.com/returns?x=1</a>',
    );
    expect(html).toContain(
      '<a href="http://www.example.org" rel="noopener noreferrer nofollow" target="_blank">www.example.org</a>',
    );
    expect(html).toContain('<a href="mailto:help@example.com">help@example.com</a>');
    expect(html).toContain('Not README.md nor ftp://x.org.');
  });

  it('renders task lists as disabled checkboxes, ticked or not, in tight and loose lists', () => {
    const tight = renderArticleMarkdown('- [ ] Photograph the damage\n- [x] Keep the box\n- [X] Done\n- [] not a task');
    expect(tight).toBe(
      '<ul>\n' +
        '<li><input type="checkbox" disabled /> Photograph the damage</li>\n' +
        '<li><input type="checkbox" checked disabled /> Keep the box</li>\n' +
        '<li><input type="checkbox" checked disabled /> Done</li>\n' +
        '<li>[] not a task</li>\n' +
        '</ul>\n',
    );
    const loose = renderArticleMarkdown('1. [x] First\n\n2. [ ] Second');
    expect(loose).toContain('<p><input type="checkbox" checked disabled /> First</p>');
    expect(loose).toContain('<p><input type="checkbox" disabled /> Second</p>');
    // Not in a list, or typed as HTML: no editable or other inputs.
    expect(renderArticleMarkdown('[ ] not a list')).toBe('<p>[ ] not a list</p>\n');
    expect(renderArticleMarkdown('<input type="text" value="x"> <input type="checkbox">')).toBe(
      '<p> <input type="checkbox" disabled /></p>\n',
    );
  });

  it('keeps the language of fenced code as a class, and nothing else an author could inject', () => {
    const html = renderArticleMarkdown(
      '```js\nif (a < b) go();\n```\n\n```c++\nx\n```\n\n```"><script>x</script>\ny\n```',
    );
    expect(html).toContain('<pre><code class="language-js">if (a &lt; b) go();\n</code></pre>');
    expect(html).toContain('<code class="language-c++">');
    expect(html).not.toContain('<script');
    const links = renderArticleMarkdown(
      '[a](javascript:alert(1)) <a href="javascript:alert(1)" onclick="x()">b</a> ![i](http://example.com/i.png) <b onmouseover="x()">c</b>',
    );
    expect(links).not.toMatch(/href="javascript|onclick|onmouseover|src="http:/);
  });

  // marked (the renderer before markdown-it) took 4.3 s on 40 KB of `_a`, minutes on 200 KB, and overflowed the stack
  // on 2,000 `>`. Bodies may have 200,000 characters: each must render, or be refused, well within a request.
  const hostile: Array<[string, string]> = [
    ['_a × 100,000 (emphasis)', '_a'.repeat(100_000)],
    ['*a × 100,000 (emphasis)', '*a'.repeat(100_000)],
    ['[ × 200,000 (links)', '['.repeat(200_000)],
    ['![[ × 66,666 (images)', '![['.repeat(66_666)],
    ['> × 100,000 (nested quotes)', '>'.repeat(100_000)],
    ['> × 2,000 (nested quotes)', '>'.repeat(2_000)],
    ['- × 100,000 (nested lists)', '- '.repeat(100_000)],
    ['`a × 100,000 (code spans)', '`a'.repeat(100_000)],
    ['<b> × 66,666 (raw HTML never closed)', '<b>'.repeat(66_666)],
    ['<div> × 40,000 (raw HTML blocks)', '<div>'.repeat(40_000)],
    ['spaces × 200,000', `a${' '.repeat(199_998)}b`],
    // A tag name with no `>` after it, in raw HTML passed through as it is: 15 s before (the depth check read it again
    // at every shorter length of the name).
    ['<a and 200,000 letters in a comment', `<!--<a${'b'.repeat(199_990)}`],
    ['<a and 200,000 letters in CDATA', `<![CDATA[<a${'b'.repeat(199_985)}`],
    ['<a and 200,000 letters in an HTML block', `<div>\n<a${'b'.repeat(199_990)}`],
  ];

  it.each(hostile)('renders %s in under 6 s of CPU, or refuses it as invalid', (_label, body) => {
    const r = timed(() => {
      const html = renderArticleMarkdown(body);
      return { html, text: articleText(html) };
    });
    // Bounded, with room for a loaded machine: marked needed 23 s for 80 KB of `_a`, minutes for 200 KB.
    expect(r.ms).toBeLessThan(6000);
    if (r.error !== undefined)
      expect(r.error).toMatchObject({
        code: 'validation_failed',
        details: { field: 'body', problems: [{ in: 'body', path: 'body' }] },
      });
  });

  it('cuts deep nesting short rather than overflowing the stack, and refuses deep raw HTML', () => {
    const quotes = renderArticleMarkdown(`${'>'.repeat(5_000)} deep`);
    expect(quotes.startsWith('<blockquote>')).toBe(true);
    // Raw HTML nested beyond any article is refused; nesting an article could have is kept.
    expect(() => renderArticleMarkdown('<b>'.repeat(5_000))).toThrow(/nested too deeply/);
    expect(renderArticleMarkdown(`${'<div>'.repeat(50)}deep${'</div>'.repeat(50)}`)).toContain('deep');
    expect(renderArticleMarkdown(`<b>x</b>`.repeat(20_000))).toContain('<b>x</b>');
  });

  it('gives search and excerpts plain text with single spaces', () => {
    const html = renderArticleMarkdown('# Sizes\n\nPick   **M** if\tin doubt.\n\n- one\n- two');
    expect(articleText(html)).toBe('Sizes\n\nPick M if in doubt.\n\n• one\n\n• two');
  });
});
