/**
 * The baseline: plain Fastify 5 and a pg.Pool doing the same primary-key lookup as Rapport's GET /api/v1/users/:id,
 * with nothing else (no auth, no schema, no hooks). Env: BENCH_DATABASE_URL, BENCH_WORKSPACE_ID, BENCH_POOL_SIZE, PORT.
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

const pool = new pg.Pool({ connectionString, max: Number(process.env.BENCH_POOL_SIZE ?? 10) });
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
