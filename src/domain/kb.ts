/**
 * Knowledge base: slugs, the words of a query or a ticket, and how matching articles are ranked. Pure code; the
 * database finds the candidates and their matched stems (src/modules/kb/kb.repository.ts).
 */

/** A URL part from a title or name: lower-case ASCII letters, digits and dashes, at most 80 characters. */
export function slugify(s: string): string {
  const slug = s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/g, '');
  return slug || 'article';
}

export const slugPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** How many distinct words of a text are looked up (a long e-mail is cut: its first words say what it is about). */
export const maxQueryWords = 60;

/**
 * The distinct words of a text, in order of first appearance, with how often each occurs: letters and digits runs,
 * lower-cased, 2 to 40 characters, numbers left out (order numbers and dates match nothing useful).
 */
export function queryWords(text: string, max = maxQueryWords): Array<{ word: string; count: number }> {
  const counts = new Map<string, number>();
  for (const raw of text
    .slice(0, 20_000)
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)) {
    if (raw.length < 2 || raw.length > 40 || /^\p{N}+$/u.test(raw)) continue;
    if (!counts.has(raw) && counts.size >= max) continue;
    counts.set(raw, (counts.get(raw) ?? 0) + 1);
  }
  return [...counts].map(([word, count]) => ({ word, count }));
}

/** One stem of the query found in an article: in which parts (A title, B tags, C body) and how often. */
export type StemHit = { stem: string; weights: string[] };

export type KbCandidate = {
  id: string;
  /** pg_trgm word_similarity of the query and the title, 0 to 1 (catches typos in titles). */
  titleSimilarity: number;
  hits: StemHit[];
};

export type KbRanked = { id: string; score: number; matched: string[] };

/** Inverse document frequency (BM25's, never negative): a stem in few articles says more than one in all. */
export function idf(documents: number, withStem: number): number {
  return Math.log(1 + (documents - withStem + 0.5) / (withStem + 0.5));
}

const partWeight = { A: 3, B: 2 } as const;

/**
 * Scores candidates: for every query stem an article contains, its idf times where it stands (title 3, tag 2, body 1
 * growing slowly with repeats) times how often the query says it (slowly too); plus the title's trigram similarity
 * when it is close. `matched` lists the query's own words behind the strongest stems. Candidates below `minScore`
 * are dropped; the rest come best first (ties by id, so the order is stable).
 */
export function rankArticles(input: {
  candidates: KbCandidate[];
  /** How many articles of the searched set contain each stem. */
  documentFrequency: Map<string, number>;
  /** How many articles the search covered. */
  documents: number;
  /** The query's words with their stems and counts. */
  words: Array<{ word: string; stem: string | null; count: number }>;
  minScore?: number;
}): KbRanked[] {
  const minScore = input.minScore ?? 0;
  const byStem = new Map<string, { words: string[]; count: number }>();
  for (const w of input.words) {
    if (!w.stem) continue;
    const e = byStem.get(w.stem) ?? { words: [], count: 0 };
    e.words.push(w.word);
    e.count += w.count;
    byStem.set(w.stem, e);
  }
  const out: KbRanked[] = [];
  for (const c of input.candidates) {
    let score = 0;
    const contributions: Array<{ words: string[]; value: number }> = [];
    for (const h of c.hits) {
      const q = byStem.get(h.stem);
      if (!q) continue;
      const inTitle = h.weights.includes('A') ? partWeight.A : 0;
      const inTags = h.weights.includes('B') ? partWeight.B : 0;
      const bodyCount = h.weights.filter((w) => w === 'C' || w === 'D').length;
      const inBody = bodyCount ? 1 + Math.log2(bodyCount) / 2 : 0;
      const where = inTitle + inTags + inBody;
      const value =
        idf(input.documents, input.documentFrequency.get(h.stem) ?? 1) * where * (1 + Math.log(q.count) / 2);
      score += value;
      contributions.push({ words: q.words, value });
    }
    if (c.titleSimilarity >= 0.45) score += 4 * c.titleSimilarity;
    if (score < minScore || score <= 0) continue;
    const matched: string[] = [];
    for (const x of contributions.sort((a, b) => b.value - a.value)) {
      for (const w of x.words) if (!matched.includes(w)) matched.push(w);
      if (matched.length >= 5) break;
    }
    out.push({ id: c.id, score: Math.round(score * 1000) / 1000, matched: matched.slice(0, 5) });
  }
  return out.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

/** Why an article was suggested, in a few words for the agent. */
export function suggestionReason(matched: string[], titleSimilarity: number): string {
  if (matched.length) return `Matched: ${matched.join(', ')}`;
  if (titleSimilarity > 0) return 'The title is close to the text';
  return 'Related';
}
