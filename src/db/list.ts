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
  or,
  sql,
  type SQL,
} from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { CustomFieldDef } from '../domain/customers.ts';
import {
  encodeCursor,
  ListQueryError,
  type Cursor,
  type FieldSpecs,
  type Filter,
  type ListProblem,
  type ListQuery,
} from '../domain/list-query.ts';
import { statementName } from './client.ts';

/** Maps each listable field to its column; `id` is the tie-breaker and cursor key. */
export type ListColumns = {
  id: PgColumn;
  /** A column, or an SQL expression (e.g. a custom field inside jsonb). */
  fields: Record<string, PgColumn | SQL>;
  specs: FieldSpecs;
  /** Fields whose filters are not plain comparisons (arrays, related rows): their own condition builders. */
  filters?: Record<string, (f: Filter) => SQL | undefined>;
};

/**
 * Adds the custom fields of a record type (people, companies, tickets) to its list columns: `custom.<key>` becomes a
 * typed SQL expression over the record's `custom` jsonb (numbers and booleans only where the stored value has that
 * JSON type, so a sort never fails on a stray value), a select is an enum of its options, and a multiselect is
 * filtered by membership (`eq`, `ne`, `in`, `exists`; `contains` looks inside each option) and not sortable. Archived fields are left out.
 */
export function addCustomFieldColumns(
  cols: Required<Pick<ListColumns, 'fields' | 'specs' | 'filters'>>,
  custom: PgColumn,
  defs: ReadonlyArray<Pick<CustomFieldDef, 'key' | 'type' | 'options' | 'archived'>>,
): void {
  for (const d of defs) {
    if (d.archived) continue;
    const name = `custom.${d.key}`;
    cols.specs[name] =
      d.type === 'select'
        ? { type: 'enum', values: d.options }
        : d.type === 'number'
          ? { type: 'number' }
          : d.type === 'boolean'
            ? { type: 'boolean' }
            : d.type === 'date'
              ? { type: 'string', format: 'date' }
              : { type: 'string', sortable: d.type !== 'multiselect' };
    const raw = sql`${custom}->>${d.key}`;
    cols.fields[name] =
      d.type === 'number'
        ? sql`(case when jsonb_typeof(${custom}->${d.key}) = 'number' then (${raw})::numeric end)`
        : d.type === 'boolean'
          ? sql`(case when jsonb_typeof(${custom}->${d.key}) = 'boolean' then (${raw})::boolean end)`
          : raw;
    if (d.type === 'url')
      cols.filters[name] = (f) => {
        // Compared as stored: a link is kept as the URL parser writes it ("https://x.example/"), so a filter on
        // "https://x.example", as the user typed it into the record, found nobody.
        const v = Array.isArray(f.value) ? f.value.map(storedUrl) : storedUrl(String(f.value));
        switch (f.op) {
          case 'eq':
            return sql`${raw} = ${v}`;
          case 'ne':
            return sql`${raw} is distinct from ${v}`;
          case 'in':
            return inArray(raw, v as string[]);
          case 'contains':
            return ilike(raw, `%${escapeLike(String(f.value))}%`);
          case 'exists':
            return f.value ? sql`${raw} is not null` : sql`${raw} is null`;
          case 'lt':
            return lt(raw, v);
          case 'lte':
            return lte(raw, v);
          case 'gt':
            return gt(raw, v);
          case 'gte':
            return gte(raw, v);
        }
      };
    if (d.type === 'multiselect')
      cols.filters[name] = (f) => {
        // Guarded: a value stored before the field was defined (or under another type) counts as no options.
        const list = sql`(case when jsonb_typeof(${custom}->${d.key}) = 'array' then ${custom}->${d.key} else '[]'::jsonb end)`;
        const has = (x: string) => sql`${list} @> ${JSON.stringify([x])}::jsonb`;
        if (f.op === 'eq') return has(String(f.value));
        if (f.op === 'ne') return sql`not (${has(String(f.value))})`;
        if (f.op === 'in') return sql`(${sql.join((f.value as string[]).map(has), sql` or `)})`;
        if (f.op === 'contains')
          return sql`exists (select 1 from jsonb_array_elements_text(${list}) x where x ilike ${`%${escapeLike(String(f.value))}%`})`;
        if (f.op === 'exists')
          return f.value ? sql`jsonb_array_length(${list}) > 0` : sql`jsonb_array_length(${list}) = 0`;
        return undefined;
      };
  }
}

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

/** A link as custom values store it (`validateCustomValues`): the URL parser's spelling, else the text as it is. */
function storedUrl(text: string): string {
  try {
    const u = new URL(text.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : text;
  } catch {
    return text;
  }
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
      // "Is not pro" includes the records with no value, as `tag:ne:` and a multiselect's `ne` do: SQL's `<>` would
      // leave them out, and a bulk action on "plan is not pro" would miss everyone without a plan.
      return v === null ? isNotNull(col) : sql`${col} is distinct from ${v}`;
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
  const unsupported: ListProblem[] = [];
  for (const f of q.filters) {
    const c = filterCondition(cols, f);
    if (c) where.push(c);
    // A field with its own condition (tags, e-mails, a multiselect, company) takes only some operators. Dropped, the
    // filter would match everyone — and a bulk delete on "tag:gt:a" would delete the whole workspace.
    else unsupported.push({ param: `filter=${f.field}:${f.op}`, message: `"${f.op}" does not work on ${f.field}` });
  }
  if (unsupported.length) throw new ListQueryError(unsupported);
  const sortCol = fieldExpr(cols, q.sort.field) ?? sql`${cols.id}`;
  const dir = q.sort.direction === 'asc' ? asc : desc;
  if (q.cursor) {
    const v = toDbValue(cols.specs, q.sort.field, q.cursor.v);
    const after = q.sort.direction === 'asc' ? gt : lt;
    const field = cols.fields[q.sort.field];
    // PostgreSQL's order puts rows without a value last going up and first going down; the cursor follows it, so
    // such rows are neither skipped nor repeated. A NOT NULL column keeps the plain (index-friendly) condition.
    const nullable = !(field && 'notNull' in field && field.notNull) && q.sort.field !== 'id';
    const cond =
      v === null
        ? q.sort.direction === 'asc'
          ? and(isNull(sortCol), after(cols.id, q.cursor.id))
          : or(isNotNull(sortCol), and(isNull(sortCol), after(cols.id, q.cursor.id)))
        : nullable && q.sort.direction === 'asc'
          ? or(after(sortCol, v), and(eq(sortCol, v), after(cols.id, q.cursor.id)), isNull(sortCol))
          : or(after(sortCol, v), and(eq(sortCol, v), after(cols.id, q.cursor.id)));
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

/** A prepared statement's name for a drizzle query: `statementName` of its text. */
export function preparedName(prefix: string, query: { toSQL(): { sql: string } }): string {
  return statementName(query.toSQL().sql, prefix);
}
