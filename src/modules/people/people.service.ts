import { and, eq, inArray, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { people } from '../../db/schema/index.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { listEvents } from '../../events/events.ts';
import {
  consentKey,
  defaultStageDefs,
  diffFields,
  personDisplayName,
  type ConsentChannel,
  type ConsentPurpose,
  type ConsentSource,
  type FieldProblem,
  type StageDef,
} from '../../domain/customers.ts';
import { parseListQuery } from '../../domain/list-query.ts';
import { exactPieces, parseQuery, type ParsedQuery } from '../../domain/search.ts';
import { can, type Actor } from '../../domain/permissions.ts';
import { assertCan } from '../auth/access.ts';
import { listCustomFields } from '../fields/fields.repository.ts';
import { checkedExternalId, invalidFields, normaliseSharedFields } from '../fields/record-fields.ts';
import { findWorkspace } from '../workspaces/workspaces.repository.ts';
import { stagesOfWorkspace } from '../workspaces/workspaces.service.ts';
import {
  companiesOfPeople,
  deleteNote,
  deletePeople,
  detachPeopleFromService,
  personReferences,
  findNote,
  findPeopleByIds,
  findPerson,
  findPersonByExternalId,
  insertConsentRecord,
  insertNote,
  insertPerson,
  linkCompany,
  listConsentRecords,
  listNotes,
  listPeople,
  countPeople,
  personListColumns,
  unlinkCompany,
  updateNote,
  updatePerson,
  textArrayLiteral,
  type ConsentRecordRow,
  type NoteRow,
  type PersonInsert,
  type ListedPerson,
  type PersonRow,
  type PersonCompanyLink,
} from './people.repository.ts';
import type { PersonInput } from './people.schemas.ts';
import { findCompaniesByIds } from '../companies/companies.repository.ts';
import { findSearchTerms, type SearchEntity } from './search.repository.ts';
import { actorRef, refreshPersonSearchText } from './resolve-person.ts';

export type PeopleListParams = {
  limit?: number | undefined;
  cursor?: string | undefined;
  sort?: string | undefined;
  filter?: string | string[] | undefined;
  q?: string | undefined;
};

export { actorRef };

/** The lifecycle stages of a workspace (see stagesOfWorkspace). */
export async function workspaceStages(db: DbOrTx, workspaceId: string): Promise<StageDef[]> {
  const w = await findWorkspace(db, workspaceId);
  return w ? stagesOfWorkspace(w) : defaultStageDefs;
}

function fail(problems: FieldProblem[]): never {
  throw invalidFields(problems);
}

/** A query resolved against the workspace's dictionary: each word with the record words it may stand for. */
export type ResolvedSearch = ParsedQuery & {
  terms: Array<{ exact: string[]; prefix: string[]; near: string[]; similar: string[] }>;
};

/** Looks the query's words up in the dictionary of `entity` (see findSearchTerms). */
export async function resolveSearch(
  db: DbOrTx,
  workspaceId: string,
  entity: SearchEntity,
  q: string,
): Promise<ResolvedSearch> {
  return (await resolveSearches(db, workspaceId, [entity], q))[entity] as ResolvedSearch;
}

/** A query's words as they are, not looked up (enough for an exact search: see searchCondition's `exact`). */
export function unresolvedSearch(parsed: ParsedQuery): ResolvedSearch {
  return {
    ...parsed,
    terms: parsed.words.map((w) => ({ exact: [w.word], prefix: [], near: [], similar: [] })),
  };
}

/** The query resolved against the dictionaries of several entities, in one round trip. */
export async function resolveSearches(
  db: DbOrTx,
  workspaceId: string,
  entities: readonly SearchEntity[],
  q: string,
): Promise<Partial<Record<SearchEntity, ResolvedSearch>>> {
  const parsed = parseQuery(q);
  const termsOf = () => unresolvedSearch(parsed).terms;
  const byEntity = new Map(entities.map((e) => [e, termsOf()]));
  const found = parsed.words.length
    ? await findSearchTerms(
        db,
        workspaceId,
        entities,
        parsed.words.map((w) => w.word),
      )
    : [];
  for (const f of found) {
    const t = byEntity.get(f.entity)?.[f.i];
    if (t && !t[f.kind].includes(f.term)) t[f.kind].push(f.term);
  }
  const out: Partial<Record<SearchEntity, ResolvedSearch>> = {};
  // Every completion counts: a record with "johnson" need not have "john" too (a query "joh" finds both).
  for (const [entity, terms] of byEntity) out[entity] = { ...parsed, terms };
  return out;
}

/**
 * Text search conditions over a record's search words (GIN index) and search text, for people or companies. Every
 * query word must match a record word: `exact` as it is (a chunk such as "b2b" or an e-mail address: whole), `prefix` also the words it begins, `where` also the words
 * one typo away or trigram-similar (what lists, counts and bulk selections use). A phone number of 6+ digits also
 * matches as a substring of the text (part of a number). `oneTypo`: one word anything, the others exact. `rank` scores
 * exact > prefix > one edit > similar per word, the query's non-word chunks ("mh@nasa") found as they are (that is
 * `wordScore`), then the word similarity of the whole query.
 */
export function searchCondition(cols: { words: SQLWrapper; text: SQLWrapper }, s: ResolvedSearch) {
  const likeOf = (w: string) => `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const overlaps = (list: string[]) =>
    list.length ? sql`${cols.words} && ${textArrayLiteral(list)}::text[]` : sql`false`;
  // The same as `overlaps` row by row, faster for many terms: `&&` compares every pair of words, `= any` of a
  // constant array of 9 or more looks each of the row's words up in a hash table (PostgreSQL 14+).
  const hashedMin = 9;
  const contains = (list: string[]) =>
    sql`exists (select from unnest(${cols.words}) as w(word) where w.word = any(${textArrayLiteral(list)}::text[]))`;
  const per = s.words.map((w, i) => {
    const t = s.terms[i] ?? { exact: [w.word], prefix: [], near: [], similar: [] };
    // Part of a phone number: the trigram index finds it; short digit runs (in an e-mail) would match too much.
    const substring = s.phone && w.word.length >= 6 ? sql` or ${cols.text} like ${likeOf(w.word)}` : sql``;
    const all = [...t.exact, ...t.prefix, ...t.near, ...t.similar];
    return {
      exact: sql`(${overlaps(t.exact)}${substring})`,
      prefix: sql`(${overlaps([...t.exact, ...t.prefix])}${substring})`,
      any: sql`(${overlaps(all)}${substring})`,
      anyChecked: sql`(${all.length >= hashedMin ? contains(all) : overlaps(all)}${substring})`,
      score: sql`(case when ${overlaps(t.exact)} then 3 when ${overlaps(t.prefix)} then 2
        when ${overlaps(t.near)} then 1.5 else 1 end)`,
    };
  });
  const chunks = s.chunks.map((c) => sql`${cols.text} like ${likeOf(c)}`);
  const every = (conds: SQL[]) => (conds.length ? (and(...conds) as SQL) : sql`false`);
  // Exact: every chunk whole ("b2b", an e-mail address) and every other word as it is.
  const pieces = exactPieces(s);
  const exact = every([
    ...pieces.chunks.map((c) => overlaps([c])),
    ...pieces.words.map((i) => (per[i] as (typeof per)[number]).exact),
  ]);
  const oneTypo = per.length
    ? sql`(${sql.join(
        per.map((p, i) => every(per.map((o, j) => (i === j ? p.any : o.exact)))),
        sql` or `,
      )})`
    : sql`false`;
  const chunkScore = chunks.map((c) => sql` + (case when ${c} then 2 else 0 end)`);
  return {
    folded: s.folded,
    exact,
    /** How many index lookups `exact` makes: with one, a sample of a common word's rows is as good as all of them. */
    exactKeys: pieces.chunks.length + pieces.words.length,
    prefix: every(per.map((p) => p.prefix)),
    oneTypo,
    where: every(per.map((p) => p.any)),
    /** `where` for checking rows one by one (read in another order), not for finding them through the index. */
    whereChecked: every(per.map((p) => p.anyChecked)),
    /** Per word and chunk only: cheap, for narrowing many candidates before `rank`. */
    wordScore: sql<number>`(${sql.join(
      per.map((p) => p.score),
      sql` + `,
    )}${sql.join(chunkScore, sql``)})`,
    rank: sql<number>`(${sql.join(
      per.map((p) => p.score),
      sql` + `,
    )}${sql.join(chunkScore, sql``)} + word_similarity(${s.folded}, ${cols.text}))`,
  };
}

/** About how many rows a GIN index scan returns per word when sampling (see bitmapOnly's sampleCommonWords). */
export const commonWordSample = 2000;

/**
 * Runs `query` with the word index (a bitmap scan) as the only way in: with a LIMIT, the planner otherwise bets on a
 * sequential or created-order scan stopping early, and walks the whole table when the words are rarer than it
 * estimated (seconds at 1M people for two common first and last names that rarely go together). The settings are
 * made in one statement, local to the transaction. `sampleCommonWords` (for a query of one word, whose candidates
 * are any of its rows): a word in more than `commonWordSample` rows gives a random sample of about that many
 * (gin_fuzzy_search_limit), instead of a bitmap of every row (a tag on 100,000 people); never for several words,
 * whose samples would rarely meet.
 */
export function bitmapOnly<T>(
  db: Db,
  query: (tx: DbOrTx) => Promise<T>,
  opts: { sampleCommonWords?: boolean } = {},
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true),
      set_config('gin_fuzzy_search_limit', ${String(opts.sampleCommonWords ? commonWordSample : 0)}, true)`);
    return query(tx);
  });
}

