import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../src/db/client.ts';

/** Every base table with a workspace_id column (the realtime tables, which hold no records, left out). */
export async function workspaceTables(db: Db): Promise<string[]> {
  return rowsOf<{ table_name: string }>(
    await db.execute(
      sql`select c.table_name from information_schema.columns c join information_schema.tables t
            on t.table_schema = c.table_schema and t.table_name = c.table_name
          where c.table_schema = 'public' and c.column_name = 'workspace_id' and t.table_type = 'BASE TABLE'
            and c.table_name not like 'realtime%' order by 1`,
    ),
  ).map((r) => r.table_name);
}

/**
 * A hash of every row of a workspace, table by table, and of its workspaces row: two equal results mean nothing of
 * the workspace changed. The columns that merely reading touches (last seen, last used, expiry) are left out.
 */
export async function workspaceRowHashes(
  db: Db,
  tables: string[],
  workspaceId: string,
): Promise<Record<string, string>> {
  const volatile = sql.raw(`array['last_seen_at','last_used_at','expires_at']`);
  const parts = tables.map(
    (t) =>
      sql`select ${t}::text as t, md5(coalesce(string_agg(j, '|' order by j), '')) as h from (select (to_jsonb(x) - ${volatile})::text as j from ${sql.identifier(t)} x where x.workspace_id = ${workspaceId}) s`,
  );
  parts.push(
    sql`select 'workspaces' as t, md5(coalesce(string_agg(to_jsonb(w)::text, ''), '')) as h from workspaces w where w.id = ${workspaceId}`,
  );
  const rows = rowsOf<{ t: string; h: string }>(await db.execute(sql.join(parts, sql` union all `)));
  return Object.fromEntries(rows.map((r) => [r.t, r.h]));
}
