/**
 * EXPLAIN (ANALYZE, BUFFERS) of every statement Rapport's search runs for one query, on the database
 * bench/tools/search-db.ts built. Usage: npx tsx bench/tools/search-explain.ts "query" [search|list]
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createDb } from '../../src/db/client.ts';
import { buildApp } from '../../src/http/app.ts';
import { benchDir } from '../lib/spawn.ts';

const info = JSON.parse(fs.readFileSync(path.join(benchDir, 'tmp', 'search-dev.json'), 'utf8')) as {
  url: string;
  apiKey: string;
};
const q = process.argv[2] ?? 'maria';
const mode = process.argv[3] ?? 'search';
const seen: Array<{ text: string; values: unknown[] }> = [];
const original = pg.Client.prototype.query as (...a: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (
  this: pg.Client,
  ...args: unknown[]
) {
  const first = args[0] as string | { text: string; values?: unknown[] };
  if (typeof first === 'string') seen.push({ text: first, values: (args[1] as unknown[]) ?? [] });
  else seen.push({ text: first.text, values: first.values ?? (args[1] as unknown[]) ?? [] });
  return original.apply(this, args);
};
const database = await createDb({ databaseUrl: info.url, poolSize: 4 });
const app = await buildApp({ database, logger: false });
const url =
  mode === 'list'
    ? `/api/v1/people?q=${encodeURIComponent(q)}&limit=50`
    : `/api/v1/search?q=${encodeURIComponent(q)}&limit=10`;
const headers = { authorization: `Bearer ${info.apiKey}` };
await app.inject({ method: 'GET', url, headers });
seen.length = 0;
const res = await app.inject({ method: 'GET', url, headers });
console.log(res.body.slice(0, 600));
const stmts = [...seen];
(pg.Client.prototype as unknown as { query: unknown }).query = original;
const client = await database.pool!.connect();
try {
  await client.query('begin');
  for (const s of stmts) {
    if (/^(begin|commit)/i.test(s.text)) continue;
    if (/set_config/.test(s.text)) {
      console.log(`-- ${s.text} ${JSON.stringify(s.values)}`);
      await client.query(s.text, s.values);
      continue;
    }
    if (/^set /i.test(s.text)) {
      console.log(`-- ${s.text}`);
      await client.query(s.text.replace(/set local/i, 'set'));
      continue;
    }
    if (!/^\s*\(?\s*(select|with)/i.test(s.text) || /api_keys|workspaces|users/.test(s.text)) continue;
    console.log(
      `\n==== ${s.text.replace(/\s+/g, ' ').slice(0, 3000)}\n  params: ${JSON.stringify(s.values).slice(0, 1500)}`,
    );
    const r = await client.query(`explain (analyze, buffers) ${s.text}`, s.values);
    for (const row of r.rows as Array<Record<string, string>>) console.log(row['QUERY PLAN']);
  }
  await client.query('rollback');
} finally {
  client.release();
}
await app.close();
await database.close();