/**
 * Runs a list query filtered by `q`: through the word index only when the query has several words (their
 * combination is rare, which the planner cannot know); a single word's frequency the planner estimates well.
 */
export function withSearchPlan<T>(db: Db, q: string | undefined, query: (tx: DbOrTx) => Promise<T>): Promise<T> {
  return q?.trim() && parseQuery(q).words.length > 1 ? bitmapOnly(db, query) : query(db);
}

/**
 * How far a list filtered by `q` walks the created-order index (see searchedList): the rows of the first look, and
 * the most rows of the longer walk. On 1M people a row walked costs about 5 µs of PostgreSQL's time (read, its words
 * looked up among the query's words, spellings and completions: searchCondition's `whereChecked`) and a matching row
 * through the word index about 3.5 µs (fetched, then sorted): walking on for a page is the cheaper while more than
 * about 1 row in 120 matches. A walk stops at its page. `minFound`: how many the first look must find for the walk
 * to go on (fewer: the word index, as for a word found by chance in the first rows).
 */
export const searchWalkBudget = { firstRows: 500, maxRows: 10_000, minFound: 3 };

/**
 * Runs a list query filtered by `q` (`run` gives the page of at most `limit` rows, looking through the first `window`
 * rows of the list without `q` when given). Newest first (the lists' default order), it first looks through the
 * newest few hundred rows only (a short walk of the created-order index): when the query's words are common, a page
 * of matches is there, and that page is the right one. When a few matched but not a page, the walk goes on, up to
 * searchWalkBudget's most rows. When fewer matched, or the walk fell short, it goes through the word index alone
 * (bitmapOnly), whose cost is the number of matching rows: few, then. The planner cannot choose between the two
 * itself: it takes a rare word ("martinstewart", in 3 of 1M people) for a common one, walks the created-order index
 * expecting to meet a page of matches soon, and reads the whole table; or it reads every row of a common tag through
 * the index to sort them. Other orders as withSearchPlan.
 */
