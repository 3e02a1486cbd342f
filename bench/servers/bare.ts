/**
 * The baseline: plain Fastify 5 and a pg.Pool doing the same primary-key lookup as Rapport's GET /api/v1/users/:id,
 * and the same search as GET /api/v1/search and GET /api/v1/people?q=, each as one hand-written SQL query, with
 * nothing else (no auth, no schema, no hooks). Env: BENCH_DATABASE_URL, BENCH_WORKSPACE_ID, BENCH_POOL_SIZE,
 * BENCH_TRGM_THRESHOLD (pg_trgm.word_similarity_threshold, as Rapport sets it), PORT.
 */
import Fastify from 'fastify';
import pg from 'pg';

type UserRecord = {
  workspace_id: string;
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  role: string;
  status: string;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

const connectionString = process.env.BENCH_DATABASE_URL;
const workspaceId = process.env.BENCH_WORKSPACE_ID;
if (!connectionString || !workspaceId) throw new Error('set BENCH_DATABASE_URL and BENCH_WORKSPACE_ID');

const threshold = Number(process.env.BENCH_TRGM_THRESHOLD ?? 0.6);
const pool = new pg.Pool({
  connectionString,
  max: Number(process.env.BENCH_POOL_SIZE ?? 10),
  options: `-c pg_trgm.word_similarity_threshold=${threshold}`,
});
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/users/:id', async (req, reply) => {
  const r = await pool.query<UserRecord>('select * from users where workspace_id = $1 and id = $2', [
    workspaceId,
    req.params.id,
  ]);
  const row = r.rows[0];
  if (!row) return reply.status(404).send({ error: 'not found' });
  return row;
});

/** Lower-cased, accents dropped (what search_text holds), and the `like` pattern for it. */
function searchTerms(q: string): [string, string] {
  const folded = q
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim();
  return [folded, `%${folded.replace(/[\\%_]/g, (c) => `\\${c}`)}%`];
}

const searchSql = `
  (select 'person' as type, id, display_name as title, emails[1] as subtitle,
          (case when search_text like $2 then 1 else 0 end) + word_similarity($3, search_text) as score
     from people
    where workspace_id = $1 and (search_text like $2 or $3 <% search_text)
    order by score desc limit 10)
  union all
  (select 'company', id, name, domain,
          (case when search_text like $2 then 1 else 0 end) + word_similarity($3, search_text)
     from companies
    where workspace_id = $1 and (search_text like $2 or $3 <% search_text)
    order by 5 desc limit 10)
  order by score desc limit 10`;

app.get<{ Querystring: { q: string } }>('/search', async (req) => {
  const [folded, like] = searchTerms(req.query.q);
  const r = await pool.query(searchSql, [workspaceId, like, folded]);
  return { data: r.rows };
});

app.get<{ Querystring: { q: string } }>('/people', async (req) => {
  const [folded, like] = searchTerms(req.query.q);
  const r = await pool.query(
    `select * from people where workspace_id = $1 and (search_text like $2 or $3 <% search_text)
      order by created_at desc, id desc limit 51`,
    [workspaceId, like, folded],
  );
  return { data: r.rows.slice(0, 50) };
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const address = app.server.address();
process.stdout.write(`READY ${typeof address === 'object' && address ? address.port : 0}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await app.close();
    await pool.end();
    process.exit(0);
  })();
});
