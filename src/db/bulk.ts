import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getTableColumns, getTableName, is, SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DbOrTx } from './client.ts';

/** Rows per statement: one JSON parameter (or one COPY stream), so only its size limits it. */
const chunk = 5000;

type Row = Record<string, unknown>;

/** The columns a row sets: rows are grouped by them, so a column a row leaves out keeps its default. */
function groupByColumns<T extends PgTable>(
  table: T,
  rows: ReadonlyArray<T['$inferInsert']>,
): Array<{ keys: string[]; cols: PgColumn[]; rows: Row[] }> {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const tableName = getTableName(table);
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const keys = Object.keys(row)
      .filter((k) => (row as Row)[k] !== undefined)
      .sort();
    const key = keys.join(',');
    const group = groups.get(key) ?? [];
    groups.set(key, group);
    group.push(row as Row);
  }
  return [...groups].map(([key, group]) => {
    const keys = key.split(',');
    const cols = keys.map((k) => {
      const c = columns[k];
      if (!c) throw new Error(`${tableName} has no column ${k}`);
      return c;
    });
    return { keys, cols, rows: group };
  });
}

function jsonValue(v: unknown): unknown {
  return v instanceof Date ? v.toISOString() : v;
}

async function insertJsonGroup(
  db: DbOrTx,
  table: PgTable,
  g: { keys: string[]; cols: PgColumn[]; rows: Row[] },
): Promise<void> {
  const tableName = getTableName(table);
  const names = sql.join(
    g.cols.map((c) => sql.identifier(c.name)),
    sql`, `,
  );
  const defs = sql.join(
    g.cols.map((c) => sql`${sql.identifier(c.name)} ${sql.raw(c.getSQLType())}`),
    sql`, `,
  );
  for (let i = 0; i < g.rows.length; i += chunk) {
    const json = g.rows.slice(i, i + chunk).map((row) => {
      const out: Row = {};
      g.keys.forEach((k, j) => {
        const v = row[k];
        if (is(v, SQL)) throw new Error(`insertRows: ${tableName}.${k} is SQL, not a value`);
        out[(g.cols[j] as PgColumn).name] = jsonValue(v);
      });
      return out;
    });
    await db.execute(
      sql`insert into ${table} (${names}) select ${names} from json_to_recordset(${JSON.stringify(json)}::json) as r(${defs})`,
    );
  }
}

// ---- COPY ----

const copyEscapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copySpecial = /[\\\t\n\r]/;
const copySpecials = /[\\\t\n\r]/g;

/** A value as COPY's text format reads it (backslash, tab and line breaks escaped). */
function copyText(s: string): string {
  return copySpecial.test(s) ? s.replace(copySpecials, (c) => copyEscapes[c] ?? c) : s;
}

/** A PostgreSQL array literal of strings: every element quoted, quotes and backslashes escaped. */
function arrayLiteral(values: readonly unknown[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) out += ',';
    out += v === null || v === undefined ? 'NULL' : `"${String(v).replace(/["\\]/g, (c) => `\\${c}`)}"`;
  }
  return `${out}}`;
}

type Encode = (v: unknown) => string;

/** How each column's values are written in COPY's text format, from the column's SQL type. */
function encoderFor(col: PgColumn, tableName: string): Encode {
  const type = col.getSQLType();
  const base: Encode = type.endsWith('[]')
    ? (v) => copyText(arrayLiteral(v as unknown[]))
    : type === 'jsonb' || type === 'json'
      ? (v) => copyText(JSON.stringify(v))
      : type.startsWith('timestamp') || type === 'date'
        ? (v) => (v instanceof Date ? v.toISOString() : copyText(String(v)))
        : (v) => copyText(String(v));
  return (v) => {
    if (v === null || v === undefined) return '\\N';
    if (is(v, SQL)) throw new Error(`insertRows: ${tableName}.${col.name} is SQL, not a value`);
    return base(v);
  };
}

