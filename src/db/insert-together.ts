import { sql, type InferSelectModel, type SQL } from 'drizzle-orm';
import type { PgInsertValue, PgTable } from 'drizzle-orm/pg-core';
import { rowsOf, type DbOrTx } from './client.ts';
import { rowsFromJson } from './json-rows.ts';

/**
 * One table's rows to insert, or one UPDATE of rows other parts do not insert (`update`: the statement, built with
 * drizzle's `update(…).set(…).where(…)`, and with `.returning()` when `returning`; null leaves it out). `returning`
 * brings the rows back as drizzle returns them.
 */
export type InsertPart<T extends PgTable = PgTable> =
  | { table: T; rows: ReadonlyArray<PgInsertValue<T>>; returning?: boolean }
  | { table: T; update: SQL | null; returning?: boolean };

type Returned<P> = P extends { table: infer T extends PgTable } ? Array<InferSelectModel<T>> : never;

/**
 * Several tables' inserts as one statement (each a data-modifying WITH query): one round trip instead of one per
 * table on the hot write paths. The rows must not need each other's generated values (ids are made in the server);
 * a row may reference another part's row — foreign keys are checked at the end of the statement, when all are in.
 * Returns, per part, the inserted rows when asked (`returning`), else an empty list. Parts without rows are skipped.
 * `also`: expressions the statement evaluates once besides (a NOTIFY, which PostgreSQL sends when the transaction commits).
 */
export async function insertTogether<const P extends readonly InsertPart[]>(
  tx: DbOrTx,
  parts: P,
  opts: { also?: SQL[] | undefined } = {},
): Promise<{ [K in keyof P]: Returned<P[K]> }> {
  const ctes: SQL[] = [];
  const outputs: SQL[] = [];
  parts.forEach((p, i) => {
    const name = sql.identifier(`part_${i}`);
    let query: SQL | null;
    if ('update' in p) query = p.update;
    else if (!p.rows.length) query = null;
    else {
      const insert = tx.insert(p.table).values([...p.rows]);
      query = p.returning ? insert.returning().getSQL() : insert.getSQL();
    }
    if (!query) {
      outputs.push(sql`null`);
      return;
    }
    ctes.push(sql`${name} as (${query})`);
    outputs.push(p.returning ? sql`(select coalesce(json_agg(${name}), '[]') from ${name})` : sql`null`);
  });
  // Expressions evaluated once with the inserts (a NOTIFY sent at commit, say).
  for (const expr of opts.also ?? []) outputs.push(expr);
  if (!ctes.length && !opts.also?.length) return parts.map(() => []) as { [K in keyof P]: Returned<P[K]> };
  const [row] = rowsOf<Record<string, unknown>>(
    await tx.execute(
      sql`${ctes.length ? sql`with ${sql.join(ctes, sql`, `)} ` : sql``}select ${sql.join(
        outputs.map((o, i) => sql`${o} as ${sql.identifier(`out_${i}`)}`),
        sql`, `,
      )}`,
    ),
  );
  return parts.map((p, i) => (p.returning ? rowsFromJson(p.table, row?.[`out_${i}`]) : [])) as {
    [K in keyof P]: Returned<P[K]>;
  };
}
