import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { companies, people, searchTerms } from '../../db/schema/index.ts';
import { oneEditAway, similarMinLength, typoMinLength } from '../../domain/search.ts';
import { textArrayLiteral } from './people.repository.ts';

export type SearchEntity = 'person' | 'company';
export type TermKind = 'prefix' | 'near' | 'similar';

/** How many dictionary words a query word may stand for, by kind (the best first): a short prefix stays cheap. */
export const termLimits: Record<TermKind, number> = { prefix: 60, near: 40, similar: 10 };
/**
 * How many dictionary words beginning with a prefix are read (in index order) to pick the shortest `termLimits.prefix`
 * of: a one-letter word begins thousands, and sorting them all by length costs more than the search itself.
 */
export const prefixScanLimit = 1000;

/**
 * The first string after every string that begins with `prefix`, in byte order (`~<~`, which text_pattern_ops keeps):
 * the prefix with its last character's code point one higher (UTF-8 keeps code point order byte by byte). Null when
 * there is none (the last character is the highest code point).
 */
export function prefixEnd(prefix: string): string | null {
  const chars = [...prefix];
  const last = chars.pop();
  if (last === undefined) return null;
  let next = (last.codePointAt(0) as number) + 1;
  if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
  if (next > 0x10ffff) return null;
  return chars.join('') + String.fromCodePoint(next);
}

/**
 * Words that begin with `w`, as a range of the text_pattern_ops index: a LIKE lets the planner pick the trigram index
 * instead, which for a one-letter word fetched and sorted every match (about 5 ms at 1M people, against under 1).
 */
