import { and, asc, desc, eq, getTableColumns, inArray, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../../db/client.ts';
import { addCustomFieldColumns, listClauses, toPage, type ListColumns } from '../../db/list.ts';
import { companies, consentRecords, notes, people, personCompanies } from '../../db/schema/index.ts';
import type { FieldSpec, FieldSpecs, Filter, ListQuery } from '../../domain/list-query.ts';
import { normaliseEmailAddress, normalisePhone, normaliseTags } from '../../domain/customers.ts';
import { rfmSegments } from '../../domain/rfm.ts';
import type { CustomFieldRow } from '../fields/fields.repository.ts';
import { rfmSegmentFilter } from '../metrics/metrics.repository.ts';

export type PersonRow = typeof people.$inferSelect;
export type PersonInsert = typeof people.$inferInsert;
export type ConsentRecordRow = typeof consentRecords.$inferSelect;
export type NoteRow = typeof notes.$inferSelect;

/** A PostgreSQL text[] literal, sent as a parameter (cast with ::text[]). */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((x) => `"${x.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/**
 * How a filter value is written as the record stores it (eq, ne, in): a customer's e-mail address lower-cased, a phone
 * number in E.164 when it can be read (with its +country), a tag as tags are kept — so "Ana.Silva@Example.com" finds
 * ana.silva@example.com. A value that cannot be read is compared as it is.
 */
export const storedAs = {
  email: (v: string) => normaliseEmailAddress(v) ?? v.trim().toLowerCase(),
  phone: (v: string) => normalisePhone(v) ?? v.trim(),
  tag: (v: string) => normaliseTags([v])[0] ?? v,
};

export function textArrayFilter(
  column: SQLWrapper,
  f: Filter,
  norm: (v: string) => string = (v) => v,
): SQL | undefined {
  const v = f.value;
  switch (f.op) {
    case 'eq':
      return sql`${column} @> array[${norm(String(v))}]::text[]`;
    case 'ne':
      return sql`not (${column} @> array[${norm(String(v))}]::text[])`;
    case 'in':
      return sql`${column} && ${textArrayLiteral((v as string[]).map(norm))}::text[]`;
    case 'contains':
      return sql`array_to_string(${column}, ' ') ilike ${`%${String(v).replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`;
    case 'exists':
      return v ? sql`cardinality(${column}) > 0` : sql`cardinality(${column}) = 0`;
    default:
      return undefined;
  }
}

/** Built-in list fields of people; custom fields and consent are added per workspace by `personListColumns`. */
export const basePersonFields: FieldSpecs = {
  name: { type: 'string' },
  first_name: { type: 'string' },
  last_name: { type: 'string' },
  email: { type: 'string', sortable: false },
  phone: { type: 'string', sortable: false },
  tag: { type: 'string', sortable: false },
  company_id: { type: 'string', sortable: false },
  stage: { type: 'string' },
  owner_id: { type: 'string' },
  source: { type: 'string' },
  external_id: { type: 'string' },
  language: { type: 'string' },
  timezone: { type: 'string' },
  city: { type: 'string' },
  country: { type: 'string' },
  created_at: { type: 'datetime' },
  updated_at: { type: 'datetime' },
  stage_changed_at: { type: 'datetime' },
};

/**
 * Fields read from the person's current predictive scores (customer_predictions, any currency; src/modules/
 * predictions): a person matches when one of their current score rows does. People without scores match none of the
 * comparisons; `exists` asks whether they have scores at all.
 */
export const predictionFields: Record<string, { column: string; spec: FieldSpec }> = {
  rfm_segment: { column: 'rfm_segment', spec: { type: 'enum', values: rfmSegments, sortable: false } },
  p_alive: { column: 'p_alive', spec: { type: 'number', sortable: false } },
  expected_purchases: { column: 'expected_purchases', spec: { type: 'number', sortable: false } },
  predicted_clv: { column: 'clv', spec: { type: 'number', sortable: false } },
};

function predictionFilter(column: string, f: Filter): SQL | undefined {
  const rows = (cond: SQL) =>
    sql`exists (select 1 from customer_predictions cp where cp.workspace_id = ${people.workspaceId} and cp.person_id = ${people.id} and cp.current and ${cond})`;
  const col = sql.raw(`cp.${column}`);
  const v = f.value;
  switch (f.op) {
    case 'eq':
      return rows(sql`${col} = ${v}`);
    case 'ne':
      return rows(sql`${col} <> ${v}`);
    case 'lt':
      return rows(sql`${col} < ${v}`);
    case 'lte':
      return rows(sql`${col} <= ${v}`);
    case 'gt':
      return rows(sql`${col} > ${v}`);
    case 'gte':
      return rows(sql`${col} >= ${v}`);
    case 'in':
      return rows(
        sql`${col}::text in (${sql.join(
          (v as string[]).map((x) => sql`${x}`),
          sql`, `,
        )})`,
      );
    case 'exists':
      return v ? rows(sql`true`) : sql`not ${rows(sql`true`)}`;
    default:
      return undefined;
  }
}

export const consentFieldNames: string[] = ['email', 'sms', 'phone', 'chat'].flatMap((c) =>
  ['service', 'marketing', 'research'].map((p) => `consent.${c}.${p}`),
);

/** The list columns of people for a workspace: built-ins, consent states and its custom fields. */
export function personListColumns(
  defs: readonly CustomFieldRow[],
  stages: readonly string[],
  workspaceId: string,
): ListColumns {
  const specs: FieldSpecs = { ...basePersonFields, stage: { type: 'enum', values: stages } };
  const fields: ListColumns['fields'] = {
    name: people.displayName,
    first_name: people.firstName,
    last_name: people.lastName,
    stage: people.stage,
    owner_id: sql`${people.ownerId}::text`,
    source: people.source,
    external_id: people.externalId,
    language: people.language,
    timezone: people.timezone,
    city: sql`${people.address}->>'city'`,
    country: sql`${people.address}->>'country'`,
    created_at: people.createdAt,
    updated_at: people.updatedAt,
    stage_changed_at: people.stageChangedAt,
  };
  const filters: NonNullable<ListColumns['filters']> = {
    email: (f) => textArrayFilter(people.emails, f, storedAs.email),
    phone: (f) => textArrayFilter(people.phones, f, storedAs.phone),
    tag: (f) => textArrayFilter(people.tags, f, storedAs.tag),
    company_id: (f) => {
      const ids = f.op === 'in' ? (f.value as string[]) : [String(f.value)];
      const valid = ids.filter((x) => /^[0-9a-f-]{36}$/i.test(x));
      const sub = sql`exists (select 1 from ${personCompanies} pc where pc.workspace_id = ${people.workspaceId} and pc.person_id = ${people.id} and pc.company_id::text in (${sql.join(valid.length ? valid.map((x) => sql`${x.toLowerCase()}`) : [sql`''`], sql`, `)}))`;
      if (f.op === 'exists')
        return f.value
          ? sql`exists (select 1 from ${personCompanies} pc where pc.workspace_id = ${people.workspaceId} and pc.person_id = ${people.id})`
          : sql`not exists (select 1 from ${personCompanies} pc where pc.workspace_id = ${people.workspaceId} and pc.person_id = ${people.id})`;
      if (f.op === 'eq' || f.op === 'in') return sub;
      if (f.op === 'ne') return sql`not ${sub}`;
      return undefined;
    },
  };
  specs.churn_risk = { type: 'number', sortable: false };
  filters.churn_risk = (f) => {
    const rows = (cond: SQL) =>
      sql`exists (select 1 from customer_churn_scores cs where cs.workspace_id = ${people.workspaceId} and cs.person_id = ${people.id} and cs.current and ${cond})`;
    const ops: Partial<Record<string, SQL>> = {
      lt: sql`<`,
      lte: sql`<=`,
      gt: sql`>`,
      gte: sql`>=`,
      eq: sql`=`,
      ne: sql`<>`,
    };
    if (f.op === 'exists') return f.value ? rows(sql`true`) : sql`not ${rows(sql`true`)}`;
    const op = ops[f.op];
    return op ? rows(sql`cs.probability ${op} ${f.value}`) : undefined;
  };
  for (const [name, p] of Object.entries(predictionFields)) {
    specs[name] = p.spec;
    filters[name] = (f) => predictionFilter(p.column, f);
  }
  // The RFM segment is read live from the metric roll-ups (as the RFM grid shows it), not from the model's scores,
  // which are as of the last fit.
  filters.rfm_segment = (f) => rfmSegmentFilter(workspaceId, sql`(${people.workspaceId}, ${people.id})`, f);
  for (const name of consentFieldNames) {
    const [, channel, purpose] = name.split('.');
    specs[name] = { type: 'enum', values: ['granted', 'withdrawn'], sortable: false };
    fields[name] = sql`${people.consent}->>${`${channel}:${purpose}`}`;
  }
  addCustomFieldColumns(
    { fields, specs, filters },
    people.custom,
    defs.filter((d) => d.entity === 'person'),
  );
  return { id: people.id, fields, specs, filters };
}

/** The value of the sort field for a row, as the cursor carries it. */
export function personSortValue(r: ListedPerson, field: string): unknown {
  switch (field) {
    case 'name':
      return r.displayName;
    case 'first_name':
      return r.firstName;
    case 'last_name':
      return r.lastName;
    case 'stage':
      return r.stage;
    case 'owner_id':
      return r.ownerId;
    case 'source':
      return r.source;
    case 'external_id':
      return r.externalId;
    case 'language':
      return r.language;
    case 'timezone':
      return r.timezone;
    case 'city':
      return r.address.city ?? null;
    case 'country':
      return r.address.country ?? null;
    case 'updated_at':
      return r.updatedAt;
    case 'stage_changed_at':
      return r.stageChangedAt;
    case 'created_at':
      return r.createdAt;
    default:
      if (field.startsWith('custom.')) return r.custom[field.slice(7)] ?? null;
      return null;
  }
}

/**
 * A page of people. With `window`, only the first `window` rows of the list without `extra` (its filters and cursor
 * applied) are looked through for `extra` (see searchedList).
 */
/** A person as lists read them: without the search columns (what the words index is built from; never shown). */
export type ListedPerson = Omit<PersonRow, 'searchText' | 'searchWords'>;
const { searchText: _text, searchWords: _words, ...listedColumns } = getTableColumns(people);

export async function listPeople(
  db: DbOrTx,
  workspaceId: string,
  cols: ListColumns,
  q: ListQuery,
  extra: SQL[] = [],
  window?: number,
) {
  const c = listClauses(cols, q);
  const scope = and(eq(people.workspaceId, workspaceId), ...c.where);
  const rows: ListedPerson[] = window
    ? await db
        .select(listedColumns)
        // Aliased as the table, so that `extra` and the order name its columns as they do over the table.
        .from(
          db
            .select()
            .from(people)
            .where(scope)
            .orderBy(...c.orderBy)
            .limit(window)
            .as('people'),
        )
        .where(and(...extra))
        .orderBy(...c.orderBy)
        .limit(c.limit)
    : await db
        .select(listedColumns)
        .from(people)
        .where(and(scope, ...extra))
        .orderBy(...c.orderBy)
        .limit(c.limit);
  return toPage(rows, q, { id: (r) => r.id, sortValue: (r) => personSortValue(r, q.sort.field) });
}

export async function countPeople(
  db: DbOrTx,
  workspaceId: string,
  cols: ListColumns,
  q: ListQuery,
  extra: SQL[] = [],
): Promise<number> {
  const c = listClauses(cols, { ...q, cursor: null });
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(people)
    .where(and(eq(people.workspaceId, workspaceId), ...c.where, ...extra));
  return r?.n ?? 0;
}

export async function findPerson(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<PersonRow | null> {
  const q = db
    .select()
    .from(people)
    .where(and(eq(people.workspaceId, workspaceId), eq(people.id, id)));
  const [r] = opts.lock ? await q.for('update') : await q;
  return r ?? null;
}

export async function findPeopleByIds(db: DbOrTx, workspaceId: string, ids: string[]): Promise<PersonRow[]> {
  if (!ids.length) return [];
  return db
    .select()
    .from(people)
    .where(and(eq(people.workspaceId, workspaceId), inArray(people.id, ids)));
}

export async function findPeopleByEmails(db: DbOrTx, workspaceId: string, emails: string[]): Promise<PersonRow[]> {
  if (!emails.length) return [];
  return db
    .select()
    .from(people)
    .where(and(eq(people.workspaceId, workspaceId), sql`${people.emails} && ${textArrayLiteral(emails)}::text[]`))
    .orderBy(asc(people.createdAt));
}

export async function findPersonByExternalId(
  db: DbOrTx,
  workspaceId: string,
  externalId: string,
): Promise<PersonRow | null> {
  const [r] = await db
    .select()
    .from(people)
    .where(and(eq(people.workspaceId, workspaceId), eq(people.externalId, externalId)));
  return r ?? null;
}

export async function insertPerson(db: DbOrTx, row: PersonInsert): Promise<PersonRow> {
  const [r] = await db.insert(people).values(row).returning();
  if (!r) throw new Error('person insert returned nothing');
  return r;
}

export async function updatePerson(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<PersonInsert>,
): Promise<PersonRow | null> {
  const [r] = await db
    .update(people)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(people.workspaceId, workspaceId), eq(people.id, id)))
    .returning();
  return r ?? null;
}

