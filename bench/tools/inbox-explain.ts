/**
 * EXPLAIN (ANALYZE, BUFFERS) of every statement Rapport runs for an inbox request, on the database
 * bench/tools/inbox-db.ts built. Usage: npx tsx bench/tools/inbox-explain.ts <queue|counts> [agent index]
 * (queue: mine, unassigned, my_teams, breaching, open, all).
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createDb } from '../../src/db/client.ts';
import { buildApp } from '../../src/http/app.ts';
import { sessionCookieName } from '../../src/modules/auth/auth.service.ts';
import { benchDir } from '../lib/spawn.ts';
import type { Desk } from '../lib/tickets-load.ts';

const info = JSON.parse(fs.readFileSync(path.join(benchDir, 'tmp', 'inbox-dev.json'), 'utf8')) as {
  url: string;
  desk: Desk;
};
const what = process.argv[2] ?? 'open';
const agent = Number(process.argv[3] ?? 0);
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
const url = what === 'counts' ? '/api/v1/tickets/queues' : `/api/v1/tickets/summaries?limit=100&queue=${what}`;
const headers = { cookie: `${sessionCookieName}=${info.desk.sessions[agent]}` };
await app.inject({ method: 'GET', url, headers });
seen.length = 0;
const res = await app.inject({ method: 'GET', url, headers });
console.log(res.statusCode, res.body.slice(0, 300));
const stmts = [...seen];
(pg.Client.prototype as unknown as { query: unknown }).query = original;
const client = await database.pool!.connect();
try {
  for (const s of stmts) {
    if (!/^\s*\(?\s*(select|with)/i.test(s.text) || /sessions|users|workspaces/.test(s.text)) continue;
    console.log(`\n==== ${s.text.replace(/\s+/g, ' ').slice(0, 3000)}\n  params: ${JSON.stringify(s.values)}`);
    const r = await client.query(`explain (analyze, buffers) ${s.text}`, s.values);
    for (const row of r.rows as Array<Record<string, string>>) console.log(row['QUERY PLAN']);
  }
} finally {
  client.release();
}
await app.close();
await database.close();
