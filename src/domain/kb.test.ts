import { describe, expect, it } from 'vitest';
import { idf, queryWords, rankArticles, slugify } from './kb.ts';

describe('knowledge base domain', () => {
  it('makes URL slugs from titles', () => {
    expect(slugify('Refunds: how long do they take?')).toBe('refunds-how-long-do-they-take');
    expect(slugify('Crème brûlée & Café')).toBe('creme-brulee-and-cafe');
    expect(slugify('???')).toBe('article');
    expect(slugify('a'.repeat(100)).length).toBe(80);
  });

  it('takes the distinct words of a text with their counts, without numbers', () => {
    expect(queryWords('Order 10482: refund, REFUND… a x Überweisung')).toEqual([
      { word: 'order', count: 1 },
      { word: 'refund', count: 2 },
      { word: 'überweisung', count: 1 },
    ]);
    expect(queryWords('one two three', 2).map((w) => w.word)).toEqual(['one', 'two']);
  });

  it('ranks rare words and titles above common words and bodies, and names the words matched', () => {
    expect(idf(10, 1)).toBeGreaterThan(idf(10, 9));
    const words = [
      { word: 'charged', stem: 'charg', count: 1 },
      { word: 'order', stem: 'order', count: 2 },
      { word: 'the', stem: null, count: 3 },
    ];
    const ranked = rankArticles({
      documents: 10,
      documentFrequency: new Map([
        ['charg', 1],
        ['order', 9],
      ]),
      words,
      candidates: [
        { id: 'common', titleSimilarity: 0, hits: [{ stem: 'order', weights: ['A', 'C', 'C'] }] },
        {
          id: 'rare',
          titleSimilarity: 0,
          hits: [
            { stem: 'charg', weights: ['C'] },
            { stem: 'order', weights: ['C'] },
          ],
        },
        { id: 'none', titleSimilarity: 0, hits: [] },
      ],
      minScore: 0.5,
    });
    expect(ranked.map((r) => r.id)).toEqual(['rare', 'common']);
    expect(ranked[0]?.matched).toEqual(['charged', 'order']);
    // A title close to the query (a typo) counts without any common word.
    const typo = rankArticles({
      documents: 10,
      documentFrequency: new Map(),
      words: [{ word: 'warrenty', stem: 'warrenti', count: 1 }],
      candidates: [{ id: 'w', titleSimilarity: 0.5, hits: [] }],
    });
    expect(typo).toEqual([{ id: 'w', score: 2, matched: [] }]);
  });
});
