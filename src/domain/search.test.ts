import { describe, expect, it } from 'vitest';
import { exactPieces, oneEditAway, parseQuery, typoMaxLength } from './search.ts';

describe('parseQuery', () => {
  it('splits the folded query into runs of letters and of digits, without duplicates', () => {
    expect(parseQuery('  Zoë  O’Brien zoe ')).toMatchObject({
      folded: 'zoe o’brien zoe',
      words: [
        { word: 'zoe', digits: false },
        { word: 'o', digits: false },
        { word: 'brien', digits: false },
      ],
      chunks: ['o’brien'],
    });
    expect(parseQuery('mh@nasa').words.map((w) => w.word)).toEqual(['mh', 'nasa']);
    expect(parseQuery('mh@nasa').chunks).toEqual(['mh@nasa']);
    expect(parseQuery('mhamilton82').words).toEqual([
      { word: 'mhamilton', digits: false },
      { word: '82', digits: true },
    ]);
  });

  it('reads a phone-looking query as one number', () => {
    expect(parseQuery('+1 (415) 555-0100').words).toEqual([{ word: '14155550100', digits: true }]);
    expect(parseQuery('12 34').words.map((w) => w.word)).toEqual(['12', '34']);
    expect(parseQuery('room 12').words.map((w) => w.word)).toEqual(['room', '12']);
  });

  it('keeps at most six words and nothing for punctuation alone', () => {
    expect(parseQuery('a b c d e f g h').words).toHaveLength(6);
    expect(parseQuery('& -- !').words).toEqual([]);
  });
});

describe('oneEditAway', () => {
  it('has every spelling one letter dropped, swapped, replaced or inserted away, and not the word', () => {
    const v = oneEditAway('paul');
    for (const s of ['pual', 'pal', 'paull', 'saul', 'apul', 'pauls', 'spaul']) expect(v).toContain(s);
    expect(v).not.toContain('paul');
    expect(v).not.toContain('lupa');
    expect(oneEditAway('łukasz')).toContain('lukasz');
  });

  // Each spelling is looked up: a 200-letter word of distinct letters (as long as a query may be) had 90,000 of them
  // and held a search for 3 s. Longer words are left to trigram similarity.
  it('has none for a word longer than typoMaxLength, and a bounded number up to it', () => {
    const distinct = (n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
    expect(oneEditAway(distinct(typoMaxLength + 1))).toEqual([]);
    expect(oneEditAway(distinct(200))).toEqual([]);
    const longest = oneEditAway(distinct(typoMaxLength));
    expect(longest).toContain(distinct(typoMaxLength - 1));
    expect(longest.length).toBeLessThan(3000);
  });
});

describe('exactPieces', () => {
  it('keeps chunks whole and the words that are in no chunk', () => {
    expect(exactPieces(parseQuery('b2b'))).toEqual({ chunks: ['b2b'], words: [] });
    expect(exactPieces(parseQuery('Ada mh@nasa 42'))).toEqual({ chunks: ['mh@nasa', '42'], words: [0] });
    expect(exactPieces(parseQuery('+1 415 555 0100'))).toEqual({ chunks: [], words: [0] });
  });
});
