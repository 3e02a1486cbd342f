import { getTableColumns, getTableName, is, SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { DbOrTx } from './client.ts';

/** Rows per statement: one JSON parameter, so only the statement's size limits it. */
const chunk = 5000;

function jsonValue(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

/**
 * Inserts many rows with one statement per few thousand rows and a single parameter: the rows as a JSON array, read
 * back by json_to_recordset. A multi-row VALUES list has a parameter per value, which drizzle builds value by value
 * and PostgreSQL parses one by one; this is several times cheaper on both sides for bulk work (imports). Rows are
 * grouped by the columns they set, so a column a row leaves out keeps its default. Values given as SQL are not
 * supported (use the query builder for those).
 */
export async function insertJsonRows<T extends PgTable>(
  db: DbOrTx,
  table: T,
  rows: ReadonlyArray<T['$inferInsert']>,
): Promise<void> {
  if (!rows.length) return;
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const groups = new Map<string, Array<Record<string, unknown>>>();
  for (const row of rows) {
    const keys = Object.keys(row)
      .filter((k) => (row as Record<string, unknown>)[k] !== undefined)
      .sort();
    const key = keys.join(',');
    const group = groups.get(key) ?? [];
    groups.set(key, group);
    group.push(row as Record<string, unknown>);
  }
  const tableName = getTableName(table);
  for (const [key, group] of groups) {
    const keys = key.split(',');
    const cols = keys.map((k) => {
      const c = columns[k];
      if (!c) throw new Error(`${tableName} has no column ${k}`);
      return c;
    });
    const names = sql.join(
      cols.map((c) => sql.identifier(c.name)),
      sql`, `,
    );
    const defs = sql.join(
      cols.map((c) => sql`${sql.identifier(c.name)} ${sql.raw(c.getSQLType())}`),
      sql`, `,
    );
    for (let i = 0; i < group.length; i += chunk) {
      const json = group.slice(i, i + chunk).map((row) => {
        const out: Record<string, unknown> = {};
        keys.forEach((k, j) => {
          const v = row[k];
          if (is(v, SQL)) throw new Error(`insertJsonRows: ${tableName}.${k} is SQL, not a value`);
          out[(cols[j] as PgColumn).name] = jsonValue(v);
        });
        return out;
      });
      await db.execute(
        sql`insert into ${table} (${names}) select ${names} from json_to_recordset(${JSON.stringify(json)}::json) as r(${defs})`,
      );
    }
  }
}
