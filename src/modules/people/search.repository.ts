import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { searchTerms } from '../../db/schema/index.ts';
import { oneEditAway, similarMinLength, typoMinLength } from '../../domain/search.ts';
import { textArrayLiteral } from './people.repository.ts';

export type SearchEntity = 'person' | 'company';
export type TermKind = 'prefix' | 'near' | 'similar';

/** How many dictionary words a query word may stand for, by kind (the best first): a short prefix stays cheap. */
export const termLimits: Record<TermKind, number> = { prefix: 60, near: 40, similar: 10 };

const likePrefix = (w: string) => `${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The dictionary words each query word may stand for, in one round trip: the words it begins (shortest first),
 * the words one typing mistake away, and (for longer words) the most trigram-similar words. Digit words are not in
 * the dictionary (they are matched as they are).
 */
export async function findSearchTerms(
  db: DbOrTx,
  workspaceId: string,
  entity: SearchEntity,
  words: readonly string[],
): Promise<Array<{ i: number; kind: TermKind; term: string }>> {
  const base = and(eq(searchTerms.workspaceId, workspaceId), eq(searchTerms.entity, entity));
  const parts: SQL[] = [];
  words.forEach((w, i) => {
    if (/^\d/.test(w)) return;
    parts.push(sql`(select ${i}::int as i, 'prefix' as kind, ${searchTerms.term} as term from ${searchTerms}
      where ${base} and ${searchTerms.term} like ${likePrefix(w)} and ${searchTerms.term} <> ${w}
      order by length(${searchTerms.term}), ${searchTerms.term} limit ${termLimits.prefix})`);
    if ([...w].length >= typoMinLength)
      // A join (a nested loop of index lookups): `= any(…)` with hundreds of spellings scans the whole dictionary.
      parts.push(sql`(select ${i}::int, 'near', t.term from unnest(${textArrayLiteral(oneEditAway(w))}::text[]) as v(term)
        join ${searchTerms} t on t.workspace_id = ${workspaceId} and t.entity = ${entity} and t.term = v.term
        limit ${termLimits.near})`);
    if ([...w].length >= similarMinLength)
      parts.push(sql`(select ${i}::int, 'similar', ${searchTerms.term} from ${searchTerms}
        where ${base} and ${searchTerms.term} % ${w} and ${searchTerms.term} <> ${w}
        order by similarity(${searchTerms.term}, ${w}) desc limit ${termLimits.similar})`);
  });
  if (!parts.length) return [];
  const r = await db.execute<{ i: number; kind: TermKind; term: string }>(sql.join(parts, sql` union all `));
  return (r as unknown as { rows: Array<{ i: number; kind: TermKind; term: string }> }).rows;
}