export async function deletePeople(db: DbOrTx, workspaceId: string, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const r = await db
    .delete(people)
    .where(and(eq(people.workspaceId, workspaceId), inArray(people.id, ids)))
    .returning({ id: people.id });
  return r.map((x) => x.id);
}

/** What each person's record carries that a delete would take with it (orders, subscriptions) or leave dangling (tickets). */
export async function personReferences(
  db: DbOrTx,
  workspaceId: string,
  ids: string[],
): Promise<Map<string, { orders: number; subscriptions: number; tickets: number }>> {
  if (!ids.length) return new Map();
  const r = await db.execute(sql`
    select p.id::text as id,
      (select count(*)::int from orders o where o.workspace_id = p.workspace_id and o.person_id = p.id) as orders,
      (select count(*)::int from subscriptions s where s.workspace_id = p.workspace_id and s.person_id = p.id) as subscriptions,
      (select count(*)::int from tickets t where t.workspace_id = p.workspace_id and t.person_id = p.id) as tickets
    from people p where p.workspace_id = ${workspaceId} and p.id in (${sql.join(
      ids.map((id) => sql`${id}`),
      sql`, `,
    )})`);
  const out = new Map<string, { orders: number; subscriptions: number; tickets: number }>();
  for (const row of rowsOf<{ id: string; orders: number; subscriptions: number; tickets: number }>(r))
    if (row.orders || row.subscriptions || row.tickets)
      out.set(row.id, { orders: row.orders, subscriptions: row.subscriptions, tickets: row.tickets });
  return out;
}

