import {
  and,
  asc,
  desc,
  eq,
  gt,
  gte,
  ilike,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  ne,
  or,
  sql,
  type SQL,
} from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { encodeCursor, type Cursor, type FieldSpecs, type Filter, type ListQuery } from '../domain/list-query.ts';

/** Maps each listable field to its column; `id` is the tie-breaker and cursor key. */
export type ListColumns = {
  id: PgColumn;
  /** A column, or an SQL expression (e.g. a custom field inside jsonb). */
  fields: Record<string, PgColumn | SQL>;
  specs: FieldSpecs;
  /** Fields whose filters are not plain comparisons (arrays, related rows): their own condition builders. */
  filters?: Record<string, (f: Filter) => SQL | undefined>;
};

/** Datetimes go to the database as ISO strings, compared with the millisecond-precision expression below. */
function toDbValue(specs: FieldSpecs, field: string, v: unknown): unknown {
  if (specs[field]?.type !== 'datetime') return v;
  if (typeof v === 'string' || typeof v === 'number') return new Date(v).toISOString();
  if (v instanceof Date) return v.toISOString();
  return v;
}

/**
 * What a field is filtered and sorted by: the column or expression itself, so its index serves the sort. Stored
 * timestamps have millisecond precision (see src/db/schema/columns.ts), the same as the API and its cursors.
 */
function fieldExpr(cols: ListColumns, field: string): SQL | undefined {
  const col = cols.fields[field];
  if (!col) return undefined;
  return sql`${col}`;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function filterCondition(cols: ListColumns, f: Filter): SQL | undefined {
  const custom = cols.filters?.[f.field];
  if (custom) return custom(f);
  const col = fieldExpr(cols, f.field);
  if (!col) return undefined;
  const v = toDbValue(cols.specs, f.field, f.value);
  switch (f.op) {
    case 'eq':
      return v === null ? isNull(col) : eq(col, v);
    case 'ne':
      return v === null ? isNotNull(col) : ne(col, v);
    case 'lt':
      return lt(col, v);
    case 'lte':
      return lte(col, v);
    case 'gt':
      return gt(col, v);
    case 'gte':
      return gte(col, v);
    case 'in':
      return inArray(
        col,
        (v as string[]).map((x) => toDbValue(cols.specs, f.field, x)),
      );
    case 'contains':
      return ilike(col, `%${escapeLike(String(v))}%`);
    case 'exists':
      return v ? isNotNull(col) : isNull(col);
  }
}

/** WHERE, ORDER BY and LIMIT (one extra row to know whether there is a next page) for a list query. */
export function listClauses(cols: ListColumns, q: ListQuery): { where: SQL[]; orderBy: SQL[]; limit: number } {
  const where: SQL[] = [];
  for (const f of q.filters) {
    const c = filterCondition(cols, f);
    if (c) where.push(c);
  }
  const sortCol = fieldExpr(cols, q.sort.field) ?? sql`${cols.id}`;
  const dir = q.sort.direction === 'asc' ? asc : desc;
  if (q.cursor) {
    const v = toDbValue(cols.specs, q.sort.field, q.cursor.v);
    const after = q.sort.direction === 'asc' ? gt : lt;
    const cond = or(after(sortCol, v), and(eq(sortCol, v), after(cols.id, q.cursor.id)));
    if (cond) where.push(cond);
  }
  return { where, orderBy: [dir(sortCol), dir(cols.id)], limit: q.limit + 1 };
}

export type Page<T> = { data: T[]; page: { nextCursor: string | null; limit: number } };

/** Cuts the extra row and builds the cursor from the last row's sort value and id. */
export function toPage<R extends Record<string, unknown>>(
  rows: R[],
  q: ListQuery,
  key: { sortValue: (r: R) => unknown; id: (r: R) => string },
): { rows: R[]; nextCursor: string | null } {
  const hasMore = rows.length > q.limit;
  const kept = hasMore ? rows.slice(0, q.limit) : rows;
  const last = kept[kept.length - 1];
  let nextCursor: string | null = null;
  if (hasMore && last) {
    const raw = key.sortValue(last);
    const v: Cursor['v'] =
      raw instanceof Date ? raw.toISOString() : raw === null || raw === undefined ? null : (raw as Cursor['v']);
    nextCursor = encodeCursor({ v, id: key.id(last) });
  }
  return { rows: kept, nextCursor };
}
