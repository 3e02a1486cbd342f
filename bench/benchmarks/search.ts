import path from 'node:path';
import { createDb, searchSimilarityThreshold } from '../../src/db/client.ts';
import { foldText } from '../../src/domain/customers.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { pick, prng, type GeneratedPerson, type Rand } from '../lib/customers-data.ts';
import { machineBusyMs } from '../lib/cpu.ts';
import { loadCustomers } from '../lib/customers-load.ts';
import { contentionNotes, medians, rounds, type RunRecord, type Target } from '../lib/measure.ts';
import { dropDatabase, freshDatabase } from '../lib/pg.ts';
import { seedWorkspace } from '../lib/seed.ts';
import { cpuProfiling, loadSettings } from '../lib/settings.ts';
import { benchDir, spawnServer, type SpawnedServer } from '../lib/spawn.ts';
import { percentileSorted, round } from '../lib/stats.ts';
import type { Benchmark, SummaryRow } from '../lib/types.ts';

const benchDb = 'rapport_bench';
const peopleCount = Number(process.env.BENCH_SEARCH_PEOPLE || 1_000_000);
const companyCount = Math.round(peopleCount / 20);
const seed = 20_261_122;
const targetP99Ms = 50;
const typoCheckCount = 200;
/** How many queries of each kind the load rotates through (500 in all). */
const mix = { name: 100, prefix: 80, email: 80, phone: 60, typo: 120, company: 40, tag: 20 } as const;
type Kind = keyof typeof mix;
export type Query = { kind: Kind; q: string; personId?: string; displayName?: string };

function log(msg: string): void {
  process.stderr.write(`  [search] ${msg}\n`);
}

const lower = (rand: Rand, s: string) => (rand() < 0.6 ? s.toLowerCase() : s);
const nameWords = (p: GeneratedPerson) => [p.firstName, p.lastName].filter((w): w is string => !!w);

/** One typing mistake in a word of four letters or more: a letter dropped, two swapped or one replaced. */
export function typo(rand: Rand, word: string): string {
  const letters = [...word];
  for (let attempt = 0; attempt < 10; attempt++) {
    const op = Math.floor(rand() * 3);
    const at = 1 + Math.floor(rand() * (letters.length - 2));
    const out = [...letters];
    if (op === 0) out.splice(at, 1);
    else if (op === 1) [out[at], out[at + 1]] = [out[at + 1] as string, out[at] as string];
    else out[at] = pick(rand, [...'aeiounrstlmdkhcbpgy']);
    const result = out.join('');
    if (foldText(result) !== foldText(word)) return result;
  }
  return `${word.slice(0, -2)}${word.slice(-1)}`;
}

function typoQuery(rand: Rand, p: GeneratedPerson): Query | null {
  const words = nameWords(p);
  const long = words.map((w, i) => ({ w, i })).filter(({ w }) => [...w].length >= 4);
  if (words.length < 2 || !long.length) return null;
  const { i } = pick(rand, long);
  const typed = words.map((w, j) => (j === i ? typo(rand, w) : w)).join(' ');
  return { kind: 'typo', q: lower(rand, typed), personId: p.id, displayName: p.displayName };
}