/** Tickets and conversations of deleted people keep their history without a customer. */
export async function detachPeopleFromService(db: DbOrTx, workspaceId: string, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const list = sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  );
  await db.execute(
    sql`update tickets set person_id = null where workspace_id = ${workspaceId} and person_id in (${list})`,
  );
  await db.execute(
    sql`update conversations set person_id = null where workspace_id = ${workspaceId} and person_id in (${list})`,
  );
}

export type PersonCompanyLink = {
  companyId: string;
  name: string;
  domain: string | null;
  title: string | null;
  isPrimary: boolean;
};

export async function companiesOfPeople(
  db: DbOrTx,
  workspaceId: string,
  personIds: string[],
): Promise<Map<string, PersonCompanyLink[]>> {
  const out = new Map<string, PersonCompanyLink[]>();
  if (!personIds.length) return out;
  const rows = await db
    .select({
      personId: personCompanies.personId,
      companyId: personCompanies.companyId,
      title: personCompanies.title,
      isPrimary: personCompanies.isPrimary,
      name: companies.name,
      domain: companies.domain,
    })
    .from(personCompanies)
    .innerJoin(
      companies,
      and(eq(companies.workspaceId, personCompanies.workspaceId), eq(companies.id, personCompanies.companyId)),
    )
    .where(and(eq(personCompanies.workspaceId, workspaceId), inArray(personCompanies.personId, personIds)))
    .orderBy(desc(personCompanies.isPrimary), asc(companies.name));
  for (const r of rows) {
    const list = out.get(r.personId) ?? [];
    list.push({ companyId: r.companyId, name: r.name, domain: r.domain, title: r.title, isPrimary: r.isPrimary });
    out.set(r.personId, list);
  }
  return out;
}