const startsWith = (col: SQL | SQLWrapper, w: string) => {
  const end = prefixEnd(w);
  return end === null
    ? sql`${col} like ${`${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`
    : sql`${col} ~>=~ ${w} and ${col} ~<~ ${end}`;
};

/**
 * The dictionary words each query word may stand for, for each entity, in one round trip: the words it begins
 * (shortest first, of the first `prefixScanLimit` in index order), the words one typing mistake away, and, for longer
 * words that are in no dictionary of the workspace and have no spelling one mistake away in one, the most
 * trigram-similar words (a word that exists — a person's name searched among companies too — is rarely two typos away
 * from the one meant, and the trigram lookup is the costliest). Digit words are not in the dictionary (they are
 * matched as they are).
 */
export async function findSearchTerms(
  db: DbOrTx,
  workspaceId: string,
  entities: readonly SearchEntity[],
  words: readonly string[],
): Promise<Array<{ entity: SearchEntity; i: number; kind: TermKind; term: string }>> {
  const parts: SQL[] = [];
  const ctes: SQL[] = [];
  const t = searchTerms;
  const entityList = textArrayLiteral([...entities]);
  words.forEach((w, i) => {
    if (/^\d/.test(w)) return;
    const length = [...w].length;
    for (const entity of entities) {
      const base = sql`${t.workspaceId} = ${workspaceId} and ${t.entity} = ${entity}`;
      // `using ~<~` is the order of the text_pattern_ops index: an index range scan that stops early.
      parts.push(sql`(select ${entity}::text as entity, ${i}::int as i, 'prefix'::text as kind, p.term from (
          select ${t.term} as term from ${t} where ${base} and ${startsWith(t.term, w)} and ${t.term} <> ${w}
          order by ${t.term} using ~<~ limit ${prefixScanLimit}) p
        order by length(p.term), p.term limit ${termLimits.prefix})`);
    }
    const near = length >= typoMinLength;
    if (near) {
      // A join (a nested loop of index lookups, each finding the word in every entity's dictionary): `= any(…)`
      // with hundreds of spellings scans far more of the index.
      ctes.push(sql`${sql.identifier(`near_${i}`)} as materialized (select d.entity, d.term
          from unnest(${textArrayLiteral(oneEditAway(w))}::text[]) as v(term)
          join ${t} d on d.workspace_id = ${workspaceId} and d.term = v.term
          where d.entity = any(${entityList}::text[])
          limit ${termLimits.near * entities.length})`);
      parts.push(sql`(select entity, ${i}::int as i, 'near'::text as kind, term from ${sql.identifier(`near_${i}`)})`);
    }
    if (length >= similarMinLength)
      // One trigram index scan for every entity (the index holds every entity's words: a scan per entity would fetch
      // and recheck the same thousands of candidates again), the best `termLimits.similar` of each; only for a word
      // in no dictionary and with no spelling one edit away in one (a single typo is the common case, and the trigram
      // lookup, which rechecks thousands of candidates, is the costliest part of a search).
      parts.push(sql`(select s.entity, ${i}::int as i, 'similar'::text as kind, s.term from (
          select ${t.entity} as entity, ${t.term} as term,
            row_number() over (partition by ${t.entity} order by similarity(${t.term}, ${w}) desc, ${t.term}) as n
          from ${t} where ${t.workspaceId} = ${workspaceId} and ${t.entity} = any(${entityList}::text[])
            and ${t.term} % ${w} and ${t.term} <> ${w}
            and not exists (select from ${t} e where e.workspace_id = ${workspaceId}
              and e.entity = any(${entityList}::text[]) and e.term = ${w})
            ${near ? sql`and not exists (select from ${sql.identifier(`near_${i}`)})` : sql``}) s
        where s.n <= ${termLimits.similar})`);
  });
  if (!parts.length) return [];
  const r = await db.execute<{ entity: SearchEntity; i: number; kind: TermKind; term: string }>(
    sql`${ctes.length ? sql`with ${sql.join(ctes, sql`, `)} ` : sql``}${sql.join(parts, sql` union all `)}`,
  );
  return (r as unknown as { rows: Array<{ entity: SearchEntity; i: number; kind: TermKind; term: string }> }).rows;
}

export type SearchHitRow = { type: SearchEntity; id: string; title: string; subtitle: string | null; score: number };

/** What one table contributes to a search: its conditions phase by phase, and the cheap per-word score. */
export type SearchPlan = {
  entity: SearchEntity;
  /** Conditions over the entity's table, phase by phase; a phase is tried only while fewer than `limit` were found. */
  phases: SQL[][];
  /** Rows found by earlier phases (an earlier statement): they count towards `limit`. */
  found?: readonly string[];
  /** Per word and chunk (see searchCondition's wordScore), over the table's columns. */
  wordScore: SQL;
};

/**
 * The best rows of each entity for a search, in one statement, phase by phase: every condition takes at most
 * `candidates` rows (the first the index finds, so a word that matches 100,000 people stays cheap), keeps the
 * `finalists` best by their words and ranks those by the whole query's word similarity. A phase's conditions run
 * only when the earlier phases found fewer than `limit` rows (each phase is a materialized CTE, scanned under a
 * one-time filter: the executor never starts the ones it does not need).
 */
export async function searchCandidates(
  db: DbOrTx,
  workspaceId: string,
  folded: string,
  plans: readonly SearchPlan[],
  opts: { limit: number; candidates: number; finalists: number },
): Promise<SearchHitRow[]> {
  const ctes: SQL[] = [];
  const selects: SQL[] = [];
  for (const plan of plans) {
    const source =
      plan.entity === 'person'
        ? sql`select ${people.id} as id, ${people.displayName} as title, ${people.emails}[1] as subtitle,
            ${people.searchText} as text, ${plan.wordScore} as cheap from ${people} where ${people.workspaceId} = ${workspaceId}`
        : sql`select ${companies.id} as id, ${companies.name} as title, ${companies.domain} as subtitle,
            ${companies.searchText} as text, ${plan.wordScore} as cheap from ${companies}
            where ${companies.workspaceId} = ${workspaceId}`;
    const earlier: SQL[] = plan.found?.length
      ? [sql`select unnest(${textArrayLiteral([...plan.found])}::uuid[]) as id`]
      : [];
    plan.phases.forEach((conds, k) => {
      const names = conds.map((cond, j) => {
        const name = `${plan.entity}_${k}_${j}`;
        ctes.push(sql`${sql.identifier(name)} as materialized (
          select f.id, f.title, f.subtitle, f.cheap + word_similarity(${folded}, f.text) as score from (
            select c.* from (${source} and ${cond} limit ${opts.candidates}) c order by c.cheap desc limit ${opts.finalists}
          ) f order by score desc limit ${opts.limit})`);
        return name;
      });
      const gate = earlier.length
        ? sql` where (select count(*) from (${sql.join(earlier, sql` union `)}) e) < ${opts.limit}`
        : sql``;
      for (const n of names)
        selects.push(
          sql`select ${plan.entity}::text as type, id, title, subtitle, score from ${sql.identifier(n)}${gate}`,
        );
      earlier.push(...names.map((n) => sql`select id from ${sql.identifier(n)}`));
    });
  }
  if (!selects.length) return [];
  const r = await db.execute<SearchHitRow>(sql`with ${sql.join(ctes, sql`, `)} ${sql.join(selects, sql` union all `)}`);
  return (r as unknown as { rows: SearchHitRow[] }).rows.map((row) => ({ ...row, score: Number(row.score) }));
}