/** The fixed query mix, drawn from the sampled people and companies with a seeded PRNG, in a shuffled order. */
export function buildQueries(sample: GeneratedPerson[], companyNames: string[]): { load: Query[]; typos: Query[] } {
  const rand = prng(seed + 3);
  const people = [...sample];
  const take = () => people[Math.floor(rand() * people.length)] as GeneratedPerson;
  const out: Query[] = [];
  const add = (kind: Kind, make: () => Query | null) => {
    for (let n = 0, guard = 0; n < mix[kind] && guard < 10_000; guard++) {
      const q = make();
      if (q && q.q.trim()) {
        out.push(q);
        n++;
      }
    }
  };
  add('name', () => {
    const p = take();
    return nameWords(p).length === 2 ? { kind: 'name', q: lower(rand, p.displayName), personId: p.id } : null;
  });
  add('prefix', () => {
    const w = pick(rand, nameWords(take()));
    return w && [...w].length >= 5
      ? { kind: 'prefix', q: [...w.toLowerCase()].slice(0, 3 + Math.floor(rand() * 3)).join('') }
      : null;
  });
  add('email', () => {
    const p = take();
    const e = p.emails[0];
    if (!e) return null;
    const local = e.split('@')[0] as string;
    const shape = rand();
    const q = shape < 0.4 ? e : shape < 0.8 ? local : local.slice(0, Math.max(5, Math.ceil(local.length * 0.7)));
    return { kind: 'email', q, personId: p.id };
  });
  add('phone', () => {
    const p = take();
    const ph = p.phones[0];
    if (!ph) return null;
    const shape = rand();
    return { kind: 'phone', q: shape < 0.3 ? ph : shape < 0.6 ? ph.slice(1) : ph.slice(-7), personId: p.id };
  });
  add('typo', () => typoQuery(rand, take()));
  add('company', () => {
    const name = pick(rand, companyNames);
    return { kind: 'company', q: lower(rand, rand() < 0.7 ? name : (name.split(' ')[0] as string)) };
  });
  add('tag', () => {
    const t = take().tags;
    return t.length ? { kind: 'tag', q: pick(rand, t) } : null;
  });
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as Query, out[i] as Query];
  }
  const typos: Query[] = [];
  const typoRand = prng(seed + 4);
  for (const p of sample) {
    if (typos.length >= typoCheckCount) break;
    const q = typoQuery(typoRand, p);
    if (q) typos.push(q);
  }
  return { load: out, typos };
}

type Hit = { type: string; id: string; title: string };