export async function linkCompany(
  db: DbOrTx,
  workspaceId: string,
  personId: string,
  companyId: string,
  title: string | null,
  isPrimary: boolean,
): Promise<void> {
  if (isPrimary)
    await db
      .update(personCompanies)
      .set({ isPrimary: false })
      .where(and(eq(personCompanies.workspaceId, workspaceId), eq(personCompanies.personId, personId)));
  await db
    .insert(personCompanies)
    .values({ workspaceId, personId, companyId, title, isPrimary })
    .onConflictDoUpdate({
      target: [personCompanies.workspaceId, personCompanies.personId, personCompanies.companyId],
      set: { title, isPrimary },
    });
}

export async function unlinkCompany(
  db: DbOrTx,
  workspaceId: string,
  personId: string,
  companyId: string,
): Promise<boolean> {
  const r = await db
    .delete(personCompanies)
    .where(
      and(
        eq(personCompanies.workspaceId, workspaceId),
        eq(personCompanies.personId, personId),
        eq(personCompanies.companyId, companyId),
      ),
    )
    .returning({ p: personCompanies.personId });
  return r.length > 0;
}

export async function insertConsentRecord(
  db: DbOrTx,
  row: typeof consentRecords.$inferInsert,
): Promise<ConsentRecordRow> {
  const [r] = await db.insert(consentRecords).values(row).returning();
  if (!r) throw new Error('consent insert returned nothing');
  return r;
}

