import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './client.ts';
import { createTestDatabase, testEngines } from '../../test/db.ts';

type Row = Record<string, unknown>;

async function rows(d: Database, q: ReturnType<typeof sql>): Promise<Row[]> {
  return ((await d.db.execute(q)) as unknown as { rows: Row[] }).rows;
}

/** Every way a public table breaks the workspace-key rule, in words. */
async function keyRuleViolations(d: Database): Promise<string[]> {
  const tables = await rows(
    d,
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const problems: string[] = [];
  for (const t of tables.map((r) => String(r.table_name))) {
    if (t === 'workspaces') continue; // the distribution root (a reference table)
    const cols = await rows(
      d,
      sql`select column_name from information_schema.columns where table_schema = 'public' and table_name = ${t}`,
    );
    if (!cols.some((c) => c.column_name === 'workspace_id')) problems.push(`${t}: no workspace_id column`);
    // Constraints and unique indexes, with their column lists.
    const cons = await rows(
      d,
      sql`select c.conname, c.contype, array_to_string(array(select a.attname from unnest(c.conkey) k join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k), ',') as cols
          from pg_constraint c join pg_class r on r.oid = c.conrelid join pg_namespace n on n.oid = r.relnamespace
          where n.nspname = 'public' and r.relname = ${t} and c.contype in ('p', 'u', 'f')`,
    );
    if (!cons.some((c) => c.contype === 'p')) problems.push(`${t}: no primary key`);
    for (const c of cons) {
      if (!String(c.cols).split(',').includes('workspace_id'))
        problems.push(`${t}: constraint ${String(c.conname)} lacks workspace_id`);
    }
    const uniques = await rows(
      d,
      sql`select i.relname as name, array_to_string(array(select a.attname from unnest(x.indkey) k join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k), ',') as cols
          from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class r on r.oid = x.indrelid join pg_namespace n on n.oid = r.relnamespace
          where n.nspname = 'public' and r.relname = ${t} and x.indisunique`,
    );
    for (const u of uniques) {
      if (!String(u.cols).split(',').includes('workspace_id'))
        problems.push(`${t}: unique index ${String(u.name)} lacks workspace_id`);
    }
  }
  return problems;
}

/** The distribution rule (every table keyed by workspace_id) is checked on the migrated database itself. */
describe.each(testEngines())('schema on %s', (engine) => {
  let d: Database;
  beforeAll(async () => {
    d = await createTestDatabase(engine);
  });
  afterAll(async () => d?.close());

  it('has every table carry workspace_id in its primary, unique and foreign keys', async () => {
    expect(await keyRuleViolations(d)).toEqual([]);
  });

  it('reports a table that breaks the rule', async () => {
    await d.db.execute(sql`create table rule_breaker (id uuid primary key, workspace_id uuid, email text unique)`);
    try {
      const problems = await keyRuleViolations(d);
      expect(problems).toContain('rule_breaker: constraint rule_breaker_pkey lacks workspace_id');
      expect(problems.some((p) => p.startsWith('rule_breaker: constraint rule_breaker_email_key'))).toBe(true);
    } finally {
      await d.db.execute(sql`drop table rule_breaker`);
    }
  });
});
