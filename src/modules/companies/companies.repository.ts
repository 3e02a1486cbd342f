import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { addCustomFieldColumns, listClauses, toPage, type ListColumns } from '../../db/list.ts';
import { companies, people, personCompanies } from '../../db/schema/index.ts';
import type { FieldSpecs, ListQuery } from '../../domain/list-query.ts';
import type { CustomFieldRow } from '../fields/fields.repository.ts';
import { storedAs, textArrayFilter } from '../people/people.repository.ts';

export type CompanyRow = typeof companies.$inferSelect;
export type CompanyInsert = typeof companies.$inferInsert;

export const baseCompanyFields: FieldSpecs = {
  name: { type: 'string' },
  domain: { type: 'string' },
  industry: { type: 'string' },
  size: { type: 'string' },
  owner_id: { type: 'string' },
  source: { type: 'string' },
  external_id: { type: 'string' },
  city: { type: 'string' },
  country: { type: 'string' },
  tag: { type: 'string', sortable: false },
  email: { type: 'string', sortable: false },
  created_at: { type: 'datetime' },
  updated_at: { type: 'datetime' },
};

export function companyListColumns(defs: readonly CustomFieldRow[]): ListColumns {
  const specs: FieldSpecs = { ...baseCompanyFields };
  const fields: ListColumns['fields'] = {
    name: companies.name,
    domain: companies.domain,
    industry: companies.industry,
    size: companies.size,
    owner_id: sql`${companies.ownerId}::text`,
    source: companies.source,
    external_id: companies.externalId,
    city: sql`${companies.address}->>'city'`,
    country: sql`${companies.address}->>'country'`,
    created_at: companies.createdAt,
    updated_at: companies.updatedAt,
  };
  const filters: NonNullable<ListColumns['filters']> = {
    tag: (f) => textArrayFilter(companies.tags, f, storedAs.tag),
    email: (f) => textArrayFilter(companies.emails, f, storedAs.email),
  };
  addCustomFieldColumns(
    { fields, specs, filters },
    companies.custom,
    defs.filter((d) => d.entity === 'company'),
  );
  return { id: companies.id, fields, specs, filters };
}

export function companySortValue(r: CompanyRow, field: string): unknown {
  const map: Record<string, unknown> = {
    name: r.name,
    domain: r.domain,
    industry: r.industry,
    size: r.size,
    owner_id: r.ownerId,
    source: r.source,
    external_id: r.externalId,
    city: r.address.city ?? null,
    country: r.address.country ?? null,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
  if (field in map) return map[field];
  if (field.startsWith('custom.')) return r.custom[field.slice(7)] ?? null;
  return null;
}

export async function listCompanies(
  db: DbOrTx,
  workspaceId: string,
  cols: ListColumns,
  q: ListQuery,
  extra: SQL[] = [],
) {
  const c = listClauses(cols, q);
  const rows = await db
    .select()
    .from(companies)
    .where(and(eq(companies.workspaceId, workspaceId), ...c.where, ...extra))
    .orderBy(...c.orderBy)
    .limit(c.limit);
  return toPage(rows, q, { id: (r) => r.id, sortValue: (r) => companySortValue(r, q.sort.field) });
}

export async function findCompany(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  opts: { lock?: boolean } = {},
): Promise<CompanyRow | null> {
  const q = db
    .select()
    .from(companies)
    .where(and(eq(companies.workspaceId, workspaceId), eq(companies.id, id)));
  const [r] = opts.lock ? await q.for('update') : await q;
  return r ?? null;
}

export async function findCompaniesByIds(db: DbOrTx, workspaceId: string, ids: string[]): Promise<CompanyRow[]> {
  if (!ids.length) return [];
  return db
    .select()
    .from(companies)
    .where(and(eq(companies.workspaceId, workspaceId), inArray(companies.id, ids)));
}

export async function findCompanyByDomain(db: DbOrTx, workspaceId: string, domain: string): Promise<CompanyRow | null> {
  const [r] = await db
    .select()
    .from(companies)
    .where(and(eq(companies.workspaceId, workspaceId), eq(companies.domain, domain)))
    .orderBy(asc(companies.createdAt))
    .limit(1);
  return r ?? null;
}

export async function findCompanyByExternalId(
  db: DbOrTx,
  workspaceId: string,
  externalId: string,
): Promise<CompanyRow | null> {
  const [r] = await db
    .select()
    .from(companies)
    .where(and(eq(companies.workspaceId, workspaceId), eq(companies.externalId, externalId)));
  return r ?? null;
}

export async function insertCompany(db: DbOrTx, row: CompanyInsert): Promise<CompanyRow> {
  const [r] = await db.insert(companies).values(row).returning();
  if (!r) throw new Error('company insert returned nothing');
  return r;
}

export async function updateCompany(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<CompanyInsert>,
): Promise<CompanyRow | null> {
  const [r] = await db
    .update(companies)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(companies.workspaceId, workspaceId), eq(companies.id, id)))
    .returning();
  return r ?? null;
}

export async function deleteCompanies(db: DbOrTx, workspaceId: string, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const r = await db
    .delete(companies)
    .where(and(eq(companies.workspaceId, workspaceId), inArray(companies.id, ids)))
    .returning({ id: companies.id });
  return r.map((x) => x.id);
}

export type CompanyPersonLink = {
  personId: string;
  name: string;
  email: string | null;
  title: string | null;
  isPrimary: boolean;
};

export async function peopleOfCompany(
  db: DbOrTx,
  workspaceId: string,
  companyId: string,
): Promise<CompanyPersonLink[]> {
  const rows = await db
    .select({
      personId: personCompanies.personId,
      title: personCompanies.title,
      isPrimary: personCompanies.isPrimary,
      name: people.displayName,
      emails: people.emails,
    })
    .from(personCompanies)
    .innerJoin(
      people,
      and(eq(people.workspaceId, personCompanies.workspaceId), eq(people.id, personCompanies.personId)),
    )
    .where(and(eq(personCompanies.workspaceId, workspaceId), eq(personCompanies.companyId, companyId)))
    .orderBy(asc(people.displayName))
    .limit(1000);
  return rows.map((r) => ({
    personId: r.personId,
    name: r.name,
    email: r.emails[0] ?? null,
    title: r.title,
    isPrimary: r.isPrimary,
  }));
}