function copyPayload(g: { keys: string[]; cols: PgColumn[]; rows: Row[] }, tableName: string): string {
  const enc = g.cols.map((c) => encoderFor(c, tableName));
  const lines: string[] = new Array<string>(g.rows.length);
  for (let r = 0; r < g.rows.length; r++) {
    const row = g.rows[r] as Row;
    let line = '';
    for (let j = 0; j < g.keys.length; j++) {
      if (j) line += '\t';
      line += (enc[j] as Encode)(row[g.keys[j] as string]);
    }
    lines[r] = line;
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

type PgliteLike = {
  query: (q: string, params?: unknown[], options?: { blob?: Blob }) => Promise<unknown>;
};

/**
 * The connection under a Drizzle database or transaction, when a COPY can be sent on it: a node-postgres client of
 * its own (a transaction's connection, not the pool) or PGlite (its one connection). Null otherwise.
 */
function copyTarget(db: DbOrTx): { kind: 'pg'; client: pg.ClientBase } | { kind: 'pglite'; client: PgliteLike } | null {
  const client = (db as unknown as { session?: { client?: unknown } }).session?.client;
  if (!client || typeof client !== 'object') return null;
  if (client instanceof pg.Pool) return null;
  if (client instanceof pg.Client || typeof (client as { release?: unknown }).release === 'function')
    return { kind: 'pg', client: client as pg.ClientBase };
  if (typeof (client as { query?: unknown }).query === 'function' && !(client instanceof pg.Client))
    return { kind: 'pglite', client: client as PgliteLike };
  return null;
}

/**
 * Inserts many rows in few statements, inside the caller's transaction: by COPY (text format) when the connection
 * allows it — node-postgres through pg-copy-streams, PGlite from a blob — else with one json_to_recordset statement
 * per few thousand rows. Both are far cheaper than a multi-row VALUES list (a parameter per value, built and parsed
 * one by one); COPY also skips parsing the rows as JSON on the server. Rows are grouped by the columns they set, so
 * a column a row leaves out keeps its default. Values given as SQL are not supported (use the query builder).
 */
export async function insertRows<T extends PgTable>(
  db: DbOrTx,
  table: T,
  rows: ReadonlyArray<T['$inferInsert']>,
): Promise<void> {
  if (!rows.length) return;
  const target = copyTarget(db);
  const tableName = getTableName(table);
  for (const g of groupByColumns(table, rows)) {
    if (!target) {
      await insertJsonGroup(db, table, g);
      continue;
    }
    const names = g.cols.map((c) => `"${c.name}"`).join(', ');
    for (let i = 0; i < g.rows.length; i += chunk) {
      const payload = copyPayload({ ...g, rows: g.rows.slice(i, i + chunk) }, tableName);
      if (target.kind === 'pg')
        await pipeline(
          Readable.from([payload]),
          target.client.query(copyFrom(`copy "${tableName}" (${names}) from stdin`)),
        );
      else
        await target.client.query(`copy "${tableName}" (${names}) from '/dev/blob'`, [], {
          blob: new Blob([payload]),
        });
    }
  }
}

/** The json_to_recordset path of `insertRows`, whatever the connection (kept for callers on a pool). */
export async function insertJsonRows<T extends PgTable>(
  db: DbOrTx,
  table: T,
  rows: ReadonlyArray<T['$inferInsert']>,
): Promise<void> {
  if (!rows.length) return;
  for (const g of groupByColumns(table, rows)) await insertJsonGroup(db, table, g);
}

/**
 * Updates many rows of a workspace table by id in few statements: one `update … from json_to_recordset` per set of
 * changed columns (and per few thousand rows), instead of one statement per row — which on people also fires the
 * statement-level search-terms trigger once per row. `set` values are plain values, as for `insertRows`.
 */
export async function updateRows<T extends PgTable>(
  db: DbOrTx,
  table: T,
  workspaceId: string,
  updates: ReadonlyArray<{ id: string; set: Partial<T['$inferInsert']> }>,
): Promise<void> {
  if (!updates.length) return;
  // A row that is updated twice is updated in two rounds, in order: the later values win, as row by row.
  const rounds: Array<Array<T['$inferInsert']>> = [];
  const seen = new Map<string, number>();
  for (const u of updates) {
    const round = seen.get(u.id) ?? 0;
    seen.set(u.id, round + 1);
    (rounds[round] ??= []).push({ ...u.set, id: u.id } as T['$inferInsert']);
  }
  for (const rows of rounds) await updateRound(db, table, workspaceId, rows);
}

async function updateRound<T extends PgTable>(
  db: DbOrTx,
  table: T,
  workspaceId: string,
  rows: ReadonlyArray<T['$inferInsert']>,
): Promise<void> {
  const tableName = getTableName(table);
  for (const g of groupByColumns(table, rows)) {
    const changed = g.cols.filter((c) => c.name !== 'id' && c.name !== 'workspace_id');
    if (!changed.length) continue;
    const defs = sql.join(
      g.cols.map((c) => sql`${sql.identifier(c.name)} ${sql.raw(c.getSQLType())}`),
      sql`, `,
    );
    const sets = sql.join(
      changed.map((c) => sql`${sql.identifier(c.name)} = r.${sql.identifier(c.name)}`),
      sql`, `,
    );
    for (let i = 0; i < g.rows.length; i += chunk) {
      const json = g.rows.slice(i, i + chunk).map((row) => {
        const out: Row = {};
        g.keys.forEach((k, j) => {
          const v = row[k];
          if (is(v, SQL)) throw new Error(`updateRows: ${tableName}.${k} is SQL, not a value`);
          out[(g.cols[j] as PgColumn).name] = jsonValue(v);
        });
        return out;
      });
      await db.execute(
        sql`update ${table} as t set ${sets} from json_to_recordset(${JSON.stringify(json)}::json) as r(${defs}) where t.workspace_id = ${workspaceId} and t.id = r.id`,
      );
    }
  }
}
