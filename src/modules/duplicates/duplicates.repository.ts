import { and, eq, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../../db/client.ts';
import {
  companies,
  consentRecords,
  duplicateDismissals,
  events,
  people,
  personCompanies,
} from '../../db/schema/index.ts';

export type DuplicateEntity = 'person' | 'company';
export type PairCursor = { a: string; b: string };

/**
 * Candidate pairs of people, smaller id first, in (a, b) order from the cursor on. Each person's matches come from
 * the indexes: the GIN indexes of emails and phones (`&&`), and the people at their companies (person_companies)
 * whose names are alike (`similarity`, or the same last name). The caller scores them (src/domain/duplicates.ts).
 * With `personId`, only the pairs of that person.
 */
export async function personCandidatePairs(
  db: DbOrTx,
  workspaceId: string,
  opts: { after: PairCursor | null; limit: number; personId?: string | undefined },
): Promise<Array<{ aId: string; bId: string }>> {
  const other = opts.personId ? sql`b.id <> a.id` : sql`b.id > a.id`;
  const otherPc = opts.personId ? sql`pb.person_id <> a.id` : sql`pb.person_id > a.id`;
  const scope: SQL = opts.personId
    ? sql`a.id = ${opts.personId}`
    : opts.after
      ? sql`a.id >= ${opts.after.a} and (a.id > ${opts.after.a} or m.id > ${opts.after.b})`
      : sql`true`;
  const r = await db.execute(sql`
    select a.id::text as "aId", m.id::text as "bId"
    from ${people} a
    cross join lateral (
      select b.id from ${people} b
        where b.workspace_id = a.workspace_id and cardinality(a.emails) > 0 and b.emails && a.emails and ${other}
      union
      select b.id from ${people} b
        where b.workspace_id = a.workspace_id and cardinality(a.phones) > 0 and b.phones && a.phones and ${other}
      union
      select pb.person_id from ${personCompanies} pa
        join ${personCompanies} pb on pb.workspace_id = pa.workspace_id and pb.company_id = pa.company_id and ${otherPc}
        join ${people} b on b.workspace_id = pb.workspace_id and b.id = pb.person_id
        where pa.workspace_id = a.workspace_id and pa.person_id = a.id
          and (similarity(a.display_name, b.display_name) >= 0.3 or lower(a.last_name) = lower(b.last_name))
    ) m
    where a.workspace_id = ${workspaceId} and ${scope}
      and not exists (
        select 1 from ${duplicateDismissals} d
        where d.workspace_id = a.workspace_id and d.entity = 'person'
          and d.a_id = least(a.id, m.id) and d.b_id = greatest(a.id, m.id))
    order by a.id, m.id
    limit ${opts.limit}`);
  return rowsOf<{ aId: string; bId: string }>(r);
}

/** Candidate pairs of companies: the same domain (its index), or a similar name (the trigram index of search_text). */
export async function companyCandidatePairs(
  db: DbOrTx,
  workspaceId: string,
  opts: { after: PairCursor | null; limit: number; companyId?: string | undefined },
): Promise<Array<{ aId: string; bId: string }>> {
  const other = opts.companyId ? sql`b.id <> a.id` : sql`b.id > a.id`;
  const scope: SQL = opts.companyId
    ? sql`a.id = ${opts.companyId}`
    : opts.after
      ? sql`a.id >= ${opts.after.a} and (a.id > ${opts.after.a} or m.id > ${opts.after.b})`
      : sql`true`;
  const r = await db.execute(sql`
    select a.id::text as "aId", m.id::text as "bId"
    from ${companies} a
    cross join lateral (
      select b.id from ${companies} b
        where b.workspace_id = a.workspace_id and a.domain is not null and b.domain = a.domain and ${other}
      union
      select b.id from ${companies} b
        where b.workspace_id = a.workspace_id and lower(a.name) <% b.search_text and ${other}
          and similarity(lower(a.name), lower(b.name)) >= 0.4
    ) m
    where a.workspace_id = ${workspaceId} and ${scope}
      and not exists (
        select 1 from ${duplicateDismissals} d
        where d.workspace_id = a.workspace_id and d.entity = 'company'
          and d.a_id = least(a.id, m.id) and d.b_id = greatest(a.id, m.id))
    order by a.id, m.id
    limit ${opts.limit}`);
  return rowsOf<{ aId: string; bId: string }>(r);
}

export async function insertDismissal(
  db: DbOrTx,
  row: { workspaceId: string; entity: DuplicateEntity; aId: string; bId: string; dismissedBy: string | null },
): Promise<boolean> {
  const r = await db
    .insert(duplicateDismissals)
    .values(row)
    .onConflictDoNothing()
    .returning({ a: duplicateDismissals.aId });
  return r.length > 0;
}

/** Locks rows of a table for the rest of the transaction, in id order (two merges never wait on each other in a cycle). */
export async function lockRows(
  db: DbOrTx,
  table: typeof people | typeof companies,
  workspaceId: string,
  ids: string[],
): Promise<void> {
  const sorted = [...ids].sort();
  for (const id of sorted)
    await db.execute(sql`select 1 from ${table} where workspace_id = ${workspaceId} and id = ${id} for update`);
}

/**
 * Tables (other than those a merge handles itself) with a column that names a person or a company. Derived tables
 * (metric_*: roll-ups the metrics job recomputes from the merge's event) are left to their job.
 */
export async function referencingColumns(
  db: DbOrTx,
  entity: DuplicateEntity,
): Promise<Array<{ table: string; column: string }>> {
  const col = entity === 'person' ? 'person_id' : 'company_id';
  const r = await db.execute(sql`
    select c.table_name as "table", c.column_name as "column"
    from information_schema.columns c
    join information_schema.columns w
      on w.table_schema = c.table_schema and w.table_name = c.table_name and w.column_name = 'workspace_id'
    join information_schema.tables t
      on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
    where c.table_schema = current_schema()
      and (c.column_name = ${col} or c.column_name like ${`%\\_${col}`})
      and c.table_name not in ('person_companies', 'consent_records', 'duplicate_dismissals')
      and c.table_name not like 'metric\\_%'
    order by 1, 2`);
  return rowsOf<{ table: string; column: string }>(r);
}

/** Tables (other than events) whose rows are about a subject (subject_type, subject_id): notes, and later ones. */
export async function subjectTables(db: DbOrTx): Promise<string[]> {
  const r = await db.execute(sql`
    select c.table_name as "table"
    from information_schema.columns c
    join information_schema.tables t
      on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
    where c.table_schema = current_schema() and c.column_name in ('subject_type', 'subject_id', 'workspace_id')
      and c.table_name <> 'events'
    group by c.table_name
    having count(*) = 3
    order by 1`);
  return rowsOf<{ table: string }>(r).map((x) => x.table);
}

export async function tableExists(db: DbOrTx, table: string): Promise<boolean> {
  const r = await db.execute(
    sql`select 1 as x from information_schema.tables where table_schema = current_schema() and table_name = ${table}`,
  );
  return rowsOf<{ x: number }>(r).length > 0;
}

/**
 * The count of a `with moved as (update … returning 1) select count(*)::int as n from moved`: the rows moved are
 * counted in the database, not returned one by one (a person's events alone can be millions).
 */
function movedCount(r: unknown): number {
  return rowsOf<{ n: number }>(r)[0]?.n ?? 0;
}

/** Points every row of `table.column` at the survivor; returns how many moved. */
export async function repoint(
  db: DbOrTx,
  workspaceId: string,
  table: string,
  column: string,
  from: string,
  to: string,
): Promise<number> {
  const r = await db.execute(sql`
    with moved as (
      update ${sql.identifier(table)} set ${sql.identifier(column)} = ${to}
      where workspace_id = ${workspaceId} and ${sql.identifier(column)} = ${from}
      returning 1)
    select count(*)::int as n from moved`);
  return movedCount(r);
}

export async function repointSubject(
  db: DbOrTx,
  workspaceId: string,
  table: string,
  subjectType: string,
  from: string,
  to: string,
): Promise<number> {
  const r = await db.execute(sql`
    with moved as (
      update ${sql.identifier(table)} set subject_id = ${to}
      where workspace_id = ${workspaceId} and subject_type = ${subjectType} and subject_id = ${from}
      returning 1)
    select count(*)::int as n from moved`);
  return movedCount(r);
}

/** How many moved event ids a merge event names: a record can have any number of events. */
export const movedEventIdsShown = 1000;

/** The event log is append-only, except here: a merged-away record's events now belong to the survivor. */

/**
 * Moves the record's events to the survivor: how many, and the ids of the first `movedEventIdsShown` (oldest first).
 * The ids are not all returned: a record with a million events would otherwise put 40 MB of them in memory and in the
 * merge event's payload (and in every webhook delivery of it).
 *
 * Each moved event's payload gets `mergedFrom: { id, name }` (the merged record), so the survivor's timeline can
 * tell its own history from the duplicate's: without it the duplicate's `person.created` read as a second "added
 * this person". An event already marked by an earlier merge keeps the record it first belonged to.
 */
export async function repointEvents(
  db: DbOrTx,
  workspaceId: string,
  subjectType: string,
  from: { id: string; name: string },
  to: string,
): Promise<{ count: number; ids: string[] }> {
  const mark = sql`jsonb_build_object('mergedFrom', jsonb_build_object('id', ${from.id}::text, 'name', ${from.name}::text))`;
  const r = await db.execute(sql`
    with moved as (
      update ${events}
         set subject_id = ${to},
             payload = case when payload ? 'mergedFrom' then payload else payload || ${mark} end
       where workspace_id = ${workspaceId} and subject_type = ${subjectType} and subject_id = ${from.id}
      returning id, seq)
    select (select count(*) from moved)::int as count,
           array(select id::text from moved order by seq limit ${movedEventIdsShown}) as ids`);
  const [row] = rowsOf<{ count: number; ids: string[] }>(r);
  return { count: row?.count ?? 0, ids: row?.ids ?? [] };
}

/** The rows of an import report that name the record (import_rows.record_id, by the import's entity). */
export async function repointImportRows(
  db: DbOrTx,
  workspaceId: string,
  entity: DuplicateEntity,
  from: string,
  to: string,
): Promise<number> {
  if (!(await tableExists(db, 'import_rows')) || !(await tableExists(db, 'imports'))) return 0;
  const r = await db.execute(sql`
    with moved as (
      update import_rows r set record_id = ${to}
      from imports i
      where r.workspace_id = ${workspaceId} and r.record_id = ${from}
        and i.workspace_id = r.workspace_id and i.id = r.import_id and i.entity = ${entity}
      returning 1)
    select count(*)::int as n from moved`);
  return movedCount(r);
}

/**
 * Moves company links from one person to another. Where both were linked to the same company the survivor's link
 * stays, taking the other's title when it had none; only one link remains primary.
 */
export async function movePersonLinks(db: DbOrTx, workspaceId: string, from: string, to: string): Promise<number> {
  const mine = await db
    .select()
    .from(personCompanies)
    .where(and(eq(personCompanies.workspaceId, workspaceId), eq(personCompanies.personId, to)));
  const theirs = await db
    .select()
    .from(personCompanies)
    .where(and(eq(personCompanies.workspaceId, workspaceId), eq(personCompanies.personId, from)));
  const hasPrimary = mine.some((l) => l.isPrimary);
  for (const l of theirs) {
    const same = mine.find((m) => m.companyId === l.companyId);
    if (same) {
      if (!same.title && l.title)
        await db
          .update(personCompanies)
          .set({ title: l.title })
          .where(
            and(
              eq(personCompanies.workspaceId, workspaceId),
              eq(personCompanies.personId, to),
              eq(personCompanies.companyId, l.companyId),
            ),
          );
      await db
        .delete(personCompanies)
        .where(
          and(
            eq(personCompanies.workspaceId, workspaceId),
            eq(personCompanies.personId, from),
            eq(personCompanies.companyId, l.companyId),
          ),
        );
    } else {
      await db
        .update(personCompanies)
        .set({ personId: to, isPrimary: hasPrimary ? false : l.isPrimary })
        .where(
          and(
            eq(personCompanies.workspaceId, workspaceId),
            eq(personCompanies.personId, from),
            eq(personCompanies.companyId, l.companyId),
          ),
        );
    }
  }
  return theirs.length;
}

/** Moves the people of one company to another; a person at both keeps one link (the survivor's, titled). */
export async function moveCompanyLinks(db: DbOrTx, workspaceId: string, from: string, to: string): Promise<number> {
  const theirs = await db
    .select()
    .from(personCompanies)
    .where(and(eq(personCompanies.workspaceId, workspaceId), eq(personCompanies.companyId, from)));
  const mine = await db
    .select()
    .from(personCompanies)
    .where(and(eq(personCompanies.workspaceId, workspaceId), eq(personCompanies.companyId, to)));
  for (const l of theirs) {
    const same = mine.find((m) => m.personId === l.personId);
    const where = and(
      eq(personCompanies.workspaceId, workspaceId),
      eq(personCompanies.personId, l.personId),
      eq(personCompanies.companyId, from),
    );
    if (same) {
      await db
        .update(personCompanies)
        .set({ title: same.title ?? l.title, isPrimary: same.isPrimary || l.isPrimary })
        .where(
          and(
            eq(personCompanies.workspaceId, workspaceId),
            eq(personCompanies.personId, l.personId),
            eq(personCompanies.companyId, to),
          ),
        );
      await db.delete(personCompanies).where(where);
    } else await db.update(personCompanies).set({ companyId: to }).where(where);
  }
  return theirs.length;
}

export async function moveConsentRecords(db: DbOrTx, workspaceId: string, from: string, to: string): Promise<number> {
  const r = await db
    .update(consentRecords)
    .set({ personId: to })
    .where(and(eq(consentRecords.workspaceId, workspaceId), eq(consentRecords.personId, from)))
    .returning({ id: consentRecords.id });
  return r.length;
}

export async function allConsentRecords(db: DbOrTx, workspaceId: string, personId: string) {
  return db
    .select()
    .from(consentRecords)
    .where(and(eq(consentRecords.workspaceId, workspaceId), eq(consentRecords.personId, personId)));
}
