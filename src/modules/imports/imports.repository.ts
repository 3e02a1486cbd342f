import { and, asc, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import { insertRows, updateRows } from '../../db/bulk.ts';
import { rowsOf, type DbOrTx } from '../../db/client.ts';
import {
  companies,
  consentRecords,
  importRows,
  imports,
  people,
  personCompanies,
  type ImportEntity,
  type ImportMode,
} from '../../db/schema/index.ts';
import { textArrayLiteral, type PersonInsert, type PersonRow } from '../people/people.repository.ts';
import type { CompanyInsert, CompanyRow } from '../companies/companies.repository.ts';

export type ImportRow = typeof imports.$inferSelect;
export type ImportInsert = typeof imports.$inferInsert;
export type ImportRowRow = typeof importRows.$inferSelect;
export type ImportRowInsert = typeof importRows.$inferInsert;

/** Multi-row inserts in slices that stay under PostgreSQL's 65,535 parameters per statement. */
function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function insertImport(db: DbOrTx, row: ImportInsert): Promise<ImportRow> {
  const [r] = await db.insert(imports).values(row).returning();
  if (!r) throw new Error('import insert returned nothing');
  return r;
}

export async function findImport(db: DbOrTx, workspaceId: string, id: string): Promise<ImportRow | null> {
  const [r] = await db
    .select()
    .from(imports)
    .where(and(eq(imports.workspaceId, workspaceId), eq(imports.id, id)));
  return r ?? null;
}

/** The files a workspace's uploads stored under the data folder (to remove them with the workspace). */
export async function importFilePaths(db: DbOrTx, workspaceId: string): Promise<string[]> {
  const rows = await db
    .select({ filePath: imports.filePath })
    .from(imports)
    .where(eq(imports.workspaceId, workspaceId));
  return rows.map((r) => r.filePath);
}

/** Locks the import row for one batch: two workers on the same import take turns, and see each other's checkpoint. */
export async function lockImport(tx: DbOrTx, workspaceId: string, id: string): Promise<ImportRow | null> {
  const [r] = await tx
    .select()
    .from(imports)
    .where(and(eq(imports.workspaceId, workspaceId), eq(imports.id, id)))
    .for('update');
  return r ?? null;
}

/** An unfinished import of the same file with the same options: what `rapport import` resumes. */
export async function findResumableImport(
  db: DbOrTx,
  workspaceId: string,
  q: { sha256: string; entity: string; matchOn?: string | undefined; mode: ImportMode },
): Promise<ImportRow | null> {
  const [r] = await db
    .select()
    .from(imports)
    .where(
      and(
        eq(imports.workspaceId, workspaceId),
        eq(imports.fileSha256, q.sha256),
        eq(imports.entity, q.entity as ImportRow['entity']),
        ...(q.matchOn ? [eq(imports.matchOn, q.matchOn as ImportRow['matchOn'])] : []),
        eq(imports.mode, q.mode),
        inArray(imports.status, ['importing', 'dry_running']),
      ),
    )
    .orderBy(desc(imports.createdAt))
    .limit(1);
  return r ?? null;
}

/** Newest first; `before` is the id of the last import of the previous page (ids grow with time). */
export async function listImports(
  db: DbOrTx,
  workspaceId: string,
  q: { limit: number; before?: string | undefined },
): Promise<ImportRow[]> {
  return db
    .select()
    .from(imports)
    .where(and(eq(imports.workspaceId, workspaceId), ...(q.before ? [lt(imports.id, q.before)] : [])))
    .orderBy(desc(imports.id))
    .limit(q.limit);
}

export async function updateImport(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<ImportInsert>,
): Promise<ImportRow | null> {
  const [r] = await db
    .update(imports)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(imports.workspaceId, workspaceId), eq(imports.id, id)))
    .returning();
  return r ?? null;
}

export type BatchCounts = { rows: number; created: number; updated: number; unchanged: number; rejected: number };

/** Moves the checkpoint past a batch and adds its counts: in the batch's own transaction. */
export async function advanceCheckpoint(tx: DbOrTx, workspaceId: string, id: string, c: BatchCounts): Promise<void> {
  await tx
    .update(imports)
    .set({
      processedRows: sql`${imports.processedRows} + ${c.rows}`,
      created: sql`${imports.created} + ${c.created}`,
      updated: sql`${imports.updated} + ${c.updated}`,
      unchanged: sql`${imports.unchanged} + ${c.unchanged}`,
      rejected: sql`${imports.rejected} + ${c.rejected}`,
      updatedAt: new Date(),
    })
    .where(and(eq(imports.workspaceId, workspaceId), eq(imports.id, id)));
}

/** The tables an import of each kind grows and reads again in its later batches (lookups, foreign key checks). */
const tablesGrownBy: Record<ImportEntity, readonly string[]> = {
  person: ['people', 'companies', 'person_companies', 'consent_records', 'import_rows'],
  company: ['companies', 'import_rows'],
  order: ['orders', 'order_lines', 'refunds', 'people', 'products', 'import_rows'],
};

