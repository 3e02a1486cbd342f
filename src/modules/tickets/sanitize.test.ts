import { describe, expect, it } from 'vitest';
import { htmlToText, sanitizeMessageHtml } from './sanitize.ts';
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

  it.each([
    ['unclosed <br repeated', '<br '.repeat(100_000)],
    ['a long run of spaces', 'a' + ' '.repeat(200_000) + 'b'],
    ['unclosed attribute values', '<a href="'.repeat(50_000)],
  ])('stays linear on hostile input: %s', (_name, html) => {
    expect(cpuMs(() => sanitizeMessageHtml(html))).toBeLessThan(3000);
  });
});
