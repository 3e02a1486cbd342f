import { getTableColumns, is, SQL, sql, type Column, type InferSelectModel } from 'drizzle-orm';
import type { PgInsertValue, PgTable } from 'drizzle-orm/pg-core';
import { executeCompiled, type DbOrTx } from './client.ts';
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

/** What of drizzle's PostgreSQL dialect this file uses (both engines have it; not in drizzle's types). */
type Dialect = {
  escapeName(name: string): string;
  escapeParam(index: number, value: unknown): string;
  escapeString(s: string): string;
  casing: { getColumnCasing(column: Column): string };
};

/**
 * A statement's text and parameters, written directly: drizzle's builders walk every value of every row through
 * several type checks and build the text anew each time, which on the inbound mail path cost about a sixth of the
 * server's busy CPU (a CPU profile of the mail-in benchmark). Drizzle SQL (an update, an expression) is compiled into it with the parameters numbered on.
 */
class Statement {
  text = '';
  readonly params: unknown[] = [];
  constructor(readonly dialect: Dialect) {}
  param(value: unknown): void {
    this.params.push(value);
    this.text += `$${this.params.length}`;
  }
  sql(fragment: SQL): void {
    const d = this.dialect;
    const q = fragment.toQuery({
      casing: d.casing as never,
      escapeName: (n) => d.escapeName(n),
      escapeParam: (i, v) => d.escapeParam(i, v),
      escapeString: (s) => d.escapeString(s),
      paramStartIndex: { value: this.params.length },
    });
    this.text += q.sql;
    this.params.push(...q.params);
  }
  /** A column's value: a parameter as drizzle would send it, or SQL written in place. */
  value(column: Column, v: unknown): void {
    if (v === null) return this.param(null);
    if (typeof v === 'object' && is(v, SQL)) return this.sql(v);
    const mapped = column.mapToDriverValue(v);
    if (mapped !== null && typeof mapped === 'object' && is(mapped, SQL)) return this.sql(mapped);
    this.param(mapped);
  }
}

type InsertShape = { head: string; columns: Array<[string, Column]> };
const shapes = new WeakMap<PgTable, InsertShape>();

/** `insert into "table" ("a", "b", …) values ` and the columns in that order (generated ones left out), per table. */
function insertShape(dialect: Dialect, table: PgTable): InsertShape {
  let shape = shapes.get(table);
  if (!shape) {
    // Generated columns (drizzle's own test, not in its types).
    const columns = Object.entries(getTableColumns(table)).filter(
      ([, c]) => !(c as unknown as { shouldDisableInsert(): boolean }).shouldDisableInsert(),
    );
    const name = new Statement(dialect);
    name.sql(sql`${table}`);
    const list = columns.map(([, c]) => dialect.escapeName(dialect.casing.getColumnCasing(c))).join(', ');
    shape = { head: `insert into ${name.text} (${list}) values `, columns };
    shapes.set(table, shape);
  }
  return shape;
}

/**
 * The rows as drizzle's `insert(table).values(rows)` writes them: every insertable column of the table in order, a
 * missing value taken from the column's default function (`$defaultFn`, `$onUpdateFn` without a default) or left to
 * the table's DEFAULT.
 */
function writeInsert(s: Statement, table: PgTable, rows: ReadonlyArray<Record<string, unknown>>, returning: boolean) {
  const shape = insertShape(s.dialect, table);
  s.text += shape.head;
  rows.forEach((row, r) => {
    s.text += r ? ', (' : '(';
    shape.columns.forEach(([key, column], c) => {
      if (c) s.text += ', ';
      const v = row[key];
      if (v !== undefined) s.value(column, v);
      else if (column.defaultFn) s.value(column, column.defaultFn());
      else if (!column.default && column.onUpdateFn) s.value(column, column.onUpdateFn());
      else s.text += 'default';
    });
    s.text += ')';
  });
  if (returning) s.text += ' returning *';
}

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
  const { dialect } = tx as unknown as { dialect: Dialect };
  const s = new Statement(dialect);
  const outputs: string[] = [];
  let ctes = 0;
  parts.forEach((p, i) => {
    const present = 'update' in p ? p.update !== null : p.rows.length > 0;
    if (!present) {
      outputs.push('null');
      return;
    }
    const name = `"part_${i}"`;
    s.text += ctes++ ? `, ${name} as (` : `with ${name} as (`;
    if ('update' in p) s.sql(p.update as SQL);
    else writeInsert(s, p.table, p.rows as ReadonlyArray<Record<string, unknown>>, p.returning === true);
    s.text += ')';
    outputs.push(p.returning ? `(select coalesce(json_agg(${name}), '[]') from ${name})` : 'null');
  });
  if (!ctes && !opts.also?.length) return parts.map(() => []) as { [K in keyof P]: Returned<P[K]> };
  s.text += ctes ? ' select ' : 'select ';
  outputs.forEach((o, i) => (s.text += `${i ? ', ' : ''}${o} as "out_${i}"`));
  // Expressions evaluated once with the inserts (a NOTIFY sent at commit, say).
  (opts.also ?? []).forEach((expr, j) => {
    s.text += `${outputs.length + j ? ', ' : ''}`;
    s.sql(expr);
    s.text += ` as "out_${outputs.length + j}"`;
  });
  const [row] = await executeCompiled<Record<string, unknown>>(tx, { sql: s.text, params: s.params });
  return parts.map((p, i) => (p.returning ? rowsFromJson(p.table, row?.[`out_${i}`]) : [])) as {
    [K in keyof P]: Returned<P[K]>;
  };
}