/**
 * Rows in the import's main table (people, companies or orders) as the planner's statistics count them; -1 when the
 * table has never been analysed.
 */
export async function plannedRows(db: DbOrTx, entity: ImportEntity): Promise<number> {
  const table = tablesGrownBy[entity][0]!;
  const r = rowsOf<{ n: number | null }>(
    await db.execute(sql`select reltuples::float8 as n from pg_class where oid = to_regclass(${table})`),
  );
  return Number(r[0]?.n ?? -1);
}

/**
 * Refreshes the planner's statistics of the tables an import grows. Plans made while a table was nearly empty are
 * kept by each connection (the foreign key checks' above all) until the statistics change: an import into a new
 * workspace of a new database otherwise checks each order's customer by scanning the workspace's people.
 */
export async function analyzeImportTables(db: DbOrTx, entity: ImportEntity): Promise<number> {
  await db.execute(sql.raw(`analyze ${tablesGrownBy[entity].join(', ')}`));
  return plannedRows(db, entity);
}

/** A value with every NUL byte in its strings shown as U+FFFD: PostgreSQL text and jsonb cannot hold one. */
function withoutNuls<T>(v: T): T {
  if (typeof v === 'string') return (v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v) as T;
  if (Array.isArray(v)) return v.map(withoutNuls) as T;
  if (v && typeof v === 'object' && !(v instanceof Date))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [withoutNuls(k), withoutNuls(x)])) as T;
  return v;
}

/** A report row quotes the file (a rejected row's cells): a NUL in the file must not fail the batch's insert. */
export async function insertImportRows(tx: DbOrTx, rows: readonly ImportRowInsert[]): Promise<void> {
  for (const part of slices(rows, 2000))
    await tx
      .insert(importRows)
      .values(part.map((r) => (r.action === 'reject' ? withoutNuls(r) : r)))
      .onConflictDoNothing();
}

export async function deleteImportRows(db: DbOrTx, workspaceId: string, id: string, mode: ImportMode): Promise<void> {
  await db
    .delete(importRows)
    .where(and(eq(importRows.workspaceId, workspaceId), eq(importRows.importId, id), eq(importRows.mode, mode)));
}

export async function listImportRows(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  q: { mode: ImportMode; action?: ImportRowRow['action'] | undefined; after?: number | undefined; limit: number },
): Promise<ImportRowRow[]> {
  return db
    .select()
    .from(importRows)
    .where(
      and(
        eq(importRows.workspaceId, workspaceId),
        eq(importRows.importId, id),
        eq(importRows.mode, q.mode),
        ...(q.action ? [eq(importRows.action, q.action)] : []),
        ...(q.after !== undefined ? [gt(importRows.rowNumber, q.after)] : []),
      ),
    )
    .orderBy(asc(importRows.rowNumber))
    .limit(q.limit);
}

/** Rows an earlier batch of the same dry run would have created, by match key: a dry run writes nothing else. */
export async function dryRunCreatedKeys(
  tx: DbOrTx,
  workspaceId: string,
  importId: string,
  keys: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!keys.length) return out;
  const rows = await tx
    .select({ rowNumber: importRows.rowNumber, keys: importRows.matchKeys })
    .from(importRows)
    .where(
      and(
        eq(importRows.workspaceId, workspaceId),
        eq(importRows.importId, importId),
        eq(importRows.mode, 'dry_run'),
        eq(importRows.action, 'create'),
        sql`${importRows.matchKeys} && ${textArrayLiteral(keys)}::text[]`,
      ),
    );
  for (const r of rows) for (const k of r.keys ?? []) if (!out.has(k)) out.set(k, r.rowNumber);
  return out;
}

// ---- people and companies, in bulk ----

/**
 * The people having any of these emails, through the GIN index on emails. The list is a sub-select on purpose: given
 * the literal, the planner reckons that a thousand emails match nearly every row and scans the whole workspace,
 * once per batch (seconds at 1M people); not knowing the value, it estimates a few rows and uses the index.
 */
export async function findPeopleByAnyEmail(db: DbOrTx, workspaceId: string, emails: readonly string[]) {
  if (!emails.length) return [];
  return db
    .select()
    .from(people)
    .where(
      and(eq(people.workspaceId, workspaceId), sql`${people.emails} && (select ${textArrayLiteral(emails)}::text[])`),
    )
    .orderBy(asc(people.createdAt), asc(people.id));
}

export async function findPeopleByExternalIds(
  db: DbOrTx,
  workspaceId: string,
  ids: readonly string[],
): Promise<PersonRow[]> {
  if (!ids.length) return [];
  return db
    .select()
    .from(people)
    .where(and(eq(people.workspaceId, workspaceId), inArray(people.externalId, [...ids])));
}

/** The people of the workspace with these ids (a row of the file naming its record by Rapport id). */
export async function findPeopleByIds(db: DbOrTx, workspaceId: string, ids: readonly string[]): Promise<PersonRow[]> {
  if (!ids.length) return [];
  return db
    .select()
    .from(people)
    .where(and(eq(people.workspaceId, workspaceId), inArray(people.id, [...new Set(ids)])));
}

