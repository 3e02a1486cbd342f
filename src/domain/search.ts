/**
 * How a search query is split into words, the same way the rapport_search_words SQL function splits a record's
 * search_text (see the search_words migration), and the spellings one typing mistake away from a word. No I/O.
 */
import { foldText } from './customers.ts';

/** A run of letters or of digits: the words of a record, and of a query. */
const runPattern = /[0-9]+|[a-z\u00c0-\u1fff\u2070-\u{10ffff}]+/gu;
/** The most words of a query that count (the rest are ignored). */
export const maxQueryWords = 6;
/** Typo'd words shorter than this are not corrected (at 1–2 letters, everything is one edit away). */
export const typoMinLength = 3;
/** Words this long or longer are also matched by trigram similarity (two typos, or more). */
export const similarMinLength = 6;
/**
 * Words longer than this are not corrected one edit at a time (trigram similarity still finds them with a typo): a word
 * has about 2 × length × (26 + its distinct letters) such spellings, each looked up, so a 200-letter word of distinct
 * letters (the longest a query takes) made 90,000 lookups and held a search for 3 s.
 */
export const typoMaxLength = 24;

export type QueryWord = {
  word: string;
  /** Digits only: not in the dictionary, matched as a record word (and, for a phone number, as a substring). */
  digits: boolean;
};

export type ParsedQuery = {
  /** Lower-cased, accents dropped, spaces collapsed: what search_text holds. */
  folded: string;
  /** The space-separated pieces that are not plain words ("mh@nasa", "o'brien"): rank higher found as they are. */
  chunks: string[];
  words: QueryWord[];
  /** The query is a phone number (or part of one): its digits also match inside the text. */
  phone: boolean;
};

/**
 * A query as words: letters and digits runs of the folded query, at most `maxQueryWords`, duplicates dropped. A query
 * that looks like a phone number ("+1 (415) 555-0100") is one word of its digits. Chunks are the pieces with
 * something else than letters in them (e-mail fragments, names with an apostrophe), to rank literal matches first.
 */
export function parseQuery(q: string): ParsedQuery {
  const folded = foldText(q);
  const digitsOnly = folded.replace(/\D/g, '');
  if (/^[+\d\s().-]+$/.test(folded) && digitsOnly.length >= 5)
    return { folded, chunks: [], words: [{ word: digitsOnly, digits: true }], phone: true };
  const runs = [...new Set(folded.match(runPattern) ?? [])].slice(0, maxQueryWords);
  const chunks = [...new Set(folded.split(' '))].filter((c) => c && !/^[a-z\u00c0-\u1fff\u2070-\u{10ffff}]+$/u.test(c));
  return {
    folded,
    chunks: chunks.slice(0, maxQueryWords),
    words: runs.map((w) => ({ word: w, digits: /^\d/.test(w) })),
    phone: false,
  };
}

const latin = 'abcdefghijklmnopqrstuvwxyz';

/**
 * Every spelling one edit away from `word` (a letter dropped, two neighbours swapped, one replaced or inserted, with
 * a-z and the word's own letters), without the word itself: the dictionary is asked which of them exist. None for a
 * word longer than `typoMaxLength`.
 */
export function oneEditAway(word: string): string[] {
  const letters = [...word];
  if (letters.length > typoMaxLength) return [];
  const alphabet = [...new Set([...latin, ...letters])];
  const out = new Set<string>();
  const n = letters.length;
  for (let i = 0; i <= n; i++) {
    const head = letters.slice(0, i).join('');
    const tail = letters.slice(i).join('');
    if (i < n) out.add(head + letters.slice(i + 1).join(''));
    if (i < n - 1) out.add(head + (letters[i + 1] as string) + (letters[i] as string) + letters.slice(i + 2).join(''));
    for (const c of alphabet) {
      if (i < n) out.add(head + c + letters.slice(i + 1).join(''));
      out.add(head + c + tail);
    }
  }
  out.delete(word);
  out.delete('');
  return [...out];
}

/**
 * The pieces a record must hold as they are to match a query exactly: each chunk whole (a record's search words hold
 * every space-separated chunk of its text whole, so "b2b" or "mh@nasa.example" is one precise lookup instead of its
 * common runs "b", "2", "mh", "nasa", "example"), and the words that are in no chunk.
 */
export function exactPieces(parsed: ParsedQuery): { chunks: string[]; words: number[] } {
  const inChunks = new Set(parsed.chunks.flatMap((c) => c.match(runPattern) ?? []));
  return {
    chunks: parsed.chunks,
    words: parsed.words.flatMap((w, i) => (inChunks.has(w.word) ? [] : [i])),
  };
}
