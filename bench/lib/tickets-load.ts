/**
 * The service desk of the inbox benchmark in a migrated PostgreSQL database: agents (users with a password, signed
 * in through the real login, so each has a console session), teams and SLA policies through the services, then
 * tickets bulk-loaded with COPY the way customers-load.ts loads people (secondary indexes dropped first and rebuilt
 * from their own definitions afterwards, checked), the table rewritten in the order of last update (CLUSTER: where a
 * live table's rows end up, each written again by its last update), then VACUUM ANALYZE, as autovacuum would leave
 * a table that is mostly history.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Database } from '../../src/db/client.ts';
import { newId } from '../../src/db/ids.ts';
import { users } from '../../src/db/schema/index.ts';
import { userActor } from '../../src/modules/auth/auth.service.ts';
import { hashPassword } from '../../src/modules/auth/passwords.ts';
import { createServices } from '../../src/services.ts';
import { copy, indexDefs, rebuildIndexes } from './customers-load.ts';
import {
  generateTickets,
  planAgents,
  slaPolicyPlans,
  teamNames,
  ticketCopyColumns,
  type DeskIds,
  type TicketCounts,
} from './tickets-data.ts';

const dayMs = 86_400_000;
const agentPassword = 'bench-agent-password';

export type Desk = Omit<DeskIds, 'personIds'> & {
  /** The console session cookie value (rps_…) of each agent, in agent order. */
  sessions: string[];
};

/** Agents, teams, SLA policies and one signed-in session per agent, in the workspace of `ownerId`. */
export async function seedDesk(
  database: Database,
  opts: { workspaceId: string; ownerId: string; agents: number; seed: number },
): Promise<Desk> {
  const services = createServices(database.db);
  const [owner] = await database.db
    .select()
    .from(users)
    .where(sql`${users.id} = ${opts.ownerId}`);
  if (!owner) throw new Error('the workspace owner is missing');
  const actor = userActor(owner);
  const agents = planAgents(opts.agents, opts.seed);
  const passwordHash = await hashPassword(agentPassword);
  const agentIds = agents.map(() => newId());
  await database.db.insert(users).values(
    agents.map((a, i) => ({
      workspaceId: opts.workspaceId,
      id: agentIds[i] as string,
      email: a.email,
      name: a.name,
      passwordHash,
      role: 'agent',
      status: 'active',
    })),
  );
  const teamIds: string[] = [];
  for (const [t, name] of teamNames.entries()) {
    const memberIds = agents.filter((a) => a.teams.includes(t)).map((a) => agentIds[a.index] as string);
    const team = await services.teams.create(actor, { name, memberIds });
    teamIds.push(team.id);
  }
  const slaPolicyIds: string[] = [];
  for (const [position, p] of slaPolicyPlans.entries()) {
    const row = await services.sla.createPolicy(actor, {
      name: p.name,
      position,
      conditions: p.conditions.map((c) => ({ ...c, value: 'value' in c ? [...c.value] : [] })),
      targets: { ...p.targets },
      pauseOn: ['pending', 'on_hold'],
      warnBeforeMinutes: 30,
    });
    slaPolicyIds.push(row.id);
  }
  const sessions: string[] = [];
  for (const a of agents) {
    const s = await services.auth.login({ email: a.email, password: agentPassword, workspace: 'bench' });
    sessions.push(s.token);
  }
  return { workspaceId: opts.workspaceId, agentIds, agents, teamIds, slaPolicyIds, sessions };
}

export type LoadedTickets = {
  counts: TicketCounts;
  seconds: { copy: number; order: number; indexes: number; vacuum: number; total: number };
};

/** `count` tickets over the two years up to now, for the people already in the workspace. */
export async function loadTickets(opts: {
  databaseUrl: string;
  desk: Desk;
  count: number;
  seed: number;
  log: (msg: string) => void;
}): Promise<LoadedTickets> {
  const started = Date.now();
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    const people = await client.query<{ id: string }>('select id from people where workspace_id = $1 order by id', [
      opts.desk.workspaceId,
    ]);
    if (!people.rows.length) throw new Error('load people first: tickets need customers');
    await client.query(`set maintenance_work_mem = '1GB'`);
    const defs = await indexDefs(client, ['tickets']);
    for (const d of defs) await client.query(`drop index "${d.name}"`);
    const to = new Date();
    const counts: TicketCounts = { total: 0, byStatus: {} };
    const lines = function* () {
      let n = 0;
      for (const line of generateTickets({
        ids: { ...opts.desk, personIds: people.rows.map((r) => r.id) },
        count: opts.count,
        from: new Date(to.getTime() - 2 * 365 * dayMs),
        to,
        seed: opts.seed,
        counts,
      })) {
        if (++n % 200_000 === 0) opts.log(`  … ${n} tickets`);
        yield line;
      }
    };
    await copy(client, 'tickets', ticketCopyColumns, lines());
    // The next ticket opened gets the next number (the workspace's sequence, migration 0024).
    await client.query('select setval(rapport_ticket_sequence($1), $2)', [opts.desk.workspaceId, opts.count]);
    const copied = Date.now();
    // A row's latest version is where its last update wrote it: rewrite the table in the order of updated_at, as
    // a live desk's table ends up (open tickets, updated often, near each other; history in the order it closed).
    opts.log(`copied in ${Math.round((copied - started) / 1000)} s; ordering by last update`);
    await client.query('create index bench_tickets_load_order on tickets (updated_at)');
    await client.query('cluster tickets using bench_tickets_load_order');
    await client.query('drop index bench_tickets_load_order');
    const ordered = Date.now();
    opts.log(`ordered in ${Math.round((ordered - copied) / 1000)} s; rebuilding ${defs.length} indexes`);
    await rebuildIndexes(opts.databaseUrl, client, defs);
    const after = await indexDefs(client, ['tickets']);
    if (JSON.stringify(after) !== JSON.stringify(defs))
      throw new Error('the rebuilt ticket indexes differ from the migrated ones');
    const indexed = Date.now();
    await client.query('vacuum (analyze) tickets');
    await client.query('analyze');
    const done = Date.now();
    return {
      counts,
      seconds: {
        copy: Math.round((copied - started) / 1000),
        order: Math.round((ordered - copied) / 1000),
        indexes: Math.round((indexed - ordered) / 1000),
        vacuum: Math.round((done - indexed) / 1000),
        total: Math.round((done - started) / 1000),
      },
    };
  } finally {
    await client.end();
  }
}
