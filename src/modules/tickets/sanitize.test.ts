import { describe, expect, it } from 'vitest';
import { htmlToText, maxHtmlNesting, nestsDeeperThan, sanitizeMessageHtml } from './sanitize.ts';
import { cpuMs } from '../../../test/cpu.ts';

describe('htmlToText', () => {
  it('keeps line structure, bullets and text, and drops scripts and styles', () => {
    const html =
      '<p>Hello   </p><div>Line two\t</div><ul><li>one</li><li>two</li></ul>' +
      '<script>alert(1)</script><style>p{}</style>after<br>end';
    expect(htmlToText(html)).toBe('Hello\nLine two\n• one\n• two\nafter\nend');
  });

  it('decodes entities exactly once', () => {
    expect(htmlToText('<p>a &amp;lt; b &lt; c &gt; d &amp; e &eacute;</p>')).toBe('a &lt; b < c > d & e é');
  });

  it('collapses blank lines and trims spaces before each line break only', () => {
    expect(htmlToText('a  b <br><br><br><br>  c  ')).toBe('a  b\n\n  c');
  });

  // Each of these took seconds to minutes (the time grew with the square of the length) before.
  it.each([
    ['a long run of spaces', 'a' + ' '.repeat(200_000) + 'b'],
    ['a long run of spaces and tabs', 'a' + ' \t'.repeat(100_000) + 'b<br>'],
    ['unclosed <br repeated', '<br '.repeat(100_000)],
    ['unclosed <li repeated', '<li '.repeat(100_000)],
    ['unclosed </div repeated', '</div '.repeat(100_000)],
    ['100,000 divs in a row', '<div>a</div>'.repeat(100_000)],
    ['200,000 nested elements', `${'<b>'.repeat(200_000)}x`],
  ])('stays linear on hostile input: %s', (_name, html) => {
    let text = '';
    const ms = cpuMs(() => {
      text = htmlToText(html);
    });
    expect(typeof text).toBe('string');
    expect(ms).toBeLessThan(3000);
  });
});

describe('sanitizeMessageHtml', () => {
  it('drops scripts and event handlers and keeps safe markup', () => {
    const out = sanitizeMessageHtml('<p onclick="x()">Hi <b>there</b><script>alert(1)</script></p>');
    expect(out).toBe('<p>Hi <b>there</b></p>');
  });

  it('keeps HTML nested too deeply to parse as its text, escaped, without scripts or comments', () => {
    const deep = `${'<b>'.repeat(maxHtmlNesting + 1)}x &amp; <i>y</i><br>z<script>bad()</script><!-- a > b -->&lt;p&gt;`;
    expect(nestsDeeperThan(deep)).toBe(true);
    expect(sanitizeMessageHtml(deep)).toBe('<p>x &amp; y<br>z&lt;p&gt;</p>');
    expect(htmlToText(deep)).toBe('x & y\nz<p>');
    // As deep as a real message gets (layout tables in tables): read as HTML.
    const nested = `${'<div>'.repeat(maxHtmlNesting - 1)}<b>x</b>${'</div>'.repeat(maxHtmlNesting - 1)}`;
    expect(nestsDeeperThan(nested)).toBe(false);
    expect(sanitizeMessageHtml(nested)).toContain('<b>x</b>');
    // Elements the parser closes itself (a new <p> closes the last, <br> holds nothing) do not add up.
    expect(nestsDeeperThan('<p>a'.repeat(5000) + '<br>'.repeat(5000))).toBe(false);
  });

  it.each([
    ['unclosed <br repeated', '<br '.repeat(100_000)],
    ['a long run of spaces', 'a' + ' '.repeat(200_000) + 'b'],
    ['unclosed attribute values', '<a href="'.repeat(50_000)],
    ['200,000 nested elements (640 KB: 23 s before)', `${'<b>'.repeat(200_000)}x`],
    ['100,000 divs in a row', '<div>a</div>'.repeat(100_000)],
  ])('stays linear on hostile input: %s', (_name, html) => {
    expect(cpuMs(() => sanitizeMessageHtml(html))).toBeLessThan(3000);
  });
});
