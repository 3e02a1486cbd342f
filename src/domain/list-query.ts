/**
 * The one shape of every list endpoint: `limit`, `cursor`, `sort` and `filter`.
 *   sort=name | sort=-created_at           (one field, "-" for descending; the id breaks ties)
 *   filter=role:eq:admin                    (repeatable; all must hold)
 *   filter=created_at:gte:2026-01-01
 *   filter=role:in:admin|owner
 *   filter=email:contains:acme
 * Pure parsing and cursor encoding; SQL building lives in src/db/list.ts.
 */
export const filterOps = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'contains', 'exists'] as const;
export type FilterOp = (typeof filterOps)[number];

export type FieldType = 'string' | 'number' | 'boolean' | 'datetime' | 'enum';
export type FieldSpec = {
  type: FieldType;
  sortable?: boolean;
  values?: readonly string[];
  /**
   * A number stored as a PostgreSQL integer (int4) or bigint (int8): a filter value that is not a whole number or
   * does not fit is refused here; sent to the database it failed the whole list with a 500.
   */
  integer?: 'int4' | 'int8';
  /**
   * `'date'`: a text field holding calendar dates as YYYY-MM-DD (a custom date field), compared as text — which orders
   * such dates rightly only when the value is written the same way, so the value must be a real date in that form.
   */
  format?: 'date';
};
export type FieldSpecs = Record<string, FieldSpec>;

export type Filter = { field: string; op: FilterOp; value: string | number | boolean | Date | null | Array<string> };
export type Sort = { field: string; direction: 'asc' | 'desc' };
export type ListQuery = { limit: number; cursor: Cursor | null; sort: Sort; filters: Filter[] };
export type Cursor = { v: string | number | boolean | null; id: string };

export type ListProblem = { param: string; message: string };

export class ListQueryError extends Error {
  constructor(readonly problems: ListProblem[]) {
    super(problems.map((p) => `${p.param}: ${p.message}`).join('; '));
  }
}

export const maxLimit = 200;
export const defaultLimit = 50;

/** A valid date the database can store and compare (ISO 8601 with a four-digit year). */
function isStorableDate(d: Date): boolean {
  const y = d.getUTCFullYear();
  return !Number.isNaN(d.getTime()) && y >= 1 && y <= 9999;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A field's spec, own keys only: "__proto__" or "constructor" from a query string names no field. */
function specOf(fields: Record<string, FieldSpec>, field: string): FieldSpec | undefined {
  return Object.hasOwn(fields, field) ? fields[field] : undefined;
}

/** Whether a decoded cursor can be compared with the sort field (a forged one could otherwise reach the database). */
function cursorFits(c: Cursor, spec: FieldSpec | undefined): boolean {
  if (!uuidPattern.test(c.id)) return false;
  const v = c.v;
  if (v === null) return true;
  if (typeof v === 'string' && v.includes('\u0000')) return false;
  switch (spec?.type) {
    case 'datetime':
      return (typeof v === 'string' || typeof v === 'number') && isStorableDate(new Date(v));
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
    case 'enum':
      return typeof v === 'string';
    default:
      return true;
  }
}

function parseValue(spec: FieldSpec, raw: string, param: string, problems: ListProblem[]): Filter['value'] {
  switch (spec.type) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) problems.push({ param, message: `"${raw}" is not a number` });
      else if (spec.integer && !Number.isInteger(n))
        problems.push({ param, message: `"${raw}" is not a whole number` });
      else if (spec.integer) {
        // int8 is bounded by what a JavaScript number holds exactly.
        const [min, max] = spec.integer === 'int4' ? [-2147483648, 2147483647] : [-9007199254740991, 9007199254740991];
        if (n < min || n > max) problems.push({ param, message: `"${raw}" is out of range (${min} to ${max})` });
      }
      return n;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') problems.push({ param, message: `"${raw}" is not true or false` });
      return raw === 'true';
    case 'datetime': {
      const d = new Date(raw);
      if (!isStorableDate(d))
        problems.push({ param, message: `"${raw}" is not a date or date-time (years 1 to 9999)` });
      return d;
    }
    case 'enum':
      if (spec.values && !spec.values.includes(raw))
        problems.push({ param, message: `"${raw}" is not one of ${spec.values.join(', ')}` });
      return raw;
    default:
      if (spec.format === 'date' && !isCalendarDate(raw))
        problems.push({ param, message: `"${raw}" is not a date like 2026-03-31 (year-month-day)` });
      return raw;
  }
}

