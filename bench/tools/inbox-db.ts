/**
 * A persistent copy of the inbox benchmark's database, for measuring the queue statements by hand (not part of
 * `npm run bench`). `npx tsx bench/tools/inbox-db.ts build` creates `rapport_inbox_dev` with the benchmark's people,
 * agents, teams and tickets (BENCH_INBOX_TICKETS, BENCH_INBOX_PEOPLE as the benchmark) and writes
 * bench/tmp/inbox-dev.json (URL, workspace, the desk with its agents' sessions); `… migrate` applies newer
 * migrations to it (then `vacuum analyze tickets` by hand, as the load does).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createDb } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { inboxPeopleCount, inboxSeed, inboxTicketCount } from '../benchmarks/inbox.ts';
import { loadCustomers } from '../lib/customers-load.ts';
import { databaseUrl, defaultAdminUrl, freshDatabase } from '../lib/pg.ts';
import { seedWorkspace } from '../lib/seed.ts';
import { benchDir } from '../lib/spawn.ts';
import { loadTickets, seedDesk } from '../lib/tickets-load.ts';

const name = 'rapport_inbox_dev';
const adminUrl = process.env.BENCH_DATABASE_URL || defaultAdminUrl;
export const inboxDevFile = path.join(benchDir, 'tmp', 'inbox-dev.json');
const log = (m: string) => process.stderr.write(`${m}\n`);

const mode = process.argv[2];
if (mode === 'build') {
  const url = await freshDatabase(adminUrl, name);
  const database = await createDb({ databaseUrl: url, poolSize: 2 });
  const { seeded, desk } = await (async () => {
    await runMigrations(database);
    const s = await seedWorkspace(database, { userCount: 0, scopes: ['tickets:read'] });
    return {
      seeded: s,
      desk: await seedDesk(database, { workspaceId: s.workspaceId, ownerId: s.ownerId, agents: 50, seed: inboxSeed }),
    };
  })().finally(() => database.close());
  await loadCustomers({
    databaseUrl: url,
    workspaceId: seeded.workspaceId,
    people: inboxPeopleCount,
    companies: Math.round(inboxPeopleCount / 20),
    sampleSize: 0,
    seed: inboxSeed,
    log,
  });
  const loaded = await loadTickets({ databaseUrl: url, desk, count: inboxTicketCount, seed: inboxSeed + 1, log });
  fs.mkdirSync(path.dirname(inboxDevFile), { recursive: true });
  fs.writeFileSync(inboxDevFile, JSON.stringify({ url, desk, counts: loaded.counts }));
  log(`built: ${JSON.stringify(loaded)}; ${inboxDevFile}`);
} else if (mode === 'migrate') {
  const database = await createDb({ databaseUrl: databaseUrl(adminUrl, name), poolSize: 1 });
  await runMigrations(database).finally(() => database.close());
  log('migrated');
} else if (mode) {
  log('usage: inbox-db.ts build | migrate');
  process.exit(2);
}