export async function searchedList<P extends { rows: unknown[]; nextCursor: string | null }>(
  db: Db,
  q: string | undefined,
  sort: { field: string; limit: number },
  run: (tx: DbOrTx, window?: number) => Promise<P>,
): Promise<P> {
  if (!q?.trim() || sort.field !== 'created_at') return withSearchPlan(db, q, (tx) => run(tx));
  const { firstRows, maxRows, minFound } = searchWalkBudget;
  const newest = await run(db, firstRows);
  if (newest.nextCursor !== null) return newest;
  if (newest.rows.length >= minFound) {
    const longer = await run(db, maxRows);
    if (longer.nextCursor !== null) return longer;
  }
  return bitmapOnly(db, (tx) => run(tx));
}

/** The search condition of a list's `q`: for finding rows through the word index, and for checking rows one by one. */
export async function listSearch(
  db: DbOrTx,
  workspaceId: string,
  entity: SearchEntity,
  table: { searchWords: SQLWrapper; searchText: SQLWrapper },
  q: string,
): Promise<{ where: SQL; whereChecked: SQL }> {
  const s = await resolveSearch(db, workspaceId, entity, q);
  const { where, whereChecked } = searchCondition({ words: table.searchWords, text: table.searchText }, s);
  return { where, whereChecked };
}