/** A real calendar date written YYYY-MM-DD ("2026-02-30" and "2026-2-1" are not). */
function isCalendarDate(raw: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) return false;
  const d = new Date(`${raw}T00:00:00Z`);
  return isStorableDate(d) && d.toISOString().slice(0, 10) === raw;
}

export function parseListQuery(
  input: {
    limit?: number | string | undefined;
    cursor?: string | undefined;
    sort?: string | undefined;
    filter?: string | string[] | undefined;
  },
  fields: FieldSpecs,
  defaultSort: Sort,
): ListQuery {
  const problems: ListProblem[] = [];
  let limit = defaultLimit;
  if (input.limit !== undefined && input.limit !== '') {
    const n = Number(input.limit);
    if (!Number.isInteger(n) || n < 1 || n > maxLimit)
      problems.push({ param: 'limit', message: `must be a whole number from 1 to ${maxLimit}` });
    else limit = n;
  }

  let sort = defaultSort;
  if (input.sort) {
    const desc = input.sort.startsWith('-');
    const field = desc ? input.sort.slice(1) : input.sort;
    const spec = specOf(fields, field);
    if (!spec || spec.sortable === false)
      problems.push({
        param: 'sort',
        message: `cannot sort by "${field}"; sortable: ${Object.keys(fields)
          .filter((f) => fields[f]?.sortable !== false)
          .join(', ')}`,
      });
    else sort = { field, direction: desc ? 'desc' : 'asc' };
  }

  const filters: Filter[] = [];
  const rawFilters = input.filter === undefined ? [] : Array.isArray(input.filter) ? input.filter : [input.filter];
  for (const raw of rawFilters) {
    const first = raw.indexOf(':');
    const second = first < 0 ? -1 : raw.indexOf(':', first + 1);
    const field = first < 0 ? raw : raw.slice(0, first);
    const op = (second < 0 ? raw.slice(first + 1) : raw.slice(first + 1, second)) as FilterOp;
    const value = second < 0 ? '' : raw.slice(second + 1);
    const spec = specOf(fields, field);
    const param = `filter=${raw}`;
    if (first >= 0 && !spec && field.startsWith('custom.')) {
      // Most often a saved view's filter on a field archived since: say so rather than list every field.
      problems.push({ param, message: `no custom field "${field.slice(7)}" (archived, or never defined)` });
      continue;
    }
    if (first < 0 || !spec) {
      problems.push({ param, message: `expected field:op:value with field one of ${Object.keys(fields).join(', ')}` });
      continue;
    }
    if (!(filterOps as readonly string[]).includes(op)) {
      problems.push({ param, message: `unknown operator "${op}"; use one of ${filterOps.join(', ')}` });
      continue;
    }
    if (op === 'exists') {
      filters.push({ field, op, value: value !== 'false' });
      continue;
    }
    if (op === 'contains' && spec.type !== 'string') {
      problems.push({ param, message: `"contains" works on text fields only` });
      continue;
    }
    if (op === 'in') {
      const parts = value.split('|');
      for (const p of parts) parseValue(spec, p, param, problems);
      filters.push({ field, op, value: parts });
      continue;
    }
    filters.push({ field, op, value: parseValue(spec, value, param, problems) });
  }

  let cursor: Cursor | null = null;
  if (input.cursor) {
    cursor = decodeCursor(input.cursor);
    if (cursor && !cursorFits(cursor, fields[sort.field])) cursor = null;
    if (!cursor) problems.push({ param: 'cursor', message: 'is not a cursor this API issued' });
  }

  if (problems.length) throw new ListQueryError(problems);
  return { limit, cursor, sort, filters };
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.v, c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(s: string): Cursor | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[1] !== 'string') return null;
    const v: unknown = parsed[0];
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return null;
    return { v, id: parsed[1] };
  } catch {
    return null;
  }
}