async function searchOnce(rapport: SpawnedServer, apiKey: string, q: string): Promise<{ ms: number; hits: Hit[] }> {
  const started = performance.now();
  const res = await fetch(`${rapport.url}/api/v1/search?q=${encodeURIComponent(q)}&limit=10`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  const body = (await res.json()) as { data?: Hit[] };
  const ms = performance.now() - started;
  if (res.status !== 200 || !body.data) throw new Error(`search "${q}": ${res.status} ${JSON.stringify(body)}`);
  return { ms, hits: body.data };
}

/** Every query of the mix once, one at a time: latency by kind, and whether the person searched for is found. */
async function sequentialPass(rapport: SpawnedServer, apiKey: string, queries: Query[]) {
  const byKind = new Map<Kind, { ms: number[]; found: number; withTarget: number }>();
  for (const q of queries) {
    const { ms, hits } = await searchOnce(rapport, apiKey, q.q);
    const k = byKind.get(q.kind) ?? { ms: [], found: 0, withTarget: 0 };
    k.ms.push(ms);
    if (q.personId) {
      k.withTarget++;
      if (hits.some((h) => h.id === q.personId)) k.found++;
    }
    byKind.set(q.kind, k);
  }
  return [...byKind.entries()].map(([kind, k]) => {
    const sorted = Float64Array.from(k.ms).sort();
    return {
      kind,
      queries: k.ms.length,
      p50Ms: round(percentileSorted(sorted, 50), 1),
      p99Ms: round(percentileSorted(sorted, 99), 1),
      maxMs: round(sorted[sorted.length - 1] ?? Number.NaN, 1),
      foundInTop10: k.withTarget ? round(k.found / k.withTarget, 3) : null,
    };
  });
}

/** Typo'd full names: is the intended person in the top 10, or at least someone of that exact name (namesakes)? */
async function typoCorrectness(rapport: SpawnedServer, apiKey: string, typos: Query[]) {
  let person = 0;
  let name = 0;
  const misses: string[] = [];
  for (const q of typos) {
    const { hits } = await searchOnce(rapport, apiKey, q.q);
    if (hits.some((h) => h.id === q.personId)) person++;
    if (hits.some((h) => h.type === 'person' && h.title === q.displayName)) name++;
    else if (misses.length < 8) misses.push(`"${q.q}" (${q.displayName})`);
  }
  return {
    queries: typos.length,
    personInTop10: round(person / typos.length, 3),
    nameInTop10: round(name / typos.length, 3),
    exampleMisses: misses,
  };
}

export const search: Benchmark = {
  name: 'search',
  title: `Search at ${peopleCount.toLocaleString('en-US')} people`,
  async run(ctx) {
    const s = loadSettings();
    const profDir = path.join(ctx.tmpDir, 'prof');
    const nodeArgs = cpuProfiling ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    const runs: RunRecord[] = [];
    const servers: SpawnedServer[] = [];
    const env = { BENCH_POOL_SIZE: String(s.poolSize) };
    let loadInfo: Awaited<ReturnType<typeof loadCustomers>>['seconds'] & { links: number; otherLoadPct: number | null };
    let perKind: Awaited<ReturnType<typeof sequentialPass>>;
    let typoCheck: Awaited<ReturnType<typeof typoCorrectness>>;
    let queries: ReturnType<typeof buildQueries>;
    try {
      log(`creating ${benchDb}, migrating, one workspace with its owner and an API key`);
      const url = await freshDatabase(ctx.adminDatabaseUrl, benchDb);
      const database = await createDb({ databaseUrl: url, poolSize: 2 });
      const seeded = await (async () => {
        await runMigrations(database);
        return seedWorkspace(database, { userCount: 0, scopes: ['customers:read'] });
      })().finally(() => database.close());

      log(`loading ${companyCount} companies and ${peopleCount} people with COPY`);
      const busyBefore = machineBusyMs();
      const loadStarted = Date.now();
      const loaded = await loadCustomers({
        databaseUrl: url,
        workspaceId: seeded.workspaceId,
        people: peopleCount,
        companies: companyCount,
        sampleSize: 2000,
        seed,
        log,
      });
      const busyAfter = machineBusyMs();
      const wall = Date.now() - loadStarted;
      loadInfo = {
        ...loaded.seconds,
        links: loaded.links,
        // Everything busy on the machine during the load, ours included (the load itself uses about 1–2 cores).
        otherLoadPct:
          busyBefore === null || busyAfter === null
            ? null
            : round(((busyAfter - busyBefore) / (wall * ctx.machine.cpus)) * 100, 1),
      };
      log(
        `loaded in ${loaded.seconds.total} s (COPY ${loaded.seconds.copy} s, indexes ${loaded.seconds.indexes} s, ` +
          `ANALYZE ${loaded.seconds.analyze} s); ${loaded.links} person-company links`,
      );
      queries = buildQueries(
        loaded.sample,
        loaded.companies.map((c) => c.name),
      );

      const bare = await spawnServer({
        name: 'bare',
        script: path.join(benchDir, 'servers/bare.ts'),
        env: {
          ...env,
          BENCH_DATABASE_URL: url,
          BENCH_WORKSPACE_ID: seeded.workspaceId,
          BENCH_TRGM_THRESHOLD: String(searchSimilarityThreshold),
        },
      });
      servers.push(bare);
      const rapport = await spawnServer({
        name: 'rapport',
        script: path.join(benchDir, 'servers/rapport.ts'),
        env: { ...env, BENCH_DATABASE_URL: url },
        nodeArgs,
      });
      servers.push(rapport);

      // Sanity: both find the person by full name; Rapport refuses a missing key.
      const probe = queries.load.find((q) => q.kind === 'name') as Query;
      const mine = await searchOnce(rapport, seeded.apiKey, probe.q);
      const bareRes = (await (await fetch(`${bare.url}/search?q=${encodeURIComponent(probe.q)}`)).json()) as {
        data: Hit[];
      };
      if (!bareRes.data.length || !mine.hits.length)
        throw new Error(`"${probe.q}" found nothing (bare ${bareRes.data.length}, Rapport ${mine.hits.length})`);
      const anon = await fetch(`${rapport.url}/api/v1/search?q=x`);
      if (anon.status !== 401) throw new Error(`Rapport answered ${anon.status} without a key`);

      log(`one pass of the ${queries.load.length} queries, one at a time`);
      perKind = await sequentialPass(rapport, seeded.apiKey, queries.load);
      for (const k of perKind) log(`  ${k.kind}: ${JSON.stringify(k)}`);
      log(`typo correctness on ${queries.typos.length} typo'd names`);
      typoCheck = await typoCorrectness(rapport, seeded.apiKey, queries.typos);
      log(`  ${JSON.stringify(typoCheck)}`);

      const qs = (q: string) => encodeURIComponent(q);
      const auth = { authorization: `Bearer ${seeded.apiKey}` };
      const targets: Target[] = [
        { name: 'bare-search', server: bare, paths: queries.load.map((q) => `/search?q=${qs(q.q)}`), headers: {} },
        {
          name: 'rapport-search',
          server: rapport,
          paths: queries.load.map((q) => `/api/v1/search?q=${qs(q.q)}&limit=10`),
          headers: auth,
        },
        { name: 'bare-list', server: bare, paths: queries.load.map((q) => `/people?q=${qs(q.q)}`), headers: {} },
        {
          name: 'rapport-list',
          server: rapport,
          paths: queries.load.map((q) => `/api/v1/people?q=${qs(q.q)}&limit=50`),
          headers: auth,
        },
      ];
      await rounds(targets, s, runs, log);
      // One person typing: one request at a time (for information).
      await rounds([{ ...(targets[1] as Target), name: 'rapport-search-c1' }], { ...s, connections: 1 }, runs, log);
    } finally {
      await Promise.all(servers.map((srv) => srv.stop()));
      await dropDatabase(ctx.adminDatabaseUrl, benchDb);
    }

    const bs = medians(runs, 'bare-search');
    const rs = medians(runs, 'rapport-search');
    const bl = medians(runs, 'bare-list');
    const rl = medians(runs, 'rapport-list');
    const rs1 = medians(runs, 'rapport-search-c1');
    const target = `p99 ≤ ${targetP99Ms} ms`;
    const summary: SummaryRow[] = [
      {
        name: 'search: one SQL query, bare Fastify + pg',
        metrics: bs,
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
      {
        name: 'search: Rapport GET /api/v1/search',
        metrics: rs,
        baseline: 'bare search',
        ratio: round(rs.reqPerSec / bs.reqPerSec, 3),
        target,
        pass: rs.p99Ms <= targetP99Ms,
      },
      {
        name: 'search: Rapport GET /api/v1/search, 1 connection',
        metrics: rs1,
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
      {
        name: 'list: one SQL query, bare Fastify + pg',
        metrics: bl,
        baseline: null,
        ratio: null,
        target: null,
        pass: null,
      },
      {
        name: 'list: Rapport GET /api/v1/people?q=',
        metrics: rl,
        baseline: 'bare list',
        ratio: round(rl.reqPerSec / bl.reqPerSec, 3),
        target,
        pass: rl.p99Ms <= targetP99Ms,
      },
    ];
    const kinds = perKind
      .map(
        (k) =>
          `${k.kind} (${k.queries}) p50 ${k.p50Ms} / p99 ${k.p99Ms} ms` +
          (k.foundInTop10 === null ? '' : `, found ${round(k.foundInTop10 * 100, 1)}%`),
      )
      .join('; ');
    return {
      description:
        `${peopleCount.toLocaleString('en-US')} generated people (names from many languages, lower-cased e-mails, ` +
        `E.164 phones, tags, a third linked to one of ${companyCount.toLocaleString('en-US')} companies; ` +
        `\`search_text\` built by the product's \`buildSearchText\`; created over 3 years) loaded with COPY into ` +
        `one workspace. Requests rotate through ${queries.load.length} fixed queries drawn from the data: full names, ` +
        `name prefixes, e-mail fragments, phone digits, names with one typo, company names and tags. ` +
        `\`GET /api/v1/search?q=…&limit=10\` (people and companies) and \`GET /api/v1/people?q=…&limit=50\` ` +
        `(the list, newest first) through the whole Rapport app with an API key, each against a bare Fastify + ` +
        `pg handler running the same two hand-written SQL queries (the query words looked up in the \`search_terms\` ` +
        `dictionary: prefixes, one edit away, trigram-similar; then \`search_words && …\` for every word, 300 ` +
        `candidates ranked; for search, both tables in one \`union all\`) on the same database, ` +
        `${s.connections} concurrent connections. Figures are ` +
        `the median of the rounds; latencies are per-request timings of 2xx responses as seen by the client.`,
      settings: {
        people: peopleCount,
        companies: companyCount,
        queries: queries.load.length,
        connections: s.connections,
        durationSeconds: s.durationSeconds,
        warmupSeconds: s.warmupSeconds,
        rounds: s.rounds,
        poolSize: s.poolSize,
        wordSimilarityThreshold: searchSimilarityThreshold,
        cpuProfiling,
      },
      columns: [
        { key: 'reqPerSec', label: 'req/s', digits: 0 },
        { key: 'p50Ms', label: 'p50 ms', digits: 2 },
        { key: 'p99Ms', label: 'p99 ms', digits: 2 },
        { key: 'serverCpuUsPerReq', label: 'server CPU µs/req', digits: 0 },
        { key: 'postgresCpuUsPerReq', label: 'PostgreSQL CPU µs/req', digits: 0 },
      ],
      summary,
      runs: [...runs, { load: loadInfo }, { perKind }, { typoCheck }],
      notes: [
        ...contentionNotes(runs),
        `Concurrency ${s.connections} connections (the "1 connection" row: one request at a time, one person ` +
          "typing). The target is on Rapport's p99 at that concurrency; the ratio compares req/s with the bare " +
          'query (higher is better).',
        'Rapport searches both tables for the query as it is (every word, chunks such as an e-mail address or a tag ' +
          'whole) in one statement; when fewer than 10 are found, it looks each query word up in both per-workspace ' +
          'dictionaries of record words (`search_terms`, filled by triggers) in one statement (the words it begins, ' +
          'the spellings one edit away, and the most trigram-similar for a word in no dictionary), then searches ' +
          'both tables with `search_words && …` per word (GIN) in one statement, phase by phase (prefixes and ' +
          'one-typo; then everything), at most 100 candidates per condition, the 40 best by their words ranked by ' +
          'whole-query similarity. The bare server does the older lookup (every kind for every word) and one query ' +
          'with 300 candidates.',
        `Loading: ${loadInfo.total} s for ${peopleCount.toLocaleString('en-US')} people, ` +
          `${companyCount.toLocaleString('en-US')} companies and ${loadInfo.links.toLocaleString('en-US')} links ` +
          `(COPY ${loadInfo.copy} s with secondary indexes dropped, rebuilding them ${loadInfo.indexes} s, ANALYZE ` +
          `${loadInfo.analyze} s)` +
          (loadInfo.otherLoadPct === null ? '.' : `; the machine was ${loadInfo.otherLoadPct}% busy meanwhile.`),
        `Each query once, one at a time, through Rapport's search (latency by kind, and how often the person the ` +
          `query was drawn from is in the top 10): ${kinds}.`,
        `Typo tolerance: of ${typoCheck.queries} full names with one typo (a letter dropped, swapped or replaced), ` +
          `the intended person is in the top 10 for ${round(typoCheck.personInTop10 * 100, 1)}%, someone of that ` +
          `exact name for ${round(typoCheck.nameInTop10 * 100, 1)}% (common names have namesakes with equal ` +
          `scores). Misses, e.g.: ${typoCheck.exampleMisses.join(', ') || 'none'}.`,
      ],
    };
  },
};
