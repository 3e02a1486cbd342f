/**
 * Bulk-loads generated companies, people and their company links into a migrated PostgreSQL database with COPY,
 * the way a DBA would: secondary indexes dropped first and rebuilt afterwards from their own definitions (the
 * primary keys and foreign keys stay), then ANALYZE. The indexes afterwards are exactly the migrated ones (checked).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  companyCopyColumns,
  generateCompanies,
  generatePeople,
  linkCopyColumns,
  personCopyColumns,
  prng,
  type GeneratedCompany,
  type GeneratedPerson,
} from './customers-data.ts';

const tables = ['people', 'companies', 'person_companies'];
const dayMs = 86_400_000;

export type LoadedCustomers = {
  companies: GeneratedCompany[];
  /** The people at the sampled positions, for building queries. */
  sample: GeneratedPerson[];
  links: number;
  seconds: { copy: number; indexes: number; analyze: number; total: number };
};

/** Joins CSV lines into chunks of about 256 kB, so the COPY stream is not fed a million tiny writes. */
function* chunked(lines: Iterable<string>): Generator<string> {
  let buf = '';
  for (const line of lines) {
    buf += line;
    if (buf.length > 262_144) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

export async function copy(client: pg.Client, table: string, columns: string, lines: Iterable<string>): Promise<void> {
  await pipeline(
    Readable.from(chunked(lines)),
    client.query(copyFrom(`copy ${table} (${columns}) from stdin with (format csv)`)),
  );
}

/** The secondary indexes of `tables` (not those of constraints), with their definitions. */
export async function indexDefs(client: pg.Client, tables: string[]): Promise<Array<{ name: string; def: string }>> {
  const r = await client.query<{ name: string; def: string }>(
    `select i.indexname as name, i.indexdef as def from pg_indexes i
      where i.schemaname = 'public' and i.tablename = any($1)
        and not exists (select 1 from pg_constraint c where c.conname = i.indexname)
      order by i.tablename, i.indexname`,
    [tables],
  );
  return r.rows;
}

/** Recreates dropped indexes from their definitions on two connections side by side (GIN builds are single-threaded). */
export async function rebuildIndexes(
  databaseUrl: string,
  client: pg.Client,
  defs: Array<{ name: string; def: string }>,
): Promise<void> {
  const second = new pg.Client({ connectionString: databaseUrl });
  await second.connect();
  try {
    await second.query(`set maintenance_work_mem = '1GB'`);
    const queue = [...defs].sort((a, b) => Number(b.def.includes('gin')) - Number(a.def.includes('gin')));
    const worker = async (c: pg.Client) => {
      for (let d = queue.shift(); d; d = queue.shift()) await c.query(d.def);
    };
    await Promise.all([worker(client), worker(second)]);
  } finally {
    await second.end();
  }
}

export async function loadCustomers(opts: {
  databaseUrl: string;
  workspaceId: string;
  people: number;
  companies: number;
  /** How many people to keep (spread at random) for building queries. */
  sampleSize: number;
  seed: number;
  log: (msg: string) => void;
  /** Gives each person an external id (a shop's customer id). */
  externalIdOf?: (index: number) => string;
}): Promise<LoadedCustomers> {
  const started = Date.now();
  const to = new Date();
  const from = new Date(to.getTime() - 3 * 365 * dayMs);
  const client = new pg.Client({ connectionString: opts.databaseUrl });
  await client.connect();
  try {
    await client.query(`set maintenance_work_mem = '1GB'`);
    const defs = await indexDefs(client, tables);
    for (const d of defs) await client.query(`drop index "${d.name}"`);

    const companies = generateCompanies(opts.workspaceId, opts.companies, from, to, opts.seed);
    await copy(
      client,
      'companies',
      companyCopyColumns,
      companies.map((c) => c.csv),
    );

    const pickRand = prng(opts.seed + 1);
    const wanted = new Set<number>();
    while (wanted.size < Math.min(opts.sampleSize, opts.people)) wanted.add(Math.floor(pickRand() * opts.people));
    const sample: GeneratedPerson[] = [];
    const linkLines: string[] = [];
    const peopleLines = function* () {
      for (const r of generatePeople({
        workspaceId: opts.workspaceId,
        count: opts.people,
        companies,
        from,
        to,
        seed: opts.seed + 2,
        ...(opts.externalIdOf ? { externalIdOf: opts.externalIdOf } : {}),
      })) {
        if (wanted.has(r.person.index)) sample.push(r.person);
        if (r.linkCsv) linkLines.push(r.linkCsv);
        if (r.person.index % 200_000 === 199_999) opts.log(`  … ${r.person.index + 1} people`);
        yield r.csv;
      }
    };
    const columns = opts.externalIdOf ? `${personCopyColumns}, external_id` : personCopyColumns;
    await copy(client, 'people', columns, peopleLines());
    await copy(client, 'person_companies', linkCopyColumns, linkLines);
    const copied = Date.now();
    opts.log(`copied in ${Math.round((copied - started) / 1000)} s; rebuilding ${defs.length} indexes`);

    await rebuildIndexes(opts.databaseUrl, client, defs);
    const after = await indexDefs(client, tables);
    if (JSON.stringify(after) !== JSON.stringify(defs))
      throw new Error('the rebuilt indexes differ from the migrated ones');
    const indexed = Date.now();
    await client.query('analyze');
    const done = Date.now();
    return {
      companies,
      sample: sample.sort((a, b) => a.index - b.index),
      links: linkLines.length,
      seconds: {
        copy: Math.round((copied - started) / 1000),
        indexes: Math.round((indexed - copied) / 1000),
        analyze: Math.round((done - indexed) / 1000),
        total: Math.round((done - started) / 1000),
      },
    };
  } finally {
    await client.end();
  }
}
