import { describe, expect, it } from 'vitest';
import { prefixEnd } from './search.repository.ts';

/** Byte order of the UTF-8 encodings, as text_pattern_ops compares. */
const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('the end of a prefix range', () => {
  it('is the prefix with its last character one code point higher', () => {
    expect(prefixEnd('y')).toBe('z');
    expect(prefixEnd('mar')).toBe('mas');
    expect(prefixEnd('jos\u00e9')).toBe('jos\u00ea');
    expect(prefixEnd('\u007f')).toBe('\u0080');
    expect(prefixEnd('a\u{1f600}')).toBe('a\u{1f601}');
    expect(prefixEnd('\ud7ff')).toBe('\ue000');
    expect(prefixEnd('')).toBeNull();
    expect(prefixEnd('\u{10ffff}')).toBeNull();
  });

  it('holds exactly the strings that begin with the prefix, in byte order', () => {
    const alphabet = [
      'a',
      'y',
      'z',
      '\u007f',
      '\u0080',
      '\u00e9',
      '\u00ea',
      '\u07ff',
      '\u0800',
      '\uffff',
      '\u{10000}',
      '\u{1f600}',
    ];
    let seed = 7;
    const pick = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return alphabet[seed % alphabet.length] as string;
    };
    const word = (n: number) => Array.from({ length: n }, pick).join('');
    for (let i = 0; i < 2000; i++) {
      const prefix = word(1 + (i % 3));
      const end = prefixEnd(prefix) as string;
      const s = i % 2 ? prefix + word(i % 4) : word(1 + (i % 5));
      const inRange = bytewise(s, prefix) >= 0 && bytewise(s, end) < 0;
      expect(inRange, `${JSON.stringify(s)} against ${JSON.stringify(prefix)}`).toBe(s.startsWith(prefix));
    }
  });
});