/** The search condition of a list's `q` (see searchCondition's `where`). */
export async function searchFilter(
  db: DbOrTx,
  workspaceId: string,
  entity: SearchEntity,
  table: { searchWords: SQLWrapper; searchText: SQLWrapper },
  q: string,
): Promise<SQL> {
  return (await listSearch(db, workspaceId, entity, table, q)).where;
}

export type PeopleService = ReturnType<typeof createPeopleService>;

export function createPeopleService(deps: { db: Db }) {
  const { db } = deps;

  async function mustFind(tx: DbOrTx, actor: Actor, id: string, lock = false): Promise<PersonRow> {
    const p = await findPerson(tx, actor.workspaceId, id, { lock });
    if (!p) throw AppError.notFound('Person', id);
    return p;
  }

  async function withCompanies<P extends ListedPerson>(
    actor: Actor,
    rows: P[],
  ): Promise<Array<{ person: P; companies: PersonCompanyLink[] }>> {
    const map = await companiesOfPeople(
      db,
      actor.workspaceId,
      rows.map((r) => r.id),
    );
    return rows.map((person) => ({ person, companies: map.get(person.id) ?? [] }));
  }

  /**
   * The list with `primary` first: given, before the list sent (or the stored one); null, the list without its
   * primary; undefined, the list sent as it is.
   */
  function withPrimary(
    list: string[] | undefined,
    stored: string[],
    primary: string | null | undefined,
  ): string[] | undefined {
    if (primary === undefined) return list;
    if (primary === null) return list ?? stored.slice(1);
    return [primary, ...(list ?? stored)];
  }

  /**
   * Turns API input into columns, normalising and validating everything, and reporting every problem at once.
   * `existing` is the current record for an update (custom values merge into it).
   */
  async function toColumns(
    tx: DbOrTx,
    actor: Actor,
    input: PersonInput,
    existing: PersonRow | null,
  ): Promise<Partial<PersonInsert>> {
    const problems: FieldProblem[] = [];
    // `email` / `phone` (the record's primary, as it is read) go first in the lists; normalising drops the repeat.
    const shared = {
      ...input,
      emails: withPrimary(input.emails, existing?.emails ?? [], input.email),
      phones: withPrimary(input.phones, existing?.phones ?? [], input.phone),
    };
    const out: Partial<PersonInsert> = await normaliseSharedFields(
      tx,
      actor,
      'person',
      shared,
      existing,
      findPersonByExternalId,
      problems,
    );
    for (const p of problems) {
      if (p.field === 'emails[0]' && typeof input.email === 'string') p.field = 'email';
      if (p.field === 'phones[0]' && typeof input.phone === 'string') p.field = 'phone';
    }
    if (input.firstName !== undefined) out.firstName = input.firstName || null;
    if (input.lastName !== undefined) out.lastName = input.lastName || null;
    if (input.stage !== undefined) {
      const stages = await workspaceStages(tx, actor.workspaceId);
      if (!stages.some((s) => s.key === input.stage))
        problems.push({
          field: 'stage',
          message: `"${input.stage}" is not a stage; use one of ${stages.map((s) => s.key).join(', ')}`,
        });
      out.stage = input.stage;
    }
    if (input.companies !== undefined) {
      const found = await findCompaniesByIds(
        tx,
        actor.workspaceId,
        input.companies.map((c) => c.companyId),
      );
      input.companies.forEach((c: { companyId: string }, i: number) => {
        if (!found.some((f) => f.id === c.companyId))
          problems.push({ field: `companies[${i}].companyId`, message: 'no company with this id' });
      });
    }
    const first = out.firstName !== undefined ? out.firstName : existing?.firstName;
    const last = out.lastName !== undefined ? out.lastName : existing?.lastName;
    const emails = out.emails ?? existing?.emails ?? [];
    const phones = out.phones ?? existing?.phones ?? [];
    if (!first && !last && !emails.length && !phones.length)
      problems.push({ field: 'firstName', message: 'a person needs at least a name, an email or a phone' });
    if (problems.length) fail(problems);
    out.displayName = personDisplayName(first, last, emails);
    return out;
  }

  async function saveCompanies(
    tx: DbOrTx,
    actor: Actor,
    personId: string,
    list: NonNullable<PersonInput['companies']>,
  ) {
    for (const c of list)
      await linkCompany(tx, actor.workspaceId, personId, c.companyId, c.title ?? null, c.isPrimary ?? false);
  }

  const service = {
    async list(actor: Actor, params: PeopleListParams) {
      assertCan(actor, 'customers:read');
      const [defs, stages] = await Promise.all([
        listCustomFields(db, actor.workspaceId, 'person'),
        workspaceStages(db, actor.workspaceId),
      ]);
      const cols = personListColumns(
        defs,
        stages.map((s) => s.key),
        actor.workspaceId,
      );
      const q = parseListQuery(params, cols.specs, { field: 'created_at', direction: 'desc' });
      const search = params.q?.trim() ? await listSearch(db, actor.workspaceId, 'person', people, params.q) : null;
      const page = await searchedList(db, params.q, { field: q.sort.field, limit: q.limit }, (tx, window) =>
        listPeople(tx, actor.workspaceId, cols, q, search ? [window ? search.whereChecked : search.where] : [], window),
      );
      return { rows: await withCompanies(actor, page.rows), nextCursor: page.nextCursor, limit: q.limit };
    },

    /**
     * The names of these people (ids of other workspaces or of no one are left out): what a list of tickets shows
     * beside each one, fetched once per customer and kept by the console, so the queue statement stays lean.
     */
    async names(actor: Actor, ids: readonly string[]): Promise<Array<{ id: string; name: string }>> {
      assertCan(actor, 'customers:read');
      if (!ids.length) return [];
      return db
        .select({ id: people.id, name: people.displayName })
        .from(people)
        .where(and(eq(people.workspaceId, actor.workspaceId), inArray(people.id, [...new Set(ids)])));
    },

    async count(actor: Actor, params: PeopleListParams): Promise<number> {
      assertCan(actor, 'customers:read');
      const [defs, stages] = await Promise.all([
        listCustomFields(db, actor.workspaceId, 'person'),
        workspaceStages(db, actor.workspaceId),
      ]);
      const cols = personListColumns(
        defs,
        stages.map((s) => s.key),
        actor.workspaceId,
      );
      const q = parseListQuery({ ...params, cursor: undefined }, cols.specs, {
        field: 'created_at',
        direction: 'desc',
      });
      const extra = params.q?.trim() ? [await searchFilter(db, actor.workspaceId, 'person', people, params.q)] : [];
      return withSearchPlan(db, params.q, (tx) => countPeople(tx, actor.workspaceId, cols, q, extra));
    },

    async get(actor: Actor, id: string) {
      assertCan(actor, 'customers:read');
      const p = await mustFind(db, actor, id);
      return (await withCompanies(actor, [p]))[0] as { person: PersonRow; companies: PersonCompanyLink[] };
    },

    async create(actor: Actor, input: PersonInput, opts: { tx?: DbOrTx } = {}) {
      assertCan(actor, 'customers:write');
      const run = async (tx: DbOrTx) => {
        const cols = await toColumns(tx, actor, input, null);
        const ref = actorRef(actor);
        const id = newId();
        const row = await insertPerson(tx, {
          ...cols,
          workspaceId: actor.workspaceId,
          id,
          displayName: cols.displayName ?? '(no name)',
          createdBy: ref,
          updatedBy: ref,
        });
        if (input.companies?.length) await saveCompanies(tx, actor, id, input.companies);
        await refreshPersonSearchText(tx, actor.workspaceId, row);
        await appendEvent(tx, actor, {
          type: 'person.created',
          subjectType: 'person',
          subjectId: id,
          payload: { name: row.displayName, emails: row.emails, stage: row.stage, source: row.source },
        });
        return row;
      };
      const row = await checkedExternalId('person', opts.tx ? run(opts.tx) : db.transaction(run));
      return (await withCompanies(actor, [row]))[0] as { person: PersonRow; companies: PersonCompanyLink[] };
    },

    async update(
      actor: Actor,
      id: string,
      input: PersonInput & { stageReason?: string | undefined },
      opts: { tx?: DbOrTx } = {},
    ) {
      assertCan(actor, 'customers:write');
      const run = async (tx: DbOrTx) => {
        // Locked: custom values merge into what is read here (and the stage event names the stage it leaves), so
        // two updates at once would each write back the other's old values.
        const before = await mustFind(tx, actor, id, true);
        const cols = await toColumns(tx, actor, input, before);
        const stageChanged = cols.stage !== undefined && cols.stage !== before.stage;
        const beforeFlat: Record<string, unknown> = { ...before };
        const afterFlat: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(cols)) if (k !== 'displayName' && k !== 'stage') afterFlat[k] = v;
        const changes = diffFields(beforeFlat, afterFlat);
        const row = await updatePerson(tx, actor.workspaceId, id, {
          ...cols,
          ...(stageChanged ? { stageChangedAt: new Date() } : {}),
          updatedBy: actorRef(actor),
        });
        if (!row) throw AppError.notFound('Person', id);
        if (input.companies !== undefined) await saveCompanies(tx, actor, id, input.companies);
        await refreshPersonSearchText(tx, actor.workspaceId, row);
        if (Object.keys(changes).length)
          await appendEvent(tx, actor, {
            type: 'person.updated',
            subjectType: 'person',
            subjectId: id,
            payload: { changes },
          });
        if (stageChanged)
          await appendEvent(tx, actor, {
            type: 'person.stage_changed',
            subjectType: 'person',
            subjectId: id,
            payload: {
              from: before.stage,
              to: row.stage,
              reason: input.stageReason ?? null,
              daysInPreviousStage: Math.floor((Date.now() - before.stageChangedAt.getTime()) / 86_400_000),
            },
          });
        return row;
      };
      const row = await checkedExternalId('person', opts.tx ? run(opts.tx) : db.transaction(run));
      return (await withCompanies(actor, [row]))[0] as { person: PersonRow; companies: PersonCompanyLink[] };
    },

    async setStage(actor: Actor, id: string, stage: string, reason?: string) {
      return service.update(actor, id, { stage, stageReason: reason });
    },

    async stageHistory(actor: Actor, id: string) {
      assertCan(actor, 'customers:read');
      await mustFind(db, actor, id);
      return listEvents(db, actor.workspaceId, {
        subjectType: 'person',
        subjectId: id,
        type: 'person.stage_changed',
        limit: 200,
      });
    },

    /**
     * Deletes people. A person with orders, subscriptions or tickets is kept unless `force`: deleting them would take
     * their orders and subscriptions (revenue history, the metrics) with them. With `refuse` (one person's DELETE),
     * that is a 409 naming what they have; otherwise (bulk) such people are left out of the deleted ids. Forced, their
     * tickets and conversations stay, without a customer.
     */
    async remove(actor: Actor, ids: string[], opts: { force?: boolean; refuse?: boolean } = {}): Promise<string[]> {
      assertCan(actor, 'customers:write');
      return db.transaction(async (tx) => {
        const found = await findPeopleByIds(tx, actor.workspaceId, ids);
        const refs = opts.force ? new Map() : await personReferences(tx, actor.workspaceId, ids);
        const only = opts.refuse ? refs.values().next().value : undefined;
        if (only)
          throw new AppError(
            'conflict',
            `This person has ${only.orders} orders, ${only.subscriptions} subscriptions and ${only.tickets} tickets: ` +
              'deleting them would delete their orders and subscriptions too. Merge them into another person, or ' +
              'delete with force=true.',
            only,
          );
        const rows = found.filter((r) => !refs.has(r.id));
        if (opts.force)
          await detachPeopleFromService(
            tx,
            actor.workspaceId,
            rows.map((r) => r.id),
          );
        const deleted = await deletePeople(
          tx,
          actor.workspaceId,
          rows.map((r) => r.id),
        );
        for (const r of rows)
          await appendEvent(tx, actor, {
            type: 'person.deleted',
            subjectType: 'person',
            subjectId: r.id,
            payload: { name: r.displayName, emails: r.emails },
          });
        return deleted;
      });
    },

    /** Records a grant or withdrawal in the ledger and updates the current state, in one transaction. */
    async setConsent(
      actor: Actor,
      id: string,
      input: {
        channel: ConsentChannel;
        purpose: ConsentPurpose;
        status: 'granted' | 'withdrawn';
        source: ConsentSource;
        proof?: Record<string, unknown> | undefined;
      },
      opts: { tx?: DbOrTx; skipPermission?: boolean } = {},
    ): Promise<ConsentRecordRow> {
      if (!opts.skipPermission) assertCan(actor, 'customers:write');
      const run = async (tx: DbOrTx) => {
        const p = await mustFind(tx, actor, id);
        const rec = await insertConsentRecord(tx, {
          workspaceId: actor.workspaceId,
          id: newId(),
          personId: id,
          channel: input.channel,
          purpose: input.purpose,
          status: input.status,
          source: input.source,
          proof: input.proof ?? {},
          actorType: actor.kind,
          actorId: actorRef(actor),
        });
        const key = consentKey(input.channel, input.purpose);
        await tx
          .update(people)
          .set({
            consent: sql`${people.consent} || ${JSON.stringify({ [key]: input.status })}::jsonb`,
            updatedAt: new Date(),
          })
          .where(and(eq(people.workspaceId, actor.workspaceId), eq(people.id, id)));
        await appendEvent(tx, actor, {
          type: input.status === 'granted' ? 'person.consent_granted' : 'person.consent_withdrawn',
          subjectType: 'person',
          subjectId: id,
          payload: {
            channel: input.channel,
            purpose: input.purpose,
            source: input.source,
            previous: p.consent[key] ?? null,
          },
        });
        return rec;
      };
      return opts.tx ? run(opts.tx) : db.transaction(run);
    },

    async consent(actor: Actor, id: string) {
      assertCan(actor, 'customers:read');
      const p = await mustFind(db, actor, id);
      return { current: p.consent, ledger: await listConsentRecords(db, actor.workspaceId, id) };
    },

    /** Whether a message of this channel and purpose may go to this person: only with a grant (service: unless withdrawn). */
    async mayContact(
      workspaceId: string,
      personId: string,
      channel: ConsentChannel,
      purpose: ConsentPurpose,
    ): Promise<boolean> {
      const p = await findPerson(db, workspaceId, personId);
      if (!p) return false;
      const state = p.consent[consentKey(channel, purpose)];
      return purpose === 'service' ? state !== 'withdrawn' : state === 'granted';
    },

    async addNote(actor: Actor, personId: string, body: string): Promise<NoteRow> {
      assertCan(actor, 'customers:write');
      return db.transaction(async (tx) => {
        await mustFind(tx, actor, personId);
        const n = await insertNote(tx, {
          workspaceId: actor.workspaceId,
          id: newId(),
          subjectType: 'person',
          subjectId: personId,
          body,
          authorId: actorRef(actor),
        });
        await appendEvent(tx, actor, {
          type: 'person.note_added',
          subjectType: 'person',
          subjectId: personId,
          payload: { noteId: n.id, excerpt: body.slice(0, 200) },
        });
        return n;
      });
    },

    async notes(actor: Actor, personId: string): Promise<NoteRow[]> {
      assertCan(actor, 'customers:read');
      await mustFind(db, actor, personId);
      return listNotes(db, actor.workspaceId, 'person', personId);
    },

    async editNote(actor: Actor, noteId: string, body: string): Promise<NoteRow> {
      assertCan(actor, 'customers:write');
      return db.transaction(async (tx) => {
        const n = await findNote(tx, actor.workspaceId, noteId);
        if (!n) throw AppError.notFound('Note', noteId);
        const u = await updateNote(tx, actor.workspaceId, noteId, body);
        if (!u) throw AppError.notFound('Note', noteId);
        await appendEvent(tx, actor, {
          type: `${n.subjectType}.note_edited`,
          subjectType: n.subjectType,
          subjectId: n.subjectId,
          payload: { noteId, excerpt: body.slice(0, 200) },
        });
        return u;
      });
    },

    async removeNote(actor: Actor, noteId: string): Promise<void> {
      assertCan(actor, 'customers:write');
      await db.transaction(async (tx) => {
        const n = await findNote(tx, actor.workspaceId, noteId);
        if (!n) throw AppError.notFound('Note', noteId);
        await deleteNote(tx, actor.workspaceId, noteId);
        await appendEvent(tx, actor, {
          type: `${n.subjectType}.note_deleted`,
          subjectType: n.subjectType,
          subjectId: n.subjectId,
          payload: { noteId },
        });
      });
    },

    async linkCompany(actor: Actor, personId: string, companyId: string, title: string | null, isPrimary: boolean) {
      assertCan(actor, 'customers:write');
      await db.transaction(async (tx) => {
        const p = await mustFind(tx, actor, personId);
        const [c] = await findCompaniesByIds(tx, actor.workspaceId, [companyId]);
        if (!c) throw AppError.notFound('Company', companyId);
        await linkCompany(tx, actor.workspaceId, personId, companyId, title, isPrimary);
        await refreshPersonSearchText(tx, actor.workspaceId, p);
        await appendEvent(tx, actor, {
          type: 'person.company_linked',
          subjectType: 'person',
          subjectId: personId,
          payload: { companyId, company: c.name, title },
        });
      });
      return service.get(actor, personId);
    },

    async unlinkCompany(actor: Actor, personId: string, companyId: string) {
      assertCan(actor, 'customers:write');
      await db.transaction(async (tx) => {
        const p = await mustFind(tx, actor, personId);
        if (!(await unlinkCompany(tx, actor.workspaceId, personId, companyId)))
          throw AppError.notFound('Link to company', companyId);
        await refreshPersonSearchText(tx, actor.workspaceId, p);
        // The company's name, as person.company_linked has it, so the timeline can say which company it was.
        const [c] = await findCompaniesByIds(tx, actor.workspaceId, [companyId]);
        await appendEvent(tx, actor, {
          type: 'person.company_unlinked',
          subjectType: 'person',
          subjectId: personId,
          payload: { companyId, company: c?.name ?? null },
        });
      });
    },

    /** The person's timeline: every event recorded about them (their record, tickets, messages…), newest first. */
    async timeline(
      actor: Actor,
      id: string,
      q: { limit: number; before?: number | undefined; type?: string | undefined },
    ) {
      assertCan(actor, 'customers:read');
      await mustFind(db, actor, id);
      return listEvents(db, actor.workspaceId, {
        personId: id,
        type: q.type,
        // The service desk's events (subjects, message previews) are for who may read tickets, as on their own routes.
        hidePrefixes: can(actor, 'tickets:read') ? [] : ['ticket.'],
        beforeSeq: q.before,
        // By when things happened: an order placed a year ago and imported today sits a year back.
        order: 'occurred',
        limit: q.limit,
      });
    },
  };
  return service;
}