export async function listConsentRecords(
  db: DbOrTx,
  workspaceId: string,
  personId: string,
): Promise<ConsentRecordRow[]> {
  return db
    .select()
    .from(consentRecords)
    .where(and(eq(consentRecords.workspaceId, workspaceId), eq(consentRecords.personId, personId)))
    .orderBy(desc(consentRecords.recordedAt), desc(consentRecords.id))
    .limit(1000);
}

/** The newest consent record of a person for one channel and purpose, or null. */
export async function latestConsentRecord(
  db: DbOrTx,
  workspaceId: string,
  personId: string,
  channel: string,
  purpose: string,
): Promise<ConsentRecordRow | null> {
  const [r] = await db
    .select()
    .from(consentRecords)
    .where(
      and(
        eq(consentRecords.workspaceId, workspaceId),
        eq(consentRecords.personId, personId),
        eq(consentRecords.channel, channel),
        eq(consentRecords.purpose, purpose),
      ),
    )
    .orderBy(desc(consentRecords.recordedAt), desc(consentRecords.id))
    .limit(1);
  return r ?? null;
}

export async function insertNote(db: DbOrTx, row: typeof notes.$inferInsert): Promise<NoteRow> {
  const [r] = await db.insert(notes).values(row).returning();
  if (!r) throw new Error('note insert returned nothing');
  return r;
}

export async function listNotes(
  db: DbOrTx,
  workspaceId: string,
  subjectType: string,
  subjectId: string,
): Promise<NoteRow[]> {
  return db
    .select()
    .from(notes)
    .where(and(eq(notes.workspaceId, workspaceId), eq(notes.subjectType, subjectType), eq(notes.subjectId, subjectId)))
    .orderBy(desc(notes.createdAt))
    .limit(500);
}

export async function findNote(db: DbOrTx, workspaceId: string, id: string): Promise<NoteRow | null> {
  const [r] = await db
    .select()
    .from(notes)
    .where(and(eq(notes.workspaceId, workspaceId), eq(notes.id, id)));
  return r ?? null;
}

export async function updateNote(db: DbOrTx, workspaceId: string, id: string, body: string): Promise<NoteRow | null> {
  const [r] = await db
    .update(notes)
    .set({ body, updatedAt: new Date() })
    .where(and(eq(notes.workspaceId, workspaceId), eq(notes.id, id)))
    .returning();
  return r ?? null;
}

export async function deleteNote(db: DbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const r = await db
    .delete(notes)
    .where(and(eq(notes.workspaceId, workspaceId), eq(notes.id, id)))
    .returning({ id: notes.id });
  return r.length > 0;
}

export async function countPeopleByStage(db: DbOrTx, workspaceId: string): Promise<Record<string, number>> {
  const rows = await db
    .select({ stage: people.stage, n: sql<number>`count(*)::int` })
    .from(people)
    .where(eq(people.workspaceId, workspaceId))
    .groupBy(people.stage);
  return Object.fromEntries(rows.map((r) => [r.stage, r.n]));
}
