import { getTableColumns, type InferSelectModel, type Table } from 'drizzle-orm';

/**
 * A table's row as drizzle would return it, from the row as PostgreSQL's `to_json`/`json_agg` writes it (keys are
 * column names; timestamps are strings): lets one statement bring back the rows of several tables.
 */
export function rowFromJson<T extends Table>(table: T, json: Record<string, unknown>): InferSelectModel<T> {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = json[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as InferSelectModel<T>;
}

export function rowsFromJson<T extends Table>(table: T, json: unknown): Array<InferSelectModel<T>> {
  return Array.isArray(json) ? json.map((j) => rowFromJson(table, j as Record<string, unknown>)) : [];
}
