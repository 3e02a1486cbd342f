/**
 * A persistent copy of the search benchmark's database, for measuring search statements by hand (not part of
 * `npm run bench`). `npx tsx bench/tools/search-db.ts build` creates `rapport_search_dev` with the benchmark's
 * people and companies and writes bench/tmp/search-dev.json (URL, workspace, API key, the benchmark's queries);
 * `… migrate` applies newer migrations to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createDb } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { buildQueries } from '../benchmarks/search.ts';
import { loadCustomers } from '../lib/customers-load.ts';
import { databaseUrl, defaultAdminUrl, freshDatabase } from '../lib/pg.ts';
import { seedWorkspace } from '../lib/seed.ts';
import { benchDir } from '../lib/spawn.ts';

const name = 'rapport_search_dev';
const people = Number(process.env.BENCH_SEARCH_PEOPLE || 1_000_000);
const adminUrl = process.env.BENCH_DATABASE_URL || defaultAdminUrl;
const infoFile = path.join(benchDir, 'tmp', 'search-dev.json');
const log = (m: string) => process.stderr.write(`${m}\n`);

const mode = process.argv[2];
if (mode === 'build') {
  const url = await freshDatabase(adminUrl, name);
  const database = await createDb({ databaseUrl: url, poolSize: 2 });
  const seeded = await (async () => {
    await runMigrations(database);
    return seedWorkspace(database, { userCount: 0, scopes: ['customers:read'] });
  })().finally(() => database.close());
  const loaded = await loadCustomers({
    databaseUrl: url,
    workspaceId: seeded.workspaceId,
    people,
    companies: Math.round(people / 20),
    sampleSize: 2000,
    seed: 20_261_122,
    log,
  });
  const queries = buildQueries(
    loaded.sample,
    loaded.companies.map((c) => c.name),
  );
  fs.mkdirSync(path.dirname(infoFile), { recursive: true });
  fs.writeFileSync(
    infoFile,
    JSON.stringify({ url, workspaceId: seeded.workspaceId, apiKey: seeded.apiKey, ...queries }),
  );
  log(`built in ${loaded.seconds.total} s; ${infoFile}`);
} else if (mode === 'migrate') {
  const database = await createDb({ databaseUrl: databaseUrl(adminUrl, name), poolSize: 1 });
  await runMigrations(database).finally(() => database.close());
  log('migrated');
} else {
  log('usage: search-db.ts build | migrate');
  process.exit(2);
}
