/**
 * The baseline: plain Fastify 5 and a pg.Pool doing the same primary-key lookup as Rapport's GET /api/v1/users/:id,
 * the same search as GET /api/v1/search and GET /api/v1/people?q=, and the inbox's queue page and queue counts
 * (GET /api/v1/tickets/summaries?queue=…, GET /api/v1/tickets/queues; the agent as `user=`), and every number of the
 * analytics dashboard's default view (`/analytics/dashboard?to=…`, bench/lib/analytics-sql.ts), each as one hand-written SQL
 * query, with nothing else (no auth, no schema, no hooks). Env: BENCH_DATABASE_URL, BENCH_WORKSPACE_ID, BENCH_POOL_SIZE,
 * BENCH_TRGM_THRESHOLD (pg_trgm.word_similarity_threshold, as Rapport sets it), PORT.
 */
import Fastify from 'fastify';
import pg from 'pg';
import { oneEditAway, parseQuery } from '../../src/domain/search.ts';
import { dashboardEndingAt, dashboardParams, dashboardPeriods, dashboardSql } from '../lib/analytics-sql.ts';
import { queueCountsSql, queuePageSql } from '../lib/inbox-sql.ts';

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
  // The word index as the only way in, as Rapport's search does (a LIMIT makes the planner bet on a table scan).
  // JIT and parallel workers off, as on Rapport's own connections (src/db/client.ts): the same settings on both sides.
  options: `-c pg_trgm.word_similarity_threshold=${threshold} -c enable_seqscan=off -c enable_indexscan=off -c jit=off -c max_parallel_workers_per_gather=0`,
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

/**
 * The dictionary words each query word may stand for (itself, the words it begins, the words one edit away, and for
 * longer words the most trigram-similar), as one array per word: the same lookup Rapport's search makes.
 */
async function wordArrays(entity: string, words: string[]): Promise<string[][]> {
  const out = words.map((w) => [w]);
  const letters = words.map((w, i) => ({ w, i })).filter(({ w }) => !/^\d/.test(w));
  if (!letters.length) return out;
  const near = letters.flatMap((l) => oneEditAway(l.w).map((v) => ({ v, i: l.i })));
  const r = await pool.query<{ i: number; term: string }>(
    `select q.i, t.term from unnest($3::text[], $4::int[]) as q(w, i), lateral (
       (select term from search_terms where workspace_id = $1 and entity = $2
          and term like replace(replace(replace(q.w, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'
        order by length(term), term limit 60)
       union all
       (select term from search_terms where workspace_id = $1 and entity = $2 and length(q.w) >= 6 and term % q.w
        order by similarity(term, q.w) desc limit 10)) t
     union all
     select v.i, s.term from unnest($5::text[], $6::int[]) as v(term, i)
       join search_terms s on s.workspace_id = $1 and s.entity = $2 and s.term = v.term`,
    [workspaceId, entity, letters.map((l) => l.w), letters.map((l) => l.i), near.map((n) => n.v), near.map((n) => n.i)],
  );
  for (const row of r.rows) out[row.i]?.push(row.term);
  return out;
}

/** Every word must match one of its words (a phone number: or be part of the text); the best 10 of 300 candidates. */
function matchSql(arrays: string[][], params: unknown[], phone: boolean): string {
  return arrays
    .map((list) => {
      params.push(list);
      const word = list[0] as string;
      if (!phone || word.length < 6) return `search_words && $${params.length}::text[]`;
      params.push(`%${word}%`);
      return `(search_words && $${params.length - 1}::text[] or search_text like $${params.length})`;
    })
    .join(' and ');
}

app.get<{ Querystring: { q: string } }>('/search', async (req) => {
  const parsed = parseQuery(req.query.q);
  const words = parsed.words.map((w) => w.word);
  if (!words.length) return { data: [] };
  const [pw, cw] = await Promise.all([wordArrays('person', words), wordArrays('company', words)]);
  const params: unknown[] = [workspaceId, parsed.folded];
  const r = await pool.query(
    `(select 'person' as type, id, display_name as title, emails[1] as subtitle, word_similarity($2, search_text) as score
        from (select * from people where workspace_id = $1 and ${matchSql(pw, params, parsed.phone)} limit 300) c
       order by score desc limit 10)
     union all
     (select 'company', id, name, domain, word_similarity($2, search_text)
        from (select * from companies where workspace_id = $1 and ${matchSql(cw, params, parsed.phone)} limit 300) c
       order by 5 desc limit 10)
     order by score desc limit 10`,
    params,
  );
  return { data: r.rows };
});