/** The companies of the workspace with these ids. */
export async function findCompaniesByIds(
  db: DbOrTx,
  workspaceId: string,
  ids: readonly string[],
): Promise<CompanyRow[]> {
  if (!ids.length) return [];
  return db
    .select()
    .from(companies)
    .where(and(eq(companies.workspaceId, workspaceId), inArray(companies.id, [...new Set(ids)])));
}

export async function insertPeople(tx: DbOrTx, rows: readonly PersonInsert[]): Promise<void> {
  await insertRows(tx, people, rows);
}

/** Updates by id, set-based (one statement per set of changed columns), stamping updated_at. */
export async function updatePeople(
  tx: DbOrTx,
  workspaceId: string,
  updates: ReadonlyArray<{ id: string; set: Partial<PersonInsert> }>,
): Promise<void> {
  const now = new Date();
  await updateRows(
    tx,
    people,
    workspaceId,
    updates.map((u) => ({ id: u.id, set: { ...u.set, updatedAt: now } })),
  );
}

export async function findCompaniesForImport(
  db: DbOrTx,
  workspaceId: string,
  q: { domains: readonly string[]; names: readonly string[]; externalIds: readonly string[] },
): Promise<CompanyRow[]> {
  const conds = [];
  if (q.domains.length) conds.push(inArray(companies.domain, [...q.domains]));
  if (q.externalIds.length) conds.push(inArray(companies.externalId, [...q.externalIds]));
  if (q.names.length) conds.push(sql`lower(${companies.name}) in ${q.names.map((n) => n.toLowerCase())}`);
  if (!conds.length) return [];
  return db
    .select()
    .from(companies)
    .where(and(eq(companies.workspaceId, workspaceId), sql`(${sql.join(conds, sql` or `)})`))
    .orderBy(asc(companies.createdAt), asc(companies.id));
}

/**
 * Companies without a domain named like one of these names (compared lower-cased and trimmed; `names` already so),
 * oldest first: a people import makes companies by name alone, and a companies file matched on domain finds them by
 * their name (through the (workspace, domain) index: only the workspace's companies without a domain are read).
 */
export async function findDomainlessCompaniesByName(
  db: DbOrTx,
  workspaceId: string,
  names: readonly string[],
): Promise<CompanyRow[]> {
  if (!names.length) return [];
  return db
    .select()
    .from(companies)
    .where(
      and(
        eq(companies.workspaceId, workspaceId),
        isNull(companies.domain),
        sql`lower(btrim(${companies.name})) in ${[...new Set(names)]}`,
      ),
    )
    .orderBy(asc(companies.createdAt), asc(companies.id));
}

export async function insertCompanies(tx: DbOrTx, rows: readonly CompanyInsert[]): Promise<void> {
  await insertRows(tx, companies, rows);
}

export async function updateCompanies(
  tx: DbOrTx,
  workspaceId: string,
  updates: ReadonlyArray<{ id: string; set: Partial<CompanyInsert> }>,
): Promise<void> {
  const now = new Date();
  await updateRows(
    tx,
    companies,
    workspaceId,
    updates.map((u) => ({ id: u.id, set: { ...u.set, updatedAt: now } })),
  );
}

/** Links (keeping a title already there when the row gives none): one statement per 5,000 links. */
export async function linkPeopleToCompanies(
  tx: DbOrTx,
  rows: ReadonlyArray<{ workspaceId: string; personId: string; companyId: string; title: string | null }>,
): Promise<void> {
  // One statement cannot touch a link twice: two rows of a group may name the same person and company.
  const unique = [...new Map(rows.map((r) => [`${r.personId}:${r.companyId}`, r])).values()];
  for (const part of slices(unique, 5000)) {
    const json = JSON.stringify(
      part.map((r) => ({
        workspace_id: r.workspaceId,
        person_id: r.personId,
        company_id: r.companyId,
        title: r.title,
      })),
    );
    await tx.execute(sql`
      insert into ${personCompanies} (workspace_id, person_id, company_id, title, is_primary)
      select workspace_id, person_id, company_id, title, false
        from json_to_recordset(${json}::json) as r(workspace_id uuid, person_id uuid, company_id uuid, title text)
      on conflict (workspace_id, person_id, company_id)
      do update set title = coalesce(excluded.title, ${personCompanies}.title)`);
  }
}

/** The links that exist already among these pairs, as "personId:companyId". */
export async function existingLinks(
  db: DbOrTx,
  workspaceId: string,
  personIds: readonly string[],
): Promise<Set<string>> {
  if (!personIds.length) return new Set();
  const rows = await db
    .select({ p: personCompanies.personId, c: personCompanies.companyId })
    .from(personCompanies)
    .where(and(eq(personCompanies.workspaceId, workspaceId), inArray(personCompanies.personId, [...personIds])));
  return new Set(rows.map((r) => `${r.p}:${r.c}`));
}

export async function insertConsentRecords(
  tx: DbOrTx,
  rows: ReadonlyArray<typeof consentRecords.$inferInsert>,
): Promise<void> {
  await insertRows(tx, consentRecords, rows);
}