app.get<{ Querystring: { q: string } }>('/people', async (req) => {
  const parsed = parseQuery(req.query.q);
  if (!parsed.words.length) return { data: [] };
  const params: unknown[] = [workspaceId];
  const arrays = await wordArrays(
    'person',
    parsed.words.map((w) => w.word),
  );
  const r = await pool.query(
    `select * from people where workspace_id = $1 and ${matchSql(arrays, params, parsed.phone)}
      order by created_at desc, id desc limit 51`,
    params,
  );
  return { data: r.rows.slice(0, 50) };
});

/** The inbox's and the dashboard's queries with the planner's defaults (the pool above is tuned for search), JIT and parallel workers off. */
const plainPool = new pg.Pool({
  connectionString,
  max: Number(process.env.BENCH_POOL_SIZE ?? 10),
  options: '-c jit=off -c max_parallel_workers_per_gather=0',
});
app.get<{ Querystring: { queue: string; user: string; limit?: string } }>('/tickets', async (req) => {
  const limit = Number(req.query.limit ?? 100);
  const page = queuePageSql(req.query.queue, limit);
  const r = await plainPool.query<Record<string, unknown>>(
    page.text,
    page.usesAgent ? [workspaceId, req.query.user] : [workspaceId],
  );
  return {
    data: r.rows.slice(0, limit).map((t) => ({
      id: t.id,
      number: t.number,
      subject: t.subject,
      type: t.type,
      priority: t.priority,
      status: t.status,
      channel: t.channel,
      personId: t.person_id,
      assigneeId: t.assignee_id,
      teamId: t.team_id,
      tags: t.tags,
      slaDue: t.sla_due,
      lastCustomerMessageAt: t.last_customer_message_at,
      statusChangedAt: t.status_changed_at,
      createdAt: t.created_at,
      updatedAt: t.updated_at,
    })),
  };
});

app.get<{ Querystring: { user: string } }>('/tickets/queues', async (req) => {
  const r = await plainPool.query(queueCountsSql, [workspaceId, req.query.user]);
  const row = r.rows[0] as Record<string, string>;
  return {
    mine: Number(row.mine),
    unassigned: Number(row.unassigned),
    myTeams: Number(row.my_teams),
    breaching: Number(row.breaching),
    open: Number(row.open),
  };
});

/**
 * The analytics dashboard's numbers: one statement for everything but the per-period pass over the customer days,
 * and that pass as one statement per period, all side by side on the pool (as Rapport's requests run theirs), the
 * answers merged. `source=orders` computes everything in one statement from the orders table instead.
 */
const dashboardStatements = {
  rest: dashboardSql('rollups', { facts: false, rest: true }),
  facts: dashboardSql('rollups', { facts: true, rest: false }),
  orders: dashboardSql('orders'),
};
type DashboardJson = { periods: Record<string, Record<string, unknown>> };
const factKeys = ['orders', 'revenue', 'active', 'repeaters', 'retentionBase', 'retained', 'churnBase', 'churned'];
factKeys.push('returned', 'tenureDays');
app.get<{ Querystring: { to: string; source?: 'rollups' | 'orders' } }>('/analytics/dashboard', async (req, reply) => {
  const d = dashboardEndingAt(req.query.to);
  const run = async (text: string, periods?: ReturnType<typeof dashboardPeriods>) =>
    (await plainPool.query<{ dashboard: string }>(text, dashboardParams(workspaceId, d, periods))).rows[0]?.dashboard ??
    'null';
  if (req.query.source === 'orders') return reply.type('application/json').send(await run(dashboardStatements.orders));
  const [rest, ...facts] = await Promise.all([
    run(dashboardStatements.rest),
    ...dashboardPeriods(d).map((p) => run(dashboardStatements.facts, [p])),
  ]);
  const out = JSON.parse(rest) as DashboardJson;
  for (const f of facts) {
    const one = JSON.parse(f) as DashboardJson;
    for (const [k, v] of Object.entries(one.periods)) {
      const target = out.periods[k] as Record<string, unknown>;
      for (const key of factKeys) target[key] = v[key];
    }
  }
  return out;
});

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
const address = app.server.address();
process.stdout.write(`READY ${typeof address === 'object' && address ? address.port : 0}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    await app.close();
    await pool.end();
    await plainPool.end();
    process.exit(0);
  })();
});
